"""Changing a value never compiles: XLA compilations counted with
`jax.monitoring` around many random edits of a warm scene."""

from __future__ import annotations

import math
import random

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from visualizer import Scene, simulate
from visualizer.core import engine, programs
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.run import CHOICE, NUMBER, SWITCH
from visualizer.core.schedules import SCHEDULES

STEPS = 40  # bucket 65: 1 to 64 steps share one program


def _scenes():
    """Every optimizer in three scenes on the quadratic (at most 8 runs each)."""
    ids = list(OPTIMIZERS)
    groups = [ids[i:i + 8] for i in range(0, len(ids), 8)]
    return [Scene.from_query(f"surface=quadratic:cond=10,angle=30&steps={STEPS}&"
                             + "&".join(f"run={o}" for o in group)) for group in groups]


@pytest.fixture(scope="module")
def warm(compiles):
    """Scenes whose programs are compiled, with every schedule kind and noise
    on and off touched once."""
    scenes = _scenes()
    kinds = list(SCHEDULES)
    for i, scene in enumerate(scenes):
        runs = []
        for j, run in enumerate(scene.runs):
            runs.append(run.replace(schedule=kinds[(i + j) % len(kinds)], noise=0.5 if j % 2 else 0.0,
                                    clip_value=1.0 if j % 3 == 0 else None))
        simulate(scene.replace(runs=tuple(runs)))
        simulate(scene)
    for kind in SCHEDULES:  # every schedule kind at least once more, noise on
        simulate(scenes[0].replace(runs=(scenes[0].runs[0].replace(schedule=kind, noise=1.0, seed=3),)))
    return scenes


def test_the_counter_sees_a_compilation(compiles):
    constant = random.random()
    with compiles.counting() as n:
        jax.jit(lambda x: jnp.sin(x) * constant + 1.2345)(jnp.arange(3.0)).block_until_ready()
    assert n[0] >= 1, "no compile event: the counter is blind in this jax version (conftest.COMPILE_EVENT)"


def _log_uniform(rng, low, high):
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _value(rng, hyper):
    if hyper.integer:
        return rng.randint(int(hyper.low) + (1 if hyper.low_open else 0), min(int(hyper.high), 300))
    low = hyper.low if hyper.low > 0 else 1e-6
    if hyper.log:
        return _log_uniform(rng, max(low, 1e-12), hyper.high)
    return rng.uniform(hyper.low, hyper.high) if not hyper.low_open else rng.uniform(low, hyper.high)


def _change(rng, scene: Scene) -> Scene:
    """One random change of a continuous value of the scene: a surface knob,
    the start, or any key of a run (its declarations say which there are), a
    schedule kind and switching a clip or its own start on and off included."""
    what = rng.choice(["surface", "start", "run", "run", "run"])
    if what == "start":
        return scene.replace(start=(rng.uniform(-3, 3), rng.uniform(-3, 3)))
    if what == "surface":
        knob = rng.choice(scene.resolved_surface().params)
        return scene.replace(surface_params={**scene.surface_params, knob.name: _value(rng, knob)})
    i = rng.randrange(len(scene.runs))
    run = scene.runs[i]
    static = OPTIMIZERS[run.optimizer].static  # a shape, not a value: compiles by design (tested below)
    # (a network's own keys are not a surface's: tests/test_model.py changes those; a cloud's number of
    # copies is an array's size, and needs noise: tests/test_clouds.py counts its compilations)
    keys = [k for k in run.keys() if k.kind in (NUMBER, SWITCH, CHOICE) and k.name not in static and not k.model_only
            and k.name != "seeds"]
    # The schedule kind one time in four: it changes which keys the run has.
    key = next(k for k in keys if k.kind == CHOICE) if rng.random() < 0.25 else rng.choice(keys)
    if key.kind == CHOICE:
        value = rng.choice(key.choices)
    elif key.kind == SWITCH and rng.random() < 0.3:
        value = None
    elif key.name in ("x0", "y0"):
        value = rng.uniform(-3, 3)
    else:
        value = _value(rng, key.knob)
    runs = list(scene.runs)
    runs[i] = run.replace(**{key.name: value})
    return scene.replace(runs=tuple(runs))


def test_random_value_changes_compile_nothing(warm, compiles):
    rng = random.Random(20240601)
    scenes = list(warm)
    seen = set()
    with compiles.counting() as n:
        for _ in range(100):
            k = rng.randrange(len(scenes))
            scenes[k] = _change(rng, scenes[k])
            # Every change is a valid scene a user could type.
            assert Scene.from_query(scenes[k].to_query()) == scenes[k]
            result = simulate(scenes[k])
            assert len(result.runs) == len(scenes[k].runs)
            seen.update((r.optimizer, r.schedule, r.noise > 0, r.clip_norm is not None) for r in scenes[k].runs)
    assert n[0] == 0, f"{n[0]} compilations during 100 value changes: {n[1][:10]}"
    assert len({s[1] for s in seen}) == len(SCHEDULES), "the changes never visited some schedule kinds"


