"""Real-browser fixtures: `streamlit run app.py` on a free port and Debian's
Chromium driven by Playwright (never a downloaded browser).

Without Chromium or Playwright the browser tests skip, saying why; under
CI=true they fail instead, so a CI run cannot pass without them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "artifacts" / "screens"
TIMINGS = ROOT / "artifacts" / "browser_timings.json"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 900}


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


def find_chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """`streamlit run SCRIPT` in its own process group, from the repo root."""

    def __init__(self, script: str, log_path: Path, port: int | None = None):
        self.script = script
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.ready_at = 0.0

    def start(self, timeout: float = 90) -> StreamlitServer:
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", self.script, "--server.headless=true",
             f"--server.port={self.port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}: {self.log()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        self.ready_at = time.perf_counter()
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit not healthy after {timeout} s: {self.log()[-2000:]}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if getattr(self, "_log", None):
            self._log.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        _unavailable("no Chromium found: neither /usr/bin/chromium nor `chromium` on PATH "
                     "(apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        _unavailable(f"no Chromium found: playwright is not importable ({exc}); "
                     "pip install -r requirements-dev.txt")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def app_server(chromium_path, tmp_path_factory):
    server = StreamlitServer("app.py", tmp_path_factory.mktemp("streamlit") / "app.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def timings():
    """Figures the suite measures; written to artifacts/browser_timings.json."""
    data: dict = {}
    yield data
    if data:
        TIMINGS.parent.mkdir(parents=True, exist_ok=True)
        TIMINGS.write_text(json.dumps(data, indent=2) + "\n")


@pytest.fixture(scope="session")
def screens() -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    return SCREENS


@pytest.fixture(scope="session")
def context(browser):
    """One context for the session: its HTTP cache keeps plotly.js (4.8 MB)
    between tests; every test still gets its own page, so its own session."""
    ctx = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    p = context.new_page()
    p.set_default_timeout(30_000)
    problems: list[str] = []
    p.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    p.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    p.problems = problems  # read by tests that assert a clean console
    yield p
    p.close()
