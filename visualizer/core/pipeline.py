"""The gradient pipeline every run goes through, on a surface or a network:

    raw gradient -> add_noise -> clip (by value) -> clip_by_global_norm -> optimizer(lr table)

as optax transformations built from traced values (`RunArguments`), so
changing any value never compiles again. Switched-off stages stay in the
chain with neutral values (clip at inf, noise 0), which leaves the gradient
bit-for-bit unchanged; a caller that knows a stage is off for every run it
steps may leave it out (`omit`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from visualizer.core.optimizers import OPTIMIZERS, Landscape
from visualizer.core.programs import LENGTH_BUCKETS, Member
from visualizer.core.run import Run
from visualizer.core.schedules import SCHEDULES, lr_table

F32 = np.float32


def noise_stage(noise, seed) -> optax.GradientTransformation:
    """Gaussian gradient noise of std `noise`: optax.add_noise draws std
    sqrt(eta / t^gamma), so eta = noise^2 with gamma = 0."""
    return optax.add_noise(noise * noise, 0.0, jax.random.key(seed))


def clip_stages(clip_value, clip_norm) -> tuple[optax.GradientTransformation, ...]:
    return optax.clip(clip_value), optax.clip_by_global_norm(clip_norm)


def build_chain(run: Run, steps: int, loss_fn: Callable, f_min: float = 0.0) -> optax.GradientTransformation:
    """The run as one optax transformation, for a plain training loop over
    `params` of shape (2,): the reference the engine is tested against. Its
    update takes optax's extra arguments `value`, `grad` and `value_fn`."""
    inf = float("inf")
    schedule = SCHEDULES[run.schedule].build(run.lr, steps, run.schedule_params)
    optimizer = OPTIMIZERS[run.optimizer].build(schedule, dict(run.hyper), Landscape(jax.hessian(loss_fn), f_min))
    return optax.chain(
        noise_stage(run.noise, run.seed),
        *clip_stages(inf if run.clip_value is None else run.clip_value,
                     inf if run.clip_norm is None else run.clip_norm),
        optimizer,
    )


@functools.lru_cache(maxsize=len(LENGTH_BUCKETS))
def _noise_program(length: int):
    """The draws `noise_stage` adds, for `length` updates, as one array:
    optax.add_noise applied to zeros. Generating them outside the run keeps
    the random-number code out of every optimizer's program (it tripled
    their compile time) while the draws stay optax's own."""

    def draws(eta, seed):
        # optax.add_noise's variance `eta` is passed in, not the std: squaring
        # the std here in float32 would round it differently from
        # `noise_stage` (which squares the Python float), and the draws would
        # differ from the reference chain's in the last bit.
        stage = optax.add_noise(eta, 0.0, jax.random.key(seed))
        zeros = jnp.zeros(2, F32)

        def step(state, _):
            g, state = stage.update(zeros, state)
            return state, g

        return jax.lax.scan(step, stage.init(zeros), None, length=length)[1]

    return jax.jit(draws).lower(jax.ShapeDtypeStruct((), F32), jax.ShapeDtypeStruct((), np.int32)).compile()


def noise_table(noise: float, seed: int, length: int) -> np.ndarray:
    if noise == 0:
        return np.zeros((length, 2), F32)
    return np.asarray(_noise_program(length)(F32(noise * noise), np.int32(seed)))


def add_noise_table(draws) -> optax.GradientTransformation:
    """Add row `count` of precomputed draws (see `_noise_program`)."""

    def init(params):
        del params
        return optax.ScaleByScheduleState(count=jnp.zeros([], jnp.int32))

    def update(updates, state, params=None):
        del params
        return updates + draws[state.count], optax.ScaleByScheduleState(count=state.count + 1)

    return optax.GradientTransformation(init, update)


def surface_functions(surface_fn: Callable) -> tuple[Callable, Callable]:
    """The loss's value-and-gradient and its Hessian, each as a nested jit of
    `(point, surface_params)`: JAX traces and lowers a nested jit once per
    program however many members call it, which halves the tracing of a
    group of eight (the gradient of the surface was half of it)."""

    def loss(p, surface_params):
        return surface_fn(p[0], p[1], **surface_params)

    return jax.jit(jax.value_and_grad(loss)), jax.jit(jax.hessian(loss))


class NoiseKey(NamedTuple):
    """Gradient noise drawn in the scan by optax.add_noise itself, of
    variance `eta` (the std squared, in float64 as `noise_stage` squares
    it) from `seed`."""

    eta: np.float32
    seed: np.int32


def noise_stage_of(noise) -> optax.GradientTransformation:
    """The noise stage of a run's `RunArguments.noise`: optax.add_noise's
    draws either way, precomputed (a table read by update count: on a
    surface the path is two numbers wide, and the random-number code in the
    scan tripled each optimizer's compile time) or drawn in the scan (a
    `NoiseKey`: on a network a table of length x weights would not fit in
    memory)."""
    if isinstance(noise, NoiseKey):
        return optax.add_noise(noise.eta, 0.0, jax.random.key(noise.seed))
    return add_noise_table(noise)


class RunArguments(NamedTuple):
    """Everything one run's program takes, on a surface or a network, each a
    float32 array (or a record of them), so changing any value calls the
    same compiled program."""

    hyper: dict  # the optimizer's hyperparameters by name (its static ones excluded)
    lr: object  # the schedule's learning rate of each update, read by count: a (length,) table
    noise: object  # a (length, P) table of optax.add_noise's draws, or a NoiseKey (`noise_stage_of`)
    clip_value: np.float32  # inf when off
    clip_norm: np.float32  # inf when off
    f_min: np.float32  # the problem's lowest value (Polyak's step size needs it)
    start: np.ndarray  # (P,): the point, or the network's weights, every run starts from
    problem: object  # what the loss needs besides the parameters: a surface's knobs, a network's data


