"""Changing a value never compiles: XLA compilations counted with
`jax.monitoring` around many random edits of a warm scene."""

from __future__ import annotations

import math
import random
from contextlib import contextmanager
from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from visualizer import Scene, engine, simulate
from visualizer.optimizers import OPTIMIZERS
from visualizer.scene import CLIP_NORM, CLIP_VALUE
from visualizer.schedules import SCHEDULES

# The event jax records once per XLA backend compilation (jax 0.10:
# "/jax/core/compile/backend_compile_duration").
COMPILE_EVENT = "backend_compile"
STEPS = 40  # bucket 65: 1 to 64 steps share one program


class CompileCounter:
    def __init__(self):
        self.names: list[str] = []

    def __call__(self, event, duration, **kwargs):
        if COMPILE_EVENT in event:
            self.names.append(kwargs.get("fun_name", event))

    @contextmanager
    def counting(self):
        start = len(self.names)
        box = []
        yield box
        box.append(len(self.names) - start)
        box.append(self.names[start:])


@pytest.fixture(scope="module")
def compiles():
    counter = CompileCounter()
    jax.monitoring.register_event_duration_secs_listener(counter)
    yield counter
    jax.monitoring.unregister_event_duration_listener(counter)


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
            kind = SCHEDULES[kinds[(i + j) % len(kinds)]]
            runs.append(replace(run, schedule=kind.id, schedule_params=kind.defaults,
                                noise=0.5 if j % 2 else 0.0, clip_value=1.0 if j % 3 == 0 else None))
        simulate(scene.replace(runs=tuple(runs)))
        simulate(scene)
    for kind in SCHEDULES.values():  # every schedule kind at least once more, noise on
        run = replace(scenes[0].runs[0], schedule=kind.id, schedule_params=kind.defaults, noise=1.0, seed=3)
        simulate(scenes[0].replace(runs=(run,)))
    return scenes


def test_the_counter_sees_a_compilation(compiles):
    constant = random.random()
    with compiles.counting() as n:
        jax.jit(lambda x: jnp.sin(x) * constant + 1.2345)(jnp.arange(3.0)).block_until_ready()
    assert n[0] >= 1, f"no {COMPILE_EVENT!r} event: the counter is blind in this jax version"


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
    """One random change of a continuous value (or of a schedule kind)."""
    what = rng.choice(["lr", "hyper", "schedule", "schedule_param", "clip_value", "clip_norm", "noise", "seed",
                       "start", "cond", "angle"])
    if what == "start":
        return scene.replace(start=(rng.uniform(-3, 3), rng.uniform(-3, 3)))
    if what in ("cond", "angle"):
        value = _log_uniform(rng, 1, 1000) if what == "cond" else rng.uniform(-180, 180)
        return scene.replace(surface_params={**scene.surface_params, what: value})
    i = rng.randrange(len(scene.runs))
    run = scene.runs[i]
    opt = OPTIMIZERS[run.optimizer]
    if what == "lr":
        run = replace(run, lr=_log_uniform(rng, 1e-4, 1.0))
    elif what == "hyper" and opt.hypers:
        h = rng.choice(opt.hypers)
        run = replace(run, hyper={**run.hyper, h.name: _value(rng, h)})
    elif what == "schedule" or (what == "schedule_param" and not SCHEDULES[run.schedule].hypers):
        kind = SCHEDULES[rng.choice(list(SCHEDULES))]
        run = replace(run, schedule=kind.id, schedule_params={h.name: _value(rng, h) for h in kind.hypers})
    elif what == "schedule_param":
        h = rng.choice(SCHEDULES[run.schedule].hypers)
        run = replace(run, schedule_params={**run.schedule_params, h.name: _value(rng, h)})
    elif what == "clip_value":
        run = replace(run, clip_value=None if rng.random() < 0.3 else _value(rng, CLIP_VALUE))
    elif what == "clip_norm":
        run = replace(run, clip_norm=None if rng.random() < 0.3 else _value(rng, CLIP_NORM))
    elif what == "noise":
        run = replace(run, noise=0.0 if rng.random() < 0.3 else _log_uniform(rng, 1e-3, 10))
    elif what == "seed":
        run = replace(run, seed=rng.randrange(2**31))
    runs = list(scene.runs)
    runs[i] = run
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
            assert Scene.from_query(scenes[k].to_query()) is not None
            result = simulate(scenes[k])
            assert len(result.runs) == len(scenes[k].runs)
            seen.update((r.optimizer, r.schedule, r.noise > 0, r.clip_norm is not None) for r in scenes[k].runs)
    assert n[0] == 0, f"{n[0]} compilations during 100 value changes: {n[1][:10]}"
    assert len({s[1] for s in seen}) == len(SCHEDULES), "the changes never visited some schedule kinds"


def test_changing_steps_within_a_bucket_compiles_nothing(warm, compiles):
    length = engine.bucket_length(STEPS)
    low = min(s for s in range(1, length) if engine.bucket_length(s) == length)
    rng = random.Random(7)
    scene = warm[0]
    kinds = list(SCHEDULES.values())
    with compiles.counting() as n:
        for i in range(20):
            steps = rng.randint(low, length - 1)
            assert engine.bucket_length(steps) == length
            runs = tuple(replace(r, schedule=kinds[(i + j) % len(kinds)].id,
                                 schedule_params=kinds[(i + j) % len(kinds)].defaults)
                         for j, r in enumerate(scene.runs))
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
        again = simulate(scene.replace(start=(3.5, -2.25), runs=(replace(run, lr=0.0123, noise=0.2, seed=9),)))
    assert n[0] == 0, n[1]
    assert np.isfinite(first.runs[0].xy).all() and len(again.runs[0].xy) == 3001


def test_a_new_surface_compiles_its_optimizers_as_one_program(warm, compiles, monkeypatch):
    """The optimizers a scene needs and no scene compiled before are compiled
    together (one program), and then reused one by one."""
    built = []
    original = engine._compile_group

    def recording(model, optimizer_ids, length):
        built.append(optimizer_ids)
        return original(model, optimizer_ids, length)

    monkeypatch.setattr(engine, "_compile_group", recording)
    surface = "surface=custom&f=x^2%2B3.25*y^2%2B0.5*x*y"  # a surface no other test compiles
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
    lion = replace(runs[7], optimizer="lion", hyper=OPTIMIZERS["lion"].defaults)
    with compiles.counting() as n:
        simulate(scene.replace(runs=(*runs[:7], lion)))
    assert n[0] == 1, n[1]
    assert built == [tuple(ids), ("lion",)]

    # Eight runs of one optimizer of the group of seven would step six idle
    # members in each of eight calls: it is compiled alone, once.
    eight_adams = tuple(replace(runs[5], lr=0.01 * (i + 1)) for i in range(8))
    with compiles.counting() as n:
        simulate(scene.replace(runs=eight_adams))
        simulate(scene.replace(runs=eight_adams[::-1]))
    assert n[0] == 1, n[1]
    assert built == [tuple(ids), ("lion",), ("adam",)]
