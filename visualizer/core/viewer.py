"""The viewer's keys: what a viewer chose to see (the view, the step shown,
the speed, hidden runs, presentation mode), never what the results are.

A `ViewerKey` is an entry of the scene's one table of keys
(`visualizer.core.scene.SCENE_KEYS`), where its place is its place in the
canonical form. It holds its name, its values (one of the kinds below,
which also holds the default) and which side writes it into the address:

- `SERVER`: the page puts it in the address it hands the player, and the
  player never changes it (present, autoplay, loop: set by links and the
  page's buttons);
- `PLAYER`: the player writes it from what the viewer does in the browser
  (view, step, speed, hide), starting from the payload's value.

The player gets the table in the payload (`ViewerKey.describe()`) and
parses the payload's values, keeps them and writes the address from it in
the canonical order, so a key declared in the table is parsed, written,
documented and carried by the player with no JavaScript, as long as its
values are of a kind the player reads: `OneOf` ("choice"), `Flag`
("flag"), `StepShown` ("step"), `RunNumbers` ("runs"), `Token` ("token"). What a key *does*
in the player (that `speed` sets the playing rate) is the player's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import unquote_plus

from visualizer.core.errors import SceneError
from visualizer.core.knobs import Knob, plain_number, show_text
from visualizer.core.run import atom

SERVER = "server"
PLAYER = "player"

# A live class's code and its teacher's secret as links carry them
# (visualizer.live.classes makes them): the code is read off a projector, so
# no 0/O and no 1/I; the secret is `secrets.token_urlsafe(24)`.
CLASS_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CLASS_CODE_LENGTH = 6
CLASS_CODE = f"[{CLASS_CODE_ALPHABET}]{{{CLASS_CODE_LENGTH}}}"
TEACHER_SECRET = "[A-Za-z0-9_-]{32,64}"


@dataclass(frozen=True)
class OneOf:
    """One of a few values, each written as the canonical form writes it
    (`view=3d`, `speed=0.5`); numbers are matched by value, so `speed=2.0`
    is `speed=2`."""

    values: tuple
    default: object
    what: str = "allowed"  # the message's word for a good value: "view: '4d' is not a view"
    kind: ClassVar[str] = "choice"

    def __post_init__(self):
        if self.default not in self.values:
            raise ValueError(f"default {self.default!r} is not one of {self.values!r}")

    def allowed(self) -> str:
        return ", ".join(atom(v) for v in self.values)

    def parse(self, raw: str, name: str, fields: dict, report) -> object:
        text = unquote_plus(raw)
        for value in self.values:
            if text == atom(value) or (not isinstance(value, str) and plain_number(text) == value):
                return value
        raise SceneError(f"{name}: {show_text(text)} is not {self.what}; allowed: {self.allowed()}", name)

    def text(self, value) -> str:
        return atom(value)

    def describe(self) -> dict:
        return {"values": list(self.values), "texts": [atom(v) for v in self.values]}


@dataclass(frozen=True)
class Flag:
    """On or off: `1` or `0`, off by default (and then not written)."""

    default: bool = False
    kind: ClassVar[str] = "flag"

    def allowed(self) -> str:
        return "0 or 1"

    def parse(self, raw: str, name: str, fields: dict, report) -> bool:
        text = unquote_plus(raw)
        if text not in ("0", "1"):
            raise SceneError(f"{name}: {show_text(text)} is not 0 or 1", name)
        return text == "1"

    def text(self, value) -> str:
        return "1" if value else "0"

    def describe(self) -> dict:
        return {}


@dataclass(frozen=True)
class StepShown:
    """A step of the scene's runs, 0 to `steps`; none given: the last."""

    default: None = None
    kind: ClassVar[str] = "step"

    def allowed(self) -> str:
        return "an integer, 0 to steps"

    def parse(self, raw: str, name: str, fields: dict, report) -> int:
        return Knob(name, 0, 0, fields.get("steps", 0), integer=True).parse(unquote_plus(raw), name)

    def text(self, value) -> str:
        return str(value)

    def describe(self) -> dict:
        return {}


@dataclass(frozen=True)
class RunNumbers:
    """Some of the scene's runs by number, 1-based: `hide=2,5`. A number
    that names no run is reported on its own, and `fallback` says what
    happens to it; the others are kept."""

    fallback: str
    default: tuple = ()
    kind: ClassVar[str] = "runs"

    def allowed(self) -> str:
        return "run numbers, 1 to the number of runs, separated by commas"

    def parse(self, raw: str, name: str, fields: dict, report) -> tuple[int, ...]:
        number = Knob(name, 1, 1, len(fields["runs"]), integer=True)  # the runs are parsed before
        chosen = []
        for text in raw.split(","):
            try:
                chosen.append(number.parse(unquote_plus(text), name))
            except SceneError as exc:
                report(exc, self.fallback)
        return tuple(sorted(set(chosen)))

    def text(self, value) -> str:
        return ",".join(map(str, value))

    def describe(self) -> dict:
        return {}


@dataclass(frozen=True)
class Token:
    """A short code of a few characters (`pattern`, a regular expression the
    whole value must match), or none: a class's code, a teacher's secret.
    Never shown as anything but the characters it is."""

    pattern: str
    what: str
    default: None = None
    kind: ClassVar[str] = "token"

    def allowed(self) -> str:
        return self.what

    def parse(self, raw: str, name: str, fields: dict, report) -> str:
        import re

        text = unquote_plus(raw)
        if not re.fullmatch(self.pattern, text):
            raise SceneError(f"{name}: {show_text(text)} is not {self.what}", name)
        return text

    def text(self, value) -> str:
        return value

    def describe(self) -> dict:
        return {"pattern": self.pattern}


Values = OneOf | Flag | StepShown | RunNumbers | Token


@dataclass(frozen=True)
class ViewerKey:
    """A viewer key: an entry of `SCENE_KEYS` beside the scene's own
    `SceneKey`s, with the same `name`, `help`, `default` (as the reference
    describes it), `parse`, `write` and `repeat`."""

    name: str
    help: str
    values: Values
    writer: str  # SERVER or PLAYER: who writes it into the address
    default_text: str = ""  # the default as the reference says it, where the value alone does not say it
    repeat: ClassVar[bool] = False

    def __post_init__(self):
        if self.writer not in (SERVER, PLAYER):
            raise ValueError(f"{self.name}: writer must be {SERVER!r} or {PLAYER!r}, got {self.writer!r}")

    @property
    def default(self) -> str:
        if self.default_text:
            return self.default_text
        return self.values.text(self.values.default)

    def parse(self, raw: list[str], fields: dict, report) -> dict:
        return {self.name: self.values.parse(raw[0], self.name, fields, report)}

    def write(self, scene) -> list[str]:
        return self.part(scene.viewer)

    def part(self, viewer) -> list[str]:
        """The key's canonical query part for `viewer`: none at its default."""
        value = getattr(viewer, self.name)
        if value == self.values.default:
            return []
        return [f"{self.name}={self.values.text(value)}"]

    def describe(self) -> dict:
        """The entry as the player reads it (visualizer/page/player.py)."""
        return {"name": self.name, "kind": self.values.kind, "default": _json(self.values.default),
                "writer": self.writer, **self.values.describe()}

    def value_json(self, value):
        """`value` as the payload carries it (run numbers as a list)."""
        return _json(value)


def _json(value):
    return list(value) if isinstance(value, tuple) else value
