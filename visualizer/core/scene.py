"""The scene language: one query string for the URL, the CLI and the API.

    surface=quadratic:cond=25,angle=30&start=-1.5,2&steps=400&run=sgd:lr=0.001

A query is split on `&`, `=`, `:` and `,` first and only then is each atom
percent-decoded, so a label or formula may contain any of those characters
when they travel encoded (`label=a%2Cb`). `Scene.from_query` is strict (the
first problem raises `SceneError`); `parse_lenient` keeps every good key and
reports each bad one with what it fell back to, which is what the app needs.

Every top-level key is one entry of `SCENE_KEYS` (its parser and writer),
the viewer's keys included (`visualizer.core.viewer`: their values, default
and which side writes them, which the player reads from the payload); every
run key one entry of `visualizer.core.run`; docs/scene-language.md is
generated from both. The full reference is there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import unquote_plus

from visualizer.core import surfaces
from visualizer.core.errors import SceneError
from visualizer.core.knobs import Choice, Knob, show_text
from visualizer.core.run import (
    COORD_LIMIT,
    Run,
    atom,
    pairs,
    parse_run,
    text_atom,
)
from visualizer.core.surfaces import FORMULA, NETWORK
from visualizer.core.variants import Explore
from visualizer.core.viewer import (
    CLASS_CODE,
    PLAYER,
    SERVER,
    TEACHER_SECRET,
    Flag,
    OneOf,
    RunNumbers,
    StepShown,
    Token,
    ViewerKey,
)

MAX_RUNS = 8
MAX_STEPS = 10_000
MAX_QUERY_LENGTH = 8_000
WINDOW_LIMIT = 1e4
DEFAULT_SURFACE = "rosenbrock"

STEPS = Knob("steps", 200, 1, MAX_STEPS, "T", "number of updates", title="Steps", integer=True)
COORD = Knob("start", 0.0, -COORD_LIMIT, COORD_LIMIT, "x_0", "start point")
WINDOW = Knob("window", 0.0, -WINDOW_LIMIT, WINDOW_LIMIT, "", "plot window")


class Viewer:
    """What the viewer chose to see: a value for every viewer key of
    `SCENE_KEYS` (its default where none is given); never changes the
    results. `viewer.speed` reads one, `viewer.replace(speed=2.0)` gives
    another viewer."""

    def __init__(self, **values):
        keys = viewer_keys()
        unknown = sorted(set(values) - {k.name for k in keys})
        if unknown:
            raise TypeError(f"Viewer: no viewer key {', '.join(unknown)}")
        object.__setattr__(self, "_values", {k.name: values.get(k.name, k.values.default) for k in keys})

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"Viewer: no viewer key {name!r}") from None

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError("a Viewer does not change: use replace()")

    def replace(self, **changes) -> Viewer:
        return Viewer(**{**self._values, **changes})

    def __eq__(self, other) -> bool:
        return isinstance(other, Viewer) and self._values == other._values

    def __hash__(self) -> int:
        return hash(tuple(self._values.items()))

    def __repr__(self) -> str:
        return "Viewer(" + ", ".join(f"{k}={v!r}" for k, v in self._values.items()) + ")"


@dataclass(frozen=True)
class Scene:
    """A whole scene. Parse one with `Scene.from_query`; `to_query()` gives
    the canonical form, and `Scene.from_query(s.to_query()) == s`."""

    surface: str = DEFAULT_SURFACE
    surface_params: Mapping[str, object] = field(default_factory=dict)
    formula: str | None = None
    start: tuple[float, float] = (0.0, 0.0)
    steps: int = 200
    runs: tuple[Run, ...] = ()
    flow: bool = False  # each run with a continuous-time limit is drawn beside it (visualizer.core.flow)
    explore: Explore | None = None
    lesson: str | None = None
    viewer: Viewer = field(default_factory=Viewer)

    @classmethod
    def from_query(cls, query: str) -> Scene:
        return _parse(query, report=_raise)

    @classmethod
    def default(cls, surface_id: str = DEFAULT_SURFACE) -> Scene:
        return _parse("surface=" + surface_id, report=_raise)

    def to_query(self) -> str:
        return "&".join(part for key in SCENE_KEYS for part in key.write(self))

    def surface_spec(self) -> str:
        items = []
        model = surfaces.SURFACES[self.surface]
        for name, value in self.surface_params.items():
            if name in model.quiet and value == _default(model.param(name)):
                continue
            if name == "window":
                (x0, x1), (y0, y1) = value
                items.append("window=" + ",".join(atom(v) for v in (x0, x1, y0, y1)))
            else:
                items.append(f"{name}={atom(value)}")
        return self.surface + (":" + ",".join(items) if items else "")

    def surface_query(self) -> str:
        """The scene's surface alone (`surface` and `f`), in canonical form."""
        return "&".join(part for key in SCENE_KEYS if key.name in ("surface", "f") for part in key.write(self))

    def replace(self, **changes) -> Scene:
        return replace(self, **changes)

    def resolved_surface(self) -> surfaces.Surface:
        """The `Surface` this scene runs on (a compiled formula for custom)."""
        return resolve_surface(self.surface, self.formula, self.surface_params.get("window"))

    def surface_values(self) -> dict[str, float]:
        """The surface's own knobs (cond, angle) with defaults filled in."""
        model = surfaces.SURFACES[self.surface]
        return {p.name: float(self.surface_params.get(p.name, p.default)) for p in model.knobs}

    def start_of(self, run: Run) -> tuple[float, float]:
        """Where `run` starts: its own x0/y0 where given, else the scene's start."""
        x0, y0 = run.values.get("x0"), run.values.get("y0")
        return (self.start[0] if x0 is None else x0, self.start[1] if y0 is None else y0)


