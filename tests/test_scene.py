"""The scene language (docs/scene-language.md): parsing, errors, canonical form."""

from __future__ import annotations

import math
import unicodedata
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import visualizer
from visualizer import Scene, SceneError
from visualizer.core import surfaces
from visualizer.core.knobs import FLOAT32_TINY, Choice
from visualizer.core.optimizers import LR, OPTIMIZERS
from visualizer.core.run import SETTINGS, TEXT
from visualizer.core.scene import (
    COORD,
    SCENE_KEYS,
    WINDOW,
    parse_lenient,
)
from visualizer.core.schedules import SCHEDULES
from visualizer.core.surfaces import NETWORK

SURFACE_IDS = list(surfaces.SURFACES)
RUN_KEYS = ("lr", "schedule", *(k.name for k in SETTINGS))
HYPER_KEYS = sorted({h.name for o in OPTIMIZERS.values() for h in o.hypers}
                    | {p.name for s in SCHEDULES.values() for p in s.params})
SURFACE_KEYS = sorted({p.name for s in surfaces.SURFACES.values() for p in s.params})


def _message(query: str) -> str:
    with pytest.raises(SceneError) as info:
        Scene.from_query(query)
    return str(info.value)


def _assert_one_line(message: str):
    assert "\n" not in message and "\r" not in message, message
    assert 0 < len(message) < 300, message


def _assert_valid(scene: Scene):
    """A scene is valid when its canonical form parses strictly to itself."""
    assert isinstance(scene, Scene)
    query = scene.to_query()
    again = Scene.from_query(query)
    assert again == scene, query
    assert again.to_query() == query


# ------------------------------------------------------------ good scenes

GOOD = [
    "",
    "surface=rosenbrock&start=-1.5,2&steps=400&run=sgd:lr=0.001&run=adam:lr=0.05,b1=0.9",
    "surface=quadratic:cond=25,angle=30",
    "surface=quadratic:angle=-45,cond=1000&steps=1",
    "surface=quadratic:window=-1,1,-2,2,cond=3",
    "surface=himmelblau:window=-6,6,-6,6&start=0.5,-0.5&steps=10000",
    "surface=beale&run=adam:lr=0.01,b1=0.8,b2=0.99,eps=1e-06,schedule=cosine,min_ratio=0.1",
    "surface=cliff&run=sgd:lr=0.1,clip_norm=1&run=sgd:lr=0.1,clip_value=0.5,clip_norm=2",
    "surface=saddle&run=newton:lr=1,damping=0.5&run=momentum:momentum=0.95",
    "surface=rastrigin&run=sgd:lr=0.002,noise=60,seed=1,label=noisy%20SGD",
    "run=sgd:schedule=step,step_size=50,gamma=0.5&run=sgd:schedule=exponential,gamma=0.99",
    "run=adam:schedule=warmup_cosine,warmup=20,min_ratio=0.01&run=adam:schedule=onecycle",
    "run=rmsprop:schedule=cyclic,period=40,min_ratio=0.1,decay=0.95,eps=1e-07",
    "run=adagrad:initial_accumulator=0,eps=1e-10&run=adamw:weight_decay=0.1&run=nesterov:momentum=0.5",
    "run=lion:b1=0.95,b2=0.98,weight_decay=0.5&run=sign_sgd:lr=0.001&run=adadelta:rho=0.95,eps=1e-05",
    "run=nadam&run=amsgrad&run=adabelief&run=adamax&run=radam:threshold=4&run=yogi&run=sgd&run=adam",
    "run=sgd:label=a%2Cb%3Ac%3Dd%26e%2Bf%25g",
    "run=sgd:label=%CE%B7%3D0.1%20%E2%86%92%20%F0%9F%9A%80",
    "run=sgd:label=with+spaces+and%2Bplus",
    "?surface=booth&steps=+20",
    "surface=custom&f=x%5E2%20%2B%203*y%5E2",
    "surface=custom:window=-2,2,-1,1&f=sin(x)*cos(y)%2B0.1*(x%5E2%2By%5E2)&start=1,0.5",
    "surface=custom",
    "start=1e-3,-2.5E2&steps=64&run=sgd:lr=.5",
    "start=100000,-100000&run=sgd:lr=1000,seed=2147483647,noise=10000",
    "surface=himmelblau&run=sgd:lr=0.01,x0=-1,y0=2&run=sgd:lr=0.01,x0=1",
    "surface=saddle&view=3d&step=20&speed=0.5&hide=1,3&present=1&autoplay=1&loop=1",
]


