"""A live class in Chromium against `streamlit run app.py` (its routes
served beside the page, the store a fresh SQLite file): one teacher at
1280 x 720 and three students on phones (390 x 844, touch, mobile
emulation), each phone a browser of its own (its own anonymous id).

The students join by the student link the teacher's panel shows; they
answer a choice (one changes their mind: answering again replaces); the
teacher's screen counts them and draws the bars; the teacher moves to the
lesson's next step and every phone follows within 2 s, without a page
rerun or a reload; the students tap where the run will be and send it;
the teacher's screen draws the cloud of points; Reveal plays on every
phone with each answer graded; a student who reloads sees the answer they
sent; a phone that lost the class and answers too late is told why, and
comes back to the class; Close reaches every phone. A second test draws orders and numbers (sent over HTTP, as phones
send them) on the teacher's presented screen; a third moves a phone to a free-play scene's next question.

Screenshots of the phones and of the teacher's tally go to
/work/shots/live/ (artifacts/screens/live/ where that folder cannot be
made), to be looked at.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from pages import IDLE, PLAYER, ROOT, load_factor, player_frame, player_stats, wait_until

from visualizer.core.lessons import LESSONS
from visualizer.live import store
from visualizer.page import classroom

sys.path.insert(0, str(ROOT / "benchmarks"))
from page_fit import COVER_JS, FIT_JS, PHONE_UA, SMALL_TEXT_JS  # noqa: E402
from stclient import LocalServer  # noqa: E402

pytestmark = pytest.mark.browser

TEACHER = {"viewport": {"width": 1280, "height": 720}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True,
         "user_agent": PHONE_UA}
SENT = "\u2713 Sent"  # the Send button once what it shows was sent
FOLLOW_S = 2.0  # a phone follows the teacher's move within this (stretched by the machine's load)
# The player has drawn its 2D plot (while a question is open the charts wait).
# A phone that wakes up: the player polls again at once.
WAKE_JS = "() => document.dispatchEvent(new Event('visibilitychange'))"
DREW_JS = "() => !!(window.__playerStats && window.__playerStats.renders > 0 && document.querySelector('#plot2d .main-svg'))"
LIVE_JS = """() => ({live: JSON.parse(JSON.stringify(window.__player.live.stats)),
  tally: JSON.parse(JSON.stringify(window.__player.live.tally)),
  quiz: JSON.parse(JSON.stringify(window.__player.quiz.stats)),
  asking: window.__playerStats.asking, playing: window.__playerStats.playing, frames: window.__playerStats.frames,
  renders: window.__playerStats.renders,
  prompt: (document.querySelector('#quiz .prompt') || {}).textContent || '',
  line: (document.querySelector('#quiz .line:not([hidden])') || {}).textContent || '',
  check: (document.querySelector('#quiz .check') || {}).textContent || '',
  skip: !!(document.querySelector('#quiz .skip') && document.querySelector('#quiz .skip').offsetParent),
  verdicts: [...document.querySelectorAll('#quiz .verdict')].map((v) => v.className.replace('verdict ', '')),
  values: (document.querySelector('#quiz .values') || {}).textContent || ''})"""


def shots_folder() -> Path:
    for folder in (Path("/work/shots/live"), ROOT / "artifacts" / "screens" / "live"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return folder
        except OSError:
            continue
    raise AssertionError("no folder for the screenshots")


SHOTS = shots_folder()


@pytest.fixture(scope="module")
def class_server(chromium_path, tmp_path_factory):
    """`streamlit run app.py` with its class store a fresh SQLite file."""
    data = tmp_path_factory.mktemp("classes")
    server = LocalServer(script="app.py", env={store.DATA_DIR_ENV: str(data), store.STORE_ENV: ""},
                         args=["--browser.gatherUsageStats=false"],
                         log_path=tmp_path_factory.mktemp("live-log") / "app.log").start(timeout=120)
    yield server
    server.stop()


class Screen:
    """A page in a browser context of its own (its own cookies and
    localStorage: its own student), with its console's errors."""

    def __init__(self, browser, options: dict, name: str):
        self.name = name
        self.ctx = browser.new_context(**options)
        self.page = self.ctx.new_page()
        self.page.set_default_timeout(60_000)
        self.problems: list[str] = []
        self.page.on("pageerror", lambda e: self.problems.append(f"{name} pageerror: {e}"))
        self.page.on("console", lambda m: self.problems.append(f"{name} console: {m.text}") if m.type == "error" else None)
        self.frame = None

    def open(self, url: str, ready_js: str = DREW_JS):
        self.page.goto(url)
        self.page.wait_for_selector(IDLE, state="attached", timeout=120_000)
        self.frame = player_frame(self.page, ready_js=ready_js, timeout_s=120)
        return self.frame

    def live(self) -> dict:
        return self.frame.evaluate(LIVE_JS)

    def wait(self, predicate, message: str, timeout_s: float = 30) -> dict:
        wait_until(self.page, lambda: predicate(self.live()), lambda: f"{self.name}: {message}: {self.live()}",
                   timeout_s)
        return self.live()

    def shoot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"{name}.png"))

    def close(self) -> None:
        self.ctx.close()