def resolve_surface(surface_id: str, formula: str | None, window=None) -> surfaces.Surface:
    base = surfaces.SURFACES[surface_id]
    if base.kind == FORMULA:
        from visualizer.core.surfaces.errors import FormulaError
        from visualizer.core.surfaces.formula import compile_formula

        try:
            compiled = compile_formula(formula if formula is not None else surfaces.CUSTOM_DEFAULT_FORMULA)
        except FormulaError as exc:
            raise SceneError(f"f: {exc} (a + in a link travels as %2B)", "f") from None
        return surfaces.custom_surface(compiled, window or base.window)
    return replace(base, window=window) if window else base


# ---------------------------------------------------------------- the keys


@dataclass(frozen=True)
class SceneKey:
    """A top-level key. `parse(raw values, fields so far, report)` returns
    the Scene fields it sets; `write(scene)` its canonical query parts (none
    when it is at its default). Keys are parsed in this table's order, so a
    key may depend on those before it (runs on the surface, `hide` on runs)."""

    name: str
    help: str
    default: str  # as the reference describes it
    parse: Callable[[list[str], dict, Callable], dict]
    write: Callable[[Scene], list[str]]
    repeat: bool = False


def _raise(exc: SceneError, fallback: str = "") -> None:
    raise exc


def _parse_surface(raw: list[str], fields: dict, report) -> dict:
    head, _, rest = raw[0].partition(":")
    surface_id = unquote_plus(head)
    if surface_id not in surfaces.SURFACES:
        raise SceneError(f"surface: unknown surface {show_text(surface_id)}; allowed: "
                         f"{', '.join(surfaces.SURFACES)}", "surface")
    model = surfaces.SURFACES[surface_id]
    params: dict[str, object] = {p.name: _default(p) for p in model.params}
    allowed = [p.name for p in model.params] + ["window"]
    where = f"surface {surface_id}"
    seen = set()
    for name, values in pairs(rest, where):
        try:
            if name in seen:
                raise SceneError(f"{where}: {show_text(name)} given twice; give it once", "surface")
            seen.add(name)
            if name == "window":
                params["window"] = _parse_window(values, where)
            elif name in allowed:
                params[name] = model.param(name).parse(_one(values, where, name), where, "surface")
            else:
                raise SceneError(f"{where}: unknown parameter {show_text(name)}; allowed: {', '.join(allowed)}",
                                 "surface")
        except SceneError as exc:
            report(exc, "its default is used")
    if "window" in params:  # last, so the canonical form is stable whatever order came in
        params["window"] = params.pop("window")
    return {"surface": surface_id, "surface_params": params}


def _default(param):
    return param.default if isinstance(param, Choice) else param.coerce(param.default)


def _parse_window(values: list[str], where: str):
    if len(values) != 4:
        raise SceneError(f"{where}: window needs 4 numbers xmin,xmax,ymin,ymax; got {len(values)}", "surface")
    x0, x1, y0, y1 = (WINDOW.parse(v, where, "surface") for v in values)
    if not (x0 < x1 and y0 < y1):
        raise SceneError(f"{where}: window needs xmin < xmax and ymin < ymax; got {x0:g},{x1:g},{y0:g},{y1:g}",
                         "surface")
    return ((x0, x1), (y0, y1))


