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
from claims import Claims

from visualizer.cli import main
from visualizer.core import landmarks, quiz, variants
from visualizer.core.engine import simulate
from visualizer.core.errors import SceneError
from visualizer.core.lessons import LESSONS
from visualizer.core.model.simulate import weights_path
from visualizer.core.results import SimulationResult, summarize
from visualizer.core.scene import Scene, parse_lenient

# The order the lessons are listed in (the picker, `lessons`, docs/lessons.md);
# every other test here takes its lessons from the registry itself.
ORDER = ("learning-rate", "lr-sensitivity", "schedules", "momentum", "nesterov", "adaptive", "adamw",
         "normalization", "starts", "clipping", "noise", "newton", "edge-of-stability", "fair-race", "initialization",
         "activations", "labels", "unlabeled", "transfer")

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
}


# ---------------------------------------------------------------- measuring


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
        # Arrives: the first step within 1e-3 of the minimum's value (the
        # questions' and the explorations' definition); stays: from which on it stays there.
        self.arrived = summary["passed_at"]
        self.stays = summary["steps_to_tolerance"]
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
    assert tuple(LESSONS) == ORDER


def test_every_lesson_has_a_test_of_its_claims_against_the_engine():
    untested = [i for i in LESSONS if not callable(globals().get("test_" + i.replace("-", "_")))]
    assert not untested, f"lessons whose sentences nothing checks: {untested}"


@pytest.mark.parametrize("lesson_id", tuple(LESSONS))
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


@pytest.mark.parametrize("lesson_id", tuple(LESSONS))
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


