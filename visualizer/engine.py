"""The engine: every run of a scene as one jitted `lax.scan`.

A run is an optax chain built from plain values,

    add_noise -> clip (by value) -> clip_by_global_norm -> optimizer(schedule)

and the compiled program takes every continuous value as an argument: the
hyperparameters, the learning-rate table, the start, the clip thresholds, the
noise and its seed, and the surface's own parameters. A program is compiled
ahead of time once per (surface, optimizer, length bucket) and kept in a
bounded cache, so changing any value never compiles again, and a call with a
wrong dtype fails loudly instead of silently tracing anew.

Switched-off stages stay in the chain with neutral values (clip at inf,
noise 0), which leaves the gradient bit-for-bit unchanged.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

import surfaces
from visualizer.optimizers import OPTIMIZERS
from visualizer.results import SimulationResult, truncate_divergence
from visualizer.scene import Run, Scene
from visualizer.schedules import SCHEDULES, lr_table

# Programs are compiled for a fixed number of steps and sliced; these are the
# lengths (in points, steps + 1) that exist. Powers of two keep the waste
# under 2x and the number of programs per optimizer at most nine.
LENGTH_BUCKETS = (65, 129, 257, 513, 1025, 2049, 4097, 8193, 10001)
PROGRAM_CACHE_SIZE = 96

F32 = np.float32


def bucket_length(steps: int) -> int:
    """Points computed for a scene of `steps` updates (at least steps + 1)."""
    for length in LENGTH_BUCKETS:
        if length >= steps + 1:
            return length
    raise ValueError(f"{steps=} exceeds the largest bucket {LENGTH_BUCKETS[-1] - 1}")


def noise_stage(noise, seed) -> optax.GradientTransformation:
    """Gaussian gradient noise of std `noise`: optax.add_noise draws std
    sqrt(eta / t^gamma), so eta = noise^2 with gamma = 0."""
    return optax.add_noise(noise * noise, 0.0, jax.random.key(seed))


def clip_stages(clip_value, clip_norm) -> tuple[optax.GradientTransformation, ...]:
    return optax.clip(clip_value), optax.clip_by_global_norm(clip_norm)


def build_chain(run: Run, steps: int, loss_fn: Callable) -> optax.GradientTransformation:
    """The run as one optax transformation, for a plain training loop over
    `params` of shape (2,): the reference the engine is tested against."""
    inf = float("inf")
    schedule = SCHEDULES[run.schedule].build(run.lr, steps, run.schedule_params)
    optimizer = OPTIMIZERS[run.optimizer].build(schedule, dict(run.hyper), jax.hessian(loss_fn))
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


def _trajectory_fn(surface_fn: Callable, optimizer_id: str, length: int) -> Callable:
    """One run: scan `length - 1` updates, return every visited point."""
    optimizer = OPTIMIZERS[optimizer_id]

    def one_run(hyper, table, start, draws, clip_value, clip_norm, surface_params):
        def loss(p):
            return surface_fn(p[0], p[1], **surface_params)

        stages = (add_noise_table(draws), *clip_stages(clip_value, clip_norm))
        noise_stage, clip_value_stage, clip_norm_stage = stages
        opt = optimizer.build(lambda count: table[count], hyper, jax.hessian(loss))
        value_and_grad = jax.value_and_grad(loss)

        def step(carry, _):
            # The chain of `build_chain`, stage by stage, so the gradient
            # between noise and clipping can be compared: was this step clipped?
            x, (noise_s, clip_value_s, clip_norm_s, opt_s) = carry
            value, raw = value_and_grad(x)
            noisy, noise_s = noise_stage.update(raw, noise_s)
            g, clip_value_s = clip_value_stage.update(noisy, clip_value_s)
            g, clip_norm_s = clip_norm_stage.update(g, clip_norm_s)
            update, opt_s = opt.update(g, opt_s, x)
            carry = (optax.apply_updates(x, update), (noise_s, clip_value_s, clip_norm_s, opt_s))
            return carry, (x, value, jnp.linalg.norm(raw), jnp.any(g != noisy))

        init = tuple(s.init(start) for s in stages) + (opt.init(start),)
        _, (xs, values, norms, clipped) = jax.lax.scan(step, (start, init), None, length=length)
        return xs, values, norms, clipped

    return one_run


class _ProgramCache:
    """Compiled programs by key, least recently used dropped first. A lock
    per key means two sessions asking for the same new program at once
    compile it once; the other waits and reuses it."""

    def __init__(self, size: int):
        self._size = size
        self._programs: OrderedDict = OrderedDict()
        self._locks: dict = {}
        self._lock = threading.Lock()

    def get(self, key, make: Callable):
        with self._lock:
            if key in self._programs:
                self._programs.move_to_end(key)
                return self._programs[key]
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._programs:
                    return self._programs[key]
            program = make()
            with self._lock:
                self._programs[key] = program
                self._locks.pop(key, None)
                while len(self._programs) > self._size:
                    self._programs.popitem(last=False)
            return program

    def __len__(self):
        return len(self._programs)

    def clear(self):
        with self._lock:
            self._programs.clear()


PROGRAMS = _ProgramCache(PROGRAM_CACHE_SIZE)


def _surface_key(scene: Scene) -> tuple:
    if scene.surface == surfaces.CUSTOM_ID:
        return (scene.surface, scene.formula)
    return (scene.surface,)


def _program(scene: Scene, model: surfaces.Surface, optimizer_id: str, length: int):
    key = (*_surface_key(scene), optimizer_id, length)

    def make():
        fn = _trajectory_fn(model.fn, optimizer_id, length)
        return jax.jit(fn).lower(*_argument_shapes(model, optimizer_id, length)).compile()

    return PROGRAMS.get(key, make)


def _argument_shapes(model, optimizer_id, length):
    scalar = jax.ShapeDtypeStruct((), F32)
    return (
        {h.name: scalar for h in OPTIMIZERS[optimizer_id].hypers},
        jax.ShapeDtypeStruct((length,), F32),
        jax.ShapeDtypeStruct((2,), F32),
        jax.ShapeDtypeStruct((length, 2), F32),
        scalar,
        scalar,
        {p.name: scalar for p in model.params},
    )


def _arguments(scene: Scene, model, run: Run, length: int):
    """Host values for one run, every one float32 so the compiled program's
    signature always matches."""
    inf = np.inf
    return (
        {name: F32(value) for name, value in run.hyper.items()},
        lr_table(run.schedule, run.lr, scene.steps, run.schedule_params, length),
        np.asarray(scene.start, F32),
        noise_table(run.noise, run.seed, length),
        F32(inf if run.clip_value is None else run.clip_value),
        F32(inf if run.clip_norm is None else run.clip_norm),
        {p.name: F32(scene.surface_params.get(p.name, p.default)) for p in model.params},
    )


def simulate(scene: Scene) -> SimulationResult:
    """Run every run of `scene`; see SPEC section 5 for what comes back."""
    model = scene.surface_model()
    length = bucket_length(scene.steps)
    n = scene.steps
    results = []
    for run in scene.runs:
        args = _arguments(scene, model, run, length)
        program = _program(scene, model, run.optimizer, length)
        xs, values, norms, clipped = (np.asarray(a) for a in program(*args))
        results.append(truncate_divergence(
            run=run,
            xy=xs[: n + 1],
            loss=values[: n + 1],
            lr=args[1][:n],
            grad_norm=norms[:n],
            clipped=clipped[:n],
        ))
    return SimulationResult(scene=scene, surface=model, runs=results)
