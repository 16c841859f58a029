"""A network scene in a real browser: the data panel, the decision boundary
following the scrubber, the accuracy curves, the plane's explained variance.

Most cases use `tests/browser/player_demo_app.py` (`case=model`: a made-up
network scene whose numbers are known here: two moons, 200 training points
of which 50 have no label, each run's boundary turning from a tilted line to
the moons' wave, accuracies rising from 50% to 97%, the plane explaining
80% + 17%; `init=zeros`: P(class 1) = 1/2 everywhere, accuracies 50%, every
gradient 0). One case runs the real page (`streamlit run app.py`) on a small
`surface=mlp` scene, end to end.
"""

from __future__ import annotations

import re

import pytest
from pages import open_demo

pytestmark = pytest.mark.browser

CLASS0, CLASS1, UNLABELLED = (0x5E, 0x3C, 0x99), (0xE6, 0x61, 0x01), (0xB3, 0xB8, 0xBF)  # marks.js `data`
SHADE = 0.3  # marks.js `data.shade`: the shading where the network is sure


def shade(colour) -> tuple[float, ...]:
    return tuple(255 + (c - 255) * SHADE for c in colour)


def nearer(rgb, colour, other) -> bool:
    """`rgb` is `colour`'s full shading, well apart from `other`'s."""
    d = [sum((a - b) ** 2 for a, b in zip(rgb, shade(c), strict=True)) ** 0.5 for c in (colour, other)]
    return d[0] < 6 and d[1] > 30


def scrub(frame, k: int) -> None:
    """Move the scrubber to step k, as a drag does (an input event)."""
    frame.evaluate("""(k) => { const s = document.getElementById('scrub'); s.value = String(k);
        s.dispatchEvent(new Event('input', {bubbles: true})); }""", k)
    frame.wait_for_function("(k) => window.__playerStats.step === k", arg=k)
    # (then two animation frames: whatever the step draws is drawn)
    frame.evaluate("() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)))")


def model_stats(frame) -> dict:
    return frame.evaluate("() => JSON.parse(JSON.stringify(window.__player.model))")


def corner(frame) -> tuple[float, float]:
    """A place of the data window no point covers: halfway into its padding,
    at the bottom left."""
    return tuple(frame.evaluate("""() => { const [[x0, x1], [y0, y1]] = window.__model.state.m.window;
        return [x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)]; }"""))


def pixel(frame, x: float, y: float) -> list[int]:
    return frame.evaluate("([x, y]) => window.__model.pixel(x, y)", [x, y])


def panel_titles(frame) -> list[str]:
    return frame.evaluate("""() => [...document.querySelectorAll('#plotside .annotation-text')]
        .map((a) => a.textContent)""")


def side_traces(frame, kind: str) -> list[list[float]]:
    """The y values of the side charts' traces of one kind ("acc", "testacc", "loss", ...)."""
    return frame.evaluate("""(kind) => document.getElementById('plotside').data
        .filter((t) => t.meta && t.meta[1] === kind).map((t) => Array.from(t.y))""", kind)


def test_boundary_follows_the_scrubber(page, demo_server):
    frame = open_demo(page, demo_server, "case=model")
    assert not frame.locator("#data").is_hidden()
    renders = frame.evaluate("() => window.__playerStats.renders")
    x, y = corner(frame)

    # the last step: the moons' wave, under which this corner is class 1's
    s = model_stats(frame)
    assert (s["run"], s["frame"], s["frameStep"], s["flat"]) == (0, 39, 1000, False)
    rgb = pixel(frame, x, y)
    assert rgb[3] == 255 and nearer(rgb[:3], CLASS1, CLASS0), rgb

    # step 0: the tilted line, under which it is class 0's
    scrub(frame, 0)
    s = model_stats(frame)
    assert (s["frame"], s["frameStep"]) == (0, 0)
    rgb = pixel(frame, x, y)
    assert nearer(rgb[:3], CLASS0, CLASS1), rgb

    # between frames: the last frame at or before the step
    scrub(frame, 40)
    steps = frame.evaluate("() => window.__model.state.m.boundary.steps")
    f = max(i for i, v in enumerate(steps) if v <= 40)
    assert (model_stats(frame)["frame"], model_stats(frame)["frameStep"]) == (f, steps[f])
    assert frame.locator("#data-readout").inner_text().startswith("train ")

    # another run in front: its boundary (and its name over the panel)
    frame.locator("#legend-runs .run").nth(1).locator(".pick").click()
    frame.wait_for_function("() => window.__model.stats.run === 1")
    assert frame.locator("#data-who").inner_text() == frame.evaluate("() => window.__player.S.d.runs[1].label")

    # all of it in the browser: no new payload
    assert frame.evaluate("() => window.__playerStats.renders") == renders
    assert not page.problems, page.problems


