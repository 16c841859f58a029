"""Inside a step: each optimizer's update rule as equations the player
fills with one update's numbers, and the arrows and box it draws there.

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
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from visualizer.core.optimizers import OPTIMIZERS

# Positions: the player shows them with enough digits to see the step.
POINT_NAMES = ("x", "xn", "z", "z_prev", "average", "average_prev")


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


def _col(a) -> np.ndarray:
    return np.asarray(a, np.float64).reshape(-1, 1)


def _sign(a):
    return np.sign(a)


# ------------------------------------------------------------ shared lines

def _moment(b="b1", c="c1", name="m", sym="m", of="g", of_sym="g_t") -> Line:
    return Line(rf"{sym}_t = \beta_1 {sym}_{{t-1}} + (1-\beta_1)\, {of_sym}" if b == "b1" else
                rf"{sym}_t = \beta_3 {sym}_{{t-1}} + (1-\beta_3)\, {of_sym}",
                rf"@{b}\, @{name}_prev + @{c}\, @{of}", name,
                lambda q: getattr(q, b) * getattr(q, name + "_prev") + getattr(q, c) * getattr(q, of))


def _second(name="v", sym="v") -> Line:
    return Line(rf"{sym}_t = \beta_2 {sym}_{{t-1}} + (1-\beta_2)\, g_t^2", rf"@b2\, @{name}_prev + @c2\, @g2", name,
                lambda q: q.b2 * getattr(q, name + "_prev") + q.c2 * q.g2)


_MHAT = Line(r"\hat m_t = \frac{m_t}{1-\beta_1^t}", r"\frac{@m}{@bc1}", "mhat", lambda q: q.m / q.bc1)
_VHAT = Line(r"\hat v_t = \frac{v_t}{1-\beta_2^t}", r"\frac{@v}{@bc2}", "vhat", lambda q: q.v / q.bc2)
_ADAM_RATE = Line(r"\frac{\eta_t}{\sqrt{\hat v_t}+\epsilon}", r"\frac{@lr}{\sqrt{@vhat} + @eps}", "rate",
                  lambda q: q.lr / (np.sqrt(q.vhat) + q.eps))
_ADAM_X = Line(r"x_{t+1} = x_t - \frac{\eta_t}{\sqrt{\hat v_t}+\epsilon} \odot \hat m_t", r"@x - @rate \odot @mhat",
               "xn", lambda q: q.x - q.rate * q.mhat)
_BOX = Drawing("per-coordinate step size", ("rate", "gnorm"))
_MHAT_ARROW = Drawing("\u2212\u03b7 m\u0302 (first moment)", ("lr", "mhat"))


def _betas(c: Context, *names: str) -> dict:
    out = {}
    for i, name in enumerate(names, start=1):
        b = float(c.h[name])
        out[name] = b
        out[f"c{i}"] = 1.0 - b
        out[f"bc{i}"] = _col(1.0 - b ** c.t)
    return out


def _adam_values(c: Context, vname="v") -> dict:
    out = _betas(c, "b1", "b2") | {"eps": float(c.h["eps"]), "g2": c.g**2}
    m, v = c.state["m"], c.state[vname]
    out["mhat"] = m / out["bc1"]
    out["vhat"] = v / out["bc2"]
    out["rate"] = _col(c.lr) / (np.sqrt(out["vhat"]) + out["eps"])
    return out


_ZERO_MV = lambda c: {"m": 0.0, "v": 0.0}  # noqa: E731


# ------------------------------------------------------------ the rules

def _sgd() -> StepRule:
    return StepRule((Line(r"x_{t+1} = x_t - \eta_t\, g_t", r"@x - @lr\, @g", "xn", lambda q: q.x - q.lr * q.g),),
                    lambda c: {})


def _momentum(nesterov: bool) -> StepRule:
    v = Line(r"v_{t+1} = \mu\, v_t + g_t", r"@mu\, @velocity_prev + @g", "velocity",
             lambda q: q.mu * q.velocity_prev + q.g)
    if nesterov:
        x = Line(r"x_{t+1} = x_t - \eta_t\,(g_t + \mu\, v_{t+1})", r"@x - @lr\left(@g + @mu\, @velocity\right)", "xn",
                 lambda q: q.x - q.lr * (q.g + q.mu * q.velocity))
        arrow = Drawing("\u2212\u03b7\u03bc v\u209c\u208a\u2081 (look-ahead velocity)", ("lr", "mu", "velocity"), True)
    else:
        x = Line(r"x_{t+1} = x_t - \eta_t\, v_{t+1}", r"@x - @lr\, @velocity", "xn", lambda q: q.x - q.lr * q.velocity)
        arrow = Drawing("\u2212\u03b7\u03bc v\u209c (velocity carried over)", ("lr", "mu", "velocity_prev"), True)
    return StepRule((v, x), lambda c: {"mu": float(c.h["momentum"])}, lambda c: {"velocity": 0.0}, moment=arrow)


def _adagrad() -> StepRule:
    return StepRule(
        (Line(r"G_t = G_{t-1} + g_t^2", r"@sum_sq_prev + @g2", "sum_sq", lambda q: q.sum_sq_prev + q.g2),
         Line(r"\frac{\eta_t}{\sqrt{G_t + \epsilon}}", r"\frac{@lr}{\sqrt{@sum_sq + @eps}}", "rate",
              lambda q: q.lr / np.sqrt(q.sum_sq + q.eps)),
         Line(r"x_{t+1} = x_t - \frac{\eta_t}{\sqrt{G_t + \epsilon}} \odot g_t", r"@x - @rate \odot @g", "xn",
              lambda q: q.x - q.rate * q.g)),
        lambda c: {"eps": float(c.h["eps"]), "g2": c.g**2,
                   "rate": _col(c.lr) / np.sqrt(c.state["sum_sq"] + float(c.h["eps"]))},
        lambda c: {"sum_sq": float(c.h["initial_accumulator"])},
        box=_BOX)


def _rmsprop() -> StepRule:
    return StepRule(
        (Line(r"v_t = \rho\, v_{t-1} + (1-\rho)\, g_t^2", r"@rho\, @v_prev + @c_rho\, @g2", "v",
              lambda q: q.rho * q.v_prev + q.c_rho * q.g2),
         Line(r"\frac{\eta_t}{\sqrt{v_t + \epsilon}}", r"\frac{@lr}{\sqrt{@v + @eps}}", "rate",
              lambda q: q.lr / np.sqrt(q.v + q.eps)),
         Line(r"x_{t+1} = x_t - \frac{\eta_t}{\sqrt{v_t + \epsilon}} \odot g_t", r"@x - @rate \odot @g", "xn",
              lambda q: q.x - q.rate * q.g)),
        lambda c: {"rho": float(c.h["decay"]), "c_rho": 1.0 - float(c.h["decay"]), "eps": float(c.h["eps"]),
                   "g2": c.g**2, "rate": _col(c.lr) / np.sqrt(c.state["v"] + float(c.h["eps"]))},
        lambda c: {"v": 0.0}, box=_BOX)


def _adam(kind: str) -> StepRule:
    lines = [_moment(), _second(), _MHAT, _VHAT, _ADAM_RATE, _ADAM_X]
    values = _adam_values
    if kind == "adamw":
        lines[-1] = Line(r"x_{t+1} = x_t - \frac{\eta_t}{\sqrt{\hat v_t}+\epsilon} \odot \hat m_t - \eta_t \lambda\, x_t",
                         r"@x - @rate \odot @mhat - @lr\, @wd\, @x", "xn",
                         lambda q: q.x - q.rate * q.mhat - q.lr * q.wd * q.x)
        values = lambda c: _adam_values(c) | {"wd": float(c.h["weight_decay"])}  # noqa: E731
    elif kind == "nadam":
        lines[2] = Line(r"\hat m_t = \beta_1\frac{m_t}{1-\beta_1^{t+1}} + (1-\beta_1)\frac{g_t}{1-\beta_1^t}",
                        r"@b1\,\frac{@m}{@bc1n} + @c1\,\frac{@g}{@bc1}", "mhat",
                        lambda q: q.b1 * q.m / q.bc1n + q.c1 * q.g / q.bc1)

        def values(c):
            out = _adam_values(c)
            out["bc1n"] = _col(1.0 - out["b1"] ** (c.t + 1))
            out["mhat"] = out["b1"] * c.state["m"] / out["bc1n"] + out["c1"] * c.g / out["bc1"]
            return out
    elif kind == "amsgrad":
        lines[4:] = [
            Line(r"v^{\max}_t = \max\!\left(v^{\max}_{t-1},\ \hat v_t\right)", r"\max\!\left(@v_max_prev,\ @vhat\right)",
                 "v_max", lambda q: np.maximum(q.v_max_prev, q.vhat)),
            Line(r"\frac{\eta_t}{\sqrt{v^{\max}_t}+\epsilon}", r"\frac{@lr}{\sqrt{@v_max} + @eps}", "rate",
                 lambda q: q.lr / (np.sqrt(q.v_max) + q.eps)),
            Line(r"x_{t+1} = x_t - \frac{\eta_t}{\sqrt{v^{\max}_t}+\epsilon} \odot \hat m_t", r"@x - @rate \odot @mhat",
                 "xn", lambda q: q.x - q.rate * q.mhat)]

        def values(c):
            out = _adam_values(c)
            out["rate"] = _col(c.lr) / (np.sqrt(c.state["v_max"]) + out["eps"])
            return out
    init = (lambda c: {"m": 0.0, "v": 0.0, "v_max": 0.0}) if kind == "amsgrad" else _ZERO_MV
    return StepRule(tuple(lines), values, init, moment=_MHAT_ARROW, box=_BOX)


def _adabelief() -> StepRule:
    def values(c):
        out = _betas(c, "b1", "b2") | {"eps": float(c.h["eps"]), "dev2": (c.g - c.state["m"]) ** 2}
        out["mhat"] = c.state["m"] / out["bc1"]
        out["shat"] = c.state["s"] / out["bc2"]
        out["rate"] = _col(c.lr) / (np.sqrt(out["shat"]) + out["eps"])
        return out

    return StepRule(
        (_moment(),
         Line(r"s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2 + 10^{-16}", r"@b2\, @s_prev + @c2\, @dev2 + 10^{-16}",
              "s", lambda q: q.b2 * q.s_prev + q.c2 * q.dev2 + 1e-16),
         _MHAT,
         Line(r"\hat s_t = \frac{s_t}{1-\beta_2^t}", r"\frac{@s}{@bc2}", "shat", lambda q: q.s / q.bc2),
         Line(r"\frac{\eta_t}{\sqrt{\hat s_t}+\epsilon}", r"\frac{@lr}{\sqrt{@shat} + @eps}", "rate",
              lambda q: q.lr / (np.sqrt(q.shat) + q.eps)),
         _ADAM_X),
        values, lambda c: {"m": 0.0, "s": 0.0}, moment=_MHAT_ARROW, box=_BOX)


def _adamax() -> StepRule:
    def values(c):
        out = _betas(c, "b1", "b2") | {"eps": float(c.h["eps"]), "absg": np.abs(c.g)}
        out["rate"] = _col(c.lr) / (out["bc1"] * c.state["u"])
        out["mhat"] = c.state["m"] / out["bc1"]
        return out

    return StepRule(
        (_moment(),
         Line(r"u_t = \max\!\left(\beta_2 u_{t-1},\ |g_t| + \epsilon\right)", r"\max\!\left(@b2\, @u_prev,\ @absg + @eps\right)",
              "u", lambda q: np.maximum(q.b2 * q.u_prev, q.absg + q.eps)),
         Line(r"\frac{\eta_t}{(1-\beta_1^t)\, u_t}", r"\frac{@lr}{@bc1\, @u}", "rate", lambda q: q.lr / (q.bc1 * q.u)),
         Line(r"x_{t+1} = x_t - \frac{\eta_t}{(1-\beta_1^t)\, u_t} \odot m_t", r"@x - @rate \odot @m", "xn",
              lambda q: q.x - q.rate * q.m)),
        values, lambda c: {"m": 0.0, "u": 0.0}, moment=_MHAT_ARROW, box=_BOX)


def _radam() -> StepRule:
    def values(c):
        out = _adam_values(c)
        b2 = out["b2"]
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        b2t = b2 ** c.t
        rho = rho_inf - 2.0 * c.t * b2t / (1.0 - b2t)
        rect = rho >= float(c.h["threshold"])
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        r = np.where(rect, r, np.nan)
        out |= {"rho_inf": rho_inf, "b2t": b2t, "rho_t": rho, "rho_min": float(c.h["threshold"]), "r": r,
                "rect": rect.astype(np.float64), "plain": (~rect).astype(np.float64),
                "rate": np.where(rect, _col(c.lr) * r / (np.sqrt(out["vhat"]) + out["eps"]), np.nan)}
        return out

    rect = "rect"
    return StepRule(
        (_moment(), _second(), _MHAT, _VHAT,
         Line(r"\rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t}", r"@rho_inf - \frac{2 \cdot @t \cdot @b2t}{@bc2}",
              "rho_t", lambda q: q.rho_inf - 2 * q.t * q.b2t / q.bc2),
         Line(r"r_t = \sqrt{\tfrac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}}",
              r"\sqrt{\tfrac{(@rho_t-4)(@rho_t-2)\, @rho_inf}{(@rho_inf-4)(@rho_inf-2)\, @rho_t}}", "r",
              lambda q: np.sqrt((q.rho_t - 4) * (q.rho_t - 2) * q.rho_inf
                                / ((q.rho_inf - 4) * (q.rho_inf - 2) * q.rho_t)), when=rect),
         Line(r"\frac{\eta_t\, r_t}{\sqrt{\hat v_t}+\epsilon}", r"\frac{@lr \cdot @r}{\sqrt{@vhat} + @eps}", "rate",
              lambda q: q.lr * q.r / (np.sqrt(q.vhat) + q.eps), when=rect),
         Line(r"x_{t+1} = x_t - \frac{\eta_t\, r_t}{\sqrt{\hat v_t}+\epsilon} \odot \hat m_t\quad (\rho_t \ge \rho_{\min})",
              r"@x - @rate \odot @mhat", "xn", lambda q: q.x - q.rate * q.mhat, when=rect),
         Line(r"x_{t+1} = x_t - \eta_t\, \hat m_t\quad (\rho_t < \rho_{\min} = @rho_min)", r"@x - @lr\, @mhat", "xn",
              lambda q: q.x - q.lr * q.mhat, when="plain")),
        values, _ZERO_MV, moment=_MHAT_ARROW, box=_BOX,
        note="Until the variance estimate is trustworthy (rho_t < rho_min) RAdam takes plain momentum steps: no box.")


def _yogi() -> StepRule:
    def values(c):
        out = _adam_values(c)
        out["sgn"] = _sign(c.prev("v", 1e-6) - out["g2"])
        return out

    return StepRule(
        (_moment(),
         Line(r"v_t = v_{t-1} - (1-\beta_2)\, \mathrm{sign}(v_{t-1} - g_t^2) \odot g_t^2",
              r"@v_prev - @c2\, @sgn \odot @g2", "v", lambda q: q.v_prev - q.c2 * q.sgn * q.g2),
         _MHAT, _VHAT, _ADAM_RATE, _ADAM_X),
        values, lambda c: {"m": 1e-6, "v": 1e-6}, moment=_MHAT_ARROW, box=_BOX)


def _lion() -> StepRule:
    def values(c):
        out = _betas(c, "b1", "b2") | {"wd": float(c.h["weight_decay"])}
        cc = out["b1"] * c.prev("m", 0.0) + out["c1"] * c.g
        return out | {"c": cc, "sgn_c": _sign(cc)}

    return StepRule(
        (Line(r"c_t = \beta_1 m_t + (1-\beta_1)\, g_t", r"@b1\, @m_prev + @c1\, @g", "c",
              lambda q: q.b1 * q.m_prev + q.c1 * q.g),
         Line(r"x_{t+1} = x_t - \eta_t\left(\mathrm{sign}(c_t) + \lambda x_t\right)", r"@x - @lr\left(@sgn_c + @wd\, @x\right)",
              "xn", lambda q: q.x - q.lr * (np.sign(q.c) + q.wd * q.x)),
         Line(r"m_{t+1} = \beta_2 m_t + (1-\beta_2)\, g_t", r"@b2\, @m_prev + @c2\, @g", "m",
              lambda q: q.b2 * q.m_prev + q.c2 * q.g)),
        values, lambda c: {"m": 0.0}, moment=Drawing("\u2212\u03b7 c\u209c (momentum mixed with g)", ("lr", "c")),
        box=Drawing("per-coordinate step size", ("lr",)))


def _sign_sgd() -> StepRule:
    return StepRule(
        (Line(r"x_{t+1} = x_t - \eta_t\, \mathrm{sign}(g_t)", r"@x - @lr\, @sgn", "xn", lambda q: q.x - q.lr * np.sign(q.g)),),
        lambda c: {"sgn": _sign(c.g)}, box=Drawing("per-coordinate step size", ("lr",)))


def _adadelta() -> StepRule:
    def values(c):
        rho, eps = float(c.h["rho"]), float(c.h["eps"])
        ratio = np.sqrt(c.prev("u", 0.0) + eps) / np.sqrt(c.state["v"] + eps)
        delta = ratio * c.g
        return {"rho": rho, "c_rho": 1 - rho, "eps": eps, "g2": c.g**2, "ratio": ratio, "delta": delta,
                "delta2": delta**2, "rate": _col(c.lr) * ratio}

    return StepRule(
        (Line(r"v_t = \rho\, v_{t-1} + (1-\rho)\, g_t^2", r"@rho\, @v_prev + @c_rho\, @g2", "v",
              lambda q: q.rho * q.v_prev + q.c_rho * q.g2),
         Line(r"\frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}", r"\frac{\sqrt{@u_prev + @eps}}{\sqrt{@v + @eps}}",
              "ratio", lambda q: np.sqrt(q.u_prev + q.eps) / np.sqrt(q.v + q.eps)),
         Line(r"\Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} \odot g_t", r"@ratio \odot @g", "delta",
              lambda q: q.ratio * q.g),
         Line(r"u_t = \rho\, u_{t-1} + (1-\rho)\, \Delta_t^2", r"@rho\, @u_prev + @c_rho\, @delta2", "u",
              lambda q: q.rho * q.u_prev + q.c_rho * q.delta2),
         Line(r"x_{t+1} = x_t - \eta_t\, \Delta_t", r"@x - @lr\, @delta", "xn", lambda q: q.x - q.lr * q.delta)),
        values, lambda c: {"v": 0.0, "u": 0.0}, box=Drawing("per-coordinate step size", ("rate", "gnorm")))


def _newton() -> StepRule:
    def values(c):
        hess = c.extra["hessian"]  # (n, 4): [[a, b], [c, d]] row by row
        damp = float(c.h["damping"])
        mats = hess.reshape(-1, 2, 2) + damp * np.eye(2)
        with np.errstate(all="ignore"):
            try:
                direction = np.linalg.solve(mats, c.g[..., None])[..., 0]
            except np.linalg.LinAlgError:
                direction = np.stack([np.linalg.lstsq(m, v, rcond=None)[0] for m, v in zip(mats, c.g, strict=True)])
        return {"hess": hess, "damping": damp, "dir": direction}

    def solve(q):
        mats = q.hess.reshape(-1, 2, 2) + q.damping * np.eye(2)
        return np.linalg.solve(mats, q.g[..., None])[..., 0]

    return StepRule(
        (Line(r"\nabla^2 f(x_t) = @hess"),
         Line(r"d_t = \left(\nabla^2 f(x_t) + \delta I\right)^{-1} g_t", r"\left(@hess + @damping\, I\right)^{-1} @g", "dir",
              solve),
         Line(r"x_{t+1} = x_t - \eta_t\, d_t", r"@x - @lr\, @dir", "xn", lambda q: q.x - q.lr * q.dir)),
        values)


def _adan() -> StepRule:
    def values(c):
        out = _betas(c, "b1", "b2", "b3") | {"eps": float(c.h["eps"]), "wd": float(c.h["weight_decay"])}
        g_prev = np.concatenate([c.g[:1], c.g[:-1]])
        d = c.g - g_prev
        later = (c.t > 1).astype(np.float64)
        out |= {"d": d, "q2": (c.g + out["c2"] * d) ** 2, "later": later, "first": 1.0 - later}
        out["mix"] = c.state["m"] / out["bc1"] + out["c2"] * c.state["v"] / out["bc2"]
        out["rate"] = _col(c.lr) / (np.sqrt(c.state["n"] / out["bc3"] + 1e-8) + out["eps"])
        return out

    return StepRule(
        (Line(r"d_t = g_t - g_{t-1}", r"@g - @g_prev", "d", lambda q: q.g - q.g_prev, when="later"),
         Line(r"d_1 = 0", when="first"),
         _moment(),
         Line(r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, d_t", r"@b2\, @v_prev + @c2\, @d", "v",
              lambda q: q.b2 * q.v_prev + q.c2 * q.d),
         Line(r"n_t = \beta_3 n_{t-1} + (1-\beta_3)\left(g_t + (1-\beta_2)\, d_t\right)^2", r"@b3\, @n_prev + @c3\, @q2",
              "n", lambda q: q.b3 * q.n_prev + q.c3 * q.q2),
         Line(r"\hat m_t + (1-\beta_2)\,\hat v_t = \frac{m_t}{1-\beta_1^t} + (1-\beta_2)\frac{v_t}{1-\beta_2^t}",
              r"\frac{@m}{@bc1} + @c2\,\frac{@v}{@bc2}", "mix", lambda q: q.m / q.bc1 + q.c2 * q.v / q.bc2),
         Line(r"\frac{\eta_t}{\sqrt{\hat n_t + 10^{-8}}+\epsilon}", r"\frac{@lr}{\sqrt{@n / @bc3 + 10^{-8}} + @eps}", "rate",
              lambda q: q.lr / (np.sqrt(q.n / q.bc3 + 1e-8) + q.eps)),
         Line(r"x_{t+1} = x_t - \frac{\eta_t}{\sqrt{\hat n_t + 10^{-8}}+\epsilon} \odot \left(\hat m_t + (1-\beta_2)\,"
              r"\hat v_t\right) - \eta_t \lambda x_t", r"@x - @rate \odot @mix - @lr\, @wd\, @x", "xn",
              lambda q: q.x - q.rate * q.mix - q.lr * q.wd * q.x)),
        values, lambda c: {"m": 0.0, "v": 0.0, "n": 0.0, "g": c.g[0] if len(c.g) else 0.0},
        moment=Drawing("\u2212\u03b7 (m\u0302 + (1\u2212\u03b2\u2082) v\u0302)", ("lr", "mix")), box=_BOX)


def _adopt() -> StepRule:
    def values(c):
        out = _betas(c, "b1", "b2") | {"eps": float(c.h["eps"]), "g2": c.g**2}
        later = (c.t > 1).astype(np.float64)
        scale = np.maximum(np.sqrt(c.prev("v", 0.0)), out["eps"])
        bound = _col((c.t[:, 0] - 1) ** 0.25)
        ratio = c.g / scale
        out |= {"later": later, "first": 1.0 - later, "ratio": ratio, "bound": bound,
                "clipped": np.clip(ratio, -bound, bound),
                "rate": np.where(later > 0, _col(c.lr) / scale, np.nan)}
        return out

    return StepRule(
        (Line(r"v_1 = g_1^2", r"@g2", "v", lambda q: q.g2, when="first"),
         Line(r"m_1 = 0,\ x_2 = x_1\ (\text{no move at } t = 1)", when="first"),
         Line(r"\frac{g_t}{\max(\sqrt{v_{t-1}},\, \epsilon)}", r"\frac{@g}{\max\!\left(\sqrt{@v_prev},\ @eps\right)}",
              "ratio", lambda q: q.g / np.maximum(np.sqrt(q.v_prev), q.eps), when="later"),
         Line(r"\mathrm{clip}\!\left(\cdot,\ \pm(t-1)^{1/4}\right)", r"\mathrm{clip}\!\left(@ratio,\ \pm @bound\right)",
              "clipped", lambda q: np.clip(q.ratio, -q.bound, q.bound), when="later"),
         Line(r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, \mathrm{clip}(\ldots)", r"@b1\, @m_prev + @c1\, @clipped", "m",
              lambda q: q.b1 * q.m_prev + q.c1 * q.clipped, when="later"),
         Line(r"x_{t+1} = x_t - \eta_t\, m_t", r"@x - @lr\, @m", "xn", lambda q: q.x - q.lr * q.m, when="later"),
         Line(r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2", r"@b2\, @v_prev + @c2\, @g2", "v",
              lambda q: q.b2 * q.v_prev + q.c2 * q.g2, when="later")),
        values, _ZERO_MV, box=_BOX,
        note="ADOPT's first moment is already divided by the scale: -lr * m is the update itself, so no arrow of its own.")


def _ademamix() -> StepRule:
    def values(c):
        out = _adam_values(c) | {"b3": float(c.h["b3"]), "c3": 1.0 - float(c.h["b3"]), "alpha": float(c.h["alpha"])}
        out["mix"] = out["mhat"] + out["alpha"] * c.state["m_slow"]
        return out

    return StepRule(
        (_moment(),
         _moment("b3", "c3", "m_slow", r"\tilde m"),
         _second(), _MHAT, _VHAT,
         Line(r"\hat m_t + \alpha\, \tilde m_t", r"@mhat + @alpha\, @m_slow", "mix", lambda q: q.mhat + q.alpha * q.m_slow),
         _ADAM_RATE,
         Line(r"x_{t+1} = x_t - \frac{\eta_t}{\sqrt{\hat v_t}+\epsilon} \odot \left(\hat m_t + \alpha\, \tilde m_t\right)",
              r"@x - @rate \odot @mix", "xn", lambda q: q.x - q.rate * q.mix)),
        values, lambda c: {"m": 0.0, "m_slow": 0.0, "v": 0.0},
        moment=Drawing("\u2212\u03b7 (m\u0302 + \u03b1 m\u0303) (both moments)", ("lr", "mix")), box=_BOX)


def _prodigy() -> StepRule:
    def values(c):
        out = _betas(c, "b1", "b2") | {"eps": float(c.h["eps"]), "wd": float(c.h["weight_decay"]), "g2": c.g**2}
        dprev = c.prev("d", 1e-6)[:, :1]
        out["dprev"] = dprev
        out["dnow"] = c.state["d"][:, :1]
        out["sbc2"] = np.sqrt(out["bc2"])
        out["gamma"] = _col(c.lr) * dprev * out["sbc2"] / out["bc1"]
        out["rate"] = out["gamma"] * dprev / (np.sqrt(c.state["v"]) + dprev * out["eps"])
        return out

    return StepRule(
        (Line(r"\gamma_t = \eta_t\, d_{t-1} \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}", r"@lr \cdot @dprev \cdot \frac{@sbc2}{@bc1}",
              "gamma", lambda q: q.lr * q.dprev * q.sbc2 / q.bc1),
         Line(r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, d_{t-1}\, g_t", r"@b1\, @m_prev + @c1 \cdot @dprev\, @g", "m",
              lambda q: q.b1 * q.m_prev + q.c1 * q.dprev * q.g),
         Line(r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, d_{t-1}^2\, g_t^2", r"@b2\, @v_prev + @c2 \cdot @dprev^2\, @g2", "v",
              lambda q: q.b2 * q.v_prev + q.c2 * q.dprev**2 * q.g2),
         Line(r"x_{t+1} = x_t - \gamma_t\left(\frac{m_t}{\sqrt{v_t} + d_{t-1}\epsilon} + \lambda x_t\right)",
              r"@x - @gamma\left(\frac{@m}{\sqrt{@v} + @dprev\, @eps} + @wd\, @x\right)", "xn",
              lambda q: q.x - q.gamma * (q.m / (np.sqrt(q.v) + q.dprev * q.eps) + q.wd * q.x)),
         Line(r"d_t = \max\!\left(d_{t-1},\ \tfrac{r_t}{\lVert s_t\rVert_1}\right)", r"\max\!\left(@dprev,\ \ldots\right)",
              "dnow", lambda q: np.maximum(q.dprev, q.dnow))),
        values, lambda c: {"m": 0.0, "v": 0.0}, box=_BOX,
        note="d starts at 10^-6 and only grows: the first steps are tiny.")


def _schedule_free() -> StepRule:
    def values(c):
        out = {"b1": float(c.h["b1"]), "c1": 1.0 - float(c.h["b1"]), "b2": float(c.h["b2"]),
               "c2": 1.0 - float(c.h["b2"]), "eps": float(c.h["eps"]), "wd": float(c.h["weight_decay"]),
               "g2": c.g**2}
        out["bc2"] = _col(1.0 - out["b2"] ** c.t)
        w = float(c.h["warmup_steps"])
        k = c.t[:, 0] - 1
        ramp = (lambda j: np.minimum(j, w) / w) if w > 0 else (lambda j: np.ones_like(j))
        lr_w = c.lr * ramp(k)
        mu = np.maximum.accumulate(c.lr_next * ramp(k + 1))
        total = np.cumsum(mu * mu)
        with np.errstate(invalid="ignore", divide="ignore"):
            cc = np.where(total > 0, mu * mu / np.where(total > 0, total, 1.0), 0.0)
        out |= {"lr_w": _col(lr_w), "mu_t": _col(mu), "musum": _col(total), "c": _col(cc)}
        out["rate"] = out["lr_w"] / (np.sqrt(c.state["v"] / out["bc2"]) + out["eps"])
        return out

    return StepRule(
        (Line(r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2", r"@b2\, @v_prev + @c2\, @g2", "v",
              lambda q: q.b2 * q.v_prev + q.c2 * q.g2),
         Line(r"\frac{\eta_t}{\sqrt{v_t/(1-\beta_2^t)}+\epsilon}", r"\frac{@lr_w}{\sqrt{@v / @bc2} + @eps}", "rate",
              lambda q: q.lr_w / (np.sqrt(q.v / q.bc2) + q.eps)),
         Line(r"z_{t+1} = z_t - \frac{\eta_t}{\sqrt{v_t/(1-\beta_2^t)}+\epsilon} \odot g_t - \eta_t \lambda x_t",
              r"@z_prev - @rate \odot @g - @lr_w\, @wd\, @x", "z", lambda q: q.z_prev - q.rate * q.g - q.lr_w * q.wd * q.x),
         Line(r"c_t = \frac{\mu_t^2}{\sum_{s \le t} \mu_s^2},\ \mu_t = \max_{s \le t} \eta_{s+1}", r"\frac{@mu_t^2}{@musum}",
              "c", lambda q: np.where(q.musum > 0, q.mu_t**2 / np.where(q.musum > 0, q.musum, 1.0), 0.0)),
         Line(r"\bar x_{t+1} = (1-c_t)\, \bar x_t + c_t\, z_{t+1}", r"(1 - @c)\, @average_prev + @c\, @z", "average",
              lambda q: (1 - q.c) * q.average_prev + q.c * q.z),
         Line(r"x_{t+1} = \beta_1 \bar x_{t+1} + (1-\beta_1)\, z_{t+1}", r"@b1\, @average + @c1\, @z", "xn",
              lambda q: q.b1 * q.average + q.c1 * q.z)),
        values, lambda c: {"v": 0.0, "z": c.x[0] if len(c.x) else 0.0, "average": c.x[0] if len(c.x) else 0.0},
        box=_BOX, note="The box is z's per-coordinate step size; the point drawn is x, between z and the average.")


def _rprop() -> StepRule:
    def values(c):
        up, down = float(c.h["eta_plus"]), float(c.h["eta_minus"])
        size = c.state["step_size"]
        p = np.zeros_like(c.g)
        s = np.zeros_like(c.g)
        last = np.zeros(2)
        for k in range(c.n):
            s[k] = c.g[k] * last
            last = np.where(s[k] < 0, 0.0, size[k] * np.sign(c.g[k]))
            p[k] = last
        factor = np.where(s > 0, up, np.where(s < 0, down, 1.0))
        return {"p": p, "s": s, "factor": factor, "keep": (s >= 0).astype(np.float64), "sgn": _sign(c.g)}

    return StepRule(
        (Line(r"s_t = g_t \odot p_{t-1}", r"@g \odot @p_prev", "s", lambda q: q.g * q.p_prev),
         Line(r"\Delta_t = \mathrm{clip}_{[10^{-6},\,50]}\!\left(\eta^{\pm} \Delta_{t-1}\right)\ "
              r"(\eta^+ \text{ if } s_t > 0,\ \eta^- \text{ if } s_t < 0)",
              r"\mathrm{clip}\!\left(@factor \odot @step_size_prev\right)", "step_size",
              lambda q: np.clip(q.factor * q.step_size_prev, 1e-6, 50.0)),
         Line(r"p_t = [s_t \ge 0]\, \Delta_t\, \mathrm{sign}(g_t)", r"@keep \odot @step_size \odot @sgn", "p",
              lambda q: q.keep * q.step_size * q.sgn),
         Line(r"x_{t+1} = x_t - [s_t \ge 0]\, p_{t-1}", r"@x - @keep \odot @p_prev", "xn", lambda q: q.x - q.keep * q.p_prev)),
        values,
        lambda c: {"step_size": float(c.lr[0]) if len(c.lr) else 0.0, "p": 0.0},
        box=Drawing("per-coordinate step size", ("step_size_prev",)),
        note="optax applies each Rprop step one update late: the step taken now is the one set at the update before.")


def _polyak() -> StepRule:
    def values(c):
        gg = _col(np.sum(c.g**2, axis=1))
        f_min = float(c.extra["f_min"])
        with np.errstate(invalid="ignore", divide="ignore"):
            gamma = np.where(gg <= 2.220446049250313e-16, 0.0, np.minimum((_col(c.f) - f_min) / gg, _col(c.lr)))
        return {"gg": gg, "fmin": f_min, "gamma": gamma}

    return StepRule(
        (Line(r"\gamma_t = \min\!\left(\frac{f(x_t) - f^*}{\lVert g_t\rVert^2},\ \eta_t\right)",
              r"\min\!\left(\frac{@f - @fmin}{@gg},\ @lr\right)", "gamma",
              lambda q: np.where(q.gg <= 2.220446049250313e-16, 0.0, np.minimum((q.f - q.fmin) / q.gg, q.lr))),
         Line(r"x_{t+1} = x_t - \gamma_t\, g_t", r"@x - @gamma\, @g", "xn", lambda q: q.x - q.gamma * q.g)),
        values)


def _lbfgs() -> StepRule:
    return StepRule(
        (Line(r"x_{t+1} - x_t = \alpha_t d_t", r"@xn - @x", "dx", lambda q: q.xn - q.x),
         Line(r"\langle g_t,\ x_{t+1} - x_t\rangle", r"@g \cdot @dx", "gdot", lambda q: np.sum(q.g * q.dx, axis=-1,
                                                                                                keepdims=True)),
         Line(r"f(x_t) = @f \ \to\ f(x_{t+1}) = @fn")),
        lambda c: {"dx": c.xn - c.x, "gdot": _col(np.sum(c.g * (c.xn - c.x), axis=1))},
        note="L-BFGS's direction d_t = -lr H_t g_t and its line-search length alpha_t live inside optax; "
             "the step shows what they did. A descent step has <g, step> < 0.")


RULES: dict[str, StepRule] = {
    "sgd": _sgd(),
    "momentum": _momentum(False),
    "nesterov": _momentum(True),
    "adagrad": _adagrad(),
    "rmsprop": _rmsprop(),
    "adam": _adam("adam"),
    "adamw": _adam("adamw"),
    "nadam": _adam("nadam"),
    "amsgrad": _adam("amsgrad"),
    "adabelief": _adabelief(),
    "adamax": _adamax(),
    "radam": _radam(),
    "yogi": _yogi(),
    "lion": _lion(),
    "sign_sgd": _sign_sgd(),
    "adadelta": _adadelta(),
    "newton": _newton(),
    "adan": _adan(),
    "adopt": _adopt(),
    "ademamix": _ademamix(),
    "prodigy": _prodigy(),
    "schedule_free_adamw": _schedule_free(),
    "rprop": _rprop(),
    "polyak_sgd": _polyak(),
    "lbfgs": _lbfgs(),
}
assert set(RULES) == set(OPTIMIZERS), set(RULES) ^ set(OPTIMIZERS)


# ------------------------------------------------------------ building

def split_top(tex: str) -> tuple[str, str]:
    """`a = b = c` -> ("a", "b = c"): at the first `=` outside braces (the
    player aligns the lines there); ("tex", "") without one."""
    depth = 0
    for i, ch in enumerate(tex):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "=" and depth == 0:
            return tex[:i].rstrip(), tex[i + 1:].strip()
    return tex, ""


def optimizer_gradient(scene, run, raw: np.ndarray) -> np.ndarray | None:
    """The gradient the optimizer saw (after noise and clipping, as the
    engine's chain applies them), or None when that is the raw one."""
    if not (run.noise or run.clip_value is not None or run.clip_norm is not None):
        return None
    from visualizer.core.pipeline import noise_table
    from visualizer.core.programs import bucket_length

    g = raw.astype(np.float64)
    if run.noise:
        g = g + noise_table(run.noise, run.seed, bucket_length(scene.steps))[: len(g)].astype(np.float64)
    if run.clip_value is not None:
        g = np.clip(g, -run.clip_value, run.clip_value)
    if run.clip_norm is not None:
        norm = np.sqrt(np.sum(g * g, axis=1, keepdims=True))
        with np.errstate(invalid="ignore", divide="ignore"):
            g = np.where(norm > run.clip_norm, g / norm * run.clip_norm, g)
    return g


@functools.lru_cache(maxsize=16)
def _hessian_program(surface, names: tuple):
    import jax

    def loss(p, values):
        return surface.fn(p[0], p[1], **dict(zip(names, values, strict=True)))

    return jax.jit(jax.vmap(jax.hessian(loss), in_axes=(0, None)))


def hessians(scene, points: np.ndarray) -> np.ndarray:
    """The surface's Hessian at each point, (n, 4) row by row (float32, as
    the engine computes it)."""
    from visualizer.core.programs import bucket_length

    surface = scene.resolved_surface()
    values = scene.surface_values()
    names = tuple(sorted(values))
    length = bucket_length(max(len(points) - 1, 0))  # padded: one program per length bucket
    padded = np.zeros((length, 2), np.float32)
    padded[: len(points)] = points
    args = tuple(np.float32(values[k]) for k in names)
    return np.asarray(_hessian_program(surface, names)(padded, args), np.float64)[: len(points)].reshape(-1, 4)


def context(scene, result) -> Context:
    """The updates of one `RunResult` that have both ends (a diverged run's
    last one has not)."""
    from visualizer.core.schedules import lr_table

    run = result.run
    n = len(result.xy) - 1
    xy = result.xy.astype(np.float64)
    raw = result.grad[:n].astype(np.float64)
    seen = optimizer_gradient(scene, run, raw)
    table = lr_table(run.schedule, run.lr, scene.steps, run.schedule_params, n + 1).astype(np.float64)
    c = Context(g=raw if seen is None else seen, graw=raw, lr=result.lr[:n].astype(np.float64), x=xy[:n], xn=xy[1:],
                f=result.loss[:n].astype(np.float64), fn=result.loss[1:].astype(np.float64),
                state={k: v[:n].astype(np.float64) for k, v in result.state.items()}, h=dict(run.values),
                lr_next=table[1: n + 1])
    c.extra["processed"] = seen is not None
    if run.optimizer == "polyak_sgd":
        from visualizer.core import landmarks

        c.extra["f_min"] = landmarks.of(scene).lowest
    if run.optimizer == "newton":
        c.extra["hessian"] = hessians(scene, result.xy[:n])
    return c


def build(scene, result) -> dict:
    """The numbers of one run for the player (the `rule` part of its
    `inside`), as plain arrays: {"lines", "values", "constants", "init",
    "moment", "box", "note", "processed"}; visualizer/browser/payload.py encodes the
    arrays. See visualizer/page/player.py for the contract."""
    rule = RULES[result.run.optimizer]
    c = context(scene, result)
    values, constants = {}, {}
    computed = rule.values(c) if c.n else {}
    if c.extra["processed"]:
        computed = {"g": c.g, **computed}
    for name, value in computed.items():
        if isinstance(value, float | int):
            constants[name] = float(value)
        else:
            values[name] = np.asarray(value, np.float64).reshape(c.n, -1)
    init = {name: np.broadcast_to(np.asarray(v, np.float64), (2,)).tolist() for name, v in rule.init(c).items()}
    lines = []
    for line in rule.lines:
        lhs, rhs = split_top(line.tex)
        lines.append({"lhs": lhs, "rhs": rhs, "num": line.num, "result": line.result, "when": line.when})
    drawing = lambda d: None if d is None else {"label": d.label, "factors": list(d.factors),  # noqa: E731
                                                 "adds_to_gradient": d.adds_to_gradient}
    return {"lines": lines, "values": values, "constants": constants, "init": init, "moment": drawing(rule.moment),
            "box": drawing(rule.box), "note": rule.note, "processed": bool(c.extra["processed"])}


# ------------------------------------------------------------ what the player computes

class Numbers:
    """The numbers the player fills in, for every update at once, from a
    run's payload arrays: attribute `name` is an (n, 1) / (n, 2) / (n, 4)
    array or a float, `name_prev` shifted by one update (`init` first),
    exactly as the player's rule.js reads them."""

    def __init__(self, xy, lr, grad, loss, state: dict, rule: dict):
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        n = len(xy) - 1
        self._n = n
        self._init = rule["init"]
        base = {
            "x": xy[:n], "xn": xy[1:], "lr": _col(np.asarray(lr, np.float64)[:n]),
            "graw": np.asarray(grad, np.float64).reshape(-1, 2)[:n],
            "f": _col(np.asarray(loss, np.float64)[:n]), "fn": _col(np.asarray(loss, np.float64)[1: n + 1]),
            "t": _col(np.arange(1, n + 1)),
        }
        base["g"] = base["graw"]
        base |= {k: np.asarray(v, np.float64).reshape(-1, 2)[:n] for k, v in state.items()}
        base |= {k: np.asarray(v, np.float64).reshape(n, -1) for k, v in rule["values"].items()}
        base["gnorm"] = _col(np.sqrt(np.sum(base["g"] ** 2, axis=1)))
        base |= rule["constants"]
        self._base = base

    def __getattr__(self, name: str):
        base = self.__dict__["_base"]
        if name in base:
            return base[name]
        if name.endswith("_prev") and name[:-5] in base:
            a = base[name[:-5]]
            first = np.asarray(self._init.get(name[:-5], 0.0), np.float64).reshape(1, -1)[:, : a.shape[1]]
            return np.concatenate([np.broadcast_to(first, (1, a.shape[1])), a[:-1]])
        raise AttributeError(name)

    def product(self, factors) -> np.ndarray:
        out = np.ones((self._n, 1))
        for name in factors:
            out = out * getattr(self, name)
        return out
