"""Every lesson parses, runs, and tells the truth.

Each lesson has one test function below that checks every claim its text
and its steps' lines make, against the engine: a claim is one named check,
and a failing test lists every claim of that lesson that no longer holds
("learning-rate: lr 0.1 arrives by step 35 (got 38)"). When a number in the
engine changes, these tests say which lesson must be rewritten; change the
scene or the words, never the check, to make them agree again.

Simulations are cached per query for the whole module, so a scene shared by
several tests runs once.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
import re

import numpy as np
import pytest

from visualizer.cli import main
from visualizer.core import landmarks, variants
from visualizer.core.engine import simulate
from visualizer.core.errors import SceneError
from visualizer.core.lessons import LESSONS
from visualizer.core.results import SimulationResult, summarize
from visualizer.core.scene import Scene, parse_lenient

IDS = ("learning-rate", "lr-sensitivity", "schedules", "momentum", "nesterov", "adaptive", "adamw",
       "normalization", "starts", "clipping", "noise", "newton", "edge-of-stability", "fair-race", "initialization",
       "activations", "transfer", "labels")

# What fits beside the player: the page shows a lesson's text in a narrow
# column, at 18 px in presentation mode, and all of it (steps included) must
# fit a 1280 x 720 screen. A word is what holds a letter or a digit (not the
# "=" or "+" of a formula).
TEXT_WORDS = 80
LINE_WORDS = 18


def words(text: str) -> int:
    return sum(1 for token in text.split() if re.search(r"\w", token))

# The runs (1-based) each scene lets diverge, by (lesson, step): step None is
# the lesson's own scene. Every other run of every scene must not diverge.
DIVERGES = {
    ("learning-rate", None): {4},
    ("learning-rate", 2): {2},
    ("lr-sensitivity", None): {3},
    ("lr-sensitivity", 3): {3},
    ("schedules", None): {1},
    ("schedules", 0): {1, 2},
    ("schedules", 2): {1, 3},
    ("schedules", 3): {1},
    ("nesterov", 1): {1},
    ("nesterov", 3): {1},
    ("normalization", None): {2},
}


# ---------------------------------------------------------------- measuring


class Claims:
    """The claims of one lesson: each checked by name; `verify()` fails with
    every claim that does not hold."""

    def __init__(self, lesson: str):
        self.lesson = lesson
        self.failed: list[str] = []

    def __call__(self, claim: str, holds, got=None) -> None:
        if not bool(holds):
            self.failed.append(claim + ("" if got is None else f" (got {_show(got)})"))

    def verify(self) -> None:
        assert not self.failed, (f"lesson {self.lesson} no longer tells the truth:\n  - "
                                 + "\n  - ".join(self.failed))


def _show(value) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


class Facts:
    """What a run did, in the terms the lessons use."""

    def __init__(self, scene: Scene, run, summary: dict, marks):
        self.scene = scene
        self.result = run  # the RunResult: its sharpness, flow, quantiles
        self.spec = run.run  # the Run: its optimizer and values
        self.xy = run.xy.astype(np.float64)
        self.loss = run.loss.astype(np.float64)
        self.lr = run.lr.astype(np.float64)
        self.final_loss = float(self.loss[-1])
        self.arrived = summary["steps_to_tolerance"]  # first step from which it stays within 1e-3
        self.passed = summary["passed_at"]
        self.diverged = run.diverged_at
        self.clipped = run.clipped
        self.grad = run.grad.astype(np.float64)
        self.state = {name: values.astype(np.float64) for name, values in run.state.items()}
        self.minima = np.asarray(marks.minima, dtype=np.float64).reshape(-1, 2)

    def distance(self, k: int = -1) -> float:
        """From point k to the nearest minimum."""
        return float(np.min(np.linalg.norm(self.minima - self.xy[k], axis=1)))

    def distances(self) -> np.ndarray:
        """From every point to the nearest minimum."""
        return np.min(np.linalg.norm(self.xy[:, None, :] - self.minima[None, :, :], axis=2), axis=1)

    @property
    def step_lengths(self) -> np.ndarray:
        return np.linalg.norm(np.diff(self.xy, axis=0), axis=1)

    @property
    def farthest(self) -> float:
        """The largest distance from the nearest minimum along the path."""
        return float(np.max(self.distances()))

    def outside(self) -> np.ndarray:
        (x0, x1), (y0, y1) = self.scene.resolved_surface().window
        x, y = self.xy[:, 0], self.xy[:, 1]
        return (x < x0) | (x > x1) | (y < y0) | (y > y1)

    @property
    def leaves_window(self) -> int | None:
        out = self.outside()
        return int(np.argmax(out)) if out.any() else None

    def axes(self) -> tuple[np.ndarray, np.ndarray]:
        """On the quadratic: u along the valley (curvature 1), v across it
        (curvature cond), both 0 at the minimum."""
        a = math.radians(self.scene.surface_values()["angle"])
        x, y = self.xy[:, 0], self.xy[:, 1]
        return x * math.cos(a) + y * math.sin(a), -x * math.sin(a) + y * math.cos(a)

    @property
    def along(self) -> np.ndarray:
        return self.axes()[0]

    @property
    def across(self) -> np.ndarray:
        return self.axes()[1]

    def mean_loss(self, last: int) -> float:
        return float(np.mean(self.loss[-last:]))

    def minimum_index(self) -> int | None:
        """The minimum it ends at (within 1% of the window's diagonal), as
        explorations count it."""
        (x0, x1), (y0, y1) = self.scene.resolved_surface().window
        d = np.linalg.norm(self.minima - self.xy[-1], axis=1)
        return int(np.argmin(d)) if len(d) and d.min() <= 0.01 * math.hypot(x1 - x0, y1 - y0) else None


def crossings(values: np.ndarray) -> int:
    """How many times a coordinate changes sign."""
    s = np.sign(values)
    return int(np.count_nonzero(s[1:] * s[:-1] < 0))


def ratio(values: np.ndarray, first: int, last: int) -> float:
    """The median of |values[k+1] / values[k]| over k in [first, last)."""
    v = np.abs(values[first:last + 1])
    return float(np.median(v[1:] / v[:-1]))


def first(condition: np.ndarray) -> int | None:
    return int(np.argmax(condition)) if condition.any() else None


def by(arrival: int | None, step: int, slack: int = 3) -> bool:
    """"Arrives by step N": arrived at N at the latest, and not much earlier
    (so the number stays worth saying)."""
    return arrival is not None and step - slack <= arrival <= step


@functools.cache
def simulation(query: str) -> tuple[Scene, SimulationResult]:
    scene = Scene.from_query(query)
    return scene, simulate(scene)


@functools.cache
def simulated(query: str) -> tuple[Scene, list[Facts]]:
    scene, result = simulation(query)
    marks = landmarks.of(scene)
    return scene, [Facts(scene, r, s, marks) for r, s in zip(result.runs, summarize(result, marks), strict=True)]


def lesson_query(lesson_id: str) -> str:
    return "lesson=" + lesson_id


def step_query(lesson_id: str, index: int) -> str:
    return LESSONS[lesson_id].step_query(index)


def runs(lesson_id: str, step: int | None = None) -> list[Facts]:
    return simulated(lesson_query(lesson_id) if step is None else step_query(lesson_id, step))[1]


def scene_of(lesson_id: str, step: int | None = None) -> Scene:
    return simulated(lesson_query(lesson_id) if step is None else step_query(lesson_id, step))[0]


def extra(query: str) -> list[Facts]:
    """Runs a claim needs that no scene shows (a limit's other side)."""
    return simulated(query)[1]


# ---------------------------------------------------------------- explorations


@functools.cache
def lr_sweep(query: str) -> tuple[np.ndarray, np.ndarray, list]:
    """The `explore=lr` of a scene, one simulate per eight variants: the
    learning rates, each one's final loss (inf where it diverged) and
    diverged_at."""
    scene = Scene.from_query(query)
    resolved = variants.resolve(scene.explore, scene)
    values = resolved.axes[0].values
    run = scene.runs[resolved.run]
    plain = scene.replace(explore=None)
    finals, diverged = [], []
    for i in range(0, len(values), 8):
        batch = tuple(run.replace(lr=float(v), label="") for v in values[i:i + 8])
        for r in simulate(plain.replace(runs=batch)).runs:
            finals.append(math.inf if r.diverged_at is not None else float(r.loss[-1]))
            diverged.append(r.diverged_at)
    return values, np.asarray(finals), diverged


@functools.cache
def start_map(query: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The `explore=starts` of a scene: the grid's x and y values and the
    index of the minimum each start ends in (-1: none), rows by y."""
    scene = Scene.from_query(query)
    resolved = variants.resolve(scene.explore, scene)
    xs, ys = (a.values for a in resolved.axes)
    run = scene.runs[resolved.run]
    plain = scene.replace(explore=None)
    marks = landmarks.of(scene)
    points = [(float(x), float(y)) for y in ys for x in xs]
    ends = []
    for i in range(0, len(points), 8):
        batch = tuple(run.replace(x0=x, y0=y, label="") for x, y in points[i:i + 8])
        result = simulate(plain.replace(runs=batch))
        for r, s in zip(result.runs, summarize(result, marks), strict=True):
            index = Facts(plain, r, s, marks).minimum_index()
            ends.append(-1 if index is None or r.diverged_at is not None else index)
    return xs, ys, np.asarray(ends).reshape(len(ys), len(xs))


def explore_function():
    """`visualizer.explore(scene)` where it exists yet, else None."""
    try:
        from visualizer import explore
    except ImportError:
        return None
    if inspect.ismodule(explore):
        explore = getattr(explore, "explore", None)
    return explore if callable(explore) else None


# ---------------------------------------------------------------- the lessons as data


def test_the_lessons_in_the_spec_order():
    assert tuple(LESSONS)[:len(IDS)] == IDS


@pytest.mark.parametrize("lesson_id", IDS)
def test_a_lesson_is_a_title_a_few_sentences_a_scene_and_steps(lesson_id):
    lesson = LESSONS[lesson_id]
    assert lesson.title and lesson.topic and "\n" not in lesson.title
    both = lesson.text + " " + lesson.after
    sentences = re.findall(r"[^.?]+?(?:[.?](?=\s|$))", re.sub(r"(\d)\.(\d)", r"\1,\2", both))
    assert 3 <= len(sentences) <= 7, f"{lesson_id}: {len(sentences)} sentences"
    assert 3 <= len(lesson.steps) <= 5, f"{lesson_id}: {len(lesson.steps)} steps"
    assert words(both) <= TEXT_WORDS, f"{lesson_id}: {words(both)} words; it must fit beside the player"
    for step in lesson.steps:
        for line in (step.line, step.after):
            assert "\n" not in line and words(line) <= LINE_WORDS, f"{lesson_id}: step line too long: {line}"
        assert step.scene and not step.scene.startswith("?")


@pytest.mark.parametrize("lesson_id", IDS)
def test_every_scene_of_a_lesson_parses_and_every_run_has_a_label(lesson_id):
    lesson = LESSONS[lesson_id]
    queries = [lesson_query(lesson_id)] + [lesson.step_query(i) for i in range(len(lesson.steps))]
    own = Scene.from_query(queries[0])
    assert own.lesson == lesson_id
    for query in queries:
        scene = Scene.from_query(query)
        assert Scene.from_query(scene.to_query()) == scene
        assert 1 <= len(scene.runs) <= 8, query
        for run in scene.runs:
            assert run.label, f"{query}: run {run.to_spec()} has no label"
        assert scene.steps <= 600, f"{query}: {scene.steps} steps; keep lessons quick"
    for i, query in enumerate(queries[1:]):
        assert Scene.from_query(query) != own, f"{lesson_id}: step {i + 1} changes nothing"


@pytest.mark.parametrize("lesson_id", IDS)
def test_runs_diverge_only_where_the_lesson_says_so(lesson_id):
    for step in [None, *range(len(LESSONS[lesson_id].steps))]:
        if step is not None and LESSONS[lesson_id].steps[step].scene.startswith("lesson="):
            continue  # another lesson's scene, checked there
        diverged = {i for i, r in enumerate(runs(lesson_id, step), start=1) if r.diverged is not None}
        where = "its scene" if step is None else f"step {step + 1}"
        assert diverged == DIVERGES.get((lesson_id, step), set()), f"{lesson_id}, {where}: runs {diverged} diverge"


def test_an_unknown_lesson_lists_the_lessons_and_keeps_the_default_scene():
    with pytest.raises(SceneError) as caught:
        Scene.from_query("lesson=nope")
    assert caught.value.key == "lesson"
    for lesson_id in IDS:
        assert lesson_id in str(caught.value)
    scene, problems = parse_lenient("lesson=nope")
    assert [p.key for p in problems] == ["lesson"]
    assert scene == Scene.default()


def test_a_key_that_breaks_a_lesson_is_reported_alone():
    scene, problems = parse_lenient("lesson=newton&steps=abc")
    assert [p.key for p in problems] == ["steps"], [str(p) for p in problems]
    own = Scene.from_query("lesson=newton")
    assert scene.replace(steps=own.steps) == own  # steps falls back to its default; all else is the lesson's
    scene, problems = parse_lenient("lesson=clipping&run=sgd:lr=-1")
    assert [p.key for p in problems] == ["run"]
    assert scene.lesson == "clipping" and scene.surface == "cliff"
    scene, problems = parse_lenient("lesson=lr-sensitivity&hide=9")
    assert [p.key for p in problems] == ["hide"]
    assert scene.explore == Scene.from_query("lesson=lr-sensitivity").explore


def test_keys_beside_a_lesson_override_its_scene():
    scene = Scene.from_query("lesson=momentum&steps=40&view=3d")
    own = Scene.from_query("lesson=momentum")
    assert scene.steps == 40 and scene.viewer.view == "3d"
    assert scene.runs == own.runs and scene.surface_params == own.surface_params


# ---------------------------------------------------------------- the command line


def test_cli_lists_the_lessons_as_a_table(capsys):
    assert main(["lessons"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["id", "title", "topic"]
    for lesson in LESSONS.values():
        row = next(line for line in lines if line.startswith(lesson.id + " "))
        assert lesson.title in row and lesson.topic in row


def test_cli_lists_the_lessons_as_json(capsys):
    assert main(["lessons", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)["lessons"]
    assert [entry["id"] for entry in listing] == list(LESSONS)
    for entry in listing:
        lesson = LESSONS[entry["id"]]
        assert {"id", "title", "topic", "scene", "steps"} <= set(entry)
        assert entry["title"] == lesson.title and entry["scene"] == lesson.scene
        assert [s["line"] for s in entry["steps"]] == [s.line for s in lesson.steps]
        assert entry["after"] == lesson.after and [s["after"] for s in entry["steps"]] == [s.after for s in lesson.steps]
        assert [s["scene"] for s in entry["steps"]] == [s.scene for s in lesson.steps]
        assert [s["query"] for s in entry["steps"]] == [lesson.step_query(i) for i in range(len(lesson.steps))]


def test_cli_rejects_an_argument_it_does_not_know(capsys):
    assert main(["lessons", "--yaml"]) == 2
    assert capsys.readouterr().err.startswith("error: ")


# ---------------------------------------------------------------- each lesson's claims


def test_learning_rate():
    claim = Claims("learning-rate")
    low, good, below, above = runs("learning-rate")
    claim("the bowl's steep curvature is L = 10", scene_of("learning-rate").surface_values()["cond"] == 10)
    claim("lr 0.1 arrives within 1e-3 by step 35", by(good.arrived, 35), good.arrived)
    claim("lr 0.01 is still 0.6 from the minimum after 100 steps", round(low.distance(), 1) == 0.6, low.distance())
    claim("lr 0.1 = 1/L removes the steep direction in one step", abs(good.across[1]) < 1e-4 * abs(good.across[0]),
          good.across[1])
    claim("lr 0.19 zig-zags (across the valley, on every step)", crossings(below.across[:61]) == 60,
          crossings(below.across[:61]))
    claim("each of lr 0.19's swings is 10% smaller", abs(ratio(below.across, 0, 40) - 0.9) < 0.005,
          ratio(below.across, 0, 40))
    claim("lr 0.19 arrives by step 49", by(below.arrived, 49), below.arrived)
    claim("lr 0.22 swings 20% wider each step", abs(ratio(above.across, 0, 40) - 1.2) < 0.005,
          ratio(above.across, 0, 40))
    claim("lr 0.22 diverges at step 71", above.diverged is not None and abs(above.diverged - 71) <= 1, above.diverged)
    claim("stable only for lr < 2/L = 0.2: no run below it diverges", all(r.diverged is None for r in (low, good, below)))

    shrinks, grows = runs("learning-rate", 0)
    claim("step 1: lr 0.19's zig-zag shrinks", ratio(shrinks.across, 0, 40) < 1, ratio(shrinks.across, 0, 40))
    claim("step 1: lr 0.21's zig-zag grows", ratio(grows.across, 0, 40) > 1 and grows.final_loss > grows.loss[0],
          ratio(grows.across, 0, 40))
    one, near_two = runs("learning-rate", 1)
    claim("step 2: at cond=1, lr 1 lands on the minimum in one step", one.distance(1) < 1e-5, one.distance(1))
    claim("step 2: at cond=1, lr 1.9 (below 2/L = 2) converges", near_two.arrived is not None, near_two.arrived)
    stable, unstable = runs("learning-rate", 2)
    claim("step 3: at cond=100, lr 0.019, below 2/L = 0.02, is stable", stable.final_loss < stable.loss[0],
          stable.final_loss)
    claim("step 3: lr 0.019 is still 0.24 away after 100 steps", round(stable.distance(), 2) == 0.24,
          stable.distance())
    claim("step 3: lr 0.022 diverges", unstable.diverged is not None)
    swept = scene_of("lr-sensitivity").explore.params
    claim("step 4: the next lesson sweeps every rate from 0.001 to 1",
          LESSONS["learning-rate"].steps[3].scene == "lesson=lr-sensitivity"
          and (swept["lo"], swept["hi"]) == (0.001, 1.0), swept)
    claim.verify()


def _curve_claims(claim, where: str, values, finals, start_loss: float, limit: float):
    """The cliff of a sweep at `limit`: every rate below it ends lower than it
    started, every rate above it higher (or diverged)."""
    below, above = values < limit * 0.995, values > limit * 1.005
    claim(f"{where}: every rate below {limit:.3g} ends lower than it started", np.all(finals[below] < start_loss),
          values[below][finals[below] >= start_loss][:3].tolist())
    claim(f"{where}: every rate above {limit:.3g} ends higher than it started", np.all(finals[above] > start_loss),
          values[above][finals[above] <= start_loss][:3].tolist())


def _sweeps(query: str):
    """The sweep of `query` by simulate, and by visualizer.explore where it
    exists (docs/explore.md promises they agree)."""
    values, finals, diverged = lr_sweep(query)
    yield "", values, finals
    explore = explore_function()
    if explore is not None:
        outcome = explore(Scene.from_query(query)).to_dict()["explore"]
        explored = np.asarray([math.inf if f is None else f for f in outcome["final_loss"]], dtype=np.float64)
        yield " (visualizer.explore)", np.asarray(outcome["axes"][0]["values"]), explored


def test_lr_sensitivity():
    claim = Claims("lr-sensitivity")
    scene = scene_of("lr-sensitivity")
    floor_run, slope_run, cliff_run = runs("lr-sensitivity")
    start_loss = float(floor_run.loss[0])
    claim("the bowl's loss starts from 28.7", round(start_loss, 1) == 28.7, start_loss)
    claim("the curve has 128 rates from 0.001 to 1",
          scene.explore.kind == "lr" and scene.explore.params == {"lo": 0.001, "hi": 1.0, "n": 128})
    claim("the three paths are three rates of the curve", all(0.001 <= r.spec.lr <= 1 for r in (floor_run, slope_run,
                                                                                             cliff_run)))
    for source, values, finals in _sweeps(lesson_query("lr-sensitivity")):
        best = int(np.argmin(finals))
        claim(f"the curve falls to its floor{source}",
              np.all(np.diff(finals[:best + 1]) < 0), best)
        claim(f"the floor is near lr 0.18 = 2/(L + 1){source}", abs(values[best] / (2 / 11) - 1) < 0.05, values[best])
        _curve_claims(claim, "the cliff at 2/L = 0.2" + source, values, finals, start_loss, 0.2)
        blowup = values[np.argmax(finals > start_loss)]
        claim(f"the best rate is less than 20% below the first that blows up{source}",
              values[best] < blowup < 1.2 * values[best], (values[best], blowup))
    u, v = floor_run.axes()
    claim("at lr 0.18 the steep and the shallow axis shrink equally fast",
          abs(ratio(u, 0, 30) - ratio(v, 0, 30)) < 0.03, (ratio(u, 0, 30), ratio(v, 0, 30)))
    claim("the paths: lr 0.01 is on the slope, 0.18 on the floor, 0.25 over the cliff",
          floor_run.final_loss < 1e-12 < slope_run.final_loss < start_loss and cliff_run.diverged is not None)

    sgd_floor = float(np.min(lr_sweep(lesson_query("lr-sensitivity"))[1]))
    for source, values, finals in _sweeps(step_query("lr-sensitivity", 0)):
        _curve_claims(claim, "step 1: momentum's cliff at 2(1 + 0.9)/L = 0.38" + source, values, finals, start_loss,
                      0.38)
        claim(f"step 1: momentum's floor is far shallower{source}", np.min(finals) > 1000 * sgd_floor,
              np.min(finals))
    narrow_start = float(runs("lr-sensitivity", 1)[0].loss[0])
    for source, values, finals in _sweeps(step_query("lr-sensitivity", 1)):
        _curve_claims(claim, "step 2: at cond=100 the cliff at 2/L = 0.02" + source, values, finals, narrow_start,
                      0.02)
        claim(f"step 2: no rate gets within 1e-3{source}", np.min(finals) > 1e-3, np.min(finals))
    for source, _values, finals in _sweeps(step_query("lr-sensitivity", 2)):
        claim(f"step 3: Adam has no cliff up to lr 1{source}", np.all(finals < start_loss), np.max(finals))
        claim(f"step 3: Adam has a shallower floor{source}", np.min(finals) > 1000 * sgd_floor,
              np.min(finals))
    claim("step 3: Adam's steps are about lr long", np.all(runs("lr-sensitivity", 2)[0].step_lengths[:20]
                                                           < 1.5 * math.sqrt(2) * 0.1))
    _, finals_100, _ = lr_sweep(lesson_query("lr-sensitivity"))
    for source, values, finals in _sweeps(step_query("lr-sensitivity", 3)):
        claim(f"step 4: with 300 steps the floor deepens{source}", np.min(finals) < np.min(finals_100),
              np.min(finals))
        _curve_claims(claim, "step 4: with 300 steps the cliff stays at 2/L = 0.2" + source, values, finals,
                      start_loss, 0.2)
    claim.verify()


def test_schedules():
    claim = Claims("schedules")
    constant, step, cosine, warm = runs("schedules")
    claim("all four runs use SGD at lr 0.22", all(r.spec.optimizer == "sgd" and r.spec.lr == 0.22
                                                  for r in (constant, step, cosine, warm)))
    claim("the constant zig-zag grows 20% a step", abs(ratio(constant.across, 0, 40) - 1.2) < 0.005,
          ratio(constant.across, 0, 40))
    claim("the constant run diverges at step 71", constant.diverged is not None and abs(constant.diverged - 71) <= 1,
          constant.diverged)
    claim("step decay halves the rate every 10 steps", np.allclose(step.lr[[0, 9, 10, 19, 20]],
                                                                   [0.22, 0.22, 0.11, 0.11, 0.055]), step.lr[:21])
    claim("step decay's zig-zag flies 14 units out", round(step.farthest) == 14, step.farthest)
    claim("step decay arrives by step 20", by(step.arrived, 20), step.arrived)
    claim("cosine is below 0.2 only from step 20 on", first(cosine.lr < 0.2) == 20, first(cosine.lr < 0.2))
    claim("cosine flies 28 units out", round(cosine.farthest) == 28 and cosine.farthest > step.farthest,
          cosine.farthest)
    claim("cosine arrives by step 42", by(cosine.arrived, 42), cosine.arrived)
    passes = first(warm.lr >= 0.2)
    claim("warm-up + cosine settles the steep axis before passing 0.2",
          abs(warm.across[passes]) < 0.01 * abs(warm.across[0]), warm.across[passes])
    claim("warm-up + cosine stays in the window", warm.leaves_window is None, warm.leaves_window)
    claim("warm-up + cosine arrives by step 26", by(warm.arrived, 26), warm.arrived)

    constant, high = runs("schedules", 0)
    claim("step 1: with cosine to 95% the rate stays above 0.209", round(float(np.min(high.lr)), 3) == 0.209,
          np.min(high.lr))
    claim("step 1: cosine to 95% diverges too", high.diverged is not None and constant.diverged)
    _, warm_only = runs("schedules", 1)
    back = first(warm_only.lr >= 0.22 * 0.9999)
    claim("step 2: without decay the rate stays at 0.22 after the warm-up", np.allclose(warm_only.lr[back:], 0.22))
    claim("step 2: warm-up only comes within 1e-3 of the minimum", warm_only.passed is not None, warm_only.passed)
    claim("step 2: then the zig-zag grows back (and throws it out of the window)",
          warm_only.arrived is None and warm_only.leaves_window is not None
          and warm_only.leaves_window > warm_only.passed and ratio(warm_only.across, 100, 140) > 1.1,
          warm_only.leaves_window)
    constant, step, cosine, warm = runs("schedules", 2)
    claim("step 3: at lr 0.3 the constant and the cosine runs diverge",
          constant.diverged is not None and cosine.diverged is not None)
    claim("step 3: step decay and warm-up + cosine still arrive", step.arrived is not None and warm.arrived is not None,
          (step.arrived, warm.arrived))
    claim("step 3: ... after flying far", step.leaves_window is not None and warm.leaves_window is not None
          and min(step.farthest, warm.farthest) > 10 * 3, (step.farthest, warm.farthest))
    constant, exponential = runs("schedules", 3)
    claim("step 4: exponential decay is below 2/L from step 4 on", first(exponential.lr < 0.2) == 4,
          first(exponential.lr < 0.2))
    claim("step 4: exponential decay arrives by step 20", by(exponential.arrived, 20), exponential.arrived)
    claim.verify()


def test_momentum():
    claim = Claims("momentum")
    momentum, sgd = runs("momentum")
    claim("the ravine is the bowl at cond=100", scene_of("momentum").surface_values()["cond"] == 100)
    claim("SGD at lr 0.019 (below 2/L = 0.02) is stable", sgd.spec.lr == 0.019 < 2 / 100 and sgd.diverged is None)
    over = extra("lesson=momentum&run=sgd:lr=0.021,label=a")[0]
    claim("SGD needs lr < 2/L = 0.02 (at 0.021 it ends higher than it started)",
          over.final_loss > over.loss[0], over.final_loss)
    claim("SGD crosses the floor every step", crossings(sgd.across) == 150,
          crossings(sgd.across))
    claim("each SGD step along the floor covers 1.9% of the way",
          abs(ratio(sgd.along, 0, 100) - 0.981) < 0.001, ratio(sgd.along, 0, 100))
    claim("SGD ends at loss 0.004", round(sgd.final_loss, 3) == 0.004, sgd.final_loss)
    claim("momentum's swings across cancel (it crosses the floor half as often as SGD)",
          0.4 <= crossings(momentum.across) / crossings(sgd.across) <= 0.6, crossings(momentum.across))
    claim("momentum ends at loss 4e-5", f"{momentum.final_loss:.0e}" == "4e-05", momentum.final_loss)
    claim("momentum overshoots the minimum six times (along the floor)", crossings(momentum.along) == 6,
          crossings(momentum.along))
    claim("momentum settles after that: it arrives within 1e-3", momentum.arrived is not None)

    wild, sgd = runs("momentum", 0)
    claim("step 1: momentum 0.99 ends worse than SGD", wild.final_loss > sgd.final_loss, wild.final_loss)
    claim("step 1: momentum 0.99 swings all run long",
          crossings(wild.along[-60:]) >= 1 and crossings(wild.along) >= 5, crossings(wild.along))
    half, nine, sgd = runs("momentum", 1)
    claim("step 2: momentum 0.5 does not overshoot along the floor", crossings(half.along) == 0,
          crossings(half.along))
    claim("step 2: momentum 0.5 arrives by step 91", by(half.arrived, 91), half.arrived)
    claim("step 2: momentum 0.5 arrives first", (sgd.arrived is None or half.arrived < sgd.arrived)
          and half.arrived < nine.arrived, (nine.arrived, sgd.arrived))
    best, nine = runs("momentum", 2)
    kappa = 100
    claim("step 3: lr 0.033 with momentum 0.67 is theory's best pair for cond=100",
          round(((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2, 3) == best.spec.momentum
          and round(4 / (math.sqrt(kappa) + 1) ** 2, 4) == best.spec.lr, (best.spec.momentum, best.spec.lr))
    claim("step 3: the best pair arrives by step 72", by(best.arrived, 72), best.arrived)
    momentum, sgd = runs("momentum", 3)
    claim("step 4: at cond=10 and lr 0.18 SGD arrives by step 24", by(sgd.arrived, 24), sgd.arrived)
    claim("step 4: momentum 0.9 only by step 102", by(momentum.arrived, 102), momentum.arrived)
    claim.verify()


def _rise_after_first_dip(loss: np.ndarray) -> float:
    """The highest loss after the loss first stops falling."""
    dip = first(np.diff(loss) > 0)
    return float(np.max(loss[dip:])) if dip is not None else float(loss[-1])


def test_nesterov():
    claim = Claims("nesterov")
    nesterov, momentum = runs("nesterov")
    claim("both lr 0.1 and momentum 0.9, on the cond=10 bowl",
          all(r.spec.lr == 0.1 and r.spec.momentum == 0.9 for r in (nesterov, momentum))
          and scene_of("nesterov").surface_values()["cond"] == 10)
    g0 = nesterov.grad[0]
    claim("Nesterov steps along the gradient plus momentum times its new velocity (the first step: lr (1 + 0.9) g)",
          np.allclose(nesterov.xy[1], nesterov.xy[0] - 0.1 * (g0 + 0.9 * g0), atol=1e-5), nesterov.xy[1])
    claim("after its first dip momentum's loss climbs back to 23", round(_rise_after_first_dip(momentum.loss)) == 23,
          _rise_after_first_dip(momentum.loss))
    claim("Nesterov's loss never rises above 0.21 after its first dip",
          round(_rise_after_first_dip(nesterov.loss), 2) == 0.21, _rise_after_first_dip(nesterov.loss))
    claim("momentum runs 1.0 past the minimum along the valley", round(float(np.max(momentum.along)), 1) == 1.0,
          np.max(momentum.along))
    claim("along the valley Nesterov runs 0.65 past it", round(float(np.max(nesterov.along)), 2) == 0.65,
          np.max(nesterov.along))
    claim("Nesterov arrives by step 32", by(nesterov.arrived, 32), nesterov.arrived)
    claim("momentum arrives only by step 100", by(momentum.arrived, 100), momentum.arrived)

    nesterov, momentum = runs("nesterov", 0)
    claim("step 1: with momentum 0.99, momentum still swings at step 150",
          momentum.arrived is None and crossings(momentum.along[-50:]) >= 1, momentum.final_loss)
    claim("step 1: with momentum 0.99 Nesterov arrives by step 60", by(nesterov.arrived, 60), nesterov.arrived)
    nesterov, momentum = runs("nesterov", 1)
    mu, cond = 0.9, 10
    claim("step 2: Nesterov's limit is 2(1 + μ)/((1 + 2μ)L) = 0.136 < 0.15",
          round(2 * (1 + mu) / ((1 + 2 * mu) * cond), 3) == 0.136 < nesterov.spec.lr)
    claim("step 2: momentum arrives at lr 0.15", momentum.arrived is not None)
    claim("step 2: Nesterov diverges at lr 0.15", nesterov.diverged is not None)
    below = extra("lesson=nesterov&run=nesterov:lr=0.13,momentum=0.9,label=a")[0]
    claim("step 2: just below its limit (lr 0.13) Nesterov converges", below.arrived is not None)
    nesterov, momentum = runs("nesterov", 2)
    claim("step 3: on Rosenbrock, after 500 steps Nesterov is 0.09 from (1, 1)", round(nesterov.distance(), 2) == 0.09,
          nesterov.distance())
    claim("step 3: ... and momentum 0.15", round(momentum.distance(), 2) == 0.15, momentum.distance())
    nesterov, momentum = runs("nesterov", 3)
    claim("step 4: the ravine (cond=100): Nesterov's limit is 0.0136", round(2 * (1 + mu) / ((1 + 2 * mu) * 100), 4) == 0.0136)
    claim("step 4: at cond=100 and lr 0.019 Nesterov diverges", nesterov.diverged is not None)
    claim("step 4: momentum arrives", momentum.arrived is not None)
    claim.verify()


def test_adaptive():
    claim = Claims("adaptive")
    adagrad, rmsprop, adam = runs("adaptive")
    scene = scene_of("adaptive")
    claim("all three at lr 0.1, on Beale (from (1, 1.5)) towards the minimum at (3, 0.5)",
          all(r.spec.lr == 0.1 for r in (adagrad, rmsprop, adam)) and scene.surface == "beale"
          and scene.start == (1.0, 1.5) and tuple(adagrad.minima[0]) == (3.0, 0.5))
    steps = adagrad.step_lengths
    claim("AdaGrad's sum of all past squared gradients only grows", np.all(np.diff(adagrad.state["sum_sq"], axis=0) >= 0))
    claim("AdaGrad's steps shrink from 0.14 to 0.001", round(steps[0], 2) == 0.14 and round(steps[-1], 3) == 0.001,
          (steps[0], steps[-1]))
    claim("AdaGrad stalls 0.8 short of the minimum", round(adagrad.distance(), 1) == 0.8, adagrad.distance())
    steps = rmsprop.step_lengths
    claim("RMSProp's steps stay about 0.14 long", abs(np.median(steps[-100:]) - 0.14) < 0.01, np.median(steps[-100:]))
    hops = rmsprop.distances()[-100:]
    claim("RMSProp hops 0.16 to 0.23 from the minimum",
          (round(float(hops.min()), 2), round(float(hops.max()), 2)) == (0.16, 0.23), (hops.min(), hops.max()))
    claim("... never settling", rmsprop.arrived is None and np.median(steps[-100:]) > 0.1, rmsprop.final_loss)
    claim("Adam corrects the averages' start at 0 (its first step is 0.14 long, RMSProp's 0.45)",
          round(adam.step_lengths[0], 2) == 0.14 and round(rmsprop.step_lengths[0], 2) == 0.45,
          (adam.step_lengths[0], rmsprop.step_lengths[0]))
    claim("Adam settles (within 1e-3) by step 276", by(adam.arrived, 276), adam.arrived)

    high, low = runs("adaptive", 0)
    claim("step 1: AdaGrad at lr 0.5 gets within 1e-3 by step 519 of 600",
          scene_of("adaptive", 0).steps == 600 and by(high.arrived, 519), high.arrived)
    claim("step 1: the stall comes later at lr 0.5 (lr 0.1 never arrives)", low.arrived is None)
    small, large = runs("adaptive", 1)
    claim("step 2: RMSProp at lr 0.01 hops ten times smaller",
          abs(np.median(small.step_lengths[-50:]) / np.median(large.step_lengths[-50:]) - 0.1) < 0.02,
          np.median(small.step_lengths[-50:]))
    claim("step 2: RMSProp at lr 0.01 settles by step 377", by(small.arrived, 377), small.arrived)
    short, rmsprop = runs("adaptive", 2)
    claim("step 3: Adam with b2 = 0.9 settles, by step 130", by(short.arrived, 130), short.arrived)
    claim("step 3: ... where RMSProp (decay 0.9) does not", rmsprop.arrived is None and rmsprop.spec.decay == 0.9)
    still, rmsprop = runs("adaptive", 3)
    claim("step 4: Adam without momentum settles too, by step 284", by(still.arrived, 284), still.arrived)
    claim("step 4: its long memory shrinks its steps", still.step_lengths[-1] < 0.01 * still.step_lengths[0],
          still.step_lengths[-1])
    claim.verify()


def test_adamw():
    claim = Claims("adamw")
    adamw, adam = runs("adamw")
    surface = scene_of("adamw").resolved_surface()
    claim("the loss ignores y: every point of the line x = 2 is a minimum",
          all(float(surface.fn(2.0, y)) == 0 for y in (-1.0, 0.0, 2.5, 4.0)) and float(surface.fn(1.0, 2.5)) > 0)
    claim("Adam without decay walks to x = 2", abs(adam.xy[-1, 0] - 2) < 0.01, adam.xy[-1, 0])
    claim("Adam without decay leaves y at 2.5 for good", np.all(adam.xy[:, 1] == 2.5))
    claim("AdamW shrinks y by lr times the decay, 0.5% a step",
          np.allclose(adamw.xy[1:, 1] / adamw.xy[:-1, 1], 1 - 0.05 * 0.1, atol=1e-6))
    claim("AdamW's y falls steadily from 2.5 to 0.92",
          adamw.xy[0, 1] == 2.5 and round(adamw.xy[-1, 1], 2) == 0.92 and np.all(np.diff(adamw.xy[:, 1]) < 0),
          adamw.xy[-1, 1])
    claim("AdamW's x still ends at 1.93", round(adamw.xy[-1, 0], 2) == 1.93, adamw.xy[-1, 0])

    (l2,) = runs("adamw", 0)
    claim("step 1: Adam with L2: y is 0.45 at step 50", round(l2.xy[50, 1], 2) == 0.45, l2.xy[50, 1])
    claim("step 1: ... AdamW's is 1.95", round(adamw.xy[50, 1], 2) == 1.95, adamw.xy[50, 1])
    claim("step 1: with L2 x settles at 1.82", round(l2.xy[-1, 0], 2) == 1.82 and np.ptp(l2.xy[-50:, 0]) < 0.005,
          l2.xy[-1, 0])
    claim("step 1: 1.82 is the penalised minimum, 2 / 1.1", round(2 / 1.1, 2) == 1.82)
    scaled, scaled_adam = runs("adamw", 1)
    claim("step 2: ten times the loss: AdamW's path is unchanged", np.max(np.abs(scaled.xy - adamw.xy)) < 1e-3,
          np.max(np.abs(scaled.xy - adamw.xy)))
    claim("step 2: ... and Adam's", np.max(np.abs(scaled_adam.xy - adam.xy)) < 1e-3)
    (scaled_l2,) = runs("adamw", 2)
    claim("step 3: ten times the loss, same L2: x settles at 1.98 (the loss outweighs the penalty)",
          round(scaled_l2.xy[-1, 0], 2) == 1.98 and np.ptp(scaled_l2.xy[-50:, 0]) < 0.005, scaled_l2.xy[-1, 0])
    strong, mild = runs("adamw", 3)
    claim("step 4: with decay 1 x stays below 1", np.max(strong.xy[:, 0]) < 1, np.max(strong.xy[:, 0]))
    claim("step 4: ... near 1, where the decay beats Adam's step (about lr long)", strong.xy[-1, 0] > 0.9, strong.xy[-1, 0])
    claim("step 4: with decay 1 y falls to 0", abs(strong.xy[-1, 1]) < 0.01, strong.xy[-1, 1])
    claim.verify()


def test_normalization():
    claim = Claims("normalization")
    slow, fast = runs("normalization")
    claim("momentum 0.5 on the cond=100 bowl",
          scene_of("normalization").surface_values()["cond"] == 100 and slow.spec.momentum == fast.spec.momentum == 0.5)
    claim("the limit 2(1 + μ)/L is 0.03", round(2 * (1 + 0.5) / 100, 3) == 0.03)
    edge = extra("lesson=normalization&run=momentum:lr=0.029,momentum=0.5,label=a"
                 "&run=momentum:lr=0.031,momentum=0.5,label=b")
    claim("the steep axis caps the rate at 0.03: 0.029 arrives, 0.031 diverges",
          edge[0].arrived is not None and edge[1].diverged is not None)
    claim("lr 0.5 diverges at step 3", fast.diverged == 3, fast.diverged)
    claim("lr 0.02 arrives only by step 86", by(slow.arrived, 86), slow.arrived)
    claim("lr 0.02 is slow along the shallow axis", abs(slow.across[40]) < 1e-3 * abs(slow.along[40]))
    claim("step 1 shows the bowl at cond=1, from the same start",
          scene_of("normalization", 0).surface_values()["cond"] == 1
          and scene_of("normalization", 0).start == scene_of("normalization").start)

    slow1, fast1 = runs("normalization", 0)
    claim("step 1: at cond=1 lr 0.5 is stable and arrives by step 13", by(fast1.arrived, 13), fast1.arrived)
    claim("step 1: lr 0.02 is no faster than at cond=100 (step 99)",
          by(slow1.arrived, 99) and slow1.arrived >= slow.arrived, slow1.arrived)
    (sgd,) = runs("normalization", 1)
    claim("step 2: at cond=1 SGD at lr 1 lands on the minimum in one step", sgd.distance(1) < 1e-5, sgd.distance(1))
    middle, slow10 = runs("normalization", 2)
    claim("step 3: at cond=10 the limit 2(1 + μ)/L is 0.3", round(2 * 1.5 / 10, 3) == 0.3)
    edge = extra("lesson=normalization&surface=quadratic:cond=10&run=momentum:lr=0.29,momentum=0.5,label=a"
                 "&run=momentum:lr=0.31,momentum=0.5,label=b")
    claim("step 3: at cond=10 lr 0.29 arrives and 0.31 does not",
          edge[0].arrived is not None and edge[1].final_loss > edge[1].loss[0])
    claim("step 3: at cond=10 lr 0.2 arrives by step 15", by(middle.arrived, 15), middle.arrived)
    (tight,) = runs("normalization", 3)
    claim("step 4: at cond=1000 the limit falls to 0.003", round(2 * 1.5 / 1000, 4) == 0.003)
    edge = extra("lesson=normalization&surface=quadratic:cond=1000&run=momentum:lr=0.0029,momentum=0.5,label=a"
                 "&run=momentum:lr=0.0031,momentum=0.5,label=b")
    claim("step 4: at cond=1000 lr 0.0029 is stable and 0.0031 is not",
          edge[0].final_loss < edge[0].loss[0] and edge[1].final_loss > edge[1].loss[0])
    claim("step 4: lr 0.002 is still 1.0 away after 120 steps",
          scene_of("normalization", 3).steps == 120 and round(tight.distance(), 1) == 1.0, tight.distance())
    claim.verify()


def _ring(center, radius: float, count: int = 16) -> list[tuple[float, float]]:
    return [(center[0] + radius * math.cos(2 * math.pi * k / count), center[1] + radius * math.sin(2 * math.pi * k / count))
            for k in range(count)]


def _ends_from(query: str, points) -> list[int | None]:
    """Where run 1 of `query` ends from each of `points`."""
    scene = Scene.from_query(query).replace(explore=None)
    run = scene.runs[0]
    out = []
    for i in range(0, len(points), 8):
        batch = tuple(run.replace(x0=x, y0=y, label=f"{k}") for k, (x, y) in enumerate(points[i:i + 8]))
        out += [f.minimum_index() for f in simulated(scene.replace(runs=batch).to_query())[1]]
    return out


def test_starts():
    claim = Claims("starts")
    scene = scene_of("starts")
    sgd = runs("starts")
    surface = scene.resolved_surface()
    claim("Himmelblau has four minima, all at f = 0", len(surface.minima) == 4 and surface.min_value == 0)
    starts = np.array([scene.start_of(r.spec) for r in sgd])
    spread = max(np.linalg.norm(a - b) for a in starts for b in starts)
    claim("the four SGD runs (lr 0.01) start within 0.6 of each other", spread < 0.6 and all(r.spec.lr == 0.01
                                                                                           for r in sgd), spread)
    peak = np.array([-0.270845, -0.923039])  # Himmelblau's local maximum
    quadrants = {(bool(dx > 0), bool(dy > 0)) for dx, dy in starts - peak}
    claim("... around the peak near (-0.27, -0.92): within 0.4 of it, one on each side",
          np.all(np.linalg.norm(starts - peak, axis=1) < 0.4) and len(quadrants) == 4, starts.tolist())
    ends = [r.minimum_index() for r in sgd]
    claim("... and end in four different minima", sorted(e for e in ends if e is not None) == [0, 1, 2, 3], ends)
    xs, ys, basins = start_map(lesson_query("starts"))
    claim("the map colours every start in the window by the minimum it ends in",
          scene.explore.kind == "starts" and np.all(basins >= 0), int(np.sum(basins < 0)))
    claim("the map shows four basins", set(np.unique(basins)) == {0, 1, 2, 3}, np.unique(basins))
    explore = explore_function()
    if explore is not None:
        explored = explore(scene).to_dict()["explore"]["minimum"]
        explored = np.asarray([[-1 if m is None else m for m in row] for row in explored])
        claim("the map (visualizer.explore) is the map of simulate's runs", np.mean(explored == basins) > 0.99,
              np.mean(explored == basins))
    near_peak = _ends_from(lesson_query("starts"), _ring(peak, 0.3))
    claim("the borders meet at the peak: starts around it reach all four minima", set(near_peak) == {0, 1, 2, 3},
          near_peak)
    for saddle in surface.saddles:
        around = _ends_from(lesson_query("starts"), _ring(saddle, 0.3))
        claim(f"a border passes through the saddle ({saddle[0]:.2f}, {saddle[1]:.2f}): starts around it reach two "
              f"minima", len(set(around)) == 2 and None not in around, around)

    momentum = runs("starts", 0)
    claim("step 1: momentum 0.9 (lr 0.005): the same four ends from the four starts",
          [r.minimum_index() for r in momentum] == ends, [r.minimum_index() for r in momentum])
    _, _, pushed = start_map(step_query("starts", 0))
    elsewhere = float(np.mean(pushed != basins))
    claim("step 1: nearly a quarter of all starts end elsewhere with momentum", 0.2 <= elsewhere < 0.25, elsewhere)
    adam = runs("starts", 1)
    claim("step 2: with Adam (lr 0.1), (0, -1) now ends in (3, 2)",
          tuple(adam[3].minima[adam[3].minimum_index()]) == (3.0, 2.0) and ends[3] != adam[3].minimum_index(),
          adam[3].xy[-1])
    _, _, adapted = start_map(step_query("starts", 1))
    claim("step 2: the optimizer moves the borders too (Adam's map differs from SGD's)",
          0.02 < float(np.mean(adapted != basins)), float(np.mean(adapted != basins)))
    xs, ys, halves = start_map(step_query("starts", 2))
    top, bottom = (int(np.argmax(scene_of("starts", 2).resolved_surface().minima, axis=0)[1]),
                   int(np.argmin(scene_of("starts", 2).resolved_surface().minima, axis=0)[1]))
    claim("step 3: on the saddle surface, starts above y = 0 end in the top minimum", np.all(halves[ys > 0] == top))
    claim("step 3: those below in the bottom", np.all(halves[ys < 0] == bottom))
    on, off = runs("starts", 3)
    claim("step 4: started on the border y = 0 itself, SGD stops on the saddle (0, 0)",
          on.spec.y0 == 0 and np.linalg.norm(on.xy[-1]) < 1e-3 and np.all(on.xy[:, 1] == 0), on.xy[-1])
    claim("step 4: from y = 0.001 it leaves the saddle for a minimum", off.minimum_index() is not None)
    claim.verify()


def test_clipping():
    claim = Claims("clipping")
    plain, by_norm, by_value = runs("clipping")
    fn = scene_of("clipping").resolved_surface().fn
    claim("the wall is 50 high", round(float(fn(2.0, 0.0)) - float(fn(1.0, 0.0))) == 50)
    steepest = max(float(np.max(np.linalg.norm(r.grad, axis=1))) for r in (plain, by_norm, by_value))
    claim("the gradient reaches about 250", 225 <= steepest <= 275, steepest)
    claim("all three are SGD at lr 0.1, starting on the plateau",
          all(r.spec.optimizer == "sgd" and r.spec.lr == 0.1 for r in (plain, by_norm, by_value))
          and plain.xy[0, 0] > 1.5 + 0.5)
    claim("unclipped, one 24-unit step on the wall", round(float(np.max(plain.step_lengths))) == 24,
          np.max(plain.step_lengths))
    claim("unclipped, it throws the run off the map at step 10", plain.leaves_window == 10, plain.leaves_window)
    claim("unclipped, it arrives only by step 279", by(plain.arrived, 279), plain.arrived)
    claim("clipping to norm 1 caps steps at 0.1", np.max(by_norm.step_lengths) <= 0.1 + 1e-6,
          np.max(by_norm.step_lengths))
    claim("clipped to norm 1, it walks down the wall (it stays in the window)", by_norm.leaves_window is None)
    claim("clipped to norm 1, it arrives by step 132", by(by_norm.arrived, 132), by_norm.arrived)
    moves = np.abs(np.diff(by_value.xy, axis=0))
    claim("clipping by value caps each coordinate of the gradient at 1 (steps of at most 0.1 each way)",
          np.max(moves) <= 0.1 + 1e-6, np.max(moves))
    face_value = np.abs(by_value.grad[:, 0]) > 10
    face_norm = np.abs(by_norm.grad[:, 0]) > 10
    turn_value = float(np.mean(moves[face_value, 1] / moves[face_value, 0]))
    turn_norm = float(np.mean(np.abs(np.diff(by_norm.xy, axis=0))[face_norm, 1]
                              / np.abs(np.diff(by_norm.xy, axis=0))[face_norm, 0]))
    claim("clipping by value cuts x's gradient on the face to 1, and keeps y's",
          face_value.any() and np.allclose(moves[face_value, 0], 0.1, atol=1e-6)
          and np.allclose(moves[face_value, 1], 0.1 * np.minimum(np.abs(by_value.grad[face_value, 1]), 1), atol=1e-5))
    claim("clipped by value, its steps on the face turn toward the valley (more than by norm)",
          turn_value > 0.3 > 0.05 > turn_norm and np.all(np.diff(by_value.xy[:, 1])[face_value] < 0),
          (turn_value, turn_norm))
    claim("clipped by value, it arrives by step 131", by(by_value.arrived, 131), by_value.arrived)

    loose, tight = runs("clipping", 0)
    claim("step 1: clip norm 10: only the step on the face is clipped", int(np.count_nonzero(loose.clipped)) == 1,
          int(np.count_nonzero(loose.clipped)))
    claim("step 1: it arrives sooner, by step 92", by(loose.arrived, 92) and loose.arrived < tight.arrived,
          loose.arrived)
    slow, _ = runs("clipping", 1)
    claim("step 2: at lr 0.01 the wall no longer throws it out", slow.leaves_window is None, slow.leaves_window)
    claim("step 2: at lr 0.01, 300 steps are not enough to arrive", slow.arrived is None, slow.final_loss)
    adam, _ = runs("clipping", 2)
    claim("step 3: Adam without clipping stays in the window", adam.leaves_window is None, adam.leaves_window)
    claim("step 3: Adam's steps ignore the gradient's size (its longest is about lr)",
          float(np.max(adam.step_lengths)) < 2 * 0.1 * math.sqrt(2), np.max(adam.step_lengths))
    claim("step 3: but Adam is slow: not arrived after 300 steps", adam.arrived is None, adam.final_loss)
    shown = scene_of("clipping", 3)
    claim("step 4: the same three runs in 3D", shown.viewer.view == "3d" and shown.runs == scene_of("clipping").runs)
    claim.verify()


def cloud_width(run: Facts, last: int = 100) -> float:
    """A cloud's size: the diagonal of the box from its 10% to its 90%
    quantile point, averaged over its last `last` steps."""
    q = run.result.quantiles["xy"].astype(np.float64)
    return float(np.mean(np.hypot(q[2, -last:, 0] - q[0, -last:, 0], q[2, -last:, 1] - q[0, -last:, 1])))


def test_noise():
    claim = Claims("noise")
    noisy, cosine, clean = runs("noise")
    claim("the noise is Gaussian of std 3 on the true gradient", noisy.spec.noise == 3 and cosine.spec.noise == 3)
    claim("a cloud is 64 copies of SGD at lr 0.05, each with its own noise",
          noisy.spec.seeds == cosine.spec.seeds == 64 and noisy.spec.lr == cosine.spec.lr == 0.05
          and len(noisy.result.quantiles["xy"]) == 3)
    claim("... drawn as the median path and the box holding the middle 80%",
          list(noisy.result.quantiles["q"]) == [0.1, 0.5, 0.9])
    claim("one cloud's rate decays to 0 (cosine)", cosine.lr[-1] < 1e-4 * cosine.lr[0], cosine.lr[-1])
    claim("one run is noiseless", clean.spec.noise == 0 and clean.spec.seeds == 1)
    claim("without noise SGD arrives by step 71", by(clean.arrived, 71), clean.arrived)
    claim("the constant cloud never settles", noisy.arrived is None)
    claim("... 1.4 wide at the end", round(cloud_width(noisy, 1), 1) == 1.4, cloud_width(noisy, 1))
    claim("the cosine cloud ends half as wide", 0.4 <= cloud_width(cosine, 1) / cloud_width(noisy, 1) <= 0.6,
          cloud_width(cosine, 1) / cloud_width(noisy, 1))
    claim("... its loss 0.03 against 0.14",
          round(cosine.final_loss, 2) == 0.03 and round(noisy.final_loss, 2) == 0.14,
          [cosine.final_loss, noisy.final_loss])
    claim("the viewer plays it on opening", scene_of("noise").viewer.autoplay)

    full, half = runs("noise", 0)
    claim("step 1: half the rate, lr 0.025", half.spec.lr == 0.025)
    claim("step 1: the cloud narrows, 1.3 to 0.94 wide",
          round(cloud_width(full), 1) == 1.3 and round(cloud_width(half), 2) == 0.94,
          [cloud_width(full), cloud_width(half)])
    claim("step 1: ... and its loss halves", 0.4 <= half.mean_loss(100) / full.mean_loss(100) <= 0.6,
          half.mean_loss(100) / full.mean_loss(100))
    full, half = runs("noise", 1)
    claim("step 2: half the noise, std 1.5", half.spec.noise == 1.5)
    claim("step 2: the larger batch halves the cloud's width", round(cloud_width(half) / cloud_width(full), 1) == 0.5,
          cloud_width(half) / cloud_width(full))
    claim("step 2: ... and quarters its loss", round(half.mean_loss(100) / full.mean_loss(100), 2) == 0.25,
          half.mean_loss(100) / full.mean_loss(100))
    sgd, momentum = runs("noise", 2)
    effective = momentum.spec.lr / (1 - momentum.spec.momentum)
    claim("step 3: momentum 0.9 at lr 0.005, the same effective rate lr/(1 - mu) = 0.05 as SGD",
          math.isclose(effective, sgd.spec.lr), effective)
    claim("step 3: alike: 1.25 and 1.31 wide",
          round(cloud_width(momentum), 2) == 1.25 and round(cloud_width(sgd), 2) == 1.31,
          [cloud_width(momentum), cloud_width(sgd)])
    (fast,) = extra("surface=quadratic:cond=10&steps=300&run=momentum:lr=0.05,momentum=0.9,noise=3,seeds=64")
    claim("step 3: momentum at lr 0.05 takes tenfold steps", math.isclose(0.05 / (1 - 0.9), 10 * sgd.spec.lr))
    claim("step 3: ... a cloud three times wider", round(cloud_width(fast) / cloud_width(sgd)) == 3,
          cloud_width(fast) / cloud_width(sgd))
    exponential, cosine = runs("noise", 3)
    claim("step 4: exponential decay ends at 5% of 0.05", round(exponential.lr[-1] / 0.05, 2) == 0.05,
          exponential.lr[-1])
    claim("step 4: it settles like cosine", exponential.arrived is None and exponential.final_loss < 0.2 * noisy.final_loss,
          exponential.final_loss)
    claim("step 4: its cloud ends 0.50 wide, cosine's 0.64",
          round(cloud_width(exponential, 1), 2) == 0.50 and round(cloud_width(cosine, 1), 2) == 0.64,
          [cloud_width(exponential, 1), cloud_width(cosine, 1)])
    claim.verify()


def test_newton():
    claim = Claims("newton")
    newton, momentum, sgd = runs("newton")
    cond = scene_of("newton").surface_values()["cond"]
    claim("on the cond=50 bowl one Newton step of lr 1 lands on the minimum",
          cond == 50 and newton.spec.lr == 1 and newton.distance(1) < 1e-5, newton.distance(1))
    claim("SGD's best rate is 2/(L + 1) = 0.039", round(2 / (cond + 1), 3) == sgd.spec.lr == 0.039)
    claim("SGD at 0.039 arrives by step 117", by(sgd.arrived, 117), sgd.arrived)
    kappa = cond
    claim("momentum is tuned for cond=50 (lr 4/(√κ + 1)^2 = 0.061, momentum ((√κ - 1)/(√κ + 1))^2 = 0.57)",
          round(4 / (math.sqrt(kappa) + 1) ** 2, 4) == momentum.spec.lr
          and round(((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2, 3) == momentum.spec.momentum,
          (momentum.spec.lr, momentum.spec.momentum))
    claim("tuned momentum arrives by step 35", by(momentum.arrived, 35), momentum.arrived)
    claim("the Hessian is n x n for n weights (here 2 x 2)", newton.xy.shape[1] == 2)

    half, full = runs("newton", 0)
    d = half.distances()[:10]
    claim("step 1: with lr 0.5 the distance to the minimum halves with every step", np.allclose(d[1:] / d[:-1], 0.5,
                                                                                                 atol=1e-3), d)
    newton, sgd, adam = runs("newton", 1)
    claim("step 2: on Rosenbrock Newton reaches (1, 1) in 5 steps", newton.arrived == 5 and newton.distance() < 1e-4,
          newton.arrived)
    claim("step 2: ... after a jump uphill", np.any(np.diff(newton.loss[:6]) > 0))
    claim("step 2: SGD and Adam do not (in 100 steps, they are still far)",
          min(sgd.distance(), adam.distance()) > 1 and sgd.arrived is None and adam.arrived is None,
          (sgd.distance(), adam.distance()))
    newton, sgd = runs("newton", 2)
    saddle = np.asarray(scene_of("newton", 2).resolved_surface().saddles[0])
    claim("step 3: Newton jumps onto the saddle point (in one step) and stays",
          np.all(np.linalg.norm(newton.xy[1:] - saddle, axis=1) < 1e-3), newton.xy[1])
    claim("step 3: SGD rolls off to a minimum", sgd.minimum_index() is not None)
    damped, _ = runs("newton", 3)
    h = np.asarray(jax_hessian(scene_of("newton", 3), saddle))
    claim("step 4: the saddle's curvature of -2, and damping 3 outweighs it",
          round(float(np.min(np.linalg.eigvalsh(h))), 3) == -2 and damped.spec.damping == 3 > 2)
    claim("step 4: damped, steps go downhill", np.all(np.diff(damped.loss) <= 1e-6))
    claim("step 4: damped Newton arrives by step 11", by(damped.arrived, 11), damped.arrived)
    newton, sgd = runs("newton", 4)
    peak = np.array([-0.270845, -0.923039])
    claim("step 5: on Himmelblau Newton climbs to the local maximum (-0.27, -0.92) and stays",
          newton.loss[-1] > newton.loss[0] and np.all(np.linalg.norm(newton.xy[2:] - peak, axis=1) < 1e-3),
          newton.xy[-1])
    claim("step 5: SGD rolls down (to a minimum)", sgd.minimum_index() is not None)
    claim.verify()


def jax_hessian(scene: Scene, point) -> np.ndarray:
    import jax
    import jax.numpy as jnp

    fn = scene.resolved_surface().fn
    return np.asarray(jax.hessian(lambda p: fn(p[0], p[1]))(jnp.asarray(point, dtype=jnp.float32)))


# ---------------------------------------------------------------- the real model (surface=mlp)


class Trained:
    """What a run of a model scene did, in the terms the lessons use: its
    accuracies, loss and gradient norm step by step, its path on the plane."""

    def __init__(self, run):
        self.spec = run.run
        self.train = run.train_accuracy.astype(np.float64)  # over the labelled training points
        self.test = run.test_accuracy.astype(np.float64)  # over the 200 test points
        self.loss = run.loss.astype(np.float64)
        self.grad_norm = run.grad_norm.astype(np.float64)  # the raw gradient's, one per update
        self.xy = run.xy.astype(np.float64)

    def passes(self, level: float) -> int | None:
        """The first step whose test accuracy reaches `level`."""
        return first(self.test >= level - 1e-6)

    @property
    def fits(self) -> int | None:
        """The first step from which every labelled training point stays right."""
        wrong = np.flatnonzero(self.train < 1)
        if len(wrong) == 0:
            return 0
        return int(wrong[-1]) + 1 if wrong[-1] + 1 < len(self.train) else None

    @property
    def moved(self) -> float:
        """How far from its start the path gets on the plane."""
        return float(np.max(np.linalg.norm(self.xy - self.xy[0], axis=1)))

    @property
    def end(self) -> float:
        """Where the path ends: its distance on the plane from run 1's end (the plane's centre)."""
        return float(np.linalg.norm(self.xy[-1]))


def trained(lesson_id: str, step: int | None = None) -> tuple[SimulationResult, list[Trained]]:
    query = lesson_query(lesson_id) if step is None else step_query(lesson_id, step)
    result = simulation(query)[1]
    return result, [Trained(r) for r in result.runs]


def percent(value: float) -> float:
    """An accuracy as the page shows it, in percent to one decimal."""
    return round(100 * float(value), 1)


def _network_gradient(network, w, x, y, weight=None):
    import jax
    import jax.numpy as jnp

    from visualizer.core.model.network import loss

    weight = jnp.ones_like(y) if weight is None else jnp.asarray(weight, jnp.float32)
    return np.asarray(jax.grad(lambda v: loss(network, v, x, y, weight)[0])(jnp.asarray(w)))


def _pre_activations(network, w, x) -> np.ndarray:
    """The first hidden layer's inputs (points x units)."""
    return np.asarray(x, np.float64) @ np.asarray(w[:2 * network.hidden], np.float64).reshape(2, network.hidden)


def _slope(fn, points) -> np.ndarray:
    import jax
    import jax.numpy as jnp

    return np.asarray(jax.vmap(jax.grad(fn))(jnp.asarray(points, jnp.float32)))


def test_initialization():
    from visualizer.core.model.data import dataset
    from visualizer.core.model.network import Network, initial_weights

    claim = Claims("initialization")
    result, everyone = trained("initialization")
    network = result.model.settings.network
    claim("every weight starts at 0", result.model.settings.init == "zeros" and not np.any(result.model.weights0))
    claim("16 tanh hidden units", network == Network(16, 1, "tanh"))
    claim("every gradient is exactly 0",
          all(np.all(r.grad_norm == 0) for r in everyone), [float(np.max(r.grad_norm)) for r in everyone])
    claim("the output bias's gradient too: the classes are balanced",
          np.mean(result.model.data.train_y) == 0.5 and all(np.all(r.grad_norm == 0) for r in everyone))
    claim("the loss stays at ln 2 = 0.693", round(math.log(2), 3) == 0.693
          and all(np.allclose(r.loss, math.log(2), rtol=0, atol=1e-6) for r in everyone))
    claim("both accuracies stay at 50%", all(np.all(r.train == 0.5) and np.all(r.test == 0.5) for r in everyone))
    claim("the network says 0.5 everywhere", np.all(result.model.boundary.probability == 0.5))
    claim("every path is one point", all(r.moved == 0 for r in everyone))
    data = dataset("circles")
    rng = np.random.default_rng(1)
    column, out = rng.standard_normal(2), rng.standard_normal()
    twins = np.concatenate([np.tile(column, (16, 1)).T.ravel(), np.zeros(16), np.full(16, out), [0.0]])
    g = _network_gradient(network, twins.astype(np.float32), data.train_x, data.train_y)
    w1, w_out = g[:32].reshape(2, 16), g[48:64]
    claim("identical units get identical updates (the same gradient, unit by unit)",
          np.allclose(w1, w1[:, :1], rtol=1e-5, atol=1e-8) and np.allclose(w_out, w_out[0], rtol=1e-5, atol=1e-8)
          and np.any(w1 != 0), w1[:, :3])
    claim("no optimizer breaks the tie: Adam, SGD and momentum alike",
          [r.spec.optimizer for r in everyone] == ["adam", "sgd", "momentum"])

    normal = initial_weights(network, "normal")
    adam, sgd, momentum = trained("initialization", 0)[1]
    xavier = trained("initialization", 0)[0].model.weights0
    claim("step 1: Xavier's std is √(2/(fan_in + fan_out))",
          np.allclose(xavier[:32], normal[:32] * math.sqrt(2 / 18)) and np.allclose(xavier[48:64], normal[48:64]
                                                                                       * math.sqrt(2 / 17)))
    claim("step 1: the tie is broken: every run learns", all(r.test[-1] > 0.95 for r in (adam, sgd, momentum)),
          [r.test[-1] for r in (adam, sgd, momentum)])
    claim("step 1: Adam passes 95% test accuracy by step 38", by(adam.passes(0.95), 38), adam.passes(0.95))
    large_result, large = trained("initialization", 1)
    w0 = large_result.model.weights0
    z = _pre_activations(network, w0, data.train_x)
    claim("step 2: the std is 5", np.allclose(w0, normal * 5))
    claim("step 2: most tanh units start saturated (inputs beyond ±2, where the slope is below 0.071)",
          np.mean(np.abs(z) > 2) > 0.5 and 1 - math.tanh(2) ** 2 < 0.071, np.mean(np.abs(z) > 2))
    claim("step 2: the loss starts at 9.2", round(large[0].loss[0], 1) == 9.2, large[0].loss[0])
    claim("step 2: every run ends below 95% test", all(r.test[-1] < 0.95 for r in large), [r.test[-1] for r in large])
    he_result, (_, he_sgd, _) = trained("initialization", 2)
    he = he_result.model.weights0
    claim("step 3: He's std is √(2/fan_in), with ReLU",
          he_result.model.settings.network.act == "relu" and np.allclose(he[:32], normal[:32] * math.sqrt(2 / 2))
          and np.allclose(he[48:64], normal[48:64] * math.sqrt(2 / 16)))
    claim("step 3: SGD passes 95% test by step 32", by(he_sgd.passes(0.95), 32), he_sgd.passes(0.95))
    claim("step 3: with Xavier and tanh, SGD passes 95% by step 152", by(sgd.passes(0.95), 152), sgd.passes(0.95))
    claim.verify()


def test_activations():
    import jax
    import jax.numpy as jnp

    from visualizer.core.model.data import dataset
    from visualizer.core.model.network import Network, initial_weights

    claim = Claims("activations")
    result, (adam, sgd, momentum) = trained("activations")
    grid = np.linspace(-6, 6, 1201)
    claim("sigmoid's slope is at most 1/4, tanh's 1",
          math.isclose(float(np.max(_slope(jax.nn.sigmoid, grid))), 0.25, rel_tol=1e-4)
          and math.isclose(float(np.max(_slope(jnp.tanh, grid))), 1, rel_tol=1e-4))
    data = dataset("circles")
    sigmoid, tanh = Network(16, 1, "sigmoid"), Network(16, 1, "tanh")
    claim("the scene's network: 16 sigmoid units, Xavier's weights", result.model.settings.network == sigmoid
          and np.array_equal(result.model.weights0, initial_weights(sigmoid, "xavier")))
    hidden = [float(np.linalg.norm(_network_gradient(n, initial_weights(n, "xavier"), data.train_x, data.train_y)[:48]))
              for n in (sigmoid, tanh)]
    claim("less gradient reaches the hidden units than with tanh (from the same weights)",
          hidden[0] < 0.7 * hidden[1], hidden)
    ln2 = math.log(2)
    for name, r in (("SGD", sgd), ("momentum", momentum)):
        off = np.flatnonzero(np.abs(r.loss - ln2) >= 0.01)
        settled = int(off[-1]) + 1 if len(off) else 0
        claim(f"{name} reaches loss ln 2 = 0.69 within 30 steps and stalls there (within 0.01 of it)",
              round(ln2, 2) == 0.69 and settled <= 30, settled)
        claim(f"{name}'s gradient norm drops below 0.01", np.all(r.grad_norm[100:] < 0.01),
              float(np.max(r.grad_norm[100:])))
        claim(f"{name}'s test accuracy never passes 65%", percent(np.max(r.test)) <= 65, np.max(r.test))
    for name, r in (("SGD", sgd), ("momentum", momentum)):
        # A step is lr times the gradient (SGD), or lr times the velocity, at most sum_k μ^k |g_(t-k)| (momentum).
        mu = r.spec.values.get("momentum") or 0.0
        bound = np.zeros_like(r.grad_norm)
        for k, g in enumerate(r.grad_norm):
            bound[k] = g + (mu * bound[k - 1] if k else 0.0)
        claim(f"{name}'s steps (lr × gradient) shrink with it: over the last 100, under a tenth of its first",
              r.spec.lr * np.max(bound[-100:]) < 0.1 * r.spec.lr * bound[0], np.max(bound[-100:]) / bound[0])
    claim("Adam divides each step by the gradient's recent size and escapes: 95% test by step 161", by(adam.passes(0.95), 161), adam.passes(0.95))
    claim("on the plane of Adam's path the others barely move (under 5% as far)",
          max(sgd.moved, momentum.moved) < 0.05 * adam.moved, (sgd.moved, momentum.moved, adam.moved))

    adam_tanh, sgd_tanh, _ = trained("activations", 0)[1]
    claim("step 1: tanh has no plateau (SGD's gradient norm stays above 0.03)", np.min(sgd_tanh.grad_norm) > 0.03,
          np.min(sgd_tanh.grad_norm))
    claim("step 1: with tanh SGD passes 95% test by step 152", by(sgd_tanh.passes(0.95), 152), sgd_tanh.passes(0.95))
    claim("step 1: with tanh Adam passes 95% test by step 38", by(adam_tanh.passes(0.95), 38), adam_tanh.passes(0.95))
    _, sgd_relu, _ = trained("activations", 1)[1]
    claim("step 2: ReLU's slope is 1 where a unit is on", np.all(_slope(jax.nn.relu, grid[grid > 0]) == 1))
    claim("step 2: with ReLU SGD passes 95% test by step 48", by(sgd_relu.passes(0.95), 48), sgd_relu.passes(0.95))
    claim("step 2: three times sooner than with tanh",
          2.7 < sgd_tanh.passes(0.95) / sgd_relu.passes(0.95) < 3.5, sgd_tanh.passes(0.95) / sgd_relu.passes(0.95))
    fast, slow = trained("activations", 2)[1]
    claim("step 3: lr 5 is ten times the rate", fast.spec.lr == 10 * slow.spec.lr == 5)
    claim("step 3: SGD at lr 5 escapes the plateau, 95% test by step 85", by(fast.passes(0.95), 85),
          fast.passes(0.95))
    claim("step 3: ... where lr 0.5 does not", slow.passes(0.95) is None)
    deep_result, (deep_adam, deep_sgd, _) = trained("activations", 3)
    claim("step 4: two sigmoid layers", deep_result.model.settings.network == Network(16, 2, "sigmoid"))
    claim("step 4: SGD's gradient norm is 0.0017 by step 5 (and stays under 0.002)",
          round(deep_sgd.grad_norm[5], 4) == 0.0017 and np.all(deep_sgd.grad_norm[5:] < 0.002),
          deep_sgd.grad_norm[5])
    claim("step 4: SGD's path stops", deep_sgd.moved < 0.01 * deep_adam.moved, (deep_sgd.moved, deep_adam.moved))
    claim.verify()


def test_transfer():
    import jax.numpy as jnp

    from visualizer.core.model import training
    from visualizer.core.model.data import dataset
    from visualizer.core.model.network import Network

    claim = Claims("transfer")
    result, everyone = trained("transfer")
    settings = result.model.settings
    claim("every run starts from a network first trained on xor, 500 Adam steps on all its labels",
          settings.pretrain == "xor" and training.PRETRAIN_STEPS == 500 and len(dataset("xor").train_y) == 200)
    weights = Network().size
    claim("only the output layer, 17 of the 65 weights, trains", settings.freeze and weights == 65
          and int(settings.network.last_layer().sum()) == 17)
    labels_result = trained("labels")[0]
    claim("it trains on the labels lesson's 10 labels", int(result.model.labelled.sum()) == 10
          and np.array_equal(result.model.labelled, labels_result.model.labelled))
    xor = dataset("xor")
    logits = settings.network.logits(jnp.asarray(result.model.weights0), jnp.asarray(xor.test_x))
    answers = float(np.mean((np.asarray(logits) > 0) == (xor.test_y > 0.5)))
    claim("that layer still answers xor (at least 95% on xor's test points)", answers >= 0.95, answers)
    claim("so the loss starts at 2.5", round(everyone[0].loss[0], 1) == 2.5, everyone[0].loss[0])
    claim("every run ends at 84% to 88% test", all(84 <= percent(r.test[-1]) <= 88 for r in everyone),
          [r.test[-1] for r in everyone])
    scratch = trained("transfer", 1)[1]
    claim("from scratch all end at 74.5% (step 2)", all(percent(r.test[-1]) == 74.5 for r in scratch),
          [r.test[-1] for r in scratch])

    tuned = trained("transfer", 0)[1]
    claim("step 1: fine-tuning, the 10 labels fit sooner",
          all(t.fits is not None and t.fits < f.fits for t, f in zip(tuned, everyone, strict=True)),
          [(t.fits, f.fits) for t, f in zip(tuned, everyone, strict=True)])
    finals = sorted(percent(r.test[-1]) for r in tuned)
    claim("step 1: fine-tuning, test ends at 70% to 71.5%", (finals[0], finals[-1]) == (70, 71.5), finals)
    claim("step 2: from scratch, 100% training for every run", all(r.train[-1] == 1 for r in scratch))
    claim("step 2: is the labels lesson's scene", trained("transfer", 1)[0].model.settings == labels_result.model.settings)
    tuned_all = trained("transfer", 2)[1]
    all_sgd = tuned_all[1]
    claim("step 3: all 200 labels, every weight trained: SGD passes 95% test by step 71",
          by(all_sgd.passes(0.95), 71), all_sgd.passes(0.95))
    scratch_sgd = trained("initialization", 0)[1][1]
    claim("step 3: ... from scratch, by step 152", by(scratch_sgd.passes(0.95), 152), scratch_sgd.passes(0.95))
    frozen_all = trained("transfer", 3)[1]
    claim("step 4: all 200 labels, frozen: every run ends below 93% test", all(r.test[-1] < 0.93 for r in frozen_all),
          [r.test[-1] for r in frozen_all])
    claim("step 4: xor's features are the limit: every run ends below fine-tuning with all labels",
          all(f.test[-1] < t.test[-1] for f, t in zip(frozen_all, tuned_all, strict=True)))
    claim.verify()


def test_labels():
    from visualizer.core.model.network import cross_entropy

    claim = Claims("labels")
    result, (adam, sgd, momentum) = trained("labels")
    data, labelled = result.model.data, result.model.labelled
    claim("only 10 of the 200 training points keep their labels",
          len(data.train_y) == 200 and int(labelled.sum()) == 10, int(labelled.sum()))
    logits = np.asarray(result.model.settings.network.logits(result.model.weights0, data.train_x))
    kept = float(cross_entropy(logits, data.train_y, labelled.astype(np.float32)))
    every = float(cross_entropy(logits, data.train_y, np.ones(200, np.float32)))
    claim("grey (unlabelled) points are not in the loss",
          math.isclose(adam.loss[0], kept, rel_tol=1e-5) and not math.isclose(kept, every, rel_tol=1e-3),
          (adam.loss[0], kept, every))
    claim("every run fits those 10 (100% training accuracy), Adam by step 26", by(adam.fits, 26), adam.fits)
    claim("SGD fits them by step 68", by(sgd.fits, 68), sgd.fits)
    claim("momentum fits them by step 90", by(momentum.fits, 90), momentum.fits)
    claim("each ends at 74.5% on the 200 test points",
          len(data.test_y) == 200 and all(percent(r.test[-1]) == 74.5 for r in (adam, sgd, momentum)),
          [r.test[-1] for r in (adam, sgd, momentum)])
    claim("on the plane of Adam's path, the others end 6 to 7 units away",
          all(6 <= r.end <= 7 for r in (sgd, momentum)), (sgd.end, momentum.end))

    twenty_result, twenty = trained("labels", 0)
    per_class = np.bincount(twenty_result.model.data.train_y[twenty_result.model.labelled].astype(int))
    claim("step 1: 20 labels, 10 per class", per_class.tolist() == [10, 10], per_class)
    claim("step 1: every run ends at 97% test", all(percent(r.test[-1]) == 97 for r in twenty),
          [r.test[-1] for r in twenty])
    every_label = trained("labels", 1)[1]
    finals = [percent(r.test[-1]) for r in every_label]
    claim("step 2: all 200 labels: 97.5% to 99% test", (min(finals), max(finals)) == (97.5, 99), finals)
    claim("step 2: little more than 20 labels gave (at most 2 points more)",
          all(0 <= a.test[-1] - t.test[-1] <= 0.02 + 1e-9 for a, t in zip(every_label, twenty, strict=True)))
    spirals_result, (spiral, *_) = trained("labels", 2)
    claim("step 3: spirals with 20 labels", spirals_result.model.data.id == "spirals"
          and int(spirals_result.model.labelled.sum()) == 20)
    claim("step 3: Adam fits them by step 68", by(spiral.fits, 68), spiral.fits)
    claim("step 3: Adam's test accuracy peaks at 79%", percent(np.max(spiral.test)) == 79, np.max(spiral.test))
    claim("step 3: ... and ends at 72.5%", percent(spiral.test[-1]) == 72.5, spiral.test[-1])
    claim("step 4: opens the transfer lesson", LESSONS["labels"].steps[3].scene == "lesson=transfer")
    claim.verify()


# ---------------------------------------------------------------- dynamics


def pair_means(run: Facts, key: str = "sharpness") -> tuple[np.ndarray, np.ndarray]:
    """A network's sharpness as the lessons read it: estimated every 10
    steps at two consecutive points (the two sides of the valley), so each
    pair's mean; (the pairs' first steps, their means)."""
    values = getattr(run.result, key).astype(np.float64)
    steps = np.flatnonzero(~np.isnan(values))
    steps = steps[(steps % 10 == 0) & (steps + 1 < len(values))]
    return steps, (values[steps] + values[steps + 1]) / 2


def plateau(run: Facts, key: str = "sharpness", since: int = 300) -> float:
    steps, means = pair_means(run, key)
    return float(np.mean(means[steps >= since]))


def rises(run: Facts, since: int = 0) -> float:
    """The fraction of steps after `since` at which the loss goes up."""
    return float(np.mean(np.diff(run.loss[since:]) > 0))


def test_edge_of_stability():
    claim = Claims("edge-of-stability")
    (gd,) = runs("edge-of-stability")
    scene = scene_of("edge-of-stability")
    claim("full-batch gradient descent on the moons network at lr 4",
          gd.spec.optimizer == "sgd" and gd.spec.lr == 4 and scene.surface == "mlp"
          and scene.surface_params["data"] == "moons" and scene.surface_params["batch"] == "all")
    claim("on a quadratic it is stable only while the sharpness stays under 2/lr = 0.5",
          np.allclose(gd.result.sharpness_limit, 0.5))
    claim("it never diverges", gd.diverged is None)
    steps, means = pair_means(gd)
    low = int(np.argmin(means))
    claim("the sharpness falls to 0.27", round(means[low], 2) == 0.27, means[low])
    back = steps[(steps > steps[low]) & (means >= 0.9 * 0.5)]
    claim("... climbs to the line by step 80", len(back) and back[0] == 80, back[:1])
    claim("... and holds near it", abs(plateau(gd) / 0.5 - 1) < 0.2 and np.std(means[steps >= 300]) < 0.05 * plateau(gd),
          plateau(gd))
    sharp = gd.result.sharpness.astype(np.float64)
    swing = np.abs(sharp[steps + 1] - sharp[steps])[steps >= 300]
    claim("... swinging from step to step", np.all(swing > 0.1 * plateau(gd)), swing.min())
    claim("the loss rises every other step", round(rises(gd, 300), 1) == 0.5, rises(gd, 300))
    claim("... yet falls, 0.138 at step 300 to 0.120",
          round(gd.loss[300], 3) == 0.138 and round(gd.loss[600], 3) == 0.120, [gd.loss[300], gd.loss[600]])

    two, four = runs("edge-of-stability", 0)
    claim("step 1: half the rate, lr 2: the line doubles to 2/lr = 1", np.allclose(two.result.sharpness_limit, 1))
    claim("step 1: the plateau nearly doubles, 0.57 to 1.06",
          round(plateau(four), 2) == 0.57 and round(plateau(two), 2) == 1.06 and 1.7 < plateau(two) / plateau(four) < 2,
          [plateau(four), plateau(two)])
    claim("step 1: ... it follows 2/lr", abs(plateau(two) - 1) < 0.1 and abs(plateau(four) - 0.5) < 0.1)
    (one,) = runs("edge-of-stability", 1)
    claim("step 2: a quarter of the rate, lr 1: the line at 2/lr = 2", np.allclose(one.result.sharpness_limit, 2))
    claim("step 2: the sharpness reaches only 1.18 in 600 steps", round(float(np.max(pair_means(one)[1])), 2) == 1.18,
          np.max(pair_means(one)[1]))
    claim("step 2: ... and the loss falls at every step", rises(one) == 0, rises(one))
    adam, gd4 = runs("edge-of-stability", 2)
    limit = (2 + 2 * 0.9) / ((1 - 0.9) * 0.03)
    claim("step 3: Adam at lr 0.03 against 38/lr = 1267", round(limit) == 1267
          and np.allclose(adam.result.preconditioned_limit, limit, rtol=1e-5))
    steps, means = pair_means(adam, "preconditioned_sharpness")
    claim("step 3: it climbs from 101", round(float(np.min(means))) == 101, np.min(means))
    claim("step 3: ... to near 38/lr, 1123 on average from step 300",
          round(plateau(adam, "preconditioned_sharpness")) == 1123
          and abs(plateau(adam, "preconditioned_sharpness") / limit - 1) < 0.15,
          plateau(adam, "preconditioned_sharpness"))
    small, large = runs("edge-of-stability", 3)
    claim("step 4: a bowl with 2/L = 0.2", np.allclose(small.result.sharpness, 10))
    claim("step 4: lr 0.02 hugs its flow", small.result.leaves_flow_at is None)
    claim("step 4: lr 0.19, near 2/L, leaves it at step 1", large.result.leaves_flow_at == 1)
    claim("step 4: ... arriving by step 49", by(large.arrived, 49), large.arrived)
    claim.verify()


def played_runs(lesson_id: str, step: int | None = None) -> list[Facts]:
    """The runs a race scene plays: each at its best trial."""
    from visualizer.core.race import played

    query = lesson_query(lesson_id) if step is None else step_query(lesson_id, step)
    return simulated(played(Scene.from_query(query)).to_query())[1]


@functools.cache
def race_of(lesson_id: str, step: int | None = None):
    query = lesson_query(lesson_id) if step is None else step_query(lesson_id, step)
    return explore_function()(Scene.from_query(query))


def test_fair_race():
    claim = Claims("fair-race")
    scene = scene_of("fair-race")
    race = race_of("fair-race")
    adam, momentum, sgd = race.runs
    claim("Adam, momentum and SGD on Rosenbrock, 300 steps",
          [r.optimizer for r in scene.runs] == ["adam", "momentum", "sgd"] and scene.surface == "rosenbrock"
          and scene.steps == 300)
    claim("each at the same 32 learning rates", race.budget == 32
          and all(np.array_equal(r.values["lr"], adam.values["lr"]) for r in race.runs))
    claim("... drawn at random from 0.00001 to 10", np.all((adam.values["lr"] >= 1e-5) & (adam.values["lr"] <= 10)))
    played = played_runs("fair-race")
    claim("each run plays at its best rate", [r.spec.lr for r in played] == [r.best_values()["lr"] for r in race.runs])
    claim("momentum ends lowest, just: 0.00066 against Adam's 0.0015",
          round(played[1].final_loss, 5) == 0.00066 and round(played[0].final_loss, 4) == 0.0015
          and played[1].final_loss < played[0].final_loss < played[2].final_loss,
          [r.final_loss for r in played])
    leads = adam.best_after_k < momentum.best_after_k
    claim("Adam leads whenever fewer than 20 trials are paid for", leads[:19].all() and not leads[19:].any(),
          np.flatnonzero(~leads)[:1] + 1)
    claim("none of Adam's rates diverges; 21 of momentum's do",
          np.sum(adam.diverged_at >= 0) == 0 and np.sum(momentum.diverged_at >= 0) == 21)

    eight = played_runs("fair-race", 0)
    claim("step 1: only 8 trials each, the same first 8 rates",
          race_of("fair-race", 0).budget == 8
          and np.array_equal(race_of("fair-race", 0).runs[0].values["lr"], adam.values["lr"][:8]))
    claim("step 1: Adam ends lowest: 0.036 against momentum's 0.077",
          round(eight[0].final_loss, 3) == 0.036 and round(eight[1].final_loss, 3) == 0.077
          and min(eight, key=lambda r: r.final_loss) is eight[0], [r.final_loss for r in eight])
    every = played_runs("fair-race", 1)
    keys = race_of("fair-race", 1).runs
    claim("step 2: 32 trials of lr, momentum, b1, b2 and eps",
          set(keys[0].values) == {"lr", "b1", "b2", "eps"} and set(keys[1].values) == {"lr", "momentum"})
    claim("step 2: Adam ends lowest, 0.011", round(every[0].final_loss, 3) == 0.011
          and min(every, key=lambda r: r.final_loss) is every[0], [r.final_loss for r in every])
    claim("step 2: ... more values to search cost momentum most (0.28)",
          round(every[1].final_loss, 2) == 0.28
          and every[1].final_loss / played[1].final_loss > every[0].final_loss / played[0].final_loss)
    beale = race_of("fair-race", 2).runs
    claim("step 3: on Beale's function Adam leads at every budget",
          all(np.all(beale[0].best_after_k <= other.best_after_k) for other in beale[1:]))
    longer = race_of("fair-race", 3).runs
    five = played_runs("fair-race", 3)
    overtakes = np.flatnonzero(longer[1].best_after_k < longer[0].best_after_k)
    claim("step 4: momentum ends lowest again", min(five, key=lambda r: r.final_loss) is five[1],
          [r.final_loss for r in five])
    claim("step 4: ... but overtakes Adam only from 27 trials",
          len(overtakes) and overtakes[0] + 1 == 27 and np.all(np.diff(overtakes) == 1), overtakes[:1] + 1)
    claim.verify()
