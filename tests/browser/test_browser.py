"""The page in a real browser: `streamlit run app.py` + headless Chromium.

What only a browser can show: the address bar holds the scene, the player
iframe draws and animates without reruns, a slider move reaches the paths,
the download is the scene's JSON, "Set start" clicks come back to the page.
Screenshots of the main states go to artifacts/screens/; measured figures
(first load, warm load, fps) to artifacts/browser_timings.json.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from visualizer import Scene, simulate
from visualizer.controls import LR_STOPS

pytestmark = pytest.mark.browser

PLAYER = 'iframe[title="visualizer.player.player"]'
IDLE = '[data-test-script-state="notRunning"]'
# Load ceilings, checked as given only with PAGE_STRICT_TIMING=1: on a shared
# machine the figures swing by 3x with other people's work, so by default
# both loads get the loose 15 s ceiling, stretched by the load factor below,
# and the figures are recorded (artifacts/browser_timings.json) either way.
STRICT = os.environ.get("PAGE_STRICT_TIMING") == "1"
COLD_CEILING_S = 15.0  # first load, counted from the server answering /_stcore/health
WARM_CEILING_S = 5.0 if STRICT else COLD_CEILING_S  # a new visitor once the server has compiled


def busy() -> float:
    """How oversubscribed the machine is: 1-min load average per core, at
    least 1 (always 1 with PAGE_STRICT_TIMING=1)."""
    if STRICT:
        return 1.0
    try:
        return max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
    except OSError:
        return 1.0

# What the charts in the iframe show: per Plotly trace, the count and sum of
# its finite x/y/z numbers (typed arrays and nested rows included).
SIGNATURE_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd =>
  (gd.data || []).map(t => {
    let n = 0, s = 0;
    const add = v => { if (typeof v === 'number' && isFinite(v)) { n++; s += v; } };
    for (const k of ['x', 'y', 'z']) {
      const a = t[k];
      if (!a || typeof a.length !== 'number') continue;
      for (const v of a) {
        if (v && typeof v === 'object' && typeof v.length === 'number') { for (const w of v) add(w); }
        else add(v);
      }
    }
    return n + ':' + s.toPrecision(10);
  }).join(',')).join('|')"""
READY_JS = """() => !!(window.__playerStats && window.__playerStats.renders > 0 &&
  document.querySelector('#plot2d .main-svg, #plot3d .main-svg') &&
  document.querySelector('#plotside .main-svg'))"""
STATS_JS = "() => Object.assign({}, window.__playerStats)"
SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"


# ---------------------------------------------------------------- helpers


def ready_player(page, timeout_ms: int):
    """The player's frame once it has drawn. The iframe is looked up afresh
    on every poll: a frame handle taken while the page was still being built
    can belong to an iframe that was replaced since, and would never answer."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        handle = page.query_selector(PLAYER)
        frame = handle.content_frame() if handle else None
        try:
            if frame is not None and frame.evaluate(READY_JS):
                return frame
        except Exception:  # the frame navigated or was detached mid-check
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the player did not draw within {timeout_ms} ms")
        page.wait_for_timeout(100)


def open_app(page, server, query: str = "", timeout_ms: int = 90_000):
    """Open `/?query`, wait until the player has drawn and the script is idle;
    return the player's frame."""
    page.goto(server.url + (f"?{query}" if query else ""))
    try:
        ready_player(page, timeout_ms)
        page.wait_for_selector(IDLE, state="attached", timeout=timeout_ms)
        frame = ready_player(page, timeout_ms)
    except Exception as exc:  # a Playwright timeout: say what the page shows
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "failed-load.png"))
        alerts = page.locator('[data-testid="stAlert"], [data-testid="stException"]').all_inner_texts()
        raise AssertionError(f"/?{query} did not load: {exc}\nalerts: {alerts}\n"
                             f"server log: {server.log()[-1500:]}") from None
    return frame


def address(page) -> str:
    return page.evaluate("() => window.location.search.replace(/^\\?/, '')")


