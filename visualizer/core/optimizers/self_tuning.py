"""Optimizers that set their own step size or schedule: Prodigy (estimates
the distance to the solution), schedule-free AdamW (averages instead of
decaying), Polyak's step (from the lowest value f*)."""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
import numpy as np
import optax

from visualizer.core.knobs import Knob
from visualizer.core.optimizers.checks import Checks, Update
from visualizer.core.optimizers.optimizer import B1, B2, Optimizer, beta, eps, latex_lines, state_fields, weight_decay
from visualizer.core.optimizers.step_rule import BOX, Line, StepRule, betas, col

# optax's threshold below which Polyak's step is not taken (|g|^2, float64 machine epsilon).
_POLYAK_TINY = 2.220446049250313e-16


def _with_warmup(lr: Callable, warmup_steps) -> Callable:
    """The schedule `lr` times optax's linear warm-up from 0 over
    `warmup_steps` updates (0: none, optax's None), written so that the
    number of steps may be traced."""
    w = jnp.asarray(warmup_steps, jnp.float32)

    def schedule(count):
        ramp = jnp.where(w > 0, jnp.clip(count, 0, w) / jnp.maximum(w, 1.0), 1.0)
        return lr(count) * ramp

    return schedule


def _schedule_free_average(state, params):
    """The averaged point of schedule-free AdamW, where its loss is meant to
    be read (optax.contrib.schedule_free_eval_params)."""
    return optax.contrib.schedule_free_eval_params(optax.tree_utils.tree_get(state, "ScheduleFreeState"), params)


# ------------------------------------------------------------ Inside a step

def _prodigy_rule() -> StepRule:
    def values(c):
        out = betas(c, "b1", "b2") | {"eps": float(c.h["eps"]), "wd": float(c.h["weight_decay"]), "g2": c.g**2}
        dprev = c.prev("d", 1e-6)[:, :1]
        out["dprev"] = dprev
        out["dnow"] = c.state["d"][:, :1]
        out["sbc2"] = np.sqrt(out["bc2"])
        out["gamma"] = col(c.lr) * dprev * out["sbc2"] / out["bc1"]
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
        values, lambda c: {"m": 0.0, "v": 0.0}, box=BOX,
        note="d starts at 10^-6 and only grows: the first steps are tiny.")


def _schedule_free_rule() -> StepRule:
    def values(c):
        out = {"b1": float(c.h["b1"]), "c1": 1.0 - float(c.h["b1"]), "b2": float(c.h["b2"]),
               "c2": 1.0 - float(c.h["b2"]), "eps": float(c.h["eps"]), "wd": float(c.h["weight_decay"]),
               "g2": c.g**2}
        out["bc2"] = col(1.0 - out["b2"] ** c.t)
        w = float(c.h["warmup_steps"])
        k = c.t[:, 0] - 1
        ramp = (lambda j: np.minimum(j, w) / w) if w > 0 else (lambda j: np.ones_like(j))
        lr_w = c.lr * ramp(k)
        mu = np.maximum.accumulate(c.lr_next * ramp(k + 1))
        total = np.cumsum(mu * mu)
        with np.errstate(invalid="ignore", divide="ignore"):
            cc = np.where(total > 0, mu * mu / np.where(total > 0, total, 1.0), 0.0)
        out |= {"lr_w": col(lr_w), "mu_t": col(mu), "musum": col(total), "c": col(cc)}
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
        box=BOX, note="The box is z's per-coordinate step size; the point drawn is x, between z and the average.")


def _polyak_rule() -> StepRule:
    def values(c):
        gg = col(np.sum(c.g**2, axis=1))
        f_min = float(c.extra["f_min"])
        with np.errstate(invalid="ignore", divide="ignore"):
            gamma = np.where(gg <= _POLYAK_TINY, 0.0, np.minimum((col(c.f) - f_min) / gg, col(c.lr)))
        return {"gg": gg, "fmin": f_min, "gamma": gamma}

    return StepRule(
        (Line(r"\gamma_t = \min\!\left(\frac{f(x_t) - f^*}{\lVert g_t\rVert^2},\ \eta_t\right)",
              r"\min\!\left(\frac{@f - @fmin}{@gg},\ @lr\right)", "gamma",
              lambda q: np.where(q.gg <= _POLYAK_TINY, 0.0, np.minimum((q.f - q.fmin) / q.gg, q.lr))),
         Line(r"x_{t+1} = x_t - \gamma_t\, g_t", r"@x - @gamma\, @g", "xn", lambda q: q.x - q.gamma * q.g)),
        values)