@pytest.mark.parametrize("query", GOOD)
def test_canonical_form_round_trips(query):
    scene = Scene.from_query(query)
    _assert_valid(scene)
    canonical = scene.to_query()
    assert " " not in canonical and "\n" not in canonical
    assert Scene.from_query(canonical).to_query() == canonical


def test_spec_example_parses_to_what_it_says():
    scene = Scene.from_query("surface=rosenbrock&start=-1.5,2&steps=400&run=sgd:lr=0.001&run=adam:lr=0.05,b1=0.9")
    assert scene.surface == "rosenbrock" and scene.start == (-1.5, 2.0) and scene.steps == 400
    sgd, adam = scene.runs
    assert (sgd.optimizer, sgd.lr, dict(sgd.hyper)) == ("sgd", 0.001, {})
    assert adam.optimizer == "adam" and adam.lr == 0.05
    assert dict(adam.hyper) == {"b1": 0.9, "b2": OPTIMIZERS["adam"].hyper("b2").default,
                                "eps": OPTIMIZERS["adam"].hyper("eps").default}
    assert adam.schedule == "constant" and adam.clip_norm is None and adam.clip_value is None
    assert adam.noise == 0 and adam.seed == 0 and adam.label == ""


def test_defaults_come_from_the_surface():
    scene = Scene.from_query("surface=himmelblau")
    model = surfaces.SURFACES["himmelblau"]
    assert scene.start == tuple(model.start) and scene.steps == model.steps
    assert 2 <= len(scene.runs) <= 3
    assert Scene.from_query("") == Scene.from_query("surface=rosenbrock") == Scene.default()


def test_special_characters_in_labels_survive():
    label = "a,b:c=d&e+f%g h/?#é—η 🚀"
    scene = Scene.from_query("run=sgd:label=" + quote(label, safe=""))
    assert scene.runs[0].label == label
    assert Scene.from_query(scene.to_query()).runs[0].label == label
    # A bare `+` is a space (ordinary URL query encoding).
    assert Scene.from_query("run=sgd:label=a+b").runs[0].label == "a b"


def test_values_and_schedule_params_are_parsed():
    scene = Scene.from_query("surface=quadratic:cond=25,angle=-30&start=0.5,-2&steps=77"
                             "&run=adamw:lr=0.003,b1=0.8,b2=0.95,eps=1e-06,weight_decay=0.2,"
                             "schedule=step,step_size=7,gamma=0.25,clip_value=2,clip_norm=3,noise=0.5,seed=9")
    assert dict(scene.surface_params) == {"cond": 25.0, "angle": -30.0}
    assert scene.start == (0.5, -2.0) and scene.steps == 77
    (run,) = scene.runs
    assert run.lr == 0.003 and dict(run.hyper) == {"b1": 0.8, "b2": 0.95, "eps": 1e-06, "weight_decay": 0.2}
    assert run.schedule == "step" and dict(run.schedule_params) == {"step_size": 7, "gamma": 0.25}
    assert isinstance(run.schedule_params["step_size"], int)
    assert (run.clip_value, run.clip_norm, run.noise, run.seed) == (2.0, 3.0, 0.5, 9)


def test_scene_error_is_exported_and_a_value_error():
    assert visualizer.SceneError is SceneError
    assert issubclass(SceneError, ValueError)


# ------------------------------------------------------------ bad scenes

