"""Predict, then play, on the Python side: `predict=1` and `embed=1` are
viewer keys like the others; with `predict=1` the payload carries the
scene's questions with their answers and the grading table (so the player
grades with no server: the offline file asks too), the lesson's words for
after; what the player sends once answered is validated like any event;
the embed snippet is plain, escaped HTML.
"""

from __future__ import annotations

import json
import re

import pytest

from visualizer import Scene, SceneError, export, simulate
from visualizer.browser import curves, predict
from visualizer.browser.events import AnsweredEvent, player_event
from visualizer.browser.payload import scene_payload
from visualizer.core import quiz
from visualizer.core.lessons import LESSONS
from visualizer.core.questions import GRADING, QUANTITIES, VERDICTS
from visualizer.core.scene import parse_lenient, viewer_keys
from visualizer.core.viewer import SERVER
from visualizer.export import scene_data
from visualizer.page import classroom

SMALL = "surface=quadratic:cond=10&steps=100&run=sgd:lr=0.22&run=sgd:lr=0.1"


def payload_of(query: str) -> dict:
    result = simulate(Scene.from_query(query))
    return scene_payload(result, {}, "")


# ---------------------------------------------------------------- the keys


def test_predict_and_embed_are_viewer_keys_the_page_writes():
    keys = {k.name: k for k in viewer_keys()}
    for name in ("predict", "embed"):
        assert keys[name].writer == SERVER and keys[name].describe()["kind"] == "flag"
    scene = Scene.from_query(SMALL + "&embed=1&predict=1")
    assert scene.viewer.predict and scene.viewer.embed
    assert scene.to_query().endswith("&predict=1&embed=1"), "the canonical order is the table's"
    assert Scene.from_query(scene.to_query()) == scene


def test_a_bad_predict_value_is_its_default_with_a_message():
    scene, problems = parse_lenient(SMALL + "&predict=yes")
    assert not scene.viewer.predict
    (problem,) = problems
    assert problem.key == "predict" and "'yes' is not 0 or 1" in str(problem)
    with pytest.raises(SceneError, match="embed"):
        Scene.from_query("embed=2")


# ---------------------------------------------------------------- the payload


def test_without_predict_the_payload_has_no_questions():
    assert "quiz" not in payload_of(SMALL)


PLACES = [("learning-rate", None), ("schedules", None), ("schedules", 1), ("starts", 2), ("newton", None)]


@pytest.mark.parametrize("lesson_id, index", PLACES)
def test_a_lessons_questions_travel_with_their_answers_and_the_grading(lesson_id, index):
    lesson = LESSONS[lesson_id]
    query = "lesson=" + lesson_id if index is None else lesson.step_query(index)
    part = payload_of(query + "&predict=1")["quiz"]
    (asked,) = part["questions"]
    want = quiz.lesson_question(lesson_id, index).describe()
    assert {k: v for k, v in asked.items() if k != "axis"} == want
    assert part["grading"] == GRADING and part["verdicts"] == list(VERDICTS)
    assert part["after"] == (lesson.after if index is None else lesson.steps[index].after)
    assert part["id"] == predict.quiz_id(Scene.from_query(query))
    assert json.loads(json.dumps(part, allow_nan=False)) == part


def test_without_a_lesson_the_generic_two_are_asked():
    part = payload_of(SMALL + "&predict=1")["quiz"]
    where, diverges = part["questions"]
    assert (where["kind"], where["run"]) == ("point", 1) and diverges["kind"] == "choice"
    assert part["after"] == ""
    assert diverges["choices"][diverges["answer"]].startswith("yes"), "lr 0.22 on cond=10 diverges"


def test_where_a_diverging_run_ends_is_asked_without_naming_the_step():
    (where, _) = quiz.questions_of(Scene.from_query(SMALL))
    assert where.step < 100, "it diverges before the end"
    assert where.prompt == "Tap where SGD lr=0.22 ends.", "the step it stops at would tell"
    assert where.why.startswith(f"SGD lr=0.22 diverges at step {where.step}")


def test_a_number_is_drawn_on_an_axis_the_charts_have():
    assert set(predict.NUMBER_AXES) == set(QUANTITIES)
    axes = set(curves.series_keys()) | {"step"}
    assert set(predict.NUMBER_AXES.values()) - {None} <= axes
    (asked,) = payload_of("lesson=learning-rate&predict=1")["quiz"]["questions"]
    assert asked["axis"] == "lr"


