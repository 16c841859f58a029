"""A run's continuous-time limit (`flow=1`): the ODE its optimizer's steps
discretise (`Optimizer.flow`: gradient flow for SGD, the heavy-ball
equation for momentum), solved by an adaptive Runge-Kutta solver and read
at the run's own steps, in time t_k = lr_0 + ... + lr_{k-1} (k lr at a
constant rate), so point k of the run and point k of its flow belong to
the same time.

A small rate follows its flow; near the stability limit (2/L for gradient
descent) the steps overshoot and the run leaves it: `leaves_at` is the
first step where the two are further apart than DEPARTURE of the window's
diagonal.

The solver is JAX's own Dormand-Prince 5(4) with error control
(`jax.experimental.ode.odeint`), one compiled program per (surface,
optimizer, length bucket), every value an argument.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental.ode import odeint

from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.pipeline import F32, surface_functions
from visualizer.core.programs import ProgramCache

DEPARTURE = 0.05  # a run has left its flow when further from it than this fraction of the window's diagonal
RTOL = ATOL = 1e-6  # the solver's error tolerances (float32 holds about 7 digits)
MAX_SOLVER_STEPS = 4096  # per interval between two of the run's steps: a bound on the cost, never reached on a smooth surface

PROGRAMS = ProgramCache(32)


class FlowKey(NamedTuple):
    """A flow's program: the surface (`engine.surface_key`), the optimizer
    whose limit it is, and the number of points."""

    problem: tuple
    optimizer: str
    length: int


def has_flow(optimizer_id: str) -> bool:
    return OPTIMIZERS[optimizer_id].flow is not None


def compile_flow(surface, optimizer_id: str, length: int):
    """The program: (start (2,), rates (length,), hyperparameters, the
    surface's knobs) -> the flow's point at each of the `length` times."""
    value_and_grad, _ = surface_functions(surface.fn)
    flow = OPTIMIZERS[optimizer_id].flow

    def solve(start, rates, hyper, knobs):
        times = jnp.concatenate([jnp.zeros(1, F32), jnp.cumsum(rates[:-1])])

        def field(state, t):
            x, u = state
            # the rate in force at time t: that of the update under way
            k = jnp.clip(jnp.searchsorted(times, t, side="right") - 1, 0, length - 1)
            g = value_and_grad(x, knobs)[1]
            dx, du = flow.field(x, u, g, rates[k], hyper)
            return dx, du

        points, _ = odeint(field, (start, jnp.zeros_like(start)), times, rtol=RTOL, atol=ATOL,
                           mxstep=MAX_SOLVER_STEPS)
        return points

    scalar = jax.ShapeDtypeStruct((), F32)
    opt = OPTIMIZERS[optimizer_id]
    shapes = (jax.ShapeDtypeStruct((2,), F32), jax.ShapeDtypeStruct((length,), F32),
              {h.name: scalar for h in opt.hypers if h.name not in opt.static},
              {p.name: scalar for p in surface.knobs})
    return jax.jit(solve).lower(*shapes).compile()


def leaves_at(xy: np.ndarray, flow: np.ndarray, window) -> int | None:
    """The first step where the run is further from its flow than
    DEPARTURE of the window's diagonal (None if never)."""
    (x0, x1), (y0, y1) = window
    gap = np.linalg.norm(xy.astype(np.float64) - flow.astype(np.float64), axis=1)
    away = ~(gap <= DEPARTURE * math.hypot(x1 - x0, y1 - y0))  # a flow that is not finite is away too
    return int(np.argmax(away)) if away.any() else None
