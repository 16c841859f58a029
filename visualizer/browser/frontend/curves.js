// The side charts: loss, a network's accuracy (train solid, test dashed),
// learning rate and gradient norm against the step, in one Plotly figure
// drawn once per payload, with the step cursor and the current values on a
// canvas over it (a frame never calls Plotly).
//
// The loss and the gradient norm are on log scales. Values that reach 0
// (or, on a surface that goes below 0, the loss minus the lowest value
// seen) are drawn at a floor a decade under the smallest positive value,
// and the chart says so. Every title fits its width (shorter forms, last
// an ellipsis); ticks on a log axis keep a label's height apart.

import { el } from "./dom.js";
import { S } from "./state.js";
import { style } from "./marks.js";
import { fmt, logTicks, pow10 } from "./numbers.js";
import { sizeCanvas, textWidth, fitTitle } from "./layout.js";
import * as internals from "./plotly_internals.js";
import { PLOT_CONFIG, baseLayout, esc, clip } from "./figure.js";

let axes = null;    // {x, ys: {loss, acc, lr, grad}} pixel mappings of the drawn figure
let layoutKey = "";  // what the drawn figure was laid out for

// ------------------------------------------------------------- floors
// A series on a log axis, with values that reach 0 drawn at a floor a
// decade under the smallest positive value (at most 16 decades under the
// largest): {shift, floor, y: [Float32Array per run], clamped, none}.
// `none`: no value is positive at all (a network with every weight 0 has
// a gradient of exactly 0): everything is drawn at 10⁻¹².
function floored(arrays, shift) {
  let minPos = Infinity, maxPos = 0, clamped = false;
  for (const a of arrays) for (let i = 0; i < a.length; i++) {
    const v = a[i] - shift;
    if (v > 0) { if (v < minPos) minPos = v; if (v > maxPos) maxPos = v; } else if (v === v) clamped = true;
  }
  let floor = isFinite(minPos) ? Math.pow(10, Math.floor(Math.log10(minPos)) - 1) : 1e-12;
  if (isFinite(minPos) && maxPos > 0) floor = Math.max(floor, Math.pow(10, Math.floor(Math.log10(maxPos)) - 16));
  const y = arrays.map((a) => {
    const o = new Float32Array(a.length);
    for (let i = 0; i < o.length; i++) {
      const v = a[i] - shift;
      o[i] = v !== v ? NaN : (v > floor ? v : floor);
      if (v === v && v > 0 && v < floor) clamped = true;
    }
    return o;
  });
  return { shift: shift, floor: floor, y: y, clamped: clamped, none: !isFinite(minPos) && clamped };
}

// The loss chart's series: y = loss - shift, at least `floor`.
export function lossScale(d) {
  if (d.lossScale) return d.lossScale;
  let min = Infinity;
  for (const r of d.runs) for (let i = 0; i < r.loss.length; i++) if (r.loss[i] < min) min = r.loss[i];
  let shift = 0;
  if (min < 0) {
    // a surface below 0: measure from the lowest value known
    shift = min;
    if (d.minValue !== null) shift = Math.min(shift, d.minValue);
    if (d.grid) shift = Math.min(shift, d.zmin);
  }
  d.lossScale = floored(d.runs.map((r) => r.loss), shift);
  return d.lossScale;
}

// The gradient norm's, the same way (an all-zero gradient is a line at
// the floor, not an empty chart).
export function gradScale(d) {
  if (!d.gradScale) d.gradScale = floored(d.runs.map((r) => r.gn), 0);
  return d.gradScale;
}

// ------------------------------------------------------------- panels
// The loss, a network's accuracy, the learning rate, the gradient norm.
const PANELS = ["loss", "acc", "lr", "grad"];

function hasAccuracy(d) {
  return !!d.model && d.runs.some((r) => r.acc.length > 0 || r.testAcc.length > 0);
}

// Each run's learning rate is one value throughout (no schedule): the
// values, else null.
function constantLrs(d) {
  const vals = [];
  for (const r of d.runs) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < r.lr.length; i++) { const v = r.lr[i]; if (v === v) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
    if (!isFinite(lo)) continue;
    if (!(lo > 0) || hi > lo * (1 + 1e-6)) return null;
    if (!vals.some((v) => Math.abs(v / lo - 1) < 1e-6)) vals.push(lo);
  }
  return vals.length ? vals : null;
}

