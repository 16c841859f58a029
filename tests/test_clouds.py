"""Clouds (`seeds=N`): N noisy copies of a run stepped at once, reported as
the median path with its quantiles; held to N single runs stepped one by
one with the same noise."""

from __future__ import annotations

import json

import jax
import numpy as np
import optax
import pytest
from refusals import refused

from visualizer import Scene, simulate
from visualizer.core import clouds
from visualizer.core.surfaces import SURFACES

QUERY = "surface=quadratic:cond=10,angle=30&start=-2.6,1.2&steps=150&run=sgd:lr=0.05,noise=3,seed=7,seeds=40"


def copies_one_by_one(run, steps, start=(-2.6, 1.2)):
    """Each copy as a plain optax loop: SGD with copy i's noise table
    (`noise * normal(key(seed + i))`), on the quadratic of QUERY."""
    fn = SURFACES["quadratic"].fn
    grad = jax.jit(jax.grad(lambda p: fn(p[0], p[1], cond=10.0, angle=30.0)))
    loss = jax.jit(lambda p: fn(p[0], p[1], cond=10.0, angle=30.0))
    length = 257
    paths, losses = [], []
    for i in range(run.seeds):
        table = run.noise * jax.random.normal(jax.random.key(np.uint32(run.seed + i)), (length, 2), np.float32)
        opt = optax.sgd(run.lr)
        p, state = np.asarray(start, np.float32), opt.init(np.zeros(2, np.float32))
        xy, ls = [p], [loss(p)]
        for k in range(steps):
            update, state = opt.update(grad(p) + table[k], state)
            p = optax.apply_updates(p, update)
            xy.append(p)
            ls.append(loss(p))
        paths.append(np.asarray(xy, np.float64))
        losses.append(np.asarray(ls, np.float64))
    return np.stack(paths), np.stack(losses)


@pytest.fixture(scope="module")
def cloud():
    scene = Scene.from_query(QUERY)
    return scene, simulate(scene).runs[0]


def test_a_cloud_is_its_copies_stepped_one_by_one(cloud):
    scene, run = cloud
    paths, losses = copies_one_by_one(scene.runs[0], scene.steps)
    qs = np.asarray(clouds.QUANTILES)
    np.testing.assert_allclose(run.quantiles["xy"], np.quantile(paths, qs, axis=0), atol=2e-4)
    np.testing.assert_allclose(run.quantiles["loss"], np.quantile(losses, qs, axis=0), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(run.xy, np.median(paths, axis=0), atol=2e-4)
    np.testing.assert_allclose(run.loss, np.median(losses, axis=0), rtol=1e-3, atol=1e-4)
    assert list(run.quantiles["q"]) == [0.1, 0.5, 0.9]


def test_the_band_holds_the_median_and_widens_with_the_noise(cloud):
    scene, run = cloud
    low, middle, high = run.quantiles["loss"]
    assert np.all(low <= middle) and np.all(middle <= high)
    half = simulate(Scene.from_query(QUERY.replace("noise=3", "noise=1.5"))).runs[0]
    width = lambda r: np.mean(r.quantiles["xy"][2, -50:] - r.quantiles["xy"][0, -50:])  # noqa: E731
    assert 0.35 < width(half) / width(run) < 0.65, "the cloud's width goes with the noise"


def test_a_larger_learning_rate_late_in_a_run_gives_a_wider_cloud():
    decaying = simulate(Scene.from_query(QUERY.replace("seeds=40", "seeds=40,schedule=cosine"))).runs[0]
    constant = simulate(Scene.from_query(QUERY)).runs[0]
    spread = lambda r: np.mean(r.quantiles["loss"][2, -20:] - r.quantiles["loss"][0, -20:])  # noqa: E731
    assert spread(decaying) < 0.2 * spread(constant)


def test_a_cloud_compiles_once_per_number_of_copies_bucket_and_never_for_a_value(compiles):
    """Copies are stepped by a program per power of two of them (`clouds.SIZES`):
    any number within one, any rate, noise, seed, start or knob of the
    surface reuses it; 65 copies need the next size, once."""
    scene = Scene.from_query(QUERY)
    (run,) = scene.runs
    simulate(scene)
    with compiles.counting() as n:
        for seeds, lr, noise, seed in ((33, 0.02, 1.0, 3), (64, 0.08, 5.0, 11), (50, 0.05, 0.5, 0)):
            changed = scene.replace(runs=(run.replace(seeds=seeds, lr=lr, noise=noise, seed=seed),),
                                    start=(1.5, -2.0), surface_params={"cond": 25.0, "angle": 10.0})
            (r,) = simulate(changed).runs
            assert r.quantiles["xy"].shape == (3, 151, 2)
    assert n[0] == 0, n[1]
    with compiles.counting() as n:
        simulate(scene.replace(runs=(run.replace(seeds=65),)))
        simulate(scene.replace(runs=(run.replace(seeds=100),)))
    assert n[0] == 1, n[1]


def test_a_cloud_in_json_has_its_quantiles_and_every_series_its_length(cloud):
    scene, run = cloud
    data = json.loads(simulate(scene).to_json())["runs"][0]
    assert data["params"]["seeds"] == 40
    assert len(data["xy"]) == len(data["loss"]) == len(data["sharpness"]) == 151
    assert len(data["quantiles"]["xy"]) == 3 and len(data["quantiles"]["xy"][0]) == 151
    assert len(data["lr"]) == len(data["grad_norm"]) == 150
    np.testing.assert_allclose(data["sharpness"], 10, rtol=1e-5)


def test_a_cloud_whose_copies_diverge_is_cut_where_half_of_them_have():
    scene = Scene.from_query("surface=quadratic:cond=10&steps=200&run=sgd:lr=0.22,noise=3,seeds=64")
    (run,) = simulate(scene).runs
    assert run.diverged_at is not None
    assert np.isfinite(run.xy).all() and len(run.quantiles["xy"][0]) == len(run.xy)


@pytest.mark.parametrize(("query", "says"), [
    ("surface=rosenbrock&run=sgd:lr=0.001,seeds=8", "needs noise"),
    ("surface=mlp&run=sgd:lr=0.5,noise=1,seeds=8", "2D surfaces"),
    ("surface=rosenbrock&run=sgd:lr=0.001,noise=1,seeds=0", "seeds"),
    ("surface=rosenbrock&run=sgd:lr=0.001,noise=1,seeds=100000", "seeds"),
])
def test_a_cloud_that_cannot_be_is_a_scene_error_naming_the_run(query, says):
    scene, problems = refused(query, says, "run")
    assert scene.runs[0].seeds == 1 and len(problems) == 1
