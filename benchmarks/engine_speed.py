"""How fast is the engine? `simulate` against a plain NumPy loop, and the
cost of compiling a new (surface, set of optimizers).

    python benchmarks/engine_speed.py            # the full benchmark (about a minute)
    python benchmarks/engine_speed.py --quick    # fewer repetitions, no cold subprocesses

Measures, with time.perf_counter:

1. warm `simulate` (programs compiled, median of --calls calls) of
   - MIXED: Rosenbrock, 1000 steps, 8 runs of 8 different optimizers (the
     last with a cosine schedule and clip_norm=1);
   - ADAM8: the same surface, 8 Adam runs with different learning rates;
   against a plain NumPy loop doing the same updates (the textbook update
   rules, written out as optax defines them, float64, one run after the
   other, recording position, loss and gradient norm per step, as the engine
   does). For ADAM8 also against NumPy vectorised over the 8 runs, the
   strongest plain-NumPy baseline. The NumPy trajectories are checked
   against the engine's (max |difference| of the positions is printed).
2. a slider-like change: one run's lr changed on each call (a new value
   every time, so no result or lr-table cache can help), warm programs.
3. first calls in a fresh interpreter (a subprocess, cold program cache,
   no persistent compilation cache) for 1, 2, 3 and 8 distinct optimizers:
   the first `simulate` ever in the process (includes JAX backend start-up),
   then the first call on a new surface with the same optimizers (what a
   running app pays for a new (surface, set of optimizers)), then warm.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STEPS = 1000
START = (-1.5, 2.0)

# (optimizer, run spec) for MIXED: eight different optimizers.
MIXED_RUNS = (
    "sgd:lr=0.001",
    "momentum:lr=0.001,momentum=0.9",
    "nesterov:lr=0.001,momentum=0.9",
    "adagrad:lr=0.5,initial_accumulator=0.1,eps=1e-07",
    "rmsprop:lr=0.01,decay=0.9,eps=1e-08",
    "adam:lr=0.05,b1=0.9,b2=0.999,eps=1e-08",
    "adamw:lr=0.05,b1=0.9,b2=0.999,eps=1e-08,weight_decay=0.01",
    "amsgrad:lr=0.05,b1=0.9,b2=0.999,eps=1e-08,schedule=cosine,min_ratio=0.1,clip_norm=1",
)
ADAM_LRS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
COLD_SETS = (("adam",), ("sgd", "adam"), ("sgd", "momentum", "adam"),
             tuple(spec.split(":")[0] for spec in MIXED_RUNS))


def scene_query(runs, surface="rosenbrock", steps=STEPS, start=START) -> str:
    return f"surface={surface}&start={start[0]},{start[1]}&steps={steps}&" + "&".join("run=" + r for r in runs)


MIXED = scene_query(MIXED_RUNS)
ADAM8 = scene_query([f"adam:lr={lr}" for lr in ADAM_LRS])


# ---------------------------------------------------------------- NumPy reference


def rosenbrock(p):
    x, y = p
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosenbrock_grad(p):
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def lr_at(run, k, steps):
    if run.schedule == "constant":
        return run.lr
    if run.schedule == "cosine":  # optax.cosine_decay_schedule(lr, steps, alpha=min_ratio)
        alpha = run.schedule_params["min_ratio"]
        t = min(k, steps) / steps
        return run.lr * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * t)) + alpha)
    raise NotImplementedError(run.schedule)


def numpy_run(run, start, steps):
    """One run as a plain loop, the updates written out as optax defines
    them. Returns positions, losses and raw-gradient norms like the engine."""
    h = run.hyper
    x = np.array(start, dtype=np.float64)
    xy = np.empty((steps + 1, 2))
    loss = np.empty(steps + 1)
    norms = np.empty(steps)
    m = np.zeros(2)
    v = np.zeros(2) + (h["initial_accumulator"] if run.optimizer == "adagrad" else 0.0)
    vmax = np.zeros(2)
    for k in range(steps):
        xy[k] = x
        loss[k] = rosenbrock(x)
        g = rosenbrock_grad(x)
        norms[k] = np.linalg.norm(g)
        if run.clip_value is not None:
            g = np.clip(g, -run.clip_value, run.clip_value)
        if run.clip_norm is not None:
            n = np.linalg.norm(g)
            if n >= run.clip_norm:
                g = g / n * run.clip_norm
        lr = lr_at(run, k, steps)
        t = k + 1
        opt = run.optimizer
        if opt == "sgd":
            u = g
        elif opt in ("momentum", "nesterov"):
            m = g + h["momentum"] * m
            u = g + h["momentum"] * m if opt == "nesterov" else m
        elif opt == "adagrad":
            v = v + g * g
            u = np.where(v > 0, g / np.sqrt(v + h["eps"]), 0.0)
        elif opt == "rmsprop":
            v = h["decay"] * v + (1 - h["decay"]) * g * g
            u = g / np.sqrt(v + h["eps"])
        elif opt in ("adam", "adamw", "amsgrad"):
            m = h["b1"] * m + (1 - h["b1"]) * g
            v = h["b2"] * v + (1 - h["b2"]) * g * g
            m_hat = m / (1 - h["b1"] ** t)
            v_hat = v / (1 - h["b2"] ** t)
            if opt == "amsgrad":
                vmax = np.maximum(vmax, v_hat)
                v_hat = vmax
            u = m_hat / (np.sqrt(v_hat) + h["eps"])
            if opt == "adamw":
                u = u + h["weight_decay"] * x
        else:
            raise NotImplementedError(opt)
        x = x - lr * u
    xy[steps] = x
    loss[steps] = rosenbrock(x)
    return xy, loss, norms


def numpy_scene(scene):
    return [numpy_run(run, scene.start, scene.steps) for run in scene.runs]


def numpy_adam_batched(scene):
    """All runs of an all-Adam scene at once: one loop over steps on (runs, 2)
    arrays, the fastest way to do this in plain NumPy."""
    runs = scene.runs
    steps = scene.steps
    lr = np.array([r.lr for r in runs])[:, None]
    b1 = np.array([r.hyper["b1"] for r in runs])[:, None]
    b2 = np.array([r.hyper["b2"] for r in runs])[:, None]
    eps = np.array([r.hyper["eps"] for r in runs])[:, None]
    x = np.tile(np.array(scene.start, dtype=np.float64), (len(runs), 1))
    xy = np.empty((steps + 1, len(runs), 2))
    loss = np.empty((steps + 1, len(runs)))
    norms = np.empty((steps, len(runs)))
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    for k in range(steps):
        xy[k] = x
        a, b = x[:, 0], x[:, 1]
        r = b - a * a
        loss[k] = (1 - a) ** 2 + 100 * r * r
        g = np.stack([-2 * (1 - a) - 400 * a * r, 200 * r], axis=1)
        norms[k] = np.sqrt((g * g).sum(axis=1))
        t = k + 1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        x = x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    xy[steps] = x
    a, b = x[:, 0], x[:, 1]
    loss[steps] = (1 - a) ** 2 + 100 * (b - a * a) ** 2
    return xy, loss, norms


# ---------------------------------------------------------------- timing


def median_time(fn, calls: int) -> float:
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def max_position_difference(result, reference, upto: int | None = None) -> float:
    """Largest |engine - NumPy| over every run's positions (the first `upto`
    points only, if given)."""
    worst = 0.0
    for r, (xy, _, _) in zip(result.runs, reference, strict=True):
        n = len(r.xy) if upto is None else min(len(r.xy), upto + 1)
        worst = max(worst, float(np.max(np.abs(r.xy[:n].astype(np.float64) - xy[:n]))))
    return worst


AGREE_STEPS = 20


def _agreement(result, reference) -> tuple[float, float]:
    return max_position_difference(result, reference, AGREE_STEPS), max_position_difference(result, reference)


def slider_scene(scene, index: int, lr: float):
    runs = list(scene.runs)
    runs[index] = runs[index].replace(lr=lr)
    return scene.replace(runs=tuple(runs))


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1e3:9.2f} ms" if seconds < 10 else f"{seconds:9.2f} s "


def warm_section(calls: int, numpy_calls: int) -> list[str]:
    from visualizer import Scene, simulate

    lines = []
    rows = []
    for name, query in (("MIXED", MIXED), ("ADAM8", ADAM8)):
        scene = Scene.from_query(query)
        result = simulate(scene)  # compile
        diverged = [r.run.optimizer for r in result.runs if r.diverged_at is not None]
        engine = median_time(lambda scene=scene: simulate(scene), calls)
        reference = numpy_scene(scene)
        plain = median_time(lambda scene=scene: numpy_scene(scene), numpy_calls)
        rows.append((name, "numpy loop, run by run", engine, plain, _agreement(result, reference), diverged))
        if name == "ADAM8":
            xy, _, _ = numpy_adam_batched(scene)
            batched_ref = [(xy[:, i], None, None) for i in range(len(scene.runs))]
            batched = median_time(lambda scene=scene: numpy_adam_batched(scene), numpy_calls)
            rows.append((name, "numpy vectorised over runs", engine, batched, _agreement(result, batched_ref),
                         diverged))
    lines.append(f"warm simulate vs NumPy (Rosenbrock, 8 runs x {STEPS} steps; engine median of {calls}, "
                 f"NumPy median of {numpy_calls})")
    lines.append(f"  {'scene':6} {'baseline':28} {'simulate':>12} {'numpy':>12} {'ratio':>8}  "
                 f"max|engine-numpy| over steps 0-{AGREE_STEPS} / 0-{STEPS}")
    for name, base, engine, plain, (early, whole), diverged in rows:
        note = f"  (diverged: {', '.join(diverged)})" if diverged else ""
        lines.append(f"  {name:6} {base:28} {fmt_time(engine)} {fmt_time(plain)} {plain / engine:7.1f}x  "
                     f"{early:.1e} / {whole:.1e}{note}")
    mixed = Scene.from_query(MIXED)
    nudged = (mixed.start[0] * (1 + 1e-7), mixed.start[1])
    sensitivity = max(float(np.max(np.abs(numpy_run(r, mixed.start, mixed.steps)[0]
                                          - numpy_run(r, nudged, mixed.steps)[0]))) for r in mixed.runs)
    lines.append("  (float32 engine vs float64 NumPy. The runs are sensitive: NumPy against itself with the start")
    lines.append(f"   moved by 1e-7 (relative) differs by up to {sensitivity:.1e} over MIXED's {STEPS} steps.)")

    scene = Scene.from_query(MIXED)
    simulate(scene)
    lines.append(f"slider-like change (one run's lr, a new value every call; median of {calls})")
    for index, what in ((5, "adam, constant lr"), (7, "amsgrad, cosine schedule + clip_norm")):
        base_lr = scene.runs[index].lr
        values = iter(base_lr * (1 + (i + 1) / (10 * calls)) for i in range(10 * calls))

        def change(index=index, values=values):
            simulate(slider_scene(scene, index, next(values)))

        lines.append(f"  MIXED, run {index + 1} ({what}): {fmt_time(median_time(change, calls)).strip()}")
    return lines


# ---------------------------------------------------------------- cold start


def cold_child(optimizers: list[str]) -> dict:
    """Runs in a fresh interpreter: nothing compiled yet."""
    t0 = time.perf_counter()
    import jax

    from visualizer import Scene, simulate
    from visualizer.core.programs import PROGRAMS

    imported = time.perf_counter() - t0
    runs = [spec for spec in MIXED_RUNS if spec.split(":")[0] in optimizers]
    runs += [f"{o}:lr=0.01" for o in optimizers if o not in {r.split(":")[0] for r in runs}]
    assert len(PROGRAMS) == 0
    first_scene = Scene.from_query(scene_query(runs))
    t = time.perf_counter()
    simulate(first_scene)
    first = time.perf_counter() - t
    new_surface = Scene.from_query(scene_query(runs, surface="beale", start=(1.0, 1.5)))
    t = time.perf_counter()
    simulate(new_surface)
    second = time.perf_counter() - t
    warm = median_time(lambda: simulate(new_surface), 20)
    return {
        "optimizers": optimizers,
        "import": imported,
        "first_ever": first,
        "new_surface": second,
        "warm": warm,
        "programs": len(PROGRAMS),
        "persistent_cache": jax.config.jax_compilation_cache_dir,
    }


def cold_section(repeats: int) -> list[str]:
    lines = [f"first calls in a fresh interpreter ({STEPS} steps, one run per optimizer; median of {repeats} "
             "interpreters, min in brackets)",
             "  first ever = first simulate in the process (Rosenbrock); new surface = then the first call on Beale",
             "  with the same optimizers, i.e. what a running app pays for a new (surface, set of optimizers)"]
    lines.append(f"  {'optimizers':>10} {'import':>10} {'first ever':>10} {'new surface':>20} {'per optimizer':>13} "
                 f"{'warm':>8}")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    cache = None
    for opts in COLD_SETS:
        results = []
        for _ in range(repeats):
            proc = subprocess.run([sys.executable, __file__, "--cold-child", ",".join(opts)], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                lines.append(f"  {len(opts):>10} failed: {proc.stderr.strip().splitlines()[-1:]}")
                break
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        if not results:
            continue
        cache = results[0]["persistent_cache"]

        def med(key, results=results):
            return statistics.median(r[key] for r in results)

        new = med("new_surface")
        best = min(r["new_surface"] for r in results)
        lines.append(f"  {len(opts):>10} {_ms(med('import'))} {_ms(med('first_ever'))} {_ms(new)} ({_ms(best).strip()})"
                     f" {_ms(new / len(opts), 13)} {_ms(med('warm'), 8, 2)}   {','.join(opts)}")
    lines.append(f"  persistent compilation cache: {cache or 'none'}")
    return lines


def _ms(seconds: float, width: int = 10, digits: int = 0) -> str:
    return f"{seconds * 1e3:{width - 3}.{digits}f} ms"


# ---------------------------------------------------------------- main


def header() -> list[str]:
    import jax
    import optax

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        load = "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())
    except (AttributeError, OSError):
        load = ""
    return [
        f"engine_speed  {datetime.date.today().isoformat()}  python {platform.python_version()}  "
        f"jax {jax.__version__}  optax {optax.__version__}  numpy {np.__version__}",
        f"cores: {os.cpu_count()} (usable: {usable})  device: {jax.devices()[0].platform}  "
        f"machine: {platform.machine()} {platform.processor() or ''}  {load}".rstrip(),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=50, help="warm simulate calls per median (default 50)")
    parser.add_argument("--numpy-calls", type=int, default=5, help="NumPy loop calls per median (default 5)")
    parser.add_argument("--quick", action="store_true", help="10 calls, 2 NumPy calls, no cold subprocesses")
    parser.add_argument("--no-cold", action="store_true", help="skip the fresh-interpreter measurements")
    parser.add_argument("--cold-repeats", type=int, default=3,
                        help="fresh interpreters per set of optimizers (default 3)")
    parser.add_argument("--cold-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cold_child:
        print(json.dumps(cold_child(args.cold_child.split(","))))
        return 0
    if args.quick:
        args.calls, args.numpy_calls, args.no_cold = 10, 2, True
    lines = header()
    print("\n".join(lines), flush=True)
    out = []
    if not args.no_cold:  # first, while this process has compiled nothing to compete for the cores
        out += cold_section(args.cold_repeats)
        print("\n".join(out), flush=True)
    warm = warm_section(args.calls, args.numpy_calls)
    print("\n".join(warm), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