// Which panels fit the height, most telling first: the loss (on a
// network, its accuracy first: what its lessons are about), then the
// gradient norm when a run clips it or the learning rate when a schedule
// moves it, then the other.
function choosePanels(d, avail, minH, gap) {
  const accuracy = hasAccuracy(d);
  const all = PANELS.filter((p) => p !== "acc" || accuracy);
  const n = Math.max(1, Math.min(all.length, Math.floor((avail + gap) / (minH + gap))));
  if (n === all.length) return all;
  const clipping = d.runs.some((r) => r.clip != null);
  const lrMoves = !constantLrs(d);
  const order = (accuracy ? ["acc", "loss"] : ["loss"]).concat(clipping || !lrMoves ? ["grad", "lr"] : ["lr", "grad"]);
  const keep = new Set(order.slice(0, n));
  return all.filter((p) => keep.has(p));
}

function margins() {
  const f = style().font;
  return { l: Math.round(f.tick * 3.3 + 14), r: 14, t: f.chartTitle + 10, b: Math.round(f.tick + f.axisTitle + 16) };
}

function layoutFor(d) {
  const f = style().font;
  const W = Math.max(120, el.charts.clientWidth), H = Math.max(120, el.charts.clientHeight);
  const M = margins();
  const gap = f.chartTitle + 16, minH = Math.round(f.tick * 5.2);
  const panels = choosePanels(d, H - M.t - M.b, minH, gap);
  return { W: W, H: H, M: M, gap: gap, panels: panels, key: W + "x" + H + panels.join() + style().name };
}

function titles(d, W, M, yAxes, notes) {
  const room = W - M.l - 4;
  const clipping = d.runs.some((r) => r.clip != null);
  const ls = lossScale(d), base = ls.shift !== 0 ? "loss \u2212 min" : "loss";
  const loss = [base + " (log scale)", base + " (log)", base];
  if (ls.shift !== 0) loss.unshift(base + " (log scale), min = " + fmt(ls.shift));
  const grad = clipping
    ? ["gradient norm (raw, log scale) \u2014 dashed: clip_norm", "gradient norm (raw, log) \u2014 dashed: clip_norm",
      "raw gradient norm (log) \u2014 dashed: clip_norm", "raw grad norm (log), dashed: clip", "grad norm, dashed: clip", "|g|, dashed: clip"]
    : ["gradient norm (raw, log scale)", "gradient norm (raw, log)", "grad norm (log)", "|g| (log)"];
  const lr = yAxes.lr && yAxes.lr.type === "log" ? ["learning rate (log scale)", "learning rate (log)", "lr (log)"] : ["learning rate", "lr"];
  const acc = ["accuracy \u2014 solid: train, dashed: test", "accuracy (dashed: test)", "accuracy, - - test", "accuracy"];
  const out = { loss: fitTitle(loss, room), grad: fitTitle(grad, room), lr: fitTitle(lr, room), acc: fitTitle(acc, room), beside: {} };
  // a floor note goes on its title's line, the title shortened for it if
  // need be; where even the shortest form leaves no room, in the corner
  const f = style().font, line = W - M.l - M.r;
  for (const [p, forms] of [["loss", loss], ["grad", grad]]) {
    if (!notes[p]) continue;
    const left = line - textWidth(notes[p], f.note) - 16;
    if (textWidth(forms[forms.length - 1], f.chartTitle) <= left) {
      out[p] = fitTitle(forms, left);
      out.beside[p] = true;
    }
  }
  return out;
}

function robustRange(arrays, extra) {
  let mn = Infinity, mx = -Infinity;
  for (const a of arrays) for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (!(v > 0)) continue;
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  for (const v of extra || []) if (v > 0) { mn = Math.min(mn, v); mx = Math.max(mx, v); }
  return isFinite(mn) ? [mn, mx] : null;
}

// A log-axis range (in decades) at least half a decade wide, padded.
function logRange(a, b) {
  if (b - a < 0.5) { const c = (a + b) / 2; a = c - 0.25; b = c + 0.25; }
  const pad = 0.05 * (b - a);
  return [a - pad, b + pad];
}

