// The side charts: one panel per curve of the payload's table
// (visualizer/browser/curves.py: the loss, a network's accuracy, the
// learning rate, the gradient norm), each run's arrays against the step, in
// one Plotly figure drawn once per payload, with the step cursor and the
// current values on a canvas over it (a frame never calls Plotly).
//
// What a curve's options do: `axis` "log" (values at or below 0 are gaps)
// or "percent"; `floor`: values that reach 0 (or, with
// `below_zero_titles`, a loss below 0 measured from the lowest value
// known) are drawn at a floor a decade under the smallest positive value,
// and the chart says so; `start_decades`: the axis stops that many decades
// over the runs' largest first value; `decades`: it spans at most that
// many decades under its top; `constant_ticks`: each run's constant value
// is a tick; `level`: a run setting drawn as a dashed level; `optional`:
// shown only where a run has values; a series' `sparse`: values every few
// steps, one line through them; its `limit`: drawn over a halo, in range
// up to LIMIT_DECADES above the first series. Every title fits its width (shorter
// forms, last an ellipsis); ticks on a log axis keep a label's height apart.

import { el } from "./dom.js";
import { S } from "./state.js";
import { style, paintLabel } from "./marks.js";
import { fmt, logTicks, pow10 } from "./numbers.js";
import { sizeCanvas, textWidth, fitTitle } from "./layout.js";
import * as internals from "./plotly_internals.js";
import { PLOT_CONFIG, TOUCH, baseLayout, esc, clip } from "./figure.js";

// A dashed limit drawn in range only up to this many decades above the values read against it.
const LIMIT_DECADES = 1.5;
const HALO = "halo";  // a trace's meta[2]: the white line under a limit
let axes = null;    // {x, ys: {curve id: y axis}, panels} pixel mappings of the drawn figure
let layoutKey = "";  // what the drawn figure was laid out for
// A number question's answers once revealed (quiz.js chartMarks): lines on
// the axis they belong to, "step" (across every panel) or a run array's key
// (on the panel of the curve that draws it, whose range takes them in).
let answerMarks = [];

export function setAnswerMarks(marks) {
  answerMarks = Array.isArray(marks) ? marks.filter((m) => m && typeof m.value === "number" && isFinite(m.value)) : [];
}

function marksOn(c) {
  return answerMarks.filter((m) => c.series.some((x) => x.key === m.axis)).map((m) => m.value).filter((v) => v > 0);
}

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

// A curve's first series drawn on a floor: y = value - shift, at least
// `floor` (cached on the prepared payload).
export function curveScale(d, c) {
  d.curveScales = d.curveScales || {};
  if (d.curveScales[c.id]) return d.curveScales[c.id];
  const arrays = d.runs.map((r) => r.series[c.series[0].key]);
  let shift = 0;
  if (c.belowZeroTitles.length) {
    let min = Infinity;
    for (const a of arrays) for (let i = 0; i < a.length; i++) if (a[i] < min) min = a[i];
    if (min < 0) {
      // a surface below 0: measure from the lowest value known
      shift = min;
      if (d.minValue !== null) shift = Math.min(shift, d.minValue);
      if (d.grid) shift = Math.min(shift, d.zmin);
    }
  }
  d.curveScales[c.id] = floored(arrays, shift);
  return d.curveScales[c.id];
}

// ------------------------------------------------------------- panels
// Each run's values of series `x` of curve `c`, as drawn (cached on the
// prepared payload: the cursor reads them every frame).
function drawn(d, c, x, r) {
  const key = c.id + "|" + x.id;
  d.drawnSeries = d.drawnSeries || {};
  const cache = d.drawnSeries[key] || (d.drawnSeries[key] = []);
  if (!cache[r.i]) {
    const a = r.series[x.key];
    cache[r.i] = c.floor && x === c.series[0] ? curveScale(d, c).y[r.i] : c.axis === "log" ? positive(a) : a;
  }
  return cache[r.i];
}

function hasValues(d, c) {
  return d.runs.some((r) => c.series.some((x) => r.series[x.key].length > 0));
}

function levelsOf(d, c) {
  return c.level ? d.runs.filter((r) => r.levels[c.level.key] != null).map((r) => r.levels[c.level.key]) : [];
}

