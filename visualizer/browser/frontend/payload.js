// Decoding and validating the payload. Every value in it is untrusted: a
// wrong type, a NaN, a missing key or a hostile string ends up as a safe
// default here, never as an exception or markup further on.

import { style, CONTOUR } from "./marks.js";

const MAX_RUNS = 16;
const MAX_STEPS = 1e7;
const MAX_LABEL = 300;

// A JSON object, or an empty one for anything else (arrays included).
export function obj(v) {
  return v && typeof v === "object" && !Array.isArray(v) ? v : {};
}

export function finiteNum(v) {
  return typeof v === "number" && isFinite(v);
}

function isPoint(p) {
  return Array.isArray(p) && p.length >= 2 && finiteNum(p[0]) && finiteNum(p[1]);
}

// A CSS colour the browser accepts, and nothing that only means something
// in context (inherit, currentcolor, ...).
const COLOR_RE = /^(#[0-9a-f]{3,8}|(rgb|hsl)a?\([0-9.,%\s/+-]+\)|[a-z]{3,24})$/i;
const NOT_COLORS = new Set(["inherit", "initial", "unset", "revert", "currentcolor", "transparent"]);
function validColor(c) {
  if (typeof c !== "string") return false;
  const s = c.trim();
  if (!COLOR_RE.test(s) || NOT_COLORS.has(s.toLowerCase())) return false;
  return !(window.CSS && CSS.supports) || CSS.supports("color", s);
}

// `{"dtype": "u1", "bdata": base64}` -> Uint8Array (classes, flags,
// quantised values); null when it is not that.
export function decodeBytes(spec) {
  if (!spec || typeof spec !== "object" || spec.dtype !== "u1" || typeof spec.bdata !== "string") return null;
  return base64Bytes(spec.bdata);
}

// base64 -> Uint8Array; null when it is not base64.
function base64Bytes(b64) {
  let bin;
  try { bin = atob(b64); } catch (e) { return null; }
  const u8 = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
  return u8;
}

// `{"dtype": "f4"|"f8"|"i4"|"u1", "bdata": base64}` or a plain list -> Float32Array
// with NaN for anything not finite.
export function decode(spec) {
  let a;
  if (spec == null) return new Float32Array(0);
  if (Array.isArray(spec)) {
    a = new Float32Array(spec.length);
    for (let i = 0; i < spec.length; i++) a[i] = typeof spec[i] === "number" ? spec[i] : NaN;
  } else if (typeof spec === "object" && typeof spec.bdata === "string") {
    const u8 = base64Bytes(spec.bdata);
    if (!u8) return new Float32Array(0);
    const dt = spec.dtype || "f4";
    if (dt === "u1") return Float32Array.from(u8);
    if (dt === "f8") a = Float32Array.from(new Float64Array(u8.buffer, 0, u8.length >> 3));
    else if (dt === "i4") a = Float32Array.from(new Int32Array(u8.buffer, 0, u8.length >> 2));
    else a = new Float32Array(u8.buffer, 0, u8.length >> 2);
  } else {
    return new Float32Array(0);
  }
  for (let i = 0; i < a.length; i++) if (!isFinite(a[i])) a[i] = NaN;
  return a;
}

function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i];
}

function sampleSorted(arrs, maxN) {
  let total = 0;
  for (const a of arrs) total += a.length;
  const stride = Math.max(1, Math.floor(total / maxN));
  const out = [];
  for (const a of arrs) for (let i = 0; i < a.length; i += stride) if (a[i] === a[i]) out.push(a[i]);
  return Float64Array.from(out).sort();
}

export function validWindow(w) {
  return Array.isArray(w) && w.length === 2 && w.every((r) => Array.isArray(r) && r.length === 2 &&
    finiteNum(r[0]) && finiteNum(r[1]) && r[1] > r[0]);
}

function points(list) {
  return (Array.isArray(list) ? list : []).filter(isPoint).slice(0, 64).map((p) => [p[0], p[1]]);
}

export function palette(list) {
  return (Array.isArray(list) ? list : []).slice(0, 64).filter(validColor).map((c) => c.trim());
}

