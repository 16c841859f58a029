"""The compile worker: a formula's or a network's programs built in a
process of their own give the same runs, landmarks, explorations and
planes as those built in the server's thread, and whatever goes wrong with the worker (busy, killed,
hung, a job that raises or cannot travel) ends in the job done here."""

from __future__ import annotations

import logging
import math
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from visualizer import Scene, explore, simulate
from visualizer.core import compile_worker, landmarks, programs
from visualizer.core.compile_worker import Worker

FORMULA = "surface=custom&f=sin(3*x)*cos(2*y)%2B0.1*(x^2%2By^2)%2B0.0371*x*y&steps=120"
RUNS = "&run=sgd:lr=0.05&run=adam:lr=0.1&run=momentum:lr=0.02,x0=1,y0=-1"


@pytest.fixture
def worker(monkeypatch):
    """The engine's worker, switched on, with empty caches around it."""
    fresh = Worker(enabled=True)
    monkeypatch.setattr(compile_worker, "WORKER", fresh)
    monkeypatch.setattr(programs, "PROGRAMS", programs.ProgramCache(programs.PROGRAM_CACHE_SIZE))
    landmarks._estimated.cache_clear()
    yield fresh
    fresh.stop()
    landmarks._estimated.cache_clear()


def _without_worker(monkeypatch, compute):
    monkeypatch.setattr(compile_worker.WORKER, "enabled", False)
    monkeypatch.setattr(programs, "PROGRAMS", programs.ProgramCache(programs.PROGRAM_CACHE_SIZE))
    landmarks._estimated.cache_clear()
    return compute()


def test_a_formula_built_by_the_worker_runs_as_one_built_here(worker, compiles, monkeypatch):
    scene = Scene.from_query(FORMULA + RUNS)
    simulate(Scene.from_query("surface=booth&steps=120" + RUNS))  # the process's own first programs
    with compiles.counting() as n:
        far = simulate(scene)
        marks = landmarks.of(scene)
    assert worker.jobs_done == 2, "the runs' program and the landmarks' search"
    assert n[0] == 0, f"the server compiled {n[1]}"
    assert worker.pid() not in (None, os.getpid())

    near = _without_worker(monkeypatch, lambda: simulate(scene))
    near_marks = landmarks.of(scene)
    assert worker.jobs_done == 2
    for a, b in zip(far.runs, near.runs, strict=True):
        np.testing.assert_array_equal(a.xy, b.xy)
        np.testing.assert_array_equal(a.loss, b.loss)
        np.testing.assert_array_equal(a.grad, b.grad)
    assert marks == near_marks and marks.estimated and marks.minima


def test_a_formula_compiled_before_is_built_again_by_a_new_worker(worker):
    """A new worker compiles it afresh: an executable XLA loaded from the disk
    cache could not be sent (the server's copy missed its functions)."""
    scene = Scene.from_query(FORMULA + RUNS)
    first = simulate(scene)
    for _ in range(2):
        worker.stop()
        programs.PROGRAMS.clear()
        again = simulate(scene)
        np.testing.assert_array_equal(first.runs[2].xy, again.runs[2].xy)
    assert worker.jobs_done == 3


def test_value_changes_after_the_worker_built_a_program_call_it_again(worker, compiles):
    scene = Scene.from_query(FORMULA + RUNS)
    simulate(scene)
    done = worker.jobs_done
    with compiles.counting() as n:
        for lr in (0.01, 0.02, 0.03):
            simulate(scene.replace(runs=tuple(r.replace(lr=lr) for r in scene.runs)))
    assert worker.jobs_done == done and n[0] == 0


@pytest.mark.parametrize("kind", ["lr", "starts:n=24", "starts:n=91"])
def test_an_exploration_of_a_formula_is_built_by_the_worker(worker, monkeypatch, kind):
    """On one device, split over the devices (576 starts), and in chunks
    (8,281 starts); the server's device count is the worker's."""
    scene = Scene.from_query(FORMULA.replace("steps=120", "steps=40") + f"&run=momentum:lr=0.02&explore={kind}")
    far = explore(scene)
    assert worker.jobs_done >= 1
    near = _without_worker(monkeypatch, lambda: explore(scene))
    assert far.to_json() == near.to_json()


