"""Page-level tests of `page.py` with Streamlit's AppTest (no browser).

Every check reads the scene the page produced from the player component's
arguments (`json_args` of the `component_instance` element): its `query` is
the canonical scene the browser receives, and its run arrays are what the
player draws.

How the page sees its address under AppTest: the app parses the raw query
string on the script-run context (`get_script_run_ctx().query_string`).
AppTest does populate it, but from `at.query_params` through
`urllib.parse.urlencode`, which percent-encodes `,` `:` `=`; in the scene
language an encoded separator is a literal character, so
`at.query_params["start"] = "1,2"` reaches the app as `start=1%2C2` (one atom,
an error). A browser sends the address as typed. To test the browser's path,
the `open_url` fixture routes an exact raw query string through AppTest's
runner; `test_apptest_query_params_arrive_encoded` pins the plain path.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib import parse as urlparse

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Widget

from visualizer import Scene, simulate
from visualizer.optimizers import OPTIMIZERS
from visualizer.results import summarize
from visualizer.scene import CLIP_NORM, MAX_RUNS, parse_lenient

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "page.py")
TIMEOUT = 60  # the first run of a session imports JAX and compiles

_RAW_KEY = "\x00raw-query"  # never a real query key: marks a raw query string


@pytest.fixture(autouse=True)
def _repo_root_cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


# ---------------------------------------------------------------- helpers


def new_app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def run_ok(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def payload(at: AppTest) -> dict:
    players = at.get("component_instance")
    assert len(players) == 1, "the page shows exactly one player"
    assert players[0].proto.component_name.endswith("player")
    return json.loads(players[0].proto.json_args)["payload"]


def query(at: AppTest) -> str:
    return payload(at)["query"]


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


def unescape_md(text: str) -> str:
    """Markdown backslash escapes removed: the text a reader sees."""
    return re.sub(r"\\(.)", r"\1", text)


def errors(at: AppTest) -> list[str]:
    return [unescape_md(e.value) for e in at.error]


def sidebar_errors(at: AppTest) -> list[str]:
    return [unescape_md(e.value) for e in at.sidebar.error]


def button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    assert len(found) == 1, f"one {label!r} button"
    return found[0]


@pytest.fixture(scope="module")
def default_scene() -> Scene:
    return Scene.default()


@pytest.fixture
def app() -> AppTest:
    return run_ok(new_app())


@pytest.fixture
def open_url(monkeypatch):
    """Open the page at an exact raw query string, as a browser sends it."""
    import streamlit.testing.v1.local_script_runner as lsr

    real = lsr.parse

    class _RawQueryParse:
        def __getattr__(self, name):
            return getattr(real, name)

        @staticmethod
        def urlencode(query, *args, **kwargs):
            if isinstance(query, dict) and _RAW_KEY in query:
                return query[_RAW_KEY]
            return real.urlencode(query, *args, **kwargs)

    monkeypatch.setattr(lsr, "parse", _RawQueryParse())

    def open_(raw: str) -> AppTest:
        at = new_app()
        at.query_params[_RAW_KEY] = raw
        return run_ok(at)

    return open_


# ---------------------------------------------------------------- default page


def test_default_page_loads(app, default_scene):
    assert query(app) == default_scene.to_query()
    p = payload(app)
    assert set(p) >= {"query", "surface", "start", "steps", "runs", "view"}
    assert len(p["runs"]) == len(default_scene.runs)
    assert p["steps"] == default_scene.steps
    assert not app.error, errors(app)
    # the paths the player gets are the engine's paths
    result = simulate(default_scene)
    for i, r in enumerate(result.runs):
        np.testing.assert_array_equal(run_xy(app, i), np.asarray(r.xy, dtype="<f4"))
    assert app.get("download_button"), "downloads are offered"


def test_rerun_without_change_keeps_the_scene(app):
    before = query(app)
    run_ok(app)
    assert query(app) == before


# ---------------------------------------------------------------- controls


def test_surface_switch_loads_that_surfaces_default_runs(app):
    app.selectbox("surface").set_value("himmelblau")
    run_ok(app)
    assert query(app) == Scene.default("himmelblau").to_query()
    assert payload(app)["surface"]["name"] == "Himmelblau"
    app.selectbox("surface").set_value("quadratic")
    run_ok(app)
    assert query(app) == Scene.default("quadratic").to_query()


def test_condition_number_and_angle(app):
    app.selectbox("surface").set_value("quadratic")
    run_ok(app)
    z0 = decode(payload(app)["surface"]["z"])
    app.select_slider("cond").set_value(100.0)
    run_ok(app)
    assert scene(app).surface_params["cond"] == 100.0
    z1 = decode(payload(app)["surface"]["z"])
    assert not np.array_equal(z0, z1), "the surface grid follows cond"
    app.slider("angle").set_value(45.0)
    run_ok(app)
    s = scene(app)
    assert s.surface_params["angle"] == 45.0 and s.surface_params["cond"] == 100.0
    assert "surface=quadratic:cond=100,angle=45" in query(app)


def test_start_point(app):
    app.number_input("start_x").set_value(0.5)
    run_ok(app)
    app.number_input("start_y").set_value(-0.25)
    run_ok(app)
    assert scene(app).start == (0.5, -0.25)
    assert payload(app)["start"] == [0.5, -0.25]
    for i in range(len(payload(app)["runs"])):
        assert tuple(run_xy(app, i)[0]) == (0.5, -0.25), "every path starts there"
    button(app, "Reset start").click()
    run_ok(app)
    assert scene(app).start == Scene.default().start


def test_steps(app):
    app.number_input("steps").set_value(123)
    run_ok(app)
    s = scene(app)
    assert s.steps == 123 and payload(app)["steps"] == 123
    for i, run in enumerate(payload(app)["runs"]):
        if run["diverged_at"] is None:
            assert len(run_xy(app, i)) == 124


def test_learning_rate(app, default_scene):
    before = run_xy(app, 0)
    app.select_slider("r0_lr").set_value(0.002)
    run_ok(app)
    s = scene(app)
    assert s.runs[0].lr == 0.002
    assert s.runs[1:] == default_scene.runs[1:], "other runs untouched"
    assert not np.array_equal(before, run_xy(app, 0)), "the path follows the learning rate"
    np.testing.assert_allclose(decode(payload(app)["runs"][0]["lr"]), 0.002, rtol=1e-6)


def test_hyperparameter(app):
    rid = next(i for i, r in enumerate(scene(app).runs) if r.optimizer == "momentum")
    before = run_xy(app, rid)
    app.slider(f"r{rid}_h_momentum").set_value(0.5)
    run_ok(app)
    assert scene(app).runs[rid].hyper["momentum"] == 0.5
    assert not np.array_equal(before, run_xy(app, rid))


def test_optimizer_change_resets_its_hyperparameters(app):
    app.selectbox("r0_opt").set_value("adam")
    run_ok(app)
    run = scene(app).runs[0]
    adam = OPTIMIZERS["adam"]
    assert run.optimizer == "adam"
    assert run.lr == adam.lr_default
    assert dict(run.hyper) == {h.name: float(h.default) for h in adam.hypers}
    keys = {w.key for w in app.sidebar.slider}
    assert {"r0_h_b1", "r0_h_b2"} <= keys, "Adam's sliders are shown"


def test_optimizer_change_does_not_keep_a_stale_optimizer_label(app):
    assert scene(app).runs[0].label == "SGD"
    app.selectbox("r0_opt").set_value("adam")
    run_ok(app)
    assert "SGD" not in simulate(scene(app)).runs[0].label


def test_schedule_and_its_parameters(app):
    app.selectbox("r0_sched").set_value("step")
    run_ok(app)
    run = scene(app).runs[0]
    assert run.schedule == "step" and dict(run.schedule_params) == {"step_size": 100, "gamma": 0.5}
    app.number_input("r0_s_step_size").set_value(20)
    run_ok(app)
    app.slider("r0_s_gamma").set_value(0.25)
    run_ok(app)
    run = scene(app).runs[0]
    assert dict(run.schedule_params) == {"step_size": 20, "gamma": 0.25}
    assert "schedule=step,step_size=20,gamma=0.25" in query(app)
    lr = decode(payload(app)["runs"][0]["lr"])
    assert lr[0] == pytest.approx(run.lr) and lr[20] == pytest.approx(run.lr * 0.25)
    app.selectbox("r0_sched").set_value("constant")
    run_ok(app)
    assert scene(app).runs[0].schedule == "constant"


def test_clip_by_value(app):
    app.checkbox("r0_clipv_on").check()
    run_ok(app)
    assert scene(app).runs[0].clip_value == 1.0
    app.select_slider("r0_clipv").set_value(0.5)
    run_ok(app)
    assert scene(app).runs[0].clip_value == 0.5
    assert "clip_value=0.5" in query(app)
    app.checkbox("r0_clipv_on").uncheck()
    run_ok(app)
    assert scene(app).runs[0].clip_value is None


def test_clip_by_norm(app):
    app.checkbox("r0_clipn_on").check()
    run_ok(app)
    assert scene(app).runs[0].clip_norm == CLIP_NORM.default
    app.select_slider("r0_clipn").set_value(3.0)
    run_ok(app)
    assert scene(app).runs[0].clip_norm == 3.0
    assert payload(app)["runs"][0]["clip_norm"] == 3.0
    app.checkbox("r0_clipn_on").uncheck()
    run_ok(app)
    assert scene(app).runs[0].clip_norm is None


def test_noise_and_seed(app):
    clean = run_xy(app, 2)
    app.number_input("r2_noise").set_value(0.5)
    run_ok(app)
    assert scene(app).runs[2].noise == 0.5
    noisy0 = run_xy(app, 2)
    assert not np.array_equal(clean, noisy0)
    app.number_input("r2_seed").set_value(7)
    run_ok(app)
    assert scene(app).runs[2].seed == 7
    assert not np.array_equal(noisy0, run_xy(app, 2)), "another seed, another noise"


def test_label(app):
    app.text_input("r0_label").input("my run, a+b=c: 1&2")
    run_ok(app)
    assert scene(app).runs[0].label == "my run, a+b=c: 1&2"
    assert payload(app)["runs"][0]["label"] == "my run, a+b=c: 1&2"
    spec = query(app).split("&run=")[1]
    assert all(code in spec for code in ("%2C", "%2B", "%3D", "%3A", "%26")), "separators travel encoded"


def test_add_duplicate_remove_runs(app, default_scene):
    n = len(default_scene.runs)
    button(app, "Add run").click()
    run_ok(app)
    s = scene(app)
    assert len(s.runs) == n + 1 and s.runs[-1].optimizer == "adam"
    app.button("r1_dup").click()
    run_ok(app)
    s = scene(app)
    assert len(s.runs) == n + 2 and s.runs[2] == s.runs[1], "the copy comes right after its original"
    app.button("r0_del").click()
    run_ok(app)
    s = scene(app)
    assert len(s.runs) == n + 1 and s.runs[0] == default_scene.runs[1]
    assert len(payload(app)["runs"]) == n + 1


def test_run_count_limits(app):
    while len(scene(app).runs) < MAX_RUNS:
        button(app, "Add run").click()
        run_ok(app)
    assert button(app, "Add run").disabled
    assert all(b.disabled for b in app.button if b.key and b.key.endswith("_dup"))
    while len(scene(app).runs) > 1:
        rid = next(b.key for b in app.button if b.key and b.key.endswith("_del"))
        app.button(rid).click()
        run_ok(app)
    assert len(scene(app).runs) == 1
    assert all(b.disabled for b in app.button if b.key and b.key.endswith("_del"))


def test_custom_formula_good_and_bad(app):
    app.selectbox("surface").set_value("custom")
    run_ok(app)
    assert scene(app).surface == "custom"
    z0 = decode(payload(app)["surface"]["z"])
    app.text_input("formula").input("x^2 + (y - 1)^2")
    run_ok(app)
    assert scene(app).formula == "x^2 + (y - 1)^2"
    z1 = decode(payload(app)["surface"]["z"])
    assert not np.array_equal(z0, z1), "a good formula changes the surface"
    assert not app.sidebar.error
    app.text_input("formula").input("__import__('os').system('true')")
    run_ok(app)
    assert any("__import__" in e and "not allowed" in e for e in sidebar_errors(app)), sidebar_errors(app)
    assert scene(app).formula == "x^2 + (y - 1)^2", "the last good formula stays"
    np.testing.assert_array_equal(decode(payload(app)["surface"]["z"]), z1)
    app.text_input("formula").input("sin(x) * cos(y)")
    run_ok(app)
    assert scene(app).formula == "sin(x) * cos(y)" and not app.sidebar.error


def test_plot_window(app):
    app.checkbox("window_on").check()
    run_ok(app)
    app.number_input("win_x1").set_value(1.5)
    run_ok(app)
    assert scene(app).surface_params["window"] == ((-2.0, 1.5), (-1.0, 3.0))
    app.number_input("win_x0").set_value(3.0)  # xmin > xmax: refused
    run_ok(app)
    assert any("xmin < xmax" in e for e in sidebar_errors(app))
    assert scene(app).surface_params["window"] == ((-2.0, 1.5), (-1.0, 3.0)), "the last good window stays"


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
     [], lambda s: s.surface_params["cond"] == 25 and s.start == (-1.5, 2.0) and s.runs[1].hyper["b1"] == 0.8),
    ("label-encoded-separators", "steps=20&run=adam:lr=0.05,label=a%2Cb%2Bc%3Ad%3De%26f+g", [],
     lambda s: s.runs[0].label == "a,b+c:d=e&f g"),
    ("empty-parts", "&&steps=40&&", [], lambda s: s.steps == 40),
    ("unknown-surface", "surface=nope&steps=50", ["surface: unknown surface 'nope'"],
     lambda s: s.surface == "rosenbrock" and s.steps == 50),
    ("nan-lr", "steps=50&run=sgd:lr=nan", ["lr='nan' is not"],
     lambda s: s.runs[0].optimizer == "sgd" and s.runs[0].lr == OPTIMIZERS["sgd"].lr_default and s.steps == 50),
    ("inf-lr", "steps=50&run=adam:lr=inf,b1=0.5", ["lr='inf' is not"],
     lambda s: s.runs[0].lr == OPTIMIZERS["adam"].lr_default and s.runs[0].hyper["b1"] == 0.5),
    ("negative-lr", "steps=50&run=sgd:lr=-1", ["out of range"], lambda s: s.runs[0].lr > 0),
    ("nine-runs", "steps=20&" + "&".join(f"run=sgd:lr=0.00{k + 1}" for k in range(9)),
     ["9 runs given; at most 8"], lambda s: len(s.runs) == 8),
    ("garbage-bytes", "surface=%FF%FE%FD&steps=%C3%28", ["surface: unknown surface", "steps: steps="],
     lambda s: s.surface == "rosenbrock" and s.steps == Scene.default().steps),
    ("raw-non-ascii", "surface=ü&steps=30", ["unknown surface 'ü'"], lambda s: s.steps == 30),
    ("nul", "%00", ["is not key=value"], lambda s: s == Scene.default()),
    ("nul-value", "steps=%00&surface=booth", ["steps="], lambda s: s.surface == "booth"),
    ("unknown-key", "foo=bar&steps=50", ["'foo': unknown key"], lambda s: s.steps == 50),
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
    ("formula-10kb", "surface=custom&f=" + "x%2B" * 2500 + "y", ["characters long"], lambda s: s == Scene.default()),
    ("label-10kb", "run=sgd:lr=0.01,label=" + BIG, ["characters long"], lambda s: s == Scene.default()),
    ("label-5kb", "steps=30&run=sgd:lr=0.01,label=" + "B" * 5000, ["label is 5000 characters long"],
     lambda s: s.runs[0].label == "" and s.runs[0].lr == 0.01),
    ("label-control", "steps=30&run=sgd:lr=0.01,label=%07bell", ["control characters"], lambda s: s.runs[0].label == ""),
    ("unknown-optimizer", "run=sgd&run=rocket:lr=1", ["unknown optimizer 'rocket'"],
     lambda s: [r.optimizer for r in s.runs] == ["sgd"]),
    ("hostile-optimizer", "run=" + enc(HOSTILE_LABELS["img"]) + enc("**b**") + "&run=adam", ["unknown optimizer"],
     lambda s: [r.optimizer for r in s.runs] == ["adam"]),
    ("foreign-hyper", "run=sgd:lr=0.01,momentum=0.9", ["sgd takes no momentum"], lambda s: s.runs[0].lr == 0.01),
    ("unknown-schedule", "run=adam:schedule=weird", ["unknown schedule 'weird'"],
     lambda s: s.runs[0].schedule == "constant"),
    ("cond-too-small", "surface=quadratic:cond=0.5", ["cond="], lambda s: s.surface_params["cond"] == 10),
    *[(f"label-{k}", f"steps=20&run=sgd:lr=0.001,label={enc(v)}", [], lambda s, v=v: s.runs[0].label == v)
      for k, v in HOSTILE_LABELS.items()],
]


@pytest.mark.parametrize(("raw", "expected", "check"), [u[1:] for u in URLS], ids=[u[0] for u in URLS])
def test_address_table(open_url, raw, expected, check):
    at = open_url(raw)
    want, messages = parse_lenient(raw)
    if want.surface == "custom" and "window" not in want.surface_params:
        # the page always spells out a custom surface's window
        want = want.replace(surface_params={**want.surface_params, "window": want.surface_model().window})
    s = scene(at)
    assert s == want, "the page shows what the parser keeps, defaults for the bad keys"
    assert check(s)
    shown = errors(at)
    assert len(shown) == len(messages), shown
    for message in messages:
        assert any(message in e for e in shown), (message, shown)
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


def test_summary_table_has_a_row_per_run(open_url):
    label = HOSTILE_LABELS["image"]
    at = open_url(_divergent_hostile_url(label))
    (table,) = at.table
    frame = table.value
    shown = {unescape_md(column): [unescape_md(str(v)) for v in frame[column]] for column in frame.columns}
    rows = summarize(simulate(scene(at)))
    assert shown["run"] == [label, label + " 2"]
    assert shown["optimizer"] == ["SGD", "Momentum"]
    assert shown["diverged at step"] == [str(rows[0]["diverged_at"]), "—"]
    assert shown["final loss"] == [format(r["final_loss"], ".4g") for r in rows]
    assert "steps to loss ≤ min + 1e-3" in shown and "clipped steps" in shown


def test_hostile_optimizer_id_is_escaped_in_the_link_error(open_url):
    at = open_url("run=" + enc("<img src=x onerror=alert(1)>**b**") + "&run=adam")
    (body,) = [e.value for e in at.error]
    assert not re.search(r"(?<!\\)[<>*]", body), f"unescaped markdown/HTML in {body!r}"
    assert "<img src=x onerror=alert(1)>**b**" in unescape_md(body)


@pytest.mark.parametrize("label", [HOSTILE_LABELS[k] for k in ("bold", "latex", "image")], ids=["bold", "latex", "image"])
def test_hostile_label_is_escaped_in_titles(open_url, label):
    at = open_url(f"steps=20&run=sgd:lr=0.001,label={enc(label)}")
    for kind, text in title_texts(at):
        assert label not in text, f"{kind} title shows the label as markdown: {text!r}"