// The viewer's keys: the table of visualizer/core/scene.py (SCENE_KEYS's
// viewer keys, in the payload's `viewer.keys`, in canonical order) and the
// payload's value of each. A key is read by its kind, the kinds of value
// visualizer/core/viewer.py declares; a value its key does not allow is the
// key's default, and an entry the player cannot read is left out.
//   -> {keys: [{name, kind, writer, default, read(v), text(v), isDefault(v), ...}],
//       values: {name: value}}
const VIEWER_NAME = /^[a-z][a-z0-9_]{0,31}$/;
const VIEWER_TEXT = /^[A-Za-z0-9._~-]{1,32}$/; // written into the address as it is
const VIEWER_KINDS = {
  // one of a few values (strings or numbers), each with its text in the address
  choice: (k) => {
    const scalar = (v) => typeof v === "string" || finiteNum(v);
    if (!Array.isArray(k.values) || !Array.isArray(k.texts) || k.values.length !== k.texts.length ||
      !k.values.length || k.values.length > 64 || !k.values.every(scalar) || !k.texts.every((t) => typeof t === "string" && VIEWER_TEXT.test(t))) return null;
    const values = k.values.slice(), texts = k.texts.slice();
    return { values: values, texts: texts, read: (v) => (values.includes(v) ? v : undefined), text: (v) => texts[values.indexOf(v)] };
  },
  flag: () => ({ read: (v) => v === true || v === 1, text: () => "1" }),
  // a step of the runs (the state machine keeps it within them), or null
  step: () => ({ read: (v) => (v === null ? null : Number.isInteger(v) && v >= 0 ? Math.min(MAX_STEPS, v) : undefined), text: String }),
  // a short code (a class's, a teacher's secret), or none: the whole value matches `pattern`
  token: (k) => {
    if (typeof k.pattern !== "string" || k.pattern.length > 200) return null;
    let re;
    try { re = new RegExp("^(?:" + k.pattern + ")$"); } catch (e) { return null; }
    return { read: (v) => (v === null ? null : typeof v === "string" && v.length <= 64 && re.test(v) ? v : undefined), text: (v) => v };
  },
  // run numbers, 1-based, ascending
  runs: () => ({
    read: (v) => {
      if (!Array.isArray(v)) return undefined;
      const out = [];
      for (const n of v.slice(0, MAX_RUNS)) if (Number.isInteger(n) && n >= 1 && n <= MAX_RUNS && !out.includes(n)) out.push(n);
      return out.sort((a, b) => a - b);
    },
    text: (v) => v.join(","),
  }),
};

function viewerKey(k) {
  k = obj(k);
  if (typeof k.name !== "string" || !VIEWER_NAME.test(k.name) || !Object.hasOwn(VIEWER_KINDS, k.kind) ||
    (k.writer !== "server" && k.writer !== "player")) return null;
  const key = VIEWER_KINDS[k.kind](k);
  if (!key) return null;
  const fallback = key.read(k.default);
  if (fallback === undefined) return null;
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  return Object.assign(key, {
    name: k.name, kind: k.kind, writer: k.writer, default: fallback,
    value: (v) => { const r = key.read(v); return r === undefined ? fallback : r; },
    isDefault: (v) => same(v, fallback),
  });
}

export function viewer(v) {
  v = obj(v);
  const given = obj(v.values), keys = [], values = {};
  for (const entry of (Array.isArray(v.keys) ? v.keys : []).slice(0, 64)) {
    const key = viewerKey(entry);
    if (!key || Object.hasOwn(values, key.name)) continue;
    keys.push(key);
    values[key.name] = key.value(Object.hasOwn(given, key.name) ? given[key.name] : undefined);
  }
  return { keys: keys, values: values };
}

// Interleaved x, y values as {X, Y} of `n` points (NaN past the data), or
// null where there are none.
function pairs(a, n) {
  if (!a.length) return null;
  const X = new Float32Array(n).fill(NaN), Y = new Float32Array(n).fill(NaN);
  for (let k = 0; k < Math.min(n, a.length >> 1); k++) { X[k] = a[2 * k]; Y[k] = a[2 * k + 1]; }
  return { X: X, Y: Y };
}

