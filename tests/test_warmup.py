"""The warm-up a new server runs on its first request (see app.py)."""

from __future__ import annotations

import asyncio

import jax

from visualizer import Scene, engine, simulate, warmup


def test_warm_up_compiles_everything_the_default_scene_needs(monkeypatch):
    monkeypatch.setattr(engine, "PROGRAMS", engine._ProgramCache(engine.PROGRAM_CACHE_SIZE))
    monkeypatch.setattr(warmup, "persistent_compilation_cache", lambda: "")
    warmup.warm_up()
    assert len(engine.PROGRAMS) == len({run.optimizer for run in Scene.default().runs})

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


def test_the_middleware_starts_the_warm_up_once_and_passes_every_request_on(monkeypatch):
    started, seen = [], []
    monkeypatch.setattr(warmup, "start", lambda: started.append(1))

    async def inner(scope, receive, send):
        seen.append(scope["type"])

    middleware = warmup.WarmUpOnFirstRequest(inner)

    async def requests():
        await middleware({"type": "lifespan"}, None, None)
        assert started == []  # the server's own start-up is not a request
        for kind in ("http", "websocket", "http"):
            await middleware({"type": kind}, None, None)

    asyncio.run(requests())
    assert started == [1]
    assert seen == ["lifespan", "http", "websocket", "http"]


def test_a_failing_warm_up_is_logged_not_raised(monkeypatch):
    def broken():
        raise RuntimeError("no backend")

    monkeypatch.setattr(warmup, "warm_up", broken)
    warmup.start().join(timeout=10)  # the thread ends quietly
