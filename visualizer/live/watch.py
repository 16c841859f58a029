"""Held requests wait here for a class to change, and the store is looked at
once per class and process every POLL_S however many requests are held on
it: thirty phones on a long poll cost one read four times a second, not
thirty.

What is watched is the class's version and its answers to the question
now asked (how many, and when the newest was given): a student's poll wakes
when the version moves (the teacher moved, revealed or closed), the
teacher's tally also when someone answers or changes an answer. The store stays the one truth: a woken request reads it again, and
every replica of a deployment watches the shared store for itself.
"""

from __future__ import annotations

import asyncio

import anyio

from visualizer.live import classes, store

POLL_S = 0.25  # how often the store is looked at for a watched class: a follower sees a change within this


class _Watch:
    """One class watched in this process: the version and the count of
    answers last seen, an event per kind of change (replaced once it has
    fired), and how many requests wait."""

    def __init__(self, version: int, answered: tuple[int, int] | None):
        self.version: int | None = version
        self.answered = answered
        self.moved = anyio.Event()
        self.changed = anyio.Event()
        self.waiting = 0

    def fire(self, moved: bool) -> None:
        if moved:
            self.moved.set()
            self.moved = anyio.Event()
        self.changed.set()
        self.changed = anyio.Event()


_WATCHES: dict[tuple[int, str], _Watch] = {}


def _stamp(code: str) -> tuple[int, tuple[int, int]] | None:
    """(version, (how many answered the question asked, when the newest
    answer was given)), or None: no such class, or a store that cannot be
    read (a woken request reads it again and says which)."""
    try:
        db = store.shared()
        record = db.get(code)
        if record is None:
            return None
        answers = db.answers(code, record.key)
        return record.version, (len(answers), classes.latest_ms(answers))
    except Exception:  # noqa: BLE001 - see above
        return None


async def _look(key: tuple[int, str], watch: _Watch) -> None:
    try:
        while watch.waiting > 0:
            version, answered = await anyio.to_thread.run_sync(_stamp, key[1]) or (None, None)
            if version != watch.version:
                watch.version, watch.answered = version, answered
                watch.fire(moved=True)
            elif answered != watch.answered:
                if watch.answered is not None:
                    watch.fire(moved=False)
                watch.answered = answered
            await anyio.sleep(POLL_S)
    finally:
        _WATCHES.pop(key, None)


async def wait(code: str, seconds: float, version: int, answered: tuple[int, int] | None = None) -> bool:
    """Wait at most `seconds` for class `code` to move past `version` (the
    one the caller read) or, given `answered` (the answers then: how many,
    and the newest's time), for an answer given or changed; whether it
    did."""
    key = (id(asyncio.get_running_loop()), code)
    watch = _WATCHES.get(key)
    if watch is None:
        watch = _WATCHES[key] = _Watch(version, answered)
        asyncio.get_running_loop().create_task(_look(key, watch))
    if watch.version != version:
        return True
    if answered is not None:
        if watch.answered is None:
            watch.answered = answered
        elif watch.answered != answered:
            return True
    event = watch.changed if answered is not None else watch.moved
    watch.waiting += 1
    try:
        with anyio.move_on_after(seconds):
            await event.wait()
            return True
        return False
    finally:
        watch.waiting -= 1