// The side charts' curves: the table of visualizer/browser/curves.py (the
// payload's `curves`, top to bottom); an entry the player cannot read is
// left out, an option it cannot read is off. curves.js says what each
// option does.
const CURVE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
function texts(list) {
  return (Array.isArray(list) ? list : []).filter((t) => typeof t === "string").slice(0, 8).map((t) => t.slice(0, 120));
}
function positiveOrNull(v) {
  return finiteNum(v) && v > 0 ? v : null;
}
function curveTable(list) {
  const out = [], ids = new Set();
  for (const c of (Array.isArray(list) ? list : []).slice(0, 12)) {
    const e = obj(c);
    if (typeof e.id !== "string" || !CURVE_NAME.test(e.id) || ids.has(e.id)) continue;
    const series = (Array.isArray(e.series) ? e.series : []).slice(0, 4).map(obj)
      .filter((x) => typeof x.key === "string" && CURVE_NAME.test(x.key) && typeof x.id === "string" && CURVE_NAME.test(x.id))
      .map((x) => ({ key: x.key, id: x.id, name: typeof x.name === "string" ? x.name.slice(0, 40) : x.id, dash: x.dash === true,
        sparse: x.sparse === true, limit: x.limit === true }));
    const titles = texts(e.titles);
    if (!series.length || !titles.length) continue;
    const lv = obj(e.level);
    const level = typeof lv.key === "string" && CURVE_NAME.test(lv.key) && typeof lv.id === "string" && CURVE_NAME.test(lv.id)
      ? { key: lv.key, id: lv.id, titles: texts(lv.titles) } : null;
    ids.add(e.id);
    out.push({
      id: e.id, titles: titles, series: series, rank: finiteNum(e.rank) ? e.rank : 0,
      axis: e.axis === "percent" ? "percent" : "log", floor: e.floor === true,
      belowZeroTitles: texts(e.below_zero_titles), startDecades: positiveOrNull(e.start_decades),
      decades: positiveOrNull(e.decades), constantTicks: e.constant_ticks === true, linearTitles: texts(e.linear_titles),
      level: level, telling: e.telling === "level" && level ? "level" : e.telling === "moves" ? "moves"
        : e.telling === "near" && series.length === 2 && series[1].dash ? "near" : null,
      rankTelling: finiteNum(e.rank_telling) ? e.rank_telling : null, optional: e.optional === true,
    });
  }
  return out;
}

// The payload, ready to draw: typed arrays per run, the value transform
// shared by the contour, the 3D surface and the 3D path heights, and the
// plot window.
// The surface part of the last payload, reused while the surface stays the
// same (a slider move changes the runs, not the grid): decoding, the value
// transform and the contour's cached level lines are the expensive part.
let lastSurface = { sig: null, part: null };

function surfaceSig(surf) {
  const arr = (a) => (a && typeof a === "object" && typeof a.bdata === "string" ? a.bdata : JSON.stringify(a));
  return [arr(surf.x), arr(surf.y), arr(surf.z), surf.log_scale === true].join("|");
}

function prepareGrid(surf) {
  const sx = decode(surf.x), sy = decode(surf.y), sz = decode(surf.z);
  const nx = sx.length, ny = sy.length;
  const hasGrid = nx > 1 && ny > 1 && sz.length === nx * ny;
  const logScale = surf.log_scale === true;
  let zmin = Infinity, zmax = -Infinity, nNaN = 0;
  if (hasGrid) {
    for (let i = 0; i < sz.length; i++) {
      const v = sz[i];
      if (v !== v) { nNaN++; continue; }
      if (v < zmin) zmin = v;
      if (v > zmax) zmax = v;
    }
  }
  return { sx, sy, sz, nx, ny, hasGrid, logScale, zmin, zmax, nNaN, hasSurface: hasGrid && nNaN < sz.length,
           scale: null, grid: null };
}

// The value transform shared by the contour levels, the 3D surface and the
// 3D path heights, from the grid (or, with no surface, from the losses).
function valueScale(values, zmin, zmax, logScale) {
  const sorted = sampleSorted(values, 6000);
  const range = zmax - zmin;
  let eps = 0;
  if (logScale) {
    const med = quantile(sorted, 0.5);
    eps = 1e-3 * (med - zmin);
    if (!(eps > 0)) eps = 1e-3 * range;
    if (!(eps > 0)) eps = 1e-3 * Math.max(1, Math.abs(zmin));
  }
  const T = logScale ? (v) => Math.log10(Math.max(v - zmin, 0) + eps) : (v) => v;
  const Tinv = logScale ? (t) => Math.pow(10, t) - eps + zmin : (t) => t;
  const top = T(zmax);
  // The colour scale starts at the lowest percent of the window rather than
  // at its minimum: the grid cannot resolve a valley narrower than a cell
  // (Rosenbrock's), and bands below that would draw the valley floor as a
  // row of white dashes, which reads as a path.
  const lo = Math.max(T(zmin), T(quantile(sorted, 0.01)));
  let hi = T(quantile(sorted, 0.985));
  if (!(hi > lo)) hi = top > lo ? top : lo + 1;
  return { zmin, eps, T, Tinv, top, lo, hi };
}

