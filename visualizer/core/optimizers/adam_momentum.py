"""Adam's descendants that rework its first moment: Adan (a running mean of
the gradient's changes), ADOPT (normalise first, then average), AdEMAMix
(a second, very slow running mean)."""

from __future__ import annotations

import numpy as np
import optax

from visualizer.core.knobs import Knob
from visualizer.core.optimizers.adam import (
    ADAM_RATE,
    ADAM_STATE,
    HATS_TEX,
    MHAT,
    VHAT,
    ZERO_MV,
    adam_values,
    moment_line,
    second_line,
)
from visualizer.core.optimizers.checks import Checks, Update
from visualizer.core.optimizers.optimizer import B1, B2, Optimizer, beta, eps, latex_lines, state_fields, weight_decay
from visualizer.core.optimizers.step_rule import BOX, Drawing, Line, StepRule, betas, col

# ------------------------------------------------------------ Inside a step


def _adan_rule() -> StepRule:
    def values(c):
        out = betas(c, "b1", "b2", "b3") | {"eps": float(c.h["eps"]), "wd": float(c.h["weight_decay"])}
        g_prev = np.concatenate([c.g[:1], c.g[:-1]])
        d = c.g - g_prev
        later = (c.t > 1).astype(np.float64)
        out |= {"d": d, "q2": (c.g + out["c2"] * d) ** 2, "later": later, "first": 1.0 - later}
        out["mix"] = c.state["m"] / out["bc1"] + out["c2"] * c.state["v"] / out["bc2"]
        out["rate"] = col(c.lr) / (np.sqrt(c.state["n"] / out["bc3"] + 1e-8) + out["eps"])
        return out

    return StepRule(
        (Line(r"d_t = g_t - g_{t-1}", r"@g - @g_prev", "d", lambda q: q.g - q.g_prev, when="later"),
         Line(r"d_1 = 0", when="first"),
         moment_line(),
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
        moment=Drawing("\u2212\u03b7 (m\u0302 + (1\u2212\u03b2\u2082) v\u0302)", ("lr", "mix")), box=BOX)


def _adopt_rule() -> StepRule:
    def values(c):
        out = betas(c, "b1", "b2") | {"eps": float(c.h["eps"]), "g2": c.g**2}
        later = (c.t > 1).astype(np.float64)
        scale = np.maximum(np.sqrt(c.prev("v", 0.0)), out["eps"])
        bound = col((c.t[:, 0] - 1) ** 0.25)
        ratio = c.g / scale
        out |= {"later": later, "first": 1.0 - later, "ratio": ratio, "bound": bound,
                "clipped": np.clip(ratio, -bound, bound),
                "rate": np.where(later > 0, col(c.lr) / scale, np.nan)}
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
        values, ZERO_MV, box=BOX,
        note="ADOPT's first moment is already divided by the scale: -lr * m is the update itself, so no arrow of its own.")


def _ademamix_rule() -> StepRule:
    def values(c):
        out = adam_values(c) | {"b3": float(c.h["b3"]), "c3": 1.0 - float(c.h["b3"]), "alpha": float(c.h["alpha"])}
        out["mix"] = out["mhat"] + out["alpha"] * c.state["m_slow"]
        return out

    return StepRule(
        (moment_line(),
         moment_line("b3", "c3", "m_slow", r"\tilde m"),
         second_line(), MHAT, VHAT,
         Line(r"\hat m_t + \alpha\, \tilde m_t", r"@mhat + @alpha\, @m_slow", "mix", lambda q: q.mhat + q.alpha * q.m_slow),
         ADAM_RATE,
         Line(r"x_{t+1} = x_t - \frac{\eta_t}{\sqrt{\hat v_t}+\epsilon} \odot \left(\hat m_t + \alpha\, \tilde m_t\right)",
              r"@x - @rate \odot @mix", "xn", lambda q: q.x - q.rate * q.mix)),
        values, lambda c: {"m": 0.0, "m_slow": 0.0, "v": 0.0},
        moment=Drawing("\u2212\u03b7 (m\u0302 + \u03b1 m\u0303) (both moments)", ("lr", "mix")), box=BOX)


