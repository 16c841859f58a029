"""What a first visit of the page loads, and how the page fits a phone.

    python benchmarks/page_fit.py [--visits 3] [--out artifacts/page_fit] [--json out.json] [--skip weight,phone]

Starts `streamlit run app.py` on a free port with a fresh temporary folder
and drives it from one Chromium, one page at a time:

1. First visit (a fresh browser context, nothing cached) of `/`: the bytes
   every HTTP response took on the wire (Chrome's encodedDataLength, from the
   DevTools protocol), by kind (Streamlit's own files, the player's, the
   rest), and the websocket bytes, until the player has drawn and the
   script is idle.
2. Phones: 390 x 844 and 360 x 740 CSS px (mobile emulation, touch, 3x
   pixels), every kind of shared link (the default page, a lesson, a
   question `predict=1`, a step link that asks, a presentation, a question
   presented): whether anything scrolls sideways on the way from the player
   up to the page, the player's content past its frame's edges, the frame's
   height against the player's, points of the player that another element
   covers (with the player's top at the window's top, then its bottom at
   the bottom), the visible text under 16 px (the page's and the player's),
   how far below the plot's top the question's Check button ends (within a
   screen: no hunting), how far a finger swiping up over the toolbar, the 2D
   plot, the legend and the side charts scrolls the page, and screenshots
   (in --out) to look at.

The same measurements compared the player in its iframe with a frameless
prototype (Streamlit custom components v2): benchmarks/PAGE.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from page_latency import CHROMIUM_ARGS, PLAYER, ROOT, Wire, free_port, load, start_server, stop_server  # noqa: E402

sys.path.insert(0, str(ROOT))
from visualizer.core.lessons import LESSONS  # noqa: E402

PHONES = {"390x844": (390, 844), "360x740": (360, 740)}
PHONE_PAGES = {"default": "", "lesson": "?lesson=momentum", "predict": "?lesson=starts&predict=1",
               "step": "?" + LESSONS["schedules"].step_query(2) + "&predict=1",
               "present": "?lesson=momentum&present=1", "present-predict": "?lesson=schedules&present=1&predict=1"}
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36")

# How the player's frame sits in the page: sideways scroll anywhere on its
# way up, the player's content past the frame's edges (cut off), the
# frame's height against the player's (a band of nothing, if positive).
FIT_JS = """(sel) => {
  const frame = document.querySelector(sel);
  if (!frame) return null;
  const r = frame.getBoundingClientRect(), app = frame.contentDocument.getElementById('app');
  const sideways = [];
  for (let n = frame; n; n = n.parentElement) {
    const scrolls = n === document.scrollingElement || /(auto|scroll)/.test(getComputedStyle(n).overflowX);
    if (scrolls && n.scrollWidth > n.clientWidth + 1)
      sideways.push((n.dataset.testid || n.tagName) + ': ' + n.scrollWidth + ' > ' + n.clientWidth);
  }
  // (Plotly's drag handles are invisible: the corners of a chart's drag layer reach past it)
  const a = app.getBoundingClientRect();
  let right = a.right, bottom = a.bottom;
  for (const e of app.querySelectorAll('*')) {
    const b = e.getBoundingClientRect();
    if (b.width && b.height && getComputedStyle(e).visibility !== 'hidden' && !e.closest('.draglayer')) {
      right = Math.max(right, b.right); bottom = Math.max(bottom, b.bottom);
    }
  }
  return {viewport: [innerWidth, innerHeight],
          frame: [Math.round(r.left), Math.round(r.top), Math.round(r.width), Math.round(r.height)],
          app: [Math.round(a.width), Math.round(a.height)], sideways: sideways,
          past_right: Math.max(0, Math.round(right - r.width)), past_bottom: Math.max(0, Math.round(bottom - r.height)),
          band_below: Math.round(r.height - a.height)};
}"""

# Points on a 6 x 10 grid over the visible part of the frame where another
# element is on top (elementFromPoint is not the frame), by what covers them.
COVER_JS = """(sel) => {
  const frame = document.querySelector(sel), r = frame.getBoundingClientRect();
  const top = Math.max(0, r.top), bottom = Math.min(innerHeight, r.bottom);
  const out = {points: 0, covered: 0, by: {}};
  for (let i = 0; i < 6; i++) for (let j = 0; j < 10; j++) {
    const x = r.left + (i + 0.5) * r.width / 6, y = top + (j + 0.5) * (bottom - top) / 10;
    if (x < 0 || x >= innerWidth || y < 0 || y >= innerHeight) continue;
    out.points++;
    const e = document.elementFromPoint(x, y);
    if (e !== frame) {
      out.covered++;
      const name = e ? (e.closest('[data-testid]') || e).getAttribute('data-testid') || e.tagName : 'nothing';
      out.by[name] = (out.by[name] || 0) + 1;
    }
  }
  return out;
}"""

# Visible text under `least` px (the collapsed sidebar lies off the
# screen), in the page or in the player's frame, wherever it is evaluated.
SMALL_TEXT_JS = r"""(least) => {
  const small = [];
  const visible = (n) => { const r = n.getBoundingClientRect(), s = getComputedStyle(n);
    return r.width > 0 && r.height > 0 && r.right > 0 && r.left < innerWidth && s.visibility !== 'hidden'; };
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let t = walk.nextNode(); t; t = walk.nextNode()) {
    const n = t.parentElement;
    if (!/[^\s\u200b]/.test(t.textContent) || !n || !visible(n) ||
        n.closest('.modebar, .hoverlayer, option, [data-testid=stTooltipContent]')) continue;
    const px = parseFloat(getComputedStyle(n).fontSize);
    if (px < least) small.push(`${n.tagName} ${JSON.stringify(t.textContent.trim().slice(0, 30))} ${px} px`);
  }
  return small;
}"""

# With the player's top at the window's top: from the 2D plot's top to the
# bottom of the question's Check button (null: nothing asked), in px.
QUESTION_JS = """(sel) => {
  const frame = document.querySelector(sel), doc = frame.contentDocument;
  const plot = doc.getElementById('plot2d'), check = doc.querySelector('#quiz .check');
  if (!check || !check.offsetParent) return null;
  return Math.round(check.getBoundingClientRect().bottom - plot.getBoundingClientRect().top);
}"""

# Streamlit scrolls a container, not the document: marked for SCROLL_TOP_JS.
SCROLLER_JS = """(sel) => {
  for (let n = document.querySelector(sel).parentElement; n; n = n.parentElement) {
    if (/(auto|scroll)/.test(getComputedStyle(n).overflowY) && n.scrollHeight > n.clientHeight) {
      n.dataset.benchScroller = '1'; return;
    }
  }
  document.scrollingElement.dataset.benchScroller = '1';
}"""
SCROLL_TOP_JS = "() => document.querySelector('[data-bench-scroller]').scrollTop"
# An element of the player scrolled to the window's middle; its centre in
# the page's coordinates.
CENTRE_JS = """([sel, id]) => {
  const frame = document.querySelector(sel), e = frame.contentDocument.getElementById(id);
  if (!e || e.hidden) return null;
  e.scrollIntoView({block: 'center'});
  const r = e.getBoundingClientRect(), f = frame.getBoundingClientRect();
  return [f.left + r.left + r.width / 2, f.top + r.top + r.height / 2];
}"""


def kind_of(url: str) -> str:
    if "/component/" in url:
        return "player files"
    if "/static/" in url:
        return "Streamlit's files"
    return "other"


def first_visit(browser, url: str) -> dict:
    """Bytes of a first visit: HTTP (on the wire, by kind and by file) and websocket."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    wire = Wire(page)
    t0 = time.monotonic()
    seconds = load(page, url, ours=True)
    page.wait_for_timeout(1000)
    by_kind: dict[str, int] = {}
    for rid, n in sizes.items():
        by_kind[kind_of(urls.get(rid, ""))] = by_kind.get(kind_of(urls.get(rid, "")), 0) + n
    files = {urls.get(rid, "?").split("?")[0].split("/", 3)[-1]: n for rid, n in sizes.items()}
    out = {"http_bytes": sum(sizes.values()), "by_kind": by_kind, "requests": len(sizes), "files": files,
           "websocket_bytes": wire.bytes_since(t0), "seconds": round(seconds, 2)}
    ctx.close()
    return out


