"""Predict, then play, in Chromium: a question answered by a click at 1280 x
720, by a finger on a phone (390 x 844 and 360 x 740, touch, mobile
emulation) and by the keyboard alone, each kind; the grading the player
does agrees with Python's on shared cases; the offline file and an
embedded view ask with no help; the page fits a phone (nothing covers the
player, no sideways scrolling, no text under 16 px, a finger over the plot
scrolls the page); every control has an accessible name.

Screenshots of three lessons asking and answered, on a phone and presented
at 1280 x 720, go to artifacts/screens/predict/, to be looked at.
"""

from __future__ import annotations

import itertools
import math
import re
import sys

import pytest
from pages import IDLE, ROOT, open_offline, player_frame, player_stats, wait_until

from visualizer import Scene, export
from visualizer.core import quiz
from visualizer.core.lessons import LESSONS
from visualizer.core.questions import GRADING, Question
from visualizer.page.classroom import embed_snippet

sys.path.insert(0, str(ROOT / "benchmarks"))
from page_fit import COVER_JS, FIT_JS, PHONE_UA, SCROLL_TOP_JS, SCROLLER_JS, SMALL_TEXT_JS  # noqa: E402

pytestmark = pytest.mark.browser

SHOTS = ROOT / "artifacts" / "screens" / "predict"
PLAYER = 'iframe[title="visualizer.page.player.player"]'
# Drawn, and asking (the charts wait for the answer, so PLAYER_DREW_JS's
# side chart is not there yet).
ASKING_JS = """() => !!(window.__playerStats && window.__playerStats.renders > 0 && window.__player.quiz &&
  window.__player.quiz.stats.asked > 0 && document.querySelector('#plot2d .main-svg'))"""
PHONES = {"390x844": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3},
          "360x740": {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2}}


# ---------------------------------------------------------------- helpers


def open_asking(page, server, query: str):
    page.goto(server.url + "?" + query)
    page.wait_for_selector(IDLE, state="attached", timeout=90_000)
    return player_frame(page, ready_js=ASKING_JS, message=lambda: f"?{query}: no question\n{server.log()[-1500:]}")


def state(frame) -> dict:
    return frame.evaluate("""() => ({stats: JSON.parse(JSON.stringify(window.__playerStats)),
      quiz: JSON.parse(JSON.stringify(window.__player.quiz.stats)),
      predict: JSON.parse(JSON.stringify(window.__player.quiz.predict)),
      charts: !document.getElementById('charts').hidden,
      verdicts: [...document.querySelectorAll('#quiz .verdict')].map((v) => v.className.replace('verdict ', '')),
      why: [...document.querySelectorAll('#quiz .why')].map((v) => v.textContent),
      after: document.querySelector('#quiz .after') ? document.querySelector('#quiz .after').textContent : ''})""")


def runs_drawn(frame) -> bool:
    return any(layer.startswith("paths:") and layer != "paths:" for layer in player_stats(frame)["layers"])


def assert_asking(frame) -> None:
    s = state(frame)
    assert s["stats"]["asking"] and s["stats"]["step"] == 0 and not s["stats"]["playing"]
    assert not runs_drawn(frame), s["stats"]["layers"]
    assert not s["charts"], "the charts wait for the answer"
    assert frame.locator("#btn-play").is_disabled() and frame.locator("#scrub").is_disabled()
    assert frame.locator("#legend .diverged").evaluate_all("(els) => els.every((e) => !e.offsetParent)")


def assert_revealed(frame, page, lesson_id: str | None) -> dict:
    """The answer beside the truth (a verdict, or "skipped"), why, what the
    lesson says; the paths and the charts back."""
    wait_until(page, lambda: state(frame)["quiz"]["revealed"] > 0, "the answer was not revealed")
    wait_until(page, lambda: runs_drawn(frame) and state(frame)["charts"], "the paths and charts did not come back")
    s = state(frame)
    assert not s["stats"]["asking"]
    assert s["verdicts"] and all(v in ("right", "close", "wrong", "skipped") for v in s["verdicts"]), s["verdicts"]
    if lesson_id is not None:
        assert s["why"] == [quiz.lesson_question(lesson_id, None).why]
    return s


def page_summary_shown(page) -> bool:
    return page.evaluate("() => !![...document.querySelectorAll('[data-testid=stMarkdownContainer] table')].length")


