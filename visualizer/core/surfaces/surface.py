"""What a loss surface is: a JAX function of (x, y) and the facts a reader
needs about it, kept together so they cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from visualizer.core.knobs import Choice, Knob

Point = tuple[float, float]
Window = tuple[tuple[float, float], tuple[float, float]]

# What a surface is, which decides how everything treats it:
BUILTIN = "builtin"  # a function of (x, y) written here, with its minima known
FORMULA = "formula"  # the function of the scene's `f`: compiled from a user's text, its minima estimated
NETWORK = "network"  # a network's loss, seen on the plane of its runs: not a function of (x, y)
KINDS = (BUILTIN, FORMULA, NETWORK)


@dataclass(frozen=True)
class Surface:
    """A 2D test problem.

    `fn(x, y, **params)` is pure jax.numpy and differentiable everywhere a
    user can start, minima included; `params` are its knobs (the quadratic's
    `cond` and `angle`), which the sidebar shows; the numeric ones
    (`knobs`) are arguments of `fn` and of the compiled programs, a `Choice`
    (a model surface's data set) is not. `minima` lists every global minimum, where `fn`
    equals `min_value`; `saddles` the saddle points worth marking. `start`,
    `steps` and `runs` (scene-language run specs) make the default scene that
    tells this surface's story; `note` says what it teaches. `latex` is the
    right-hand side of f(x, y) = ...; a long one has LaTeX line breaks where
    it may break (display it inside an `aligned` environment).

    A surface of kind FORMULA (`custom`) takes its function from the
    scene's `f`: its minima are unknown here and estimated numerically.

    A surface of kind NETWORK (`mlp`) is a network's loss: not a function
    of (x, y), so nothing may call its `fn`, sample it on a grid or look for
    its minima. `simulate` trains it (`visualizer.core.model`), and its result
    carries the plane's window and the loss on it (`result.model.plane`).
    """

    id: str
    name: str
    fn: Callable
    latex: str
    window: Window
    minima: tuple[Point, ...]
    min_value: float | None
    start: Point
    steps: int
    runs: tuple[str, ...]
    note: str
    saddles: tuple[Point, ...] = ()
    params: tuple[Knob | Choice, ...] = ()
    # Colour and contour levels on a log scale: for surfaces whose values
    # span decades (Rosenbrock's valley is invisible on a linear scale).
    log_scale: bool = True
    kind: str = BUILTIN  # one of KINDS
    # Parameters the canonical form writes only where they differ from
    # their default: those added after links to this surface were shared,
    # so that every earlier link keeps its canonical form.
    quiet: tuple[str, ...] = ()
    defaults: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"surface {self.id}: {self.kind=} is not one of {KINDS}")
        object.__setattr__(self, "defaults", {p.name: p.default for p in self.params})

    def param(self, name: str) -> Knob | Choice:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def knobs(self) -> tuple[Knob, ...]:
        """The numeric parameters: arguments of `fn` and of compiled programs."""
        return tuple(p for p in self.params if isinstance(p, Knob))
