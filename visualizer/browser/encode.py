"""Arrays as the player reads them: base64 of little-endian float32 (which
plotly.js also reads natively) or of bytes."""

from __future__ import annotations

import base64

import numpy as np


def encode_f32(array) -> dict:
    """`{"dtype": "f4", "bdata": ...}`: plotly.js reads this form natively."""
    with np.errstate(over="ignore", invalid="ignore"):
        flat = np.ascontiguousarray(np.asarray(array, dtype=np.float64).ravel(), dtype="<f4")
    return {"dtype": "f4", "bdata": base64.b64encode(flat.tobytes()).decode("ascii")}


def encode_u8(array) -> dict:
    """Small whole numbers (0..255: classes, flags, quantised values) as bytes."""
    flat = np.ascontiguousarray(np.asarray(array).ravel(), dtype=np.uint8)
    return {"dtype": "u1", "bdata": base64.b64encode(flat.tobytes()).decode("ascii")}
