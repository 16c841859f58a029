"""Explorations in the page: the browser form (visualizer/browser/explore_payload.py),
the exact convergence rates against runs of the engine, the draft's
exploration functions, the pick event, and the page under AppTest (the
control opens each kind, a pick applies its value and the address follows,
forged picks change nothing).
"""

from __future__ import annotations

import base64
import json
import math
import zlib

import numpy as np
import pytest
from apptest_tools import payload, run_ok

from visualizer import Scene, explore, simulate
from visualizer.browser import explore_payload as ep
from visualizer.browser.events import PickEvent, player_event
from visualizer.core.errors import SceneError
from visualizer.page import draft as drafts

QUADRATIC = "surface=quadratic:cond=25,angle=30&steps=100"


def unpack(spec: dict) -> np.ndarray:
    assert spec["deflate"] is True
    return np.frombuffer(zlib.decompress(base64.b64decode(spec["bdata"])), np.dtype(spec["dtype"]).newbyteorder("<"))


# ---------------------------------------------------------------- the browser form


def test_form_holds_every_outcome_and_128_by_128_basins_stay_small():
    scene = Scene.from_query("surface=himmelblau&run=sgd:lr=0.01&explore=starts:n=128")
    result = explore(scene)
    form = ep.browser_form(result)
    cls, steps, loss = unpack(form["cls"]), unpack(form["steps_at"]), unpack(form["final_loss"])
    assert cls.size == steps.size == loss.size == 128 * 128
    np.testing.assert_array_equal(cls, result.minimum.ravel())  # every start ends at one of the four minima
    np.testing.assert_array_equal(steps, result.steps_to_tol.ravel())
    np.testing.assert_array_equal(loss, result.final_loss.ravel())
    assert [a["n"] for a in form["axes"]] == [128, 128]
    assert form["axes"][0]["edges"] == [-5.0, 5.0], "starts are cell centres: the cells tile the window"
    size = len(json.dumps(form))
    assert size < 40_000, f"128 x 128 basins take {size} bytes"
    # where every final loss differs (docs/explore.md: at most 80 KB)
    worst = len(json.dumps(ep.browser_form(explore(Scene.from_query("surface=rosenbrock&explore=starts:n=128")))))
    assert worst < 85_000, f"128 x 128 basins on Rosenbrock take {worst} bytes"


def test_diverged_and_not_finite_starts_have_classes_of_their_own():
    scene = Scene.from_query("surface=custom&f=log(x)%2By^2&run=sgd:lr=0.5&explore=starts:n=16")
    result = explore(scene)
    cls, steps = ep.classes(result).ravel(), ep.steps(result).ravel()
    bad = result.start_not_finite.ravel()
    assert bad.any() and (cls[bad] == ep.NOT_FINITE).all()
    diverged = result.diverged_at.ravel() >= 0
    assert diverged.any() and (cls[diverged] == ep.DIVERGED).all()
    np.testing.assert_array_equal(steps[diverged], result.diverged_at.ravel()[diverged])
    never = ~diverged & ~bad & (result.steps_to_tol.ravel() < 0)
    assert (steps[never] == ep.NEVER).all()
    form = ep.browser_form(result)
    json.dumps(form, allow_nan=False)  # no NaN or infinity outside the deflated arrays


def test_lr_form_on_the_quadratic_draws_the_exact_stability_limit():
    scene = Scene.from_query(QUADRATIC + "&run=sgd:lr=0.05&explore=lr:n=64")
    form = ep.browser_form(explore(scene))
    assert form["limit"] == {"lr": 2 / 25, "formula": "2/L", "L": 25.0}
    assert "rate" not in form
    # where it is not exact, nothing is drawn
    for query in (QUADRATIC + "&run=adam:lr=0.05&explore=lr:n=8",
                  QUADRATIC + "&run=sgd:lr=0.05,schedule=cosine&explore=lr:n=8",
                  QUADRATIC + "&run=sgd:lr=0.05,clip_norm=1&explore=lr:n=8",
                  "surface=rosenbrock&run=sgd:lr=0.001&explore=lr:n=8"):
        assert "limit" not in ep.browser_form(explore(Scene.from_query(query))), query


