"""Getting a fresh server process ready before its first visitor.

A new process pays about 1.5 s before it can answer the first page: importing
JAX, starting its CPU backend, compiling the default scene's optimizers and
the surface grid. `app.py` has `WarmUpOnFirstRequest` start it on the
server's first request, so that work overlaps with the browser loading
Streamlit's frontend instead of following it. (Not at start-up: on a small
machine the import would slow the server's own start by as much.) The first session then finds the programs compiled (or, if it
arrives early, waits for the compile in flight instead of starting its own:
see `engine._ProgramCache`).
"""

from __future__ import annotations

import functools
import os
import tempfile
import threading
import time

from streamlit.logger import get_logger

_LOG = get_logger(__name__)  # Streamlit's: shows in the server's console


@functools.cache
def persistent_compilation_cache() -> str:
    """Compiled programs also go to disk, so a restarted server (Community
    Cloud wakes a sleeping app in a new process) loads them instead of
    compiling again. Once per process."""
    import jax

    path = os.path.join(tempfile.gettempdir(), "optviz-jax-cache")
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return path


def warm_up() -> float:
    """Compile what the default page needs; returns the seconds it took."""
    t0 = time.perf_counter()
    persistent_compilation_cache()
    # The page's own modules, and pandas: Streamlit imports it (0.5 s) the
    # first time a component's arguments are checked for dataframes.
    import pandas  # noqa: F401

    from visualizer import controls, panels, payload, player, simulate  # noqa: F401  (player: assembles the frontend)
    from visualizer.scene import Scene

    scene = Scene.default()
    simulate(scene)
    payload.surface_payload(scene.surface_model(), dict(scene.surface_params))
    return time.perf_counter() - t0


def _warm_up_quietly() -> None:
    try:
        _LOG.info("warm-up done in %.2f s", warm_up())
    except Exception:  # a failed warm-up only means the first visitor compiles
        _LOG.exception("warm-up failed; the first page will compile instead")


def start() -> threading.Thread:
    """Run `warm_up` in a daemon thread and return it at once."""
    thread = threading.Thread(target=_warm_up_quietly, name="optviz-warm-up", daemon=True)
    thread.start()
    return thread


class WarmUpOnFirstRequest:
    """ASGI middleware: `start()` the warm-up once, after the first HTTP
    request has been answered (or as a first websocket opens). After, not
    before: importing JAX holds the GIL for long stretches, and the first
    request is usually the health check that tells the world the server is
    up; it should not wait for the warm-up."""

    def __init__(self, app):
        self.app = app
        self.started = False

    async def __call__(self, scope, receive, send):
        if self.started or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        self.started = True
        if scope["type"] == "websocket":  # lives as long as the session
            start()
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            start()
