"""A formula's or a network's programs, traced and compiled in a process
of their own.

Tracing and lowering a program are Python and hold the interpreter's lock
(XLA's own compile lets go of it), so a new formula compiled in a thread of
the server made every other visitor's rerun wait its turn: 1.6 times its
usual time while the formula compiled (`benchmarks/compile_isolation.py`;
1.1 times with the worker). The worker process does that work and hands back
the compiled program serialized (`jax.experimental.serialize_executable`;
the server loads it in ~20 ms) or, for a formula's landmarks and a
network's pretrained weights, the result. The built-in surfaces' programs
are few, warmed up at start and kept on disk: the server compiles those.

    compiled = WORKER.call(job, *args)   # job(*args), in the worker or here

`job` is a module-level function (it travels by name) whose arguments and
result can be pickled; a `jax.stages.Compiled` result, or a dataclass
holding one, comes back ready to call.

One worker process, started on the first job (~0.5 s: JAX, optax and the
engine, no Streamlit), at a lower priority than the server, compiling
without the disk cache (see `serve`), and stopped after IDLE_S seconds
without a job. It holds ~70 MB of its own idle and levels at ~170 MB while
formulas keep coming (the shared libraries are the server's pages), so it
is off by default where memory is short (AUTO_MIN_MEMORY_MB), and off in
any process but the server's (`for_the_server`). When it is busy with
another visitor's formula, or cannot take a job (it cannot start, the job
cannot travel, the job raised there), the caller does the job in its own
thread, as without the worker: nobody waits for another visitor's formula,
and an error is raised where it always was, by the caller's own attempt.
A worker that dies or hangs with a job is replaced, and that job fails
with WorkerFailed instead of being tried again in the server.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
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
TIMEOUT_S = 60.0  # a job that takes longer is taken for a hung worker (the costliest formula: ~2 s)
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
    and results (what `serialize_executable.serialize` returns), and the
    devices it runs on, by id: loaded without them, a program would be
    laid out over every device (a run's, compiled for one, then refuses
    its arguments)."""

    executable: bytes
    in_tree: object
    out_tree: object
    devices: tuple[int, ...]


class WorkerLost(Exception):
    """The worker could not take the job (it cannot be started, it was gone
    before the job reached it, the job cannot travel, its answer cannot be
    read, or the job raised there): the caller does the job."""


class WorkerFailed(RuntimeError):
    """The worker died or hung while it had the job. Not done again in the
    server: whatever killed the worker (memory, a crash in the compiler)
    would take the server, and every visitor's session, with it."""


class _Closed(Exception):
    """The other end of the pipe is gone."""