def _parse_formula(raw: list[str], fields: dict, report) -> dict:
    surface_id = fields.get("surface", DEFAULT_SURFACE)
    if surfaces.SURFACES[surface_id].kind != FORMULA:
        raise SceneError(f"f: a formula needs surface=custom (surface is {surface_id!r})", "f")
    text = unquote_plus(raw[0])
    resolve_surface(surface_id, text)  # raises the formula's SceneError
    return {"formula": text}


def _parse_start(raw: list[str], fields: dict, report) -> dict:
    values = [unquote_plus(v) for v in raw[0].split(",")]
    if len(values) != 2:
        raise SceneError(f"start: {show_text(unquote_plus(raw[0]))} is not x,y; give two numbers like start=-1.5,2",
                         "start")
    return {"start": tuple(COORD.parse(v, "start") for v in values)}


def _parse_steps(raw: list[str], fields: dict, report) -> dict:
    return {"steps": STEPS.parse(unquote_plus(raw[0]), "steps")}


def _parse_runs(raw: list[str], fields: dict, report) -> dict:
    if len(raw) > MAX_RUNS:
        report(SceneError(f"run: {len(raw)} runs given; at most {MAX_RUNS} are allowed", "run"),
               f"the first {MAX_RUNS} are kept")
        raw = raw[:MAX_RUNS]
    runs = []
    for i, spec in enumerate(raw, start=1):
        try:
            run = parse_run(spec, i, lambda exc: report(exc, "its default is used"))
        except SceneError as exc:
            report(exc, f"run {i} is left out")
            continue
        try:
            _check_seeds(run, i, fields)
        except SceneError as exc:
            report(exc, "one seed is run")
            run = run.replace(seeds=1)
        runs.append(run)
    return {"runs": tuple(runs)} if runs else {}


def _check_seeds(run: Run, index: int, fields: dict) -> None:
    """A cloud (seeds > 1) needs something random for its copies to differ
    by: gradient noise, or on a network a minibatch drawn from each seed."""
    if run.seeds == 1:
        return
    surface = fields.get("surface", DEFAULT_SURFACE)
    if surfaces.SURFACES[surface].kind == NETWORK:
        raise SceneError(f"run {index}: seeds={run.seeds}: a cloud of copies is drawn on the 2D surfaces, not "
                         f"on surface={surface}", "run")
    if run.noise == 0:
        raise SceneError(f"run {index}: seeds={run.seeds} needs noise: without it every copy takes the same path "
                         "(give noise=..., e.g. noise=3)", "run")


def _parse_flow(raw, fields, report):
    from visualizer.core.flow import has_flow
    from visualizer.core.optimizers import OPTIMIZERS

    value = unquote_plus(raw[0])
    if value not in ("0", "1"):
        raise SceneError(f"flow: {show_text(value)} is not 0 or 1; flow=1 draws each run's continuous-time limit",
                         "flow")
    if value == "0":
        return {}
    if surfaces.SURFACES[fields["surface"]].kind == NETWORK:
        raise SceneError(f"flow: the continuous-time limit is drawn on the 2D surfaces, not on surface="
                         f"{fields['surface']}", "flow")
    if not any(has_flow(run.optimizer) for run in fields["runs"]):
        having = ", ".join(o.id for o in OPTIMIZERS.values() if o.flow is not None)
        raise SceneError(f"flow: no run here has a continuous-time limit ("
                         f"{', '.join(sorted({r.optimizer for r in fields['runs']}))}); it is defined for "
                         f"{having}", "flow")
    return {"flow": True}


def _parse_explore(raw, fields, report):
    from visualizer.core import variants

    explore = variants.parse(raw[0])
    # Checked against the runs now, so a scene never holds one that cannot run.
    variants.resolve(explore, Scene(**{k: v for k, v in fields.items() if k != "lesson"}))
    return {"explore": explore}


def _parse_lesson(raw, fields, report):
    from visualizer.core.lessons import LESSONS

    lesson = unquote_plus(raw[0])
    if lesson not in LESSONS:
        raise SceneError(f"lesson: unknown lesson {show_text(lesson)}; lessons: {', '.join(LESSONS) or 'none yet'}",
                         "lesson")
    return {"lesson": lesson}


