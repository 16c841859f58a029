"""A live class on the page (AppTest): a student's link shows the class's
scene and question alone (no sidebar, no lesson, no buttons, a line naming
the class); the teacher's link is the page with the class's panel, and
every scene the teacher shows is the one the class asks about; "Start a
class" makes the page a teacher's; an unknown, closed or unreachable class
is one clear message and the page goes on. The store is a real SQLite file
(a real Redis that is not there, for the unreachable one)."""

from __future__ import annotations

import re

import pytest
from apptest_tools import ROOT, errors, payload, query, run_ok, unescape_md

from visualizer import Scene
from visualizer.core import quiz
from visualizer.core.lessons import LESSONS
from visualizer.live import classes, store
from visualizer.page import classroom, live_panel

LESSON = "learning-rate"  # its first step asks a choice, its second a point
SECRET_RE = re.compile(r"teacher=")


@pytest.fixture(autouse=True)
def _repo_root_cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.fixture
def db(tmp_path, monkeypatch):
    """The store the page's process uses: a fresh SQLite file."""
    sqlite = store.SQLiteStore(tmp_path / "classes.db")
    monkeypatch.setattr(store, "_STORE", sqlite)
    yield sqlite
    sqlite.close()


def step_scene(index: int) -> Scene:
    return classroom.step_scene(LESSONS[LESSON], index)


def started(db, scene: Scene) -> classes.Started:
    """A class on `scene`, asking its first question (as "Start a class" does)."""
    return classes.start(db, classes.class_scene(scene), quiz.questions_of(scene)[0])


def texts(at) -> list[str]:
    return [unescape_md(m.value) for m in at.main.markdown]


def buttons(at) -> set[str]:
    return {b.label for b in at.button} | {b.proto.label for b in at.get("link_button")}


def test_a_students_page_is_the_class_scene_and_its_question_alone(open_url, db):
    c = started(db, step_scene(0))
    at = open_url(f"class={c.code}")
    part = payload(at)["class"]
    assert part["role"] == "student" and part["api"] == f"/api/class/{c.code}" and "secret" not in part
    assert part["question"]["prompt"] == "lr 0.19 or 0.21: which one comes back?"
    assert "answer" not in part["question"] and "why" not in part["question"], "not before the reveal"
    assert part["grading"] == {"point": {"right": 0.05, "close": 0.15}, "number": {"right": 0.1, "close": 0.3},
                               "order": {"right": 1.0, "close": 0.5}}
    assert [r["label"] for r in payload(at)["runs"]] == ["lr 0.19", "lr 0.21"], "the class's scene"
    assert query(at).endswith(f"&class={c.code}") and not SECRET_RE.search(query(at))
    assert "inside" not in payload(at), "no \"Inside a step\" button: the page does not rerun for a student"
    assert not at.sidebar.children, "no sidebar controls"
    assert not buttons(at), "no lesson steps, no Present, Start or Embed"
    assert not at.get("selectbox") and not at.get("popover")
    assert any(t.startswith(f"Class **{c.code}**") for t in at.main.markdown.values), texts(at)
    assert "### Optimizer trajectories" not in at.main.markdown.values
    assert not errors(at)


def test_a_students_page_follows_the_class_not_its_own_link(open_url, db):
    c = started(db, step_scene(0))
    classes.move(db, c.code, c.secret, classes.class_scene(step_scene(1)), quiz.questions_of(step_scene(1))[0])
    at = open_url(f"surface=booth&run=adam:lr=0.1&class={c.code}")
    assert [r["label"] for r in payload(at)["runs"]] == ["lr 1 (1/L)", "lr 1.9"]
    assert payload(at)["class"]["question"]["kind"] == "point" and payload(at)["class"]["version"] == 2


def test_the_teachers_page_is_the_page_with_the_class_panel(open_url, db):
    c = started(db, step_scene(0))
    at = open_url(f"{step_scene(0).to_query()}&class={c.code}&teacher={c.secret}")
    part = payload(at)["class"]
    assert part["role"] == "teacher" and part["secret"] == c.secret
    assert part["question"]["answer"] == 0 and part["question"]["why"], "the teacher's player has the answer"
    assert at.sidebar.children, "the sidebar, as on any page"
    assert f"#### Class `{c.code}`" in at.main.markdown.values
    (code,) = [e.value for e in at.get("code") if "class=" in e.value]
    assert code.endswith(f"/?class={c.code}") and not SECRET_RE.search(code), "the student link"
    assert {"Reveal", "Close the class", "Present"} <= buttons(at) and "Start a class" not in buttons(at)
    assert [b.proto.label for b in at.get("download_button") if b.proto.label == "Answers (CSV)"]
    assert query(at).endswith(f"&class={c.code}&teacher={c.secret}"), "a reload keeps the teacher's seat"
    # the room may see this screen: what tells the outcome waits for the reveal
    assert not any(t.startswith("| run |") for t in texts(at))
    assert not any(t.startswith("**What happens:**") for t in texts(at))
    assert [c.value for c in at.main.caption if c.value.endswith("once the class's answer is revealed.")]
    for link in [t for t in texts(at) if t.startswith("Links to the steps")] + [c.value for c in at.main.caption]:
        assert not SECRET_RE.search(link), "a step's link never holds the secret"

    at.button(key="class-reveal").click()
    run_ok(at)
    assert payload(at)["class"]["revealed"] is True and db.get(c.code).revealed
    assert any(t.startswith("| run |") for t in texts(at)), "revealed: the table"
    assert at.button(key="class-reveal").disabled


