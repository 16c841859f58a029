"""A step size per coordinate from its squared gradients: AdaGrad, RMSProp, AdaDelta."""

from __future__ import annotations

import numpy as np
import optax

from visualizer.core.knobs import Knob
from visualizer.core.optimizers.checks import Checks, Update
from visualizer.core.optimizers.optimizer import DECAY_STOPS, Optimizer, eps, state_fields
from visualizer.core.optimizers.step_rule import BOX, Line, StepRule, col

# ------------------------------------------------------------ Inside a step


def _adagrad_rule() -> StepRule:
    return StepRule(
        (Line(r"G_t = G_{t-1} + g_t^2", r"@sum_sq_prev + @g2", "sum_sq", lambda q: q.sum_sq_prev + q.g2),
         Line(r"\frac{\eta_t}{\sqrt{G_t + \epsilon}}", r"\frac{@lr}{\sqrt{@sum_sq + @eps}}", "rate",
              lambda q: q.lr / np.sqrt(q.sum_sq + q.eps)),
         Line(r"x_{t+1} = x_t - \frac{\eta_t}{\sqrt{G_t + \epsilon}} \odot g_t", r"@x - @rate \odot @g", "xn",
              lambda q: q.x - q.rate * q.g)),
        lambda c: {"eps": float(c.h["eps"]), "g2": c.g**2,
                   "rate": col(c.lr) / np.sqrt(c.state["sum_sq"] + float(c.h["eps"]))},
        lambda c: {"sum_sq": float(c.h["initial_accumulator"])},
        box=BOX)


def _rmsprop_rule() -> StepRule:
    return StepRule(
        (Line(r"v_t = \rho\, v_{t-1} + (1-\rho)\, g_t^2", r"@rho\, @v_prev + @c_rho\, @g2", "v",
              lambda q: q.rho * q.v_prev + q.c_rho * q.g2),
         Line(r"\frac{\eta_t}{\sqrt{v_t + \epsilon}}", r"\frac{@lr}{\sqrt{@v + @eps}}", "rate",
              lambda q: q.lr / np.sqrt(q.v + q.eps)),
         Line(r"x_{t+1} = x_t - \frac{\eta_t}{\sqrt{v_t + \epsilon}} \odot g_t", r"@x - @rate \odot @g", "xn",
              lambda q: q.x - q.rate * q.g)),
        lambda c: {"rho": float(c.h["decay"]), "c_rho": 1.0 - float(c.h["decay"]), "eps": float(c.h["eps"]),
                   "g2": c.g**2, "rate": col(c.lr) / np.sqrt(c.state["v"] + float(c.h["eps"]))},
        lambda c: {"v": 0.0}, box=BOX)


def _adadelta_rule() -> StepRule:
    def values(c):
        rho, eps = float(c.h["rho"]), float(c.h["eps"])
        ratio = np.sqrt(c.prev("u", 0.0) + eps) / np.sqrt(c.state["v"] + eps)
        delta = ratio * c.g
        return {"rho": rho, "c_rho": 1 - rho, "eps": eps, "g2": c.g**2, "ratio": ratio, "delta": delta,
                "delta2": delta**2, "rate": col(c.lr) * ratio}

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
        values, lambda c: {"v": 0.0, "u": 0.0}, box=BOX)


# ------------------------------------------------------------ textbook updates (the tests' reference)

def _adagrad_textbook(u: Update):
    total = u.memory.get("G", np.full(2, u.h["initial_accumulator"])) + u.g * u.g
    u.memory["G"] = total
    return u.x - u.lr * (u.g / np.sqrt(total + u.h["eps"]))


def _rmsprop_textbook(u: Update):
    v = u.h["decay"] * u.memory.get("v", 0.0) + (1 - u.h["decay"]) * u.g * u.g
    u.memory["v"] = v
    return u.x - u.lr * (u.g / np.sqrt(v + u.h["eps"]))


