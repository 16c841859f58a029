"""A knob: one number a user can set, with its range, default and how to show it.

Every numeric value of a scene is a `Knob`: an optimizer's hyperparameters, a
schedule's parameters, a run's own settings (lr, clipping, noise, seed, start)
and a surface's parameters (the quadratic's `cond` and `angle`). The scene
parser, the canonical form, the sidebar, the CLI listings and the reference
in docs/ all read ranges, defaults and names from these records.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from visualizer.core.errors import SceneError

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class Knob:
    name: str
    default: float
    low: float
    high: float
    symbol: str = ""  # LaTeX symbol in an update rule
    help: str = ""
    title: str = ""  # the sidebar's label; the name when empty
    log: bool = False  # spans decades: a log-scale slider reads better (lr, eps, clip thresholds)
    integer: bool = False
    low_open: bool = False  # low itself is not allowed (lr > 0)
    # The slider's range where it is narrower than the allowed one (any
    # allowed value can still be typed): lr sweeps 1e-5 to 10, not 1e-16 to 1000.
    sweep: tuple[float, float] | None = None
    # The slider's stops where neither a linear nor a log scale fits: a decay
    # rate near 1 (0.9, 0.99, 0.999) is read by its distance from 1.
    stops: tuple[float, ...] = ()

    def __post_init__(self):
        if not self.low <= self.default <= self.high:
            raise ValueError(f"{self.name}: default {self.default!r} outside [{self.low!r}, {self.high!r}]")

    @property
    def label(self) -> str:
        return self.title or self.name

    def allowed(self) -> str:
        left = "(" if self.low_open else "["
        kind = "an integer" if self.integer else "a number"
        return f"{kind} in {left}{number_text(self.low)}, {number_text(self.high)}]"

    def contains(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high

    def coerce(self, value) -> float | int:
        """The value in this knob's type: int for integer knobs, else float."""
        return int(value) if self.integer else float(value)

    def parse(self, text: str, where: str, key: str = "") -> float | int:
        """`text` as this knob's value, or a SceneError that names `where`,
        the key, the text and what is allowed.

        A value that is a number but too small to be told from 0 in float32
        (a clip threshold of 1e-50) is refused as out of range rather than
        silently becoming 0."""
        key = key or where.split()[0]
        shown = show_text(text)
        text = text.strip()
        if not _NUMBER.fullmatch(text):
            raise SceneError(f"{where}: {self.name}={shown} is not a number; allowed: {self.allowed()}", key)
        value = float(text)
        if not math.isfinite(value):
            raise SceneError(f"{where}: {self.name}={shown} is not finite; allowed: {self.allowed()}", key)
        if self.integer and not _INTEGER.fullmatch(text):
            raise SceneError(f"{where}: {self.name}={shown} is not a whole number; allowed: {self.allowed()}", key)
        if not self.contains(value):
            raise SceneError(f"{where}: {self.name}={shown} is out of range; allowed: {self.allowed()}", key)
        if value != 0 and abs(value) < FLOAT32_TINY:
            raise SceneError(f"{where}: {self.name}={shown} is too small to tell from 0 in float32 (the engine's "
                             f"precision); allowed: {self.allowed()}, 0 or at least {FLOAT32_TINY:.3g} in size", key)
        return self.coerce(value)

    def describe(self) -> dict:
        return {
            "name": self.name,
            "default": self.default,
            "range": [self.low, self.high],
            "low_open": self.low_open,
            "integer": self.integer,
            "log": self.log,
            "help": self.help,
        }


FLOAT32_TINY = 1.1754943508222875e-38  # smallest normal float32: below it values flush to 0


@dataclass(frozen=True)
class Choice:
    """A knob whose value is one of a few names (a data set, an activation)."""

    name: str
    default: str
    choices: tuple[str, ...]
    help: str = ""
    title: str = ""

    def __post_init__(self):
        if self.default not in self.choices:
            raise ValueError(f"{self.name}: default {self.default!r} not in {self.choices}")

    @property
    def label(self) -> str:
        return self.title or self.name

    def allowed(self) -> str:
        return "one of " + ", ".join(self.choices)

    def parse(self, text: str, where: str, key: str = "") -> str:
        key = key or where.split()[0]
        if text not in self.choices:
            raise SceneError(f"{where}: {self.name}={show_text(text)} is not allowed; allowed: {self.allowed()}", key)
        return text

    def describe(self) -> dict:
        return {"name": self.name, "default": self.default, "choices": list(self.choices), "help": self.help}


def plain_number(text: str) -> float | None:
    """`text` as a finite number written plainly (`2`, `-0.5`, `1e-3`), else None."""
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def number_text(v: float) -> str:
    """A number as short as it reads exactly: 0.99999, 1e-08, 2147483647."""
    v = float(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def show_text(text: str, limit: int = 40) -> str:
    """A user's string made safe to echo in a one-line message: quoted, with
    escapes for what is not printable, at most `limit` + 2 characters of it
    (an escape such as \\U0001f600 counts as the ten it takes) and "..."
    where it was cut."""
    text = str(text)
    cut = text[:limit]
    while len(repr(cut)) > limit + 2:
        cut = cut[:-1]
    return repr(cut) + ("..." if len(cut) < len(text) else "")


def registry(entries, kind: str) -> dict:
    """One explicit dict of entries by id; a duplicate id is a bug."""
    out: dict = {}
    for entry in entries:
        if entry.id in out:
            raise ValueError(f"duplicate {kind} id {entry.id!r}")
        out[entry.id] = entry
    return out
