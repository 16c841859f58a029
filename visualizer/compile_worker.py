"""A formula's programs, traced and compiled in a process of their own.

Tracing and lowering a program are Python and hold the interpreter's lock
(XLA's own compile lets go of it), so a new formula compiled in a thread of
the server made every other visitor's rerun wait its turn: 1.6 times its
usual time while the formula compiled (`benchmarks/compile_isolation.py`;
1.1 times with the worker). The worker process does that work and hands back
the compiled program serialized (`jax.experimental.serialize_executable`;
the server loads it in ~20 ms) or, for a formula's landmarks, the result.

    compiled = WORKER.call(job, *args)   # job(*args), in the worker or here

`job` is a module-level function (it travels by name) whose arguments and
result can be pickled; a `jax.stages.Compiled` result, or a dataclass
holding one, comes back ready to call.

One worker process, started on the first job (~0.5 s: JAX, optax and the
engine, no Streamlit), at a lower priority than the server, compiling
without the disk cache (see `serve`), and stopped after IDLE_S seconds
without a job. It holds ~70 MB of its own idle and levels at ~170 MB while
formulas keep coming (the shared libraries are the server's pages), so it
is off by default where memory is short (AUTO_MIN_MEMORY_MB). When it is
busy with another visitor's formula, switched off, or lost (it crashed, hung
past TIMEOUT_S, or its job raised), the caller does the job in its own
thread, as without the worker: nobody waits for another visitor's formula,
and an error is raised where it always was, by the caller's own attempt.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

_LOG = logging.getLogger(__name__)

WORKER_ENV = "OPTVIZ_COMPILE_WORKER"  # on, off (every job in the caller's thread), auto (the default)
# `auto` leaves the worker off in a container with less memory than this: it
# costs 100 to 200 MB while formulas come, one session takes ~410 MB, and a
# slider move 1.6x slower (~30 ms) is better than a server killed for memory.
AUTO_MIN_MEMORY_MB = 1024
IDLE_S = 300.0  # a worker with no job for this long exits (and gives its memory back)
TIMEOUT_S = 120.0  # a job that takes longer is taken for a hung worker
# The worker yields the cores to the server: a visitor's rerun comes before
# another's new formula (which then takes longer only while the server is busy).
NICENESS = 10
_HEADER = 8  # bytes of a frame's length


def enabled_by_environment() -> bool:
    """OPTVIZ_COMPILE_WORKER: on, off, or auto (unset, or anything else): on
    unless the container's memory limit is under AUTO_MIN_MEMORY_MB."""
    setting = os.environ.get(WORKER_ENV, "").strip().lower()
    if setting in ("on", "1", "yes", "true"):
        return True
    if setting in ("off", "0", "no", "false"):
        return False
    limit = memory_limit_mb()
    if limit is not None and limit < AUTO_MIN_MEMORY_MB:
        _LOG.info("compile worker off: the container has %.0f MB (%s=on to override)", limit, WORKER_ENV)
        return False
    return True


def memory_limit_mb(cgroup: str = "/sys/fs/cgroup") -> float | None:
    """This process's memory limit (cgroup v2 or v1), or None if it has none."""
    for name in ("memory.max", "memory/memory.limit_in_bytes"):
        try:
            with open(os.path.join(cgroup, name)) as fh:
                raw = fh.read().strip()
        except OSError:
            continue
        if raw.isdigit() and int(raw) < 2**60:  # v1 writes "no limit" as a huge number
            return int(raw) / 2**20
        return None
    return None


class _Portable(NamedTuple):
    """A compiled program as bytes, with the tree structure of its arguments
    and results (what `serialize_executable.serialize` returns)."""

    executable: bytes
    in_tree: object
    out_tree: object


class WorkerLost(Exception):
    """The worker died, hung, or could not do the job: do it here."""


def _write_frame(stream, payload: bytes) -> None:
    stream.write(len(payload).to_bytes(_HEADER, "little") + payload)
    stream.flush()


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    chunks, remaining = [], n
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise WorkerLost("no answer in time")
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise WorkerLost("the worker exited")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int, deadline: float | None = None) -> bytes:
    return _read_exact(fd, int.from_bytes(_read_exact(fd, _HEADER, deadline), "little"), deadline)