# ------------------------------------------------------------ textbook updates (the tests' reference)

def _prodigy_textbook(u: Update):
    b1, b2, t, d0 = u.h["b1"], u.h["b2"], u.t, 1e-6
    d = u.memory.get("d", d0)
    gamma = u.lr * d * np.sqrt(1 - b2**t) / (1 - b1**t)
    m = b1 * u.memory.get("m", 0.0) + (1 - b1) * d * u.g
    v = b2 * u.memory.get("v", 0.0) + (1 - b2) * d * d * u.g * u.g
    sum_g = np.sqrt(b2) * u.memory.get("s", 0.0) + gamma * d / d0 * u.g
    r = np.sqrt(b2) * u.memory.get("r", 0.0) + gamma * d / d0 * np.dot(u.g, u.start - u.x)
    u.memory.update(m=m, v=v, s=sum_g, r=r, d=max(d, r / np.abs(sum_g).sum()))
    return u.x - gamma * (m / (np.sqrt(v) + d * u.h["eps"]) + u.h["weight_decay"] * u.x)


def _schedule_free_textbook(u: Update):
    """optax's warm-up ramps the rate linearly from 0 over `warmup_steps`
    updates, counting from 0; the averaging weights read the (warmed)
    rate one update ahead."""
    b1, b2, w, t = u.h["b1"], u.h["b2"], u.h["warmup_steps"], u.t

    def warmed(lr, count):
        return lr * (min(count, w) / w if w else 1.0)

    lr = warmed(u.lr, t - 1)
    z = u.memory.get("z", u.start)
    mean = u.memory.get("mean", u.start)
    mu = max(u.memory.get("mu", 0.0), warmed(u.lr_next, t))
    total = u.memory.get("total", 0.0) + mu * mu
    c = mu * mu / total if total else 0.0
    v = b2 * u.memory.get("v", 0.0) + (1 - b2) * u.g * u.g
    z = z - lr * (u.g / (np.sqrt(v / (1 - b2**t)) + u.h["eps"]) + u.h["weight_decay"] * u.x)
    mean = (1 - c) * mean + c * z
    u.memory.update(z=z, mean=mean, mu=mu, total=total, v=v)
    return b1 * mean + (1 - b1) * z


def _polyak_textbook(u: Update):
    norm2 = float(np.dot(u.g, u.g))
    step = 0.0 if norm2 <= _POLYAK_TINY else min((u.f(u.x) - u.f_min) / norm2, u.lr)
    return u.x - step * u.g


# ------------------------------------------------------------ the entries

PRODIGY = Optimizer(
    "prodigy", "Prodigy", "optax.contrib.prodigy(lr, betas=(b1, b2), eps=eps, weight_decay=weight_decay)",
    lambda lr, h, land: optax.contrib.prodigy(lr, betas=(h["b1"], h["b2"]), eps=h["eps"],
                                              weight_decay=h["weight_decay"]),
    (B1, B2, eps(1e-8, "times d, added to the denominator"), weight_decay(0.0)),
    1.0,
    latex_lines(r"\gamma_t = \eta_t\, d_{t-1} \tfrac{\sqrt{1-\beta_2^t}}{1-\beta_1^t},\ m_t = \beta_1 m_{t-1}"
                r" + (1-\beta_1) d_{t-1} g_t,\ v_t = \beta_2 v_{t-1} + (1-\beta_2) d_{t-1}^2 g_t^2",
                r"x_{t+1} = x_t - \gamma_t\left(\frac{m_t}{\sqrt{v_t} + d_{t-1}\epsilon} + \lambda x_t\right),\quad "
                r"d_t = \max\!\left(d_{t-1}, \tfrac{r_t}{\lVert s_t\rVert_1}\right),\ d_0 = 10^{-6}",
                r"r_t = \sqrt{\beta_2}\, r_{t-1} + \tfrac{\gamma_t d_{t-1}}{d_0}\langle g_t, x_1 - x_t\rangle,\ "
                r"s_t = \sqrt{\beta_2}\, s_{t-1} + \tfrac{\gamma_t d_{t-1}}{d_0}\, g_t"),
    "Adam still needs its learning rate tuned. Prodigy estimates the "
    "step's scale d (roughly the distance to the solution) as it goes, "
    "from how the gradients line up with the way travelled, so lr = 1 "
    "works; d starts tiny and only grows, so the first steps are very "
    "cautious.",
    state=state_fields(m="exp_avg", v="exp_avg_sq", d="estim_lr"),
    step_rule=_prodigy_rule(),
    textbook=_prodigy_textbook,
    checks=Checks("b1=0.8,b2=0.95,eps=1e-08,weight_decay=0.1", (1.0, 1.0),
                  lambda lr, h, **_: optax.contrib.prodigy(lr, betas=(h["b1"], h["b2"]), eps=h["eps"],
                                                           weight_decay=h["weight_decay"])),
)

