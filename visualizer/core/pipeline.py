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
from visualizer.core.schedules import SCHEDULES

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


class RunArguments(NamedTuple):
    """Everything one run's program takes, each a float32 array, so changing
    any value calls the same compiled program."""

    hyper: dict  # the optimizer's hyperparameters by name
    lr: np.ndarray  # (length,): the schedule's learning rate of each update
    start: np.ndarray  # (2,)
    noise: np.ndarray  # (length, 2): the draws optax.add_noise adds
    clip_value: np.float32  # inf when off
    clip_norm: np.float32  # inf when off
    surface: dict  # the surface's own knobs (cond, angle)
    f_min: np.float32  # the surface's lowest value (Polyak's step size needs it)


class Path(NamedTuple):
    """What one run's program returns, per point (`length` of them): the
    point, f there, the raw gradient there, whether clipping changed the
    gradient of the update that leaves it, and the optimizer's state after
    that update, by the names its entry gives (`Optimizer.state`)."""

    xy: jax.Array
    loss: jax.Array
    grad: jax.Array
    clipped: jax.Array
    state: dict


class Stepper(NamedTuple):
    """One run as two pure functions, for any scan to drive: `init(args)`
    gives the carry at the start, `step(args, carry)` does one update and
    returns the new carry and the `Path` record of the point it left.
    `simulate` keeps every record; an exploration keeps only what it needs."""

    init: Callable
    step: Callable


# The stages before the optimizer, in chain order (`stepper`'s `omit` names them).
STAGES = ("noise", "clip_value", "clip_norm")


def stepper(value_and_grad: Callable, hessian: Callable, member: Member, omit: frozenset = frozenset()) -> Stepper:
    """`omit`: stages (of STAGES) to leave out of the chain, for a caller
    that knows they are switched off for every run it steps. Left in with
    neutral values they change nothing but cost time: clipping by norm
    vmapped over many runs tripled an exploration's program."""
    optimizer = OPTIMIZERS[member.optimizer]
    static = dict(member.static)

    def chain(args: RunArguments):
        stages = (add_noise_table(args.noise), *clip_stages(args.clip_value, args.clip_norm))
        stages = tuple(optax.identity() if name in omit else stage for name, stage in zip(STAGES, stages, strict=True))
        landscape = Landscape(lambda p: hessian(p, args.surface), args.f_min)
        return stages, optimizer.build(lambda count: args.lr[count], {**args.hyper, **static}, landscape)

    def init(args: RunArguments):
        stages, opt = chain(args)
        return args.start, tuple(s.init(args.start) for s in stages) + (opt.init(args.start),)

    def step(args: RunArguments, carry):
        # The chain of `build_chain`, stage by stage, so the gradient
        # between noise and clipping can be compared: was this step clipped?
        (noise_stage, clip_value_stage, clip_norm_stage), opt = chain(args)
        x, (noise_s, clip_value_s, clip_norm_s, opt_s) = carry
        value, raw = value_and_grad(x, args.surface)
        noisy, noise_s = noise_stage.update(raw, noise_s)
        g, clip_value_s = clip_value_stage.update(noisy, clip_value_s)
        g, clip_norm_s = clip_norm_stage.update(g, clip_norm_s)
        update, opt_s = opt.update(g, opt_s, x, value=value, grad=raw,
                                   value_fn=lambda p: value_and_grad(p, args.surface)[0])
        new_x = optax.apply_updates(x, update)
        state = {name: jnp.broadcast_to(read(opt_s, new_x), (2,)).astype(F32) for name, read in optimizer.state}
        carry = (new_x, (noise_s, clip_value_s, clip_norm_s, opt_s))
        return carry, Path(x, value, raw, jnp.any(g != noisy), state)

    return Stepper(init, step)
