"""What `simulate` returns, and its JSON and CSV forms.

Updates are numbered from 0: update k moves xy[k] to xy[k+1] with lr[k],
using the raw gradient grad[k] at xy[k] (norm grad_norm[k]); loss[k] =
f(xy[k]). docs/results.md describes the JSON and the CSV.
"""

from __future__ import annotations

import csv
import functools
import gc
import io
import json
import math
from dataclasses import dataclass, field

import numpy as np

from visualizer.core.run import Run
from visualizer.core.scene import Scene

DIVERGENCE_LIMIT = 1e6


@dataclass(frozen=True)
class RunResult:
    run: Run
    label: str  # as legends show it: two runs never read the same
    xy: np.ndarray  # (n + 1, 2) float32, all finite
    loss: np.ndarray  # (n + 1,)
    lr: np.ndarray  # (n,), or (n + 1,) when diverged
    grad: np.ndarray  # (len(lr), 2): the raw gradient at xy[k]
    clipped: np.ndarray  # like lr: was the update's gradient changed by clipping
    diverged_at: int | None
    state: dict = field(default_factory=dict)  # name -> (len(lr), 2): the optimizer's state after update k
    # A model scene's runs (surface=mlp) only, else None: the accuracies at
    # each point (like loss), and |raw gradient| over every weight (like lr;
    # `grad` then holds the gradient's projection on the plane); at each
    # point how many unlabelled training points are pseudo-labelled and the
    # share of those that are right (NaN where there are none).
    train_accuracy: np.ndarray | None = None
    test_accuracy: np.ndarray | None = None
    weight_grad_norm: np.ndarray | None = None
    pseudo_labels: np.ndarray | None = None
    pseudo_label_accuracy: np.ndarray | None = None
    # The top eigenvalue of the loss's Hessian at each point (like loss; NaN
    # where not computed: on a network, between every `sharpness_every`
    # steps), and for an optimizer with a preconditioner P (the Adam family)
    # that of P^-1 H, else None (visualizer.core.sharpness).
    sharpness: np.ndarray | None = None
    preconditioned_sharpness: np.ndarray | None = None
    # A model scene's runs only: each point's distance from the plane, in weight units.
    plane_distance: np.ndarray | None = None
    # With flow=1, for an optimizer that has one: its continuous-time limit
    # at each point's time (like xy), and the first step where the run is
    # further than 5% of the window's diagonal from it (visualizer.core.flow);
    # where the solve stopped short, the first point without a flow (NaN in
    # `flow` from there on) and why, in words.
    flow: np.ndarray | None = None
    leaves_flow_at: int | None = None
    flow_stops_at: int | None = None
    flow_stop: str | None = None
    # A cloud (seeds > 1): xy, loss, grad and sharpness above are the median
    # over its copies, and this holds {"q": (0.1, 0.5, 0.9), "xy": (3,
    # points, 2), "loss": (3, points)}, one series per q (visualizer.core.clouds).
    quantiles: dict | None = None

    @property
    def sharpness_limit(self) -> np.ndarray:
        """Per update, the largest sharpness at which the run's optimizer
        is stable at that update's rate (2/lr for gradient descent); empty
        where it has none, or where its limit is one of the preconditioned
        sharpness."""
        return self._limit(preconditioned=False)

    @property
    def preconditioned_limit(self) -> np.ndarray:
        """Per update, the largest stable preconditioned sharpness
        ((2 + 2 b1) / ((1 - b1) lr) for Adam); empty where none."""
        return self._limit(preconditioned=True)

    def _limit(self, preconditioned: bool) -> np.ndarray:
        from visualizer.core.optimizers import OPTIMIZERS

        stability = OPTIMIZERS[self.run.optimizer].stability
        if stability is None or (stability.preconditioner is not None) != preconditioned:
            return np.zeros(0, np.float32)
        lr = self.lr.astype(np.float64)
        with np.errstate(divide="ignore"):
            return np.asarray(stability.limit(lr, {k: float(v) for k, v in self.run.hyper.items()}), np.float32)

    @property
    def grad_norm(self) -> np.ndarray:
        """|grad[k]|, in float64 then float32 (inf only where float32 is);
        on a model, the norm of the gradient over every weight."""
        if self.weight_grad_norm is not None:
            return self.weight_grad_norm
        g = self.grad.astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.sqrt(np.sum(g * g, axis=1)).astype(np.float32)

    def to_dict(self) -> dict:
        out = {
            "label": self.label,
            "optimizer": self.run.optimizer,
            "params": self.run.params(network=self.train_accuracy is not None),
            "xy": json_numbers(self.xy),
            "loss": json_numbers(self.loss),
            "lr": json_numbers(self.lr),
            "grad_norm": json_numbers(self.grad_norm),
            "diverged_at": self.diverged_at,
            "grad": json_numbers(self.grad),
            "state": {name: json_numbers(values) for name, values in self.state.items()},
        }
        if self.train_accuracy is not None:
            out["train_accuracy"] = json_numbers(self.train_accuracy)
            out["test_accuracy"] = json_numbers(self.test_accuracy)
            out["pseudo_labels"] = np.asarray(self.pseudo_labels).astype(int).tolist()
            out["pseudo_label_accuracy"] = json_numbers(self.pseudo_label_accuracy)
        if self.sharpness is not None:
            out["sharpness"] = json_numbers(self.sharpness)
        if self.preconditioned_sharpness is not None:
            out["preconditioned_sharpness"] = json_numbers(self.preconditioned_sharpness)
        if self.plane_distance is not None:
            out["plane_distance"] = json_numbers(self.plane_distance)
        if self.flow is not None:
            out["flow"] = json_numbers(self.flow)
            out["leaves_flow_at"] = self.leaves_flow_at
            out["flow_stops_at"] = self.flow_stops_at
            out["flow_stop"] = self.flow_stop
        if self.quantiles is not None:
            out["quantiles"] = {"q": list(self.quantiles["q"]), "xy": json_numbers(self.quantiles["xy"]),
                                "loss": json_numbers(self.quantiles["loss"])}
        return out


