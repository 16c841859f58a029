"""The dynamics in a real browser, presented at 1280 x 720 (`streamlit run
app.py` and Chromium): the sharpness panel with its stability line, a run
beside its continuous-time flow, a cloud of noisy copies and a fair race,
each from its lesson's link with `present=1`.

What only a browser shows: that the stability line is in its panel's range
and drawn over a halo (it shows where the sharpness swings across it), that
a decaying rate's 2/lr does not squash the panel, that the flow's "leaves
its flow" label and the race's axis title fit their plots, that the legend
says what the dotted line and the shaded boxes are. Screenshots go to
artifacts/screens/dynamics-*.png.
"""

from __future__ import annotations

import math

import pytest
from pages import IDLE, player_frame, player_stats, wait_until

from visualizer.core.lessons import LESSONS

pytestmark = pytest.mark.browser

SCREEN = {"width": 1280, "height": 720}
EDGE = "lesson=edge-of-stability&present=1&step=600"
FLOW = LESSONS["edge-of-stability"].step_query(3) + "&present=1&step=60"
FLOW_STOPS = "surface=custom&f=x-y&start=0.5,0.5&steps=2000&run=sgd:lr=0.01&flow=1&present=1&step=2000"
CLOUD = "lesson=noise&present=1&autoplay=0&step=300"
RACE = "lesson=fair-race&present=1&step=300"
EXPLORE_READY_JS = """() => !!(window.__player && window.__player.explore && window.__player.explore.loads > 0
  && window.__player.explore.renders > 0)"""


def presented(page, server, query: str):
    page.set_viewport_size(SCREEN)
    page.goto(server.url + "?" + query)
    page.wait_for_selector(IDLE, state="attached", timeout=180_000)
    frame = player_frame(page, timeout_s=180)
    assert player_stats(frame)["present"]
    return frame


def shot(page, screens, name: str) -> None:
    page.wait_for_timeout(300)
    page.screenshot(path=str(screens / f"dynamics-{name}.png"))


def side_axis(frame, series: str) -> dict:
    """The side chart's y axis that draws `series` (a trace's meta[1]):
    its range (log10 on a log axis) and its type."""
    return frame.evaluate("""(series) => { const gd = document.getElementById('plotside');
        const t = gd.data.find((x) => x.meta && x.meta[1] === series && x.meta[2] === undefined);
        const ax = gd._fullLayout['yaxis' + (t.yaxis === 'y' ? '' : t.yaxis.slice(1))];
        return {range: ax.range.slice(), type: ax.type}; }""", series)


def traces(frame, series: str, halo: bool = False) -> list[list[float]]:
    return frame.evaluate("""([series, halo]) => document.getElementById('plotside').data
        .filter((t) => t.meta && t.meta[1] === series && (t.meta[2] === 'halo') === halo)
        .map((t) => Array.from(t.y))""", [series, halo])


def the_flow_label(frame) -> str:
    """The one label the flows drew, checked to lie within the plot."""
    (label,) = frame.evaluate("() => window.__player.dynamics.flowLabels")
    g = label["plot"]
    assert g["L"] - 1 <= label["left"] and label["right"] <= g["L"] + g["W"] + 1, label
    assert g["T"] - 1 <= label["top"] and label["bottom"] <= g["T"] + g["H"] + 1, label
    return label["text"]


def legend_marks(frame) -> str:
    return frame.locator("#legend-marks").inner_text()


def within_plot_height(frame, selector: str) -> bool:
    """Whether the element (in the explore panel's figure) lies within the
    height of that figure's plot area."""
    return frame.evaluate("""(sel) => { const n = document.querySelector(sel); if (!n) return false;
        const gd = document.getElementById('explore-plot'), size = gd._fullLayout._size;
        const top = gd.getBoundingClientRect().top + size.t, b = n.getBoundingClientRect();
        return b.top >= top - 1 && b.bottom <= top + size.h + 1; }""", selector)


def test_the_sharpness_panel_holds_the_network_at_its_stability_line(page, app_server, screens):
    frame = presented(page, app_server, EDGE)
    (limit,) = traces(frame, "sharplimit")
    assert all(math.isclose(v, 0.5, rel_tol=1e-5) for v in limit), "2/lr at lr 4"
    assert traces(frame, "sharplimit", halo=True) == [limit], "the line is drawn over its halo"
    axis = side_axis(frame, "sharp")
    assert axis["type"] == "log" and axis["range"][0] < math.log10(0.5) < axis["range"][1]
    (sharpness,) = traces(frame, "sharp")
    late = [v for v in sharpness[300:] if v == v]
    assert late and min(late) < 0.5 < max(late), "the sharpness swings across its line"
    shot(page, screens, "sharpness")
    assert page.problems == [], page.problems


def test_a_run_beside_its_flow_says_where_it_leaves_it(page, app_server, screens):
    frame = presented(page, app_server, FLOW)
    assert "flows" in player_stats(frame)["layers"]
    assert "continuous-time flow" in legend_marks(frame)
    runs = frame.evaluate("() => window.__player.S.d.runs.map((r) => [r.label, r.leavesFlow, !!r.flow])")
    assert runs == [["lr 0.02", None, True], ["lr 0.19", 1, True]]
    assert the_flow_label(frame) == "leaves its flow at step 1"
    shot(page, screens, "flow")
    assert page.problems == [], page.problems


def test_a_flow_that_stops_short_says_why_at_the_plots_edge(page, app_server, screens):
    """On a plane the flow leaves the window and its solve stops a window's
    size outside it: the player says so where the flow leaves the plot."""
    frame = presented(page, app_server, FLOW_STOPS)
    (stops,) = frame.evaluate("() => window.__player.S.d.runs.map((r) => [r.flowStopsAt, r.flowStop])")
    assert stops[0] > 0 and stops[1] == "it left the window"
    assert the_flow_label(frame) == "its flow stops: it left the window"
    shot(page, screens, "flow-stops")
    assert page.problems == [], page.problems


def test_a_cloud_and_a_decaying_rate_keep_the_sharpness_readable(page, app_server, screens):
    frame = presented(page, app_server, CLOUD)
    assert "clouds" in player_stats(frame)["layers"]
    assert "middle 80% of the copies" in legend_marks(frame)
    # the cosine run's 2/lr grows to 10^6 as its rate decays: it leaves the panel at the top, and the
    # sharpness (10 everywhere on this bowl) and the constant runs' 2/lr = 40 keep their room
    low, high = side_axis(frame, "sharp")["range"]
    assert low < 1 < math.log10(40) < high < 3, (low, high)
    shot(page, screens, "cloud")
    assert page.problems == [], page.problems


def test_a_race_plays_its_runs_at_their_best_and_its_axes_fit(page, app_server, screens):
    frame = presented(page, app_server, RACE)
    wait_until(page, lambda: frame.evaluate(EXPLORE_READY_JS), "the race did not draw", timeout_s=120)
    assert frame.evaluate("() => window.__player.explore.kind") == "race"
    ticks = frame.evaluate("() => [...document.querySelectorAll('#explore-plot .xtick text')].map((t) => t.textContent)")
    assert ticks == ["1", "17", "32"], ticks
    assert within_plot_height(frame, "#explore-plot .ytitle"), "the y axis's title fits the plot's height"
    shot(page, screens, "race")
    assert page.problems == [], page.problems
