"""Getting a fresh server process ready before its first visitor.

A new process pays 1.5 to 3 s before it can answer its first page: importing
JAX, optax and pandas, starting JAX's CPU backend, compiling the default
scene's optimizers and the surface grid. `app.py` runs `lifespan` as the
server starts, and the server accepts connections once it is done: "ready"
then means ready to serve the page quickly, as a readiness check should.

Measured on this 2-core machine, that is the better of the three places for
the work. Running it in a background thread on the first request instead
left the total from process start to drawn page unchanged (importing JAX
holds the GIL for long stretches, so the thread slowed the server's
answers to the browser loading the frontend by as much as it saved), and
not warming up at all made the first visitor wait for all of it.
"""

from __future__ import annotations

import asyncio
import functools
import os
import tempfile
import time
from contextlib import asynccontextmanager

from streamlit.logger import get_logger

_LOG = get_logger(__name__)  # Streamlit's: shows in the server's console

# A warm-up that takes longer than this (a wedged backend, a starved machine)
# stops holding the server back; it finishes in the background.
WARM_UP_TIMEOUT_S = 60.0


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

    from visualizer import controls, draft, landmarks, panels, payload, player, simulate  # noqa: F401
    from visualizer.scene import Scene

    scene = Scene.default()
    simulate(scene)
    payload.surface_payload(scene.surface_model(), scene.surface_values(), landmarks.of(scene))
    return time.perf_counter() - t0


@asynccontextmanager
async def lifespan(app, timeout_s: float | None = None):
    """`st.App` start-up hook: warm up, then let the server accept
    connections. A failed or overlong warm-up is logged, never fatal."""
    try:
        seconds = await asyncio.wait_for(asyncio.to_thread(warm_up), timeout_s or WARM_UP_TIMEOUT_S)
        _LOG.info("warm-up done in %.2f s", seconds)
    except TimeoutError:
        _LOG.warning("warm-up still running after %.0f s; serving anyway", timeout_s or WARM_UP_TIMEOUT_S)
    except Exception:
        _LOG.exception("warm-up failed; the first page will compile instead")
    yield
