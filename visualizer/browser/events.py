"""What the player sends back, checked like any user input: anyone can post
any JSON as a component's value from the browser's devtools. A malformed
value is logged and ignored, never an error on the page.

Every event is a JSON object ``{"event": kind, ..., "nonce": n}``; the nonce
tells a new click from the same value sent again. Each kind has a reader
that raises ValueError on anything malformed; `_checked` is the one place
that turns that into a log line and None."""

from __future__ import annotations

import logging
import math
from typing import NamedTuple

_LOG = logging.getLogger(__name__)
COORD_LIMIT = 1e5
PICK_INDEX_LIMIT = 4096  # no exploration has more variants on an axis (variants.LIMITS)


class StartEvent(NamedTuple):
    """A click that sets the start of every run (run None) or of one."""

    x: float
    y: float
    run: int | None
    nonce: int


class InsideEvent(NamedTuple):
    """The toolbar's "Inside a step" switched on or off."""

    on: bool
    nonce: int


class PickEvent(NamedTuple):
    """A click on an exploration: variant i of a curve, or cell (i, j) (x
    index, y index) of a map or of starts, on the exploration named `on`
    (its id in the payload). Indices only: the page looks the values up."""

    on: str
    i: int
    j: int | None
    nonce: int


class AnsweredEvent(NamedTuple):
    """The viewer answered the questions named `on` (the payload's
    `quiz.id`), or chose to play without answering: the page may now show
    what it kept back."""

    on: str
    nonce: int


def _read_start(value: dict, run_count: int) -> StartEvent:
    """``{"event": "start", "xy": [x, y], "run": int | null, "nonce": n}``."""
    xy = value.get("xy")
    if not (isinstance(xy, list) and len(xy) == 2 and all(_number(v) for v in xy)):
        raise ValueError(f"xy is not two numbers: {str(xy)[:80]}")
    x, y = (float(v) for v in xy)
    if not all(math.isfinite(v) and abs(v) <= COORD_LIMIT for v in (x, y)):
        raise ValueError("xy is not finite or out of range")
    run = value.get("run")
    if run is not None and not (_integer(run) and 0 <= run < run_count):
        raise ValueError(f"run is not a run index: {str(run)[:40]}")
    return StartEvent(x, y, run, _nonce(value))


def _read_inside(value: dict, run_count: int) -> InsideEvent:
    """``{"event": "inside", "on": true | false, "nonce": n}``."""
    on = value.get("on")
    if not isinstance(on, bool):
        raise ValueError(f"on is not true or false: {str(on)[:40]}")
    return InsideEvent(on, _nonce(value))


def _read_pick(value: dict, run_count: int) -> PickEvent:
    """``{"event": "pick", "on": id, "i": int, "j": int | null, "nonce": n}``;
    whether i and j fit the exploration shown is for the page to check
    (visualizer.page.explore_panel)."""
    on = value.get("on")
    if not (isinstance(on, str) and 0 < len(on) <= 64):
        raise ValueError(f"on is not an exploration id: {str(on)[:40]}")
    i, j = value.get("i"), value.get("j")
    if not (_integer(i) and 0 <= i < PICK_INDEX_LIMIT):
        raise ValueError(f"i is not an index: {str(i)[:40]}")
    if j is not None and not (_integer(j) and 0 <= j < PICK_INDEX_LIMIT):
        raise ValueError(f"j is not an index: {str(j)[:40]}")
    return PickEvent(on, i, j, _nonce(value))


def _read_answered(value: dict, run_count: int) -> AnsweredEvent:
    """``{"event": "answered", "on": quiz id, "nonce": n}``; whether the id
    is the scene's shown is for the page to check."""
    on = value.get("on")
    if not (isinstance(on, str) and 0 < len(on) <= 64):
        raise ValueError(f"on is not a quiz id: {str(on)[:40]}")
    return AnsweredEvent(on, _nonce(value))


_READERS = {"start": _read_start, "inside": _read_inside, "pick": _read_pick, "answered": _read_answered}


def _checked(value, run_count: int, kind: str | None = None):
    """`value` read as the event it says it is (or must be: `kind`), or None
    if it is none, of another kind, or malformed (logged)."""
    if value is None:
        return None
    try:
        said = value.get("event") if isinstance(value, dict) else None
        if not isinstance(said, str) or said not in _READERS or (kind is not None and said != kind):
            raise ValueError(f"not {'an event' if kind is None else 'a ' + kind + ' event'}: {str(said)[:40]}")
        return _READERS[said](value, run_count)
    except ValueError as exc:
        _LOG.warning("ignored a malformed player event: %s", exc)
        return None


def player_event(value, run_count: int) -> StartEvent | InsideEvent | PickEvent | AnsweredEvent | None:
    """Whichever event `value` is (by its "event"), validated; None for none,
    for an unknown kind and for a malformed one (logged)."""
    return _checked(value, run_count)


def _nonce(value: dict) -> int:
    nonce = value.get("nonce")
    if not _integer(nonce):
        raise ValueError("nonce is not an integer")
    return nonce


def _number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _integer(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)