function positive(a) {
  let ok = true;
  for (let i = 0; i < a.length; i++) if (!(a[i] > 0)) { ok = false; break; }
  if (ok) return a;
  const o = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) o[i] = a[i] > 0 ? a[i] : NaN;
  return o;
}

// A log axis over `range` drawn `px` tall: ticks no closer than about a
// label and a half (`must`: values that are ticks whatever, a constant
// series' own).
function logAxis(range, px, most, must) {
  const f = style().font, perDecade = Math.max(1, px / (range[1] - range[0]));
  const t = unpiled(logTicks(range, most, 1.5 * f.tick / perDecade, must), perDecade, must || []);
  if (t.tickvals) {
    // a label wider than the margin is cut at the frame's edge: drop such
    // ticks (a constant rate's neighbours, "1.5×10⁻³"), never a fixed one,
    // nor the last two of an axis without fixed values
    const room = margins().l - 10, fixed = must || [];
    const keep = t.tickvals.map((v, i) => fixed.includes(v) || textWidth(t.ticktext[i], f.tick) <= room);
    if (keep.some((k) => !k) && (fixed.length || keep.filter(Boolean).length >= 2)) {
      t.tickvals = t.tickvals.filter((v, i) => keep[i]);
      t.ticktext = t.ticktext.filter((v, i) => keep[i]);
    }
  }
  return Object.assign({ type: "log", range: range }, t);
}

// Ticks whose labels would touch, dropped (a fixed one never): a label in
// power notation stands taller than a plain one (its exponent), which a
// short panel (150% zoom on a small screen) feels over nine decades.
function unpiled(t, perDecade, fixed) {
  if (!t.tickvals) return t;
  const f = style().font;
  const tall = (s) => (/[\u2070-\u209f\u00b2\u00b3\u00b9]/.test(s) ? 1.75 : 1.3) * f.tick;
  // the fixed ones first, then from the top (where the runs start)
  const v = t.tickvals, order = v.map((_, i) => i).sort((i, j) => (fixed.includes(v[j]) - fixed.includes(v[i])) || v[j] - v[i]);
  const kept = [];
  for (const i of order) {
    const clear = kept.every((j) => Math.abs(Math.log10(v[i] / v[j])) * perDecade >=
      (tall(t.ticktext[i]) + tall(t.ticktext[j])) / 2);
    if (clear || fixed.includes(v[i])) kept.push(i);
  }
  kept.sort((i, j) => i - j);
  return Object.assign({}, t, { tickvals: kept.map((i) => v[i]), ticktext: kept.map((i) => t.ticktext[i]) });
}

// The accuracy axis: a fraction drawn as percent, from a round value under
// the lowest accuracy shown to 100%.
function accAxis(d, px) {
  let lo = 1;
  for (const r of d.runs) for (const a of [r.acc, r.testAcc]) for (let i = 0; i < a.length; i++) if (a[i] < lo) lo = a[i];
  lo = Math.max(0, Math.min(0.9, Math.floor(lo * 10 - 1e-9) / 10));
  const f = style().font, span = 1 - lo, room = Math.max(2, Math.floor(px / (1.7 * f.tick)));
  const step = [0.05, 0.1, 0.25, 0.5].find((s) => span / s + 1 <= room + 1e-9) || 0.5;
  const vals = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= 1 + 1e-9; v += step) vals.push(Math.round(v * 1000) / 1000);
  const pad = 0.04 * span;
  return { type: "linear", range: [lo - pad, 1 + pad], tickmode: "array", tickvals: vals,
    ticktext: vals.map((v) => Math.round(100 * v) + "%") };
}

