"""Numeric estimates of the global minima of a surface (for formulas, whose
minima nobody wrote down).

Method: a grid of starts descends at once (`jax.vmap` of one jitted
Levenberg-Marquardt loop: damped Newton steps with the exact 2x2 Hessian,
the damping raised after a step that does not lower f and lowered after one
that does, so each start moves like gradient descent far from a minimum and
like Newton near one). Steps are clipped to the window; a step to a nan
value (or along a nan gradient) is simply refused, and starts where f is not
finite are dropped. The end points that are lower than all 8 neighbours
around them are local minima; they are deduplicated, and those within a
tolerance of the lowest are returned.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

Window = tuple[tuple[float, float], tuple[float, float]]

_PROGRAMS: OrderedDict[tuple, Callable] = OrderedDict()  # (fn, iters) -> jitted
_PROGRAMS_MAX = 2  # a program holds its fn and ~10 MB alive; a formula's minima are searched once
_LOCK = threading.Lock()

_NEIGHBOUR_STEP = 1e-3  # neighbour distance, as a fraction of the window diagonal
_SAME_POINT = 0.01  # minima closer than this fraction of the diagonal are one
_VALUE_TOL = 1e-3  # "as low as the best", as a fraction of median(f) - best


def estimate_minima(
    fn: Callable,
    window: Window,
    *,
    grid: int = 24,
    iters: int = 300,
    max_points: int = 8,
) -> list[tuple[float, float, float]]:
    """The global minima of `fn(x, y)` inside `window`, estimated numerically.

    `window` is ((xmin, xmax), (ymin, ymax)); `grid`**2 starts descend for
    `iters` steps. Returns at most `max_points` (x, y, f) triples, lowest f
    first: the distinct local minima found inside the window whose value is
    within a small tolerance of the lowest one found (a tolerance of 1e-3 of
    the spread between the lowest and the median value on the grid; so the
    four equal minima of Himmelblau are all returned, a higher local minimum
    is not). Non-finite values anywhere are tolerated; an empty list means
    no minimum was found (f unbounded below in the window, or flat).
    """
    (x0, x1), (y0, y1) = window
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"window must have xmin < xmax and ymin < ymax, got {window=}")
    lo = np.array([x0, y0], np.float32)
    hi = np.array([x1, y1], np.float32)
    diag = float(np.hypot(x1 - x0, y1 - y0))
    # Cell centres: no start sits exactly on a symmetry axis (a saddle).
    gx = x0 + (np.arange(grid) + 0.5) * (x1 - x0) / grid
    gy = y0 + (np.arange(grid) + 0.5) * (y1 - y0) / grid
    starts = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2).astype(np.float32)

    run = _program(fn, iters)
    points, values, start_values, is_min = (np.asarray(a) for a in run(starts, lo, hi, np.float32(diag)))

    finite_starts = start_values[np.isfinite(start_values)]
    inside = np.all((points >= lo) & (points <= hi), axis=1)
    keep = is_min & inside & np.isfinite(values)
    if not keep.any():
        return []
    points, values = points[keep], values[keep]
    order = np.argsort(values, kind="stable")
    best = float(values[order[0]])
    spread = max(float(np.median(finite_starts)) - best, 0.0)
    tol = _VALUE_TOL * spread + 1e-6 * abs(best) + 1e-12

    found: list[tuple[float, float, float]] = []
    for i in order:
        if values[i] > best + tol or len(found) >= max_points:
            break
        p = points[i]
        if all(np.hypot(p[0] - q[0], p[1] - q[1]) > _SAME_POINT * diag for q in found):
            found.append((float(p[0]), float(p[1]), float(values[i])))
    return found


def _program(fn: Callable, iters: int) -> Callable:
    """The jitted, vmapped descent for fn; compiled once per (fn, iters) and
    input shape, kept in a small LRU."""
    key = (fn, iters)
    with _LOCK:
        if key in _PROGRAMS:
            _PROGRAMS.move_to_end(key)
            return _PROGRAMS[key]
    program = jax.jit(jax.vmap(_descent(fn, iters), in_axes=(0, None, None, None)))
    with _LOCK:
        _PROGRAMS[key] = program
        while len(_PROGRAMS) > _PROGRAMS_MAX:
            _PROGRAMS.popitem(last=False)
    return program


def _descent(fn: Callable, iters: int) -> Callable:
    def f(p):
        return fn(p[0], p[1])

    def gradient_twice(p):
        g = jax.jacfwd(f)(p)
        return g, g

    # Hessian and gradient in one forward-over-forward pass: in 2D that is
    # cheaper to trace and compile than reverse mode plus jax.hessian.
    hessian_and_gradient = jax.jacfwd(gradient_twice, has_aux=True)
    eye = jnp.eye(2, dtype=jnp.float32)

    def one(start, lo, hi, diag):
        """(end point, f there, f at the start, whether it is a local min)."""
        f0 = f(start)

        def step(_, state):
            p, fp, mu = state
            h, g = hessian_and_gradient(p)
            # Damping relative to the local scale: at mu = 1 the step is a
            # gradient step of at most 5% of the diagonal; mu -> 0 is Newton.
            lam = mu * (jnp.linalg.norm(h) + jnp.linalg.norm(g) / (0.05 * diag)) + 1e-30
            d = -_solve2(h + lam * eye, g)
            d = d * jnp.minimum(1.0, 0.25 * diag / jnp.linalg.norm(d))  # trust region
            q = jnp.clip(p + d, lo, hi)
            fq = f(q)
            better = fq < fp  # False for nan/inf steps and for singular solves
            p = jnp.where(better, q, p)
            fp = jnp.where(better, fq, fp)
            mu = jnp.clip(jnp.where(better, mu * 0.3, mu * 4.0), 1e-12, 1e12)
            return p, fp, mu

        p, fp, _ = jax.lax.fori_loop(0, iters, step, (start, f0, jnp.float32(1.0)))

        # A local minimum is strictly lower than 8 neighbours around it: this
        # drops saddles, maxima, flat regions and runs that stalled on a slope
        # or at the window's edge (a neighbour outside is lower).
        angles = jnp.arange(8) * (jnp.pi / 4)
        ring = _NEIGHBOUR_STEP * diag * jnp.stack([jnp.cos(angles), jnp.sin(angles)], -1)
        around = jax.vmap(f)(p + ring)
        is_min = jnp.isfinite(f0) & jnp.all(jnp.isfinite(around)) & jnp.all(around > fp)
        return p, fp, f0, is_min

    return one


def _solve2(a, b):
    """a^-1 b for a 2x2 a, by Cramer's rule (much cheaper to compile than
    jnp.linalg.solve); a singular a gives inf/nan, which the caller refuses."""
    det = a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]
    return jnp.stack([a[1, 1] * b[0] - a[0, 1] * b[1], a[0, 0] * b[1] - a[1, 0] * b[0]]) / det