def settle(page, frame, before: str, timeout_s: float = 30) -> None:
    """Wait until the charts differ from `before`, then until the script is idle."""
    deadline = time.monotonic() + timeout_s
    while frame.evaluate(SIGNATURE_JS) == before:
        assert time.monotonic() < deadline, "the plot did not change"
        page.wait_for_timeout(20)
    page.wait_for_selector(IDLE, state="attached", timeout=timeout_s * 1000)


def wait_address(page, predicate, timeout_s: float = 30) -> str:
    deadline = time.monotonic() + timeout_s
    while not predicate(address(page)):
        assert time.monotonic() < deadline, f"address stayed {address(page)!r}"
        page.wait_for_timeout(50)
    page.wait_for_selector(IDLE, state="attached", timeout=timeout_s * 1000)
    return address(page)


def shot(page, screens: Path, name: str) -> None:
    page.wait_for_timeout(250)  # let a rerun's fade settle
    page.screenshot(path=str(screens / f"{name}.png"))


def count_ws_frames(page) -> list[tuple[float, int]]:
    """Every websocket frame the server sends, as (time, bytes)."""
    log: list[tuple[float, int]] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda p: log.append((time.monotonic(), len(p)))))
    return log


# ---------------------------------------------------------------- first load


@pytest.fixture(scope="session")
def first_load(context, app_server, timings, screens):
    """The first visit after the server came up (imports + JAX compiles)."""
    page = context.new_page()
    try:
        open_app(page, app_server, timeout_ms=120_000)
        cold = time.perf_counter() - app_server.ready_at
        timings["first_load_from_server_ready_s"] = round(cold, 2)
        shot(page, screens, "01-default")
    finally:
        page.close()
    return cold


@pytest.fixture(scope="session")
def warm(first_load):
    return first_load


def test_first_and_warm_load(first_load, browser, app_server, timings):
    factor = busy()
    timings["loadavg_1min"] = round(os.getloadavg()[0], 2)
    assert first_load < COLD_CEILING_S * factor, f"first load took {first_load:.1f} s from server-ready (x{factor:.1f})"
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})  # a new visitor: nothing cached
    page = ctx.new_page()
    t0 = time.perf_counter()
    frame = open_app(page, app_server)
    warm_s = time.perf_counter() - t0
    timings["warm_load_s"] = round(warm_s, 2)
    assert address(page) == Scene.default().to_query(), "the address bar holds the scene"
    assert frame.locator("#counter").inner_text() == f"step {Scene.default().steps} / {Scene.default().steps}"
    ctx.close()
    assert warm_s < WARM_CEILING_S * factor, f"a warm load took {warm_s:.1f} s (load factor {factor:.1f})"


# ---------------------------------------------------------------- address bar


def test_share_link_restores_its_scene(page, app_server, warm, screens):
    q = Scene.from_query("surface=booth&steps=80&run=adam:lr=0.1,label=one%2C%20two%2Bthree"
                         "&run=sgd:lr=0.01,label=x%2By%3Dz").to_query()
    assert "%2C" in q and "%2B" in q
    frame = open_app(page, app_server, q)
    assert address(page) == q
    assert page.locator(".st-key-r0_label input").input_value() == "one, two+three"
    assert page.locator(".st-key-r1_label input").input_value() == "x+y=z"
    titles = page.locator('[data-testid="stSidebar"] [data-testid="stExpander"] summary').all_inner_texts()
    assert any("1. one, two+three" in t for t in titles), titles
    legend = frame.locator("#legend .legendtext").all_text_contents()
    for label in ("one, two+three", "x+y=z"):  # the player may shorten a label with an ellipsis
        assert any(t == label or (t.endswith("\u2026") and label.startswith(t[:-1])) for t in legend), legend
    shot(page, screens, "02-share-link")


