"""Training: one run of the network as one compiled `lax.scan` over its
steps, the 2D engine's chain on the flat weight vector,

    freeze mask -> add_noise -> clip (by value) -> clip_by_global_norm -> optimizer(lr table) -> freeze mask

with every continuous value an argument (hyperparameters, learning-rate
table, noise and its seed, clip thresholds, the initial weights, the data,
the labelled mask, the freeze mask, the plane), so changing any of them
compiles nothing. A run's program is keyed by (network, optimizer and its
static values, length bucket, batch size, data sizes) in the engine's
program cache; the optimizers a scene needs and the cache lacks are
compiled together, as one program (a `Group`).

Each point k (the weights before update k) is recorded as its projection
on the plane, the training loss and accuracy there, the test accuracy, the
raw gradient's projection and norm, whether clipping changed the gradient,
and whether the weights are still finite and within 1e6. The weights
themselves are kept only at a few steps: `frames` (the decision boundary
is computed there, on a grid over the data) and `snapshots` (the plane's
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

from visualizer.core.model import network as nets
from visualizer.core.model.data import dataset
from visualizer.core.optimizers import OPTIMIZERS, Landscape
from visualizer.core.pipeline import F32, clip_stages
from visualizer.core.programs import ProgramKey, pack_calls

WEIGHT_LIMIT = 1e6  # a weight beyond this in size counts as diverged, like a 2D coordinate
FRAMES = 101  # decision-boundary frames per run, at most
SNAPSHOTS = 1025  # run 1's weights kept for the plane's PCA, at most (every point up to 1024 steps)
BOUNDARY_POINTS = 32  # the decision boundary's grid over the data window is 32 x 32
PRETRAIN_STEPS = 500
PRETRAIN_LR = 0.01


class ModelArguments(NamedTuple):
    """Everything one run's program takes; `batch_*`, `frame_slot` and
    `snapshot_slot` have a row per update (scanned over)."""

    hyper: dict  # the optimizer's non-static hyperparameters by name
    lr: np.ndarray  # (length,)
    noise_eta: np.float32  # variance of the gradient noise (optax.add_noise's eta): noise ** 2
    noise_seed: np.int32
    clip_value: np.float32  # inf when off
    clip_norm: np.float32
    f_min: np.float32  # Polyak's f*: 0, the infimum of the cross-entropy
    w0: np.ndarray  # (P,) initial weights
    freeze: np.ndarray  # (P,) 1 where a weight trains, 0 where it is frozen
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


class Record(NamedTuple):
    """One point of a run (the weights before update k)."""

    xy: jax.Array  # (2,) projection on the plane
    loss: jax.Array  # the training loss (labelled points, every one of them)
    train_accuracy: jax.Array
    test_accuracy: jax.Array
    grad: jax.Array  # (2,) the raw gradient's projection
    grad_norm: jax.Array  # |raw gradient| over every weight
    clipped: jax.Array
    ok: jax.Array  # every weight finite and within WEIGHT_LIMIT


class Output(NamedTuple):
    records: Record  # each field with a leading axis of `length`
    boundary: jax.Array  # (F, G * G): P(class 1) at each frame
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


def _argument_shapes(key: ProgramKey) -> ModelArguments:
    scalar = jax.ShapeDtypeStruct((), F32)
    opt = OPTIMIZERS[key.member.optimizer]
    problem = key.problem
    p, n, m, length = problem.network.size, problem.train_points, problem.test_points, key.length

    def f32(*shape):
        return jax.ShapeDtypeStruct(shape, F32)

    def i32(*shape):
        return jax.ShapeDtypeStruct(shape, np.int32)

    return ModelArguments(
        hyper={h.name: scalar for h in opt.hypers if h.name not in opt.static},
        lr=f32(length), noise_eta=scalar, noise_seed=i32(), clip_value=scalar, clip_norm=scalar, f_min=scalar,
        w0=f32(p), freeze=f32(p), train_x=f32(n, 2), train_y=f32(n), labelled=f32(n), test_x=f32(m, 2),
        test_y=f32(m), batch_index=i32(length, problem.batch), batch_weight=f32(length, problem.batch), centre=f32(p),
        axes=f32(p, 2), frame_slot=i32(length), snapshot_slot=i32(length),
        grid=f32(BOUNDARY_POINTS * BOUNDARY_POINTS, 2))


def _train_fn(key: ProgramKey):
    """The function compiled for `key`: one run, `length` points."""
    network, length, batch = key.problem.network, key.length, key.problem.batch
    optimizer = OPTIMIZERS[key.member.optimizer]
    static = dict(key.member.static)
    n_frames, n_snapshots = frames_of(length), snapshots_of(length)

    def loss_on(w, x, y, weight):
        return nets.loss(network, w, x, y, weight)

    value_and_grad = jax.value_and_grad(loss_on, has_aux=True)

    def train(args: ModelArguments) -> Output:
        def batch_of(index, weight):
            if batch == 0:
                return args.train_x, args.train_y, args.labelled
            return args.train_x[index], args.train_y[index], weight

        def chain(x, y, weight):
            stages = (optax.add_noise(args.noise_eta, 0.0, jax.random.key(args.noise_seed)),
                      *clip_stages(args.clip_value, args.clip_norm))
            landscape = Landscape(jax.hessian(lambda w: loss_on(w, x, y, weight)[0]), args.f_min)
            return stages, optimizer.build(lambda count: args.lr[count], {**args.hyper, **static}, landscape)

        # The stages' states do not depend on the batch: built once from any.
        stages0, opt0 = chain(*batch_of(args.batch_index[0], args.batch_weight[0]))
        w0 = args.w0
        carry0 = (w0, tuple(s.init(w0) for s in stages0) + (opt0.init(w0),),
                  jnp.zeros((n_frames + 1, w0.size), F32), jnp.zeros((n_snapshots + 1, w0.size), F32))

        def step(carry, row):
            w, (noise_s, clip_value_s, clip_norm_s, opt_s), frames, snapshots = carry
            index, weight, frame_slot, snapshot_slot = row
            x, y, weight = batch_of(index, weight)
            (noise_stage, clip_value_stage, clip_norm_stage), opt = chain(x, y, weight)
            (value, logits), raw = value_and_grad(w, x, y, weight)
            raw = raw * args.freeze  # frozen weights have no gradient
            noisy, noise_s = noise_stage.update(raw, noise_s)
            g, clip_value_s = clip_value_stage.update(noisy, clip_value_s)
            g, clip_norm_s = clip_norm_stage.update(g, clip_norm_s)
            update, opt_s = opt.update(g, opt_s, w, value=value, grad=raw,
                                       value_fn=lambda p: loss_on(p, x, y, weight)[0])
            new_w = optax.apply_updates(w, update * args.freeze)
            if batch == 0:
                train_loss, train_logits = value, logits
            else:
                train_loss, train_logits = loss_on(w, args.train_x, args.train_y, args.labelled)
            record = Record(
                xy=(w - args.centre) @ args.axes,
                loss=train_loss,
                train_accuracy=nets.accuracy(train_logits, args.train_y, args.labelled),
                test_accuracy=nets.accuracy(network.logits(w, args.test_x), args.test_y, jnp.ones_like(args.test_y)),
                grad=raw @ args.axes,
                grad_norm=jnp.sqrt(jnp.sum(raw * raw)),
                clipped=jnp.any(g != noisy),
                ok=jnp.all(jnp.isfinite(w)) & (jnp.max(jnp.abs(w)) <= WEIGHT_LIMIT),
            )
            frames = frames.at[frame_slot].set(w)
            snapshots = snapshots.at[snapshot_slot].set(w)
            return (new_w, (noise_s, clip_value_s, clip_norm_s, opt_s), frames, snapshots), record

        rows = (args.batch_index, args.batch_weight, args.frame_slot, args.snapshot_slot)
        (_, _, frames, snapshots), records = jax.lax.scan(step, carry0, rows, length=length)
        boundary = jax.nn.sigmoid(jax.vmap(lambda w: network.logits(w, args.grid))(frames[:n_frames]))
        return Output(records, boundary, snapshots[:n_snapshots])

    return train


@dataclass(frozen=True, eq=False)
class Group:
    """One compiled program that trains one run of each of its members (the
    keys, which differ only in their optimizer) side by side; a member
    without a run in a call is switched off by a `lax.cond`, so it costs
    nothing. XLA's cost per program is largely fixed: three optimizers
    compile together in about half the time of three programs."""

    program: Callable  # (active: tuple of bool, argsets: tuple of ModelArguments) -> tuple of Output
    keys: tuple[ProgramKey, ...]
    idle: tuple[ModelArguments, ...]  # arguments of a member switched off (zeros)


def compile_group(keys: tuple[ProgramKey, ...]) -> Group:
    """The members of `keys` compiled as one program, ahead of time (a call
    with a wrong dtype or shape fails instead of tracing again)."""
    functions = [_train_fn(key) for key in keys]
    shapes = tuple(_argument_shapes(key) for key in keys)
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


def train(jobs: list[tuple[tuple[Group, int], ModelArguments]]) -> list[Output]:
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
