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

from visualizer.core import devices

_LOG = get_logger(__name__)  # Streamlit's: shows in the server's console

# A warm-up that takes longer than this (a wedged backend, a starved machine)
# stops holding the server back; it finishes in the background.
WARM_UP_TIMEOUT_S = 60.0


# The persistent compilation cache: where (a deploy points replicas at one
# shared folder) and how big. Every distinct program adds ~70 KB; JAX drops
# the least recently used files past the bound (its own setting, which needs
# the `filelock` package).
CACHE_DIR_ENV = "OPTVIZ_JAX_CACHE_DIR"  # a folder; "off" for no disk cache
CACHE_MAX_MB_ENV = "OPTVIZ_JAX_CACHE_MAX_MB"
CACHE_MAX_MB = 256


def cache_settings() -> tuple[str | None, int]:
    """(folder or None for no disk cache, bound in bytes), from the
    environment; a malformed bound is logged and the default used."""
    path = os.environ.get(CACHE_DIR_ENV, "").strip() or os.path.join(tempfile.gettempdir(), "optviz-jax-cache")
    raw = os.environ.get(CACHE_MAX_MB_ENV, "").strip()
    try:
        megabytes = float(raw) if raw else CACHE_MAX_MB
        if not (megabytes >= 0 and megabytes < 1e7):
            raise ValueError(raw)
    except ValueError:
        _LOG.warning("%s=%r is not a size in MB; using %d", CACHE_MAX_MB_ENV, raw, CACHE_MAX_MB)
        megabytes = CACHE_MAX_MB
    if path.lower() in ("off", "none", "0") or megabytes == 0:
        return None, 0
    return os.path.abspath(path), int(megabytes * 2**20)


def _writable(path: str) -> str | None:
    """None if a file can be written in `path` (created if missing), else why not."""
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
        return None
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror or exc}"


def _prune(path: str, max_bytes: int) -> None:
    """Without `filelock` JAX cannot bound the folder; keep it under the
    bound at start-up instead, oldest files first."""
    try:
        files = [e for e in os.scandir(path) if e.is_file() and not e.name.startswith(".")]
        files.sort(key=lambda e: e.stat().st_mtime)
        total = sum(e.stat().st_size for e in files)
        for entry in files:
            if total <= max_bytes:
                break
            total -= entry.stat().st_size
            os.unlink(entry.path)
    except OSError as exc:
        _LOG.warning("could not prune the compilation cache in %s: %s", path, exc)


def _add_missing_access_times(path: str, filelock) -> None:
    """JAX's bound reads an access-time file beside every entry, on every
    write, and fails every write (with a warning) if one is missing: which
    is what a folder filled without the bound (an older version, a process
    without `filelock`) holds. Give such entries one, their file's time,
    under JAX's own lock."""
    try:
        with filelock.FileLock(os.path.join(path, ".lockfile"), timeout=10):
            for entry in os.scandir(path):
                if entry.name.endswith("-cache"):
                    atime = os.path.join(path, entry.name.removesuffix("-cache") + "-atime")
                    if not os.path.exists(atime):
                        with open(atime, "wb") as fh:
                            fh.write(int(entry.stat().st_mtime * 1e9).to_bytes(8, "little"))
    except (OSError, filelock.Timeout) as exc:
        _LOG.warning("could not check the compilation cache in %s: %s", path, exc)


def jax_settings() -> str:
    """The app's settings of JAX, before its first program: a device per
    core (`devices.use_every_core`) and the compilation cache on disk;
    returns the cache's folder ("" if off). The page calls it on every run:
    both settings are made once per process."""
    devices.use_every_core()
    return persistent_compilation_cache()


