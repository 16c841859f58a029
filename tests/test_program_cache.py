"""The engine's program cache on a shared server: different programs compile
at the same time, the same program compiles once, and a failed compile
leaves nothing behind. Threads meet on events, never on timings: a timeout
here only turns a deadlock into a failure."""

from __future__ import annotations

import threading

import pytest

from visualizer.core import programs

WAIT = 60  # seconds before a deadlock is called a failure


def _run(target, *args):
    box = {}

    def body():
        try:
            box["value"] = target(*args)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            box["error"] = exc

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, box


def test_two_different_programs_compile_at_the_same_time():
    cache = programs.ProgramCache(10)
    a_started, b_started = threading.Event(), threading.Event()

    def make_a(keys):
        a_started.set()
        # A global compile lock would keep B from starting while A waits.
        assert b_started.wait(WAIT), "B never started while A was compiling"
        return [f"program {k}" for k in keys]

    def make_b(keys):
        b_started.set()
        assert a_started.wait(WAIT)
        return [f"program {k}" for k in keys]

    ta, a = _run(cache.get_many, ["a"], make_a)
    tb, b = _run(cache.get_many, ["b"], make_b)
    ta.join(WAIT)
    tb.join(WAIT)
    assert "error" not in a and "error" not in b, (a, b)
    assert a["value"] == ["program a"] and b["value"] == ["program b"]


def test_a_session_needing_the_program_another_is_compiling_waits_and_reuses_it():
    cache = programs.ProgramCache(10)
    started, release = threading.Event(), threading.Event()
    made = []

    def slow(keys):
        made.append(keys)
        started.set()
        assert release.wait(WAIT)
        return [f"program {k}" for k in keys]

    first, a = _run(cache.get_many, ["f"], slow)
    assert started.wait(WAIT)
    second, b = _run(cache.get_many, ["f", "g"], lambda keys: made.append(keys) or [f"other {k}" for k in keys])
    # The second makes its own missing key, then waits for the first's.
    for _ in range(1000):
        if cache.waiting(second.ident):
            break
        threading.Event().wait(0.01)
    assert cache.waiting(second.ident), "the second session is not shown as waiting"
    assert not cache.waiting()
    assert cache.compiling() == 1
    release.set()
    first.join(WAIT)
    second.join(WAIT)
    assert a["value"] == ["program f"]
    assert b["value"] == ["program f", "other g"]
    assert made == [("f",), ("g",)]
    assert cache.compiling() == 0


def test_when_the_compile_a_session_waited_for_fails_it_compiles_itself():
    cache = programs.ProgramCache(10)
    started, release = threading.Event(), threading.Event()

    def failing(keys):
        started.set()
        assert release.wait(WAIT)
        raise RuntimeError("XLA ran out of memory")

    first, a = _run(cache.get_many, ["f"], failing)
    assert started.wait(WAIT)
    second, b = _run(cache.get_many, ["f"], lambda keys: [f"program {k}" for k in keys])
    release.set()
    first.join(WAIT)
    second.join(WAIT)
    assert isinstance(a.get("error"), RuntimeError)
    assert b["value"] == ["program f"]
    assert cache.compiling() == 0
    assert cache.get_many(["f"], lambda keys: pytest.fail("made again")) == ["program f"]


def test_a_failed_compile_leaves_no_entry_and_no_lock_behind():
    cache = programs.ProgramCache(10)
    with pytest.raises(ValueError):
        cache.get_many(["k"], lambda keys: (_ for _ in ()).throw(ValueError("bad")))
    assert len(cache) == 0 and cache.compiling() == 0
    assert cache.get_many(["k"], lambda keys: ["ok"]) == ["ok"]


def test_many_sessions_one_new_program_one_compile():
    cache = programs.ProgramCache(10)
    made = []
    gate = threading.Barrier(8)

    def session():
        gate.wait(WAIT)
        return cache.get_many(["p"], lambda keys: made.append(keys) or ["program"])

    runs = [_run(session) for _ in range(8)]
    for thread, _ in runs:
        thread.join(WAIT)
    assert [box["value"] for _, box in runs] == [["program"]] * 8
    assert made == [("p",)]
