"""Sharpness along a run on a 2D surface: the top eigenvalue of the loss's
Hessian at each of its points, exact, and for an optimizer that
preconditions its step (the Adam family, `Optimizer.stability`) the top
eigenvalue of P^-1 H with P its preconditioner at that update.

Gradient descent at rate lr is stable on a quadratic while the sharpness
stays under 2/lr; on a real loss the sharpness rises until it reaches that
line and hovers there, the edge of stability (Cohen et al., ICLR 2021). The
player draws each run's sharpness against its optimizer's line.

The Hessian at each point comes from the run's own program (`pipeline.Path`);
the eigenvalues of the 2 x 2 symmetric matrices are computed in closed
form, in float64, on the host.
"""

from __future__ import annotations

import numpy as np

from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.pipeline import F32


def top_eigenvalue(a, b, d) -> np.ndarray:
    """The larger eigenvalue of each symmetric [[a, b], [b, d]], in float64."""
    a, b, d = (np.asarray(v, np.float64) for v in (a, b, d))
    return (a + d) / 2 + np.hypot((a - d) / 2, b)


def preconditioner_of(run, state: dict) -> np.ndarray | None:
    """(updates, 2): the diagonal P of each update of `run`, from the
    second moment its results carry (`state["v"]`, after update k, whose
    count is k + 1); None for an optimizer without one."""
    stability = OPTIMIZERS[run.optimizer].stability
    if stability is None or stability.preconditioner is None:
        return None
    v = np.asarray(state["v"], np.float64)
    t = np.arange(1, len(v) + 1, dtype=np.float64)[:, None]
    return stability.preconditioner(v, t, {k: float(x) for k, x in run.hyper.items()})


def along(run, entries: tuple[np.ndarray, ...], state: dict) -> tuple[np.ndarray, np.ndarray | None]:
    """(sharpness per point, preconditioned sharpness per point or None).
    The preconditioned sharpness at point k uses the preconditioner of the
    update that leaves it, so the last point of a run that did not diverge
    has none (NaN)."""
    a, b, d = entries
    sharpness = top_eigenvalue(a, b, d).astype(F32)
    p = preconditioner_of(run, state)
    if p is None:
        return sharpness, None
    k = min(len(p), len(a))
    preconditioned = np.full(len(a), np.nan, F32)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p1, p2 = p[:k, 0], p[:k, 1]
        preconditioned[:k] = top_eigenvalue(a[:k] / p1, b[:k] / np.sqrt(p1 * p2), d[:k] / p2)
    return sharpness, preconditioned
