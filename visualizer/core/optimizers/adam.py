"""Adam and the variants that change its step or its scale: Adam, AdamW,
NAdam, AMSGrad, AdaBelief, Adamax, RAdam, Yogi. Also the pieces of Adam's
rule that later families reuse (its running means, their bias corrections,
its per-coordinate rate)."""

from __future__ import annotations

import numpy as np
import optax

from visualizer.core.knobs import Knob
from visualizer.core.optimizers.checks import SURFACE_RATE, Checks, Update
from visualizer.core.optimizers.optimizer import (
    B1,
    B2,
    Optimizer,
    Stability,
    eps,
    latex_lines,
    state_fields,
    weight_decay,
)
from visualizer.core.optimizers.step_rule import BOX, Context, Drawing, Line, StepRule, betas, col

# ------------------------------------------------------------ the LaTeX rules' shared parts

# Adam's running means and their bias corrections.
MOMENTS_TEX = r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\ v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2"
HATS_TEX = r"\hat m_t = \tfrac{m_t}{1-\beta_1^t},\ \hat v_t = \tfrac{v_t}{1-\beta_2^t}"
_ADAM_STEP_TEX = r"\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}"
ADAM_STATE = state_fields(m="mu", v="nu")
# Adam's update is lr P^-1 m with P = (1 - b1^t)(sqrt(v / (1 - b2^t)) + eps)
# (optax's bias-corrected step rewritten around the raw first moment m), so
# it is gradient descent with momentum b1 on the preconditioned loss: stable
# while the top eigenvalue of P^-1 H stays under (2 + 2 b1) / ((1 - b1) lr),
# 38/lr at b1 = 0.9 (Cohen et al. 2022, their P).
ADAM_STABILITY = Stability(
    lambda lr, h: (2 + 2 * h["b1"]) / ((1 - h["b1"]) * lr), "(2+2β₁)/((1−β₁)lr)",
    preconditioner=lambda v, t, h: (1 - h["b1"] ** t) * ((v / (1 - h["b2"] ** t)) ** 0.5 + h["eps"]))


# ------------------------------------------------------------ Inside a step: shared lines

def moment_line(b="b1", c="c1", name="m", sym="m", of="g", of_sym="g_t") -> Line:
    """A running mean of `of` with decay `b` (b1 or b3)."""
    return Line(rf"{sym}_t = \beta_1 {sym}_{{t-1}} + (1-\beta_1)\, {of_sym}" if b == "b1" else
                rf"{sym}_t = \beta_3 {sym}_{{t-1}} + (1-\beta_3)\, {of_sym}",
                rf"@{b}\, @{name}_prev + @{c}\, @{of}", name,
                lambda q: getattr(q, b) * getattr(q, name + "_prev") + getattr(q, c) * getattr(q, of))


def second_line(name="v", sym="v") -> Line:
    return Line(rf"{sym}_t = \beta_2 {sym}_{{t-1}} + (1-\beta_2)\, g_t^2", rf"@b2\, @{name}_prev + @c2\, @g2", name,
                lambda q: q.b2 * getattr(q, name + "_prev") + q.c2 * q.g2)


MHAT = Line(r"\hat m_t = \frac{m_t}{1-\beta_1^t}", r"\frac{@m}{@bc1}", "mhat", lambda q: q.m / q.bc1)
VHAT = Line(r"\hat v_t = \frac{v_t}{1-\beta_2^t}", r"\frac{@v}{@bc2}", "vhat", lambda q: q.v / q.bc2)
ADAM_RATE = Line(r"\frac{\eta_t}{\sqrt{\hat v_t}+\epsilon}", r"\frac{@lr}{\sqrt{@vhat} + @eps}", "rate",
                 lambda q: q.lr / (np.sqrt(q.vhat) + q.eps))
_ADAM_X = Line(r"x_{t+1} = x_t - \frac{\eta_t}{\sqrt{\hat v_t}+\epsilon} \odot \hat m_t", r"@x - @rate \odot @mhat",
               "xn", lambda q: q.x - q.rate * q.mhat)
_MHAT_ARROW = Drawing("\u2212\u03b7 m\u0302 (first moment)", ("lr", "mhat"))


def adam_values(c: Context, vname="v") -> dict:
    """Adam's numbers: betas, eps, g^2, m-hat, v-hat and the per-coordinate rate."""
    out = betas(c, "b1", "b2") | {"eps": float(c.h["eps"]), "g2": c.g**2}
    m, v = c.state["m"], c.state[vname]
    out["mhat"] = m / out["bc1"]
    out["vhat"] = v / out["bc2"]
    out["rate"] = col(c.lr) / (np.sqrt(out["vhat"]) + out["eps"])
    return out


