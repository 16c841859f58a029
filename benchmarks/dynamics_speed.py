"""How fast are the dynamics (sharpness, clouds, races, flows) and the basin map?
Each against what it adds to, or against NumPy vectorised over the same
batch, in the same process.

    python benchmarks/dynamics_speed.py            # everything (about two minutes)
    python benchmarks/dynamics_speed.py --quick    # fewer repetitions
    python benchmarks/dynamics_speed.py --only 6   # one section (here the flow)
    python benchmarks/dynamics_speed.py --devices 1  # on one device (default: a device per core, as the app)

Wall time with time.perf_counter (median, min in brackets) and the CPU time
of this process (every thread's; other processes loading the machine
hardly change it). Targets (the dynamics issue):

1. SHARPNESS, 2D: a scene's warm `simulate`, whose runs' programs compute
   the Hessian at every point and whose results take its top eigenvalue
   (and Adam's preconditioned one), against the same programs compiled
   without the Hessian and no eigenvalues: at most +30%.
2. SHARPNESS, network: training with the sharpness estimated every 10 steps
   (Lanczos, in pairs) against the same program with no estimate: at most
   +100%.
3. CLOUD: 256 seeds x 1000 steps of SGD with noise on Himmelblau, the
   quantile bands included, end to end (`simulate`), against NumPy
   vectorised over the seeds (noise drawn up front, then np.quantile, and
   then NumPy's own fastest, one sort): at least 3x.
4. RACE: 8 optimizers x 32 trials x 500 steps on Rosenbrock, end to end
   (`explore(scene)`), against NumPy vectorised over the trials (each
   optimizer's textbook update from the registry): under 1 s and at least 10x.
5. BASIN MAP: `explore(scene).to_dict()` of the 128 x 128 starts of SGD on
   Himmelblau (500 steps) against NumPy loops over the same grid: the
   updates alone in float32, in float64, and the same outcomes in float64
   (benchmarks/explore_speed.py's reference); where the time goes.
6. FLOW: what `flow=1` adds to a warm `simulate` (the ODE solved by
   diffrax at the run's own times), against SciPy's `solve_ivp` (RK45, the
   same Dormand-Prince pair, the same tolerances, float64) solving the same
   flow at the same times; and how far apart the two flows are.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

# the same clock and NumPy surfaces as the explorations' figures
import explore_speed as surfaces_np  # noqa: E402
from explore_speed import times  # noqa: E402

LIMIT = 1e6


def ms(t) -> str:
    return f"{t[0] * 1e3:8.2f} ms ({t[1] * 1e3:.2f}) cpu {t[2] * 1e3:8.2f} ms"


def ratio(numpy, ours) -> str:
    return f"{numpy[0] / ours[0]:5.1f}x wall, {numpy[2] / ours[2]:5.1f}x cpu"


# ---------------------------------------------------------------- 1. sharpness, 2D


def sharpness_2d(calls: int) -> list[str]:
    """simulate without the sharpness = simulate - (programs with the
    Hessian - the same without it) - the host's eigenvalues."""
    import jax

    from visualizer import Scene, simulate
    from visualizer.core import engine, sharpness
    from visualizer.core.programs import bucket_length, member_of

    query = ("surface=himmelblau&steps=300&run=sgd:lr=0.01&run=momentum:lr=0.005,momentum=0.9&"
             "run=nesterov:lr=0.005&run=adagrad:lr=0.5&run=rmsprop:lr=0.01&run=adam:lr=0.05&run=adamw:lr=0.05")
    scene = Scene.from_query(query)
    result = simulate(scene)
    surface, length = scene.resolved_surface(), bucket_length(scene.steps)
    arguments = [engine._arguments(scene, run, length, 0.0) for run in scene.runs]
    members = tuple(dict.fromkeys(member_of(run) for run in scene.runs))

    def programs(group):
        places = {m: (group, i) for i, m in enumerate(group.members)}
        return lambda: [jax.tree.map(np.asarray, o) for o in engine._run_groups(scene.runs, places, arguments)]

    with_hessian = engine._compile_group(surface, members, length)
    original = engine._trajectory_fn

    def without(value_and_grad, hessian, member, length):  # its output dropped: XLA leaves the Hessian out
        one = original(value_and_grad, hessian, member, length)
        return lambda args: (lambda p: p._replace(hessian=p.hessian[:, :0]))(one(args))

    engine._trajectory_fn = without
    try:
        without_hessian = engine._compile_group(surface, members, length)
    finally:
        engine._trajectory_fn = original
    full = times(lambda: simulate(scene), calls)
    kernel_with = times(programs(with_hessian), calls)
    kernel_without = times(programs(without_hessian), calls)
    entries = [np.stack([r.sharpness, r.sharpness, r.sharpness]).astype(np.float32) for r in result.runs]
    eigen = times(lambda: [sharpness.along(r.run, e, r.state) for r, e in zip(result.runs, entries, strict=True)],
                  calls)
    added = kernel_with[0] - kernel_without[0] + eigen[0]
    return [
        "1. sharpness on a 2D surface: 7 optimizers on Himmelblau, 300 steps (target: at most +30%)",
        f"   warm simulate, sharpness included       {ms(full)}",
        f"   its programs, with the Hessian          {ms(kernel_with)}",
        f"   the same programs without it            {ms(kernel_without)}",
        f"   the eigenvalues on the host             {ms(eigen)}",
        f"   the sharpness adds {100 * added / (full[0] - added):5.1f}% to the warm simulate",
    ]


