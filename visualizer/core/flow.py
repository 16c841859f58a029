"""A run's continuous-time limit (`flow=1`): the ODE its optimizer's steps
discretise (`Optimizer.flow`: gradient flow for SGD, the heavy-ball
equation for momentum), solved by diffrax and read at the run's own steps,
in time t_k = lr_0 + ... + lr_{k-1} (k lr at a constant rate), so point k
of the run and point k of its flow belong to the same time.

A small rate follows its flow; near the stability limit (2/L for gradient
descent) the steps overshoot and the run leaves it: `leaves_at` is the
first step where the two are further apart than DEPARTURE of the window's
diagonal.

The solver is diffrax's Dormand-Prince 5(4) (`Dopri5`) under a PID step
size controller with error tolerances RTOL and ATOL, saving at the run's
points (`SaveAt(ts=...)`) and stepping to each point where the learning
rate changes (a schedule's) rather than across it. One compiled program
per (surface, optimizer, length bucket), every value an argument (the
start, the rates, the number of steps, the hyperparameters, the surface's
knobs, the window). A solve can stop short: when the flow leaves the
window by more than OUTSIDE of its size (nothing beyond is drawn, and on a
surface unbounded below the flow can reach infinity in finite time), or
when it has taken MAX_STEPS steps (a bound on a visitor's wait); `Solved`
says from which point on there is no flow, and why.
"""

from __future__ import annotations

import math
import os
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.pipeline import F32, surface_functions
from visualizer.core.programs import ProgramCache

DEPARTURE = 0.05  # a run has left its flow when further from it than this fraction of the window's diagonal
RTOL = ATOL = 1e-6  # the solver's error tolerances (float32 holds about 7 digits)
MAX_STEPS = 16384  # the solver's steps over a whole run, a bound on the wait (about 0.2 s): 10,000 updates of
# SGD on Rosenbrock at lr 0.001 take 3,200, of momentum 0.99 at lr 0.0005 15,500
OUTSIDE = 1.0  # the solve stops when the flow is further outside the window than this many window sizes

PROGRAMS = ProgramCache(32)


class FlowKey(NamedTuple):
    """A flow's program: the surface (`engine.surface_key`), the optimizer
    whose limit it is, and the number of points."""

    problem: tuple
    optimizer: str
    length: int


class Stop(NamedTuple):
    """Why a solve ended before the run's last step: `code` as the
    program returns it, the words the page and the results use, and the
    few the player writes at the flow's end."""

    code: int
    words: str
    brief: str


LEFT_WINDOW = Stop(1, "it left the window", "it left the window")
OUT_OF_STEPS = Stop(2, f"the solver used its {MAX_STEPS} steps (the flow is too stiff there, or meets a point "
                       "where the gradient is not finite)", "too stiff for the solver")
FAILED = Stop(3, "the solver failed there", "the solver failed")
STOPS = {stop.code: stop for stop in (LEFT_WINDOW, OUT_OF_STEPS, FAILED)}
BRIEF = {stop.words: stop.brief for stop in STOPS.values()}


class Solved(NamedTuple):
    """A run's flow at each of its points (NaN from `stops_at` on), the
    first point the solve did not reach (None if it reached every one),
    and why (a `Stop`, None if it did not stop)."""

    points: np.ndarray
    stops_at: int | None
    stop: Stop | None


def has_flow(optimizer_id: str) -> bool:
    return OPTIMIZERS[optimizer_id].flow is not None