ZERO_MV = lambda c: {"m": 0.0, "v": 0.0}


# ------------------------------------------------------------ Inside a step: the rules

def _adam_rule(kind: str) -> StepRule:
    lines = [moment_line(), second_line(), MHAT, VHAT, ADAM_RATE, _ADAM_X]
    values = adam_values
    if kind == "adamw":
        lines[-1] = Line(r"x_{t+1} = x_t - \frac{\eta_t}{\sqrt{\hat v_t}+\epsilon} \odot \hat m_t - \eta_t \lambda\, x_t",
                         r"@x - @rate \odot @mhat - @lr\, @wd\, @x", "xn",
                         lambda q: q.x - q.rate * q.mhat - q.lr * q.wd * q.x)
        values = lambda c: adam_values(c) | {"wd": float(c.h["weight_decay"])}  # noqa: E731
    elif kind == "nadam":
        lines[2] = Line(r"\hat m_t = \beta_1\frac{m_t}{1-\beta_1^{t+1}} + (1-\beta_1)\frac{g_t}{1-\beta_1^t}",
                        r"@b1\,\frac{@m}{@bc1n} + @c1\,\frac{@g}{@bc1}", "mhat",
                        lambda q: q.b1 * q.m / q.bc1n + q.c1 * q.g / q.bc1)

        def values(c):
            out = adam_values(c)
            out["bc1n"] = col(1.0 - out["b1"] ** (c.t + 1))
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
            out = adam_values(c)
            out["rate"] = col(c.lr) / (np.sqrt(c.state["v_max"]) + out["eps"])
            return out
    init = (lambda c: {"m": 0.0, "v": 0.0, "v_max": 0.0}) if kind == "amsgrad" else ZERO_MV
    return StepRule(tuple(lines), values, init, moment=_MHAT_ARROW, box=BOX)


def _adabelief_rule() -> StepRule:
    def values(c):
        out = betas(c, "b1", "b2") | {"eps": float(c.h["eps"]), "dev2": (c.g - c.state["m"]) ** 2}
        out["mhat"] = c.state["m"] / out["bc1"]
        out["shat"] = c.state["s"] / out["bc2"]
        out["rate"] = col(c.lr) / (np.sqrt(out["shat"]) + out["eps"])
        return out

    return StepRule(
        (moment_line(),
         Line(r"s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2 + 10^{-16}", r"@b2\, @s_prev + @c2\, @dev2 + 10^{-16}",
              "s", lambda q: q.b2 * q.s_prev + q.c2 * q.dev2 + 1e-16),
         MHAT,
         Line(r"\hat s_t = \frac{s_t}{1-\beta_2^t}", r"\frac{@s}{@bc2}", "shat", lambda q: q.s / q.bc2),
         Line(r"\frac{\eta_t}{\sqrt{\hat s_t}+\epsilon}", r"\frac{@lr}{\sqrt{@shat} + @eps}", "rate",
              lambda q: q.lr / (np.sqrt(q.shat) + q.eps)),
         _ADAM_X),
        values, lambda c: {"m": 0.0, "s": 0.0}, moment=_MHAT_ARROW, box=BOX)


def _adamax_rule() -> StepRule:
    def values(c):
        out = betas(c, "b1", "b2") | {"eps": float(c.h["eps"]), "absg": np.abs(c.g)}
        out["rate"] = col(c.lr) / (out["bc1"] * c.state["u"])
        out["mhat"] = c.state["m"] / out["bc1"]
        return out

    return StepRule(
        (moment_line(),
         Line(r"u_t = \max\!\left(\beta_2 u_{t-1},\ |g_t| + \epsilon\right)", r"\max\!\left(@b2\, @u_prev,\ @absg + @eps\right)",
              "u", lambda q: np.maximum(q.b2 * q.u_prev, q.absg + q.eps)),
         Line(r"\frac{\eta_t}{(1-\beta_1^t)\, u_t}", r"\frac{@lr}{@bc1\, @u}", "rate", lambda q: q.lr / (q.bc1 * q.u)),
         Line(r"x_{t+1} = x_t - \frac{\eta_t}{(1-\beta_1^t)\, u_t} \odot m_t", r"@x - @rate \odot @m", "xn",
              lambda q: q.x - q.rate * q.m)),
        values, lambda c: {"m": 0.0, "u": 0.0}, moment=_MHAT_ARROW, box=BOX)


