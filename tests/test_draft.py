"""The page's draft (visualizer/page/draft.py), without Streamlit: what every
control shows (`values`) and what each change does (`apply`, the run
buttons, a start clicked on the plot).

A numeric control's typed twin `<key>.typed` is a text box: it shows the value
as text (`number_text`: "0.001", "1e-08") and sends what was typed as text,
which `apply` parses; text it refuses stays in the box with its problem.

Two invariants hold after any change: the draft's scene is valid (its
canonical form parses to itself) and `apply` raises nothing; a value that is
not allowed leaves the scene as it was and records a problem under the
control's key.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visualizer.core import surfaces
from visualizer.core.knobs import Choice, number_text
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.run import SETTINGS, Run
from visualizer.core.scene import MAX_RUNS, Scene
from visualizer.core.schedules import SCHEDULES
from visualizer.core.surfaces import FORMULA
from visualizer.page import draft as drafts
from visualizer.page.draft import TYPED, apply, values

SURFACE_IDS = list(surfaces.SURFACES)
WINDOW_EDGES = ("window.x0", "window.x1", "window.y0", "window.y1")

# One run with every kind of key: hyperparameters, a schedule with an integer
# and a float parameter, both clips, noise, seed, its own start and a label.
FULL = ("surface=quadratic:cond=25,angle=30&start=-2,1&steps=100"
        "&run=sgd:lr=0.1,label=plain"
        "&run=adamw:lr=0.05,b1=0.8,b2=0.99,eps=1e-08,weight_decay=0.01,schedule=step,step_size=20,gamma=0.5,"
        "clip_value=2,clip_norm=3,noise=0.1,seed=4,x0=0.5,y0=-0.5,label=Mine"
        "&run=momentum:lr=0.02,momentum=0.9")


def draft_of(query: str = "", selected: int = 0) -> drafts.Draft:
    return drafts.from_scene(Scene.from_query(query), selected)


def assert_valid(d: drafts.Draft) -> None:
    assert isinstance(d, drafts.Draft)
    assert Scene.from_query(d.scene.to_query()) == d.scene, d.scene.to_query()
    assert 1 <= len(d.scene.runs) <= MAX_RUNS
    assert 0 <= d.selected < len(d.scene.runs)


def assert_rejected(before: drafts.Draft, after: drafts.Draft, control: str) -> str:
    """`after` refused the change of `control`: same scene, a problem shown."""
    assert after.scene == before.scene, "a refused value leaves the scene as it was"
    problem = after.problems.get(control.removesuffix(TYPED))
    assert problem, f"no problem recorded for {control}: {after.problems}"
    return problem


def numeric_controls(d: drafts.Draft) -> list[str]:
    return [k for k in values(d) if drafts.knob_of(d, k) is not None]


# ---------------------------------------------------------------- what the controls show


@pytest.mark.parametrize("surface_id", SURFACE_IDS)
def test_values_of_a_default_draft_are_its_scene(surface_id):
    scene = Scene.default(surface_id)
    model = surfaces.SURFACES[surface_id]
    for selected, run in enumerate(scene.runs):
        shown = values(drafts.from_scene(scene, selected))
        assert shown["surface"] == surface_id
        assert shown["f"] == (scene.formula or "")
        assert shown["window.on"] is False
        assert [shown[k] for k in WINDOW_EDGES] == [v for edge in model.window for v in edge]
        assert (shown["start.x"], shown["start.y"]) == tuple(model.start)
        assert shown["steps"] == model.steps and isinstance(shown["steps"], int)
        assert shown["pick"] == selected
        assert shown["run.optimizer"] == run.optimizer
        for p in model.params:
            assert shown[f"surface.{p.name}"] == p.default
        # exactly the selected run's keys (a network's own only on a network), at their values
        network = model.kind == surfaces.NETWORK
        keys = [k for k in run.keys() if network or not k.model_only]
        run_controls = {k for k in shown if k.startswith("run.") and not k.endswith((TYPED, ".on"))}
        assert run_controls == {"run.optimizer"} | {f"run.{k.name}" for k in keys}
        for key in keys:
            value = run.values[key.name]
            if value is not None:
                assert shown[f"run.{key.name}"] == value, key.name
        for name in ("clip_value", "clip_norm"):
            assert shown[f"run.{name}.on"] is (run.values[name] is not None)
        assert shown["run.start.on"] is False
        # a switched-off own start shows where the run starts: the scene's start
        assert (shown["run.x0"], shown["run.y0"]) == tuple(model.start)
        # every numeric control has its typed twin, showing the same value as text that reads back exactly
        for key in numeric_controls(drafts.from_scene(scene, selected)):
            if not key.endswith(TYPED):
                assert shown[key + TYPED] == number_text(shown[key]), key
                assert float(shown[key + TYPED]) == shown[key], key


def test_values_of_a_full_run():
    d = draft_of(FULL, selected=1)
    shown = values(d)
    assert shown["surface.cond"] == 25.0 and shown["surface.angle"] == 30.0
    assert (shown["run.lr"], shown["run.b1"], shown["run.weight_decay"]) == (0.05, 0.8, 0.01)
    assert shown["run.schedule"] == "step" and shown["run.step_size"] == 20 and shown["run.gamma"] == 0.5
    assert isinstance(shown["run.step_size"], int) and isinstance(shown["run.seed"], int)
    assert shown["run.clip_value.on"] and shown["run.clip_norm.on"] and shown["run.start.on"]
    assert (shown["run.clip_value"], shown["run.clip_norm"]) == (2.0, 3.0)
    assert (shown["run.x0"], shown["run.y0"]) == (0.5, -0.5)
    assert shown["run.label"] == "Mine"
    assert "run.momentum" not in shown, "only the selected run's controls"


def test_own_start_switch_is_on_when_either_coordinate_is_given():
    d = draft_of("surface=booth&run=sgd:lr=0.01,x0=1")
    assert d.scene.start_of(d.run)[0] == 1.0
    assert values(d)["run.start.on"] is True


@pytest.mark.parametrize("surface_id", ["rosenbrock", "quadratic", "custom", "cliff"])
def test_applying_what_a_control_shows_changes_nothing(surface_id):
    """Every control takes back its own value without a change or a problem
    (run.optimizer aside: a widget reports only a change of optimizer; and
    only controls the sidebar draws)."""
    scene = Scene.default(surface_id)
    for selected in range(len(scene.runs)):
        d = drafts.from_scene(scene, selected)
        shown = values(d)
        for control, value in shown.items():
            base = control.removesuffix(TYPED)
            if base == "run.optimizer" or base in _switched_off(shown):
                continue
            after = apply(d, control, value)
            assert after.scene == d.scene and after.selected == d.selected, control
            assert not after.problems and not after.typed, (control, after.problems)


def _switched_off(shown: dict) -> set[str]:
    """Controls not drawn: a switched-off setting's value, the window's
    edges while the window is off, the formula of a built-in surface."""
    off = set() if shown["window.on"] else set(WINDOW_EDGES)
    if surfaces.SURFACES[shown["surface"]].kind != FORMULA:
        off.add("f")
    for key in SETTINGS:
        switch = drafts.switch_key(key.name)
        if switch in shown and not shown[switch]:
            off.add(f"run.{key.name}")
    return off


# ---------------------------------------------------------------- numbers


def test_every_numeric_control_takes_a_value_in_range_and_refuses_the_rest():
    d = draft_of(FULL, selected=1)
    controls = numeric_controls(d)
    assert {"surface.cond", "surface.angle", "start.x", "steps", "window.x0", "run.lr", "run.b1", "run.eps",
            "run.step_size", "run.gamma", "run.clip_norm", "run.noise", "run.seed", "run.x0",
            "run.lr.typed", "run.b1.typed"} <= set(controls)
    for control in controls:
        knob = drafts.knob_of(d, control)
        base, typed = control.removesuffix(TYPED), control.endswith(TYPED)
        bad = [math.nan, math.inf, -math.inf, knob.high + abs(knob.high) + 1, knob.low - abs(knob.low) - 1, "x",
               None]
        if knob.low_open:
            bad.append(knob.low)
        if knob.integer:
            bad.append(knob.low + 0.5)
        if typed:  # what a text box sends: the same numbers as text, and text that is no number
            bad += [number_text(v) for v in bad if isinstance(v, float)] + ["", "  ", "abc", "1,5", "0x10", "1e999"]
        for value in bad:
            after = apply(d, control, value)
            problem = assert_rejected(d, after, control)
            assert knob.label in problem, problem
            if typed and isinstance(value, str):
                assert values(after)[control] == value, "the refused text stays in the box, to be fixed"
        good = knob.coerce(round((knob.low + knob.high) / 2) if knob.integer else (knob.low + knob.high) / 2)
        for sent in [good, number_text(good)] if typed else [good]:
            after = apply(d, control, sent)
            assert not after.problems and not after.typed, (control, sent, after.problems)
            shown = values(after)
            assert shown[base] == good and type(shown[base]) is type(good), control
            assert shown[base + TYPED] == number_text(good), "twins agree"
            assert_valid(after)


def test_a_problem_goes_when_the_control_gets_a_good_value():
    d = draft_of()
    d = apply(d, "run.lr", -1.0)
    assert "run.lr" in d.problems
    d = apply(d, "run.lr.typed", "0.002")  # the typed twin clears the slider's problem: one control
    assert not d.problems and d.run.lr == 0.002


@pytest.mark.parametrize(("control", "value"), [("run.lr", 0.0023), ("run.lr.typed", "0.0023")])
def test_learning_rate_slider_and_typed_twin(control, value):
    d = draft_of()
    after = apply(d, control, value)
    assert after.run.lr == 0.0023
    assert after.scene.runs[1:] == d.scene.runs[1:], "other runs untouched"
    assert values(after)["run.lr"] == 0.0023 and values(after)["run.lr.typed"] == "0.0023"
    assert "run=sgd:lr=0.0023," in after.scene.to_query()


def test_clip_norm_too_small_for_float32_is_refused():
    d = apply(draft_of(), "run.clip_norm.on", True)
    for control in ("run.clip_norm", "run.clip_norm.typed"):
        assert_rejected(d, apply(d, control, 1e-50), control)
    assert_rejected(d, apply(d, "run.clip_norm.typed", "1e-50"), "run.clip_norm.typed")
    assert apply(d, "run.clip_norm", 1e-30).run.clip_norm == 1e-30, "small but a float32: taken"
    # zero is not "too small": it is below the open range
    assert_rejected(d, apply(d, "run.clip_norm", 0.0), "run.clip_norm")


def test_the_float32_problem_says_why():
    d = apply(draft_of(), "run.clip_norm.on", True)
    problem = apply(d, "run.clip_norm", 1e-50).problems["run.clip_norm"]
    assert "float32" in problem, problem


def test_surface_knobs():
    d = draft_of("surface=quadratic")
    d = apply(d, "surface.cond", 100.0)
    d = apply(d, "surface.angle.typed", "-45")
    assert d.scene.surface_params == {"cond": 100.0, "angle": -45.0}
    assert "surface=quadratic:cond=100,angle=-45&" in d.scene.to_query()
    assert (values(d)["surface.cond"], values(d)["surface.angle"], values(d)["surface.angle.typed"]) == \
        (100.0, -45.0, "-45")
    assert_rejected(d, apply(d, "surface.cond", 0.5), "surface.cond")


def test_start_moves_every_run_without_its_own_start():
    d = draft_of(FULL)
    d = apply(d, "start.x", 0.25)
    d = apply(d, "start.y.typed", "-0.75")
    assert d.scene.start == (0.25, -0.75)
    assert [d.scene.start_of(r) for r in d.scene.runs] == [(0.25, -0.75), (0.5, -0.5), (0.25, -0.75)]
    assert_rejected(d, apply(d, "start.x", 1e6), "start.x")


def test_steps_is_a_whole_number_and_drops_a_viewer_step_beyond_it():
    d = draft_of("steps=300&step=250")
    assert apply(d, "steps", 260).scene.viewer.step == 250, "a step still within the run stays"
    after = apply(d, "steps", 123.0)
    assert after.scene.steps == 123 and isinstance(values(after)["steps"], int)
    assert after.scene.viewer.step is None, "the step shown cannot lie beyond the last step"
    for bad in (0, 10_001, 12.5):
        assert_rejected(d, apply(d, "steps", bad), "steps")


def test_integer_knobs():
    d = draft_of(FULL, selected=1)
    d = apply(d, "run.seed", 7.0)
    d = apply(d, "run.step_size.typed", "30")
    assert d.run.seed == 7 and isinstance(d.run.seed, int)
    assert d.run.step_size == 30 and isinstance(d.run.step_size, int)
    assert "seed=7," in d.scene.to_query() and "step_size=30," in d.scene.to_query()
    assert_rejected(d, apply(d, "run.seed", 7.5), "run.seed")
    assert_rejected(d, apply(d, "run.seed", -1), "run.seed")


# ---------------------------------------------------------------- typed numbers


def test_typing_a_decay_rate_sets_it_exactly():
    d = draft_of(selected=1)  # Momentum, momentum 0.9
    after = apply(d, "run.momentum.typed", "0.95")
    assert after.run.momentum == 0.95 and not after.problems and not after.typed
    assert re.search(r"[:,]momentum=0\.95(,|&|$)", after.scene.to_query()), after.scene.to_query()
    shown = values(after)
    assert (shown["run.momentum"], shown["run.momentum.typed"]) == (0.95, "0.95")
    assert after.scene.runs[0] == d.scene.runs[0] and after.scene.runs[2] == d.scene.runs[2]
    # between the slider's stops just as exactly
    assert apply(d, "run.momentum.typed", "0.955").run.momentum == 0.955


@pytest.mark.parametrize("text", ["0.001", " 0.001 ", "1e-3", "1E-3", ".001", "+0.001", "0.0010", "1e-03"])
def test_any_way_of_writing_a_number_is_taken(text):
    after = apply(draft_of(), "run.lr.typed", text)
    assert after.run.lr == 0.001 and not after.problems and not after.typed
    assert values(after)["run.lr.typed"] == "0.001", "the box then shows the value in its short form"


def test_typed_boxes_show_each_value_as_short_exact_text():
    shown = values(draft_of(selected=2))  # Adam
    assert (shown["run.eps"], shown["run.eps.typed"]) == (1e-8, "1e-08")
    assert (shown["run.b2.typed"], shown["run.lr.typed"]) == ("0.999", "0.05")
    assert shown["steps.typed"] == str(shown["steps"]), "a whole number without '.0'"
    assert shown["start.x.typed"] == number_text(shown["start.x"])


@pytest.mark.parametrize("text", ["abc", "", "   ", "0,5", "1e999", "nan", "5000", "-0.01"])
def test_refused_text_stays_in_the_box_with_a_problem(text):
    d = draft_of()
    after = apply(d, "run.lr.typed", text)
    problem = assert_rejected(d, after, "run.lr.typed")
    assert problem.startswith("Learning rate η: "), problem
    shown = values(after)
    assert shown["run.lr.typed"] == text, "what was typed stays, to be fixed"
    assert shown["run.lr"] == d.run.lr, "the slider shows the rate in use"
    fixed = apply(after, "run.lr.typed", "0.002")
    assert fixed.run.lr == 0.002 and not fixed.problems and not fixed.typed
    assert values(fixed)["run.lr.typed"] == "0.002"
    slid = apply(after, "run.lr", 0.002)
    assert not slid.problems and values(slid)["run.lr.typed"] == "0.002", "a slider move replaces the text too"


def test_refused_text_says_what_is_wrong():
    d = draft_of()
    assert "'abc' is not a number" in apply(d, "run.lr.typed", "abc").problems["run.lr"]
    assert "type a number" in apply(d, "run.lr.typed", " ").problems["run.lr"]
    assert "5000 is not allowed" in apply(d, "run.lr.typed", "5000").problems["run.lr"]
    assert "(0, 1000]" in apply(d, "run.lr.typed", "abc").problems["run.lr"], "and what is allowed"


# ---------------------------------------------------------------- text


def test_formula_good_and_bad():
    d = draft_of("surface=custom")
    good = apply(d, "f", "x^2 + (y - 1)^2")
    assert good.scene.formula == "x^2 + (y - 1)^2" and not good.problems
    bad = apply(good, "f", "x^2 + (y")
    assert bad.scene == good.scene, "the last good formula stays"
    assert values(bad)["f"] == "x^2 + (y", "what was typed stays in the box, to be fixed"
    assert "f: " in bad.problems["f"] and "(" in bad.problems["f"]
    fixed = apply(bad, "f", "x^2 + (y - 2)^2")
    assert fixed.scene.formula == "x^2 + (y - 2)^2"
    assert not fixed.problems and values(fixed)["f"] == "x^2 + (y - 2)^2"


def test_a_formula_needs_the_custom_surface():
    d = draft_of("surface=booth")
    after = apply(d, "f", "x + y")
    assert after.scene == d.scene and "surface=custom" in after.problems["f"]


def test_label_is_plain_text_that_travels_encoded():
    d = draft_of()
    d = apply(d, "run.label", "  a,b+c=d: 1&2  ")
    assert d.run.label == "a,b+c=d: 1&2", "surrounding spaces are dropped"
    assert "label=a%2Cb%2Bc%3Dd%3A+1%262" in d.scene.to_query()
    refused = apply(d, "run.label", "x" * 61)
    assert refused.scene == d.scene and "run.label" in refused.problems
    assert values(refused)["run.label"] == "x" * 61, "the refused text stays to be fixed"
    assert apply(d, "run.label", "").run.label == "", "an empty label means the automatic one"


# ---------------------------------------------------------------- window


def test_window_on_and_off():
    d = draft_of()
    on = apply(d, "window.on", True)
    assert on.scene.surface_params["window"] == ((-2.0, 2.0), (-1.0, 3.0)), "it starts as the surface's window"
    assert values(on)["window.on"] is True
    off = apply(apply(on, "window.x1", 1.5), "window.on", False)
    assert "window" not in off.scene.surface_params and values(off)["window.on"] is False
    assert values(off)["window.x1"] == 2.0, "off shows the surface's own window again"


def test_window_with_xmin_above_xmax_is_refused_and_kept_typed():
    d = apply(apply(draft_of(), "window.on", True), "window.x1", 1.5)
    assert d.scene.surface_params["window"] == ((-2.0, 1.5), (-1.0, 3.0))
    bad = apply(d, "window.x0", 3.0)
    assert_rejected(d, bad, "window.x0")
    assert "xmin < xmax" in bad.problems["window.x0"]
    assert values(bad)["window.x0"] == 3.0, "the rejected edge stays in its box"
    fixed = apply(bad, "window.x0", -1.0)
    assert fixed.scene.surface_params["window"] == ((-1.0, 1.5), (-1.0, 3.0))
    assert not fixed.problems and not fixed.typed
    # a rejected edge is the user's intent: a later edge that makes it valid takes both
    both = apply(bad, "window.x1", 5.0)
    assert both.scene.surface_params["window"] == ((3.0, 5.0), (-1.0, 3.0))


def test_no_window_problem_is_left_once_the_window_is_valid():
    bad = apply(apply(draft_of(), "window.on", True), "window.x0", 3.0)
    both = apply(bad, "window.x1", 5.0)
    assert both.scene.surface_params["window"] == ((3.0, 5.0), (-1.0, 3.0))
    assert not both.problems, both.problems


# ---------------------------------------------------------------- pick, optimizer, schedule, switches


def test_pick_shows_another_run():
    d = draft_of()
    picked = apply(d, "pick", 1)
    assert picked.selected == 1 and picked.scene == d.scene
    shown = values(picked)
    assert shown["pick"] == 1 and shown["run.optimizer"] == "momentum" and shown["run.momentum"] == 0.9
    assert "run.b1" not in values(picked)
    # a change now goes to run 2
    assert apply(picked, "run.lr", 0.003).scene.runs[1].lr == 0.003
    for index in (-1, 99):
        assert 0 <= apply(d, "pick", index).selected < len(d.scene.runs)


def test_a_rejected_value_of_one_run_is_not_shown_on_another():
    d = apply(draft_of(), "run.label", "x" * 61)
    picked = apply(d, "pick", 1)
    assert values(picked)["run.label"] == "Momentum"
    assert not picked.problems, picked.problems
    typed = apply(draft_of(), "run.lr.typed", "abc")
    picked = apply(typed, "pick", 1)
    assert values(picked)["run.lr.typed"] == number_text(picked.run.lr)
    assert not picked.problems and not picked.typed, (picked.problems, picked.typed)


def test_optimizer_change_keeps_lr_shared_hyperparameters_and_settings():
    d = draft_of(FULL, selected=1)
    d = apply(d, "run.optimizer", "adam")
    run = d.run
    assert run.optimizer == "adam"
    assert (run.lr, run.b1, run.b2) == (0.05, 0.8, 0.99), "lr and the shared b1, b2 stay"
    assert (run.schedule, run.step_size, run.clip_norm, run.seed, run.x0) == ("step", 20, 3.0, 4, 0.5)
    back = apply(d, "run.optimizer", "adamw")
    weight_decay = next(h.default for h in OPTIMIZERS["adamw"].hypers if h.name == "weight_decay")
    assert (back.run.b1, back.run.weight_decay) == (0.8, weight_decay), "what adam lacked comes at its default"
    assert "b1=0.8" in back.scene.to_query()
    sgd_to_momentum = apply(draft_of(), "run.optimizer", "momentum").run
    assert (sgd_to_momentum.lr, sgd_to_momentum.momentum) == (0.001, 0.9), "lr kept, momentum at its default"


@pytest.mark.parametrize(("label", "kept"), [
    ("Adam", False), ("my ADAM run", False), ("adam, fast", False),
    ("Mine", True), ("fast one", True), ("baseline", True),
])
def test_optimizer_change_drops_a_label_that_names_the_old_optimizer(label, kept):
    d = apply(draft_of(selected=2), "run.label", label)
    assert d.run.label == label
    after = apply(d, "run.optimizer", "adamw")
    assert after.run.label == (label if kept else "")
    assert after.run.lr == d.run.lr and after.run.b1 == d.run.b1


def test_optimizer_change_keeps_a_label_that_only_contains_an_id_inside_a_word():
    d = apply(draft_of(), "run.label", "a million steps")
    assert apply(d, "run.optimizer", "momentum").run.label == "a million steps"


def test_unknown_optimizer_is_refused():
    d = draft_of()
    assert_rejected(d, apply(d, "run.optimizer", "rocket"), "run.optimizer")


def test_schedule_change_brings_that_schedules_parameters():
    d = draft_of()
    step = apply(d, "run.schedule", "step")
    assert step.run.schedule_params == {"step_size": 100, "gamma": 0.5}
    assert {"run.step_size", "run.gamma", "run.step_size.typed"} <= set(values(step))
    step = apply(step, "run.gamma", 0.25)
    assert "schedule=step,step_size=100,gamma=0.25" in step.scene.to_query()
    cosine = apply(step, "run.schedule", "cosine")
    assert cosine.run.schedule_params == {"min_ratio": 0.0}
    assert "run.step_size" not in values(cosine) and "run.gamma" not in values(cosine)
    constant = apply(cosine, "run.schedule", "constant")
    assert constant.run == d.run


def test_clip_switches():
    d = draft_of()
    for name in ("clip_value", "clip_norm"):
        on = apply(d, f"run.{name}.on", True)
        assert on.run.values[name] == 1.0 and values(on)[f"run.{name}.on"] is True
        set_ = apply(on, f"run.{name}", 3.0)
        assert set_.run.values[name] == 3.0 and f"{name}=3," in set_.scene.to_query()
        off = apply(set_, f"run.{name}.on", False)
        assert off.run.values[name] is None and f"{name}=" not in off.scene.to_query()
        assert values(off)[f"run.{name}.on"] is False


def test_own_start_switch_sets_x0_and_y0_together_from_the_scenes_start():
    d = apply(draft_of("surface=booth"), "start.x", 1.0)
    on = apply(d, "run.start.on", True)
    assert (on.run.x0, on.run.y0) == (1.0, -6.0), "the own start begins where the run started"
    assert values(on)["run.start.on"] is True
    moved = apply(on, "run.y0.typed", "2.5")
    assert moved.scene.start_of(moved.run) == (1.0, 2.5)
    assert moved.scene.start_of(moved.scene.runs[1]) == (1.0, -6.0), "other runs keep the scene's start"
    still = apply(moved, "start.x", -3.0)
    assert still.scene.start_of(still.run) == (1.0, 2.5), "an own start does not follow the scene's"
    off = apply(still, "run.start.on", False)
    assert (off.run.x0, off.run.y0) == (None, None) and off.scene.start_of(off.run) == (-3.0, -6.0)


# ---------------------------------------------------------------- run buttons


def test_add_run_up_to_the_limit():
    d = draft_of()
    n = len(d.scene.runs)
    added = drafts.add_run(d)
    assert len(added.scene.runs) == n + 1 and added.selected == n
    assert added.scene.runs[:n] == d.scene.runs
    assert added.run == Run.make(drafts.NEW_RUN_OPTIMIZER)
    while len(added.scene.runs) < MAX_RUNS:
        added = drafts.add_run(added)
        assert_valid(added)
    assert drafts.add_run(added).scene == added.scene, "at most 8 runs"


def test_duplicate_run():
    d = draft_of(selected=0)
    copy = drafts.duplicate_run(d)
    runs = copy.scene.runs
    assert len(runs) == 4 and copy.selected == 1, "the copy comes right after its original and is shown"
    assert runs[1].label == "SGD (copy)", "a labelled run's copy gets a label of its own"
    assert runs[1].replace(label="SGD") == runs[0]
    again = drafts.duplicate_run(replace(copy, selected=0))
    assert [r.label for r in again.scene.runs[:3]] == ["SGD", "SGD (copy 2)", "SGD (copy)"]
    unlabelled = drafts.duplicate_run(drafts.add_run(d))
    assert unlabelled.scene.runs[-1] == unlabelled.scene.runs[-2], "no label: an exact copy"
    full = d
    while len(full.scene.runs) < MAX_RUNS:
        full = drafts.duplicate_run(full)
        assert_valid(full)
    assert len({r.label for r in full.scene.runs}) == MAX_RUNS, "every copy can be told apart"
    assert drafts.duplicate_run(full).scene == full.scene, "at most 8 runs"


def test_duplicate_keeps_the_same_runs_hidden():
    d = draft_of("hide=3", selected=0)
    copy = drafts.duplicate_run(d)
    hidden = [copy.scene.runs[n - 1].label for n in copy.scene.viewer.hide]
    assert "Adam" in hidden and "Momentum" not in hidden, hidden


def test_remove_run_renumbers_hidden_runs():
    d = draft_of("hide=1,3", selected=1)
    removed = drafts.remove_run(d)
    assert [r.label for r in removed.scene.runs] == ["SGD", "Adam"]
    assert removed.selected == 0, "the run before it is shown"
    assert removed.scene.viewer.hide == (1, 2), "SGD and Adam stay hidden"
    hidden_gone = drafts.remove_run(replace(d, selected=2))
    assert hidden_gone.scene.viewer.hide == (1,) and hidden_gone.selected == 1
    first = drafts.remove_run(replace(d, selected=0))
    assert first.selected == 0 and first.scene.viewer.hide == (2,)
    one = draft_of("run=sgd")
    assert drafts.remove_run(one).scene == one.scene, "never the last run"


# ---------------------------------------------------------------- surface and start


@pytest.mark.parametrize("surface_id", ["quadratic", "himmelblau", "custom"])
def test_surface_change_keeps_runs_and_labels_but_takes_the_new_start_and_steps(surface_id):
    d = apply(apply(draft_of(FULL + "&view=3d&hide=2", selected=1), "window.on", True), "run.label", "keep me")
    after = apply(d, "surface", surface_id)
    fresh = Scene.default(surface_id)
    assert after.scene.surface == surface_id and not after.problems
    assert (after.scene.start, after.scene.steps) == (fresh.start, fresh.steps)
    assert "window" not in after.scene.surface_params
    assert after.scene.runs == tuple(r.replace(x0=None, y0=None) for r in d.scene.runs)
    assert after.run.label == "keep me" and after.selected == 1
    assert after.scene.viewer == d.scene.viewer, "the viewer's choices stay"
    assert drafts.change_surface(d, surface_id) == after
    assert_rejected(d, apply(d, "surface", "nope"), "surface")


def test_surface_change_with_a_viewer_step_beyond_the_new_steps():
    d = draft_of("steps=500&step=450")
    after = apply(d, "surface", "quadratic")
    assert after.scene.surface == "quadratic", after.problems


def test_set_start_of_all_runs_is_rounded_and_drops_own_starts():
    d = draft_of(FULL, selected=1)
    after = drafts.set_start(d, 0.123456, -0.987654)
    assert after.scene.start == (0.123, -0.988), "a thousandth of a window 6 wide"
    assert all((r.x0, r.y0) == (None, None) for r in after.scene.runs)
    assert after.selected == 1
    wide = drafts.set_start(draft_of("surface=booth"), 1.23456, -7.65432)
    assert wide.scene.start == (1.23, -7.65), "a window 20 wide: hundredths"


def test_set_start_of_one_run():
    d = draft_of(FULL, selected=0)
    after = drafts.set_start(d, 1.23456, 0.55555, run=2)
    assert (after.scene.runs[2].x0, after.scene.runs[2].y0) == (1.235, 0.556)
    assert after.scene.runs[:2] == d.scene.runs[:2] and after.scene.start == d.scene.start
    assert after.selected == 0, "the run shown stays"


@settings(max_examples=60, deadline=None)
@given(surface_id=st.sampled_from(SURFACE_IDS), fx=st.floats(0, 1), fy=st.floats(0, 1),
       run=st.none() | st.integers(0, 2))
def test_set_start_lands_within_a_thousandth_of_the_window(surface_id, fx, fy, run):
    d = draft_of(f"surface={surface_id}")
    (x0, x1), (y0, y1) = d.scene.resolved_surface().window
    x, y = x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)
    after = drafts.set_start(d, x, y, run)
    assert_valid(after)
    got = after.scene.start_of(after.scene.runs[run or 0])
    assert abs(got[0] - x) <= (x1 - x0) / 2000 + 1e-12 and abs(got[1] - y) <= (y1 - y0) / 2000 + 1e-12
    for value, width in zip(got, (x1 - x0, y1 - y0), strict=True):
        digits = math.ceil(-math.log10(width / 1000))
        assert round(value, max(digits, 0)) == value, "short enough to read in the link"


# ---------------------------------------------------------------- anything in, a valid draft out

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**7, 10**7),
    st.sampled_from([0.0, -0.0, 1e-50, 1e-30, 0.5, 1.0, 2.5, 7, 99.5, 1e4, 1e6, 2**31 - 1, 2**31]),
    st.none(),
    st.booleans(),
)
# What a typed twin sends: text, a number or not.
TEXTS = st.sampled_from(["0.5", " 1e-3 ", "7", "7.0", "-0", "1E2", ".25", "abc", "", "  ", "1e999", "nan", "0,5"]) | \
    st.from_regex(r"[+-]?[0-9]{0,3}\.?[0-9]{0,3}(e[+-]?[0-9]{1,2})?", fullmatch=True) | st.text(max_size=8)
FORMULAS = st.sampled_from(["x^2 + y^2", "x^2 + (y", "sin(x) * cos(y)", "", "__import__('os')", "x +* y"]) | st.text(
    max_size=30)


def value_for(control: str, d: drafts.Draft):
    base = control.removesuffix(TYPED)
    if base == "pick":
        return st.integers(-2, MAX_RUNS + 1)
    if base == "surface":
        return st.sampled_from(SURFACE_IDS)
    if base == "run.optimizer":
        return st.sampled_from(list(OPTIMIZERS)) | st.text(max_size=6)
    if base == "run.schedule":
        return st.sampled_from(list(SCHEDULES))
    if base == "f":
        return FORMULAS
    if base == "run.label":
        return st.text(max_size=70) | st.sampled_from(["Adam", "SGD", "a,b", "x" * 60])
    if base.endswith(".on"):
        return st.booleans()
    choice = surface_choice(d, base)
    if choice is not None:  # a network's data set, activation, initialisation: a select box
        return st.sampled_from(choice.choices) | st.text(max_size=8)
    assert drafts.knob_of(d, base) is not None, control
    return NUMBERS | TEXTS if control.endswith(TYPED) else NUMBERS


def surface_choice(d: drafts.Draft, control: str) -> Choice | None:
    if not control.startswith("surface."):
        return None
    param = surfaces.SURFACES[d.scene.surface].param(control.removeprefix("surface."))
    return param if isinstance(param, Choice) else None


def as_number(value):
    """The number a control's value stands for (a typed twin sends text)."""
    return float(value.strip()) if isinstance(value, str) else value


