"""What the exported pictures port from the player, checked against the
player itself in Chromium on shared fixtures (tests/data/ported_functions.json):
the number formatting (numbers.js: fmt, tickText, linearTicks, against
visualizer/export/numbers.py), the colour scale (contour.js scaleColor,
against visualizer/export/style.py) on every scale of the style table, the
bands of a drawn surface, and the presentation table merged as marks.js
merges it (against visualizer/browser/style.py).

The player runs in an exported HTML file, offline: no server to start.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from pages import open_offline

from visualizer import Scene, export
from visualizer.browser import style as player_style
from visualizer.export import numbers
from visualizer.export.style import band_colors, scale_color

pytestmark = pytest.mark.browser

CASES = json.loads((Path(__file__).resolve().parents[1] / "data" / "ported_functions.json").read_text())
SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
# Every colour scale of the style table, by where it is.
SCALES = {"contour.scale": player_style.contour()["scale"], "contour.scale3d": player_style.contour()["scale3d"],
          "normal.explore.scale": player_style.marks()["explore"]["scale"]}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    path = tmp_path_factory.mktemp("ported") / "scene.html"
    path.write_bytes(export.html_bytes(Scene.from_query("surface=himmelblau&steps=10&run=adam:lr=0.1")))
    return path


@pytest.fixture
def player(offline_page, exported):
    open_offline(offline_page, exported)
    return offline_page


def in_player(page, script: str, arg):
    """`script` (a JS function of the player `P`, the inputs and a decoder
    of "nan"/"inf"/"-inf") run in the page on `arg`."""
    return page.evaluate(f"""(arg) => {{
      const P = window.__player;
      const num = (v) => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v);
      return ({script})(arg);
    }}""", arg)


def test_fmt_writes_numbers_as_the_player_does(player):
    theirs = in_player(player, "(xs) => xs.map((x) => P.numbers.fmt(num(x)))", CASES["fmt"])
    ours = [numbers.fmt(SPECIAL.get(x, x)) for x in CASES["fmt"]]
    assert ours == theirs, [(x, a, b) for x, a, b in zip(CASES["fmt"], ours, theirs, strict=True) if a != b]


def test_tick_text_as_the_player_does(player):
    theirs = in_player(player, "(cs) => cs.map(([v, p]) => P.numbers.tickText(v, p))", CASES["tick_text"])
    ours = [numbers.tick_text(v, use_plain) for v, use_plain in CASES["tick_text"]]
    assert ours == theirs, [(c, a, b) for c, a, b in zip(CASES["tick_text"], ours, theirs, strict=True) if a != b]


def test_linear_ticks_as_the_player_does(player):
    theirs = in_player(player, "(cs) => cs.map(([lo, hi, n]) => { const t = P.numbers.linearTicks(lo, hi, n); "
                               "return [t.tickvals || [], t.ticktext || []]; })", CASES["linear_ticks"])
    for (lo, hi, most), (values, labels) in zip(CASES["linear_ticks"], theirs, strict=True):
        ours_values, ours_labels = numbers.linear_ticks(lo, hi, most)
        assert ours_labels == labels, (lo, hi, most)
        assert ours_values == pytest.approx(values, rel=1e-12, abs=1e-300), (lo, hi, most)


@pytest.mark.parametrize("where", SCALES)
def test_colour_scales_as_the_player_interpolates_them(player, where):
    scale = SCALES[where]
    theirs = in_player(player, "([scale, ts]) => ts.map((t) => P.scaleColor(scale, t))", [scale, CASES["scale_color"]])
    ours = [list(scale_color(scale, t)) for t in CASES["scale_color"]]
    assert ours == theirs


def test_the_bands_of_a_drawn_surface_are_the_pictures_bands(player):
    drawn = in_player(player, "() => ({n: P.S.d.nLevels, bands: P.S.d.bands})", None)
    assert drawn["n"] == player_style.contour()["bands"]
    assert [list(c) for c in band_colors(drawn["n"])] == drawn["bands"]


def test_the_style_tables_merge_as_the_players(player):
    styles = in_player(player, "() => P.styles", None)
    assert styles["normal"] == player_style.marks(False)
    assert styles["present"] == player_style.marks(True)
