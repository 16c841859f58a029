"""What the browser gets for an exploration: the outcomes of every variant in
a compact form, and what the maths says exactly where it can.

`browser_form(exploration)` is the part of the player's payload that draws
the curve (`lr`), the map (`map`) or the basins (`starts`); `own_values`
adds the run's current value(s), which change with the run while the
exploration does not. visualizer/page/player.py documents the contract.

Per variant, in the order of `Exploration.final_loss.ravel()` (for a map,
row j = the y axis's value j):

- `cls`, u1: the minimum the run ended at (its index in the surface's
  minima), or NO_MINIMUM, DIVERGED, or NOT_FINITE (f is not finite at the
  start: only `starts` over a formula's window);
- `steps`, u2: for a diverged variant the update it diverged at, for the
  others the first step within `tol` of f* (NEVER: not within `tol`);
- `final_loss`, f4 (NaN where null).

Each array travels deflated (zlib) and base64-encoded: basins are large
uniform regions, so a 128 x 128 map of starts is a few KB instead of 150.

**Exact where the maths allows.** On the quadratic bowl, SGD, momentum and
Nesterov with a constant learning rate and no clipping or noise are linear
iterations: along each eigenvector of the Hessian (curvatures 1 and cond)
the error and the velocity move by a fixed 2x2 matrix, and the run
converges like the larger spectral radius of the two matrices, per step
(`spectral_radius`). An lr exploration then draws the stability limit
(`stability_limit`: the largest learning rate with radius below 1), and a
map over any two of lr, momentum, cond and angle carries the exact rate
plane beside the measured one, (f(x_T) - f*) / (f(x_0) - f*) to the power
1 / (2T): the loss is quadratic in the error, so it shrinks like the radius
squared per step (tests/test_explore_page.py holds both against runs).
"""

from __future__ import annotations

import base64
import hashlib
import math
import zlib

import numpy as np

from visualizer.core import landmarks
from visualizer.core.errors import SceneError
from visualizer.core.exploration import Exploration
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.scene import Scene
from visualizer.core.variants import Explore, axis_knobs, resolve

NO_MINIMUM, DIVERGED, NOT_FINITE = 250, 251, 252  # cls codes; below them, a minimum's index
NEVER = 65535  # steps: never within tol
LINEAR = ("sgd", "momentum", "nesterov")  # linear iterations on a quadratic
RATE_AXES = ("lr", "momentum", "cond", "angle")  # what the exact rate plane can vary


# ---------------------------------------------------------------- the exact maths


def spectral_radius(optimizer: str, lr, curvature, momentum=0.0) -> np.ndarray:
    """Per step, how fast `optimizer` shrinks the error along an eigenvector
    of curvature h of a quadratic: the spectral radius of its 2x2 iteration
    matrix on (error, velocity). With a = lr * h and mu the momentum (optax's
    `trace`: v' = mu v + g),

        momentum (heavy ball)  x' = x - lr v',             z^2 - (1 + mu - a) z + mu = 0
        Nesterov               x' = x - lr (g + mu v'),    z^2 - (1 + mu)(1 - a) z + mu (1 - a) = 0
        SGD                    momentum with mu = 0:       |1 - a|

    and the radius is the larger |z| of the two roots: (|b| + sqrt(b^2 - 4c)) / 2
    for real roots, sqrt(c) for a complex pair. Below 1 the run converges
    (like radius^k), above 1 it diverges. Arrays broadcast."""
    a = np.asarray(lr, np.float64) * np.asarray(curvature, np.float64)
    mu = np.zeros_like(a) if optimizer == "sgd" else np.asarray(momentum, np.float64) + np.zeros_like(a)
    if optimizer in ("sgd", "momentum"):
        b, c = 1 + mu - a, mu
    elif optimizer == "nesterov":
        b, c = (1 + mu) * (1 - a), mu * (1 - a)
    else:
        raise ValueError(f"{optimizer!r} is not a linear iteration; exact rates exist for {', '.join(LINEAR)}")
    disc = b * b - 4 * c
    return np.where(disc >= 0, (np.abs(b) + np.sqrt(np.abs(disc))) / 2, np.sqrt(np.abs(c)))


