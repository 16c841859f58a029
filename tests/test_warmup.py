"""The warm-up a new server runs on its first request (see app.py)."""

from __future__ import annotations

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


def _requests(middleware, kinds):
    """Send requests of these kinds through, one after the other. Driven by
    hand, not by asyncio.run: the browser tests' Playwright may hold this
    thread's event loop, and nothing here awaits anything that suspends."""
    for kind in kinds:
        coroutine = middleware({"type": kind}, None, None)
        try:
            coroutine.send(None)
        except StopIteration:
            continue
        raise AssertionError("the middleware suspended")


def test_the_middleware_starts_the_warm_up_once_after_the_first_answer(monkeypatch):
    events = []
    monkeypatch.setattr(warmup, "start", lambda: events.append("warm-up"))

    async def inner(scope, receive, send):
        events.append(scope["type"])

    middleware = warmup.WarmUpOnFirstRequest(inner)
    _requests(middleware, ["lifespan"])
    assert events == ["lifespan"]  # the server's own start-up is not a request
    _requests(middleware, ["http", "websocket", "http"])
    assert events == ["lifespan", "http", "warm-up", "websocket", "http"]


def test_a_first_websocket_starts_the_warm_up_before_its_session(monkeypatch):
    events = []
    monkeypatch.setattr(warmup, "start", lambda: events.append("warm-up"))

    async def inner(scope, receive, send):
        events.append(scope["type"])

    _requests(warmup.WarmUpOnFirstRequest(inner), ["websocket", "http"])
    assert events == ["warm-up", "websocket", "http"]


def test_a_failing_warm_up_is_logged_not_raised(monkeypatch):
    def broken():
        raise RuntimeError("no backend")

    monkeypatch.setattr(warmup, "warm_up", broken)
    warmup.start().join(timeout=10)  # the thread ends quietly