def test_points_in_their_colours(page, demo_server):
    # (the flat network: no P = 1/2 line over the points)
    frame = open_demo(page, demo_server, "case=model&runs=2&init=zeros")
    counts = model_stats(frame)["points"]
    labelled = frame.evaluate("() => Array.from(window.__model.state.m.train.labelled)")
    classes = frame.evaluate("() => Array.from(window.__model.state.m.train.y)")
    assert len(labelled) == 200 and labelled.count(0) == 50
    assert counts == {"c0": sum(1 for lab, c in zip(labelled, classes, strict=True) if lab and c == 0),
                      "c1": sum(1 for lab, c in zip(labelled, classes, strict=True) if lab and c == 1),
                      "none": 50, "test": 0}
    assert "no label (50)" in frame.locator("#data-key").inner_text()

    # the centre of each point standing alone (nothing within 8 px) in its
    # colour: class 0 purple, class 1 orange, no label grey
    seen = frame.evaluate("""() => { const m = window.__model.state.m, g = window.__model.state.geo;
        const px = [];
        for (let i = 0; i < m.train.n; i++) px.push([g.x2p(m.train.x[2 * i]), g.y2p(m.train.x[2 * i + 1])]);
        const out = [];
        px.forEach(([x, y], i) => {
          if (px.some(([u, v], j) => j !== i && Math.hypot(u - x, v - y) < 8)) return;
          out.push([m.train.labelled[i] ? 'c' + m.train.y[i] : 'none',
                    window.__model.pixel(m.train.x[2 * i], m.train.x[2 * i + 1]).slice(0, 3)]);
        });
        return out; }""")
    own = {"c0": list(CLASS0), "c1": list(CLASS1), "none": list(UNLABELLED)}
    assert all(colour == own[kind] for kind, colour in seen), [(k, c) for k, c in seen if c != own[k]]
    alone = {kind: sum(1 for k, _ in seen if k == kind) for kind in own}
    assert min(alone.values()) >= 3, alone  # every kind checked

    # the test points as rings on request
    frame.locator("#data-test").click()
    frame.wait_for_function("() => window.__model.stats.points.test > 0")
    assert model_stats(frame)["points"]["test"] == 200
    assert frame.locator("#data-test").get_attribute("aria-pressed") == "true"


