// The 2D view: a Plotly figure for the axes, the title and the colour bar
// (the filled contour is a canvas under it, contour.js), and a canvas over
// it with the paths, heads and marks. A frame is a canvas redraw, never a
// Plotly call (~1 ms).

import { el } from "./dom.js";
import { S } from "./state.js";
import { style, paintMinimum, paintSaddle, paintStart, paintRunStart, paintPending, paintLabel, paintArrow } from "./marks.js";
import { fmt, tickText, linearTicks } from "./numbers.js";
import { bandScale, paintSurface, surfaceValue } from "./contour.js";
import { drawPaths, drawHeads, drawEnds, drawEndLabels, drawOrder } from "./paths.js";
import { sizeCanvas, mainGeometry, mainSize, textWidth, fitTitle } from "./layout.js";
import * as internals from "./plotly_internals.js";
import { PLOT_CONFIG, TOUCH, baseLayout, esc, titleForms } from "./figure.js";
import { drawInside } from "./overlays.js";
import { paintBasins, basinText } from "./explore.js";
import { drawClouds, drawFlows, drawFlowLabels } from "./dynamics.js";
import * as quiz from "./quiz.js";
import * as tally from "./tally.js";

export const stats2d = { layers: [], pathWidth: 0 };
let geo = null;     // plot-area geometry of the figure (plotly_internals.cartesian)
let size2d = "";

function colorbar(d, g) {
  const f = style().font;
  const shift = d.logScale && Math.abs(d.zmin) > 1e-12;
  const cb = {
    thickness: 12, outlinewidth: 0, xpad: 4, ypad: 0,
    x: 1 + 10 / g.pw, xanchor: "left", len: 1, y: 0, yanchor: "bottom",
    tickfont: { size: f.tick },
    title: { text: shift ? "f \u2212 min" : "f", side: "top", font: { size: f.tick } },
  };
  // Ticks at least a line and a third of text apart on the bar (the plot's
  // height less its title's line): a short plot (a network's plane is often
  // wide and flat) gets fewer ticks, not overlapping ones.
  const bar = Math.max(g.ph - 1.5 * f.tick, f.tick);
  const minGap = Math.max(f.tick > 15 ? 0.09 : 0.06, 1.35 * f.tick / bar);
  if (d.logScale) {
    const vals = [], text = [];
    const tooClose = (t) => vals.some((v) => Math.abs(v - t) < minGap * (d.hi - d.lo));
    const pushTick = (delta) => {
      const t = d.T(d.zmin + delta);
      if (t >= d.lo - 1e-9 && t <= d.hi + 1e-9 && !tooClose(t)) {
        vals.push(t);
        text.push(shift ? tickText(delta, delta >= 1e-3 && delta < 1e5) : fmt(d.zmin + delta));
      }
    };
    const kLo = Math.floor(d.lo) - 1, kHi = Math.ceil(d.hi) + 1;
    for (let k = kLo; k <= kHi; k++) pushTick(Math.pow(10, k));
    if (vals.length < 4) for (let k = kLo; k <= kHi; k++) { pushTick(2 * Math.pow(10, k)); pushTick(5 * Math.pow(10, k)); }
    cb.tickmode = "array"; cb.tickvals = vals; cb.ticktext = text;
  } else {
    Object.assign(cb, linearTicks(d.lo, d.hi, Math.max(2, Math.min(f.tick > 15 ? 5 : 7, Math.floor(1 / minGap)))));
  }
  return cb;
}

// Invisible markers that give the marks (drawn on the canvas) a hover text.
function hoverTrace(name, pts) {
  return {
    type: "scatter", mode: "markers", showlegend: false, name: name,
    x: pts.map((q) => q[0]), y: pts.map((q) => q[1]),
    marker: { size: 16, opacity: 0 },
    hovertemplate: name + "<extra></extra>", // the readout gives x, y and f
  };
}

