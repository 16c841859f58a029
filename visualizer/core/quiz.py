"""Which question a scene asks, answered: the lesson's own or one of its
steps' when the scene is that one (whatever the viewer shows), else the
generic two (where run 1 ends, and whether it diverges).

    >>> from visualizer.core import quiz
    >>> [q.describe()["kind"] for q in quiz.questions_of(Scene.from_query("lesson=momentum"))]
    ['choice']
"""

from __future__ import annotations

import functools

from visualizer.core import landmarks, questions
from visualizer.core.engine import simulate
from visualizer.core.lessons import LESSONS, Lesson
from visualizer.core.questions import Question
from visualizer.core.scene import Scene, Viewer


def _bare(scene: Scene) -> Scene:
    """The scene without what the viewer chose (view, step, ...): those never
    change what a question asks."""
    return scene.replace(viewer=Viewer())


@functools.lru_cache(maxsize=256)
def _lesson_scenes(lesson_id: str) -> tuple[tuple[int | None, Scene], ...]:
    lesson = LESSONS[lesson_id]
    out = [(None, _bare(Scene.from_query("lesson=" + lesson_id)))]
    out += [(i, _bare(Scene.from_query(lesson.step_query(i)))) for i, step in enumerate(lesson.steps)
            if step.question is not None]
    return tuple(out)


def place_of(scene: Scene) -> tuple[Lesson, int | None] | None:
    """(the lesson, the step index or None for its own scene) that `scene`
    is, or None when it is none of them (a scene of its own, or a lesson's
    changed by hand)."""
    if scene.lesson is None:
        return None
    bare = _bare(scene)
    for index, own in _lesson_scenes(scene.lesson):
        if own == bare:
            return LESSONS[scene.lesson], index
    return None


def specs_of(scene: Scene) -> tuple[questions.Ask, ...]:
    place = place_of(scene)
    if place is None:
        return questions.GENERIC
    lesson, index = place
    return (lesson.question if index is None else lesson.steps[index].question,)


def questions_of(scene: Scene, result=None) -> list[Question]:
    """The questions `scene` asks, answered from `result` (its simulation;
    simulated here when not given)."""
    result = simulate(scene) if result is None else result
    marks = landmarks.of(scene)
    return [questions.ask(spec, scene, result, marks) for spec in specs_of(scene)]


@functools.lru_cache(maxsize=128)
def lesson_question(lesson_id: str, index: int | None) -> Question:
    """The question of a lesson's own scene (index None) or of step `index`,
    answered (cached: a lesson's scenes never change while the server runs)."""
    lesson = LESSONS[lesson_id]
    query = "lesson=" + lesson_id if index is None else lesson.step_query(index)
    spec = lesson.question if index is None else lesson.steps[index].question
    scene = Scene.from_query(query)
    return questions.ask(spec, scene, simulate(scene), landmarks.of(scene))
