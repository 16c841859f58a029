"""Exports of a scene: one HTML file that plays offline, a GIF for slides,
a PNG of one step. docs/exports.md is the reference.

    from visualizer import Scene
    from visualizer import export
    scene = Scene.from_query("surface=rosenbrock&run=adam:lr=0.05")
    export.html_bytes(scene)                                 # the player, data and plotly.js inline
    export.gif_bytes(scene, fps=15, seconds=6, width=640)    # drawn with matplotlib, written by Pillow
    export.png_bytes(scene, step=None, width=640)            # the last step (or the scene's `step`)
    export.file_name(scene, "gif"), export.MIME["gif"]       # "rosenbrock.gif", "image/gif"

Each takes the scene's `SimulationResult` as `result=` when the caller has
it (the page does), else simulates. A value out of range raises
`ExportError` (a `SceneError`: one line naming the value and the range)
before any work. `limits` holds the ranges and defaults.

Modules: `scene_data` (the simulation and the page's payload),
`html` (the offline page: every file of the player inline), `pictures` (GIF
and PNG frames) drawn by `drawing` with the player's style table
(style.json), `style` (its colours in matplotlib's terms, the colour scale)
and `numbers` (the player's number formatting), `limits`.
"""

from __future__ import annotations

from visualizer.export import limits
from visualizer.export.limits import (
    DEFAULT_FPS,
    DEFAULT_SECONDS,
    DEFAULT_WIDTH,
    ExportError,
)

__all__ = ["MIME", "ExportError", "export_bytes", "file_name", "gif_bytes", "html_bytes", "limits", "png_bytes"]

MIME = {"html": "text/html", "gif": "image/gif", "png": "image/png"}  # for a download button


def file_name(scene, fmt: str) -> str:
    """A name for the download: the surface's id and the format ("rosenbrock.gif")."""
    return f"{scene.surface}.{limits.fmt(fmt)}"


def html_bytes(scene, *, result=None) -> bytes:
    """One HTML file that plays `scene` offline: the player's modules, the
    payload and plotly.js inside; it fetches nothing."""
    from visualizer.export import html, scene_data

    return html.page(scene_data.load(scene, result))


def gif_bytes(scene, fps: int = DEFAULT_FPS, seconds: float = DEFAULT_SECONDS, width: int = DEFAULT_WIDTH, *,
              result=None) -> bytes:
    """An animated GIF of `scene` from step 0 to the last: `fps` x `seconds`
    frames (fewer when the scene has fewer steps), `width` pixels wide,
    looping."""
    fps, seconds, width = limits.fps(fps), limits.seconds(seconds), limits.width(width)
    from visualizer.export import pictures, scene_data

    return pictures.gif(scene_data.load(scene, result), fps, seconds, width)


def png_bytes(scene, step: int | None = None, width: int = DEFAULT_WIDTH, *, result=None) -> bytes:
    """A PNG of `scene` at `step` (None: the scene's own `step`, else the
    last), `width` pixels wide."""
    width = limits.width(width)
    if step is None:
        step = scene.viewer.step
    if step is not None:
        step = limits.step(step, scene.steps)
    from visualizer.export import pictures, scene_data

    return pictures.png(scene_data.load(scene, result), step, width)


def export_bytes(scene, fmt: str, *, fps: int = DEFAULT_FPS, seconds: float = DEFAULT_SECONDS,
                 width: int = DEFAULT_WIDTH, step: int | None = None, result=None) -> bytes:
    """Any of the three by name ("html", "gif", "png")."""
    fmt = limits.fmt(fmt)
    if fmt == "html":
        return html_bytes(scene, result=result)
    if fmt == "gif":
        return gif_bytes(scene, fps, seconds, width, result=result)
    return png_bytes(scene, step, width, result=result)
