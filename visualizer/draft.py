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

import surfaces
from visualizer.errors import SceneError
from visualizer.knobs import FLOAT32_TINY, Choice, Knob, number_text
from visualizer.optimizers import OPTIMIZERS
from visualizer.run import CHOICE, NUMBER, SWITCH, TEXT, Run, RunKey
from visualizer.scene import COORD, MAX_RUNS, STEPS, WINDOW, Scene

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
    model = scene.surface_model()
    window = scene.surface_params.get("window") or model.window
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
    for k in run.keys():
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
        model = surfaces.SURFACES[draft.scene.surface]
        name = control.removeprefix("surface.")
        return next((p for p in model.knobs if p.name == name), None)
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
            params["window"] = scene.surface_model().window
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
        viewer = replace(viewer, step=None)
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
    runs drop their own starts (they belonged to the old window)."""
    if surface_id not in surfaces.SURFACES:
        raise SceneError(f"surface: unknown surface {surface_id!r}", "surface")
    fresh = Scene.default(surface_id)
    runs = tuple(r.replace(x0=None, y0=None) for r in draft.scene.runs)
    scene = _scene_with_steps(fresh.replace(runs=runs, viewer=draft.scene.viewer), fresh.steps)
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
    scene = draft.scene.replace(runs=tuple(runs), viewer=replace(viewer, hide=hidden))
    return _forget_run_input(replace(_with_scene(draft, scene), selected=draft.selected + 1))


def _copy_label(label: str, taken: set[str]) -> str:
    from visualizer.run import MAX_LABEL_LENGTH

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
    scene = draft.scene.replace(runs=tuple(runs), viewer=replace(viewer, hide=hidden))
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
    (x0, x1), (y0, y1) = draft.scene.surface_model().window
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


__all__ = [
    "CHOICE", "Draft", "NUMBER", "SWITCH", "TEXT", "TYPED", "add_run", "apply", "change_optimizer",
    "change_surface", "duplicate_run", "from_scene", "knob_of", "remove_run", "set_start",
    "switch_key", "values",
]
