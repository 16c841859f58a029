"""The scene language: one query string for the URL, the CLI and the API.

    surface=quadratic:cond=25,angle=30&start=-1.5,2&steps=400&run=sgd:lr=0.001

A query is split on `&`, `=`, `:` and `,` first and only then is each atom
percent-decoded, so a label or formula may contain any of those characters
when they travel encoded (`label=a%2Cb`). `Scene.from_query` is strict (the
first problem raises `SceneError`); `parse_lenient` keeps every good key and
reports each bad one, which is what the app needs to "fall back to the
default for that key".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import quote_plus, unquote_plus

import surfaces
from visualizer.errors import SceneError
from visualizer.hyper import Hyper
from visualizer.optimizers import LR, OPTIMIZERS
from visualizer.schedules import SCHEDULES

MAX_RUNS = 8
MAX_STEPS = 10_000
MAX_QUERY_LENGTH = 8_000
MAX_LABEL_LENGTH = 60
COORD_LIMIT = 1e5

DEFAULT_SURFACE = "rosenbrock"
TOP_KEYS = ("surface", "f", "start", "steps", "run")

STEPS = Hyper("steps", 200, 1, MAX_STEPS, "T", "number of updates", integer=True)
NOISE = Hyper("noise", 0.0, 0.0, 1e4, r"\sigma", "std of Gaussian noise added to the gradient")
SEED = Hyper("seed", 0, 0, 2**31 - 1, "s", "seed of the gradient noise", integer=True)
CLIP_VALUE = Hyper("clip_value", 1.0, 0.0, 1e6, "c", "clip each gradient component to [-c, c]", log=True, low_open=True)
CLIP_NORM = Hyper("clip_norm", 1.0, 0.0, 1e6, "c", "rescale the gradient to norm at most c", log=True, low_open=True)
COORD = Hyper("start", 0.0, -COORD_LIMIT, COORD_LIMIT, "x_0", "start point")
WINDOW_LIMIT = 1e4

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[0-9]+")


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class Run:
    """One optimizer run: the optimizer id, its learning rate and every
    hyperparameter (defaults filled in), the schedule, clipping and noise."""

    optimizer: str
    lr: float
    hyper: Mapping[str, float] = field(default_factory=dict)
    schedule: str = "constant"
    schedule_params: Mapping[str, float] = field(default_factory=dict)
    clip_value: float | None = None
    clip_norm: float | None = None
    noise: float = 0.0
    seed: int = 0
    label: str = ""

    def display_label(self) -> str:
        if self.label:
            return self.label
        return f"{OPTIMIZERS[self.optimizer].name} lr={self.lr:g}"

    def params(self) -> dict:
        """Everything that shapes the trajectory, as plain values."""
        out = {"lr": self.lr, **self.hyper, "schedule": self.schedule, **self.schedule_params}
        out.update(clip_value=self.clip_value, clip_norm=self.clip_norm, noise=self.noise, seed=self.seed)
        return out

    def to_spec(self) -> str:
        """This run in canonical scene-language form."""
        opt = OPTIMIZERS[self.optimizer]
        items = [("lr", self.lr)] + [(h.name, self.hyper[h.name]) for h in opt.hypers]
        if self.schedule != "constant":
            items.append(("schedule", self.schedule))
            sched = SCHEDULES[self.schedule]
            items += [(h.name, self.schedule_params[h.name]) for h in sched.hypers]
        if self.clip_value is not None:
            items.append(("clip_value", self.clip_value))
        if self.clip_norm is not None:
            items.append(("clip_norm", self.clip_norm))
        if self.noise != NOISE.default:
            items.append(("noise", self.noise))
        if self.seed != SEED.default:
            items.append(("seed", self.seed))
        if self.label:
            items.append(("label", self.label))
        return self.optimizer + ":" + ",".join(f"{k}={_atom(v)}" for k, v in items)


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

    @classmethod
    def from_query(cls, query: str) -> Scene:
        return _parse(query, errors=None)

    @classmethod
    def default(cls, surface_id: str = DEFAULT_SURFACE) -> Scene:
        return _parse("surface=" + surface_id, errors=None)

    def to_query(self) -> str:
        parts = ["surface=" + self.surface_spec()]
        if self.formula is not None:
            parts.append("f=" + _text(self.formula))
        parts.append("start=" + ",".join(_atom(v) for v in self.start))
        parts.append(f"steps={self.steps}")
        parts += ["run=" + run.to_spec() for run in self.runs]
        return "&".join(parts)

    def surface_spec(self) -> str:
        items = []
        for name, value in self.surface_params.items():
            if name == "window":
                (x0, x1), (y0, y1) = value
                items.append("window=" + ",".join(_atom(v) for v in (x0, x1, y0, y1)))
            else:
                items.append(f"{name}={_atom(value)}")
        return self.surface + (":" + ",".join(items) if items else "")

    def replace(self, **changes) -> Scene:
        return replace(self, **changes)

    def surface_model(self) -> surfaces.Surface:
        """The `Surface` this scene runs on (a compiled formula for custom)."""
        return resolve_surface(self.surface, self.formula, self.surface_params.get("window"))


def resolve_surface(surface_id: str, formula: str | None, window=None) -> surfaces.Surface:
    if surface_id == surfaces.CUSTOM_ID:
        from surfaces.errors import FormulaError
        from surfaces.formula import compile_formula

        try:
            compiled = compile_formula(formula if formula is not None else surfaces.CUSTOM_DEFAULT_FORMULA)
        except FormulaError as exc:
            raise SceneError(f"f: {exc}", "f") from None
        return surfaces.custom_surface(compiled, window or surfaces.CUSTOM_DEFAULT_WINDOW)
    base = surfaces.SURFACES[surface_id]
    return replace(base, window=window) if window else base


# ---------------------------------------------------------------- parsing


def parse_lenient(query: str) -> tuple[Scene, list[str]]:
    """Parse what can be parsed; every bad key falls back to its default and
    its one-line message is returned. Never raises SceneError."""
    errors: list[str] = []
    scene = _parse(query, errors=errors)
    return scene, errors


def _parse(query, errors):
    def fail(exc: SceneError):
        if errors is None:
            raise exc
        errors.append(str(exc))

    if not isinstance(query, str):
        raise SceneError(f"scene: expected a query string, got {type(query).__name__}")
    if len(query) > MAX_QUERY_LENGTH:
        fail(SceneError(f"scene: the query is {len(query)} characters long; the limit is {MAX_QUERY_LENGTH}"))
        query = ""
    fields: dict[str, list[str]] = {}
    for part in query.lstrip("?").split("&"):
        if not part:
            continue
        raw_key, eq, raw_value = part.partition("=")
        key = unquote_plus(raw_key)
        try:
            if not eq:
                raise SceneError(f"scene: {_show(key)} is not key=value; keys: {', '.join(TOP_KEYS)}")
            if key not in TOP_KEYS:
                raise SceneError(f"{_show(key)}: unknown key; allowed: {', '.join(TOP_KEYS)}", key)
            if key != "run" and key in fields:
                raise SceneError(f"{key}: given twice; give it once", key)
        except SceneError as exc:
            fail(exc)
            continue
        fields.setdefault(key, []).append(raw_value)

    surface_id, surface_params = DEFAULT_SURFACE, {}
    if "surface" in fields:
        try:
            surface_id, surface_params = _parse_surface(fields["surface"][0], errors)
        except SceneError as exc:
            fail(exc)

    formula = None
    if "f" in fields:
        text = unquote_plus(fields["f"][0])
        if surface_id != surfaces.CUSTOM_ID:
            fail(SceneError(f"f: a formula needs surface=custom (surface is {surface_id!r})", "f"))
        else:
            formula = text
    if surface_id == surfaces.CUSTOM_ID:
        try:
            resolve_surface(surface_id, formula, surface_params.get("window"))
        except SceneError as exc:
            fail(exc)
            formula = surfaces.CUSTOM_DEFAULT_FORMULA
        if formula is None:
            formula = surfaces.CUSTOM_DEFAULT_FORMULA
    model = resolve_surface(surface_id, formula, surface_params.get("window"))

    start = tuple(float(v) for v in model.start)
    if "start" in fields:
        try:
            start = _parse_start(fields["start"][0])
        except SceneError as exc:
            fail(exc)

    steps = model.steps
    if "steps" in fields:
        try:
            steps = int(_number("steps", unquote_plus(fields["steps"][0]), STEPS, "steps"))
        except SceneError as exc:
            fail(exc)

    runs = []
    raw_runs = fields.get("run", [])
    if len(raw_runs) > MAX_RUNS:
        fail(SceneError(f"run: {len(raw_runs)} runs given; at most {MAX_RUNS} are allowed", "run"))
        raw_runs = raw_runs[:MAX_RUNS]
    for i, raw in enumerate(raw_runs, start=1):
        try:
            runs.append(_parse_run(raw, i, errors))
        except SceneError as exc:
            fail(exc)
    if not runs:
        runs = [_parse_run(spec, i, None) for i, spec in enumerate(model.runs, start=1)]

    return Scene(
        surface=surface_id,
        surface_params=surface_params,
        formula=formula,
        start=start,
        steps=steps,
        runs=tuple(runs),
    )


def _parse_surface(raw: str, errors) -> tuple[str, dict]:
    head, _, rest = raw.partition(":")
    surface_id = unquote_plus(head)
    ids = [*surfaces.SURFACES, surfaces.CUSTOM_ID]
    if surface_id not in ids:
        raise SceneError(f"surface: unknown surface {_show(surface_id)}; allowed: {', '.join(ids)}", "surface")
    model_params = surfaces.SURFACES[surface_id].params if surface_id in surfaces.SURFACES else ()
    params: dict[str, object] = {p.name: float(p.default) for p in model_params}
    allowed = [p.name for p in model_params] + ["window"]
    seen = set()
    for name, values in _pairs(rest, f"surface {surface_id}"):
        where = f"surface {surface_id}"
        try:
            if name in seen:
                raise SceneError(f"{where}: {_show(name)} given twice; give it once", "surface")
            seen.add(name)
            if name == "window":
                params["window"] = _parse_window(values, where)
            elif name in [p.name for p in model_params]:
                p = surfaces.SURFACES[surface_id].param(name)
                hyper = Hyper(p.name, p.default, p.low, p.high, p.name)
                params[name] = _number(name, _single(values, where, name), hyper, where)
            else:
                raise SceneError(
                    f"{where}: unknown parameter {_show(name)}; allowed: {', '.join(allowed)}", "surface")
        except SceneError as exc:
            if errors is None:
                raise
            errors.append(str(exc))
    # Window last so the canonical form is stable whatever order came in.
    if "window" in params:
        params["window"] = params.pop("window")
    return surface_id, params


def _parse_window(values: list[str], where: str):
    if len(values) != 4:
        raise SceneError(f"{where}: window needs 4 numbers xmin,xmax,ymin,ymax; got {len(values)}", "surface")
    bound = Hyper("window", 0, -WINDOW_LIMIT, WINDOW_LIMIT, "")
    x0, x1, y0, y1 = (_number("window", v, bound, where) for v in values)
    if not (x0 < x1 and y0 < y1):
        raise SceneError(f"{where}: window needs xmin < xmax and ymin < ymax; got {x0:g},{x1:g},{y0:g},{y1:g}",
                         "surface")
    return ((x0, x1), (y0, y1))


def _parse_start(raw: str) -> tuple[float, float]:
    values = [unquote_plus(v) for v in raw.split(",")]
    if len(values) != 2:
        raise SceneError(f"start: {_show(unquote_plus(raw))} is not x,y; give two numbers like start=-1.5,2", "start")
    return tuple(_number("start", v, COORD, "start") for v in values)


def _parse_run(raw: str, index: int, errors) -> Run:
    where = f"run {index}"
    head, _, rest = raw.partition(":")
    opt_id = unquote_plus(head)
    if opt_id not in OPTIMIZERS:
        raise SceneError(f"{where}: unknown optimizer {_show(opt_id)}; allowed: {', '.join(OPTIMIZERS)}", "run")
    opt = OPTIMIZERS[opt_id]
    given: dict[str, list[str]] = {}
    for name, values in _pairs(rest, where):
        if name in given:
            _report(errors, SceneError(f"{where}: {_show(name)} given twice; give it once", "run"))
            continue
        given[name] = values

    def field_value(name, parse, default):
        if name not in given:
            return default
        try:
            return parse(given.pop(name))
        except SceneError as exc:
            _report(errors, exc)
            return default

    schedule = field_value("schedule", lambda v: _choice(where, "schedule", _single(v, where, "schedule"),
                                                          list(SCHEDULES)), "constant")
    sched = SCHEDULES[schedule]
    lr = field_value("lr", lambda v: _number("lr", _single(v, where, "lr"), LR, where), opt.lr_default)
    hyper = {h.name: field_value(h.name, lambda v, h=h: _number(h.name, _single(v, where, h.name), h, where),
                                 float(h.default)) for h in opt.hypers}
    sched_params = {h.name: field_value(h.name, lambda v, h=h: _number(h.name, _single(v, where, h.name), h, where),
                                        h.default) for h in sched.hypers}
    clip_value = field_value("clip_value", lambda v: _number("clip_value", _single(v, where, "clip_value"),
                                                            CLIP_VALUE, where), None)
    clip_norm = field_value("clip_norm", lambda v: _number("clip_norm", _single(v, where, "clip_norm"),
                                                          CLIP_NORM, where), None)
    noise = field_value("noise", lambda v: _number("noise", _single(v, where, "noise"), NOISE, where), 0.0)
    seed = field_value("seed", lambda v: _number("seed", _single(v, where, "seed"), SEED, where), 0)
    label = field_value("label", lambda v: _label(",".join(v), where), "")

    for name in given:
        if any(name in (h.name for h in s.hypers) for s in SCHEDULES.values()):
            problem = (f"{name} is a parameter of schedule "
                       f"{', '.join(s.id for s in SCHEDULES.values() if name in (h.name for h in s.hypers))}, "
                       f"not of {schedule!r}")
        elif any(name in (h.name for h in o.hypers) for o in OPTIMIZERS.values()):
            problem = f"{opt_id} takes no {name}"
        else:
            problem = f"unknown key {_show(name)}"
        keys = ["lr", *(h.name for h in opt.hypers), "schedule", *(h.name for h in sched.hypers),
                "clip_value", "clip_norm", "noise", "seed", "label"]
        _report(errors, SceneError(f"{where}: {problem}; allowed: {', '.join(keys)}", "run"))

    return Run(
        optimizer=opt_id,
        lr=lr,
        hyper=hyper,
        schedule=schedule,
        schedule_params={k: (int(v) if sched.hypers[i].integer else float(v))
                         for i, (k, v) in enumerate(sched_params.items())},
        clip_value=clip_value,
        clip_norm=clip_norm,
        noise=float(noise),
        seed=int(seed),
        label=label,
    )


# ---------------------------------------------------------------- atoms


def _pairs(text: str, where: str) -> list[tuple[str, list[str]]]:
    """`a=1,b=2,3` -> [("a", ["1"]), ("b", ["2", "3"])]: a token without `=`
    continues the list of the key before it (windows, labels)."""
    pairs: list[tuple[str, list[str]]] = []
    if not text:
        return pairs
    for token in text.split(","):
        name, eq, value = token.partition("=")
        if eq:
            pairs.append((unquote_plus(name), [unquote_plus(value)]))
        elif pairs:
            pairs[-1][1].append(unquote_plus(token))
        else:
            raise SceneError(f"{where}: {_show(unquote_plus(token))} is not key=value", where.split()[0])
    return pairs


def _single(values: list[str], where: str, name: str) -> str:
    if len(values) != 1:
        raise SceneError(f"{where}: {name} takes one value, got {_show(','.join(values))}", where.split()[0])
    return values[0]


def _number(name: str, text: str, hyper: Hyper, where: str) -> float:
    key = where.split()[0]
    if not _NUMBER.fullmatch(text.strip()):
        raise SceneError(f"{where}: {name}={_show(text)} is not a number; allowed: {hyper.allowed()}", key)
    value = float(text)
    if not math.isfinite(value):
        raise SceneError(f"{where}: {name}={_show(text)} is not finite; allowed: {hyper.allowed()}", key)
    if hyper.integer:
        if not _INTEGER.fullmatch(text.strip()):
            raise SceneError(f"{where}: {name}={_show(text)} is not a whole number; allowed: {hyper.allowed()}", key)
        value = int(text)
    if not hyper.contains(value):
        raise SceneError(f"{where}: {name}={_show(text)} is out of range; allowed: {hyper.allowed()}", key)
    return value if hyper.integer else float(value)


def _choice(where: str, name: str, value: str, allowed: list[str]) -> str:
    if value not in allowed:
        raise SceneError(f"{where}: unknown {name} {_show(value)}; allowed: {', '.join(allowed)}", where.split()[0])
    return value


def _label(text: str, where: str) -> str:
    if len(text) > MAX_LABEL_LENGTH:
        raise SceneError(f"{where}: label is {len(text)} characters long; the limit is {MAX_LABEL_LENGTH}", "run")
    if not text.isprintable():
        raise SceneError(f"{where}: label {_show(text)} has control characters; use plain text", "run")
    return text


def _report(errors, exc: SceneError):
    if errors is None:
        raise exc
    errors.append(str(exc))


def _show(text: str, limit: int = 40) -> str:
    """A user's string made safe to echo in a one-line message."""
    text = str(text)
    shown = repr(text[:limit])
    return shown + ("..." if len(text) > limit else "")


def _atom(value) -> str:
    """One value in canonical form: shortest repr for numbers, percent-encoded
    text (so `,` `:` `=` `&` `+` inside a label survive)."""
    if isinstance(value, bool):
        raise TypeError("booleans have no scene form")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if not value.is_integer() or abs(value) >= 1e16 else repr(value).removesuffix(".0")
    return _text(str(value))


# Characters that never separate anything in a scene and read well in an
# address bar; everything else in user text is percent-encoded, and spaces
# travel as `+`.
_READABLE = "()*/^!'"


def _text(text: str) -> str:
    return quote_plus(text, safe=_READABLE)
