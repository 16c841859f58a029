"""The HTML export in a real browser with no network: the file opened from a
file:// address, every other request refused (page.route aborts it, and
the test fails if one is even tried), and the player seen to draw, play,
pause and switch to 3D with a clean console, for eight runs of 1000 steps.
"""

from __future__ import annotations

import time

import pytest
from pages import player_stats

from visualizer import Scene, export

pytestmark = pytest.mark.browser

BIG = ("surface=rosenbrock&steps=1000&run=sgd:lr=0.001&run=momentum:lr=0.001&run=nesterov:lr=0.001"
       "&run=adam:lr=0.05&run=rmsprop:lr=0.01&run=adagrad:lr=0.3&run=adamw:lr=0.05&run=lion:lr=0.01")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "rosenbrock.html"
    data = export.html_bytes(Scene.from_query(BIG))
    path.write_bytes(data)
    return path, len(data)


@pytest.fixture
def offline_page(browser):
    """A page in its own context whose every request but the exported file
    is aborted; `page.requests` lists what was asked for, `page.problems`
    the console errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.requests, page.problems = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("pageerror", lambda exc: page.problems.append(f"pageerror: {exc}"))
    page.on("console", lambda m: page.problems.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    yield page
    context.close()


def wait_for(page, predicate_js: str, timeout_s: float = 20) -> None:
    page.wait_for_function(predicate_js, timeout=timeout_s * 1000)


def test_exported_html_plays_with_every_request_blocked(offline_page, exported, screens, timings):
    path, size = exported
    url = path.as_uri()
    page = offline_page
    page.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())

    t0 = time.perf_counter()
    page.goto(url)
    wait_for(page, "() => window.__playerStats && window.__playerStats.renders > 0 && "
                   "document.querySelector('#plot2d .main-svg') && document.querySelector('#plotside .main-svg')")
    drawn_s = time.perf_counter() - t0
    stats = player_stats(page)
    assert stats["step"] == 1000 and not stats["playing"]
    assert stats["layers"][0] == "paths:0,1,2,3,4,5,6,7"
    assert page.evaluate("() => document.querySelectorAll('#legend-runs .run').length") == 8

    # play: frames advance, the step moves
    frames = stats["frames"]
    page.click("#btn-play")
    wait_for(page, f"() => window.__playerStats.frames > {frames + 10} && window.__playerStats.playing")
    moving = player_stats(page)
    assert 0 <= moving["step"] < 1000
    page.wait_for_timeout(300)
    assert player_stats(page)["step"] > moving["step"]
    page.screenshot(path=str(screens / "export_offline_playing.png"))
    page.click("#btn-play")
    wait_for(page, "() => !window.__playerStats.playing")

    # the 3D view draws too (plotly's WebGL bundle is inline)
    page.click("#btn-3d")
    wait_for(page, "() => window.__playerStats.view === '3d' && !!document.querySelector('#plot3d .gl-container')")

    # offline: no app to send a start to or to link to, and no address written
    assert page.evaluate("() => [getComputedStyle(document.getElementById('btn-start')).display, "
                         "getComputedStyle(document.getElementById('btn-copy')).display]") == ["none", "none"]
    assert page.evaluate("() => window.location.href") == url

    assert page.requests == [url], page.requests
    assert page.problems == [], page.problems
    assert size < 10_000_000
    timings["export_html"] = {"bytes": size, "drawn_s": round(drawn_s, 2)}


def test_exported_html_follows_the_window_height(offline_page, exported):
    path, _ = exported
    page = offline_page
    page.route("**/*", lambda route: route.continue_() if route.request.url == path.as_uri() else route.abort())
    page.goto(path.as_uri())
    wait_for(page, "() => window.__playerStats && window.__playerStats.renders > 0")
    height = page.evaluate("() => document.getElementById('app').offsetHeight")
    assert 780 <= height <= 800
    page.set_viewport_size({"width": 1000, "height": 640})
    wait_for(page, "() => document.getElementById('app').offsetHeight < 650")
    assert page.evaluate("() => window.__playerStats.renders") == 1  # a new height is not a new payload
    assert page.problems == []