def test_the_race_runs_built_by_the_worker_on_their_own_devices(worker, monkeypatch):
    scene = Scene.from_query(FORMULA.replace("steps=120", "steps=40") + RUNS + "&explore=race:budget=8")
    far = explore(scene)
    assert worker.jobs_done >= 3
    near = _without_worker(monkeypatch, lambda: explore(scene))
    assert far.to_json() == near.to_json()


def test_a_formulas_flow_is_built_by_the_worker_and_equals_one_built_here(worker, compiles, monkeypatch):
    """diffrax's program travels: no host callback in it (its checks give
    NaN rather than raise: visualizer.core.flow)."""
    from visualizer.core import flow

    monkeypatch.setattr(flow, "PROGRAMS", programs.ProgramCache(4))
    scene = Scene.from_query(FORMULA + RUNS + "&flow=1")
    simulate(scene.replace(flow=False))
    done = worker.jobs_done
    with compiles.counting() as n:
        far = simulate(scene)
    assert worker.jobs_done == done + 2, "the flows of sgd and momentum"
    assert n[0] == 0, f"the server compiled {n[1]}"
    monkeypatch.setattr(flow, "PROGRAMS", programs.ProgramCache(4))
    near = _without_worker(monkeypatch, lambda: simulate(scene))
    assert far.to_json() == near.to_json()
    assert sum(r.flow is not None for r in far.runs) == 2


def test_a_network_trained_with_the_worker_equals_one_trained_without(worker, monkeypatch):
    """Its training group, the loss grid on its plane and its pretrained
    start come from the worker."""
    from visualizer.core.model import training

    training.pretrained_weights.cache_clear()
    scene = Scene.from_query("surface=mlp:hidden=6,act=relu,pretrain=circles&steps=60"
                             "&run=sgd:lr=0.1&run=adam:lr=0.01")
    far = simulate(scene)
    assert worker.jobs_done == 3
    training.pretrained_weights.cache_clear()
    near = _without_worker(monkeypatch, lambda: simulate(scene))
    training.pretrained_weights.cache_clear()
    for a, b in zip(far.runs, near.runs, strict=True):
        np.testing.assert_array_equal(a.xy, b.xy)
        np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(far.model.plane.z, near.model.plane.z)


def test_a_built_in_surface_never_asks_the_worker(worker):
    simulate(Scene.from_query("surface=rosenbrock&steps=50&run=adam:lr=0.01"))
    assert worker.jobs_done == 0 and worker.pid() is None


def test_a_busy_worker_leaves_the_job_to_the_caller(worker):
    assert worker.call(os.getpid) != os.getpid()
    with worker._busy:  # another visitor's formula is with the worker
        assert worker.call(os.getpid) == os.getpid()
    assert worker.jobs_done == 1


