"""Training: one run of the network as one compiled `lax.scan` over its
steps, the gradient pipeline of every run (`visualizer.core.pipeline`) on the
flat weight vector, between the freeze mask's two applications:

    freeze mask -> add_noise -> clip (by value) -> clip_by_global_norm -> optimizer(lr table) -> freeze mask

The loss it minimises is the cross-entropy on the labelled points (of the
step's minibatch) plus the run's term for the unlabelled ones
(`visualizer.core.model.unlabeled`: none, self-training or entropy),
with every continuous value an argument (hyperparameters, learning-rate
table, noise and its seed, clip thresholds, the initial weights, the data,
the labelled mask, the freeze mask, the plane), so changing any of them
compiles nothing. A run's program is keyed by (network, optimizer and its
static values, length bucket, batch size, data sizes) in the engine's
program cache; the optimizers a scene needs and the cache lacks are
compiled together, as one program (a `Group`).

Each point k (the weights before update k) is recorded as its projection
on the plane, the training loss (the labelled points' cross-entropy) and
accuracy there, the test accuracy, how many unlabelled points are
pseudo-labelled and how many of those rightly, the raw gradient's
projection and norm, whether clipping changed the gradient, whether the
weights are still finite and within 1e6, their distance from the plane,
and where `sharpness_at` says, the sharpness of the loss the run minimises
(and the Adam family's preconditioned one) by Lanczos on Hessian-vector
products (`visualizer.core.model.curvature`). The weights themselves are
kept only at a few steps: `frames` (the decision boundary and the logits
of the training points are computed there) and `snapshots` (the plane's
PCA is computed from run 1's).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from visualizer.core.model import curvature, unlabeled
from visualizer.core.model import network as nets
from visualizer.core.model.data import dataset
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.pipeline import F32, NoiseKey, RunArguments, pipeline
from visualizer.core.programs import ProgramKey, pack_calls

NEVER = np.int32(2**30)  # `thaw` of a run whose frozen weights stay frozen
WEIGHT_LIMIT = 1e6  # a weight beyond this in size counts as diverged, like a 2D coordinate
FRAMES = 101  # decision-boundary frames per run, at most
SNAPSHOTS = 1025  # run 1's weights kept for the plane's PCA, at most (every point up to 1024 steps)
BOUNDARY_POINTS = 32  # the decision boundary's grid over the data window is 32 x 32
PRETRAIN_STEPS = 500
PRETRAIN_LR = 0.01


class NetworkArguments(NamedTuple):
    """What a network's loss and records need besides its weights (the
    `problem` of its `pipeline.RunArguments`, whose `start` is the initial
    weights and whose `noise` a `pipeline.NoiseKey`); `batch_*`,
    `frame_slot` and `snapshot_slot` have a row per update (scanned over)."""

    freeze: np.ndarray  # (P,) 1 where a weight trains, 0 where it is frozen
    thaw: np.int32  # the update from which every weight trains (NEVER: none)
    train_x: np.ndarray  # (n, 2), scaled
    train_y: np.ndarray  # (n,)
    labelled: np.ndarray  # (n,) 1 where the label is kept
    test_x: np.ndarray  # (m, 2), scaled
    test_y: np.ndarray  # (m,)
    batch_index: np.ndarray  # (length, b) int32 rows of the training set; (length, 0) for the full batch
    batch_weight: np.ndarray  # (length, b): 0 for padding
    centre: np.ndarray  # (P,) the plane's centre
    axes: np.ndarray  # (P, 2) its unit axes
    frame_slot: np.ndarray  # (length,) int32: where update k's weights go among the frames (F: nowhere)
    snapshot_slot: np.ndarray  # (length,) int32: likewise among the snapshots (K: nowhere)
    grid: np.ndarray  # (G * G, 2) the decision boundary's grid, scaled
    sharpness_at: np.ndarray  # (length,) int32: 0, or the points whose sharpness is estimated: 2 the first, 1 the others
    probe: np.ndarray  # (P,) where the first sharpness estimate's Lanczos iteration starts
    unlabeled: unlabeled.UnlabeledArguments  # what the run does with the unlabelled points


class Record(NamedTuple):
    """One point of a run (the weights before update k)."""

    xy: jax.Array  # (2,) projection on the plane
    loss: jax.Array  # the training loss (labelled points, every one of them)
    train_accuracy: jax.Array
    test_accuracy: jax.Array
    pseudo_labels: jax.Array  # unlabelled points predicted with the run's confidence
    pseudo_right: jax.Array  # how many of those rightly
    grad: jax.Array  # (2,) the raw gradient's projection
    grad_norm: jax.Array  # |raw gradient| over every weight
    clipped: jax.Array
    ok: jax.Array  # every weight finite and within WEIGHT_LIMIT
    # The training loss's top Hessian eigenvalue over the weights that
    # train, and that of P^-1 H for an optimizer with a preconditioner P
    # (its P of the update leaving the point); NaN where not estimated
    # (`sharpness_at`) or without a preconditioner.
    sharpness: jax.Array
    preconditioned_sharpness: jax.Array
    plane_distance: jax.Array  # |the weights minus their projection on the plane|


class Output(NamedTuple):
    records: Record  # each field with a leading axis of `length`
    boundary: jax.Array  # (F, G * G): P(class 1) at each frame
    points: jax.Array  # (F, n): the logit of every training point at each frame
    snapshots: jax.Array  # (K, P)


class NetworkProblem(NamedTuple):
    """What a network's program is compiled for besides its optimizer and
    length (`programs.ProgramKey.problem`): the network, the batch size (0:
    the full batch) and the data's sizes."""

    network: nets.Network
    batch: int
    train_points: int
    test_points: int