def test_the_questions_name_the_scene_not_what_the_viewer_chose():
    base = Scene.from_query(SMALL)
    shown = base.replace(viewer=base.viewer.replace(view="3d", speed=2.0, predict=True, present=True))
    assert predict.quiz_id(shown) == predict.quiz_id(base)
    assert re.fullmatch(r"[0-9a-f]{16}", predict.quiz_id(base))
    assert predict.quiz_id(Scene.from_query(SMALL.replace("0.22", "0.21"))) != predict.quiz_id(base)


def test_the_offline_file_asks_with_its_answers_inside():
    scene = Scene.from_query("lesson=momentum&predict=1")
    page = export.html_bytes(scene).decode()
    data = json.loads(re.search(r'<script type="application/json" id="player-payload">(.*?)</script>', page,
                                re.S).group(1))
    assert data["quiz"]["questions"] == [predict.described(quiz.lesson_question("momentum", None))]
    assert data["viewer"]["values"]["predict"] is True


def test_an_export_shows_its_scene_from_a_result_simulated_without_the_viewer():
    plain = Scene.from_query(SMALL)
    asking = plain.replace(viewer=plain.viewer.replace(predict=True))
    data = scene_data.load(asking, simulate(plain))
    assert data.result.scene == asking and "quiz" in data.payload()
    with pytest.raises(ValueError, match="not the simulation"):
        scene_data.load(Scene.from_query(SMALL.replace("0.22", "0.2")), simulate(plain))


# ---------------------------------------------------------------- what comes back


def test_an_answered_event_is_read_and_a_malformed_one_ignored():
    assert player_event({"event": "answered", "on": "9dc5b7a124c41d36", "nonce": 3}, 2) == \
        AnsweredEvent("9dc5b7a124c41d36", 3)
    for bad in ({"event": "answered", "on": "", "nonce": 3}, {"event": "answered", "on": "x" * 65, "nonce": 3},
                {"event": "answered", "on": 5, "nonce": 3}, {"event": "answered", "on": "a"},
                {"event": "answered", "on": ["a"], "nonce": 1}):
        assert player_event(bad, 2) is None, bad


# ---------------------------------------------------------------- embeds


def test_the_embedded_view_is_the_scene_alone_from_the_start():
    scene = Scene.from_query("lesson=momentum&present=1&autoplay=1&step=40&view=3d")
    shown = classroom.embed_scene(scene, ask=True)
    v = shown.viewer
    assert (v.embed, v.predict, v.present, v.autoplay, v.step, v.view) == (True, True, False, False, None, "3d")
    assert shown.replace(viewer=scene.viewer) == scene


def test_the_snippet_is_an_iframe_with_its_address_escaped():
    snippet = classroom.embed_snippet('https://x.example/?a=1&label=<b>"', 'Optimizer trajectories: "Q" & <b>')
    assert snippet.startswith('<iframe src="https://x.example/?a=1&amp;label=&lt;b&gt;&quot;"')
    assert 'title="Optimizer trajectories: &quot;Q&quot; &amp; &lt;b&gt;"' in snippet
    assert snippet.count("<") == 2 and snippet.endswith("></iframe>")
    assert f"height: {classroom.EMBED_HEIGHT}" in snippet and 'loading="lazy"' in snippet


def test_a_step_keeps_the_modes_a_link_switched_on_but_never_a_teachers_secret():
    lesson = LESSONS["nesterov"]
    shown = Scene.from_query("lesson=nesterov&present=1&class=ABCDEF&teacher=" + "s" * 32)
    step = classroom.keep_showing(classroom.step_scene(lesson, 1), shown)
    assert step.viewer.present
    assert "teacher" not in step.to_query() and "class" not in step.to_query()


def test_a_step_opened_from_a_quiz_asks_too():
    lesson = LESSONS["nesterov"]
    shown = Scene.from_query("lesson=nesterov&predict=1&embed=1")
    step = classroom.keep_showing(classroom.step_scene(lesson, 1), shown)
    assert step.viewer.predict and step.viewer.embed
    assert step.replace(viewer=step.viewer.replace(predict=False, embed=False)) == classroom.step_scene(lesson, 1)


def test_on_a_network_without_a_lesson_its_test_accuracy_is_asked_not_the_planes_origin():
    scene = Scene.from_query("surface=mlp:data=moons&steps=60&run=sgd:lr=0.5")
    accuracy, diverges = quiz.questions_of(scene)
    assert (accuracy.kind, accuracy.quantity) == ("number", "test_accuracy") and diverges.kind == "choice"
    assert 50 <= accuracy.answer <= 100, "a share, in percent"
    assert "axis" not in predict.described(accuracy), "the charts draw a fraction, not a percent"
