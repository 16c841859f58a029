"""`flow=1`: each run's continuous-time limit, against the exact solution
on a quadratic, against the run itself at a small rate, and where a run
near its stability limit leaves it."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from visualizer import Scene, SceneError, simulate
from visualizer.core import flow
from visualizer.core.scene import parse_lenient

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


def test_only_the_runs_with_a_flow_get_one_in_the_results():
    result = simulate(scene("run=sgd:lr=0.05&run=adam:lr=0.1", steps=30))
    sgd, adam = json.loads(result.to_json())["runs"]
    assert len(sgd["flow"]) == 31 and "leaves_flow_at" in sgd
    assert "flow" not in adam and "leaves_flow_at" not in adam
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
    with pytest.raises(SceneError, match=says) as caught:
        Scene.from_query(query)
    assert caught.value.key == "flow"
    scene_, problems = parse_lenient(query)
    assert not scene_.flow and [p.key for p in problems] == ["flow"]
