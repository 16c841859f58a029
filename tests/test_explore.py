"""Explorations (docs/explore.md): every kind checked variant
by variant against `simulate` of the scene with that one value set, on
several surfaces and optimizers; what compiles and what does not; bad input;
the JSON, the CSV and the command line."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import visualizer
from visualizer import Scene, SceneError, simulate
from visualizer.cli import main
from visualizer.core import landmarks
from visualizer.core.exploration import (
    SIZES,
    STRETCH,
    Exploration,
    _tables_at_once,
    explore,
    threshold,
)
from visualizer.core.scene import parse_lenient
from visualizer.core.schedules import lr_table
from visualizer.core.variants import Explore, resolve

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------- the reference


def variant_scene(scene: Scene, index: tuple[int, ...]) -> Scene:
    """`scene` with the one value of variant `index` set, and no exploration."""
    res = resolve(scene.explore, scene)
    run = scene.runs[res.run]
    if res.kind == "lr":
        changes = {"lr": float(res.axes[0].values[index[0]])}
    else:
        j, i = index
        x, y = (float(a.values[k]) for a, k in zip(res.axes, (i, j), strict=True))
        changes = {"x0": x, "y0": y} if res.kind == "starts" else {res.axes[0].key: x, res.axes[1].key: y}
    knobs = scene.surface_values()
    surface = {k: v for k, v in changes.items() if k in knobs}
    run = run.replace(**{k: v for k, v in changes.items() if k not in knobs})
    runs = tuple(run if n == res.run else r for n, r in enumerate(scene.runs))
    return scene.replace(runs=runs, surface_params={**scene.surface_params, **surface}, explore=None)


def reference(scene: Scene, run_index: int, tol: float) -> dict:
    """The outcome (docs/explore.md) of one run, from `simulate` (None for every
    outcome but final_xy where f is not finite at the start)."""
    try:
        result = simulate(scene)
    except SceneError as exc:
        assert exc.key == "start"
        start = scene.start_of(scene.runs[run_index])
        return {"final_loss": None, "diverged_at": None, "steps_to_tol": None, "final_xy": list(start),
                "minimum": None, "start_not_finite": True}
    r = result.runs[run_index]
    marks = landmarks.of(scene)
    within = np.nonzero(r.loss.astype(np.float64) - marks.lowest <= tol)[0]
    final = r.xy[-1].astype(np.float64)
    (x0, x1), (y0, y1) = scene.resolved_surface().window
    radius = 0.01 * math.hypot(x1 - x0, y1 - y0)
    distances = [math.hypot(final[0] - mx, final[1] - my) for mx, my in marks.minima]
    near = [d for d in distances if d <= radius]
    return {
        "final_loss": None if r.diverged_at is not None else float(r.loss[-1]),
        "diverged_at": r.diverged_at,
        "steps_to_tol": int(within[0]) if len(within) else None,
        "final_xy": final.tolist(),
        "minimum": distances.index(min(near)) if near else None,
        "start_not_finite": False,
    }


def outcome(e: Exploration, index) -> dict:
    def integer(a):
        return None if a[index] < 0 else int(a[index])

    loss = float(e.final_loss[index])
    return {
        "final_loss": None if math.isnan(loss) else loss,
        "diverged_at": integer(e.diverged_at),
        "steps_to_tol": integer(e.steps_to_tol),
        "final_xy": e.final_xy[index].astype(np.float64).tolist(),
        "minimum": integer(e.minimum),
        "start_not_finite": bool(e.start_not_finite[index]),
    }


def assert_same(got: dict, want: dict, where: str, rtol: float):
    for key in ("diverged_at", "steps_to_tol", "minimum", "start_not_finite"):
        assert got[key] == want[key], f"{where}: {key} {got[key]} != simulate's {want[key]}"
    np.testing.assert_allclose(got["final_xy"], want["final_xy"], rtol=rtol, atol=1e-6, err_msg=where)
    assert (got["final_loss"] is None) == (want["final_loss"] is None), where
    if want["final_loss"] is not None:
        assert got["final_loss"] == pytest.approx(want["final_loss"], rel=rtol * 10, abs=1e-6), where


def sampled(e: Exploration, count: int, seed: int) -> list[tuple[int, ...]]:
    """`count` random variants, plus the first that diverged, the first that
    arrived, the first that never did, and the first with a start where f is
    not finite, where there are such."""
    rng = np.random.default_rng(seed)
    shape = e.final_loss.shape
    picks = {tuple(int(rng.integers(0, s)) for s in shape) for _ in range(count)}
    for mask in (e.diverged_at >= 0, e.steps_to_tol >= 0, (e.steps_to_tol < 0) & (e.diverged_at < 0),
                 e.start_not_finite):
        if mask.any():
            picks.add(tuple(int(v) for v in np.unravel_index(np.argmax(mask), shape)))
    return sorted(picks)


# Each: (query, rtol for final_xy, what must occur among the variants).
# Most cases agree with simulate to the last bit; rtol covers float32
# rounding where the program groups an operation differently (a schedule
# parameter's tables, noise scaled per variant, clipping per variant).
CASES = {
    # lr
    "lr adam rosenbrock": ("surface=rosenbrock&start=-1.5,2&steps=200&run=adam:lr=0.01&explore=lr:n=64,tol=0.1", 1e-5,
                           {"arrived"}),
    "lr sgd quadratic, diverging region": (
        "surface=quadratic:cond=25,angle=30&steps=60&run=sgd:lr=0.01&explore=lr:n=64", 1e-5,
        {"diverged", "arrived"}),
    "lr momentum, cosine schedule": (
        "surface=booth&steps=60&run=momentum:lr=0.01,momentum=0.8,schedule=cosine,min_ratio=0.1"
        "&explore=lr:n=32,hi=0.2", 1e-5, {"arrived"}),
    "lr sgd, noise with a seed": (
        "surface=himmelblau&steps=60&run=sgd:lr=0.005,noise=1,seed=7&explore=lr:n=32,lo=0.0001,hi=0.05", 1e-5, set()),
    "lr rmsprop, clip_norm on the cliff": (
        "surface=cliff&steps=60&run=rmsprop:lr=0.05,clip_norm=1&explore=lr:n=32,hi=0.3", 1e-5, set()),
    "lr newton, run 2 of 2": (
        "surface=saddle&start=0.5,0.3&steps=30&run=sgd:lr=0.1&run=newton:lr=0.5&explore=lr:run=2,n=16,lo=0.01,hi=3",
        1e-5, {"diverged"}),
    # starts
    "starts sgd himmelblau": ("surface=himmelblau&steps=60&run=sgd:lr=0.01&explore=starts:n=24", 1e-5,
                              {"arrived", "minimum"}),
    "starts adam six-hump camel": ("surface=six_hump_camel&steps=100&run=adam:lr=0.05&explore=starts:n=16", 1e-5,
                                   {"minimum"}),
    "starts momentum, exponential decay": (
        "surface=saddle&steps=60&run=momentum:lr=0.05,schedule=exponential,gamma=0.97&explore=starts:n=16", 1e-5,
        set()),
    "starts on a formula with a hole": (
        "surface=custom&f=log(x)%2By^2&steps=30&run=sgd:lr=0.05&explore=starts:n=8", 1e-5, {"start_not_finite"}),
    # map
    "map lr x momentum on a ravine": (
        "surface=quadratic:cond=25,angle=30&steps=60&run=momentum:lr=0.02,momentum=0.9"
        "&explore=map:x=lr,y=momentum,n=12,xlo=0.001,xhi=1", 1e-5, {"diverged", "arrived"}),
    "map lr x cond": ("surface=quadratic&steps=60&run=sgd:lr=0.02&explore=map:x=lr,y=cond,n=10,xlo=0.001,xhi=1",
                      1e-5, {"diverged", "arrived"}),
    "map angle x cond": ("surface=quadratic&steps=40&run=sgd:lr=0.05&explore=map:x=angle,y=cond,n=8", 1e-5, set()),
    "map adam b1 x b2": ("surface=rosenbrock&steps=100&run=adam:lr=0.05&explore=map:x=b1,y=b2,n=8", 1e-5, set()),
    "map lr x min_ratio, cosine": (
        "surface=booth&steps=60&run=sgd:lr=0.02,schedule=cosine,min_ratio=0.1&explore=map:x=lr,y=min_ratio,n=8,"
        "xlo=0.001,xhi=0.2", 1e-4, {"arrived", "diverged"}),
    "map min_ratio x momentum, warm-up cosine": (
        "surface=quadratic:cond=10,angle=30&steps=80&run=momentum:lr=0.05,momentum=0.5,schedule=warmup_cosine,"
        "warmup=10,min_ratio=0.5&explore=map:x=min_ratio,y=momentum,n=8", 1e-4, {"arrived"}),
    "map gamma x lr, step decay": (
        "surface=booth&steps=60&run=sgd:lr=0.02,schedule=step,step_size=10,gamma=0.5"
        "&explore=map:x=gamma,y=lr,n=8,ylo=0.001,yhi=0.2", 1e-5, {"arrived", "diverged"}),
    "map lr x clip_norm on the cliff": (
        "surface=cliff&steps=60&run=sgd:lr=0.1,clip_norm=1&explore=map:x=lr,y=clip_norm,n=8,xlo=0.001,xhi=1,"
        "ylo=0.01,yhi=100", 1e-4, set()),
    "map noise x lr, seeded": (
        "surface=himmelblau&steps=40&run=sgd:lr=0.01,noise=2,seed=5&explore=map:x=noise,y=lr,n=8,xlo=0.01,xhi=10,"
        "ylo=0.001,yhi=0.05", 1e-4, set()),
}


@pytest.fixture(scope="module")
def explored():
    return {name: explore(Scene.from_query(query)) for name, (query, _, _) in CASES.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_each_variant_equals_simulate_of_that_value(explored, name):
    query, rtol, occurs = CASES[name]
    e = explored[name]
    scene = Scene.from_query(query)
    seen = set()
    for index in sampled(e, 5, seed=len(name)):
        want = reference(variant_scene(scene, index), e.resolved.run, e.resolved.tol)
        assert_same(outcome(e, index), want, f"{name} at {index}", rtol)
        seen |= {k for k, v in (("diverged", want["diverged_at"] is not None),
                                ("arrived", want["steps_to_tol"] is not None),
                                ("minimum", want["minimum"] is not None),
                                ("start_not_finite", want["start_not_finite"])) if v}
    assert occurs <= seen, f"{name}: the sampled variants never showed {occurs - seen}"


@pytest.mark.parametrize("name", list(CASES))
def test_outcomes_are_consistent_everywhere(explored, name):
    """Every variant: a finite last point; a final loss exactly where the
    run neither diverged nor started where f is not finite; arrival before
    divergence; diverged runs never leave an inf for a colour scale."""
    e = explored[name]
    assert e.final_loss.shape == e.resolved.shape and e.final_xy.shape == e.resolved.shape + (2,)
    assert np.isfinite(e.final_xy).all()
    assert not np.isinf(e.final_loss).any()
    has_loss = ~np.isnan(e.final_loss)
    assert (has_loss == ((e.diverged_at < 0) & ~e.start_not_finite)).all()
    both = (e.diverged_at >= 0) & (e.steps_to_tol >= 0)
    assert (e.steps_to_tol[both] <= e.diverged_at[both]).all()
    assert (e.diverged_at < e.scene.steps).all() and (e.steps_to_tol <= e.scene.steps).all()
    assert ((e.minimum >= -1) & (e.minimum < max(1, len(landmarks.of(e.scene).minima)))).all()
    json.dumps(e.to_dict(), allow_nan=False)


def test_a_start_where_f_is_not_finite():
    """In `starts`, such a variant has every outcome null but its final_xy,
    the start; simulate refuses that start. In `lr` and `map`, where the
    start is the scene's own, explore refuses it as simulate does."""
    e = explore(Scene.from_query(CASES["starts on a formula with a hole"][0]))
    (xs, ys) = (a.values for a in e.axes)
    bad = e.start_not_finite
    assert bad.any() and not bad.all()
    assert (bad == (xs[None, :] <= 0)).all()
    j, i = np.argwhere(bad)[0]
    assert e.final_xy[j, i].tolist() == [np.float32(xs[i]), np.float32(ys[j])]
    d = e.to_dict()["explore"]
    assert [d[k][j][i] for k in ("final_loss", "diverged_at", "steps_to_tol", "minimum")] == [None] * 4
    for kind in ("lr:n=4", "map:x=lr,y=noise,n=2"):
        scene = Scene.from_query(f"surface=custom&f=log(x)%2By^2&start=-1,1&steps=5&run=sgd:lr=0.05&explore={kind}")
        with pytest.raises(SceneError, match=r"start: the surface is not finite at \(-1, 1\)"):
            explore(scene)


