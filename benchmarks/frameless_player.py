"""The player in an iframe (Streamlit custom component v1) against the same
player frameless (custom component v2, a shadow root in the page): what the
browser loads, what a slider move costs, and how each fits a phone.

    python benchmarks/frameless_player.py [--reps 10] [--rounds 2] [--out artifacts/frameless]
                                          [--floor /work/shared/tools/floor_app] [--json out.json]

Starts `streamlit run app.py` twice (OPTVIZ_PLAYER=v1 and =v2, see
visualizer/page/player.py) and the floor app, each on a free port with a
fresh temporary folder, and drives them from one Chromium, one page at a
time:

1. First visit (a fresh browser context, nothing cached) of `/`: the bytes
   every HTTP response took on the wire (Chrome's encodedDataLength, from the
   DevTools protocol), by kind (Streamlit's own files, the player's, the
   rest), and the websocket bytes, until the player has drawn and the
   script is idle.
2. Slider moves, as benchmarks/page_latency.py makes them (run 1's lr,
   ArrowRight, until the Plotly data changed and the script is idle; and
   until the player redrew): `--rounds` rounds of v1, v2 and the floor in
   turn, so the three share the machine's mood; websocket bytes per move.
3. Phones: 390 x 844 and 360 x 740 CSS px (mobile emulation, touch, 3x
   pixels), the default page and a presentation (`lesson=momentum&present=1`):
   whether anything scrolls sideways (the page, or content past the player's
   edge), the player's height against its content, points of the player
   that something else covers, whether a touch swipe over the player
   scrolls the page, and screenshots (in --out) to look at.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from page_latency import (  # noqa: E402
    APP_SLIDER,
    CHROMIUM_ARGS,
    FLOOR,
    IDLE,
    ROOT,
    Wire,
    free_port,
    load,
    slider_moves,
    start_server,
    stop_server,
)

VARIANTS = ("v1", "v2")
PHONES = {"390x844": (390, 844), "360x740": (360, 740)}
PHONE_PAGES = {"default": "", "present": "?lesson=momentum&present=1"}
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36")

# The player's element in the page and what is inside it: the iframe and
# its document, or the v2 element and its shadow root.
PLAYER_JS = """() => {
  const frame = document.querySelector('iframe[title="visualizer.page.player.player"]');
  if (frame) return {host: frame, root: frame.contentDocument, frame: true};
  const el = document.querySelector('.stBidiComponent [data-testid=stBidiComponentIsolated]');
  return el ? {host: el.closest('.stBidiComponent'), root: el.shadowRoot, frame: false} : null;
}"""

# How the player sits in the page: sideways scroll anywhere on its way up,
# content past its own edges, its height against its content.
FIT_JS = """() => {
  const p = (__PLAYER__)();
  if (!p) return null;
  const r = p.host.getBoundingClientRect(), app = p.root.getElementById('app');
  const sideways = [];
  for (let n = p.host; n; n = n.parentElement) {
    const cs = getComputedStyle(n);
    const scrolls = n === document.scrollingElement || /(auto|scroll)/.test(cs.overflowX);
    if (scrolls && n.scrollWidth > n.clientWidth + 1)
      sideways.push((n.dataset.testid || n.tagName) + ': ' + n.scrollWidth + ' > ' + n.clientWidth);
  }
  // what of the player's own content reaches past the player's box (cut
  // off by an iframe, or spilling over the page frameless)
  const a = app.getBoundingClientRect();
  let right = a.right, bottom = a.bottom;
  for (const e of app.querySelectorAll('*')) {
    const b = e.getBoundingClientRect();
    if (b.width && b.height && getComputedStyle(e).visibility !== 'hidden') {
      right = Math.max(right, b.right); bottom = Math.max(bottom, b.bottom);
    }
  }
  // (frame contents measure from the frame's corner, a shadow root's from the page's)
  const x0 = p.frame ? 0 : r.left, y0 = p.frame ? 0 : r.top;
  return {viewport: [innerWidth, innerHeight], box: [Math.round(r.left), Math.round(r.top), Math.round(r.width), Math.round(r.height)],
          app: [Math.round(a.width), Math.round(a.height)], sideways: sideways,
          past_right: Math.max(0, Math.round(right - x0 - r.width)),
          past_bottom: Math.max(0, Math.round(bottom - y0 - r.height)),
          band_below: Math.round(r.height - a.height)};
}""".replace("__PLAYER__", PLAYER_JS)

# Points on a grid over the visible part of the player that another element
# covers (elementFromPoint is not the player).
COVER_JS = """() => {
  const p = (__PLAYER__)();
  const r = p.host.getBoundingClientRect();
  const top = Math.max(0, r.top), bottom = Math.min(innerHeight, r.bottom);
  const out = {points: 0, covered: 0, by: {}};
  for (let i = 0; i < 6; i++) for (let j = 0; j < 10; j++) {
    const x = r.left + (i + 0.5) * r.width / 6, y = top + (j + 0.5) * (bottom - top) / 10;
    if (x < 0 || x >= innerWidth || y < 0 || y >= innerHeight) continue;
    out.points++;
    const e = document.elementFromPoint(x, y);
    if (!e || !(e === p.host || p.host.contains(e))) {
      out.covered++;
      const name = e ? (e.closest('[data-testid]') || e).getAttribute('data-testid') || e.tagName : 'nothing';
      out.by[name] = (out.by[name] || 0) + 1;
    }
  }
  return out;
}""".replace("__PLAYER__", PLAYER_JS)

# The element that scrolls the page vertically (Streamlit scrolls a
# container, not the document), and a selector's centre in the viewport.
SCROLLER_JS = """() => {
  const p = (__PLAYER__)();
  for (let n = p.host.parentElement; n; n = n.parentElement) {
    const oy = getComputedStyle(n).overflowY;
    if (/(auto|scroll)/.test(oy) && n.scrollHeight > n.clientHeight) { n.dataset.benchScroller = '1'; return true; }
  }
  document.scrollingElement.dataset.benchScroller = '1';
  return true;
}""".replace("__PLAYER__", PLAYER_JS)
SCROLL_TOP_JS = "() => document.querySelector('[data-bench-scroller]').scrollTop"
CENTRE_JS = """(id) => {
  const p = (__PLAYER__)();
  const e = p.root.getElementById(id);
  if (!e || e.hidden) return null;
  const r = e.getBoundingClientRect(), f = p.frame ? p.host.getBoundingClientRect() : {left: 0, top: 0};
  return [f.left + r.left + r.width / 2, f.top + r.top + r.height / 2];
}""".replace("__PLAYER__", PLAYER_JS)


def kind_of(url: str) -> str:
    if "/component/" in url:
        return "player files"
    if "/static/" in url:
        return "Streamlit's files"
    return "other"


def first_visit(browser, url: str) -> dict:
    """Bytes of a first visit: HTTP (on the wire, by kind) and websocket."""
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
        k = kind_of(urls.get(rid, ""))
        by_kind[k] = by_kind.get(k, 0) + n
    files = {urls.get(rid, "?").split("?")[0].split("/", 3)[-1]: n for rid, n in sizes.items()}
    out = {"http_bytes": sum(sizes.values()), "by_kind": by_kind, "requests": len(sizes), "files": files,
           "websocket_bytes": wire.bytes_since(t0), "seconds": round(seconds, 2)}
    ctx.close()
    return out


def swipe(page, cdp, x: float, y: float, dy: float = -150, steps: int = 10) -> float:
    """Touch events of a finger moving `dy` px from (x, y); how far the page
    scrolled."""
    before = page.evaluate(SCROLL_TOP_JS)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, steps + 1):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y + dy * i / steps}]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(600)
    return page.evaluate(SCROLL_TOP_JS) - before


def phone(browser, url: str, size: tuple[int, int], shot_prefix: Path) -> dict:
    w, h = size
    ctx = browser.new_context(viewport={"width": w, "height": h}, device_scale_factor=3, is_mobile=True,
                              has_touch=True, user_agent=PHONE_UA)
    page = ctx.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    load(page, url, ours=True)
    page.wait_for_timeout(1500)
    page.evaluate(SCROLLER_JS)
    out = {"fit": page.evaluate(FIT_JS)}
    page.screenshot(path=str(shot_prefix) + "-load.png")
    # the player's top at the top of the window, then its bottom at the bottom
    page.evaluate(f"() => ({PLAYER_JS})().host.scrollIntoView({{block: 'start'}})")
    page.wait_for_timeout(400)
    out["covered_top"] = page.evaluate(COVER_JS)
    page.screenshot(path=str(shot_prefix) + "-top.png")
    page.evaluate(f"() => ({PLAYER_JS})().host.scrollIntoView({{block: 'end'}})")
    page.wait_for_timeout(400)
    out["covered_bottom"] = page.evaluate(COVER_JS)
    page.screenshot(path=str(shot_prefix) + "-bottom.png")
    # a finger swiping up over parts of the player: does the page scroll?
    cdp = ctx.new_cdp_session(page)
    swipes = {}
    for target in ("toolbar", "plot2d", "legend", "plotside"):
        page.evaluate(f"() => ({PLAYER_JS})().root.getElementById('{target}').scrollIntoView({{block: 'center'}})")
        page.wait_for_timeout(300)
        centre = page.evaluate(CENTRE_JS, target)
        if centre is not None:
            swipes[target] = round(swipe(page, cdp, *centre))
    out["swipe_scrolls_page_px"] = swipes
    out["page_errors"] = problems
    ctx.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=10, help="slider moves per player, in all rounds")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--visits", type=int, default=3, help="first visits of each player")
    ap.add_argument("--floor", type=Path, default=FLOOR)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--out", type=Path, default=ROOT / "artifacts" / "frameless")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: weight, latency, phone")
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    a.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "loadavg_start": os.getloadavg()}
    servers, ports = {}, {}
    try:
        for v in VARIANTS:
            ports[v] = free_port()
            servers[v] = start_server(ROOT, ports[v], env={"OPTVIZ_PLAYER": v})
        if "latency" not in skip:
            ports["floor"] = free_port()
            servers["floor"] = start_server(a.floor, ports["floor"])
        url = {k: f"http://127.0.0.1:{p}/" for k, p in ports.items()}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=a.chromium, args=CHROMIUM_ARGS)
            # every server compiled and served once before anything is timed
            for v in VARIANTS:
                ctx = browser.new_context()
                load(ctx.new_page(), url[v], ours=True)
                ctx.close()

            if "weight" not in skip:
                for _ in range(a.visits):  # in turn, so both share the machine's mood
                    for v in VARIANTS:
                        results.setdefault(f"first_visit_{v}", []).append(first_visit(browser, url[v]))

            if "latency" not in skip:
                pages = {}
                for k in (*VARIANTS, "floor"):
                    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
                    wire = Wire(page)
                    if k == "floor":
                        page.goto(url[k])
                        page.wait_for_selector(".js-plotly-plot", timeout=120_000)
                        page.wait_for_selector(IDLE, state="attached", timeout=120_000)
                    else:
                        load(page, url[k], ours=True)
                    pages[k] = (page, wire)
                moves = {k: [] for k in pages}
                per_round = max(1, a.reps // a.rounds)
                for r in range(a.rounds):
                    # right, then back left: the sliders never reach an end
                    key = "ArrowRight" if r % 2 == 0 else "ArrowLeft"
                    for k, (page, wire) in pages.items():
                        page.bring_to_front()
                        moves[k].append(slider_moves(page, wire, ".st-key-lr" if k == "floor" else APP_SLIDER,
                                                     per_round, ours=k != "floor", key=key))
                for k, rounds in moves.items():
                    results[f"moves_{k}"] = rounds
                for page, _ in pages.values():
                    page.context.close()

            if "phone" not in skip:
                for pname, size in PHONES.items():
                    for where, query in PHONE_PAGES.items():
                        for v in VARIANTS:
                            results[f"phone_{pname}_{where}_{v}"] = phone(
                                browser, url[v] + query, size, a.out / f"{pname}-{where}-{v}")
            browser.close()
    finally:
        for proc in servers.values():
            stop_server(proc)
    results["loadavg_end"] = os.getloadavg()
    report(results, a.reps, a.out)
    if a.json:
        a.json.write_text(json.dumps(results, indent=2) + "\n")


def report(results: dict, reps: int, out: Path) -> None:
    for v in VARIANTS:
        visits = results.get(f"first_visit_{v}")
        if visits:
            for i, f in enumerate(visits):
                kinds = ", ".join(f"{k} {n / 1e3:.0f} KB" for k, n in sorted(f["by_kind"].items()))
                print(f"first visit {v} #{i + 1}: HTTP {f['http_bytes'] / 1e3:.0f} KB in {f['requests']} requests "
                      f"({kinds}); websocket {f['websocket_bytes'] / 1e3:.0f} KB; drawn and idle in {f['seconds']} s")
    if "first_visit_v1" in results and "first_visit_v2" in results:
        one, two = results["first_visit_v1"][0]["files"], results["first_visit_v2"][0]["files"]
        only = lambda a, b: ", ".join(f"{k} {a[k] / 1e3:.1f} KB" for k in sorted(set(a) - set(b))) or "none"
        print(f"  files only v1 loads: {only(one, two)}")
        print(f"  files only v2 loads: {only(two, one)}")
    if "moves_floor" in results:
        floor = [m["median_ms"] for m in results["moves_floor"]]
        print(f"slider moves ({reps} per player, in {len(floor)} rounds), median ms per round:")
        for k in (*VARIANTS, "floor"):
            rounds = results[f"moves_{k}"]
            med = [m["median_ms"] for m in rounds]
            line = f"  {k:5s} data " + " ".join(f"{m:5.0f}" for m in med)
            if k != "floor":
                drawn = [m["drawn_median_ms"] for m in rounds]
                line += "  drawn " + " ".join(f"{m:5.0f}" for m in drawn)
                line += "  ratio to floor " + " ".join(f"{m / f:.2f}" for m, f in zip(med, floor, strict=True))
                line += f"  (drawn {statistics.median(d / f for d, f in zip(drawn, floor, strict=True)):.2f})"
            line += f"  bytes/move {statistics.median(m['bytes_per_move'] for m in rounds):.0f}"
            print(line)
    for key, r in results.items():
        if key.startswith("phone_"):
            fit = r["fit"]
            print(f"{key}: box {fit['box']} app {fit['app']} band below {fit['band_below']} px, past right "
                  f"{fit['past_right']} px, past bottom {fit['past_bottom']} px, sideways {fit['sideways'] or 'none'}; covered top "
                  f"{r['covered_top']['covered']}/{r['covered_top']['points']} {r['covered_top']['by']}, bottom "
                  f"{r['covered_bottom']['covered']}/{r['covered_bottom']['points']} {r['covered_bottom']['by']}; "
                  f"swipe scrolls page {r['swipe_scrolls_page_px']}; errors {r['page_errors'] or 'none'}")
    print(f"screenshots in {out}")
    print(f"load average {results['loadavg_start'][0]:.1f} -> {results['loadavg_end'][0]:.1f}")


if __name__ == "__main__":
    main()
