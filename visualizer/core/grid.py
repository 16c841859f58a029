"""The surface sampled on a grid over its window, for contours and 3D.

One jitted, vmapped evaluation per surface function (its parameters are
arguments, so moving the quadratic's `cond` compiles nothing). Values that
are not finite (a formula's log of a negative) stay NaN: the plot masks them.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

GRID_POINTS = 100


@functools.lru_cache(maxsize=32)  # a compiled evaluator is ~1 MB; formulas come and go
def _evaluator(fn):
    def evaluate(xs, ys, params):
        grid_x, grid_y = jnp.meshgrid(xs, ys)
        return jax.vmap(jax.vmap(lambda x, y: fn(x, y, **params)))(grid_x, grid_y)

    return jax.jit(evaluate)


def sample(surface, params: dict, window=None, points: int = GRID_POINTS):
    """(xs, ys, z) with z[j, i] = f(xs[i], ys[j]); non-finite values as NaN."""
    (x0, x1), (y0, y1) = window or surface.window
    xs = np.linspace(x0, x1, points, dtype=np.float32)
    ys = np.linspace(y0, y1, points, dtype=np.float32)
    values = {p.name: np.float32(params.get(p.name, p.default)) for p in surface.knobs}
    z = np.asarray(_evaluator(surface.fn)(xs, ys, values), dtype=np.float32)
    z = np.where(np.isfinite(z), z, np.nan)
    return xs, ys, z
