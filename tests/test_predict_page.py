"""Predict, then play, on the page (AppTest): with `predict=1` the payload
carries the question and the page keeps back everything that tells the
outcome (the summary table, the divergence messages, the lesson's words on
what happens, the results' downloads) until the player says the question
was answered; a step keeps asking; `embed=1` is the player alone; the
"Embed" action gives the iframe snippet of the embedded view.
"""

from __future__ import annotations

import re

import pytest
from apptest_tools import ROOT, errors, payload, query, run_ok, unescape_md, viewer

from visualizer import Scene
from visualizer.browser import predict
from visualizer.core import quiz
from visualizer.core.lessons import LESSONS
from visualizer.page import classroom

SCHEDULES = "lesson=schedules"  # four runs, one of which diverges; its words say what happens


@pytest.fixture(autouse=True)
def _repo_root_cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


def texts(at) -> list[str]:
    return [unescape_md(m.value) for m in at.main.markdown]


def table_shown(at) -> bool:
    return any(t.startswith("| run |") for t in texts(at))


def what_happens(at) -> list[str]:
    return [t for t in texts(at) if t.startswith("**What happens:**")]


def downloads(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def answer(at, on: str, nonce: int = 1):
    """What the player sends once the viewer has answered."""
    at.session_state["player"] = {"event": "answered", "on": on, "nonce": nonce}
    return run_ok(at)


def test_a_question_keeps_back_what_tells_the_outcome_until_it_is_answered(open_url):
    at = open_url(SCHEDULES + "&predict=1")
    part = payload(at)["quiz"]
    lesson = LESSONS["schedules"]
    assert part["questions"] == [predict.described(quiz.lesson_question("schedules", None))]
    assert part["after"] == "", "the lesson's panel says it, not the player beside it"
    assert viewer(at)["predict"] is True and query(at).endswith("&predict=1")
    assert not table_shown(at), "no summary table"
    assert not at.main.warning, "no divergence message"
    assert not what_happens(at), "the lesson does not say what happens"
    assert lesson.text in texts(at), "it says what to look at"
    assert downloads(at) == ["Offline page (HTML)"], "the offline page asks too; no results"
    assert [c.value for c in at.main.caption if "once the question in the player is answered" in c.value]

    answer(at, part["id"])
    assert table_shown(at)
    assert [w.value for w in at.main.warning if "diverged at step" in w.value], "constant lr 0.22 diverges"
    assert what_happens(at) == [f"**What happens:** {lesson.after}"]
    assert "Results (JSON)" in downloads(at)
    assert payload(at)["quiz"] == part, "the player's payload is the same: it keeps what it shows"
    assert not errors(at)


def test_an_answer_to_another_scenes_question_is_ignored(open_url):
    at = open_url(SCHEDULES + "&predict=1")
    answer(at, "0123456789abcdef")
    assert not table_shown(at) and not what_happens(at)
    answer(at, payload(at)["quiz"]["id"], nonce=2)
    assert table_shown(at)


def test_without_predict_nothing_is_kept_back_and_the_lesson_says_what_happens(open_url):
    at = open_url(SCHEDULES)
    assert "quiz" not in payload(at)
    assert table_shown(at) and at.main.warning
    assert what_happens(at) == [f"**What happens:** {LESSONS['schedules'].after}"]


def test_a_step_opened_from_a_quiz_asks_its_own_question(open_url):
    at = open_url(SCHEDULES + "&predict=1")
    at.button("step1").click()
    run_ok(at)
    lesson = LESSONS["schedules"]
    assert query(at) == Scene.from_query(lesson.step_query(1)).to_query() + "&predict=1"
    assert payload(at)["quiz"]["questions"] == [predict.described(quiz.lesson_question("schedules", 1))]
    assert not table_shown(at) and not what_happens(at)
    links = re.findall(r"\]\((\?[^)]*)\)", next(c.value for c in at.main.caption if c.value.startswith("Links")))
    assert all(Scene.from_query(link[1:]).viewer.predict for link in links), "every step link asks too"


def test_presentation_mode_asks_and_keeps_the_lessons_words_back(open_url):
    at = open_url("lesson=momentum&present=1&predict=1")
    assert payload(at)["quiz"]["questions"][0]["kind"] == "choice"
    assert not what_happens(at)
    answer(at, payload(at)["quiz"]["id"])
    assert what_happens(at) == [f"**What happens:** {LESSONS['momentum'].after}"]


def test_the_embedded_view_is_the_player_alone(open_url):
    at = open_url("lesson=newton&embed=1&predict=1")
    assert viewer(at)["embed"] is True and payload(at)["quiz"]["after"] == LESSONS["newton"].after, \
        "alone, the player says what the lesson says"
    assert not at.sidebar.children, "no sidebar"
    assert texts(at) == [], "no title, no lesson, no table"
    assert not at.get("download_button") and not at.get("link_button") and not at.main.button
    assert not errors(at)


def test_the_embed_action_gives_the_snippet_of_the_embedded_view(open_url):
    at = open_url("lesson=momentum&view=3d")
    assert not at.get("code"), "closed, the Embed button sends nothing more"
    at.session_state["embed"] = True  # opened
    run_ok(at)
    (code, offline) = [c.value for c in at.get("code")]
    src = re.search(r'src="([^"]*)"', code).group(1).replace("&amp;", "&")
    shown = Scene.from_query(src.split("?", 1)[1])
    assert shown == classroom.embed_scene(Scene.from_query("lesson=momentum&view=3d"), ask=False)
    assert code.startswith("<iframe ") and 'title="Optimizer trajectories: Quadratic bowl"' in code
    assert offline.startswith('<iframe src="') and ".html" in offline.split('"')[1]
    at.toggle("embed_predict").set_value(True)
    run_ok(at)
    src = re.search(r'src="([^"]*)"', at.get("code")[0].value).group(1).replace("&amp;", "&")
    assert Scene.from_query(src.split("?", 1)[1]).viewer.predict
