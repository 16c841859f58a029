"""What the player asks before it plays (`predict=1`): the scene's questions
with their answers, the table that grades them, and what the lesson says
once they are answered. The payload carries all of it, so a question works
with no server (the offline file, an embed): the player grades in the
browser by `questions.GRADING`, the table Python grades by.

Which questions a scene asks is `visualizer.core.quiz`'s: a lesson's own
or one of its steps' (answered once per server, cached), else the generic
two, answered from the scene's result.
"""

from __future__ import annotations

import hashlib

from visualizer.core import quiz
from visualizer.core.questions import GRADING, VERDICTS, Question
from visualizer.core.scene import Scene, Viewer

# Where a `number` question's answer is drawn beside the viewer's: the
# step axis of the side charts ("step"), or the axis of a run's array (a
# curve's series key; an exploration of that key draws it on its axis too),
# or None: a count, or a share asked in percent where the charts draw a
# fraction, is shown beside the truth alone.
NUMBER_AXES = {"arrival_step": "step", "largest_stable_lr": "lr", "test_accuracy": None,
               "pseudo_label_accuracy": None, "distinct_units": None}


def quiz_id(scene: Scene) -> str:
    """The name of a scene's questions: the same for every viewer of the
    same scene (what the viewer chose to see never changes them), short
    enough to send back with an answer."""
    bare = scene.replace(viewer=Viewer()).to_query()
    return hashlib.sha256(bare.encode()).hexdigest()[:16]


def questions(scene: Scene, result) -> list[Question]:
    """The questions `scene` asks, answered (`result`: its simulation)."""
    place = quiz.place_of(scene)
    if place is None:
        return quiz.questions_of(scene, result)
    lesson, index = place
    return [quiz.lesson_question(lesson.id, index)]


def after_of(scene: Scene) -> str:
    """What the lesson says came of this scene, once its question is
    answered: the lesson's `after` on its own scene, a step's on that
    step's, nothing on any other scene."""
    place = quiz.place_of(scene)
    if place is None:
        return ""
    lesson, index = place
    return lesson.after if index is None else lesson.steps[index].after


def described(q: Question) -> dict:
    """A question as the player reads it: `describe()`, and for a number
    the axis its answer is drawn on."""
    out = q.describe()
    if q.kind == "number" and NUMBER_AXES[q.quantity] is not None:
        out["axis"] = NUMBER_AXES[q.quantity]
    return out


def quiz_part(scene: Scene, result) -> dict:
    """The payload's `quiz` (visualizer/page/player.py documents it)."""
    return {"id": quiz_id(scene), "questions": [described(q) for q in questions(scene, result)],
            "grading": GRADING, "verdicts": list(VERDICTS), "after": after_of(scene)}