def truncate_divergence(run, label, xy, loss, lr, grad, clipped, state=None) -> RunResult:
    """Cut a run at its first update whose position or loss is not finite,
    or whose position leaves the box |coordinate| <= 1e6."""
    state = state or {}
    ok = np.isfinite(xy).all(axis=1) & (np.abs(xy) <= DIVERGENCE_LIMIT).all(axis=1) & np.isfinite(loss)
    if ok.all():
        return RunResult(run, label, xy, loss, lr, grad, clipped, None, state)
    bad = int(np.argmin(ok))
    if bad == 0:
        from visualizer.core.errors import SceneError

        x, y = (float(v) for v in xy[0])
        raise SceneError(f"start: the surface is not finite at ({x:g}, {y:g}); choose another start", "start")
    k = bad - 1  # update k produced point k + 1 = bad
    return RunResult(run, label, xy[:bad], loss[:bad], lr[: k + 1], grad[: k + 1], clipped[: k + 1], k,
                     {name: values[: k + 1] for name, values in state.items()})


@dataclass(frozen=True)
class SimulationResult:
    scene: Scene
    surface: object  # surfaces.Surface
    runs: list[RunResult]
    # A model scene's plane, data and decision boundaries (visualizer.core.model.ModelView), else None.
    model: object = None

    def to_dict(self) -> dict:
        (x0, x1), (y0, y1) = self.surface.window
        out = {
            "scene": self.scene.to_query(),
            "surface": {
                "id": self.surface.id,
                "window": [[x0, x1], [y0, y1]],
                "minima": [[float(x), float(y)] for x, y in self.surface.minima],
            },
            "runs": [r.to_dict() for r in self.runs],
        }
        if self.model is not None:
            out["plane"] = {"explained_variance": [float(v) for v in self.model.plane.explained_variance]}
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    def to_csv(self) -> str:
        """One row per run and point: run, label, optimizer, step, x, y,
        loss, and of the update leaving that point its lr, the raw gradient
        (grad_norm, grad_x, grad_y) and the optimizer's state after it
        (`<name>_x`, `<name>_y` for each name any run has; empty where a
        run's optimizer has no such state); on a model scene then
        `train_accuracy`, `test_accuracy`, `pseudo_labels` and
        `pseudo_label_accuracy`; then `sharpness`, and
        `preconditioned_sharpness` where a run has it (empty where not
        computed); with flow=1 then `flow_x`, `flow_y` (empty for a run
        without one)."""
        names = sorted({name for r in self.runs for name in r.state})
        accuracies = self.model is not None
        curvature = [key for key in ("sharpness", "preconditioned_sharpness")
                     if any(getattr(r, key) is not None for r in self.runs)]
        flows = any(r.flow is not None for r in self.runs)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["run", "label", "optimizer", "step", "x", "y", "loss", "lr", "grad_norm", "diverged_at",
                         "grad_x", "grad_y", *(f"{n}_{axis}" for n in names for axis in "xy"),
                         *(("train_accuracy", "test_accuracy", "pseudo_labels", "pseudo_label_accuracy")
                           if accuracies else ()), *curvature,
                         *(("flow_x", "flow_y") if flows else ())])
        for i, r in enumerate(self.runs):
            rows = max(len(r.xy), len(r.lr))
            xy, grad = _column(r.xy, rows, 2), _column(r.grad, rows, 2)
            state = [_column(r.state[n], rows, 2) if n in r.state else np.full((rows, 2), np.nan) for n in names]
            columns = [xy[:, 0], xy[:, 1], _column(r.loss, rows), _column(r.lr, rows), _column(r.grad_norm, rows)]
            after = [grad[:, 0], grad[:, 1], *(values[:, axis] for values in state for axis in (0, 1))]
            if accuracies:
                after += [_column(r.train_accuracy, rows), _column(r.test_accuracy, rows),
                          _column(r.pseudo_labels, rows), _column(r.pseudo_label_accuracy, rows)]
            after += [_column(getattr(r, key), rows) if getattr(r, key) is not None else np.full(rows, np.nan)
                      for key in curvature]
            if flows:
                flow = _column(r.flow, rows, 2) if r.flow is not None else np.full((rows, 2), np.nan)
                after += [flow[:, 0], flow[:, 1]]
            cells = np.stack(columns, axis=1).tolist()
            more = np.stack(after, axis=1).tolist()
            diverged = "" if r.diverged_at is None else r.diverged_at
            label = spreadsheet_safe(r.label)
            writer.writerows([i, label, r.run.optimizer, k, *(_cell(v) for v in row), diverged,
                              *(_cell(v) for v in extra)]
                             for k, (row, extra) in enumerate(zip(cells, more, strict=True)))
        return out.getvalue()