export function figure2d(d) {
  const traces = [], g = mainGeometry(d), f = style().font;
  const [[x0, x1], [y0, y1]] = d.window;
  if (d.grid) {
    // the filled contour is on a canvas (contour.js); this invisible trace
    // only carries the colour bar
    traces.push({
      type: "scatter", mode: "markers", x: [null], y: [null], showlegend: false, hoverinfo: "skip", name: "f",
      marker: { color: [d.lo], cmin: d.lo, cmax: d.hi, colorscale: bandScale(d), showscale: true, colorbar: colorbar(d, g) },
    });
  }
  if (d.minima.length) traces.push(hoverTrace(d.minimaEstimated ? "estimated minimum" : "minimum", d.minima));
  if (d.saddles.length) traces.push(hoverTrace("saddle point", d.saddles));
  if (d.start) traces.push(hoverTrace("start", [d.start]));
  // ticks never turned: as many as the widest label leaves room for (a
  // tiny window's labels, "−4×10⁻⁴", are long)
  const axis = (range, title, standoff, px, horizontal) => {
    const span = range[1] - range[0], mag = Math.max(Math.abs(range[0]), Math.abs(range[1]));
    const small = mag > 0 && (mag < 1e-2 || mag >= 1e5);
    const label = horizontal ? textWidth(small ? "\u22124\u00d710\u207b\u2074" : fmt(-mag + span * 0.01), f.tick) + 14 : f.tick * 2;
    return {
      range: range, title: { text: title, standoff: standoff, font: { size: f.axisTitle } },
      showgrid: false, zeroline: false, ticks: "outside", ticklen: 4, mirror: true, showline: true,
      linecolor: style().figure.axis, tickfont: { size: f.tick }, automargin: false, exponentformat: "power",
      nticks: Math.max(2, Math.min(f.tick > 15 ? 6 : 9, Math.floor(px / label))), tickangle: 0,
    };
  };
  const layout = Object.assign(baseLayout(), {
    uirevision: d.uirev,
    datarevision: d.rev,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    width: g.W, height: g.H,
    margin: g.margin,
    title: { text: esc(fitTitle(titleForms(d.name, 90), g.W - 12, f.title)), x: 0.01, xanchor: "left", y: 1 - 4 / g.H, yanchor: "top",
      font: { size: f.title } },
    xaxis: axis([x0, x1], "x", 2, g.pw, true),
    yaxis: axis([y0, y1], "y", 4, g.ph, false),
    showlegend: false,
    hovermode: "closest",
    // a finger on the plot scrolls the page (Plotly's drag would hold it)
    dragmode: TOUCH ? false : "zoom",
  });
  return { data: traces, layout: layout };
}

export function render2d() {
  const d = S.d;
  size2d = mainSize();
  const fig = figure2d(d);
  const config = TOUCH ? Object.assign({}, PLOT_CONFIG, { displayModeBar: false }) : PLOT_CONFIG;
  return Plotly.react(el.plot2d, fig.data, fig.layout, config).then(() => {
    S.stale2d = false;
    bindEvents();
    updateGeometry();
    drawSurface();
    draw2d();
  });
}

// New runs on the same figure: place their points and draw them.
export function refreshRuns() {
  updateGeometry();
  draw2d();
}

export function needsResize() {
  return !S.stale2d && size2d !== mainSize();
}

function bindEvents() {
  const gd = el.plot2d;
  if (gd._playerBound) return;
  gd._playerBound = true;
  gd.on("plotly_relayouting", () => { el.paths2d.style.visibility = "hidden"; el.surf2d.style.visibility = "hidden"; });
  gd.on("plotly_relayout", () => {
    el.paths2d.style.visibility = ""; el.surf2d.style.visibility = "";
    updateGeometry();
    drawSurface();
    draw2d();
  });
}

function updateGeometry() {
  const g = internals.cartesian(el.plot2d);
  geo = g && S.d ? g : null;
  if (!geo) return;
  const LIM = 1e6;
  const cx = (v) => Math.max(-LIM, Math.min(LIM, g.L + g.x2p(v)));
  const cy = (v) => Math.max(-LIM, Math.min(LIM, g.T + g.y2p(v)));
  for (const r of S.d.runs) {
    for (let k = 0; k <= r.n; k++) {
      r.px[k] = r.X[k] === r.X[k] ? cx(r.X[k]) : NaN;
      r.py[k] = r.Y[k] === r.Y[k] ? cy(r.Y[k]) : NaN;
    }
  }
  for (const over of [el.picker, el.answerPick]) {
    const p = over.style;
    p.left = g.L + "px"; p.top = g.T + "px"; p.width = g.W + "px"; p.height = g.H + "px";
  }
}

export function drawSurface() {
  const c = el.surf2d;
  const ctx = sizeCanvas(c, el.main);
  ctx.clearRect(0, 0, c._w, c._h);
  if (!S.d || !geo || S.view !== "2d") return;
  paintSurface(ctx, S.d, geo, c._dpr, (cx) => paintBasins(cx, geo)); // basins, if starts are explored
}

function inside(x, y) {
  const g = geo;
  return x >= g.L && x <= g.L + g.W && y >= g.T && y <= g.T + g.H;
}

// Where the ray from the plot centre to (x, y) leaves the plot area.
function edgePoint(x, y) {
  const g = geo, cx = g.L + g.W / 2, cy = g.T + g.H / 2;
  const dx = x - cx, dy = y - cy, m = style().head.arrow;
  const sx = dx !== 0 ? (g.W / 2 - m) / Math.abs(dx) : Infinity;
  const sy = dy !== 0 ? (g.H / 2 - m) / Math.abs(dy) : Infinity;
  const s = Math.min(sx, sy, 1);
  return [cx + dx * s, cy + dy * s, Math.atan2(dy, dx)];
}