def run_arguments(run: Run, steps: int, length: int, *, noise, f_min: float, start, problem) -> RunArguments:
    """A run's `RunArguments` on any problem: its own values (hyperparameters,
    the schedule as a table of `length` rates, clipping; each float32 so the
    compiled program's signature always matches) beside what the problem
    gives (`noise`, `f_min`, `start`, `problem`)."""
    inf = np.inf
    return RunArguments(
        hyper={name: F32(value) for name, value in run.hyper.items()
               if name not in OPTIMIZERS[run.optimizer].static},
        lr=lr_table(run.schedule, run.lr, steps, run.schedule_params, length),
        noise=noise,
        clip_value=F32(inf if run.clip_value is None else run.clip_value),
        clip_norm=F32(inf if run.clip_norm is None else run.clip_norm),
        f_min=F32(f_min),
        start=start,
        problem=problem,
    )


class Update(NamedTuple):
    """One pass through the pipeline: the update to apply, the stages'
    states after it, and whether clipping changed the gradient."""

    update: jax.Array
    states: tuple
    clipped: jax.Array


class Pipeline(NamedTuple):
    """One run's pipeline, built from its `RunArguments`: the stages before
    the optimizer in STAGES' order (optax.identity where left out) and the
    optimizer, whose learning rate is the run's table."""

    stages: tuple
    optimizer: optax.GradientTransformation

    def init(self, params) -> tuple:
        return tuple(stage.init(params) for stage in (*self.stages, self.optimizer))

    def update(self, states: tuple, params, raw, value, value_fn: Callable) -> Update:
        """The raw gradient `raw` (of f = `value` at `params`) through the
        stages and the optimizer. Stage by stage, not as one optax.chain,
        so the gradient between noise and clipping can be compared: was this
        update clipped? `value_fn` is for line searches (L-BFGS)."""
        noise, clip_value, clip_norm = self.stages
        noise_s, clip_value_s, clip_norm_s, opt_s = states
        noisy, noise_s = noise.update(raw, noise_s)
        g, clip_value_s = clip_value.update(noisy, clip_value_s)
        g, clip_norm_s = clip_norm.update(g, clip_norm_s)
        update, opt_s = self.optimizer.update(g, opt_s, params, value=value, grad=raw, value_fn=value_fn)
        return Update(update, (noise_s, clip_value_s, clip_norm_s, opt_s), jnp.any(g != noisy))


# The stages before the optimizer, in the pipeline's order (`omit` names them).
STAGES = ("noise", "clip_value", "clip_norm")


def pipeline(member: Member, args: RunArguments, hessian: Callable, omit: frozenset = frozenset()) -> Pipeline:
    """The pipeline of a run of `member` with `args`; `hessian(params)` is
    the loss's Hessian (Newton's method asks for it). `omit`: stages (of
    STAGES) to leave out, for a caller that knows they are switched off for
    every run it steps. Left in with neutral values they change nothing but
    cost time: clipping by norm vmapped over many runs tripled an
    exploration's program."""
    optimizer = OPTIMIZERS[member.optimizer]
    stages = (noise_stage_of(args.noise), *clip_stages(args.clip_value, args.clip_norm))
    stages = tuple(optax.identity() if name in omit else stage for name, stage in zip(STAGES, stages, strict=True))
    landscape = Landscape(hessian, args.f_min)
    return Pipeline(stages, optimizer.build(lambda count: args.lr[count], {**args.hyper, **dict(member.static)},
                                            landscape))


class Path(NamedTuple):
    """What one run's program returns, per point (`length` of them): the
    point, f there, the raw gradient there, whether clipping changed the
    gradient of the update that leaves it, the optimizer's state after
    that update, by the names its entry gives (`Optimizer.state`), and the
    Hessian there as its entries (a, b, d) of [[a, b], [b, d]] (its top
    eigenvalue is the sharpness; a scan that keeps only the point and the
    loss never computes it)."""

    xy: jax.Array
    loss: jax.Array
    grad: jax.Array
    clipped: jax.Array
    state: dict
    hessian: jax.Array


class Stepper(NamedTuple):
    """One run on a surface as two pure functions, for any scan to drive:
    `init(args)` gives the carry at the start, `step(args, carry)` does one
    update and returns the new carry and the `Path` record of the point it
    left. `simulate` keeps every record; an exploration keeps only what it
    needs."""

    init: Callable
    step: Callable


def stepper(value_and_grad: Callable, hessian: Callable, member: Member, omit: frozenset = frozenset()) -> Stepper:
    """A run of `member` on the surface whose `value_and_grad(point,
    knobs)` and `hessian(point, knobs)` are given (`surface_functions`);
    `omit` as for `pipeline`."""
    optimizer = OPTIMIZERS[member.optimizer]

    def built(args: RunArguments) -> Pipeline:
        return pipeline(member, args, lambda p: hessian(p, args.problem), omit)

    def init(args: RunArguments):
        return args.start, built(args).init(args.start)

    def step(args: RunArguments, carry):
        x, states = carry
        value, raw = value_and_grad(x, args.problem)
        out = built(args).update(states, x, raw, value, lambda p: value_and_grad(p, args.problem)[0])
        new_x = optax.apply_updates(x, out.update)
        state = {name: jnp.broadcast_to(read(out.states[-1], new_x), (2,)).astype(F32)
                 for name, read in optimizer.state}
        h = hessian(x, args.problem)
        return (new_x, out.states), Path(x, value, raw, out.clipped, state, jnp.stack([h[0, 0], h[0, 1], h[1, 1]]))

    return Stepper(init, step)
