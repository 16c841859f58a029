"""`flow=1`: each run's continuous-time limit, against the exact solution
on a quadratic (at a constant rate and through every schedule), against
the run itself at a small rate, where a run near its stability limit
leaves it, where a solve stops short and why, and that no value's change
compiles it again."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest
from refusals import refused

from visualizer import Scene, simulate
from visualizer.browser.payload import runs_payload
from visualizer.core import flow
from visualizer.core.programs import ProgramCache, bucket_length
from visualizer.core.schedules import SCHEDULES

COND, ANGLE = 10.0, 30.0


ROTATE = np.array([[math.cos(math.radians(ANGLE)), math.sin(math.radians(ANGLE))],
                   [-math.sin(math.radians(ANGLE)), math.cos(math.radians(ANGLE))]])


def exact_gradient_flow(start, times):
    """The quadratic's gradient flow: u(t) = u0 e^-t along the valley,
    v(t) = v0 e^(-cond t) across it."""
    uv0 = ROTATE @ np.asarray(start, np.float64)
    uv = uv0[None] * np.exp(-np.outer(times, [1.0, COND]))
    return uv @ ROTATE


def exact_heavy_ball(start, times, lr, m):
    """lr x'' + (1 - m) x' + curvature x = 0 from rest, along each axis
    of the quadratic: the exponential of its 2 x 2 system."""
    uv0 = ROTATE @ np.asarray(start, np.float64)
    out = np.empty((len(times), 2))
    for axis, curvature in enumerate((1.0, COND)):
        system = np.array([[0.0, 1.0], [-curvature / lr, -(1 - m) / lr]])
        values, vectors = np.linalg.eig(system)
        weights = np.linalg.solve(vectors, [uv0[axis], 0.0])
        out[:, axis] = (vectors[0] * weights * np.exp(np.outer(times, values))).sum(1).real
    return out @ ROTATE


def exact_heavy_ball_through(start, rates, m):
    """The heavy-ball equation from rest with the rate of each update in
    force for that update's time (lr_k), along each axis of the quadratic:
    the exponential of its 2 x 2 system over each update in turn; an
    update of rate 0 takes no time."""
    uv0 = ROTATE @ np.asarray(start, np.float64)
    out = np.empty((len(rates) + 1, 2))
    for axis, curvature in enumerate((1.0, COND)):
        state = np.array([uv0[axis], 0.0])
        out[0, axis] = state[0]
        for k, lr in enumerate(rates):
            if lr > 0:  # (x, x') over a time lr: exp([[0, lr], [-curvature, -(1 - m)]])
                values, vectors = np.linalg.eig(np.array([[0.0, lr], [-curvature, -(1 - m)]]))
                state = (vectors @ np.diag(np.exp(values)) @ np.linalg.solve(vectors, state)).real
            out[k + 1, axis] = state[0]
    return out @ ROTATE


def scene(runs: str, steps: int = 100) -> Scene:
    return Scene.from_query(f"surface=quadratic:cond={COND:g},angle={ANGLE:g}&start=-2.6,1.2&steps={steps}&"
                            f"{runs}&flow=1")


def test_the_gradient_flow_is_the_exact_solution_at_the_runs_times():
    result = simulate(scene("run=sgd:lr=0.05&run=sgd:lr=0.02,schedule=cosine"))
    for run in result.runs:
        times = np.concatenate([[0.0], np.cumsum(run.lr.astype(np.float64))])
        np.testing.assert_allclose(run.flow, exact_gradient_flow((-2.6, 1.2), times), atol=2e-5)


@pytest.mark.parametrize("run", ["sgd:lr=0.002", "momentum:lr=0.0002,momentum=0.9"])
def test_a_small_rate_hugs_its_flow(run):
    """Within 1% of the window's diagonal at every step (a step's own
    length, 0.04 at momentum's first steps here, is the scale of the gap)."""
    result = simulate(scene(f"run={run}", steps=400))
    (r,) = result.runs
    (x0, x1), (y0, y1) = result.surface.window
    assert r.leaves_flow_at is None
    assert np.max(np.linalg.norm(r.xy - r.flow, axis=1)) < 0.01 * math.hypot(x1 - x0, y1 - y0)