@pytest.mark.parametrize("lesson_id", tuple(LESSONS))
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
    for lesson_id in LESSONS:
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
    from visualizer.core import questions

    claim = Claims("learning-rate")
    low, good, below, above = runs("learning-rate")
    curvature = np.linalg.eigvalsh(jax_hessian(scene_of("learning-rate"), (0.4, -0.3)))
    claim("this bowl's curvature is 1 along its valley, L = 10 across it", np.allclose(curvature, [1, 10], rtol=1e-4)
          and scene_of("learning-rate").surface_values()["cond"] == 10, curvature)
    claim("a run arrives when its loss is within 0.001 of the minimum's (the questions' definition)",
          questions.TOL == 1e-3 and good.arrived == int(np.argmax(good.loss - 0.0 <= 1e-3)))
    claim("SGD at lr 0.01, 0.1 = 1/L, 0.19 and 0.22",
          [(r.spec.optimizer, r.spec.lr) for r in (low, good, below, above)]
          == [("sgd", 0.01), ("sgd", 0.1), ("sgd", 0.19), ("sgd", 0.22)])
    claim("lr 0.1 arrives by step 35", by(good.arrived, 35), good.arrived)
    claim("lr 0.01 crawls: its loss is 0.18 after 100 steps", round(low.final_loss, 2) == 0.18, low.final_loss)
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
    claim("step 3: lr 0.019's loss is still 0.03 after 100 steps", round(stable.final_loss, 2) == 0.03,
          stable.final_loss)
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
    network = scene_of("lr-sensitivity", 4)
    claim("step 5: a network on the moons, 200 steps: SGD's final loss at 64 rates from 0.001 to 1000",
          network.surface_params["data"] == "moons" and network.steps == 200 and network.runs[0].optimizer == "sgd"
          and network.explore.params == {"lo": 0.001, "hi": 1000.0, "n": 64})
    sgd_limit, _ = quiz.largest_stable_lr(network, 1)
    adam_limit, _ = quiz.largest_stable_lr(network, 2)
    claim("step 5: SGD's loss falls up to about lr 22", round(sgd_limit) == 22, sgd_limit)
    claim("step 5: Adam's only up to about lr 4", round(adam_limit) == 4 and network.runs[1].optimizer == "adam",
          adam_limit)
    below = simulate(network.replace(explore=None, runs=(network.runs[0].replace(lr=0.9 * sgd_limit),))).runs[0]
    claim("step 5: (simulate agrees: at 0.9 times that rate SGD's loss ends below its start)",
          below.diverged_at is None and below.loss[-1] < below.loss[0], below.loss[-1])
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
          warm_only.stays is None and warm_only.leaves_window is not None
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
    adam, warmed = runs("schedules", 4)
    claim("step 5: Adam at lr 0.3, with and without 20 warm-up steps",
          adam.spec.optimizer == warmed.spec.optimizer == "adam" and adam.spec.lr == warmed.spec.lr == 0.3
          and warmed.spec.schedule == "warmup_cosine" and warmed.spec.warmup == 20)
    g = adam.grad[0]
    v_hat = g * g  # Adam's bias-corrected second moment after one gradient: that gradient squared
    claim("step 5: its second moment rests on one gradient: the first step is lr long in each coordinate",
          np.allclose(np.abs(adam.xy[1] - adam.xy[0]), 0.3 * np.abs(g) / (np.sqrt(v_hat) + 1e-8), rtol=1e-5)
          and np.allclose(np.abs(adam.xy[1] - adam.xy[0]), 0.3, rtol=1e-5), adam.xy[1] - adam.xy[0])
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
    claim("step 4: momentum 0.9 only by step 73", by(momentum.arrived, 73), momentum.arrived)
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
    claim("Nesterov arrives by step 14", by(nesterov.arrived, 14), nesterov.arrived)
    claim("momentum arrives only by step 71", by(momentum.arrived, 71), momentum.arrived)

    nesterov, momentum = runs("nesterov", 0)
    claim("step 1: with momentum 0.99, momentum still swings at step 150",
          momentum.arrived is None and crossings(momentum.along[-50:]) >= 1, momentum.final_loss)
    claim("step 1: with momentum 0.99 Nesterov passes within 0.001 by step 4", by(nesterov.arrived, 4),
          nesterov.arrived)
    claim("step 1: ... and stays from step 60", by(nesterov.stays, 60), nesterov.stays)
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
    claim("step 2: RMSProp at lr 0.01 arrives by step 375", by(small.arrived, 375), small.arrived)
    claim("step 2: ... and stays", small.stays is not None and small.stays <= 377, small.stays)
    short, rmsprop = runs("adaptive", 2)
    claim("step 3: Adam with b2 = 0.9 arrives by step 85", by(short.arrived, 85), short.arrived)
    claim("step 3: ... and stays from step 130", by(short.stays, 130), short.stays)
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
    claim("AdamW's x ends at 1.93", round(adamw.xy[-1, 0], 2) == 1.93, adamw.xy[-1, 0])
    claim("... held back by the decay (Adam's, without it, reaches 2)", adamw.xy[-1, 0] < adam.xy[-1, 0] - 0.05)
    claim("Adam and AdamW (decay 0.1), both lr 0.05, start at (0.5, 2.5)",
          (adamw.spec.optimizer, adamw.spec.weight_decay, adam.spec.optimizer) == ("adamw", 0.1, "adam")
          and adamw.spec.lr == adam.spec.lr == 0.05 and np.allclose(adamw.xy[0], [0.5, 2.5]))
    # AdamW's update is Adam's plus lr * decay * x: where the gradient is 0 (y), Adam's part is 0.
    claim("AdamW takes Adam's step, then shrinks each weight by lr times the decay",
          np.allclose(adamw.xy[1:, 1], adamw.xy[:-1, 1] * (1 - 0.05 * 0.1), rtol=1e-6))

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
    fast, slow = runs("adamw", 4)
    claim("step 5: AdamW at twice the rate, lr 0.1", fast.spec.lr == 2 * slow.spec.lr == 0.1
          and fast.spec.weight_decay == slow.spec.weight_decay == 0.1)
    claim("step 5: y now shrinks 1% a step, not 0.5%: the decay is multiplied by the learning rate",
          np.allclose(fast.xy[1:, 1] / fast.xy[:-1, 1], 1 - 0.1 * 0.1, atol=1e-6)
          and np.allclose(slow.xy[1:, 1] / slow.xy[:-1, 1], 1 - 0.05 * 0.1, atol=1e-6))
    claim.verify()


