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

from visualizer.core.knobs import Knob, registry

LR = Knob("lr", 0.01, 0.0, 1000.0, r"\eta", "learning rate", title="Learning rate η", log=True, low_open=True,
          sweep=(1e-5, 10.0))
# Stops of a decay rate's slider: read by the distance from 1.
DECAY_STOPS = (0.0, 0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.999, 0.9999, 0.99999)


def _beta(name, default, symbol, help, low_open=False, title=""):
    return Knob(name, default, 0.0, 0.99999, symbol, help, title=title or f"{_GREEK[symbol]} ({name})",
                low_open=low_open, stops=DECAY_STOPS)


def _eps(default, help="added to the denominator for stability"):
    return Knob("eps", default, 1e-16, 1.0, r"\epsilon", help, title="ε (eps)", log=True, sweep=(1e-12, 1.0))


def _weight_decay(default):
    return Knob("weight_decay", default, 0.0, 10.0, r"\lambda", "decoupled pull towards the origin",
                title="Weight decay λ")


# The sidebar's names of the rules' symbols.
_GREEK = {r"\beta_1": "β₁", r"\beta_2": "β₂", r"\beta_3": "β₃", r"\rho": "ρ", r"\mu": "μ"}

MOMENTUM = Knob("momentum", 0.9, 0.0, 0.999, r"\mu", "fraction of the previous step kept", title="Momentum μ",
                stops=DECAY_STOPS)
B1 = _beta("b1", 0.9, r"\beta_1", "decay of the gradient's running mean")
B2 = _beta("b2", 0.999, r"\beta_2", "decay of the squared gradient's running mean")


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


def _with_warmup(lr: Callable, warmup_steps) -> Callable:
    """The schedule `lr` times optax's linear warm-up from 0 over
    `warmup_steps` updates (0: none, optax's None), written so that the
    number of steps may be traced."""
    w = jnp.asarray(warmup_steps, jnp.float32)

    def schedule(count):
        ramp = jnp.where(w > 0, jnp.clip(count, 0, w) / jnp.maximum(w, 1.0), 1.0)
        return lr(count) * ramp

    return schedule


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
    them inside `optax.chain`.

    `static` names hyperparameters that fix an array's shape (L-BFGS's
    memory): they are compile-time constants, so a new value compiles a new
    program. `alone`: compile it in a program of its own, never beside
    others (its idle runs would cost more than its compile saves)."""

    id: str
    name: str
    optax: str  # the optax call this id stands for, as the docs and the CLI show it
    build: Callable
    hypers: tuple[Knob, ...]
    lr: float  # default learning rate
    rule: str  # LaTeX update rule; g_t is the gradient after noise and clipping
    fixes: str  # what it changed in the methods before it
    needs_f_min: bool = False  # reads landscape.f_min (on a formula that costs a search for the minima)
    static: tuple[str, ...] = ()
    alone: bool = False
    # What of optax's state the results carry after each update, by the
    # name they carry it under: (name, read(optimizer_state, new_params)).
    state: tuple[tuple[str, Callable], ...] = ()

    def hyper(self, name: str) -> Knob:
        for h in self.hypers:
            if h.name == name:
                return h
        raise KeyError(name)

    @property
    def defaults(self) -> dict[str, float]:
        return {h.name: h.default for h in self.hypers}


def _field(name: str) -> Callable:
    """Read a field of optax's state by its name (`optax.tree_utils.tree_get`)."""
    return lambda state, params: optax.tree_utils.tree_get(state, name)


def _fields(**names: str) -> tuple[tuple[str, Callable], ...]:
    """`state=` of an entry: our name -> the name of optax's field."""
    return tuple((ours, _field(theirs)) for ours, theirs in names.items())


def _schedule_free_average(state, params):
    """The averaged point of schedule-free AdamW, where its loss is meant to
    be read (optax.contrib.schedule_free_eval_params)."""
    return optax.contrib.schedule_free_eval_params(optax.tree_utils.tree_get(state, "ScheduleFreeState"), params)


_ADAM_STATE = _fields(m="mu", v="nu")


def _lines(*lines: str) -> str:
    """A rule of several lines (the page lays them out left-aligned)."""
    return r"\begin{gathered}" + r"\\".join(lines) + r"\end{gathered}"