# ---------------------------------------------------------------- 2. sharpness, network


def sharpness_network(calls: int) -> list[str]:
    from visualizer import Scene, simulate
    from visualizer.core.model import simulate as model
    from visualizer.core.model import training

    scene = Scene.from_query("surface=mlp:data=moons&steps=500&run=sgd:lr=2&run=adam:lr=0.03")
    simulate(scene)
    prepared = model.prepare(scene)  # each run's program and arguments, as simulate trains them
    lines = ["2. sharpness on the network, every 10 steps, Lanczos in pairs (target: at most +100% of training)"]
    for run, place, args in zip(scene.runs, prepared.places, prepared.arguments, strict=True):
        off = args._replace(problem=args.problem._replace(sharpness_at=np.zeros_like(args.problem.sharpness_at)))

        def train(a, place=place):
            out = training.train([(place, a)])[0]
            return np.asarray(out.records.loss)

        train(args)
        on, none = times(lambda a=args: train(a), calls), times(lambda a=off: train(a), calls)
        lines.append(f"   {run.optimizer:5s} 500 steps: with {ms(on)} | without {ms(none)} | "
                     f"+{100 * (on[0] / none[0] - 1):5.1f}% wall, +{100 * (on[2] / none[2] - 1):5.1f}% cpu")
    return lines


# ---------------------------------------------------------------- 3. clouds


def himmelblau(x, y):
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def cloud(calls: int, numpy_calls: int) -> list[str]:
    from visualizer import Scene, simulate

    query = "surface=himmelblau&start=0,0&steps=1000&run=sgd:lr=0.005,noise=3,seeds=256"
    scene = Scene.from_query(query)
    simulate(scene)
    ours = times(lambda: simulate(Scene.from_query(query)), calls)
    seeds, steps, lr, std = 256, 1000, 0.005, 3.0
    qs = np.array([0.1, 0.5, 0.9])

    def numpy_steps():
        rng = np.random.default_rng(0)
        noise = std * rng.standard_normal((steps, seeds, 2), dtype=np.float32)
        x = np.zeros(seeds, np.float32)
        y = np.zeros(seeds, np.float32)
        xs = np.empty((3, steps + 1, seeds), np.float32)
        with np.errstate(all="ignore"):
            for k in range(steps + 1):
                u, v = x * x + y - 11, x + y * y - 7
                xs[0, k], xs[1, k], xs[2, k] = x, y, u * u + v * v
                if k == steps:
                    break
                gx, gy = 4 * x * u + 2 * v, 2 * u + 4 * y * v
                x, y = x - np.float32(lr) * (gx + noise[k, :, 0]), y - np.float32(lr) * (gy + noise[k, :, 1])
        return xs

    def numpy_quantile():
        return np.quantile(numpy_steps(), qs, axis=-1)

    def numpy_sorted():
        ordered = np.sort(numpy_steps(), axis=-1)
        return ordered[..., [25, 127, 128, 229, 230]]

    quantile, sort = times(numpy_quantile, numpy_calls), times(numpy_sorted, numpy_calls)
    return [
        "3. a cloud: 256 seeds x 1000 steps of SGD with noise on Himmelblau, quantile bands included (target: 3x)",
        f"   simulate, end to end                  {ms(ours)}",
        f"   NumPy, steps + np.quantile             {ms(quantile)}   {ratio(quantile, ours)}",
        f"   NumPy, steps + one np.sort             {ms(sort)}   {ratio(sort, ours)}",
    ]


