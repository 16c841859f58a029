""""Inside a step" in a real browser: `tests/browser/player_demo_app.py`
(`case=scene`: a real scene, simulated, with the toolbar's switch wired the
way the page wires it) under `streamlit run`, and Chromium.

What is checked: without the payload's `inside` the player has no switch
and draws nothing new; the switch asks the server for the numbers, keeps
the step, draws the arrows and the box, and typesets the rule; scrubbing
and stepping change the numbers in the rule without a server round trip;
each overlay's chip hides and shows it; the switch turns it all off; every
optimizer's rule typesets without a KaTeX error. Screenshots of the
overlays on a momentum run and an Adam run go to artifacts/screens/.
"""

from __future__ import annotations

import math
from urllib.parse import quote

import pytest
from pages import IDLE, open_demo

from visualizer.core.optimizers import OPTIMIZERS

pytestmark = pytest.mark.browser

MOMENTUM = "surface=quadratic:cond=10&steps=100&run=momentum:lr=0.02,momentum=0.9"
ADAM = "surface=rosenbrock&steps=500&run=adam:lr=0.05"


def scene(query: str, inside: bool = False) -> str:
    return f"case=scene&scene={quote(query, safe='')}" + ("&inside=1" if inside else "")


def inside_stats(frame) -> dict:
    return frame.evaluate("""() => JSON.parse(JSON.stringify({o: window.__player.inside.stats,
        r: window.__player.inside.rule, layers: window.__playerStats.layers, on: window.__player.S.inside.on,
        step: window.__playerStats.step, renders: window.__playerStats.renders}))""")


def rule_text(frame) -> str:
    return frame.evaluate("() => document.getElementById('inside-rule').textContent").replace("\u2212", "-")


def switch_on(page, frame):
    frame.locator("#btn-inside").click()
    frame.wait_for_function("() => window.__player.inside.rule.renders > 0", timeout=60_000, polling=100)
    page.wait_for_selector(IDLE, state="attached")


def number(v: float) -> str:
    """A number as the panel writes one (3 significant digits, plain range)."""
    return f"{float(f'{v:.3g}'):g}"


def test_without_the_payloads_switch_nothing_changes(page, demo_server):
    frame = open_demo(page, demo_server, "case=rosenbrock")
    assert not frame.locator("#btn-inside").is_visible()
    assert not frame.locator("#inside").is_visible()
    s = inside_stats(frame)
    assert not s["on"] and "inside" not in s["layers"]
    assert frame.evaluate("() => !window.katex"), "KaTeX is loaded only when the overlays are on"
    assert page.problems == [], page.problems


