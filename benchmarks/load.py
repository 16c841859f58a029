"""A classroom against one server, without browsers.

    python benchmarks/load.py --url URL --sessions N --seconds S [--think S]

Each session is a browser tab played by `benchmarks/stclient.py` (the
websocket protocol, no rendering, so the figures are the server's and not
those of 30 Chromiums on two cores). Each opens its own link (a different
surface or optimizer mix, so the class starts compiling at once, as a class
does), then changes a value every `--think` seconds on average (uniformly
random between 0.2 and 1.8 times it): mostly the learning rate slider of the
run shown, one stop left or right as a drag ends, sometimes the start or
the number of steps. The time of a change is from sending it to the end of
the rerun it causes (the `script_finished` message); p50 and p95 are of the
changes sent once every session has its first page (the class's first
pages, which compile, are reported apart, and `p95_all_ms` counts all).

First one session alone does the same for `--single-seconds` (the
baseline), then all of them together; `--beside-class N` runs a live class
of N students (benchmarks/class_load.py's teacher and students, over the
class's routes) beside them, from the moment the baseline ends, and
reports its figures under "class". Without `--url` the script starts its
own server (`streamlit run app.py`, this repository's config) and stops it
at the end; with `--url`, `--server-pid` (repeatable: replicas) says whose
memory and threads to read.

The last line of the output is one JSON object:

    {"sessions": N, "errors": E, "p50_ms": .., "p95_ms": .., "single_p95_ms": ..,
     "rss_mb": .., "threads": .., ...}

with more keys after those (the baseline's p50, changes a second, the load
average, time to the first page, bytes per change). `--check` exits 1 when
the targets are missed: no errors, p95 at most 3 times one session's, RSS
at most 1200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from class_load import Classroom  # noqa: E402
from stclient import LocalServer, ProtocolError, Session, process_stats  # noqa: E402

SURFACES = ("rosenbrock", "beale", "himmelblau", "booth", "matyas", "rastrigin", "ackley", "goldstein_price",
            "six_hump_camel", "styblinski_tang", "levi13", "saddle", "cliff", "quadratic")
MIXES = ("", "&run=sgd:lr=0.01&run=adam:lr=0.05", "&run=momentum:lr=0.005&run=rmsprop:lr=0.01&run=adam:lr=0.02")
TARGET_RATIO = 3.0
TARGET_RSS_MB = 1200


def link(i: int) -> str:
    """Session i's link: a surface and an optimizer mix, different for the
    first 42 sessions, then the same with another start."""
    surface = SURFACES[i % len(SURFACES)]
    mix = MIXES[(i // len(SURFACES)) % len(MIXES)]
    query = f"surface={surface}{mix}"
    if i >= len(SURFACES) * len(MIXES):
        query += f"&steps={200 + 10 * (i % 20)}"
    return query


def percentile(values, q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class Tally:
    def __init__(self):
        self.changes: list[float] = []  # seconds, every change
        self.started: list[float] = []  # when each change was sent (monotonic)
        self.opened_at: list[float] = []  # when each session's first page was done
        self.opens: list[float] = []
        self.bytes: list[int] = []
        self.errors: list[str] = []


async def change(session: Session, rng: random.Random):
    """One user action: returns the RunResult."""
    roll = rng.random()
    if roll < 0.8 and "run.lr" in session.widgets:
        options = session.options("run.lr")
        current = session.values.get(session.widget("run.lr")[0])
        now = current.string_array_value.data[0] if current is not None else options[len(options) // 2]
        i = options.index(now) if now in options else len(options) // 2
        # a drag ends one or two stops away, kept to rates that do not all diverge
        j = min(max(i + rng.choice((-2, -1, 1, 2)), 0), len(options) - 1)
        if not 1e-4 <= float(options[j]) <= 0.3:
            j = i - 1 if float(options[j]) > 0.3 else i + 1
        return await session.set_widget("run.lr", options[j])
    if roll < 0.9 and "start.x" in session.widgets:
        wid = session.widget("start.x")[0]
        x = session.values[wid].double_value if wid in session.values else 0.0
        return await session.set_widget("start.x", round(x + rng.choice((-0.1, 0.1)), 3))
    wid = session.widget("steps")[0]
    steps = session.values[wid].int_value if wid in session.values else 200
    return await session.set_widget("steps", int(min(max(steps + rng.choice((-50, 50)), 50), 2000)))


async def tab(url: str, query: str, seconds: float, think: float, tally: Tally, rng: random.Random,
              start_delay: float = 0.0) -> None:
    await asyncio.sleep(start_delay)
    session = Session(url, query)
    try:
        first = await session.open()
        tally.opens.append(first.seconds)
        tally.opened_at.append(time.monotonic())
        if not first.ok:
            tally.errors.append(f"{query}: the first page had an error: {_problems(first)}")
        end = time.monotonic() + seconds
        while True:
            pause = rng.uniform(0.2 * think, 1.8 * think)
            if time.monotonic() + pause >= end:
                break
            await asyncio.sleep(pause)
            sent = time.monotonic()
            result = await change(session, rng)
            tally.started.append(sent)
            tally.changes.append(result.seconds)
            tally.bytes.append(result.bytes)
            if not result.ok:
                tally.errors.append(f"{query}: {_problems(result)}")
    except (ProtocolError, TimeoutError, OSError, KeyError) as exc:
        tally.errors.append(f"{query}: {type(exc).__name__}: {exc}")
    finally:
        await session.close()


def _problems(result) -> str:
    if result.exceptions:
        return "exception on the page: " + "; ".join(e.message[:120] for e in result.exceptions)
    return f"run finished with status {result.status}"


async def phase(url: str, sessions: int, seconds: float, think: float, seed: int, ramp: float,
                pids, label: str) -> tuple[Tally, dict]:
    tally = Tally()
    peak = {"rss_mb": 0.0, "threads": 0}
    stop = asyncio.Event()

    async def sample():
        while not stop.is_set():
            if pids:
                now = process_stats(pids)
                peak["rss_mb"] = max(peak["rss_mb"], now["rss_mb"])
                peak["threads"] = max(peak["threads"], now["threads"])
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass

    sampler = asyncio.create_task(sample())
    t0 = time.monotonic()
    await asyncio.gather(*(
        tab(url, link(i), seconds, think, tally, random.Random(seed * 1000 + i), ramp * i / max(sessions, 1))
        for i in range(sessions)))
    stop.set()
    await sampler
    elapsed = time.monotonic() - t0
    # The class's first pages compile (new surfaces, new optimizers); the
    # figures are those of the changes made once every session has its page
    # (all changes: `*_all`), the first pages are reported on their own.
    everyone = max(tally.opened_at, default=t0)
    tally.steady = [c for c, t in zip(tally.changes, tally.started, strict=True) if t >= everyone]
    print(f"{label}: {sessions} session(s), {elapsed:.0f} s, {len(tally.changes)} changes "
          f"({len(tally.changes) / elapsed:.2f}/s), {len(tally.errors)} errors; change -> rerun done "
          f"({len(tally.steady)} once all pages were open): p50 {1000 * percentile(tally.steady, 0.5):.0f} ms, "
          f"p95 {1000 * percentile(tally.steady, 0.95):.0f} ms; all changes: p95 "
          f"{1000 * percentile(tally.changes, 0.95):.0f} ms, max {1000 * max(tally.changes, default=float('nan')):.0f} ms; "
          f"first page p50 {1000 * percentile(tally.opens, 0.5):.0f} ms, max "
          f"{1000 * max(tally.opens, default=float('nan')):.0f} ms; load average {os.getloadavg()[0]:.2f}", flush=True)
    for error in tally.errors[:10]:
        print("  error:", error, flush=True)
    return tally, {**peak, "elapsed": elapsed}


def main(argv=None) -> int:
    # A SIGTERM ends the run like Ctrl-C, so the server this started is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="the app's address; without it a server is started here")
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=120.0, help="how long all sessions run")
    parser.add_argument("--think", type=float, default=3.0, help="mean seconds between a session's changes")
    parser.add_argument("--single-seconds", type=float, default=None,
                        help="how long the one-session baseline runs (default: min(seconds, 60))")
    parser.add_argument("--ramp", type=float, default=None,
                        help="seconds over which the sessions open (default: min(10, seconds / 6))")
    parser.add_argument("--server-pid", type=int, action="append", default=[],
                        help="with --url: a server process whose memory and threads to report (repeatable)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--beside-class", type=int, default=0, metavar="STUDENTS",
                        help="a live class of this many students beside the sessions (not the baseline)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    server = room = None
    if args.url is None:
        server = LocalServer().start()
        url, pids = server.url, [server.pid]
        print(f"server: {url} (pid {server.pid}), healthy {server.healthy_after:.1f} s after start", flush=True)
    else:
        url, pids = args.url, args.server_pid
    try:
        single_seconds = args.single_seconds if args.single_seconds is not None else min(args.seconds, 60)
        ramp = args.ramp if args.ramp is not None else min(10.0, args.seconds / 6)
        load_before = os.getloadavg()
        single, _ = asyncio.run(phase(url, 1, single_seconds, args.think, args.seed, 0.0, pids, "alone"))
        if args.beside_class:
            room = Classroom(url, args.beside_class, 1, step_seconds=15, join=True)
            room.start()
        many, peak = asyncio.run(phase(url, args.sessions, args.seconds, args.think, args.seed + 1, ramp, pids,
                                       "together"))
        alive = server.alive() if server else True
    finally:
        if room is not None:
            room.stop()
        if server is not None:
            server.stop()
    class_figures = room.figures() if room is not None else None
    errors = len(single.errors) + len(many.errors) + (0 if alive else 1) + (class_figures or {}).get("errors", 0)
    report = {
        "sessions": args.sessions,
        "errors": errors,
        "p50_ms": round(1000 * percentile(many.steady, 0.5), 1),
        "p95_ms": round(1000 * percentile(many.steady, 0.95), 1),
        "single_p95_ms": round(1000 * percentile(single.steady, 0.95), 1),
        "rss_mb": round(peak["rss_mb"], 1) if pids else None,
        "threads": peak["threads"] if pids else None,
        "single_p50_ms": round(1000 * percentile(single.steady, 0.5), 1),
        "p95_all_ms": round(1000 * percentile(many.changes, 0.95), 1),
        "changes": len(many.changes),
        "steady_changes": len(many.steady),
        "changes_per_s": round(len(many.changes) / peak["elapsed"], 2),
        "single_changes": len(single.changes),
        "first_page_p50_ms": round(1000 * percentile(many.opens, 0.5), 1),
        "first_page_max_ms": round(1000 * max(many.opens, default=float("nan")), 1),
        "kb_per_change": round(statistics.mean(many.bytes) / 1024, 1) if many.bytes else None,
        "seconds": args.seconds,
        "think_s": args.think,
        "load_avg_before": [round(v, 2) for v in load_before],
        "load_avg_after": [round(v, 2) for v in os.getloadavg()],
        "server_alive": alive,
        **({"class": class_figures} if class_figures else {}),
    }
    ratio = report["p95_ms"] / report["single_p95_ms"] if report["single_p95_ms"] else float("inf")
    report["p95_ratio"] = round(ratio, 2)
    missed = []
    if errors:
        missed.append(f"{errors} errors")
    if not ratio <= TARGET_RATIO:
        missed.append(f"p95 is {ratio:.2f}x one session's (target <= {TARGET_RATIO:g}x)")
    if report["rss_mb"] is not None and report["rss_mb"] > TARGET_RSS_MB:
        missed.append(f"RSS {report['rss_mb']:.0f} MB (target <= {TARGET_RSS_MB})")
    print("targets:", "met" if not missed else "missed: " + "; ".join(missed), flush=True)
    print(json.dumps(report), flush=True)
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