def code_fingerprint() -> str:
    """The engine's code on disk: its files' names, sizes and times."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha1()
    for path in sorted((root / "visualizer").rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


_CODE_ENV = "OPTVIZ_COMPILE_WORKER_CODE"


def _write_frame(stream, payload: bytes) -> None:
    stream.write(len(payload).to_bytes(_HEADER, "little") + payload)
    stream.flush()


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    poller = select.poll()  # not select(): the server's descriptors pass 1024
    poller.register(fd, select.POLLIN)
    chunks, remaining = [], n
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(1000 * left):
                raise TimeoutError
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise _Closed
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int, deadline: float | None = None) -> bytes:
    return _read_exact(fd, int.from_bytes(_read_exact(fd, _HEADER, deadline), "little"), deadline)


class Worker:
    """One worker process and the jobs it is handed, one at a time. Off
    until switched on (the server's start-up does it, `for_the_server`): a
    script or the command line compiles in its own thread, with the disk
    cache, rather than start a process for nothing."""

    def __init__(self, idle_s: float = IDLE_S, timeout_s: float = TIMEOUT_S, enabled: bool = False):
        self.idle_s, self.timeout_s, self.enabled = idle_s, timeout_s, enabled
        self._busy = threading.Lock()  # held while a job is with the worker
        self._process: subprocess.Popen | None = None
        self._idle_timer: threading.Timer | None = None
        self.jobs_done = 0  # by the worker (not counting those done here)
        # The code the server runs (`code_fingerprint`, taken at its start-up),
        # which a worker started later must run too: one that finds other code
        # on disk (a `git pull` under a running server) refuses every job.
        self.code: str | None = None

    def call(self, job: Callable, *args):
        """`job(*args)`: in the worker when it is free, else here. Raises
        what the job raises, or WorkerFailed."""
        if not self.enabled or not self._busy.acquire(blocking=False):
            return job(*args)
        try:
            outcome = self._ask(job, args)
        except WorkerLost as exc:
            outcome = exc
        finally:
            self._busy.release()
        if isinstance(outcome, WorkerLost):
            _LOG.warning("compile worker: %s; %s runs in the server", outcome, job.__name__)
            return job(*args)
        return outcome

    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def stop(self) -> None:
        """End the worker; the next job starts another."""
        with self._busy:
            self._cancel_idle_timer()
            self._stop()

    def _ask(self, job: Callable, args: tuple):
        try:
            request = pickle.dumps((job, args), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - a closure, a lock in the arguments: not for the worker
            raise WorkerLost(f"the job cannot travel ({type(exc).__name__})") from None
        self._cancel_idle_timer()
        try:
            try:
                process = self._running()
                _write_frame(process.stdin, request)
            except OSError as exc:
                self._stop()
                raise WorkerLost(f"it could not take the job ({type(exc).__name__}: {exc})") from None
            # From here the job is with the worker: whatever goes wrong, its
            # answer must not stay in the pipe for the next job to read.
            try:
                reply = _read_frame(process.stdout.fileno(), time.monotonic() + self.timeout_s)
            except TimeoutError:  # before OSError, of which it is one
                self._stop(kill=True)
                raise WorkerFailed(f"the compile worker did not finish {job.__name__} "
                                   f"in {self.timeout_s:g} s") from None
            except (_Closed, OSError):
                self._stop(kill=True)
                raise WorkerFailed(f"the compile worker stopped while doing {job.__name__}") from None
            try:
                status, value = pickle.loads(reply)
                result = _loaded(value) if status == "ok" else None
            except Exception as exc:  # noqa: BLE001 - other code on each side, a program XLA will not load
                self._stop()
                raise WorkerLost(f"its answer could not be read ({type(exc).__name__}: {exc})") from None
        except BaseException:
            self._stop(kill=True)  # interrupted: the answer would be left in the pipe
            raise
        finally:
            self._start_idle_timer()
        if status == "stale":
            self.enabled = False
            self._stop()
            raise WorkerLost(f"{value}; switched off until the server restarts")
        if status != "ok":
            raise WorkerLost(value)
        self.jobs_done += 1
        return result

    def _running(self) -> subprocess.Popen:
        if self._process is not None and self._process.poll() is not None:
            self._stop()  # it died between jobs: its pipes go, a new one comes
        if self._process is None:
            root = Path(__file__).resolve().parents[2]
            env = {**os.environ,
                   "MALLOC_ARENA_MAX": "2",  # less memory kept back after compiles
                   "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}  # on a GPU, not 75% of its memory up front
            if self.code is not None:
                env[_CODE_ENV] = self.code
            # The server's devices: the programs it loads are laid out over them.
            env["JAX_NUM_CPU_DEVICES"] = str(_cpu_devices())
            # From the package's own folder: `-m` looks there first, so no
            # module of the server's working directory can stand in for ours.
            self._process = subprocess.Popen([sys.executable, "-m", "visualizer.core.compile_worker"], cwd=root,
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        return self._process

    def _start_idle_timer(self) -> None:
        self._idle_timer = threading.Timer(self.idle_s, self._stop_if_idle)
        self._idle_timer.daemon = True
        self._idle_timer.start()

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _stop_if_idle(self) -> None:
        if self._busy.acquire(blocking=False):
            try:
                self._stop()
            finally:
                self._busy.release()

    def _stop(self, kill: bool = False) -> None:
        """End the process: closing its input ends a worker between jobs; one
        that hangs or is in the middle of a job is killed."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if kill:
                process.kill()
            process.stdin.close()
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        process.stdout.close()


def for_the_server() -> bool:
    """Switch the worker on or off as OPTVIZ_COMPILE_WORKER says (the
    server's start-up calls it); returns whether it is on."""
    WORKER.code = code_fingerprint()
    WORKER.enabled = enabled_by_environment()
    return WORKER.enabled


def _loaded(result):
    """`_portable` undone: the compiled programs ready to call."""
    if isinstance(result, _Portable):
        import jax
        from jax.experimental import serialize_executable

        _lapack_registered()
        by_id = {d.id: d for d in jax.devices()}
        return serialize_executable.deserialize_and_load(
            result.executable, result.in_tree, result.out_tree,
            execution_devices=[by_id[i] for i in result.devices])
    return _map_fields(result, _loaded)


@functools.cache
def _lapack_registered() -> None:
    """LAPACK's kernels (eigh: a network's sharpness, by Lanczos) are
    registered with XLA when a program calling one is first lowered in a
    process; a program compiled in the worker and loaded here was not, and
    calling it would crash the server. Lowering one (no compile) registers
    them, as jax.export does before it loads a program."""
    import jax
    import jax.numpy as jnp

    jax.jit(jnp.linalg.eigh).lower(jax.ShapeDtypeStruct((2, 2), jnp.float32))


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

        return _Portable(*serialize_executable.serialize(result),
                         tuple(d.id for d in result.runtime_executable().local_devices()))
    return _map_fields(result, _portable)


def _cpu_devices() -> int:
    import jax

    return len(jax.devices("cpu"))


def serve(inbox, outbox) -> None:
    """Answer jobs until the input closes: ("ok", result), ("failed", why),
    or ("stale", why) to every job if the code on disk is not the server's."""
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
    stale = os.environ.get(_CODE_ENV) not in (None, code_fingerprint())
    while True:
        try:
            frame = _read_frame(inbox.fileno())
        except _Closed:
            return  # the server closed the pipe (or exited)
        try:
            if stale:
                payload = pickle.dumps(("stale", "the code on disk changed since the server started"))
            else:
                job, args = pickle.loads(frame)
                payload = pickle.dumps(("ok", _portable(job(*args))), protocol=pickle.HIGHEST_PROTOCOL)
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
    # `visualizer.core.compile_worker`'s, which the server can unpickle.
    from visualizer.core.compile_worker import serve as serve_jobs

    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    os.nice(NICENESS)
    # Ctrl-C at the server's terminal reaches its whole process group: the
    # worker leaves when the server closes its input, not with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve_jobs(sys.stdin.buffer, replies)
