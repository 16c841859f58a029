"""The model surface (docs/model.md) against its references.

Training is checked against a plain optax loop over the same network and
data (`pipeline.build_chain` stepped by hand); the plane against an SVD done
here; the behaviours a lesson will claim (zeros init, labels, pretraining,
freezing, minibatches, badly scaled inputs, divergence) on the real thing.
"""

from __future__ import annotations

import functools
import random

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from visualizer import Scene, SceneError, simulate
from visualizer.core import pipeline, surfaces
from visualizer.core.model import network as nets
from visualizer.core.model import training
from visualizer.core.model.data import DATA_SETS, dataset
from visualizer.core.model.simulate import PSEUDO_CLASS, PSEUDO_NONE, ModelSettings, starting_weights, weights_path
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.scene import parse_lenient
from visualizer.core.surfaces import NETWORK

STEPS = 40  # bucket 65
F32 = np.float32


@functools.cache
def run_scene(query: str):
    return simulate(Scene.from_query(query))


# ------------------------------------------------------------ the reference


def epochs(labelled: np.ndarray, size: int, seed: int, steps: int) -> list[np.ndarray]:
    """The minibatches docs/model.md describes, written out again: each
    epoch a permutation of the labelled points (numpy's default generator
    seeded by the run's seed), cut into batches, the incomplete one dropped."""
    points = np.flatnonzero(labelled)
    if len(points) <= size:
        return [points] * steps
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    while len(out) < steps:
        order = rng.permutation(points)
        out += [order[i * size:(i + 1) * size] for i in range(len(points) // size)]
    return out[:steps]


def reference(scene: Scene, index: int = 0):
    """Run `index` of `scene` as a plain optax loop: the chain of
    `pipeline.build_chain` on the flat weights, the gradient of the frozen
    weights zeroed before it and their update after it. Returns the weights
    at every point (steps + 1, P), the training loss and accuracies there."""
    s = ModelSettings.of(scene)
    net, run = s.network, scene.runs[index]
    data = dataset(s.data)
    labelled = data.labelled(s.labels)
    train_x, test_x = (jnp.asarray(a) for a in data.scaled(s.scale))
    train_y, test_y = jnp.asarray(data.train_y), jnp.asarray(data.test_y)
    mask = jnp.asarray(labelled, jnp.float32)
    freeze = jnp.asarray(net.last_layer() if s.freeze else np.ones(net.size, F32))

    unlabelled_term = unlabelled_reference(run, 1 - mask)

    def full_loss(w):
        return nets.loss(net, w, train_x, train_y, mask)[0] + unlabelled_term(net.logits(w, train_x))

    def batch_loss(w, rows):
        return (nets.loss(net, w, train_x[rows], train_y[rows], jnp.ones(len(rows)))[0]
                + unlabelled_term(net.logits(w, train_x)))

    chain = optax.with_extra_args_support(pipeline.build_chain(run, scene.steps, full_loss, f_min=0.0))
    batches = epochs(labelled, s.batch, run.seed, scene.steps) if s.batch else None

    @jax.jit
    def step(w, state, rows, trains):
        loss = full_loss if rows is None else functools.partial(batch_loss, rows=rows)
        value, g = jax.value_and_grad(loss)(w)
        g = g * trains
        u, state = chain.update(g, state, w, value=value, grad=g, value_fn=loss)
        return optax.apply_updates(w, u * trains), state

    w = jnp.asarray(starting_weights(s))
    state = chain.init(w)
    weights = [w]
    for k in range(scene.steps):
        # unfreeze=K: every weight trains from update K on
        trains = jnp.ones_like(freeze) if s.unfreeze and k >= s.unfreeze else freeze
        w, state = step(w, state, None if batches is None else jnp.asarray(batches[k]), trains)
        weights.append(w)
    weights = np.asarray(weights)

    def measure(w):
        loss, logits = nets.loss(net, w, train_x, train_y, mask)
        return loss, nets.accuracy(logits, train_y, mask), nets.accuracy(net.logits(w, test_x), test_y,
                                                                          jnp.ones_like(test_y))

    loss, train_acc, test_acc = (np.asarray(a) for a in jax.jit(jax.vmap(measure))(weights))
    return weights, loss, train_acc, test_acc


def unlabelled_reference(run, unlabelled):
    """The unlabelled points' term of `run`'s loss as docs/model.md states
    it, written out again: self-training's mean cross-entropy against the
    predicted class over the unlabelled points, counting those predicted
    with confidence max(p, 1 - p) >= threshold; or their mean entropy;
    either times `weight`."""
    mode, weight = run.setting("unlabeled"), run.setting("weight")
    cut = float(np.log(run.setting("threshold") / (1 - run.setting("threshold"))))
    count = jnp.maximum(jnp.sum(unlabelled), 1.0)

    def term(logits):
        p = jax.nn.sigmoid(logits)
        if mode == "selftrain":
            label = jax.lax.stop_gradient((logits > 0).astype(jnp.float32))
            taken = jax.lax.stop_gradient((jnp.abs(logits) >= cut).astype(jnp.float32)) * unlabelled
            return weight * jnp.sum(taken * optax.sigmoid_binary_cross_entropy(logits, label)) / count
        if mode == "entropy":
            entropy = -(p * jax.nn.log_sigmoid(logits) + (1 - p) * jax.nn.log_sigmoid(-logits))
            return weight * jnp.sum(unlabelled * entropy) / count
        return 0.0

    return term


def close(actual, desired, tol, what):
    desired = np.asarray(desired, np.float64)
    np.testing.assert_allclose(actual, desired, rtol=tol, atol=tol * (1 + np.abs(desired).max()), err_msg=what)


RUNS = [
    "sgd:lr=0.5",
    "momentum:lr=0.1,momentum=0.8,schedule=cosine,min_ratio=0.1",
    "nesterov:lr=0.1,clip_norm=0.05",
    "adam:lr=0.02,b1=0.85,schedule=warmup_cosine,warmup=5",
    "rmsprop:lr=0.01,clip_value=0.02",
    "sgd:lr=0.3,noise=0.05,seed=3",
    "adamw:lr=0.02,weight_decay=0.1,noise=0.02,seed=5,clip_norm=0.5",
    "lion:lr=0.003,schedule=step,step_size=10",
    "polyak_sgd:lr=1",
    "lbfgs:lr=1,memory_size=5",
    "newton:lr=1,damping=1",
]


@pytest.mark.parametrize("run", RUNS)
def test_training_equals_a_plain_optax_loop(run):
    """Run 2 (run 1 sets the plane) against the loop, point by point: its
    projection, the training loss of its real weights, both accuracies."""
    scene = Scene.from_query(f"surface=mlp:hidden=8&steps={STEPS}&run=adam:lr=0.02&run={run}")
    result = simulate(scene)
    weights, loss, train_acc, test_acc = reference(scene, 1)
    got = result.runs[1]
    assert got.diverged_at is None
    plane = result.model.plane
    close(got.xy, plane.project(weights), 2e-4, f"xy of {run}")
    close(got.loss, loss, 2e-4, f"loss of {run}")
    # An accuracy counts points on either side of the boundary: a point that
    # sits on it may flip with the last bit.
    assert np.abs(got.train_accuracy - train_acc).max() <= 1 / 100
    assert np.abs(got.test_accuracy - test_acc).max() <= 1 / 100
    assert len(got.xy) == len(got.loss) == len(got.train_accuracy) == STEPS + 1
    assert len(got.lr) == len(got.grad) == len(got.grad_norm) == STEPS


@pytest.mark.parametrize("extra", ["freeze=1", "freeze=1,unfreeze=15", "batch=16", "batch=8,labels=0.3",
                                   "pretrain=circles,freeze=1,unfreeze=10",
                                   "scale=10,act=relu,init=he", "layers=2,act=gelu", "act=sigmoid,init=normal"])
def test_every_setting_trains_as_the_plain_loop_does(extra):
    scene = Scene.from_query(f"surface=mlp:hidden=8,{extra}&steps={STEPS}&run=momentum:lr=0.1,seed=4"
                             f"&run=adam:lr=0.01,seed=9")
    result = simulate(scene)
    for i, got in enumerate(result.runs):
        weights, loss, train_acc, test_acc = reference(scene, i)
        close(got.xy, result.model.plane.project(weights), 2e-4, f"xy of run {i + 1} with {extra}")
        close(got.loss, loss, 2e-4, f"loss of run {i + 1} with {extra}")
        assert np.abs(got.train_accuracy - train_acc).max() <= 1 / 60  # 60 labelled points with labels=0.3


UNLABELED = ["unlabeled=selftrain", "unlabeled=selftrain,threshold=0.6,weight=3", "unlabeled=entropy",
             "unlabeled=entropy,weight=0.3"]


@pytest.mark.parametrize("batch", ["all", "8"])
@pytest.mark.parametrize("mode", UNLABELED)
def test_the_unlabelled_points_train_as_the_plain_loop_does(mode, batch):
    """Self-training and entropy minimisation, on the whole set and on
    minibatches (whose unlabelled term is over every unlabelled point)."""
    scene = Scene.from_query(f"surface=mlp:hidden=8,data=xor,labels=0.05,batch={batch}&steps={STEPS}"
                             f"&run=adam:lr=0.03,seed=2&run=sgd:lr=0.5,seed=3,{mode}")
    result = simulate(scene)
    weights, loss, train_acc, test_acc = reference(scene, 1)
    got = result.runs[1]
    close(got.xy, result.model.plane.project(weights), 2e-4, f"xy with {mode}")
    close(got.loss, loss, 2e-4, f"loss with {mode}")
    assert np.abs(got.test_accuracy - test_acc).max() <= 1 / 100


def _pseudo_labels_of(scene: Scene, weights: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Per point: how many unlabelled points the network predicts with
    probability max(p, 1 - p) >= threshold, and the share of them right (NaN: none)."""
    s = ModelSettings.of(scene)
    data = dataset(s.data)
    unlabelled = ~data.labelled(s.labels)
    p = np.asarray(jax.nn.sigmoid(jax.vmap(lambda w: s.network.logits(w, jnp.asarray(data.train_x)))(weights)),
                   np.float64)
    taken = (np.maximum(p, 1 - p) >= threshold) & unlabelled
    right = taken & ((p > 0.5) == (data.train_y > 0.5))
    count = taken.sum(1)
    with np.errstate(invalid="ignore"):
        return count, np.where(count > 0, right.sum(1) / count, np.nan)


@pytest.mark.parametrize("mode", ["unlabeled=ignore", "unlabeled=selftrain,threshold=0.95", "unlabeled=entropy"])
def test_pseudo_labels_are_the_confident_predictions_on_unlabelled_points_and_the_share_right(mode):
    scene = Scene.from_query(f"surface=mlp:data=circles,labels=0.02&steps={STEPS}&run=adam:lr=0.03,{mode}")
    result = simulate(scene)
    threshold = scene.runs[0].setting("threshold")
    count, share = _pseudo_labels_of(scene, reference(scene)[0], threshold)
    got = result.runs[0]
    # a prediction within float32's rounding of the threshold may fall either side
    assert np.abs(got.pseudo_labels - count).max() <= 1
    assert np.nanmax(np.abs(got.pseudo_label_accuracy - share)) <= 0.02
    assert np.array_equal(np.isnan(got.pseudo_label_accuracy), count == 0)
    assert got.pseudo_labels.max() > 0
    # the frames of the data panel: the same predictions, point by point
    b = result.model.boundary
    frames = weights_path(scene)[b.steps]
    s = ModelSettings.of(scene)
    data = dataset(s.data)
    p = np.asarray(jax.nn.sigmoid(jax.vmap(lambda w: s.network.logits(w, jnp.asarray(data.train_x)))(frames)))
    taken = (np.maximum(p, 1 - p) >= threshold) & ~data.labelled(s.labels)
    want = np.where(taken, PSEUDO_CLASS + (p > 0.5), PSEUDO_NONE)
    assert np.mean(b.pseudo[0] == want) > 0.999
    np.testing.assert_array_equal(b.pseudo[0].astype(bool).sum(1), got.pseudo_labels[b.steps])


def test_the_unlabelled_points_are_in_no_loss_but_their_own_term():
    """ignore is plain supervised learning; a weight of 0 is ignore; and
    `loss` is the labelled points' cross-entropy in every mode."""
    base = "surface=mlp:data=xor,labels=0.05&steps=30&run=adam:lr=0.03"
    ignore = simulate(Scene.from_query(base))
    zero = simulate(Scene.from_query(base + ",unlabeled=selftrain,weight=0"))
    np.testing.assert_array_equal(ignore.runs[0].loss, zero.runs[0].loss)
    entropy = simulate(Scene.from_query(base + ",unlabeled=entropy"))
    s = ModelSettings.of(entropy.scene)
    data = dataset(s.data)
    w = weights_path(entropy.scene)
    labelled = jnp.asarray(data.labelled(s.labels), jnp.float32)
    want = jax.vmap(lambda v: nets.loss(s.network, v, data.train_x, data.train_y, labelled)[0])(w)
    close(entropy.runs[0].loss, want, 1e-6, "loss under entropy minimisation")
    assert not np.allclose(entropy.runs[0].loss, ignore.runs[0].loss)


@pytest.mark.parametrize("optimizer", [o for o in OPTIMIZERS])
def test_constant_init_keeps_every_hidden_unit_identical(optimizer):
    """init=constant: every unit starts as every other, gets the same
    gradient, and so the same update from any optimizer: their incoming
    (and outgoing) weights stay equal at every step, bit for bit. Newton is
    the exception that proves it: the Hessian of identical units is
    singular, so it needs damping, and its solve keeps them equal to
    float32's rounding."""
    run = f"{optimizer}:label=x" if optimizer != "newton" else "newton:lr=1,damping=1,label=x"
    scene = Scene.from_query(f"surface=mlp:data=circles,init=constant,layers=2,hidden=6&steps=60&run={run}")
    net = ModelSettings.of(scene).network
    w = weights_path(scene)
    assert len(w) == 61, f"{optimizer} diverged"
    layers = [[net.unflatten(jnp.asarray(v))[i] for v in w] for i in range(len(net.shapes))]
    tol = 0 if optimizer != "newton" else 1e-6
    for i, layer in enumerate(layers[:-1]):
        incoming = np.stack([np.asarray(weights) for weights, _ in layer])  # (points, fan_in, units)
        bias = np.stack([np.asarray(b) for _, b in layer])
        assert np.abs(incoming - incoming[:, :, :1]).max() <= tol, f"layer {i + 1}'s units part under {optimizer}"
        assert np.abs(bias - bias[:, :1]).max() <= tol
    out = np.stack([np.asarray(weights)[:, 0] for weights, _ in layers[-1]])
    assert np.abs(out - out[:, :1]).max() <= tol
    assert np.abs(w[-1] - w[0]).max() > 1e-3, f"{optimizer} did not train"


def test_the_gradient_is_the_raw_one_projected_and_its_norm_over_every_weight():
    scene = Scene.from_query(f"surface=mlp:hidden=8&steps={STEPS}&run=sgd:lr=0.5,noise=0.1,clip_norm=0.1")
    result = simulate(scene)
    weights, *_ = reference(scene)
    s = ModelSettings.of(scene)
    data = dataset(s.data)
    grad = jax.vmap(jax.grad(lambda w: nets.loss(s.network, w, data.train_x, data.train_y,
                                                 jnp.ones(200))[0]))(weights[:-1])
    got = result.runs[0]
    close(got.grad_norm, np.linalg.norm(grad, axis=1), 2e-4, "grad_norm")
    close(got.grad, np.asarray(grad) @ result.model.plane.axes, 2e-4, "grad")
    assert got.clipped.all()  # noise 0.1 on 105 weights: never within norm 0.1


# ------------------------------------------------------------ the plane


def test_the_plane_is_the_pca_of_run_1s_path():
    scene = Scene.from_query("surface=mlp&steps=300&run=adam:lr=0.02&run=sgd:lr=0.5&run=momentum:lr=0.05")
    result = simulate(scene)
    plane = result.model.plane
    weights, *_ = reference(scene, 0)
    # Run 1 ends at the plane's centre, its final weights.
    np.testing.assert_array_equal(result.runs[0].xy[-1], [0.0, 0.0])
    close(plane.centre, weights[-1], 1e-4, "centre")
    # The axes and the explained variances of an SVD of the path minus its
    # end, each row's mean removed (sklearn's PCA, as Li et al.'s code).
    d = weights.astype(np.float64) - weights[-1]
    centred = d - d.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    ratios = s**2 / np.sum(s**2)
    np.testing.assert_allclose(plane.explained_variance, ratios[:2], rtol=1e-3, atol=1e-5)
    assert sum(plane.explained_variance) <= 1 and plane.explained_variance[0] >= plane.explained_variance[1]
    assert result.to_dict()["plane"] == {"explained_variance": list(plane.explained_variance)}
    for i in range(2):
        assert abs(abs(float(plane.axes[:, i] @ vt[i])) - 1) < 1e-4
    np.testing.assert_allclose(plane.axes.T @ plane.axes, np.eye(2), atol=1e-5)
    assert (result.runs[0].xy[0] >= 0).all()  # the sign convention: run 1 starts at x >= 0, y >= 0
    # xy of every run is its weights projected.
    for i, run in enumerate(result.runs):
        w, *_ = reference(scene, i)
        close(run.xy, (w - plane.centre) @ plane.axes, 2e-4, f"xy of run {i + 1}")


def test_loss_is_of_the_real_weights_and_the_contours_of_the_plane():
    """`loss` is the loss of the weights, not of their projection; the grid
    is the loss on the plane, and the two meet at run 1's end."""
    result = run_scene("surface=mlp&steps=300&run=adam:lr=0.02&run=momentum:lr=0.05")
    plane, s = result.model.plane, result.model.settings
    data = dataset(s.data)

    def on_plane(x, y):
        w = plane.centre + x * plane.axes[:, 0] + y * plane.axes[:, 1]
        return float(nets.loss(s.network, w, data.train_x, data.train_y, jnp.ones(200))[0])

    for j, i in [(0, 0), (10, 57), (99, 99), (42, 3)]:
        assert plane.z[j, i] == pytest.approx(on_plane(plane.xs[i], plane.ys[j]), rel=1e-4, abs=1e-5)
    assert plane.z.shape == (len(plane.ys), len(plane.xs)) == (100, 100)
    assert on_plane(0.0, 0.0) == pytest.approx(float(result.runs[0].loss[-1]), rel=1e-5)
    # Run 2 is off the plane: the loss at its projection is not its loss.
    run = result.runs[1]
    k = len(run.xy) // 2
    assert abs(on_plane(*run.xy[k]) - run.loss[k]) > 1e-3
    # The window holds every point of both runs.
    (x0, x1), (y0, y1) = plane.window
    for r in result.runs:
        assert (r.xy[:, 0] >= x0).all() and (r.xy[:, 0] <= x1).all()
        assert (r.xy[:, 1] >= y0).all() and (r.xy[:, 1] <= y1).all()
    assert result.surface.window == plane.window
    assert result.to_dict()["surface"]["window"] == [list(plane.window[0]), list(plane.window[1])]


def test_a_window_in_the_link_is_the_planes():
    result = run_scene("surface=mlp:window=-2,3,-1,1&steps=100&run=adam:lr=0.02")
    assert result.model.plane.window == ((-2.0, 3.0), (-1.0, 1.0))
    assert result.model.plane.xs[0] == -2 and result.model.plane.xs[-1] == 3


def test_the_decision_boundary_is_the_networks_probability_at_each_frame():
    result = run_scene("surface=mlp&steps=1000&run=sgd:lr=0.5&run=momentum:lr=0.1,momentum=0.9&run=adam:lr=0.02")
    b, s = result.model.boundary, result.model.settings
    assert b.probability.shape == (3, 101, 32, 32) and b.probability.dtype == np.float32
    assert b.probability.nbytes == 3 * 101 * 32 * 32 * 4  # 1.24 MB; 310 KB as bytes 0-255
    np.testing.assert_array_equal(b.steps, np.arange(0, 1001, 10))
    gx, gy = np.meshgrid(b.xs, b.ys)
    inputs = np.stack([gx.ravel() * s.scale, gy.ravel()], 1)
    want = jax.nn.sigmoid(s.network.logits(result.model.plane.centre, inputs)).reshape(32, 32)
    np.testing.assert_allclose(b.at(0, 1000), want, atol=1e-5)  # run 1's last frame: its final weights
    np.testing.assert_array_equal(b.at(1, 15), b.probability[1, 1])  # the frame at or before the step
    (x0, x1), (y0, y1) = result.model.data.window
    assert (b.xs[0], b.xs[-1], b.ys[0], b.ys[-1]) == pytest.approx((x0, x1, y0, y1))


# ------------------------------------------------------------ what a lesson claims


def test_zeros_stay_at_chance_while_xavier_fits():
    """Every weight zero: every hidden unit computes the same thing and gets
    the same gradient (none at all, here), so nothing breaks the symmetry."""
    runs = "&run=adam:lr=0.05&run=sgd:lr=0.5"
    zeros = run_scene(f"surface=mlp:init=zeros&steps=500{runs}")
    xavier = run_scene(f"surface=mlp:init=xavier&steps=500{runs}")
    for r in zeros.runs:
        assert (r.train_accuracy == 0.5).all() and (r.test_accuracy == 0.5).all()
        assert r.loss[-1] == pytest.approx(np.log(2), abs=1e-3)
    # On the moons the output bias's gradient is float32's rounding of a sum
    # that is 0 (2e-9), which Adam, dividing by its size plus eps, makes into
    # steps millions of times larger (docs/model.md tabulates it per data set);
    # but every hidden unit's weights stay 0.
    assert (zeros.model.plane.centre[:-1] == 0).all()
    for r in xavier.runs:
        assert r.train_accuracy[-1] >= 0.93 and r.test_accuracy[-1] >= 0.9


def test_every_data_set_can_be_fitted_by_16_tanh_units():
    for data in DATA_SETS:
        result = run_scene(f"surface=mlp:data={data}&steps=1000&run=adam:lr=0.03")
        run = result.runs[0]
        assert run.train_accuracy[-1] >= 0.93, data
        assert run.test_accuracy[-1] >= 0.9, data


def test_the_data_sets_are_fixed_balanced_and_standardised():
    for data in DATA_SETS:
        d = dataset(data)
        assert d.train_x.shape == d.test_x.shape == (200, 2) and d.train_x.dtype == np.float32
        assert d.train_y.sum() == d.test_y.sum() == 100
        np.testing.assert_allclose(d.train_x.mean(0), 0, atol=1e-5)
        np.testing.assert_allclose(d.train_x.std(0), 1, atol=1e-4)
        labelled = d.labelled(0.1)
        assert labelled.sum() == 20 and d.train_y[labelled].sum() == 10
        assert d.labelled(0.01).sum() == 2 and (d.labelled(0.01) <= labelled).all()
    again = dataset.__wrapped__("moons")
    np.testing.assert_array_equal(again.train_x, dataset("moons").train_x)


def test_fewer_labels_cost_test_accuracy():
    full = run_scene("surface=mlp:labels=1&steps=500&run=adam:lr=0.03")
    few = run_scene("surface=mlp:labels=0.02&steps=500&run=adam:lr=0.03")
    # Two labelled points a class are fitted, and the rest is a guess.
    assert few.runs[0].train_accuracy[-1] == 1.0
    assert few.runs[0].test_accuracy[-1] <= full.runs[0].test_accuracy[-1] - 0.05
    assert few.model.labelled.sum() == 4


def test_pretraining_starts_every_run_from_the_pretrained_weights():
    settings = ModelSettings.of(Scene.from_query("surface=mlp:pretrain=circles"))
    data = dataset("circles")
    adam = optax.adam(training.PRETRAIN_LR)
    w = jnp.asarray(nets.initial_weights(settings.network, "xavier"))
    state = adam.init(w)
    grad = jax.jit(jax.grad(lambda v: nets.loss(settings.network, v, data.train_x, data.train_y, jnp.ones(200))[0]))
    for _ in range(training.PRETRAIN_STEPS):
        u, state = adam.update(grad(w), state, w)
        w = optax.apply_updates(w, u)
    close(starting_weights(settings), w, 1e-4, "pretrained weights")

    fresh = run_scene("surface=mlp:data=circles&steps=100&run=adam:lr=0.01")
    warm = run_scene("surface=mlp:data=circles,pretrain=circles&steps=100&run=adam:lr=0.01&run=sgd:lr=0.1")
    assert warm.runs[0].loss[0] == warm.runs[1].loss[0] < 0.2 < fresh.runs[0].loss[0]
    assert warm.runs[0].test_accuracy[0] >= 0.95


def test_freezing_trains_the_last_layer_only():
    result = run_scene("surface=mlp:pretrain=moons,freeze=1,data=xor&steps=200&run=adam:lr=0.02")
    view = result.model
    last = view.settings.network.last_layer().astype(bool)
    np.testing.assert_array_equal(view.plane.centre[~last], view.weights0[~last])  # run 1's final weights
    assert np.abs(view.plane.centre[last] - view.weights0[last]).max() > 0.1
    free = run_scene("surface=mlp:pretrain=moons,freeze=0,data=xor&steps=200&run=adam:lr=0.02")
    # Moons' features, a linear read-out: xor is not learnt as well as by the whole network.
    assert result.runs[0].train_accuracy[-1] < free.runs[0].train_accuracy[-1]


def test_unfreeze_lifts_the_freeze_from_its_step_on():
    scene = Scene.from_query("surface=mlp:pretrain=moons,freeze=1,unfreeze=30,data=xor&steps=60&run=adam:lr=0.02")
    net = ModelSettings.of(scene).network
    last = net.last_layer().astype(bool)
    w = weights_path(scene)
    assert np.all(w[:31, ~last] == w[0, ~last]), "frozen up to update 30"
    assert np.mean(w[31, ~last] != w[30, ~last]) > 0.9, "update 30 moves the hidden weights"
    with pytest.raises(SceneError, match="unfreeze=30") as err:
        simulate(Scene.from_query("surface=mlp:unfreeze=30&steps=40&run=adam"))
    assert err.value.key == "surface"


def test_minibatches_come_from_the_runs_seed():
    scene = "surface=mlp:batch=16&steps=60&run=sgd:lr=0.3,seed=1&run=sgd:lr=0.3,seed=1&run=sgd:lr=0.3,seed=2"
    result = run_scene(scene)
    a, b, c = result.runs
    np.testing.assert_array_equal(a.xy, b.xy)
    assert np.abs(a.loss - c.loss).max() > 1e-4
    # 200 points, 16 a batch: 12 batches an epoch, then a new permutation.
    index, weight = training.batch_table(np.ones(200, bool), 16, 1, 65)
    want = epochs(np.ones(200, bool), 16, 1, 65)
    np.testing.assert_array_equal(index, np.stack(want))
    assert weight.all() and len(set(index[:12].ravel().tolist())) == 192
    full = run_scene("surface=mlp&steps=60&run=sgd:lr=0.3,seed=1&run=sgd:lr=0.3,seed=2")
    np.testing.assert_array_equal(full.runs[0].loss, full.runs[1].loss)  # the full batch ignores the seed


def test_a_batch_larger_than_the_labelled_points_is_all_of_them():
    index, weight = training.batch_table(dataset("moons").labelled(0.05), 32, 0, 65)
    assert weight.sum(1).tolist() == [10] * 65


def test_badly_scaled_inputs_slow_momentum_but_not_adam():
    """Feature 1 times 100: the weights reading it see a curvature 10^4 times
    the others'. Momentum's stable rates are then far too small for the rest
    of the network; Adam divides each weight's step by its own scale."""
    momentum = "&".join(f"run=momentum:lr={lr}" for lr in (1, 0.1, 0.01, 0.001))
    scaled = run_scene(f"surface=mlp:scale=100&steps=500&{momentum}&run=adam:lr=0.02")
    normal = run_scene(f"surface=mlp:scale=1&steps=500&{momentum}&run=adam:lr=0.02")
    best_scaled = min(r.loss[-1] for r in scaled.runs[:4] if r.diverged_at is None)
    best_normal = min(r.loss[-1] for r in normal.runs[:4] if r.diverged_at is None)
    assert best_scaled > 3 * best_normal
    assert scaled.runs[4].loss[-1] < 1.5 * normal.runs[4].loss[-1]
    assert scaled.runs[4].test_accuracy[-1] >= 0.9


def test_a_learning_rate_that_blows_the_network_up_diverges():
    result = run_scene("surface=mlp:act=relu&steps=200&run=sgd:lr=100&run=sgd:lr=0.5")
    blown, fine = result.runs
    assert blown.diverged_at is not None and fine.diverged_at is None
    k = blown.diverged_at
    assert len(blown.xy) == len(blown.loss) == len(blown.train_accuracy) == k + 1
    assert len(blown.lr) == len(blown.grad_norm) == k + 1
    assert np.isfinite(blown.xy).all() and np.isfinite(blown.loss).all()
    assert np.isnan(result.model.boundary.probability[0, -1]).all()
    weights, *_ = reference(result.scene, 0)
    assert np.all(np.abs(weights[: k + 1]) <= 1e6)
    assert not np.all(np.isfinite(weights[k + 1]) & (np.abs(weights[k + 1]) <= 1e6))
    assert result.to_json()  # JSON has no NaN or inf


def test_run_1_diverging_centres_the_plane_on_its_last_finite_weights():
    result = run_scene("surface=mlp:act=relu&steps=200&run=sgd:lr=100&run=sgd:lr=0.5")
    np.testing.assert_array_equal(result.runs[0].xy[-1], [0.0, 0.0])


def test_newton_on_a_small_network_only():
    result = run_scene("surface=mlp:hidden=4&steps=30&run=newton:lr=0.5,damping=0.1")
    assert result.runs[0].diverged_at is None
    with pytest.raises(SceneError) as err:
        simulate(Scene.from_query("surface=mlp:hidden=16,layers=2&run=newton"))
    assert err.value.key == "run" and "Hessian" in str(err.value)


# ------------------------------------------------------------ the scene and the results


@pytest.mark.parametrize("spec, name", [
    ("data=digits", "data"), ("act=swish", "act"), ("init=orthogonal", "init"), ("hidden=0", "hidden"),
    ("hidden=65", "hidden"), ("hidden=2.5", "hidden"), ("layers=3", "layers"), ("labels=0", "labels"),
    ("labels=1.5", "labels"), ("labels=nan", "labels"), ("pretrain=mnist", "pretrain"), ("freeze=2", "freeze"),
    ("batch=7", "batch"), ("batch=0", "batch"), ("scale=0", "scale"), ("scale=1000", "scale"), ("depth=2", "depth"),
])
def test_bad_values_are_scene_errors_naming_the_key(spec, name):
    with pytest.raises(SceneError) as err:
        Scene.from_query(f"surface=mlp:{spec}")
    assert err.value.key == "surface"
    assert name in str(err.value)


@pytest.mark.parametrize("query, key", [
    ("surface=mlp&run=adam:x0=1", "run"),
    ("surface=mlp&run=adam&run=sgd:y0=1", "run"),
    ("surface=mlp&run=adam&explore=starts", "explore"),
    ("surface=mlp&run=adam&explore=map:x=lr,y=b1", "explore"),
])
def test_what_a_model_scene_has_no_use_for_is_a_scene_error(query, key):
    with pytest.raises(SceneError) as err:
        simulate(Scene.from_query(query))
    assert err.value.key == key


@pytest.mark.parametrize("given", ["unlabeled=selftrain", "threshold=0.8", "weight=2", "unlabeled=entropy,weight=2"])
def test_what_only_a_network_has_is_a_scene_error_on_a_surface(given):
    with pytest.raises(SceneError) as err:
        Scene.from_query(f"surface=quadratic&run=adam:lr=0.1,{given}")
    assert err.value.key == "run" and given.split("=")[0] in str(err.value) and "surface=mlp" in str(err.value)
    scene, problems = parse_lenient(f"surface=quadratic&run=adam:lr=0.1,{given}&run=sgd")
    assert [p.key for p in problems] == ["run"]
    assert scene.runs[0].to_spec() == "adam:lr=0.1,b1=0.9,b2=0.999,eps=1e-08" and len(scene.runs) == 2


@pytest.mark.parametrize("given", ["unlabeled=entropy,threshold=0.8,weight=2.5", "unlabeled=selftrain,weight=0",
                                   "threshold=0.999", "unlabeled=ignore"])
def test_a_networks_run_keys_parse_to_their_values_and_round_trip(given):
    scene = Scene.from_query(f"surface=mlp&run=sgd:lr=0.5,{given}")
    run = scene.runs[0]
    for pair in given.split(","):
        name, value = pair.split("=")
        assert str(run.setting(name)) == value or run.setting(name) == float(value)
    assert Scene.from_query(scene.to_query()) == scene
    with pytest.raises(SceneError, match="unlabeled"):
        Scene.from_query("surface=mlp&run=sgd:unlabeled=cotrain")
    with pytest.raises(SceneError, match="weight"):
        Scene.from_query("surface=mlp&run=sgd:weight=11")


def test_radams_threshold_is_its_own_and_it_self_trains_at_the_default_one():
    scene = Scene.from_query("surface=mlp&run=radam:lr=0.01,threshold=6,unlabeled=selftrain")
    run = scene.runs[0]
    assert run.hyper["threshold"] == 6 and run.setting("threshold") == 0.9
    assert Scene.from_query(scene.to_query()) == scene
    with pytest.raises(SceneError, match="out of range"):
        Scene.from_query("surface=mlp&run=radam:threshold=0.9")


def test_the_scene_round_trips_and_start_is_ignored():
    query = ("surface=mlp:data=spirals,hidden=12,layers=2,act=gelu,init=he,labels=0.5,pretrain=moons,freeze=1,"
             "unfreeze=20,batch=32,scale=0.5&start=0,0&steps=50&run=adam:lr=0.01,b1=0.9,b2=0.999,eps=1e-08")
    scene = Scene.from_query(query)
    assert scene.to_query() == query and Scene.from_query(scene.to_query()) == scene
    moved = scene.replace(start=(3.0, -2.0))
    np.testing.assert_array_equal(simulate(scene).runs[0].xy, simulate(moved).runs[0].xy)


def test_the_json_adds_the_plane_and_the_accuracies_only_on_a_model_scene():
    model = run_scene("surface=mlp&steps=100&run=adam:lr=0.02&run=sgd:lr=0.5").to_dict()
    assert set(model) == {"scene", "surface", "runs", "plane"}
    assert model["surface"]["id"] == "mlp" and model["surface"]["minima"] == []
    run = model["runs"][0]
    assert len(run["train_accuracy"]) == len(run["test_accuracy"]) == len(run["xy"]) == 101
    assert run["state"] == {}
    flat = simulate(Scene.from_query("surface=quadratic&steps=10&run=adam")).to_dict()
    assert set(flat) == {"scene", "surface", "runs"}
    assert set(flat["runs"][0]) == {"label", "optimizer", "params", "xy", "loss", "lr", "grad_norm", "diverged_at",
                                    "grad", "state", "sharpness", "preconditioned_sharpness"}
    assert "plane_distance" in run and "plane_distance" not in flat["runs"][0]
    assert len(run["pseudo_labels"]) == len(run["pseudo_label_accuracy"]) == 101
    assert {"unlabeled", "threshold", "weight"} <= set(run["params"])
    assert not {"unlabeled", "threshold", "weight"} & set(flat["runs"][0]["params"])
    csv = run_scene("surface=mlp&steps=100&run=adam:lr=0.02&run=sgd:lr=0.5").to_csv().splitlines()
    assert (csv[0].endswith(",grad_x,grad_y,train_accuracy,test_accuracy,pseudo_labels,pseudo_label_accuracy,"
                            "sharpness,preconditioned_sharpness")
            and len(csv) == 1 + 2 * 101)
    assert "accuracy" not in simulate(Scene.from_query("surface=quadratic&steps=10&run=adam")).to_csv()


def test_the_surface_entry_is_not_a_function_of_xy():
    mlp = surfaces.SURFACES["mlp"]
    assert mlp.kind == NETWORK
    assert {p.name for p in mlp.params} == {"data", "hidden", "layers", "act", "init", "labels", "pretrain",
                                            "freeze", "unfreeze", "batch", "scale", "sharpness_every", "plane"}
    with pytest.raises(TypeError, match="weights"):
        mlp.fn(0.0, 0.0)
    assert not any(s.kind == NETWORK for s in surfaces.SURFACES.values() if s.id != "mlp")


def test_the_default_scene_fits_the_moons():
    result = simulate(Scene.default("mlp"))
    for run in result.runs:
        assert run.diverged_at is None and run.train_accuracy[-1] >= 0.93 and run.test_accuracy[-1] >= 0.9


# ------------------------------------------------------------ compilations




def _change(rng: random.Random, scene: Scene) -> Scene:
    """A random change of a value that is not a shape: a run's lr,
    hyperparameter, schedule, clipping, noise, seed; the data set, init,
    labels, pretraining, freezing, scale."""
    if rng.random() < 0.4:
        name, value = rng.choice([
            ("data", rng.choice(DATA_SETS)),
            ("init", rng.choice(["zeros", "constant", "normal", "xavier", "he", "large"])),
            ("labels", rng.uniform(0.01, 1)), ("pretrain", rng.choice(["none", "moons", "xor"])),
            ("freeze", rng.choice(["0", "1"])), ("scale", 10 ** rng.uniform(-2, 2)),
        ])
        return scene.replace(surface_params={**scene.surface_params, name: value})
    i = rng.randrange(len(scene.runs))
    run = scene.runs[i]
    name, value = rng.choice([
        ("lr", 10 ** rng.uniform(-3, 0)), ("noise", rng.choice([0.0, rng.uniform(0, 0.1)])),
        ("seed", rng.randrange(1000)), ("clip_norm", rng.choice([None, rng.uniform(0.01, 1)])),
        ("clip_value", rng.choice([None, rng.uniform(0.01, 1)])),
        ("schedule", rng.choice(["constant", "cosine", "step", "exponential", "warmup_cosine", "onecycle", "cyclic"])),
        ("unlabeled", rng.choice(["ignore", "selftrain", "entropy"])), ("weight", rng.uniform(0, 3)),
    ] + ([] if "threshold" in run.hyper else [("threshold", rng.uniform(0.5, 0.999))]) + [(h.name, rng.uniform(max(h.low, 0.5), min(h.high, 0.999))) for h in OPTIMIZERS[run.optimizer].hypers])
    runs = list(scene.runs)
    runs[i] = run.replace(**{name: value})
    return scene.replace(runs=tuple(runs))


def test_value_changes_compile_nothing(compiles):
    scene = Scene.from_query(f"surface=mlp&steps={STEPS}&run=sgd:lr=0.3&run=momentum:lr=0.1&run=adam:lr=0.02")
    simulate(scene)  # the programs
    for kind in ("moons", "xor"):  # pretraining's program, and a schedule table of each kind
        simulate(scene.replace(surface_params={**scene.surface_params, "pretrain": kind}))
    for kind in ("cosine", "step", "exponential", "warmup_cosine", "onecycle", "cyclic"):
        simulate(scene.replace(runs=(scene.runs[0].replace(schedule=kind),)))
    rng = random.Random(7)
    with compiles.counting() as n:
        for _ in range(40):
            scene = _change(rng, scene)
            assert Scene.from_query(scene.to_query()) == scene
            simulate(scene)
    assert n[0] == 0, f"{n[0]} compilations during 40 value changes: {n[1][:10]}"
    with compiles.counting() as n:  # a shape does compile
        simulate(scene.replace(surface_params={**scene.surface_params, "hidden": 7}))
    assert n[0] >= 1


def test_the_players_payload_carries_the_pseudo_labels():
    import base64

    from visualizer.browser.payload import scene_payload

    result = run_scene("surface=mlp:data=xor,labels=0.05&steps=80&run=adam:lr=0.03,unlabeled=selftrain"
                       "&run=adam:lr=0.03")
    payload = scene_payload(result, {}, "")

    def raw(spec, dtype):
        return np.frombuffer(base64.b64decode(spec["bdata"]), dtype)

    for run, part in zip(result.runs, payload["runs"], strict=True):
        np.testing.assert_array_equal(raw(part["pseudo_labels"], "<f4"), run.pseudo_labels)
        np.testing.assert_array_equal(raw(part["pseudo_label_accuracy"], "<f4"), run.pseudo_label_accuracy)
    b = payload["model"]["boundary"]
    runs, frames = b["shape"][:2]
    codes = raw(b["pseudo"], np.uint8).reshape(runs, frames, 200)
    at = [int(np.searchsorted(result.model.boundary.steps, s)) for s in b["steps"]]
    np.testing.assert_array_equal(codes, result.model.boundary.pseudo[:, at])
    assert codes[0, -1].astype(bool).sum() == result.runs[0].pseudo_labels[-1] > 0
