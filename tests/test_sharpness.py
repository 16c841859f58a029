"""Sharpness on the 2D surfaces: the exact Hessian's top eigenvalue at every
point, each optimizer's stability limit against the runs it predicts, and
the Adam family's preconditioner against the update optax applied."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest

from visualizer import Scene, simulate
from visualizer.core import sharpness
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.surfaces import SURFACES


def test_the_sharpness_of_a_quadratic_is_its_steep_curvature_everywhere():
    result = simulate(Scene.from_query("surface=quadratic:cond=25,angle=30&steps=40&run=sgd:lr=0.01&run=adam:lr=0.1"))
    for run in result.runs:
        assert run.sharpness.shape == run.loss.shape
        np.testing.assert_allclose(run.sharpness, 25, rtol=1e-5)


@pytest.mark.parametrize("surface", ["rosenbrock", "himmelblau", "saddle"])
def test_the_sharpness_is_the_top_eigenvalue_of_the_exact_hessian(surface):
    result = simulate(Scene.from_query(f"surface={surface}&steps=30&run=adam:lr=0.05"))
    run = result.runs[0]
    fn = SURFACES[surface].fn
    hessian = jax.hessian(lambda p: fn(p[0], p[1]))
    for k in (0, 7, 30):
        h = np.asarray(hessian(run.xy[k]), np.float64)
        assert run.sharpness[k] == pytest.approx(np.linalg.eigvalsh(h)[-1], rel=1e-4, abs=1e-4)


@pytest.mark.parametrize("run", ["sgd:lr={lr}", "momentum:lr={lr},momentum=0.9", "nesterov:lr={lr},momentum=0.7"])
def test_each_stability_limit_parts_the_rates_that_converge_from_those_that_diverge(run):
    """On a quadratic of sharpness L, a rate whose limit is 5% above L
    converges and one whose limit is 5% below diverges."""
    cond = 20.0
    optimizer = run.partition(":")[0]
    stability = OPTIMIZERS[optimizer].stability
    hyper = Scene.from_query(f"run={run.format(lr=0.01)}").runs[0].hyper
    at_one = stability.limit(1.0, hyper)  # the limit at lr 1: limit(lr) = at_one / lr
    stable, unstable = at_one / (1.05 * cond), at_one / (0.95 * cond)
    scene = Scene.from_query(f"surface=quadratic:cond={cond:g}&steps=1500&run={run.format(lr=stable)}"
                             f"&run={run.format(lr=unstable)}")
    converges, diverges = simulate(scene).runs
    assert converges.diverged_at is None and converges.loss[-1] < 1e-6 * converges.loss[0]
    assert diverges.diverged_at is not None
    np.testing.assert_allclose(converges.sharpness_limit, 1.05 * cond, rtol=1e-5)


@pytest.mark.parametrize("optimizer", ["adam:b1=0.9,b2=0.999,eps=1e-8", "adamw:b1=0.8,b2=0.99,eps=0.01,weight_decay=0"])
def test_the_preconditioner_is_the_one_the_update_divides_by(optimizer):
    """Adam's update is lr P^-1 m: P from the results' second moment gives
    back every step the engine took."""
    result = simulate(Scene.from_query(f"surface=rosenbrock&steps=60&run={optimizer.replace(':', ':lr=0.02,')}"))
    run = result.runs[0]
    p = sharpness.preconditioner_of(run.run, run.state)
    step = run.lr[:, None] * run.state["m"] / p
    np.testing.assert_allclose(np.diff(run.xy.astype(np.float64), axis=0), -step, rtol=2e-3, atol=1e-6)


def test_the_preconditioned_sharpness_is_the_top_eigenvalue_of_p_inverse_h():
    result = simulate(Scene.from_query("surface=beale&start=1,1&steps=50&run=adam:lr=0.05"))
    run = result.runs[0]
    fn = SURFACES["beale"].fn
    hessian = jax.hessian(lambda p: fn(p[0], p[1]))
    p = sharpness.preconditioner_of(run.run, run.state)
    for k in (0, 10, 49):
        h = np.asarray(hessian(run.xy[k]), np.float64)
        expected = np.max(np.linalg.eigvals(np.diag(1 / p[k]) @ h).real)
        assert run.preconditioned_sharpness[k] == pytest.approx(expected, rel=1e-3)
    assert np.isnan(run.preconditioned_sharpness[-1]), "no update leaves the last point"
    np.testing.assert_allclose(run.preconditioned_limit, 38 / 0.05, rtol=1e-5)
    assert len(run.sharpness_limit) == 0, "Adam's limit is one of the preconditioned sharpness"


def test_the_results_carry_the_sharpness_in_json_and_csv():
    result = simulate(Scene.from_query("surface=rosenbrock&steps=20&run=sgd:lr=0.001&run=adam:lr=0.05"))
    data = json.loads(result.to_json())
    sgd, adam = data["runs"]
    assert "preconditioned_sharpness" not in sgd and len(sgd["sharpness"]) == 21
    assert adam["preconditioned_sharpness"][-1] is None and None not in adam["preconditioned_sharpness"][:-1]
    header, *rows = result.to_csv().splitlines()
    assert header.endswith(",sharpness,preconditioned_sharpness")
    assert float(rows[0].split(",")[-2]) == pytest.approx(float(result.runs[0].sharpness[0]))
    assert rows[0].split(",")[-1] == "", "SGD has no preconditioner"