LONG = "a" * 100_000
BAD = [
    # (query, fragments the one-line message must contain: the key, the value, what is allowed)
    ("foo=1", ["foo", "surface, f, start, steps, run"]),
    ("Surface=booth", ["Surface", "surface, f, start"]),
    ("steps", ["steps", "key=value"]),
    ("surface=nope", ["surface", "nope", "rosenbrock", "quadratic"]),
    ("surface=%00", ["surface", "\\x00", "rosenbrock"]),
    ("surface=rosenbrock:cond=2", ["cond", "window"]),
    ("surface=quadratic:foo=1", ["foo", "cond, angle, window"]),
    ("surface=quadratic:cond=0.5", ["cond", "0.5", "[1, 1000]"]),
    ("surface=quadratic:cond=nan", ["cond", "nan", "[1, 1000]"]),
    ("surface=quadratic:angle=270", ["angle", "270", "[-180, 180]"]),
    ("surface=quadratic:cond=2,cond=3", ["cond", "twice"]),
    ("surface=quadratic:window=1,0,0,1", ["window", "xmin < xmax"]),
    ("surface=quadratic:window=0,1,1,1", ["window", "ymin < ymax"]),
    ("surface=quadratic:window=1,2,3", ["window", "4 numbers"]),
    ("surface=booth&surface=beale", ["surface", "once"]),
    ("run=nope", ["run", "nope", "sgd", "adam"]),
    ("run=%00", ["run", "\\x00", "sgd"]),
    ("run=", ["run", "sgd"]),
    ("run=sgd:schedule=nope", ["schedule", "nope", "cosine", "warmup_cosine"]),
    ("run=sgd:lr=nan", ["lr", "nan", "(0, 1000]"]),
    ("run=sgd:lr=NaN", ["lr", "NaN", "(0, 1000]"]),
    ("run=sgd:lr=inf", ["lr", "inf", "(0, 1000]"]),
    ("run=sgd:lr=-inf", ["lr", "-inf", "(0, 1000]"]),
    ("run=sgd:lr=Infinity", ["lr", "Infinity", "(0, 1000]"]),
    ("run=sgd:lr=1e309", ["lr", "1e309", "(0, 1000]"]),
    ("run=sgd:lr=0x10", ["lr", "0x10", "(0, 1000]"]),
    ("run=sgd:lr=1_000", ["lr", "1_000", "(0, 1000]"]),
    ("run=sgd:lr=", ["lr", "(0, 1000]"]),
    ("run=sgd:lr=-0.1", ["lr", "-0.1", "(0, 1000]"]),
    ("run=sgd:lr=0", ["lr", "0", "(0, 1000]"]),
    ("run=sgd:lr=1e-400", ["lr", "1e-400", "(0, 1000]"]),
    ("run=sgd:lr=1e9", ["lr", "1e9", "(0, 1000]"]),
    ("run=sgd:lr=0.1%00", ["lr", "(0, 1000]"]),
    ("run=sgd:lr=1,2", ["lr", "one value"]),
    ("run=sgd:lr", ["lr", "key=value"]),
    ("run=sgd:lr=1,lr=2", ["lr", "twice"]),
    ("steps=0", ["steps", "0", "[1, 10000]"]),
    ("steps=10001", ["steps", "10001", "[1, 10000]"]),
    ("steps=1.5", ["steps", "1.5", "integer"]),
    ("steps=1e3", ["steps", "1e3", "integer"]),
    ("steps=", ["steps", "[1, 10000]"]),
    ("steps=ten", ["steps", "ten", "[1, 10000]"]),
    ("steps=10&steps=20", ["steps", "once"]),
    ("&".join(["run=sgd"] * 9), ["run", "9", "8"]),
    ("run=sgd:momentum=0.9", ["momentum", "sgd", "lr, schedule"]),
    ("run=adam:step_size=10", ["step_size", "schedule", "step"]),
    ("run=adam:schedule=cosine,period=10", ["period", "cyclic", "min_ratio"]),
    ("run=sgd:foo=1", ["foo", "lr, schedule"]),
    ("run=momentum:momentum=1", ["momentum", "1", "[0, 0.999]"]),
    ("run=adam:b1=1", ["b1", "[0, 0.99999]"]),
    ("run=adam:eps=0", ["eps", "[1e-16, 1]"]),
    ("run=adamw:weight_decay=11", ["weight_decay", "11", "[0, 10]"]),
    ("run=radam:threshold=3", ["threshold", "3", "[4, 100]"]),
    ("run=sgd:clip_norm=0", ["clip_norm", "(0, 1000000]"]),
    ("run=sgd:clip_value=-1", ["clip_value", "-1", "(0, 1000000]"]),
    ("run=sgd:noise=-1", ["noise", "-1", "[0, 10000]"]),
    ("run=sgd:seed=1.5", ["seed", "1.5", "integer"]),
    ("run=sgd:seed=2147483648", ["seed", "2147483648", "2147483647"]),
    ("run=sgd:schedule=step,step_size=0", ["step_size", "[1, 10000]"]),
    ("run=sgd:schedule=step,gamma=0", ["gamma", "(0, 1]"]),
    ("run=sgd:schedule=cyclic,period=1", ["period", "[2, 10000]"]),
    ("run=sgd:schedule=warmup_cosine,warmup=-1", ["warmup", "[0, 10000]"]),
    ("run=sgd:schedule=cosine,min_ratio=2", ["min_ratio", "[0, 1]"]),
    ("start=1", ["start", "1", "two numbers"]),
    ("start=1,2,3", ["start", "1,2,3", "two numbers"]),
    ("start=1e9,0", ["start", "1e9", "[-100000, 100000]"]),
    ("start=nan,0", ["start", "nan"]),
    ("start=1,x", ["start", "x"]),
    ("\x00\xff\xfe=\x01", ["\\x00", "unknown key", "surface, f, start"]),
    ("surface=\x00\xff\xfe", ["surface", "\\x00", "rosenbrock"]),
    ("surface=" + LONG, ["query", "8000"]),
    ("run=sgd:label=" + LONG, ["query", "8000"]),
    ("run=sgd:label=" + "x" * 61, ["label", "61", "60"]),
    ("run=sgd:label=" + quote("é" * 61), ["label", "60"]),
    ("run=sgd:label=a%0Ab", ["label", "\\n", "plain text"]),
    ("run=sgd:label=a%09b", ["label", "\\t", "plain text"]),
    ("run=sgd:label=a,label=b", ["label", "twice"]),
    ("f=x", ["f", "surface=custom"]),
    ("steps=-5", ["steps", "-5", "out of range", "[1, 10000]"]),
    ("run=sgd:clip_norm=1e-50", ["clip_norm", "1e-50", "too small", "float32"]),
    ("run=sgd:label=%E2%80%8B", ["label", "plain text"]),
    ("run=sgd:label=%20%20", ["label", "no visible characters"]),
    ("run=sgd:x0=1e6", ["x0", "1e6", "[-100000, 100000]"]),
    ("run=sgd:y0=abc", ["y0", "abc", "not a number"]),
    ("view=4d", ["view", "4d", "2d, 3d"]),
    ("steps=10&step=11", ["step", "11", "[0, 10]"]),
    ("speed=100", ["speed", "100", "0.25, 0.5, 1, 2, 4, 8"]),
    ("speed=3", ["speed", "3", "a speed the player offers", "0.25, 0.5, 1, 2, 4, 8"]),
    ("hide=4", ["hide", "4", "[1, 3]"]),
    ("hide=0", ["hide", "0", "[1,"]),
    ("present=yes", ["present", "yes", "0 or 1"]),
    ("autoplay=2", ["autoplay", "0 or 1"]),
    ("loop=", ["loop", "0 or 1"]),
    ("surface=custom&f=import%20os", ["f", "import"]),
]