def start_class(teacher: Screen, url: str) -> tuple[str, str]:
    """The teacher opens `url` and starts a class: (the student link, the code)."""
    teacher.open(url)
    teacher.page.get_by_role("button", name="Start a class").click()
    teacher.page.wait_for_selector(".st-key-class-panel", state="attached")
    teacher.page.wait_for_selector(IDLE, state="attached")
    link = teacher.page.locator('.st-key-class-panel [data-testid="stCode"] code').first.inner_text().strip()
    code = link.rsplit("=", 1)[1]
    teacher.frame = player_frame(teacher.page, ready_js=DREW_JS)
    teacher.wait(lambda s: s["live"]["role"] == "teacher" and s["live"]["code"] == code, "not the class's teacher")
    return link, code


def click_step(teacher: Screen, index: int) -> None:
    teacher.page.locator(f".st-key-step{index} [data-testid^='stBaseButton']").filter(visible=True).first.click()


def show_player(screen: Screen) -> None:
    screen.page.evaluate("(sel) => document.querySelector(sel).scrollIntoView({block: 'start'})", PLAYER)
    screen.page.wait_for_timeout(400)


def phone_fits(phone: Screen) -> None:
    """Nothing covers the player, nothing scrolls sideways, no text under 16 px."""
    show_player(phone)
    fit = phone.page.evaluate(FIT_JS, PLAYER)
    assert not fit["sideways"] and fit["past_right"] == 0 and fit["past_bottom"] == 0, fit
    assert phone.page.evaluate(COVER_JS, PLAYER)["covered"] == 0
    assert phone.page.evaluate(SMALL_TEXT_JS, 16) == [] and phone.frame.evaluate(SMALL_TEXT_JS, 16) == []


def tap_plot(phone: Screen, fx: float, fy: float) -> None:
    show_player(phone)
    pick = phone.frame.locator("#answer-pick").bounding_box()
    phone.page.touchscreen.tap(pick["x"] + pick["width"] * fx, pick["y"] + pick["height"] * fy)


def send(phone: Screen) -> dict:
    phone.frame.locator("#quiz .check").tap()
    return phone.wait(lambda s: s["check"] == SENT and s["line"].startswith("Sent."), "not sent")


