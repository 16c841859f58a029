"""Real-browser fixtures: `streamlit run app.py` on a free port and Debian's
Chromium driven by Playwright (never a downloaded browser).

Without Chromium or Playwright the browser tests skip, saying why; under
CI=true they fail instead, so a CI run cannot pass without them.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from pages import ROOT, streamlit_server

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
    server = streamlit_server("app.py", tmp_path_factory.mktemp("streamlit") / "app.log").start(timeout=90)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def demo_server(chromium_path, tmp_path_factory):
    """tests/browser/player_demo_app.py: the player alone, on synthetic or
    simulated payloads chosen by the address (`?case=...`)."""
    server = streamlit_server("tests/browser/player_demo_app.py",
                              tmp_path_factory.mktemp("demo") / "demo.log").start(timeout=90)
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
def offline_page(browser):
    """A page in its own context for an exported HTML file: `page.requests`
    lists every request it made (pages.open_offline aborts all but the
    file's), `page.problems` the console errors."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.requests, page.problems = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("pageerror", lambda exc: page.problems.append(f"pageerror: {exc}"))
    page.on("console", lambda m: page.problems.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    yield page
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
