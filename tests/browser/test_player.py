"""The player on its own, in a real browser: `tests/browser/player_demo_app.py`
(synthetic payloads, one URL per case) under `streamlit run`, and Chromium.

What is checked: the ES modules load (versioned, served as JavaScript, no
console errors); play, pause, scrub; the viewer's keys in the address and
restored from a payload's viewer; autoplay and loop; presentation mode
(type >= 18 px, reduced toolbar, fits the viewport); path widths; the
legend's front / hide / solo; keys without focusing the frame; the loss
chart's log floor; powers of ten with superscripts; marks drawn over the
paths; setting one run's start.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from pages import IDLE, PLAYER, address, open_demo, player_stats, wait_address, wait_until

from visualizer.browser import player_files
from visualizer.page import player as player_module

SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b"


def viewer_keys(query: str) -> list[tuple[str, str]]:
    pairs = [p.split("=", 1) for p in query.split("&") if p]
    return [(k, v) for k, v in pairs if k in ("view", "step", "speed", "hide")]


def state(frame, expr: str):
    return frame.evaluate(f"() => {{ const S = window.__player.S; return {expr}; }}")


# ------------------------------------------------------------------ assembly


def test_frontend_files_are_listed_and_imports_versioned():
    source = player_files.FRONTEND
    on_disk = {p.relative_to(source).as_posix() for p in source.rglob("*")
               if p.is_file() and p.suffix in (".js", ".css", ".html") and not p.name.startswith("LICENSE")}
    manifest = player_files.manifest()
    assert on_disk == {name for name in manifest.served() if not name.endswith(".woff2")}, \
        "the manifest lists every file"
    served = player_module._FRONTEND_DIR
    assert {p.name for p in served.iterdir()} == {Path(name).name for name in manifest.served()}
    version = served.name.rsplit("-", 1)[1]
    for name in manifest.modules:
        text = (served / name).read_text()
        imports = re.findall(r"""(?:from|import)\s*["'](\./[^"']+)["']""", text)
        assert all(i.endswith(f".js?v={version}") for i in imports), (name, imports)
    assert f'src="main.js?v={version}"' in (served / "index.html").read_text()


# ------------------------------------------------------------------ loading


@pytest.mark.browser
def test_modules_load_as_javascript_without_errors(page, demo_server):
    types: dict[str, str] = {}
    page.on("response", lambda r: types.__setitem__(r.url, r.headers.get("content-type", ""))
            if "/component/" in r.url and ".js" in r.url else None)
    frame = open_demo(page, demo_server, "case=rosenbrock")
    modules = [u for u in types if "plotly" not in u]
    assert len(modules) >= 10, modules
    assert all("?v=" in u for u in modules), modules
    assert all("javascript" in t for t in types.values()), types
    assert frame.locator("#counter").inner_text() == "step 1000 / 1000"
    assert page.problems == [], page.problems


@pytest.mark.browser
@pytest.mark.parametrize("case", ["small", "empty", "one", "nan", "allnan", "negative", "zero", "starts"])
def test_edge_cases_draw_without_errors(page, demo_server, case):
    frame = open_demo(page, demo_server, f"case={case}")
    frame.locator("#btn-3d").click()
    frame.wait_for_function("() => window.__player.S.stale3d === false", polling=100)
    frame.locator("#btn-2d").click()
    page.wait_for_timeout(200)
    assert not frame.locator("#status.warn").count(), frame.locator("#status").inner_text()
    assert page.problems == [], page.problems


# ------------------------------------------------------------------ playback


@pytest.mark.browser
def test_play_pause_scrub(page, demo_server):
    frame = open_demo(page, demo_server, "case=rosenbrock")
    frame.locator("#btn-play").click()  # at the end: plays from 0
    page.wait_for_timeout(700)
    s = player_stats(frame)
    assert s["playing"] and 0 < s["step"] < 1000 and s["frames"] > 5
    frame.locator("#btn-play").click()
    k = player_stats(frame)["step"]
    page.wait_for_timeout(300)
    assert not player_stats(frame)["playing"] and player_stats(frame)["step"] == k
    frame.locator("#scrub").fill("250")
    assert frame.locator("#counter").inner_text() == "step 250 / 1000"
    frame.locator("#btn-fwd").click()
    assert player_stats(frame)["step"] == 251
    assert page.problems == [], page.problems


@pytest.mark.browser
def test_autoplay_moves_the_paths_by_themselves(page, demo_server):
    frame = open_demo(page, demo_server, "case=rosenbrock&autoplay=1")
    page.wait_for_timeout(600)
    a = player_stats(frame)
    page.wait_for_timeout(600)
    b = player_stats(frame)
    assert a["playing"] and b["frames"] > a["frames"] and 0 < a["step"] < b["step"] < 1000


@pytest.mark.browser
def test_without_autoplay_the_paths_stay_still(page, demo_server):
    frame = open_demo(page, demo_server, "case=rosenbrock")
    page.wait_for_timeout(800)
    s = player_stats(frame)
    assert not s["playing"] and s["step"] == 1000 and s["frames"] == 0


@pytest.mark.browser
def test_loop_plays_again_from_the_start(page, demo_server):
    frame = open_demo(page, demo_server, "case=rosenbrock&steps=20&autoplay=1&loop=1&speed=4")
    steps, t0 = [], time.monotonic()
    while time.monotonic() - t0 < 2.5:
        steps.append(player_stats(frame)["step"])
        page.wait_for_timeout(40)
    assert player_stats(frame)["playing"], "a looping player never stops"
    drops = [i for i in range(1, len(steps)) if steps[i] < steps[i - 1]]
    assert drops, f"never went back to the start: {steps}"


# ------------------------------------------------------------------ address


@pytest.mark.browser
def test_viewer_choices_go_into_the_address(page, demo_server):
    frame = open_demo(page, demo_server, "case=rosenbrock")
    base = address(page)
    assert viewer_keys(base) == [], "the defaults add nothing"
    frame.locator("#btn-3d").click()
    wait_address(page, lambda a: "view=3d" in a)
    frame.locator("#scrub").fill("300")
    frame.locator("#speed").select_option("2")
    frame.locator('#legend .run[data-index="1"] .eye').click()
    frame.locator('#legend .run[data-index="4"] .eye').click()
    q = wait_address(page, lambda a: "hide=2,5" in a)
    assert viewer_keys(q) == [("view", "3d"), ("step", "300"), ("speed", "2"), ("hide", "2,5")], q
    assert q.startswith(base.split("&view=")[0]), "the payload's query stays the base"
    # playing: no step in the address; at the last step: none either
    frame.locator("#btn-play").click()
    wait_address(page, lambda a: "step=" not in a)
    frame.locator("#btn-play").click()
    wait_address(page, lambda a: "step=" in a)
    frame.locator("#scrub").fill("1000")
    wait_address(page, lambda a: "step=" not in a)
    # "Copy link" copies exactly the address
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=demo_server.url.rstrip("/"))
    frame.locator("#btn-copy").click()
    frame.wait_for_function("() => document.getElementById('status').textContent === 'copied'", polling=100)
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.evaluate("() => window.location.href")


@pytest.mark.browser
def test_viewer_is_restored_from_the_payload(page, demo_server):
    frame = open_demo(page, demo_server, "case=rosenbrock&view=3d&step=120&speed=4&hide=2,5")
    frame.wait_for_function("() => window.__player.S.stale3d === false", polling=100)
    assert state(frame, "[S.view, Math.floor(S.stepF), S.speed, S.playing]") == ["3d", 120, 4, False]
    assert state(frame, "S.d.runs.filter(r => S.hidden.has(r.key)).map(r => r.i)") == [1, 4]
    assert frame.locator("#speed").input_value() == "4"
    hidden = frame.evaluate("() => Array.from(document.querySelectorAll('#legend .run.hidden')).map(r => +r.dataset.index)")
    assert hidden == [1, 4]
    # hidden in the side charts too
    invisible = frame.evaluate("""() => document.getElementById('plotside').data
        .filter(t => t.meta && t.visible === false).map(t => t.meta[0])""")
    assert set(invisible) == {1, 4}
    q = wait_address(page, lambda a: "view=3d" in a)
    assert viewer_keys(q) == [("view", "3d"), ("step", "120"), ("speed", "4"), ("hide", "2,5")], q


# ------------------------------------------------------------------ presentation

FONT_SIZES_JS = """() => {
  const small = [];
  const visible = (n) => { const r = n.getBoundingClientRect(); return r.width > 0 && r.height > 0 &&
    getComputedStyle(n).visibility !== 'hidden' && getComputedStyle(n).display !== 'none'; };
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let t = walk.nextNode(); t; t = walk.nextNode()) {
    const n = t.parentElement;
    if (!t.textContent.trim() || !n || !visible(n) || n.closest('.modebar, .hoverlayer, option')) continue;
    const size = parseFloat(getComputedStyle(n).fontSize);
    if (size < 18) small.push(n.tagName + ' ' + JSON.stringify(t.textContent.slice(0, 30)) + ' ' + size);
  }
  return small;
}"""


@pytest.mark.browser
@pytest.mark.parametrize("view", ["2d", "3d"])
def test_presentation_mode_is_readable_from_the_back(page, demo_server, view):
    page.set_viewport_size({"width": 1280, "height": 720})
    frame = open_demo(page, demo_server, f"case=rosenbrock&present=1&view={view}")
    if view == "3d":
        frame.wait_for_function("() => window.__player.S.stale3d === false", polling=100)
    page.wait_for_timeout(300)
    assert player_stats(frame)["present"]
    assert frame.evaluate(FONT_SIZES_JS) == []
    # canvas text and Plotly's own text (titles, ticks) follow the style table
    assert frame.evaluate("() => Object.values(window.__player.style().font).every(v => v >= 18)")
    for hidden in ("#btn-start", "#btn-copy"):
        assert not frame.locator(hidden).is_visible()
    for shown in ("#btn-play", "#btn-restart", "#btn-back", "#btn-fwd", "#scrub", "#counter", "#speed", "#btn-2d", "#btn-3d"):
        assert frame.locator(shown).is_visible(), shown
    assert player_stats(frame)["pathWidth"] >= 4
    box = page.locator(PLAYER).bounding_box()
    assert box["y"] + box["height"] <= 720 + 1, box
    assert box["height"] >= 360
    assert page.problems == [], page.problems


@pytest.mark.browser
def test_presentation_frame_follows_the_viewport(page, demo_server):
    page.set_viewport_size({"width": 1280, "height": 800})
    open_demo(page, demo_server, "case=rosenbrock&present=1")
    tall = page.locator(PLAYER).bounding_box()["height"]
    page.set_viewport_size({"width": 1280, "height": 600})
    wait_until(page, lambda: page.locator(PLAYER).bounding_box()["height"]
               <= 600 - page.locator(PLAYER).bounding_box()["y"] + 1,
               "the frame did not shrink with the window", timeout_s=10, every_ms=100)
    assert page.locator(PLAYER).bounding_box()["height"] < tall


@pytest.mark.browser
def test_paths_are_at_least_3px(page, demo_server):
    frame = open_demo(page, demo_server, "case=rosenbrock")
    widths = frame.evaluate("""() => Object.values(window.__player.styles).map(s => [s.run.width, s.run.frontWidth])""")
    assert all(w >= 3 for pair in widths for w in pair), widths
    assert player_stats(frame)["pathWidth"] >= 3


# ------------------------------------------------------------------ legend


@pytest.mark.browser
def test_legend_front_hide_and_solo(page, demo_server):
    frame = open_demo(page, demo_server, "case=rosenbrock")
    row = '#legend .run[data-index="{}"] {}'
    frame.locator(row.format(2, ".pick")).click()
    assert state(frame, "S.front") == state(frame, "S.d.runs[2].key")
    assert player_stats(frame)["layers"][0].split(":")[1].split(",")[-1] == "2", "the run in front is drawn last"
    assert frame.locator(row.format(2, ".pick")).get_attribute("aria-pressed") == "true"
    frame.locator(row.format(2, ".pick")).click()
    assert state(frame, "S.front") is None
    frame.locator(row.format(3, ".eye")).click()
    assert "3" not in player_stats(frame)["layers"][0].split(":")[1].split(",")
    assert frame.locator(row.format(3, ".eye")).get_attribute("aria-pressed") == "false"
    frame.locator(row.format(3, ".eye")).click()
    frame.locator(row.format(5, ".solo")).click()
    assert player_stats(frame)["layers"][0] == "paths:5"
    visible = frame.evaluate("""() => document.getElementById('plotside').data
        .filter(t => t.meta && t.visible !== false).map(t => t.meta[0])""")
    assert set(visible) == {5}
    frame.locator(row.format(5, ".solo")).click()
    assert player_stats(frame)["layers"][0] == "paths:0,1,2,3,4,5,6,7"
    # alt-click hides, double-click shows it alone (the tooltip says so)
    frame.locator(row.format(1, ".pick")).click(modifiers=["Alt"])
    assert state(frame, "S.hidden.has(S.d.runs[1].key)")
    frame.locator(row.format(6, ".pick")).dblclick()
    assert player_stats(frame)["layers"][0].startswith("paths:6")
    title = frame.locator(row.format(1, ".pick")).get_attribute("title")
    assert "Alt-click" in title and "Double-click" in title


@pytest.mark.browser
def test_legend_wraps_long_labels_never_clips(page, demo_server):
    page.set_viewport_size({"width": 1024, "height": 768})
    frame = open_demo(page, demo_server, "case=rosenbrock")
    clipped = frame.evaluate("""() => Array.from(document.querySelectorAll('#legend .text')).filter(t =>
        t.scrollWidth > t.clientWidth + 1 || getComputedStyle(t).textOverflow === 'ellipsis').length""")
    assert clipped == 0
    labels = frame.locator("#legend .label").all_text_contents()
    assert '<b>Adam</b> & "friends" <script>alert(1)</script>' in labels


# ------------------------------------------------------------------ keys


@pytest.mark.browser
def test_keys_work_without_focusing_the_frame(page, demo_server):
    frame = open_demo(page, demo_server, "case=rosenbrock")
    frame.locator("#scrub").fill("100")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    assert page.evaluate("() => document.activeElement === document.body")
    page.keyboard.press("ArrowLeft")
    assert player_stats(frame)["step"] == 99
    page.keyboard.press(" ")
    page.wait_for_timeout(300)
    assert player_stats(frame)["playing"]
    page.keyboard.press(" ")
    assert not player_stats(frame)["playing"]
    k = player_stats(frame)["step"]
    page.keyboard.press("ArrowRight")
    assert player_stats(frame)["step"] == k + 1
    # keys meant for a widget of the page stay with it
    page.locator(".st-key-scale input[type=range], .st-key-scale [role=slider]").first.focus()
    page.keyboard.press("ArrowLeft")
    assert player_stats(frame)["step"] == k + 1


# ------------------------------------------------------------------ charts and marks


@pytest.mark.browser
def test_loss_at_zero_stays_log_with_a_floor_note(page, demo_server):
    frame = open_demo(page, demo_server, "case=zero")
    axis_type = frame.evaluate("() => document.getElementById('plotside')._fullLayout.yaxis.type")
    assert axis_type == "log"
    notes = frame.locator("#plotside .annotation-text").all_text_contents()
    floor = [n for n in notes if "drawn at" in n]
    assert floor and floor[0].startswith("0 drawn at 10"), notes
    assert any(c in floor[0] for c in SUPERSCRIPTS)


@pytest.mark.browser
def test_powers_of_ten_use_superscripts(page, demo_server):
    frame = open_demo(page, demo_server, "case=rosenbrock")
    texts = frame.evaluate("() => Array.from(document.querySelectorAll('svg text')).map(t => t.textContent)")
    assert not [t for t in texts if re.search(r"\de[+-]?\d", t)], texts
    lr_ticks = frame.evaluate("() => document.getElementById('plotside')._fullLayout.yaxis2.ticktext")
    assert any(c in "".join(lr_ticks) for c in SUPERSCRIPTS), lr_ticks
    assert frame.evaluate("() => window.__player.fmt(1e-8)") == "10\u207b\u2078"
    assert frame.evaluate("() => window.__player.fmt(2.5e-8)") == "2.5\u00d710\u207b\u2078"


@pytest.mark.browser
@pytest.mark.parametrize("view", ["2d", "3d"])
def test_marks_are_drawn_after_paths_and_heads(page, demo_server, view):
    frame = open_demo(page, demo_server, f"case=negative&view={view}")  # a minimum and a saddle
    if view == "3d":
        frame.wait_for_function("() => window.__player.S.stale3d === false", polling=100)
        frame.wait_for_function("() => window.__playerStats.layers.length > 0", polling=100)
    layers = [name.split(":")[0] for name in player_stats(frame)["layers"]]
    assert layers.index("paths") < layers.index("heads") < layers.index("minima")
    assert layers.index("heads") < layers.index("saddles")


@pytest.mark.browser
def test_each_run_has_its_own_start(page, demo_server):
    frame = open_demo(page, demo_server, "case=starts")
    assert state(frame, "[S.d.start, S.d.runStarts]") == [None, True]
    assert "start of each run" in frame.locator("#legend-marks").inner_text()


@pytest.mark.browser
def test_set_start_of_one_run(page, demo_server):
    frame = open_demo(page, demo_server, "case=rosenbrock&steps=200")
    frame.locator('#legend .run[data-index="2"] .pick').click()
    frame.locator("#btn-start").click()
    label = state(frame, "S.d.runs[2].label")
    assert f"set the start of \u201c{label}\u201d" in frame.locator("#status").inner_text()
    page.keyboard.press("Escape")
    assert not frame.locator("#picker").is_visible()
    frame.locator("#btn-start").click()
    picker = frame.locator("#picker")
    box = picker.bounding_box()
    before = state(frame, "[S.d.runs[2].X[0], S.d.runs[2].Y[0]]")
    picker.click(position={"x": 0.25 * box["width"], "y": 0.25 * box["height"]})
    # the rerun's payload, not only a render: the run's start moves
    frame.wait_for_function("""(b) => { const r = window.__player.S.d.runs[2];
        return r.X[0] !== b[0] || r.Y[0] !== b[1]; }""", arg=before, polling=100)
    page.wait_for_selector(IDLE, state="attached")
    assert state(frame, "S.d.runStarts") is True
    x, y = state(frame, "[S.d.runs[2].X[0], S.d.runs[2].Y[0]]")
    assert x == pytest.approx(-1.0, abs=0.1) and y == pytest.approx(2.0, abs=0.1)
    assert state(frame, "[S.d.runs[0].X[0], S.d.runs[0].Y[0]]") == [-1.5, 2]