function ascendingGrid(g, T) {
  // x and y ascending (flip a descending axis and the matching z order)
  const { sx, sy, sz, nx, ny, nNaN } = g;
  let gx = sx, gy = sy, gz = sz;
  if (gx[nx - 1] < gx[0] || gy[ny - 1] < gy[0]) {
    const fx = gx[nx - 1] < gx[0], fy = gy[ny - 1] < gy[0];
    gx = fx ? gx.slice().reverse() : gx; gy = fy ? gy.slice().reverse() : gy;
    gz = new Float32Array(nx * ny);
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      gz[j * nx + i] = sz[(fy ? ny - 1 - j : j) * nx + (fx ? nx - 1 - i : i)];
    }
  }
  const zT = new Float32Array(nx * ny);
  for (let i = 0; i < zT.length; i++) zT[i] = gz[i] === gz[i] ? T(gz[i]) : NaN;
  return { nx: nx, ny: ny, x: gx, y: gy, z: gz, zT: zT, nNaN: nNaN, segs: null, rows: null };
}

export function prepare(p) {
  p = p && typeof p === "object" ? p : {};
  const surf = p.surface && typeof p.surface === "object" ? p.surface : {};
  const colors = palette(p.palette);
  const sig = surfaceSig(surf);
  let g = lastSurface.sig === sig ? lastSurface.part : null;
  if (!g) {
    g = prepareGrid(surf);
    if (g.hasSurface) {
      g.scale = valueScale([g.sz], g.zmin, g.zmax, g.logScale);
      g.grid = ascendingGrid(g, g.scale.T);
    }
    lastSurface = { sig: sig, part: g };
  }
  const { sx, sy, nx, ny, hasGrid, logScale, hasSurface } = g;
  const curves = curveTable(p.curves);
  const seriesKeys = [...new Set(curves.flatMap((c) => c.series.map((x) => x.key)))];
  const levelKeys = [...new Set(curves.filter((c) => c.level).map((c) => c.level.key))];

  const runs = (Array.isArray(p.runs) ? p.runs : []).slice(0, MAX_RUNS).map((r, i) => {
    r = r && typeof r === "object" ? r : {};
    const arrays = {}; // each array decoded once, whoever reads it
    const array = (key) => arrays[key] || (arrays[key] = decode(Object.hasOwn(r, key) ? r[key] : null));
    const xy = decode(r.xy);
    const npts = Math.min(xy.length >> 1, MAX_STEPS + 1);
    const X = new Float32Array(npts), Y = new Float32Array(npts);
    for (let k = 0; k < npts; k++) { X[k] = xy[2 * k]; Y[k] = xy[2 * k + 1]; }
    const label = r.label == null || r.label === "" ? "run " + (i + 1) : String(r.label).slice(0, MAX_LABEL);
    const dv = r.diverged_at;
    // where the run starts: its first point, else the start it says it has
    const start = npts && X[0] === X[0] && Y[0] === Y[0] ? [X[0], Y[0]] : (isPoint(r.start) ? [r.start[0], r.start[1]] : null);
    return {
      i: i,
      key: i + "|" + label,
      label: label,
      color: validColor(r.color) ? r.color.trim() : (colors.length ? colors[i % colors.length] : style().run.fallbackColor),
      X: X, Y: Y, n: npts - 1,
      start: start,
      loss: array("loss"), lr: array("lr"),
      // a network's accuracies (model scenes), per point like the loss; empty elsewhere
      acc: array("train_accuracy"), testAcc: array("test_accuracy"),
      // and its pseudo-labels: how many unlabelled points, the share right (NaN: none)
      pseudo: array("pseudo_labels"), pseudoAcc: array("pseudo_label_accuracy"),
      selftrain: r.unlabeled === "selftrain", // trains on its pseudo-labels (else they are only confident predictions)
      // the curves' arrays and levels (curves.js), by their names in the table
      series: Object.fromEntries(seriesKeys.map((k) => [k, array(k)])),
      levels: Object.fromEntries(levelKeys.map((k) => [k, positiveOrNull(r[k])])),
      diverged: finiteNum(dv) && dv >= 0 ? Math.round(dv) : null,
      px: new Float32Array(npts), py: new Float32Array(npts), Z: null,
      // flow=1: its continuous-time limit at each point, the step it leaves it, and where and
      // why a solve stopped short (its points are none from there; dynamics.js)
      flow: pairs(decode(r.flow), npts),
      leavesFlow: finiteNum(r.leaves_flow_at) && r.leaves_flow_at >= 0 ? Math.round(r.leaves_flow_at) : null,
      flowStopsAt: finiteNum(r.flow_stops_at) && r.flow_stops_at > 0 ? Math.round(r.flow_stops_at) : null,
      flowStop: typeof r.flow_stop === "string" ? r.flow_stop.slice(0, 60) : null,
      // a cloud (seeds > 1): the 10% and 90% quantiles of its points at each step
      band: r.band && typeof r.band === "object"
        ? { low: pairs(decode(r.band.low), npts), high: pairs(decode(r.band.high), npts),
          seeds: finiteNum(r.band.seeds) ? Math.round(r.band.seeds) : null } : null,
    };
  });

  let N = finiteNum(p.steps) ? Math.max(0, Math.min(MAX_STEPS, Math.round(p.steps))) : 0;
  for (const r of runs) N = Math.max(N, r.n);

  let scale = g.scale;
  if (!hasSurface) {
    // no surface to read a scale from: use the losses
    let zmin = Infinity, zmax = -Infinity;
    for (const r of runs) for (const v of r.loss) if (v === v) { zmin = Math.min(zmin, v); zmax = Math.max(zmax, v); }
    if (!isFinite(zmin)) { zmin = 0; zmax = 1; }
    scale = valueScale(runs.map((r) => r.loss), zmin, zmax, logScale);
  }
  const { zmin, eps, T, Tinv, top, lo, hi } = scale;
  const nLevels = CONTOUR.bands;
  const grid = g.grid;

  // plot window: the payload's, else the grid's, else the paths'
  let win = validWindow(surf.window) ? surf.window.map((r) => r.slice()) : null;
  if (!win && hasGrid) win = [[Math.min(sx[0], sx[nx - 1]), Math.max(sx[0], sx[nx - 1])], [Math.min(sy[0], sy[ny - 1]), Math.max(sy[0], sy[ny - 1])]];
  if (!win || !(win[0][1] > win[0][0]) || !(win[1][1] > win[1][0])) {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const r of runs) for (let k = 0; k <= r.n; k++) {
      if (r.X[k] === r.X[k]) { x0 = Math.min(x0, r.X[k]); x1 = Math.max(x1, r.X[k]); }
      if (r.Y[k] === r.Y[k]) { y0 = Math.min(y0, r.Y[k]); y1 = Math.max(y1, r.Y[k]); }
    }
    if (!(x1 > x0)) { x0 = (isFinite(x0) ? x0 : 0) - 1; x1 = x0 + 2; }
    if (!(y1 > y0)) { y0 = (isFinite(y0) ? y0 : 0) - 1; y1 = y0 + 2; }
    win = [[x0, x1], [y0, y1]];
  }

  // 3D heights of the paths: the same transform, clamped to the surface's
  // range, lifted a little so the line is not buried in the surface.
  const zLo3 = Math.min(lo, T(zmin)), zHi3 = Math.max(top, hi);
  const lift = 0.012 * (zHi3 - zLo3 || 1);
  for (const r of runs) {
    const Z = new Float32Array(r.n + 1);
    for (let k = 0; k <= r.n; k++) {
      const v = r.loss[k];
      Z[k] = v === v ? Math.min(zHi3, Math.max(zLo3, T(v))) + lift : NaN;
    }
    r.Z = Z;
  }

  // The scene's common start is drawn only if the runs share it; runs that
  // start elsewhere each get a ring of their own.
  const given = isPoint(p.start) ? [p.start[0], p.start[1]] : null;
  const [[wx0, wx1], [wy0, wy1]] = win;
  const tol = 1e-6 * Math.hypot(wx1 - wx0, wy1 - wy0);
  const withStart = runs.filter((r) => r.start);
  const ref = given || (withStart.length ? withStart[0].start : null);
  const shared = !!ref && withStart.every((r) => Math.abs(r.start[0] - ref[0]) <= tol && Math.abs(r.start[1] - ref[1]) <= tol);
  const minValue = finiteNum(surf.min_value) ? surf.min_value : null;

  return {
    query: typeof p.query === "string" ? p.query : null,
    name: typeof surf.name === "string" ? surf.name.slice(0, MAX_LABEL) : "",
    logScale: logScale, zmin: zmin, eps: eps, T: T, Tinv: Tinv, lo: lo, hi: hi, zLo3: zLo3, zHi3: zHi3,
    nLevels: nLevels, grid: grid, hasGrid: hasGrid, allNaN: hasGrid && !hasSurface,
    window: win,
    minima: points(surf.minima), minimaEstimated: surf.minima_estimated === true,
    saddles: points(surf.saddles), minValue: minValue,
    start: shared ? ref : null,        // the common start, when there is one
    runStarts: !shared && withStart.length > 0,
    runs: runs, N: N, palette: colors, curves: curves,
    uirev: (typeof surf.name === "string" ? surf.name : "") + JSON.stringify(win),
  };
}

