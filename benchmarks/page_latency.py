"""End-to-end page latency in headless Chromium: our app against the floor.

    python benchmarks/page_latency.py [--reps 10] [--floor /work/shared/tools/floor_app]
                                      [--chromium /usr/bin/chromium] [--json out.json]

Starts `streamlit run app.py` (this repo) and `streamlit run app.py` in the
floor folder (one contour + 8 lines of 1000 points, nothing else), each on a
free port, and measures in one Chromium:

1. Slider latency (--reps moves, median and p95, ms): focus the first lr
   slider (the first run's `run.lr`; the floor's `lr`), press ArrowRight,
   wait until the Plotly data in some frame changed (signature as in
   /work/shared/tools/browser_latency.py: the tail of every trace's x/y/z in
   every frame) and the script is idle. For our app also "drawn": until the
   player's `__playerStats.renders` went up (main and side charts done).
   Ratio app / floor printed. Bytes the server sent per move, too.
2. Server-side rerun time, measured from the browser: the websocket frame
   the browser sends for the rerun -> the last frame the server sends for
   it (the script-finished message). Cross-check without a browser: the
   same lr moves through AppTest in this process (script time only).
3. Websocket bytes for one scene of 8 runs x 1000 steps and 8 x 4000
   steps: bytes received while loading `/?<scene>`, and for one lr move
   inside that scene (the payload goes again, the page shell does not).
4. Player frames per second while playing the 8 x 1000 scene.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
FLOOR = Path("/work/shared/tools/floor_app")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
IDLE = '[data-test-script-state="notRunning"]'
PLAYER = 'iframe[title="visualizer.page.player.player"]'
EIGHT_RUNS = ("surface=rosenbrock&steps={steps}&run=sgd:lr=0.001&run=momentum:lr=0.001&run=nesterov:lr=0.001"
              "&run=adagrad:lr=0.1&run=rmsprop:lr=0.001&run=adam:lr=0.01&run=adamw:lr=0.01&run=nadam:lr=0.01")

# The signature of browser_latency.py: every Plotly chart in this frame and
# its shadow roots, the tail of each trace's x, y, z.
SIG_JS = """() => {
  const walk = (root, out) => {
    root.querySelectorAll('.js-plotly-plot').forEach(d => out.push(d));
    root.querySelectorAll('*').forEach(e => { if (e.shadowRoot) walk(e.shadowRoot, out); });
    return out;
  };
  const tail = a => !a ? null : a.bdata ? [a.bdata.length, a.bdata.slice(-24)]
                                : [a.length, a[a.length - 1]];
  return walk(document, []).map(d => JSON.stringify((d._fullData || d.data || []).map(
    t => [tail(t.x), tail(t.y), tail(t.z)]))).join('|');
}"""


def signature(page) -> str:
    parts = []
    for fr in page.frames:
        try:
            parts.append(fr.evaluate(SIG_JS))
        except Exception:  # a frame navigating away
            pass
    return "|".join(p for p in parts if p)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(app_dir: Path, port: int) -> subprocess.Popen:
    """`streamlit run app.py` in `app_dir`, with a fresh temporary folder: no
    JAX compilation cache and no assembled frontend from earlier runs, so the
    first load is what a new machine sees. `proc.ready_s`: seconds from the
    process start to the health check answering (polled every 50 ms)."""
    env = {**os.environ, "TMPDIR": tempfile.mkdtemp(prefix="optviz-bench-")}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"],
        cwd=app_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            proc.ready_s = time.perf_counter() - t0
            return proc
        except OSError:
            time.sleep(0.05)
    stop_server(proc)
    raise SystemExit(f"{app_dir}: streamlit did not come up on port {port}")


def stop_server(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


class Wire:
    """Websocket frames of one page, as (monotonic time, bytes)."""

    def __init__(self, page):
        self.received: list[tuple[float, int]] = []
        self.sent: list[tuple[float, int]] = []
        page.on("websocket", self._on_ws)

    def _on_ws(self, ws):
        ws.on("framereceived", lambda p: self.received.append((time.monotonic(), len(p))))
        ws.on("framesent", lambda p: self.sent.append((time.monotonic(), len(p))))

    def bytes_since(self, t0: float) -> int:
        return sum(n for t, n in self.received if t >= t0)


def player_frame(page):
    handle = page.query_selector(PLAYER)
    return handle.content_frame() if handle else None


def wait_drawn(page, timeout_ms: int) -> None:
    """Until the player has drawn once. Polled from here every 20 ms, with
    the iframe looked up afresh each time: `wait_for_function`'s default
    polls on requestAnimationFrame, which Chromium may hold back in an iframe
    that is not painting, and a frame handle taken early can go stale."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            if renders(page) > 0:
                return
        except Exception:  # the frame navigated or detached mid-check
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the player did not draw within {timeout_ms} ms")
        page.wait_for_timeout(20)


def renders(page) -> int:
    fr = player_frame(page)
    return fr.evaluate("() => (window.__playerStats || {renders: 0}).renders") if fr else 0