def compile_flow(surface, optimizer_id: str, length: int):
    """The program: (start (2,), rates (length,), steps, hyperparameters,
    the surface's knobs, the box the flow must stay in ((2, 2): low and
    high corners)) -> (the flow's point at each of the `length` points, up
    to point `steps` and repeated after, inf where not reached; a `Stop`
    code, 0 if none).

    The clock is the update count s, not the time t: t(s) is the rates
    summed up to s, so d/ds = lr_k d/dt during update k = floor(s). The
    run's points are then at the whole numbers, the rate in force is read
    by index rather than searched for, a schedule's change of rate is a
    jump at a whole number, and an update of rate 0 takes no time."""
    # diffrax checks its arguments inside the program with equinox's
    # error_if, by default a host callback that raises: a program holding
    # one cannot be serialised (the compile worker's programs are), and a
    # visitor must never see a traceback. With "nan" a failed check gives
    # NaN, which `solved` reports as a stop like any other. Set before
    # equinox is first imported (it reads the variable then); imported here
    # because only a flow=1 scene needs it and it costs 0.4 s.
    os.environ["EQX_ON_ERROR"] = "nan"
    import diffrax

    value_and_grad, _ = surface_functions(surface.fn)
    flow = OPTIMIZERS[optimizer_id].flow

    def field(s, state, args):
        rates, steps, hyper, knobs, _ = args
        x, u = state
        lr = rates[jnp.clip(jnp.floor(s).astype(jnp.int32), 0, steps - 1)]
        dx, du = flow.field(x, u, value_and_grad(x, knobs)[1], lr, hyper)
        moves = lr > 0  # the heavy-ball equation divides by lr
        return jnp.where(moves, lr * dx, 0), jnp.where(moves, lr * du, 0)

    def outside(s, state, args, **_):
        box = args[-1]
        return jnp.any((state[0] < box[0]) | (state[0] > box[1]))

    def solve(start, rates, steps, hyper, knobs, box):
        count = jnp.arange(length, dtype=F32)
        end = steps.astype(F32)
        changes = jnp.concatenate([jnp.zeros(1, bool), rates[1:] != rates[:-1]]) & (count < end)
        controller = diffrax.ClipStepSizeController(diffrax.PIDController(rtol=RTOL, atol=ATOL),
                                                    jump_ts=jnp.where(changes, count, end))
        solution = diffrax.diffeqsolve(
            # dt0: a tenth of an update. diffrax's own first guess (dt0=None)
            # can exceed the whole solve, and diffrax 0.7.2 then retries the
            # same clipped step until it runs out of steps.
            diffrax.ODETerm(field), diffrax.Dopri5(), 0.0, end, 0.1, (start, jnp.zeros_like(start)),
            args=(rates, steps, hyper, knobs, box), saveat=diffrax.SaveAt(ts=jnp.minimum(count, end)),
            stepsize_controller=controller, event=diffrax.Event(outside), max_steps=MAX_STEPS, throw=False)
        result = solution.result
        code = jnp.select([result == diffrax.RESULTS.successful, result == diffrax.RESULTS.event_occurred,
                           result == diffrax.RESULTS.max_steps_reached],
                          [0, LEFT_WINDOW.code, OUT_OF_STEPS.code], FAILED.code)
        return solution.ys[0], code

    scalar = jax.ShapeDtypeStruct((), F32)
    opt = OPTIMIZERS[optimizer_id]
    shapes = (jax.ShapeDtypeStruct((2,), F32), jax.ShapeDtypeStruct((length,), F32),
              jax.ShapeDtypeStruct((), np.int32),
              {h.name: scalar for h in opt.hypers if h.name not in opt.static},
              {p.name: scalar for p in surface.knobs}, jax.ShapeDtypeStruct((2, 2), F32))
    return jax.jit(solve).lower(*shapes).compile()


def box_of(window) -> np.ndarray:
    """The window grown by OUTSIDE of its size on every side, as the
    program's (low corner, high corner)."""
    (x0, x1), (y0, y1) = window
    dx, dy = OUTSIDE * (x1 - x0), OUTSIDE * (y1 - y0)
    return np.array([[x0 - dx, y0 - dy], [x1 + dx, y1 + dy]], F32)


def solved(program, start, rates, steps: int, hyper, knobs, window) -> Solved:
    """The flow of a run of `steps` updates at `rates` from `start`, at its
    steps + 1 points."""
    points, code = program(start, rates, np.int32(steps), hyper, knobs, box_of(window))
    points = np.asarray(points, np.float32)[: steps + 1].copy()
    reached = np.isfinite(points).all(axis=1)
    stops_at = None if reached.all() else int(np.argmin(reached))
    if stops_at is not None:
        points[stops_at:] = np.nan
    return Solved(points, stops_at, None if stops_at is None else STOPS.get(int(code), FAILED))


def leaves_at(xy: np.ndarray, flow: np.ndarray, window) -> int | None:
    """The first step where the run is further from its flow than
    DEPARTURE of the window's diagonal (None if never), among the steps
    the flow reached."""
    (x0, x1), (y0, y1) = window
    gap = np.linalg.norm(xy.astype(np.float64) - flow.astype(np.float64), axis=1)
    away = gap > DEPARTURE * math.hypot(x1 - x0, y1 - y0)  # NaN where the flow stopped: never away
    return int(np.argmax(away)) if away.any() else None