def summarize(result: SimulationResult, marks, tolerance: float = 1e-3) -> list[dict]:
    """Per run: final loss, distance to the nearest of `marks.minima` (a
    `landmarks.Landmarks`), when it arrived within `tolerance` of the
    minimum value and stayed, where it diverged and how many updates were
    clipped.

    `steps_to_tolerance` is the first step from which every later loss is
    within tolerance (None if it never settled there); `passed_at` the first
    step within tolerance at all, which differs when a run passes the
    minimum and leaves again."""
    rows = []
    minima = np.asarray(marks.minima, dtype=np.float64).reshape(-1, 2)
    for r in result.runs:
        final = r.xy[-1].astype(np.float64)
        distance = float(np.min(np.linalg.norm(minima - final, axis=1))) if len(minima) else None
        passed = stayed = None
        if marks.min_value is not None and r.diverged_at is None:
            within = r.loss.astype(np.float64) - marks.min_value <= tolerance
            if within.any():
                passed = int(np.argmax(within))
            if within[-1]:
                stayed = int(len(within) - np.argmin(within[::-1])) if not within.all() else 0
        rows.append({
            "label": r.label,
            "optimizer": r.run.optimizer,
            "final_loss": float(r.loss[-1]),
            "distance_to_minimum": distance,
            "steps_to_tolerance": stayed,
            "passed_at": passed,
            "diverged_at": r.diverged_at,
            "clipped_steps": int(np.count_nonzero(r.clipped)),
        })
    return rows


def spreadsheet_safe(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula: one that starts
    with = + - @ or a tab or carriage return gets a leading apostrophe (the
    convention spreadsheets read as "this is text")."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def many_lists(build):
    """`build` with Python's cyclic garbage collector paused: JSON of a
    large result is tens of thousands of new lists (an [x, y] per start of a
    basin map), each counted towards a collection that then walks every
    object the process holds, JAX's included, to find no cycle at all. A
    basin map's to_dict: 3.0 ms, 1.7 paused."""

    @functools.wraps(build)
    def paused(*args, **kwargs):
        was_on = gc.isenabled()
        gc.disable()
        try:
            return build(*args, **kwargs)
        finally:
            if was_on:
                gc.enable()

    return paused


def json_numbers(a) -> list:
    """float32 values as JSON numbers (each the float64 of the float32, so
    nothing is rounded twice); JSON has no inf or NaN, so those become null.
    Vectorised: formatting 80,000 numbers one by one took seconds."""
    a = np.asarray(a, dtype=np.float32).astype(np.float64)
    finite = np.isfinite(a)
    if finite.all():
        return a.tolist()
    out = a.astype(object)
    out[~finite] = None
    return out.tolist()


def _column(a, rows: int, width: int = 0) -> np.ndarray:
    """float64 copy of float32 values padded with NaN (an empty cell) to `rows`."""
    a = np.asarray(a, dtype=np.float32).astype(np.float64)
    shape = (rows, width) if width else (rows,)
    out = np.full(shape, np.nan)
    out[: len(a)] = a
    return out


def _cell(v: float):
    return repr(v) if math.isfinite(v) else ""