def test_a_class_of_three_phones_follows_answers_and_sees_the_reveal(browser, class_server, timings):
    lesson = LESSONS["learning-rate"]  # step 1 asks a choice, step 2 where a run is after one step
    teacher = Screen(browser, TEACHER, "teacher")
    phones = [Screen(browser, PHONE, f"phone{i}") for i in range(3)]
    try:
        link, code = start_class(teacher, class_server.url + "?" + classroom.step_scene(lesson, 0).to_query())
        assert link.endswith(f"/?class={code}") and "teacher" not in link
        t = teacher.live()
        assert t["asking"] and t["tally"]["kind"] == "choice" and t["tally"]["answered"] == 0
        assert teacher.frame.locator("#quiz .check").is_hidden(), "the teacher's screen asks nobody"

        # ------------------------------------------------ the students join
        for phone in phones:
            phone.open(link.replace("localhost", "127.0.0.1"))
            s = phone.wait(lambda s: s["live"]["role"] == "student" and s["live"]["polls"] > 0, "did not join")
            assert s["asking"] and s["prompt"] == "lr 0.19 or 0.21: which one comes back?"
            assert s["check"] == "Send" and not s["skip"], "no \"Just play\": the class's question waits"
            assert phone.page.locator('[data-testid="stSidebar"]').is_hidden()
            assert phone.page.get_by_text(f"Class {code}").first.is_visible()
            assert not phone.page.get_by_role("button", name="Start a class").count()
            assert not phone.page.get_by_role("link", name="Present").count()
            phone_fits(phone)
        ids = {phone.live()["live"]["student"] for phone in phones}
        assert len(ids) == 3, "each phone its own anonymous id"

        # ------------------------------------------------ a choice
        for phone, choice in zip(phones, (0, 1, 1), strict=True):
            phone.frame.locator("#quiz button.choice").nth(choice).tap()
            send(phone)
        teacher.wait(lambda s: s["tally"]["answered"] == 3 and s["tally"]["counts"] == [1, 2], "no count")
        phones[2].frame.locator("#quiz button.choice").nth(0).tap()
        assert phones[2].live()["check"] == "Send", "a changed answer can be sent again"
        send(phones[2])
        t = teacher.wait(lambda s: s["tally"]["counts"] == [2, 1], "the second answer did not replace the first")
        assert t["tally"]["answered"] == 3 and t["asking"], "the paths wait for the reveal on the projector too"
        bars = teacher.frame.locator("#quiz .room .bar .n").all_inner_texts()
        assert bars == ["2", "1"]
        show_player(teacher)
        teacher.shoot("teacher-choice-1280x720")

        # ------------------------------------------------ the teacher moves on: every phone follows
        for phone in phones:
            phone.page.evaluate("() => { window.__sameDocument = true; }")
        before = [phone.live() for phone in phones]
        t0 = time.monotonic()
        click_step(teacher, 1)
        seconds = []
        for phone in phones:
            phone.wait(lambda s: s["prompt"] == "Tap where lr 1 will be after one step.", "did not follow",
                       timeout_s=30)
            seconds.append(time.monotonic() - t0)
        timings["live_follow_s"] = {"phones": [round(v, 2) for v in seconds], "load_factor": round(load_factor(), 2)}
        assert max(seconds) <= FOLLOW_S * load_factor(), seconds
        for phone, was in zip(phones, before, strict=True):
            s = phone.live()
            assert s["live"]["follows"] == was["live"]["follows"] + 1 and s["live"]["version"] == 2
            assert s["asking"] and s["check"] == "Send" and s["line"] == "", "a new question, not answered yet"
            assert phone.page.evaluate("() => window.__sameDocument === true"), "no reload"
            assert phone.page.evaluate("() => location.search") .startswith(f"?class={code}")
        teacher.page.wait_for_selector(IDLE, state="attached")
        teacher.wait(lambda s: s["tally"]["kind"] == "point" and s["live"]["version"] == 2, "the teacher's screen")

        # ------------------------------------------------ a point, tapped
        for phone, (fx, fy) in zip(phones, ((0.55, 0.45), (0.62, 0.4), (0.35, 0.7)), strict=True):
            tap_plot(phone, fx, fy)
            phone.wait(lambda s: s["check"] == "Send", "the tap placed no answer")
            send(phone)
            phone.shoot(f"{phone.name}-sent-390x844")
        t = teacher.wait(lambda s: s["tally"]["answered"] == 3 and s["tally"]["drawn"] == 3, "no cloud of points")
        assert "room" in player_stats(teacher.frame)["layers"]
        show_player(teacher)
        teacher.shoot("teacher-points-1280x720")

        # ------------------------------------------------ a reload before the reveal keeps the answer
        sent = [float(v.replace("\u2212", "-")) for v in
                phones[0].frame.locator("#quiz .xy input").evaluate_all("(els) => els.map((e) => e.value)")]
        phones[0].open(link.replace("localhost", "127.0.0.1"))
        s = phones[0].wait(lambda s: s["check"] == SENT and s["line"].startswith("Your answer is in"),
                           "the answer sent before the reload is not shown")
        again = [float(v.replace("\u2212", "-")) for v in
                 phones[0].frame.locator("#quiz .xy input").evaluate_all("(els) => els.map((e) => e.value)")]
        assert again == sent and s["asking"]

        # ------------------------------------------------ Reveal plays on every phone
        teacher.page.get_by_role("button", name="Reveal").click()
        for phone in phones:
            s = phone.wait(lambda s: s["quiz"]["revealed"] >= 1 and not s["asking"] and s["frames"] > 0,
                           "the reveal did not play")
            assert s["verdicts"] and s["verdicts"][0] in ("right", "close", "wrong"), s
            assert s["values"].startswith("You: (") and "Answer: (" in s["values"]
        for phone in phones:
            phone.shoot(f"{phone.name}-revealed-390x844")
        t = teacher.wait(lambda s: s["tally"]["revealed"] and s["tally"]["grades"] and not s["asking"],
                         "the teacher's screen was not revealed")
        assert sum(t["tally"]["grades"].values()) == 3
        teacher.wait(lambda s: s["frames"] > 0, "the teacher's screen did not play")
        show_player(teacher)
        teacher.shoot("teacher-revealed-1280x720")

        # ------------------------------------------------ a reload after it: the answer and its grade
        graded = phones[1].live()["verdicts"]
        phones[1].open(link.replace("localhost", "127.0.0.1"))
        s = phones[1].wait(lambda s: s["quiz"]["revealed"] >= 1 and s["verdicts"], "no answer after the reload")
        assert s["verdicts"] == graded and s["values"].startswith("You: ("), s

        # ------------------------------------------------ a late answer: refused, with its reason
        click_step(teacher, 2)
        for phone in phones:
            phone.wait(lambda s: s["prompt"] == "What will lr 0.022 do in 100 steps?", "did not follow")
        late = phones[2]
        polls = lambda url: f"/api/class/{code}?" in url  # noqa: E731 - the phone's polls, not its answers
        late.page.route(polls, lambda route: route.abort())
        late.frame.evaluate(WAKE_JS)  # its poll held on the server is dropped: it hears nothing now
        late.wait(lambda s: s["live"]["note"].startswith("Reconnecting"), "no word of the lost connection")
        teacher.page.wait_for_selector(IDLE, state="attached")
        teacher.page.get_by_role("button", name="Reveal").click()
        teacher.wait(lambda s: s["tally"]["revealed"] and s["tally"]["kind"] == "choice", "not revealed")
        late.frame.locator("#quiz button.choice").nth(0).tap()
        late.frame.locator("#quiz .check").tap()
        s = late.wait(lambda s: s["line"] == "Not sent: too late: the answer has been revealed", "no reason shown")
        assert s["check"] == "Send" and late.frame.locator("#quiz .line.warn").is_visible() and s["asking"]
        late.page.unroute(polls)
        late.frame.evaluate(WAKE_JS)
        late.wait(lambda s: s["live"]["revealed"] >= 2 and not s["asking"] and s["live"]["note"] == "",
                  "the phone did not come back to the class")

        # ------------------------------------------------ Close: every phone says so, the scene stays
        teacher.page.get_by_role("button", name="Close the class").click()
        for phone in phones:
            s = phone.wait(lambda s: s["live"]["closed"], "the phone did not hear of the close")
            assert s["live"]["note"].startswith("Your teacher has closed this class") and not s["asking"]
            assert phone.frame.locator("#class-note").is_visible() and phone.frame.locator("#quiz").is_hidden()
        for screen in (teacher, *phones):
            # (the late phone's blocked polls and its refused answer are logged as failed loads)
            problems = [p for p in screen.problems if not (screen is late and "Failed to load resource" in p)]
            assert not problems, problems
    finally:
        for screen in (teacher, *phones):
            screen.close()