def test_lr_slider_changes_paths_and_address(page, app_server, warm, screens):
    frame = open_app(page, app_server)
    before_q = address(page)
    lr0 = Scene.from_query(before_q).runs[0].lr
    before = frame.evaluate(SIGNATURE_JS)
    thumb = page.locator(".st-key-r0_lr input[type=range], .st-key-r0_lr [role=slider]").first
    thumb.focus()
    page.keyboard.press("ArrowRight")
    settle(page, frame, before)
    after_q = wait_address(page, lambda a: a != before_q)
    lr1 = LR_STOPS[LR_STOPS.index(lr0) + 1]
    assert Scene.from_query(after_q).runs[0].lr == lr1
    assert Scene.from_query(after_q).runs[1:] == Scene.from_query(before_q).runs[1:]
    assert frame.evaluate("() => window.__playerStats.renders") >= 2
    shot(page, screens, "03-after-lr-move")


def test_play_animates_without_reruns(page, app_server, warm, timings, screens):
    frames = count_ws_frames(page)
    frame = open_app(page, app_server)
    page.wait_for_timeout(500)
    s0 = frame.evaluate(STATS_JS)
    n0 = len(frames)
    frame.locator("#btn-play").click()
    t0 = time.monotonic()
    states = set()
    while time.monotonic() - t0 < 2.0:
        states.add(page.locator("[data-test-script-state]").first.get_attribute("data-test-script-state"))
        page.wait_for_timeout(100)
    s1 = frame.evaluate(STATS_JS)
    during = frames[n0:]
    shot(page, screens, "04-playing")
    frame.locator("#btn-play").click()  # pause
    assert s1["playing"], "still playing after 2 s (a whole run takes about 6 s)"
    assert s1["frames"] - s0["frames"] >= 10, (s0, s1)
    assert 0 < s1["step"] < Scene.default().steps
    timings["play_fps"] = round((s1["frames"] - s0["frames"]) / 2.0, 1)
    assert len(during) <= 2 and sum(b for _, b in during) < 2_000, f"websocket frames during play: {during}"
    assert states == {"notRunning"}, states
    counter = frame.locator("#counter").inner_text()
    assert counter.startswith("step ") and not counter.startswith(f"step {Scene.default().steps} ")
    assert frame.evaluate("() => window.__playerStats.playing") is False