def frames_of(length: int) -> int:
    return min(FRAMES, length)


def snapshots_of(length: int) -> int:
    return min(SNAPSHOTS, length)


def argument_shapes(key: ProgramKey) -> RunArguments:
    """The shapes and dtypes of the arguments of `key`'s run."""
    scalar = jax.ShapeDtypeStruct((), F32)
    opt = OPTIMIZERS[key.member.optimizer]
    problem = key.problem
    p, n, m, length = problem.network.size, problem.train_points, problem.test_points, key.length

    def f32(*shape):
        return jax.ShapeDtypeStruct(shape, F32)

    def i32(*shape):
        return jax.ShapeDtypeStruct(shape, np.int32)

    return RunArguments(
        hyper={h.name: scalar for h in opt.hypers if h.name not in opt.static},
        lr=f32(length), noise=NoiseKey(scalar, i32()), clip_value=scalar, clip_norm=scalar, f_min=scalar,
        start=f32(p),
        problem=NetworkArguments(
            freeze=f32(p), thaw=i32(), train_x=f32(n, 2), train_y=f32(n), labelled=f32(n), test_x=f32(m, 2), test_y=f32(m),
            batch_index=i32(length, problem.batch), batch_weight=f32(length, problem.batch), centre=f32(p),
            axes=f32(p, 2), frame_slot=i32(length), snapshot_slot=i32(length),
            grid=f32(BOUNDARY_POINTS * BOUNDARY_POINTS, 2), sharpness_at=i32(length), probe=f32(p),
            unlabeled=unlabeled.UnlabeledArguments(scalar, scalar, scalar)))


def objective(network: nets.Network, batch: int) -> Callable:
    """The loss a run minimises, as f(w, data, x, y, weight) -> (loss,
    (labelled points' cross-entropy, logits)): `data` its NetworkArguments, (x, y, weight) the
    step's minibatch (`batch` 0: the whole training set, `weight` the
    labelled mask). The loss is the minibatch's cross-entropy plus the
    run's unlabelled term over every unlabelled training point; `logits`
    are every training point's where the program computed them anyway (the
    full batch), else None."""

    def f(w, data: NetworkArguments, x, y, weight):
        unlabelled = 1 - data.labelled
        if batch == 0:
            logits = network.logits(w, data.train_x)
            labelled_loss = nets.cross_entropy(logits, data.train_y, data.labelled)
            return labelled_loss + unlabeled.term(logits, unlabelled, data.unlabeled), (labelled_loss, logits)
        labelled_loss = nets.cross_entropy(network.logits(w, x), y, weight)
        # On a minibatch the unlabelled term needs a pass over the whole
        # training set: only where the run has one.
        u = data.unlabeled
        extra = jax.lax.cond(u.selftrain + u.entropy > 0,
                             lambda v: unlabeled.term(network.logits(v, data.train_x), unlabelled, u),
                             lambda v: jnp.zeros((), F32), w)
        return labelled_loss + extra, (labelled_loss, None)

    return f


