"""Compiled programs and where they are kept.

A program is compiled ahead of time for one problem (a surface, a formula,
a network), one member (an optimizer and the values of its hyperparameters
that fix an array's shape) and one length bucket; `PROGRAMS` keeps them,
least recently used dropped first. The engine, the explorations and the
network all keep theirs here (explorations in a cache of their own).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import NamedTuple

from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.run import Run

# Programs are compiled for a fixed number of steps and sliced; these are the
# lengths (in points, steps + 1) that exist. Powers of two keep the waste
# under 2x and the number of programs per optimizer at most nine.
LENGTH_BUCKETS = (65, 129, 257, 513, 1025, 2049, 4097, 8193, 10001)


PROGRAM_CACHE_SIZE = 96

# 512-bit vectors where the CPU has them (AVX-512), for the programs that
# step a batch of copies (explorations, races, clouds): the basin map's
# loop 11.3 -> 9.4 ms on one core, a cloud 10.5 -> 8.8 ms. Element-wise
# work, so the same bits; a CPU without them ignores it.
WIDE_VECTORS = {"xla_cpu_prefer_vector_width": 512}


def compile_with(lowered, options: dict):
    """`lowered.compile` with XLA `options`; without them on an XLA that
    does not know one (so a JAX upgrade costs speed, not the program)."""
    try:
        return lowered.compile(compiler_options=options)
    except Exception as exc:  # noqa: BLE001 - XLA's error for an unknown option has no class of its own
        if "compile option" not in str(exc) and "xla_cpu_" not in str(exc):
            raise
        return lowered.compile()


def bucket_length(steps: int) -> int:
    """Points computed for a scene of `steps` updates (at least steps + 1)."""
    for length in LENGTH_BUCKETS:
        if length >= steps + 1:
            return length
    raise ValueError(f"{steps=} exceeds the largest bucket {LENGTH_BUCKETS[-1] - 1}")


class Member(NamedTuple):
    """An optimizer with the values of its static hyperparameters (those that
    fix an array's shape): what one compiled program runs."""

    optimizer: str
    static: tuple = ()  # ((name, value), ...)


def member_of(run: Run) -> Member:
    opt = OPTIMIZERS[run.optimizer]
    return Member(opt.id, tuple((name, run.values[name]) for name in opt.static))


class ProgramCache:
    """Entries by key, least recently used dropped first, at most `size`.

    Missing entries are made by `make`, one call for all the keys a caller
    lacks (so a scene's new optimizers compile together), under a lock per
    key, not one for the cache: two sessions asking for the same new program
    at once compile it once (the second waits for the first and reuses what
    it made), while sessions that need different programs compile them at
    the same time, so nobody waits on another visitor's formula. A caller
    that finds some of its keys being made by another waits only for those,
    after making the rest itself; if that maker failed, it makes them itself.

    `waiting()` tells whether the calling thread is, right now, waiting for
    a program another session is compiling (for a page to say so)."""

    def __init__(self, size: int):
        self._size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()  # guards _entries and _making, never held while making
        self._making: dict = {}  # key -> threading.Event set when its maker is done
        self._waiters: set[int] = set()  # idents of threads waiting for another's make

    def _lookup(self, keys, accept) -> dict:
        found = {}
        for key in keys:
            if key in self._entries and accept(key, self._entries[key]):
                self._entries.move_to_end(key)
                found[key] = self._entries[key]
        return found

    def get_many(self, keys: Sequence, make: Callable[[tuple], Sequence],
                 accept: Callable[[object, object], bool] = lambda key, entry: True) -> list:
        """The entries of `keys` (distinct); `make(missing keys)` returns the
        entries of those not cached, or cached but not `accept`ed, in order."""
        found: dict = {}
        wanted = list(keys)
        while wanted:
            with self._lock:
                found.update(self._lookup(wanted, accept))
                mine, theirs = [], []
                for key in wanted:
                    if key in found:
                        continue
                    if key in self._making:
                        theirs.append(self._making[key])
                    else:
                        self._making[key] = threading.Event()
                        mine.append(key)
            if mine:
                try:
                    made = dict(zip(mine, make(tuple(mine)), strict=True))
                    with self._lock:
                        self._entries.update(made)
                        while len(self._entries) > self._size:
                            self._entries.popitem(last=False)
                    found.update(made)
                finally:
                    with self._lock:
                        for key in mine:
                            self._making.pop(key).set()
            if theirs:
                me = threading.get_ident()
                self._waiters.add(me)
                try:
                    for done in theirs:
                        done.wait()
                finally:
                    self._waiters.discard(me)
            wanted = [k for k in wanted if k not in found]
        return [found[k] for k in keys]

    def waiting(self, thread: int | None = None) -> bool:
        """Whether `thread` (default: the calling one) waits for a program
        that another session is compiling."""
        return (threading.get_ident() if thread is None else thread) in self._waiters

    def compiling(self) -> int:
        """How many programs are being compiled now, by every session."""
        return len(self._making)

    def __len__(self):
        return len(self._entries)

    def clear(self):
        with self._lock:
            self._entries.clear()


PROGRAMS = ProgramCache(PROGRAM_CACHE_SIZE)


class ProgramKey(NamedTuple):
    """A compiled program's place in the cache: the problem it runs on (a
    surface's id, a formula's text, a network with its data sizes), the
    member (an optimizer and its static values), the number of points."""

    problem: Hashable
    member: Member
    length: int


def pack_calls(places: Sequence[tuple[object, int]]) -> list[tuple[object, dict[int, int]]]:
    """Calls of compiled groups for jobs placed at (group, member index):
    each call serves one job per member of its group, so jobs of different
    members share calls and a second job of a member takes another. Returns
    (group, {member index: job number}) per call."""
    calls: list[tuple[object, dict[int, int]]] = []
    for number, (group, index) in enumerate(places):
        call = next((c for c in calls if c[0] is group and index not in c[1]), None)
        if call is None:
            call = (group, {})
            calls.append(call)
        call[1][index] = number
    return calls
