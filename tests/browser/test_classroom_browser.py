"""Lessons in presentation mode in a real browser: what a class at the back of the room sees when a teacher projects
`?lesson=<id>&present=1`.

One server (conftest's `app_server`) and one browser for the module. Each
screen size is one browser context, opened once (a module-scoped fixture
parametrized by size), in which a few lessons are loaded and measured; the
tests then judge what was measured, one promise each:

- 1280 x 720 and 1024 x 768, and both at 150% zoom: a device scale factor
  of 1.5 with the CSS viewport reduced to 853 x 480 and 683 x 512 (what a
  projector shows when the browser is zoomed to 150%);
- the lesson's title, its text box and every step button inside the
  viewport, and the player's frame too; the type of the lesson 18 px or
  more, and the player's; the title and the player at the top (no empty
  band); no sidebar; paths at least 3 px wide, the minimum's and the
  saddles' marks drawn after the paths; every run its own colour and dash,
  its legend row on the screen.

At 1280 x 720 every lesson is loaded, and each one's screenshot saved as
artifacts/screens/lessons/<id>.png (other sizes: <id>-<w>x<h>[-at-150%].png),
to be looked at. Selectors: Streamlit puts `st-key-<key>` on a keyed
element's container (`lesson-panel`, `lesson-text`, `lesson-steps`,
`step0`..); the player is the iframe titled `visualizer.page.player.player`, whose
test hooks are `window.__playerStats` and `window.__player`.
"""

from __future__ import annotations

import time

import pytest
from pages import IDLE, player_frame, player_stats, wait_address, wait_until

from visualizer.core.lessons import LESSONS

pytestmark = pytest.mark.browser

# Both plots drawn: the readability checks measure the main plot too.
READY_JS = """() => !!(window.__playerStats && window.__playerStats.renders > 0 &&
  document.querySelector('#plot2d .main-svg, #plot3d .main-svg') &&
  document.querySelector('#plotside .main-svg'))"""

# The lessons measured at every size: the most to show (five steps and the
# longest step lines; five steps and a title on two lines; the longest text).
FEW = ("newton", "noise", "initialization")
SMALL_TICKS = ("initialization",)  # a network that cannot move: its own test below
CUT = ("starts",)  # an exploration's key beside the plot: its own test below
SIZES = [
    pytest.param((1280, 720, 1.0), id="1280x720"),
    pytest.param((1024, 768, 1.0), id="1024x768"),
    pytest.param((853, 480, 1.5), id="1280x720-at-150%"),
    pytest.param((683, 512, 1.5), id="1024x768-at-150%"),
]

# The page around the player: boxes of what the lesson needs, computed
# font sizes, and every visible text of the page (the player's frame
# excluded) smaller than 18 px.
PAGE_JS = """() => {
  const box = e => { if (!e) return null; const r = e.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height}; };
  const size = e => e ? parseFloat(getComputedStyle(e).fontSize) : null;
  const visible = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const panel = document.querySelector('.st-key-lesson-panel');
  const title = panel && panel.querySelector('h3');
  const text = document.querySelector('.st-key-lesson-text');
  const steps = [...document.querySelectorAll('[class*="st-key-step"] [data-testid^="stBaseButton"]')].filter(visible);
  const small = [];
  const main = document.querySelector('[data-testid="stMain"], .stMain');
  const walk = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let t = walk.nextNode(); t; t = walk.nextNode()) {
    const n = t.parentElement;
    if (!t.textContent.trim() || !n || !visible(n) || n.closest('[data-testid="stTooltipContent"]')) continue;
    if (size(n) < 18) small.push(`${n.tagName} ${JSON.stringify(t.textContent.trim().slice(0, 30))} ${size(n)} px`);
  }
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  return {
    viewport: {width: innerWidth, height: innerHeight},
    title: box(title), titleText: title ? title.innerText : null, titleSize: size(title),
    text: box(text), textSize: size(text && text.querySelector('p')),
    steps: steps.map(b => Object.assign(box(b), {label: b.innerText.slice(0, 30), size: size(b.querySelector('p'))})),
    player: box(document.querySelector('iframe[title="visualizer.page.player.player"]')),
    sidebarShown: !!sidebar && visible(sidebar),
    alerts: [...document.querySelectorAll('[data-testid="stAlert"]')].map(a => a.innerText.slice(0, 120)),
    small,
  };
}"""