SCENE_KEYS: tuple[SceneKey | ViewerKey, ...] = (
    SceneKey("lesson", "a lesson's id: its text, scene and steps; keys beside it override its scene", "none",
             _parse_lesson, lambda s: [] if s.lesson is None else ["lesson=" + s.lesson]),
    SceneKey("surface", "a surface id, optionally with its parameters: quadratic:cond=25,angle=30; every "
             "surface also takes window=xmin,xmax,ymin,ymax", DEFAULT_SURFACE,
             _parse_surface, lambda s: ["surface=" + s.surface_spec()]),
    SceneKey("f", "the formula, with surface=custom", "x^2 + 3*y^2 + sin(3*x)*sin(3*y)",
             _parse_formula, lambda s: [] if s.formula is None else ["f=" + text_atom(s.formula)]),
    SceneKey("start", "where every run starts: x,y", "the surface's default start",
             _parse_start, lambda s: ["start=" + ",".join(atom(v) for v in s.start)]),
    SceneKey("steps", f"number of updates, 1 to {MAX_STEPS}", "per surface",
             _parse_steps, lambda s: [f"steps={s.steps}"]),
    SceneKey("run", f"1 to {MAX_RUNS} runs, one key each: optimizer[:key=value,...]",
             "the surface's default comparison", _parse_runs,
             lambda s: ["run=" + run.to_spec() for run in s.runs], repeat=True),
    SceneKey("flow", "1: beside each run of sgd or momentum, its continuous-time limit (gradient flow, the "
             "heavy-ball equation) and the step where the run leaves it", "0", _parse_flow,
             lambda s: ["flow=1"] if s.flow else []),
    SceneKey("explore", "many variants of one run at once: lr[:...], map:x=K1,y=K2[,...] or starts[:...]; or "
             "race[:budget=K,keys=lr|all], every run's optimizer at the same K random trials (docs/explore.md)",
             "none", _parse_explore,
             lambda s: [] if s.explore is None else ["explore=" + s.explore.spec()]),
    # The viewer's keys, last: they change what is shown, never the
    # results, and the player writes its own after the server's query.
    ViewerKey("view", "the player's view", OneOf(("2d", "3d"), "2d", "a view"), PLAYER),
    ViewerKey("step", "the step shown (paused there)", StepShown(), PLAYER, "the last"),
    ViewerKey("speed", "playback speed: 1 plays a whole run in about 6 s",
              OneOf((0.25, 0.5, 1.0, 2.0, 4.0, 8.0), 1.0, "a speed the player offers"), PLAYER),
    ViewerKey("hide", "runs hidden from the plot and the charts, by number: hide=2,5",
              RunNumbers("that run stays shown"), PLAYER, "none"),
    ViewerKey("present", "1: presentation mode (the player and the lesson only, large type)", Flag(), SERVER),
    ViewerKey("autoplay", "1: start playing when the page opens", Flag(), SERVER),
    ViewerKey("loop", "1: play again from the start at the end", Flag(), SERVER),
    ViewerKey("predict", "1: ask the scene's question first (the lesson's, else where run 1 ends, on a network "
              "its test accuracy, and whether it diverges); the paths, the curves and every outcome stay hidden until it is answered, then it plays",
              Flag(), SERVER),
    ViewerKey("embed", "1: the player alone, for an iframe in another page: no sidebar, no title, nothing around "
              "it, sized to the frame", Flag(), SERVER),
    ViewerKey("class", "a live class's code: the scene follows its teacher's, and asks its question",
              Token(CLASS_CODE, "a class code: six capital letters and digits"), SERVER, "none"),
    ViewerKey("teacher", "the teacher's secret of the class (the teacher's link only)",
              Token(TEACHER_SECRET, "a teacher's secret"), SERVER, "none"),
)


def viewer_keys() -> tuple[ViewerKey, ...]:
    """The viewer's keys of `SCENE_KEYS`, in their canonical order."""
    return tuple(k for k in SCENE_KEYS if isinstance(k, ViewerKey))


def _by_name() -> dict[str, SceneKey | ViewerKey]:
    return {k.name: k for k in SCENE_KEYS}


# ---------------------------------------------------------------- parsing


def parse_lenient(query: str) -> tuple[Scene, list[SceneError]]:
    """Parse what can be parsed; every bad key falls back to its default and
    its SceneError is returned, its `fallback` saying what was done instead
    (`explained()` gives both in one line). Never raises SceneError."""
    problems: list[SceneError] = []

    def report(exc: SceneError, fallback: str = "") -> None:
        exc.fallback = fallback
        problems.append(exc)

    return _parse(query, report=report), problems


