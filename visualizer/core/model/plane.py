"""The plane a model scene is drawn on (Li et al., 2018, "Visualizing the
loss landscape of neural nets"): directions, projection and the loss on the
plane are separate steps, as in their code.

- `directions`: centred on run 1's final weights w*, the axes are the first
  two principal components of run 1's weights w_k - w* over its steps, as
  their code fits them (sklearn's PCA: the rows' mean removed first), with
  the share of the variance each explains. Signs: run 1's start lies at
  x >= 0, y >= 0.
- projection: a point's coordinates are (w - w*) . d1 and (w - w*) . d2 (the
  axes are unit vectors), computed inside the training program
  (`training.Record.xy`).
- `loss_grid`: the training loss at w* + x d1 + y d2 over the window, one
  jitted vmap per network and grid size.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import jax
import numpy as np

from visualizer.core import compile_worker, programs
from visualizer.core.model import network as nets

F32 = np.float32
GRID_POINTS = 100  # per side, like the 2D surfaces' grid; fewer for large networks (see `grid_points`)
GRID_BUDGET = 1.5e9  # multiply-adds of one loss grid, at most (about 1 s on one core)
MARGIN = 0.15  # of the paths' extent, added on every side of the window
REACH = 4.0  # other runs stretch the window up to this many times run 1's extent
STILL = 1e-6  # paths spanning less than this (in weight units) do not move
STILL_WINDOW = 1.0  # the window of paths that do not move: +-1 around the start
SHAPE = 2.5  # neither side of the window under 1/SHAPE of the other (a path along a line)
MIN_SIDE = 0.02  # nor under this, so that its ticks read in plain decimals


@dataclass(frozen=True, eq=False)
class Plane:
    """The plane and the training loss on it. `z[j, i]` is the loss at
    centre + xs[i] axes[:, 0] + ys[j] axes[:, 1]."""

    centre: np.ndarray  # (P,) run 1's final weights
    axes: np.ndarray  # (P, 2) orthonormal
    explained_variance: tuple[float, float]
    window: tuple[tuple[float, float], tuple[float, float]]
    xs: np.ndarray
    ys: np.ndarray
    z: np.ndarray

    def project(self, weights) -> np.ndarray:
        """(..., 2): weights (..., P) on the plane, in float32 as the engine computes it."""
        return ((np.asarray(weights, F32) - self.centre) @ self.axes).astype(F32)


def directions(path: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """(centre, axes (P, 2), explained variance ratios) of the weights
    `path` (T, P), whose last row is the centre. Where the path spans fewer
    than two directions (a run that never moved, or moved along a line) the
    missing axes are completed orthonormally and explain 0."""
    path = np.asarray(path, np.float64)
    centre = path[-1]
    d = path - centre
    centred = d - d.mean(0)
    total = float(np.sum(centred * centred))
    t, p = centred.shape
    if p <= t:  # the P x P covariance
        values, vectors = np.linalg.eigh(_gram(centred, "ti,tj->ij"))
        order = np.argsort(values)[::-1][:2]
        values, axes = values[order], vectors[:, order]
    else:  # the T x T Gram matrix: cheaper for a big network over few steps
        values, vectors = np.linalg.eigh(_gram(centred, "ip,jp->ij"))
        order = np.argsort(values)[::-1][:2]
        values, left = values[order], vectors[:, order]
        axes = centred.T @ left / np.sqrt(np.maximum(values, 1e-300))
    # directions the path spans; none where it does not move (only float
    # rounding, under STILL from its end at every point)
    moved = float(np.max(np.linalg.norm(d, axis=1))) > STILL if t else False
    keep = (values > 1e-12 * total) if total > 0 and moved else np.zeros(2, bool)
    axes = _complete(axes[:, keep], p)
    for i in range(2):  # run 1's start at x >= 0, y >= 0
        if d[0] @ axes[:, i] < 0:
            axes[:, i] = -axes[:, i]
    ratios = tuple(float(v / total) if k else 0.0 for v, k in zip(values, keep, strict=True))
    return centre.astype(F32), axes.astype(F32), ratios


def joint_directions(paths: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """(centre, axes (P, 2), explained variance ratios) of every run's
    weights together (`plane=joint`): centred on the mean of all their rows,
    the first two principal components of all of them, so that no run's
    path is favoured; signs as `directions` sets them, from run 1's start.
    Each run's distance from this plane says how much of it the plane
    shows (`training.Record.plane_distance`)."""
    rows = np.concatenate([np.asarray(p, np.float64) for p in paths])
    mean = rows.mean(0)
    # `directions` centres on the last row and removes the rows' mean
    # itself: with the mean as that last row, the axes are the pooled PCA's.
    centre, axes, ratios = directions(np.concatenate([rows, mean[None]]))
    start = np.asarray(paths[0][0], np.float64) - mean
    for i in range(2):
        if start @ axes[:, i] < 0:
            axes[:, i] = -axes[:, i]
    return centre, axes, ratios


def _gram(a: np.ndarray, spec: str) -> np.ndarray:
    """einsum(spec, a, a): by numpy's own loops while it is small, since
    OpenBLAS's threads, on two cores busy with XLA's, turned a 1 ms product
    into 50 to 100 ms one time in two; by BLAS when it is large."""
    small = a.size * min(a.shape) <= 2e7
    return np.einsum(spec, a, a, optimize=not small)


def _complete(axes: np.ndarray, p: int) -> np.ndarray:
    """`axes` (P, k <= 2) orthonormal, completed to two by Gram-Schmidt on
    the coordinate axes."""
    out = [axes[:, i] / np.linalg.norm(axes[:, i]) for i in range(axes.shape[1])]
    for i in range(p):
        if len(out) == 2:
            break
        e = np.zeros(p)
        e[i] = 1.0
        for a in out:
            e -= (e @ a) * a
        if np.linalg.norm(e) > 1e-6:
            out.append(e / np.linalg.norm(e))
    while len(out) < 2:  # a network of one weight has no second direction
        out.append(np.zeros(p))
    return np.stack(out, 1)


def window(paths: list[np.ndarray]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The window around run 1's path (paths[0]) and the others', each side
    stretched by the others at most REACH times run 1's extent from the
    centre, then padded by MARGIN. Paths that do not move (all within STILL
    of the centre) get +-STILL_WINDOW around it; else neither side is
    narrower than MIN_SIDE nor than 1/SHAPE of the other (widened about its
    middle), so that a path along a line keeps a readable square-ish plane."""
    first = np.asarray(paths[0], np.float64).reshape(-1, 2)
    reach = REACH * np.maximum(np.max(np.abs(first), axis=0), 1e-3)
    points = np.concatenate([first, *(np.clip(np.asarray(p, np.float64).reshape(-1, 2), -reach, reach)
                                      for p in paths[1:])])
    points = np.concatenate([points[np.isfinite(points).all(1)], np.zeros((1, 2))])
    low, high = points.min(0), points.max(0)
    if float(np.max(high - low)) <= STILL:
        return ((-STILL_WINDOW, STILL_WINDOW), (-STILL_WINDOW, STILL_WINDOW))
    pad = MARGIN * (high - low)
    low, high = low - pad, high + pad
    side = np.maximum(np.maximum(high - low, np.max(high - low) / SHAPE), MIN_SIDE)
    middle = (low + high) / 2
    low, high = np.minimum(low, middle - side / 2), np.maximum(high, middle + side / 2)
    return tuple((float(a), float(b)) for a, b in zip(low, high, strict=True))


