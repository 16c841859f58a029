"""Gradient descent and momentum: SGD, Momentum, Nesterov."""

from __future__ import annotations

import optax

from visualizer.core.knobs import Knob
from visualizer.core.optimizers.checks import SURFACE_RATE, Checks, Update
from visualizer.core.optimizers.optimizer import DECAY_STOPS, Flow, Optimizer, Stability, state_fields
from visualizer.core.optimizers.step_rule import Drawing, Line, StepRule

_MU = Knob("momentum", 0.9, 0.0, 0.999, r"\mu", "fraction of the previous step kept", title="Momentum μ",
           stops=DECAY_STOPS)


# ------------------------------------------------------------ Inside a step

def _sgd_rule() -> StepRule:
    return StepRule((Line(r"x_{t+1} = x_t - \eta_t\, g_t", r"@x - @lr\, @g", "xn", lambda q: q.x - q.lr * q.g),),
                    lambda c: {})


def _momentum_rule(nesterov: bool) -> StepRule:
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


# ------------------------------------------------------------ textbook updates (the tests' reference)

def _sgd_textbook(u: Update):
    return u.x - u.lr * u.g


def _momentum_textbook(u: Update, nesterov=False):
    v = u.h["momentum"] * u.memory.get("v", 0.0) + u.g
    u.memory["v"] = v
    return u.x - u.lr * (u.g + u.h["momentum"] * v if nesterov else v)


def _nesterov_textbook(u: Update):
    return _momentum_textbook(u, nesterov=True)


# ------------------------------------------------------------ the entries

SGD = Optimizer(
    "sgd", "SGD", "optax.sgd(lr)",
    lambda lr, h, land: optax.sgd(lr),
    (), 0.01,
    r"x_{t+1} = x_t - \eta_t\, g_t",
    "The baseline: step against the gradient. One learning rate for every "
    "direction, so the steepest direction sets the limit for all of them.",
    stability=Stability(lambda lr, h: 2 / lr, "2/lr"),
    flow=Flow("gradient flow", lambda x, u, g, lr, h: (-g, 0 * u)),
    step_rule=_sgd_rule(),
    textbook=_sgd_textbook,
    checks=Checks("", (0.03, 0.01), lambda lr, h, **_: optax.sgd(lr), loop_lr=SURFACE_RATE),
)

MOMENTUM = Optimizer(
    "momentum", "Momentum", "optax.sgd(lr, momentum=momentum)",
    lambda lr, h, land: optax.sgd(lr, momentum=h["momentum"]),
    (_MU,), 0.01,
    r"v_{t+1} = \mu\, v_t + g_t,\quad x_{t+1} = x_t - \eta_t\, v_{t+1}",
    "Fixes SGD's zig-zag in narrow valleys: oscillating components cancel "
    "in the running sum while the consistent direction builds up speed.",
    state=state_fields(velocity="trace"),
    stability=Stability(lambda lr, h: 2 * (1 + h["momentum"]) / lr, "2(1+μ)/lr"),
    flow=Flow("heavy-ball flow", lambda x, u, g, lr, h: (u, (-g - (1 - h["momentum"]) * u) / lr)),
    step_rule=_momentum_rule(nesterov=False),
    textbook=_momentum_textbook,
    checks=Checks("momentum=0.8", (0.02, 0.005), lambda lr, h, **_: optax.sgd(lr, momentum=h["momentum"]),
                  loop_lr=SURFACE_RATE),
)

NESTEROV = Optimizer(
    "nesterov", "Nesterov", "optax.sgd(lr, momentum=momentum, nesterov=True)",
    lambda lr, h, land: optax.sgd(lr, momentum=h["momentum"], nesterov=True),
    (_MU,), 0.01,
    r"v_{t+1} = \mu\, v_t + g_t,\quad x_{t+1} = x_t - \eta_t\,(g_t + \mu\, v_{t+1})",
    "Fixes momentum's overshoot: the step looks ahead along the velocity, "
    "so it brakes earlier when the slope turns.",
    state=state_fields(velocity="trace"),
    # On a quadratic of curvature S the look-ahead step is stable while
    # lr S (1 + 2 mu) < 2 (1 + mu) (Cohen et al. 2021, appendix).
    stability=Stability(lambda lr, h: 2 * (1 + h["momentum"]) / ((1 + 2 * h["momentum"]) * lr),
                        "2(1+μ)/((1+2μ)lr)"),
    step_rule=_momentum_rule(nesterov=True),
    textbook=_nesterov_textbook,
    checks=Checks("momentum=0.7", (0.02, 0.005),
                  lambda lr, h, **_: optax.sgd(lr, momentum=h["momentum"], nesterov=True), loop_lr=SURFACE_RATE),
)
