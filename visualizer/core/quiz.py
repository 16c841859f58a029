"""Questions answered by the engine, and which question a scene asks: the
lesson's own or one of its steps' when the scene is that one (whatever the
viewer shows), else the generic two (where run 1 ends, on a network its test accuracy;
and whether it diverges). `visualizer.core.questions` is the vocabulary and the grading.

    >>> from visualizer.core import quiz
    >>> [q.describe()["kind"] for q in quiz.questions_of(Scene.from_query("lesson=momentum"))]
    ['choice']
"""

from __future__ import annotations

import functools
import math

import numpy as np

from visualizer.core import landmarks, questions, surfaces
from visualizer.core.engine import simulate
from visualizer.core.errors import SceneError
from visualizer.core.exploration import played
from visualizer.core.lessons import LESSONS, Lesson
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.questions import (
    MEASURES,
    OUTCOMES,
    Ask,
    Facts,
    Measure,
    Question,
    coordinate,
    facts_of,
    outcome_of,
    show_arrival,
    show_loss,
)
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
        network = surfaces.SURFACES[scene.surface].kind == surfaces.NETWORK
        return questions.GENERIC_NETWORK if network else questions.GENERIC
    lesson, index = place
    return (lesson.question if index is None else lesson.steps[index].question,)


def questions_of(scene: Scene, result=None) -> list[Question]:
    """The questions `scene` asks, answered from `result` (its simulation,
    each run of a race at its best trial; simulated here when not given)."""
    result = simulate(played(scene)) if result is None else result
    marks = landmarks.of(scene)
    return [ask(spec, scene, result, marks) for spec in specs_of(scene)]


@functools.lru_cache(maxsize=128)
def lesson_question(lesson_id: str, index: int | None) -> Question:
    """The question of a lesson's own scene (index None) or of step `index`,
    answered (cached: a lesson's scenes never change while the server runs)."""
    lesson = LESSONS[lesson_id]
    query = "lesson=" + lesson_id if index is None else lesson.step_query(index)
    spec = lesson.question if index is None else lesson.steps[index].question
    scene = Scene.from_query(query)
    return ask(spec, scene, simulate(played(scene)), landmarks.of(scene))


# ---------------------------------------------------------------- answering


def ask(spec: Ask, scene, result, marks) -> Question:
    """`spec` answered from `result` (the simulation of `scene`; `marks` its
    `landmarks.Landmarks`). A spec that does not fit the scene (a run it
    does not have, a tie where one answer is asked for) is a SceneError."""
    facts = facts_of(result, marks.lowest, marks.minima)
    if spec.form not in ("which", "order") and not 1 <= spec.run <= len(facts):
        raise SceneError(f"question: run {spec.run} is not one of the scene's {len(facts)} runs", "lesson")
    return _ANSWER[spec.form](spec, scene, result, facts)


def _labels(spec: Ask, facts: list[Facts]) -> tuple[str, ...]:
    return spec.choices or tuple(f.label for f in facts)


def _ranked(measure: Measure, facts: list[Facts], whole: bool) -> list[int]:
    """Run indices best first. A tie is a SceneError where it would leave
    two answers: at the top, or anywhere in an order (`whole`)."""
    keys = [measure.value(f) for f in facts]
    order = sorted(range(len(facts)), key=lambda i: (keys[i] is None, keys[i] if keys[i] is not None else 0))
    pairs = list(zip(order, order[1:], strict=False))
    for a, b in pairs if whole else pairs[:1]:
        if keys[a] == keys[b]:
            raise SceneError(f"question: {facts[a].label} and {facts[b].label} tie ({measure.show(facts[a])})",
                             "lesson")
    return order


def _why(measure: Measure, facts: list[Facts], order: list[int]) -> str:
    return "; ".join(f"{facts[i].label} {measure.show(facts[i])}" for i in order) + "."


def _which(spec, scene, result, facts) -> Question:
    measure = MEASURES[spec.measure]
    ranked = _ranked(measure, facts, whole=False)
    choices = _labels(spec, facts)
    prompt = spec.prompt or f"Which run {measure.best}?"
    return Question("choice", prompt, ranked[0], _why(measure, facts, ranked), choices, by=spec.measure,
                    extra={"values": [measure.value(f) for f in facts]})


