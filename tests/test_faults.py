"""Faults a public server meets, each against a real server process: a
session whose compile fails, a warm-up that does not finish in time, a full
(or unwritable) disk for the compilation cache, browsers that vanish in the
middle of a run. Each must leave the server serving; none may show a
visitor a traceback or a file path.

The faults are injected by tests/fault_server.py (patches made before
Streamlit starts) or by the environment (the cache's folder).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from stclient import LocalServer, Session, page_texts, run_async  # noqa: E402

pytestmark = pytest.mark.slow
FAULT_SERVER = [sys.executable, str(ROOT / "tests" / "fault_server.py")]
LEAKS = ("Traceback", 'File "', "/work/", ".py", "RuntimeError", "injected")


run = run_async  # the protocol clients are asyncio; see stclient.run_async


async def visit(server, query="", then=None):
    """Open a page (and do `then(session)`); returns the runs' results."""
    session = Session(server.url, query, timeout=120)
    try:
        results = [await session.open()]
        if then is not None:
            results.append(await then(session))
        return results
    finally:
        await session.close()


def clean(result, what):
    assert not result.exceptions, f"{what}: {[e.message for e in result.exceptions]}"
    assert result.ok, f"{what}: status {result.status}"


def serving(server):
    assert server.alive(), server.log()[-3000:]
    clean(run(visit(server))[0], "a new visitor")


# ------------------------------------------------------------------ a compile that fails


def test_a_session_whose_compile_fails_sees_a_short_message_keeps_its_session_and_others_are_served(tmp_path):
    with LocalServer(command=[*FAULT_SERVER, "compile-fails"], log_path=tmp_path / "log") as server:
        texts = {}

        async def scenario_and_texts(session):
            broken = await session.set_widget("steps", 5000)  # the 8193-point bucket: its compile fails
            texts["page"] = [text for _, text, _ in page_texts(session)]
            back = await session.set_widget("steps", 300)
            return broken, back

        first, (broken, back) = run(visit(server, then=scenario_and_texts))
        clean(first, "the first page")
        # The page catches it and says so in one short line (no exception element at all).
        assert not broken.exceptions, [e.message for e in broken.exceptions]
        assert any("Something went wrong" in t for t in texts["page"]), "the failed compile was not reported"
        shown = " ".join(texts["page"])
        assert not any(leak in shown for leak in LEAKS), f"the visitor sees details: {shown[:300]!r}"
        clean(back, "the same session after the failure")
        serving(server)
        assert "injected fault" in server.log()  # the details went to the log


# ------------------------------------------------------------------ a warm-up that takes too long


def test_a_warm_up_that_times_out_leaves_the_server_serving(tmp_path):
    env = {"OPTVIZ_TEST_WARM_UP_S": "600"}
    with LocalServer(command=[*FAULT_SERVER, "slow-warm-up"], env=env, log_path=tmp_path / "log") as server:
        assert "warm-up still running" in server.log()
        first = run(visit(server))[0]
        clean(first, "a page while the warm-up still runs")
        assert "warm-up done" not in server.log()  # it really was still running
        serving(server)


# ------------------------------------------------------------------ the compilation cache's disk

FORMULAS = ["x^2+{k}*y^2", "sin(x)+{k}*y^2", "(x-{k})^2+abs(y)", "exp(x/{k})+y^2-x"]


def _new_formulas(server, count):
    async def go():
        for k in range(2, 2 + count):
            text = FORMULAS[k % len(FORMULAS)].format(k=k)
            results = await visit(server, "surface=custom&f=" + quote(text, safe="") + "&steps=50")
            clean(results[0], f"formula {text}")

    run(go())


