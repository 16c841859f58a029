"""The gradient's sign, not its size: signSGD, Lion, Rprop."""

from __future__ import annotations

import numpy as np
import optax

from visualizer.core.knobs import Knob
from visualizer.core.optimizers.checks import Checks, Update
from visualizer.core.optimizers.optimizer import Optimizer, beta, latex_lines, state_fields, weight_decay
from visualizer.core.optimizers.step_rule import Drawing, Line, StepRule, betas

# Each coordinate moves exactly the learning rate.
_LR_BOX = Drawing("per-coordinate step size", ("lr",))


# ------------------------------------------------------------ Inside a step

def _sign_sgd_rule() -> StepRule:
    return StepRule(
        (Line(r"x_{t+1} = x_t - \eta_t\, \mathrm{sign}(g_t)", r"@x - @lr\, @sgn", "xn", lambda q: q.x - q.lr * np.sign(q.g)),),
        lambda c: {"sgn": np.sign(c.g)}, box=_LR_BOX)


def _lion_rule() -> StepRule:
    def values(c):
        out = betas(c, "b1", "b2") | {"wd": float(c.h["weight_decay"])}
        cc = out["b1"] * c.prev("m", 0.0) + out["c1"] * c.g
        return out | {"c": cc, "sgn_c": np.sign(cc)}

    return StepRule(
        (Line(r"c_t = \beta_1 m_t + (1-\beta_1)\, g_t", r"@b1\, @m_prev + @c1\, @g", "c",
              lambda q: q.b1 * q.m_prev + q.c1 * q.g),
         Line(r"x_{t+1} = x_t - \eta_t\left(\mathrm{sign}(c_t) + \lambda x_t\right)", r"@x - @lr\left(@sgn_c + @wd\, @x\right)",
              "xn", lambda q: q.x - q.lr * (np.sign(q.c) + q.wd * q.x)),
         Line(r"m_{t+1} = \beta_2 m_t + (1-\beta_2)\, g_t", r"@b2\, @m_prev + @c2\, @g", "m",
              lambda q: q.b2 * q.m_prev + q.c2 * q.g)),
        values, lambda c: {"m": 0.0}, moment=Drawing("\u2212\u03b7 c\u209c (momentum mixed with g)", ("lr", "c")),
        box=_LR_BOX)


def _rprop_rule() -> StepRule:
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
        return {"p": p, "s": s, "factor": factor, "keep": (s >= 0).astype(np.float64), "sgn": np.sign(c.g)}

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


# ------------------------------------------------------------ textbook updates (the tests' reference)

def _sign_sgd_textbook(u: Update):
    return u.x - u.lr * np.sign(u.g)


def _lion_textbook(u: Update):
    b1, b2 = u.h["b1"], u.h["b2"]
    m = u.memory.get("m", 0.0)
    u.memory["m"] = b2 * m + (1 - b2) * u.g
    return u.x - u.lr * (np.sign(b1 * m + (1 - b1) * u.g) + u.h["weight_decay"] * u.x)


def _rprop_textbook(u: Update):
    """Each step is taken one update late, as optax does (its step sizes start at the learning rate)."""
    size = u.memory.get("size", np.full(2, u.lr))
    previous = u.memory.get("p", np.zeros(2))
    sign = u.g * previous
    size = np.where(sign == 0, size, np.clip(size * np.where(sign > 0, u.h["eta_plus"], u.h["eta_minus"]),
                                             1e-6, 50.0))
    u.memory.update(size=size, p=np.where(sign < 0, 0.0, size * np.sign(u.g)))
    return u.x - np.where(sign < 0, 0.0, previous)


# ------------------------------------------------------------ the entries

LION = Optimizer(
    "lion", "Lion", "optax.lion(lr, b1=b1, b2=b2, weight_decay=weight_decay)",
    lambda lr, h, land: optax.lion(lr, b1=h["b1"], b2=h["b2"], weight_decay=h["weight_decay"]),
    (beta("b1", 0.9, r"\beta_1", "interpolation of momentum and gradient for the sign"),
     beta("b2", 0.99, r"\beta_2", "decay of the momentum"),
     weight_decay(0.0)),
    0.01,
    r"x_{t+1} = x_t - \eta_t\left(\mathrm{sign}(\beta_1 m_t + (1-\beta_1) g_t) + \lambda x_t\right),\quad "
    r"m_{t+1} = \beta_2 m_t + (1-\beta_2) g_t",
    "Found by program search: only the sign of an interpolated momentum, "
    "so without weight decay every coordinate moves by exactly the "
    "learning rate.",
    state=state_fields(m="mu"),
    step_rule=_lion_rule(),
    textbook=_lion_textbook,
    checks=Checks("b1=0.8,b2=0.95,weight_decay=0.3", (0.05, 0.05),
                  lambda lr, h, **_: optax.lion(lr, b1=h["b1"], b2=h["b2"], weight_decay=h["weight_decay"])),
)

SIGN_SGD = Optimizer(
    "sign_sgd", "signSGD", "optax.sign_sgd(lr)",
    lambda lr, h, land: optax.sign_sgd(lr),
    (), 0.01,
    r"x_{t+1} = x_t - \eta_t\, \mathrm{sign}(g_t)",
    "Throws the gradient's size away and keeps its sign: immune to "
    "gradient scale, but it never settles closer than one step.",
    step_rule=_sign_sgd_rule(),
    textbook=_sign_sgd_textbook,
    checks=Checks("", (0.05, 0.05), lambda lr, h, **_: optax.sign_sgd(lr)),
)

RPROP = Optimizer(
    "rprop", "Rprop", "optax.rprop(lr, eta_minus=eta_minus, eta_plus=eta_plus)",
    lambda lr, h, land: optax.rprop(lr(0), eta_minus=h["eta_minus"], eta_plus=h["eta_plus"]),
    (Knob("eta_minus", 0.5, 0.0, 0.99, r"\eta^-", "step-size factor after the gradient's sign flips",
          title="Shrink η⁻"),
     Knob("eta_plus", 1.2, 1.0, 5.0, r"\eta^+", "step-size factor while the gradient's sign holds",
          title="Grow η⁺")),
    0.01,
    latex_lines(r"s_t = g_t\, p_{t-1},\ \Delta_0 = \eta,\quad \Delta_t = \mathrm{clip}_{[10^{-6},\,50]}"
                r"\!\left(\eta^+ \Delta_{t-1}\right) \text{ if } s_t > 0",
                r"\Delta_t = \mathrm{clip}_{[10^{-6},\,50]}\!\left(\eta^- \Delta_{t-1}\right) \text{ if } s_t < 0,"
                r"\ \Delta_{t-1} \text{ if } s_t = 0",
                r"p_t = [s_t \ge 0]\,\Delta_t\,\mathrm{sign}(g_t),\quad x_{t+1} = x_t - [s_t \ge 0]\, p_{t-1}",
                r"(p_0 = 0:\ \text{optax applies each step one update late})"),
    "Gradient descent's step depends on the gradient's size, which can be "
    "tiny or huge. Rprop (1993) ignores the size: each coordinate keeps "
    "its own step, grown while the gradient's sign holds and cut when it "
    "flips. The learning rate is only the first step size. (optax 0.2.8 "
    "applies each step one update late, which slows it in curved valleys.)",
    state=state_fields(step_size="step_sizes"),
    step_rule=_rprop_rule(),
    textbook=_rprop_textbook,
    checks=Checks("eta_minus=0.4,eta_plus=1.3", (0.03, 0.03),
                  lambda lr, h, **_: optax.rprop(lr, h["eta_minus"], h["eta_plus"])),
)