def fit(page) -> dict:
    page.evaluate(SCROLLER_JS, PLAYER)
    out = {"fit": page.evaluate(FIT_JS, PLAYER)}
    for end, block in (("top", "start"), ("bottom", "end")):
        page.evaluate("([sel, block]) => document.querySelector(sel).scrollIntoView({block: block})", [PLAYER, block])
        page.wait_for_timeout(300)
        out[end] = page.evaluate(COVER_JS, PLAYER)
    return out


def swipe_scrolls(page, cdp, x: float, y: float) -> float:
    before = page.evaluate(SCROLL_TOP_JS)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, 11):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y - 15 * i}]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(500)
    return page.evaluate(SCROLL_TOP_JS) - before


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


# ---------------------------------------------------------------- grading, both sides


def grading_cases() -> list[tuple[dict, object]]:
    """(a question as the player gets it, a response): every lesson's
    question with its own answer and responses around it, each kind's
    responses across its grading bounds, and responses it refuses. (A
    whole float such as 1.0 is left out: JavaScript cannot tell it from 1.)"""
    cases: list[tuple[dict, object]] = []
    point = Question("point", "?", [0.5, -1.25], ".", run=1, step=3, diagonal=8.48528137423857)
    number = Question("number", "?", 0.19919638847327809, ".", run=1, quantity="largest_stable_lr")
    choice = Question("choice", "?", 1, ".", choices=("a", "b", "c"))
    order = Question("order", "?", [2, 3, 1, 4], ".", choices=("a", "b", "c", "d"), runs=4)
    d = point.diagonal
    for share, angle in itertools.product((0, 0.02, 0.049, 0.051, 0.12, 0.149, 0.151, 0.4, 3), (0, 1, 2.5)):
        cases.append((point, [0.5 + share * d * math.cos(angle), -1.25 + share * d * math.sin(angle)]))
    for off in (0, 0.05, 0.099, 0.101, 0.2, 0.299, 0.301, 0.9, 4):
        cases += [(number, number.answer * (1 + off)), (number, number.answer * (1 - min(off, 0.95)))]
    cases += [(choice, k) for k in range(3)]
    cases += [(order, list(p)) for p in itertools.permutations([1, 2, 3, 4])]
    refused = {"choice": [None, "1", True, 1.5, -1, 3, [1]], "point": [None, [1], [1, 2, 3], ["a", 1], [True, 1], 5],
               "order": [[1, 1, 2, 3], [1, 2, 3], [0, 1, 2, 3], [1, 2, 3, 5], "1234", [1, 2, 3, 4.5]],
               "number": [0, -1, "0.2", None, True, [0.2]]}
    for q in (choice, point, order, number):
        cases += [(q, r) for r in refused[q.kind]]
    for lesson in LESSONS.values():
        for index in [None, *range(len(lesson.steps))]:
            if index is not None and lesson.steps[index].question is None:
                continue
            q = quiz.lesson_question(lesson.id, index)
            cases.append((q, q.answer))
    return [(q.describe(), r) for q, r in cases]