@pytest.fixture
def full_disk(tmp_path):
    """A 256 KB tmpfs with 100 KB left: room for the start-up's probe and one
    program, then full (root only: mount)."""
    mount = tmp_path / "full"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot mount a small tmpfs: {made.stderr.decode()[:200]}")
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {made.stderr.decode()[:200]}")
    try:
        (mount / "cache").mkdir()
        (mount / "filler").write_bytes(b"\0" * (156 * 1024))
        yield mount / "cache"
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_full_disk_for_the_compilation_cache_costs_compiles_not_pages(full_disk, tmp_path):
    env = {"OPTVIZ_JAX_CACHE_DIR": str(full_disk)}
    with LocalServer(env=env, log_path=tmp_path / "log") as server:
        _new_formulas(server, 4)
        serving(server)
        log = server.log()
    assert "No space left on device" in log  # JAX tried, failed, warned, and compiled on


def test_an_unwritable_cache_folder_switches_the_disk_cache_off(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {"OPTVIZ_JAX_CACHE_DIR": str(blocker / "cache")}
    with LocalServer(env=env, log_path=tmp_path / "log") as server:
        _new_formulas(server, 2)
        serving(server)
        assert "compilation cache off: cannot write" in server.log()


def test_the_cache_folder_and_its_bound_come_from_the_environment(tmp_path, monkeypatch):
    from visualizer.page import warmup

    monkeypatch.setenv(warmup.CACHE_DIR_ENV, str(tmp_path / "shared"))
    monkeypatch.setenv(warmup.CACHE_MAX_MB_ENV, "64")
    assert warmup.cache_settings() == (str(tmp_path / "shared"), 64 * 2**20)
    monkeypatch.setenv(warmup.CACHE_MAX_MB_ENV, "lots")
    assert warmup.cache_settings()[1] == warmup.CACHE_MAX_MB * 2**20
    monkeypatch.setenv(warmup.CACHE_DIR_ENV, "off")
    assert warmup.cache_settings() == (None, 0)


def test_entries_written_without_the_bound_get_the_access_time_jax_needs(tmp_path):
    import filelock  # JAX's cache bound needs it (requirements.txt)

    from visualizer.page import warmup

    (tmp_path / "jit_f-abc-cache").write_bytes(b"program")
    (tmp_path / "jit_g-def-cache").write_bytes(b"program")
    (tmp_path / "jit_g-def-atime").write_bytes((7).to_bytes(8, "little"))
    warmup._add_missing_access_times(str(tmp_path), filelock)
    assert (tmp_path / "jit_f-abc-atime").exists()
    assert (tmp_path / "jit_g-def-atime").read_bytes() == (7).to_bytes(8, "little")


def test_without_filelock_the_cache_is_pruned_to_its_bound(tmp_path):
    from visualizer.page import warmup

    for i in range(10):
        (tmp_path / f"entry-{i}").write_bytes(b"x" * 1000)
        os.utime(tmp_path / f"entry-{i}", (1000 + i, 1000 + i))
    warmup._prune(str(tmp_path), 3500)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry-7", "entry-8", "entry-9"]


# ------------------------------------------------------------------ browsers that vanish


def _threads(server) -> int:
    return server.stats()["threads"]


def test_browsers_that_disconnect_mid_run_leave_the_server_serving(tmp_path):
    with LocalServer(log_path=tmp_path / "log") as server:
        async def vanish(k):
            session = Session(server.url, "")
            await session.open()
            text = f"sin({k}*x)*cos(y)+x^2/{k}"  # a new formula: seconds of compiling
            await session.send(session.client_state(query="surface=custom&f=" + quote(text, safe="")))
            await asyncio.sleep(0.05)
            await session.abort()  # no close frame, as a closed laptop

        async def crowd():
            await asyncio.gather(*(vanish(k) for k in range(2, 8)))

        run(crowd())
        serving(server)
        # The abandoned runs finish and their threads end.
        baseline = None
        for _ in range(120):
            threads = _threads(server)
            baseline = threads if baseline is None else min(baseline, threads)
            if threads <= 40:
                break
            time.sleep(0.5)
        assert _threads(server) <= 40, f"{_threads(server)} threads after the browsers left"
        serving(server)
        log = server.log()
        assert "Traceback" not in log, log[-3000:]