# Inside the player's frame: its stats, each run's colour and dash (the
# style table's dash of the run's index), its legend rows (on the screen
# and not covered or scrolled away: the row is what is drawn at its
# middle), and its visible text under 18 px.
FRAME_JS = """() => {
  const S = window.__player.S, style = window.__player.style(), stats = window.__playerStats;
  const dashes = style.run.dashes;
  const rows = [...document.querySelectorAll('#legend .run')].map(e => {
    const r = e.getBoundingClientRect(), y = (r.top + r.bottom) / 2, x = Math.min(r.left + 12, innerWidth - 1);
    const hit = r.height > 0 && y >= 0 && y <= innerHeight ? document.elementFromPoint(x, y) : null;
    return {label: e.innerText.trim().slice(0, 40), onScreen: !!hit && e.contains(hit)};
  });
  const small = [];
  const visible = n => { const r = n.getBoundingClientRect(); const s = getComputedStyle(n);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let t = walk.nextNode(); t; t = walk.nextNode()) {
    const n = t.parentElement;
    if (!t.textContent.trim() || !n || !visible(n) || n.closest('.modebar, .hoverlayer, option')) continue;
    const px = parseFloat(getComputedStyle(n).fontSize);
    if (px < 18) small.push(`${n.tagName} ${JSON.stringify(t.textContent.trim().slice(0, 30))} ${px} px`);
  }
  // text reaching past the frame's right edge (HTML text and the charts' SVG text)
  const cut = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.closest('svg') || !visible(e) || ![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const r = e.getBoundingClientRect();
    if (r.right > innerWidth + 1) cut.push(`${JSON.stringify(e.textContent.trim().slice(0, 40))} to ${Math.round(r.right)} px`);
  }
  for (const t of document.querySelectorAll('svg text')) {
    const r = t.getBoundingClientRect();
    if (r.width && r.right > innerWidth + 1) cut.push(`${JSON.stringify(t.textContent.slice(0, 40))} to ${Math.round(r.right)} px`);
  }
  // tick labels of one axis (or colour bar) drawn over each other
  const overlaps = [];
  for (const layer of document.querySelectorAll('.xaxislayer-above, .yaxislayer-above, .cbaxis')) {
    const boxes = [...layer.querySelectorAll('text')].map(t => [t.textContent, t.getBoundingClientRect()])
      .filter(([, r]) => r.width > 0);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [a, r] = boxes[i], [b, q] = boxes[j];
      if (Math.min(r.right, q.right) - Math.max(r.left, q.left) > 1 &&
          Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top) > 1) {
        overlaps.push(`${layer.closest('[id]').id} ${layer.getAttribute('class').split(' ')[0]}: ${a} over ${b}`);
      }
    }
  }
  // the side charts' curves of each run (loss, learning rate, gradient norm): their dash
  const side = document.getElementById('plotside');
  const curves = (side && side.data || []).filter(t => t.meta && ['loss', 'lr', 'grad'].includes(t.meta[1]))
    .map(t => ({run: t.meta[0], chart: t.meta[1], dash: (t.line && t.line.dash) || 'solid'}));
  return {
    cut, overlaps, curves, text: document.body.innerText.slice(0, 5000),
    present: stats.present, pathWidth: stats.pathWidth, layers: stats.layers.map(l => l.split(':')[0]),
    widths: [style.run.width, style.run.frontWidth],
    runs: S.d.runs.map(r => ({label: r.label, color: String(r.color).toLowerCase(),
                              dash: JSON.stringify(dashes[r.i % dashes.length])})),
    legend: rows, fonts: Object.values(style.font), small,
  };
}"""


# ---------------------------------------------------------------- helpers


def ready_player(page, timeout_ms: int = 90_000):
    return player_frame(page, READY_JS, timeout_ms / 1000, f"the player did not draw within {timeout_ms} ms")


def open_lesson(page, server, query: str):
    page.goto(f"{server.url}?{query}")
    ready_player(page)
    page.wait_for_selector(IDLE, state="attached", timeout=90_000)
    frame = ready_player(page)
    if "lesson=" in query:
        page.wait_for_selector(".st-key-lesson-panel h3", timeout=30_000)
    return frame