def test_more_variants_than_one_call_takes():
    """Past the largest program size the variants are run in several calls,
    the last one padded."""
    n = 257  # 66049 starts: 5 calls of 16384, the last with 513
    assert n * n > SIZES[-1] and n * n % SIZES[-1]
    scene = Scene.from_query(f"surface=booth&steps=3&run=adam:lr=0.1&explore=starts:n={n}")
    e = explore(scene)
    assert e.final_loss.shape == (n, n)
    for index in [(0, 0), (n - 1, n - 1), (n // 2, 3), (n - 1, 0)]:
        want = reference(variant_scene(scene, index), 0, e.resolved.tol)
        assert_same(outcome(e, index), want, f"starts n={n} at {index}", 1e-6)


@pytest.mark.parametrize("hi, first", [(0.2176, 80), (0.22274, 63), (0.2108, 127)])
def test_a_run_diverging_late_keeps_its_last_finite_point(hi, first):
    """A call's variants step STRETCH steps at a time without keeping their
    last finite point, and step again, keeping it, from the start of the
    stretch in which the first of them diverges (`_outcome_loop`). Rates
    just above 2/L on a quadratic diverge slowly: the fastest of each call
    here first diverges mid-stretch after clean stretches (80), or at a
    stretch's last point (63 and 127, whose next point the check at the
    stretch's end finds), and the others later, up to the last step. Each
    variant's outcome is still simulate's (to float32 rounding, which a
    slow divergence grows over its hundreds of steps)."""
    assert STRETCH == 32, "the rates were chosen for stretches of 32 steps"
    query = f"surface=quadratic:cond=10&steps=300&run=sgd:lr=0.1&explore=lr:n=256,lo=0.15,hi={hi}"
    scene = Scene.from_query(query)
    e = explore(scene)
    diverged = np.nonzero(e.diverged_at >= 0)[0]
    assert e.diverged_at[diverged].min() == first and e.diverged_at.max() > 250
    stable = np.nonzero(e.diverged_at < 0)[0]
    for index in [*diverged[::3], *stable[::10], diverged[-1]]:
        want = reference(variant_scene(scene, (int(index),)), 0, e.resolved.tol)
        assert_same(outcome(e, int(index)), want, f"{query} at {index}", 1e-5)


# ---------------------------------------------------------------- tables and thresholds


@pytest.mark.parametrize("schedule, key, others", [
    ("step", "gamma", {"step_size": 7}),
    ("exponential", "gamma", {}),
    ("cosine", "min_ratio", {}),
    ("warmup_cosine", "min_ratio", {"warmup": 10}),
    ("cyclic", "min_ratio", {"period": 12}),
])
def test_schedule_tables_equal_the_engines(schedule, key, others):
    values = np.linspace(0.05, 1.0, 7)
    tables = _tables_at_once(schedule, key, tuple(values.tolist()), 1.0, 50, tuple(sorted(others.items())), 65)
    for value, table in zip(values, tables, strict=True):
        np.testing.assert_allclose(table, lr_table(schedule, 1.0, 50, {**others, key: float(value)}, 65),
                                   rtol=2e-7, atol=1e-12)


@pytest.mark.parametrize("f_star, tol", [(0.0, 1e-3), (-1.031628, 1e-3), (3.0, 1e-6), (-78.33233, 0.5),
                                         (0.0, 1e6), (1e-30, 1e-38)])
def test_threshold_is_the_largest_float32_within_tol(f_star, tol):
    v = np.float32(threshold(f_star, tol))
    assert float(v) - f_star <= tol
    above = np.nextafter(v, np.float32(np.inf))
    assert not float(above) - f_star <= tol


# ---------------------------------------------------------------- compiling




WARM = {
    "lr": "surface=quadratic:cond=10,angle=30&start=-2,1&steps=100&run=momentum:lr=0.02,momentum=0.9,noise=0.5,"
          "seed=1&explore=lr:n=200",
    "map": "surface=quadratic:cond=10,angle=30&start=-2,1&steps=100&run=momentum:lr=0.02,momentum=0.9,noise=0.5,"
           "seed=1&explore=map:x=lr,y=momentum,n=16",
    "starts": "surface=quadratic:cond=10,angle=30&start=-2,1&steps=100&run=momentum:lr=0.02,momentum=0.9,"
              "noise=0.5,seed=1&explore=starts:n=100",
}


def test_changing_values_compiles_nothing(compiles):
    """Once each kind has run, no value of the scene compiles anything:
    learning rate, hyperparameters, start, seed, noise, the surface's knobs,
    tol, ranges, steps within a bucket, another pair of map axes, another
    run of the same optimizer, and n while the count of variants stays
    within one program size (lr: 129-256 values, map: 12-16, starts: any
    n from 91 on, 8,281 starts or more, whose variants run in calls of 16,384)."""
    for query in WARM.values():
        explore(Scene.from_query(query))
    rng = np.random.default_rng(3)
    changed = []
    for _ in range(6):
        lr, momentum = float(10 ** rng.uniform(-3, -1)), float(rng.uniform(0, 0.99))
        start = f"{rng.uniform(-3, 3):.3f},{rng.uniform(-3, 3):.3f}"
        seed, noise = int(rng.integers(0, 1000)), float(rng.uniform(0.01, 2))
        cond, angle, steps = float(rng.uniform(1, 100)), float(rng.uniform(-90, 90)), int(rng.integers(65, 129))
        base = (f"surface=quadratic:cond={cond},angle={angle}&start={start}&steps={steps}"
                f"&run=momentum:lr={lr},momentum={momentum},noise={noise},seed={seed}")
        changed += [
            f"{base}&explore=lr:n={int(rng.integers(129, 257))},tol={float(10 ** rng.uniform(-6, 0))}",
            f"{base}&explore=lr:lo=0.0001,hi={float(10 ** rng.uniform(-2, 1))}",
            f"{base}&explore=map:x=momentum,y=lr,n=16,ylo=0.001,yhi=0.5",
            f"{base}&explore=map:x=cond,y=noise,n={int(rng.integers(12, 17))}",
            f"{base}&explore=map:x=angle,y=momentum,n=16",
            f"{base}&explore=starts:n={int(rng.integers(91, 140))}",
            f"{base}&run=sgd:lr=0.1&explore=starts:n=100",
        ]
    before = len(compiles.names)
    for query in changed:
        e = explore(Scene.from_query(query))
        assert np.isfinite(e.final_xy).all()
    assert len(compiles.names) == before, f"compiled: {compiles.names[before:]}"


def test_a_new_kind_compiles_once_and_quickly(compiles):
    """A program no scene used before compiles, once; the same scene again
    compiles nothing. (benchmarks/explore_speed.py times the first call of
    each kind in a fresh interpreter.)"""
    scene = Scene.from_query("surface=matyas&steps=50&run=adagrad:lr=0.3&explore=map:x=lr,y=eps,n=10")
    before = len(compiles.names)
    cpu = time.process_time()  # this process's CPU time, every thread: what another process's load leaves alone
    explore(scene)
    first = time.process_time() - cpu
    assert len(compiles.names) > before
    assert first < 10.0, f"first call {first:.2f} s of CPU"  # about 0.3-0.6 s
    before = len(compiles.names)
    explore(scene.replace(runs=(scene.runs[0].replace(lr=0.05, eps=1e-4),)))
    assert len(compiles.names) == before


# ---------------------------------------------------------------- bad input


BAD_EXPLORE = {
    "n below the limit (lr)": ("run=sgd:lr=0.01&explore=lr:n=1", ["n='1'", "allowed", "[2, 4096]"]),
    "n above the limit (lr)": ("run=sgd:lr=0.01&explore=lr:n=4097", ["n='4097'", "allowed", "[2, 4096]"]),
    "n above the limit (map)": ("run=momentum&explore=map:x=lr,y=momentum,n=257", ["n='257'", "[2, 256]"]),
    "n above the limit (starts)": ("run=sgd&explore=starts:n=513", ["n='513'", "[2, 512]"]),
    "n not a whole number": ("run=sgd&explore=starts:n=12.5", ["n=", "whole number"]),
    "lr range from 0": ("run=sgd:lr=0.01&explore=lr:lo=0", ["lr", "allowed"]),
    "lr range above lr's limit": ("run=sgd:lr=0.01&explore=lr:hi=5000", ["lr", "allowed", "1000"]),
    "range upside down": ("run=sgd:lr=0.01&explore=lr:lo=0.1,hi=0.01", ["lr", "low < high"]),
    "map range outside the knob": ("run=momentum&explore=map:x=lr,y=momentum,ylo=-1", ["momentum", "allowed"]),
    "an axis adam does not have": ("run=adam&explore=map:x=lr,y=momentum", ["momentum", "allowed", "b1"]),
    "clip_norm that is off": ("run=sgd&explore=map:x=lr,y=clip_norm", ["clip_norm", "allowed"]),
    "a surface knob this surface lacks": ("surface=rosenbrock&run=sgd&explore=map:x=lr,y=cond", ["cond", "allowed"]),
    "seed is not an axis": ("run=sgd:noise=1&explore=map:x=lr,y=seed", ["seed", "allowed"]),
    "a static hyperparameter": ("run=lbfgs&explore=map:x=lr,y=memory_size", ["memory_size", "allowed"]),
    "the same key on both axes": ("run=momentum&explore=map:x=lr,y=lr", ["lr", "two different keys"]),
    "map without y": ("run=momentum&explore=map:x=lr", ["x=", "y="]),
    "a run that does not exist": ("run=sgd&run=adam&explore=lr:run=3", ["run=3", "2 runs"]),
    "run beyond eight": ("run=sgd&explore=lr:run=9", ["run='9'", "allowed"]),
    "unknown kind": ("run=sgd&explore=basins", ["basins", "allowed", "lr, map, starts"]),
    "unknown parameter": ("run=sgd&explore=lr:x=lr", ["'x'", "allowed"]),
    "tol of 0": ("run=sgd&explore=lr:tol=0", ["tol='0'", "allowed"]),
    "tol not a number": ("run=sgd&explore=starts:tol=nan", ["tol=", "allowed"]),
    "no starts on the model surface": ("surface=mlp&explore=starts", ["mlp", "not available"]),
}


@pytest.mark.parametrize("name", list(BAD_EXPLORE))
def test_bad_explore_is_a_scene_error_naming_the_key_in_under_50_ms(name):
    query, words = BAD_EXPLORE[name]
    Scene.from_query("run=sgd")  # nothing first-time in the timing
    times = []
    for _ in range(3):
        cpu = time.thread_time()  # CPU time of this thread: parsing is plain Python
        with pytest.raises(SceneError) as info:
            Scene.from_query(query)
        times.append(time.thread_time() - cpu)
    message = str(info.value)
    assert info.value.key == "explore", message
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert min(times) < 0.050, f"{min(times) * 1e3:.1f} ms of CPU"  # measured: 0.1-0.5 ms
    # The page parses leniently: it reports the key and keeps the rest.
    scene, problems = parse_lenient(query)
    assert scene.explore is None
    assert [p.key for p in problems] == ["explore"]


def test_explore_checks_a_scene_built_in_python():
    scene = Scene.from_query("surface=booth&run=adam:lr=0.05")
    with pytest.raises(SceneError, match="no explore key; add one"):
        explore(scene)
    with pytest.raises(SceneError, match="has no 'momentum' to vary"):
        explore(scene.replace(explore=Explore("map", {"x": "lr", "y": "momentum"})))


# ---------------------------------------------------------------- JSON and CSV


def test_json_shape_for_each_kind():
    lr = explore(Scene.from_query("surface=booth&steps=40&run=sgd:lr=0.01&run=adam:lr=0.1&explore=lr:run=2,n=5,"
                                  "tol=0.01")).to_dict()
    assert list(lr) == ["scene", "explore"]
    assert lr["scene"] == "surface=booth&start=-8,-6&steps=40&run=sgd:lr=0.01&run=adam:lr=0.1,b1=0.9,b2=0.999," \
                          "eps=1e-08&explore=lr:run=2,n=5,tol=0.01"
    d = lr["explore"]
    assert list(d) == ["kind", "run", "tol", "axes", "final_loss", "diverged_at", "steps_to_tol", "final_xy",
                       "minimum"]
    assert (d["kind"], d["run"], d["tol"]) == ("lr", 2, 0.01)
    # lr/1000 to lr*1000, log-spaced, the ends exactly those
    assert d["axes"] == [{"key": "lr", "values": pytest.approx([1e-4, 10**-2.5, 0.1, 10**0.5, 100]), "scale": "log"}]
    assert d["axes"][0]["values"][0] == 1e-4 and d["axes"][0]["values"][-1] == 100.0
    assert all(len(d[k]) == 5 for k in ("final_loss", "diverged_at", "steps_to_tol", "final_xy", "minimum"))
    assert all(len(p) == 2 for p in d["final_xy"])

    m = explore(Scene.from_query("surface=quadratic&steps=30&run=sgd:lr=0.05&explore=map:x=lr,y=cond,n=3,"
                                 "xlo=0.01,xhi=1")).to_dict()["explore"]
    assert [a["key"] for a in m["axes"]] == ["lr", "cond"]
    assert [a["scale"] for a in m["axes"]] == ["log", "log"]  # cond spans decades too
    assert len(m["final_loss"]) == 3 and all(len(row) == 3 for row in m["final_loss"])
    # Row j is y value j: cond=1000 with lr=1 diverges; cond=1 is stable for every lr <= 1 (< 2/cond).
    assert m["diverged_at"][2][2] is not None and m["final_loss"][2][2] is None
    assert all(m["diverged_at"][0][i] is None for i in range(3))

    s = explore(Scene.from_query("surface=himmelblau&steps=30&run=sgd:lr=0.01&explore=starts:n=4")).to_dict()
    axes = s["explore"]["axes"]
    assert [a["key"] for a in axes] == ["x", "y"] and axes[0]["values"] == [-3.75, -1.25, 1.25, 3.75]
    assert len(s["explore"]["final_xy"]) == 4 and len(s["explore"]["final_xy"][0][0]) == 2


def test_csv_one_row_per_variant():
    e = explore(Scene.from_query("surface=quadratic&steps=30&run=sgd:lr=0.05&explore=map:x=lr,y=cond,n=3,"
                                 "xlo=0.01,xhi=1"))
    rows = list(csv.DictReader(io.StringIO(e.to_csv())))
    assert list(rows[0]) == ["lr", "cond", "final_loss", "diverged_at", "steps_to_tol", "final_x", "final_y",
                             "minimum"]
    assert len(rows) == 9
    d = e.to_dict()["explore"]
    for k, row in enumerate(rows):
        j, i = divmod(k, 3)
        assert float(row["lr"]) == d["axes"][0]["values"][i] and float(row["cond"]) == d["axes"][1]["values"][j]
        assert row["diverged_at"] == ("" if d["diverged_at"][j][i] is None else str(d["diverged_at"][j][i]))
        assert row["final_loss"] == ("" if d["final_loss"][j][i] is None else repr(d["final_loss"][j][i]))
        assert float(row["final_x"]) == d["final_xy"][j][i][0]
    assert sum(row["diverged_at"] != "" for row in rows) >= 1


def test_visualizer_explore_is_the_function():
    scene = Scene.from_query("surface=booth&steps=10&run=sgd:lr=0.01&explore=lr:n=3")
    assert visualizer.explore is explore and visualizer.Exploration is Exploration
    assert visualizer.explore(scene).to_dict() == explore(scene).to_dict()


# ---------------------------------------------------------------- command line


CLI_SCENE = "surface=himmelblau&steps=40&run=sgd:lr=0.01&explore=starts:n=6"


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_and_csv_equal_the_api(capsys, tmp_path):
    expected = explore(Scene.from_query(CLI_SCENE))
    code, out, err = run_cli(capsys, "explore", CLI_SCENE)
    assert (code, err) == (0, "")
    assert json.loads(out) == expected.to_dict()
    code, out, err = run_cli(capsys, "explore", "?" + CLI_SCENE, "--format", "csv")
    assert (code, err) == (0, "")
    assert out == expected.to_csv()
    target = tmp_path / "basins.csv"  # the format follows the extension
    code, out, err = run_cli(capsys, "explore", CLI_SCENE, "--out", str(target))
    assert (code, out, err) == (0, "", "")
    assert target.read_text() == expected.to_csv()


@pytest.mark.parametrize("scene", [
    "surface=himmelblau&run=sgd",  # no explore key
    "surface=himmelblau&run=adam&explore=map:x=lr,y=momentum",
    "surface=himmelblau&run=sgd&explore=starts:n=1000",
])
def test_cli_bad_exploration_is_one_line_and_exit_2(capsys, tmp_path, scene):
    target = tmp_path / "keep.json"
    target.write_text("old")
    code, out, err = run_cli(capsys, "explore", scene, "--out", str(target))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("error: explore") and "Traceback" not in err
    assert target.read_text() == "old"


def test_cli_subprocess():
    proc = subprocess.run([sys.executable, "-m", "visualizer", "explore", "-", "--format", "csv"], cwd=ROOT,
                          input="surface=booth&steps=20&run=adam:lr=0.1&explore=lr:n=4\n", capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("lr,final_loss,") and len(lines) == 5
    proc = subprocess.run([sys.executable, "-m", "visualizer", "explore", "surface=booth&explore=lr:n=0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2 and proc.stderr.startswith("error: explore lr: n='0'") and proc.stdout == ""


# ---------------------------------------------------------------- on a network


NETWORK_SCENES = {
    "sgd": "surface=mlp:data=circles&steps=150&run=sgd:lr=0.5&explore=lr:lo=0.01,hi=3,n=7",
    "adam, minibatches": "surface=mlp:data=moons,batch=8&steps=120&run=adam:lr=0.03&explore=lr:lo=0.001,hi=0.3,n=6",
    "momentum, self-training": "surface=mlp:data=xor,labels=0.05&steps=150&run=adam:lr=0.03"
                               "&run=momentum:lr=0.05,momentum=0.9,unlabeled=selftrain"
                               "&explore=lr:run=2,lo=0.005,hi=0.5,n=5",
    "clipped, noisy, cosine": "surface=mlp:data=spirals,act=relu,init=he&steps=100"
                              "&run=sgd:lr=0.3,clip_norm=1,noise=0.05,seed=3,schedule=cosine"
                              "&explore=lr:lo=0.03,hi=3,n=5",
    "diverging": "surface=mlp:act=relu&steps=200&run=sgd:lr=1&explore=lr:lo=0.5,hi=200,n=2,tol=0.05",
}


@pytest.mark.parametrize("name", NETWORK_SCENES)
def test_a_network_at_each_rate_equals_simulate_of_that_rate(name):
    """A network's `explore=lr`: each rate's final training loss, divergence,
    first step within tol of 0 and accuracies are those of `simulate`."""
    scene = Scene.from_query(NETWORK_SCENES[name])
    e = explore(scene)
    res = resolve(scene.explore, scene)
    assert np.isnan(e.final_xy).all() and (e.minimum == -1).all()
    for i, rate in enumerate(res.axes[0].values):
        run = simulate(variant_scene(scene, (i,))).runs[res.run]
        where = f"{name}, lr {rate:.3g}"
        assert (e.diverged_at[i] if e.diverged_at[i] >= 0 else None) == run.diverged_at, where
        within = np.nonzero(run.loss.astype(np.float64) <= res.tol)[0]
        assert (e.steps_to_tol[i] if e.steps_to_tol[i] >= 0 else None) == (int(within[0]) if len(within) else None)
        if run.diverged_at is not None:
            assert np.isnan(e.final_loss[i]), where
            continue
        assert e.final_loss[i] == pytest.approx(run.loss[-1], rel=2e-3, abs=1e-6), where
        # an accuracy counts points either side of the boundary: one may flip with the last bit
        assert abs(e.train_accuracy[i] - run.train_accuracy[-1]) <= 1 / 100, where
        assert abs(e.test_accuracy[i] - run.test_accuracy[-1]) <= 1 / 100, where
    if name == "diverging":
        assert (e.diverged_at >= 0).any() and (e.diverged_at < 0).any()


def test_a_networks_exploration_in_json_and_csv():
    e = explore(Scene.from_query("surface=mlp&steps=30&run=sgd:lr=0.5&explore=lr:n=3"))
    d = e.to_dict()["explore"]
    assert list(d) == ["kind", "run", "tol", "axes", "final_loss", "diverged_at", "steps_to_tol", "final_xy",
                       "minimum", "final_train_accuracy", "final_test_accuracy"]
    assert d["final_xy"] == [[None, None]] * 3 and d["minimum"] == [None] * 3
    assert all(0 <= v <= 1 for v in d["final_train_accuracy"] + d["final_test_accuracy"])
    rows = list(csv.reader(io.StringIO(e.to_csv())))
    assert rows[0][-2:] == ["final_train_accuracy", "final_test_accuracy"] and len(rows) == 4
    assert json.loads(e.to_json()) == e.to_dict()


@pytest.mark.parametrize("kind", ["map:x=lr,y=b1", "starts"])
def test_a_network_explores_its_learning_rate_only(kind):
    with pytest.raises(SceneError) as err:
        Scene.from_query(f"surface=mlp&run=adam&explore={kind}")
    assert err.value.key == "explore" and "explore=lr is" in str(err.value)


def test_a_networks_exploration_compiles_nothing_when_values_change(compiles):
    base = "surface=mlp:data=moons&steps=60&run=adam:lr=0.03&explore=lr:n=8"
    explore(Scene.from_query(base))
    with compiles.counting() as n:
        for query in (base.replace("lr=0.03", "lr=0.01"), base.replace("n=8", "n=5,lo=0.001,hi=1"),
                      base.replace("data=moons", "data=xor,labels=0.1,init=he"),
                      base.replace("lr=0.03", "lr=0.03,b1=0.8,unlabeled=entropy")):
            explore(Scene.from_query(query))
    assert n[0] == 0, f"{n[0]} compilations: {n[1][:5]}"
