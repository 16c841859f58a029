"""The scene being edited in the page, as plain data: what every control
shows and what each change does. No Streamlit here; `controls.py` draws the
widgets and calls these functions, and tests/test_draft.py tests them.

A `Draft` is a valid `Scene`, the run whose controls are shown, and what was
typed into a control but not accepted (a formula with a typo, a window with
xmin > xmax), shown back with its problem until it is fixed. Controls are
named by keys:

    surface, surface.<knob>, f, window.on, window.x0 .. window.y1,
    start.x, start.y, steps, pick (the run shown),
    run.optimizer, run.<key> and run.<key>.on (a switch such as clip_norm),
    run.<group>.on for keys that switch on together (x0 and y0: run.start.on)

`values(draft)` gives every control's value; `apply(draft, key, value)`
returns the draft after one control changed. Each numeric control exists
twice, a slider and a box to type in: `<key>` and `<key>.typed` carry the same
value, and a change of either is applied the same way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from visualizer.core import surfaces
from visualizer.core.errors import SceneError
from visualizer.core.knobs import (
    FLOAT32_TINY,
    Choice,
    Knob,
    number_text,
)
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.run import (
    CHOICE,
    NUMBER,
    SWITCH,
    TEXT,
    Run,
    RunKey,
)
from visualizer.core.scene import (
    COORD,
    MAX_RUNS,
    STEPS,
    WINDOW,
    Scene,
)
from visualizer.core.variants import (
    BUDGET,
    LIMITS,
    Explore,
    axis_knobs,
    resolve,
)

TYPED = ".typed"  # suffix of the type-in twin of a numeric control
NEW_RUN_OPTIMIZER = "adam"

# Switch keys that go on and off together, with one checkbox.
GROUPS = {"x0": "start", "y0": "start"}


@dataclass(frozen=True)
class Draft:
    scene: Scene
    selected: int = 0
    typed: Mapping[str, object] = field(default_factory=dict)  # rejected input, shown until fixed
    problems: Mapping[str, str] = field(default_factory=dict)  # by control key

    @property
    def run(self) -> Run:
        return self.scene.runs[self.selected]


def from_scene(scene: Scene, selected: int = 0) -> Draft:
    return Draft(scene, max(0, min(selected, len(scene.runs) - 1)))


# ---------------------------------------------------------------- what the controls show


def switch_key(name: str) -> str:
    """The checkbox that switches run key `name` on and off."""
    return f"run.{GROUPS.get(name, name)}.on"


def values(draft: Draft) -> dict[str, object]:
    """The value every control of the draft shows (the rejected input where
    there is one). Numeric values are floats or ints as their knob says."""
    scene, run = draft.scene, draft.run
    surface = scene.resolved_surface()
    window = scene.surface_params.get("window") or surface.window
    out: dict[str, object] = {
        "surface": scene.surface,
        "f": scene.formula if scene.formula is not None else "",
        "window.on": "window" in scene.surface_params,
        "start.x": float(scene.start[0]),
        "start.y": float(scene.start[1]),
        "steps": int(scene.steps),
        "pick": draft.selected,
        "run.optimizer": run.optimizer,
    }
    for (x0, x1), names in ((window[0], ("window.x0", "window.x1")), (window[1], ("window.y0", "window.y1"))):
        out[names[0]], out[names[1]] = float(x0), float(x1)
    for param in surfaces.SURFACES[scene.surface].params:
        value = scene.surface_params.get(param.name, param.default)
        out[f"surface.{param.name}"] = value if isinstance(param, Choice) else float(value)
    network = surfaces.SURFACES[scene.surface].kind == surfaces.NETWORK
    for k in run.keys():
        if k.model_only and not network:
            continue  # what a network does with its unlabelled points: no control elsewhere
        value = run.values[k.name]
        if k.kind == SWITCH:
            # Switches of one group share a checkbox: on if any of them is.
            out[switch_key(k.name)] = out.get(switch_key(k.name), False) or value is not None
            if value is None:
                value = _switch_default(scene, k)
        out[f"run.{k.name}"] = k.knob.coerce(value) if k.knob else value
    # The box to type in holds text, so any number can be typed in any form.
    for key in [k for k in out if _is_numeric(k, draft)]:
        out[key + TYPED] = number_text(out[key])
    out.update(draft.typed)
    return out


def _switch_default(scene: Scene, key: RunKey):
    """The value a switch shows while off, and takes when switched on."""
    if key.name == "x0":
        return float(scene.start[0])
    if key.name == "y0":
        return float(scene.start[1])
    return key.knob.default


def _is_numeric(control: str, draft: Draft) -> bool:
    return knob_of(draft, control) is not None


def knob_of(draft: Draft, control: str) -> Knob | None:
    """The knob behind a numeric control (None for the others)."""
    control = control.removesuffix(TYPED)
    if control.startswith("surface."):
        surface = surfaces.SURFACES[draft.scene.surface]
        name = control.removeprefix("surface.")
        return next((p for p in surface.knobs if p.name == name), None)
    if control.startswith("run."):
        name = control.removeprefix("run.")
        key = next((k for k in draft.run.keys() if k.name == name), None)
        return key.knob if key is not None and key.kind in (NUMBER, SWITCH) else None
    return {"start.x": COORD, "start.y": COORD, "steps": STEPS, "window.x0": WINDOW, "window.x1": WINDOW,
            "window.y0": WINDOW, "window.y1": WINDOW}.get(control)


# ---------------------------------------------------------------- changes


def apply(draft: Draft, control: str, value) -> Draft:
    """The draft after control `control` took `value`. A value that is not
    allowed leaves the scene as it was and records the problem (and, for
    text, what was typed, so it can be fixed rather than retyped)."""
    key = control.removesuffix(TYPED)
    knob = knob_of(draft, key)
    draft = replace(draft, problems={k: v for k, v in draft.problems.items() if k != key},
                    typed={k: v for k, v in draft.typed.items() if k.removesuffix(TYPED) != key})
    if knob is not None:
        problem = _check(knob, value, key)
        if problem:
            typed = {**draft.typed, control: value} if control.endswith(TYPED) and isinstance(value, str) else {}
            return replace(draft, typed={**draft.typed, **typed}, problems={**draft.problems, key: problem})
        value = knob.coerce(float(value))
    try:
        return _apply(draft, key, value)
    except SceneError as exc:
        typed = {**draft.typed, key: value} if isinstance(value, str | float) else draft.typed
        return replace(draft, typed=typed, problems={**draft.problems, key: str(exc)})


def _check(knob: Knob, value, key: str) -> str:
    if value is None or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
        return f"{knob.label}: type a number; {knob.allowed()}"
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        return f"{knob.label}: {str(value)[:20]!r} is not a number; {knob.allowed()}"
    if not math.isfinite(number) or not knob.contains(number):
        return f"{knob.label}: {number:g} is not allowed; {knob.allowed()}"
    if number != 0 and abs(number) < FLOAT32_TINY:
        return f"{knob.label}: {number:g} is too small to tell from 0 in float32; use 0 or at least {FLOAT32_TINY:.3g}"
    if knob.integer and not number.is_integer():
        return f"{knob.label}: {number:g} is not a whole number"
    return ""


def _apply(draft: Draft, key: str, value) -> Draft:
    scene = draft.scene
    if key == "surface":
        return change_surface(draft, value)
    if key.startswith("surface."):
        name = key.removeprefix("surface.")
        param = surfaces.SURFACES[scene.surface].param(name)
        if isinstance(param, Choice):
            value = param.parse(str(value), f"surface {scene.surface}", "surface")
        return _with_scene(draft, scene.replace(surface_params={**scene.surface_params, name: value}))
    if key == "f":
        return _with_scene(draft, scene.replace(formula=str(value)))
    if key == "window.on":
        params = dict(scene.surface_params)
        params.pop("window", None)
        if value:
            params["window"] = scene.resolved_surface().window
        return _with_scene(draft, scene.replace(surface_params=params))
    if key.startswith("window."):
        return _change_window(draft, key, value)
    if key in ("start.x", "start.y"):
        start = (value, scene.start[1]) if key == "start.x" else (scene.start[0], value)
        return _with_scene(draft, scene.replace(start=start))
    if key == "steps":
        return _with_scene(draft, _scene_with_steps(scene, int(value)))
    if key == "pick":
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < len(scene.runs):
            raise SceneError(f"pick: {str(value)[:20]!r} is not a run of this scene")
        return _forget_run_input(replace(draft, selected=value))
    if key == "run.optimizer":
        return change_optimizer(draft, value)
    if key.startswith("explore."):
        return _apply_explore(draft, key, value)
    if key.startswith("run.") and key.endswith(".on"):
        return _switch(draft, key, bool(value))
    if key.startswith("run."):
        name = key.removeprefix("run.")
        run_key = next((k for k in draft.run.keys() if k.name == name), None)
        if run_key is None:
            raise SceneError(f"{name}: this run has no such setting", "run")
        if run_key.kind == TEXT:
            value = str(value).strip()
        if run_key.kind == CHOICE and value not in run_key.choices:
            raise SceneError(f"{name}: {str(value)[:20]!r} is not one of {', '.join(run_key.choices)}", "run")
        return _with_run(draft, draft.run.replace(**{name: value}))
    raise SceneError(f"{key}: no such control")


def _with_scene(draft: Draft, scene: Scene) -> Draft:
    """Adopt `scene` only if the scene language accepts it (its canonical
    form parses to itself): the page can only ever show valid scenes. An
    exploration the change leaves without its axis (a momentum map after the
    run became Adam) is closed, and says so, rather than refusing the change."""
    problems = dict(draft.problems)
    try:
        parsed = Scene.from_query(scene.to_query())
    except SceneError as exc:
        if exc.key != "explore" or scene.explore is None:
            raise
        parsed = Scene.from_query(scene.replace(explore=None).to_query())
        problems["explore"] = f"{exc} (the exploration was closed)"
    return replace(draft, scene=parsed, selected=min(draft.selected, len(parsed.runs) - 1), problems=problems)


def _with_run(draft: Draft, run: Run, index: int | None = None) -> Draft:
    runs = list(draft.scene.runs)
    runs[draft.selected if index is None else index] = run
    return _with_scene(draft, draft.scene.replace(runs=tuple(runs)))


def _scene_with_steps(scene: Scene, steps: int) -> Scene:
    """A new number of steps; the viewer's step shown cannot lie beyond it."""
    viewer = scene.viewer
    if viewer.step is not None and viewer.step > steps:
        viewer = viewer.replace(step=None)
    return scene.replace(steps=steps, viewer=viewer)