# ---------------------------------------------------------------- 4. race


RACERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "nadam")


def race(calls: int, numpy_calls: int) -> list[str]:
    from visualizer import Scene, explore
    from visualizer.core.optimizers import OPTIMIZERS
    from visualizer.core.optimizers.checks import Update

    query = ("surface=rosenbrock&start=-1.5,2&steps=500&" + "&".join(f"run={o}" for o in RACERS)
             + "&explore=race:budget=32")
    scene = Scene.from_query(query)
    t0 = time.perf_counter()
    result = explore(scene)
    first = time.perf_counter() - t0
    ours = times(lambda: explore(Scene.from_query(query)).to_dict(), calls)

    def numpy_race():
        finals = []
        with np.errstate(all="ignore"):
            for r, run in zip(result.runs, scene.runs, strict=True):
                opt = OPTIMIZERS[run.optimizer]
                lrs = r.values["lr"][:, None]
                p = np.tile(np.array(scene.start_of(run), np.float64), (len(lrs), 1))
                start, memory, alive = p.copy(), {}, np.ones(len(lrs), bool)
                h = {k: float(v) for k, v in run.hyper.items()}
                for t in range(1, scene.steps + 1):
                    g = surfaces_np.rosenbrock_grad(p)
                    p = opt.textbook(Update(t, p, g, lrs, lrs, start, h, memory, surfaces_np.rosenbrock, 0.0, None))
                    alive &= np.isfinite(p).all(1) & (np.abs(p) <= LIMIT).all(1)
                finals.append(np.where(alive, surfaces_np.rosenbrock(p), np.nan))
        return finals

    reference = numpy_race()
    agree = np.mean([np.allclose(np.nan_to_num(np.asarray(r.final_loss, np.float64), nan=-1),
                                 np.nan_to_num(f, nan=-1), rtol=1e-2, atol=1e-4)
                     for r, f in zip(result.runs, reference, strict=True)])
    numpy = times(numpy_race, numpy_calls)
    return [
        "4. a race: 8 optimizers x 32 trials x 500 steps on Rosenbrock (targets: under 1 s warm, 10x NumPy)",
        f"   first race in this process (compiles)  {first * 1e3:8.0f} ms",
        f"   explore(scene).to_dict(), warm         {ms(ours)}",
        f"   NumPy, the optimizers' textbook updates vectorised over the trials {ms(numpy)}   {ratio(numpy, ours)}",
        f"   optimizers whose 32 final losses agree with NumPy's (float32 vs float64): {agree:.0%}",
    ]


# ---------------------------------------------------------------- 5. basin map


def basin_map(calls: int, numpy_calls: int) -> list[str]:
    import explore_speed as es

    from visualizer import Scene, explore
    from visualizer.core.exploration import prepared

    scene = Scene.from_query(es.STARTS)
    explored = explore(scene)
    program, calls_args = prepared(scene)

    def kernel():
        return [np.asarray(program(*args)) for args in calls_args]

    end_to_end = times(lambda: explore(Scene.from_query(es.STARTS)).to_dict(), calls)
    alone = times(kernel, calls)
    to_dict = times(explored.to_dict, calls)
    xs, ys = (a.values for a in explored.resolved.axes)
    gx, gy = np.meshgrid(xs, ys)
    start32 = np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32)

    def plain32():
        p = start32.copy()
        with np.errstate(all="ignore"):
            for _ in range(scene.steps):
                x, y = p[:, 0], p[:, 1]
                u, v = x * x + y - 11, x + y * y - 7
                p = p - np.float32(0.01) * np.stack([4 * x * u + 2 * v, 2 * u + 4 * y * v], 1)
            return himmelblau(p[:, 0], p[:, 1]), p

    float32 = times(plain32, numpy_calls)
    float64 = times(es.numpy_case(scene, explored, outcomes=False), numpy_calls)
    same = times(es.numpy_case(scene, explored), numpy_calls)
    lines = [
        "5. the basin map: SGD on Himmelblau from 128 x 128 starts, 500 steps (target: 4x, end to end)",
        f"   explore(scene).to_dict(), end to end   {ms(end_to_end)}",
        f"     of which the compiled kernel         {ms(alone)}",
        f"     of which to_dict                     {ms(to_dict)}",
    ]
    for name, numpy in (("NumPy float32, updates only", float32), ("NumPy float64, updates only", float64),
                        ("NumPy float64, the same outcomes", same)):
        lines.append(f"   {name:34s} {ms(numpy)}   {ratio(numpy, end_to_end)}")
    return lines