# ------------------------------------------------------------ textbook updates (the tests' reference)

def _adan_textbook(u: Update):
    b1, b2, b3, t = u.h["b1"], u.h["b2"], u.h["b3"], u.t
    d = 0.0 if t == 1 else u.g - u.memory["g"]
    m = b1 * u.memory.get("m", 0.0) + (1 - b1) * u.g
    v = b2 * u.memory.get("v", 0.0) + (1 - b2) * d
    n = b3 * u.memory.get("n", 0.0) + (1 - b3) * (u.g + (1 - b2) * d) ** 2
    u.memory.update(m=m, v=v, n=n, g=u.g)
    m_hat, v_hat, n_hat = m / (1 - b1**t), v / (1 - b2**t), n / (1 - b3**t)
    step = (m_hat + (1 - b2) * v_hat) / (np.sqrt(n_hat + 1e-8) + u.h["eps"]) + u.h["weight_decay"] * u.x
    return u.x - u.lr * step


def _adopt_textbook(u: Update):
    """No move at t = 1: v starts at g^2 and m at 0."""
    b1, b2, t = u.h["b1"], u.h["b2"], u.t
    before = u.memory.get("v", 0.0)
    if t == 1:
        v, m = u.g * u.g, np.zeros(2)
    else:
        v = b2 * before + (1 - b2) * u.g * u.g
        bound = (t - 1) ** 0.25
        m = b1 * u.memory["m"] + (1 - b1) * np.clip(u.g / np.maximum(np.sqrt(before), u.h["eps"]), -bound, bound)
    u.memory.update(v=v, m=m)
    return u.x - u.lr * m


def _ademamix_textbook(u: Update):
    b1, b2, b3, t = u.h["b1"], u.h["b2"], u.h["b3"], u.t
    m = b1 * u.memory.get("m", 0.0) + (1 - b1) * u.g
    slow = b3 * u.memory.get("slow", 0.0) + (1 - b3) * u.g
    v = b2 * u.memory.get("v", 0.0) + (1 - b2) * u.g * u.g
    u.memory.update(m=m, slow=slow, v=v)
    return u.x - u.lr * ((m / (1 - b1**t) + u.h["alpha"] * slow) / (np.sqrt(v / (1 - b2**t)) + u.h["eps"]))


# ------------------------------------------------------------ the entries

ADAN = Optimizer(
    "adan", "Adan", "optax.adan(lr, b1=b1, b2=b2, b3=b3, eps=eps, weight_decay=weight_decay)",
    lambda lr, h, land: optax.adan(lr, b1=h["b1"], b2=h["b2"], b3=h["b3"], eps=h["eps"],
                                   weight_decay=h["weight_decay"]),
    (beta("b1", 0.98, r"\beta_1", "decay of the gradient's running mean"),
     beta("b2", 0.92, r"\beta_2", "decay of the running mean of gradient differences"),
     beta("b3", 0.99, r"\beta_3", "decay of the running mean of the squared corrected gradient"),
     eps(1e-8), weight_decay(0.0)),
    0.3,
    latex_lines(r"d_t = g_t - g_{t-1}\ (d_1 = 0),\ m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\ "
                r"v_t = \beta_2 v_{t-1} + (1-\beta_2) d_t",
                r"n_t = \beta_3 n_{t-1} + (1-\beta_3)\big(g_t + (1-\beta_2) d_t\big)^2,\quad "
                r"\hat m_t, \hat v_t, \hat n_t = \tfrac{m_t}{1-\beta_1^t}, \tfrac{v_t}{1-\beta_2^t}, "
                r"\tfrac{n_t}{1-\beta_3^t}",
                r"x_{t+1} = x_t - \eta_t\left(\frac{\hat m_t + (1-\beta_2)\,\hat v_t}{\sqrt{\hat n_t + 10^{-8}}"
                r" + \epsilon} + \lambda x_t\right)"),
    "Where NAdam looks ahead by extrapolating the momentum, Adan adds a "
    "running mean of how the gradient has been changing (g_t - g_{t-1}) "
    "to the step and to its scale: it anticipates where the gradient is "
    "heading without a second gradient evaluation. (optax 0.2.8 weights "
    "that term by 1 - b2 where the paper uses b2.)",
    state=state_fields(m="m", v="v", n="n"),
    step_rule=_adan_rule(),
    textbook=_adan_textbook,
    checks=Checks("b1=0.9,b2=0.8,b3=0.95,eps=0.05,weight_decay=0.2", (0.1, 0.1),
                  lambda lr, h, **_: optax.adan(lr, h["b1"], h["b2"], h["b3"], h["eps"],
                                                weight_decay=h["weight_decay"])),
)

