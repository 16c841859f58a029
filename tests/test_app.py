"""Page-level tests of `page.py` with Streamlit's AppTest (no browser).

Every check reads the scene the page produced from the player component's
arguments (`json_args` of the `component_instance` element): its `query` is
the address the browser gets (the canonical scene without the viewer keys
the player writes), its run arrays are what the player draws and its
`viewer` (the table of viewer keys and their values) what the player opens
with.

The sidebar shows one run's controls at a time; widget keys are the draft's
control keys (visualizer/page/draft.py): `run.lr`, its typed twin `run.lr.typed`,
`pick` for the run shown, buttons `add`, `duplicate`, `remove`. A numeric
control is a slider (a `select_slider` over fixed stops for decay rates and
log-scale knobs, `controls.slider_stops`) beside a text box, its typed twin,
holding the value as text ("0.001", "1e-08"). Start, steps and the plot
window sit in the expander "Start, steps and plot window", after the runs; the
window's edges are drawn only while "Zoom to my own window" is checked.
Presentation mode (`present=1`) draws no sidebar.

How the page sees its address under AppTest: the app parses the raw query
string on the script-run context (`get_script_run_ctx().query_string`).
AppTest does populate it, but from `at.query_params` through
`urllib.parse.urlencode`, which percent-encodes `,` `:` `=`; in the scene
language an encoded separator is a literal character, so
`at.query_params["start"] = "1,2"` reaches the app as `start=1%2C2` (one atom,
an error). A browser sends the address as typed. To test the browser's path,
the `open_url` fixture routes an exact raw query string through AppTest's
runner; `test_apptest_query_params_arrive_encoded` pins the plain path.

The player's value (a "Set start" click) is set the way the browser's
would arrive: as the component's widget value, `at.session_state["player"]`.
"""

from __future__ import annotations

import base64
import math
import re
from pathlib import Path
from urllib import parse as urlparse

import numpy as np
import pytest
from apptest_tools import errors, new_app, payload, query, run_ok, sidebar_errors, unescape_md, viewer, viewer_values
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Widget

from visualizer import Scene, simulate
from visualizer.core import landmarks
from visualizer.core.knobs import number_text
from visualizer.core.optimizers import DECAY_STOPS, LR, OPTIMIZERS
from visualizer.core.results import summarize
from visualizer.core.run import CLIP_NORM, CLIP_VALUE, NOISE
from visualizer.core.scene import MAX_RUNS, Viewer, parse_lenient, viewer_keys
from visualizer.page.controls import slider_stops

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _repo_root_cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


# ---------------------------------------------------------------- helpers


def scene(at: AppTest) -> Scene:
    q = query(at)
    parsed = Scene.from_query(q)
    assert parsed.to_query() == q, "the player gets the canonical query"
    return parsed


def decode(spec: dict) -> np.ndarray:
    assert spec["dtype"] == "f4"
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<f4")


def run_xy(at: AppTest, i: int) -> np.ndarray:
    return decode(payload(at)["runs"][i]["xy"]).reshape(-1, 2)


def keys(at: AppTest) -> set[str]:
    return {w.key for w in at.sidebar if isinstance(w, Widget) and w.key}


def pick(at: AppTest, index: int) -> AppTest:
    at.radio("pick").set_value(index)
    return run_ok(at)


def type_in(at: AppTest, control: str, text: str) -> AppTest:
    """Type `text` into the text box `control` (a typed twin) and press Enter."""
    at.text_input(control).input(text)
    return run_ok(at)


def sidebar_order(at: AppTest) -> list[str]:
    """The sidebar's widgets by key and its expanders by title, top to bottom."""
    out = []
    for node in at.sidebar:
        if getattr(node, "type", "") == "expander":
            out.append(f"expander: {node.label}")
        elif isinstance(node, Widget) and node.key:
            out.append(node.key)
    return out


def expander_keys(at: AppTest, title: str) -> list[str]:
    (box,) = [e for e in at.sidebar.expander if e.label == title]
    return [w.key for w in box if isinstance(w, Widget) and w.key]


SCENE_BOX = "Start, steps and plot window"
WINDOW_EDGES = ("window.x0", "window.x1", "window.y0", "window.y1")


@pytest.fixture(scope="module")
def default_scene() -> Scene:
    return Scene.default()


@pytest.fixture
def app() -> AppTest:
    return run_ok(new_app())


# ---------------------------------------------------------------- default page


def test_default_page_loads(app, default_scene):
    assert query(app) == default_scene.to_query()
    p = payload(app)
    assert p["steps"] == default_scene.steps and p["start"] == list(default_scene.start)
    assert p["viewer"]["values"] == viewer_values()
    assert not app.error, errors(app)
    # the paths the player gets are the engine's paths, with their labels and starts
    result = simulate(default_scene)
    assert len(p["runs"]) == len(result.runs) == len(default_scene.runs)
    for i, r in enumerate(result.runs):
        np.testing.assert_array_equal(run_xy(app, i), np.asarray(r.xy, dtype="<f4"))
        np.testing.assert_array_equal(decode(p["runs"][i]["loss"]), np.asarray(r.loss, dtype="<f4"))
        assert p["runs"][i]["label"] == r.label
        assert p["runs"][i]["start"] == list(default_scene.start)
    assert len({run["color"] for run in p["runs"]}) == len(p["runs"]), "every run its own colour"
    assert app.get("download_button"), "downloads are offered"


def test_rerun_without_change_keeps_the_scene(app):
    before = query(app)
    run_ok(app)
    assert query(app) == before


def test_sidebar_shows_one_runs_controls(app):
    shown = keys(app)
    assert {"surface", "start.x", "steps", "pick", "add", "duplicate", "remove", "run.optimizer", "run.lr",
            "run.lr.typed", "run.schedule", "run.clip_value.on", "run.clip_norm.on", "run.noise", "run.seed",
            "run.start.on", "run.label"} <= shown
    assert "run.momentum" not in shown and "run.b1" not in shown, "run 1 is SGD: no hyperparameters"
    assert "run.clip_norm" not in shown and "run.x0" not in shown, "switched-off settings hide their sliders"
    assert app.radio("pick").options == ["1 · SGD", "2 · Momentum", "3 · Adam"]
    # a numeric control: a slider beside a text box holding its value as text, its label collapsed
    assert app.select_slider("run.lr").value == 0.001 and app.text_input("run.lr.typed").value == "0.001"
    assert app.text_input("run.lr.typed").proto.label_visibility.value == \
        app.text_input("run.lr.typed").proto.label_visibility.COLLAPSED


