"""The loss surfaces: one registry of 2D problems, the typed formula included.

`SURFACES` maps each id to its `Surface`, `custom` (a formula the user types)
among them; `custom_surface` gives the `Surface` of one compiled formula
(see `visualizer.core.surfaces.formula`), so the engine, the page and the CLI treat every
surface alike. `mlp` (kind `network`) is the one that is not a function of
(x, y): a network trained by `visualizer.core.model` (docs/model.md).
"""

from __future__ import annotations

from dataclasses import replace

from visualizer.core.knobs import registry
from visualizer.core.model.keys import PARAMS as MODEL_PARAMS
from visualizer.core.model.keys import QUIET as MODEL_QUIET
from visualizer.core.surfaces.catalog import SURFACES as _CATALOG
from visualizer.core.surfaces.formula import compile_formula
from visualizer.core.surfaces.surface import BUILTIN, FORMULA, KINDS, NETWORK, Point, Surface, Window

CUSTOM_ID = "custom"
CUSTOM_DEFAULT_FORMULA = "x^2 + 3*y^2 + sin(3*x)*sin(3*y)"
CUSTOM_DEFAULT_WINDOW: Window = ((-3.0, 3.0), (-3.0, 3.0))


def _default_start(window: Window) -> Point:
    (x0, x1), (y0, y1) = window
    return (round(x0 + 0.8 * (x1 - x0), 6), round(y0 + 0.8 * (y1 - y0), 6))


_DEFAULT_FORMULA = compile_formula(CUSTOM_DEFAULT_FORMULA)

CUSTOM = Surface(
    id=CUSTOM_ID,
    name="Your formula",
    fn=_DEFAULT_FORMULA.fn,
    latex=_DEFAULT_FORMULA.latex,
    window=CUSTOM_DEFAULT_WINDOW,
    minima=(),
    min_value=None,
    start=_default_start(CUSTOM_DEFAULT_WINDOW),
    steps=200,
    runs=(
        "sgd:lr=0.05,label=SGD",
        "momentum:lr=0.02,momentum=0.9,label=Momentum",
        "adam:lr=0.1,label=Adam",
    ),
    log_scale=False,
    kind=FORMULA,
    note="A surface you typed. Its minima are estimated numerically.",
)

MODEL_ID = "mlp"


def _not_a_function_of_xy(x, y, **params):
    raise TypeError("surface mlp: the loss is a function of the network's weights, not of (x, y); "
                    "simulate() trains the network (visualizer.core.model) and its result carries the loss on the plane")


MLP = Surface(
    id=MODEL_ID,
    name="Neural network (MLP)",
    fn=_not_a_function_of_xy,
    latex=r"L(\theta^\ast + x\,d_1 + y\,d_2) \\ "
    r"\text{with } L(\theta) = \text{mean cross-entropy of } \sigma(\mathrm{net}_\theta(a_i)) "
    r"\text{ on the labelled points}",
    window=((-1.0, 1.0), (-1.0, 1.0)),  # the plane's window comes with each result
    minima=(),
    min_value=None,
    start=(0.0, 0.0),  # not used: every run starts from the network's initial weights
    steps=500,
    runs=(
        "sgd:lr=0.5,label=SGD",
        "momentum:lr=0.2,momentum=0.9,label=Momentum",
        "adam:lr=0.05,label=Adam",
    ),
    params=MODEL_PARAMS,
    quiet=MODEL_QUIET,
    log_scale=True,
    kind=NETWORK,
    note="A real network: a small MLP trained on a 2D data set, every run from the same initial weights. "
    "The paths are the weights projected on the plane of run 1's two main directions of travel, centred "
    "on where run 1 ends; the contours are the training loss on that plane.",
)

SURFACES: dict[str, Surface] = registry((*_CATALOG, CUSTOM, MLP), "surface")


def custom_surface(formula, window: Window = CUSTOM_DEFAULT_WINDOW) -> Surface:
    """The `custom` surface of a compiled `Formula` in `window`."""
    return replace(CUSTOM, fn=formula.fn,  # the same object for the same formula: caches key on it
                   latex=formula.latex, window=window, start=_default_start(window))


__all__ = [
    "BUILTIN",
    "FORMULA",
    "KINDS",
    "NETWORK",
    "CUSTOM_DEFAULT_FORMULA",
    "CUSTOM_DEFAULT_WINDOW",
    "CUSTOM_ID",
    "MODEL_ID",
    "Point",
    "SURFACES",
    "Surface",
    "Window",
    "custom_surface",
]