def inside(box: dict, viewport: dict, slack: float = 0.5) -> bool:
    return (box["left"] >= -slack and box["top"] >= -slack and box["right"] <= viewport["width"] + slack
            and box["bottom"] <= viewport["height"] + slack)


def per_lesson(measured: dict, check) -> dict:
    """{lesson: what `check(page, frame)` found wrong} for the lessons where it found something."""
    found = {lesson: check(m["page"], m["frame"]) for lesson, m in measured["lessons"].items()}
    return {lesson: problem for lesson, problem in found.items() if problem}


# ---------------------------------------------------------------- autoplay


def wait_for(frame, predicate: str, what: str, timeout_s: float = 20) -> dict:
    """The player's stats once `predicate` (JS, of the stats `s`) holds;
    waiting, with a deadline, for something to happen."""
    last: dict = {}

    def holds() -> bool:
        last["s"] = player_stats(frame)
        return frame.evaluate(f"(s) => !!({predicate})", last["s"])

    wait_until(frame.page, holds, lambda: f"{what}: not within {timeout_s} s; last stats {last['s']}",
               timeout_s, every_ms=50)
    return last["s"]


# Every step the player shows, as drawn: recorded in the frame at each
# animation frame, so a wrap from the last step to the first between two
# polls is seen.
RECORD_JS = """() => { const seen = window.__seenSteps = [];
  const tick = () => { const s = window.__playerStats; seen.push([s.step, s.playing]);
    if (seen.length < 100000) requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""


def test_a_presentation_link_with_autoplay_plays_by_itself(page, app_server):
    frame = open_lesson(page, app_server, "lesson=momentum&present=1&autoplay=1")
    assert page.locator(".st-key-lesson-panel h3").inner_text() == LESSONS["momentum"].title
    assert page.locator('[data-testid="stSidebar"]').count() == 0 or \
        not page.locator('[data-testid="stSidebar"]').is_visible()
    first = wait_for(frame, "s.playing && s.frames > 0", "playing")
    assert first["present"] and first["step"] < 150, first
    later = wait_for(frame, f"s.step > {first['step']} + 5", "the step advancing")
    assert later["frames"] > first["frames"], (first, later)
    assert page.problems == [], page.problems


def test_without_autoplay_the_paths_stay_still(page, app_server):
    frame = open_lesson(page, app_server, "lesson=momentum&present=1")
    assert page.locator(".st-key-lesson-panel h3").inner_text() == LESSONS["momentum"].title
    frame.evaluate(RECORD_JS)
    # as long as the autoplay test above needs, at most, to see the step move
    page.wait_for_timeout(1500)
    s = player_stats(frame)
    assert s["present"] and not s["playing"] and s["frames"] == 0 and s["step"] == 150, s
    seen = frame.evaluate("() => window.__seenSteps")
    assert len(seen) > 10 and {tuple(x) for x in seen} == {(150, False)}, seen[:20]


@pytest.mark.parametrize("loop", [True, False], ids=["loop=1", "no-loop"])
def test_loop_plays_again_from_the_start(page, app_server, loop):
    """speed=8: the 150 steps of momentum take under a second. With loop=1
    the step wraps from the last to the start and the player plays on;
    without, it stops at the last step."""
    frame = open_lesson(page, app_server, "lesson=momentum&present=1&autoplay=1&speed=8" + ("&loop=1" if loop else ""))
    frame.evaluate(RECORD_JS)
    if loop:
        wait_for(frame, "window.__seenSteps.some(([k], i, a) => i > 0 && k < a[i - 1][0] - 100)",
                 "a wrap from the end to the start")
        seen = frame.evaluate("() => window.__seenSteps")
        wrap = next(i for i in range(1, len(seen)) if seen[i][0] < seen[i - 1][0] - 100)
        assert seen[wrap - 1][0] == 150 and seen[wrap][0] == 0, seen[wrap - 3:wrap + 3]
        later = wait_for(frame, "s.playing && s.step > 20 && s.step < 150", "playing on after the wrap")
        assert later["frames"] > wrap
    else:
        end = wait_for(frame, "!s.playing && s.frames > 0", "stopping at the end")
        assert end["step"] == 150, end
        seen = frame.evaluate("() => window.__seenSteps")
        assert all(b[0] >= a[0] for a, b in zip(seen, seen[1:], strict=False)), "the step never went back"
        assert player_stats(frame)["step"] == 150 and not player_stats(frame)["playing"]


def test_a_step_opened_in_a_playing_presentation_plays(page, app_server):
    frame = open_lesson(page, app_server, "lesson=momentum&present=1&autoplay=1&loop=1")
    renders = wait_for(frame, "s.playing", "playing")["renders"]
    page.locator(".st-key-step1 [data-testid^='stBaseButton']").filter(visible=True).first.click()
    deadline = time.monotonic() + 30
    while "momentum=0.5" not in page.evaluate("() => location.search"):
        assert time.monotonic() < deadline, "the step did not open"
        page.wait_for_timeout(100)
    search = page.evaluate("() => location.search")
    assert "present=1" in search and "autoplay=1" in search and "loop=1" in search, search
    page.wait_for_selector(IDLE, state="attached", timeout=30_000)
    frame = ready_player(page)
    opened = wait_for(frame, f"s.renders > {renders} && s.playing", "the step's scene drawn, playing")
    wait_for(frame, f"s.playing && s.step > {opened['step']} + 5", "the step's scene advancing")


def test_the_present_link_keeps_the_view_chosen_in_the_player(page, app_server):
    # Chosen in the browser alone (no rerun): the server's link cannot know it.
    frame = open_lesson(page, app_server, "lesson=momentum")
    frame.locator("#btn-3d").click()
    frame.locator("#speed").select_option("2")
    wait_address(page, lambda a: "view=3d" in a and "speed=2" in a)
    link = page.locator(".st-key-present a").first
    assert "view=3d" not in link.get_attribute("href"), "the server's own link (this test would prove nothing)"
    with page.context.expect_page() as opened:
        link.click()
    presented = opened.value
    presented.wait_for_load_state()
    search = presented.evaluate("() => location.search")
    for part in ("view=3d", "speed=2", "present=1", "autoplay=1", "lesson=momentum"):
        assert part in search, search
    assert "step=" not in search, search
    presented.close()


# ---------------------------------------------------------------- readable from the back of the room


@pytest.fixture(scope="module", params=SIZES)
def measured(request, browser, app_server, screens) -> dict:
    """One screen size: the lessons loaded in presentation mode, each
    measured (PAGE_JS, FRAME_JS) and photographed. At 1280 x 720 all
    sixteen, at the other sizes FEW."""
    width, height, scale = request.param
    ctx = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale)
    lessons = LESSONS if (width, height) == (1280, 720) else FEW
    folder = screens / "lessons"
    folder.mkdir(exist_ok=True)
    out: dict = {"lessons": {}}
    try:
        for lesson_id in lessons:
            page = ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            try:
                frame = open_lesson(page, app_server, f"lesson={lesson_id}&present=1")
                page.wait_for_timeout(300)  # fonts and the rerun's fade settle
                name = lesson_id if (width, height) == (1280, 720) else \
                    f"{lesson_id}-{width}x{height}" + ("-at-150%" if scale > 1 else "")
                page.screenshot(path=str(folder / f"{name}.png"))
                out["lessons"][lesson_id] = {"page": page.evaluate(PAGE_JS), "frame": frame.evaluate(FRAME_JS),
                                             "errors": errors}
            finally:
                page.close()
    finally:
        ctx.close()
    return out


def test_the_lessons_open_without_errors(measured):
    assert per_lesson(measured, lambda p, f: p["alerts"]) == {}
    assert {k: m["errors"] for k, m in measured["lessons"].items() if m["errors"]} == {}
    assert per_lesson(measured, lambda p, f: None if f["present"] else "the player is not in presentation mode") == {}


def test_title_text_and_every_step_are_on_the_screen(measured):

    def off_screen(p, f):
        vp, out = p["viewport"], []
        for name in ("title", "text", "player"):
            if p[name] is None:
                out.append(f"no {name}")
            elif not inside(p[name], vp):
                out.append(f"{name} {p[name]['top']:.0f}..{p[name]['bottom']:.0f}")
        if not p["steps"]:
            out.append("no step buttons")
        out += [f"step {s['label']!r} {s['top']:.0f}..{s['bottom']:.0f}" for s in p["steps"] if not inside(s, vp)]
        return out

    assert per_lesson(measured, off_screen) == {}


def test_the_lessons_type_is_at_least_18px(measured):
    def small(p, f):
        sizes = {"title": p["titleSize"], "text": p["textSize"], **{f"step {s['label']!r}": s["size"] for s in p["steps"]}}
        return [f"{k}: {v} px" for k, v in sizes.items() if v is None or v < 18] + p["small"]

    assert per_lesson(measured, small) == {}


def players_small_type(p, f) -> list:
    return f["small"] + [f"style table font {v} px" for v in f["fonts"] if v < 18]


def test_the_players_type_is_at_least_18px(measured):
    found = per_lesson(measured, players_small_type)
    assert {k: v for k, v in found.items() if k not in SMALL_TICKS} == {}


def test_the_players_type_is_at_least_18px_on_a_network_that_cannot_move(measured):
    """A path that does not move gets a plane of +-1 around its start
    (visualizer/core/model/plane.py), not a sliver of float noise ticked in
    power notation."""
    found = per_lesson(measured, players_small_type)
    assert {k: v for k, v in found.items() if k in SMALL_TICKS} == {}


def test_no_tick_labels_drawn_over_each_other(measured):
    """A network's plane is often wide and flat: its colour bar is short,
    and its ticks must thin out rather than pile up."""
    assert per_lesson(measured, lambda p, f: f["overlaps"]) == {}


def test_no_empty_band_above_the_title_and_the_player(measured):
    def band(p, f):
        return [f"{name} starts at {p[name]['top']:.0f} px" for name in ("title", "player") if p[name]["top"] > 20]

    assert per_lesson(measured, band) == {}


def test_no_sidebar(measured):
    assert per_lesson(measured, lambda p, f: p["sidebarShown"]) == {}


def test_paths_at_least_3px_with_the_marks_above_them(measured):
    def paths(p, f):
        out = [f"path width {f['pathWidth']}"] if f["pathWidth"] < 3 or min(f["widths"]) < 3 else []
        layers = f["layers"]
        for mark in ("minima", "saddles"):
            if mark not in layers or "paths" not in layers or layers.index(mark) < layers.index("paths"):
                out.append(f"{mark} not drawn after the paths: {layers}")
        return out

    assert per_lesson(measured, paths) == {}


def test_runs_that_overlap_stay_distinguishable(measured):

    def alike(p, f):
        looks = [(r["color"], r["dash"]) for r in f["runs"]]
        out = []
        if len({c for c, _ in looks}) < len(looks):
            out.append(f"runs share a colour: {looks}")
        if len({d for _, d in looks}) < len(looks):
            out.append(f"runs share a dash: {looks}")
        out += [f"legend row {r['label']!r} not on the screen" for r in f["legend"] if not r["onScreen"]]
        if len(f["legend"]) < len(f["runs"]):
            out.append(f"{len(f['legend'])} legend rows for {len(f['runs'])} runs")
        return out

    assert per_lesson(measured, alike) == {}


def test_nothing_in_the_player_reaches_past_its_right_edge(measured):
    found = per_lesson(measured, lambda p, f: f["cut"])
    assert {k: v for k, v in found.items() if k not in CUT} == {}


def test_nothing_in_the_player_reaches_past_its_right_edge_beside_an_exploration(measured):
    """The exploration's key beside the plot: its rows break between whole
    pieces ('minimum 2', '(-2.8, 3.1)', '26%') rather than run past the frame."""
    if not set(CUT) & set(measured["lessons"]):
        return  # not loaded at this size
    found = per_lesson(measured, lambda p, f: f["cut"])
    assert {k: v for k, v in found.items() if k in CUT} == {}


NETWORK_LESSONS = ("initialization", "activations", "transfer", "labels")


def test_a_network_lessons_accuracies_are_on_the_screen(measured):
    def missing(p, f):
        return [] if "%" in f["text"] else ["no accuracy on the screen"]

    found = per_lesson({"lessons": {k: v for k, v in measured["lessons"].items() if k in NETWORK_LESSONS}}, missing)
    assert found == {}