// Each run's value of the curve's first series when it is one value
// throughout (a learning rate without a schedule): the values, else null.
function constants(d, c) {
  const vals = [];
  for (const r of d.runs) {
    const a = r.series[c.series[0].key];
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < a.length; i++) { const v = a[i]; if (v === v) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
    if (!isFinite(lo)) continue;
    if (!(lo > 0) || hi > lo * (1 + 1e-6)) return null;
    if (!vals.some((v) => Math.abs(v / lo - 1) < 1e-6)) vals.push(lo);
  }
  return vals.length ? vals : null;
}

// Whether a run's first series comes within half of its dashed second
// one at some step (a sharpness near its stability limit).
function near(d, c) {
  return d.runs.some((r) => {
    const a = r.series[c.series[0].key], b = r.series[c.series[1].key];
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] >= 0.5 * b[i]) return true;
    return false;
  });
}

// Whether the curve tells something in this scene: a run draws its
// level, its values move, or they come near its dashed series.
function telling(d, c) {
  if (c.telling === "level") return levelsOf(d, c).length > 0;
  if (c.telling === "moves") return !constants(d, c);
  if (c.telling === "near") return near(d, c);
  return false;
}

// Which panels fit the height, the lowest ranks first (a panel that tells
// something takes its rank_telling), shown in the table's order.
function choosePanels(d, avail, minH, gap) {
  const all = d.curves.filter((c) => !c.optional || hasValues(d, c));
  const n = Math.max(1, Math.min(all.length, Math.floor((avail + gap) / (minH + gap))));
  if (n === all.length) return all;
  const rank = (c) => (c.rankTelling !== null && telling(d, c) ? c.rankTelling : c.rank);
  const keep = new Set(all.map((c, i) => [rank(c), i, c]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, n).map((e) => e[2]));
  return all.filter((c) => keep.has(c));
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
  return { W: W, H: H, M: M, gap: gap, panels: panels,
    key: W + "x" + H + panels.map((c) => c.id).join() + style().name + JSON.stringify(answerMarks) };
}

