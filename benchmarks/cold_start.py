"""From process start to the first page, and what one session costs in memory.

    python benchmarks/cold_start.py [--repeats 3] [--warm-cache] [--flags "--runner.postScriptGC=true"]

Each repeat starts `streamlit run app.py` (this repository's config, plus
`--flags`), with an empty compilation cache folder unless `--warm-cache`
(a restart on a disk that kept the cache), and times with a protocol client
(benchmarks/stclient.py; no browser): the health check answering (the
warm-up runs before it), then the first page: the websocket's first run
finished, every element received, the player's payload included. A browser
adds its own loading of the frontend to that (benchmarks/PAGE.md measures
it in Chromium). Then the one session moves the learning rate five times and
types one new formula, and the server's resident memory is read: what one
visitor costs on a 690 MB container.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stclient import LocalServer, Session  # noqa: E402


async def first_session(server: LocalServer) -> dict:
    session = Session(server.url, "")
    first = await session.open()
    drawn = time.perf_counter() - server.started_at
    rss_first = server.stats()["rss_mb"]
    options = session.options("run.lr")
    for i in range(5):
        await session.set_widget("run.lr", options[len(options) // 2 + (i % 3) - 1])
    custom = next(o for o in session.options("surface") if "formula" in o.lower())
    await session.set_widget("surface", custom)
    formula = await session.set_widget("f", "x^2 + 2*y^2 + sin(3*x)*cos(2*y)")
    await session.close()
    return {"first_page_s": round(drawn, 2), "first_run_s": round(first.seconds, 2), "ok": first.ok and formula.ok,
            "rss_first_page_mb": round(rss_first, 1), "rss_one_session_mb": round(server.stats()["rss_mb"], 1)}


def main(argv=None) -> int:
    # A SIGTERM ends the run like Ctrl-C, so the server this started is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warm-cache", action="store_true", help="keep one compilation cache across repeats")
    parser.add_argument("--flags", default="", help="extra `streamlit run` flags (the old config, say)")
    args = parser.parse_args(argv)
    shared = tempfile.mkdtemp(prefix="optviz-cold-cache-")
    rows = []
    for i in range(args.repeats):
        cache = shared if args.warm_cache else tempfile.mkdtemp(prefix="optviz-cold-cache-")
        if args.warm_cache and i == 0:
            with LocalServer(env={"OPTVIZ_JAX_CACHE_DIR": cache}) as server:  # fills the cache once
                asyncio.run(first_session(server))
        load = os.getloadavg()[0]
        server = LocalServer(env={"OPTVIZ_JAX_CACHE_DIR": cache}, args=shlex.split(args.flags))
        try:
            server.start()
            row = {"healthy_s": round(server.healthy_after, 2), **asyncio.run(first_session(server)),
                   "load_avg": round(load, 2)}
        finally:
            server.stop()
        rows.append(row)
        print(json.dumps(row), flush=True)
    summary = {key: round(statistics.median(r[key] for r in rows), 2)
               for key in ("healthy_s", "first_page_s", "rss_first_page_mb", "rss_one_session_mb")}
    print(json.dumps({"repeats": args.repeats, "warm_cache": args.warm_cache, "flags": args.flags,
                      "median": summary, "all_ok": all(r["ok"] for r in rows), "runs": rows}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
