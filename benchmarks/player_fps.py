"""Frames per second of the trajectory player's Play, in headless Chromium.

    python benchmarks/player_fps.py [--steps 1000] [--seconds 3] [--port 8702]
                                    [--url URL] [--chromium /usr/bin/chromium]

Starts tests/browser/player_demo_app.py (8 runs x --steps on a 120 x 120
Rosenbrock grid) unless --url points at a running one, then in the page:

- 2D: presses Play and counts the frames the player drew in --seconds
  (the frontend exposes `window.__playerStats = {frames, lastFrameMs, ...}`
  inside its iframe); again with a run brought to the front of the legend
  (the heaviest frame: the others dimmed, the front one redrawn wider);
- 3D: switches view, waits for the scene, presses Play and counts again;
- a new payload: moves the demo slider and reports the websocket bytes the
  server sent for that rerun and the time the iframe took to draw it;
- console errors and page errors seen on the way (Streamlit's own
  "Unrecognized feature" iframe warnings are not errors).

Exit status 1 if 2D < 30 fps (either way), 3D < 15 fps, or any console/page
error.

`--inside`: the same measures on a real scene with "Inside a step" on
(`case=scene`: 8 optimizers x --steps on Rosenbrock, simulated, each run
carrying its gradients, state and rule numbers): the arrows and the box
redrawn every frame, the rule typeset again as the step changes. It also
reports the payload's size with and without the overlays' numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "tests" / "browser" / "player_demo_app.py"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def start_app(port: int) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless=true",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    stop_app(proc)
    raise SystemExit("streamlit did not start")


def stop_app(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def player_frame(page, timeout_s: float = 60):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for fr in page.frames:
            if fr == page.main_frame:
                continue
            try:
                if fr.evaluate("() => !!(window.__playerStats && window.__playerStats.renders > 0)"):
                    return fr
            except Exception:  # frame navigating
                pass
        page.wait_for_timeout(100)
    raise SystemExit("the player did not render")


def stats(fr) -> dict:
    return fr.evaluate("() => JSON.parse(JSON.stringify(window.__playerStats))")


def count_fps(page, fr, seconds: float) -> tuple[float, float]:
    """Press Play (from step 0) and count drawn frames over `seconds`."""
    fr.evaluate("() => { const S = window.__player.S; if (S.playing) document.getElementById('btn-play').click(); }")
    fr.click("#btn-restart")
    fr.click("#btn-play")
    page.wait_for_timeout(300)  # let playback settle
    a = stats(fr)
    t0 = time.perf_counter()
    page.wait_for_timeout(seconds * 1000)
    b = stats(fr)
    dt = time.perf_counter() - t0
    fr.evaluate("() => { if (window.__player.S.playing) document.getElementById('btn-play').click(); }")
    return (b["frames"] - a["frames"]) / dt, b["lastFrameMs"]


@contextlib.contextmanager
def demo_page(args):
    """A Chromium page beside the demo app (started here unless --url names
    a running one), and the console and page errors it collects; both torn
    down on the way out."""
    proc = None if args.url else start_app(args.port)
    errors: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
            yield page, errors
            browser.close()
    finally:
        if proc is not None:
            stop_app(proc)


def base_url(args) -> str:
    return (args.url or f"http://localhost:{args.port}/").rstrip("/")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--port", type=int, default=8702)
    ap.add_argument("--url", default="", help="use a running demo app instead of starting one")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--inside", action="store_true", help="a real 8-run scene with Inside a step on")
    args = ap.parse_args()
    if args.inside:
        return inside_main(args)

    ws_bytes = [0]
    result: dict = {}
    with demo_page(args) as (page, errors):
        page.on(
            "websocket",
            lambda ws: ws.on("framereceived", lambda payload: ws_bytes.__setitem__(0, ws_bytes[0] + len(payload))),
        )

        t0 = time.perf_counter()
        page.goto(f"{base_url(args)}/?case=rosenbrock&steps={args.steps}")
        page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=60000)
        fr = player_frame(page)
        result["cold_load_s"] = round(time.perf_counter() - t0, 2)
        result["first_render_ms"] = round(stats(fr)["lastRenderMs"])
        result["bytes_first_load"] = ws_bytes[0]

        fps2, ms2 = count_fps(page, fr, args.seconds)
        result["fps_2d"] = round(fps2, 1)
        result["frame_ms_2d"] = round(ms2, 2)
        fr.evaluate("() => window.__player.setFront(3)")
        fps2f, ms2f = count_fps(page, fr, args.seconds)
        fr.evaluate("() => window.__player.setFront(3)")  # again: released
        result["fps_2d_front"] = round(fps2f, 1)
        result["frame_ms_2d_front"] = round(ms2f, 2)

        fr.click("#btn-3d")
        fr.wait_for_function(
            "() => window.__playerStats.view === '3d' && window.__player.S.stale3d === false", timeout=60000,
            polling=100,
        )
        page.wait_for_timeout(1500)  # first WebGL frames
        fps3, ms3 = count_fps(page, fr, args.seconds)
        result["fps_3d"] = round(fps3, 1)
        result["frame_ms_3d"] = round(ms3, 2)
        fr.click("#btn-2d")
        page.wait_for_timeout(500)

        # A new payload: the demo slider changes every label, so the server
        # sends the whole payload again.
        renders = stats(fr)["renders"]
        ws_bytes[0] = 0
        slider = page.locator(".st-key-scale [role=slider], .st-key-scale input[type=range]").first
        slider.focus()
        page.keyboard.press("ArrowRight")
        fr.wait_for_function(f"() => window.__playerStats.renders > {renders}", timeout=60000, polling=100)
        page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=60000)
        page.wait_for_timeout(300)
        s = stats(fr)
        result["bytes_per_render"] = ws_bytes[0]
        result["new_payload_render_ms"] = round(s["lastRenderMs"])
        result["new_payload_phases_ms"] = s.get("phases")

    result["console_errors"] = errors
    print(json.dumps(result, indent=2))
    ok = min(result["fps_2d"], result["fps_2d_front"]) >= 30 and result["fps_3d"] >= 15 and not errors
    return 0 if ok else 1


INSIDE_RUNS = ("sgd:lr=0.001", "momentum:lr=0.0005", "nesterov:lr=0.0005", "adam:lr=0.05", "rmsprop:lr=0.01",
               "adagrad:lr=0.5", "adamw:lr=0.05", "nadam:lr=0.05")


def payload_bytes(steps: int) -> dict:
    """The player's payload as JSON, with the overlays' numbers and without."""
    sys.path.insert(0, str(ROOT))
    from visualizer import Scene, simulate
    from visualizer.browser.payload import scene_payload, surface_payload
    from visualizer.core import landmarks

    scene = Scene.from_query(inside_scene(steps))
    result = simulate(scene)
    surface = surface_payload(scene.resolved_surface(), scene.surface_values(), landmarks.of(scene))
    size = lambda inside: len(json.dumps(scene_payload(result, surface, "q", inside=inside)))  # noqa: E731
    return {"payload_bytes": size(None), "payload_bytes_inside_off": size(False), "payload_bytes_inside_on": size(True)}


def inside_scene(steps: int) -> str:
    return f"surface=rosenbrock&steps={steps}&" + "&".join(f"run={r}" for r in INSIDE_RUNS)


def inside_main(args) -> int:
    from urllib.parse import quote

    result: dict = payload_bytes(args.steps)
    with demo_page(args) as (page, errors):
        page.goto(f"{base_url(args)}/?case=scene&inside=1&scene={quote(inside_scene(args.steps), safe='')}")
        page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=120000)
        fr = player_frame(page, 120)
        fr.wait_for_function("() => window.__player.inside.rule.renders > 0", timeout=60000, polling=100)
        fps, ms = count_fps(page, fr, args.seconds)
        result["fps_2d_inside"] = round(fps, 1)
        result["frame_ms_2d_inside"] = round(ms, 2)
        result["rule_ms"] = round(fr.evaluate("() => window.__player.inside.rule.lastMs"), 1)
        fr.evaluate("() => window.__player.setFront(3)")  # Adam: the box too
        fps, ms = count_fps(page, fr, args.seconds)
        result["fps_2d_inside_adam_front"] = round(fps, 1)
        result["frame_ms_2d_inside_adam_front"] = round(ms, 2)
        result["drawn"] = fr.evaluate("() => window.__player.inside.stats.drawn")
    result["console_errors"] = errors
    print(json.dumps(result, indent=2))
    ok = min(result["fps_2d_inside"], result["fps_2d_inside_adam_front"]) >= 30 and not errors
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