@functools.cache
def persistent_compilation_cache() -> str:
    """Compiled programs also go to disk, so a restarted server (Community
    Cloud wakes a sleeping app in a new process) loads them instead of
    compiling again. Once per process; returns the folder, or "" when the
    disk cache is off (switched off, or the folder cannot be written: a
    read-only or full disk then costs compile time, never an error). A disk
    that fills up later is JAX's to handle: it warns and compiles on."""
    import jax

    path, max_bytes = cache_settings()
    if path is None:
        return ""
    problem = _writable(path)
    if problem is not None:
        _LOG.warning("compilation cache off: cannot write to %s (%s)", path, problem)
        return ""
    try:
        import filelock  # JAX's bound needs it

        _add_missing_access_times(path, filelock)
        jax.config.update("jax_compilation_cache_max_size", max_bytes)
    except ImportError:
        _LOG.warning("the filelock package is missing: the compilation cache in %s is pruned "
                     "to %d MB at start-up only", path, max_bytes // 2**20)
        _prune(path, max_bytes)
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return path


# Memory. JAX's compiles allocate and free a lot (LLVM), from the script
# threads Streamlit starts for every run; glibc keeps what was freed in
# per-thread arenas instead of giving it back, so the process grew to ~780 MB
# over a few hundred formulas with the caches long full (measured: clearing
# every cache freed 7 MB, `malloc_trim` 290 MB). So: fewer arenas, and a
# thread that hands freed memory back once the process has grown.
TRIM_CHECK_S = 5.0  # how often the trimmer looks
TRIM_GROWTH_MB = 16.0  # growth since the last trim that makes it trim (~10 ms)
_M_ARENA_MAX = -8  # mallopt's parameter number, glibc's malloc.h


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


@functools.cache
def start_memory_trimmer(check_s: float = TRIM_CHECK_S, growth_mb: float = TRIM_GROWTH_MB) -> bool:
    """Once per process (the server's start-up hook calls it): at most two
    malloc arenas for threads started from now on, and a daemon thread that
    calls `malloc_trim` when resident memory grew by `growth_mb` since the
    last trim. False where the C library is not glibc (nothing to do)."""
    import ctypes
    import threading

    try:
        libc = ctypes.CDLL("libc.so.6")
        trim, mallopt = libc.malloc_trim, libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt(_M_ARENA_MAX, 2)

    def loop():
        floor = _rss_mb()
        while True:
            time.sleep(check_s)
            now = _rss_mb()
            if now > floor + growth_mb:
                trim(0)
                floor = _rss_mb()
                _LOG.debug("malloc_trim: %.0f -> %.0f MB", now, floor)
            floor = min(floor, now)

    threading.Thread(target=loop, name="optviz-memory-trimmer", daemon=True).start()
    return True


# The GIL. A compile holds it for long stretches (tracing and lowering are
# Python), and every rerun of every other session passes it back and forth
# between its script thread and the server's event loop dozens of times; each
# time it may wait for the compiling thread to be asked to let go, which
# Python does every "switch interval" (5 ms by default). A shorter interval
# keeps other visitors' reruns close to their usual time while a formula
# compiles (benchmarks/compile_isolation.py).
SWITCH_INTERVAL_ENV = "OPTVIZ_SWITCH_INTERVAL_MS"
SWITCH_INTERVAL_MS = 1.0


def set_switch_interval() -> float:
    """Set Python's thread switch interval (ms) from the environment, or the
    default; returns it."""
    import sys

    raw = os.environ.get(SWITCH_INTERVAL_ENV, "").strip()
    try:
        ms = float(raw) if raw else SWITCH_INTERVAL_MS
        if not 0.1 <= ms <= 100:
            raise ValueError(raw)
    except ValueError:
        _LOG.warning("%s=%r is not a number of milliseconds in [0.1, 100]; using %g",
                     SWITCH_INTERVAL_ENV, raw, SWITCH_INTERVAL_MS)
        ms = SWITCH_INTERVAL_MS
    sys.setswitchinterval(ms / 1000)
    return ms


def warm_up() -> float:
    """Compile what the default page needs; returns the seconds it took."""
    t0 = time.perf_counter()
    jax_settings()
    # The page's own modules, and pandas: Streamlit imports it (0.5 s) the
    # first time a component's arguments are checked for dataframes.
    import pandas  # noqa: F401

    from visualizer.browser import payload
    from visualizer.core import landmarks
    from visualizer.core.engine import simulate
    from visualizer.core.scene import Scene
    from visualizer.page import controls, draft, panels, player  # noqa: F401

    scene = Scene.default()
    simulate(scene)
    payload.surface_payload(scene.resolved_surface(), scene.surface_values(), landmarks.of(scene))
    return time.perf_counter() - t0


@asynccontextmanager
async def lifespan(app, timeout_s: float | None = None):
    """`st.App` start-up hook: warm up, then let the server accept
    connections. A failed or overlong warm-up is logged, never fatal.
    It also puts the check of widget values from the browser in place
    (`visualizer.page.widget_guard`) before the first session can send any,
    starts the memory trimmer and switches the compile worker on (or not,
    `visualizer.core.compile_worker`)."""
    from visualizer.core import compile_worker
    from visualizer.page import widget_guard

    widget_guard.install()
    start_memory_trimmer()
    set_switch_interval()
    _LOG.info("compile worker %s", "on" if compile_worker.for_the_server() else "off")
    try:
        seconds = await asyncio.wait_for(asyncio.to_thread(warm_up), timeout_s or WARM_UP_TIMEOUT_S)
        _LOG.info("warm-up done in %.2f s", seconds)
    except TimeoutError:
        _LOG.warning("warm-up still running after %.0f s; serving anyway", timeout_s or WARM_UP_TIMEOUT_S)
    except Exception:
        _LOG.exception("warm-up failed; the first page will compile instead")
    yield
