"""The facts a scene's surface offers a reader: its minima (listed, or
estimated for a formula), its saddles, and the lowest value, which the page
marks, the summary measures against, Polyak's step size and the explorations
use as f*.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from visualizer.core.surfaces import FORMULA, NETWORK, Point


@dataclass(frozen=True)
class Landmarks:
    minima: tuple[Point, ...]
    saddles: tuple[Point, ...]
    min_value: float | None  # f at the minima; None where none is known
    estimated: bool  # minima found numerically (a formula surface)
    grid_min: float  # the lowest value on the plot window's grid

    @property
    def lowest(self) -> float:
        """f*: the minima's value where known, else the lowest value seen on
        the window's grid."""
        return self.grid_min if self.min_value is None else self.min_value


def of(scene) -> Landmarks:
    """The landmarks of `scene`'s surface (estimates are cached per formula
    and window)."""
    surface = scene.resolved_surface()
    if surface.kind == NETWORK:  # a network's loss: no listed minima; f* is the cross-entropy's infimum, 0
        return Landmarks((), (), None, False, 0.0)
    window = tuple(map(tuple, surface.window))
    params = tuple(sorted(scene.surface_values().items()))
    if surface.kind == FORMULA:
        return _estimated(scene.surface, scene.formula, window)
    return _listed(scene.surface, window, params)


@functools.lru_cache(maxsize=256)
def _listed(surface_id: str, window, params) -> Landmarks:
    from visualizer.core import surfaces

    surface = surfaces.SURFACES[surface_id]
    grid_min = surface.min_value if surface.min_value is not None else _grid_min(surface, dict(params), window)
    return Landmarks(surface.minima, surface.saddles, surface.min_value, False, grid_min)


@functools.lru_cache(maxsize=64)
def _estimated(surface_id: str, formula: str, window) -> Landmarks:
    # In the compile worker: the search compiles a program per formula.
    from visualizer.core.compile_worker import WORKER

    return WORKER.call(_estimate, surface_id, formula, window)


def _estimate(surface_id: str, formula: str, window) -> Landmarks:
    from visualizer.core.scene import resolve_surface
    from visualizer.core.surfaces.minima import estimate_minima

    surface = resolve_surface(surface_id, formula, window)
    found = estimate_minima(surface.fn, surface.window)
    min_value = min((f for _, _, f in found), default=None)
    return Landmarks(tuple((x, y) for x, y, _ in found), (), min_value, True, _grid_min(surface, {}, window))


def _grid_min(surface, params: dict, window) -> float:
    from visualizer.core import grid

    z = grid.sample(surface, params, window)[2]
    return float(np.nanmin(z)) if np.isfinite(z).any() else 0.0