def _change_window(draft: Draft, key: str, value: float) -> Draft:
    scene = draft.scene
    current = values(replace(draft, typed={}))
    edges = {name: float(draft.typed.get(name, current[name]))
             for name in ("window.x0", "window.x1", "window.y0", "window.y1")}
    edges[key] = float(value)
    x0, x1, y0, y1 = (edges[n] for n in ("window.x0", "window.x1", "window.y0", "window.y1"))
    if not (x0 < x1 and y0 < y1):
        typed = {**draft.typed, key: float(value)}
        return replace(draft, typed=typed, problems={
            **draft.problems, key: "The window needs xmin < xmax and ymin < ymax; the last good one is kept."})
    typed = {k: v for k, v in draft.typed.items() if not k.startswith("window.")}
    problems = {k: v for k, v in draft.problems.items() if not k.startswith("window.")}
    params = {**scene.surface_params, "window": ((x0, x1), (y0, y1))}
    return replace(_with_scene(draft, scene.replace(surface_params=params)), typed=typed, problems=problems)


def _switch(draft: Draft, key: str, on: bool) -> Draft:
    group = key.removeprefix("run.").removesuffix(".on")
    names = [n for n, g in GROUPS.items() if g == group] or [group]
    changes = {}
    for name in names:
        run_key = next(k for k in draft.run.keys() if k.name == name)
        changes[name] = (_switch_default(draft.scene, run_key) if on else None)
    return _with_run(draft, draft.run.replace(**changes))


