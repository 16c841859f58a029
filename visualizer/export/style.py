"""The player's style, read from the player's own files, so the exported
pictures draw with the numbers the page draws with and no copy can drift:

- `marks.js`: THE style table (`NORMAL`, and `PRESENT` = NORMAL merged with
  its overrides): line widths, dash patterns, marker sizes and colours, fonts;
- `contour.js`: `SURFACE_SCALE` (the filled contour's colours) and
  `MASK_RGB` (where f is not finite);
- `payload.js`: `nLevels` (the number of contour bands).

Sizes there are CSS pixels; the pictures draw them at the same size for a
640 px wide picture and scale with the width (docs/exports.md).

The reader understands the object-literal subset those tables are written
in (numbers, strings, arrays, objects, comments, trailing commas); anything
else (an expression) reads as None and `require` names it, so a change to
the tables that the pictures cannot follow fails a test, not a user.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

FRONTEND = Path(__file__).resolve().parents[1] / "browser" / "frontend"


class StyleError(RuntimeError):
    """The player's files no longer hold a table the pictures need."""


@functools.cache
def styles() -> dict:
    """{"normal": {...}, "present": {...}}: marks.js's style table."""
    text = _source("marks.js")
    normal = _literal_after(text, r"const\s+NORMAL\s*=\s*", "marks.js NORMAL")
    present = _literal_after(text, r"const\s+PRESENT\s*=\s*merge\(\s*NORMAL\s*,\s*", "marks.js PRESENT")
    return {"normal": normal, "present": _merge(normal, present)}


def style(present: bool = False) -> dict:
    return styles()["present" if present else "normal"]


@functools.cache
def surface_colors() -> tuple[tuple[tuple[float, str], ...], tuple[int, int, int], int]:
    """(SURFACE_SCALE as (t, "#rrggbb") stops, MASK_RGB, nLevels)."""
    contour = _source("contour.js")
    scale = _literal_after(contour, r"const\s+SURFACE_SCALE\s*=\s*", "contour.js SURFACE_SCALE")
    mask = _literal_after(contour, r"const\s+MASK_RGB\s*=\s*", "contour.js MASK_RGB")
    levels = re.search(r"\bconst\s+nLevels\s*=\s*(\d+)\s*;", _source("payload.js"))
    stops = tuple((float(t), str(c)) for t, c in scale) if _is_table(scale) else None
    if not stops or not (isinstance(mask, list) and len(mask) == 3 and all(isinstance(v, int) for v in mask)) \
            or not levels:
        raise StyleError("the player's contour colours (contour.js SURFACE_SCALE, MASK_RGB) or payload.js "
                         "nLevels changed shape: update visualizer/export/style.py")
    return stops, tuple(mask), int(levels.group(1))


def require(table: dict, *paths: str) -> None:
    """Raise StyleError unless every dotted path ("run.width") is a number,
    a string or a list in `table`."""
    for path in paths:
        value = table
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value is None or isinstance(value, dict):
            raise StyleError(f"marks.js style table: {path} is missing or not a plain value; "
                             "update visualizer/export/style.py")


def _is_table(scale) -> bool:
    return isinstance(scale, list) and all(
        isinstance(s, list) and len(s) == 2 and isinstance(s[0], int | float) and isinstance(s[1], str) for s in scale)


def _source(name: str) -> str:
    try:
        return (FRONTEND / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise StyleError(f"cannot read the player's {name}: {exc}") from None


def _merge(base: dict, over: dict) -> dict:
    """marks.js's merge(): nested objects merged, everything else replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = _merge(base[key], value)
        else:
            out[key] = value
    return out


def _literal_after(text: str, pattern: str, what: str):
    match = re.search(pattern, text)
    if match is None:
        raise StyleError(f"{what} not found in the player's files: update visualizer/export/style.py")
    value, _ = _Reader(text, match.end()).value()
    return value


_TOKEN = re.compile(r"""
    (?P<space>(?:\s+|//[^\n]*|/\*.*?\*/)+)
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_$][\w$]*)
  | (?P<punct>[{}\[\]:,()])
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)


class _Reader:
    """A JS object literal from position `pos` of `text`, as Python values;
    a value that is not a literal (a name, an expression) reads as None."""

    def __init__(self, text: str, pos: int):
        self.text, self.pos = text, pos

    def _next(self, peek: bool = False) -> tuple[str, str]:
        pos = self.pos
        while True:
            match = _TOKEN.match(self.text, pos)
            if match is None:
                return "end", ""
            pos = match.end()
            if match.lastgroup != "space":
                break
        if not peek:
            self.pos = pos
        return match.lastgroup, match.group()

    def value(self):
        kind, tok = self._next()
        if tok == "{":
            return self._object(), True
        if tok == "[":
            return self._array(), True
        if kind == "number":
            number = float(tok)
            return (int(number) if number.is_integer() and re.fullmatch(r"[-+]?\d+", tok) else number), True
        if kind == "string":
            return _unquote(tok), True
        if kind == "name" and tok in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[tok], True
        self._skip_expression(kind, tok)
        return None, False

    def _skip_expression(self, kind: str, tok: str) -> None:
        depth = 1 if tok in "([{" and kind == "punct" else 0
        while True:
            kind, tok = self._next(peek=True)
            if kind == "end":
                return
            if depth == 0 and tok in (",", "}", "]", ";"):
                return
            self._next()
            if kind == "punct" and tok in "([{":
                depth += 1
            elif kind == "punct" and tok in ")]}":
                depth -= 1

    def _object(self) -> dict:
        out = {}
        while True:
            kind, tok = self._next()
            if tok == "}":
                return out
            if tok == ",":
                continue
            if kind not in ("name", "string", "number"):
                raise StyleError(f"unexpected {tok!r} in a style table of the player")
            key = _unquote(tok) if kind == "string" else tok
            if self._next()[1] != ":":
                raise StyleError(f"expected ':' after {key!r} in a style table of the player")
            out[key], _ = self.value()

    def _array(self) -> list:
        out = []
        while True:
            _, tok = self._next(peek=True)
            if tok == "]":
                self._next()
                return out
            if tok == ",":
                self._next()
                continue
            out.append(self.value()[0])


def _unquote(token: str) -> str:
    body = token[1:-1]
    return re.sub(r"\\(.)", r"\1", body)