def test_pseudo_labels_in_their_class_outlined_and_the_wrong_ones_crossed(page, demo_server):
    frame = open_demo(page, demo_server, "case=model&runs=2&pseudo=1")
    m = frame.evaluate("""() => { const m = window.__model.state.m, b = m.boundary;
        return {labelled: Array.from(m.train.labelled), y: Array.from(m.train.y), F: b.F, n: m.train.n}; }""")
    n, last = m["n"], m["F"] - 1
    unlabelled = [i for i in range(n) if not m["labelled"][i]]
    taken = [i for i in unlabelled if i % 5 < 5]  # the rule at the last frame: every unlabelled point
    wrong = [i for i in taken if i % 7 == 0]
    s = model_stats(frame)
    assert s["frame"] == last
    assert s["pseudo"] == {"right": len(taken) - len(wrong), "wrong": len(wrong)}
    key = frame.locator("#data-key").inner_text()
    assert "pseudo-label (confident)" in key and "wrong" in key
    share = round(100 * (len(taken) - len(wrong)) / len(taken))
    assert frame.locator("#data-readout").inner_text() == (
        f"train 97% \u00b7 test 93% \u00b7 {len(taken)} pseudo-labels ({share}% right)")

    # the centre of each point standing alone: a right pseudo-label in its
    # class's colour, a wrong one under the cross's dark centre
    seen = frame.evaluate("""() => { const m = window.__model.state.m, g = window.__model.state.geo;
        const px = [];
        for (let i = 0; i < m.train.n; i++) px.push([g.x2p(m.train.x[2 * i]), g.y2p(m.train.x[2 * i + 1])]);
        const out = [];
        px.forEach(([x, y], i) => {
          if (m.train.labelled[i] || px.some(([u, v], j) => j !== i && Math.hypot(u - x, v - y) < 9)) return;
          out.push([i, window.__model.pixel(m.train.x[2 * i], m.train.x[2 * i + 1]).slice(0, 3)]);
        });
        return out; }""")
    colours = {0: list(CLASS0), 1: list(CLASS1)}
    checked = {"right": 0, "wrong": 0}
    for i, rgb in seen:
        if i in wrong:
            assert max(rgb) <= 0x40, (i, rgb)  # the cross (#1a1a1a), not a class's colour
            checked["wrong"] += 1
        else:
            assert rgb == colours[m["y"][i]], (i, rgb)
            checked["right"] += 1
    assert min(checked.values()) >= 1, checked
    with_most_kept = _rims(frame)

    # step 0: nothing is pseudo-labelled yet; the grey points are back
    scrub(frame, 0)
    assert model_stats(frame)["pseudo"] == {"right": 0, "wrong": 0}
    assert frame.locator("#data-readout").inner_text().endswith("\u00b7 0 pseudo-labels")
    # a run that only predicts: its confident predictions, not pseudo-labels
    frame.evaluate("() => { window.__player.S.front = window.__player.S.d.runs[1].key; }")
    scrub(frame, 40)
    assert " confident (" in frame.locator("#data-readout").inner_text()

    # the kept labels, few among many unlabelled points, are drawn larger: 3.5
    # px from the centre of a labelled point standing alone, its colour (with
    # most labels kept, not: there 3.5 px out is its white ring or beyond)
    # (labelled points are drawn over the others: only other labelled ones, or
    # the boundary's line, can cover them)
    rims = _rims(open_demo(page, demo_server, "case=model&runs=2&pseudo=1&kept=20"), among_labelled=True)
    def near(rgb, c) -> bool:  # within the fill, though maybe blended with its edge
        return sum((a - b) ** 2 for a, b in zip(rgb, colours[c], strict=True)) ** 0.5 < 40

    assert len(rims) >= 5 and sum(near(rgb, c) for c, rgb in rims) >= 0.75 * len(rims), rims
    assert with_most_kept and not any(near(rgb, c) for c, rgb in with_most_kept), with_most_kept
    assert not page.problems, page.problems


def _rims(frame, among_labelled: bool = False) -> list:
    """For each labelled point with no point (no labelled point) within 14
    px: its class and the colour 3.5 px right of its centre."""
    return frame.evaluate("""(among) => { const m = window.__model.state.m, g = window.__model.state.geo;
        const px = [], unit = 3.5 / (g.x2p(1) - g.x2p(0)), out = [];
        for (let i = 0; i < m.train.n; i++) px.push([g.x2p(m.train.x[2 * i]), g.y2p(m.train.x[2 * i + 1])]);
        px.forEach(([x, y], i) => {
          if (!m.train.labelled[i] || px.some(([u, v], j) => j !== i && (!among || m.train.labelled[j])
                                                  && Math.hypot(u - x, v - y) < 14)) return;
          out.push([m.train.y[i], window.__model.pixel(m.train.x[2 * i] + unit, m.train.x[2 * i + 1]).slice(0, 3)]);
        });
        return out; }""", among_labelled)