def test_normalization():
    claim = Claims("normalization")
    momentum, rmsprop, adam, sgd = runs("normalization")
    scene = scene_of("normalization")
    curvature = np.linalg.eigvalsh(jax_hessian(scene, (0.5, 0.5)))
    claim("a ravine along the x axis: y's curvature is 100 times x's",
          scene.surface_values()["angle"] == 0 and np.allclose(curvature, [1, 100], rtol=1e-4)
          and np.allclose(jax_hessian(scene, (0.5, 0.5))[0, 1], 0, atol=1e-5), curvature)
    kappa = 100
    claim("momentum tuned for it (lr 4/(√κ + 1)², momentum ((√κ - 1)/(√κ + 1))²)",
          round(4 / (math.sqrt(kappa) + 1) ** 2, 4) == momentum.spec.lr
          and round(((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2, 3) == momentum.spec.momentum)
    claim("RMSProp and Adam", (rmsprop.spec.optimizer, adam.spec.optimizer) == ("rmsprop", "adam"))
    claim("SGD at its best rate 2/(L + 1)", round(2 / (kappa + 1), 4) == sgd.spec.lr, sgd.spec.lr)
    claim("momentum arrives by step 67", by(momentum.arrived, 67), momentum.arrived)
    claim("Adam by 92", by(adam.arrived, 92), adam.arrived)
    claim("SGD by 279", by(sgd.arrived, 279), sgd.arrived)
    claim("RMSProp's steps stay about lr long (its last 100, within a factor 2 of 0.01)",
          0.005 < float(np.median(rmsprop.step_lengths[-100:])) < 0.02, np.median(rmsprop.step_lengths[-100:]))
    claim("it hops around the minimum, never arriving", rmsprop.arrived is None and rmsprop.distance() < 0.1,
          rmsprop.final_loss)

    m30, r30, a30, s30 = runs("normalization", 0)
    claim("step 1: rotated 30 degrees", scene_of("normalization", 0).surface_values()["angle"] == 30)
    claim("step 1: momentum still arrives, by step 72", by(m30.arrived, 72), m30.arrived)
    claim("step 1: no other run does", all(r.arrived is None for r in (r30, a30, s30)))
    a = math.radians(30)
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    h = rotation @ np.diag([1.0, 100.0]) @ rotation.T
    claim("step 1: that is the rotated ravine's Hessian", np.allclose(jax_hessian(scene_of("normalization", 0),
                                                                                   (0.5, 0.5)), h, atol=1e-3))
    best = min(np.linalg.cond(np.diag([1.0, d]) @ h @ np.diag([1.0, d])) for d in np.exp(np.linspace(-5, 5, 2001)))
    claim("step 1: scaling x and y cannot undo a rotation (the best scaling leaves condition number 75)",
          round(best) == 75, best)
    (one,) = runs("normalization", 1)
    ravine, bowl = scene.resolved_surface(), scene_of("normalization", 1).resolved_surface()
    rng = np.random.default_rng(0)
    points = rng.uniform(-3, 3, (20, 2))
    claim("the ravine is the round bowl (step 2) with one feature 10 times its scale: f(x, y'/10) = bowl(x, y') ...",
          np.allclose([float(ravine.fn(x, y / 10, **scene.surface_values())) for x, y in points],
                      [float(bowl.fn(x, y, **scene_of("normalization", 1).surface_values())) for x, y in points],
                      rtol=1e-5))
    claim("step 2: ... so cond=1 is the ravine with y scaled by 10: a round bowl",
          np.allclose(np.linalg.eigvalsh(jax_hessian(scene_of("normalization", 1), (0.5, 0.5))), [1, 1], rtol=1e-4))
    claim("step 2: one step of lr 1 = 1/L lands on the minimum", one.spec.lr == 1 and one.distance(1) < 1e-6,
          one.distance(1))
    scaled, normal = trained("normalization", 2)[1], trained("normalization", 3)[1]
    claim("step 3: the first input feature is 10 times too large", scene_of("normalization", 2).surface_params["scale"]
          == 10 and scene_of("normalization", 3).surface_params["scale"] == 1)
    names = [r.spec.optimizer for r in scaled]
    test = dict(zip(names, (percent(r.test[-1]) for r in scaled), strict=True))
    claim("step 3: SGD bounces: 69% test (its last steps' gradient stays large)", test["sgd"] == 69
          and scaled[3].grad_norm[-1] > 10 * normal[3].grad_norm[-1], test)
    claim("step 3: momentum 94%", test["momentum"] == 94, test)
    claim("step 3: Adam 99%, RMSProp 96.5%", test["adam"] == 99 and test["rmsprop"] == 96.5, test)
    claim("step 4: normalised, every run ends at 97.5% test or more", all(percent(r.test[-1]) >= 97.5 for r in normal),
          [r.test[-1] for r in normal])
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


def _dead_relus(scene, w) -> int:
    """How many hidden ReLU units of the network at weights w are off (input
    at most 0) on every training point."""
    import jax.numpy as jnp

    from visualizer.core.model.data import dataset
    from visualizer.core.model.simulate import ModelSettings

    settings = ModelSettings.of(scene)
    x = jnp.asarray(dataset(settings.data).train_x)
    dead = 0
    for weights, bias in settings.network.unflatten(jnp.asarray(w))[:-1]:
        z = x @ weights + bias
        dead += int(np.sum(np.all(np.asarray(z) <= 0, axis=0)))
        x = jnp.maximum(z, 0)
    return dead


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
    moves = np.diff(by_norm.xy, axis=0)
    along = np.sum(-by_norm.grad * moves, 1) / (np.linalg.norm(by_norm.grad, axis=1) * np.linalg.norm(moves, axis=1))
    claim("clipped to norm 1, its steps keep their direction (along the negative gradient)", along.min() > 0.9999,
          along.min())
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
    network = scene_of("clipping", 4)
    plain_net, clipped_net = (simulation(step_query("clipping", 4))[1]).runs
    claim("step 5: two ReLU layers, weights of std 5", network.surface_params["act"] == "relu"
          and network.surface_params["layers"] == 2 and network.surface_params["init"] == "large")
    claim("step 5: the first gradient is 66", round(float(plain_net.grad_norm[0])) == 66, plain_net.grad_norm[0])
    claim("step 5: SGD at lr 0.3", all(r.run.optimizer == "sgd" and r.run.lr == 0.3 for r in (plain_net, clipped_net)))
    weights = weights_path(network, 0)
    claim("step 5: unclipped, 20-unit steps", round(float(np.linalg.norm(weights[1] - weights[0]))) == 20,
          np.linalg.norm(weights[1] - weights[0]))
    dead = [_dead_relus(network, w) for w in weights[[10, 100, -1]]]
    claim("step 5: ... switch 21 of 32 ReLU units off for good (from step 10 on)",
          dead[0] == dead[1] == dead[2] == 21 and network.surface_params["hidden"] * 2 == 32, dead)
    claim("step 5: 57.5% test unclipped; clipped, 97.5%", percent(plain_net.test_accuracy[-1]) == 57.5
          and percent(clipped_net.test_accuracy[-1]) == 97.5, (plain_net.test_accuracy[-1],
                                                               clipped_net.test_accuracy[-1]))
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
    claim("step 2: ... what a batch four times larger does: the noise's std over sqrt(4)",
          math.isclose(half.spec.noise, full.spec.noise / math.sqrt(4)))
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
    values = scene.surface_values()
    return np.asarray(jax.hessian(lambda p: fn(p[0], p[1], **values))(jnp.asarray(point, dtype=jnp.float32)))


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


def _layer_gradients(scene: Scene, w) -> list[float]:
    """|gradient| of the training loss over each layer's weights and bias,
    first hidden layer first, the output layer last."""
    import jax
    import jax.numpy as jnp

    from visualizer.core.model.data import dataset
    from visualizer.core.model.network import loss
    from visualizer.core.model.simulate import ModelSettings

    settings = ModelSettings.of(scene)
    data = dataset(settings.data)
    labelled = jnp.asarray(data.labelled(settings.labels), jnp.float32)
    g = jax.grad(lambda v: loss(settings.network, v, data.train_x, data.train_y, labelled)[0])(jnp.asarray(w))
    return [float(np.sqrt(np.sum(np.asarray(weights) ** 2) + np.sum(np.asarray(bias) ** 2)))
            for weights, bias in settings.network.unflatten(g)]


def test_initialization():
    from visualizer.core.model.data import dataset
    from visualizer.core.model.keys import CONSTANT_WEIGHT
    from visualizer.core.model.network import Network, initial_weights

    claim = Claims("initialization")
    result, everyone = trained("initialization")
    network = result.model.settings.network
    w0 = result.model.weights0
    claim("every weight starts at 0.2 and every bias at 0", CONSTANT_WEIGHT == 0.2
          and np.all(w0[:32] == np.float32(0.2)) and np.all(w0[32:48] == 0) and np.all(w0[48:64] == np.float32(0.2))
          and w0[64] == 0)
    claim("16 tanh hidden units", network == Network(16, 1, "tanh"))
    claim("Adam, SGD and momentum train it on the circles", [r.spec.optimizer for r in everyone]
          == ["adam", "sgd", "momentum"] and result.model.data.id == "circles")
    q = quiz.lesson_question("initialization", None)
    claim("the answer: one", q.answer == 1 and q.extra["per_layer"] == [1], q.answer)
    for i, r in enumerate(everyone):
        w = weights_path(scene_of("initialization"), i)
        first, out = w[:, :32].reshape(-1, 2, 16), w[:, 48:64]
        claim(f"identical units move in lockstep under {r.spec.optimizer}: equal at every step",
              np.all(first == first[:, :, :1]) and np.all(out == out[:, :1]) and np.all(w[:, 32:48] == w[:, 32:33]))
        claim(f"... and {r.spec.optimizer} moves them (they train)", np.abs(w[-1] - w[0]).max() > 0.01)
    claim("identical units get identical gradients", np.allclose(*np.split(np.asarray(
        _network_gradient(network, w0, dataset("circles").train_x, dataset("circles").train_y)[:32]).reshape(2, 16)[:, :2],
        2, axis=1)))
    claim("every run ends at loss ln 2 = 0.693", round(math.log(2), 3) == 0.693
          and all(round(r.loss[-1], 3) == 0.693 for r in everyone), [r.loss[-1] for r in everyone])
    claim("... and 44.5% test", all(percent(r.test[-1]) == 44.5 for r in everyone), [r.test[-1] for r in everyone])
    claim("one tanh unit cannot draw a ring: the best a network of one unit does here is a constant's loss",
          all(r.loss[-1] >= math.log(2) - 1e-3 for r in everyone))

    zeros_result, zeros = trained("initialization", 0)
    claim("step 1: every weight and bias 0", not np.any(zeros_result.model.weights0))
    claim("step 1: nothing moves: every path is one point", all(r.moved == 0 for r in zeros))
    claim("step 1: every gradient is exactly 0", all(np.all(r.grad_norm == 0) for r in zeros))
    adam, sgd, momentum = trained("initialization", 1)[1]
    normal = initial_weights(network, "normal")
    xavier = trained("initialization", 1)[0].model.weights0
    claim("step 2: Xavier's std is √(2/(fan_in + fan_out))",
          np.allclose(xavier[:32], normal[:32] * math.sqrt(2 / 18)) and np.allclose(xavier[48:64], normal[48:64]
                                                                                       * math.sqrt(2 / 17)))
    claim("step 2: the tie is broken: Adam passes 95% test accuracy by step 38", by(adam.passes(0.95), 38),
          adam.passes(0.95))
    _, xavier_sgd, _ = trained("initialization", 2)[1]
    claim("step 3: ReLU with Xavier: SGD passes 95% test by step 48", by(xavier_sgd.passes(0.95), 48),
          xavier_sgd.passes(0.95))
    he_result, (_, he_sgd, _) = trained("initialization", 3)
    he = he_result.model.weights0
    claim("step 4: He's std is √(2/fan_in), with ReLU",
          he_result.model.settings.network.act == "relu" and np.allclose(he[:32], normal[:32] * math.sqrt(2 / 2))
          and np.allclose(he[48:64], normal[48:64] * math.sqrt(2 / 16)))
    claim("step 4: one change, He for Xavier (ReLU both)", scene_of("initialization", 2).surface_params["act"]
          == scene_of("initialization", 3).surface_params["act"] == "relu")
    claim("step 4: SGD passes 95% test by step 30, not 48", by(he_sgd.passes(0.95), 30), he_sgd.passes(0.95))
    large_result, large = trained("initialization", 4)
    w_large = large_result.model.weights0
    z = _pre_activations(network, w_large, dataset("circles").train_x)
    claim("step 5: std 5", np.allclose(w_large, normal * 5))
    claim("step 5: most units start saturated (inputs beyond ±2, where tanh's slope is below 0.071)",
          np.mean(np.abs(z) > 2) > 0.5 and 1 - math.tanh(2) ** 2 < 0.071, np.mean(np.abs(z) > 2))
    claim("step 5: the loss starts at 9.2", round(large[0].loss[0], 1) == 9.2, large[0].loss[0])
    claim("step 5: every run ends below 95% test", all(r.test[-1] < 0.95 for r in large), [r.test[-1] for r in large])
    claim.verify()


def test_activations():
    import jax
    import jax.numpy as jnp

    from visualizer.core.model.network import Network, initial_weights

    claim = Claims("activations")
    result, (adam, sgd, momentum) = trained("activations")
    scene = scene_of("activations")
    claim("two hidden layers of 16 sigmoid units, Xavier's weights, on the circles",
          result.model.settings.network == Network(16, 2, "sigmoid") and result.model.settings.init == "xavier"
          and result.model.data.id == "circles")
    grid = np.linspace(-6, 6, 1201)
    claim("a unit's slope: at most 1/4 for sigmoid, 1 for tanh and ReLU",
          math.isclose(float(np.max(_slope(jax.nn.sigmoid, grid))), 0.25, rel_tol=1e-4)
          and math.isclose(float(np.max(_slope(jnp.tanh, grid))), 1, rel_tol=1e-4)
          and float(np.max(_slope(jax.nn.relu, grid))) == 1)
    layers = _layer_gradients(scene, result.model.weights0)
    claim("the first layer's gradient starts 16 times smaller than the output layer's",
          round(layers[-1] / layers[0]) == 16, layers[-1] / layers[0])
    for name, r in (("SGD", sgd), ("momentum", momentum)):
        claim(f"{name} stops at loss ln 2 = 0.693", round(math.log(2), 3) == round(r.loss[-1], 3) == 0.693,
              r.loss[-1])
    probabilities = result.model.boundary.probability[:, -1]
    claim("their output is 1/2 everywhere (0.49 to 0.51)",
          all(np.all(np.abs(probabilities[i] - 0.5) < 0.01) for i in (1, 2)),
          [float(np.max(np.abs(probabilities[i] - 0.5))) for i in (1, 2)])
    claim("Adam divides each step by its gradient's size: 99% test", percent(adam.test[-1]) == 99, adam.test[-1])

    for step, act, ratio, sgd_passes in ((0, "tanh", 2, 62), (1, "relu", 0.6, 16), (2, "gelu", 1.7, 31)):
        step_result, (_, step_sgd, _) = trained("activations", step)
        settings = step_result.model.settings
        g = _layer_gradients(scene_of("activations", step), step_result.model.weights0)
        claim(f"step {step + 1}: {act}, two layers", settings.network == Network(16, 2, act))
        claim(f"step {step + 1}: the first layer's gradient starts {ratio:g} times the output layer's",
              round(g[0] / g[-1], 1) == ratio if ratio < 1 else round(g[0] / g[-1], 1 if ratio % 1 else 0) == ratio,
              g[0] / g[-1])
        claim(f"step {step + 1}: SGD passes 95% test by step {sgd_passes}", by(step_sgd.passes(0.95), sgd_passes),
              step_sgd.passes(0.95))
    claim("step 2: with He's weights", trained("activations", 1)[0].model.settings.init == "he")
    claim("step 3: with Xavier's weights", trained("activations", 2)[0].model.settings.init == "xavier")
    one_result, (one_adam, one_sgd, _) = trained("activations", 3)
    claim("step 4: one sigmoid layer", one_result.model.settings.network == Network(16, 1, "sigmoid")
          and np.array_equal(one_result.model.weights0, initial_weights(Network(16, 1, "sigmoid"), "xavier")))
    claim("step 4: SGD still stops at ln 2 (within 0.002)", abs(one_sgd.loss[-1] - math.log(2)) < 0.002,
          one_sgd.loss[-1])
    p = one_result.model.boundary.probability[1, -1]
    claim("step 4: with P = 1/2 everywhere (within 0.01)", np.all(np.abs(p - 0.5) < 0.01), float(np.max(np.abs(p - 0.5))))
    w_end = weights_path(scene_of("activations", 3), 1)[-1]
    end = _layer_gradients(scene_of("activations", 3), w_end)
    start = _layer_gradients(scene_of("activations", 3), one_result.model.weights0)
    claim("step 4: not a vanished gradient: with one layer it does not shrink on its way down (the hidden layer's "
          "is not 10 times smaller than the output layer's, at the start or the end)",
          start[0] > 0.1 * start[-1] and end[0] > 0.1 * end[-1], (start, end))
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
    claim("Adam, SGD and momentum", [r.spec.optimizer for r in (adam, sgd, momentum)] == ["adam", "sgd", "momentum"])
    claim("each fits the 10 labels (100% training accuracy), Adam by step 26", by(adam.fits, 26), adam.fits)
    claim("SGD fits them by step 68", by(sgd.fits, 68), sgd.fits)
    claim("momentum fits them by step 90", by(momentum.fits, 90), momentum.fits)
    claim("each ends at 74.5% on the 200 test points",
          len(data.test_y) == 200 and all(percent(r.test[-1]) == 74.5 for r in (adam, sgd, momentum)),
          [r.test[-1] for r in (adam, sgd, momentum)])
    claim("on Adam's plane, the others end 6 to 7 units away",
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
    claim("step 4: opens the next lesson, on the unlabelled points", LESSONS["labels"].steps[3].scene
          == "lesson=unlabeled" and tuple(LESSONS).index("unlabeled") == tuple(LESSONS).index("labels") + 1)
    claim.verify()


def _near_the_boundary(result, run: int, confidence: float = 0.9) -> int:
    """How many of the 200 training points run `run` (0-based) predicts with
    less than `confidence` at its end (max(p, 1 - p)): those near its boundary."""
    w = weights_path(result.scene, run)[-1]
    settings = result.model.settings
    p = 1 / (1 + np.exp(-np.asarray(settings.network.logits(w, result.model.data.train_x), np.float64)))
    return int(np.sum(np.maximum(p, 1 - p) < confidence))


def test_unlabeled():
    claim = Claims("unlabeled")
    result, (alone, selftrain) = trained("unlabeled")
    data, labelled = result.model.data, result.model.labelled
    claim("the four xor clusters", data.id == "xor" and {(bool(x > 0), bool(y > 0)) for x, y in data.train_x}
          == {(False, False), (False, True), (True, False), (True, True)})
    gaps = []
    for axis in (0, 1):
        values = np.sort(data.train_x[:, axis])
        spacing = np.diff(values)
        widest = int(np.argmax(spacing))
        gaps.append((float(spacing[widest] / np.median(spacing)), float(values[widest:widest + 2].mean())))
    claim("... with a gap between them (across each coordinate the widest empty band, at the axis, is 20 times "
          "the points' usual spacing)", all(ratio > 20 and abs(middle) < 0.1 for ratio, middle in gaps), gaps)
    claim("10 of the 200 training points keep their labels", int(labelled.sum()) == 10 and len(labelled) == 200)
    runs_ = result.scene.runs
    claim("one run ignores the other 190; the other self-trains at 90% confidence",
          runs_[0].setting("unlabeled") == "ignore" and runs_[1].setting("unlabeled") == "selftrain"
          and runs_[1].setting("threshold") == 0.9 and int((~labelled).sum()) == 190)
    claim("labels only: 93% test", percent(alone.test[-1]) == 93, alone.test[-1])
    pseudo = result.runs[1]
    claim("self-training pseudo-labels 181 of the 190 points, all rightly", int(pseudo.pseudo_labels[-1]) == 181
          and pseudo.pseudo_label_accuracy[-1] == 1, (pseudo.pseudo_labels[-1], pseudo.pseudo_label_accuracy[-1]))
    claim("... and reaches 99%", percent(selftrain.test[-1]) == 99, selftrain.test[-1])
    near = (_near_the_boundary(result, 0), _near_the_boundary(result, 1))
    claim("its boundary moves into the gaps, where no points are: a third as many training points end near it "
          "(below 90% confidence) as without the unlabelled points", near[1] * 3 <= near[0], near)

    full_result, (full,) = trained("unlabeled", 0)
    claim("step 1: all 200 labels", int(full_result.model.labelled.sum()) == 200)
    claim("step 1: 100% test", percent(full.test[-1]) == 100, full.test[-1])
    claim("step 1: self-training closed 6 of the 7 points between 10 labels and 200",
          round(100 * (full.test[-1] - alone.test[-1])) == 7 and round(100 * (selftrain.test[-1] - alone.test[-1])) == 6)
    weight, strong = trained("unlabeled", 1)[1]
    specs = [r.spec for r in (weight, strong)]
    claim("step 2: entropy minimisation at weight 0.3 and at 1", [(s.setting("unlabeled"), s.setting("weight"))
                                                                  for s in specs] == [("entropy", 0.3), ("entropy", 1.0)])
    entropy = trained("unlabeled", 1)[0].runs
    wrong = [np.nan_to_num(r.pseudo_labels * (1 - r.pseudo_label_accuracy)) for r in entropy]
    claim("step 2: at weight 1 it grows confident too soon (by step 50, more pseudo-labels than at weight 0.3, and "
          "wrong ones)", entropy[1].pseudo_labels[50] > entropy[0].pseudo_labels[50] and wrong[1][50] > wrong[0][50],
          (entropy[1].pseudo_labels[50], entropy[0].pseudo_labels[50]))
    claim("step 2: 38 of its 189 pseudo-labels end wrong", round(wrong[1][-1]) == 38
          and entropy[1].pseudo_labels[-1] == 189, (wrong[1][-1], entropy[1].pseudo_labels[-1]))
    claim("step 2: 83.5% test", percent(strong.test[-1]) == 83.5, strong.test[-1])
    circles_result, (c_alone, c_self) = trained("unlabeled", 2)
    claim("step 3: the circles, 4 labels", circles_result.model.data.id == "circles"
          and int(circles_result.model.labelled.sum()) == 4)
    claim("step 3: the first boundary cuts the rings (at step 50, points of both rings on both of its sides)",
          _cuts_both_classes(circles_result, 1, 50))
    c_pseudo = circles_result.runs[1]
    claim("step 3: 42% of its pseudo-labels are wrong", round(100 * (1 - c_pseudo.pseudo_label_accuracy[-1])) == 42,
          c_pseudo.pseudo_label_accuracy[-1])
    claim("step 3: test falls to 61.5% (from 68.5% on the labels alone)", percent(c_self.test[-1]) == 61.5
          and percent(c_alone.test[-1]) == 68.5, (c_self.test[-1], c_alone.test[-1]))
    blobs_result, (b_alone, b_self) = trained("unlabeled", 3)
    overlap = _overlap(blobs_result.model.data)
    claim("step 4: two overlapping blobs, 4 labels: no gap between the classes", blobs_result.model.data.id == "blobs"
          and int(blobs_result.model.labelled.sum()) == 4 and overlap > 0.02, overlap)
    b_pseudo = blobs_result.runs[1]
    claim("step 4: where the blobs overlap its pseudo-labels are wrong (92% right)",
          round(100 * b_pseudo.pseudo_label_accuracy[-1]) == 92, b_pseudo.pseudo_label_accuracy[-1])
    claim("step 4: no gain: 92.5% test against 93.5%", percent(b_self.test[-1]) == 92.5
          and percent(b_alone.test[-1]) == 93.5, (b_self.test[-1], b_alone.test[-1]))
    claim.verify()


def _cuts_both_classes(result, run: int, step: int) -> bool:
    """At `step`, run `run`'s boundary has points of each class on each side."""
    w = weights_path(result.scene, run)[step]
    data = result.model.data
    side = np.asarray(result.model.settings.network.logits(w, data.train_x)) > 0
    y = data.train_y > 0.5
    return all(np.any(side[y == c] == s) for c in (False, True) for s in (False, True))


def _overlap(data) -> float:
    """The share of training points whose nearest other point is of the other class."""
    x, y = data.train_x.astype(np.float64), data.train_y
    d = np.linalg.norm(x[:, None] - x[None], axis=2) + np.eye(len(x)) * 1e9
    return float(np.mean(y[np.argmin(d, axis=1)] != y))


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
    claim("every run ends at 84% to 88% test", sorted(percent(r.test[-1]) for r in everyone)[::2] == [84, 88],
          [r.test[-1] for r in everyone])
    scratch = trained("transfer", 1)[1]
    claim("from scratch all end at 74.5% (step 2)", all(percent(r.test[-1]) == 74.5 for r in scratch),
          [r.test[-1] for r in scratch])

    tuned_result, tuned = trained("transfer", 0)
    finals = sorted(percent(r.test[-1]) for r in tuned)
    claim("step 1: fine-tuning every weight: 70% to 71.5% test", (finals[0], finals[-1]) == (70, 71.5), finals)
    claim("step 1: ... below scratch", all(r.test[-1] < 0.745 for r in tuned))
    moved = []
    for i in range(3):
        w = weights_path(scene_of("transfer", 0), i)
        moved.append(float(np.linalg.norm(w[-1][:48] - w[0][:48]) / np.linalg.norm(w[0][:48])))
    claim("step 1: fitting 10 labels moves xor's hidden weights by half their size (0.4 to 0.6 of it)",
          all(0.4 < m < 0.6 for m in moved), moved)
    claim("step 2: from scratch, 100% training for every run", all(r.train[-1] == 1 for r in scratch))
    claim("step 2: is the labels lesson's scene", trained("transfer", 1)[0].model.settings == labels_result.model.settings)
    thawed_result, (thawed_adam, thawed_sgd, thawed_momentum) = trained("transfer", 2)
    s = thawed_result.model.settings
    claim("step 3: frozen for 100 steps, then every weight", s.freeze and s.unfreeze == 100)
    claim("step 3: ... at a tenth of the rate",
          all(r.spec.schedule == "step" and r.spec.step_size == 100 and r.spec.gamma == 0.1
              for r in (thawed_adam, thawed_sgd, thawed_momentum)))
    claim("step 3: SGD and momentum keep xor's features: 87.5% and 88.5%", percent(thawed_sgd.test[-1]) == 87.5
          and percent(thawed_momentum.test[-1]) == 88.5, (thawed_sgd.test[-1], thawed_momentum.test[-1]))
    paths = [weights_path(scene_of("transfer", 2), i) for i in (0, 1)]
    first_steps = [np.abs(p[101][:48] - p[100][:48]) for p in paths]
    claim("step 3: Adam's first steps on them are lr long (0.003 per hidden weight)",
          abs(np.median(first_steps[0]) / 0.003 - 1) < 0.1 and np.median(first_steps[1]) < 0.2 * np.median(first_steps[0]),
          (np.median(first_steps[0]), np.median(first_steps[1])))
    claim("step 3: Adam: 76.5%", percent(thawed_adam.test[-1]) == 76.5, thawed_adam.test[-1])
    spirals_result, spirals = trained("transfer", 3)
    claim("step 4: pretrained on the spirals instead, frozen", spirals_result.model.settings.pretrain == "spirals"
          and spirals_result.model.settings.freeze)
    finals = sorted(percent(r.test[-1]) for r in spirals)
    claim("step 4: negative transfer: worse than none (scratch's 74.5%), 67% to 68.5%", (finals[0], finals[-1])
          == (67, 68.5), finals)
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
    claim("the question: the sharpness passes 2/lr = 0.5", np.nanmax(gd.result.sharpness) > 0.5,
          np.nanmax(gd.result.sharpness))
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
    claim("step 2: ... below the edge: under 2/lr at every estimate", np.nanmax(one.result.sharpness) < 2,
          np.nanmax(one.result.sharpness))
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
    from visualizer.core.exploration import played

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