// Each panel's title: its forms (with a level drawn, a loss below 0 or a
// linear axis, those forms), the first that fits; a floor note goes on its
// title's line, the title shortened for it if need be; where even the
// shortest form leaves no room, in the corner.
function titles(d, L, yAxes, notes) {
  const { W, M } = L, room = W - M.l - 4;
  const f = style().font, line = W - M.l - M.r;
  const out = { beside: {} };
  for (const c of L.panels) {
    let forms = c.titles;
    const shift = c.floor ? curveScale(d, c).shift : 0;
    if (yAxes[c.id].type === "linear" && c.linearTitles.length) forms = c.linearTitles;
    else if (levelsOf(d, c).length && c.level.titles.length) forms = c.level.titles;
    else if (shift !== 0 && c.belowZeroTitles.length) forms = c.belowZeroTitles.map((t) => t.replace("{min}", fmt(shift)));
    out[c.id] = fitTitle(forms, room);
    if (!notes[c.id]) continue;
    const left = line - textWidth(notes[c.id], f.note) - 16;
    if (textWidth(forms[forms.length - 1], f.chartTitle) <= left) {
      out[c.id] = fitTitle(forms, left);
      out.beside[c.id] = true;
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

// A percent axis: fractions drawn as percent, from a round value under
// the lowest value shown to 100%.
function percentAxis(d, c, px) {
  let lo = 1;
  for (const r of d.runs) for (const x of c.series) { const a = r.series[x.key]; for (let i = 0; i < a.length; i++) if (a[i] < lo) lo = a[i]; }
  lo = Math.max(0, Math.min(0.9, Math.floor(lo * 10 - 1e-9) / 10));
  const f = style().font, span = 1 - lo, room = Math.max(2, Math.floor(px / (1.7 * f.tick)));
  const step = [0.05, 0.1, 0.25, 0.5].find((s) => span / s + 1 <= room + 1e-9) || 0.5;
  const vals = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= 1 + 1e-9; v += step) vals.push(Math.round(v * 1000) / 1000);
  const pad = 0.04 * span;
  return { type: "linear", range: [lo - pad, 1 + pad], tickmode: "array", tickvals: vals,
    ticktext: vals.map((v) => Math.round(100 * v) + "%") };
}

// A log axis over the values drawn (and the runs' levels): at most
// `decades` under its top, at most `start_decades` over the largest first
// value (a diverging run reaches absurd values); ticks fixed at the runs'
// constant values, at the floor when nothing is positive, or at the one
// value of a narrow range.
function logAxisOf(d, c, px, most) {
  const values = d.runs.map((r) => drawn(d, c, c.series[0], r));
  // a limit (a stability line) is in range too: it is what the first is read against; where it is
  // more than LIMIT_DECADES above every value of the first (a decaying rate's 2/lr), it leaves the
  // chart at its top rather than squash the values it is read against
  const solid = robustRange(values, []);
  const limits = c.series.filter((x) => x.limit).flatMap((x) => d.runs.map((r) => drawn(d, c, x, r)))
    .map((a) => (solid ? a.filter((v) => v <= solid[1] * Math.pow(10, LIMIT_DECADES)) : a));
  const levels = levelsOf(d, c).concat(marksOn(c));
  const R = robustRange(values.concat(limits), levels);
  if (!R) return c.linearTitles.length ? { type: "linear", rangemode: "tozero", nticks: 4 } : { type: "log" };
  let top = R[1];
  if (c.startDecades !== null) {
    const firsts = values.map((a) => a[0]).filter((v) => v > 0);
    if (firsts.length) top = Math.min(top, Math.max.apply(null, firsts) * Math.pow(10, c.startDecades));
  }
  let lo = Math.log10(R[0]);
  if (c.decades !== null) lo = Math.max(lo, Math.log10(top) - c.decades);
  const range = logRange(lo, Math.log10(Math.max(top, R[0], ...levels)));
  let fixed = R[1] / R[0] < 1.5 ? [R[0]] : null;
  if (c.constantTicks) { const k = constants(d, c); fixed = k && k.length <= 4 ? k : null; }
  if (c.floor && curveScale(d, c).none) fixed = [curveScale(d, c).floor];
  return logAxis(range, px, most, fixed);
}

export function figureSide(d, L) {
  const st = style(), f = st.font;
  const traces = [];
  const N = Math.max(1, d.N);
  const stepsOf = (len) => { const s = new Float32Array(len); for (let i = 0; i < len; i++) s[i] = i; return s; };
  const names = {}; // curve id -> axis name
  L.panels.forEach((c, i) => { names[c.id] = i === 0 ? "y" : "y" + (i + 1); });
  d.sideIdx = [];
  // one empty trace per panel, so every axis exists even without runs
  for (const c of L.panels) traces.push({ type: "scatter", mode: "lines", x: [], y: [], yaxis: names[c.id], showlegend: false, hoverinfo: "skip" });
  const anyFront = S.front !== null && d.runs.some((r) => r.key === S.front && !S.hidden.has(r.key));
  for (const r of d.runs) {
    const front = r.key === S.front;
    const base = { type: "scatter", line: { color: r.color, width: front ? st.curve.frontWidth : st.curve.width },
      marker: { color: r.color, size: st.curve.dot * 1.4 }, opacity: anyFront && !front ? st.curve.dimAlpha : 1,
      visible: !S.hidden.has(r.key), showlegend: false, name: esc(clip(r.label, 40)), hoverinfo: "none" };
    const idx = [];
    for (const c of L.panels) {
      for (const x of c.series) {
        const y = drawn(d, c, x, r);
        if (!y.length && x.dash) continue;
        if (x.limit) {  // its halo first, under it
          idx.push(traces.length);
          traces.push(Object.assign({}, base, { mode: "lines", x: stepsOf(y.length), y: y, yaxis: names[c.id],
            line: { color: st.curve.limitHalo, width: base.line.width + st.curve.limitHaloExtra },
            meta: [r.i, x.id, HALO], hoverinfo: "skip", connectgaps: x.sparse }));
        }
        idx.push(traces.length);
        const line = Object.assign({}, base.line, x.dash ? { dash: "dash" } : {});
        traces.push(Object.assign({}, base, { mode: y.length < 2 ? "markers" : "lines", x: stepsOf(y.length), y: y, yaxis: names[c.id],
          line: line, meta: [r.i, x.id], connectgaps: x.sparse }));
      }
      const level = c.level ? r.levels[c.level.key] : null;
      if (level != null) {
        idx.push(traces.length);
        traces.push(Object.assign({}, base, { mode: "lines", x: [0, N], y: [level, level], yaxis: names[c.id],
          line: { color: r.color, width: 1.6, dash: "dash" }, meta: [r.i, c.level.id] }));
      }
    }
    d.sideIdx.push(idx);
  }
  for (const c of L.panels) {
    if (!c.floor || !curveScale(d, c).clamped) continue;
    const sc = curveScale(d, c);
    traces.push({ type: "scatter", mode: "lines", x: [0, N], y: [sc.floor, sc.floor], yaxis: names[c.id], showlegend: false,
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
  for (const c of L.panels) yAxes[c.id] = c.axis === "percent" ? percentAxis(d, c, px) : logAxisOf(d, c, px, most);

  // panel domains, top to bottom, with room for each title above its panel
  const floorNote = (sc) => (sc.clamped ? (sc.shift !== 0 ? "min" : "0") + " drawn at " + pow10(Math.round(Math.log10(sc.floor))) : null);
  const notes = {};
  for (const c of L.panels) if (c.floor) notes[c.id] = floorNote(curveScale(d, c));
  const title = titles(d, L, yAxes, notes);
  const layout = Object.assign(baseLayout(), {
    datarevision: d.rev,
    width: L.W, height: L.H,
    margin: { l: M.l, r: M.r, t: M.t, b: M.b, pad: 0 },
    showlegend: false,
    hovermode: "closest",
    dragmode: TOUCH ? false : "zoom", // a finger over the charts scrolls the page
    xaxis: Object.assign({}, axisStyle, { range: [0, N], anchor: names[L.panels[n - 1].id], showgrid: true,
      title: { text: "step", standoff: 4, font: { size: f.axisTitle } } },
    N < 8 ? { tickmode: "linear", tick0: 0, dtick: 1 } : { tickformat: "~d", nticks: Math.max(3, Math.floor((L.W - M.l - M.r) / (f.tick * 4))) }),
    annotations: [],
  });
  L.panels.forEach((c, i) => {
    const top = 1 - i * (h + gapF), dom = [Math.max(0, top - h), top];
    layout[i === 0 ? "yaxis" : "yaxis" + (i + 1)] = Object.assign({}, axisStyle, yAxes[c.id], { domain: dom });
    layout.annotations.push({
      text: esc(title[c.id]), xref: "paper", yref: "paper", x: 0, y: dom[1], xanchor: "left", yanchor: "bottom",
      showarrow: false, font: { size: f.chartTitle, color: "#1a1a1a" }, yshift: 1, name: c.id,
    });
    const note = notes[c.id];
    if (note) {
      // beside the title (shortened for it), else in the panel's corner
      const beside = !!title.beside[c.id];
      layout.annotations.push({
        text: note, xref: "paper", yref: "paper", x: 1, y: beside ? dom[1] : dom[0],
        xanchor: "right", yanchor: "bottom", yshift: beside ? 1 : 0, showarrow: false, bgcolor: "rgba(255,255,255,0.85)",
        font: { size: f.note, color: "#444" }, name: "floor-" + c.id,
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
  if (!S.d || el.charts.hidden || !internals.laidOut(el.plotside)) return Promise.resolve();
  if (layoutFor(S.d).key === layoutKey) { drawCursor(); return Promise.resolve(); }
  return renderSide();
}

function updateAxes(L) {
  const x = internals.xAxis(el.plotside, "xaxis");
  const ys = {};
  L.panels.forEach((c, i) => { ys[c.id] = internals.yAxis(el.plotside, i === 0 ? "yaxis" : "yaxis" + (i + 1)); });
  axes = x && L.panels.every((c) => ys[c.id]) ? { x: x, ys: ys, panels: L.panels } : null;
}

// Hidden runs leave the charts too; the run in front is wider, the others
// fainter.
export function applySideStyle() {
  const d = S.d;
  if (!d || !d.sideIdx || !el.plotside.data) return;
  const st = style().curve, idx = [], vis = [], width = [], opacity = [];
  const anyFront = S.front !== null && d.runs.some((r) => r.key === S.front && !S.hidden.has(r.key));
  const levels = new Set(d.curves.filter((c) => c.level).map((c) => c.level.id));
  d.runs.forEach((r, k) => {
    const front = r.key === S.front;
    for (const t of d.sideIdx[k]) {
      const tr = el.plotside.data[t];
      idx.push(t);
      vis.push(!S.hidden.has(r.key));
      const w = front ? st.frontWidth : st.width;
      width.push(tr.meta && levels.has(tr.meta[1]) ? 1.6 : tr.meta && tr.meta[2] === HALO ? w + st.limitHaloExtra : w);
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
    const pct = (v) => (v === v ? (100 * v).toFixed(1).replace(/\.0$/, "") + "%" : "not finite");
    let text = null;
    for (const c of S.d.curves) {
      if (c.level && c.level.id === meta[1]) text = c.level.key + " = " + fmt(r.levels[c.level.key]);
      const x = c.series.find((s) => s.id === meta[1]);
      if (x) text = "step " + k + ": " + x.name + " " + (c.axis === "percent" ? pct : fmt)(r.series[x.key][k]);
      if (text !== null) break;
    }
    if (text === null) return;
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
  drawAnswerMarks(ctx, A, st);
  const k = Math.min(d.N, Math.floor(S.stepF));
  const x = A.x.toPx(k);
  const first = A.ys[A.panels[0].id], last = A.ys[A.panels[A.panels.length - 1].id];
  ctx.beginPath(); ctx.moveTo(x, first.top); ctx.lineTo(x, last.bottom);
  ctx.strokeStyle = st.cursor.color; ctx.lineWidth = st.cursor.width; ctx.setLineDash(st.cursor.dash); ctx.stroke(); ctx.setLineDash([]);
  // the run in front last, over the others
  const order = d.runs.filter((r) => r.key !== S.front).concat(d.runs.filter((r) => r.key === S.front));
  for (const r of order) {
    if (S.hidden.has(r.key)) continue;
    for (const c of A.panels) {
      for (const x of c.series) {
        const a = drawn(d, c, x, r);
        if (k >= a.length) continue;
        const y = A.ys[c.id].toPx(a[k]);
        if (y !== y) continue;
        ctx.beginPath(); ctx.arc(x, y, st.curve.dot, 0, 2 * Math.PI);
        ctx.fillStyle = r.color; ctx.fill(); ctx.lineWidth = st.curve.dotRing; ctx.strokeStyle = "#ffffff"; ctx.stroke();
      }
    }
  }
}

// The answer marks: the viewer's a dashed line, the truth a solid one, each
// named at its end.
function drawAnswerMarks(ctx, A, st) {
  const m = st.answer, first = A.ys[A.panels[0].id], last = A.ys[A.panels[A.panels.length - 1].id];
  for (const mark of answerMarks) {
    ctx.save();
    ctx.strokeStyle = m.you; ctx.lineWidth = mark.who === "you" ? m.chart.width : m.chart.width + 1;
    ctx.setLineDash(mark.who === "you" ? m.chart.dash : []);
    const name = mark.who === "you" ? "you" : "answer";
    if (mark.axis === "step") {
      const x = A.x.toPx(mark.value);
      if (x >= A.x.left - 1 && x <= A.x.right + 1) {
        ctx.beginPath(); ctx.moveTo(x, first.top); ctx.lineTo(x, last.bottom); ctx.stroke();
        paintLabel(ctx, name, x + 4, first.top + st.font.label * (mark.who === "you" ? 0.8 : 2), null, "left");
      }
    } else {
      for (const c of A.panels) {
        if (!c.series.some((x) => x.key === mark.axis)) continue;
        const y = A.ys[c.id].toPx(mark.value);
        if (y !== y) continue;
        ctx.beginPath(); ctx.moveTo(A.x.left, y); ctx.lineTo(A.x.right, y); ctx.stroke();
        // the viewer's named above its line at the right, the truth under its own at the left: apart
        // when the two lines are close
        const you = mark.who === "you";
        paintLabel(ctx, name, you ? A.x.right - 4 : A.x.left + 4, y + (you ? -0.7 : 0.7) * st.font.label, null,
          you ? "right" : "left");
      }
    }
    ctx.restore();
  }
}