def quadratic_rate(optimizer: str, lr, momentum, cond) -> np.ndarray:
    """The rate of a run on the quadratic bowl (curvatures 1 and cond; the
    angle only rotates the eigenvectors): the larger of the two radii."""
    return np.maximum(spectral_radius(optimizer, lr, 1.0, momentum), spectral_radius(optimizer, lr, cond, momentum))


def is_linear(scene: Scene, run) -> bool:
    """Is `run` a linear iteration on `scene` (exact rates exist)?"""
    return (scene.surface == "quadratic" and run.optimizer in LINEAR and run.schedule == "constant"
            and run.clip_value is None and run.clip_norm is None and run.noise == 0)


def stability_limit(scene: Scene, run) -> dict | None:
    """The largest stable learning rate of a linear run on the quadratic,
    with its formula, or None where it is not exact. L = cond is the largest
    curvature: SGD 2/L, momentum 2(1+mu)/L, Nesterov 2(1+mu)/((1+2mu)L)
    (where the radius of `spectral_radius` reaches 1)."""
    if not is_linear(scene, run):
        return None
    big = scene.surface_values()["cond"]  # >= 1: the steep axis
    mu = run.hyper.get("momentum", 0.0)
    if run.optimizer == "sgd":
        return {"lr": 2 / big, "formula": "2/L", "L": big}
    if run.optimizer == "momentum":
        return {"lr": 2 * (1 + mu) / big, "formula": "2(1+μ)/L", "L": big}
    return {"lr": 2 * (1 + mu) / ((1 + 2 * mu) * big), "formula": "2(1+μ)/((1+2μ)L)", "L": big}


def rate_planes(exploration: Exploration) -> dict | None:
    """For a map of a linear run on the quadratic over two of RATE_AXES: the
    exact rate per cell and the measured one, (ny, nx) arrays (NaN where the
    run diverged or the loss reached 0, which leaves no rate to measure)."""
    scene, resolved = exploration.scene, exploration.resolved
    run = scene.runs[resolved.run]
    if resolved.kind != "map" or not is_linear(scene, run) or any(a.key not in RATE_AXES for a in resolved.axes):
        return None
    x_axis, y_axis = resolved.axes
    gx, gy = np.meshgrid(x_axis.values, y_axis.values)
    values = {"lr": run.lr, "momentum": run.hyper.get("momentum", 0.0), **scene.surface_values()}
    values.update({x_axis.key: gx, y_axis.key: gy})
    exact = quadratic_rate(run.optimizer, values["lr"], values["momentum"], values["cond"])
    exact = np.broadcast_to(exact, gx.shape)
    f_star = landmarks.of(scene).lowest
    x0, y0 = scene.start_of(run)
    surface = scene.resolved_surface()
    # f at the start, once per (cond, angle) the map holds (one pair unless one of them is an axis)
    pairs = np.stack(np.broadcast_arrays(values["cond"], values["angle"], gx), -1)[..., :2].reshape(-1, 2)
    unique, where = np.unique(pairs, axis=0, return_inverse=True)
    f0 = np.array([float(surface.fn(x0, y0, cond=float(c), angle=float(a))) for c, a in unique])
    gap0 = f0[where.ravel()].reshape(gx.shape) - f_star
    gap = exploration.final_loss.astype(np.float64) - f_star
    with np.errstate(divide="ignore", invalid="ignore"):
        measured = np.where((gap > 0) & (gap0 > 0), (gap / gap0) ** (1 / (2 * scene.steps)), np.nan)
    return {"exact": exact, "measured": measured}


# ---------------------------------------------------------------- the cache key