def test_sidebar_order(app):
    """Lesson picker, Surface, its knobs, formula, then the runs (pick, the
    run buttons, the run's box, which ends with what to explore), then
    start, steps and window in an expander."""
    order = sidebar_order(app)
    run_box = order[order.index("run.optimizer"):order.index("explore.kind") + 1]
    assert run_box[-2:] == ["run.label", "explore.kind"]
    assert order == ["lesson", "surface", "pick", "add", "duplicate", "remove", *run_box,
                     f"expander: {SCENE_BOX}", "start.x", "start.y", "steps", "window.on"], order
    assert run_box[:3] == ["run.optimizer", "run.lr", "run.lr.typed"]
    assert expander_keys(app, SCENE_BOX) == ["start.x", "start.y", "steps", "window.on"]
    (box,) = app.sidebar.expander
    assert box.proto.expanded is False, "closed until opened"
    app.selectbox("surface").set_value("custom")
    run_ok(app)
    order = sidebar_order(app)
    assert order[:3] == ["lesson", "surface", "f"] and order.index("f") < order.index("pick")
    app.selectbox("surface").set_value("quadratic")
    run_ok(app)
    order = sidebar_order(app)
    assert order[:6] == ["lesson", "surface", "surface.cond", "surface.cond.typed", "surface.angle",
                         "surface.angle.typed"], order


# ---------------------------------------------------------------- controls


def test_learning_rate_slider_and_typed_twin(app, default_scene):
    before = run_xy(app, 0)
    app.select_slider("run.lr").set_value(0.002)
    run_ok(app)
    s = scene(app)
    assert s.runs[0].lr == 0.002 and app.text_input("run.lr.typed").value == "0.002"
    assert s.runs[1:] == default_scene.runs[1:], "other runs untouched"
    assert not np.array_equal(before, run_xy(app, 0)), "the path follows the learning rate"
    np.testing.assert_allclose(decode(payload(app)["runs"][0]["lr"]), 0.002, rtol=1e-6)
    # an exact value typed in the box, between the slider's stops
    type_in(app, "run.lr.typed", "0.0023")
    assert scene(app).runs[0].lr == 0.0023 and app.select_slider("run.lr").value == 0.0023
    assert "run=sgd:lr=0.0023," in query(app)
    # out of range: refused and said; the slider shows the learning rate in use, the box what was typed
    type_in(app, "run.lr.typed", "5000")
    assert scene(app).runs[0].lr == 0.0023
    assert any("Learning rate" in e and "5000" in e for e in sidebar_errors(app)), sidebar_errors(app)
    assert app.select_slider("run.lr").value == 0.0023
    assert app.text_input("run.lr.typed").value == "5000", "the refused text stays to be fixed"


def test_hyperparameter(app):
    pick(app, 1)
    before = run_xy(app, 1)
    app.select_slider("run.momentum").set_value(0.5)
    run_ok(app)
    assert scene(app).runs[1].momentum == 0.5 and "momentum=0.5," in query(app)
    assert not np.array_equal(before, run_xy(app, 1))
    type_in(app, "run.momentum.typed", "0.97")
    assert scene(app).runs[1].momentum == 0.97 and app.select_slider("run.momentum").value == 0.97


def test_typing_a_momentum_sets_it_exactly(app, default_scene):
    pick(app, 1)
    type_in(app, "run.momentum.typed", "0.95")
    s = scene(app)
    assert s.runs[1].momentum == 0.95, "0.95 exactly, not a nearby float or stop"
    assert re.search(r"run=momentum:[^&]*momentum=0\.95(,|&|$)", query(app)), query(app)
    assert (s.runs[0], s.runs[2]) == (default_scene.runs[0], default_scene.runs[2])
    assert app.select_slider("run.momentum").value == 0.95 and app.text_input("run.momentum.typed").value == "0.95"
    assert not app.sidebar.error
    # a value between the slider's stops: exact too, and a stop of its own
    type_in(app, "run.momentum.typed", " 0.955 ")
    assert scene(app).runs[1].momentum == 0.955
    assert app.select_slider("run.momentum").value == 0.955 and "0.955" in app.select_slider("run.momentum").options
    assert app.text_input("run.momentum.typed").value == "0.955"


def test_typing_text_that_is_no_number(app, default_scene):
    pick(app, 1)
    type_in(app, "run.momentum.typed", "abc")
    assert scene(app) == default_scene, "nothing changes"
    assert app.text_input("run.momentum.typed").value == "abc", "the text stays, to be fixed"
    assert any("Momentum μ" in e and "'abc' is not a number" in e for e in sidebar_errors(app)), sidebar_errors(app)
    assert app.select_slider("run.momentum").value == 0.9, "the slider shows the momentum in use"
    run_ok(app)  # a rerun for another reason keeps both
    assert app.text_input("run.momentum.typed").value == "abc" and sidebar_errors(app)
    type_in(app, "run.momentum.typed", "0.8")
    assert scene(app).runs[1].momentum == 0.8 and not app.sidebar.error
    assert app.text_input("run.momentum.typed").value == "0.8"


def test_a_typed_value_beyond_the_sliders_sweep(app):
    type_in(app, "run.lr.typed", "100")  # allowed up to 1000; the slider sweeps 1e-5 to 10
    assert scene(app).runs[0].lr == 100.0 and not app.sidebar.error
    assert app.select_slider("run.lr").value == 100.0 and app.select_slider("run.lr").options[-1] == "100"
    type_in(app, "run.lr.typed", "1e-7")
    assert scene(app).runs[0].lr == 1e-7 and app.select_slider("run.lr").options[0] == "1e-07"
    assert app.text_input("run.lr.typed").value == number_text(1e-7) == "1e-07"



