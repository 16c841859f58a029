"""The HTML export in a real browser with no network: the file opened from a
file:// address, every other request refused (page.route aborts it, and
the test fails if one is even tried), and the player seen to draw, play,
pause and switch to 3D with a clean console, for eight runs of 1000 steps;
"Inside a step" typesets its rule with KaTeX's own fonts from the file.
"""

from __future__ import annotations

import time

import pytest
from pages import assert_katex_typeset, open_offline, player_stats, show_inside_rule

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


def test_inside_a_step_typesets_its_rule_offline_with_katex_fonts(offline_page, tmp_path):
    path = tmp_path / "adam.html"
    path.write_bytes(export.html_bytes(Scene.from_query("surface=rosenbrock&steps=30&run=adam:lr=0.05")))
    page = offline_page
    open_offline(page, path)
    show_inside_rule(page)
    assert_katex_typeset(page)
    laid_out = page.evaluate("""() => {
      const box = document.querySelector('#inside-rule .katex').getBoundingClientRect();
      const variable = document.querySelector('#inside-rule .katex .mathnormal');
      return {width: box.width, height: box.height, font: getComputedStyle(variable).fontFamily};
    }""")
    assert laid_out["width"] > 100 and laid_out["height"] > 20 and "KaTeX_Math" in laid_out["font"], laid_out
    assert page.requests == [path.as_uri()], page.requests
    assert page.problems == [], page.problems