def trainable(data: NetworkArguments, k):
    """(P,): 1 where a weight trains at update k: the freeze mask, lifted
    from update `thaw` on."""
    return jnp.where(k >= data.thaw, jnp.ones_like(data.freeze), data.freeze)


def minibatch(data: NetworkArguments, batch: int, index, weight):
    """The step's (x, y, weight): the batch's rows, or every training point
    weighted by the labelled mask (`batch` 0)."""
    if batch == 0:
        return data.train_x, data.train_y, data.labelled
    return data.train_x[index], data.train_y[index], weight


def _train_fn(key: ProgramKey):
    """The function compiled for `key`: one run, `length` points."""
    network, length, batch = key.problem.network, key.length, key.problem.batch
    n_frames, n_snapshots = frames_of(length), snapshots_of(length)
    loss_of = objective(network, batch)
    whole_loss = objective(network, 0)  # over every training point: the loss whose sharpness is estimated
    value_and_grad = jax.value_and_grad(loss_of, has_aux=True)
    optimizer = OPTIMIZERS[key.member.optimizer]
    stability = optimizer.stability
    read_v = dict(optimizer.state).get("v") if stability is not None and stability.preconditioner else None

    def train(args: RunArguments) -> Output:
        data: NetworkArguments = args.problem

        def built(x, y, weight):
            return pipeline(key.member, args, jax.hessian(lambda w: loss_of(w, data, x, y, weight)[0]))

        # The stages' states do not depend on the batch: built once from any.
        w0 = args.start
        carry0 = (w0, built(*minibatch(data, batch, data.batch_index[0], data.batch_weight[0])).init(w0),
                  jnp.zeros((n_frames + 1, w0.size), F32), jnp.zeros((n_snapshots + 1, w0.size), F32),
                  jnp.stack([data.probe, data.probe]))

        def sharpness_at(w, trains, states, t, probes, iterations):
            """The top eigenvalues of H and of P^-1 H at `w` (the loss the
            run minimises, on every training point, over the weights that
            train), P the optimizer's after update t - 1, each from its last
            Ritz vector."""
            def full_loss(v):
                return whole_loss(v, data, data.train_x, data.train_y, data.labelled)[0]

            hvp = curvature.hessian_vector_product(full_loss, w)
            top, ritz = curvature.lanczos_top(lambda v: trains * hvp(trains * v), probes[0], iterations)
            if read_v is None:
                return top, jnp.float32(jnp.nan), jnp.stack([ritz, probes[1]])
            p = stability.preconditioner(read_v(states[-1], w), t.astype(F32), args.hyper)
            scale = trains / jnp.sqrt(p)
            top_p, ritz_p = curvature.lanczos_top(lambda v: scale * hvp(scale * v), probes[1], iterations)
            return top, top_p, jnp.stack([ritz, ritz_p])

        def step(carry, row):
            w, states, frames, snapshots, probes = carry
            k, index, weight, frame_slot, snapshot_slot, estimate = row
            x, y, weight = minibatch(data, batch, index, weight)
            (value, (labelled_loss, logits)), raw = value_and_grad(w, data, x, y, weight)
            trains = trainable(data, k)
            raw = raw * trains  # frozen weights have no gradient
            out = built(x, y, weight).update(states, w, raw, value, lambda p: loss_of(p, data, x, y, weight)[0])
            new_w = optax.apply_updates(w, out.update * trains)
            if batch == 0:
                train_loss, train_logits = labelled_loss, logits
            else:
                train_loss, train_logits = nets.loss(network, w, data.train_x, data.train_y, data.labelled)
            taken, right = unlabeled.pseudo_labels(train_logits, data.train_y, 1 - data.labelled,
                                                   data.unlabeled.logit_threshold)
            nan = jnp.float32(jnp.nan)
            # 0: no estimate here; 1: one from the last estimate's vectors; 2: the first, from the probe
            sharp, sharp_p, probes = jax.lax.switch(estimate, (
                lambda: (nan, nan, probes),
                lambda: sharpness_at(w, trains, out.states, k + 1, probes, curvature.LATER),
                lambda: sharpness_at(w, trains, out.states, k + 1, probes, curvature.FIRST)))
            offset = w - data.centre
            record = Record(
                xy=offset @ data.axes,
                loss=train_loss,
                train_accuracy=nets.accuracy(train_logits, data.train_y, data.labelled),
                test_accuracy=nets.accuracy(network.logits(w, data.test_x), data.test_y, jnp.ones_like(data.test_y)),
                pseudo_labels=taken,
                pseudo_right=right,
                grad=raw @ data.axes,
                grad_norm=jnp.sqrt(jnp.sum(raw * raw)),
                clipped=out.clipped,
                ok=jnp.all(jnp.isfinite(w)) & (jnp.max(jnp.abs(w)) <= WEIGHT_LIMIT),
                sharpness=sharp,
                preconditioned_sharpness=sharp_p,
                plane_distance=jnp.linalg.norm(offset - data.axes @ (offset @ data.axes)),
            )
            frames = frames.at[frame_slot].set(w)
            snapshots = snapshots.at[snapshot_slot].set(w)
            return (new_w, out.states, frames, snapshots, probes), record

        rows = (jnp.arange(length, dtype=jnp.int32), data.batch_index, data.batch_weight, data.frame_slot,
                data.snapshot_slot, data.sharpness_at)
        (_, _, frames, snapshots, _), records = jax.lax.scan(step, carry0, rows, length=length)
        kept = frames[:n_frames]
        boundary = jax.nn.sigmoid(jax.vmap(lambda w: network.logits(w, data.grid))(kept))
        points = jax.vmap(lambda w: network.logits(w, data.train_x))(kept)
        return Output(records, boundary, points, snapshots[:n_snapshots])

    return train


