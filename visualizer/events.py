"""What the player sends back, checked like any user input: anyone can post
any JSON as a component's value from the browser's devtools. A malformed
value is logged and ignored, never an error on the page."""

from __future__ import annotations

import math
from typing import NamedTuple

from streamlit.logger import get_logger

_LOG = get_logger(__name__)
COORD_LIMIT = 1e5


class StartEvent(NamedTuple):
    """A click that sets the start of every run (run None) or of one."""

    x: float
    y: float
    run: int | None
    nonce: int


def start_event(value, run_count: int) -> StartEvent | None:
    """`value` as a StartEvent, or None if it is none (or malformed: logged)."""
    if value is None:
        return None
    try:
        if not isinstance(value, dict) or value.get("event") != "start":
            raise ValueError("not a start event")
        xy = value.get("xy")
        if not (isinstance(xy, list) and len(xy) == 2 and all(_number(v) for v in xy)):
            raise ValueError(f"xy is not two numbers: {str(xy)[:80]}")
        x, y = (float(v) for v in xy)
        if not all(math.isfinite(v) and abs(v) <= COORD_LIMIT for v in (x, y)):
            raise ValueError("xy is not finite or out of range")
        run = value.get("run")
        if run is not None and not (_integer(run) and 0 <= run < run_count):
            raise ValueError(f"run is not a run index: {str(run)[:40]}")
        nonce = value.get("nonce")
        if not _integer(nonce):
            raise ValueError("nonce is not an integer")
        return StartEvent(x, y, run, nonce)
    except ValueError as exc:
        _LOG.warning("ignored a malformed player event: %s", exc)
        return None


class InsideEvent(NamedTuple):
    """The toolbar's "Inside a step" switched on or off."""

    on: bool
    nonce: int


def inside_event(value) -> InsideEvent | None:
    """`value` as an InsideEvent, or None if it is none (or malformed: logged).
    The player sends ``{"event": "inside", "on": true | false, "nonce": n}``."""
    if value is None:
        return None
    try:
        if not isinstance(value, dict) or value.get("event") != "inside":
            raise ValueError("not an inside event")
        on = value.get("on")
        if not isinstance(on, bool):
            raise ValueError(f"on is not true or false: {str(on)[:40]}")
        nonce = value.get("nonce")
        if not _integer(nonce):
            raise ValueError("nonce is not an integer")
        return InsideEvent(on, nonce)
    except ValueError as exc:
        _LOG.warning("ignored a malformed player event: %s", exc)
        return None


class PickEvent(NamedTuple):
    """A click on an exploration: variant i of a curve, or cell (i, j) (x
    index, y index) of a map or of starts, on the exploration named `on`
    (its id in the payload). Indices only: the page looks the values up."""

    on: str
    i: int
    j: int | None
    nonce: int


PICK_INDEX_LIMIT = 4096  # no exploration has more variants on an axis (variants.LIMITS)


def pick_event(value) -> PickEvent | None:
    """`value` as a PickEvent, or None if it is none (or malformed: logged).
    The player sends ``{"event": "pick", "on": id, "i": int, "j": int | null,
    "nonce": n}``; whether i and j fit the exploration shown is for the page
    to check (visualizer.explore_panel)."""
    if value is None:
        return None
    try:
        if not isinstance(value, dict) or value.get("event") != "pick":
            raise ValueError("not a pick event")
        on = value.get("on")
        if not (isinstance(on, str) and 0 < len(on) <= 64):
            raise ValueError(f"on is not an exploration id: {str(on)[:40]}")
        i, j = value.get("i"), value.get("j")
        if not (_integer(i) and 0 <= i < PICK_INDEX_LIMIT):
            raise ValueError(f"i is not an index: {str(i)[:40]}")
        if j is not None and not (_integer(j) and 0 <= j < PICK_INDEX_LIMIT):
            raise ValueError(f"j is not an index: {str(j)[:40]}")
        nonce = value.get("nonce")
        if not _integer(nonce):
            raise ValueError("nonce is not an integer")
        return PickEvent(on, i, j, nonce)
    except ValueError as exc:
        _LOG.warning("ignored a malformed player event: %s", exc)
        return None


def player_event(value, run_count: int) -> StartEvent | InsideEvent | PickEvent | None:
    """Whichever event `value` is (by its "event"), validated; None for none,
    for an unknown kind and for a malformed one (logged)."""
    if value is None:
        return None
    kind = value.get("event") if isinstance(value, dict) else None
    if kind == "start":
        return start_event(value, run_count)
    if kind == "inside":
        return inside_event(value)
    if kind == "pick":
        return pick_event(value)
    _LOG.warning("ignored a malformed player event: unknown event %s", str(kind)[:40])
    return None


def _number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _integer(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)