def test_a_typed_value_next_to_a_stop_leaves_the_stop_reachable(app):
    type_in(app, "run.lr.typed", "0.01000001")
    assert scene(app).runs[0].lr == 0.01000001
    app.select_slider("run.lr").set_value(0.01)
    run_ok(app)
    assert scene(app).runs[0].lr == 0.01, app.select_slider("run.lr").options


# ---------------------------------------------------------------- slider stops

DECAY_KNOBS = {f"{o.id}.{h.name}": h for o in OPTIMIZERS.values() for h in o.hypers
               if h.name in ("momentum", "b1", "b2", "b3", "decay", "rho")}
HYPER = {f"{o.id}.{h.name}": h for o in OPTIMIZERS.values() for h in o.hypers}


@pytest.mark.parametrize("name", list(DECAY_KNOBS))
def test_decay_rate_sliders_stop_at_fixed_rates(name):
    knob = DECAY_KNOBS[name]
    value = float(knob.default)
    stops = slider_stops(knob, value)
    assert stops == sorted(set(stops)) and value in stops and all(knob.contains(v) for v in stops)
    assert [v for v in stops if v != value] == [v for v in DECAY_STOPS if knob.contains(v) and v != value]
    assert {0.9, 0.95, 0.99, 0.999} <= set(stops)
    assert slider_stops(knob, 0.955) == sorted({*stops, 0.955} - ({value} - set(DECAY_STOPS))), \
        "a typed rate between the stops is a stop of its own"


def test_decay_rate_slider_puts_0_99_0_999_0_9999_one_step_apart(app):
    pick(app, 2)  # Adam
    options = app.select_slider("run.b2").options
    at = [options.index(v) for v in ("0.99", "0.999", "0.9999")]
    assert (at[1] - at[0], at[2] - at[1]) == (1, 1), options


@pytest.mark.parametrize(("knob", "low", "high", "zero"), [
    (LR, 1e-5, 10.0, False), (HYPER["adam.eps"], 1e-12, 1.0, False), (CLIP_VALUE, 0.01, 1000.0, False),
    (CLIP_NORM, 0.01, 1000.0, False), (NOISE, 0.001, 1000.0, True), (HYPER["newton.damping"], 1e-4, 1e4, True),
], ids=["lr", "eps", "clip_value", "clip_norm", "noise", "damping"])
def test_log_sliders_sweep_a_useful_range(knob, low, high, zero):
    stops = slider_stops(knob, float(knob.default))
    assert (0.0 in stops) is zero
    swept = [v for v in stops if v]
    assert (swept[0], swept[-1]) == (low, high)
    assert all(v / u <= 5 / 3 for u, v in zip(swept, swept[1:], strict=False)), "round values, 1-1.5-2-3-5-7"
    # any allowed value can still be typed, and the slider then holds it
    for typed in (knob.high, low / 10):
        if knob.contains(typed):
            assert typed in slider_stops(knob, typed)


def test_schedule_and_its_parameters(app):
    app.selectbox("run.schedule").set_value("step")
    run_ok(app)
    run = scene(app).runs[0]
    assert run.schedule == "step" and dict(run.schedule_params) == {"step_size": 100, "gamma": 0.5}
    app.number_input("run.step_size").set_value(20)
    run_ok(app)
    app.slider("run.gamma").set_value(0.25)
    run_ok(app)
    run = scene(app).runs[0]
    assert dict(run.schedule_params) == {"step_size": 20, "gamma": 0.25}
    assert "schedule=step,step_size=20,gamma=0.25" in query(app)
    lr = decode(payload(app)["runs"][0]["lr"])
    assert lr[0] == pytest.approx(run.lr) and lr[20] == pytest.approx(run.lr * 0.25)
    app.selectbox("run.schedule").set_value("constant")
    run_ok(app)
    assert scene(app).runs[0].schedule == "constant"
    assert not {"run.step_size", "run.gamma"} & keys(app)


def test_clip_by_value(app):
    app.checkbox("run.clip_value.on").check()
    run_ok(app)
    assert scene(app).runs[0].clip_value == 1.0
    app.select_slider("run.clip_value").set_value(0.5)
    run_ok(app)
    assert scene(app).runs[0].clip_value == 0.5 and "clip_value=0.5" in query(app)
    app.checkbox("run.clip_value.on").uncheck()
    run_ok(app)
    assert scene(app).runs[0].clip_value is None and "clip_value" not in query(app)
    assert "run.clip_value" not in keys(app)


def test_clip_by_norm(app):
    app.checkbox("run.clip_norm.on").check()
    run_ok(app)
    assert scene(app).runs[0].clip_norm == CLIP_NORM.default
    app.select_slider("run.clip_norm").set_value(3.0)
    run_ok(app)
    assert scene(app).runs[0].clip_norm == 3.0
    assert payload(app)["runs"][0]["clip_norm"] == 3.0
    type_in(app, "run.clip_norm.typed", "1e-50")  # 0 in float32: refused
    assert scene(app).runs[0].clip_norm == 3.0 and any("Clip norm" in e for e in sidebar_errors(app))
    app.checkbox("run.clip_norm.on").uncheck()
    run_ok(app)
    assert scene(app).runs[0].clip_norm is None and payload(app)["runs"][0]["clip_norm"] is None


def test_noise_and_seed(app):
    pick(app, 2)
    clean = run_xy(app, 2)
    app.select_slider("run.noise").set_value(0.5)
    run_ok(app)
    assert scene(app).runs[2].noise == 0.5 and "noise=0.5" in query(app)
    noisy0 = run_xy(app, 2)
    assert not np.array_equal(clean, noisy0)
    app.number_input("run.seed").set_value(7)
    run_ok(app)
    assert scene(app).runs[2].seed == 7 and "seed=7" in query(app)
    assert not np.array_equal(noisy0, run_xy(app, 2)), "another seed, another noise"