def grid_points(network: nets.Network, train_points: int) -> int:
    """The grid's side: GRID_POINTS, fewer where a grid that fine would cost
    more than GRID_BUDGET multiply-adds (a 2-64-64-1 network: 60)."""
    per_point = train_points * network.size
    side = int(np.sqrt(GRID_BUDGET / per_point))
    return int(min(GRID_POINTS, max(20, side // 10 * 10)))


def loss_grid(network: nets.Network, centre, axes, plane_window, train_x, train_y, labelled):
    """(xs, ys, z): the training loss on the plane over `plane_window`."""
    points = grid_points(network, len(train_y))
    (x0, x1), (y0, y1) = plane_window
    xs = np.linspace(x0, x1, points, dtype=F32)
    ys = np.linspace(y0, y1, points, dtype=F32)
    key = GridKey(network, len(train_y), points)
    (program,) = programs.PROGRAMS.get_many([key], lambda missing: [
        compile_worker.WORKER.call(_compile_grid, k) for k in missing])
    z = np.asarray(program(centre, axes, xs, ys, train_x, train_y, labelled), F32)
    return xs, ys, np.where(np.isfinite(z), z, np.nan)


class GridKey(NamedTuple):
    """The loss grid's compiled program in the engine's cache."""

    network: nets.Network
    train_points: int
    points: int


def _compile_grid(key: GridKey):
    """The loss at every grid point, `nets.loss` of centre + a d1 + b d2
    computed layer by layer with the weights of each layer combined the same
    way, except the first layer's pre-activations: linear in the weights,
    they are x W_c + a x W_1 + b x W_2, three products for the whole grid
    instead of one per point (the grid then costs little more than its
    activations: 1.7 times faster for the default network)."""
    network, train_points, points = key
    act = nets.ACTIVATION_FUNCTIONS[network.act]

    def grid(centre, axes, xs, ys, x, y, labelled):
        layers = list(zip(*(network.unflatten(v) for v in (centre, axes[:, 0], axes[:, 1])), strict=True))
        (w_c, b_c), (w_1, b_1), (w_2, b_2) = layers[0]
        first = (x @ w_c + b_c, x @ w_1 + b_1, x @ w_2 + b_2)

        def at(a, b):
            def combine(c, d1, d2):
                return c + a * d1 + b * d2

            h = act(combine(*first))
            for (w_c, b_c), (w_1, b_1), (w_2, b_2) in layers[1:-1]:
                h = act(h @ combine(w_c, w_1, w_2) + combine(b_c, b_1, b_2))
            (w_c, b_c), (w_1, b_1), (w_2, b_2) = layers[-1]
            logits = (h @ combine(w_c, w_1, w_2) + combine(b_c, b_1, b_2))[:, 0]
            return nets.cross_entropy(logits, y, labelled)

        return jax.vmap(lambda b: jax.vmap(lambda a: at(a, b))(xs))(ys)

    f32 = functools.partial(jax.ShapeDtypeStruct, dtype=F32)
    p, n = network.size, train_points
    return jax.jit(grid).lower(f32((p,)), f32((p, 2)), f32((points,)), f32((points,)), f32((n, 2)), f32((n,)),
                               f32((n,))).compile()