// The questions asked before the scene plays (the payload's `quiz`, built by
// visualizer/browser/predict.py), or null. A question the player cannot
// read is left out; an answer may be missing (a live class sends it at the
// reveal), anything else about it must be right.
//   -> {id, questions: [{kind, prompt, why, answer, choices, run, step,
//       runs, diagonal, axis}], grading, after}
const KINDS = ["choice", "point", "order", "number"];
const QUIZ_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_QUESTIONS = 4;
const MAX_TEXT = 1000;

function textOf(v, n) {
  return typeof v === "string" ? v.slice(0, n || MAX_TEXT) : "";
}

function bounds(b, bigger) {
  b = obj(b);
  return finiteNum(b.right) && finiteNum(b.close) && (bigger ? b.right >= b.close : b.right <= b.close)
    ? { right: b.right, close: b.close } : null;
}

function answerOf(kind, a, q) {
  if (a === undefined || a === null) return null;
  if (kind === "choice") return Number.isInteger(a) && a >= 0 && a < q.choices.length ? a : undefined;
  if (kind === "point") return isPoint(a) ? [a[0], a[1]] : undefined;
  if (kind === "order") {
    const ok = Array.isArray(a) && a.length === q.runs && a.slice().sort((x, y) => x - y).every((v, i) => v === i + 1);
    return ok ? a.slice() : undefined;
  }
  return finiteNum(a) && a > 0 ? a : undefined;
}

