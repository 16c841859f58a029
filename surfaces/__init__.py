"""The loss surfaces: a registry of built-in 2D problems, and formulas.

`SURFACES` maps each id to its `Surface`; `custom_surface` wraps a compiled
formula (see `surfaces.formula`) in the same shape, so the engine, the page
and the CLI treat both alike.
"""

from __future__ import annotations

from surfaces.catalog import SURFACES as _CATALOG
from surfaces.surface import Param, Point, Surface, Window


def _registry(entries: tuple[Surface, ...]) -> dict[str, Surface]:
    registry: dict[str, Surface] = {}
    for entry in entries:
        if entry.id in registry:
            raise ValueError(f"duplicate surface id {entry.id!r}")
        registry[entry.id] = entry
    return registry


SURFACES: dict[str, Surface] = _registry(_CATALOG)

CUSTOM_ID = "custom"
CUSTOM_DEFAULT_FORMULA = "x^2 + 3*y^2 + sin(3*x)*sin(3*y)"
CUSTOM_DEFAULT_WINDOW: Window = ((-3.0, 3.0), (-3.0, 3.0))
CUSTOM_RUNS = (
    "sgd:lr=0.05,label=SGD",
    "momentum:lr=0.02,momentum=0.9,label=Momentum",
    "adam:lr=0.1,label=Adam",
)


def custom_surface(formula, window: Window = CUSTOM_DEFAULT_WINDOW) -> Surface:
    """A `Surface` for a compiled `Formula`. Its minima are unknown here (the
    page estimates them numerically and marks them as estimates)."""
    (x0, x1), (y0, y1) = window
    return Surface(
        id=CUSTOM_ID,
        name="Your formula",
        fn=formula.fn,  # the same object for the same formula: caches key on it
        latex=formula.latex,
        window=window,
        minima=(),
        min_value=None,
        start=(round(x0 + 0.8 * (x1 - x0), 6), round(y0 + 0.8 * (y1 - y0), 6)),
        steps=200,
        runs=CUSTOM_RUNS,
        log_scale=False,
        note="A surface you typed. Its minima are estimated numerically.",
    )


__all__ = [
    "CUSTOM_DEFAULT_FORMULA",
    "CUSTOM_DEFAULT_WINDOW",
    "CUSTOM_ID",
    "Param",
    "Point",
    "SURFACES",
    "Surface",
    "Window",
    "custom_surface",
]
