"""`explore=lr` on a network (surface=mlp): one run of a model scene trained
at many learning rates at once (docs/explore.md).

Each variant is the run of `simulate` with another learning rate: the same
objective (`training.objective`: the labelled points' cross-entropy plus its
unlabelled term), the same gradient pipeline (`pipeline.pipeline`: noise,
clipping, the optimizer, the freeze mask around them), the same minibatches,
from the same initial weights. Its program is `vmap`ped over the rates and
keeps, per rate, a few numbers instead of the path:

- the training loss (the labelled points' cross-entropy) at the last point
  before any divergence, and the train and test accuracies there;
- where it diverged: update k gives a weight that is not finite or beyond
  1e6, or a loss that is not finite (`simulate`'s rule);
- the first step whose training loss is within `tol` of 0, the
  cross-entropy's infimum.

A network has no point of a plane to end at before its plane is fitted to
run 1's path, nor a list of minima: `final_xy` and `minimum` are null.

One program per (network, optimizer, length bucket, batch size, stages
switched on, variants per call): every value is an argument, so changing a
rate, a range, a hyperparameter, the data, the labels or the initial
weights compiles nothing. Like an exploration of a surface, stages that are
off (noise, clipping) are left out of the program rather than run with
neutral values.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from visualizer.core import compile_worker, counters
from visualizer.core.model import network as nets
from visualizer.core.model import simulate as model_simulate
from visualizer.core.model import training
from visualizer.core.pipeline import F32, STAGES, RunArguments, pipeline
from visualizer.core.programs import Member, ProgramCache, ProgramKey, bucket_length, member_of
from visualizer.core.schedules import lr_table

# Variants per program call: the count is rounded up to one of these (the
# padding repeats the first rate), and more than the last are run in calls of
# that many. A network's variant costs a forward and a backward pass a step:
# 256 of them already fill both cores.
SIZES = (16, 64, 256)
PROGRAM_CACHE_SIZE = 16
PROGRAMS = ProgramCache(PROGRAM_CACHE_SIZE)


class LrKey(NamedTuple):
    """A compiled program's place in the cache."""

    problem: training.NetworkProblem
    member: Member
    length: int
    stages: frozenset  # of pipeline.STAGES, switched on
    size: int  # variants per call


class Outcomes(NamedTuple):
    """Per rate, in the order of the axis: the training loss at the last
    good point (NaN where it diverged), the update it diverged at and the
    first step within tol (-1: null), the train and test accuracies at the
    last good point."""

    final_loss: np.ndarray
    diverged_at: np.ndarray
    steps_to_tol: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray


def explore_lr(scene, run_index: int, rates: np.ndarray, tol: float) -> Outcomes:
    """Run `run_index` (0-based) of the model scene `scene` at each of
    `rates`; everything else as the scene gives it."""
    prepared = model_simulate.prepare(scene, compiled=False)
    run = scene.runs[run_index]
    args = prepared.arguments[run_index]
    length = bucket_length(scene.steps)
    stages = frozenset(name for name, on in zip(STAGES, (run.noise > 0, run.clip_value is not None,
                                                         run.clip_norm is not None), strict=True) if on)
    size = next((s for s in SIZES if s >= len(rates)), SIZES[-1])
    settings = prepared.settings
    problem = training.NetworkProblem(settings.network, settings.batch, len(prepared.data.train_y),
                                      len(prepared.data.test_y))
    key = LrKey(problem, member_of(run), length, stages, size)
    (program,) = PROGRAMS.get_many([key], lambda keys: [compile_worker.WORKER.call(_compile, k) for k in keys])
    # The learning rate of each variant is its rate times the schedule's
    # table at rate 1 (every schedule is linear in lr).
    unit = lr_table(run.schedule, 1.0, scene.steps, run.schedule_params, length)
    factors = np.asarray(rates, F32)
    outputs = []
    for begin in range(0, len(factors), size):
        chunk = factors[begin:begin + size]
        if len(chunk) < size:  # real values, thrown away
            chunk = np.concatenate([chunk, np.full(size - len(chunk), chunk[0], F32)])
        outputs.append(program(chunk, args._replace(lr=unit), np.int32(scene.steps), F32(tol)))
    raw = [np.concatenate([np.asarray(o[i]) for o in outputs])[: len(factors)] for i in range(4)]
    loss, counter, train, test = raw
    counter = counters.decoded(counter)
    if counter.bad_start.any():
        from visualizer.core.errors import SceneError

        raise SceneError("surface: the network's loss is not finite at its initial weights; choose another init "
                         "or scale", "surface")
    return Outcomes(
        final_loss=np.where(counter.alive, loss, np.float32(np.nan)).astype(F32),
        diverged_at=counter.diverged_at,
        steps_to_tol=counter.steps_to_tol,
        train_accuracy=train.astype(F32),
        test_accuracy=test.astype(F32),
    )


def _compile(key: LrKey):
    """The program of `key`: (rates (size,), arguments, steps, tol) -> the
    per-variant (loss, packed counter, train accuracy, test accuracy)."""
    network, batch = key.problem.network, key.problem.batch
    loss_of = training.objective(network, batch)
    value_and_grad = jax.value_and_grad(loss_of, has_aux=True)
    omit = frozenset(STAGES) - key.stages

    def one(rate, args: RunArguments, steps, tol):
        data: training.NetworkArguments = args.problem
        args = args._replace(lr=rate * args.lr)

        def built(x, y, weight):
            return pipeline(key.member, args, jax.hessian(lambda w: loss_of(w, data, x, y, weight)[0]), omit)

        def measured(w):
            """The training loss and accuracy at w, on every labelled point."""
            value, logits = nets.loss(network, w, data.train_x, data.train_y, data.labelled)
            return value, nets.accuracy(logits, data.train_y, data.labelled)

        def body(k, state):
            w, states, counter, kept = state
            x, y, weight = training.minibatch(data, batch, data.batch_index[k], data.batch_weight[k])
            (value, (labelled_loss, _)), raw = value_and_grad(w, data, x, y, weight)
            trains = training.trainable(data, k)
            raw = raw * trains
            out = built(x, y, weight).update(states, w, raw, value, lambda p: loss_of(p, data, x, y, weight)[0])
            loss = labelled_loss if batch == 0 else measured(w)[0]
            good = (jnp.all(jnp.isfinite(w)) & (jnp.max(jnp.abs(w)) <= training.WEIGHT_LIMIT)
                    & jnp.isfinite(loss))
            counter = counters.counted(counter, k, good, loss, tol)
            kept = jnp.where(counters.alive(counter), w, kept)
            new_w = optax.apply_updates(w, out.update * trains)
            return new_w, out.states, counter, kept

        w0 = args.start
        first = training.minibatch(data, batch, data.batch_index[0], data.batch_weight[0])
        state = (w0, built(*first).init(w0), jnp.int32(counters.START), w0)
        _, _, counter, kept = jax.lax.fori_loop(0, steps + 1, body, state)
        loss, train = measured(kept)
        test = nets.accuracy(network.logits(kept, data.test_x), data.test_y, jnp.ones_like(data.test_y))
        return loss, counter, train, test

    program = jax.jit(jax.vmap(one, in_axes=(0, None, None, None)))
    shapes = training.argument_shapes(ProgramKey(key.problem, key.member, key.length))
    return program.lower(jax.ShapeDtypeStruct((key.size,), F32), shapes, jax.ShapeDtypeStruct((), np.int32),
                         jax.ShapeDtypeStruct((), F32)).compile()

