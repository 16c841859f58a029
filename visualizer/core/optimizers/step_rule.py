"""Inside a step: an optimizer's update rule as equations the player fills
with one update's numbers, and the arrows and box it draws there.

A `StepRule` is a list of `Line`s. A line is the rule's own symbols
(`tex`, LaTeX) and, where it computes something, the same arithmetic with
each symbol replaced by a placeholder `@name` (`num`) and the value it
gives (`result`); the player shows ``tex = num = result`` with the numbers
of the update shown. `rhs` is that arithmetic in NumPy: tests/test_step_rules.py
evaluates it on exactly the numbers the browser gets (float32) and checks
that every line holds, down to the last one, which must land on the engine's
next point. So what the panel shows is what optax did, step by step.

Numbers (`@name`) come from:

- the player's own arrays, for update k (t = k + 1 in the rules): `x`
  (xy[k]), `xn` (xy[k+1]), `lr` (lr[k]), `f`, `fn` (loss[k], loss[k+1]),
  `graw` (the raw gradient at x, the results' `grad`), `t`, `gnorm` (|g|);
- the run's optimizer state after the update, by the names of
  `Optimizer.state` (`m`, `v`, `velocity`, ...);
- `values` computed here per update (`mhat`, `rate`, ...) or constant
  (hyperparameters such as `b1`, and `c1` = 1 - b1);
- `name_prev`: `name` at the update before, `init[name]` at the first;
- `g`, the gradient the optimizer saw: the raw one, or, with noise or
  clipping on, the one after them (then sent as a value of its own).

The drawings, in the plot's units (the player scales all of them by one
factor, noted on the plot):

- the negative gradient step, -lr * graw, and the update, xn - x, for all;
- `moment`: the velocity or first moment, `-product(factors)`, scaled like
  the gradient step it stands for (Adam: -lr * m-hat; momentum: -lr * mu *
  v, the part of the update carried over, which with -lr * g adds up to
  the update: `adds_to_gradient`);
- `box`: the per-coordinate step size, half-widths `product(factors)`: for
  a method that divides each coordinate by its own scale, that coordinate's
  learning rate times |g|, how far a gradient of today's size would move
  the point along that axis (plain gradient descent would draw a square
  whose half-width is the gradient step's length); for sign methods the
  learning rate itself (each coordinate moves exactly that far); for Rprop
  the step sizes it keeps.

`visualizer/core/step_rules.py` builds a run's numbers from its results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Line:
    tex: str  # the rule's symbols, with @names allowed (a line that only shows numbers)
    num: str | None = None  # the arithmetic with @name placeholders
    result: str | None = None  # the name of what it gives
    rhs: Callable | None = None  # q -> array: num's arithmetic in NumPy
    when: str | None = None  # shown only at updates where this value is 1


@dataclass(frozen=True)
class Drawing:
    label: str  # plain text (the player's key)
    factors: tuple[str, ...]  # the product of these values (scalars broadcast)
    adds_to_gradient: bool = False  # this arrow plus -lr * g is the update


@dataclass(frozen=True)
class StepRule:
    lines: tuple[Line, ...]
    values: Callable  # (Context) -> {name: array (n,) | (n, 2) | (n, 4) | float}
    init: Callable = lambda c: {}  # (Context) -> {name: value before the first update}
    moment: Drawing | None = None
    box: Drawing | None = None
    note: str = ""


@dataclass
class Context:
    """One run's updates, float64: update k moves x[k] to xn[k]."""

    g: np.ndarray  # (n, 2) the gradient the optimizer saw
    graw: np.ndarray  # (n, 2)
    lr: np.ndarray  # (n,)
    x: np.ndarray  # (n, 2)
    xn: np.ndarray  # (n, 2)
    f: np.ndarray  # (n,)
    fn: np.ndarray  # (n,)
    state: dict  # name -> (n, 2)
    h: dict  # hyperparameters
    lr_next: np.ndarray  # (n,) the schedule's rate at the next update
    extra: dict = field(default_factory=dict)  # f_min, hessian (when a rule needs them)

    @property
    def n(self) -> int:
        return len(self.x)

    @property
    def t(self) -> np.ndarray:
        return np.arange(1, self.n + 1, dtype=np.float64)[:, None]

    def prev(self, name: str, first) -> np.ndarray:
        a = self.state[name]
        return np.concatenate([np.broadcast_to(np.asarray(first, np.float64), (1, 2)), a[:-1]])


def col(a) -> np.ndarray:
    """One number per update as a column, (n, 1)."""
    return np.asarray(a, np.float64).reshape(-1, 1)


def betas(c: Context, *names: str) -> dict:
    """Decay rates `names` (b1, b2, ...) with their complements `c1` = 1 - b1
    and bias corrections `bc1` = 1 - b1^t, numbered in order."""
    out = {}
    for i, name in enumerate(names, start=1):
        b = float(c.h[name])
        out[name] = b
        out[f"c{i}"] = 1.0 - b
        out[f"bc{i}"] = col(1.0 - b ** c.t)
    return out


# A method that divides each coordinate by its own scale: that coordinate's rate times |g|.
BOX = Drawing("per-coordinate step size", ("rate", "gnorm"))