def change_surface(draft: Draft, surface_id: str) -> Draft:
    """Another surface keeps the runs (optimizers, learning rates, labels and
    settings); the start, steps and window become the new surface's own, and
    runs drop their own starts (they belonged to the old window) and, off a
    network, what a network does with unlabelled points."""
    if surface_id not in surfaces.SURFACES:
        raise SceneError(f"surface: unknown surface {surface_id!r}", "surface")
    fresh = Scene.default(surface_id)
    network = surfaces.SURFACES[surface_id].kind == surfaces.NETWORK
    runs = tuple(r.replace(x0=None, y0=None) for r in draft.scene.runs)
    if not network:
        runs = tuple(r.without_model_only() for r in runs)
    scene = _scene_with_steps(fresh.replace(runs=runs, viewer=draft.scene.viewer, explore=draft.scene.explore),
                              fresh.steps)
    return _with_scene(replace(draft, typed={}, problems={}), scene)


def change_optimizer(draft: Draft, optimizer_id: str) -> Draft:
    """Another optimizer for the selected run: its learning rate, schedule
    and settings stay (`Run.with_optimizer`); a label that names the old
    optimizer would now be wrong, so it goes."""
    if optimizer_id not in OPTIMIZERS:
        raise SceneError(f"optimizer: unknown optimizer {optimizer_id!r}", "run")
    run = draft.run
    if _names_an_optimizer(run.label):
        run = run.replace(label="")
    return _with_run(draft, run.with_optimizer(optimizer_id))