class Worker:
    """One worker process and the jobs it is handed, one at a time."""

    def __init__(self, idle_s: float = IDLE_S, timeout_s: float = TIMEOUT_S, enabled: bool | None = None):
        self.idle_s, self.timeout_s = idle_s, timeout_s
        self.enabled = enabled_by_environment() if enabled is None else enabled
        self._busy = threading.Lock()  # held while a job is with the worker
        self._process: subprocess.Popen | None = None
        self._idle_timer: threading.Timer | None = None
        self.jobs_done = 0  # by the worker (not counting those done here)

    def call(self, job: Callable, *args):
        """`job(*args)`: in the worker when it is free, else here."""
        if not self.enabled or not self._busy.acquire(blocking=False):
            return job(*args)
        try:
            result = self._ask(job, args)
        except WorkerLost as exc:
            _LOG.warning("compile worker: %s; %s runs in the server", exc, job.__name__)
            return job(*args)
        finally:
            self._busy.release()
        return _loaded(result)

    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def stop(self) -> None:
        """End the worker (it exits when its input closes); the next job starts another."""
        with self._busy:
            self._stop()

    def _ask(self, job: Callable, args: tuple):
        try:
            request = pickle.dumps((job, args), protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PickleError, AttributeError, TypeError) as exc:
            raise WorkerLost(f"the job cannot travel ({type(exc).__name__})") from None
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        try:
            process = self._running()
            _write_frame(process.stdin, request)
            status, value = pickle.loads(_read_frame(process.stdout.fileno(), time.monotonic() + self.timeout_s))
        except (OSError, pickle.PickleError, EOFError, WorkerLost) as exc:
            self._stop()
            raise exc if isinstance(exc, WorkerLost) else WorkerLost(f"{type(exc).__name__}: {exc}") from None
        finally:
            self._idle_timer = threading.Timer(self.idle_s, self._stop_if_idle)
            self._idle_timer.daemon = True
            self._idle_timer.start()
        if status != "ok":
            raise WorkerLost(value)
        self.jobs_done += 1
        return value

    def _running(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None:
            # PYTHONPATH: the worker imports this package from where the
            # server found it, installed or not.
            root = str(Path(__file__).resolve().parents[1])
            env = {**os.environ,
                   "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p),
                   "MALLOC_ARENA_MAX": "2",  # less memory kept back after compiles
                   "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}  # on a GPU, not 75% of its memory up front
            self._process = subprocess.Popen([sys.executable, "-m", "visualizer.compile_worker"],
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        return self._process

    def _stop_if_idle(self) -> None:
        if self._busy.acquire(blocking=False):
            try:
                self._stop()
            finally:
                self._busy.release()

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.stdin.close()
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        process.stdout.close()


def _loaded(result):
    """`_portable` undone: the compiled programs ready to call."""
    if isinstance(result, _Portable):
        from jax.experimental import serialize_executable

        return serialize_executable.deserialize_and_load(*result)
    return _map_fields(result, _loaded)


def _map_fields(value, convert: Callable):
    """A dataclass instance with `convert` applied to its fields (one level:
    what a job returns is a program or a record holding some), else `value`."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    return dataclasses.replace(value, **{f.name: convert(getattr(value, f.name))
                                         for f in dataclasses.fields(value) if f.init})


WORKER = Worker()


# ------------------------------------------------------------------ the worker's side


def _portable(result):
    """`result` with a compiled program (itself, or a field of a dataclass) as bytes."""
    import jax

    if isinstance(result, jax.stages.Compiled):
        from jax.experimental import serialize_executable

        return _Portable(*serialize_executable.serialize(result))
    return _map_fields(result, _portable)


def serve(inbox, outbox) -> None:
    """Answer jobs until the input closes: ("ok", result) or ("failed", why)."""
    import jax

    # Never from the disk cache: XLA's CPU client cannot serialize again an
    # executable it loaded from there (the copy the server loads misses its
    # functions: "NOT_FOUND: Function wrapped_negate not found").
    jax.config.update("jax_enable_compilation_cache", False)
    # After each job, JAX's caches of its programs are dropped (formulas do
    # not come back) and what the compile freed goes back to the system
    # (LLVM allocates a lot): the worker levels at ~170 MB instead of
    # growing by 1 to 3 MB a formula.
    trim = _malloc_trim()
    while True:
        try:
            frame = _read_frame(inbox.fileno())
        except WorkerLost:
            return  # the server closed the pipe (or exited)
        try:
            job, args = pickle.loads(frame)
            reply = ("ok", _portable(job(*args)))
            payload = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - the server does the job itself and raises it there
            payload = pickle.dumps(("failed", f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"))
        try:
            _write_frame(outbox, payload)
        except OSError:
            return  # the server is gone
        jax.clear_caches()
        trim()


def _malloc_trim() -> Callable[[], object]:
    """glibc's `malloc_trim(0)`, or nothing where the C library is another."""
    import ctypes

    try:
        return functools.partial(ctypes.CDLL("libc.so.6").malloc_trim, 0)
    except (OSError, AttributeError):
        return lambda: None


if __name__ == "__main__":
    # The replies own stdout; anything else printed goes to stderr. `serve`
    # from the module by its name, so what it pickles (`_Portable`) is
    # `visualizer.compile_worker`'s, which the server can unpickle.
    from visualizer.compile_worker import serve as serve_jobs

    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    os.nice(NICENESS)
    # Ctrl-C at the server's terminal reaches its whole process group: the
    # worker leaves when the server closes its input, not with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve_jobs(sys.stdin.buffer, replies)
