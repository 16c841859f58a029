"""What an optimizer is: one `Optimizer` holds everything about it.

An entry carries the optax call it stands for, its hyperparameters (knobs
with defaults and ranges), its update rule in LaTeX, a sentence on what it
fixed in the ones before it, the same rule with placeholders for one
update's numbers (the "Inside a step" panel, `step_rule.py`), and for the
tests its textbook update and its test vectors (`checks.py`). `build` may
be called inside `jax.jit` with traced hyperparameters: nothing here
branches on a value, so changing one never compiles a new program.

Also here: the knobs several families share (learning rate, decay rates,
epsilon, weight decay) and the small helpers their entries are written with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import NamedTuple

import optax

from visualizer.core.knobs import Knob
from visualizer.core.optimizers.checks import Checks
from visualizer.core.optimizers.step_rule import StepRule

LR = Knob("lr", 0.01, 0.0, 1000.0, r"\eta", "learning rate", title="Learning rate η", log=True, low_open=True,
          sweep=(1e-5, 10.0))
# Stops of a decay rate's slider: read by the distance from 1.
DECAY_STOPS = (0.0, 0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.999, 0.9999, 0.99999)

# The sidebar's names of the rules' symbols.
_GREEK = {r"\beta_1": "β₁", r"\beta_2": "β₂", r"\beta_3": "β₃", r"\rho": "ρ", r"\mu": "μ"}


def beta(name, default, symbol, help, low_open=False, title=""):
    """A decay rate in [0, 0.99999], its slider read by the distance from 1."""
    return Knob(name, default, 0.0, 0.99999, symbol, help, title=title or f"{_GREEK[symbol]} ({name})",
                low_open=low_open, stops=DECAY_STOPS)


def eps(default, help="added to the denominator for stability"):
    return Knob("eps", default, 1e-16, 1.0, r"\epsilon", help, title="ε (eps)", log=True, sweep=(1e-12, 1.0))


def weight_decay(default):
    return Knob("weight_decay", default, 0.0, 10.0, r"\lambda", "decoupled pull towards the origin",
                title="Weight decay λ")


B1 = beta("b1", 0.9, r"\beta_1", "decay of the gradient's running mean")
B2 = beta("b2", 0.999, r"\beta_2", "decay of the squared gradient's running mean")


@dataclass(frozen=True)
class Stability:
    """Where an optimizer's steps stop being stable: on a quadratic whose
    Hessian's top eigenvalue (its sharpness) is S, the iteration converges
    while S < `limit(lr, h)` and grows beyond it (2/lr for gradient
    descent). Written with arithmetic alone, so `lr` and `h`'s values may
    be floats, NumPy arrays or JAX values.

    `preconditioner(v, t, h)`: for a method whose update is lr P^-1 m with
    a diagonal P (the Adam family), P from its second moment `v` after
    update `t` (1-based, as optax counts); the limit is then one of the
    preconditioned sharpness, the top eigenvalue of P^-1 H (Cohen et al.,
    "Adaptive gradient methods at the edge of stability", 2022). None: the
    limit is one of the sharpness itself."""

    limit: Callable  # (lr, h) -> the largest stable (preconditioned) sharpness
    text: str  # the limit as the charts name it: "2/lr"
    preconditioner: Callable | None = None  # (v, t, h) -> diag P


@dataclass(frozen=True)
class Flow:
    """An optimizer's continuous-time limit as lr -> 0, in time t = sum of
    the learning rates so far (k * lr at a constant rate): the state is the
    point x and its velocity u, and `field(x, u, g, lr, h)` gives (dx/dt,
    du/dt) where g is the gradient at x. Gradient descent: dx/dt = -g.
    Heavy-ball momentum m: lr x'' + (1 - m) x' = -g, the one equation whose
    steps of length lr are momentum's own."""

    name: str  # "gradient flow"
    field: Callable  # (x, u, g, lr, h) -> (dx/dt, du/dt)


class Landscape(NamedTuple):
    """What an optimizer may ask of the surface beyond the gradient:
    `hessian(x)` (Newton) and `f_min`, the lowest value of the surface's
    minima, or the estimate on a formula (the Polyak step size)."""

    hessian: Callable
    f_min: object


@dataclass(frozen=True)
class Optimizer:
    """`build(lr, h, landscape)` returns the optax transformation: `lr` is a
    schedule (count -> learning rate), `h` maps hyperparameter names to
    values, `landscape` is a `Landscape`. Its `update` is called with the
    extra arguments `value`, `grad` and `value_fn` (optax's convention for
    line searches and Polyak steps); transformations that take none ignore
    them inside `optax.chain`.

    `static` names hyperparameters that fix an array's shape (L-BFGS's
    memory): they are compile-time constants, so a new value compiles a new
    program. `alone`: compile it in a program of its own, never beside
    others (its idle runs would cost more than its compile saves).

    `step_rule`: the rule as the "Inside a step" panel fills it with one
    update's numbers. `textbook`: the update written out by hand in NumPy,
    `(checks.Update) -> the next point`, the reference the tests hold the
    engine to (None where the update is optax's own search: L-BFGS);
    `checks`: the hyperparameters and learning rates the tests run it with."""

    id: str
    name: str
    optax: str  # the optax call this id stands for, as the docs and the CLI show it
    build: Callable
    hypers: tuple[Knob, ...]
    lr: float  # default learning rate
    rule: str  # LaTeX update rule; g_t is the gradient after noise and clipping
    fixes: str  # what it changed in the methods before it
    needs_f_min: bool = False  # reads landscape.f_min (on a formula that costs a search for the minima)
    static: tuple[str, ...] = ()
    alone: bool = False
    # What of optax's state the results carry after each update, by the
    # name they carry it under: (name, read(optimizer_state, new_params)).
    state: tuple[tuple[str, Callable], ...] = ()
    # Its stability limit on a quadratic (the sharpness panel's dashed
    # line) and its continuous-time limit (`flow=1`), where known.
    stability: Stability | None = None
    flow: Flow | None = None
    _: KW_ONLY
    step_rule: StepRule
    textbook: Callable | None
    checks: Checks

    def hyper(self, name: str) -> Knob:
        for h in self.hypers:
            if h.name == name:
                return h
        raise KeyError(name)

    @property
    def defaults(self) -> dict[str, float]:
        return {h.name: h.default for h in self.hypers}


def state_fields(**names: str) -> tuple[tuple[str, Callable], ...]:
    """`state=` of an entry: our name -> the name of optax's field, read
    with `optax.tree_utils.tree_get`."""
    return tuple((ours, _field(theirs)) for ours, theirs in names.items())


def _field(name: str) -> Callable:
    return lambda state, params: optax.tree_utils.tree_get(state, name)


def latex_lines(*lines: str) -> str:
    """A rule of several lines (the page lays them out left-aligned)."""
    return r"\begin{gathered}" + r"\\".join(lines) + r"\end{gathered}"
