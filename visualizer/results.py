"""What `simulate` returns, and its JSON and CSV forms (SPEC section 5).

Updates are numbered from 0: update k moves xy[k] to xy[k+1] with lr[k],
using the raw gradient at xy[k] (norm grad_norm[k]); loss[k] = f(xy[k]).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass

import numpy as np

from visualizer.scene import Run, Scene

DIVERGENCE_LIMIT = 1e6


@dataclass(frozen=True)
class RunResult:
    run: Run
    xy: np.ndarray  # (n + 1, 2) float32, all finite
    loss: np.ndarray  # (n + 1,)
    lr: np.ndarray  # (n,), or (n + 1,) when diverged
    grad_norm: np.ndarray  # like lr
    clipped: np.ndarray  # like lr: was the update's gradient changed by clipping
    diverged_at: int | None

    @property
    def label(self) -> str:
        return self.run.display_label()

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "optimizer": self.run.optimizer,
            "params": self.run.params(),
            "xy": _numbers(self.xy),
            "loss": _numbers(self.loss),
            "lr": _numbers(self.lr),
            "grad_norm": _numbers(self.grad_norm),
            "diverged_at": self.diverged_at,
        }


def truncate_divergence(run, xy, loss, lr, grad_norm, clipped) -> RunResult:
    """Cut a run at its first update whose position or loss is not finite,
    or whose position leaves the box |coordinate| <= 1e6."""
    ok = np.isfinite(xy).all(axis=1) & (np.abs(xy) <= DIVERGENCE_LIMIT).all(axis=1) & np.isfinite(loss)
    if ok.all():
        return RunResult(run, xy, loss, lr, grad_norm, clipped, None)
    bad = int(np.argmin(ok))
    if bad == 0:
        from visualizer.errors import SceneError

        x, y = (float(v) for v in xy[0])
        raise SceneError(f"start: the surface is not finite at ({x:g}, {y:g}); choose another start", "start")
    k = bad - 1  # update k produced point k + 1 = bad
    return RunResult(run, xy[:bad], loss[:bad], lr[: k + 1], grad_norm[: k + 1], clipped[: k + 1], k)


@dataclass(frozen=True)
class SimulationResult:
    scene: Scene
    surface: object  # surfaces.Surface
    runs: list[RunResult]

    def to_dict(self) -> dict:
        (x0, x1), (y0, y1) = self.surface.window
        return {
            "scene": self.scene.to_query(),
            "surface": {
                "id": self.surface.id,
                "window": [[x0, x1], [y0, y1]],
                "minima": [[float(x), float(y)] for x, y in self.surface.minima],
            },
            "runs": [r.to_dict() for r in self.runs],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    def to_csv(self) -> str:
        """One row per run and point: run, label, optimizer, step, x, y,
        loss, and the lr and grad_norm of the update leaving that point."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["run", "label", "optimizer", "step", "x", "y", "loss", "lr", "grad_norm", "diverged_at"])
        for i, r in enumerate(self.runs):
            rows = max(len(r.xy), len(r.lr))
            xy = _column(r.xy, rows, 2)
            columns = [xy[:, 0], xy[:, 1], _column(r.loss, rows), _column(r.lr, rows), _column(r.grad_norm, rows)]
            cells = np.stack(columns, axis=1).tolist()
            diverged = "" if r.diverged_at is None else r.diverged_at
            writer.writerows([i, r.label, r.run.optimizer, k, *(_cell(v) for v in row), diverged]
                             for k, row in enumerate(cells))
        return out.getvalue()


def summarize(result: SimulationResult, tolerance: float = 1e-3, minima=None, min_value=None) -> list[dict]:
    """Per run: final loss, distance to the nearest minimum, the first step
    whose loss is within `tolerance` of the minimum value, where it diverged
    and how many updates were clipped. `minima` and `min_value` default to
    the surface's own (pass estimates for a formula surface)."""
    rows = []
    surface = result.surface
    minima = np.asarray(surface.minima if minima is None else minima, dtype=np.float64).reshape(-1, 2)
    min_value = surface.min_value if min_value is None else min_value
    for r in result.runs:
        final = r.xy[-1].astype(np.float64)
        distance = float(np.min(np.linalg.norm(minima - final, axis=1))) if len(minima) else None
        reached = None
        if min_value is not None:
            hit = np.nonzero(r.loss.astype(np.float64) - min_value <= tolerance)[0]
            reached = int(hit[0]) if len(hit) else None
        rows.append({
            "label": r.label,
            "optimizer": r.run.optimizer,
            "final_loss": float(r.loss[-1]),
            "distance_to_minimum": distance,
            "steps_to_tolerance": reached,
            "diverged_at": r.diverged_at,
            "clipped_steps": int(np.count_nonzero(r.clipped)),
        })
    return rows


def _numbers(a) -> list:
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
