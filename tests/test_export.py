"""Exports (visualizer.export, `python -m visualizer export`): the offline
HTML page's contents and size, the GIF's frames, size and timing, the PNG's
size and colours, the player's style table (style.json) holding what the
pictures draw with, and every mistake a user can make: one line, exit 2,
nothing written.

The HTML page is seen to play in Chromium in tests/browser/test_export_offline.py;
what the pictures port from the player is checked against it in
tests/browser/test_ported_functions.py.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

from visualizer import Scene, export, simulate
from visualizer.browser import player_files
from visualizer.browser import style as player_style
from visualizer.browser.overlays import overlays_payload
from visualizer.browser.payload import PALETTE
from visualizer.cli import main
from visualizer.export import (
    drawing,
    html,
    limits,
    pictures,
    scene_data,
    style,
)
from visualizer.export.limits import ExportError

ROOT = Path(__file__).resolve().parents[1]
SMALL = "surface=rosenbrock&start=-1.5,2&steps=40&run=sgd:lr=0.001&run=adam:lr=0.05,label=a%2Cb"
# eight runs of 1000 steps: the size and speed docs/exports.md states
BIG = ("surface=rosenbrock&steps=1000&run=sgd:lr=0.001&run=momentum:lr=0.001&run=nesterov:lr=0.001"
       "&run=adam:lr=0.05&run=rmsprop:lr=0.01&run=adagrad:lr=0.3&run=adamw:lr=0.05&run=lion:lr=0.01")
# three runs that end apart from each other and from every mark
APART = ("surface=himmelblau&steps=12&run=sgd:lr=0.001,x0=-1,y0=-1&run=sgd:lr=0.001,x0=1,y0=4"
         "&run=sgd:lr=0.001,x0=4,y0=-4")


def rgb(color: str) -> np.ndarray:
    return np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])


@pytest.fixture(scope="module")
def big_scene():
    scene = Scene.from_query(BIG)
    return scene, simulate(scene)


# ------------------------------------------------------------------- style
def test_the_style_table_holds_what_the_pictures_draw_with():
    for mode in ("normal", "present"):
        style.require(player_style.marks(mode == "present"), *drawing.NEEDED)
    normal, present = player_style.marks(False), player_style.marks(True)
    # spot checks against the file's own text
    assert f'"head": {{ "r": {normal["head"]["r"]},' in (player_files.FRONTEND / "style.json").read_text()
    assert present["font"]["tick"] >= 18 and present["run"]["width"] > normal["run"]["width"]
    assert present["minimum"]["stroke"] == normal["minimum"]["stroke"]  # merged, not replaced
    assert len(normal["run"]["dashes"]) == len(present["run"]["dashes"]) >= len(PALETTE)


def test_contour_colours_are_the_style_tables():
    contour = player_style.contour()
    stops, mask, levels = contour["scale"], contour["mask"], contour["bands"]
    assert stops[0][0] == 0 and stops[-1][0] == 1 and all(c.startswith("#") for _, c in stops)
    assert len(mask) == 3 and levels >= 8
    assert style.band_colors(2) == [style.scale_color(stops, 0.25), style.scale_color(stops, 0.75)]


def test_require_names_a_missing_value():
    value = {"a": 1, "e": None, "f": {"g": "h"}}
    style.require(value, "a", "f.g")
    with pytest.raises(style.StyleError, match="e is missing"):
        style.require(value, "a", "e")
    with pytest.raises(style.StyleError, match="f is missing or not a plain value"):
        style.require(value, "f")


# ------------------------------------------------------------------ limits
@pytest.mark.parametrize(("last", "fps", "seconds", "count"), [
    (1000, 15, 6, 90), (1000, 30, 30, 900), (1000, 1, 1, 1), (40, 15, 6, 41), (5, 30, 2.5, 6), (0, 15, 6, 1),
])
def test_frame_steps(last, fps, seconds, count):
    steps = limits.frame_steps(last, fps, seconds)
    assert len(steps) == count
    assert steps[-1] == last and (count == 1 or steps[0] == 0)
    assert all(b > a for a, b in zip(steps, steps[1:], strict=False))


@pytest.mark.parametrize(("count", "seconds"), [(90, 6), (900, 30), (7, 1), (41, 6), (1, 1.5)])
def test_frame_durations_add_up_in_hundredths(count, seconds):
    durations = limits.frame_durations(count, seconds)
    assert len(durations) == count
    assert sum(durations) == round(seconds * 1000)
    assert all(d % 10 == 0 and d >= 20 for d in durations)


@pytest.mark.parametrize(("check", "value"), [
    (limits.fps, 0), (limits.fps, 31), (limits.fps, 2.5), (limits.fps, True), (limits.fps, "15"),
    (limits.seconds, 0.5), (limits.seconds, 31), (limits.seconds, float("nan")), (limits.seconds, None),
    (limits.width, 199), (limits.width, 1601), (limits.width, 640.5),
])
def test_limits_refuse_with_one_line(check, value):
    with pytest.raises(ExportError) as info:
        check(value)
    message = str(info.value)
    assert "\n" not in message and str(value) in message and " to " in message


def test_limits_accept_their_bounds():
    assert limits.fps(1) == 1 and limits.fps(30) == 30 and limits.fps(15.0) == 15
    assert limits.seconds(1) == 1 and limits.seconds(30) == 30 and limits.seconds(2.5) == 2.5
    assert limits.width(200) == 200 and limits.width(1600) == 1600
    assert limits.step(0, 40) == 0 and limits.step(40, 40) == 40
    with pytest.raises(ExportError, match="0 to 40"):
        limits.step(41, 40)


def test_api_checks_before_simulating(monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("simulated before checking")

    monkeypatch.setattr(scene_data, "load", no_work)
    scene = Scene.from_query(SMALL)
    for call in (lambda: export.gif_bytes(scene, fps=0), lambda: export.gif_bytes(scene, width=5000),
                 lambda: export.png_bytes(scene, step=41), lambda: export.export_bytes(scene, "svg")):
        with pytest.raises(ExportError):
            call()


# -------------------------------------------------------------------- html
def payload_of(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="player-payload">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def test_html_holds_the_pages_payload_without_an_address():
    scene = Scene.from_query(SMALL)
    page = export.html_bytes(scene).decode()
    data = scene_data.load(scene)
    assert payload_of(page) == json.loads(json.dumps(data.payload()))
    assert payload_of(page)["query"] is None  # the player writes no address offline
    assert f'content="{scene.to_query().replace("&", "&amp;")}"' in page


def inflated(page: str) -> dict[str, bytes]:
    """The classic scripts the page carries deflated, by name."""
    blocks = re.findall(rf'<script type="{re.escape(html.DEFLATED)}" data-name="([^"]+)">([^<]*)</script>', page)
    return {name: zlib.decompress(base64.b64decode(data)) for name, data in blocks}


def test_html_fetches_nothing():
    page = export.html_bytes(Scene.from_query(SMALL)).decode()
    # no element loads anything from an address: every src is a data: URL, no <link>
    assert re.findall(r'\bsrc="(?!data:)', page) == []
    assert "<link" not in page.lower()
    imports = json.loads(re.search(r'<script type="importmap">(.*?)</script>', page, re.S).group(1))["imports"]
    assert all(url.startswith("data:text/javascript;base64,") for url in imports.values())
    # every module the player imports is in the map, under its bare name
    modules = html.modules()
    assert set(imports) == {"player/" + name for name in modules}
    for source in modules.values():
        assert not re.search(r"""\b(?:from|import)\s*\(?\s*["']\./""", source)
    assert 'await import("player/main.js")' in page
    # the classic scripts inside, deflated: plotly.js and KaTeX, whole
    scripts = inflated(page)
    plotly = scripts["vendor/plotly-gl3d.min.js"]
    assert b"Plotly" in plotly and b"plotly.js" in plotly.lower()
    assert scripts == {name: player_files.read_bytes(name) for name in player_files.manifest().scripts}
    # the stylesheets' only addresses are data: URLs, every KaTeX font among them
    urls = re.findall(r"url\(([^)]*)\)", page)
    assert urls and all(url.startswith("data:font/woff2;base64,") for url in urls)
    assert len(set(urls)) == len(player_files.manifest().fonts)


def test_html_modules_are_the_players_frontend_files():
    assert list(html.modules()) == list(player_files.manifest().modules)


def test_html_offers_inside_a_step_with_every_steps_numbers():
    scene = Scene.from_query(SMALL)
    payload = payload_of(export.html_bytes(scene).decode())
    assert payload["inside"]["on"] is False  # offered, off until the viewer turns it on
    assert payload["inside"]["overlays"] == overlays_payload()  # what the player draws them from
    assert all(run["inside"]["rule"]["lines"] for run in payload["runs"])  # no server to send them later
    network = payload_of(export.html_bytes(Scene.from_query("surface=mlp&steps=5")).decode())
    assert "inside" not in network and all("inside" not in run for run in network["runs"])


def test_html_carries_the_style_table():
    page = export.html_bytes(Scene.from_query(SMALL)).decode()
    table = re.search(r'<script type="application/json" id="player-style">(.*?)</script>', page, re.S).group(1)
    assert json.loads(table) == player_style.table()


def test_html_keeps_a_label_from_closing_its_script():
    scene = Scene.from_query("surface=booth&steps=5&run=sgd:lr=0.01,label=%3C%2Fscript%3E%3Cb%3Ex")
    page = export.html_bytes(scene).decode()
    assert "</script><b>" not in page
    assert payload_of(page)["runs"][0]["label"] == "</script><b>x"


def test_html_of_eight_runs_of_1000_steps_is_under_10_mb(big_scene):
    scene, result = big_scene
    size = len(export.html_bytes(scene, result=result))
    assert size < 10_000_000, size
    assert size < 3_000_000, size  # today ~2.2 MB: plotly.js 0.7 MB deflated, KaTeX 0.5 MB, the data ~0.6 MB


# --------------------------------------------------------------------- gif
def gif_frames(data: bytes) -> tuple[Image.Image, list[Image.Image]]:
    image = Image.open(io.BytesIO(data))
    return image, [frame.convert("RGB") for frame in ImageSequence.Iterator(image)]


def test_gif_frame_count_size_and_duration_for_eight_runs_of_1000(big_scene):
    scene, result = big_scene
    cpu = time.process_time()
    data = export.gif_bytes(scene, fps=15, seconds=6, width=640, result=result)
    elapsed = time.process_time() - cpu
    image, frames = gif_frames(data)
    assert image.format == "GIF" and image.info.get("loop") == 0
    assert image.n_frames == 90 == len(frames)
    assert image.size[0] == 640 and 400 < image.size[1] < 900
    assert sum(f.info["duration"] for f in ImageSequence.Iterator(Image.open(io.BytesIO(data)))) == 6000
    assert elapsed < 20, f"{elapsed:.1f} s of CPU (benchmarks/export_speed.py times it against the budget)"


def test_gif_has_fewer_frames_when_the_scene_has_fewer_steps():
    scene = Scene.from_query(SMALL)  # 40 steps: 41 frames, not 15 x 6
    image, frames = gif_frames(export.gif_bytes(scene, fps=15, seconds=6, width=320))
    assert image.n_frames == 41
    assert image.size[0] == 320
    assert sum(f.info["duration"] for f in ImageSequence.Iterator(image)) == 6000


@pytest.mark.parametrize("width", [200, 777, 1600])
def test_gif_width_is_exact(width):
    image, _ = gif_frames(export.gif_bytes(Scene.from_query(SMALL), fps=2, seconds=1, width=width))
    assert image.size[0] == width and image.n_frames == 2


def test_gif_frames_are_the_pictures_of_their_steps():
    scene = Scene.from_query(SMALL)
    _, frames = gif_frames(export.gif_bytes(scene, fps=4, seconds=1, width=480))
    for frame, step in zip(frames, limits.frame_steps(40, 4, 1), strict=True):
        png = np.asarray(Image.open(io.BytesIO(export.png_bytes(scene, step=step, width=480))).convert("RGB"))
        diff = np.abs(np.asarray(frame).astype(int) - png.astype(int)).max(axis=2)
        assert (diff > 48).mean() < 0.002, step  # the same picture, in 255 colours


# --------------------------------------------------------------------- png
def end_pixels(scene: Scene, width: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The PNG of the last step and each run's end point in its pixels."""
    data = scene_data.load(scene)
    d = drawing.Drawing(data, width)
    picture = np.asarray(Image.open(io.BytesIO(pictures.png(data, None, width))).convert("RGB"))
    height = picture.shape[0]
    ends = []
    for run in data.result.runs:
        px, py = d.ax.transData.transform(run.xy[-1].astype(float))
        ends.append((int(round(height - py)), int(round(px))))
    return picture, ends


def near(picture: np.ndarray, at: tuple[int, int], color: str, radius: int = 5) -> float:
    """The smallest colour distance to `color` within `radius` px of `at`."""
    r, c = at
    patch = picture[max(0, r - radius):r + radius + 1, max(0, c - radius):c + radius + 1].astype(int)
    return float(np.min(np.linalg.norm(patch - rgb(color), axis=2)))


def test_png_shows_each_runs_colour_at_its_end_point():
    scene = Scene.from_query(APART)
    picture, ends = end_pixels(scene, 640)
    assert picture.shape[1] == 640
    for i, at in enumerate(ends):
        assert near(picture, at, PALETTE[i]) < 12, (i, at)
        for j in range(len(ends)):
            if j != i:
                assert near(picture, at, PALETTE[j], radius=3) > 60, (i, j)  # ends apart: no other colour


def test_png_leaves_out_a_hidden_run():
    picture, ends = end_pixels(Scene.from_query(APART + "&hide=2"), 640)
    assert near(picture, ends[0], PALETTE[0]) < 12
    assert near(picture, ends[1], PALETTE[1], radius=8) > 60


def test_png_step_and_the_scenes_own_step():
    scene = Scene.from_query(SMALL)
    last, first = export.png_bytes(scene), export.png_bytes(scene, step=0)
    assert last != first
    assert export.png_bytes(Scene.from_query(SMALL + "&step=0")) == first
    assert export.png_bytes(Scene.from_query(SMALL + "&step=0"), step=40) == last
    assert Image.open(io.BytesIO(last)).format == "PNG"


@pytest.mark.parametrize("query", [
    "surface=saddle&steps=30&run=newton:lr=1&run=sgd:lr=0.05",                # saddles, a linear scale
    "surface=quadratic&steps=20&run=sgd:lr=0.5&run=sgd:lr=0.05",              # a run diverges
    "surface=custom&f=log(x)%2By^2&start=2,1&steps=30&run=adam:lr=0.1",       # holes where f is not finite
    "surface=booth:window=-10,10,-2,2&start=-8,1&steps=30&run=adam:lr=0.5",  # wide window, a head outside
    "surface=rastrigin&steps=30&run=adam:lr=0.1&present=1",                   # presentation sizes
])
def test_png_of_every_kind_of_scene(query):
    image = Image.open(io.BytesIO(export.png_bytes(Scene.from_query(query), width=400)))
    assert image.size[0] == 400 and image.size[1] > 200


# --------------------------------------------------------------------- cli
def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_writes_each_format(capsys, tmp_path):
    for name, check in (("a.html", lambda b: b.startswith(b"<!doctype html>")),
                        ("a.gif", lambda b: Image.open(io.BytesIO(b)).n_frames == 8),
                        ("a.png", lambda b: Image.open(io.BytesIO(b)).size[0] == 300)):
        target = tmp_path / name
        extra = ["--fps", "8", "--seconds", "1", "--width", "240"] if name.endswith("gif") else []
        extra += ["--width", "300", "--step", "3"] if name.endswith("png") else []
        code, out, err = run_cli(capsys, "export", SMALL, "--out", str(target), *extra)
        assert code == 0 and err == "" and out == "", err
        assert check(target.read_bytes()), name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif", "a.html", "a.png"]


def test_cli_format_beats_the_extension(capsys, tmp_path):
    target = tmp_path / "picture.bin"
    code, _, err = run_cli(capsys, "export", SMALL, "--format", "png", "--out", str(target))
    assert code == 0, err
    assert Image.open(target).format == "PNG"


def assert_one_error_line(code, err, *words):
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], err


@pytest.mark.parametrize(("argv", "words"), [
    (["--format", "svg", "--out", "x.svg"], ["svg", "html"]),
    (["--out", "x.jpg"], ["--format", ".gif"]),
    (["--out", "x.gif", "--fps", "0"], ["--fps 0", "1 to 30"]),
    (["--out", "x.gif", "--fps", "31"], ["--fps 31", "1 to 30"]),
    (["--out", "x.gif", "--fps", "abc"], ["--fps"]),
    (["--out", "x.gif", "--seconds", "0.5"], ["--seconds 0.5", "1 to 30"]),
    (["--out", "x.gif", "--seconds", "inf"], ["--seconds inf"]),
    (["--out", "x.gif", "--width", "100"], ["--width 100", "200 to 1600"]),
    (["--out", "x.png", "--width", "1601"], ["--width 1601", "200 to 1600"]),
    (["--out", "x.png", "--step", "41"], ["--step 41", "0 to 40"]),
    (["--out", "x.png", "--step", "-1"], ["--step -1"]),
    (["--out", "x.png", "--fps", "10"], ["--fps", "not used by --format png"]),
    (["--out", "x.html", "--width", "300"], ["--width", "not used by --format html"]),
    (["--out", "x.gif", "--step", "3"], ["--step", "not used by --format gif"]),
    ([], ["--out"]),
])
def test_cli_bad_input_is_one_line_and_nothing_written(capsys, tmp_path, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "export", SMALL, *argv)
    assert_one_error_line(code, err, *words)
    assert out == "" and list(tmp_path.iterdir()) == []


def test_cli_unwritable_paths(capsys, tmp_path):
    code, _, err = run_cli(capsys, "export", SMALL, "--out", str(tmp_path / "missing" / "a.gif"))
    assert_one_error_line(code, err, "does not exist")
    code, _, err = run_cli(capsys, "export", SMALL, "--out", str(tmp_path))
    assert_one_error_line(code, err, "is a directory")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        code, _, err = run_cli(capsys, "export", SMALL, "--out", str(locked / "a.png"))
        assert_one_error_line(code, err, "not writable")


def test_cli_bad_scene_and_a_failing_export_leave_the_old_file(capsys, tmp_path, monkeypatch):
    target = tmp_path / "keep.gif"
    target.write_bytes(b"old")
    code, _, err = run_cli(capsys, "export", "surface=nope", "--out", str(target))
    assert_one_error_line(code, err, "surface")

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(export, "export_bytes", broken)
    code, _, err = run_cli(capsys, "export", SMALL, "--out", str(target))
    assert code == 1 and err.count("\n") == 1 and "disk on fire" in err
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.gif"]  # no temporary file left


def test_cli_help_names_the_limits(capsys):
    code, out, _ = run_cli(capsys, "export", "--help")
    assert code == 0
    for text in ("--fps 1 to 30", "--seconds 1 to 30", "200 to 1600", "--step 0 to", "html", "gif", "png"):
        assert text in " ".join(out.split()), text


def test_a_network_scene_exports_its_plane():
    """surface=mlp has no f(x, y): its pictures and page draw the plane of its runs."""
    from visualizer import export

    scene = Scene.from_query("surface=mlp&steps=40")
    png = export.png_bytes(scene, width=320)
    assert png.startswith(b"\x89PNG")
    html = export.html_bytes(scene)
    assert b"plane of run 1" in html
