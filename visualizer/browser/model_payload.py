"""What the browser gets for a model scene (`surface=mlp`): the plane's loss
grid in place of a surface sampled from f(x, y), the data set (labelled
points in their class, unlabelled grey), each run's decision boundary and
pseudo-labels at a few steps, and its accuracies and pseudo-label counts. visualizer/page/player.py documents the contract.
"""

from __future__ import annotations

import numpy as np

from visualizer.browser.encode import encode_f32, encode_u8

MAX_FRAMES = 40


def surface(result) -> dict:
    """The plane of run 1's trajectory, drawn like any surface: the training
    loss on it, no minima (run 1's end is the plane's centre, not a known
    minimum)."""
    plane = result.model.plane
    (x0, x1), (y0, y1) = plane.window
    r1, r2 = plane.explained_variance
    return {
        "name": f"Network, plane of run 1 ({100 * (r1 + r2):.0f}% of its path)",
        "x": encode_f32(plane.xs),
        "y": encode_f32(plane.ys),
        "z": encode_f32(plane.z),
        "log_scale": True,
        "window": [[float(x0), float(x1)], [float(y0), float(y1)]],
        "minima": [],
        "minima_estimated": False,
        "saddles": [],
    }


def model(result) -> dict:
    """The data, the boundaries (P(class 1) as bytes, 0..255) and the plane's
    explained variance; each run's accuracies go with the run."""
    view = result.model
    data = view.data
    boundary = view.boundary
    (dx0, dx1), (dy0, dy1) = data.window
    # At most MAX_FRAMES frames per run (the first and last kept): enough to
    # follow the scrubber, and 8 runs stay a few hundred kilobytes.
    frames = np.unique(np.linspace(0, len(boundary.steps) - 1, min(MAX_FRAMES, len(boundary.steps))).round()
                       ).astype(int)
    raw = boundary.probability[:, frames]
    probability = np.nan_to_num(raw, nan=0.5)
    r1, r2 = view.plane.explained_variance
    return {
        "explained_variance": [float(r1), float(r2)],
        "data": {
            "window": [[float(dx0), float(dx1)], [float(dy0), float(dy1)]],
            "train_x": encode_f32(data.train_x),
            "train_y": encode_u8(data.train_y),
            "labelled": encode_u8(view.labelled),
            "test_x": encode_f32(data.test_x),
            "test_y": encode_u8(data.test_y),
            "scale": float(view.settings.scale),
        },
        "boundary": {
            "steps": [int(s) for s in boundary.steps[frames]],
            "xs": encode_f32(boundary.xs),
            "ys": encode_f32(boundary.ys),
            "shape": list(raw.shape),  # runs, frames, ny, nx
            "p": encode_u8(np.round(np.clip(probability, 0, 1) * 255)),
            "diverged": encode_u8(np.isnan(raw).any(axis=(2, 3))),  # runs x frames
            # runs x frames x training points: 0 no pseudo-label, 1 + the class pseudo-labelled
            "pseudo": encode_u8(boundary.pseudo[:, frames]),
        },
    }


def run_part(run) -> dict:
    """What the data panel reads of a run besides the curves' arrays: how
    many unlabelled points it pseudo-labels and the share right, per point
    like its loss, and what it does with them (`unlabeled`: the panel says
    "pseudo-labels" for a run that trains on them, "confident" otherwise)."""
    return {"pseudo_labels": encode_f32(run.pseudo_labels),
            "pseudo_label_accuracy": encode_f32(run.pseudo_label_accuracy),
            "unlabeled": run.run.setting("unlabeled")}
