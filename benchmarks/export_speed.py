"""How fast and how big are the exports? Eight runs of 1000 steps on
Rosenbrock, with the defaults (15 fps x 6 s, 640 px).

    python benchmarks/export_speed.py            # 3 cold processes, then the parts
    python benchmarks/export_speed.py --quick    # 1 cold process

Measures, with time.perf_counter:

1. cold, end to end: `python -m visualizer export <scene> --format gif` in
   a fresh interpreter, as a user runs it: start-up, imports (JAX,
   matplotlib), the simulation (programs compiled, or read from JAX's
   persistent cache where one is configured), drawing, encoding, writing.
   The budget: under 10 s. Then the same for the HTML and a PNG.
2. warm, in this process, by part: simulate, the surface payload, the
   background (figure, contour, legend), one frame, the whole GIF; the
   GIF at other widths; the PNG.
3. sizes: the GIF (bytes, frames, pixels) and the HTML page (bytes, and how
   much of it is plotly.js, the player's modules and the payload).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCENE = ("surface=rosenbrock&steps=1000&run=sgd:lr=0.001&run=momentum:lr=0.001&run=nesterov:lr=0.001"
         "&run=adam:lr=0.05&run=rmsprop:lr=0.01&run=adagrad:lr=0.3&run=adamw:lr=0.05&run=lion:lr=0.01")


def cold(fmt: str, repeats: int) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeats):
            out = os.path.join(folder, "scene." + fmt)
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "visualizer", "export", SCENE, "--format", fmt,
                                   "--out", out], cwd=ROOT, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            if done.returncode != 0:
                raise SystemExit(f"export {fmt} failed: {done.stderr.strip()}")
    return times


def timed(fn, repeats: int = 1):
    best, value = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one cold process per format")
    parser.add_argument("--repeats", type=int, default=3, help="cold processes per format (default 3)")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats

    print(f"scene: {SCENE}\nmachine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}\n")
    print("1. cold, end to end (a fresh `python -m visualizer export`)")
    for fmt in ("gif", "html", "png"):
        times = cold(fmt, repeats)
        budget = "   (budget 10 s)" if fmt == "gif" else ""
        print(f"   {fmt:4}  median {statistics.median(times):5.2f} s   best {min(times):5.2f} s{budget}")

    from PIL import Image

    from visualizer import Scene, export, simulate
    from visualizer.export import (
        drawing,
        html,
        limits,
        scene_data,
    )

    scene = Scene.from_query(SCENE)
    simulate(scene)  # compiled
    print("\n2. warm, in one process")
    t_sim, result = timed(lambda: simulate(scene), 5)
    t_load, data = timed(lambda: scene_data.load(scene, result), 3)
    t_bg, picture = timed(lambda: drawing.Drawing(data, 640), 3)
    steps = limits.frame_steps(picture.last, limits.DEFAULT_FPS, limits.DEFAULT_SECONDS)
    t_frames, _ = timed(lambda: [picture.frame(k) for k in steps])
    t_gif, gif = timed(lambda: export.gif_bytes(scene, result=result), 3)
    print(f"   simulate                 {t_sim * 1000:7.1f} ms")
    print(f"   surface payload          {t_load * 1000:7.1f} ms")
    print(f"   background (640 px)      {t_bg * 1000:7.1f} ms")
    print(f"   one frame (640 px)       {t_frames / len(steps) * 1000:7.1f} ms   x {len(steps)} frames")
    print(f"   whole GIF (640 px)       {t_gif * 1000:7.1f} ms")
    for width in (1280, 1600):
        t, _ = timed(lambda width=width: export.gif_bytes(scene, width=width, result=result))
        print(f"   whole GIF ({width} px)      {t * 1000:7.1f} ms")
    t_png, _ = timed(lambda: export.png_bytes(scene, result=result), 3)
    print(f"   PNG (640 px)             {t_png * 1000:7.1f} ms")
    t_html, page = timed(lambda: export.html_bytes(scene, result=result), 3)
    print(f"   HTML                     {t_html * 1000:7.1f} ms")

    image = Image.open(io.BytesIO(gif))
    plotly = (html.FRONTEND / html.PLOTLY).stat().st_size
    modules = sum(len(s.encode()) for s in html.modules().values())
    payload = len(html._payload_script(data.payload()))
    print("\n3. sizes")
    print(f"   GIF   {len(gif) / 1e6:6.2f} MB   {image.n_frames} frames of {image.size[0]} x {image.size[1]} px")
    print(f"   HTML  {len(page) / 1e6:6.2f} MB   (limit 10 MB): plotly.js {plotly / 1e6:.2f} MB, "
          f"modules {modules / 1e3:.0f} kB ({modules * 4 / 3 / 1e3:.0f} kB as data: URLs), "
          f"payload {payload / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
