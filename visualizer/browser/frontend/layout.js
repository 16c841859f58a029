// Sizes: the frame height (and, in presentation mode, fitting the visible
// viewport), the split between the main plot and the side charts, the 2D
// plot area, the legend's place, and canvases that follow their host.

import { el } from "./dom.js";
import { S } from "./state.js";
import { style, setMode, FONT } from "./marks.js";
import * as component from "./component.js";
import { TOUCH } from "./figure.js";

const MIN_PRESENT_HEIGHT = 360;
// The main panel's least height in a narrow presentation, when a compact
// legend takes room from it.
const MIN_NARROW_PLOT = 200;
// A narrow player's plot is never shorter than this, however flat the
// window: a wide, short window (a network's plane) gets no empty band.
const MIN_FITTED_PLOT = 240;

// Where the legend went (placeLegend): under the 2D plot or above the
// side charts; and a network's data panel (placeData): under the legend in
// the main panel, or in the side column.
// legendShort: what a compact legend in the side column lacks of the
// height it needs (applyHeight gives it from the plot in a narrow
// presentation).
export const box = { legendInMain: false, legendH: 0, legendTop2d: 0, legendShort: 0,
  dataInMain: false, dataH: 0, dataTop2d: 0 };

export function sizeCanvas(canvas, host) {
  const dpr = window.devicePixelRatio || 1;
  const w = host.clientWidth, h = host.clientHeight;
  if (canvas._w !== w || canvas._h !== h || canvas._dpr !== dpr) {
    canvas.width = Math.max(1, Math.round(w * dpr));
    canvas.height = Math.max(1, Math.round(h * dpr));
    canvas.style.width = w + "px";
    canvas.style.height = h + "px";
    canvas._w = w; canvas._h = h; canvas._dpr = dpr;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

const measureCtx = document.createElement("canvas").getContext("2d");
export function textWidth(text, size) {
  measureCtx.font = (size || 13) + "px " + FONT;
  return measureCtx.measureText(text).width;
}

// The longest of `forms` that fits `room` px at the chart titles' size;
// the last one cut (with an ellipsis) if none does.
export function fitTitle(forms, room, size) {
  size = size || style().font.chartTitle;
  for (const t of forms) if (textWidth(t, size) <= room) return t;
  let t = forms[forms.length - 1];
  while (t.length > 3 && textWidth(t + "\u2026", size) > room) t = t.slice(0, -1);
  return t.length < forms[forms.length - 1].length ? t.trimEnd() + "\u2026" : t;
}

// Margins of the 2D figure around its plot area, from the font sizes.
function margins2d(d) {
  const f = style().font;
  // a phone's plot takes what its 16 px labels leave: tighter than the
  // desktop's figures, which leave room for any tick
  if (style().name === "phone") {
    return { l: Math.round(f.tick * 2.6 + f.axisTitle + 2), t: Math.round(f.title + 16), b: Math.round(f.tick + f.axisTitle + 16),
      cb: d && d.grid ? Math.round(18 + f.tick * 3) : 0, r: 8 };
  }
  return {
    l: Math.round(f.tick * 3.3 + f.axisTitle + 6),
    t: Math.round(f.title + 19),
    b: Math.round(f.tick + f.axisTitle + 18),
    cb: d && d.grid ? Math.round(22 + f.tick * 3.6) : 0,
    r: 12,
  };
}

function isEqualScale(d) {
  const [[x0, x1], [y0, y1]] = d.window;
  const spanX = x1 - x0, spanY = y1 - y0;
  return spanX / spanY < 3 && spanY / spanX < 3;
}

// The plot area is sized here rather than by Plotly's scaleanchor, so the
// window keeps equal x/y scale (gradients look perpendicular to the level
// sets) and the colour bar sits right beside it: the largest plot area of
// the window's shape that the main panel holds.
export function mainGeometry(d) {
  const W = Math.max(200, el.main.clientWidth), H = Math.max(200, el.main.clientHeight);
  const M = margins2d(d);
  const [[x0, x1], [y0, y1]] = d.window;
  const spanX = x1 - x0, spanY = y1 - y0;
  const equal = isEqualScale(d);
  const availW = Math.max(80, W - M.l - M.cb - M.r), availH = Math.max(80, H - M.t - M.b);
  let pw = availW, ph = availH;
  if (equal) {
    const k = Math.min(availW / spanX, availH / spanY);
    pw = spanX * k; ph = spanY * k;
  }
  pw = Math.floor(pw); ph = Math.floor(ph);
  return {
    W: W, H: H, equal: equal, M: M, pw: pw, ph: ph,
    margin: { l: M.l, r: W - M.l - pw, t: M.t, b: H - M.t - ph, pad: 0 },
  };
}

// A narrow player stacks the plot over the side column.
export function narrowNow() {
  const w = document.documentElement.clientWidth || window.innerWidth || 800;
  return w < (S.present ? 520 : 640);
}

// The style table's mode: presentation, a narrow player on a touch screen
// (a phone: no text under 16 px, marks a finger can hit), or normal.
export function styleMode() {
  return S.present ? "present" : narrowNow() && TOUCH ? "phone" : "normal";
}

// Presentation mode, and an embedded player: the player fits the visible
// viewport of the page (the iframe is same-origin), from the frame's top in
// the page's scrolled content down to the window's bottom.
function presentHeight() {
  try {
    const fe = window.frameElement, pw = window.parent;
    if (!fe || !pw || pw === window) return S.height;
    let top = fe.getBoundingClientRect().top;
    for (let n = fe.parentElement; n; n = n.parentElement) top += n.scrollTop || 0;
    return Math.max(MIN_PRESENT_HEIGHT, Math.floor(pw.innerHeight - Math.max(0, top) - 6));
  } catch (e) {
    return Math.max(MIN_PRESENT_HEIGHT, S.height);
  }
}

// `fn` whenever the host page's window changes size (the frame itself
// only hears about its width); the listener goes with the frame.
export function watchViewport(fn) {
  let pw = null;
  try { pw = window.parent !== window ? window.parent : null; pw && pw.addEventListener("resize", fn); } catch (e) { pw = null; }
  const off = () => { try { pw && pw.removeEventListener("resize", fn); } catch (e) { /* gone */ } };
  window.addEventListener("pagehide", off);
  window.addEventListener("unload", off);
}

// Drop the toolbar's words when it would take two rows: first the ones
// the icons say anyway, then more, then tighten it (the counter without
// "step", narrower buttons).
function fitToolbar() {
  const tb = el.toolbar, app = el.app;
  app.classList.remove("compact", "compact2", "compact3");
  const row = (el.play.offsetHeight || 32) + 8;
  for (const level of ["compact", "compact2", "compact3"]) {
    if (tb.offsetHeight <= row * 1.5) break;
    app.classList.add(level);
  }
}

// The height a narrow player's 2D plot of this window needs at its full
// width (an equal-scale window), or Infinity.
function plotNeed(w) {
  if (!S.d || !isEqualScale(S.d)) return Infinity;
  const [[x0, x1], [y0, y1]] = S.d.window, M = margins2d(S.d);
  const pw = (el.main.clientWidth || w) - M.l - M.cb - M.r;
  return Math.round(M.t + M.b + 6 + pw * (y1 - y0) / (x1 - x0));
}

export function applyHeight() {
  const w = document.documentElement.clientWidth || window.innerWidth || 800;
  S.narrow = narrowNow();
  setMode(styleMode());
  el.app.classList.toggle("narrow", S.narrow);
  el.app.classList.toggle("present", S.present);
  el.app.classList.toggle("phone", style().name === "phone");
  el.app.classList.toggle("embed", S.embed);
  fitToolbar();
  const fit = S.present || S.embed;
  let total = fit ? presentHeight() : S.height;
  if (S.narrow) {
    const tb = el.toolbar.offsetHeight || 90;
    let mainH, sideH;
    placeLegend();
    placeData(false);
    if (fit) {
      const rest = Math.max(200, total - tb - 4);
      // the plot as tall as it needs at this width, at most 58%: the side
      // column (the question, the legend, the charts) gets the rest
      mainH = Math.round(Math.min(rest * 0.58, Math.max(MIN_FITTED_PLOT, plotNeed(w))));
      // a question open: it comes whole under the plot, and two rows of the
      // legend, the plot shrinking for them down to MIN_NARROW_PLOT
      if (S.asking && !el.quiz.hidden) {
        const legend = el.legend.hidden ? 0 : Math.min(el.legend.scrollHeight, 2 * style().font.ui * 1.5 + 12);
        mainH = Math.max(MIN_NARROW_PLOT, Math.min(mainH, rest - el.quiz.scrollHeight - legend - 6));
      }
      sideH = rest - mainH;
      // the legend placed again with the side's height known; a compact
      // legend short of room takes it from the plot if that leaves the
      // plot MIN_NARROW_PLOT
      el.side.style.height = sideH + "px";
      placeLegend();
      const give = box.legendShort;
      if (give > 0 && give <= mainH - MIN_NARROW_PLOT) {
        mainH -= give; sideH += give;
        el.side.style.height = sideH + "px";
        placeLegend();
      }
    } else {
      mainH = Math.round(Math.min(620, Math.max(340, w * 0.9 + 90)));
      // as tall as the 2D plot of this window at the full width needs
      mainH = Math.round(Math.min(mainH, Math.max(MIN_FITTED_PLOT, plotNeed(w))));
      // (the charts wait while a question is open)
      sideH = (S.asking ? 8 : 380) + (el.legend.hidden ? 0 : el.legend.offsetHeight) + panelsHeight();
      total = tb + mainH + sideH + 4;
    }
    el.main.style.height = mainH + "px";
    el.side.style.height = sideH + "px";
  } else {
    el.main.style.height = "";
    el.side.style.height = "";
  }
  el.app.style.height = total + "px";
  applySplit(false);
  if (!S.narrow) {
    placeLegend();
    placeData(true);
    if (!box.dataInMain && !el.data.hidden) {
      // in the side column: the side gets a figure panel's share
      applySplit(true);
      placeLegend();
      placeData(false);
      sizeDataPanel();
      placeLegend();
      sizeDataPanel(); // again, with the legend's height known
    }
    positionLegend();
  }
  component.setFrameHeight(total);
}

// A network's data panel goes under the legend in the main panel when the
// window's shape leaves room there for its plot (MIN_DATA_MAIN tall), else
// into the side column above the charts. Decided per payload and size,
// never per view (in 3D it stays under the figure).
const MIN_DATA_MAIN = { normal: 190, present: 220, phone: 190 };
function placeData(mayGoInMain) {
  const P = el.data, d = S.d;
  let inMain = false;
  if (mayGoInMain && !P.hidden && d && d.model && !S.narrow && (box.legendInMain || el.legend.hidden)) {
    const g = mainGeometry(d);
    const top = (box.legendInMain ? box.legendTop2d + box.legendH : g.M.t + g.ph + g.M.b) + 8;
    const left = Math.max(4, g.M.l - 4), width = g.W - left - 8;
    if (P.parentNode !== el.main) el.main.appendChild(P);
    P.classList.add("in-main");
    P.style.left = left + "px"; P.style.width = width + "px";
    const avail = g.H - top - 4;
    const L = dataLayout(width, avail, 0);
    if (L.boxH >= MIN_DATA_MAIN[style().name]) {
      if (L.beside) {
        // the words' column as wide as they want, no wider: measured again
        P.style.width = Math.min(width, L.width) + "px";
        L.height = Math.max(L.boxH, measureData(true, L.boxW));
      }
      // all of it above the frame's bottom edge (a narrow column of words
      // can be taller than the plot), else the side column
      if (L.height <= avail) {
        inMain = true;
        applyDataLayout(L);
        box.dataTop2d = top;
        box.dataH = L.height;
      }
    }
  }
  box.dataInMain = inMain;
  if (!inMain) {
    box.dataH = 0;
    P.classList.remove("in-main");
    P.style.left = ""; P.style.width = ""; P.style.top = "";
    if (P.parentNode !== el.side) el.side.insertBefore(P, el.charts);
    if (S.narrow) sizeDataPanel();
  }
}

// The data panel's words: at least this wide beside the plot, at most
// this wide when there is room.
function dataWords() {
  const u = style().font.ui;
  return { min: Math.round(10.5 * u + 20), max: Math.round(17 * u + 20) };
}

// The panel's height with the plot left out: stacked, everything but the
// plot; beside (the plot `boxW` wide), the column of words.
function measureData(beside, boxW) {
  const P = el.data;
  P.classList.toggle("beside", beside);
  P.style.height = "auto";
  P.style.setProperty("--data-box-w", (boxW || 0) + "px");
  P.style.setProperty("--data-box-h", "0px");
  return P.offsetHeight;
}

// The best layout of the data panel in a place `W` px wide with `avail` px
// of height: the words under the plot, or beside it when that gives the
// plot more room. {beside, boxW, boxH, height, width}.
function dataLayout(W, avail, pad) {
  const [[x0, x1], [y0, y1]] = S.d.model.window, aspect = (x1 - x0) / (y1 - y0);
  const inner = W - pad, words = dataWords();
  const chrome = measureData(false);
  const stacked = Math.floor(Math.min(avail - chrome, inner / aspect, S.narrow ? 360 : Infinity));
  const beside = Math.floor(Math.min(avail, (inner - 12 - words.min) / aspect));
  if (!S.narrow && beside > 0 && beside > 1.1 * stacked) {
    const boxW = Math.floor(beside * aspect);
    const wordsH = measureData(true, boxW);
    return { beside: true, boxW: boxW, boxH: beside, height: Math.max(beside, wordsH),
      width: boxW + 12 + Math.min(words.max, inner - boxW - 12) + pad };
  }
  measureData(false);
  return { beside: false, boxW: Math.floor(stacked * aspect), boxH: stacked, height: stacked + chrome,
    width: Math.max(Math.floor(stacked * aspect), words.max) + pad };
}

function applyDataLayout(L) {
  const P = el.data;
  P.classList.toggle("beside", L.beside);
  P.style.setProperty("--data-box-w", L.boxW + "px");
  P.style.setProperty("--data-box-h", L.boxH + "px");
  const h = L.height + "px";
  if (P.style.height !== h) P.style.height = h;
}

// The data panel in the side column: as big as the plot of the data
// window wants at the column's width, but the charts under it keep room
// for two panels (the accuracy and the loss; in presentation mode, with
// its large type, one, the accuracy, if two leave the plot under
// MIN_DATA_BOX), and the plot at least MIN_DATA_BOX.
const MIN_DATA_BOX = 150;
function sizeDataPanel() {
  const P = el.data, d = S.d;
  if (P.hidden || !d || !d.model) return;
  const availFor = (n) => {
    if (S.narrow) return Infinity;
    const f = style().font;
    const charts = (f.chartTitle + 10) + n * Math.round(f.tick * 5.2) + (n - 1) * (f.chartTitle + 16) + f.tick + f.axisTitle + 20;
    let others = el.inside.hidden ? 0 : el.inside.offsetHeight;
    for (const q of el.side.querySelectorAll(".side-panel")) if (!q.hidden && q !== P) others += q.offsetHeight;
    if (!el.legend.hidden && el.legend.parentNode === el.side) others += el.legend.offsetHeight;
    return el.side.clientHeight - others - charts;
  };
  // two charts (the accuracy and the loss) while that leaves the plot
  // MIN_DATA_BOX; in presentation mode's large type, else one
  let L = dataLayout(P.clientWidth, availFor(2), 12);
  if (S.present && L.boxH < MIN_DATA_BOX) L = dataLayout(P.clientWidth, availFor(1), 12);
  if (L.boxH < MIN_DATA_BOX) {
    const chrome = measureData(false);
    L = { beside: false, boxW: 0, boxH: MIN_DATA_BOX, height: MIN_DATA_BOX + chrome };
  }
  applyDataLayout(L);
}

// Width of the main panel: what the 2D plot of this window needs to be
// limited by the height alone, between 50% and 62% of the row; the side
// charts get the rest. Same in 3D, so switching views moves nothing.
function applySplit(withData) {
  const d = S.d;
  if (S.narrow || !d) { el.main.style.flex = ""; return; }
  const total = el.panels.clientWidth, H = el.panels.clientHeight;
  if (!(total > 0) || !(H > 0)) return;
  const [[x0, x1], [y0, y1]] = d.window;
  const M = margins2d(d);
  const plotW = isEqualScale(d) ? (H - M.t - M.b) * (x1 - x0) / (y1 - y0) : Infinity;
  const need = M.l + M.cb + M.r + plotW;
  // with the "Inside a step" panel the side gets a little more: the rule's
  // rows are wide
  // and so does a figure panel (the exploration's curve or map)
  // (or a network's data panel)
  const figurePanel = !!el.side.querySelector(".side-panel.figure:not([hidden])") || (withData && !el.data.hidden);
  const most = figurePanel ? 0.54 : S.inside.on && d.inside && d.inside.offered ? 0.56 : 0.62;
  const w = Math.round(Math.max(0.5 * total, Math.min(most * total, need)));
  const flex = "0 0 " + w + "px";
  if (el.main.style.flex !== flex) el.main.style.flex = flex;
}

// The run legend goes under the 2D plot when the window's shape leaves
// room there for all of it (wide windows), else above the side charts.
// Decided per payload and size, never per view: in 3D it stays under the
// figure, which then gets the height above it.
function placeLegend() {
  const d = S.d, L = el.legend;
  let inMain = false;
  if (d && !S.narrow && !L.hidden) {
    const g = mainGeometry(d);
    const top = g.M.t + g.ph + g.M.b;
    if (L.parentNode !== el.main) el.main.appendChild(L);
    L.classList.add("in-main");
    L.style.left = Math.max(0, g.M.l - 4) + "px";
    L.style.width = Math.max(160, g.pw + g.M.cb) + "px";
    const h = fitLegendColumns();
    if (h > 0 && top + h <= g.H - 2) {
      inMain = true;
      box.legendTop2d = top;
      box.legendH = h;
    }
  }
  box.legendInMain = inMain;
  box.legendShort = 0;
  setInline(false);
  if (!inMain) {
    L.classList.remove("in-main");
    L.style.left = ""; L.style.width = ""; L.style.top = "";
    // above the side charts, leaving them room for one panel (presentation)
    // or all three
    const H = el.side.clientHeight;
    const panel = panelsHeight();
    const maxH = H > 0 ? Math.round(Math.max((panel ? 0.2 : 0.3) * H, H - panel - (S.present ? 150 : 330))) : 0;
    L.style.maxHeight = maxH ? maxH + "px" : "";
    if (L.parentNode !== el.side || L.nextSibling !== el.inside) el.side.insertBefore(L, el.inside);
    if (!L.hidden) {
      fitLegendColumns();
      // rows that do not all fit: the compact legend, if it shows more of
      // them (the charts keep MIN_CHARTS_INLINE)
      if (maxH && L.scrollHeight > maxH + 1) {
        // (in a narrow column its panels already run past, all of it: the
        // runs before the rest of a panel cut anyway)
        const room = H - panel - MIN_CHARTS_INLINE[style().name];
        if (!fitInline(S.narrow && room < 0 ? Infinity : Math.max(maxH, room), room)) snapToRows(maxH);
      }
    }
  } else {
    L.style.maxHeight = "";
  }
  positionLegend();
}

// The compact legend: the runs flow left to right and wrap, each its
// swatch and label (a long label cut, whole in its tooltip), the marks
// after them as far as they add no line. Taken when the rows do not fit the
// height the side column gives the legend.
const MIN_CHARTS_INLINE = { normal: 250, present: 120, phone: 250 };

// The compact legend's longest labels (then cut, with an ellipsis).
const LABEL_CUTS = ["11em", "8em", "6em"];
const prev = (cut) => LABEL_CUTS[Math.max(0, LABEL_CUTS.indexOf(cut) - 1)];

function setInline(on) {
  const L = el.legend;
  if (!on && !L.classList.contains("inline")) return;
  L.classList.toggle("inline", on);
  L.style.removeProperty("--label-max");
  L.classList.remove("nomarks", "inline-scroll");
  for (const m of el.legendMarks.children) m.hidden = false;
  if (!on) for (const t of el.legendRuns.querySelectorAll(".text[title]")) t.removeAttribute("title");
}

// The compact legend in at most `most` px, if it shows more runs than the
// rows would; false (and the rows again) if not. Records in
// box.legendShort what the side column lacks for all of it with `room` px
// left for it by the charts.
function fitInline(most, room) {
  const L = el.legend, before = L.style.maxHeight, breakable = L.classList.contains("breakable");
  const shownBefore = wholeRows(parseFloat(before) || most);
  L.style.maxHeight = "";
  setInline(true);
  L.classList.remove("breakable");
  // labels cut shorter while that saves a line the room lacks
  L.classList.add("nomarks");
  let need = Infinity;
  for (const cut of LABEL_CUTS) {
    L.style.setProperty("--label-max", cut);
    const h = L.offsetHeight;
    if (h < need - 2) need = h;
    else { L.style.setProperty("--label-max", prev(cut)); break; }
    if (need <= most) break;
  }
  L.classList.remove("nomarks");
  // the marks (the minimum first) as far as they add no line
  const marks = [...el.legendMarks.children];
  for (let k = marks.length; k >= 0; k--) {
    marks.forEach((m, i) => { m.hidden = i >= k; });
    if (k === 0 || L.offsetHeight <= need + 2) break;
  }
  box.legendShort = need > most ? Math.ceil(need - room) : 0;
  if (need > most) {
    L.classList.add("inline-scroll");
    L.style.maxHeight = most + "px";
    snapToRows(most);
    if (wholeRows(most) <= shownBefore) {
      setInline(false);
      L.style.maxHeight = before;
      L.classList.toggle("breakable", breakable);
      return false;
    }
  }
  for (const t of el.legendRuns.querySelectorAll(".text")) {
    if ([...t.children].some((c) => c.scrollWidth > c.clientWidth + 1)) t.title = t.textContent;
    else t.removeAttribute("title");
  }
  return true;
}

// How many runs of the legend end within its top `h` px.
function wholeRows(h) {
  const L = el.legend, top = L.getBoundingClientRect().top - L.scrollTop;
  let n = 0;
  for (const row of el.legendRuns.children) if (row.getBoundingClientRect().bottom - top <= h - 4) n++;
  return n;
}

// What the panels of the side column take ("Inside a step" and every
// .side-panel shown, such as the exploration), apart from the legend and
// the charts.
export function panelsHeight() {
  let h = el.inside.hidden ? 0 : el.inside.offsetHeight;
  for (const p of el.side.querySelectorAll(".side-panel")) if (!p.hidden) h += p.offsetHeight;
  return h;
}

// As many columns as make the legend shortest without breaking a word or
// pushing text out of its column; one column for up to three runs. Labels
// wrap between words, never clipped (a word longer than the whole legend
// is the one thing broken). Returns the legend's height.
function fitLegendColumns() {
  const L = el.legend, runs = el.legendRuns, n = runs.children.length;
  const minCol = 150 + 2.5 * style().font.ui;
  const maxCols = Math.max(1, Math.min(n <= 3 ? 1 : 4, Math.ceil(n / 2), Math.floor((L.clientWidth - 16) / minCol)));
  const texts = runs.querySelectorAll(".text");
  const overflows = () => Array.prototype.some.call(texts, (t) => t.scrollWidth > t.clientWidth + 1);
  L.classList.remove("breakable");
  let best = 1, bestH = Infinity;
  for (let c = 1; c <= maxCols; c++) {
    runs.style.gridTemplateColumns = "repeat(" + c + ", minmax(0, 1fr))";
    if (c > 1 && overflows()) break;
    const h = runs.offsetHeight;
    if (h < bestH - 2) { best = c; bestH = h; }
  }
  runs.style.gridTemplateColumns = "repeat(" + best + ", minmax(0, 1fr))";
  if (overflows()) L.classList.add("breakable");
  return L.offsetHeight;
}

// A legend that has to scroll ends after a whole row: no label shows cut
// in half at its bottom edge.
function snapToRows(maxH) {
  const L = el.legend;
  if (L.scrollHeight <= maxH + 1) return;
  const top = L.getBoundingClientRect().top - L.scrollTop;
  let fit = 0;
  for (const row of el.legendRuns.children) {
    const bottom = row.getBoundingClientRect().bottom - top;
    if (bottom <= maxH - 6) fit = Math.max(fit, bottom);
  }
  // (its bottom border under the last whole row: the padding would show
  // a sliver of the next)
  if (fit > 0) L.style.maxHeight = Math.ceil(fit + 1) + "px";
}

export function positionLegend() {
  const H = el.main.clientHeight, data = box.dataInMain ? box.dataH + 6 : 0;
  if (box.legendInMain) el.legend.style.top = (S.view === "3d" ? Math.max(0, H - box.legendH - data - 4) : box.legendTop2d) + "px";
  if (box.dataInMain) el.data.style.top = (S.view === "3d" ? Math.max(0, H - box.dataH - 2) : box.dataTop2d) + "px";
}

// What the legend and the data panel take under the 3D figure.
export function belowMain3d() {
  return (box.legendInMain ? box.legendH + 8 : 0) + (box.dataInMain ? box.dataH + 6 : 0);
}

// A key for "the main panel's size changed since it was drawn".
export function mainSize() {
  return el.main.clientWidth + "x" + el.main.clientHeight + (box.legendInMain ? "L" + box.legendH : "") +
    (box.dataInMain ? "D" + box.dataH : "") + style().name;
}