def load(page, url: str, ours: bool, timeout_ms: int = 120_000, phases: dict | None = None) -> float:
    """Seconds from navigation to drawn and idle; `phases` gets the
    milestones of our page (s from navigation)."""
    t0 = time.perf_counter()
    marks: dict = {}

    def on_request_finished(req):
        name = req.url.split("?")[0].rsplit("/", 1)[-1]
        if name.startswith("plotly") or (name == "index.html" and "component" in req.url):
            marks.setdefault(name, time.perf_counter() - t0)

    page.on("requestfinished", on_request_finished)
    page.goto(url)
    marks["document"] = time.perf_counter() - t0
    if ours:
        page.wait_for_selector(PLAYER, state="attached", timeout=timeout_ms)
        marks["player iframe attached"] = time.perf_counter() - t0
        wait_drawn(page, timeout_ms)
        marks["player drawn"] = time.perf_counter() - t0
    else:
        page.wait_for_selector(".js-plotly-plot", timeout=timeout_ms)
    page.wait_for_selector(IDLE, state="attached", timeout=timeout_ms)
    marks["idle"] = time.perf_counter() - t0
    page.remove_listener("requestfinished", on_request_finished)
    if phases is not None:
        phases.update({k: round(v, 2) for k, v in sorted(marks.items(), key=lambda kv: kv[1])})
    return time.perf_counter() - t0


APP_SLIDER = ".st-key-run-lr"  # Streamlit writes the key run.lr's dot as a dash in the class


def slider_moves(page, wire: Wire, slider: str, reps: int, ours: bool) -> dict:
    """`reps` ArrowRight presses on `slider`; per move: latency to changed
    Plotly data + idle, to the player's redraw (ours), bytes, server time."""
    lat, drawn, sent_bytes, server = [], [], [], []
    thumb = page.locator(f"{slider} input[type=range], {slider} [role=slider]").first
    for _ in range(reps):
        page.wait_for_timeout(300)
        before, r0 = signature(page), renders(page) if ours else 0
        thumb.focus()
        t0 = time.monotonic()
        page.keyboard.press("ArrowRight")
        deadline = t0 + 30
        while signature(page) == before:
            if time.monotonic() > deadline:
                raise SystemExit("no change within 30 s")
            page.wait_for_timeout(10)
        page.wait_for_selector(IDLE, state="attached", timeout=30_000)
        lat.append((time.monotonic() - t0) * 1e3)
        if ours:
            while renders(page) <= r0:
                page.wait_for_timeout(10)
            drawn.append((time.monotonic() - t0) * 1e3)
        page.wait_for_timeout(150)  # the last frames of the run arrive
        rerun_sent = [t for t, _ in wire.sent if t >= t0]
        got = [t for t, _ in wire.received if t >= t0]
        if rerun_sent and got:
            server.append((max(got) - rerun_sent[0]) * 1e3)
        sent_bytes.append(wire.bytes_since(t0))
    out = {"median_ms": statistics.median(lat), "p95_ms": pct(lat, 0.95), "n": len(lat),
           "bytes_per_move": int(statistics.median(sent_bytes)),
           "server_rerun_ms_median": statistics.median(server) if server else None,
           "server_rerun_ms_p95": pct(server, 0.95) if server else None}
    if drawn:
        out.update(drawn_median_ms=statistics.median(drawn), drawn_p95_ms=pct(drawn, 0.95))
    return out


def apptest_rerun_ms(reps: int) -> dict:
    """The script alone: lr moves through AppTest, no browser, no websocket."""
    from streamlit.testing.v1 import AppTest

    os.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "page.py"), default_timeout=120)
    at.run()
    at.run()
    times = []
    for _ in range(reps):
        slider = at.select_slider("run.lr")
        stops = list(slider.options)
        slider.set_value(float(stops[stops.index(str(slider.value)) + 1]) if str(slider.value) in stops
                         else slider.value * 1.5)
        t = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - t) * 1e3)
        assert not at.exception
    return {"median_ms": statistics.median(times), "p95_ms": pct(times, 0.95)}