def _outcome(spec, scene, result, facts) -> Question:
    f = facts[spec.run - 1]
    prompt = spec.prompt or f"What will {f.label} do in {scene.steps} steps?"
    return Question("choice", prompt, outcome_of(f), f"{f.label} {show_arrival(f)}.", OUTCOMES, run=spec.run)


def _diverges(spec, scene, result, facts) -> Question:
    f = facts[spec.run - 1]
    prompt = spec.prompt or f"Will {f.label} diverge in {scene.steps} steps?"
    why = f"{f.label} {show_arrival(f)}." if f.diverged_at is not None else f"{f.label} {show_loss(f)}."
    return Question("choice", prompt, 0 if f.diverged_at is not None else 1, why,
                    ("yes, it diverges", "no, it stays finite"), run=spec.run)


def _where(spec, scene, result, facts) -> Question:
    f = facts[spec.run - 1]
    last = len(f.xy) - 1
    step = last if spec.step is None else spec.step
    if step > last:
        raise SceneError(f"question: {f.label} has no step {step} (it diverges at step {f.diverged_at})", "lesson")
    (x0, x1), (y0, y1) = result.surface.window
    # "where it ends" never names the step: a run that diverges ends early,
    # and the step would give that away before it is asked
    ends = spec.step is None or step == scene.steps
    at = f"is at step {step}" if not ends else "ends" if f.diverged_at is None else \
        f"diverges at step {f.diverged_at}; its last finite point is"
    prompt = spec.prompt or (f"Tap where {f.label} ends." if ends else f"Tap where {f.label} will be at step {step}.")
    x, y = (float(v) for v in f.xy[step])
    diagonal = float(math.hypot(x1 - x0, y1 - y0))
    return Question("point", prompt, [x, y], f"{f.label} {at} at ({coordinate(x, diagonal)}, "
                    f"{coordinate(y, diagonal)}).", run=spec.run, step=step, diagonal=diagonal)


def _order(spec, scene, result, facts) -> Question:
    measure = MEASURES[spec.measure]
    ranked = _ranked(measure, facts, whole=True)
    prompt = spec.prompt or f"Order the runs by {measure.order}, best first."
    return Question("order", prompt, [i + 1 for i in ranked], _why(measure, facts, ranked), _labels(spec, facts),
                    by=spec.measure, runs=len(facts), extra={"values": [measure.value(f) for f in facts]})


def _number(spec, scene, result, facts) -> Question:
    value, why, prompt, extra = QUANTITIES[spec.quantity](scene, facts[spec.run - 1], spec.run)
    return Question("number", spec.prompt or prompt, value, why, run=spec.run, quantity=spec.quantity, extra=extra)


_ANSWER = {"which": _which, "outcome": _outcome, "diverges": _diverges, "where": _where, "order": _order,
           "number": _number}


# ---------------------------------------------------------------- quantities


def _arrival_step(scene, f: Facts, run: int):
    if f.arrival is None:
        raise SceneError(f"question: {f.label} never arrives, so it has no arrival step", "lesson")
    return (float(f.arrival), f"{f.label} {show_arrival(f)}.",
            f"At which step will {f.label} first come within 0.001 of the lowest value?", {})


# The learning rates tried for the largest stable one: this many, log-spaced
# from 1/1000 of the run's rate to 1000 times it (within lr's range).
STABLE_LR_SAMPLES = 1024


def largest_stable_lr(scene, run: int) -> tuple[float, float]:
    """The largest learning rate at which run `run` of `scene` (everything
    else as given) still ends lower than it starts, every smaller rate of
    the sweep doing so too; and the sweep's ratio between neighbours (its
    resolution). From an exploration: `explore=lr` of that run."""
    from visualizer.core.exploration import explore
    from visualizer.core.variants import parse

    spec = parse(f"lr:run={run},n={STABLE_LR_SAMPLES}")
    explored = explore(scene.replace(explore=spec))
    (axis,) = explored.axes
    values = np.asarray(axis.values, np.float64)
    start = float(np.asarray(simulated_start_loss(scene, run)))
    falls = np.isfinite(explored.final_loss) & (explored.final_loss < start)
    if not falls[0]:
        raise SceneError("question: even the smallest rate tried does not lower the loss", "lesson")
    if falls.all():
        raise SceneError(f"question: every rate tried, up to {values[-1]:.3g}, lowers the loss: no largest one",
                         "lesson")
    return float(values[int(np.argmin(falls)) - 1]), float(values[1] / values[0])


