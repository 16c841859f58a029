"""Every update rule on screen is what optax computes.

Each optimizer's textbook update (`Optimizer.textbook`: its rule as the
LaTeX shows it, written out by hand in NumPy float64, in the module of its
family) is stepped here and compared with the engine's trajectory (optax,
float32) on two surfaces, with the hyperparameters of its test vectors,
away from their defaults so that a misplaced epsilon or bias correction
shows. The LaTeX itself is checked for balance here and rendered by KaTeX
in tests/browser/test_rules_render.py.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from visualizer import Scene, simulate
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.optimizers.checks import CHECK_SURFACES, Update

STEPS = 40


def _quadratic(cond, angle):
    a = np.deg2rad(angle)
    c, s = np.cos(a), np.sin(a)

    def f(p):
        u, v = p[0] * c + p[1] * s, -p[0] * s + p[1] * c
        return 0.5 * (u * u + cond * v * v)

    def grad(p):
        u, v = p[0] * c + p[1] * s, -p[0] * s + p[1] * c
        return np.array([u * c - cond * v * s, u * s + cond * v * c])

    return f, grad


def _himmelblau(p):
    x, y = p
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def _himmelblau_grad(p):
    x, y = p
    a, b = x * x + y - 11, x + y * y - 7
    return np.array([4 * x * a + 2 * b, 2 * a + 4 * y * b])


# The check surfaces in NumPy: f, its gradient and its lowest value.
NUMPY = {
    "quadratic": (*_quadratic(25.0, 30.0), 0.0),
    "himmelblau": (_himmelblau, _himmelblau_grad, 0.0),
}
SURFACES = {name: (query, *NUMPY[name]) for name, query in CHECK_SURFACES}

WITH_TEXTBOOK = [o.id for o in OPTIMIZERS.values() if o.textbook is not None]


def textbook(opt, h, lrs, start, f, grad, f_min, hessian=None, follow=None):
    """`opt`'s textbook update, step by step, in float64: len(lrs) - 1
    updates, update t using lrs[t - 1] (schedule-free's averaging also reads
    lrs[t]).

    With `follow` (the engine's points), each update starts from the
    engine's point rather than from the rule's own last one, so every step
    is checked on its own: chaotic runs (Prodigy, Polyak near a minimum) part
    ways between float32 and float64 within tens of steps, optax's own
    included, and a whole-path comparison would test rounding, not rules."""
    x = np.asarray(start, np.float64)
    first = x.copy()
    xs = [x.copy()]
    memory: dict = {}
    for t, lr in enumerate(lrs[:-1], start=1):
        x = np.asarray(opt.textbook(Update(t, x, grad(x), lr, lrs[t], first, h, memory, f, f_min, hessian)),
                       np.float64)
        xs.append(x.copy())
        x = _next(x, follow, t)
    return np.asarray(xs)


def _next(x, follow, t):
    return x if follow is None else np.asarray(follow[t], np.float64)


def _hessian(grad):
    def hessian(p, h=1e-6):
        return np.stack([(grad(p + h * e) - grad(p - h * e)) / (2 * h) for e in np.eye(2)], axis=1)

    return hessian


def test_every_optimizer_but_lbfgs_has_a_textbook_update():
    assert set(WITH_TEXTBOOK) | {"lbfgs"} == set(OPTIMIZERS)


@pytest.mark.parametrize("opt_id", WITH_TEXTBOOK)
def test_textbook_updates_are_plain_numpy(opt_id):
    """The reference must not share code with what it checks: no optax, no
    JAX, in the textbook update or in any helper of the optimizers' package
    it calls."""
    seen, todo, names = set(), [OPTIMIZERS[opt_id].textbook], set()
    while todo:
        fn = todo.pop()
        if fn in seen:
            continue
        seen.add(fn)
        codes, used = [fn.__code__], set()
        while codes:
            code = codes.pop()
            used |= set(code.co_names)
            codes += [c for c in code.co_consts if inspect.iscode(c)]
        names |= used
        todo += [v for name in used if inspect.isfunction(v := fn.__globals__.get(name))
                 and v.__module__.startswith("visualizer.core.optimizers")]
    used = {name.split(".")[0] for name in names} & {"optax", "jax", "jnp"}
    assert not used, f"{opt_id}'s textbook update uses {used}"


@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize("opt_id", WITH_TEXTBOOK)
def test_rule_on_screen_is_the_engine_trajectory(opt_id, surface):
    query, f, grad, f_min = SURFACES[surface]
    opt = OPTIMIZERS[opt_id]
    spec = opt.checks.spec(surface)
    scene = Scene.from_query(f"{query}&steps={STEPS}&run={opt_id}:{spec}")
    run = scene.runs[0]
    result = simulate(scene).runs[0]
    assert result.diverged_at is None, f"{spec} diverged on {surface}; pick a stable case"
    lr_table = list(result.lr) + [result.lr[-1]]  # a constant schedule: the next update's rate is the same
    engine = result.xy.astype(np.float64)
    want = textbook(opt, dict(run.values), lr_table, scene.start, f, grad, f_min, _hessian(grad), follow=engine)
    steps = np.abs(np.diff(engine, axis=0)).max(axis=1)
    assert (steps > 1e-6).sum() >= 10, "the run barely moved; the test would show little"
    # Each update, from the engine's own point: the rule's step equals the
    # engine's to float32 accuracy (relative to the step and to the point).
    error = np.abs(want[1:] - engine[1:]).max(axis=1)
    allowed = 1e-3 * steps + 2e-6 * (1 + np.abs(engine[1:]).max(axis=1))
    bad = np.nonzero(error > allowed)[0]
    assert not len(bad), (f"{opt_id} on {surface}: update {bad[0]} differs by {error[bad[0]]:.3g} "
                          f"(step {steps[bad[0]]:.3g}): the rule on screen is not what optax does")


def test_rule_with_a_step_schedule_uses_each_updates_rate():
    query, f, grad, f_min = SURFACES["quadratic"]
    scene = Scene.from_query(f"{query}&steps={STEPS}&run=nesterov:lr=0.03,momentum=0.9,schedule=step,step_size=10,"
                             "gamma=0.3")
    result = simulate(scene).runs[0]
    lrs = [0.03 * 0.3 ** (k // 10) for k in range(STEPS + 1)]
    np.testing.assert_allclose(result.lr, lrs[:STEPS], rtol=1e-6)
    want = textbook(OPTIMIZERS["nesterov"], dict(scene.runs[0].values), lrs, scene.start, f, grad, f_min)
    np.testing.assert_allclose(result.xy, want, rtol=2e-5, atol=2e-5 * (1 + np.abs(want).max()))


@pytest.mark.parametrize("surface", list(SURFACES))
def test_lbfgs_steps_along_its_two_loop_direction_and_lower_the_loss(surface):
    """L-BFGS's rule: x_{t+1} = x_t + alpha_t d_t with d_t = -eta H_t g_t from
    the last m pairs, and alpha_t > 0 passing the sufficient-decrease test."""
    query, f, grad, _ = SURFACES[surface]
    memory = 3
    scene = Scene.from_query(f"{query}&steps=15&run=lbfgs:lr=1,memory_size={memory}")
    xy = simulate(scene).runs[0].xy.astype(np.float64)
    pairs = []
    for t in range(len(xy) - 1):
        x, g = xy[t], grad(xy[t])
        if np.linalg.norm(g) < 1e-4:
            break  # arrived: float32 noise dominates the direction
        if t:
            pairs = (pairs + [(x - xy[t - 1], g - grad(xy[t - 1]))])[-memory:]
        direction = -_two_loop(g, pairs)
        step = xy[t + 1] - x
        alpha = float(np.dot(step, direction) / np.dot(direction, direction))
        assert alpha > 0, f"step {t} goes against its direction"
        np.testing.assert_allclose(step, alpha * direction, atol=1e-3 * (1 + np.abs(step).max()),
                                   err_msg=f"step {t} is not along the two-loop direction")
        assert f(xy[t + 1]) <= f(x) + 1e-4 * alpha * np.dot(g, direction) + 1e-5 * (1 + abs(f(x)))


def _two_loop(g, pairs):
    q = g.copy()
    alphas = []
    for s, y in reversed(pairs):
        rho = 1 / np.dot(y, s) if np.dot(y, s) else 0.0
        alphas.append(rho * np.dot(s, q))
        q = q - alphas[-1] * y
    if pairs:
        s, y = pairs[-1]
        q = q * (np.dot(s, y) / np.dot(y, y))
    else:
        q = q * min(1.0, 1.0 / np.linalg.norm(g))
    for (s, y), a in zip(pairs, reversed(alphas), strict=True):
        rho = 1 / np.dot(y, s) if np.dot(y, s) else 0.0
        q = q + (a - rho * np.dot(y, q)) * s
    return q


@pytest.mark.parametrize("opt_id", list(OPTIMIZERS))
def test_rule_latex_is_balanced_and_names_its_hyperparameters(opt_id):
    opt = OPTIMIZERS[opt_id]
    rule = opt.rule
    assert rule.count("{") == rule.count("}"), "unbalanced braces"
    assert rule.count(r"\left") == rule.count(r"\right"), r"unbalanced \left / \right"
    assert rule.count(r"\begin{") == rule.count(r"\end{")
    assert "x_{t+1}" in rule, "the rule says how the point moves"
    for h in opt.hypers:
        assert h.symbol and h.symbol in rule, f"{h.name}'s symbol {h.symbol} is not in the rule"