function toScreen(x, y) {
  return [geo.L + geo.x2p(x), geo.T + geo.y2p(y)];
}

// Layers, bottom to top: paths, heads, diverged crosses, start marks,
// minima, saddles, labels, the pending start. Marks go above the paths:
// a path that ends in a minimum still shows through the outlined star.
export function draw2d() {
  const ctx = sizeCanvas(el.paths2d, el.main);
  ctx.clearRect(0, 0, el.paths2d._w, el.paths2d._h);
  const d = S.d, g = geo;
  if (!d || !g || S.view !== "2d") return;
  const layers = [];
  // while a question is open: the starts and the surface's marks only (a
  // cloud or a flow would tell where the runs go)
  let labels = [];
  let items = [];
  let flowLabels = [];
  if (!S.asking) {
    ctx.save();
    ctx.beginPath(); ctx.rect(g.L, g.T, g.W, g.H); ctx.clip();
    if (drawClouds(ctx, d, toScreen, S.stepF)) layers.push("clouds");
    flowLabels = drawFlows(ctx, d, toScreen, S.stepF);
    if (d.runs.some((r) => r.flow)) layers.push("flows");
    items = drawPaths(ctx, d, (r) => r, S.stepF);
    ctx.restore();
    layers.push("paths:" + items.map((it) => it.r.i).join(","));
    drawHeads(ctx, items, inside, edgePoint);
    layers.push("heads");
    labels = drawEnds(ctx, items, (x, y) => (inside(x, y) ? [x, y] : edgePoint(x, y)));
    layers.push("diverged");
  }
  if (d.start) {
    const [x, y] = toScreen(d.start[0], d.start[1]);
    if (inside(x, y)) paintStart(ctx, x, y);
  } else if (d.runStarts) {
    for (const r of drawOrder(d)) {
      if (!r.start) continue;
      const [x, y] = toScreen(r.start[0], r.start[1]);
      if (inside(x, y)) paintRunStart(ctx, x, y, r.color);
    }
  }
  layers.push("starts");
  for (const q of d.minima) { const [x, y] = toScreen(q[0], q[1]); if (inside(x, y)) paintMinimum(ctx, x, y); }
  layers.push("minima");
  for (const q of d.saddles) { const [x, y] = toScreen(q[0], q[1]); if (inside(x, y)) paintSaddle(ctx, x, y); }
  layers.push("saddles");
  if (!S.asking && drawInside(ctx, g)) layers.push("inside");
  drawEndLabels(ctx, labels, g.L + g.W, g.T);
  drawFlowLabels(ctx, flowLabels, g);
  if (tally.drawPlot(ctx, toScreen, inside)) layers.push("room");
  if (quiz.drawPlot(ctx, toScreen, inside, edgePoint, (x, y, a, color) => paintArrow(ctx, x, y, a, color), g.L + g.W)) layers.push("answer");
  if (S.pending) {
    const [x, y] = toScreen(S.pending[0], S.pending[1]);
    paintPending(ctx, x, y);
    paintLabel(ctx, "new start\u2026", x + style().pending.r + 5, y, null, "left");
    layers.push("pending");
  }
  stats2d.layers = layers;
  stats2d.pathWidth = S.asking ? 0 : items.minWidth;
}

// The readout under the mouse: x, y and f there.
export function onHover(ev) {
  const d = S.d, g = geo;
  if (!d || !g || S.view !== "2d") return;
  const rect = el.main.getBoundingClientRect();
  const px = ev.clientX - rect.left, py = ev.clientY - rect.top;
  if (!inside(px, py)) { el.readout.textContent = ""; return; }
  const xv = g.p2x(px - g.L), yv = g.p2y(py - g.T);
  const f = surfaceValue(d, xv, yv);
  const basin = basinText(xv, yv);
  el.readout.textContent = "x = " + fmt(xv) + "   y = " + fmt(yv) + (d.grid ? "   f = " + fmt(f) : "") +
    (basin ? "\n" + basin : "");
}

// Data coordinates of the main panel's pixel (px, py), or null outside the
// plot area.
export function dataAt(px, py) {
  if (!geo || !S.d || S.view !== "2d" || !inside(px, py)) return null;
  return pickAt(px - geo.L, py - geo.T);
}

// The data point under a click on the picker (offsets within the plot
// area), or null.
export function pickAt(offsetX, offsetY) {
  const g = geo;
  if (!g) return null;
  const x = g.p2x(offsetX), y = g.p2y(offsetY);
  return typeof x === "number" && isFinite(x) && typeof y === "number" && isFinite(y) ? [x, y] : null;
}