def _names_an_optimizer(label: str) -> bool:
    """Does the label name an optimizer (as a whole word: "a million steps"
    does not name Lion)?"""
    words = {w for o in OPTIMIZERS.values() for w in (o.name.casefold(), o.id)}
    return any(re.search(rf"(?<![\w]){re.escape(w)}(?![\w])", label.casefold()) for w in words)


def add_run(draft: Draft) -> Draft:
    """A new run of the default new optimizer at its default settings, shown."""
    runs = draft.scene.runs
    if len(runs) >= MAX_RUNS:
        return draft
    new = _with_scene(draft, draft.scene.replace(runs=(*runs, Run.make(NEW_RUN_OPTIMIZER))))
    return _forget_run_input(replace(new, selected=len(runs)))


def duplicate_run(draft: Draft) -> Draft:
    """A copy of the selected run right after it, shown. A copy of a run
    with its own label gets a label of its own ("Adam (copy)")."""
    runs = list(draft.scene.runs)
    if len(runs) >= MAX_RUNS:
        return draft
    copy = draft.run
    if copy.label:
        copy = copy.replace(label=_copy_label(copy.label, {r.label for r in runs}))
    runs.insert(draft.selected + 1, copy)
    viewer = draft.scene.viewer
    hidden = tuple(n + (n > draft.selected + 1) for n in viewer.hide)
    scene = draft.scene.replace(runs=tuple(runs), viewer=viewer.replace(hide=hidden),
                                explore=_explore_moved(draft.scene.explore, lambda n: n + (n > draft.selected + 1)))
    return _forget_run_input(replace(_with_scene(draft, scene), selected=draft.selected + 1))


