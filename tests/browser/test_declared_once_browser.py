"""The player honours an entry added to a table declared once, with no
JavaScript of its own: the page served with a made-up viewer key, overlay
of "Inside a step" and side-chart curve (tests/browser/declared_app.py,
the entries in tests/made_up.py) under `streamlit run`, and Chromium.

What is checked: the made-up key is read from the payload, kept, and
written back into the address in the canonical order (presentation mode
included, where the player used to write its keys after the server's),
also after the viewer changes the view; the speed control offers the
speed key's values; the made-up curve is a panel of the side charts with a
trace per run; the made-up overlay has its chip in the key, is drawn, and
its chip switches it off and on.
"""

from __future__ import annotations

import sys

import pytest
from pages import IDLE, ROOT, open_demo, streamlit_server, wait_address

from visualizer import Scene
from visualizer.core.scene import viewer_keys

sys.path.insert(0, str(ROOT / "tests"))
import made_up  # noqa: E402

pytestmark = pytest.mark.browser

SCENE = "surface=quadratic:cond=10&steps=60&run=momentum:lr=0.02,momentum=0.9&run=sgd:lr=0.05,clip_norm=1"
# out of the canonical order on purpose
PRESENTED = SCENE + "&present=1&hide=2&made_up=on&view=3d&speed=2"


@pytest.fixture(scope="module")
def declared_server(chromium_path, tmp_path_factory):
    """tests/browser/declared_app.py: the page, with the made-up tables."""
    server = streamlit_server("tests/browser/declared_app.py",
                              tmp_path_factory.mktemp("declared") / "declared.log").start(timeout=90)
    yield server
    server.stop()


@pytest.fixture
def tables(monkeypatch):
    """The same tables in this process, for the addresses the tests expect."""
    made_up.declare(monkeypatch.setattr)


def state(frame, expr: str):
    return frame.evaluate(f"() => {{ const S = window.__player.S; return {expr}; }}")


def test_a_made_up_key_is_kept_and_written_in_its_place(page, declared_server, tables):
    frame = open_demo(page, declared_server, PRESENTED, timeout_ms=180_000)
    assert state(frame, "[S.present, S.view, S.speed, S.viewer.values.made_up]") == [True, "3d", 2, "on"]
    scene = Scene.from_query(PRESENTED)
    canonical = scene.to_query()
    assert canonical.endswith("&view=3d&speed=2&made_up=on&hide=2&present=1"), canonical
    assert wait_address(page, lambda a: a == canonical) == canonical
    # the viewer switches to 2D: the address follows, the made-up key stays where it was
    frame.locator("#btn-2d").click()
    in_2d = scene.replace(viewer=scene.viewer.replace(view="2d")).to_query()
    assert wait_address(page, lambda a: a == in_2d) == in_2d
    assert not page.problems, page.problems


def test_the_speed_control_offers_the_speed_keys_values(page, declared_server):
    frame = open_demo(page, declared_server, SCENE + "&speed=0.5", timeout_ms=180_000)
    speed = next(k for k in viewer_keys() if k.name == "speed")
    options = frame.evaluate("() => Array.from(document.querySelectorAll('#speed option')).map(o => o.value)")
    assert options == speed.describe()["texts"]
    assert frame.locator("#speed").input_value() == "0.5"


def test_a_made_up_curve_and_overlay_are_drawn(page, declared_server):
    page.set_viewport_size({"width": 1400, "height": 1000})
    frame = open_demo(page, declared_server, SCENE, timeout_ms=180_000)
    titles = frame.evaluate("() => [...document.querySelectorAll('#plotside .annotation-text')].map(a => a.textContent)")
    assert made_up.CURVE.titles[0] in titles, titles
    traces = frame.evaluate("""() => document.getElementById('plotside').data
        .filter(t => t.meta && t.meta[1] === 'made_up').map(t => t.meta[0])""")
    assert traces == [0, 1]

    frame.locator("#btn-inside").click()
    frame.wait_for_function("() => window.__player.inside.rule.renders > 0", timeout=60_000, polling=100)
    page.wait_for_selector(IDLE, state="attached")
    chip = frame.locator('#inside-key .chip[data-kind="made_up"]')
    assert chip.is_visible() and chip.inner_text() == made_up.OVERLAY.label
    assert chip.get_attribute("title") == made_up.OVERLAY.title

    def drawn() -> list[str]:
        return frame.evaluate("() => window.__player.inside.stats.drawn.slice()")

    frame.wait_for_function("() => window.__player.inside.stats.drawn.includes('made_up')", polling=100)
    assert set(drawn()) == {"grad", "update", "moment", "made_up"}
    chip.click()
    assert chip.get_attribute("aria-pressed") == "false" and "made_up" not in drawn()
    chip.click()
    assert "made_up" in drawn()
    assert not page.problems, page.problems