@pytest.mark.parametrize("query, fragments", BAD, ids=[q[:40] for q, _ in BAD])
def test_bad_scene_gets_a_one_line_scene_error(query, fragments):
    message = _message(query)
    _assert_one_line(message)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from {message!r}"


@pytest.mark.parametrize("query, fragments", BAD, ids=[q[:40] for q, _ in BAD])
def test_lenient_parse_reports_the_same_error_and_keeps_a_valid_scene(query, fragments):
    scene, errors = parse_lenient(query)
    assert str(_error(query)) in [str(e) for e in errors]
    for error in errors:
        _assert_one_line(error.explained())
    _assert_valid(scene)


def _error(query):
    try:
        Scene.from_query(query)
    except SceneError as exc:
        return exc
    raise AssertionError(f"{query!r} parsed")


def test_there_are_enough_bad_cases():
    assert len(BAD) >= 40


def test_long_keys_are_not_echoed_in_full():
    name = "k" * 3000
    for query in (f"run=sgd:{name}=1,{name}=2", f"surface=quadratic:{name}=1,{name}=2", f"{name}=1",
                  f"run=sgd:{name}=1"):
        _assert_one_line(_message(query))


def test_lenient_falls_back_per_key():
    scene, errors = parse_lenient("surface=quadratic&steps=abc&start=1,2&run=adam:lr=nan,b1=0.8&run=nope")
    assert scene.surface == "quadratic"
    assert scene.steps == surfaces.SURFACES["quadratic"].steps
    assert scene.start == (1.0, 2.0)
    (run,) = scene.runs
    assert run.optimizer == "adam" and run.lr == OPTIMIZERS["adam"].lr and run.hyper["b1"] == 0.8
    assert len(errors) == 3
    messages = [e.explained() for e in errors]
    assert any("steps" in m and "default" in m for m in messages)
    assert any("lr" in m and "default" in m for m in messages)
    assert any("nope" in m and "run 2 is left out" in m for m in messages), "a dropped run says so"

    scene, errors = parse_lenient("surface=nope&steps=50")
    assert scene.surface == "rosenbrock" and scene.steps == 50 and len(errors) == 1
    assert scene.runs == Scene.default().runs

    scene, errors = parse_lenient("surface=custom&f=import%20os")
    assert scene.surface == "custom" and scene.formula == surfaces.CUSTOM_DEFAULT_FORMULA and len(errors) == 1


