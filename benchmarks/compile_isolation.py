"""Does one visitor's formula slow another visitor down?

    python benchmarks/compile_isolation.py [--moves 30] [--formulas 6]

Visitor B has the default page open and moves the learning-rate slider,
one move at a time (the next right after the last ended, plus 0.3 s).
First alone (the baseline), then while visitor A, in another session,
types the costliest formulas the compiler still accepts, one after the
other, each new (so each compiles: its minima estimate and three
optimizers). Reported: B's move times, p50 and p95, alone and during A's
compiles (only the moves made while A was compiling), their ratio, and how
long A's compiles took. Starts its own server with an empty compilation
cache. Target: B's median during A's compiles within 1.5 times its median
alone.

`--kind network`: A changes the width of a network's hidden layer instead
(`surface=mlp`), each width a new network whose training compiles.

`--worker off` switches the server's compile worker off
(OPTVIZ_COMPILE_WORKER=off): A's formulas are then compiled in A's own
script thread, as before the worker, for the figure to compare against.

`--where thread|process` (no server): why B slows down. In one process, a
loop of B's rerun work (simulate, the payload) is timed alone, then while
the same costliest formulas are simulated in another thread of that process
(as the server does) or in a process of their own. If B slows down only in
the first case, what holds it up is the Python interpreter's lock (tracing
and lowering hold it; XLA's compile does not), not the two cores. With
`--worker on` the thread hands the formulas' programs to the compile
worker, as the server does now.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stclient import LocalServer, Session  # noqa: E402


def costliest(k: int) -> str:
    """A formula of the tan family at the cost bound, different for each k."""
    from visualizer.core.surfaces import formula as F

    terms = []
    while True:
        candidate = "+".join([*terms, f"tan(x^{70 + len(terms)}*y*{1 + k / 100:g})"])
        try:
            F.parse_formula(candidate)
        except F.FormulaError:
            return "+".join(terms)
        terms.append(candidate.rsplit("+", 1)[-1])


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))] if ordered else float("nan")


async def mover(session: Session, moves: int, stop: asyncio.Event | None, log: list):
    options = session.options("run.lr")
    middle = len(options) // 2
    i = 0
    while (stop is None and i < moves) or (stop is not None and not stop.is_set()):
        sent = time.monotonic()
        result = await session.set_widget("run.lr", options[middle + (i % 4) - 2])
        log.append((sent, result.seconds, result.ok))
        i += 1
        await asyncio.sleep(0.3)


async def scenario(url: str, moves: int, formulas: int, kind: str = "formula") -> dict:
    b = Session(url, "")
    await b.open()
    alone: list = []
    await mover(b, moves, None, alone)

    a = Session(url, "surface=mlp" if kind == "network" else "surface=custom")
    await a.open()
    compiling: list[tuple[float, float]] = []
    during: list = []
    stop = asyncio.Event()

    async def visitor_a():
        for k in range(formulas):
            t0 = time.monotonic()
            if kind == "network":  # a hidden layer of another width: a new network to compile
                result = await a.set_widget("surface.hidden", 20 + k)
            else:
                result = await a.set_widget("f", costliest(k))
            compiling.append((t0, time.monotonic()))
            assert result.ok, result.exceptions
            await asyncio.sleep(0.2)
        stop.set()

    await asyncio.gather(visitor_a(), mover(b, 0, stop, during))
    await a.close()
    await b.close()
    inside = [s for t, s, ok in during if any(t0 <= t <= t1 for t0, t1 in compiling)]
    base = [s for _, s, _ in alone]
    report = {
        "alone_p50_ms": round(1000 * statistics.median(base), 1), "alone_p95_ms": round(1000 * pct(base, 0.95), 1),
        "during_p50_ms": round(1000 * statistics.median(inside), 1) if inside else None,
        "during_p95_ms": round(1000 * pct(inside, 0.95), 1) if inside else None,
        "moves_alone": len(base), "moves_during": len(inside),
        "compile_s": [round(t1 - t0, 2) for t0, t1 in compiling],
        "errors": sum(1 for *_, ok in alone + during if not ok),
    }
    if inside:
        report["ratio_p50"] = round(report["during_p50_ms"] / report["alone_p50_ms"], 2)
        report["ratio_p95"] = round(report["during_p95_ms"] / report["alone_p95_ms"], 2)
    return report


def rerun_work(i: int) -> None:
    """What a slider move costs the server, minus Streamlit: the scene, the
    runs, the payload."""
    from visualizer import Scene, simulate
    from visualizer.browser.payload import scene_payload, surface_payload
    from visualizer.core import landmarks

    scene = Scene.from_query(f"surface=rosenbrock&run=sgd:lr={0.001 + i * 1e-5:g}&run=momentum:lr=0.001"
                             "&run=adam:lr=0.05")
    surface = surface_payload(scene.resolved_surface(), scene.surface_values(), landmarks.of(scene))
    scene_payload(simulate(scene), surface, scene.to_query())


def formula_work(first: int, count: int) -> None:
    """What a new formula costs the server: its runs, its minima, its grid."""
    from urllib.parse import quote

    from visualizer import Scene, simulate
    from visualizer.browser.payload import surface_payload
    from visualizer.core import landmarks

    for k in range(first, first + count):
        scene = Scene.from_query(f"surface=custom&f={quote(costliest(k), safe='')}"
                                 "&run=sgd:lr=0.01&run=adam:lr=0.1&run=momentum:lr=0.01")
        simulate(scene)
        surface_payload(scene.resolved_surface(), scene.surface_values(), landmarks.of(scene))


def where_it_waits(where: str, formulas: int) -> dict:
    import threading

    def timed_moves(out: list, stop: threading.Event | None, n: int = 0) -> None:
        i = 0
        while (stop is None and i < n) or (stop is not None and not stop.is_set()):
            t0 = time.perf_counter()
            rerun_work(i)
            out.append(1000 * (time.perf_counter() - t0))
            i += 1
            time.sleep(0.05)

    from visualizer.core import compile_worker

    compile_worker.for_the_server()  # as the server's start-up does: OPTVIZ_COMPILE_WORKER (--worker)
    for i in range(5):
        rerun_work(i)  # compiled and cached
    alone: list = []
    timed_moves(alone, None, 40)
    during: list = []
    stop = threading.Event()
    mover_thread = threading.Thread(target=timed_moves, args=(during, stop))
    mover_thread.start()
    t0 = time.perf_counter()
    if where == "thread":
        formula_work(100, formulas)
    else:
        code = f"import compile_isolation as c; c.formula_work(200, {formulas})"
        subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent, check=True)
    seconds = time.perf_counter() - t0
    stop.set()
    mover_thread.join()
    return {"where": where, "formulas_s": round(seconds, 1), "alone_p50_ms": round(statistics.median(alone), 1),
            "during_p50_ms": round(statistics.median(during), 1), "moves_during": len(during),
            "ratio_p50": round(statistics.median(during) / statistics.median(alone), 2)}


def main(argv=None) -> int:
    # A SIGTERM ends the run like Ctrl-C, so the server this started is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=30)
    parser.add_argument("--formulas", type=int, default=6)
    parser.add_argument("--flags", default="", help="extra `streamlit run` flags")
    parser.add_argument("--switch-ms", default=None, help="the server's OPTVIZ_SWITCH_INTERVAL_MS")
    parser.add_argument("--where", choices=("thread", "process"), default=None,
                        help="no server: B's rerun work in this process, the formulas in a thread or a process")
    parser.add_argument("--kind", choices=("formula", "network"), default="formula",
                        help="what A compiles: formulas at the cost bound, or networks of new widths (surface=mlp)")
    parser.add_argument("--worker", choices=("on", "off"), default="on",
                        help="the compile worker (OPTVIZ_COMPILE_WORKER); off: formulas compile in a script thread")
    args = parser.parse_args(argv)
    os.environ["OPTVIZ_COMPILE_WORKER"] = args.worker  # for the server started here, or --where's process
    load = os.getloadavg()
    if args.where:
        report = where_it_waits(args.where, args.formulas)
        report["load_avg"] = [round(v, 2) for v in load]
        report["compile_worker"] = args.worker
        print(json.dumps(report), flush=True)
        return 0
    env = {"OPTVIZ_JAX_CACHE_DIR": tempfile.mkdtemp(prefix="optviz-iso-cache-"), "OPTVIZ_COMPILE_WORKER": args.worker}
    if args.switch_ms is not None:
        env["OPTVIZ_SWITCH_INTERVAL_MS"] = args.switch_ms
    with LocalServer(env=env, args=args.flags.split()) as server:
        report = asyncio.run(scenario(server.url, args.moves, args.formulas, args.kind))
    report["switch_interval_ms"] = args.switch_ms or "default (1)"
    report["compile_worker"] = args.worker
    report["kind"] = args.kind
    report["load_avg_before"] = [round(v, 2) for v in load]
    report["load_avg_after"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