export function figureSide(d, L) {
  const st = style(), f = st.font;
  const traces = [];
  const N = Math.max(1, d.N);
  const ls = lossScale(d), gs = gradScale(d);
  const stepsOf = (len) => { const s = new Float32Array(len); for (let i = 0; i < len; i++) s[i] = i; return s; };
  const names = {}; // panel -> axis name
  L.panels.forEach((p, i) => { names[p] = i === 0 ? "y" : "y" + (i + 1); });
  d.sideIdx = [];
  // one empty trace per panel, so every axis exists even without runs
  for (const p of L.panels) traces.push({ type: "scatter", mode: "lines", x: [], y: [], yaxis: names[p], showlegend: false, hoverinfo: "skip" });
  // per panel, each run's series: [kind, values, dash]
  const series = {
    loss: (r) => [["loss", ls.y[r.i]]], lr: (r) => [["lr", positive(r.lr)]], grad: (r) => [["grad", gs.y[r.i]]],
    acc: (r) => [["acc", r.acc], ["testacc", r.testAcc, "dash"]],
  };
  const anyFront = S.front !== null && d.runs.some((r) => r.key === S.front && !S.hidden.has(r.key));
  for (const r of d.runs) {
    const front = r.key === S.front;
    const base = { type: "scatter", line: { color: r.color, width: front ? st.curve.frontWidth : st.curve.width },
      marker: { color: r.color, size: st.curve.dot * 1.4 }, opacity: anyFront && !front ? st.curve.dimAlpha : 1,
      visible: !S.hidden.has(r.key), showlegend: false, name: esc(clip(r.label, 40)), hoverinfo: "none" };
    const idx = [];
    for (const p of L.panels) {
      for (const [kind, y, dash] of series[p](r)) {
        if (!y.length && kind === "testacc") continue;
        idx.push(traces.length);
        const line = Object.assign({}, base.line, dash ? { dash: dash } : {});
        traces.push(Object.assign({}, base, { mode: y.length < 2 ? "markers" : "lines", x: stepsOf(y.length), y: y, yaxis: names[p],
          line: line, meta: [r.i, kind] }));
      }
    }
    if (r.clip != null && names.grad) {
      idx.push(traces.length);
      traces.push(Object.assign({}, base, { mode: "lines", x: [0, N], y: [r.clip, r.clip], yaxis: names.grad,
        line: { color: r.color, width: 1.6, dash: "dash" }, meta: [r.i, "clip"] }));
    }
    d.sideIdx.push(idx);
  }
  for (const [p, sc] of [["loss", ls], ["grad", gs]]) {
    if (!names[p] || !sc.clamped) continue;
    traces.push({ type: "scatter", mode: "lines", x: [0, N], y: [sc.floor, sc.floor], yaxis: names[p], showlegend: false,
      hoverinfo: "skip", line: { color: st.floor.color, width: st.floor.width, dash: "dot" } });
  }
  const axisStyle = {
    showline: true, linecolor: "#50575f", ticks: "outside", ticklen: 3, gridcolor: "#e8ebef",
    zeroline: false, fixedrange: true, tickfont: { size: f.tick }, automargin: false, exponentformat: "power",
  };
  // panel heights first: how many ticks each has room for
  const M = L.M, n = L.panels.length;
  const plotH = L.H - M.t - M.b, gapF = L.gap / plotH;
  const h = (1 - (n - 1) * gapF) / n, px = h * plotH;
  const most = Math.max(2, Math.floor(px / (f.tick * 2)));
  const yAxes = {};
  // loss: log, the interesting part (diverging runs reach absurd values)
  const lr0 = robustRange(ls.y);
  if (lr0) {
    const starts = ls.y.map((a) => a[0]).filter((v) => v > 0);
    const top = Math.min(lr0[1], starts.length ? Math.max.apply(null, starts) * 1e3 : lr0[1]);
    const range = logRange(Math.log10(lr0[0]), Math.log10(Math.max(top, lr0[0])));
    yAxes.loss = logAxis(range, px, most, lr0[1] / lr0[0] < 1.5 ? [lr0[0]] : null);
  } else yAxes.loss = { type: "log" };
  // learning rate: log (the lr slider is log-scale); a warm-up's 0 is a gap.
  // Constant rates (no schedule) are the axis's ticks: each run's rate reads
  // off it, and a single rate gets a round value on each side, not a crowd.
  const lrR = robustRange(d.runs.map((r) => r.lr));
  if (lrR) {
    // a schedule decaying towards 0 would stretch the axis over decades of
    // tail: keep at most 5 decades under the largest lr
    const top = Math.log10(lrR[1]);
    const range = logRange(Math.max(Math.log10(lrR[0]), top - 5), top);
    const fixed = constantLrs(d);
    yAxes.lr = logAxis(range, px, most, fixed && fixed.length <= 4 ? fixed : null);
  } else yAxes.lr = { type: "linear", rangemode: "tozero", nticks: 4 };
  const clips = d.runs.filter((r) => r.clip != null).map((r) => r.clip);
  const gr = robustRange(gs.y, clips);
  if (gr) {
    const g0 = gs.y.map((a) => a[0]).filter((v) => v > 0);
    const top = g0.length ? Math.min(gr[1], Math.max.apply(null, g0) * 1e3) : gr[1];
    const range = logRange(Math.log10(gr[0]), Math.log10(Math.max(top, gr[0], ...clips)));
    yAxes.grad = logAxis(range, px, most, gs.none ? [gs.floor] : gr[1] / gr[0] < 1.5 ? [gr[0]] : null);
  } else yAxes.grad = { type: "log" };
  if (names.acc) yAxes.acc = accAxis(d, px);

  // panel domains, top to bottom, with room for each title above its panel
  const floorNote = (sc) => (sc.clamped ? (sc.shift !== 0 ? "min" : "0") + " drawn at " + pow10(Math.round(Math.log10(sc.floor))) : null);
  const notes = { loss: names.loss ? floorNote(ls) : null, grad: names.grad ? floorNote(gs) : null };
  const title = titles(d, L.W, M, yAxes, notes);
  const layout = Object.assign(baseLayout(), {
    datarevision: d.rev,
    width: L.W, height: L.H,
    margin: { l: M.l, r: M.r, t: M.t, b: M.b, pad: 0 },
    showlegend: false,
    hovermode: "closest",
    xaxis: Object.assign({}, axisStyle, { range: [0, N], anchor: names[L.panels[n - 1]], showgrid: true,
      title: { text: "step", standoff: 4, font: { size: f.axisTitle } } },
    N < 8 ? { tickmode: "linear", tick0: 0, dtick: 1 } : { tickformat: "~d", nticks: Math.max(3, Math.floor((L.W - M.l - M.r) / (f.tick * 4))) }),
    annotations: [],
  });
  L.panels.forEach((p, i) => {
    const top = 1 - i * (h + gapF), dom = [Math.max(0, top - h), top];
    layout[i === 0 ? "yaxis" : "yaxis" + (i + 1)] = Object.assign({}, axisStyle, yAxes[p], { domain: dom });
    layout.annotations.push({
      text: esc(title[p]), xref: "paper", yref: "paper", x: 0, y: dom[1], xanchor: "left", yanchor: "bottom",
      showarrow: false, font: { size: f.chartTitle, color: "#1a1a1a" }, yshift: 1, name: p,
    });
    const note = notes[p];
    if (note) {
      // beside the title (shortened for it), else in the panel's corner
      const beside = !!title.beside[p];
      layout.annotations.push({
        text: note, xref: "paper", yref: "paper", x: 1, y: beside ? dom[1] : dom[0],
        xanchor: "right", yanchor: "bottom", yshift: beside ? 1 : 0, showarrow: false, bgcolor: "rgba(255,255,255,0.85)",
        font: { size: f.note, color: "#444" }, name: p === "loss" ? "floor" : "floor-" + p,
      });
    }
  });
  return { data: traces, layout: layout };
}