@pytest.mark.parametrize("lr", [0.01, 0.001])
def test_the_heavy_ball_flow_is_the_exact_solution_of_its_equation(lr):
    result = simulate(scene(f"run=momentum:lr={lr},momentum=0.9", steps=200))
    (r,) = result.runs
    np.testing.assert_allclose(r.flow, exact_heavy_ball((-2.6, 1.2), lr * np.arange(201), lr, 0.9), atol=5e-5)


@pytest.mark.parametrize("schedule", [
    "step,step_size=30,gamma=0.3", "cosine", "warmup_cosine,warmup=20,min_ratio=0", "cyclic,period=20,min_ratio=0.1",
])
def test_the_heavy_ball_flow_follows_each_change_of_a_schedules_rate(schedule):
    """The rate is the equation's mass, so the flow changes at each update
    whose rate changes; the solver steps to each such point rather than
    across it (across, the error was 30 to 100 times this bound). A
    warm-up's first rate and the cosine's last are 0: that update takes no
    time."""
    (r,) = simulate(scene(f"run=momentum:lr=0.02,momentum=0.9,schedule={schedule}", steps=200)).runs
    assert r.flow_stops_at is None
    np.testing.assert_allclose(r.flow, exact_heavy_ball_through((-2.6, 1.2), r.lr.astype(np.float64), 0.9),
                               atol=5e-5)


def test_a_rate_near_the_stability_limit_leaves_its_flow_and_says_where():
    result = simulate(scene("run=sgd:lr=0.01&run=sgd:lr=0.19"))
    small, large = result.runs
    assert small.leaves_flow_at is None
    k = large.leaves_flow_at
    assert k is not None and k <= 2
    (x0, x1), (y0, y1) = result.surface.window
    gap = np.linalg.norm(large.xy - large.flow, axis=1)
    limit = flow.DEPARTURE * math.hypot(x1 - x0, y1 - y0)
    assert gap[k] > limit and np.all(gap[:k] <= limit)


def test_a_flow_that_leaves_the_window_stops_there_and_says_so():
    """On a plane (unbounded below) SGD's steps are its flow's exact
    points; the solve stops at the end of the solver's step in which the
    flow went a window's size outside the window (on a plane, steps of
    many updates), and the run, which follows it, never left it."""
    result = simulate(Scene.from_query("surface=custom&f=x-y&start=0.5,0.5&steps=2000&run=sgd:lr=0.01&flow=1"))
    (r,) = result.runs
    k = r.flow_stops_at
    assert r.flow_stop == flow.LEFT_WINDOW.words and r.leaves_flow_at is None and r.diverged_at is None
    low, high = flow.box_of(result.surface.window)
    outside = np.any((r.xy < low) | (r.xy > high), axis=1)
    first_outside = int(np.argmax(outside))
    assert 0 < first_outside <= k < len(r.xy)
    np.testing.assert_allclose(r.flow[:k], r.xy[:k], rtol=1e-4, atol=1e-5)  # the run sums its steps in float32
    assert np.isnan(r.flow[k:]).all()
    out = json.loads(result.to_json())["runs"][0]
    assert out["flow_stops_at"] == k and out["flow_stop"] == "it left the window"
    assert out["flow"][k - 1][0] is not None and out["flow"][k] == [None, None]
    (player,) = runs_payload(result)  # the player marks the flow's end and says why, in few words
    assert (player["flow_stops_at"], player["flow_stop"]) == (k, flow.LEFT_WINDOW.brief)


def test_every_stop_has_a_brief_form_for_the_player():
    assert set(flow.BRIEF) == {stop.words for stop in flow.STOPS.values()}
    assert all(0 < len(stop.brief) <= 30 for stop in flow.STOPS.values())


def test_a_solve_that_runs_out_of_steps_stops_there_and_says_so(monkeypatch):
    """MAX_STEPS bounds the solver's steps over the whole run (a bound of
    40 here, in a program compiled for it): the flow keeps the points it
    reached."""
    monkeypatch.setattr(flow, "MAX_STEPS", 40)
    monkeypatch.setattr(flow, "PROGRAMS", ProgramCache(4))
    (r,) = simulate(scene("run=momentum:lr=0.01,momentum=0.9", steps=300)).runs
    k = r.flow_stops_at
    assert 0 < k < 300 and r.flow_stop == flow.OUT_OF_STEPS.words
    assert np.isfinite(r.flow[:k]).all() and np.isnan(r.flow[k:]).all()
    np.testing.assert_allclose(r.flow[:k], exact_heavy_ball((-2.6, 1.2), 0.01 * np.arange(k), 0.01, 0.9), atol=5e-5)