def cache_key(scene: Scene) -> str:
    """A canonical query that computes the same exploration as `scene`'s and
    is shared by every scene that does: the explored run alone, its ranges
    written out, and the values the exploration varies set to a fixed one.
    So applying a picked value to the run (which changes the scene but not
    its exploration) finds the exploration in the cache."""
    if scene.explore.kind == "race":  # every run races: the scene without what is only shown
        from visualizer.core.scene import Viewer

        runs = tuple(run.replace(label="") for run in scene.runs)
        return scene.replace(runs=runs, lesson=None, viewer=Viewer()).to_query()
    resolved = resolve(scene.explore, scene)
    run = scene.runs[resolved.run].replace(label="")
    params = dict(scene.surface_params)
    start = scene.start
    kind = resolved.kind
    if kind == "lr":
        (axis,) = resolved.axes
        spec = {"lo": float(axis.values[0]), "hi": float(axis.values[-1])}
        varied = {"lr": float(axis.values[0])}
    elif kind == "map":
        x_axis, y_axis = resolved.axes
        spec = {"x": x_axis.key, "y": y_axis.key, "xlo": float(x_axis.values[0]), "xhi": float(x_axis.values[-1]),
                "ylo": float(y_axis.values[0]), "yhi": float(y_axis.values[-1])}
        varied = {x_axis.key: float(x_axis.values[0]), y_axis.key: float(y_axis.values[0])}
    else:
        spec, varied = {}, {}
        run = run.replace(x0=None, y0=None)
        start = (0.0, 0.0)
    spec.update(n=len(resolved.axes[0].values), tol=resolved.tol, run=1)
    surface_knobs = {p.name for p in scene.resolved_surface().knobs}
    plain = Scene(surface=scene.surface, surface_params=params, formula=scene.formula, start=start,
                  steps=scene.steps, runs=(run,), explore=Explore(kind, spec))
    fixed = plain.replace(
        surface_params={**params, **{k: v for k, v in varied.items() if k in surface_knobs}},
        runs=(run.replace(**{k: v for k, v in varied.items() if k not in surface_knobs}),))
    for candidate in (fixed, plain):
        try:
            query = candidate.to_query()
            if Scene.from_query(query).to_query() == query:
                return query
        except SceneError:  # a fixed value the scene language refuses (a range end too small to write)
            continue
    return scene.replace(viewer=type(scene.viewer)(), lesson=None).to_query()