export function renderSide() {
  const L = layoutFor(S.d);
  layoutKey = L.key;
  const fig = figureSide(S.d, L);
  const cfg = Object.assign({}, PLOT_CONFIG, { displayModeBar: false });
  return Plotly.react(el.plotside, fig.data, fig.layout, cfg).then(() => {
    bindHover();
    updateAxes(L);
    drawCursor();
  });
}

// The figure follows its box (the legend above it changes it).
export function resizeSide() {
  if (!S.d || !internals.laidOut(el.plotside)) return Promise.resolve();
  if (layoutFor(S.d).key === layoutKey) { drawCursor(); return Promise.resolve(); }
  return renderSide();
}

function updateAxes(L) {
  const x = internals.xAxis(el.plotside, "xaxis");
  const ys = {};
  L.panels.forEach((p, i) => { ys[p] = internals.yAxis(el.plotside, i === 0 ? "yaxis" : "yaxis" + (i + 1)); });
  axes = x && L.panels.every((p) => ys[p]) ? { x: x, ys: ys, panels: L.panels } : null;
}

// Hidden runs leave the charts too; the run in front is wider, the others
// fainter.
export function applySideStyle() {
  const d = S.d;
  if (!d || !d.sideIdx || !el.plotside.data) return;
  const st = style().curve, idx = [], vis = [], width = [], opacity = [];
  const anyFront = S.front !== null && d.runs.some((r) => r.key === S.front && !S.hidden.has(r.key));
  d.runs.forEach((r, k) => {
    const front = r.key === S.front;
    for (const t of d.sideIdx[k]) {
      const tr = el.plotside.data[t];
      idx.push(t);
      vis.push(!S.hidden.has(r.key));
      width.push(tr.meta && tr.meta[1] === "clip" ? 1.6 : (front ? st.frontWidth : st.width));
      opacity.push(anyFront && !front ? st.dimAlpha : 1);
    }
  });
  if (idx.length) Plotly.restyle(el.plotside, { visible: vis, "line.width": width, opacity: opacity }, idx);
}