def test_own_start(app, default_scene):
    app.checkbox("run.start.on").check()
    run_ok(app)
    assert {"run.x0", "run.y0", "run.x0.typed"} <= keys(app)
    assert (app.slider("run.x0").value, app.slider("run.y0").value) == default_scene.start, "starts where it was"
    type_in(app, "run.x0.typed", "0.5")
    s = scene(app)
    assert (s.runs[0].x0, s.runs[0].y0) == (0.5, 2.0) and s.start == default_scene.start
    assert payload(app)["runs"][0]["start"] == [0.5, 2.0] and tuple(run_xy(app, 0)[0]) == (0.5, 2.0)
    assert tuple(run_xy(app, 1)[0]) == default_scene.start, "the other runs start at the scene's start"
    app.checkbox("run.start.on").uncheck()
    run_ok(app)
    assert scene(app) == default_scene


def test_label(app):
    app.text_input("run.label").input("my run, a+b=c: 1&2")
    run_ok(app)
    assert scene(app).runs[0].label == "my run, a+b=c: 1&2"
    assert payload(app)["runs"][0]["label"] == "my run, a+b=c: 1&2"
    spec = query(app).split("&run=")[1]
    assert all(code in spec for code in ("%2C", "%2B", "%3D", "%3A", "%26")), "separators travel encoded"
    assert unescape_md(app.radio("pick").options[0]) == "1 · my run, a+b=c: 1&2"


def test_start_point(app):
    app.number_input("start.x").set_value(0.5)
    run_ok(app)
    app.number_input("start.y").set_value(-0.25)
    run_ok(app)
    assert scene(app).start == (0.5, -0.25)
    assert payload(app)["start"] == [0.5, -0.25]
    for i in range(len(payload(app)["runs"])):
        assert tuple(run_xy(app, i)[0]) == (0.5, -0.25), "every path starts there"


def test_steps(app):
    app.number_input("steps").set_value(123)
    run_ok(app)
    s = scene(app)
    assert s.steps == 123 and payload(app)["steps"] == 123
    for i, run in enumerate(payload(app)["runs"]):
        if run["diverged_at"] is None:
            assert len(run_xy(app, i)) == 124


def test_surface_switch_keeps_the_runs(app, default_scene):
    app.text_input("run.label").input("mine")
    run_ok(app)
    app.select_slider("run.lr").set_value(0.002)
    run_ok(app)
    app.selectbox("surface").set_value("himmelblau")
    run_ok(app)
    s, fresh = scene(app), Scene.default("himmelblau")
    assert (s.surface, s.start, s.steps) == ("himmelblau", fresh.start, fresh.steps)
    assert [r.optimizer for r in s.runs] == [r.optimizer for r in default_scene.runs]
    assert (s.runs[0].label, s.runs[0].lr) == ("mine", 0.002) and s.runs[1:] == default_scene.runs[1:]
    assert payload(app)["surface"]["name"] == "Himmelblau"
    assert not app.sidebar.error


def test_condition_number_and_angle(app):
    app.selectbox("surface").set_value("quadratic")
    run_ok(app)
    z0 = decode(payload(app)["surface"]["z"])
    app.select_slider("surface.cond").set_value(100.0)
    run_ok(app)
    assert scene(app).surface_params["cond"] == 100.0
    assert not np.array_equal(z0, decode(payload(app)["surface"]["z"])), "the surface grid follows cond"
    app.slider("surface.angle").set_value(45.0)
    run_ok(app)
    type_in(app, "surface.cond.typed", "25")
    assert "surface=quadratic:cond=25,angle=45&" in query(app)


def test_optimizer_change_keeps_the_learning_rate(app):
    app.selectbox("run.optimizer").set_value("adam")
    run_ok(app)
    run = scene(app).runs[0]
    adam = OPTIMIZERS["adam"]
    assert run.optimizer == "adam" and run.lr == 0.001, "the learning rate stays"
    assert dict(run.hyper) == {h.name: float(h.default) for h in adam.hypers}
    assert run.label == "", "a label naming SGD would now be wrong"
    assert "SGD" not in payload(app)["runs"][0]["label"]
    assert {"run.b1", "run.b2", "run.eps"} <= keys(app), "Adam's sliders are shown"


def test_add_duplicate_remove_buttons(app, default_scene):
    n = len(default_scene.runs)
    app.button("add").click()
    run_ok(app)
    s = scene(app)
    assert len(s.runs) == n + 1 and s.runs[-1].optimizer == "adam"
    assert app.radio("pick").value == n, "the new run is shown"
    pick(app, 1)
    app.button("duplicate").click()
    run_ok(app)
    s = scene(app)
    assert len(s.runs) == n + 2 and s.runs[2].replace(label=s.runs[1].label) == s.runs[1]
    assert s.runs[2].label == "Momentum (copy)" and app.radio("pick").value == 2
    app.button("remove").click()
    run_ok(app)
    assert scene(app).runs == (*default_scene.runs, s.runs[-1])
    assert app.radio("pick").value == 1
    pick(app, 0)
    app.button("remove").click()
    run_ok(app)
    assert scene(app).runs[:2] == default_scene.runs[1:]
    assert len(payload(app)["runs"]) == n


def test_run_count_limits(app):
    while len(scene(app).runs) < MAX_RUNS:
        assert not app.button("add").disabled
        app.button("add").click()
        run_ok(app)
    assert app.button("add").disabled and app.button("duplicate").disabled
    while len(scene(app).runs) > 1:
        app.button("remove").click()
        run_ok(app)
    assert len(scene(app).runs) == 1 and app.button("remove").disabled


def test_pick_shows_another_runs_controls(app, default_scene):
    pick(app, 2)
    assert app.selectbox("run.optimizer").value == "adam"
    assert app.select_slider("run.b1").value == 0.9 and app.select_slider("run.lr").value == 0.05
    assert app.text_input("run.label").value == "Adam"
    assert (app.select_slider("run.b1").label, app.select_slider("run.eps").label) == ("β₁ (b1)", "ε (eps)")
    app.select_slider("run.b1").set_value(0.8)
    run_ok(app)
    s = scene(app)
    assert s.runs[2].b1 == 0.8 and s.runs[:2] == default_scene.runs[:2], "the change goes to the run shown"
    pick(app, 0)
    assert app.select_slider("run.lr").value == 0.001 and "run.b1" not in keys(app)


