"""The GIF and the PNG: frames of `drawing.Drawing`, encoded by Pillow.

GIF: `fps` x `seconds` frames from step 0 to the last step, evenly spaced
(`limits.frame_steps`; every step once when the scene has fewer), each shown
for its share of `seconds` (GIF counts hundredths of a second), looping
forever. Every frame is mapped, without dithering, to one palette: the
runs' and the marks' colours exactly, and the first and last frames' most
used others (255 colours; the 256th index is transparency). Colours stay
put from frame to frame, and each frame after the first stores only the box
that changed, with its unchanged pixels transparent (a tenth of the size of
whole boxes). Frames are encoded one at a time, as they are drawn, so
memory does not grow with their number.

PNG: one step in full colour.
"""

from __future__ import annotations

import io

import numpy as np

from visualizer.export import limits
from visualizer.export.drawing import LOCK, Drawing
from visualizer.export.scene_data import SceneData
from visualizer.export.style import css_rgba

PALETTE_SIZE = 255
TRANSPARENT = 255  # the index no colour uses


def gif(data: SceneData, fps: int, seconds: float, width: int) -> bytes:
    with LOCK:
        return _gif(data, fps, seconds, width)


def png(data: SceneData, step: int | None, width: int) -> bytes:
    from PIL import Image

    with LOCK:
        drawing = Drawing(data, width)
        picture = drawing.frame(drawing.last if step is None else step)
    out = io.BytesIO()
    Image.fromarray(picture, "RGB").save(out, format="PNG", compress_level=6)
    return out.getvalue()


def _gif(data: SceneData, fps: int, seconds: float, width: int) -> bytes:
    from PIL import GifImagePlugin, Image

    drawing = Drawing(data, width)
    steps = limits.frame_steps(drawing.last, fps, seconds)
    durations = limits.frame_durations(len(steps), seconds)
    first, last = drawing.frame(steps[0]), drawing.frame(steps[-1])
    palette = _palette(drawing, first, last)
    out = io.BytesIO()
    previous = None
    for i, k in enumerate(steps):
        rgb = first if i == 0 else last if i == len(steps) - 1 else drawing.frame(k)
        indexed = np.asarray(Image.fromarray(rgb, "RGB").quantize(palette=palette, dither=Image.Dither.NONE))
        if previous is None:
            image = Image.frombytes("P", (indexed.shape[1], indexed.shape[0]), indexed.tobytes())
            image.putpalette(palette.getpalette())
            header, _ = GifImagePlugin.getheader(image, info={"loop": 0, "duration": durations[0]})
            out.write(b"".join(header))
            patch, offset = image, (0, 0)
        else:
            patch, offset = _changes(previous, indexed)
        for chunk in GifImagePlugin.getdata(patch, offset, duration=durations[i], disposal=1,
                                            transparency=TRANSPARENT):
            out.write(chunk)
        previous = indexed
    out.write(b";")
    return out.getvalue()


def _changes(previous: np.ndarray, current: np.ndarray):
    """The box of `current` that differs from `previous`, as a P image with
    its unchanged pixels transparent, and the box's offset; a transparent
    pixel when nothing changed (the frame still counts, and lasts)."""
    from PIL import Image

    changed = previous != current
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    if not len(rows):
        return Image.frombytes("P", (1, 1), bytes([TRANSPARENT])), (0, 0)
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    box = np.where(changed[top:bottom, left:right], current[top:bottom, left:right], TRANSPARENT).astype(np.uint8)
    return Image.frombytes("P", (right - left, bottom - top), box.tobytes()), (int(left), int(top))


def _palette(drawing: Drawing, first: np.ndarray, last: np.ndarray):
    """The palette every frame is mapped to (see the module's docstring)."""
    from PIL import Image

    st = drawing.st
    exact = [run.color for run in drawing.runs] + [
        st["minimum"]["stroke"], st["saddle"]["color"], st["diverged"]["color"], st["start"]["stroke"],
        "#ffffff", "#1a1a1a"]
    rgb = []
    for color in exact:
        r, g, b, _ = css_rgba(color)
        triple = (round(r * 255), round(g * 255), round(b * 255))
        if triple not in rgb:
            rgb.append(triple)
    both = Image.fromarray(np.concatenate([last, first]), "RGB")
    room = PALETTE_SIZE - len(rgb)
    rest = both.quantize(colors=room, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    flat = [v for triple in rgb for v in triple] + rest.getpalette()[: 3 * room]
    flat += [0] * (3 * PALETTE_SIZE - len(flat))
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat)
    return palette