def test_download_is_the_scene_json(page, app_server, warm):
    q = ("surface=himmelblau&start=-1,1.5&steps=60&run=adam:lr=0.05"
         "&run=sgd:lr=0.01,clip_norm=1,noise=0.1,seed=3,label=noisy%2C%20clipped")
    open_app(page, app_server, q)
    shown = address(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Results (JSON)").click()
    download = info.value
    assert download.suggested_filename.endswith(".json")
    data = json.loads(Path(download.path()).read_text())
    expected = json.loads(json.dumps(simulate(Scene.from_query(shown)).to_dict()))
    assert data["scene"] == shown
    assert data == expected


def test_divergent_scene_warns_with_its_step(page, app_server, warm, screens):
    q = "surface=quadratic:cond=10,angle=0&steps=50&run=sgd:lr=1"
    k = simulate(Scene.from_query(q)).runs[0].diverged_at
    assert k is not None
    frame = open_app(page, app_server, q)
    warning = page.locator('[data-testid="stAlertContentWarning"]')
    assert warning.count() == 1
    text = warning.inner_text()
    assert f"diverged at step {k}" in text and "SGD lr=1" in text, text
    legend = " ".join(frame.locator("#legend .legendtext").all_text_contents())
    assert "diverged" in legend
    shot(page, screens, "05-divergent")


def test_2d_3d_switch_has_no_console_errors(page, app_server, warm, screens):
    frame = open_app(page, app_server)
    frame.locator("#btn-3d").click()
    frame.wait_for_function("() => window.__playerStats.view === '3d' && "
                            "!!document.querySelector('#plot3d .gl-container canvas, #plot3d canvas')", polling=100)
    frame.locator("#btn-restart").click()
    frame.locator("#btn-play").click()
    page.wait_for_timeout(1200)
    shot(page, screens, "06-3d")
    frame.locator("#btn-play").click()
    assert frame.locator("#plot3d").is_visible() and not frame.locator("#plot2d").is_visible()
    frame.locator("#btn-2d").click()
    frame.wait_for_function("() => window.__playerStats.view === '2d'", polling=100)
    assert frame.locator("#plot2d").is_visible()
    page.wait_for_timeout(300)
    assert not frame.locator("#status.warn").count(), frame.locator("#status").inner_text()
    assert page.problems == [], page.problems


def test_set_start_by_clicking_the_contour(page, app_server, warm, screens):
    frame = open_app(page, app_server)  # Rosenbrock, window x in [-2, 2], y in [-1, 3]
    before_q = address(page)
    frame.locator("#btn-start").click()
    picker = frame.locator("#picker")
    picker.wait_for(state="visible")
    box = picker.bounding_box()
    picker.click(position={"x": 0.8 * box["width"], "y": 0.3 * box["height"]})
    after_q = wait_address(page, lambda a: a.split("&run=")[0] != before_q.split("&run=")[0])
    x, y = Scene.from_query(after_q).start
    assert x == pytest.approx(-2 + 0.8 * 4, abs=0.1) and y == pytest.approx(3 - 0.3 * 4, abs=0.1)
    sx = float(page.locator(".st-key-start_x input").input_value())
    sy = float(page.locator(".st-key-start_y input").input_value())
    assert (sx, sy) == (pytest.approx(x, rel=1e-5), pytest.approx(y, rel=1e-5))
    frame.wait_for_function("() => window.__playerStats.renders >= 2", polling=100)
    shot(page, screens, "07-set-start")


def test_hostile_labels_stay_text(page, app_server, warm, screens):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    q = ("steps=60&run=sgd:lr=0.001,label=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
         "&run=adam:lr=0.05,label=%3Cscript%3Ealert(2)%3C%2Fscript%3E"
         "&run=%3Cimg%20src%3Dy%20onerror%3Dalert(3)%3E")
    frame = open_app(page, app_server, q)
    page.wait_for_timeout(500)
    for where in (page, frame):
        injected = where.evaluate("() => document.querySelectorAll('img[src=\"x\"], img[src=\"y\"]').length")
        assert injected == 0
    assert dialogs == []
    legend = " ".join(frame.locator("#legend .legendtext").all_text_contents())
    assert "<img src=x" in legend and "<script>" in legend, legend
    error = page.locator('[data-testid="stAlertContentError"]').inner_text()
    assert "<img src=y onerror=alert(3)>" in error
    shot(page, screens, "08-hostile-labels")


def test_typed_formula_becomes_the_surface_and_its_paths(page, app_server, warm, screens):
    frame = open_app(page, app_server, "surface=custom&steps=60&run=adam:lr=0.1")
    before_q = address(page)
    # z values of the grid the player holds, and the end of run 1's path
    grid = "() => Array.from(window.__player.S.d.grid.z.slice(0, 50)).join(',')"
    path_end = "() => { const r = window.__player.S.d.runs[0]; return [r.X[r.n], r.Y[r.n]]; }"
    z_before, end_before = frame.evaluate(grid), frame.evaluate(path_end)
    box = page.locator(".st-key-formula input")
    box.fill("(x-1)^2 + 2*(y+0.5)^2")
    box.press("Enter")
    after_q = wait_address(page, lambda a: a != before_q)
    assert Scene.from_query(after_q).formula == "(x-1)^2 + 2*(y+0.5)^2"
    deadline = time.monotonic() + 30
    while frame.evaluate(grid) == z_before:
        assert time.monotonic() < deadline, "the surface did not change"
        page.wait_for_timeout(50)
    end_after = frame.evaluate(path_end)
    assert end_after != end_before
    assert abs(end_after[0] - 1) < 0.1 and abs(end_after[1] + 0.5) < 0.1, end_after  # Adam found (1, -0.5)
    # the LaTeX is generated from the parsed tree
    assert page.locator(".katex").filter(has_text="f(x,y)").count() >= 1
    # a typo: message under the box, the last good surface stays
    box.fill("(x-1)^2 + 2*(y+")
    box.press("Enter")
    page.wait_for_selector('[data-testid="stSidebar"] [data-testid="stAlert"]', timeout=30_000)
    page.wait_for_selector(IDLE, state="attached", timeout=30_000)
    assert Scene.from_query(address(page)).formula == "(x-1)^2 + 2*(y+0.5)^2"
    shot(page, screens, "10-typed-formula")
