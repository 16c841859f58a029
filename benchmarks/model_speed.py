"""How fast is the model surface? `simulate` of a network scene, warm and
in a fresh interpreter, against these targets:

    3 runs x 1000 steps, 200 training points, 16 hidden units: warm under
    0.5 s including the plane and the loss grid; the first call under 5 s;
    changing a continuous value compiles nothing.

    python benchmarks/model_speed.py            # full (about a minute on an idle machine)
    python benchmarks/model_speed.py --quick    # fewer calls, one fresh interpreter

Measures, with time.perf_counter:

1. first call: a fresh interpreter (a subprocess: empty program cache, no
   persistent compilation cache) times the import of the engine, the first
   `simulate` of SCENE (three optimizers compiled as one program, the loss
   grid's program and JAX's start-up), wall and CPU time, and the seconds
   XLA spent compiling in it (jax.monitoring);
2. warm: the median of --calls calls of `simulate` on SCENE, each with a
   new learning rate for run 1 (nothing cached can help), and its parts:
   one run's training program, the loss grid on the plane;
3. value changes: --calls calls that each change one value that is not a
   shape (a learning rate, the data set, init, labels, scale, freeze, noise,
   a schedule), with XLA compilations counted (expected: 0);
4. a large network (hidden=64, layers=2), warm, for scale;
5. what a result holds: the decision-boundary frames and the JSON, in bytes;
6. `explore=lr` on the network (EXPLORE: SGD, 256 learning rates x 500
   full-batch steps on the moons): the first call (its program compiled),
   the warm call end to end, against NumPy vectorised over the rates ((n, P)
   weights, float32, the forward and backward pass written out) doing the
   same updates and computing the same final losses and divergences, in
   this process; the two are checked against each other.
   `--explore` runs this part alone.

The machine's load average is printed before and after: on a shared
machine the figures scale with it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCENE = "surface=mlp&steps=1000&run=sgd:lr=0.5&run=momentum:lr=0.2,momentum=0.9&run=adam:lr=0.05"
EXPLORE = "surface=mlp:data=moons&steps=500&run=sgd:lr=0.5&explore=lr:lo=0.001,hi=100,n=256"
LARGE = "surface=mlp:hidden=64,layers=2&steps=1000&run=sgd:lr=0.5&run=momentum:lr=0.2,momentum=0.9&run=adam:lr=0.05"

FRESH = f"""
import time, json
t0, c0 = time.perf_counter(), time.process_time()
import jax
compiled = []
jax.monitoring.register_event_duration_secs_listener(
    lambda event, duration, **kw: compiled.append(duration) if "backend_compile" in event else None)
from visualizer import Scene, simulate
t1, c1 = time.perf_counter(), time.process_time()
scene = Scene.from_query({SCENE!r})
result = simulate(scene)
t2, c2 = time.perf_counter(), time.process_time()
simulate(scene.replace(runs=(scene.runs[0].replace(lr=0.45),) + scene.runs[1:]))
t3 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "first": t2 - t1, "first_cpu": c2 - c1, "second": t3 - t2,
                  "compile_seconds": sum(compiled), "compiles": len(compiled)}}))