@dataclass(frozen=True, eq=False)
class Group:
    """One compiled program that trains one run of each of its members (the
    keys, which differ only in their optimizer) side by side; a member
    without a run in a call is switched off by a `lax.cond`, so it costs
    nothing. XLA's cost per program is largely fixed: three optimizers
    compile together in about half the time of three programs."""

    program: Callable  # (active: tuple of bool, argsets: tuple of RunArguments) -> tuple of Output
    keys: tuple[ProgramKey, ...]
    idle: tuple[RunArguments, ...]  # arguments of a member switched off (zeros)


def compile_group(keys: tuple[ProgramKey, ...]) -> Group:
    """The members of `keys` compiled as one program, ahead of time (a call
    with a wrong dtype or shape fails instead of tracing again)."""
    functions = [_train_fn(key) for key in keys]
    shapes = tuple(argument_shapes(key) for key in keys)
    outputs = [jax.eval_shape(f, s) for f, s in zip(functions, shapes, strict=True)]

    def off(shape):
        return lambda args: jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shape)

    def group(active, argsets):
        return tuple(jax.lax.cond(on, f, off(shape), args)
                     for on, f, shape, args in zip(active, functions, outputs, argsets, strict=True))

    flags = tuple(jax.ShapeDtypeStruct((), np.bool_) for _ in keys)
    program = jax.jit(group).lower(flags, shapes).compile()
    idle = tuple(jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), shape) for shape in shapes)
    return Group(program, tuple(keys), idle)