def test_two_formulas_at_once_neither_waits_for_the_other(worker):
    """One goes to the worker, the other is built in its caller's thread."""
    scenes = [Scene.from_query(FORMULA.replace("0.0371", c) + RUNS) for c in ("0.0511", "0.0622")]
    barrier, results = threading.Barrier(2), []

    def session(scene):
        barrier.wait()
        results.append(simulate(scene))

    threads = [threading.Thread(target=session, args=(s,)) for s in scenes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 2 and 1 <= worker.jobs_done <= 2


def test_a_worker_killed_between_jobs_is_replaced_by_the_next_job(worker):
    first = worker.call(os.getpid)
    os.kill(first, 9)
    worker._process.wait(timeout=10)
    second = worker.call(os.getpid)
    assert second not in (first, os.getpid())


def test_a_worker_that_dies_with_a_job_fails_that_job_and_the_server_does_not_try_it(worker):
    """Whatever killed the worker (memory, a crash in XLA) would kill the server."""
    first = worker.call(os.getpid)
    with pytest.raises(compile_worker.WorkerFailed, match="stopped while doing _exit"):
        worker.call(os._exit, 3)  # here, it would end the test run
    assert not _alive(first)
    assert worker.call(os.getpid) not in (first, os.getpid()), "the next job has a new worker"


def test_a_hung_worker_is_killed_and_its_job_fails():
    hung = Worker(enabled=True)
    try:
        pid = hung.call(os.getpid)  # started (its start counts as the first job's time)
        hung.timeout_s = 0.5
        # The message is the timeout's, not the sleep's end: killed, not waited for.
        with pytest.raises(compile_worker.WorkerFailed, match="did not finish sleep in 0.5 s"):
            hung.call(time.sleep, 30)
        assert hung.pid() is None and not _alive(pid)
        hung.timeout_s = compile_worker.TIMEOUT_S
        assert hung.call(os.getpid) not in (pid, os.getpid())
    finally:
        hung.stop()


def test_a_worker_on_other_code_than_the_servers_takes_no_job(worker, monkeypatch, caplog):
    """A `git pull` under a running server: the worker it starts would
    compile the new code for the old server."""
    worker.code = "the code the server started with"
    with caplog.at_level(logging.WARNING, logger="visualizer.core.compile_worker"):
        assert worker.call(os.getpid) == os.getpid()
    assert "code on disk changed" in caplog.text
    assert not worker.enabled and worker.pid() is None


def test_a_job_that_raises_raises_here_from_the_callers_own_attempt(worker):
    with pytest.raises(ValueError, match="math domain error"):
        worker.call(math.sqrt, -1.0)
    assert worker.call(math.sqrt, 4.0) == 2.0, "the worker is still there"


def test_a_job_that_cannot_travel_is_done_here_and_the_worker_kept(worker):
    pid = worker.call(os.getpid)
    assert worker.call(lambda: os.getpid()) == os.getpid()
    assert worker.call(os.getpid) == pid


def test_an_idle_worker_exits_and_gives_its_memory_back():
    idle = Worker(idle_s=0.3, enabled=True)
    try:
        pid = idle.call(os.getpid)
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert idle.pid() is None and not _alive(pid)
        assert idle.call(os.getpid) not in (pid, os.getpid())
    finally:
        idle.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_it_is_off_unless_the_server_switches_it_on(monkeypatch):
    """A script or the command line compiles in its own thread (with the
    disk cache); the server's start-up asks the environment."""
    assert not Worker().enabled and Worker().call(os.getpid) == os.getpid()
    monkeypatch.setattr(compile_worker, "WORKER", Worker())
    monkeypatch.setenv(compile_worker.WORKER_ENV, "off")
    assert not compile_worker.for_the_server() and not compile_worker.WORKER.enabled
    monkeypatch.setenv(compile_worker.WORKER_ENV, "on")
    assert compile_worker.for_the_server() and compile_worker.WORKER.enabled


def test_by_default_the_server_has_it_unless_the_container_is_short_of_memory(monkeypatch):
    monkeypatch.delenv(compile_worker.WORKER_ENV, raising=False)
    monkeypatch.setattr(compile_worker, "memory_limit_mb", lambda: None)
    assert compile_worker.enabled_by_environment()
    monkeypatch.setattr(compile_worker, "memory_limit_mb", lambda: 690.0)  # Community Cloud's least
    assert not compile_worker.enabled_by_environment()
    monkeypatch.setenv(compile_worker.WORKER_ENV, "on")
    assert compile_worker.enabled_by_environment()


@pytest.mark.parametrize(("files", "limit"), [
    ({"memory.max": "max\n"}, None),
    ({"memory.max": "723517440\n"}, 690.0),
    ({"memory/memory.limit_in_bytes": "9223372036854771712\n"}, None),  # v1: no limit
    ({"memory/memory.limit_in_bytes": "1258291200\n"}, 1200.0),
    ({}, None),
])
def test_the_memory_limit_is_read_from_the_cgroup(tmp_path, files, limit):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert compile_worker.memory_limit_mb(str(tmp_path)) == limit


def test_the_worker_imports_no_streamlit():
    """It holds JAX and the engine only: Streamlit would add ~100 MB."""
    code = ("import sys, visualizer.core.compile_worker, visualizer.core.engine, visualizer.core.landmarks, "
            "visualizer.core.exploration; assert 'streamlit' not in sys.modules, 'streamlit imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
