"""How fast is `explore`? Against NumPy vectorised over the variants, doing
the same updates in the same process, and the cost of a first call.

    python benchmarks/explore_speed.py            # the full benchmark (about a minute)
    python benchmarks/explore_speed.py --quick    # fewer repetitions, no fresh interpreters

Measures, with time.perf_counter (medians; the min in brackets) and, for the
warm calls, time.process_time (the CPU time of every thread of this process,
which other processes loading the machine hardly change):

1. warm `explore`, end to end (what the page calls: `Scene.from_query` of
   the link, the axes, the learning-rate and noise tables, the program call
   and the outcomes), and the compiled kernel alone (the program's call and
   the copy of its result), for
   - LR: Adam on Rosenbrock, 256 learning rates (lr/1000 to lr*1000) x 500 steps;
   - STARTS: SGD on Himmelblau from 128 x 128 starts x 500 steps;
   against NumPy vectorised over the variants ((n, 2) arrays, float64, the
   updates written out as optax defines them) computing the same outcomes
   (final loss, divergence, first step within tol, last finite point,
   minimum), and NumPy doing the updates only. The two are checked against
   each other: how many variants agree on each outcome.
2. value changes: random changes of the learning rate, the
   hyperparameters, the start and the seed, counting XLA compilations
   (jax.monitoring), and the median time of such a changed call.
3. first calls in fresh interpreters (subprocesses, no persistent
   compilation cache): per kind, the import, the first `explore` in the
   process (JAX's backend start included) and the warm call; and, in a
   process that has already run `simulate` once (a running app), the first
   call of each kind.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
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

LR = "surface=rosenbrock&start=-1.5,2&steps=500&run=adam:lr=0.01&explore=lr"
STARTS = "surface=himmelblau&steps=500&run=sgd:lr=0.01&explore=starts"
MAP = "surface=quadratic:cond=25,angle=30&start=-2.5,1&steps=500&run=momentum:lr=0.02,momentum=0.9" \
      "&explore=map:x=lr,y=momentum"
KINDS = {"lr": LR, "map": MAP, "starts": STARTS}
LIMIT = 1e6  # visualizer.core.results.DIVERGENCE_LIMIT


# ---------------------------------------------------------------- NumPy reference


def rosenbrock(p):
    x, y = p[:, 0], p[:, 1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosenbrock_grad(p):
    x, y = p[:, 0], p[:, 1]
    r = y - x * x
    return np.stack([-2 * (1 - x) - 400 * x * r, 200 * r], axis=1)


def himmelblau(p):
    x, y = p[:, 0], p[:, 1]
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def himmelblau_grad(p):
    x, y = p[:, 0], p[:, 1]
    a, b = x * x + y - 11, x + y * y - 7
    return np.stack([4 * a * x + 2 * b, 2 * a + 4 * b * y], axis=1)


def adam_update(state, g, lr, t, b1=0.9, b2=0.999, eps=1e-8):
    """optax.adam: bias-corrected running means, eps outside the root."""
    m, v = state
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    return (m, v), -lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)


def sgd_update(state, g, lr, t):
    return state, -lr * g


class Outcomes:
    """The outcome (docs/explore.md) of every variant, kept point by point as
    visualizer/core/results.py defines divergence: point k is checked when f is
    evaluated there; the first that is not finite (or beyond 1e6) ends the
    run at the update before it, whose start is the last finite point.
    Written to be fast: the last point is recorded only when a run ends."""

    def __init__(self, p):
        n = len(p)
        self.alive = np.ones(n, bool)
        self.diverged_at = np.full(n, -1)
        self.steps_to_tol = np.full(n, -1)
        self.final_xy = p.copy()
        self.final_loss = np.full(n, np.nan)

    def see(self, k, p, previous, loss, f_star, tol):
        ok = np.isfinite(loss) & (np.abs(p[:, 0]) <= LIMIT) & (np.abs(p[:, 1]) <= LIMIT)
        if not ok.all():
            ended = self.alive & ~ok
            self.diverged_at[ended] = k - 1
            self.final_xy[ended] = previous[ended]
            self.alive &= ok
        np.copyto(self.steps_to_tol, k, where=self.alive & (self.steps_to_tol < 0) & (loss - f_star <= tol))

    def finish(self, p, loss):
        self.final_xy[self.alive] = p[self.alive]
        self.final_loss[self.alive] = loss[self.alive]

    def minimum(self, minima, window):
        (x0, x1), (y0, y1) = window
        d = np.linalg.norm(self.final_xy[:, None, :] - np.asarray(minima)[None], axis=2)
        nearest = d.argmin(axis=1)
        return np.where(d[np.arange(len(d)), nearest] <= 0.01 * math.hypot(x1 - x0, y1 - y0), nearest, -1)


def numpy_explore(starts, lrs, steps, f, grad, update, state, f_star=0.0, tol=1e-3, minima=(), window=None,
                  outcomes=True):
    """Every variant at once on (n, 2) arrays: `starts` (n, 2), `lrs` (n, 1)."""
    p = previous = starts.astype(np.float64)
    tracked = Outcomes(p) if outcomes else None
    with np.errstate(all="ignore"):
        for k in range(steps + 1):
            if outcomes:
                loss = f(p)
                tracked.see(k, p, previous, loss, f_star, tol)
            if k == steps:
                break
            state, u = update(state, grad(p), lrs, k + 1)
            p, previous = p + u, p
        if not outcomes:
            return f(p)
    tracked.finish(p, loss)
    return tracked, tracked.minimum(minima, window)


def numpy_case(scene, explored, outcomes=True):
    from visualizer.core import landmarks

    res = explored.resolved
    marks = landmarks.of(scene)
    run = scene.runs[res.run]
    if res.kind == "lr":
        lrs = res.axes[0].values[:, None]
        starts = np.tile(np.array(scene.start_of(run)), (len(lrs), 1))
    else:
        gx, gy = np.meshgrid(res.axes[0].values, res.axes[1].values)
        starts = np.stack([gx.ravel(), gy.ravel()], axis=1)
        lrs = np.full((len(starts), 1), run.lr)
    if run.optimizer == "adam":
        f, grad, update, state = rosenbrock, rosenbrock_grad, adam_update, (np.zeros_like(starts),) * 2
    else:
        f, grad, update, state = himmelblau, himmelblau_grad, sgd_update, None
    return lambda: numpy_explore(starts, lrs, scene.steps, f, grad, update, state, marks.lowest, res.tol,
                                 marks.minima, scene.resolved_surface().window, outcomes)


def agreement(explored, reference) -> str:
    tracked, minimum = reference
    e = explored
    same = {
        "diverged_at": np.mean(e.diverged_at.ravel() == tracked.diverged_at),
        "steps_to_tol": np.mean(e.steps_to_tol.ravel() == tracked.steps_to_tol),
        "minimum": np.mean(e.minimum.ravel() == minimum),
    }
    both = tracked.alive & (e.diverged_at.ravel() < 0)
    dxy = np.abs(e.final_xy.reshape(-1, 2).astype(np.float64) - tracked.final_xy)[both]
    return (", ".join(f"{k} {v:.1%}" for k, v in same.items())
            + f"; final_xy within 1e-3: {np.mean((dxy <= 1e-3).all(axis=1)):.1%}")


# ---------------------------------------------------------------- timing


def times(fn, calls: int) -> tuple[float, float, float]:
    """Median and min wall time, and median CPU time of this process (every
    thread's): the CPU time hardly moves when other processes load the machine."""
    wall, cpu = [], []
    for _ in range(calls):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def ms(t) -> str:
    if isinstance(t, tuple):
        return f"{t[0] * 1e3:8.2f} ms ({t[1] * 1e3:.2f}) cpu {t[2] * 1e3:8.2f} ms"
    return f"{t * 1e3:8.2f} ms"


def warm_section(calls: int, numpy_calls: int) -> list[str]:
    from visualizer import Scene
    from visualizer.core.exploration import explore, prepared

    lines = [f"warm explore vs NumPy vectorised over the variants (median of {calls}, NumPy of {numpy_calls}; "
             "min in brackets)"]
    for name, query, target in (("LR", LR, 10), ("STARTS", STARTS, 4)):
        scene = Scene.from_query(query)
        explored = explore(scene)  # compile
        program, calls_args = prepared(scene)

        def kernel(program=program, calls_args=calls_args):
            return [np.asarray(program(*args)) for args in calls_args]

        end_to_end = times(lambda query=query: explore(Scene.from_query(query)), calls)
        alone = times(kernel, calls)
        same_work = numpy_case(scene, explored)
        updates_only = numpy_case(scene, explored, outcomes=False)
        reference = same_work()
        np_same = times(same_work, numpy_calls)
        np_updates = times(updates_only, numpy_calls)
        n = explored.final_loss.size
        lines.append(f"  {name}: {scene.runs[0].optimizer} on {scene.surface}, {n} variants x {scene.steps} steps "
                     f"(target: {target}x against NumPy)")
        lines.append(f"    explore, end to end      {ms(end_to_end)}")
        lines.append(f"    compiled kernel alone    {ms(alone)}")
        for what, numpy in (("same outcomes", np_same), ("updates only ", np_updates)):
            lines.append(f"    NumPy, {what}     {ms(numpy)}")
            lines.append(f"      ratio, wall: {numpy[0] / end_to_end[0]:5.1f}x end to end, {numpy[0] / alone[0]:5.1f}x "
                         f"kernel; cpu: {numpy[2] / end_to_end[2]:5.1f}x end to end, {numpy[2] / alone[2]:5.1f}x kernel")
        lines.append(f"    agreement (float32 vs float64): {agreement(explored, reference)}")
    return lines


def changes_section(count: int) -> list[str]:
    import jax

    from visualizer import Scene
    from visualizer.core.exploration import explore

    names: list[str] = []

    def listener(event, duration, **kwargs):
        if "backend_compile" in event:
            names.append(kwargs.get("fun_name", event))

    for query in KINDS.values():
        explore(Scene.from_query(query))
    rng = np.random.default_rng(1)
    jax.monitoring.register_event_duration_secs_listener(listener)
    samples = []
    try:
        for i in range(count):
            kind = list(KINDS)[i % 3]
            scene = Scene.from_query(KINDS[kind])
            run = scene.runs[0]
            changes = {"lr": run.lr * float(10 ** rng.uniform(-0.5, 0.5)), "seed": int(rng.integers(0, 10**6))}
            for h, value in run.hyper.items():
                changes[h] = value * float(rng.uniform(0.9, 1.0)) if h != "eps" else value
            start = (scene.start[0] + float(rng.uniform(-0.2, 0.2)), scene.start[1] + float(rng.uniform(-0.2, 0.2)))
            query = scene.replace(start=start, runs=(run.replace(**changes),)).to_query()
            t0 = time.perf_counter()
            explore(Scene.from_query(query))
            samples.append(time.perf_counter() - t0)
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    return [f"value changes (lr, hyperparameters, start, seed; {count} calls over the three kinds): "
            f"{len(names)} compilations; median call {statistics.median(samples) * 1e3:.2f} ms"]


# ---------------------------------------------------------------- first calls


def cold_child(order: list[str], warm_app: bool) -> dict:
    t0 = time.perf_counter()
    import jax

    from visualizer import Scene, simulate
    from visualizer.core.exploration import explore

    out = {"import": time.perf_counter() - t0, "persistent_cache": jax.config.jax_compilation_cache_dir}
    if warm_app:
        t = time.perf_counter()
        simulate(Scene.from_query("surface=rosenbrock&steps=200&run=adam:lr=0.05"))
        out["simulate_first"] = time.perf_counter() - t
    for kind in order:
        scene = Scene.from_query(KINDS[kind])
        t = time.perf_counter()
        explore(scene)
        out[kind] = time.perf_counter() - t
        out[kind + "_warm"] = times(lambda scene=scene: explore(scene), 5)[0]
    return out


def _child(order, warm_app):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    args = [sys.executable, __file__, "--cold-child", ",".join(order)] + (["--warm-app"] if warm_app else [])
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cold_section(repeats: int) -> list[str]:
    lines = [f"first calls in fresh interpreters (median of {repeats}, min in brackets)"]
    lines.append(f"  {'kind':>7} {'import':>9} {'first explore in the process':>30} {'warm':>9}")
    for kind in KINDS:
        results = [_child([kind], False) for _ in range(repeats)]
        first = [r[kind] for r in results]
        lines.append(f"  {kind:>7} {statistics.median(r['import'] for r in results) * 1e3:7.0f} ms "
                     f"{statistics.median(first) * 1e3:20.0f} ms ({min(first) * 1e3:.0f}) "
                     f"{statistics.median(r[kind + '_warm'] for r in results) * 1e3:7.2f} ms")
    results = [_child(list(KINDS), True) for _ in range(repeats)]
    lines.append("  in a process that has run simulate once (a running app), the first call of each new kind:")
    lines.append("    " + ", ".join(f"{kind} {statistics.median(r[kind] for r in results) * 1e3:.0f} ms "
                                   f"({min(r[kind] for r in results) * 1e3:.0f})" for kind in KINDS)
                 + f"  [the simulate before: {statistics.median(r['simulate_first'] for r in results) * 1e3:.0f} ms]")
    cache = {r["persistent_cache"] for r in results}
    lines.append(f"  (persistent compilation cache: {', '.join(map(str, cache))})")
    return lines


# ---------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, no fresh interpreters")
    parser.add_argument("--calls", type=int, default=None, help="warm explore calls per median (default 50)")
    parser.add_argument("--numpy-calls", type=int, default=None, help="NumPy calls per median (default 5)")
    parser.add_argument("--cold-repeats", type=int, default=3, help="fresh interpreters per kind (default 3)")
    parser.add_argument("--no-cold", action="store_true", help="skip the fresh-interpreter part")
    parser.add_argument("--cold-child", help=argparse.SUPPRESS)
    parser.add_argument("--warm-app", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cold_child:
        print(json.dumps(cold_child(args.cold_child.split(","), args.warm_app)))
        return 0
    calls = args.calls or (10 if args.quick else 50)
    numpy_calls = args.numpy_calls or (2 if args.quick else 5)

    import jax

    load = os.getloadavg()
    print(f"explore_speed, {datetime.datetime.now():%Y-%m-%d %H:%M}; {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, jax {jax.__version__}, numpy {np.__version__}; "
          f"load average {load[0]:.1f}")
    for line in warm_section(calls, numpy_calls):
        print(line, flush=True)
    for line in changes_section(30 if args.quick else 60):
        print(line, flush=True)
    if not (args.quick or args.no_cold):
        for line in cold_section(args.cold_repeats):
            print(line, flush=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
