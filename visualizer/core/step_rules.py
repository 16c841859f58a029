"""Inside a step: one run's numbers for the player's rule panel and overlays.

Each optimizer's rule, its lines with `@name` placeholders and its
drawings, is part of its entry (`Optimizer.step_rule`; what the names mean
is in visualizer/core/optimizers/step_rule.py). `build` fills it from a
`RunResult`: the gradient the optimizer saw, the learning rates, the
optimizer's state and the values the rule computes per update.
"""

from __future__ import annotations

import functools

import numpy as np

from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.optimizers.step_rule import Context

# Positions: the player shows them with enough digits to see the step.
POINT_NAMES = ("x", "xn", "z", "z_prev", "average", "average_prev")


def split_top(tex: str) -> tuple[str, str]:
    """`a = b = c` -> ("a", "b = c"): at the first `=` outside braces (the
    player aligns the lines there); ("tex", "") without one."""
    depth = 0
    for i, ch in enumerate(tex):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "=" and depth == 0:
            return tex[:i].rstrip(), tex[i + 1:].strip()
    return tex, ""


def optimizer_gradient(scene, run, raw: np.ndarray) -> np.ndarray | None:
    """The gradient the optimizer saw (after noise and clipping, as the
    engine's chain applies them), or None when that is the raw one."""
    if not (run.noise or run.clip_value is not None or run.clip_norm is not None):
        return None
    from visualizer.core.pipeline import noise_table
    from visualizer.core.programs import bucket_length

    g = raw.astype(np.float64)
    if run.noise:
        g = g + noise_table(run.noise, run.seed, bucket_length(scene.steps))[: len(g)].astype(np.float64)
    if run.clip_value is not None:
        g = np.clip(g, -run.clip_value, run.clip_value)
    if run.clip_norm is not None:
        norm = np.sqrt(np.sum(g * g, axis=1, keepdims=True))
        with np.errstate(invalid="ignore", divide="ignore"):
            g = np.where(norm > run.clip_norm, g / norm * run.clip_norm, g)
    return g


@functools.lru_cache(maxsize=16)
def _hessian_program(surface, names: tuple):
    import jax

    def loss(p, values):
        return surface.fn(p[0], p[1], **dict(zip(names, values, strict=True)))

    return jax.jit(jax.vmap(jax.hessian(loss), in_axes=(0, None)))


def hessians(scene, points: np.ndarray) -> np.ndarray:
    """The surface's Hessian at each point, (n, 4) row by row (float32, as
    the engine computes it)."""
    from visualizer.core.programs import bucket_length

    surface = scene.resolved_surface()
    values = scene.surface_values()
    names = tuple(sorted(values))
    length = bucket_length(max(len(points) - 1, 0))  # padded: one program per length bucket
    padded = np.zeros((length, 2), np.float32)
    padded[: len(points)] = points
    args = tuple(np.float32(values[k]) for k in names)
    return np.asarray(_hessian_program(surface, names)(padded, args), np.float64)[: len(points)].reshape(-1, 4)


def context(scene, result) -> Context:
    """The updates of one `RunResult` that have both ends (a diverged run's
    last one has not)."""
    from visualizer.core.schedules import lr_table

    run = result.run
    n = len(result.xy) - 1
    xy = result.xy.astype(np.float64)
    raw = result.grad[:n].astype(np.float64)
    seen = optimizer_gradient(scene, run, raw)
    table = lr_table(run.schedule, run.lr, scene.steps, run.schedule_params, n + 1).astype(np.float64)
    c = Context(g=raw if seen is None else seen, graw=raw, lr=result.lr[:n].astype(np.float64), x=xy[:n], xn=xy[1:],
                f=result.loss[:n].astype(np.float64), fn=result.loss[1:].astype(np.float64),
                state={k: v[:n].astype(np.float64) for k, v in result.state.items()}, h=dict(run.values),
                lr_next=table[1: n + 1])
    c.extra["processed"] = seen is not None
    if run.optimizer == "polyak_sgd":
        from visualizer.core import landmarks

        c.extra["f_min"] = landmarks.of(scene).lowest
    if run.optimizer == "newton":
        c.extra["hessian"] = hessians(scene, result.xy[:n])
    return c


def build(scene, result) -> dict:
    """The numbers of one run for the player (the `rule` part of its
    `inside`), as plain arrays: {"lines", "values", "constants", "init",
    "moment", "box", "note", "processed"}; visualizer/browser/payload.py encodes the
    arrays. See visualizer/page/player.py for the contract."""
    rule = OPTIMIZERS[result.run.optimizer].step_rule
    c = context(scene, result)
    values, constants = {}, {}
    computed = rule.values(c) if c.n else {}
    if c.extra["processed"]:
        computed = {"g": c.g, **computed}
    for name, value in computed.items():
        if isinstance(value, float | int):
            constants[name] = float(value)
        else:
            values[name] = np.asarray(value, np.float64).reshape(c.n, -1)
    init = {name: np.broadcast_to(np.asarray(v, np.float64), (2,)).tolist() for name, v in rule.init(c).items()}
    lines = []
    for line in rule.lines:
        lhs, rhs = split_top(line.tex)
        lines.append({"lhs": lhs, "rhs": rhs, "num": line.num, "result": line.result, "when": line.when})
    drawing = lambda d: None if d is None else {"label": d.label, "factors": list(d.factors),  # noqa: E731
                                                 "adds_to_gradient": d.adds_to_gradient}
    return {"lines": lines, "values": values, "constants": constants, "init": init, "moment": drawing(rule.moment),
            "box": drawing(rule.box), "note": rule.note, "processed": bool(c.extra["processed"])}