def test_the_players_grading_is_pythons(offline_page, tmp_path):
    path = tmp_path / "grading.html"
    path.write_bytes(export.html_bytes(Scene.from_query("surface=quadratic&steps=5&run=sgd:lr=0.1")))
    open_offline(offline_page, path)
    cases = grading_cases()
    theirs = offline_page.evaluate("""([cases, table]) => cases.map(([q, r]) => {
      try { return window.__player.quiz.grade(q, r, table); } catch (e) { return null; } })""", [cases, GRADING])
    for (described, response), got in zip(cases, theirs, strict=True):
        q = Question.from_description(described)
        try:
            want = q.grade(response)
        except ValueError:
            assert got is None, (described, response, got)
            continue
        assert got is not None, (described, response)
        assert (got["verdict"], got["detail"]) == (want.verdict, want.detail), (described, response)
        assert got["score"] == pytest.approx(want.score, rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------- a click, at 1280 x 720


def test_a_choice_answered_by_a_click_then_it_plays_and_the_page_shows_the_outcome(app_server, page):
    page.set_viewport_size({"width": 1280, "height": 720})
    frame = open_asking(page, app_server, "lesson=momentum&predict=1")
    assert_asking(frame)
    assert not page_summary_shown(page), "the page keeps the table back"
    q = quiz.lesson_question("momentum", None)
    frame.locator("#quiz .choice").nth(q.answer).click()
    frame.locator("#quiz .check").click()
    s = assert_revealed(frame, page, "momentum")
    assert s["verdicts"] == ["right"]
    assert s["stats"]["playing"] or s["stats"]["step"] > 0, "it plays"
    assert frame.locator("#quiz .choice.truth").inner_text().startswith(q.choices[q.answer])
    wait_until(page, lambda: page_summary_shown(page), "the page did not show its table once answered")
    assert "What happens:" in page.locator(".st-key-lesson-text").inner_text()
    assert "predict=1" in page.evaluate("() => location.search"), "the address keeps asking"
    assert not page.problems, page.problems


# ---------------------------------------------------------------- a finger, on phones


@pytest.mark.parametrize("size", PHONES)
def test_a_point_answered_by_a_tap_on_a_phone_that_fits(browser, app_server, size):
    ctx = browser.new_context(is_mobile=True, has_touch=True, user_agent=PHONE_UA, **PHONES[size])
    page = ctx.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        frame = open_asking(page, app_server, "lesson=starts&predict=1")
        assert_asking(frame)
        assert state(frame)["stats"]["mode"] == "phone"
        assert frame.evaluate("() => window.__player.explore.basins") == 0, "where each start ends: kept back"
        assert frame.locator("#explore").is_hidden()
        measured = fit(page)
        assert not measured["fit"]["sideways"], measured["fit"]
        assert measured["fit"]["past_right"] == 0 and measured["fit"]["past_bottom"] == 0, measured["fit"]
        for end in ("top", "bottom"):
            assert measured[end]["covered"] == 0, (end, measured[end])
        assert page.evaluate(SMALL_TEXT_JS, 16) == [] and frame.evaluate(SMALL_TEXT_JS, 16) == []
        # the plot and the question with its Check button on one screen
        page.evaluate("(sel) => document.querySelector(sel).scrollIntoView({block: 'start'})", PLAYER)
        page.wait_for_timeout(300)
        top = frame.locator("#plot2d").bounding_box()["y"]
        check = frame.locator("#quiz .check").bounding_box()
        assert check["y"] + check["height"] - top <= PHONES[size]["viewport"]["height"], (top, check)
        shoot(page, f"starts-{size}-asking")
        # a finger over the plot scrolls the page
        cdp = ctx.new_cdp_session(page)
        pick = frame.locator("#answer-pick").bounding_box()
        assert abs(swipe_scrolls(page, cdp, pick["x"] + pick["width"] / 2, pick["y"] + pick["height"] * 0.8)) > 50
        page.evaluate("(sel) => document.querySelector(sel).scrollIntoView({block: 'start'})", PLAYER)
        page.wait_for_timeout(300)
        pick = frame.locator("#answer-pick").bounding_box()
        page.touchscreen.tap(pick["x"] + pick["width"] * 0.8, pick["y"] + pick["height"] * 0.75)
        wait_until(page, lambda: "answer" in player_stats(frame)["layers"], "the tap placed no answer")
        xy = [float(frame.locator("#quiz .xy input").nth(i).input_value().replace("\u2212", "-")) for i in (0, 1)]
        assert xy[0] > 1 and xy[1] < -1, f"a tap right and low on Himmelblau's window: {xy}"
        frame.locator("#quiz .check").tap()
        s = assert_revealed(frame, page, "starts")
        want = quiz.lesson_question("starts", None).grade(xy).verdict
        assert s["verdicts"] == [want]
        assert frame.evaluate("() => window.__player.explore.basins") > 0, "the basins, once answered"
        assert frame.locator("#explore").is_visible()
        frame.locator("#quiz").scroll_into_view_if_needed()
        shoot(page, f"starts-{size}-answered")
        # play and scrub with a thumb
        frame.locator("#btn-play").tap()
        page.wait_for_timeout(200)
        box = frame.locator("#scrub").bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2)
        wait_until(page, lambda: not player_stats(frame)["playing"] and 0 < player_stats(frame)["step"] < 300 * 0.5,
                   lambda: f"the scrubber did not take the tap: {player_stats(frame)}")
        assert not problems, problems
    finally:
        ctx.close()


# ---------------------------------------------------------------- the keyboard alone


def tab_into_quiz(page, frame, limit: int = 60) -> None:
    """Tab from the top of the page until the focus is in the question."""
    page.locator("body").press("Home")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if frame.evaluate("() => !!(document.activeElement && document.activeElement.closest('#quiz, #answer-pick'))"):
            return
    raise AssertionError("Tab never reached the question")