def swipe(page, cdp, x: float, y: float, dy: float = -150, steps: int = 10) -> float:
    """Touch events of a finger moving `dy` px up from (x, y); how far the
    page scrolled."""
    before = page.evaluate(SCROLL_TOP_JS)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, steps + 1):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y + dy * i / steps}]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(600)
    return page.evaluate(SCROLL_TOP_JS) - before


def phone(browser, url: str, size: tuple[int, int], shots: Path) -> dict:
    w, h = size
    ctx = browser.new_context(viewport={"width": w, "height": h}, device_scale_factor=3, is_mobile=True,
                              has_touch=True, user_agent=PHONE_UA)
    page = ctx.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    load(page, url, ours=True)
    page.wait_for_timeout(1500)
    page.evaluate(SCROLLER_JS, PLAYER)
    out = {"fit": page.evaluate(FIT_JS, PLAYER)}
    frame = page.query_selector(PLAYER).content_frame()
    out["small_text"] = page.evaluate(SMALL_TEXT_JS, 16) + frame.evaluate(SMALL_TEXT_JS, 16)
    page.screenshot(path=f"{shots}-load.png")
    for end, block in (("top", "start"), ("bottom", "end")):
        page.evaluate("([sel, block]) => document.querySelector(sel).scrollIntoView({block: block})", [PLAYER, block])
        page.wait_for_timeout(400)
        out[f"covered_{end}"] = page.evaluate(COVER_JS, PLAYER)
        if end == "top":
            out["plot_top_to_check_px"] = page.evaluate(QUESTION_JS, PLAYER)
        page.screenshot(path=f"{shots}-{end}.png")
    cdp = ctx.new_cdp_session(page)
    out["swipe_scrolls_page_px"] = {}
    for target in ("toolbar", "plot2d", "legend", "plotside"):
        if page.evaluate(CENTRE_JS, [PLAYER, target]) is None:
            continue
        page.wait_for_timeout(300)
        centre = page.evaluate(CENTRE_JS, [PLAYER, target])  # again, once the scroll has settled
        out["swipe_scrolls_page_px"][target] = round(swipe(page, cdp, *centre))
    out["page_errors"] = problems
    ctx.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--visits", type=int, default=3, help="first visits to measure")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--out", type=Path, default=ROOT / "artifacts" / "page_fit", help="screenshots go here")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: weight, phone")
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    a.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "loadavg_start": os.getloadavg()}
    port = free_port()
    server = start_server(ROOT, port)
    url = f"http://127.0.0.1:{port}/"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=a.chromium, args=CHROMIUM_ARGS)
            ctx = browser.new_context()  # the server compiles and serves once before anything counts
            load(ctx.new_page(), url, ours=True)
            ctx.close()
            if "weight" not in skip:
                results["first_visits"] = [first_visit(browser, url) for _ in range(a.visits)]
            if "phone" not in skip:
                for pname, size in PHONES.items():
                    for where, query in PHONE_PAGES.items():
                        results[f"phone_{pname}_{where}"] = phone(browser, url + query, size, a.out / f"{pname}-{where}")
            browser.close()
    finally:
        stop_server(server)
    results["loadavg_end"] = os.getloadavg()
    report(results, a.out)
    if a.json:
        a.json.write_text(json.dumps(results, indent=2) + "\n")