def train(jobs: list[tuple[tuple[Group, int], RunArguments]]) -> list[Output]:
    """Each job's run, (group, member index) with its arguments, in as few
    calls as possible: a call trains one run per member of a group."""
    outputs: list = [None] * len(jobs)
    for group, assigned in pack_calls([place for place, _ in jobs]):
        active = tuple(np.bool_(i in assigned) for i in range(len(group.keys)))
        argsets = tuple(jobs[assigned[i]][1] if i in assigned else group.idle[i] for i in range(len(group.keys)))
        results = group.program(active, argsets)
        for index, number in assigned.items():
            outputs[number] = results[index]
    return outputs


# ---------------------------------------------------------------- host tables


def slots(chosen: np.ndarray, length: int, count: int) -> np.ndarray:
    """(length,) int32: the slot of each step in `chosen` (ascending
    steps), `count` (nowhere) for the others."""
    table = np.full(length, count, np.int32)
    table[chosen] = np.arange(len(chosen), dtype=np.int32)
    return table


def spread(last: int, count: int) -> np.ndarray:
    """At most `count` steps from 0 to `last`, evenly spread, both ends in:
    every step when there are few enough."""
    if last + 1 <= count:
        return np.arange(last + 1)
    return np.unique(np.round(np.linspace(0, last, count)).astype(int))


def batch_table(labelled: np.ndarray, size: int, seed: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The minibatches of updates 0 .. length-1: (index (length, size) int32,
    weight (length, size) float32). Each epoch is a new permutation of the
    labelled training points (numpy's default generator seeded by the run's
    seed) cut into batches of `size`; an incomplete last batch is dropped.
    When no more than `size` points are labelled, every batch is all of
    them, padded with weight 0."""
    return _batch_table(labelled.tobytes(), len(labelled), size, seed, length)


@functools.lru_cache(maxsize=64)
def _batch_table(labelled_bytes, n, size, seed, length):
    points = np.flatnonzero(np.frombuffer(labelled_bytes, bool, n))
    if len(points) <= size:
        index = np.zeros((length, size), np.int32)
        weight = np.zeros((length, size), F32)
        index[:, : len(points)] = points
        weight[:, : len(points)] = 1
    else:
        rng = np.random.default_rng(seed)
        per_epoch = len(points) // size
        epochs = -(-length // per_epoch)
        rows = [rng.permutation(points)[: per_epoch * size].reshape(per_epoch, size) for _ in range(epochs)]
        index = np.concatenate(rows)[:length].astype(np.int32)
        weight = np.ones((length, size), F32)
    index.flags.writeable = weight.flags.writeable = False
    return index, weight


# ---------------------------------------------------------------- pretraining


@functools.lru_cache(maxsize=32)
def pretrained_weights(pretrain: str, network: nets.Network, init: str) -> np.ndarray:
    """The weights every run starts from after pretraining on `pretrain`:
    from `init`, PRETRAIN_STEPS full-batch Adam steps (lr PRETRAIN_LR) on
    that set's training split, every label kept, scale 1. A fixed recipe,
    computed once per (set, network, init), by the compile worker when it is free."""
    from visualizer.core.compile_worker import WORKER

    out = WORKER.call(_pretrain, pretrain, network, init)
    out.flags.writeable = False
    return out


def _pretrain(pretrain: str, network: nets.Network, init: str) -> np.ndarray:
    data = dataset(pretrain)
    w = _pretrain_program(network)(nets.initial_weights(network, init), data.train_x, data.train_y)
    return np.array(w, F32)


@functools.lru_cache(maxsize=8)
def _pretrain_program(network: nets.Network):
    adam = optax.adam(PRETRAIN_LR)

    def pretrain(w, x, y):
        grad = jax.grad(lambda v: nets.loss(network, v, x, y, jnp.ones_like(y))[0])

        def step(carry, _):
            w, state = carry
            update, state = adam.update(grad(w), state, w)
            return (optax.apply_updates(w, update), state), None

        return jax.lax.scan(step, (w, adam.init(w)), None, length=PRETRAIN_STEPS)[0][0]

    return jax.jit(pretrain)