def tab_to(page, frame, selector: str, limit: int = 80) -> None:
    """Tab on until `selector` (in the player) has the focus."""
    for _ in range(limit):
        if frame.evaluate("(sel) => document.activeElement === document.querySelector(sel)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def focused(frame) -> str:
    return frame.evaluate("() => document.activeElement ? (document.activeElement.id || "
                          "document.activeElement.className || document.activeElement.tagName) : ''")


def test_each_kind_answered_from_the_keyboard_then_played_from_it(app_server, page):
    page.set_viewport_size({"width": 1280, "height": 720})
    # a choice: Tab to it, Space picks it, Tab to Check, Enter
    frame = open_asking(page, app_server, "lesson=momentum&predict=1&present=1")
    tab_into_quiz(page, frame)
    page.keyboard.press("Space")
    tab_to(page, frame, "#quiz .check")
    page.keyboard.press("Enter")
    assert_revealed(frame, page, "momentum")
    # playback: Space pauses, the arrows step, Home and End go to the ends, the scrubber takes the arrows
    page.keyboard.press("Escape")
    frame.evaluate("() => document.activeElement.blur()")
    page.locator("body").press("Space")
    wait_until(page, lambda: not player_stats(frame)["playing"], "Space did not pause")
    page.keyboard.press("Home")
    wait_until(page, lambda: player_stats(frame)["step"] == 0, "Home did not go to step 0")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    wait_until(page, lambda: player_stats(frame)["step"] == 2, "the arrows did not step")
    page.keyboard.press("End")
    wait_until(page, lambda: player_stats(frame)["step"] == 150, "End did not go to the last step")
    tab_to(page, frame, "#scrub")
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    wait_until(page, lambda: player_stats(frame)["step"] == 1, "the scrubber did not take the keys")

    # an order: Enter on each run in turn, then Check
    frame = open_asking(page, app_server, "lesson=schedules&predict=1&present=1")
    tab_into_quiz(page, frame)
    q = quiz.lesson_question("schedules", None)
    for run in q.answer:
        tab_to(page, frame, f"#quiz .order .run[data-run='{run}']")
        page.keyboard.press("Enter")
    tab_to(page, frame, "#quiz .check")
    page.keyboard.press("Enter")
    assert assert_revealed(frame, page, "schedules")["verdicts"] == ["right"]

    # a point: the arrows move the answer on the plot, Enter checks
    frame = open_asking(page, app_server, "lesson=starts&predict=1&present=1")
    tab_into_quiz(page, frame)
    assert focused(frame) == "answer-pick", "the plot comes before the question"
    for key in ("ArrowRight", "ArrowRight", "ArrowDown"):
        page.keyboard.press("Shift+" + key)
    xy = [float(frame.locator("#quiz .xy input").nth(i).input_value().replace("\u2212", "-")) for i in (0, 1)]
    assert xy == pytest.approx([2.0, -1.0]), "from the window's centre, two tenths right and one down"
    page.keyboard.press("Enter")
    s = assert_revealed(frame, page, "starts")
    assert s["verdicts"] == [quiz.lesson_question("starts", None).grade(xy).verdict]

    # a number: typed, Enter
    frame = open_asking(page, app_server, "lesson=learning-rate&predict=1&present=1")
    tab_into_quiz(page, frame)
    assert frame.evaluate("() => document.activeElement.tagName") == "INPUT"
    page.keyboard.type("0.2")
    page.keyboard.press("Enter")
    s = assert_revealed(frame, page, "learning-rate")
    assert s["verdicts"] == ["right"], "0.2 against 0.199"


# ---------------------------------------------------------------- names, presentation, offline, embedded


def test_every_control_has_an_accessible_name(app_server, page):
    page.set_viewport_size({"width": 1280, "height": 720})
    for query in ("lesson=starts&predict=1", "lesson=schedules&predict=1", "lesson=learning-rate&predict=1",
                  "lesson=momentum&predict=1"):
        frame = open_asking(page, app_server, query)
        tree = frame.locator("body").aria_snapshot()
        unnamed = [line.strip() for line in tree.splitlines()
                   if re.match(r"\s*- (button|textbox|slider|combobox|checkbox|application)\s*(\[|:|$)", line)]
        assert not unnamed, (query, unnamed)
        for name in ("Play", "Step back", "Step forward", "Restart from step 0", "Playback speed", "Step"):
            assert re.search(rf'"{re.escape(name)}"', tree), (query, name)


def test_presented_at_1280_the_question_stands_beside_the_plot(app_server, page):
    page.set_viewport_size({"width": 1280, "height": 720})
    for lesson_id in ("momentum", "schedules", "starts"):
        frame = open_asking(page, app_server, f"lesson={lesson_id}&predict=1&present=1")
        assert_asking(frame)
        plot = frame.locator("#plot2d").bounding_box()
        check = frame.locator("#quiz .check").bounding_box()
        assert check["x"] > plot["x"] + plot["width"] * 0.9, "beside the plot"
        assert check["y"] + check["height"] <= 720, "on the screen"
        assert frame.evaluate(SMALL_TEXT_JS, 18) == [], "the back of the room reads it"
        shoot(page, f"{lesson_id}-present-1280x720-asking")
        frame.locator("#quiz .skip").click()
        assert_revealed(frame, page, lesson_id)
        page.wait_for_timeout(1500)
        shoot(page, f"{lesson_id}-present-1280x720-answered")


@pytest.mark.parametrize("size", PHONES)
def test_three_lessons_ask_on_a_phone(browser, app_server, size):
    """Screenshots to look at, and what every phone page promises."""
    ctx = browser.new_context(is_mobile=True, has_touch=True, user_agent=PHONE_UA, **PHONES[size])
    page = ctx.new_page()
    try:
        for lesson_id in ("momentum", "schedules", "learning-rate"):
            frame = open_asking(page, app_server, f"lesson={lesson_id}&predict=1")
            measured = fit(page)
            assert not measured["fit"]["sideways"] and measured["top"]["covered"] == 0, (lesson_id, measured)
            assert page.evaluate(SMALL_TEXT_JS, 16) == [] and frame.evaluate(SMALL_TEXT_JS, 16) == [], lesson_id
            page.evaluate("(sel) => document.querySelector(sel).scrollIntoView({block: 'start'})", PLAYER)
            page.wait_for_timeout(300)
            shoot(page, f"{lesson_id}-{size}-asking")
            frame.locator("#quiz .skip").tap()
            assert_revealed(frame, page, lesson_id)
            frame.locator("#quiz").scroll_into_view_if_needed()
            page.wait_for_timeout(1200)
            shoot(page, f"{lesson_id}-{size}-answered")
    finally:
        ctx.close()


def test_the_offline_file_is_a_quiz_with_no_server(offline_page, tmp_path):
    path = tmp_path / "quiz.html"
    path.write_bytes(export.html_bytes(Scene.from_query("lesson=nesterov&predict=1")))
    open_offline(offline_page, path, ASKING_JS)
    frame = offline_page.main_frame
    assert_asking(frame)
    q = quiz.lesson_question("nesterov", None)
    frame.locator("#quiz .choice").nth(1 - q.answer).click()
    frame.locator("#quiz .check").click()
    s = assert_revealed(frame, offline_page, "nesterov")
    assert s["verdicts"] == ["wrong"]
    assert s["after"] == LESSONS["nesterov"].after, "no page around it: the player says what the lesson says"
    assert offline_page.requests == [path.as_uri()], "nothing fetched"
    assert not offline_page.problems, offline_page.problems


def test_a_question_works_embedded_in_another_page(browser, app_server):
    ctx = browser.new_context(viewport={"width": 900, "height": 900})
    page = ctx.new_page()
    try:
        src = app_server.url + "?lesson=newton&predict=1&embed=1"
        page.set_content(f"<!doctype html><h1>A post</h1><p>Words.</p>{embed_snippet(src, 'Newton')}<p>More.</p>")
        frame = None
        embedded = [f for f in page.frames if f.parent_frame == page.main_frame]
        wait_until(page, lambda: embedded or embedded.extend(f for f in page.frames if f.parent_frame == page.main_frame),
                   "the embed did not load", 60)
        host = embedded[0]

        def player():
            nonlocal frame
            for child in host.child_frames:
                try:
                    if child.evaluate(ASKING_JS):
                        frame = child
                        return True
                except Exception:  # noqa: BLE001 - a frame being replaced
                    pass
            return False

        wait_until(page, player, "the embedded player did not ask", 90)
        assert host.evaluate("() => !document.querySelector('[data-testid=stSidebar]') || "
                             "!document.querySelector('[data-testid=stSidebar]').offsetWidth")
        assert host.evaluate("() => !document.querySelector('h3')"), "no title around the player"
        q = quiz.lesson_question("newton", None)
        for run in q.answer:
            frame.locator(f"#quiz .order .run[data-run='{run}']").click()
        frame.locator("#quiz .check").click()
        s = assert_revealed(frame, page, "newton")
        assert s["verdicts"] == ["right"] and s["after"] == LESSONS["newton"].after
        box = page.locator("iframe").bounding_box()
        app = frame.evaluate("() => document.getElementById('app').getBoundingClientRect().height")
        assert app <= box["height"], "the player fits its frame"
    finally:
        ctx.close()