def check_one_change(before: drafts.Draft, after: drafts.Draft, control: str, value) -> None:
    """What a change of `control` to `value` must have done."""
    key = control.removesuffix(TYPED)
    assert_valid(after)
    shown = values(after)
    if key in after.problems:
        assert after.scene == before.scene, f"{key} refused but the scene changed"
        if control.endswith(TYPED) and isinstance(value, str):
            # in its box; a window edge refused for its order (no twin is drawn for one) stays in the edge's box
            assert shown[control] == value or shown[key] == as_number(value), "refused text stays to be fixed"
        return
    knob = drafts.knob_of(before, key)
    if knob is not None and key != "pick":
        assert shown[key] == knob.coerce(as_number(value)), (key, value, shown[key])
        assert shown[key + TYPED] == number_text(shown[key]), "the box shows the value taken"
    elif key == "surface":
        assert after.scene.surface == value
        assert [r.optimizer for r in after.scene.runs] == [r.optimizer for r in before.scene.runs]
    elif key == "run.optimizer":
        assert after.run.optimizer == value and after.run.lr == before.run.lr
    elif key == "run.label":
        assert after.run.label == str(value).strip()
    elif key == "f":
        assert after.scene.formula == str(value)
    elif surface_choice(before, key) is not None:
        assert after.scene.surface_params[key.removeprefix("surface.")] == value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.sampled_from(["", FULL, "surface=custom", "surface=quadratic:window=-1,1,-2,2&hide=2&step=50"]),
       data=st.data())
