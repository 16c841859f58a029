"""What the browser gets for a scene: the surface grid and every run's
arrays, once, as base64 float32 (linear in steps; the player animates it),
the palette every run colour comes from, and the viewer's choices; with the
"Inside a step" overlays on, each run's gradients, optimizer state and the
numbers of its update rule (visualizer/core/step_rules.py) too.
visualizer/page/player.py documents the contract.
"""

from __future__ import annotations

from visualizer.browser import curves, model_payload, overlays, predict
from visualizer.browser.encode import encode_f32
from visualizer.browser.style import PALETTE  # THE palette of runs (style.json)
from visualizer.core import flow as flows
from visualizer.core import grid, step_rules
from visualizer.core.landmarks import Landmarks
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.results import RunResult, SimulationResult
from visualizer.core.scene import Viewer, viewer_keys


def color_of(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def surface_payload(surface, params: dict, marks: Landmarks) -> dict:
    xs, ys, z = grid.sample(surface, params)
    (x0, x1), (y0, y1) = surface.window
    return {
        "name": surface.name,
        "x": encode_f32(xs),
        "y": encode_f32(ys),
        "z": encode_f32(z),
        "log_scale": bool(surface.log_scale),
        "window": [[float(x0), float(x1)], [float(y0), float(y1)]],
        "minima": [[float(x), float(y)] for x, y in marks.minima],
        "minima_estimated": bool(marks.estimated),
        "saddles": [[float(x), float(y)] for x, y in marks.saddles],
    }


# The runs' arrays the player reads for itself (the paths, their 3D
# heights, the numbers of the update rule); the side charts' curves
# (visualizer/browser/curves.py) name the others.
PLAYER_ARRAYS = ("xy", "loss", "lr")


def runs_payload(result: SimulationResult) -> list[dict]:
    """Each run's arrays: the player's own and every one a curve draws
    where the run has it (a network's accuracies), and the run settings
    the curves draw as levels; on a model surface its start is where it is
    drawn to start (the plane's projection)."""

    scene, on_model = result.scene, result.model is not None
    arrays = tuple(dict.fromkeys((*PLAYER_ARRAYS, *curves.series_keys())))
    runs = []
    for i, r in enumerate(result.runs):
        start = r.xy[0] if on_model else scene.start_of(r.run)
        part = {"label": r.label, "color": color_of(i)}
        for key in arrays:
            value = getattr(r, key)
            if value is not None:
                part[key] = encode_f32(value)
        part["diverged_at"] = r.diverged_at
        if r.flow is not None:  # its continuous-time limit, where it leaves it and where it stops (flow=1)
            part["flow"] = encode_f32(r.flow)
            part["leaves_flow_at"] = r.leaves_flow_at
            part["flow_stops_at"] = r.flow_stops_at
            part["flow_stop"] = None if r.flow_stop is None else flows.BRIEF[r.flow_stop]
        if r.quantiles is not None:  # a cloud: the 10% and 90% quantiles of its points
            low, high = (r.quantiles["q"].index(q) for q in (0.1, 0.9))
            part["band"] = {"low": encode_f32(r.quantiles["xy"][low]), "high": encode_f32(r.quantiles["xy"][high]),
                            "seeds": int(r.run.seeds)}
        part.update({key: getattr(r.run, key) for key in curves.level_keys()})
        if on_model:
            part.update(model_payload.run_part(r))
        part["start"] = [float(v) for v in start]
        runs.append(part)
    return runs


def inside_payload(scene, result: RunResult) -> dict:
    """One run's part for the "Inside a step" overlays: its raw gradients,
    its optimizer's state and the numbers of its update rule."""
    rule = step_rules.build(scene, result)
    values = {name: dict(encode_f32(v), dims=int(v.shape[1])) for name, v in rule["values"].items()}
    return {
        "grad": encode_f32(result.grad),
        "state": {name: encode_f32(v) for name, v in result.state.items()},
        "rule": {
            "optimizer": OPTIMIZERS[result.run.optimizer].name,
            "lines": rule["lines"],
            "values": values,
            "constants": rule["constants"],
            "init": rule["init"],
            "points": list(step_rules.POINT_NAMES),
            "note": rule["note"],
            "processed": rule["processed"],
        },
        "overlays": overlays.run_drawings(rule),
    }


def viewer_payload(viewer: Viewer) -> dict:
    """The viewer's keys as the player reads them: the table (each key's
    kind, values, default and writer, in canonical order) and `viewer`'s
    value of each."""
    keys = viewer_keys()
    return {"keys": [key.describe() for key in keys],
            "values": {key.name: key.value_json(getattr(viewer, key.name)) for key in keys}}


def scene_payload(result: SimulationResult, surface: dict, address: str, inside: bool | None = None) -> dict:
    """Everything the player needs; `address` is the query the address bar
    should hold (the player adds the viewer's own choices to it).

    `inside`: None, the player has no "Inside a step" button (the payload is
    exactly what it was before the overlays existed); False, the button is
    there, off (`"inside": {"on": false}`, 20 bytes); True, it is on, the
    `inside` part holds the table of overlays and every run carries its
    `inside` part."""

    scene = result.scene
    if result.model is not None:
        surface, inside = model_payload.surface(result), None  # the plane; overlays are for 2D surfaces
    payload = {
        "query": address,
        "palette": list(PALETTE),
        "surface": surface,
        "start": [float(v) for v in (result.runs[0].xy[0] if result.model is not None else scene.start)],
        "steps": scene.steps,
        "runs": runs_payload(result),
        "curves": curves.curves_payload(),
        "viewer": viewer_payload(scene.viewer),
    }
    if result.model is not None:
        payload["model"] = model_payload.model(result)
    if scene.viewer.predict:
        payload["quiz"] = predict.quiz_part(scene, result)
    if inside is not None:
        payload["inside"] = {"on": True, "overlays": overlays.overlays_payload()} if inside else {"on": False}
        if inside:
            for run, part in zip(result.runs, payload["runs"], strict=True):
                part["inside"] = inside_payload(scene, run)
    return payload