def key_id(key: str) -> str:
    """A short name for an exploration: a pick says which one it was made on."""
    return hashlib.sha1(key.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- the browser form


def encode(array, dtype: str) -> dict:
    """`{"dtype": "u1" | "u2" | "f4", "deflate": true, "bdata": base64}`:
    little-endian, zlib-compressed (the browser's DecompressionStream
    "deflate" reads it), NaN kept."""
    with np.errstate(over="ignore", invalid="ignore"):
        raw = np.ascontiguousarray(np.asarray(array).ravel(), dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
    return {"dtype": dtype, "deflate": True, "bdata": base64.b64encode(zlib.compress(raw, 6)).decode("ascii")}


def classes(exploration: Exploration) -> np.ndarray:
    """u1 per variant: the minimum reached, NO_MINIMUM, DIVERGED or NOT_FINITE."""
    cls = np.where(exploration.minimum >= 0, np.minimum(exploration.minimum, NO_MINIMUM - 1), NO_MINIMUM)
    cls = np.where(exploration.diverged_at >= 0, DIVERGED, cls)
    return np.where(exploration.start_not_finite, NOT_FINITE, cls).astype(np.uint8)


def steps(exploration: Exploration) -> np.ndarray:
    """u2 per variant: where it diverged (diverged), else where it came within tol (NEVER: not)."""
    arrived = np.where(exploration.steps_to_tol >= 0, exploration.steps_to_tol, NEVER)
    return np.where(exploration.diverged_at >= 0, exploration.diverged_at, arrived).astype(np.uint16)


def _axis(axis, scene: Scene, run, kind: str) -> dict:
    values = axis.values
    n = len(values)
    if kind == "starts":
        (x0, x1), (y0, y1) = scene.resolved_surface().window
        edges = (x0, x1) if axis.key == "x" else (y0, y1)
        title = axis.key
    else:
        # cells centred on the values: half a step beyond each end, in the axis's own scale
        if axis.scale == "log":
            half = (math.log(values[-1]) - math.log(values[0])) / (n - 1) / 2
            edges = (values[0] * math.exp(-half), values[-1] * math.exp(half))
        else:
            half = (values[-1] - values[0]) / (n - 1) / 2
            edges = (values[0] - half, values[-1] + half)
        title = axis_knobs(scene, run)[axis.key].label
    return {"key": axis.key, "title": title, "scale": axis.scale, "n": n, "lo": float(values[0]),
            "hi": float(values[-1]), "edges": [float(edges[0]), float(edges[1])]}


def browser_form(exploration: Exploration) -> dict:
    """The exploration as the player draws it (the run's own values apart:
    `own_values`)."""
    scene, resolved = exploration.scene, exploration.resolved
    run = scene.runs[resolved.run]
    marks = landmarks.of(scene)
    out = {
        "kind": resolved.kind,
        "tol": resolved.tol,
        "f_star": float(marks.lowest),
        "steps": scene.steps,
        "optimizer": OPTIMIZERS[run.optimizer].name,
        "axes": [_axis(a, scene, run, resolved.kind) for a in resolved.axes],
        "minima": [[float(x), float(y)] for x, y in marks.minima],
        "cls": encode(classes(exploration), "u1"),
        "steps_at": encode(steps(exploration), "u2"),
        "final_loss": encode(exploration.final_loss, "f4"),
    }
    if resolved.kind == "lr":
        limit = stability_limit(scene, run)
        if limit is not None:
            out["limit"] = limit
    planes = rate_planes(exploration)
    if planes is not None:
        out["rate"] = {"exact": encode(planes["exact"], "f4"), "measured": encode(planes["measured"], "f4"),
                       "optimizer": run.optimizer}
    return out


def race_form(race) -> dict:
    """A race (`visualizer.core.race.Race`) as the player draws it: per run
    its expected best final loss after k trials and its best trial's values."""
    scene = race.scene
    return {
        "kind": "race",
        "budget": race.budget,
        "keys": race.keys,
        "steps": scene.steps,
        "runs": [{"run": r.run, "optimizer": OPTIMIZERS[scene.runs[r.run].optimizer].name,
                  "best": r.best_values(), "best_after_k": [float(v) for v in r.best_after_k],
                  "diverged": int(np.count_nonzero(r.diverged_at >= 0))} for r in race.runs],
    }


def own_values(scene: Scene) -> list[float | None]:
    """The explored run's own value on each axis (its start for `starts`),
    None where it is not a number the axis can show."""
    resolved = resolve(scene.explore, scene)
    run = scene.runs[resolved.run]
    if resolved.kind == "starts":
        return [float(v) for v in scene.start_of(run)]
    surface = scene.surface_values()
    out = []
    for axis in resolved.axes:
        value = surface.get(axis.key, run.values.get(axis.key))
        out.append(float(value) if isinstance(value, int | float) and math.isfinite(value) else None)
    return out


def form_of(exploration) -> dict:
    """An exploration's browser form: `race_form` for a race, else `browser_form`."""
    return race_form(exploration) if exploration.kind == "race" else browser_form(exploration)


def for_scene(scene: Scene, form: dict) -> dict:
    """The browser form of `scene`'s exploration (`form_of` it, or of the
    exploration of its `cache_key`, which is the same) with what belongs to
    this scene: the explored run, its label and own values, and the id a
    click on it names (a race, every run's, only the id)."""
    if scene.explore.kind == "race":
        return dict(form, id=key_id(cache_key(scene)))
    resolved = resolve(scene.explore, scene)
    return dict(form, run=resolved.run, id=key_id(cache_key(scene)), own=own_values(scene),
                label=scene.runs[resolved.run].display_label())
