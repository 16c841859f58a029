"""Where a slider move's time and bytes go, on the server.

    python benchmarks/rerun_profile.py [--moves 150] [--query QUERY] [--key run.lr]

Starts `streamlit run app.py` with cProfile around every script run (in the
server's process: this file is also the launcher), moves one widget
`--moves` times through the protocol client (benchmarks/stclient.py: the
bytes are what a browser receives, cached messages sent as references as to
a browser), and prints:

- per move, the milliseconds of the script and of its parts, by the page's
  own functions and Streamlit's element calls (cProfile's cumulative time,
  inflated by profiling about 1.5x, so read the ranking and the shares);
- the wall time of a move as the client sees it, without profiling (a
  second server);
- the bytes a move sends, by message and element type.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

# What to report, by (file suffix, function name): the page's parts.
PARTS = [
    ("page.py", "<module>", "the whole script (page.py)"),
    ("visualizer/page/controls.py", "sidebar", "controls.sidebar: the sidebar"),
    ("visualizer/page/controls.py", "_runs_box", "  the runs box (picker, buttons, the run's controls)"),
    ("visualizer/page/controls.py", "_run_box", "    the run shown: its controls"),
    ("visualizer/page/controls.py", "_knob", "    every numeric knob (slider + box)"),
    ("visualizer/page/controls.py", "_sync", "  _sync: the draft's values into the widgets"),
    ("visualizer/core/engine.py", "simulate", "simulate (the engine)"),
    ("page.py", "surface_payload", "surface_payload (st.cache_data lookup)"),
    ("visualizer/browser/payload.py", "scene_payload", "payload.scene_payload"),
    ("visualizer/page/player.py", "player", "the player component (JSON of the payload)"),
    ("visualizer/page/panels.py", "summary_table", "panels.summary_table (st.table)"),
    ("visualizer/page/panels.py", "update_rules", "panels.update_rules (in a collapsed expander)"),
    ("visualizer/page/panels.py", "surface_about", "panels.surface_about (name, formula, note)"),
    ("visualizer/page/panels.py", "divergence_messages", "panels.divergence_messages"),
    ("visualizer/core/landmarks.py", "of", "landmarks.of"),
    ("streamlit/elements/spinner.py", "spinner", "st.spinner (starts a timer thread)"),
    ("streamlit/elements/widgets/button.py", "download_button", "st.download_button x2"),
    ("streamlit/commands/page_config.py", "set_page_config", "st.set_page_config"),
    ("visualizer/page/style.py", "apply", "style.apply (the page's CSS)"),
    ("visualizer/page/classroom.py", "picker", "classroom.picker"),
    ("visualizer/page/classroom.py", "present_link", "classroom.present_link"),
    ("streamlit/runtime/scriptrunner_utils/script_run_context.py", "enqueue", "ScriptRunContext.enqueue (hash + queue every delta)"),
    ("streamlit/runtime/forward_msg_cache.py", "populate_hash_if_needed", "  of which hashing messages"),
]


def serve() -> None:
    """The launcher: profile every script run, dump the stats after each."""
    from streamlit.runtime.scriptrunner import script_runner

    out = os.environ["OPTVIZ_PROFILE_OUT"]
    profiler = cProfile.Profile()
    runs = [0]
    original = script_runner.ScriptRunner._run_script

    def profiled(self, *args, **kwargs):
        profiler.enable()
        try:
            return original(self, *args, **kwargs)
        finally:
            profiler.disable()
            runs[0] += 1
            profiler.dump_stats(out)
            Path(out + ".runs").write_text(str(runs[0]))

    script_runner.ScriptRunner._run_script = profiled
    os.chdir(ROOT)
    from streamlit.web.cli import main

    sys.argv = ["streamlit", *sys.argv[2:]]
    sys.exit(main())


async def drive(url: str, query: str, key: str, moves: int):
    from stclient import Session

    session = Session(url, query)
    await session.open()
    options = session.options(key)
    i0 = options.index(next(o for o in options if float(o) >= 0.001)) if key == "run.lr" else len(options) // 2
    times, kinds = [], Counter()
    for i in range(moves):
        result = await session.set_widget(key, options[i0 + i % 12])
        times.append(result.seconds)
        kinds.update(result.bytes_by_kind)
    await session.close()
    return times, kinds


def report(stats_path: str, runs: int) -> list[tuple[str, float]]:
    stats = pstats.Stats(stats_path, stream=io.StringIO())
    rows = []
    for suffix, name, label in PARTS:
        total = sum(ct for (file, _, func), (_, _, _, ct, _) in stats.stats.items()
                    if file.endswith(suffix) and func == name)
        if total:
            rows.append((label, 1000 * total / runs))
    return rows


def main(argv=None) -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=150)
    parser.add_argument("--query", default="")
    parser.add_argument("--key", default="run.lr", help="a select slider's key")
    args = parser.parse_args(argv)
    from stclient import LocalServer

    out = tempfile.mktemp(prefix="optviz-rerun-", suffix=".prof")
    load = os.getloadavg()
    with LocalServer(command=[sys.executable, __file__, "--serve"], env={"OPTVIZ_PROFILE_OUT": out}) as server:
        runs_before = int(Path(out + ".runs").read_text()) if Path(out + ".runs").exists() else 0
        asyncio.run(drive(server.url, args.query, args.key, args.moves))
    runs = int(Path(out + ".runs").read_text()) - runs_before
    with LocalServer() as server:
        times, kinds = asyncio.run(drive(server.url, args.query, args.key, args.moves))
    print(f"{args.moves} moves of {args.key}, load average {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"\nwall time of a move, no profiling: p50 {1000 * statistics.median(times):.1f} ms, "
          f"p95 {1000 * sorted(times)[int(0.95 * (len(times) - 1))]:.1f} ms")
    print(f"\nserver time per move, profiled ({runs} script runs):")
    for label, ms in report(out, runs):
        print(f"  {ms:7.2f} ms  {label}")
    total = sum(kinds.values()) / args.moves
    print(f"\nbytes per move: {total / 1024:.1f} KB")
    for kind, count in kinds.most_common(16):
        print(f"  {count / args.moves / 1024:7.2f} KB  {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