def test_custom_formula_good_and_bad(app):
    app.selectbox("surface").set_value("custom")
    run_ok(app)
    assert scene(app).surface == "custom"
    z0 = decode(payload(app)["surface"]["z"])
    app.text_input("f").input("x^2 + (y - 1)^2")
    run_ok(app)
    assert scene(app).formula == "x^2 + (y - 1)^2"
    z1 = decode(payload(app)["surface"]["z"])
    assert not np.array_equal(z0, z1), "a good formula changes the surface"
    assert not app.sidebar.error
    app.text_input("f").input("__import__('os').system('true')")
    run_ok(app)
    assert any("__import__" in e and "not allowed" in e for e in sidebar_errors(app)), sidebar_errors(app)
    assert app.text_input("f").value == "__import__('os').system('true')", "the typed text stays to be fixed"
    assert scene(app).formula == "x^2 + (y - 1)^2", "the last good formula stays"
    np.testing.assert_array_equal(decode(payload(app)["surface"]["z"]), z1)
    app.text_input("f").input("sin(x) * cos(y)")
    run_ok(app)
    assert scene(app).formula == "sin(x) * cos(y)" and not app.sidebar.error


def test_window_edges_appear_only_after_zoom_to_my_own_window(app):
    assert app.checkbox("window.on").label == "Zoom to my own window" and not app.checkbox("window.on").value
    assert not {*WINDOW_EDGES} & keys(app), "the surface's own window: no edges to edit"
    app.checkbox("window.on").check()
    run_ok(app)
    shown = expander_keys(app, SCENE_BOX)
    assert shown[:4] == ["start.x", "start.y", "steps", "window.on"] and sorted(shown[4:]) == sorted(WINDOW_EDGES)
    assert [app.number_input(k).value for k in WINDOW_EDGES] == [-2.0, 2.0, -1.0, 3.0], "the surface's window"
    assert [app.number_input(k).label for k in WINDOW_EDGES] == ["x min", "x max", "y min", "y max"]
    app.checkbox("window.on").uncheck()
    run_ok(app)
    assert not {*WINDOW_EDGES} & keys(app)


def test_plot_window(app):
    assert "window.x1" not in keys(app), "the surface's own window until switched on"
    app.checkbox("window.on").check()
    run_ok(app)
    assert not app.number_input("window.x1").disabled
    app.number_input("window.x1").set_value(1.5)
    run_ok(app)
    assert scene(app).surface_params["window"] == ((-2.0, 1.5), (-1.0, 3.0))
    assert payload(app)["surface"]["window"] == [[-2.0, 1.5], [-1.0, 3.0]]
    app.number_input("window.x0").set_value(3.0)  # xmin > xmax: refused
    run_ok(app)
    assert any("xmin < xmax" in e for e in sidebar_errors(app))
    assert app.number_input("window.x0").value == 3.0, "the rejected edge stays to be fixed"
    assert scene(app).surface_params["window"] == ((-2.0, 1.5), (-1.0, 3.0)), "the last good window stays"
    app.number_input("window.x0").set_value(-1.0)
    run_ok(app)
    assert scene(app).surface_params["window"] == ((-1.0, 1.5), (-1.0, 3.0)) and not app.sidebar.error
    app.checkbox("window.on").uncheck()
    run_ok(app)
    assert "window" not in scene(app).surface_params


def test_surface_switch_from_a_link_with_a_late_step(open_url):
    at = open_url("step=450")
    at.selectbox("surface").set_value("quadratic")
    run_ok(at)
    assert scene(at).surface == "quadratic"


# ---------------------------------------------------------------- the player's value


FORGED = {
    "xy-text": {"event": "start", "xy": ["abc", 1], "nonce": 5},
    "run-out-of-range": {"event": "start", "xy": [0.5, 0.5], "run": 7, "nonce": 5},
    "run-negative": {"event": "start", "xy": [0.5, 0.5], "run": -1, "nonce": 5},
    "run-bool": {"event": "start", "xy": [0.5, 0.5], "run": True, "nonce": 5},
    "run-text": {"event": "start", "xy": [0.5, 0.5], "run": "1", "nonce": 5},
    "run-float": {"event": "start", "xy": [0.5, 0.5], "run": 1.0, "nonce": 5},
    "xy-far": {"event": "start", "xy": [1e9, 0], "nonce": 5},
    "xy-nan": {"event": "start", "xy": [math.nan, 0], "nonce": 5},
    "xy-one": {"event": "start", "xy": [0.5], "nonce": 5},
    "xy-dict": {"event": "start", "xy": {"x": 0.5, "y": 0.5}, "nonce": 5},
    "xy-bool": {"event": "start", "xy": [True, False], "nonce": 5},
    "nonce-text": {"event": "start", "xy": [0.5, 0.5], "nonce": "5"},
    "no-nonce": {"event": "start", "xy": [0.5, 0.5]},
    "other-event": {"event": "click", "xy": [0.5, 0.5], "nonce": 5},
    "event-object": {"event": {"$gt": 1}, "xy": [0.5, 0.5], "nonce": 5},
    "event-list": {"event": [], "nonce": 5},
    "list": [0.5, 0.5],
    "text": "start",
    "number": 42,
    "empty": {},
}


@pytest.mark.parametrize("value", list(FORGED.values()), ids=list(FORGED))
def test_a_forged_player_value_changes_nothing(app, value):
    before = query(app)
    app.session_state["player"] = value
    run_ok(app)
    assert query(app) == before
    assert not app.error, errors(app)
    run_ok(app)
    assert query(app) == before


def test_a_click_moves_the_start_of_every_run(app):
    pick(app, 1)
    app.checkbox("run.start.on").check()
    run_ok(app)
    assert scene(app).runs[1].x0 is not None
    app.session_state["player"] = {"event": "start", "xy": [0.123456, 0.987654], "run": None, "nonce": 5}
    run_ok(app)
    s = scene(app)
    assert s.start == (0.123, 0.988), "rounded to a thousandth of the window"
    assert all((r.x0, r.y0) == (None, None) for r in s.runs), "own starts give way to the clicked one"
    assert all(tuple(run_xy(app, i)[0]) == pytest.approx((0.123, 0.988)) for i in range(len(s.runs)))
    assert (app.number_input("start.x").value, app.number_input("start.y").value) == (0.123, 0.988)
    # one click acts once: the value stays the same on later reruns
    app.number_input("start.x").set_value(1.0)
    run_ok(app)
    assert scene(app).start == (1.0, 0.988)
    app.session_state["player"] = {"event": "start", "xy": [-1.0, 0.5], "run": None, "nonce": 6}
    run_ok(app)
    assert scene(app).start == (-1.0, 0.5), "the next click acts"