def test_any_sequence_of_changes_leaves_a_valid_draft(start, data):
    d = draft_of(start)
    for _ in range(data.draw(st.integers(1, 12), label="changes")):
        action = data.draw(st.sampled_from(["apply"] * 6 + ["add", "duplicate", "remove", "start"]), label="action")
        if action == "apply":
            control = data.draw(st.sampled_from(sorted(values(d))), label="control")
            value = data.draw(value_for(control, d), label="value")
            after = apply(d, control, value)
            check_one_change(d, after, control, value)
        elif action == "start":
            (x0, x1), (y0, y1) = d.scene.resolved_surface().window
            x = data.draw(st.floats(x0, x1), label="x")
            y = data.draw(st.floats(y0, y1), label="y")
            run = data.draw(st.none() | st.integers(0, len(d.scene.runs) - 1), label="run")
            after = drafts.set_start(d, x, y, run)
        else:
            after = {"add": drafts.add_run, "duplicate": drafts.duplicate_run, "remove": drafts.remove_run}[action](d)
        assert_valid(after)
        shown = values(after)  # never raises either
        network = surfaces.SURFACES[after.scene.surface].kind == surfaces.NETWORK
        assert {k for k in shown if k.startswith("run.") and not k.endswith((TYPED, ".on"))} == \
            {"run.optimizer"} | {f"run.{k.name}" for k in after.run.keys() if network or not k.model_only}
        d = after


