"""Every update rule and schedule formula as the browser typesets it:
`tests/browser/rules_app.py` (each registry's LaTeX under `st.latex`, in the
page's layout) under `streamlit run`, and Chromium at 1280 x 720.

What is checked, per formula: KaTeX rendered it without an error (no
`.katex-error`), as one `.katex` element whose source is the registry's text,
with as many lines as the source has (`\\\\` in a `gathered`); and it is no
wider than the main block. A canary formula with a LaTeX error shows that an
error is seen where there is one. Formulas too wide are also photographed to
artifacts/screens/rules-too-wide-<id>.png.
"""

from __future__ import annotations

import pytest
from pages import IDLE, streamlit_server

from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.schedules import SCHEDULES
from visualizer.page import latex

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1280, "height": 720}
# What the page shows: each formula laid out by `latex.display`.
FORMULAS = {f"rule-{o.id}": latex.display(o.rule) for o in OPTIMIZERS.values()}
FORMULAS |= {f"schedule-{s.id}": latex.display(s.latex) for s in SCHEDULES.values()}
HEADINGS = {name: name.split("-", 1)[1] for name in FORMULAS}

# Per formula container (`st-key-<name>`): what KaTeX made of it and its
# width against the main block's content box.
MEASURE_JS = """() => {
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  const cs = getComputedStyle(main), mr = main.getBoundingClientRect();
  const left = mr.left + parseFloat(cs.paddingLeft), right = mr.right - parseFloat(cs.paddingRight);
  const out = {};
  for (const c of document.querySelectorAll('[class*="st-key-rule-"], [class*="st-key-schedule-"], .st-key-formula-canary')) {
    const name = c.className.match(/st-key-(\\S+)/)[1];
    const display = c.querySelector('.katex-display');
    const table = c.querySelector('.katex-mathml mtable');
    const r = display ? display.getBoundingClientRect() : null;
    out[name] = {
      heading: (c.querySelector('h3 [data-heading-text]') || {}).textContent || null,
      katex: c.querySelectorAll('.katex').length,
      errors: Array.from(c.querySelectorAll('.katex-error')).map(e => e.title || e.textContent),
      source: (c.querySelector('.katex-mathml annotation[encoding="application/x-tex"]') || {}).textContent || null,
      lines: table ? table.querySelectorAll(':scope > mtr').length : (display ? 1 : 0),
      width: display ? display.scrollWidth : 0,
      box: display ? display.clientWidth : 0,
      left: r ? Math.round(r.left - left) : 0,
      available: Math.round(right - left),
    };
  }
  return out;
}"""


@pytest.fixture(scope="module")
def rules_server(chromium_path, tmp_path_factory):
    server = streamlit_server("tests/browser/rules_app.py", tmp_path_factory.mktemp("rules") / "rules.log")
    server.start(timeout=90)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def rendered(browser, rules_server, screens) -> dict:
    """MEASURE_JS's findings for every formula and the canary, once."""
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    try:
        page.goto(rules_server.url + "?canary=1")
        page.wait_for_selector(".st-key-formula-canary .katex-error, .st-key-formula-canary .katex", timeout=90_000)
        page.wait_for_selector(IDLE, state="attached", timeout=90_000)
        page.wait_for_function("n => document.querySelectorAll('.katex, .katex-error').length >= n",
                               arg=len(FORMULAS) + 1, polling=100, timeout=30_000)
        page.evaluate("document.fonts.ready")  # widths with KaTeX's own fonts, not a fallback's
        measured = page.evaluate(MEASURE_JS)
        for name, m in measured.items():
            if m["width"] > m["available"]:
                page.locator(f".st-key-{name}").screenshot(path=str(screens / f"rules-too-wide-{name[5:]}.png"))
    finally:
        ctx.close()
    return {"formulas": measured, "page errors": problems}


def test_every_formula_is_on_the_page(rendered):
    assert rendered["page errors"] == []
    assert set(rendered["formulas"]) == {*FORMULAS, "formula-canary"}
    assert {name: m["heading"] for name, m in rendered["formulas"].items() if name in FORMULAS} == HEADINGS


def test_an_error_is_seen_where_there_is_one(rendered):
    canary = rendered["formulas"]["formula-canary"]
    assert canary["katex"] == 0 and len(canary["errors"]) == 1 and "ParseError" in canary["errors"][0], canary


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_formula_renders(rendered, name):
    m, source = rendered["formulas"][name], FORMULAS[name]
    assert m["errors"] == [], m["errors"]
    assert m["katex"] == 1, m
    assert m["source"].strip() == source.strip()
    expected_lines = source.count("\\\\") + 1
    assert m["lines"] == expected_lines, f"{m['lines']} lines, the source has {expected_lines}"


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_formula_fits_the_main_block_at_1280(rendered, name):
    m = rendered["formulas"][name]
    assert m["left"] >= 0 and m["width"] <= m["available"], \
        f"{m['width']} px wide, the main block holds {m['available']} px (left edge at {m['left']} px)"


def test_no_formula_scrolls_by_a_hair(rendered):
    hair = {name: m["width"] - m["box"] for name, m in rendered["formulas"].items()
            if name in FORMULAS and 0 < m["width"] - m["box"] <= 3}
    assert hair == {}, f"{len(hair)} formulas scroll by 1-3 px: {sorted(hair)}"