def test_a_click_for_one_run_sets_its_own_start(app, default_scene):
    app.session_state["player"] = {"event": "start", "xy": [0.5, 1.25], "run": 2, "nonce": 1}
    run_ok(app)
    s = scene(app)
    assert (s.runs[2].x0, s.runs[2].y0) == (0.5, 1.25)
    assert s.runs[:2] == default_scene.runs[:2] and s.start == default_scene.start
    assert payload(app)["runs"][2]["start"] == [0.5, 1.25] and tuple(run_xy(app, 2)[0]) == (0.5, 1.25)


# ---------------------------------------------------------------- viewer keys

VIEWER_LINK = "steps=300&view=3d&step=10&speed=2&hide=2,3&present=1&autoplay=1&loop=1"


def test_viewer_keys_reach_the_player(open_url):
    at = open_url(VIEWER_LINK)
    p = payload(at)
    assert p["viewer"]["values"] == viewer_values(view="3d", step=10, speed=2.0, hide=[2, 3], present=True,
                                                  autoplay=True, loop=True), "the values as the link gives them"
    assert [k["name"] for k in p["viewer"]["keys"]] == [k.name for k in viewer_keys()], "the table, in order"
    address = Scene.from_query(p["query"])
    assert address.viewer == Viewer(present=True, autoplay=True, loop=True), \
        "the address base keeps present, autoplay, loop; the player adds view, step, speed, hide"
    assert not re.search(r"(^|&)(view|step|speed|hide)=", p["query"]), p["query"]
    assert p["query"].endswith("&present=1&autoplay=1&loop=1")
    assert not at.error, errors(at)
    assert not at.sidebar.children, "presentation mode draws nothing in the sidebar"
    # outside presentation mode a control change keeps them; removing a run renumbers the hidden ones
    at = open_url(VIEWER_LINK.replace("&present=1", ""))
    assert viewer(at) == viewer_values(view="3d", step=10, speed=2.0, hide=[2, 3], autoplay=True, loop=True)
    pick(at, 1)
    at.button("remove").click()
    run_ok(at)
    p = payload(at)
    shown = p["viewer"]["values"]
    assert shown["hide"] == [2] and len(p["runs"]) == 2, "Adam, now run 2, stays hidden"
    assert (shown["view"], shown["step"], shown["autoplay"], shown["loop"]) == ("3d", 10, True, True)
    assert p["query"].endswith("&autoplay=1&loop=1")
    at.number_input("steps").set_value(5)
    run_ok(at)
    assert viewer(at)["step"] is None, "a step beyond the last goes"


# ---------------------------------------------------------------- addresses


def test_apptest_query_params_arrive_encoded():
    """AppTest urlencodes `at.query_params`, so separators arrive as literal
    characters: values without them work, `start=1,2` is one bad atom."""
    at = new_app()
    at.query_params["surface"] = "himmelblau"
    at.query_params["steps"] = "50"
    run_ok(at)
    s = scene(at)
    assert (s.surface, s.steps) == ("himmelblau", 50) and not at.error
    at = new_app()
    at.query_params["steps"] = "60"
    at.query_params["start"] = "1,2"
    run_ok(at)
    assert scene(at).steps == 60
    assert scene(at).start == Scene.default().start
    assert any("start: '1,2' is not x,y" in e for e in errors(at)), errors(at)


HOSTILE_LABELS = {
    "script": "<script>alert(1)</script>",
    "img": "<img src=x onerror=alert(1)>",
    "bold": "**bold**",
    "latex": "$\\frac{1}{0}$",
    "link": "[click](http://example.com)",
    "image": "![x](http://127.0.0.1:9/pixel.png)",
    "entity": "&lt;b&gt; &amp; `code` _it_ # h",
}


def enc(text: str) -> str:
    return urlparse.quote(text, safe="")


