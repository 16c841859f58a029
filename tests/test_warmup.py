"""The warm-up a new server runs before it accepts connections (app.py)."""

from __future__ import annotations

import asyncio
import threading

import jax

from visualizer import Scene, simulate
from visualizer.core import programs
from visualizer.page import warmup


def test_warm_up_compiles_everything_the_default_scene_needs(monkeypatch):
    monkeypatch.setattr(programs, "PROGRAMS", programs.ProgramCache(programs.PROGRAM_CACHE_SIZE))
    monkeypatch.setattr(warmup, "persistent_compilation_cache", lambda: "")
    warmup.warm_up()
    assert len(programs.PROGRAMS) == len({run.optimizer for run in Scene.default().runs})

    compiled = []

    def listener(event, duration, **kwargs):
        if "backend_compile" in event:
            compiled.append(kwargs.get("fun_name", event))

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        simulate(Scene.default())
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    assert compiled == []


def _serve(timeout_s=None) -> list:
    """Run the lifespan as a server would, in a fresh event loop on its own
    thread (the browser tests' Playwright may own this thread's loop)."""
    events = []

    async def server():
        async with warmup.lifespan(None, timeout_s):
            events.append("serving")

    thread = threading.Thread(target=lambda: asyncio.run(server()))
    thread.start()
    thread.join(timeout=30)
    return events


def test_the_server_serves_after_the_warm_up(monkeypatch):
    done = []
    monkeypatch.setattr(warmup, "warm_up", lambda: done.append("warm") or 0.0)
    assert _serve() == ["serving"]
    assert done == ["warm"]


def test_a_failing_warm_up_does_not_stop_the_server(monkeypatch):
    def broken():
        raise RuntimeError("no backend")

    monkeypatch.setattr(warmup, "warm_up", broken)
    assert _serve() == ["serving"]


def test_an_overlong_warm_up_stops_holding_the_server_back(monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(warmup, "warm_up", lambda: release.wait(10) and 0.0)
    try:
        assert _serve(timeout_s=0.2) == ["serving"]
    finally:
        release.set()
