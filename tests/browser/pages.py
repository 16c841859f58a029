"""What the browser tests do to a page, written once: start a Streamlit
script, open it, find the player's iframe once it has drawn, wait for the
address or any other condition, read `window.__playerStats`.

Why a module and not conftest: conftest.py is loaded by pytest as a plugin,
not importable by the test files, and these are plain functions the tests
call (pytest puts this directory on sys.path, so `from pages import ...`).
The fixtures (`browser`, `page`, `app_server`, `demo_server`, ...) stay in
conftest.py.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from stclient import LocalServer  # noqa: E402

PLAYER = 'iframe[title="visualizer.page.player.player"]'
IDLE = '[data-test-script-state="notRunning"]'  # the script has finished its run
# The player has drawn: a render counted and the side chart (loss curves) drawn.
PLAYER_DREW_JS = """() => !!(window.__playerStats && window.__playerStats.renders > 0 &&
  document.querySelector('#plotside .main-svg'))"""

Message = str | Callable[[], str]


def _text(message: Message) -> str:
    return message() if callable(message) else message


# ---------------------------------------------------------------- servers


def streamlit_server(script: str, log_path: Path) -> LocalServer:
    """`streamlit run SCRIPT` (a path from the repository's root) on a free
    port, not yet started: `.start()` it, `.stop()` it. The benchmarks'
    server (benchmarks/stclient.py), so the tests and the benchmarks start,
    health-check and stop Streamlit the same way."""
    return LocalServer(script=script, log_path=log_path, args=["--browser.gatherUsageStats=false"])


# ---------------------------------------------------------------- waiting


def wait_until(page, predicate: Callable[[], object], message: Message, timeout_s: float = 30,
               every_ms: int = 25) -> None:
    """Poll `predicate()` every `every_ms` until it is true; fail with
    `message` (a string, or a function giving one) after `timeout_s`.
    Polls through `page.wait_for_timeout` so Playwright's events keep flowing."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, _text(message)
        page.wait_for_timeout(every_ms)


def player_frame(page, ready_js: str = PLAYER_DREW_JS, timeout_s: float = 90,
                 message: Message = "the player did not draw"):
    """The player's frame once `ready_js` holds in it. The iframe is looked
    up afresh on every poll: a frame handle taken while the page was still
    being built can belong to an iframe that was replaced since, and would
    never answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        handle = page.query_selector(PLAYER)
        frame = handle.content_frame() if handle else None
        try:
            if frame is not None and frame.evaluate(ready_js):
                return frame
        except Exception:  # the frame navigated or was detached mid-check
            pass
        if time.monotonic() > deadline:
            raise AssertionError(_text(message))
        page.wait_for_timeout(100)


def open_demo(page, server, query: str, timeout_ms: int = 90_000):
    """Open `server` (tests/browser/player_demo_app.py, or the app) at
    `?query`, wait until its script is idle; return the player's frame once
    it has drawn."""
    page.goto(server.url + "?" + query)
    page.wait_for_selector(IDLE, state="attached", timeout=timeout_ms)
    return player_frame(page, timeout_s=timeout_ms / 1000,
                        message=lambda: f"?{query}: the player did not draw\n{server.log()[-1500:]}")


def open_offline(page, path: Path, ready_js: str = PLAYER_DREW_JS) -> None:
    """Open an exported HTML file from its file:// address with every other
    request aborted (a page made by the `offline_page` fixture records them
    in `page.requests`) and wait until the player has drawn (`ready_js`)."""
    url = path.as_uri()
    page.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
    page.goto(url)
    page.wait_for_function(ready_js, timeout=30_000)


def show_inside_rule(frame) -> None:
    """Turn "Inside a step" on and wait until KaTeX has typeset the rule
    and every font the page asked for has loaded (or failed)."""
    frame.locator("#btn-inside").click()
    frame.wait_for_function("() => window.__player.inside.rule.renders > 0 && "
                            "!!document.querySelector('#inside-rule .katex')", timeout=30_000)
    frame.evaluate("() => document.fonts.ready.then(() => true)")


def katex_faces(frame) -> dict[str, str]:
    """KaTeX's font faces the page has used: "KaTeX_Main normal 400" ->
    its status ("loaded", or "error" for a font that could not be read)."""
    return frame.evaluate("""() => Object.fromEntries([...document.fonts]
      .filter((f) => f.family.replace(/"/g, "").startsWith("KaTeX") && f.status !== "unloaded")
      .map((f) => [f.family.replace(/"/g, "") + " " + f.style + " " + f.weight, f.status]))""")


def assert_katex_typeset(frame) -> None:
    """The rule's formulas were typeset with KaTeX's own fonts: the two every
    rule uses loaded, and none the page asked for failed."""
    faces = katex_faces(frame)
    assert faces.get("KaTeX_Main normal 400") == "loaded" and faces.get("KaTeX_Math italic 400") == "loaded", faces
    assert set(faces.values()) == {"loaded"}, faces


# ---------------------------------------------------------------- reading


def address(page) -> str:
    """The page's query string, without the `?`."""
    return page.evaluate("() => window.location.search.replace(/^\\?/, '')")


def wait_address(page, predicate: Callable[[str], bool], timeout_s: float = 10, idle: bool = False) -> str:
    """The address once `predicate(address)` holds (and, with `idle`, once
    the script is idle again after it)."""
    wait_until(page, lambda: predicate(address(page)), lambda: f"address stayed {address(page)!r}",
               timeout_s, every_ms=50)
    if idle:
        page.wait_for_selector(IDLE, state="attached", timeout=timeout_s * 1000)
    return address(page)


def player_stats(frame) -> dict:
    """A copy of `window.__playerStats` (frames, renders, step, playing,
    view, layers, pathWidth, present) in `frame` (or a page holding the
    player itself, as the HTML export does)."""
    return frame.evaluate("() => JSON.parse(JSON.stringify(window.__playerStats))")


def load_factor() -> float:
    """How oversubscribed the machine is: 1-min load average per core, at
    least 1 (always 1 with PAGE_STRICT_TIMING=1). The machine is shared;
    timed ceilings stretch by this factor."""
    if os.environ.get("PAGE_STRICT_TIMING") == "1":
        return 1.0
    try:
        return max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
    except OSError:
        return 1.0