BIG = "A" * 10_000
URLS = [
    # (id, raw query, expected error substrings (empty: a good link), checks on the scene)
    ("empty", "", [], lambda s: s == Scene.default()),
    ("leading-?", "?surface=booth&steps=30", [], lambda s: (s.surface, s.steps) == ("booth", 30)),
    ("full", "surface=quadratic:cond=25,angle=30&start=-1.5,2&steps=100&run=sgd:lr=0.01&run=adam:lr=0.05,b1=0.8",
     [], lambda s: s.surface_params["cond"] == 25 and s.start == (-1.5, 2.0) and s.runs[1].b1 == 0.8),
    ("label-encoded-separators", "steps=20&run=adam:lr=0.05,label=a%2Cb%2Bc%3Ad%3De%26f+g", [],
     lambda s: s.runs[0].label == "a,b+c:d=e&f g"),
    ("empty-parts", "&&steps=40&&", [], lambda s: s.steps == 40),
    ("custom-formula", "surface=custom&f=x%5E2%2By%5E2&steps=20", [], lambda s: s.formula == "x^2+y^2"),
    ("unknown-surface", "surface=nope&steps=50", ["surface: unknown surface 'nope'", "(its default is used)"],
     lambda s: s.surface == "rosenbrock" and s.steps == 50),
    ("nan-lr", "steps=50&run=sgd:lr=nan", ["lr='nan' is not", "(its default is used)"],
     lambda s: s.runs[0].optimizer == "sgd" and s.runs[0].lr == OPTIMIZERS["sgd"].lr and s.steps == 50),
    ("inf-lr", "steps=50&run=adam:lr=inf,b1=0.5", ["lr='inf' is not"],
     lambda s: s.runs[0].lr == OPTIMIZERS["adam"].lr and s.runs[0].b1 == 0.5),
    ("negative-lr", "steps=50&run=sgd:lr=-1", ["out of range"], lambda s: s.runs[0].lr > 0),
    ("nine-runs", "steps=20&" + "&".join(f"run=sgd:lr=0.00{k + 1}" for k in range(9)),
     ["9 runs given; at most 8", "(the first 8 are kept)"],
     lambda s: [r.lr for r in s.runs] == [0.001 * (k + 1) for k in range(8)]),
    ("garbage-bytes", "surface=%FF%FE%FD&steps=%C3%28", ["surface: unknown surface", "steps: steps="],
     lambda s: s.surface == "rosenbrock" and s.steps == Scene.default().steps),
    ("raw-non-ascii", "surface=ü&steps=30", ["unknown surface 'ü'"], lambda s: s.steps == 30),
    ("nul", "%00", ["is not key=value", "(ignored)"], lambda s: s == Scene.default()),
    ("nul-value", "steps=%00&surface=booth", ["steps="], lambda s: s.surface == "booth"),
    ("unknown-key", "foo=bar&steps=50", ["'foo': unknown key", "(ignored)"], lambda s: s.steps == 50),
    ("twice", "steps=10&steps=20", ["steps: given twice"], lambda s: s.steps == 10),
    ("steps-zero", "steps=0", ["out of range"], lambda s: s.steps == Scene.default().steps),
    ("steps-huge", "steps=10001", ["out of range"], lambda s: s.steps == Scene.default().steps),
    ("steps-float", "steps=1.5", ["not a whole number"], lambda s: s.steps == Scene.default().steps),
    ("start-far", "start=1e9,0&steps=30", ["out of range"], lambda s: s.start == Scene.default().start),
    ("start-one-number", "start=1&steps=30", ["is not x,y"], lambda s: s.steps == 30),
    ("f-without-custom", "surface=booth&f=x", ["needs surface=custom"], lambda s: s.surface == "booth" and s.formula is None),
    ("formula-import", "surface=custom&f=__import__(%27os%27)", ["'__import__' is not allowed"],
     lambda s: s.surface == "custom" and "__import__" not in (s.formula or "")),
    ("formula-dunder-attr", "surface=custom&f=x.__class__", ["f:"], lambda s: s.surface == "custom"),
    ("formula-10kb", "surface=custom&f=" + "x%2B" * 2500 + "y", ["characters long", "(the default scene is shown)"],
     lambda s: s == Scene.default()),
    ("label-10kb", "run=sgd:lr=0.01,label=" + BIG, ["characters long"], lambda s: s == Scene.default()),
    ("label-5kb", "steps=30&run=sgd:lr=0.01,label=" + "B" * 5000, ["label is 5000 characters long"],
     lambda s: s.runs[0].label == "" and s.runs[0].lr == 0.01),
    ("label-control", "steps=30&run=sgd:lr=0.01,label=%07bell", ["control characters"], lambda s: s.runs[0].label == ""),
    ("unknown-optimizer", "run=sgd&run=rocket:lr=1", ["unknown optimizer 'rocket'", "(run 2 is left out)"],
     lambda s: [r.optimizer for r in s.runs] == ["sgd"]),
    ("hostile-optimizer", "run=" + enc(HOSTILE_LABELS["img"]) + enc("**b**") + "&run=adam",
     ["unknown optimizer", "(run 1 is left out)"], lambda s: [r.optimizer for r in s.runs] == ["adam"]),
    ("foreign-hyper", "run=sgd:lr=0.01,momentum=0.9", ["sgd takes no momentum"], lambda s: s.runs[0].lr == 0.01),
    ("unknown-schedule", "run=adam:schedule=weird", ["unknown schedule 'weird'"],
     lambda s: s.runs[0].schedule == "constant"),
    ("cond-too-small", "surface=quadratic:cond=0.5", ["cond="], lambda s: s.surface_params["cond"] == 10),
    ("hide-out-of-range", "hide=2,9", ["hide", "(that run stays shown)"], lambda s: s.viewer.hide == (2,)),
    ("step-beyond-steps", "steps=50&step=60", ["step", "out of range"], lambda s: s.viewer.step is None),
    ("view-unknown", "view=4d&speed=2", ["view: '4d' is not a view"],
     lambda s: s.viewer == Viewer(speed=2.0)),
    *[(f"label-{k}", f"steps=20&run=sgd:lr=0.001,label={enc(v)}", [], lambda s, v=v: s.runs[0].label == v)
      for k, v in HOSTILE_LABELS.items()],
]


@pytest.mark.parametrize(("raw", "expected", "check"), [u[1:] for u in URLS], ids=[u[0] for u in URLS])
def test_address_table(open_url, raw, expected, check):
    at = open_url(raw)
    want, problems = parse_lenient(raw)
    p = payload(at)
    s = Scene.from_query(p["query"]).replace(viewer=want.viewer)
    assert s == want, "the page shows what the parser keeps, defaults for the bad keys"
    assert check(want)
    values = p["viewer"]["values"]
    assert values["hide"] == list(want.viewer.hide) and values["view"] == want.viewer.view
    shown = errors(at)
    assert len(shown) == len(problems), shown
    for problem in problems:
        assert any(problem.explained() in e for e in shown), (problem.explained(), shown)
    for part in expected:
        assert any(part in e for e in shown), (part, shown)
    if not expected:
        assert not shown, shown
    assert all(e.startswith("The link has a problem: ") for e in shown)


def markdown_texts(at: AppTest) -> list[tuple[str, str]]:
    """Every piece of text the frontend renders as markdown (bodies of
    markdown, captions and alerts, the cells and headers of static tables),
    except titles and widget labels."""
    out = []
    for node in at._tree:
        kind = getattr(node, "type", "")
        if kind in ("markdown", "caption", "error", "warning", "info", "success"):
            out.append((kind, node.proto.body))
        elif kind == "table":
            frame = node.value
            out += [(kind, str(text)) for text in [*frame.columns, *frame.to_numpy().ravel()]]
    return out


