"""Curvature: Newton's method with the exact Hessian, and L-BFGS, which
builds an inverse-Hessian estimate from past steps."""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
import numpy as np
import optax

from visualizer.core.knobs import Knob
from visualizer.core.optimizers.checks import Checks, Update
from visualizer.core.optimizers.optimizer import Optimizer, latex_lines
from visualizer.core.optimizers.step_rule import Line, StepRule, col


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


# ------------------------------------------------------------ Inside a step

def _newton_rule() -> StepRule:
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


def _lbfgs_rule() -> StepRule:
    return StepRule(
        (Line(r"x_{t+1} - x_t = \alpha_t d_t", r"@xn - @x", "dx", lambda q: q.xn - q.x),
         Line(r"\langle g_t,\ x_{t+1} - x_t\rangle", r"@g \cdot @dx", "gdot", lambda q: np.sum(q.g * q.dx, axis=-1,
                                                                                                keepdims=True)),
         Line(r"f(x_t) = @f \ \to\ f(x_{t+1}) = @fn")),
        lambda c: {"dx": c.xn - c.x, "gdot": col(np.sum(c.g * (c.xn - c.x), axis=1))},
        note="L-BFGS's direction d_t = -lr H_t g_t and its line-search length alpha_t live inside optax; "
             "the step shows what they did. A descent step has <g, step> < 0.")


# ------------------------------------------------------------ textbook updates (the tests' reference)

def _newton_textbook(u: Update):
    return u.x - u.lr * np.linalg.solve(u.hessian(u.x) + u.h["damping"] * np.eye(2), u.g)


def _newton_optax_call(lr, h, hessian, **_) -> optax.GradientTransformation:
    """What `newton` stands for, written apart from `scale_by_newton`."""

    def update(g, state, x):
        return -lr * jnp.linalg.solve(hessian(x) + h["damping"] * jnp.eye(2), g), state

    return optax.GradientTransformation(lambda x: optax.EmptyState(), update)


# ------------------------------------------------------------ the entries

NEWTON = Optimizer(
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
    step_rule=_newton_rule(),
    textbook=_newton_textbook,
    checks=Checks("damping=2", (0.5, 0.5), _newton_optax_call, loop_lr=0.5),
)

LBFGS = Optimizer(
    "lbfgs", "L-BFGS", "optax.lbfgs(lr, memory_size=memory_size)",
    lambda lr, h, land: optax.lbfgs(lr, memory_size=int(h["memory_size"])),
    (Knob("memory_size", 10, 1, 50, "m", "position and gradient changes remembered (a compile-time size)",
          title="Memory m", integer=True),),
    1.0,
    latex_lines(r"x_{t+1} = x_t + \alpha_t d_t,\quad d_t = -\eta_t H_t g_t",
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
    step_rule=_lbfgs_rule(),
    # Its direction and step length come from optax's own line search;
    # tests/test_rules.py checks each step against the two-loop direction
    # and the sufficient-decrease condition instead.
    textbook=None,
    checks=Checks("memory_size=4", (1.0, 1.0), lambda lr, h, **_: optax.lbfgs(lr, memory_size=h["memory_size"])),
)
