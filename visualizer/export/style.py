"""The player's style table (style.json, read by visualizer/browser/style.py)
in the pictures' terms: its CSS colours as matplotlib's RGBA, the contour's
colour scale interpolated as contour.js interpolates it, and a check that
the table holds what the pictures draw with.

Sizes in the table are CSS pixels; the pictures draw them at the same size
for a 640 px wide picture and scale with the width (docs/exports.md).
"""

from __future__ import annotations

import math
import re

from visualizer.browser import style as player_style

_RGBA = re.compile(r"rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)", re.IGNORECASE)


class StyleError(RuntimeError):
    """The style table no longer holds a value the pictures need."""


def require(table: dict, *paths: str) -> None:
    """Raise StyleError unless every dotted path ("run.width") is a number,
    a string or a list in `table`."""
    for path in paths:
        value = table
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value is None or isinstance(value, dict):
            raise StyleError(f"style.json: {path} is missing or not a plain value; the pictures draw with it")


def band_colors(n: int) -> list[tuple[int, int, int]]:
    """The filled contour's `n` flat band colours (contour.js bandColors)."""
    scale = player_style.contour()["scale"]
    return [scale_color(scale, (b + 0.5) / n) for b in range(n)]


def scale_color(scale, t: float) -> tuple[int, int, int]:
    """The colour at `t` (clamped to 0..1) of a scale of [t, "#rrggbb"]
    stops, linear between them (contour.js scaleColor, Math.round included)."""
    t = max(0.0, min(1.0, t))
    k = 1
    while k < len(scale) - 1 and scale[k][0] < t:
        k += 1
    (t0, c0), (t1, c1) = scale[k - 1], scale[k]
    u = (t - t0) / (t1 - t0) if t1 > t0 else 0
    a, b = hex_rgb(c0), hex_rgb(c1)
    return tuple(int(math.floor(a[i] + (b[i] - a[i]) * u + 0.5)) for i in range(3))


def hex_rgb(h: str) -> tuple[int, int, int]:
    n = int(h[1:], 16)
    return (n >> 16) & 255, (n >> 8) & 255, n & 255


def css_rgba(color: str) -> tuple[float, float, float, float]:
    """A CSS colour of the style table (#rgb, #rrggbb, #rrggbbaa, rgb(), rgba()
    or a name) as matplotlib's (r, g, b, a) in 0..1."""
    from matplotlib.colors import to_rgba

    m = _RGBA.fullmatch(color.strip())
    if m:
        r, g, b = (float(v) / 255 for v in m.groups()[:3])
        return r, g, b, float(m.group(4)) if m.group(4) is not None else 1.0
    return to_rgba(color.strip())