def test_lenient_keeps_the_first_eight_runs():
    scene, errors = parse_lenient("&".join(f"run=sgd:lr={i}" for i in range(1, 11)))
    assert [r.lr for r in scene.runs] == [float(i) for i in range(1, 9)]
    assert len(errors) == 1 and "the first 8 are kept" in errors[0].explained()


def test_good_queries_parse_leniently_without_errors():
    for query in GOOD:
        scene, errors = parse_lenient(query)
        assert errors == [] and scene == Scene.from_query(query)


# ------------------------------------------------------------ hypothesis: anything in, SceneError out

ATOM_TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "nan", "inf", "-inf", "1e309", "0x10", "1_000", "-0", "0", "1", "2.5", "1e-3", "-7", "1e9",
     "10001", "%00", "%0A", "%2C", "%3D", "%26", "+", "%", "%zz", "a,b", "1,2", "1,2,3,4", ":", "=", "&"]
)
KEY_TEXT = st.sampled_from([*RUN_KEYS, *HYPER_KEYS, *SURFACE_KEYS, "window", *(k.name for k in SCENE_KEYS),
                            "bogus", ""])


@st.composite
def random_combination(draw):
    """Random combinations of the real keys and ids with random values."""
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        key = draw(st.sampled_from([*(k.name for k in SCENE_KEYS), "run", "run", "bogus"]))
        if key == "surface":
            head = draw(st.sampled_from([*SURFACE_IDS, "custom", "nope"]))
        elif key == "run":
            head = draw(st.sampled_from([*OPTIMIZERS, "nope", ""]))
        else:
            head = draw(ATOM_TEXT)
        if key in ("surface", "run") and draw(st.booleans()):
            pairs = draw(st.lists(st.tuples(KEY_TEXT, ATOM_TEXT), max_size=5))
            if key == "run" and draw(st.booleans()):
                pairs.append(("schedule", draw(st.sampled_from([*SCHEDULES, "nope"]))))
            head += ":" + ",".join(f"{k}={v}" for k, v in pairs)
        parts.append(f"{key}={head}")
    return "&".join(parts)


def _check_any_query(query):
    try:
        strict = Scene.from_query(query)
    except SceneError as exc:
        _assert_one_line(str(exc))
        strict = None
    scene, errors = parse_lenient(query)
    _assert_valid(scene)
    for error in errors:
        _assert_one_line(error.explained())
    if strict is None:
        assert errors, "strict parse failed but lenient reported nothing"
    else:
        assert errors == [] and scene == strict


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_random_text_only_raises_scene_error(query):
    _check_any_query(query)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_combination())
def test_random_combinations_of_real_keys_only_raise_scene_error(query):
    _check_any_query(query)


# ------------------------------------------------------------ hypothesis: valid scenes round-trip


def _in_range(knob):
    """Any value the knob allows (never one that float32 flushes to 0)."""
    if knob.integer:
        return st.integers(int(knob.low) + (1 if knob.low_open else 0), int(knob.high))
    values = st.floats(knob.low, knob.high, exclude_min=knob.low_open, allow_nan=False, allow_infinity=False)
    return values.filter(lambda v: v == 0 or abs(v) >= FLOAT32_TINY)


@st.composite
def number_text(draw, value):
    """A number as a user might type it, URL-encoded."""
    if isinstance(value, int):
        return str(value)
    style = draw(st.sampled_from(["repr", "e", "g"]))
    text = repr(value) if style == "repr" else format(value, ".17e" if style == "e" else ".17g")
    return quote(text, safe="")


LABELS = st.text(
    st.characters(categories=("L", "M", "N", "P", "S")) | st.sampled_from(list(" ,:=&+%?#/;")),
    max_size=60,
).filter(lambda t: not t or any(unicodedata.category(c)[0] in "LNPS" for c in t))