def _post(server, path: str, body: dict) -> dict:
    request = urllib.request.Request(server.url.rstrip("/") + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _view(server, code: str) -> dict:
    with urllib.request.urlopen(server.url + f"api/class/{code}", timeout=30) as response:
        return json.loads(response.read())


def test_the_teachers_presented_screen_draws_orders_and_numbers(browser, class_server):
    lesson = LESSONS["momentum"]  # step 2 orders three runs by arrival, step 3 asks a step number
    teacher = Screen(browser, TEACHER, "teacher")
    try:
        _, code = start_class(teacher, class_server.url + "?" + classroom.step_scene(lesson, 1).to_query())
        present = teacher.page.get_by_role("link", name="Present").get_attribute("href")
        assert f"class={code}&teacher=" in present, "presenting, the page stays the teacher's"
        teacher.open(class_server.url + present.lstrip("/"))
        assert teacher.live()["tally"]["kind"] == "order"
        key = _view(class_server, code)["key"]
        for order in ([2, 1, 3], [2, 1, 3], [1, 2, 3], [2, 3, 1]):
            _post(class_server, f"/api/class/{code}/answer",
                  {"student": secrets.token_urlsafe(12), "key": key, "response": order})
        teacher.wait(lambda s: s["tally"]["answered"] == 4 and s["tally"]["orders"] == 3, "no orders")
        assert teacher.frame.locator("#quiz .room .bar .n").all_inner_texts() == ["1", "3", "0"], "put first"
        assert teacher.frame.locator("#quiz .room ol.orders li").count() == 3
        assert teacher.frame.evaluate(SMALL_TEXT_JS, 18) == [], "the back of the room reads it"
        teacher.shoot("teacher-orders-presented-1280x720")

        click_step(teacher, 2)
        teacher.wait(lambda s: s["tally"]["kind"] == "number", "the step's number question", timeout_s=60)
        key = _view(class_server, code)["key"]
        for number in (40, 55, 60, 62, 90, 150):
            _post(class_server, f"/api/class/{code}/answer",
                  {"student": secrets.token_urlsafe(12), "key": key, "response": number})
        teacher.wait(lambda s: s["tally"]["numbers"] == 6, "no histogram")
        assert teacher.frame.evaluate("""() => { const c = document.querySelector('#quiz .room .histogram canvas');
          return !!c && c.width > 100 && c.height > 50; }""")
        teacher.shoot("teacher-numbers-presented-1280x720")
        teacher.page.get_by_role("button", name="Reveal").click()
        s = teacher.wait(lambda s: s["tally"]["revealed"] and not s["asking"], "not revealed")
        assert s["tally"]["grades"] and sum(s["tally"]["grades"].values()) == 6
        teacher.shoot("teacher-numbers-revealed-presented-1280x720")
        assert not teacher.problems, teacher.problems
    finally:
        teacher.close()


def test_next_question_moves_every_phone_to_the_scenes_next_question(browser, class_server):
    """A free-play scene asks more than one question: the teacher's "Next
    question" asks the next on every phone, in place, and the teacher's
    tally starts again for it."""
    scene = "surface=himmelblau&steps=200&run=sgd:lr=0.01&run=momentum:lr=0.005,momentum=0.9"
    teacher = Screen(browser, TEACHER, "teacher")
    phone = Screen(browser, PHONE, "phone")
    try:
        link, code = start_class(teacher, class_server.url + "?" + scene)
        assert teacher.live()["tally"]["kind"] == "point"
        phone.open(link.replace("localhost", "127.0.0.1"))
        s = phone.wait(lambda s: s["live"]["role"] == "student" and s["live"]["polls"] > 0, "did not join")
        assert s["prompt"] == "Tap where SGD lr=0.01 ends."
        phone.page.evaluate("() => { window.__sameDocument = true; }")
        phone.frame.evaluate("() => { window.__samePlayer = true; }")
        was = s["live"]["version"]

        t0 = time.monotonic()
        teacher.page.get_by_role("button", name="Next question").click()
        s = phone.wait(lambda s: s["prompt"] == "Will SGD lr=0.01 diverge in 200 steps?", "did not follow",
                       timeout_s=30)
        assert time.monotonic() - t0 <= FOLLOW_S * load_factor() + 1.0  # the click's rerun, then the phone
        assert s["live"]["version"] == was + 1 and s["asking"] and s["check"] == "Send"
        assert phone.page.evaluate("() => window.__sameDocument === true"), "no reload"
        assert phone.frame.evaluate("() => window.__samePlayer === true"), "the player was not reloaded"
        t = teacher.wait(lambda s: s["tally"]["kind"] == "choice" and s["tally"]["answered"] == 0,
                         "the teacher's tally did not start again")
        assert t["prompt"] == "Will SGD lr=0.01 diverge in 200 steps?"
        phone.frame.locator("#quiz button.choice").nth(1).tap()
        send(phone)
        teacher.wait(lambda s: s["tally"]["answered"] == 1 and s["tally"]["counts"] == [0, 1], "no count")
        show_player(teacher)
        teacher.shoot("teacher-next-question-1280x720")
        assert not teacher.problems and not phone.problems, teacher.problems + phone.problems
    finally:
        teacher.close()
        phone.close()