def _copy_label(label: str, taken: set[str]) -> str:
    from visualizer.core.run import MAX_LABEL_LENGTH

    for n in range(1, MAX_RUNS + 2):
        suffix = " (copy)" if n == 1 else f" (copy {n})"
        candidate = label[: MAX_LABEL_LENGTH - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
    return label


def remove_run(draft: Draft) -> Draft:
    """Remove the selected run (never the last one); the one before it is shown."""
    runs = list(draft.scene.runs)
    if len(runs) <= 1:
        return draft
    del runs[draft.selected]
    viewer = draft.scene.viewer
    hidden = tuple(n - (n > draft.selected + 1) for n in viewer.hide if n != draft.selected + 1)
    moved = _explore_moved(draft.scene.explore, lambda n: None if n == draft.selected + 1 else n - (n > draft.selected + 1))
    scene = draft.scene.replace(runs=tuple(runs), viewer=viewer.replace(hide=hidden), explore=moved)
    return _forget_run_input(replace(_with_scene(draft, scene), selected=max(0, draft.selected - 1)))


def _forget_run_input(draft: Draft) -> Draft:
    """Rejected input and problems of the run controls belong to the run
    that was shown; another run shown starts clean."""
    return replace(draft, typed={k: v for k, v in draft.typed.items() if not k.startswith("run.")},
                   problems={k: v for k, v in draft.problems.items() if not k.startswith("run.")})


def set_start(draft: Draft, x: float, y: float, run: int | None = None) -> Draft:
    """A start clicked on the plot, rounded to a thousandth of the window so
    the controls and the link stay readable: every run's start (the scene's;
    runs drop their own), or one run's own start."""
    (x0, x1), (y0, y1) = draft.scene.resolved_surface().window
    x = _round_to(float(x), (x1 - x0) / 1000)
    y = _round_to(float(y), (y1 - y0) / 1000)
    x, y = (max(COORD.low, min(COORD.high, v)) for v in (x, y))
    if run is None:
        runs = tuple(r.replace(x0=None, y0=None) for r in draft.scene.runs)
        return _with_scene(draft, draft.scene.replace(start=(x, y), runs=runs))
    return _with_run(draft, draft.scene.runs[run].replace(x0=x, y0=y), index=run)


def _round_to(value: float, resolution: float) -> float:
    digits = max(0, -math.floor(math.log10(resolution))) if resolution > 0 else 6
    return round(float(value), digits)


# ---------------------------------------------------------------- explorations
#
# The exploration controls of the run shown: explore.kind (none, lr, map,
# starts, race), explore.x and explore.y (a map's two values), explore.n
# (points per axis; a race's budget of trials). A scene has at most one
# exploration; opening one for the run shown replaces one of another run.
# A race is every run's: every run's box shows it.

EXPLORE_KINDS = ("none", "lr", "map", "starts", "race")
EXPLORE_SIZES = {"lr": (32, 64, 128, 256, 512, 1024), "map": (16, 32, 64, 128, 256),
                 "starts": (32, 64, 128, 256), "race": (8, 16, 32, 64, 128)}  # a link may give any allowed n


def _size_default(kind: str) -> int:
    return BUDGET.default if kind == "race" else LIMITS[kind][2]


def explore_axes(draft: Draft) -> list[str]:
    """The values of the run shown that a map can vary (variants.axis_knobs)."""
    return list(axis_knobs(draft.scene, draft.run))


def _explore_range(draft: Draft, key: str) -> dict[str, float]:
    """The range a control opens an axis with, written out so that moving
    the run's own value moves its mark along the curve or map rather than
    the curve: the learning rate from lr/1000 to lr*1000 (3 digits), a
    value with a slider sweep narrower than its allowed range over that
    sweep, else the axis's default (nothing written)."""
    knob = axis_knobs(draft.scene, draft.run)[key]
    if key == "lr":
        lr = draft.run.lr
        lo, hi = float(f"{lr / 1000:.3g}"), float(f"{min(lr * 1000, knob.high):.3g}")
        lo = lo if knob.contains(lo) and lo >= FLOAT32_TINY else lr
        return {"lo": lo, "hi": min(hi, knob.high)}
    if knob.sweep:
        return {"lo": float(knob.sweep[0]), "hi": float(knob.sweep[1])}
    return {}


def explored_run(scene: Scene) -> int | None:
    """The 0-based index of the run the scene explores, or None."""
    return None if scene.explore is None else int(scene.explore.params.get("run", 1)) - 1


def explore_values(draft: Draft) -> dict[str, object]:
    """What the exploration controls of the run shown show: its exploration
    if it has one (kind "none" if not, or if another run is explored), and
    the axes and size a change would keep."""
    ex = draft.scene.explore
    mine = ex is not None and (ex.kind == "race" or explored_run(draft.scene) == draft.selected)
    kind = ex.kind if mine else "none"
    axes = explore_axes(draft)
    x = ex.params.get("x") if mine and kind == "map" else None
    y = ex.params.get("y") if mine and kind == "map" else None
    x = x or "lr"
    hypers = [h.name for h in OPTIMIZERS[draft.run.optimizer].hypers]
    surface_knobs = [p.name for p in draft.scene.resolved_surface().knobs]
    preferred = sorted(axes, key=lambda k: (k not in hypers, k not in surface_knobs))
    y = y or next((k for k in preferred if k != x), x)
    n = ex.params.get("budget" if kind == "race" else "n", _size_default(kind)) if mine else None
    return {"explore.kind": kind, "explore.x": x, "explore.y": y, "explore.n": n}


def open_exploration(draft: Draft, kind: str, x: str | None = None, y: str | None = None,
                     n: int | None = None) -> Draft:
    """The run shown explored as `kind` ("none" closes any exploration).
    Keeps what still applies of this run's exploration of the same kind (its
    size, tolerance, ranges of unchanged axes); a map's x and y default to
    the learning rate and the run's next value; x equal to y swaps them."""
    if kind == "none":
        return close_exploration(draft)
    if kind not in EXPLORE_KINDS:
        raise SceneError(f"explore: unknown kind {str(kind)[:20]!r}; allowed: {', '.join(EXPLORE_KINDS)}", "explore")
    ex = draft.scene.explore
    if kind == "race":  # every run's: its budget the one value a control sets
        params = dict(ex.params) if ex is not None and ex.kind == "race" else {}
        if n is not None:
            params["budget"] = int(n)
        if params.get("budget") == BUDGET.default:
            del params["budget"]
        explore = Explore("race", params)
        resolve(explore, draft.scene)
        return _with_scene(draft, draft.scene.replace(explore=explore))
    same = ex is not None and ex.kind == kind and explored_run(draft.scene) == draft.selected
    params = dict(ex.params) if same else {}
    params.pop("run", None)
    if draft.selected:
        params["run"] = draft.selected + 1
    if n is not None:
        params["n"] = int(n)
    if params.get("n") == LIMITS[kind][2]:
        del params["n"]  # the default: the link stays short
    if kind == "map":
        shown = explore_values(draft)
        old = {"x": shown["explore.x"], "y": shown["explore.y"]}
        new = {"x": x or old["x"], "y": y or old["y"]}
        if new["x"] == new["y"]:  # one axis took the other's value: the other takes the one given up
            other = "y" if x else "x"
            new[other] = old["x" if other == "y" else "y"]
        for axis in ("x", "y"):
            if new[axis] != params.get(axis):
                params.pop(axis + "lo", None)
                params.pop(axis + "hi", None)
                params.update({axis + k: v for k, v in _explore_range(draft, new[axis]).items()})
        params.update(new)
    if kind == "lr" and not same:
        params.update(_explore_range(draft, "lr"))
    explore = Explore(kind, params)
    resolve(explore, draft.scene)  # a SceneError names what does not fit
    return _with_scene(draft, draft.scene.replace(explore=explore))


def close_exploration(draft: Draft) -> Draft:
    return replace(_with_scene(draft, draft.scene.replace(explore=None)),
                   problems={k: v for k, v in draft.problems.items() if not k.startswith("explore")})


def pick_variant(draft: Draft, i: int, j: int | None = None) -> Draft:
    """Apply variant (i) of an lr exploration, or cell (i, j) (x index, y
    index) of a map or of starts, to the explored run, which is then shown:
    its learning rate (the range is written out, so the curve stays where it
    is while the run's lr moves), its two values (a surface knob to the
    surface), or its start (its own x0, y0 if it has them, else the scene's
    start, which the other runs without their own share). Indices outside
    the exploration raise a SceneError."""
    scene = draft.scene
    if scene.explore is None:
        raise SceneError("pick: there is no exploration to pick from", "explore")
    resolved = resolve(scene.explore, scene)
    shape = resolved.shape[::-1]  # (n,) or (nx, ny)
    index = (i,) if len(shape) == 1 else (i, j)
    if not all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k < size for k, size in zip(index, shape,
                                                                                                    strict=True)):
        raise SceneError(f"pick: {index} is not a variant of this exploration ({' x '.join(map(str, shape))})",
                         "explore")
    values = {axis.key: float(axis.values[k]) for axis, k in zip(resolved.axes, index, strict=True)}
    run = scene.runs[resolved.run]
    draft = _forget_run_input(replace(draft, selected=resolved.run))
    if resolved.kind == "starts":
        if run.x0 is not None or run.y0 is not None:
            return _with_run(draft, run.replace(x0=values["x"], y0=values["y"]))
        return _with_scene(draft, scene.replace(start=(values["x"], values["y"])))
    if resolved.kind == "lr":
        params = {**scene.explore.params, "lo": float(resolved.axes[0].values[0]),
                  "hi": float(resolved.axes[0].values[-1])}
        scene = scene.replace(explore=Explore("lr", params))
    knobs = {p.name for p in scene.resolved_surface().knobs}
    surface = {k: v for k, v in values.items() if k in knobs}
    runs = list(scene.runs)
    runs[resolved.run] = run.replace(**{k: v for k, v in values.items() if k not in knobs})
    return _with_scene(draft, scene.replace(runs=tuple(runs), surface_params={**scene.surface_params, **surface}))


