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
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stclient import LocalServer, Session  # noqa: E402


def costliest(k: int) -> str:
    """A formula of the tan family at the cost bound, different for each k."""
    from surfaces import formula as F

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


async def scenario(url: str, moves: int, formulas: int) -> dict:
    b = Session(url, "")
    await b.open()
    alone: list = []
    await mover(b, moves, None, alone)

    a = Session(url, "surface=custom")
    await a.open()
    compiling: list[tuple[float, float]] = []
    during: list = []
    stop = asyncio.Event()

    async def visitor_a():
        for k in range(formulas):
            t0 = time.monotonic()
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


def main(argv=None) -> int:
    # A SIGTERM ends the run like Ctrl-C, so the server this started is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=30)
    parser.add_argument("--formulas", type=int, default=6)
    parser.add_argument("--flags", default="", help="extra `streamlit run` flags")
    parser.add_argument("--switch-ms", default=None, help="the server's OPTVIZ_SWITCH_INTERVAL_MS")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    env = {"OPTVIZ_JAX_CACHE_DIR": tempfile.mkdtemp(prefix="optviz-iso-cache-")}
    if args.switch_ms is not None:
        env["OPTVIZ_SWITCH_INTERVAL_MS"] = args.switch_ms
    with LocalServer(env=env, args=args.flags.split()) as server:
        report = asyncio.run(scenario(server.url, args.moves, args.formulas))
    report["switch_interval_ms"] = args.switch_ms or "default (1)"
    report["load_avg_before"] = [round(v, 2) for v in load]
    report["load_avg_after"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
