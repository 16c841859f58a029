"""What an export may ask for, checked before any work: the GIF's frame
rate, length and width, the PNG's step and width. Each mistake is one
`ExportError` naming the value and what is allowed."""

from __future__ import annotations

import math
import numbers

from visualizer.core.errors import SceneError

FPS = (1, 30)  # frames per second
SECONDS = (1, 30)  # the GIF's length
WIDTH = (200, 1600)  # pixels
DEFAULT_FPS = 15
DEFAULT_SECONDS = 6  # what the player takes to play a whole run at 1x
DEFAULT_WIDTH = 640
FORMATS = ("html", "gif", "png")


class ExportError(SceneError):
    """An export that cannot be made as asked (a SceneError, so the page and
    the CLI report it like any other mistake: one line)."""


def fps(value) -> int:
    return _whole("fps", value, FPS, "frames per second")


def seconds(value) -> float:
    lo, hi = SECONDS
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or not lo <= value <= hi:
        raise ExportError(f"seconds {value}: give a length from {lo} to {hi} seconds", "seconds")
    return float(value)


def width(value) -> int:
    return _whole("width", value, WIDTH, "pixels")


def step(value, steps: int) -> int:
    """A step of a scene with `steps` updates: 0 to steps."""
    return _whole("step", value, (0, steps), f"(this scene has {steps} steps)")


def fmt(value: str) -> str:
    if value not in FORMATS:
        raise ExportError(f"format {value!r}: give one of {', '.join(FORMATS)}", "format")
    return value


def frame_steps(last: int, fps: int, seconds: float) -> list[int]:
    """The step each GIF frame shows: round(fps x seconds) frames from step 0
    to `last`, evenly spaced; every step once when there are fewer steps
    than that (last + 1 frames)."""
    count = max(1, min(round(fps * seconds), last + 1))
    if count == 1:
        return [last]
    return [round(i * last / (count - 1)) for i in range(count)]


def frame_durations(count: int, seconds: float) -> list[int]:
    """Milliseconds per frame, multiples of 10 (GIF counts hundredths of a
    second) that add up to `seconds`."""
    total = round(seconds * 100)
    marks = [round(i * total / count) for i in range(count + 1)]
    return [10 * (b - a) for a, b in zip(marks, marks[1:], strict=False)]


def _whole(name: str, value, bounds: tuple[int, int], unit: str) -> int:
    lo, hi = bounds
    whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not whole and isinstance(value, float) and value.is_integer():
        whole, value = True, int(value)
    if not whole or not lo <= value <= hi:
        raise ExportError(f"{name} {value}: give a whole number from {lo} to {hi} {unit}", name)
    return int(value)