def test_every_scene_the_teacher_shows_is_the_one_the_class_asks_about(open_url, db):
    c = started(db, step_scene(0))
    at = open_url(f"{step_scene(0).to_query()}&class={c.code}&teacher={c.secret}")
    assert db.get(c.code).version == 1, "showing what the class asks already moves nothing"
    at.button(key="step1").click()
    run_ok(at)
    record = db.get(c.code)
    assert record.scene == classes.class_scene(step_scene(1)) and record.version == 2
    assert classes.question_of(record).prompt == "Tap where lr 1 will be after one step."
    assert payload(at)["class"]["version"] == 2 and payload(at)["class"]["key"] == record.key
    assert query(at).endswith(f"&class={c.code}&teacher={c.secret}"), "the class's keys outlive the step"
    run_ok(at)
    assert db.get(c.code).version == 2, "a rerun on the same scene asks nothing new"


def test_next_question_asks_the_scenes_other_question(open_url, db):
    scene = Scene.from_query("surface=booth&steps=20&run=adam:lr=0.1")
    c = started(db, scene)
    at = open_url(f"{scene.to_query()}&class={c.code}&teacher={c.secret}")
    first = db.get(c.code).key
    at.button(key="class-next").click()
    run_ok(at)
    record = db.get(c.code)
    assert record.key == classes.question_key(classes.class_scene(scene), 1) != first
    assert classes.question_of(record).kind == "choice" and payload(at)["class"]["question"]["kind"] == "choice"


def test_start_a_class_makes_the_page_its_teachers(open_url, db):
    at = open_url(step_scene(0).to_query())
    assert "Start a class" in buttons(at) and "class" not in payload(at)
    at.button(key="start-class").click()
    run_ok(at)
    part = payload(at)["class"]
    code, secret = part["api"].rsplit("/", 1)[1], part["secret"]
    record = db.get(code)
    assert record is not None and record.scene == classes.class_scene(step_scene(0))
    assert classes.teacher(db, code, secret) == record, "the page holds the teacher's secret"
    assert f"#### Class `{code}`" in at.main.markdown.values and "Start a class" not in buttons(at)
    assert query(at).endswith(f"&class={code}&teacher={secret}")
    (present,) = [b for b in at.get("link_button") if b.proto.label == "Present"]
    assert present.proto.url.endswith(f"&class={code}&teacher={secret}"), "presenting, the teacher keeps the panel"


def test_the_teacher_presenting_has_the_panel_in_one_row(open_url, db):
    c = started(db, step_scene(0))
    at = open_url(f"{step_scene(0).to_query()}&present=1&class={c.code}&teacher={c.secret}")
    assert payload(at)["class"]["role"] == "teacher"
    assert any(t.startswith(f"**Class {c.code}** · join at") for t in at.main.markdown.values)
    assert {"Reveal", "Close the class"} <= buttons(at)
    assert [p for p in at.get("popover") if p.proto.popover.label == "QR code"], "the QR code a click away"
    (leave,) = [t for t in at.main.markdown.values if t.startswith("[Leave presentation]")]
    assert f"class={c.code}&teacher={c.secret}" in leave


@pytest.mark.parametrize("link, said", [
    ("class=ABCDEF", "no such class, or it has ended"),
    ("class=ABCDEF&teacher=" + "x" * 32, "no such class, or it has ended"),
])
def test_an_unknown_class_is_one_clear_message_and_the_page_goes_on(open_url, db, link, said):
    at = open_url(link)
    assert [e for e in errors(at) if e.startswith("The class: ") and said in e], errors(at)
    assert "class" not in payload(at) and at.sidebar.children, "the page as without a class"


def test_a_wrong_secret_is_refused_and_the_page_goes_on(open_url, db):
    c = started(db, step_scene(0))
    at = open_url(f"class={c.code}&teacher={'y' * 32}")
    assert "The class: only the teacher's link can do that" in errors(at)
    assert "class" not in payload(at) and db.get(c.code).version == 1


def test_a_closed_class_says_so_and_leaves_its_scene(open_url, db):
    c = started(db, step_scene(0))
    classes.close(db, c.code, c.secret)
    at = open_url(f"class={c.code}")
    assert payload(at)["class"]["closed"] is True and not at.sidebar.children
    assert any(f"Class **{c.code}** is closed" in t for t in at.main.markdown.values)
    at = open_url(f"{step_scene(1).to_query()}&class={c.code}&teacher={c.secret}")
    assert db.get(c.code).scene == classes.class_scene(step_scene(0)), "a closed class moves no more"
    assert at.button(key="class-close").disabled and at.button(key="class-reveal").disabled


def test_an_unreachable_store_is_one_message_and_the_page_works(open_url, monkeypatch):
    from live_services import free_port

    gone = store.RedisStore(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    monkeypatch.setattr(store, "_STORE", gone)
    for link in ("class=ABCDEF", "surface=booth&steps=20&run=adam:lr=0.1&class=ABCDEF&teacher=" + "x" * 32):
        at = open_url(link)
        assert errors(at) == [live_panel.UNREACHABLE]
        assert payload(at)["runs"] and "class" not in payload(at) and at.sidebar.children
    at = open_url("surface=booth&steps=20&run=adam:lr=0.1")
    at.button(key="start-class").click()
    run_ok(at)
    assert live_panel.UNREACHABLE in errors(at) and "class" not in payload(at)