def test_switch_scrub_and_the_numbers_follow(page, demo_server, screens):
    page.set_viewport_size({"width": 1280, "height": 720})
    frame = open_demo(page, demo_server, scene(MOMENTUM))
    button = frame.locator("#btn-inside")
    assert button.is_visible() and button.get_attribute("aria-pressed") == "false"
    frame.locator("#scrub").fill("12")
    renders = inside_stats(frame)["renders"]
    switch_on(page, frame)
    s = inside_stats(frame)
    assert s["on"] and button.get_attribute("aria-pressed") == "true"
    assert s["renders"] > renders, "the numbers came with a new payload"
    assert s["step"] == 12, "the new payload kept the step"
    assert "inside" in s["layers"] and set(s["o"]["drawn"]) == {"grad", "update", "moment"}
    assert s["o"]["k"] == 12 and s["r"]["errors"] == 0
    assert frame.locator("#inside-rule .katex").count() == 1 and frame.locator("#inside-rule .katex-error").count() == 0
    assert "step 12 \u2192 13" in frame.locator("#inside-head").inner_text()
    page.wait_for_timeout(300)
    frame.locator("#main").screenshot(path=str(screens / "overlays-momentum-plot.png"))
    page.screenshot(path=str(screens / "overlays-momentum.png"))

    def velocity(k):
        return frame.evaluate(f"() => {{ const r = window.__player.inside.run(); "
                              f"return window.__player.inside.valueAt(r, 'velocity', {k}); }}")

    text12 = rule_text(frame)
    assert number(velocity(12)[0]) in text12 and number(velocity(12)[1]) in text12
    # scrubbing: no new payload, new numbers
    payloads = inside_stats(frame)["renders"]
    frame.locator("#scrub").fill("30")
    frame.wait_for_function("() => window.__player.inside.rule.k === 30", timeout=5000, polling=50)
    text30 = rule_text(frame)
    assert text30 != text12
    assert number(velocity(30)[0]) in text30 and number(velocity(30)[1]) in text30
    assert "step 30 \u2192 31" in frame.locator("#inside-head").inner_text()
    frame.locator("#btn-fwd").click()
    frame.wait_for_function("() => window.__player.inside.rule.k === 31", timeout=5000, polling=50)
    assert inside_stats(frame)["o"]["k"] == 31
    assert inside_stats(frame)["renders"] == payloads, "scrubbing never asked the server"
    # each overlay's chip hides it and shows it again
    for kind in ("grad", "moment", "update"):
        chip = frame.locator(f'#inside-key .chip[data-kind="{kind}"]')
        chip.click()
        assert chip.get_attribute("aria-pressed") == "false"
        assert kind not in inside_stats(frame)["o"]["drawn"]
        chip.click()
        assert kind in inside_stats(frame)["o"]["drawn"]
    assert not frame.locator('#inside-key .chip[data-kind="box"]').is_visible(), "momentum has no box"
    # playing keeps the rule following
    frame.locator("#btn-play").click()
    page.wait_for_timeout(600)
    frame.locator("#btn-play").click()
    frame.wait_for_function("() => window.__player.inside.rule.k === Math.min(99, window.__playerStats.step)",
                            timeout=5000, polling=50)
    # off: the panel and the arrows go, the step stays
    k = inside_stats(frame)["step"]
    button.click()
    assert not frame.locator("#inside").is_visible()
    page.wait_for_selector(IDLE, state="attached")
    page.wait_for_timeout(300)
    s = inside_stats(frame)
    assert not s["on"] and "inside" not in s["layers"] and s["step"] == k
    assert page.problems == [], page.problems


def test_adam_overlays_with_the_box(page, demo_server, screens):
    page.set_viewport_size({"width": 1280, "height": 720})
    frame = open_demo(page, demo_server, scene(ADAM, inside=True) + "&step=150")
    frame.wait_for_function("() => window.__player.inside.rule.renders > 0", timeout=60_000, polling=100)
    s = inside_stats(frame)
    assert s["on"] and set(s["o"]["drawn"]) == {"box", "grad", "moment", "update"}
    assert s["o"]["scale"] >= 1
    text = rule_text(frame)
    assert "0.05" in text and frame.locator("#inside-rule .katex-error").count() == 0
    box = frame.locator('#inside-key .chip[data-kind="box"]')
    box.click()
    assert "box" not in inside_stats(frame)["o"]["drawn"]
    box.click()
    page.wait_for_timeout(300)
    frame.locator("#main").screenshot(path=str(screens / "overlays-adam-plot.png"))
    page.screenshot(path=str(screens / "overlays-adam.png"))
    assert page.problems == [], page.problems


@pytest.mark.parametrize("group", range(math.ceil(len(OPTIMIZERS) / 7)))
def test_every_rule_typesets(page, demo_server, group):
    ids = list(OPTIMIZERS)[group * 7:(group + 1) * 7]
    runs = "&".join(f"run={i}" for i in ids)
    frame = open_demo(page, demo_server, scene(f"surface=himmelblau&start=-0.5,-1&steps=12&{runs}", inside=True))
    frame.wait_for_function("() => window.__player.inside.rule.renders > 0", timeout=60_000, polling=100)
    for index, opt_id in enumerate(ids):
        frame.evaluate(f"() => window.__player.setFront({index})")
        frame.wait_for_function(f"() => window.__player.inside.rule.run === {index}", timeout=10_000, polling=50)
        errors = frame.evaluate("() => window.__player.inside.rule.errors")
        assert errors == 0 and frame.locator("#inside-rule .katex-error").count() == 0, (
            opt_id, frame.locator("#inside-rule").inner_text()[:300])
        assert frame.locator("#inside-rule .katex").count() == 1, opt_id
        frame.evaluate(f"() => window.__player.setFront({index})")  # release
    assert page.problems == [], page.problems