# ---------------------------------------------------------------- 6. flow


def rosenbrock_grad(p):
    x, y = p
    r = y - x * x
    return np.array([-2 * (1 - x) - 400 * x * r, 200 * r])


def himmelblau_grad(p):
    x, y = p
    u, v = x * x + y - 11, x + y * y - 7
    return np.array([4 * x * u + 2 * v, 2 * u + 4 * y * v])


FLOWS = (  # (what, query, the gradient, heavy-ball momentum or None)
    ("SGD on Rosenbrock, lr 0.001, 1000 steps",
     "surface=rosenbrock&start=-1.5,2&steps=1000&run=sgd:lr=0.001", rosenbrock_grad, None),
    ("momentum 0.9 on Himmelblau, lr 0.002, 1000 steps",
     "surface=himmelblau&start=0,0&steps=1000&run=momentum:lr=0.002,momentum=0.9", himmelblau_grad, 0.9),
    ("momentum 0.9 on Himmelblau, cosine schedule, 1000 steps",
     "surface=himmelblau&start=0,0&steps=1000&run=momentum:lr=0.002,momentum=0.9,schedule=cosine",
     himmelblau_grad, 0.9),
    ("SGD on Rosenbrock, lr 0.001, 10000 steps",
     "surface=rosenbrock&start=-1.5,2&steps=10000&run=sgd:lr=0.001", rosenbrock_grad, None),
)


def flow(calls: int, numpy_calls: int) -> list[str]:
    from scipy.integrate import solve_ivp

    from visualizer import Scene, simulate
    from visualizer.core import flow as flows

    lines = [f"6. flow=1: the flow's cost in a warm simulate, against SciPy's solve_ivp (RK45, rtol = atol = "
             f"{flows.RTOL:g}, float64)"]
    for what, query, grad, momentum in FLOWS:
        plain, with_flow = Scene.from_query(query), Scene.from_query(query + "&flow=1")
        (run,) = simulate(with_flow).runs
        simulate(plain)
        on, off = times(lambda s=with_flow: simulate(s), calls), times(lambda s=plain: simulate(s), calls)
        rates = run.lr.astype(np.float64)
        ts = np.concatenate([[0.0], np.cumsum(rates)])
        start = run.xy[0].astype(np.float64)

        def field(t, state, rates=rates, ts=ts, grad=grad, momentum=momentum):
            x, u = state[:2], state[2:]
            if momentum is None:
                return np.concatenate([-grad(x), 0 * u])
            lr = rates[min(max(np.searchsorted(ts, t, side="right") - 1, 0), len(rates) - 1)]
            return np.concatenate([u, (-grad(x) - (1 - momentum) * u) / lr])

        def scipy_flow(field=field, ts=ts, start=start):
            return solve_ivp(field, (0.0, ts[-1]), np.concatenate([start, [0.0, 0.0]]), method="RK45",
                             t_eval=ts, rtol=flows.RTOL, atol=flows.ATOL).y[:2].T

        scipy = times(scipy_flow, numpy_calls)
        gap = np.max(np.abs(scipy_flow() - run.flow.astype(np.float64)))
        added = (on[0] - off[0], on[1] - off[1], on[2] - off[2])
        lines.append(f"   {what}")
        lines.append(f"     simulate with flow=1 {ms(on)} | without {ms(off)} | the flow adds {ms(added)}")
        lines.append(f"     SciPy solve_ivp      {ms(scipy)}   {ratio(scipy, added)} (the flow alone); "
                     f"largest gap between the two flows {gap:.1e}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", type=int, choices=range(1, 7), help="one section, by its number")
    parser.add_argument("--devices", type=int, help="JAX CPU devices (default: the app's, one per usable core)")
    args = parser.parse_args(argv)
    calls, numpy_calls = (5, 2) if args.quick else (20, 5)
    from visualizer.core import devices

    if args.devices:
        os.environ["JAX_NUM_CPU_DEVICES"] = str(args.devices)
    devices.use_every_core()  # as the app and the CLI do
    import jax

    print(f"jax {jax.__version__}, {len(jax.devices())} device(s), numpy {np.__version__}")
    sections = (lambda: sharpness_2d(calls), lambda: sharpness_network(calls), lambda: cloud(calls, numpy_calls),
                lambda: race(calls, numpy_calls), lambda: basin_map(calls, numpy_calls),
                lambda: flow(calls, numpy_calls))
    for number, section in enumerate(sections, 1):
        if args.only in (None, number):
            print("\n".join(section()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