# Adam's running means and their bias corrections, shared by the Adam family's rules.
_MOMENTS = r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\ v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2"
_HATS = r"\hat m_t = \tfrac{m_t}{1-\beta_1^t},\ \hat v_t = \tfrac{v_t}{1-\beta_2^t}"
_ADAM_STEP = r"\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}"


def _entries() -> tuple[Optimizer, ...]:
    return (
        Optimizer(
            "sgd", "SGD", "optax.sgd(lr)",
            lambda lr, h, land: optax.sgd(lr),
            (), 0.01,
            r"x_{t+1} = x_t - \eta_t\, g_t",
            "The baseline: step against the gradient. One learning rate for every "
            "direction, so the steepest direction sets the limit for all of them.",
        ),
        Optimizer(
            "momentum", "Momentum", "optax.sgd(lr, momentum=momentum)",
            lambda lr, h, land: optax.sgd(lr, momentum=h["momentum"]),
            (MOMENTUM,), 0.01,
            r"v_{t+1} = \mu\, v_t + g_t,\quad x_{t+1} = x_t - \eta_t\, v_{t+1}",
            "Fixes SGD's zig-zag in narrow valleys: oscillating components cancel "
            "in the running sum while the consistent direction builds up speed.",
            state=_fields(velocity="trace"),
        ),
        Optimizer(
            "nesterov", "Nesterov", "optax.sgd(lr, momentum=momentum, nesterov=True)",
            lambda lr, h, land: optax.sgd(lr, momentum=h["momentum"], nesterov=True),
            (MOMENTUM,), 0.01,
            r"v_{t+1} = \mu\, v_t + g_t,\quad x_{t+1} = x_t - \eta_t\,(g_t + \mu\, v_{t+1})",
            "Fixes momentum's overshoot: the step looks ahead along the velocity, "
            "so it brakes earlier when the slope turns.",
            state=_fields(velocity="trace"),
        ),
        Optimizer(
            "adagrad", "AdaGrad", "optax.adagrad(lr, initial_accumulator_value=initial_accumulator, eps=eps)",
            lambda lr, h, land: optax.adagrad(
                lr, initial_accumulator_value=h["initial_accumulator"], eps=h["eps"]),
            (Knob("initial_accumulator", 0.1, 0.0, 100.0, r"G_0", "starting value of the sum of squares",
                  title="Initial sum G₀"),
             _eps(1e-7, "added inside the square root")), 0.5,
            r"G_t = G_{t-1} + g_t^2\ (\text{from } G_0),\quad x_{t+1} = x_t - \eta_t\, \frac{g_t}{\sqrt{G_t + \epsilon}}",
            "Fixes the one-rate-for-all problem: each coordinate is divided by the "
            "root of its summed squared gradients. But the sum only grows, so the "
            "steps shrink for ever.",
            state=_fields(sum_sq="sum_of_squares"),
        ),
        Optimizer(
            "rmsprop", "RMSProp", "optax.rmsprop(lr, decay=decay, eps=eps)",
            lambda lr, h, land: optax.rmsprop(lr, decay=h["decay"], eps=h["eps"]),
            (Knob("decay", 0.9, 0.0, 0.99999, r"\rho", "decay of the squared gradient's running mean",
                  title="Decay ρ", stops=DECAY_STOPS),
             _eps(1e-8, "added inside the square root")), 0.01,
            r"v_t = \rho\, v_{t-1} + (1-\rho)\, g_t^2\ (v_0 = 0),\quad x_{t+1} = x_t - \eta_t\, \frac{g_t}{\sqrt{v_t + \epsilon}}",
            "Fixes AdaGrad's vanishing steps: a decaying average of squared "
            "gradients instead of their sum, so the scale adapts and then forgets.",
            state=_fields(v="nu"),
        ),
        Optimizer(
            "adam", "Adam", "optax.adam(lr, b1=b1, b2=b2, eps=eps)",
            lambda lr, h, land: optax.adam(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
            (B1, B2, _eps(1e-8)), 0.05,
            _lines(_MOMENTS + r",\quad " + _HATS, r"x_{t+1} = x_t - \eta_t\," + _ADAM_STEP),
            "RMSProp plus momentum, with both running means corrected for their "
            "start at zero, so the first steps are the right size.",
            state=_ADAM_STATE,
        ),
        Optimizer(
            "adamw", "AdamW", "optax.adamw(lr, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay)",
            lambda lr, h, land: optax.adamw(
                lr, b1=h["b1"], b2=h["b2"], eps=h["eps"], weight_decay=h["weight_decay"]),
            (B1, B2, _eps(1e-8), _weight_decay(0.01)), 0.05,
            _lines(_MOMENTS + r",\quad " + _HATS,
                       r"x_{t+1} = x_t - \eta_t\left(" + _ADAM_STEP + r" + \lambda\, x_t\right)"),
            "Fixes Adam's L2 regularisation: weight decay added to the gradient "
            "gets divided by Adam's scale; AdamW applies it to the weights "
            "directly, decoupled from the adaptive step.",
            state=_ADAM_STATE,
        ),
        Optimizer(
            "nadam", "NAdam", "optax.nadam(lr, b1=b1, b2=b2, eps=eps)",
            lambda lr, h, land: optax.nadam(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
            (B1, B2, _eps(1e-8)), 0.05,
            _lines(_MOMENTS + r",\quad \hat v_t = \tfrac{v_t}{1-\beta_2^t}",
                       r"x_{t+1} = x_t - \eta_t\,\frac{\beta_1 \frac{m_t}{1-\beta_1^{t+1}} + (1-\beta_1)"
                       r"\frac{g_t}{1-\beta_1^{t}}}{\sqrt{\hat v_t} + \epsilon}"),
            "Adam with Nesterov's look-ahead in the first moment: the step uses "
            "the running mean as it will be after one more update.",
            state=_ADAM_STATE,
        ),
        Optimizer(
            "amsgrad", "AMSGrad", "optax.amsgrad(lr, b1=b1, b2=b2, eps=eps)",
            lambda lr, h, land: optax.amsgrad(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
            (B1, B2, _eps(1e-8)), 0.05,
            _lines(_MOMENTS,
                   r"\hat m_t = \tfrac{m_t}{1-\beta_1^t},\ v^{\max}_t = \max\!\left(v^{\max}_{t-1}, "
                   r"\tfrac{v_t}{1-\beta_2^t}\right),\quad x_{t+1} = x_t - \eta_t\,\frac{\hat m_t}{\sqrt{v^{\max}_t} + "
                   r"\epsilon}"),
            "Fixes a convergence flaw of Adam: the denominator never shrinks, so "
            "a burst of small gradients cannot blow the step up. The price: the "
            "largest (bias-corrected) squared gradient so far, often the first, "
            "caps the step for good.",
            state=_fields(m="mu", v="nu", v_max="nu_max"),
        ),
        Optimizer(
            "adabelief", "AdaBelief", "optax.adabelief(lr, b1=b1, b2=b2, eps=eps)",
            lambda lr, h, land: optax.adabelief(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
            (B1, B2, _eps(1e-16)), 0.05,
            _lines(r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\ s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2"
                       r" + 10^{-16}",
                       r"x_{t+1} = x_t - \eta_t\,\frac{m_t/(1-\beta_1^t)}{\sqrt{s_t/(1-\beta_2^t)} + \epsilon}"),
            "Adam whose denominator measures how far the gradient strays from its "
            "mean: large steps where the gradient is predictable.",
            state=_fields(m="mu", s="nu"),
        ),
        Optimizer(
            "adamax", "Adamax", "optax.adamax(lr, b1=b1, b2=b2, eps=eps)",
            lambda lr, h, land: optax.adamax(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
            (B1, B2, _eps(1e-8, "added to |g| inside the maximum")), 0.05,
            r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\ u_t = \max(\beta_2 u_{t-1},\ |g_t| + \epsilon),\quad "
            r"x_{t+1} = x_t - \eta_t\,\frac{m_t}{(1-\beta_1^t)\, u_t}",
            "Adam with the infinity norm in place of the root mean square: the "
            "scale is the largest recent gradient, decaying slowly.",
            state=_fields(m="mu", u="nu"),
        ),
        Optimizer(
            "radam", "RAdam", "optax.radam(lr, b1=b1, b2=b2, eps=eps, threshold=threshold)",
            lambda lr, h, land: optax.radam(
                lr, b1=h["b1"], b2=h["b2"], eps=h["eps"], threshold=h["threshold"]),
            (B1, B2, _eps(1e-8),
             Knob("threshold", 5.0, 4.0, 100.0, r"\rho_{\min}", title="Threshold ρ_min", help=
                  "variance threshold below which it takes plain momentum steps (at least 4: the rectifier "
                  "needs rho > 4)")),
            0.005,
            _lines(_MOMENTS + r",\quad " + _HATS,
                   r"\rho_\infty = \tfrac{2}{1-\beta_2} - 1,\ \rho_t = \rho_\infty - \tfrac{2t\beta_2^t}{1-\beta_2^t},"
                   r"\ r_t = \sqrt{\tfrac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}}",
                   r"x_{t+1} = x_t - \eta_t\, r_t\," + _ADAM_STEP + r"\ \text{if } \rho_t \ge \rho_{\min},\ "
                   r"\text{else } x_t - \eta_t\, \hat m_t"),
            "Fixes Adam's erratic first steps, when v has seen too few gradients: "
            "until the variance estimate is trustworthy it takes plain momentum "
            "steps (unnormalised, so they scale with the gradient), then a "
            "rectifier r_t brings the adaptive step in gradually.",
            state=_ADAM_STATE,
        ),
        Optimizer(
            "yogi", "Yogi", "optax.yogi(lr, b1=b1, b2=b2, eps=eps)",
            lambda lr, h, land: optax.yogi(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
            (B1, B2, _eps(1e-3)), 0.05,
            _lines(r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\ v_t = v_{t-1} - (1-\beta_2)\,"
                       r"\mathrm{sign}(v_{t-1} - g_t^2)\, g_t^2,\ m_0 = v_0 = 10^{-6}",
                       r"x_{t+1} = x_t - \eta_t\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}"),
            "Adam whose second moment changes additively, by at most (1 - b2) g^2 "
            "a step: when gradients turn small, v falls slowly instead of "
            "collapsing, so the step cannot suddenly grow.",
            state=_ADAM_STATE,
        ),
        Optimizer(
            "lion", "Lion", "optax.lion(lr, b1=b1, b2=b2, weight_decay=weight_decay)",
            lambda lr, h, land: optax.lion(lr, b1=h["b1"], b2=h["b2"], weight_decay=h["weight_decay"]),
            (_beta("b1", 0.9, r"\beta_1", "interpolation of momentum and gradient for the sign"),
             _beta("b2", 0.99, r"\beta_2", "decay of the momentum"),
             _weight_decay(0.0)),
            0.01,
            r"x_{t+1} = x_t - \eta_t\left(\mathrm{sign}(\beta_1 m_t + (1-\beta_1) g_t) + \lambda x_t\right),\quad "
            r"m_{t+1} = \beta_2 m_t + (1-\beta_2) g_t",
            "Found by program search: only the sign of an interpolated momentum, "
            "so without weight decay every coordinate moves by exactly the "
            "learning rate.",
            state=_fields(m="mu"),
        ),
        Optimizer(
            "sign_sgd", "signSGD", "optax.sign_sgd(lr)",
            lambda lr, h, land: optax.sign_sgd(lr),
            (), 0.01,
            r"x_{t+1} = x_t - \eta_t\, \mathrm{sign}(g_t)",
            "Throws the gradient's size away and keeps its sign: immune to "
            "gradient scale, but it never settles closer than one step.",
        ),
        Optimizer(
            "adadelta", "AdaDelta", "optax.adadelta(lr, rho=rho, eps=eps)",
            lambda lr, h, land: optax.adadelta(lr, rho=h["rho"], eps=h["eps"]),
            (Knob("rho", 0.9, 0.0, 0.99999, r"\rho", "decay of both running means", title="Decay ρ",
                  stops=DECAY_STOPS),
             _eps(1e-6, "added inside both square roots")),
            1.0,
            r"v_t = \rho v_{t-1} + (1-\rho) g_t^2,\ \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}"
            r"\, g_t,\ u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2,\quad x_{t+1} = x_t - \eta_t\,\Delta_t",
            "Fixes AdaGrad's decay like RMSProp, and sets the units of the step "
            "from past steps, so lr = 1 is a natural choice.",
            state=_fields(v="e_g", u="e_x"),
        ),
        Optimizer(
            "newton", "Newton (damped)", "none: x - lr * (H + damping*I)^-1 g, the exact Hessian",
            lambda lr, h, land: optax.chain(
                scale_by_newton(land.hessian, h["damping"]), optax.scale_by_learning_rate(lr)),
            (Knob("damping", 0.0, 0.0, 10000.0, r"\delta",
                  "added to the Hessian's diagonal; large damping turns Newton into SGD with lr/damping",
                  title="Damping δ", log=True, sweep=(1e-4, 1e4)),),
            1.0,
            r"x_{t+1} = x_t - \eta_t\,\left(\nabla^2 f(x_t) + \delta I\right)^{-1} g_t",
            "The curvature-aware reference: solves the local quadratic model "
            "exactly, one step to the minimum of a quadratic. It needs the "
            "Hessian, and it heads for any stationary point, saddles included.",
        ),
        Optimizer(
            "adan", "Adan", "optax.adan(lr, b1=b1, b2=b2, b3=b3, eps=eps, weight_decay=weight_decay)",
            lambda lr, h, land: optax.adan(lr, b1=h["b1"], b2=h["b2"], b3=h["b3"], eps=h["eps"],
                                           weight_decay=h["weight_decay"]),
            (_beta("b1", 0.98, r"\beta_1", "decay of the gradient's running mean"),
             _beta("b2", 0.92, r"\beta_2", "decay of the running mean of gradient differences"),
             _beta("b3", 0.99, r"\beta_3", "decay of the running mean of the squared corrected gradient"),
             _eps(1e-8), _weight_decay(0.0)),
            0.3,
            _lines(r"d_t = g_t - g_{t-1}\ (d_1 = 0),\ m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\ "
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
            state=_fields(m="m", v="v", n="n"),
        ),
        Optimizer(
            "adopt", "ADOPT", "optax.contrib.adopt(lr, b1=b1, b2=b2, eps=eps)",
            lambda lr, h, land: optax.contrib.adopt(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
            (B1, _beta("b2", 0.9999, r"\beta_2", "decay of the squared gradient's running mean"),
             _eps(1e-6, "a floor under the root of v (a maximum, not a sum)")),
            1.0,
            _lines(r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\,\mathrm{clip}\!\left(\frac{g_t}{\max(\sqrt{v_{t-1}},"
                       r"\,\epsilon)},\ \pm(t-1)^{1/4}\right),\quad x_{t+1} = x_t - \eta_t\, m_t",
                       r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,\quad v_1 = g_1^2,\ m_1 = 0\ "
                       r"(\text{no move at } t = 1)"),
            "Adam can fail to converge unless b2 suits the problem, because each "
            "gradient sits in its own denominator. ADOPT divides the gradient by "
            "a second moment that has not seen it yet and averages after "
            "dividing, so it converges with any b2.",
            state=_ADAM_STATE,
        ),
        Optimizer(
            "ademamix", "AdEMAMix", "optax.contrib.ademamix(lr, b1=b1, b2=b2, b3=b3, alpha=alpha, eps=eps)",
            lambda lr, h, land: optax.contrib.ademamix(lr, b1=h["b1"], b2=h["b2"], b3=h["b3"],
                                                       alpha=h["alpha"], eps=h["eps"]),
            (B1, B2, _beta("b3", 0.9999, r"\beta_3", "decay of the slow running mean"),
             Knob("alpha", 5.0, 0.0, 20.0, r"\alpha", "weight of the slow running mean", title="Slow weight α"),
             _eps(1e-8)),
            0.2,
            _lines(r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\ \tilde m_t = \beta_3 \tilde m_{t-1} + (1-\beta_3) g_t,"
                       r"\ v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2",
                       r"x_{t+1} = x_t - \eta_t\,\frac{\hat m_t + \alpha\,\tilde m_t}{\sqrt{\hat v_t} + \epsilon},\quad "
                       + _HATS + r"\ (\tilde m_t \text{ not corrected})"),
            "One running mean must choose between reacting fast and remembering "
            "long. AdEMAMix keeps Adam's fast mean and adds a very slow one "
            "(b3 = 0.9999) weighted by alpha, so gradients from thousands of "
            "steps ago still push.",
            state=_fields(m="m1", m_slow="m2", v="nu"),
        ),
        Optimizer(
            "prodigy", "Prodigy", "optax.contrib.prodigy(lr, betas=(b1, b2), eps=eps, weight_decay=weight_decay)",
            lambda lr, h, land: optax.contrib.prodigy(lr, betas=(h["b1"], h["b2"]), eps=h["eps"],
                                                      weight_decay=h["weight_decay"]),
            (B1, B2, _eps(1e-8, "times d, added to the denominator"), _weight_decay(0.0)),
            1.0,
            _lines(r"\gamma_t = \eta_t\, d_{t-1} \tfrac{\sqrt{1-\beta_2^t}}{1-\beta_1^t},\ m_t = \beta_1 m_{t-1}"
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
            state=_fields(m="exp_avg", v="exp_avg_sq", d="estim_lr"),
        ),
        Optimizer(
            "schedule_free_adamw", "Schedule-free AdamW",
            "optax.contrib.schedule_free_adamw(lr, warmup_steps=warmup_steps or None, b1=b1, b2=b2, eps=eps, "
            "weight_decay=weight_decay)",
            lambda lr, h, land: optax.contrib.schedule_free_adamw(
                _with_warmup(lr, h["warmup_steps"]), None, b1=h["b1"], b2=h["b2"], eps=h["eps"],
                weight_decay=h["weight_decay"]),
            (Knob("warmup_steps", 0, 0, 10000, "w", "steps of linear warm-up from 0 (0: none)",
                  title="Warm-up steps w", integer=True),
             _beta("b1", 0.9, r"\beta_1", "interpolation between the average and the latest iterate", low_open=True),
             B2, _eps(1e-8), _weight_decay(0.0)),
            0.5,
            _lines(r"v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad z_{t+1} = z_t - \eta_t\left(\frac{g_t}"
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
            state=(*_fields(z="z", v="nu"), ("average", _schedule_free_average)),
        ),
        Optimizer(
            "rprop", "Rprop", "optax.rprop(lr, eta_minus=eta_minus, eta_plus=eta_plus)",
            lambda lr, h, land: optax.rprop(lr(0), eta_minus=h["eta_minus"], eta_plus=h["eta_plus"]),
            (Knob("eta_minus", 0.5, 0.0, 0.99, r"\eta^-", "step-size factor after the gradient's sign flips",
                  title="Shrink η⁻"),
             Knob("eta_plus", 1.2, 1.0, 5.0, r"\eta^+", "step-size factor while the gradient's sign holds",
                  title="Grow η⁺")),
            0.01,
            _lines(r"s_t = g_t\, p_{t-1},\ \Delta_0 = \eta,\quad \Delta_t = \mathrm{clip}_{[10^{-6},\,50]}"
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
            state=_fields(step_size="step_sizes"),
        ),
        Optimizer(
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
        ),
        Optimizer(
            "lbfgs", "L-BFGS", "optax.lbfgs(lr, memory_size=memory_size)",
            lambda lr, h, land: optax.lbfgs(lr, memory_size=int(h["memory_size"])),
            (Knob("memory_size", 10, 1, 50, "m", "position and gradient changes remembered (a compile-time size)",
                  title="Memory m", integer=True),),
            1.0,
            _lines(r"x_{t+1} = x_t + \alpha_t d_t,\quad d_t = -\eta_t H_t g_t",
                   r"\alpha_t \text{ (zoom search from 1)}:\ f(x_t + \alpha d_t) \le f(x_t) + 10^{-4}\alpha\, "
                   r"\nabla f(x_t)^{\top} d_t",
                   r"\text{and } |\nabla f(x_t + \alpha d_t)^{\top} d_t| \le 0.9\,|\nabla f(x_t)^{\top} d_t|",
                   r"H_t:\ \text{two-loop recursion on the last } m \text{ pairs } (x_{i+1} - x_i,\ g_{i+1} - g_i)",
                   r"\text{from } H_t^{0} = \tfrac{s^{\top} y}{y^{\top} y} I,\ H_1^{0} = \min(1, \lVert g_1\rVert^{-1})\, I"),
            "Newton needs the Hessian; first-order methods ignore curvature. "
            "L-BFGS builds an inverse-Hessian approximation from the last m "
            "changes in position and gradient, and a line search picks a step "
            "length that lowers the loss, so there is almost no learning rate to "
            "tune.",
            static=("memory_size",), alone=True,
        ),
    )


OPTIMIZERS: dict[str, Optimizer] = registry(_entries(), "optimizer")