def test_a_flow_toward_a_point_where_the_gradient_is_not_finite_stops_before_it():
    """sqrt(x)'s gradient flow reaches x = 0 in finite time, where the
    gradient is infinite: the flow stops there, with the words that say
    so, and no traceback."""
    (r,) = simulate(Scene.from_query("surface=custom&f=sqrt(x)%2By%5E2&start=1,0.5&steps=300&run=sgd:lr=0.01"
                                     "&flow=1")).runs
    k = r.flow_stops_at
    assert k is not None and "gradient is not finite" in r.flow_stop
    assert np.isfinite(r.flow[:k]).all() and np.isnan(r.flow[k:]).all() and 0 < r.flow[k - 1][0] < 0.1


def test_changing_any_value_of_a_flow_scene_compiles_nothing(compiles):
    """Every value is an argument of the flow's program: rates, schedules,
    momentum, start, the quadratic's knobs and the number of steps within
    a bucket, over 40 random changes."""
    rng = random.Random(12)
    base = scene("run=sgd:lr=0.05&run=momentum:lr=0.01,momentum=0.9", steps=40)
    for kind in SCHEDULES:  # each schedule's table is evaluated eagerly: its own small programs, once
        simulate(base.replace(runs=tuple(r.replace(schedule=kind) for r in base.runs)))
    low = min(n for n in range(1, 65) if bucket_length(n) == bucket_length(40))
    with compiles.counting() as n:
        for _ in range(40):
            runs = (base.runs[0].replace(lr=10 ** rng.uniform(-3, -1), schedule=rng.choice(list(SCHEDULES))),
                    base.runs[1].replace(lr=10 ** rng.uniform(-3, -1.5), momentum=rng.uniform(0.1, 0.99)))
            changed = base.replace(runs=runs, start=(rng.uniform(-3, 3), rng.uniform(-3, 3)),
                                   steps=rng.randint(low, bucket_length(40) - 1),
                                   surface_params={"cond": rng.uniform(1, 50), "angle": rng.uniform(0, 90)})
            assert Scene.from_query(changed.to_query()) == changed
            assert all(r.flow is not None for r in simulate(changed).runs)
    assert n[0] == 0, f"{n[0]} compilations during 40 value changes: {n[1][:10]}"


def test_only_the_runs_with_a_flow_get_one_in_the_results():
    result = simulate(scene("run=sgd:lr=0.05&run=adam:lr=0.1", steps=30))
    sgd, adam = json.loads(result.to_json())["runs"]
    assert len(sgd["flow"]) == 31 and "leaves_flow_at" in sgd
    assert sgd["flow_stops_at"] is None and sgd["flow_stop"] is None
    assert not {"flow", "leaves_flow_at", "flow_stops_at", "flow_stop"} & set(adam)
    assert "flow" not in simulate(scene("run=sgd:lr=0.05").replace(flow=False)).to_dict()["runs"][0]
    header, first, *_ = result.to_csv().splitlines()
    assert header.endswith(",flow_x,flow_y") and first.endswith(",-2.5999999046325684,1.2000000476837158")


def test_flow_is_a_key_of_the_scene_in_canonical_form():
    s = scene("run=sgd:lr=0.05")
    assert s.flow and s.to_query().endswith("&flow=1")
    assert Scene.from_query(s.to_query()) == s


@pytest.mark.parametrize(("query", "says"), [
    ("surface=rosenbrock&run=adam:lr=0.05&flow=1", "no run here has a continuous-time limit"),
    ("surface=mlp&run=sgd:lr=0.5&flow=1", "2D surfaces"),
    ("surface=rosenbrock&run=sgd:lr=0.001&flow=2", "not 0 or 1"),
])
def test_a_flow_that_cannot_be_drawn_is_a_scene_error_naming_the_key(query, says):
    scene_, problems = refused(query, says, "flow")
    assert not scene_.flow and [p.key for p in problems] == ["flow"]