def _adadelta_textbook(u: Update):
    rho, eps = u.h["rho"], u.h["eps"]
    steps = u.memory.get("u", 0.0)
    v = rho * u.memory.get("v", 0.0) + (1 - rho) * u.g * u.g
    delta = np.sqrt(steps + eps) / np.sqrt(v + eps) * u.g
    u.memory.update(v=v, u=rho * steps + (1 - rho) * delta * delta)
    return u.x - u.lr * delta


# ------------------------------------------------------------ the entries

ADAGRAD = Optimizer(
    "adagrad", "AdaGrad", "optax.adagrad(lr, initial_accumulator_value=initial_accumulator, eps=eps)",
    lambda lr, h, land: optax.adagrad(
        lr, initial_accumulator_value=h["initial_accumulator"], eps=h["eps"]),
    (Knob("initial_accumulator", 0.1, 0.0, 100.0, r"G_0", "starting value of the sum of squares",
          title="Initial sum G₀"),
     eps(1e-7, "added inside the square root")), 0.5,
    r"G_t = G_{t-1} + g_t^2\ (\text{from } G_0),\quad x_{t+1} = x_t - \eta_t\, \frac{g_t}{\sqrt{G_t + \epsilon}}",
    "Fixes the one-rate-for-all problem: each coordinate is divided by the "
    "root of its summed squared gradients. But the sum only grows, so the "
    "steps shrink for ever.",
    state=state_fields(sum_sq="sum_of_squares"),
    step_rule=_adagrad_rule(),
    textbook=_adagrad_textbook,
    checks=Checks("initial_accumulator=0.3,eps=0.5", (0.5, 0.5),
                  lambda lr, h, **_: optax.adagrad(lr, initial_accumulator_value=h["initial_accumulator"],
                                                   eps=h["eps"])),
)

RMSPROP = Optimizer(
    "rmsprop", "RMSProp", "optax.rmsprop(lr, decay=decay, eps=eps)",
    lambda lr, h, land: optax.rmsprop(lr, decay=h["decay"], eps=h["eps"]),
    (Knob("decay", 0.9, 0.0, 0.99999, r"\rho", "decay of the squared gradient's running mean",
          title="Decay ρ", stops=DECAY_STOPS),
     eps(1e-8, "added inside the square root")), 0.01,
    r"v_t = \rho\, v_{t-1} + (1-\rho)\, g_t^2\ (v_0 = 0),\quad x_{t+1} = x_t - \eta_t\, \frac{g_t}{\sqrt{v_t + \epsilon}}",
    "Fixes AdaGrad's vanishing steps: a decaying average of squared "
    "gradients instead of their sum, so the scale adapts and then forgets.",
    state=state_fields(v="nu"),
    step_rule=_rmsprop_rule(),
    textbook=_rmsprop_textbook,
    checks=Checks("decay=0.8,eps=0.3", (0.05, 0.05),
                  lambda lr, h, **_: optax.rmsprop(lr, decay=h["decay"], eps=h["eps"])),
)

ADADELTA = Optimizer(
    "adadelta", "AdaDelta", "optax.adadelta(lr, rho=rho, eps=eps)",
    lambda lr, h, land: optax.adadelta(lr, rho=h["rho"], eps=h["eps"]),
    (Knob("rho", 0.9, 0.0, 0.99999, r"\rho", "decay of both running means", title="Decay ρ",
          stops=DECAY_STOPS),
     eps(1e-6, "added inside both square roots")),
    1.0,
    r"v_t = \rho v_{t-1} + (1-\rho) g_t^2,\ \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}"
    r"\, g_t,\ u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2,\quad x_{t+1} = x_t - \eta_t\,\Delta_t",
    "Fixes AdaGrad's decay like RMSProp, and sets the units of the step "
    "from past steps, so lr = 1 is a natural choice.",
    state=state_fields(v="e_g", u="e_x"),
    step_rule=_adadelta_rule(),
    textbook=_adadelta_textbook,
    checks=Checks("rho=0.8,eps=0.05", (0.5, 1.0), lambda lr, h, **_: optax.adadelta(lr, rho=h["rho"], eps=h["eps"])),
)