def simulated_start_loss(scene, run: int) -> float:
    """The loss at run `run`'s start: f there on a 2D surface, the
    network's training loss at its initial weights on a model."""
    from visualizer.core.surfaces import NETWORK

    surface = scene.resolved_surface()
    if surface.kind == NETWORK:
        plain = scene.replace(explore=None, runs=(scene.runs[run - 1],))
        return float(simulate(plain).runs[0].loss[0])
    x, y = scene.start_of(scene.runs[run - 1])
    return float(surface.fn(np.float32(x), np.float32(y), **{k: np.float32(v) for k, v in
                                                               scene.surface_values().items()}))


def _largest_stable_lr(scene, f: Facts, run: int):
    value, step = largest_stable_lr(scene, run)
    name = OPTIMIZERS[scene.runs[run - 1].optimizer].name
    return (value, f"Up to lr {value:.3g} the loss still falls in {scene.steps} steps; above it, it grows.",
            f"What is the largest learning rate at which {name} still lowers the loss here?", {"resolution": step})


def _distinct_units(scene, f: Facts, run: int):
    """How many different hidden units run 1's network ends with: units
    with the same incoming weights, bias and outgoing weight (within 1e-6 of
    the weights' size) compute the same thing. From run 1's final weights,
    the plane's centre."""
    result = simulate(scene)
    if result.model is None or run != 1:
        raise SceneError("question: distinct_units asks about run 1 of a network (the plane's centre is its end)",
                         "lesson")
    settings = result.model.settings
    layers = settings.network.unflatten(np.asarray(result.model.plane.centre, np.float64))
    counts = []
    for i, (weights, bias) in enumerate(layers[:-1]):
        outgoing = np.asarray(layers[i + 1][0])
        units = np.concatenate([np.asarray(weights).T, np.asarray(bias)[:, None], outgoing], axis=1)
        scale = max(float(np.max(np.abs(units))), 1e-12)
        distinct: list[np.ndarray] = []
        for unit in units:
            if not any(np.max(np.abs(unit - d)) <= 1e-6 * scale for d in distinct):
                distinct.append(unit)
        counts.append(len(distinct))
    value = float(max(counts))
    layer_word = "layer" if len(counts) == 1 else "layers"
    return (value, f"{f.label} ends with {value:g} different hidden unit{'s' if value != 1 else ''} of "
            f"{settings.network.hidden} (per {layer_word}: {', '.join(str(c) for c in counts)}).",
            f"How many different hidden units will {f.label}'s network have at the end?", {"per_layer": counts})


def _pseudo_label_accuracy(scene, f: Facts, run: int):
    if f.pseudo_label_accuracy is None:
        raise SceneError(f"question: {f.label} pseudo-labels nothing at its last step", "lesson")
    value = round(100 * f.pseudo_label_accuracy, 1)
    return (value, f"{value:g}% of {f.label}'s pseudo-labels are right at its last step.",
            f"What share of {f.label}'s pseudo-labels (in %) will be right at the end?", {})


def _test_accuracy(scene, f: Facts, run: int):
    if f.test_accuracy is None:
        raise SceneError(f"question: {f.label} is not a network's run: it has no test accuracy", "lesson")
    value = round(100 * f.test_accuracy, 1)
    return (value, f"{f.label} ends at {value:g}% test accuracy.",
            f"What test accuracy (in %) will {f.label} end at?", {})


QUANTITIES: dict = {
    "arrival_step": _arrival_step,
    "largest_stable_lr": _largest_stable_lr,
    "distinct_units": _distinct_units,
    "pseudo_label_accuracy": _pseudo_label_accuracy,
    "test_accuracy": _test_accuracy,
}
