"""The optimizers: each one an optax transformation, built from plain values.

An entry carries the optax call it stands for, its hyperparameters (knobs
with defaults and ranges), its update rule in LaTeX and a sentence on what
it fixed in the ones before it. `build` may be called inside `jax.jit` with
traced hyperparameters: nothing here branches on a value, so changing one
never compiles a new program.

Adding an optimizer is one entry in `_entries()` plus its row in the tests
that compare every optimizer with a plain optax loop (tests/test_engine.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import jax.numpy as jnp
import optax

from visualizer.knobs import Knob, registry

LR = Knob("lr", 0.01, 0.0, 1000.0, r"\eta", "learning rate", title="Learning rate η", log=True, low_open=True)


def _beta(name, default, symbol, help):
    return Knob(name, default, 0.0, 0.99999, symbol, help)


def _eps(default):
    return Knob("eps", default, 1e-16, 1.0, r"\epsilon", "added to the denominator for stability", log=True)


MOMENTUM = Knob("momentum", 0.9, 0.0, 0.999, r"\mu", "fraction of the previous step kept")
B1 = _beta("b1", 0.9, r"\beta_1", "decay of the gradient's running mean")
B2 = _beta("b2", 0.999, r"\beta_2", "decay of the squared gradient's running mean")
WEIGHT_DECAY = Knob("weight_decay", 0.01, 0.0, 10.0, r"\lambda", "decoupled pull towards the origin")


def scale_by_newton(hessian: Callable, damping) -> optax.GradientTransformation:
    """Precondition the gradient by the damped exact Hessian:
    u = (H(x) + damping * I)^-1 g. Stateless; needs `params` for H."""

    def init(params):
        del params
        return optax.EmptyState()

    def update(updates, state, params=None):
        h = hessian(params) + damping * jnp.eye(updates.shape[-1], dtype=updates.dtype)
        return jnp.linalg.solve(h, updates), state

    return optax.GradientTransformation(init, update)


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
    them inside `optax.chain`."""

    id: str
    name: str
    optax: str  # the optax call this id stands for, as the docs and the CLI show it
    build: Callable
    hypers: tuple[Knob, ...]
    lr: float  # default learning rate
    rule: str  # LaTeX update rule; g_t is the gradient after noise and clipping
    fixes: str  # what it changed in the method before it
    needs_f_min: bool = False  # reads landscape.f_min (on a formula that costs a search for the minima)

    def hyper(self, name: str) -> Knob:
        for h in self.hypers:
            if h.name == name:
                return h
        raise KeyError(name)

    @property
    def defaults(self) -> dict[str, float]:
        return {h.name: h.default for h in self.hypers}


# Adam's running means and their bias corrections, shared by the Adam family's rules.
_ADAM_MOMENTS = (
    r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,\quad "
    r"\hat m_t = \frac{m_t}{1-\beta_1^t},\ \hat v_t = \frac{v_t}{1-\beta_2^t},\quad "
)