SCHEDULE_FREE_ADAMW = Optimizer(
    "schedule_free_adamw", "Schedule-free AdamW",
    "optax.contrib.schedule_free_adamw(lr, warmup_steps=warmup_steps or None, b1=b1, b2=b2, eps=eps, "
    "weight_decay=weight_decay)",
    lambda lr, h, land: optax.contrib.schedule_free_adamw(
        _with_warmup(lr, h["warmup_steps"]), None, b1=h["b1"], b2=h["b2"], eps=h["eps"],
        weight_decay=h["weight_decay"]),
    (Knob("warmup_steps", 0, 0, 10000, "w", "steps of linear warm-up from 0 (0: none)",
          title="Warm-up steps w", integer=True),
     beta("b1", 0.9, r"\beta_1", "interpolation between the average and the latest iterate", low_open=True),
     B2, eps(1e-8), weight_decay(0.0)),
    0.5,
    latex_lines(r"v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad z_{t+1} = z_t - \eta_t\left(\frac{g_t}"
                r"{\sqrt{v_t/(1-\beta_2^t)} + \epsilon} + \lambda x_t\right),\quad z_1 = \bar x_1 = x_1",
                r"\bar x_{t+1} = (1-c_t)\,\bar x_t + c_t\, z_{t+1},\ c_t = \tfrac{\mu_t^2}{\sum_{s \le t} "
                r"\mu_s^2},\ \mu_t = \max_{s \le t} \eta_{s+1}",
                r"x_{t+1} = \beta_1 \bar x_{t+1} + (1-\beta_1)\, z_{t+1}\quad (\eta_t \text{ ramps up from 0 over "
                r"the first } w \text{ updates})"),
    "A decaying schedule must know in advance how long training runs. "
    "Schedule-free AdamW replaces it by an AdamW step on one sequence z "
    "and a running average of z, taking gradients between the two: stop "
    "at any step and use the average. The path drawn is where the "
    "gradient is taken; the average is its state.",
    state=(*state_fields(z="z", v="nu"), ("average", _schedule_free_average)),
    step_rule=_schedule_free_rule(),
    textbook=_schedule_free_textbook,
    checks=Checks("warmup_steps=5,b1=0.8,b2=0.95,eps=0.05,weight_decay=0.1", (0.3, 0.3),
                  lambda lr, h, **_: optax.contrib.schedule_free_adamw(lr, h["warmup_steps"], h["b1"], h["b2"],
                                                                       h["eps"], h["weight_decay"])),
)

POLYAK_SGD = Optimizer(
    "polyak_sgd", "Polyak SGD", "optax.polyak_sgd(max_learning_rate=lr, f_min=f*)",
    lambda lr, h, land: optax.inject_hyperparams(optax.polyak_sgd)(
        max_learning_rate=lr, f_min=land.f_min),
    (), 1.0,
    r"x_{t+1} = x_t - \min\!\left(\frac{f(x_t) - f^*}{\lVert g_t\rVert^2},\ \eta_t\right) g_t\quad "
    r"(\text{no step if } \lVert g_t\rVert^2 \le 2.2\cdot 10^{-16})",
    "Gradient descent needs its step size chosen by hand. Knowing the "
    "lowest value f*, Polyak's step (f - f*) / |g|^2 is the one that "
    "would reach f* if the function were linear: long far away, short "
    "near the minimum. Here f* is the surface's minimum (estimated on a "
    "formula); the learning rate caps the step.",
    needs_f_min=True,
    step_rule=_polyak_rule(),
    textbook=_polyak_textbook,
    checks=Checks("", (0.3, 0.05), lambda lr, h, f_min, **_: optax.polyak_sgd(max_learning_rate=lr, f_min=f_min)),
)
