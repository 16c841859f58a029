"""What the tests hold an optimizer to, kept with the optimizer itself.

Each entry carries two references the tests read and the app never does:

- its textbook update (`Optimizer.textbook`): the rule on screen written out
  by hand in plain NumPy float64, from an `Update`. It is the independent
  reference the engine (optax, float32) is checked against, so it never
  calls optax or JAX: written apart from `build`, it catches a hyperparameter
  passed to the wrong argument, a misplaced epsilon or bias correction.
- its test vectors (`Checks`): hyperparameters away from their defaults and
  learning rates that keep the test runs finite and moving.

tests/test_rules.py steps the textbook updates; tests/test_step_rules.py,
tests/test_engine.py and tests/test_compiles.py run the test vectors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# The surfaces the textbook and the "Inside a step" lines are checked on, in
# the order of `Checks.lr`: an ill-conditioned rotated quadratic (a wrong
# per-coordinate scale shows) and Himmelblau from a start where it curves.
CHECK_SURFACES = (
    ("quadratic", "surface=quadratic:cond=25,angle=30"),
    ("himmelblau", "surface=himmelblau&start=-0.5,-1"),
)

# `Checks.loop_lr` for an optimizer whose step is the learning rate times the
# gradient: each test surface's own stable plain-gradient-descent rate.
SURFACE_RATE = "surface"


@dataclass(frozen=True)
class Checks:
    """How the tests run an optimizer.

    `values`: every hyperparameter, away from its default where that shows
    more (`run=` syntax: "b1=0.8,b2=0.95,eps=0.05"). `lr`: the learning rate
    on each of `CHECK_SURFACES`, where 40 steps stay finite and keep moving.
    `loop_lr`: the rate of the runs against optax's own training loop on
    every test surface: None for the default, `SURFACE_RATE`, or a number.
    `optax_call(lr, h, hessian, f_min)`: the transformation the entry's
    `optax` names, with a constant rate, written apart from `build` (the
    engine's trajectory must be its plain loop)."""

    values: str
    lr: tuple[float, float]
    optax_call: Callable
    loop_lr: float | str | None = None

    def __post_init__(self):
        if len(self.lr) != len(CHECK_SURFACES):
            raise ValueError(f"lr={self.lr!r}: one rate for each of {[name for name, _ in CHECK_SURFACES]}")
        if not (self.loop_lr is None or self.loop_lr == SURFACE_RATE or isinstance(self.loop_lr, float | int)):
            raise ValueError(f"loop_lr={self.loop_lr!r}: None, SURFACE_RATE or a number")

    @property
    def hyper(self) -> dict[str, float]:
        """`values` as numbers by name."""
        pairs = (item.split("=") for item in self.values.split(",") if item)
        return {name: float(value) for name, value in pairs}

    def spec(self, surface: str) -> str:
        """The run's keys on one of `CHECK_SURFACES`: "lr=0.1,b1=0.8,..."."""
        rate = self.lr[[name for name, _ in CHECK_SURFACES].index(surface)]
        return ",".join(filter(None, [f"lr={rate}", self.values]))


@dataclass
class Update:
    """What a textbook update reads at update t, in float64. It returns the
    next point and keeps what it carries to the next update in `memory`
    (empty at t = 1)."""

    t: int  # 1 at the first update
    x: np.ndarray  # the point, (2,)
    g: np.ndarray  # the gradient there
    lr: float  # this update's learning rate
    lr_next: float  # the next update's (schedule-free's averaging weights read it)
    start: np.ndarray  # x at t = 1
    h: dict  # the hyperparameters
    memory: dict
    f: Callable  # the function (Polyak's step reads f(x))
    f_min: float  # its lowest value
    hessian: Callable | None  # x -> the 2 x 2 Hessian (Newton)