def _entries() -> tuple[Optimizer, ...]:
    return (
        Optimizer(
            "sgd", "SGD",
            'optax.sgd(lr)',
            lambda lr, h, land: optax.sgd(lr),
            (), 0.01,
            r"x_{t+1} = x_t - \eta_t\, g_t",
            "The baseline: step against the gradient. One learning rate for every "
            "direction, so the steepest direction sets the limit for all of them.",
        ),
        Optimizer(
            "momentum", "Momentum",
            'optax.sgd(lr, momentum=momentum)',
            lambda lr, h, land: optax.sgd(lr, momentum=h["momentum"]),
            (MOMENTUM,), 0.01,
            r"v_{t+1} = \mu\, v_t + g_t,\quad x_{t+1} = x_t - \eta_t\, v_{t+1}",
            "Fixes SGD's zig-zag in narrow valleys: oscillating components cancel "
            "in the running sum while the consistent direction builds up speed.",
        ),
        Optimizer(
            "nesterov", "Nesterov",
            'optax.sgd(lr, momentum=momentum, nesterov=True)',
            lambda lr, h, land: optax.sgd(lr, momentum=h["momentum"], nesterov=True),
            (MOMENTUM,), 0.01,
            r"v_{t+1} = \mu\, v_t + g_t,\quad x_{t+1} = x_t - \eta_t\,(g_t + \mu\, v_{t+1})",
            "Fixes momentum's overshoot: the step looks ahead along the velocity, "
            "so it brakes earlier when the slope turns.",
        ),
        Optimizer(
            "adagrad", "AdaGrad",
            'optax.adagrad(lr, initial_accumulator_value=initial_accumulator, eps)',
            lambda lr, h, land: optax.adagrad(
                lr, initial_accumulator_value=h["initial_accumulator"], eps=h["eps"]),
            (Knob("initial_accumulator", 0.1, 0.0, 100.0, r"G_0", "starting value of the sum of squares"),
             _eps(1e-7)), 0.5,
            r"G_t = G_{t-1} + g_t^2,\quad x_{t+1} = x_t - \eta_t\, \frac{g_t}{\sqrt{G_t + \epsilon}}",
            "Fixes the one-rate-for-all problem: each coordinate is divided by the "
            "root of its summed squared gradients. But the sum only grows, so the "
            "steps shrink for ever.",
        ),
        Optimizer(
            "rmsprop", "RMSProp",
            'optax.rmsprop(lr, decay, eps)',
            lambda lr, h, land: optax.rmsprop(lr, decay=h["decay"], eps=h["eps"]),
            (Knob("decay", 0.9, 0.0, 0.99999, r"\rho", "decay of the squared gradient's running mean"),
             _eps(1e-8)), 0.01,
            r"v_t = \rho\, v_{t-1} + (1-\rho)\, g_t^2,\quad x_{t+1} = x_t - \eta_t\, \frac{g_t}{\sqrt{v_t + \epsilon}}",
            "Fixes AdaGrad's vanishing steps: a decaying average of squared "
            "gradients instead of their sum, so the scale adapts and then forgets.",
        ),
        Optimizer(
            "adam", "Adam",
            'optax.adam(lr, b1, b2, eps)',
            lambda lr, h, land: optax.adam(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
            (B1, B2, _eps(1e-8)), 0.05,
            _ADAM_MOMENTS + r"x_{t+1} = x_t - \eta_t\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}",
            "RMSProp plus momentum, with both running means corrected for their "
            "start at zero, so the first steps are the right size.",
        ),
        Optimizer(
            "adamw", "AdamW",
            'optax.adamw(lr, b1, b2, eps, weight_decay)',
            lambda lr, h, land: optax.adamw(
                lr, b1=h["b1"], b2=h["b2"], eps=h["eps"], weight_decay=h["weight_decay"]),
            (B1, B2, _eps(1e-8), WEIGHT_DECAY), 0.05,
            _ADAM_MOMENTS + r"x_{t+1} = x_t - \eta_t\left(\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} + \lambda\, x_t\right)",
            "Fixes Adam's L2 regularisation: weight decay added to the gradient "
            "gets divided by Adam's scale; AdamW applies it to the weights "
            "directly, decoupled from the adaptive step.",
        ),
        Optimizer(
            "nadam", "NAdam",
            'optax.nadam(lr, b1, b2, eps)',
            lambda lr, h, land: optax.nadam(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
            (B1, B2, _eps(1e-8)), 0.05,
            r"x_{t+1} = x_t - \eta_t\, \frac{\beta_1 \hat m_t + (1-\beta_1)\, g_t / (1-\beta_1^t)}{\sqrt{\hat v_t} + \epsilon}",
            "Adam with Nesterov's look-ahead in the first moment.",
        ),
        Optimizer(
            "amsgrad", "AMSGrad",
            'optax.amsgrad(lr, b1, b2, eps)',
            lambda lr, h, land: optax.amsgrad(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
            (B1, B2, _eps(1e-8)), 0.05,
            r"\hat v_t = \max(\hat v_{t-1}, v_t),\quad x_{t+1} = x_t - \eta_t\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}",
            "Fixes a convergence flaw of Adam: the denominator never shrinks, so "
            "a burst of small gradients cannot blow the step up.",
        ),
        Optimizer(
            "adabelief", "AdaBelief",
            'optax.adabelief(lr, b1, b2, eps)',
            lambda lr, h, land: optax.adabelief(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
            (B1, B2, _eps(1e-16)), 0.05,
            r"s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2,\quad x_{t+1} = x_t - \eta_t\, \frac{\hat m_t}{\sqrt{\hat s_t} + \epsilon}",
            "Adam whose denominator measures how far the gradient strays from its "
            "mean: large steps where the gradient is predictable.",
        ),
        Optimizer(
            "adamax", "Adamax",
            'optax.adamax(lr, b1, b2, eps)',
            lambda lr, h, land: optax.adamax(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
            (B1, B2, _eps(1e-8)), 0.05,
            r"u_t = \max(\beta_2 u_{t-1}, |g_t|),\quad x_{t+1} = x_t - \eta_t\, \frac{\hat m_t}{u_t + \epsilon}",
            "Adam with the infinity norm in place of the root mean square.",
        ),
        Optimizer(
            "radam", "RAdam",
            'optax.radam(lr, b1, b2, eps, threshold=threshold)',
            lambda lr, h, land: optax.radam(
                lr, b1=h["b1"], b2=h["b2"], eps=h["eps"], threshold=h["threshold"]),
            (B1, B2, _eps(1e-8),
             Knob("threshold", 5.0, 4.0, 100.0, r"\rho_{\min}", "variance threshold below which it falls back to momentum (at least 4: the rectifier needs rho > 4)")),
            0.05,
            r"x_{t+1} = x_t - \eta_t\, r_t\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}\ \text{if } \rho_t > \rho_{\min},\ \text{else } x_t - \eta_t\, \hat m_t",
            "Fixes Adam's erratic first steps, when v has seen too few gradients: "
            "a rectifier r_t scales the adaptive step in gradually (a built-in warm-up).",
        ),
        Optimizer(
            "yogi", "Yogi",
            'optax.yogi(lr, b1, b2, eps)',
            lambda lr, h, land: optax.yogi(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
            (B1, B2, _eps(1e-3)), 0.05,
            r"v_t = v_{t-1} - (1-\beta_2)\,\mathrm{sign}(v_{t-1} - g_t^2)\, g_t^2,\quad x_{t+1} = x_t - \eta_t\, \frac{m_t}{\sqrt{v_t} + \epsilon}",
            "Adam whose second moment changes additively, so a sudden large "
            "gradient cannot shrink the step at once.",
        ),
        Optimizer(
            "lion", "Lion",
            'optax.lion(lr, b1, b2, weight_decay)',
            lambda lr, h, land: optax.lion(lr, b1=h["b1"], b2=h["b2"], weight_decay=h["weight_decay"]),
            (_beta("b1", 0.9, r"\beta_1", "interpolation of momentum and gradient for the sign"),
             _beta("b2", 0.99, r"\beta_2", "decay of the momentum"),
             Knob("weight_decay", 0.0, 0.0, 10.0, r"\lambda", "decoupled pull towards the origin")),
            0.01,
            r"x_{t+1} = x_t - \eta_t\left(\mathrm{sign}(\beta_1 m_t + (1-\beta_1) g_t) + \lambda x_t\right),\quad m_{t+1} = \beta_2 m_t + (1-\beta_2) g_t",
            "Found by program search: only the sign of an interpolated momentum, "
            "so every coordinate moves by exactly the learning rate.",
        ),
        Optimizer(
            "sign_sgd", "signSGD",
            'optax.sign_sgd(lr)',
            lambda lr, h, land: optax.sign_sgd(lr),
            (), 0.01,
            r"x_{t+1} = x_t - \eta_t\, \mathrm{sign}(g_t)",
            "Throws the gradient's size away and keeps its sign: immune to "
            "gradient scale, but it never settles closer than one step.",
        ),
        Optimizer(
            "adadelta", "AdaDelta",
            'optax.adadelta(lr, rho, eps)',
            lambda lr, h, land: optax.adadelta(lr, rho=h["rho"], eps=h["eps"]),
            (Knob("rho", 0.9, 0.0, 0.99999, r"\rho", "decay of both running means"), _eps(1e-6)),
            1.0,
            r"\Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t,\quad x_{t+1} = x_t - \eta_t\,\Delta_t,\quad u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2",
            "Fixes AdaGrad's decay like RMSProp, and sets the units of the step "
            "from past steps, so lr = 1 is a natural choice.",
        ),
        Optimizer(
            "newton", "Newton (damped)",
            'none: x - lr * (H + damping*I)^-1 g, exact Hessian',
            lambda lr, h, land: optax.chain(
                scale_by_newton(land.hessian, h["damping"]), optax.scale_by_learning_rate(lr)),
            (Knob("damping", 0.0, 0.0, 10000.0, r"\delta", "added to the Hessian's diagonal; large damping turns Newton into SGD with lr/damping", log=True),),
            1.0,
            r"x_{t+1} = x_t - \eta_t\,\left(\nabla^2 f(x_t) + \delta I\right)^{-1} g_t",
            "The curvature-aware reference: solves the local quadratic model "
            "exactly, one step to the minimum of a quadratic. It needs the "
            "Hessian, and it heads for any stationary point, saddles included.",
        ),
    )


OPTIMIZERS: dict[str, Optimizer] = registry(_entries(), "optimizer")