def _parse(query, report) -> Scene:
    if not isinstance(query, str):
        raise SceneError(f"scene: expected a query string, got {type(query).__name__}")
    if len(query) > MAX_QUERY_LENGTH:
        report(SceneError(f"scene: the query is {len(query)} characters long; the limit is {MAX_QUERY_LENGTH}"),
               "the default scene is shown")
        query = ""
    raw: dict[str, list[str]] = {}
    by_name = _by_name()
    for part in query.lstrip("?").split("&"):
        if not part:
            continue
        raw_key, eq, raw_value = part.partition("=")
        key = unquote_plus(raw_key)
        try:
            if not eq:
                raise SceneError(f"scene: {show_text(key)} is not key=value; keys: {', '.join(by_name)}")
            if key not in by_name:
                raise SceneError(f"{show_text(key)}: unknown key; allowed: {', '.join(by_name)}", key)
            if not by_name[key].repeat and key in raw:
                raise SceneError(f"{key}: given twice; give it once", key)
        except SceneError as exc:
            report(exc, "ignored")
            continue
        raw.setdefault(key, []).append(raw_value)
    lesson = _lesson_keys(raw)
    raw = {**lesson, **raw}

    fields: dict = {}
    for key in SCENE_KEYS:
        if key.name in raw:
            try:
                fields.update(key.parse(raw[key.name], fields, report))
            except SceneError as exc:
                # A bad key given beside a lesson falls back to the lesson's own.
                fallback = lesson.get(key.name)
                if fallback is None or fallback == raw[key.name]:
                    report(exc, "its default is used")
                else:
                    report(exc, "the lesson's value is used")
                    fields.update(key.parse(fallback, fields, _raise))
        _fill_defaults(key.name, fields)

    fields["runs"] = _network_keys_on_a_network(fields, report)
    viewer = Viewer(**{k.name: fields.pop(k.name) for k in viewer_keys() if k.name in fields})
    return Scene(**fields, viewer=viewer)


def _network_keys_on_a_network(fields: dict, report) -> tuple[Run, ...]:
    """The runs, where the surface is not a network with the keys only a
    network has (what it does with unlabelled points) set back to their
    defaults, each reported."""
    if surfaces.SURFACES[fields["surface"]].kind == NETWORK:
        return fields["runs"]
    runs = []
    for i, run in enumerate(fields["runs"], start=1):
        given = run.model_only_given()
        if given:
            verb = "applies" if len(given) == 1 else "apply"
            report(SceneError(f"run {i}: {', '.join(given)} {verb} only on surface=mlp (what a network does with "
                              f"its unlabelled training points); surface {fields['surface']} has none", "run"),
                   "their defaults are used")
            run = run.without_model_only()
        runs.append(run)
    return tuple(runs)


def _lesson_keys(raw: dict[str, list[str]]) -> dict[str, list[str]]:
    """The raw keys of the lesson named in `raw` (none without one): the
    base every key given beside it overrides; runs given in the link
    replace all of the lesson's runs, and a surface given in the link
    that takes no formula drops the lesson's `f` (which would otherwise be
    an error beside it, on every reload of the page's own address)."""
    from visualizer.core.lessons import LESSONS

    lesson = unquote_plus(raw["lesson"][0]) if "lesson" in raw else None
    if lesson not in LESSONS:
        return {}
    keys: dict[str, list[str]] = {}
    for part in LESSONS[lesson].scene.split("&"):
        key, _, value = part.partition("=")
        keys.setdefault(key, []).append(value)
    if "surface" in raw:
        given = surfaces.SURFACES.get(unquote_plus(raw["surface"][0]).partition(":")[0])
        if given is not None and given.kind != FORMULA:
            keys.pop("f", None)
    return keys


def _fill_defaults(name: str, fields: dict) -> None:
    """The defaults that depend on keys parsed before: a surface's own
    window, start, steps and runs."""
    if name == "surface":
        fields.setdefault("surface", DEFAULT_SURFACE)
        fields.setdefault("surface_params", {p.name: _default(p) for p in surfaces.SURFACES[fields["surface"]].params})
    elif name == "f" and surfaces.SURFACES[fields["surface"]].kind == FORMULA:
        fields.setdefault("formula", surfaces.CUSTOM_DEFAULT_FORMULA)
    elif name in ("start", "steps", "run"):
        model = resolve_surface(fields["surface"], fields.get("formula"), fields["surface_params"].get("window"))
        if name == "start":
            fields.setdefault("start", tuple(float(v) for v in model.start))
        elif name == "steps":
            fields.setdefault("steps", model.steps)
        else:
            fields.setdefault("runs", tuple(parse_run(spec, i, _raise) for i, spec in enumerate(model.runs, 1)))


def _one(values: list[str], where: str, name: str) -> str:
    if len(values) != 1:
        raise SceneError(f"{where}: {name} takes one value, got {show_text(','.join(values))}", where.split()[0])
    return values[0]