def _radam_rule() -> StepRule:
    def values(c):
        out = adam_values(c)
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
                "rate": np.where(rect, col(c.lr) * r / (np.sqrt(out["vhat"]) + out["eps"]), np.nan)}
        return out

    rect = "rect"
    return StepRule(
        (moment_line(), second_line(), MHAT, VHAT,
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
        values, ZERO_MV, moment=_MHAT_ARROW, box=BOX,
        note="Until the variance estimate is trustworthy (rho_t < rho_min) RAdam takes plain momentum steps: no box.")


def _yogi_rule() -> StepRule:
    def values(c):
        out = adam_values(c)
        out["sgn"] = np.sign(c.prev("v", 1e-6) - out["g2"])
        return out

    return StepRule(
        (moment_line(),
         Line(r"v_t = v_{t-1} - (1-\beta_2)\, \mathrm{sign}(v_{t-1} - g_t^2) \odot g_t^2",
              r"@v_prev - @c2\, @sgn \odot @g2", "v", lambda q: q.v_prev - q.c2 * q.sgn * q.g2),
         MHAT, VHAT, ADAM_RATE, _ADAM_X),
        values, lambda c: {"m": 1e-6, "v": 1e-6}, moment=_MHAT_ARROW, box=BOX)


# ------------------------------------------------------------ textbook updates (the tests' reference)

def _moments(u: Update):
    """Adam's m and v after this update, kept in memory, and their bias-corrected m-hat, v-hat."""
    b1, b2 = u.h["b1"], u.h["b2"]
    m = b1 * u.memory.get("m", 0.0) + (1 - b1) * u.g
    v = b2 * u.memory.get("v", 0.0) + (1 - b2) * u.g * u.g
    u.memory.update(m=m, v=v)
    return m, v, m / (1 - b1**u.t), v / (1 - b2**u.t)


def _adam_textbook(u: Update):
    _, _, m_hat, v_hat = _moments(u)
    return u.x - u.lr * (m_hat / (np.sqrt(v_hat) + u.h["eps"]))


def _adamw_textbook(u: Update):
    _, _, m_hat, v_hat = _moments(u)
    return u.x - u.lr * (m_hat / (np.sqrt(v_hat) + u.h["eps"]) + u.h["weight_decay"] * u.x)


def _nadam_textbook(u: Update):
    b1, t = u.h["b1"], u.t
    m, _, _, v_hat = _moments(u)
    m_hat = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * u.g / (1 - b1**t)
    return u.x - u.lr * (m_hat / (np.sqrt(v_hat) + u.h["eps"]))


def _amsgrad_textbook(u: Update):
    _, _, m_hat, v_hat = _moments(u)
    v_max = u.memory["v_max"] = np.maximum(u.memory.get("v_max", 0.0), v_hat)
    return u.x - u.lr * (m_hat / (np.sqrt(v_max) + u.h["eps"]))


def _radam_textbook(u: Update):
    b2, t = u.h["b2"], u.t
    _, _, m_hat, v_hat = _moments(u)
    rho_inf = 2 / (1 - b2) - 1
    rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho < u.h["threshold"]:
        return u.x - u.lr * m_hat
    r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
    return u.x - u.lr * (r * m_hat / (np.sqrt(v_hat) + u.h["eps"]))


def _adabelief_textbook(u: Update):
    b1, b2, t = u.h["b1"], u.h["b2"], u.t
    m = b1 * u.memory.get("m", 0.0) + (1 - b1) * u.g
    s = b2 * u.memory.get("s", 0.0) + (1 - b2) * (u.g - m) ** 2 + 1e-16
    u.memory.update(m=m, s=s)
    return u.x - u.lr * ((m / (1 - b1**t)) / (np.sqrt(s / (1 - b2**t)) + u.h["eps"]))


def _adamax_textbook(u: Update):
    b1, b2 = u.h["b1"], u.h["b2"]
    m = b1 * u.memory.get("m", 0.0) + (1 - b1) * u.g
    inf_norm = np.maximum(b2 * u.memory.get("u", 0.0), np.abs(u.g) + u.h["eps"])
    u.memory.update(m=m, u=inf_norm)
    return u.x - u.lr * (m / ((1 - b1**u.t) * inf_norm))


def _yogi_textbook(u: Update):
    b1, b2, t = u.h["b1"], u.h["b2"], u.t
    m = b1 * u.memory.get("m", 1e-6) + (1 - b1) * u.g
    before = u.memory.get("v", 1e-6)
    v = before - (1 - b2) * np.sign(before - u.g * u.g) * u.g * u.g
    u.memory.update(m=m, v=v)
    return u.x - u.lr * ((m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + u.h["eps"]))


# ------------------------------------------------------------ the entries

ADAM = Optimizer(
    "adam", "Adam", "optax.adam(lr, b1=b1, b2=b2, eps=eps)",
    lambda lr, h, land: optax.adam(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
    (B1, B2, eps(1e-8)), 0.05,
    latex_lines(MOMENTS_TEX + r",\quad " + HATS_TEX, r"x_{t+1} = x_t - \eta_t\," + _ADAM_STEP_TEX),
    "RMSProp plus momentum, with both running means corrected for their "
    "start at zero, so the first steps are the right size.",
    state=ADAM_STATE,
    stability=ADAM_STABILITY,
    step_rule=_adam_rule("adam"),
    textbook=_adam_textbook,
    checks=Checks("b1=0.8,b2=0.95,eps=0.05", (0.1, 0.1),
                  lambda lr, h, **_: optax.adam(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"])),
)

ADAMW = Optimizer(
    "adamw", "AdamW", "optax.adamw(lr, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay)",
    lambda lr, h, land: optax.adamw(
        lr, b1=h["b1"], b2=h["b2"], eps=h["eps"], weight_decay=h["weight_decay"]),
    (B1, B2, eps(1e-8), weight_decay(0.01)), 0.05,
    latex_lines(MOMENTS_TEX + r",\quad " + HATS_TEX,
                r"x_{t+1} = x_t - \eta_t\left(" + _ADAM_STEP_TEX + r" + \lambda\, x_t\right)"),
    "Fixes Adam's L2 regularisation: a decay added to the gradient gets "
    "divided by Adam's scale, so it pulls a weight whose loss gradient is "
    "small as hard as Adam's whole step. AdamW subtracts lr × weight_decay "
    "× x after the adaptive step: decoupled from Adam's normalisation, not "
    "from the learning rate (optax multiplies the decay by lr).",
    state=ADAM_STATE,
    stability=ADAM_STABILITY,
    step_rule=_adam_rule("adamw"),
    textbook=_adamw_textbook,
    checks=Checks("b1=0.85,b2=0.99,eps=0.1,weight_decay=0.5", (0.1, 0.1),
                  lambda lr, h, **_: optax.adamw(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"],
                                                 weight_decay=h["weight_decay"])),
)

NADAM = Optimizer(
    "nadam", "NAdam", "optax.nadam(lr, b1=b1, b2=b2, eps=eps)",
    lambda lr, h, land: optax.nadam(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
    (B1, B2, eps(1e-8)), 0.05,
    latex_lines(MOMENTS_TEX + r",\quad \hat v_t = \tfrac{v_t}{1-\beta_2^t}",
                r"x_{t+1} = x_t - \eta_t\,\frac{\beta_1 \frac{m_t}{1-\beta_1^{t+1}} + (1-\beta_1)"
                r"\frac{g_t}{1-\beta_1^{t}}}{\sqrt{\hat v_t} + \epsilon}"),
    "Adam with Nesterov's look-ahead in the first moment: the step uses "
    "the running mean as it will be after one more update.",
    state=ADAM_STATE,
    step_rule=_adam_rule("nadam"),
    textbook=_nadam_textbook,
    checks=Checks("b1=0.8,b2=0.95,eps=0.05", (0.1, 0.1),
                  lambda lr, h, **_: optax.nadam(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"])),
)

AMSGRAD = Optimizer(
    "amsgrad", "AMSGrad", "optax.amsgrad(lr, b1=b1, b2=b2, eps=eps)",
    lambda lr, h, land: optax.amsgrad(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
    (B1, B2, eps(1e-8)), 0.05,
    latex_lines(MOMENTS_TEX,
                r"\hat m_t = \tfrac{m_t}{1-\beta_1^t},\ v^{\max}_t = \max\!\left(v^{\max}_{t-1}, "
                r"\tfrac{v_t}{1-\beta_2^t}\right),\quad x_{t+1} = x_t - \eta_t\,\frac{\hat m_t}{\sqrt{v^{\max}_t} + "
                r"\epsilon}"),
    "Fixes a convergence flaw of Adam: the denominator never shrinks, so "
    "a burst of small gradients cannot blow the step up. The price: the "
    "largest (bias-corrected) squared gradient so far, often the first, "
    "caps the step for good.",
    state=state_fields(m="mu", v="nu", v_max="nu_max"),
    step_rule=_adam_rule("amsgrad"),
    textbook=_amsgrad_textbook,
    checks=Checks("b1=0.8,b2=0.95,eps=0.05", (0.1, 0.1),
                  lambda lr, h, **_: optax.amsgrad(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"])),
)

ADABELIEF = Optimizer(
    "adabelief", "AdaBelief", "optax.adabelief(lr, b1=b1, b2=b2, eps=eps)",
    lambda lr, h, land: optax.adabelief(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
    (B1, B2, eps(1e-16)), 0.05,
    latex_lines(r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\ s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2"
                r" + 10^{-16}",
                r"x_{t+1} = x_t - \eta_t\,\frac{m_t/(1-\beta_1^t)}{\sqrt{s_t/(1-\beta_2^t)} + \epsilon}"),
    "Adam whose denominator measures how far the gradient strays from its "
    "mean: large steps where the gradient is predictable.",
    state=state_fields(m="mu", s="nu"),
    step_rule=_adabelief_rule(),
    textbook=_adabelief_textbook,
    checks=Checks("b1=0.8,b2=0.95,eps=0.05", (0.1, 0.1),
                  lambda lr, h, **_: optax.adabelief(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"])),
)

ADAMAX = Optimizer(
    "adamax", "Adamax", "optax.adamax(lr, b1=b1, b2=b2, eps=eps)",
    lambda lr, h, land: optax.adamax(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
    (B1, B2, eps(1e-8, "added to |g| inside the maximum")), 0.05,
    r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\ u_t = \max(\beta_2 u_{t-1},\ |g_t| + \epsilon),\quad "
    r"x_{t+1} = x_t - \eta_t\,\frac{m_t}{(1-\beta_1^t)\, u_t}",
    "Adam with the infinity norm in place of the root mean square: the "
    "scale is the largest recent gradient, decaying slowly.",
    state=state_fields(m="mu", u="nu"),
    step_rule=_adamax_rule(),
    textbook=_adamax_textbook,
    checks=Checks("b1=0.8,b2=0.95,eps=0.05", (0.1, 0.1),
                  lambda lr, h, **_: optax.adamax(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"])),
)

RADAM = Optimizer(
    "radam", "RAdam", "optax.radam(lr, b1=b1, b2=b2, eps=eps, threshold=threshold)",
    lambda lr, h, land: optax.radam(
        lr, b1=h["b1"], b2=h["b2"], eps=h["eps"], threshold=h["threshold"]),
    (B1, B2, eps(1e-8),
     Knob("threshold", 5.0, 4.0, 100.0, r"\rho_{\min}", title="Threshold ρ_min", help=
          "variance threshold below which it takes plain momentum steps (at least 4: the rectifier "
          "needs rho > 4)")),
    0.005,
    latex_lines(MOMENTS_TEX + r",\quad " + HATS_TEX,
                r"\rho_\infty = \tfrac{2}{1-\beta_2} - 1,\ \rho_t = \rho_\infty - \tfrac{2t\beta_2^t}{1-\beta_2^t},"
                r"\ r_t = \sqrt{\tfrac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}}",
                r"x_{t+1} = x_t - \eta_t\, r_t\," + _ADAM_STEP_TEX + r"\ \text{if } \rho_t \ge \rho_{\min},\ "
                r"\text{else } x_t - \eta_t\, \hat m_t"),
    "Fixes Adam's erratic first steps, when v has seen too few gradients: "
    "until the variance estimate is trustworthy it takes plain momentum "
    "steps (unnormalised, so they scale with the gradient), then a "
    "rectifier r_t brings the adaptive step in gradually.",
    state=ADAM_STATE,
    step_rule=_radam_rule(),
    textbook=_radam_textbook,
    # Its first steps are plain momentum: their size is the gradient's.
    checks=Checks("b1=0.8,b2=0.95,eps=0.05,threshold=4.5", (0.02, 0.002),
                  lambda lr, h, **_: optax.radam(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"], threshold=h["threshold"]),
                  loop_lr=SURFACE_RATE),
)

YOGI = Optimizer(
    "yogi", "Yogi", "optax.yogi(lr, b1=b1, b2=b2, eps=eps)",
    lambda lr, h, land: optax.yogi(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
    (B1, B2, eps(1e-3)), 0.05,
    latex_lines(r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\ v_t = v_{t-1} - (1-\beta_2)\,"
                r"\mathrm{sign}(v_{t-1} - g_t^2)\, g_t^2,\ m_0 = v_0 = 10^{-6}",
                r"x_{t+1} = x_t - \eta_t\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}"),
    "Adam whose second moment changes additively, by at most (1 - b2) g^2 "
    "a step: when gradients turn small, v falls slowly instead of "
    "collapsing, so the step cannot suddenly grow.",
    state=ADAM_STATE,
    step_rule=_yogi_rule(),
    textbook=_yogi_textbook,
    checks=Checks("b1=0.8,b2=0.95,eps=0.05", (0.1, 0.1),
                  lambda lr, h, **_: optax.yogi(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"])),
)