ADOPT = Optimizer(
    "adopt", "ADOPT", "optax.contrib.adopt(lr, b1=b1, b2=b2, eps=eps)",
    lambda lr, h, land: optax.contrib.adopt(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
    (B1, beta("b2", 0.9999, r"\beta_2", "decay of the squared gradient's running mean"),
     eps(1e-6, "a floor under the root of v (a maximum, not a sum)")),
    1.0,
    latex_lines(r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\,\mathrm{clip}\!\left(\frac{g_t}{\max(\sqrt{v_{t-1}},"
                r"\,\epsilon)},\ \pm(t-1)^{1/4}\right),\quad x_{t+1} = x_t - \eta_t\, m_t",
                r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,\quad v_1 = g_1^2,\ m_1 = 0\ "
                r"(\text{no move at } t = 1)"),
    "Adam can fail to converge unless b2 suits the problem, because each "
    "gradient sits in its own denominator. ADOPT divides the gradient by "
    "a second moment that has not seen it yet and averages after "
    "dividing, so it converges with any b2.",
    state=ADAM_STATE,
    step_rule=_adopt_rule(),
    textbook=_adopt_textbook,
    checks=Checks("b1=0.8,b2=0.95,eps=0.05", (0.3, 0.3),
                  lambda lr, h, **_: optax.contrib.adopt(lr, h["b1"], h["b2"], h["eps"])),
)

ADEMAMIX = Optimizer(
    "ademamix", "AdEMAMix", "optax.contrib.ademamix(lr, b1=b1, b2=b2, b3=b3, alpha=alpha, eps=eps)",
    lambda lr, h, land: optax.contrib.ademamix(lr, b1=h["b1"], b2=h["b2"], b3=h["b3"],
                                               alpha=h["alpha"], eps=h["eps"]),
    (B1, B2, beta("b3", 0.9999, r"\beta_3", "decay of the slow running mean"),
     Knob("alpha", 5.0, 0.0, 20.0, r"\alpha", "weight of the slow running mean", title="Slow weight α"),
     eps(1e-8)),
    0.2,
    latex_lines(r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\ \tilde m_t = \beta_3 \tilde m_{t-1} + (1-\beta_3) g_t,"
                r"\ v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2",
                r"x_{t+1} = x_t - \eta_t\,\frac{\hat m_t + \alpha\,\tilde m_t}{\sqrt{\hat v_t} + \epsilon},\quad "
                + HATS_TEX + r"\ (\tilde m_t \text{ not corrected})"),
    "One running mean must choose between reacting fast and remembering "
    "long. AdEMAMix keeps Adam's fast mean and adds a very slow one "
    "(b3 = 0.9999) weighted by alpha, so gradients from thousands of "
    "steps ago still push.",
    state=state_fields(m="m1", m_slow="m2", v="nu"),
    step_rule=_ademamix_rule(),
    textbook=_ademamix_textbook,
    checks=Checks("b1=0.8,b2=0.95,b3=0.99,alpha=3,eps=0.05", (0.05, 0.05),
                  lambda lr, h, **_: optax.contrib.ademamix(lr, h["b1"], h["b2"], h["b3"], h["alpha"], h["eps"])),
)
