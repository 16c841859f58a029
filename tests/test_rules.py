"""Every update rule on screen is what optax computes.

`textbook` below is each optimizer's rule as `visualizer/core/optimizers.py`
shows it in LaTeX, written out by hand in NumPy float64; each is compared
with the engine's trajectory (optax, float32) on two surfaces, with
hyperparameters away from their defaults so that a misplaced epsilon or bias
correction shows. The LaTeX itself is checked for balance here and rendered
by KaTeX in tests/browser/test_rules_render.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from visualizer import Scene, simulate
from visualizer.core.optimizers import OPTIMIZERS

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


SURFACES = {
    "quadratic": ("surface=quadratic:cond=25,angle=30", *_quadratic(25.0, 30.0), 0.0),
    "himmelblau": ("surface=himmelblau&start=-0.5,-1", _himmelblau, _himmelblau_grad, 0.0),
}

# A run of each optimizer: non-default hyperparameters, a learning rate per
# surface that keeps the 40 steps finite and moving.
RUNS = {
    "sgd": ("", {"quadratic": 0.03, "himmelblau": 0.01}),
    "momentum": ("momentum=0.8", {"quadratic": 0.02, "himmelblau": 0.005}),
    "nesterov": ("momentum=0.7", {"quadratic": 0.02, "himmelblau": 0.005}),
    "adagrad": ("initial_accumulator=0.3,eps=0.5", {"quadratic": 0.5, "himmelblau": 0.5}),
    "rmsprop": ("decay=0.8,eps=0.3", {"quadratic": 0.05, "himmelblau": 0.05}),
    "adam": ("b1=0.8,b2=0.95,eps=0.05", {"quadratic": 0.1, "himmelblau": 0.1}),
    "adamw": ("b1=0.85,b2=0.99,eps=0.1,weight_decay=0.5", {"quadratic": 0.1, "himmelblau": 0.1}),
    "nadam": ("b1=0.8,b2=0.95,eps=0.05", {"quadratic": 0.1, "himmelblau": 0.1}),
    "amsgrad": ("b1=0.8,b2=0.95,eps=0.05", {"quadratic": 0.1, "himmelblau": 0.1}),
    "adabelief": ("b1=0.8,b2=0.95,eps=0.05", {"quadratic": 0.1, "himmelblau": 0.1}),
    "adamax": ("b1=0.8,b2=0.95,eps=0.05", {"quadratic": 0.1, "himmelblau": 0.1}),
    "radam": ("b1=0.8,b2=0.95,eps=0.05,threshold=4.5", {"quadratic": 0.02, "himmelblau": 0.002}),
    "yogi": ("b1=0.8,b2=0.95,eps=0.05", {"quadratic": 0.1, "himmelblau": 0.1}),
    "lion": ("b1=0.8,b2=0.95,weight_decay=0.3", {"quadratic": 0.05, "himmelblau": 0.05}),
    "sign_sgd": ("", {"quadratic": 0.05, "himmelblau": 0.05}),
    "adadelta": ("rho=0.8,eps=0.05", {"quadratic": 0.5, "himmelblau": 1.0}),
    "newton": ("damping=2", {"quadratic": 0.5, "himmelblau": 0.5}),
    "adan": ("b1=0.9,b2=0.8,b3=0.95,eps=0.05,weight_decay=0.2", {"quadratic": 0.1, "himmelblau": 0.1}),
    "adopt": ("b1=0.8,b2=0.95,eps=0.05", {"quadratic": 0.3, "himmelblau": 0.3}),
    "ademamix": ("b1=0.8,b2=0.95,b3=0.99,alpha=3,eps=0.05", {"quadratic": 0.05, "himmelblau": 0.05}),
    "prodigy": ("b1=0.8,b2=0.95,eps=1e-08,weight_decay=0.1", {"quadratic": 1.0, "himmelblau": 1.0}),
    "schedule_free_adamw": ("warmup_steps=5,b1=0.8,b2=0.95,eps=0.05,weight_decay=0.1",
                            {"quadratic": 0.3, "himmelblau": 0.3}),
    "rprop": ("eta_minus=0.4,eta_plus=1.3", {"quadratic": 0.03, "himmelblau": 0.03}),
    "polyak_sgd": ("", {"quadratic": 0.3, "himmelblau": 0.05}),
}


def textbook(opt_id, h, lrs, start, f, grad, f_min, hessian=None, follow=None):
    """The rule on screen, step by step, in float64: len(lrs) - 1 updates,
    update t using lrs[t - 1] (schedule-free's averaging also reads lrs[t]).

    With `follow` (the engine's points), each update starts from the
    engine's point rather than from the rule's own last one, so every step
    is checked on its own: chaotic runs (Prodigy, Polyak near a minimum) part
    ways between float32 and float64 within tens of steps, optax's own
    included, and a whole-path comparison would test rounding, not rules."""
    x = np.asarray(start, np.float64)
    x1 = x.copy()
    xs = [x.copy()]
    zero = np.zeros(2)
    s: dict = {}
    b1, b2, eps = h.get("b1"), h.get("b2"), h.get("eps")
    for t, lr in enumerate(lrs[:-1], start=1):
        g = grad(x)
        if opt_id == "sgd":
            u = g
        elif opt_id in ("momentum", "nesterov"):
            v = h["momentum"] * s.get("v", zero) + g
            s["v"] = v
            u = v if opt_id == "momentum" else g + h["momentum"] * v
        elif opt_id == "adagrad":
            G = s.get("G", np.full(2, h["initial_accumulator"])) + g * g
            s["G"] = G
            u = g / np.sqrt(G + eps)
        elif opt_id == "rmsprop":
            v = h["decay"] * s.get("v", zero) + (1 - h["decay"]) * g * g
            s["v"] = v
            u = g / np.sqrt(v + eps)
        elif opt_id in ("adam", "adamw", "nadam", "amsgrad", "radam"):
            m = b1 * s.get("m", zero) + (1 - b1) * g
            v = b2 * s.get("v", zero) + (1 - b2) * g * g
            s["m"], s["v"] = m, v
            m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
            if opt_id == "nadam":
                m_hat = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t)
            if opt_id == "amsgrad":
                v_hat = s["vmax"] = np.maximum(s.get("vmax", zero), v_hat)
            u = m_hat / (np.sqrt(v_hat) + eps)
            if opt_id == "adamw":
                u = u + h["weight_decay"] * x
            if opt_id == "radam":
                rho_inf = 2 / (1 - b2) - 1
                rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
                if rho >= h["threshold"]:
                    r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
                    u = r * m_hat / (np.sqrt(v_hat) + eps)
                else:
                    u = m_hat
        elif opt_id == "adabelief":
            m = b1 * s.get("m", zero) + (1 - b1) * g
            sb = b2 * s.get("s", zero) + (1 - b2) * (g - m) ** 2 + 1e-16
            s["m"], s["s"] = m, sb
            u = (m / (1 - b1**t)) / (np.sqrt(sb / (1 - b2**t)) + eps)
        elif opt_id == "adamax":
            m = b1 * s.get("m", zero) + (1 - b1) * g
            inf_norm = np.maximum(b2 * s.get("u", zero), np.abs(g) + eps)
            s["m"], s["u"] = m, inf_norm
            u = m / ((1 - b1**t) * inf_norm)
        elif opt_id == "yogi":
            m = b1 * s.get("m", np.full(2, 1e-6)) + (1 - b1) * g
            before = s.get("v", np.full(2, 1e-6))
            v = before - (1 - b2) * np.sign(before - g * g) * g * g
            s["m"], s["v"] = m, v
            u = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        elif opt_id == "lion":
            m = s.get("m", zero)
            u = np.sign(b1 * m + (1 - b1) * g) + h["weight_decay"] * x
            s["m"] = b2 * m + (1 - b2) * g
        elif opt_id == "sign_sgd":
            u = np.sign(g)
        elif opt_id == "adadelta":
            rho = h["rho"]
            v = rho * s.get("v", zero) + (1 - rho) * g * g
            delta = np.sqrt(s.get("u", zero) + eps) / np.sqrt(v + eps) * g
            s["v"], s["u"] = v, rho * s.get("u", zero) + (1 - rho) * delta * delta
            u = delta
        elif opt_id == "newton":
            u = np.linalg.solve(hessian(x) + h["damping"] * np.eye(2), g)
        elif opt_id == "adan":
            b3 = h["b3"]
            d = zero if t == 1 else g - s["g"]
            m = b1 * s.get("m", zero) + (1 - b1) * g
            v = b2 * s.get("v", zero) + (1 - b2) * d
            n = b3 * s.get("n", zero) + (1 - b3) * (g + (1 - b2) * d) ** 2
            s.update(m=m, v=v, n=n, g=g)
            m_hat, v_hat, n_hat = m / (1 - b1**t), v / (1 - b2**t), n / (1 - b3**t)
            u = (m_hat + (1 - b2) * v_hat) / (np.sqrt(n_hat + 1e-8) + eps) + h["weight_decay"] * x
        elif opt_id == "adopt":
            before = s.get("v", zero)
            if t == 1:
                v, m = g * g, zero
            else:
                v = b2 * before + (1 - b2) * g * g
                bound = (t - 1) ** 0.25
                m = b1 * s.get("m", zero) + (1 - b1) * np.clip(g / np.maximum(np.sqrt(before), eps), -bound, bound)
            s.update(v=v, m=m)
            u = m
        elif opt_id == "ademamix":
            m = b1 * s.get("m", zero) + (1 - b1) * g
            slow = h["b3"] * s.get("slow", zero) + (1 - h["b3"]) * g
            v = b2 * s.get("v", zero) + (1 - b2) * g * g
            s.update(m=m, slow=slow, v=v)
            u = (m / (1 - b1**t) + h["alpha"] * slow) / (np.sqrt(v / (1 - b2**t)) + eps)
        elif opt_id == "prodigy":
            d0 = 1e-6
            d = s.get("d", d0)
            gamma = lr * d * np.sqrt(1 - b2**t) / (1 - b1**t)
            m = b1 * s.get("m", zero) + (1 - b1) * d * g
            v = b2 * s.get("v", zero) + (1 - b2) * d * d * g * g
            sum_g = np.sqrt(b2) * s.get("s", zero) + gamma * d / d0 * g
            r = np.sqrt(b2) * s.get("r", 0.0) + gamma * d / d0 * np.dot(g, x1 - x)
            s.update(m=m, v=v, s=sum_g, r=r, d=max(d, r / np.abs(sum_g).sum()))
            x = x - gamma * (m / (np.sqrt(v) + d * eps) + h["weight_decay"] * x)
            xs.append(x.copy())
            x = _next(x, follow, t)
            continue
        elif opt_id == "schedule_free_adamw":
            # lrs already hold the warm-up; the averaging weights read the
            # schedule one update ahead.
            z = s.get("z", x1.copy())
            mean = s.get("mean", x1.copy())
            mu = max(s.get("mu", 0.0), lrs[t])
            total = s.get("total", 0.0) + mu * mu
            c = mu * mu / total if total else 0.0
            v = b2 * s.get("v", zero) + (1 - b2) * g * g
            z = z - lr * (g / (np.sqrt(v / (1 - b2**t)) + eps) + h["weight_decay"] * x)
            mean = (1 - c) * mean + c * z
            s.update(z=z, mean=mean, mu=mu, total=total, v=v)
            x = b1 * mean + (1 - b1) * z
            xs.append(x.copy())
            x = _next(x, follow, t)
            continue
        elif opt_id == "rprop":
            size = s.get("size", np.full(2, lrs[0]))
            previous = s.get("p", zero)
            sign = g * previous
            size = np.where(sign == 0, size, np.clip(size * np.where(sign > 0, h["eta_plus"], h["eta_minus"]),
                                                     1e-6, 50.0))
            s["p"] = np.where(sign < 0, 0.0, size * np.sign(g))
            s["size"] = size
            x = x - np.where(sign < 0, 0.0, previous)
            xs.append(x.copy())
            x = _next(x, follow, t)
            continue
        elif opt_id == "polyak_sgd":
            norm2 = float(np.dot(g, g))
            step = 0.0 if norm2 <= 2.220446049250313e-16 else min((f(x) - f_min) / norm2, lr)
            x = x - step * g
            xs.append(x.copy())
            x = _next(x, follow, t)
            continue
        else:
            raise KeyError(opt_id)
        x = x - lr * u
        xs.append(x.copy())
        x = _next(x, follow, t)
    return np.asarray(xs)


def _next(x, follow, t):
    return x if follow is None else np.asarray(follow[t], np.float64)


def _hessian(grad):
    def hessian(p, h=1e-6):
        return np.stack([(grad(p + h * e) - grad(p - h * e)) / (2 * h) for e in np.eye(2)], axis=1)

    return hessian


def test_every_optimizer_has_a_textbook_run():
    assert set(RUNS) | {"lbfgs"} == set(OPTIMIZERS)


@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize("opt_id", list(RUNS))
def test_rule_on_screen_is_the_engine_trajectory(opt_id, surface):
    query, f, grad, f_min = SURFACES[surface]
    extra, lrs = RUNS[opt_id]
    spec = ",".join(filter(None, [f"lr={lrs[surface]}", extra]))
    scene = Scene.from_query(f"{query}&steps={STEPS}&run={opt_id}:{spec}")
    run = scene.runs[0]
    result = simulate(scene).runs[0]
    assert result.diverged_at is None, f"{spec} diverged on {surface}; pick a stable case"
    lr_table = list(result.lr) + [result.lr[-1]]  # a constant schedule: the next update's rate is the same
    lr_table = _warmed(run, lr_table) if opt_id == "schedule_free_adamw" else lr_table
    engine = result.xy.astype(np.float64)
    want = textbook(opt_id, dict(run.values), lr_table, scene.start, f, grad, f_min, _hessian(grad), follow=engine)
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
    want = textbook("nesterov", dict(scene.runs[0].values), lrs, scene.start, f, grad, f_min)
    np.testing.assert_allclose(result.xy, want, rtol=2e-5, atol=2e-5 * (1 + np.abs(want).max()))


def _warmed(run, table):
    """The learning rates after schedule-free's own warm-up: optax ramps
    linearly from 0 over `warmup_steps` updates, counting from 0."""
    w = run.values["warmup_steps"]
    return [lr * (min(k, w) / w if w else 1.0) for k, lr in enumerate(table)]


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