def test_changing_steps_within_a_bucket_compiles_nothing(warm, compiles):
    length = programs.bucket_length(STEPS)
    low = min(s for s in range(1, length) if programs.bucket_length(s) == length)
    rng = random.Random(7)
    scene = warm[0]
    kinds = list(SCHEDULES)
    with compiles.counting() as n:
        for i in range(20):
            steps = rng.randint(low, length - 1)
            assert programs.bucket_length(steps) == length
            runs = tuple(r.replace(schedule=kinds[(i + j) % len(kinds)]) for j, r in enumerate(scene.runs))
            result = simulate(scene.replace(steps=steps, runs=runs))
            assert all(len(r.xy) == steps + 1 or r.diverged_at is not None for r in result.runs)
    assert n[0] == 0, f"{n[0]} compilations while changing steps within one bucket: {n[1][:10]}"


def test_a_new_program_does_compile(warm, compiles):
    """The counter is not blind to the engine's own compilations: a surface,
    optimizer and bucket no other test uses compiles once, then never again."""
    scene = Scene.from_query("surface=booth&steps=3000&run=adamax:noise=0.1")
    with compiles.counting() as n:
        first = simulate(scene)
    assert n[0] >= 1
    with compiles.counting() as n:
        (run,) = scene.runs
        again = simulate(scene.replace(start=(3.5, -2.25), runs=(run.replace(lr=0.0123, noise=0.2, seed=9),)))
    assert n[0] == 0, n[1]
    assert np.isfinite(first.runs[0].xy).all() and len(again.runs[0].xy) == 3001


def test_a_new_surface_compiles_its_optimizers_as_one_program(warm, compiles, monkeypatch):
    """The optimizers a scene needs and no scene compiled before are compiled
    together (one program), and then reused one by one."""
    built = []
    original = engine._compile_group

    def recording(model, members, length):
        built.append(tuple(m.optimizer for m in members))
        return original(model, members, length)

    monkeypatch.setattr(engine, "_compile_group", recording)
    monkeypatch.setattr(programs, "PROGRAMS", programs.ProgramCache(programs.PROGRAM_CACHE_SIZE))
    surface = "surface=custom&f=x^2%2B3.25*y^2%2B0.5*x*y"
    ids = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]
    scene = Scene.from_query(f"{surface}&steps={STEPS}&" + "&".join(f"run={o}" for o in ids + ["adam"]))
    with compiles.counting() as n:
        simulate(scene)
    assert n[0] == 1, n[1]
    assert built == [tuple(ids)]

    # Fewer runs, other orders, a duplicate of a compiled optimizer: nothing new.
    runs = scene.runs
    with compiles.counting() as n:
        simulate(scene.replace(runs=runs[:2]))
        simulate(scene.replace(runs=tuple(reversed(runs))))
        simulate(scene.replace(runs=(runs[5], runs[0], runs[5])))
    assert n[0] == 0, n[1]

    # A new optimizer in the scene compiles that optimizer alone.
    lion = runs[7].with_optimizer("lion")
    with compiles.counting() as n:
        simulate(scene.replace(runs=(*runs[:7], lion)))
    assert n[0] == 1, n[1]
    assert built == [tuple(ids), ("lion",)]

    # Eight runs of one optimizer of the group of seven would step six idle
    # members in each of eight calls: it is compiled alone, once.
    eight_adams = tuple(runs[5].replace(lr=0.01 * (i + 1)) for i in range(8))
    with compiles.counting() as n:
        simulate(scene.replace(runs=eight_adams))
        simulate(scene.replace(runs=eight_adams[::-1]))
    assert n[0] == 1, n[1]
    assert built == [tuple(ids), ("lion",), ("adam",)]


def test_a_static_hyperparameter_compiles_once_per_value(warm, compiles):
    """L-BFGS's memory is an array's size: each new value compiles once,
    then every value seen before is reused."""
    scene = Scene.from_query(f"surface=quadratic:cond=10,angle=30&steps={STEPS}&run=lbfgs:memory_size=7")
    simulate(scene)
    with compiles.counting() as n:
        simulate(scene.replace(runs=(scene.runs[0].replace(memory_size=8),)))
    assert n[0] == 1, n[1]
    with compiles.counting() as n:
        for memory in (7, 8, 7):
            simulate(scene.replace(runs=(scene.runs[0].replace(memory_size=memory, lr=0.5),)))
    assert n[0] == 0, n[1]
