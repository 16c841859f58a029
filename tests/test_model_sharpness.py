"""A network's sharpness from Hessian-vector products, held to the exact
Hessian; the joint plane of every run and each run's distance from it."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from visualizer import Scene, SceneError, simulate
from visualizer.core.model import curvature
from visualizer.core.model import network as nets
from visualizer.core.model.data import dataset
from visualizer.core.model.simulate import ModelSettings, probe, sharpness_points, starting_weights

STEPS = 60
SCENE = f"surface=mlp:data=moons&steps={STEPS}&run=sgd:lr=1&run=adam:lr=0.03,b1=0.9,b2=0.99,eps=1e-8"


def training_loss(query: str):
    """The full-batch training loss of a scene's network, and its starting weights."""
    settings = ModelSettings.of(Scene.from_query(query))
    data = dataset(settings.data)
    train_x, _ = data.scaled(settings.scale)
    labelled = jnp.asarray(data.labelled(settings.labels), jnp.float32)

    def loss(w):
        return nets.loss(settings.network, w, train_x, data.train_y, labelled)[0]

    return loss, jnp.asarray(starting_weights(settings)), settings


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lanczos_finds_the_top_eigenvalue_of_the_exact_hessian(seed):
    loss, w0, _ = training_loss("surface=mlp:data=spirals,hidden=8,layers=2")
    w = w0 + 0.7 * jnp.asarray(np.random.default_rng(seed).standard_normal(w0.size), jnp.float32)
    exact = np.linalg.eigvalsh(np.asarray(jax.hessian(loss)(w), np.float64))
    top, ritz = curvature.lanczos_top(curvature.hessian_vector_product(loss, w), jnp.asarray(probe(w.size)))
    assert float(top) == pytest.approx(exact[-1], rel=1e-3)
    assert float(jnp.linalg.norm(ritz)) == pytest.approx(1.0, rel=1e-3)


def test_lanczos_on_fewer_weights_than_iterations_ends_where_the_space_closes():
    h = jnp.diag(jnp.asarray([3.0, -5.0, 1.0]))
    top, _ = curvature.lanczos_top(lambda v: h @ v, jnp.ones(3))
    assert float(top) == pytest.approx(3.0, rel=1e-5)


@pytest.fixture(scope="module")
def result():
    return simulate(Scene.from_query(SCENE))


def test_the_sharpness_is_estimated_every_few_steps_in_pairs(result):
    at = sharpness_points(STEPS, STEPS + 5, 10)
    assert np.flatnonzero(at).tolist() == [0, 1, 10, 11, 20, 21, 30, 31, 40, 41, 50, 51, 60]
    assert at[:2].tolist() == [2, 2] and set(at[2:].tolist()) == {0, 1}, "the first pair thorough, then quick"
    for run in result.runs:
        estimated = ~np.isnan(run.sharpness)
        np.testing.assert_array_equal(estimated, at[: STEPS + 1] > 0)
    data = json.loads(result.to_json())
    assert data["runs"][0]["sharpness"][2] is None and data["runs"][0]["sharpness"][10] is not None


def test_the_first_estimate_is_the_exact_top_eigenvalue_at_the_starting_weights(result):
    loss, w0, _ = training_loss(SCENE)
    h = np.asarray(jax.hessian(loss)(w0), np.float64)
    for run in result.runs:
        assert run.sharpness[0] == pytest.approx(np.linalg.eigvalsh(h)[-1], rel=1e-3)
    # Adam's first update: v = (1 - b2) g^2 at count 1, so P = (1 - b1)(|g| + eps).
    g = np.asarray(jax.grad(loss)(w0), np.float64)
    p = (1 - 0.9) * (np.abs(g) + 1e-8)
    scaled = h / np.sqrt(np.outer(p, p))
    adam = result.runs[1]
    assert adam.preconditioned_sharpness[0] == pytest.approx(np.linalg.eigvalsh(scaled)[-1], rel=1e-3)
    assert result.runs[0].preconditioned_sharpness is None, "SGD has no preconditioner"


def test_the_estimates_from_the_last_ones_vectors_are_those_started_afresh(result, monkeypatch):
    """Later estimates take `curvature.LATER` iterations from the previous
    Ritz vectors: what as many iterations as the first one gives."""
    from visualizer.core import programs

    monkeypatch.setattr(programs, "PROGRAMS", programs.ProgramCache(programs.PROGRAM_CACHE_SIZE))
    monkeypatch.setattr(curvature, "LATER", curvature.FIRST)
    thorough = simulate(Scene.from_query(SCENE))
    for quick, slow in zip(result.runs, thorough.runs, strict=True):
        np.testing.assert_allclose(quick.sharpness, slow.sharpness, rtol=1e-2)
        if quick.preconditioned_sharpness is not None:
            np.testing.assert_allclose(quick.preconditioned_sharpness, slow.preconditioned_sharpness, rtol=2e-2)


def test_a_frozen_network_has_the_sharpness_of_its_last_layer():
    query = "surface=mlp:data=circles,freeze=1&steps=20&run=sgd:lr=0.5"
    loss, w0, settings = training_loss(query)
    run = simulate(Scene.from_query(query)).runs[0]
    trains = np.asarray(settings.network.last_layer()) > 0
    h = np.asarray(jax.hessian(loss)(w0), np.float64)[np.ix_(trains, trains)]
    assert run.sharpness[0] == pytest.approx(np.linalg.eigvalsh(h)[-1], rel=1e-3)


def test_the_joint_plane_is_centred_on_every_runs_weights(result):
    joint = simulate(Scene.from_query(SCENE.replace("moons", "moons,plane=joint")))
    points = np.concatenate([r.xy.astype(np.float64) for r in joint.runs])
    np.testing.assert_allclose(points.mean(0), 0, atol=1e-3 * np.abs(points).max())
    assert sum(joint.model.plane.explained_variance) <= 1 + 1e-9
    # run 1's own plane holds its end: no distance there; the joint one holds neither end
    assert result.runs[0].plane_distance[-1] == pytest.approx(0, abs=1e-4)
    for run in joint.runs:
        assert run.plane_distance.shape == run.loss.shape and np.all(run.plane_distance >= 0)
        assert run.plane_distance[-1] > 1e-3
    assert "plane_distance" in json.loads(joint.to_json())["runs"][1]


@pytest.mark.parametrize(("query", "key"), [
    ("surface=rosenbrock,plane=joint", "surface"),
    ("surface=mlp:plane=both", "surface"),
    ("surface=mlp:sharpness_every=0", "surface"),
])
def test_a_bad_plane_or_sharpness_interval_is_a_scene_error(query, key):
    with pytest.raises(SceneError) as caught:
        Scene.from_query(query.replace("rosenbrock,", "rosenbrock:"))
    assert caught.value.key == key


def test_a_network_compiled_in_the_worker_runs_in_a_fresh_server_process():
    """The sharpness's Lanczos calls LAPACK (eigh); a program compiled in the
    compile worker and loaded by a process that never lowered one used to
    crash it (a segmentation fault): the server, on its first network."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    program = ("from visualizer.core import compile_worker\n"
               "assert compile_worker.for_the_server()\n"
               "from visualizer import Scene, simulate\n"
               "run = simulate(Scene.from_query('surface=mlp:data=moons&steps=20&run=adam:lr=0.03')).runs[0]\n"
               "print(float(run.sharpness[0]), float(run.preconditioned_sharpness[0]))\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OPTVIZ_COMPILE_WORKER": "on"}
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    sharp, preconditioned = (float(v) for v in done.stdout.split())
    assert sharp > 0 and preconditioned > sharp