def _apply_explore(draft: Draft, key: str, value) -> Draft:
    shown = explore_values(draft)
    if key == "explore.kind":
        return open_exploration(draft, str(value))
    if shown["explore.kind"] == "none":
        raise SceneError(f"{key}: open an exploration first", "explore")
    if key in ("explore.x", "explore.y"):
        if value not in explore_axes(draft):
            raise SceneError(f"{key}: the run has no {str(value)[:20]!r} to vary", "explore")
        return open_exploration(draft, "map", **{key.removeprefix("explore."): str(value)})
    if key == "explore.n":
        if not isinstance(value, int) or isinstance(value, bool):
            raise SceneError(f"explore.n: {str(value)[:20]!r} is not a whole number", "explore")
        return open_exploration(draft, str(shown["explore.kind"]), n=value)
    raise SceneError(f"{key}: no such control")


def _explore_moved(explore, number):
    """The exploration after the runs moved: `number(n)` is run n's new
    1-based number (None: it was removed, and the exploration goes)."""
    if explore is None:
        return None
    new = number(int(explore.params.get("run", 1)))
    if new is None:
        return None
    params = {k: v for k, v in explore.params.items() if k != "run"}
    return Explore(explore.kind, {**params, "run": new} if new != 1 else params)


__all__ = [
    "CHOICE", "Draft", "EXPLORE_KINDS", "NUMBER", "SWITCH", "TEXT", "TYPED", "add_run", "apply",
    "change_optimizer", "change_surface", "close_exploration", "duplicate_run", "explore_values", "from_scene",
    "knob_of", "open_exploration", "pick_variant", "remove_run", "set_start", "switch_key", "values",
]