def title_texts(at: AppTest) -> list[tuple[str, str]]:
    """Expander titles and widget labels: rendered as (inline) markdown too."""
    out = []
    for node in at._tree:
        kind = getattr(node, "type", "")
        if kind in ("expander", "popover"):
            label = getattr(node, "label", None)
            if label is None:  # AppTest has no popover class: read the proto
                label = getattr(getattr(node.proto, kind, None), "label", "")
            out.append((kind, label))
        elif isinstance(node, Widget) and getattr(node, "label", None):
            out.append((kind, node.label))
    return out


def _divergent_hostile_url(label: str) -> str:
    # run 1 diverges, so its label also goes into the warning; all go into the update rules
    return ("surface=quadratic:cond=10,angle=0&steps=50"
            f"&run=sgd:lr=1,label={enc(label)}&run=momentum:lr=0.01,label={enc(label + ' 2')}")


@pytest.mark.parametrize("label", list(HOSTILE_LABELS.values()), ids=list(HOSTILE_LABELS))
def test_hostile_label_is_escaped_in_markdown(open_url, label):
    at = open_url(_divergent_hostile_url(label))
    assert scene(at).runs[0].label == label
    assert payload(at)["runs"][0]["label"] == label, "the player gets the plain text (it escapes it itself)"
    assert at.warning, "the divergence warning names the run"
    texts = markdown_texts(at)
    assert any(label in unescape_md(t) for _, t in texts), "the label is shown"
    for kind, text in texts:
        assert label not in text, f"{kind} shows the label unescaped: {text!r}"


@pytest.mark.parametrize("label", [HOSTILE_LABELS[k] for k in ("bold", "latex", "image")], ids=["bold", "latex", "image"])
def test_hostile_label_is_escaped_in_titles(open_url, label):
    at = open_url(f"steps=20&run=sgd:lr=0.001,label={enc(label)}")
    for kind, text in title_texts(at):
        assert label not in text, f"{kind} title shows the label as markdown: {text!r}"


@pytest.mark.parametrize("label", [HOSTILE_LABELS[k] for k in ("bold", "link", "image")], ids=["bold", "link", "image"])
def test_hostile_label_is_escaped_in_the_run_picker(open_url, label):
    at = open_url(f"steps=20&run=sgd:lr=0.001,label={enc(label)}")
    (option,) = at.radio("pick").options
    assert label in unescape_md(option), "the label is shown"
    assert label not in option, f"the run picker renders the label as markdown: {option!r}"


def test_hostile_optimizer_id_is_escaped_in_the_link_error(open_url):
    at = open_url("run=" + enc("<img src=x onerror=alert(1)>**b**") + "&run=adam")
    (body,) = [e.value for e in at.error]
    assert not re.search(r"(?<!\\)[<>*]", body), f"unescaped markdown/HTML in {body!r}"
    assert "<img src=x onerror=alert(1)>**b**" in unescape_md(body)


# ---------------------------------------------------------------- summary table


def table_of(at: AppTest) -> dict[str, list[str]]:
    """The summary, read back from its Markdown table (cells split at
    unescaped bars, then unescaped)."""
    (text,) = [m.value for m in at.markdown if m.value.startswith("| ")]
    lines = text.splitlines()
    split = [[unescape_md(cell.strip()) for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]
    header, body = split[0], split[2:]
    return {column: [row[i] for row in body] for i, column in enumerate(header)}


def test_summary_table_has_a_row_per_run(open_url):
    label = HOSTILE_LABELS["image"]
    at = open_url(_divergent_hostile_url(label))
    shown = table_of(at)
    s = scene(at)
    rows = summarize(simulate(s), landmarks.of(s))
    assert shown["run"] == [label, label + " 2"]
    assert shown["optimizer"] == ["SGD", "Momentum"]
    assert shown["diverged at step"] == [str(payload(at)["runs"][0]["diverged_at"]), "—"]
    assert shown["final loss"] == [format(r["final_loss"], ".4g") for r in rows]
    assert shown["distance to nearest minimum"][1] == format(float(np.linalg.norm(run_xy(at, 1)[-1])), ".3g"), \
        "the quadratic's minimum is the origin"
    assert "clipped steps" in shown


ARRIVALS = ("surface=quadratic:cond=10,angle=0&start=-2,0&steps=100"
            "&run=momentum:lr=0.01,momentum=0.97&run=sgd:lr=0.05&run=sgd:lr=0.001&run=sgd:lr=3")


def _arrival(loss: np.ndarray, f_min: float, diverged: bool) -> str:
    """The arrival column, worked out from the player's loss curve."""
    within = loss.astype(np.float64) - f_min <= 1e-3
    if diverged or not within.any():
        return "—"
    stayed = next(k for k in range(len(within)) if within[k:].all()) if within[-1] else None
    return f"{stayed} (and stayed)" if stayed is not None else f"passed at {int(np.argmax(within))}, left again"


def test_summary_says_when_a_run_arrived_and_whether_it_stayed(open_url):
    at = open_url(ARRIVALS)
    column = table_of(at)["within 0.001 of the minimum from step"]
    runs = payload(at)["runs"]
    f_min = 0.0  # the quadratic's minimum value
    want = [_arrival(decode(r["loss"]), f_min, r["diverged_at"] is not None) for r in runs]
    assert column == want
    assert column[0].startswith("passed at ") and column[1].endswith(" (and stayed)"), column
    assert column[2] == column[3] == "—", "never arrived; diverged"


def test_a_flow_that_stops_short_says_where_and_why(open_url):
    """flow=1 on a plane: the flow leaves the window (and the solve stops)
    while the run goes on; the page says so beside the run's label, and
    keeps it back while a question is open."""
    link = "surface=custom&f=x-y&start=0.5,0.5&steps=2000&run=sgd:lr=0.01,label=down+the+plane&flow=1"
    at = open_url(link)
    (run,) = payload(at)["runs"]
    said = [unescape_md(m.value) for m in at.main.info if "its flow stops" in m.value]
    assert said == [f"**down the plane**: its flow stops at step {simulate(scene(at)).runs[0].flow_stops_at}: it left "
                    "the window. The run goes on; its flow is drawn up to there."]
    assert run["leaves_flow_at"] is None
    assert not [m for m in open_url(link + "&predict=1").main.info if "its flow stops" in m.value]