def test_own_values_follow_the_run():
    scene = Scene.from_query(QUADRATIC + "&run=sgd:lr=0.05&run=momentum:lr=0.02,momentum=0.9"
                             "&explore=map:x=cond,y=momentum,run=2,n=8")
    assert ep.own_values(scene) == [25.0, 0.9]
    starts = Scene.from_query("surface=himmelblau&start=1,1&run=sgd:lr=0.01,x0=2,y0=3&explore=starts:n=8")
    assert ep.own_values(starts) == [2.0, 3.0]


# ---------------------------------------------------------------- the exact rate


@pytest.mark.parametrize("optimizer, lr, momentum", [
    ("sgd", 0.01, 0.0), ("sgd", 0.07, 0.0),
    ("momentum", 0.01, 0.9), ("momentum", 0.07, 0.9), ("momentum", 0.05, 0.3),
    ("nesterov", 0.01, 0.8), ("nesterov", 0.05, 0.8),
])
@pytest.mark.parametrize("axis", ["x", "y"])
def test_spectral_radius_is_how_fast_the_engine_converges(optimizer, lr, momentum, axis):
    """Along one eigenvector (angle 0, a start on an axis) the error shrinks
    by the spectral radius per step: the envelope of |x_k| over two windows
    200 steps apart (60 for a fast one)."""
    curvature = 1.0 if axis == "x" else 25.0
    exact = float(ep.spectral_radius(optimizer, lr, curvature, momentum))
    start = "2,0" if axis == "x" else "0,2"
    hyper = f",momentum={momentum}" if optimizer != "sgd" else ""
    scene = Scene.from_query(f"surface=quadratic:cond=25,angle=0&start={start}&steps=300&run={optimizer}:lr={lr}{hyper}")
    run = simulate(scene).runs[0]
    assert run.diverged_at is None
    u = np.abs(run.xy[:, 0 if axis == "x" else 1].astype(np.float64))
    # windows of a few oscillations, far enough apart to measure, near enough to stay above float32's floor
    span = 200 if exact >= 0.85 else 60
    early, late = u[20:80].max(), u[20 + span:80 + span].max()
    assert late > 1e-30
    assert (late / early) ** (1 / span) == pytest.approx(exact, abs=0.006 if span == 200 else 0.012)
    # and the path follows the recurrence x' = b x - c x_prev of the 2x2 matrix, whose roots have that radius
    x = run.xy[:12, 0 if axis == "x" else 1].astype(np.float64)
    (b, c), *_ = np.linalg.lstsq(np.stack([x[1:-1], -x[:-2]], 1), x[2:], rcond=None)
    measured = max(abs(z) for z in np.roots([1, -b, c])) if optimizer != "sgd" else abs(x[2] / x[1])
    assert measured == pytest.approx(exact, abs=2e-3)


@pytest.mark.parametrize("optimizer, momentum", [("sgd", 0.0), ("momentum", 0.9), ("nesterov", 0.9)])
def test_stability_limit_is_where_the_radius_reaches_one(optimizer, momentum):
    scene = Scene.from_query(QUADRATIC + f"&run={optimizer}:lr=0.01" + (f",momentum={momentum}" if momentum else ""))
    limit = ep.stability_limit(scene, scene.runs[0])["lr"]
    assert float(ep.quadratic_rate(optimizer, limit * 0.999, momentum, 25.0)) < 1
    assert float(ep.quadratic_rate(optimizer, limit * 1.001, momentum, 25.0)) > 1
    # and the engine agrees: just under it converges, 5% over it diverges within 2000 steps
    for factor, diverges in ((0.97, False), (1.05, True)):
        query = QUADRATIC.replace("steps=100", "steps=2000") + f"&run={optimizer}:lr={limit * factor!r}"
        query += f",momentum={momentum}" if momentum else ""
        assert (simulate(Scene.from_query(query)).runs[0].diverged_at is not None) == diverges, factor


def test_rate_planes_measured_against_exact():
    scene = Scene.from_query("surface=quadratic:cond=25,angle=30&steps=400&run=momentum:lr=0.02,momentum=0.9"
                             "&explore=map:x=lr,y=momentum,xlo=0.001,xhi=0.2,n=24")
    result = explore(scene)
    planes = ep.rate_planes(result)
    exact, measured = planes["exact"], planes["measured"]
    assert exact.shape == measured.shape == (24, 24)
    diverged = result.diverged_at >= 0
    assert (exact[diverged] > 1).all(), "every diverged cell has a rate above 1"
    assert (exact[~diverged] < 1.02).all(), "cells with a rate well above 1 diverge within 400 steps"
    ok = np.isfinite(measured) & (exact < 0.99) & (result.final_loss > 1e-30)
    assert ok.sum() > 100
    np.testing.assert_allclose(measured[ok], exact[ok], atol=0.03)
    # a map the maths does not cover carries none
    assert ep.rate_planes(explore(Scene.from_query(
        "surface=quadratic&run=adam:lr=0.02&explore=map:x=lr,y=b1,n=4"))) is None
    assert ep.rate_planes(explore(Scene.from_query(
        "surface=himmelblau&run=momentum:lr=0.01&explore=map:x=lr,y=momentum,n=4"))) is None


