"""Clouds (`seeds=N` on a run): N copies of a noisy run stepped together,
each with its own noise, and what the player draws of them: the median
path and the band from the 10th to the 90th percentile, at every step.

Copy i draws its gradient noise from seed `seed + i`, all of it at once
before the steps, as `noise * jax.random.normal(key(seed + i), (length,
2))`: Gaussian of the run's std like a single run's (which optax.add_noise
draws step by step from the same seed), but not the same draws, since
optax's step-by-step key splitting, vmapped over the copies, cost four
times the steps themselves. The draws are the default key's, computed by
`visualizer.core.threefry` (half the time of JAX's own on the CPU).

A copy that diverges stops counting from the point where it does (NaN
after, as a single run is cut there), and sorts above every finite value:
the median is finite while fewer than half of the copies diverged, so the
cloud diverges at the update after which half or more have
(`results.truncate_divergence` on the median path). The quantiles are
taken on the host, where NumPy's sort of float32 rows takes a hundredth of
XLA's on the CPU.

One compiled program per (surface, optimizer, length bucket, copies
rounded up to a power of two from 8): every value an argument.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from visualizer.core import devices
from visualizer.core.pipeline import F32, RunArguments, stepper, surface_functions
from visualizer.core.programs import WIDE_VECTORS, Member, ProgramCache, compile_with
from visualizer.core.results import DIVERGENCE_LIMIT
from visualizer.core.threefry import UNROLLED

QUANTILES = (0.1, 0.5, 0.9)
MAX_SEEDS = 1024
SIZES = tuple(2**k for k in range(3, 11))  # copies per program: 8 .. 1024
# What each copy's program returns per point, in this order.
SERIES = ("x", "y", "loss", "grad_x", "grad_y", "sharpness")

PROGRAMS = ProgramCache(32)


class CloudKey(NamedTuple):
    problem: tuple
    member: Member
    length: int
    size: int
    clipping: frozenset  # the clipping stages (of pipeline.STAGES) switched on; the others are left out


def clipping_of(run) -> frozenset:
    return frozenset(name for name in ("clip_value", "clip_norm") if run.values[name] is not None)


def size_of(seeds: int) -> int:
    return next(s for s in SIZES if s >= seeds)


def compile_cloud(surface, member: Member, length: int, size: int, clipping: frozenset, shapes: RunArguments):
    """(arguments, noise std, seeds (size,)) -> (len(SERIES), length, size):
    every copy's series, NaN from where it diverged. Clipping stages that
    are off are left out (vmapped, clipping by norm at infinity tripled
    the steps' time)."""
    value_and_grad, hessian = surface_functions(surface.fn)
    run = stepper(value_and_grad, hessian, member, omit=frozenset({"clip_value", "clip_norm"}) - clipping)

    def copy(args: RunArguments, table):
        args = args._replace(noise=table)

        # Whether the copy is still alive rides in the carry: a cumulative
        # product over the finished series (vmapped) cost as much as the steps.
        def body(state, _):
            carry, alive = state
            carry, path = run.step(args, carry)
            alive = alive & jnp.all(jnp.isfinite(path.xy) & (jnp.abs(path.xy) <= DIVERGENCE_LIMIT)) \
                & jnp.isfinite(path.loss)
            a, b, d = path.hessian
            sharp = (a + d) / 2 + jnp.sqrt(((a - d) / 2) ** 2 + b * b)
            series = jnp.stack([path.xy[0], path.xy[1], path.loss, path.grad[0], path.grad[1], sharp])
            return (carry, alive), jnp.where(alive, series, jnp.nan)

        return jax.lax.scan(body, (run.init(args), jnp.bool_(True)), None, length=length)[1].T

    def cloud(args: RunArguments, std, seeds):
        # the default key's draws (threefry), computed in one fused pass
        tables = jax.vmap(lambda s: std * jax.random.normal(jax.random.key(s, impl=UNROLLED), (length, 2), F32))(seeds)
        out = jax.vmap(copy, in_axes=(None, 0))(args, tables)  # (size, series, length)
        # copies last: each series' rows are what the host sorts (and a copy on the way out costs more)
        return jnp.transpose(out, (1, 2, 0))

    # The copies split over the devices (visualizer.core.devices), the run's values on each.
    batch, whole = devices.batch_sharding(size)
    shapes = jax.tree.map(lambda s: devices.shaped(s.shape, s.dtype, whole), shapes)
    lowered = jax.jit(cloud).lower(shapes, devices.shaped((), F32, whole), devices.shaped((size,), np.uint32, batch))
    return compile_with(lowered, WIDE_VECTORS)


def seeds_of(run, size: int) -> np.ndarray:
    """The copies' seeds: seed, seed + 1, ... (`size` of them, the padding included)."""
    return (np.uint32(run.seed) + np.arange(size, dtype=np.uint32)).astype(np.uint32)


class Cloud(NamedTuple):
    """Per point, the median of every series (`SERIES`) over the copies,
    and the quantiles (`QUANTILES`) of the point and the loss."""

    median: dict  # series name -> (points,)
    xy: np.ndarray  # (len(QUANTILES), points, 2)
    loss: np.ndarray  # (len(QUANTILES), points)


def quantiles(values: np.ndarray, qs=QUANTILES) -> np.ndarray:
    """(len(qs), ...) the quantiles over the last axis (numpy's "linear"
    rule), NaN counted above every number: by one sort of float32 rows."""
    ordered = np.sort(values, axis=-1)
    n = values.shape[-1]
    out = []
    for q in qs:
        position = q * (n - 1)
        low = int(np.floor(position))
        high = min(low + 1, n - 1)
        w = np.float32(position - low)
        out.append(ordered[..., low] * (1 - w) + ordered[..., high] * w if w else ordered[..., low])
    return np.stack(out)


def summarise(series: np.ndarray, seeds: int, points: int) -> Cloud:
    """The cloud of `seeds` copies from the program's output."""
    values = series[:, :points, :seeds]  # (series, points, copies)
    x, y, loss = (quantiles(values[i]) for i in range(3))
    middle = QUANTILES.index(0.5)
    median = {name: (x, y, loss)[i][middle] if i < 3 else quantiles(values[i], (0.5,))[0]
              for i, name in enumerate(SERIES)}
    return Cloud(median, np.stack([x, y], axis=-1), loss)
