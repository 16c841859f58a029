"""Inside a step: every optimizer's rule, filled with one update's numbers,
holds, on exactly the numbers the browser gets.

For each optimizer, a run with hyperparameters away from their defaults is
simulated, its payload built with `inside=True`, the float32 arrays decoded
as the player decodes them (`player_numbers.Numbers`), and every line of the
rule checked at every update: `result = rhs(numbers)`. The runs are each
optimizer's test vectors (`Optimizer.checks`). The last line lands
on the engine's next point, so e.g. for Adam lr * m-hat / (sqrt(v-hat) + eps)
from the panel's numbers is the step xy[k] - xy[k+1] the engine took.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re

import numpy as np
import pytest
from player_numbers import Numbers

from visualizer import Scene, simulate
from visualizer.browser.overlays import OVERLAYS, overlays_payload
from visualizer.browser.payload import scene_payload
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.optimizers.checks import CHECK_SURFACES
from visualizer.core.optimizers.step_rule import StepRule

STEPS = 40
PLACEHOLDER = re.compile(r"@([A-Za-z][A-Za-z0-9_]*)")
BUILTINS = {"x", "xn", "lr", "f", "fn", "graw", "g", "t", "gnorm"}

SURFACES = dict(CHECK_SURFACES)


def decode(spec) -> np.ndarray:
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<f4").astype(np.float64)


def numbers(run_payload: dict) -> Numbers:
    """What the player reads for one run: its payload arrays, float32."""
    inside = run_payload["inside"]
    rule = inside["rule"]
    values = {k: decode(v).reshape(-1, v["dims"]) for k, v in rule["values"].items()}
    return Numbers(decode(run_payload["xy"]), decode(run_payload["lr"]), decode(inside["grad"]),
                   decode(run_payload["loss"]), {k: decode(v) for k, v in inside["state"].items()},
                   dict(rule, values=values))


def inside_run(query: str) -> tuple[dict, object]:
    result = simulate(Scene.from_query(query))
    payload = scene_payload(result, {}, query, inside=True)
    json.dumps(payload, allow_nan=False)  # what Streamlit sends is JSON
    return payload["runs"][0], result.runs[0]


@pytest.mark.parametrize("opt_id", list(OPTIMIZERS))
def test_placeholders_name_numbers_the_player_has(opt_id):
    payload, result = inside_run(f"{SURFACES['quadratic']}&steps=5&run={opt_id}:lr={OPTIMIZERS[opt_id].checks.lr[0]}")
    rule = payload["inside"]["rule"]
    known = BUILTINS | set(result.state) | set(rule["values"]) | set(rule["constants"])
    known |= {n + "_prev" for n in known}
    for line in rule["lines"]:
        for text in (line["lhs"], line["rhs"], line["num"] or ""):
            missing = set(PLACEHOLDER.findall(text)) - known
            assert not missing, f"{opt_id}: {missing} in {text!r}"
        assert line["result"] is None or line["result"] in known, line
        assert line["when"] is None or line["when"] in rule["values"], line
        assert (line["num"] is None) == (line["result"] is None), line
        assert line["lhs"].count("{") == line["lhs"].count("}") and line["rhs"].count("{") == line["rhs"].count("}")
    for drawing in payload["inside"]["overlays"].values():
        assert set(drawing["factors"]) <= known, drawing
    assert any(line["result"] == "xn" for line in rule["lines"]) or opt_id == "lbfgs", "the rule says how x moves"


@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize("opt_id", list(OPTIMIZERS))
def test_every_line_holds_on_the_numbers_shown(opt_id, surface):
    spec = OPTIMIZERS[opt_id].checks.spec(surface)
    payload, result = inside_run(f"{SURFACES[surface]}&steps={STEPS}&run={opt_id}:{spec}")
    assert result.diverged_at is None
    check_lines(opt_id, payload)


def check_lines(opt_id: str, payload: dict) -> None:
    q = numbers(payload)
    rule = OPTIMIZERS[opt_id].step_rule
    step = np.abs(q.xn - q.x).max(axis=1, keepdims=True)
    moved = 5 if opt_id == "lbfgs" else 10  # L-BFGS arrives within a few steps
    assert (step > 1e-6).sum() >= moved, "the run barely moved; the test would show little"
    checked = set()
    for line in rule.lines:
        if line.rhs is None:
            continue
        shown = np.ones((len(q.x), 1), bool) if line.when is None else getattr(q, line.when) > 0.5
        with np.errstate(all="ignore"):  # lines where `when` hides them may not compute
            got = np.asarray(line.rhs(q), np.float64)
        want = np.broadcast_to(getattr(q, line.result), got.shape)
        if line.result == "xn":
            allowed = 1e-3 * step + 2e-6 * (1 + np.abs(q.x).max(axis=1, keepdims=True))
        else:
            allowed = 3e-4 * np.abs(want) + 1e-5 * np.nanmax(np.abs(want)) + 1e-30
        bad = shown & ~(np.abs(got - want) <= allowed)
        rows = np.nonzero(bad.any(axis=1))[0]
        assert not len(rows), (f"{opt_id}: update {rows[0]}: {line.tex} gives {got[rows[0]]}, "
                               f"the payload says {line.result} = {want[rows[0]]}")
        checked.add(line.result)
    assert "xn" in checked or opt_id == "lbfgs", "the last line lands on the engine's next point"


@pytest.mark.parametrize("query", [
    "surface=quadratic:cond=10&steps=40&run=momentum:lr=0.02,momentum=0.9,noise=0.5,clip_norm=2,seed=3",
    "surface=rosenbrock&steps=40&run=adam:lr=0.05,clip_value=20",
])
def test_lines_hold_with_noise_and_clipping(query):
    payload, _ = inside_run(query)
    assert payload["inside"]["rule"]["processed"] and "g" in payload["inside"]["rule"]["values"]
    check_lines(payload["inside"]["rule"]["optimizer"].lower(), payload)


def test_adam_step_from_the_panel_numbers_is_the_engines_step():
    payload, result = inside_run("surface=rosenbrock&steps=60&run=adam:lr=0.05")
    q = numbers(payload)
    b1, b2, eps = 0.9, 0.999, 1e-8
    t = np.arange(1, 61)[:, None]
    mhat, vhat = q.m / (1 - b1**t), q.v / (1 - b2**t)
    np.testing.assert_allclose(q.lr * mhat / (np.sqrt(vhat) + eps), q.x - q.xn, rtol=2e-3, atol=1e-6)
    np.testing.assert_allclose(q.mhat, mhat, rtol=1e-5)


def test_momentum_arrow_and_gradient_step_add_up_to_the_update():
    payload, _ = inside_run("surface=quadratic:cond=10&steps=40&run=momentum:lr=0.02,momentum=0.9")
    q = numbers(payload)
    moment = payload["inside"]["overlays"]["moment"]
    assert moment["adds_to_gradient"]
    np.testing.assert_allclose(-q.product(moment["factors"]) - q.lr * q.g, q.xn - q.x, atol=2e-6)


@pytest.mark.parametrize("opt_id", ["adam", "rmsprop", "adagrad", "sign_sgd", "rprop", "adadelta"])
def test_box_half_widths_are_positive_where_drawn(opt_id):
    payload, _ = inside_run(f"surface=rosenbrock&steps=30&run={opt_id}:lr={OPTIMIZERS[opt_id].checks.lr[0] / 10}")
    q = numbers(payload)
    half = q.product(payload["inside"]["overlays"]["box"]["factors"]) * np.ones((1, 2))
    assert np.isfinite(half).all() and (half >= 0).all() and (half > 0).any()
    if opt_id == "sign_sgd":  # each coordinate moves exactly lr: the step lands on the box's corner
        np.testing.assert_allclose(np.abs(q.xn - q.x), half, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("opt_id", [o.id for o in OPTIMIZERS.values() if o.step_rule.box])
def test_every_box_is_drawn_with_positive_half_widths(opt_id):
    """The player draws the box at the updates where its half-widths are
    finite (RAdam leaves it out at its plain momentum steps, ADOPT at its
    first update, which does not move)."""
    payload, _ = inside_run(f"surface=rosenbrock&steps=30&run={opt_id}:lr={OPTIMIZERS[opt_id].checks.lr[0] / 10}")
    q = numbers(payload)
    half = q.product(payload["inside"]["overlays"]["box"]["factors"]) * np.ones((1, 2))
    drawn = np.isfinite(half).all(axis=1)
    assert drawn.mean() > 0.5 and (half[drawn] >= 0).all() and (half[drawn] > 0).any()


def test_every_overlay_draws_numbers_the_player_has():
    """The table of overlays (visualizer/browser/overlays.py) names numbers
    the player reads, and every drawing a rule can give has its overlay."""
    for overlay in OVERLAYS:
        assert set(overlay.factors) <= BUILTINS and overlay.to in (None, *BUILTINS), overlay
    drawings = {f.name for f in dataclasses.fields(StepRule) if "Drawing" in str(f.type)}
    assert drawings == {o.kind for o in OVERLAYS if o.from_rule}
    assert len({o.kind for o in OVERLAYS}) == len(OVERLAYS)


def test_payload_without_overlays_is_unchanged():
    result = simulate(Scene.from_query("surface=rosenbrock&steps=50&run=adam:lr=0.05&run=momentum:lr=1e-4"))
    plain = scene_payload(result, {}, "q")
    assert "inside" not in plain and all("inside" not in r for r in plain["runs"])
    assert scene_payload(result, {}, "q", inside=None) == plain
    off = scene_payload(result, {}, "q", inside=False)
    assert off == dict(plain, inside={"on": False})
    on = scene_payload(result, {}, "q", inside=True)
    assert on["inside"] == {"on": True, "overlays": overlays_payload()} and all("inside" in r for r in on["runs"])
    assert {k: v for k, v in on.items() if k != "runs"} == {k: v for k, v in off.items() if k != "runs"} | {
        "inside": on["inside"]}
    assert [{k: v for k, v in r.items() if k != "inside"} for r in on["runs"]] == plain["runs"]


def test_diverged_run_fills_only_complete_updates():
    payload, result = inside_run("surface=quadratic:cond=25&steps=40&run=sgd:lr=5")
    assert result.diverged_at is not None
    q = numbers(payload)
    assert len(q.x) == len(result.xy) - 1
    assert all(v.shape[0] == len(result.xy) - 1 for v in (q.x, q.xn, q.lr))


# ------------------------------------------------------------------ the toggle's event


def test_inside_event_is_validated():
    from visualizer.browser.events import (
        InsideEvent,
        StartEvent,
        player_event,
    )

    assert player_event({"event": "inside", "on": True, "nonce": 7}, 1) == InsideEvent(True, 7)
    assert player_event({"event": "inside", "on": False, "nonce": 8}, 2) == InsideEvent(False, 8)
    assert player_event({"event": "start", "xy": [1, 2], "run": None, "nonce": 9}, 2) == StartEvent(1.0, 2.0, None, 9)
    for bad in ({"event": "inside", "on": 1, "nonce": 1}, {"event": "inside", "on": True},
                {"event": "inside", "on": "yes", "nonce": 1}, {"event": "inside", "on": True, "nonce": True},
                ["inside"], {"event": "start", "on": True, "nonce": 1}):
        assert player_event(bad, 1) is None, bad
    assert player_event(None, 1) is None
    assert player_event({"event": "boom", "nonce": 1}, 1) is None
    assert player_event("inside", 1) is None