// Hovering a curve shows its value in the readout, typeset like every
// other number (plotly's own hover would print 1e-08).
function bindHover() {
  const gd = el.plotside;
  if (gd._playerBound) return;
  gd._playerBound = true;
  const out = document.getElementById("chart-readout");
  gd.on("plotly_hover", (ev) => {
    const pt = ev && ev.points && ev.points[0];
    const meta = pt && pt.data && pt.data.meta;
    if (!meta || !S.d || !S.d.runs[meta[0]]) return;
    const r = S.d.runs[meta[0]], k = pt.pointIndex;
    let text;
    const pct = (v) => (v === v ? (100 * v).toFixed(1).replace(/\.0$/, "") + "%" : "not finite");
    if (meta[1] === "clip") text = "clip_norm = " + fmt(r.clip);
    else if (meta[1] === "loss") text = "step " + k + ": loss " + fmt(r.loss[k]);
    else if (meta[1] === "lr") text = "step " + k + ": lr " + fmt(r.lr[k]);
    else if (meta[1] === "acc") text = "step " + k + ": train accuracy " + pct(r.acc[k]);
    else if (meta[1] === "testacc") text = "step " + k + ": test accuracy " + pct(r.testAcc[k]);
    else text = "step " + k + ": |g| " + fmt(r.gn[k]);
    out.textContent = r.label + "\n" + text;
    out.style.borderColor = r.color;
    out.hidden = false;
  });
  gd.on("plotly_unhover", () => { out.hidden = true; });
}

export function drawCursor() {
  const ctx = sizeCanvas(el.cursor, el.charts);
  ctx.clearRect(0, 0, el.cursor._w, el.cursor._h);
  const d = S.d, A = axes;
  if (!d || !A) return;
  const st = style();
  const k = Math.min(d.N, Math.floor(S.stepF));
  const x = A.x.toPx(k);
  const first = A.ys[A.panels[0]], last = A.ys[A.panels[A.panels.length - 1]];
  ctx.beginPath(); ctx.moveTo(x, first.top); ctx.lineTo(x, last.bottom);
  ctx.strokeStyle = st.cursor.color; ctx.lineWidth = st.cursor.width; ctx.setLineDash(st.cursor.dash); ctx.stroke(); ctx.setLineDash([]);
  const ls = lossScale(d), gs = gradScale(d);
  const value = { loss: (r) => [ls.y[r.i]], lr: (r) => [r.lr], grad: (r) => [gs.y[r.i]], acc: (r) => [r.acc, r.testAcc] };
  // the run in front last, over the others
  const order = d.runs.filter((r) => r.key !== S.front).concat(d.runs.filter((r) => r.key === S.front));
  for (const r of order) {
    if (S.hidden.has(r.key)) continue;
    for (const p of A.panels) {
      for (const a of value[p](r)) {
        if (k >= a.length) continue;
        const y = A.ys[p].toPx(a[k]);
        if (y !== y) continue;
        ctx.beginPath(); ctx.arc(x, y, st.curve.dot, 0, 2 * Math.PI);
        ctx.fillStyle = r.color; ctx.fill(); ctx.lineWidth = st.curve.dotRing; ctx.strokeStyle = "#ffffff"; ctx.stroke();
      }
    }
  }
}