@st.composite
def valid_scene(draw):
    """A valid query and the values it must parse to."""
    expect = {}
    # 2D surfaces (tests/test_model.py covers the model surface's own keys).
    surface = draw(st.sampled_from([s for s in SURFACE_IDS if not getattr(surfaces.SURFACES[s], "model", False)]))
    items = []
    for knob in surfaces.SURFACES[surface].params:
        if draw(st.booleans()):
            if isinstance(knob, Choice):
                value = draw(st.sampled_from(knob.choices))
                items.append(f"{knob.name}={value}")
            else:
                value = draw(_in_range(knob))
                items.append(f"{knob.name}={draw(number_text(value))}")
            expect[knob.name] = value
    if draw(st.booleans()):
        coord = _in_range(WINDOW)
        xs = sorted(draw(st.lists(coord, min_size=2, max_size=2, unique=True)))
        ys = sorted(draw(st.lists(coord, min_size=2, max_size=2, unique=True)))
        assume(xs[0] < xs[1] and ys[0] < ys[1])
        items.append("window=" + ",".join(draw(number_text(v)) for v in (*xs, *ys)))
        expect["window"] = ((xs[0], xs[1]), (ys[0], ys[1]))
    parts = [f"surface={surface}" + (":" + ",".join(items) if items else "")]
    if surface == "custom" and draw(st.booleans()):
        parts.append("f=" + quote(draw(st.sampled_from(["x^2 + y^2", "sin(x)*cos(y) + 0.1*(x^2+y^2)",
                                                          "abs(x) + 2*abs(y)"])), safe=""))
    if draw(st.booleans()):
        start = draw(st.tuples(_in_range(COORD), _in_range(COORD)))
        parts.append("start=" + ",".join(draw(number_text(v)) for v in start))
        expect["start"] = start
    if draw(st.booleans()):
        steps = draw(st.integers(1, 10_000))
        parts.append(f"steps={steps}")
        expect["steps"] = steps
    runs = []
    for _ in range(draw(st.integers(1, 8))):
        opt = OPTIMIZERS[draw(st.sampled_from(list(OPTIMIZERS)))]
        run = {"lr": draw(_in_range(LR))}
        for h in opt.hypers:
            if draw(st.booleans()):
                run[h.name] = draw(_in_range(h))
        sched = SCHEDULES[draw(st.sampled_from(list(SCHEDULES)))]
        if sched.id != "constant" or draw(st.booleans()):
            run["schedule"] = sched.id
            for p in sched.params:
                if draw(st.booleans()):
                    run[p.name] = draw(_in_range(p))
        for key in SETTINGS:
            if key.model_only:
                continue  # a network's run keys only (tests/test_model.py)
            if draw(st.booleans()):
                run[key.name] = draw(LABELS if key.kind == TEXT else _in_range(key.knob))
        if run.get("seeds", 1) > 1:  # a cloud needs noise, and a 2D surface
            if surfaces.SURFACES[surface].kind == NETWORK:
                run.pop("seeds")
            elif not run.get("noise"):
                run["noise"] = 1.0
        keys = draw(st.permutations(list(run)))
        spec = ",".join(f"{k}=" + (run[k] if k == "schedule" else quote(run[k], safe="") if k == "label"
                                   else draw(number_text(run[k]))) for k in keys)
        runs.append((opt.id, run, f"run={opt.id}:{spec}"))
    # Top-level keys in any order; runs keep their order among themselves.
    others = list(draw(st.permutations(parts)))
    queue = [q for _, _, q in runs]
    order = []
    while others or queue:
        take_run = queue and (not others or draw(st.booleans()))
        order.append(queue.pop(0) if take_run else others.pop(0))
    return "&".join(order), surface, expect, [(o, r) for o, r, _ in runs]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(valid_scene())
def test_valid_scenes_parse_to_their_values_and_round_trip(case):
    query, surface, expect, runs = case
    scene = Scene.from_query(query)
    assert scene.surface == surface
    for knob in surfaces.SURFACES[surface].params:
        if knob.name in expect:
            assert scene.surface_params[knob.name] == expect[knob.name]
    if "window" in expect:
        assert scene.surface_params["window"] == expect["window"]
    if "start" in expect:
        assert scene.start == expect["start"]
    if "steps" in expect:
        assert scene.steps == expect["steps"]
    assert len(scene.runs) == len(runs)
    for parsed, (opt_id, values) in zip(scene.runs, runs, strict=True):
        assert parsed.optimizer == opt_id
        assert parsed.schedule == values.get("schedule", "constant")
        for name, value in values.items():
            if name == "schedule":
                continue
            got = parsed.values[name]
            assert got == value and not (isinstance(got, float) and math.isnan(got)), name
    _assert_valid(scene)
    canonical = scene.to_query()
    assert " " not in canonical and "\n" not in canonical
    assert [r.label for r in Scene.from_query(canonical).runs] == [v.get("label", "") for _, v in runs]