# Values no widget sends (a radio sends an index, a selectbox one of its
# options, a number box a number), yet `apply` is documented never to raise.
@pytest.mark.parametrize(("control", "value"), [
    ("pick", None), ("pick", "two"), ("pick", math.nan),
    ("run.schedule", "weird"),
    ("steps", "7.0"), ("run.seed", "1e1"),
    ("steps", 10**400), ("run.lr", 10**400),
], ids=["pick-None", "pick-text", "pick-nan", "schedule-unknown", "steps-text-7.0", "seed-text-1e1",
        "steps-huge-int", "lr-huge-int"])
def test_apply_never_raises_on_a_value_no_widget_sends(control, value):
    d = draft_of()
    after = apply(d, control, value)  # refused with a problem, or taken ("7.0" as 7): either way no exception
    assert_valid(after)
    assert after.scene == d.scene or control not in after.problems



def test_a_networks_run_keys_are_controls_on_a_network_only_and_a_new_surface_drops_them():
    flat = draft_of("surface=quadratic&run=sgd:lr=0.1")
    assert not {"run.unlabeled", "run.threshold", "run.weight"} & set(values(flat))
    network = draft_of("surface=mlp&steps=20&run=sgd:lr=0.1")
    assert values(network)["run.unlabeled"] == "ignore" and values(network)["run.threshold"] == 0.9
    chosen = apply(network, "run.unlabeled", "selftrain")
    assert not chosen.problems and chosen.scene.runs[0].setting("unlabeled") == "selftrain"
    assert "run.unlabeled" in apply(network, "run.unlabeled", "cotrain").problems
    moved = drafts.change_surface(apply(chosen, "run.weight", 2.0), "rosenbrock")
    assert not moved.problems and moved.scene.runs[0].model_only_given() == []
    assert_valid(moved)
