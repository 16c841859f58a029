"""Many distinct formulas and scenes through one server: do memory and disk
level off?

    python benchmarks/soak.py [--formulas 1000] [--scenes 1000] [--workers 2] [--cache-mb 32]
    python benchmarks/soak.py --url URL --server-pid PID --cache-dir DIR ...

Formulas are typed, one after the other, into the formula box of a few
open sessions (`--workers` at once; each session types 50 and closes, and a
new one opens), every one different, so every one compiles: the server's
formula cache, program cache, landmark caches and JAX's compilation cache
on disk all fill and must evict. Scenes are links opened by new sessions
(a new tab each), every one different (surface, optimizers, rates, steps,
start), as a class's visitors come and go. Without `--url` the script starts
its own server with a fresh compilation cache bounded at `--cache-mb`.

Every `--every` items it prints the server's resident memory and threads
and the cache folder's size and files; the last line is one JSON object
with that curve and the verdict (memory growth over the last 40% of the
items against the first 60%).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stclient import LocalServer, ProtocolError, Session, process_stats  # noqa: E402

SURFACES = ("rosenbrock", "beale", "himmelblau", "booth", "matyas", "rastrigin", "ackley", "goldstein_price",
            "six_hump_camel", "styblinski_tang", "levi13", "saddle", "cliff", "quadratic")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "nadam", "amsgrad", "lion")
SHAPES = (
    "{a}*x^2+{b}*y^2+sin({c}*x)*cos({d}*y)",
    "(x-{a})^2+{b}*(y-x^2)^2+{c}*abs(x*y)",
    "log(1+{a}*x^2+{b}*y^2)+{c}*exp(-{d}*(x^2+y^2))",
    "sqrt({a}+x^2+y^2)-{b}*cos({c}*x)+{d}*y^2",
    "max(x^2,{a}*y^2)+{b}*tanh({c}*x+{d}*y)",
)


def formula(i: int, rng: random.Random) -> str:
    values = {k: round(rng.uniform(0.2, 5), 3) for k in "abcd"}
    return SHAPES[i % len(SHAPES)].format(**values)


def scene(i: int, rng: random.Random) -> str:
    surface = SURFACES[i % len(SURFACES)]
    runs = rng.sample(OPTIMIZERS, rng.randint(1, 4))
    parts = [f"surface={surface}", f"steps={rng.choice((100, 200, 300, 500, 1000, 2000))}"]
    parts += [f"run={opt}:lr={round(10 ** rng.uniform(-4, -1), 6)}" for opt in runs]
    return "&".join(parts)


def cache_stats(path: str | None) -> dict:
    if not path or not os.path.isdir(path):
        return {"cache_mb": None, "cache_files": None}
    sizes = []
    for entry in os.scandir(path):
        try:
            if entry.is_file():
                sizes.append(entry.stat().st_size)
        except FileNotFoundError:
            pass  # JAX dropped it past the bound while we looked
    return {"cache_mb": round(sum(sizes) / 2**20, 2), "cache_files": len(sizes)}


class Progress:
    def __init__(self, pids, cache_dir, every):
        self.pids, self.cache_dir, self.every = pids, cache_dir, every
        self.done = 0
        self.errors: list[str] = []
        self.curve: list[dict] = []
        self.t0 = time.monotonic()

    def tick(self, phase: str) -> None:
        self.done += 1
        if self.done % self.every == 0:
            point = {"phase": phase, "items": self.done, "seconds": round(time.monotonic() - self.t0),
                     **{k: round(v, 1) if isinstance(v, float) else v for k, v in process_stats(self.pids).items()},
                     **cache_stats(self.cache_dir), "load_avg": round(os.getloadavg()[0], 2)}
            self.curve.append(point)
            print(json.dumps(point), flush=True)


async def type_formulas(url: str, count: int, workers: int, progress: Progress, rng: random.Random) -> None:
    texts = iter([formula(i, rng) for i in range(count)])

    async def worker():
        while True:
            session = Session(url, "surface=custom", timeout=300)
            try:
                await session.open()
                for _ in range(50):
                    text = next(texts, None)
                    if text is None:
                        return
                    result = await session.set_widget("f", text)
                    if result.exceptions or not result.ok:
                        progress.errors.append(f"f={text}: {[e.message[:80] for e in result.exceptions]}")
                    progress.tick("formulas")
            except (ProtocolError, TimeoutError, OSError, KeyError) as exc:
                progress.errors.append(f"formula session: {type(exc).__name__}: {exc}")
            finally:
                await session.close()

    await asyncio.gather(*(worker() for _ in range(workers)))


async def open_scenes(url: str, count: int, workers: int, progress: Progress, rng: random.Random) -> None:
    queries = iter([scene(i, rng) for i in range(count)])

    async def worker():
        for query in queries:
            session = Session(url, query, timeout=300)
            try:
                result = await session.open()
                if result.exceptions or not result.ok:
                    progress.errors.append(f"{query}: {[e.message[:80] for e in result.exceptions]}")
            except (ProtocolError, TimeoutError, OSError) as exc:
                progress.errors.append(f"{query}: {type(exc).__name__}: {exc}")
            finally:
                await session.close()
            progress.tick("scenes")

    await asyncio.gather(*(worker() for _ in range(workers)))


def verdict(curve: list[dict], key: str) -> dict:
    """Growth of `key` over the last 40% of the points against the first
    60%, per 100 items."""
    points = [p for p in curve if p.get(key) is not None]
    if len(points) < 5:
        return {}
    cut = int(len(points) * 0.6)
    first, last = points[: cut + 1], points[cut:]

    def slope(ps):
        span = ps[-1]["items"] - ps[0]["items"]
        return 100 * (ps[-1][key] - ps[0][key]) / span if span else 0.0

    return {f"{key}_per_100_first": round(slope(first), 2), f"{key}_per_100_last": round(slope(last), 2),
            f"{key}_max": max(p[key] for p in points), f"{key}_end": points[-1][key]}


def main(argv=None) -> int:
    # A SIGTERM ends the run like Ctrl-C, so the server this started is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url")
    parser.add_argument("--server-pid", type=int, action="append", default=[])
    parser.add_argument("--cache-dir", help="with --url: the server's OPTVIZ_JAX_CACHE_DIR, to measure")
    parser.add_argument("--cache-mb", type=float, default=32, help="the started server's cache bound")
    parser.add_argument("--formulas", type=int, default=1000)
    parser.add_argument("--scenes", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    server = None
    if args.url is None:
        cache_dir = tempfile.mkdtemp(prefix="optviz-soak-cache-")
        server = LocalServer(env={"OPTVIZ_JAX_CACHE_DIR": cache_dir, "OPTVIZ_JAX_CACHE_MAX_MB": str(args.cache_mb)})
        server.start()
        url, pids = server.url, [server.pid]
        print(f"server {url} pid {server.pid}, cache {cache_dir} bounded at {args.cache_mb:g} MB", flush=True)
    else:
        url, pids, cache_dir = args.url, args.server_pid, args.cache_dir
    progress = Progress(pids, cache_dir, args.every)
    rng = random.Random(args.seed)
    start = {**process_stats(pids), **cache_stats(cache_dir), "load_avg": os.getloadavg()[0]}
    print("start:", json.dumps(start), flush=True)
    try:
        asyncio.run(type_formulas(url, args.formulas, args.workers, progress, rng))
        asyncio.run(open_scenes(url, args.scenes, args.workers, progress, rng))
        alive = server.alive() if server else True
    finally:
        if server is not None:
            server.stop()
    for error in progress.errors[:10]:
        print("error:", error, flush=True)
    report = {"formulas": args.formulas, "scenes": args.scenes, "errors": len(progress.errors),
              "server_alive": alive, "minutes": round((time.monotonic() - progress.t0) / 60, 1), "start": start,
              **verdict(progress.curve, "rss_mb"), **verdict(progress.curve, "cache_mb"),
              "curve": progress.curve}
    print(json.dumps(report), flush=True)
    return 0 if alive and not progress.errors else 1


if __name__ == "__main__":
    sys.exit(main())
