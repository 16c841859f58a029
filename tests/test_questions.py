"""Questions: every lesson and every step asks one, the engine answers it,
every wrong choice is really wrong (by a margin a rerun or a rounding could
not cross), responses are graded as the table says, and anything a browser
might send as a response is refused cleanly or graded."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visualizer.cli import main
from visualizer.core import questions, quiz
from visualizer.core.errors import SceneError
from visualizer.core.lessons import LESSONS
from visualizer.core.questions import GRADING, OUTCOMES, TOL, Question, ordered_pairs
from visualizer.core.quiz import ask
from visualizer.core.scene import Scene

PLACES = [(lesson.id, index) for lesson in LESSONS.values()
          for index in [None, *range(len(lesson.steps))]
          if index is None or lesson.steps[index].question is not None]

# How far apart two runs must be for "which" and "order" to have one honest
# answer: a margin no seed, rounding or small change of the engine crosses.
ARRIVAL_MARGIN = 3  # steps
RELATIVE_MARGIN = 1.1  # loss, distance: the next best at least 10% worse
ACCURACY_MARGIN = 0.01  # one test point in a hundred


def _name(place) -> str:
    lesson, index = place
    return f"{lesson}:{'scene' if index is None else f'step{index + 1}'}"


def test_every_lesson_and_step_asks_a_question():
    for lesson in LESSONS.values():
        assert isinstance(lesson.question, questions.Ask), lesson.id
        for step in lesson.steps:
            opens_lesson = step.scene.startswith("lesson=")
            assert (step.question is None) == opens_lesson, f"{lesson.id}: {step.line}"
            if opens_lesson:
                assert step.scene.removeprefix("lesson=") in LESSONS


def _apart(measure: str, better, worse) -> bool:
    if worse is None:
        return better is not None
    if measure == "arrival":
        return worse - better >= ARRIVAL_MARGIN
    if measure == "test_accuracy":  # values are minus the accuracy
        return worse - better >= ACCURACY_MARGIN
    return worse >= RELATIVE_MARGIN * better if better > 0 else worse > better


@pytest.mark.parametrize("place", PLACES, ids=[_name(p) for p in PLACES])
def test_the_engine_answers_and_every_wrong_choice_is_really_wrong(place):
    lesson_id, index = place
    q = quiz.lesson_question(lesson_id, index)
    described = q.describe()
    assert json.loads(json.dumps(described, allow_nan=False)) == described
    assert q.prompt.endswith(("?", ".")) and q.why
    assert q.grade(q.answer).verdict == "right"
    if q.kind == "choice" and q.by:  # which run: the best by a margin over every other
        values = q.extra["values"]
        best = values[q.answer]
        for i, value in enumerate(values):
            if i != q.answer:
                assert _apart(q.by, best, value), f"{q.choices[i]} is too close to {q.choices[q.answer]}: {q.why}"
        for i in range(len(q.choices)):
            assert q.grade(i).verdict == ("right" if i == q.answer else "wrong")
    if q.kind == "order":
        values = [q.extra["values"][run - 1] for run in q.answer]
        for better, worse in zip(values, values[1:], strict=False):
            assert _apart(q.by, better, worse), f"too close to order: {q.why}"
    if q.kind == "choice" and q.choices == OUTCOMES:
        _outcome_is_clear(lesson_id, index, q)


def _outcome_is_clear(lesson_id, index, q: Question):
    """Arrives well before the end, or stays clearly above f* + tol, or
    diverges: never a near thing."""
    lesson = LESSONS[lesson_id]
    scene = Scene.from_query("lesson=" + lesson_id if index is None else lesson.step_query(index))
    from visualizer.core import landmarks
    from visualizer.core.engine import simulate

    run = simulate(scene).runs[q.run - 1]
    gap = run.loss.astype(np.float64) - landmarks.of(scene).lowest
    if q.answer == 0:
        arrival = int(np.argmax(gap <= TOL))
        assert arrival <= scene.steps - ARRIVAL_MARGIN, f"arrives at the very end: {q.why}"
    elif q.answer == 1:
        assert run.diverged_at is None and gap.min() > 2 * TOL, f"comes within {gap.min():.3g}: {q.why}"


def test_the_largest_stable_rate_on_a_quadratic_is_two_over_l():
    for cond, momentum in ((10, None), (100, None), (10, 0.9)):
        run = "sgd:lr=0.01" if momentum is None else f"momentum:lr=0.01,momentum={momentum}"
        scene = Scene.from_query(f"surface=quadratic:cond={cond}&steps=200&run={run}")
        value, resolution = quiz.largest_stable_lr(scene, 1)
        limit = 2 / cond if momentum is None else 2 * (1 + momentum) / cond
        assert limit / resolution ** 2 <= value <= limit, (cond, momentum, value, limit)


def test_generic_questions_where_run_one_ends_and_whether_it_diverges():
    scene = Scene.from_query("surface=quadratic:cond=10&steps=100&run=sgd:lr=0.22&run=sgd:lr=0.1")
    where, diverges = quiz.questions_of(scene)
    assert where.kind == "point" and where.run == 1 and where.step == len(quiz.simulate(scene).runs[0].xy) - 1
    assert diverges.kind == "choice" and diverges.choices[diverges.answer].startswith("yes")
    fine = quiz.questions_of(scene.replace(runs=scene.runs[1:]))[1]
    assert fine.choices[fine.answer].startswith("no")


def test_a_lesson_scene_asks_its_own_question_whatever_the_viewer_shows():
    for query in ("lesson=momentum", "lesson=momentum&view=3d&step=4&speed=2"):
        (q,) = quiz.questions_of(Scene.from_query(query))
        assert q == quiz.lesson_question("momentum", None)
    (q,) = quiz.questions_of(Scene.from_query(LESSONS["newton"].step_query(2)))
    assert q == quiz.lesson_question("newton", 2)
    changed = Scene.from_query("lesson=momentum&steps=40")
    assert len(quiz.questions_of(changed)) == 2, "a lesson changed by hand asks the generic questions"


# ---------------------------------------------------------------- grading


def _question(kind: str, **fields) -> Question:
    base = {"choice": dict(answer=1, choices=("a", "b", "c")), "point": dict(answer=[0.0, 0.0], diagonal=10.0),
            "order": dict(answer=[2, 3, 1], runs=3, choices=("a", "b", "c")), "number": dict(answer=0.2)}[kind]
    return Question(kind, "?", why=".", **{**base, **fields})


@pytest.mark.parametrize("kind, response, verdict", [
    ("choice", 1, "right"), ("choice", 0, "wrong"),
    ("point", [0.3, 0.4], "right"), ("point", [0.0, 0.5], "right"), ("point", [0.0, 0.51], "close"),
    ("point", [1.5, 0.0], "close"), ("point", [0.0, 1.6], "wrong"),
    ("order", [2, 3, 1], "right"), ("order", [3, 2, 1], "close"), ("order", [1, 3, 2], "wrong"),
    ("number", 0.21, "right"), ("number", 0.219, "right"), ("number", 0.15, "close"), ("number", 0.5, "wrong"),
    ("number", 0.259, "close"), ("number", 0.27, "wrong"),
])
def test_grading_follows_the_table(kind, response, verdict):
    assert _question(kind).grade(response).verdict == verdict


def test_the_grading_table_is_what_the_contract_states():
    assert GRADING == {"point": {"right": 0.05, "close": 0.15}, "number": {"right": 0.10, "close": 0.30},
                       "order": {"right": 1.0, "close": 0.5}}


def test_ordered_pairs_counts_pairs():
    assert ordered_pairs([1, 2, 3], [1, 2, 3]) == 1
    assert ordered_pairs([3, 2, 1], [1, 2, 3]) == 0
    assert ordered_pairs([2, 1, 3], [1, 2, 3]) == pytest.approx(2 / 3)


ANYTHING = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner,
                                                                                     max_size=3), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(questions.KINDS), response=ANYTHING)
def test_any_response_is_graded_or_refused_with_a_value_error(kind, response):
    q = _question(kind)
    try:
        grade = q.grade(response)
    except ValueError:
        return
    assert grade.verdict in questions.VERDICTS and 0 <= grade.score <= 1 and math.isfinite(grade.score)


def test_a_question_that_does_not_fit_its_scene_is_a_scene_error():
    scene = Scene.from_query("surface=quadratic&steps=20&run=sgd:lr=0.01&run=sgd:lr=0.01")
    from visualizer.core import landmarks
    from visualizer.core.engine import simulate

    result, marks = simulate(scene), landmarks.of(scene)
    with pytest.raises(SceneError, match="tie"):
        ask(questions.which("final_loss"), scene, result, marks)
    with pytest.raises(SceneError, match="run 3"):
        ask(questions.where(3), scene, result, marks)
    with pytest.raises(SceneError, match="never arrives"):
        ask(questions.number("arrival_step", 1), scene, result, marks)


# ---------------------------------------------------------------- the command line


def test_cli_lessons_json_carries_every_question_answered(capsys):
    assert main(["lessons", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)["lessons"]
    for entry in listing:
        assert entry["question"] == quiz.lesson_question(entry["id"], None).describe()
        for index, step in enumerate(entry["steps"]):
            if step["question"] is not None:
                assert step["question"] == quiz.lesson_question(entry["id"], index).describe()
            assert {"kind", "prompt", "answer", "why"} <= set(entry["question"])


def test_every_quantity_a_question_may_ask_is_computed():
    assert tuple(quiz.QUANTITIES) == questions.QUANTITIES


def test_the_networks_quantities_are_counted_from_the_engines_weights_and_refused_elsewhere():
    from visualizer.core import landmarks
    from visualizer.core.engine import simulate

    def answer(query, spec):
        scene = Scene.from_query(query)
        return ask(spec, scene, simulate(scene), landmarks.of(scene))

    run = "&steps=30&run=adam:lr=0.03&run=sgd:lr=0.5"
    assert answer("surface=mlp:init=constant" + run, questions.number("distinct_units")).answer == 1
    assert answer("surface=mlp:init=xavier" + run, questions.number("distinct_units")).answer == 16
    two = answer("surface=mlp:init=constant,layers=2,hidden=5" + run, questions.number("distinct_units"))
    assert two.answer == 1 and two.extra["per_layer"] == [1, 1]
    q = answer("surface=mlp:data=xor,labels=0.05" + run.replace("lr=0.03", "lr=0.03,unlabeled=selftrain"),
               questions.number("pseudo_label_accuracy"))
    assert 0 < q.answer <= 100
    assert answer("surface=mlp" + run, questions.number("test_accuracy", 2)).answer > 50
    flat = "surface=quadratic&steps=20&run=sgd:lr=0.1"
    for quantity in ("distinct_units", "pseudo_label_accuracy", "test_accuracy"):
        with pytest.raises(SceneError):
            answer(flat, questions.number(quantity))
    with pytest.raises(SceneError, match="run 1"):
        answer("surface=mlp" + run, questions.number("distinct_units", 2))