def test_rate_plane_over_the_condition_number():
    scene = Scene.from_query("surface=quadratic&steps=50&run=nesterov:lr=0.01,momentum=0.9"
                             "&explore=map:x=cond,y=momentum,n=6")
    planes = ep.rate_planes(explore(scene))
    resolved = ep.resolve(scene.explore, scene)
    cond, mu = np.meshgrid(resolved.axes[0].values, resolved.axes[1].values)
    np.testing.assert_allclose(planes["exact"], ep.quadratic_rate("nesterov", 0.01, mu, cond))


# ---------------------------------------------------------------- the cache key


@pytest.mark.parametrize("query", [
    "surface=himmelblau&start=1,1&run=adam:lr=0.2&run=sgd:lr=0.01,x0=1,y0=2,label=mine&explore=starts:run=2,n=16",
    QUADRATIC + "&run=adam&run=momentum:lr=0.02,momentum=0.9&explore=map:x=lr,y=momentum,n=8,run=2",
    QUADRATIC + "&run=momentum:lr=0.02,momentum=0.9&explore=map:x=cond,y=momentum,n=8",
    "surface=rosenbrock&run=adam:lr=0.05&explore=lr:n=32",
])
def test_cache_key_computes_the_same_exploration(query):
    scene = Scene.from_query(query)
    a, b = explore(scene), explore(Scene.from_query(ep.cache_key(scene)))
    for name in ("final_loss", "diverged_at", "steps_to_tol", "minimum", "final_xy"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_a_pick_keeps_the_exploration_in_the_cache():
    for query, index in ((QUADRATIC + "&run=momentum:lr=0.02,momentum=0.9&explore=map:x=lr,y=momentum,n=8", (2, 5)),
                         (QUADRATIC + "&run=sgd:lr=0.05&explore=lr:n=16", (3, None)),
                         ("surface=himmelblau&run=sgd:lr=0.01&explore=starts:n=8", (1, 6))):
        draft = drafts.from_scene(Scene.from_query(query))
        picked = drafts.pick_variant(draft, *index)
        assert picked.scene != draft.scene
        assert ep.cache_key(picked.scene) == ep.cache_key(draft.scene), query


# ---------------------------------------------------------------- the draft


def test_open_each_kind_for_the_run_shown():
    d = drafts.from_scene(Scene.from_query(QUADRATIC + "&run=sgd:lr=0.05&run=momentum:lr=0.02,momentum=0.9"), 1)
    assert drafts.explore_values(d)["explore.kind"] == "none"
    lr = drafts.apply(d, "explore.kind", "lr")
    assert lr.scene.explore.spec() == "lr:run=2,lo=2e-05,hi=20", "the range is written out: it stays put"
    mapped = drafts.apply(d, "explore.kind", "map")
    assert mapped.scene.explore.spec() == "map:x=lr,y=momentum,run=2,xlo=2e-05,xhi=20"
    assert drafts.apply(d, "explore.kind", "starts").scene.explore.spec() == "starts:run=2"
    assert drafts.explore_values(mapped) == {"explore.kind": "map", "explore.x": "lr", "explore.y": "momentum",
                                             "explore.n": 64}
    # the other run shows none, and opening one there moves the exploration
    other = drafts.apply(mapped, "pick", 0)
    assert drafts.explore_values(other)["explore.kind"] == "none"
    moved = drafts.apply(other, "explore.kind", "starts")
    assert moved.scene.explore.spec() == "starts"
    assert drafts.apply(moved, "explore.kind", "none").scene.explore is None


def test_map_axes_size_and_swaps():
    d = drafts.apply(drafts.from_scene(Scene.from_query(QUADRATIC + "&run=momentum:lr=0.02,momentum=0.9")),
                     "explore.kind", "map")
    swapped = drafts.apply(d, "explore.x", "momentum")
    assert (swapped.scene.explore.params["x"], swapped.scene.explore.params["y"]) == ("momentum", "lr")
    cond = drafts.apply(swapped, "explore.y", "cond")
    assert cond.scene.explore.spec() == "map:x=momentum,y=cond"
    sized = drafts.apply(cond, "explore.n", 32)
    assert sized.scene.explore.spec() == "map:x=momentum,y=cond,n=32"
    assert drafts.apply(sized, "explore.n", 64).scene.explore.spec() == "map:x=momentum,y=cond"
    # SGD's only values beside lr are noise and the surface's: y is a surface knob, not the noise
    sgd = drafts.apply(drafts.from_scene(Scene.from_query(QUADRATIC + "&run=sgd:lr=0.05")), "explore.kind", "map")
    assert sgd.scene.explore.params["y"] == "cond"
    bad = drafts.apply(d, "explore.x", "b1")
    assert bad.scene == d.scene and "explore.x" in bad.problems


def test_pick_applies_the_value_to_the_explored_run():
    base = Scene.from_query(QUADRATIC + "&run=sgd:lr=0.05&run=momentum:lr=0.02,momentum=0.9"
                            "&explore=map:x=lr,y=cond,run=2,n=8")
    resolved = ep.resolve(base.explore, base)
    picked = drafts.pick_variant(drafts.from_scene(base), 3, 6)
    assert picked.selected == 1, "the explored run is shown, with its new value"
    assert picked.scene.runs[1].lr == resolved.axes[0].values[3]
    assert picked.scene.surface_values()["cond"] == resolved.axes[1].values[6]
    assert picked.scene.runs[0] == base.runs[0]
    # lr: the curve's range is written out so it does not follow the new lr
    lr = Scene.from_query(QUADRATIC + "&run=sgd:lr=0.05&explore=lr:n=16")
    values = ep.resolve(lr.explore, lr).axes[0].values
    after = drafts.pick_variant(drafts.from_scene(lr), 15)
    assert after.scene.runs[0].lr == values[15]
    assert np.array_equal(ep.resolve(after.scene.explore, after.scene).axes[0].values, values)
    with pytest.raises(SceneError):
        drafts.pick_variant(drafts.from_scene(lr), 16)
    with pytest.raises(SceneError):
        drafts.pick_variant(drafts.from_scene(base), 3, 8)
    with pytest.raises(SceneError):
        drafts.pick_variant(drafts.from_scene(base), 3)


def test_pick_a_start():
    scene = Scene.from_query("surface=himmelblau&start=1,1&run=sgd:lr=0.01&run=adam:lr=0.1,x0=2,y0=2"
                             "&explore=starts:n=10")
    picked = drafts.pick_variant(drafts.from_scene(scene), 0, 9)
    assert picked.scene.start == (-4.5, 4.5), "a run without its own start moves the scene's start"
    assert (picked.scene.runs[1].x0, picked.scene.runs[1].y0) == (2.0, 2.0), "others keep their own"
    own = drafts.pick_variant(drafts.from_scene(scene.replace(explore=scene.explore.__class__("starts", {
        "run": 2, "n": 10}))), 9, 0)
    assert (own.scene.runs[1].x0, own.scene.runs[1].y0) == (4.5, -4.5) and own.scene.start == (1.0, 1.0)


def test_the_exploration_follows_its_run():
    scene = Scene.from_query(QUADRATIC + "&run=sgd:lr=0.05&run=adam&run=momentum:lr=0.02,momentum=0.9"
                             "&explore=map:x=lr,y=momentum,run=3,n=8")
    removed = drafts.remove_run(drafts.from_scene(scene, 0))
    assert removed.scene.explore.params["run"] == 2 and removed.scene.runs[1].optimizer == "momentum"
    copied = drafts.duplicate_run(drafts.from_scene(scene, 0))
    assert copied.scene.explore.params["run"] == 4
    gone = drafts.remove_run(drafts.from_scene(scene, 2))
    assert gone.scene.explore is None
    # another surface keeps an exploration that still fits it and closes one that does not, saying so
    starts = drafts.apply(drafts.from_scene(scene, 0), "explore.kind", "starts")
    assert drafts.apply(starts, "surface", "himmelblau").scene.explore.spec() == "starts"
    closed = drafts.apply(drafts.from_scene(scene, 0), "surface", "himmelblau")
    assert closed.scene.explore is None or closed.scene.explore.params.get("y") != "cond"
    # an optimizer without the axis closes the map and says so
    adam = drafts.apply(drafts.from_scene(scene, 2), "run.optimizer", "adam")
    assert adam.scene.explore is None and "explore" in adam.problems


# ---------------------------------------------------------------- the event


@pytest.mark.parametrize("value", [
    {"event": "pick", "on": "abc", "i": "3", "j": None, "nonce": 1},
    {"event": "pick", "on": "abc", "i": -1, "j": None, "nonce": 1},
    {"event": "pick", "on": "abc", "i": True, "j": None, "nonce": 1},
    {"event": "pick", "on": "abc", "i": 1.5, "j": None, "nonce": 1},
    {"event": "pick", "on": "abc", "i": 10**9, "j": None, "nonce": 1},
    {"event": "pick", "on": "abc", "i": 1, "j": [2], "nonce": 1},
    {"event": "pick", "on": "abc", "i": 1, "j": 2},
    {"event": "pick", "on": 7, "i": 1, "j": 2, "nonce": 1},
    {"event": "pick", "on": "x" * 500, "i": 1, "j": 2, "nonce": 1},
    {"event": "pick", "on": "abc", "i": 1, "j": 2, "nonce": "1"},
    {"event": "pick", "value": 0.1, "nonce": 1},
    ["pick", 1, 2],
])
def test_malformed_picks_are_ignored(value):
    assert player_event(value, 1) is None
    assert player_event(value, 2) is None


def test_a_pick_event():
    assert player_event({"event": "pick", "on": "abc", "i": 3, "j": None, "nonce": 9}, 1) == PickEvent("abc", 3, None, 9)
    assert player_event({"event": "pick", "on": "abc", "i": 3, "j": 0, "nonce": 9}, 1) == PickEvent("abc", 3, 0, 9)


# ---------------------------------------------------------------- the page (AppTest)

SMALL = "surface=quadratic:cond=25,angle=30&steps=40&run=sgd:lr=0.05&run=momentum:lr=0.02,momentum=0.9"


def test_the_control_opens_each_kind(open_url):
    at = open_url(SMALL)
    assert "explore" not in payload(at)
    assert at.selectbox("explore.kind").value == "none"
    at.selectbox("explore.kind").set_value("lr")
    run_ok(at)
    p = payload(at)
    assert p["explore"]["kind"] == "lr" and "explore=lr:lo=5e-05,hi=50" in p["query"]
    assert p["explore"]["limit"]["formula"] == "2/L" and p["explore"]["own"] == [0.05]
    at.select_slider("explore.n").set_value(64)
    run_ok(at)
    assert payload(at)["explore"]["axes"][0]["n"] == 64
    at.selectbox("explore.kind").set_value("starts")
    run_ok(at)
    assert payload(at)["explore"]["kind"] == "starts" and "explore=starts" in payload(at)["query"]
    at.radio("pick").set_value(1)
    run_ok(at)
    assert at.selectbox("explore.kind").value == "none", "run 2 is not the explored one"
    at.selectbox("explore.kind").set_value("map")
    run_ok(at)
    p = payload(at)
    assert "explore=map:x=lr,y=momentum,run=2" in p["query"]
    assert set(p["explore"]["rate"]) == {"exact", "measured", "optimizer"}, "momentum on the quadratic: exact rates"
    at.selectbox("explore.y").set_value("cond")
    run_ok(at)
    assert "explore=map:x=lr,y=cond,run=2" in payload(at)["query"]
    at.selectbox("explore.kind").set_value("none")
    run_ok(at)
    assert "explore" not in payload(at) and "explore=" not in payload(at)["query"]


def test_a_pick_applies_its_value_and_the_address_follows(open_url):
    at = open_url(SMALL + "&explore=map:x=lr,y=momentum,run=2,n=8")
    p = payload(at)
    resolved = ep.resolve(Scene.from_query(p["query"]).explore, Scene.from_query(p["query"]))
    at.session_state["player"] = {"event": "pick", "on": p["explore"]["id"], "i": 5, "j": 2, "nonce": 11}
    run_ok(at)
    after = payload(at)
    scene = Scene.from_query(after["query"])
    assert scene.runs[1].lr == resolved.axes[0].values[5] and scene.runs[1].momentum == resolved.axes[1].values[2]
    assert after["explore"]["id"] == p["explore"]["id"], "the same exploration, from the cache"
    assert after["explore"]["own"] == [resolved.axes[0].values[5], resolved.axes[1].values[2]]
    assert after["query"] != p["query"]
    # the path the player gets is the picked run's
    picked = simulate(scene).runs[1]
    xy = np.frombuffer(base64.b64decode(after["runs"][1]["xy"]["bdata"]), "<f4").reshape(-1, 2)
    np.testing.assert_array_equal(xy, picked.xy)
    # the same click again (its nonce) does nothing more
    run_ok(at)
    assert payload(at)["query"] == after["query"]


@pytest.mark.parametrize("forged", [
    {"event": "pick", "on": "0000000000000000", "i": 1, "j": 1, "nonce": 5},  # another exploration
    {"event": "pick", "on": "ID", "i": 8, "j": 1, "nonce": 6},                # outside the 8 x 8 map
    {"event": "pick", "on": "ID", "i": 1, "j": None, "nonce": 7},             # a map needs j
    {"event": "pick", "on": "ID", "i": "1", "j": 1, "nonce": 8},              # not an index
    {"event": "pick", "on": "ID", "lr": 1000.0, "nonce": 9},                  # a value is never taken
])
def test_forged_picks_change_nothing(open_url, forged):
    at = open_url(SMALL + "&explore=map:x=lr,y=momentum,run=2,n=8")
    before = payload(at)
    forged = {k: (before["explore"]["id"] if v == "ID" else v) for k, v in forged.items()}
    at.session_state["player"] = forged
    run_ok(at)
    assert payload(at)["query"] == before["query"]


def test_a_start_picked_from_the_basins(open_url):
    at = open_url("surface=himmelblau&steps=60&run=sgd:lr=0.01&explore=starts:n=16")
    p = payload(at)
    at.session_state["player"] = {"event": "pick", "on": p["explore"]["id"], "i": 0, "j": 15, "nonce": 3}
    run_ok(at)
    after = payload(at)
    assert after["start"] == [-4.6875, 4.6875] and "start=-4.6875,4.6875" in after["query"]
    assert after["explore"]["own"] == [-4.6875, 4.6875]


def test_a_link_with_an_exploration_shows_what_it_computed(open_url):
    at = open_url("surface=himmelblau&steps=60&run=sgd:lr=0.01&explore=starts:n=32")
    (line,) = [c.value for c in at.main.caption if c.value.startswith("Exploring")]
    assert "1,024 starting points × 60 steps" in line
    assert math.isfinite(payload(at)["explore"]["ms"])


class _Placeholder:
    def __init__(self):
        self.calls = []

    def info(self, text, icon=None):
        self.calls.append(("info", text))

    def empty(self):
        self.calls.append(("empty", None))


def test_progress_shows_only_after_0_3_s():
    import time

    from visualizer.page.explore_panel import PROGRESS_AFTER_S, progress

    assert PROGRESS_AFTER_S == 0.3
    quick, slow = _Placeholder(), _Placeholder()
    with progress(quick, "running"):
        time.sleep(0.05)
    with progress(slow, "running"):
        time.sleep(0.45)
    assert quick.calls == [("empty", None)]
    assert slow.calls == [("info", "running"), ("empty", None)]


def test_a_network_explores_its_learning_rate_and_a_pick_applies_it(open_url):
    at = open_url("surface=mlp:data=moons&steps=40&run=sgd:lr=0.5,label=SGD&run=adam:lr=0.03,label=Adam")
    assert at.selectbox("explore.kind").options == ["nothing: one run", "the learning rate (a curve)"]
    at.selectbox("explore.kind").set_value("lr")
    run_ok(at)
    at.select_slider("explore.n").set_value(32)
    run_ok(at)
    p = payload(at)
    assert p["explore"]["kind"] == "lr" and "explore=lr:lo=0.0005,hi=500,n=32" in p["query"]
    assert p["explore"]["minima"] == [] and "limit" not in p["explore"] and p["explore"]["f_star"] == 0.0
    losses = unpack(p["explore"]["final_loss"])
    assert len(losses) == 32 and np.isfinite(losses[:8]).all()
    at.session_state["player"] = {"event": "pick", "on": p["explore"]["id"], "i": 20, "j": None, "nonce": 3}
    run_ok(at)
    scene = Scene.from_query(payload(at)["query"])
    resolved = ep.resolve(scene.explore, scene)
    assert scene.runs[0].lr == resolved.axes[0].values[20]