def fps(page, seconds: float = 3.0) -> float:
    fr = player_frame(page)
    fr.locator("#btn-restart").click()
    f0 = fr.evaluate("() => window.__playerStats.frames")
    fr.locator("#btn-play").click()
    page.wait_for_timeout(int(seconds * 1000))
    f1 = fr.evaluate("() => window.__playerStats.frames")
    fr.locator("#btn-play").click()
    return (f1 - f0) / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--floor", type=Path, default=FLOOR)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    a = ap.parse_args()

    from playwright.sync_api import sync_playwright

    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(),
                     "loadavg_start": os.getloadavg()}
    app_port, floor_port = free_port(), free_port()
    servers: list[subprocess.Popen] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=a.chromium, args=CHROMIUM_ARGS)

            def new_page():
                page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
                return page, Wire(page)

            # The browser's own first page (process start-up) is nobody's cost.
            throwaway, _ = new_page()
            throwaway.goto("data:text/html,<p>warm-up</p>")
            throwaway.context.close()

            # --- our app: cold load the moment the server answers (each
            # server is started just before its own cold load, so neither
            # gets a head start while the other starts), then lr moves.
            page, wire = new_page()
            servers.append(start_server(ROOT, app_port))
            results["app_ready_s"] = servers[-1].ready_s
            results["app_cold_load_phases"] = {}
            results["app_cold_load_s"] = load(page, f"http://127.0.0.1:{app_port}/", ours=True,
                                              phases=results["app_cold_load_phases"])
            page.close()
            page, wire = new_page()
            results["app_warm_load_phases"] = {}
            results["app_warm_load_s"] = load(page, f"http://127.0.0.1:{app_port}/", ours=True,
                                              phases=results["app_warm_load_phases"])
            results["app_warm_render_ms"] = player_frame(page).evaluate(
                "() => [window.__playerStats.lastRenderMs, window.__playerStats.phases || null]")
            results["app"] = slider_moves(page, wire, APP_SLIDER, a.reps, ours=True)
            page.close()

            # --- the floor, same harness
            page, wire = new_page()
            servers.append(start_server(a.floor, floor_port))
            results["floor_ready_s"] = servers[-1].ready_s
            results["floor_cold_load_s"] = load(page, f"http://127.0.0.1:{floor_port}/", ours=False)
            results["floor"] = slider_moves(page, wire, ".st-key-lr", a.reps, ours=False)
            page.close()

            # --- bytes for 8 runs x 1000 / 4000 steps, and fps
            for steps in (1000, 4000):
                page, wire = new_page()
                t0 = time.monotonic()
                load(page, f"http://127.0.0.1:{app_port}/?{EIGHT_RUNS.format(steps=steps)}", ours=True)
                page.wait_for_timeout(500)
                entry = {"load_bytes": wire.bytes_since(t0)}
                move = slider_moves(page, wire, APP_SLIDER, 1, ours=True)
                entry.update(move_bytes=move["bytes_per_move"], move_ms=move["median_ms"],
                             drawn_ms=move.get("drawn_median_ms"))
                entry["play_fps"] = fps(page)
                results[f"eight_runs_{steps}"] = entry
                page.close()
            browser.close()
    finally:
        for server in servers:
            stop_server(server)
    results["apptest_rerun"] = apptest_rerun_ms(a.reps)
    results["loadavg_end"] = os.getloadavg()

    app, floor = results["app"], results["floor"]
    print(f"cold load (server just started)  app {results['app_cold_load_s']:.1f} s   "
          f"floor {results['floor_cold_load_s']:.1f} s   (from the health check answering)")
    print(f"  process start -> ready          app {results['app_ready_s']:.1f} s   floor {results['floor_ready_s']:.1f} s"
          f"   (app: the warm-up runs before the server accepts connections)")
    print(f"  process start -> page drawn     app {results['app_ready_s'] + results['app_cold_load_s']:.1f} s   "
          f"floor {results['floor_ready_s'] + results['floor_cold_load_s']:.1f} s")
    print(f"  milestones (s): {results['app_cold_load_phases']}")
    print(f"warm load (new visitor)          app {results['app_warm_load_s']:.1f} s")
    print(f"  milestones (s): {results['app_warm_load_phases']}")
    print(f"  player's own render (ms): {results['app_warm_render_ms']}")
    print(f"lr slider, {a.reps} moves, ms         median  p95   bytes/move")
    print(f"  app (data changed + idle)      {app['median_ms']:6.0f} {app['p95_ms']:5.0f}  {app['bytes_per_move']}")
    print(f"  app (player redrawn)           {app['drawn_median_ms']:6.0f} {app['drawn_p95_ms']:5.0f}")
    print(f"  floor                          {floor['median_ms']:6.0f} {floor['p95_ms']:5.0f}  "
          f"{floor['bytes_per_move']}")
    print(f"  ratio app/floor (median)       {app['median_ms'] / floor['median_ms']:.2f}  "
          f"(p95 {app['p95_ms'] / floor['p95_ms']:.2f}; redrawn {app['drawn_median_ms'] / floor['median_ms']:.2f})")
    print(f"server rerun, rerun request -> last frame: app median {app['server_rerun_ms_median']:.0f} ms "
          f"p95 {app['server_rerun_ms_p95']:.0f}; floor median {floor['server_rerun_ms_median']:.0f} ms")
    print(f"server script alone (AppTest, no browser): median {results['apptest_rerun']['median_ms']:.0f} ms "
          f"p95 {results['apptest_rerun']['p95_ms']:.0f}")
    for steps in (1000, 4000):
        e = results[f"eight_runs_{steps}"]
        print(f"8 runs x {steps} steps: load {e['load_bytes'] / 1e3:.0f} KB, one lr move {e['move_bytes'] / 1e3:.0f} KB "
              f"({e['move_ms']:.0f} ms, drawn {e['drawn_ms']:.0f} ms), play {e['play_fps']:.0f} fps")
    r = results["eight_runs_4000"]["move_bytes"] / results["eight_runs_1000"]["move_bytes"]
    print(f"bytes per move 4000/1000 steps: {r:.2f} (linear: about 4)")
    print(f"load average {results['loadavg_start'][0]:.1f} -> {results['loadavg_end'][0]:.1f} on "
          f"{results['cpus']} cores")
    if a.json:
        a.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