def report(results: dict, out: Path) -> None:
    for i, f in enumerate(results.get("first_visits", [])):
        kinds = ", ".join(f"{k} {n / 1e3:.0f} KB" for k, n in sorted(f["by_kind"].items()))
        print(f"first visit #{i + 1}: HTTP {f['http_bytes'] / 1e3:.0f} KB in {f['requests']} requests ({kinds}); "
              f"websocket {f['websocket_bytes'] / 1e3:.0f} KB; drawn and idle in {f['seconds']} s")
    for key, r in results.items():
        if key.startswith("phone_"):
            fit, top, bottom = r["fit"], r["covered_top"], r["covered_bottom"]
            print(f"{key}: frame {fit['frame']} (x, y, w, h), player {fit['app']}, band below {fit['band_below']} px, "
                  f"content past right {fit['past_right']} px, past bottom {fit['past_bottom']} px, "
                  f"sideways scroll {fit['sideways'] or 'none'}; covered (top) {top['covered']}/{top['points']} "
                  f"{top['by']}, (bottom) {bottom['covered']}/{bottom['points']} {bottom['by']}; text under 16 px: "
                  f"{len(r['small_text'])} {r['small_text'][:3]}; plot top to Check {r['plot_top_to_check_px']} px; "
                  f"a swipe scrolls the page {r['swipe_scrolls_page_px']} px; page errors {r['page_errors'] or 'none'}")
    print(f"screenshots in {out}")
    print(f"load average {results['loadavg_start'][0]:.1f} -> {results['loadavg_end'][0]:.1f}")


if __name__ == "__main__":
    main()