def test_accuracy_curves_and_the_plane(page, demo_server):
    frame = open_demo(page, demo_server, "case=model&runs=3")
    titles = panel_titles(frame)
    assert any(t.startswith("accuracy") for t in titles), titles
    train, test = side_traces(frame, "acc"), side_traces(frame, "testacc")
    assert len(train) == len(test) == 3
    # from 50% towards 97% (train), 4 points under it (test)
    assert train[0][0] == pytest.approx(0.5) and train[0][-1] == pytest.approx(0.97, abs=0.005)
    assert test[0][-1] == pytest.approx(0.93, abs=0.005)
    assert frame.locator("#data-note").inner_text() == (
        "The plane shows 97% of run 1\u2019s path (axes 80% + 17%); the other runs are projected onto it.")
    assert frame.locator("#data-readout").inner_text() == "train 97% \u00b7 test 93%"

    # a 2D surface: no data panel, no accuracy
    frame = open_demo(page, demo_server, "case=rosenbrock")
    assert frame.locator("#data").is_hidden()
    assert not any(t.startswith("accuracy") for t in panel_titles(frame))
    assert side_traces(frame, "acc") == [] and side_traces(frame, "loss")
    assert not page.problems, page.problems


def test_zeros_init_is_flat(page, demo_server):
    # narrow enough for every side chart: the gradient norm's too
    page.set_viewport_size({"width": 520, "height": 1500})
    frame = open_demo(page, demo_server, "case=model&runs=1&init=zeros")
    s = model_stats(frame)
    assert s["flat"] and not s["diverged"]
    assert frame.locator("#data-readout").inner_text() == "train 50% \u00b7 test 50% \u00b7 P = \u00bd everywhere"
    assert frame.locator("#data-note").inner_text() == "Run 1 does not move: the plane shows no path."
    # no boundary line: the window is shaded white throughout (P = 1/2)
    assert min(pixel(frame, *corner(frame))[:3]) >= 250
    scrub(frame, 0)
    assert model_stats(frame)["flat"]
    # an all-zero gradient norm: drawn at the floor, said so, one tick
    titles = panel_titles(frame)
    assert "0 drawn at 10\u207b\u00b9\u00b2" in titles, titles
    ticks = frame.evaluate("""() => { const gd = document.getElementById('plotside');
        const i = gd.data.findIndex((t) => t.meta && t.meta[1] === 'grad');
        const ax = gd.layout['yaxis' + (gd.data[i].yaxis === 'y' ? '' : gd.data[i].yaxis.slice(1))];
        return ax.ticktext; }""")
    assert ticks == ["10\u207b\u00b9\u00b2"], ticks
    assert not page.problems, page.problems


def test_real_network_scene(page, app_server):
    query = "surface=mlp:data=moons,hidden=8,labels=0.5&steps=120&run=sgd:lr=0.5&run=adam:lr=0.05"
    frame = open_demo(page, app_server, query, timeout_ms=180_000)
    m = frame.evaluate("""() => { const m = window.__model.state.m;
        return {n: m.train.n, unlabelled: m.train.labelled.filter((v) => !v).length, frames: m.boundary.F,
                last: m.boundary.steps[m.boundary.F - 1]}; }""")
    assert m["n"] > 0 and 0 < m["unlabelled"] < m["n"] and m["frames"] >= 2 and m["last"] == 120
    counts = model_stats(frame)["points"]
    assert counts["none"] == m["unlabelled"] and counts["c0"] + counts["c1"] == m["n"] - m["unlabelled"]

    # the boundary at the last step and at step 0 are different pictures
    last = frame.evaluate("() => document.getElementById('data-canvas').toDataURL()")
    scrub(frame, 0)
    assert model_stats(frame)["frameStep"] == 0
    first = frame.evaluate("() => document.getElementById('data-canvas').toDataURL()")
    assert first != last

    assert len(side_traces(frame, "acc")) == 2 and len(side_traces(frame, "testacc")) == 2
    acc = side_traces(frame, "acc")[0]
    assert all(0 <= v <= 1 for v in acc) and len(acc) == 121
    note = frame.locator("#data-note").inner_text()
    found = re.fullmatch(r"The plane shows (\d+)% of run 1\u2019s path \(axes (\d+)% \+ (\d+)%\); "
                         r"the other runs are projected onto it\.", note)
    assert found, note
    total, a, b = (int(v) for v in found.groups())
    assert abs(total - a - b) <= 1 and a >= b
    assert not page.problems, page.problems