function question(e, nRuns) {
  e = obj(e);
  if (!KINDS.includes(e.kind)) return null;
  const q = { kind: e.kind, prompt: textOf(e.prompt), why: textOf(e.why),
    choices: (Array.isArray(e.choices) ? e.choices : []).slice(0, 16).map((c) => textOf(c, 200)),
    run: Number.isInteger(e.run) && e.run >= 1 && e.run <= nRuns ? e.run : null,
    step: Number.isInteger(e.step) && e.step >= 0 ? e.step : null,
    runs: Number.isInteger(e.runs) ? e.runs : 0,
    diagonal: finiteNum(e.diagonal) && e.diagonal > 0 ? e.diagonal : null,
    axis: typeof e.axis === "string" && /^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(e.axis) ? e.axis : null };
  if (!q.prompt) return null;
  if (q.kind === "choice" && (q.choices.length < 2 || !q.choices.every((c) => c))) return null;
  if (q.kind === "order" && (q.runs < 2 || q.runs !== nRuns)) return null;
  if (q.kind === "point" && (q.diagonal === null || q.run === null)) return null;
  const answer = answerOf(q.kind, e.answer, q);
  if (answer === undefined) return null;
  q.answer = answer;
  return q;
}

export function quizPart(p, nRuns) {
  p = obj(p);
  if (typeof p.id !== "string" || !QUIZ_ID.test(p.id)) return null;
  const g = obj(p.grading);
  const grading = { point: bounds(g.point, false), number: bounds(g.number, false), order: bounds(g.order, true) };
  if (!grading.point || !grading.number || !grading.order) return null;
  const questions = (Array.isArray(p.questions) ? p.questions : []).slice(0, MAX_QUESTIONS)
    .map((e) => question(e, nRuns)).filter(Boolean);
  if (!questions.length) return null;
  return { id: p.id, questions: questions, grading: grading, after: textOf(p.after) };
}
