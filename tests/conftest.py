"""Shared test setup: make the project importable however pytest is started;
the XLA compile counter (`compiles`) and the page at a raw address
(`open_url`, helpers in tests/apptest_tools.py)."""

import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The tests run JAX as the app does, a device per core. JAX imported first,
# so this is JAX's setting rather than an environment variable that the
# tests' own subprocesses (tests/test_sharding.py) would inherit.
import jax  # noqa: E402

from visualizer.core import devices  # noqa: E402

devices.use_every_core()


@pytest.fixture(autouse=True)
def _compiles_in_the_test_process(monkeypatch):
    """Tests in this process count and patch the engine's compiles, so the
    compile worker stays off here (tests/test_compile_worker.py switches it
    on; the servers tests start run it, as deployed)."""
    from visualizer.core import compile_worker

    monkeypatch.setattr(compile_worker.WORKER, "enabled", False)


# The event jax records once per XLA backend compilation (jax 0.10:
# "/jax/core/compile/backend_compile_duration").
COMPILE_EVENT = "backend_compile"


class CompileCounter:
    """The names of the programs XLA compiled while it listened."""

    def __init__(self):
        self.names: list[str] = []

    def __call__(self, event, duration, **kwargs):
        if COMPILE_EVENT in event:
            self.names.append(kwargs.get("fun_name", event))

    @contextmanager
    def counting(self):
        """`with counter.counting() as n:` ... then n == [count, names]."""
        start = len(self.names)
        box: list = []
        yield box
        box.append(len(self.names) - start)
        box.append(self.names[start:])


@pytest.fixture(scope="module")
def compiles():
    """Counts XLA compilations (jax.monitoring) for a test module."""
    counter = CompileCounter()
    jax.monitoring.register_event_duration_secs_listener(counter)
    yield counter
    jax.monitoring.unregister_event_duration_listener(counter)


@pytest.fixture
def open_url(monkeypatch):
    """`open_url(raw)`: page.py under AppTest, run at the exact query string
    `raw`, as a browser sends it (tests/apptest_tools.py says why AppTest's
    own query_params would not do), from the repository's root."""
    from apptest_tools import open_raw, route_raw_queries

    route_raw_queries(monkeypatch)
    monkeypatch.chdir(ROOT)
    return open_raw