"""


def fresh(repeats: int) -> list[dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAX_COMPILATION_CACHE")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    out = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", FRESH], capture_output=True, text=True, env=env, check=True,
                              cwd=ROOT)
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def median_time(fn, calls: int, cpu: list | None = None) -> float:
    """The median wall time of `calls` calls of fn(i); `cpu` receives the
    median CPU time of this process (less sensitive to a shared machine)."""
    times, cpus = [], []
    for i in range(calls):
        t, c = time.perf_counter(), time.process_time()
        fn(i)
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    if cpu is not None:
        cpu.append(statistics.median(cpus))
    return statistics.median(times)


def numpy_sgd_rates(rates, w0, x, y, labelled, steps: int, hidden: int):
    """SGD on the 2-h-1 tanh network at every rate at once, NumPy float32:
    the mean cross-entropy over the labelled points, its gradient written
    out; (final loss, the update that diverged or -1) per rate, by
    `simulate`'s rule (a weight not finite or beyond 1e6, a loss not
    finite)."""
    import numpy as np

    f32 = np.float32
    n = len(rates)
    rates = np.asarray(rates, f32)[:, None]
    x, y = x[labelled].astype(f32), y[labelled].astype(f32)
    m = f32(len(y))
    w = np.tile(w0.astype(f32), (n, 1))
    h = hidden
    diverged = np.full(n, -1)
    alive = np.ones(n, bool)
    last = np.zeros(n, f32)
    kept = w.copy()

    def forward(w):
        w1, b1 = w[:, :2 * h].reshape(n, 2, h), w[:, 2 * h:3 * h]
        wo, bo = w[:, 3 * h:4 * h], w[:, 4 * h]
        a = np.tanh(np.einsum("pi,nij->npj", x, w1) + b1[:, None, :])
        z = np.einsum("npj,nj->np", a, wo) + bo[:, None]
        return a, z, w1, wo

    with np.errstate(all="ignore"):
        for k in range(steps + 1):
            a, z, w1, wo = forward(w)
            loss = np.mean(np.logaddexp(0, z) - y * z, axis=1)
            good = np.isfinite(w).all(1) & (np.abs(w).max(1) <= 1e6) & np.isfinite(loss)
            newly = alive & ~good
            diverged[newly] = k - 1
            alive &= good
            last = np.where(alive, loss, last)
            kept = np.where(alive[:, None], w, kept)
            if k == steps:
                break
            dz = (1 / (1 + np.exp(-z)) - y) / m  # (n, points)
            gwo = np.einsum("np,npj->nj", dz, a)
            gbo = dz.sum(1)
            da = dz[:, :, None] * wo[:, None, :] * (1 - a * a)
            gw1 = np.einsum("pi,npj->nij", x, da).reshape(n, 2 * h)
            gb1 = da.sum(1)
            w = w - rates * np.concatenate([gw1, gb1, gwo, gbo[:, None]], 1)
    return np.where(alive, last, np.nan), diverged


def explore_network(calls: int) -> None:
    """Section 6: the network's `explore=lr` against NumPy."""
    import numpy as np

    from visualizer import Scene, explore
    from visualizer.core.model.data import dataset
    from visualizer.core.model.network import Network, initial_weights
    from visualizer.core.variants import resolve

    scene = Scene.from_query(EXPLORE)
    t = time.perf_counter()
    first = explore(scene)
    print(f"explore=lr network first call {time.perf_counter() - t:6.2f} s (its program compiled)")
    cpu: list = []
    warm = median_time(lambda i: explore(scene), calls, cpu)
    rates = resolve(scene.explore, scene).axes[0].values
    data = dataset("moons")
    w0 = initial_weights(Network(), "xavier")
    labelled = data.labelled(1.0)
    cpu_np: list = []
    reps = max(1, calls // 5)
    numpy = median_time(lambda i: numpy_sgd_rates(rates, w0, data.train_x, data.train_y, labelled, 500, 16), reps,
                        cpu_np)
    loss, diverged = numpy_sgd_rates(rates, w0, data.train_x, data.train_y, labelled, 500, 16)
    same_divergence = np.mean((diverged >= 0) == (first.diverged_at >= 0))
    close = np.isclose(loss, first.final_loss, rtol=1e-2, atol=1e-4, equal_nan=True)
    # Past the edge of stability a run is chaotic: float32's rounding in
    # another order (NumPy's) takes it elsewhere. Below, they agree.
    agree_up_to = rates[np.argmin(close) - 1] if not close.all() else rates[-1]
    print(f"explore=lr network warm  median {warm * 1000:7.1f} ms, CPU {cpu[0] * 1000:.1f} ms  "
          f"(256 rates x 500 steps, end to end)")
    print(f"  NumPy vectorised       median {numpy * 1000:7.1f} ms, CPU {cpu_np[0] * 1000:.1f} ms  "
          f"ratio NumPy / explore {numpy / warm:5.1f}")
    print(f"  agreement: diverged or not at {100 * same_divergence:.0f}% of the rates; the final loss within 1% "
          f"at every rate up to {agree_up_to:.3g} ({100 * np.mean(close):.0f}% of all)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 calls, one fresh interpreter")
    parser.add_argument("--calls", type=int, default=None, help="warm calls per median (default 30, quick 10)")
    parser.add_argument("--fresh", type=int, default=None, help="fresh interpreters (default 3, quick 1)")
    parser.add_argument("--explore", action="store_true", help="only section 6: explore=lr on the network")
    args = parser.parse_args(argv)
    calls = args.calls or (10 if args.quick else 30)
    repeats = args.fresh or (1 if args.quick else 3)

    print(f"load average before: {os.getloadavg()}  ({os.cpu_count()} cores)")
    if args.explore:
        explore_network(calls)
        print(f"load average after: {os.getloadavg()}")
        return 0
    print(f"scene: {SCENE}")

    # 1. First call, fresh interpreter.
    cold = fresh(repeats)
    for key in ("import", "first", "first_cpu", "second", "compile_seconds"):
        values = [c[key] for c in cold]
        print(f"fresh interpreter  {key:16s} median {statistics.median(values):6.2f} s  "
              f"(runs: {', '.join(f'{v:.2f}' for v in values)})")
    print(f"fresh interpreter  compilations     {cold[0]['compiles']}")

    import jax
    import numpy as np

    from visualizer import Scene, simulate
    from visualizer.core.model import plane as planes
    from visualizer.core.model.data import DATA_SETS

    scene = Scene.from_query(SCENE)
    result = simulate(scene)

    # 2. Warm, a new lr for run 1 each call.
    def call(i):
        simulate(scene.replace(runs=(scene.runs[0].replace(lr=0.3 + 0.001 * i),) + scene.runs[1:]))

    cpu: list = []
    warm = median_time(call, calls, cpu)
    print(f"warm simulate      median {warm * 1000:7.1f} ms, CPU {cpu[0] * 1000:.1f} ms  (target < 500 ms)")

    view = result.model
    data = view.data
    train_x, _ = data.scaled(view.settings.scale)

    def grid(i):
        planes.loss_grid(view.settings.network, view.plane.centre, view.plane.axes, view.plane.window, train_x,
                         data.train_y, view.labelled.astype(np.float32))

    print(f"  the loss grid    median {median_time(grid, calls) * 1000:7.1f} ms  "
          f"({len(view.plane.xs)} x {len(view.plane.ys)} points, vmap)")
    single = Scene.from_query(SCENE.split("&run=")[0] + "&run=adam:lr=0.05")

    def one(i):
        simulate(single.replace(runs=(single.runs[0].replace(lr=0.05 + 0.001 * i),)))

    one_run = median_time(one, calls)
    print(f"  one run alone    median {one_run * 1000:7.1f} ms  (simulate of 1 run: trained twice, plane, grid)")

    # 3. Value changes compile nothing.
    compiled = []

    def listener(event, duration, **kw):
        if "backend_compile" in event:
            compiled.append(kw.get("fun_name", event))

    jax.monitoring.register_event_duration_secs_listener(listener)
    rng = random.Random(1)
    for kind in ("moons", "xor"):  # pretraining's program, once
        simulate(scene.replace(surface_params={**scene.surface_params, "pretrain": kind}))
    for kind in ("cosine", "step", "warmup_cosine"):
        simulate(scene.replace(runs=(scene.runs[0].replace(schedule=kind),) + scene.runs[1:]))
    compiled.clear()
    changed = scene
    times = []
    for _ in range(calls):
        name, value = rng.choice([("data", rng.choice(DATA_SETS)), ("init", rng.choice(["normal", "xavier", "he"])),
                                  ("labels", rng.uniform(0.05, 1)), ("scale", 10 ** rng.uniform(-1, 1)),
                                  ("freeze", rng.choice(["0", "1"])), ("pretrain", rng.choice(["none", "xor"]))])
        changed = changed.replace(surface_params={**changed.surface_params, name: value})
        runs = list(changed.runs)
        runs[rng.randrange(3)] = runs[0].replace(lr=10 ** rng.uniform(-2, 0), noise=rng.choice([0.0, 0.01]),
                                                 schedule=rng.choice(["constant", "cosine", "step", "warmup_cosine"]))
        changed = changed.replace(runs=tuple(runs))
        t = time.perf_counter()
        simulate(changed)
        times.append(time.perf_counter() - t)
    print(f"value changes      {calls} calls, median {statistics.median(times) * 1000:7.1f} ms, "
          f"compilations: {len(compiled)}")

    # 4. A large network.
    large = Scene.from_query(LARGE)
    t = time.perf_counter()
    simulate(large)
    first_large = time.perf_counter() - t
    t = time.perf_counter()
    big = simulate(large.replace(runs=(large.runs[0].replace(lr=0.45),) + large.runs[1:]))
    print(f"large network      {big.model.settings.network.size} weights: first {first_large:.2f} s, warm "
          f"{time.perf_counter() - t:.2f} s (loss grid {len(big.model.plane.xs)} x {len(big.model.plane.ys)})")

    # 5. Sizes.
    b = view.boundary
    print(f"boundary frames    {b.probability.shape} float32: {b.probability.nbytes / 1e6:.2f} MB "
          f"({b.probability.size / 1e6:.2f} MB as one byte each)")
    print(f"result JSON        {len(result.to_json()) / 1e6:.2f} MB")

    # 6. The network's explore=lr.
    explore_network(calls)
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
