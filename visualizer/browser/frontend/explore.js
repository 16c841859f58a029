// Explorations (the payload's "explore", visualizer/browser/explore_payload.py):
// one run many times at once, drawn beside its paths.
//
//   lr      the final loss against the learning rate (log-log) in a panel of
//           the side column: diverged rates as crosses along the top, the
//           band of rates that arrive within tol shaded, the run's own rate,
//           and on the quadratic the stability limit;
//   map     a map of two of the run's values in that panel: the final loss
//           (log scale), the steps to arrive, and where exact the rate
//           (measured, and exact from the eigenvalues); diverged cells in a
//           colour of their own that no scale reaches;
//   starts  the basins over the contour of the 2D view (view2d.js calls
//           paintBasins between the bands and the level lines), one hue per
//           minimum, lighter the longer the run took; the panel is their key.
//   race    every run's optimizer at the same random trials: per run, the
//           expected best final loss after k trials against k (log), in the
//           run's colour; the runs themselves play at their best trial, and
//           the key gives each one's best values. Nothing to click.
//
// Hover reads each variant out (key = value, outcome); a click sends
// {"event": "pick", "on": id, "i", "j", "nonce"}: indices only, the server
// looks the values up. Arrays arrive deflated (DecompressionStream).

import { el, setStatus } from "./dom.js";
import { S } from "./state.js";
import { style, PALETTE, paintLabel } from "./marks.js";
import { fmt, plain, logTicks, linearTicks } from "./numbers.js";
import { finiteNum as finite, obj } from "./payload.js";
import { sizeCanvas, textWidth, fitTitle } from "./layout.js";
import { hexRgb, scaleColor, MASK_RGB } from "./contour.js";
import * as internals from "./plotly_internals.js";
import { PLOT_CONFIG, baseLayout, esc, clip } from "./figure.js";
import * as component from "./component.js";

const NO_MINIMUM = 250, DIVERGED = 251, NOT_FINITE = 252, NEVER = 65535;
const MAX_AXIS = 4096, MAX_CELLS = 512 * 512;
const KINDS = new Set(["lr", "map", "starts"]);
const MODES = { loss: "final loss", steps: "steps", measured: "rate", exact: "exact rate" };

export const stats = { loads: 0, decodeMs: 0, renders: 0, lastRenderMs: 0, kind: null, mode: null, picks: 0,
  basins: 0, id: null };
const X = { d: null, mode: "loss", hover: -1, pending: null, geo: null, image: null, imageKey: "", bound: false,
  answers: [] };

// A number question's answers once revealed (quiz.js chartMarks), drawn on
// this panel's axis where it is theirs.
export function setAnswerMarks(marks) {
  X.answers = Array.isArray(marks) ? marks : [];
  drawOver();
}

// ------------------------------------------------------------- decoding
const TYPES = { u1: Uint8Array, u2: Uint16Array, f4: Float32Array };

function text(v, n) { return typeof v === "string" ? v.slice(0, n) : ""; }

async function bytesOf(spec) {
  const bin = atob(spec.bdata);
  let u8 = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
  if (spec.deflate === true) {
    const stream = new Blob([u8]).stream().pipeThrough(new DecompressionStream("deflate"));
    u8 = new Uint8Array(await new Response(stream).arrayBuffer());
  }
  return u8;
}

// `{"dtype", "deflate", "bdata"}` -> a typed array of exactly n values, or null.
async function decode(spec, n) {
  spec = obj(spec);
  const T = TYPES[spec.dtype];
  if (!T || typeof spec.bdata !== "string") return null;
  let u8;
  try { u8 = await bytesOf(spec); } catch (e) { return null; }
  if (u8.byteLength !== n * T.BYTES_PER_ELEMENT) return null;
  const a = new T(u8.buffer, u8.byteOffset, n);
  if (T === Float32Array) for (let i = 0; i < n; i++) if (!isFinite(a[i])) a[i] = NaN;
  return a;
}

function axisOf(a) {
  a = obj(a);
  const n = a.n, lo = a.lo, hi = a.hi;
  if (!(Number.isInteger(n) && n >= 2 && n <= MAX_AXIS && finite(lo) && finite(hi) && hi > lo)) return null;
  const log = a.scale === "log" && lo > 0;
  let e = Array.isArray(a.edges) && a.edges.length === 2 && finite(a.edges[0]) && finite(a.edges[1]) &&
    a.edges[1] > a.edges[0] && (!log || a.edges[0] > 0) ? a.edges.slice() : [lo, hi];
  const L = log ? Math.log10 : (v) => v;
  const l0 = L(lo), step = (L(hi) - l0) / (n - 1);
  return {
    key: text(a.key, 40) || "?", title: text(a.title, 80) || text(a.key, 40), log: log, n: n, lo: lo, hi: hi,
    edges: e, range: [L(e[0]), L(e[1])],                   // in axis units (log10 for a log axis)
    at: (k) => (log ? Math.pow(10, l0 + k * step) : l0 + k * step),
    index: (v) => { const k = Math.round((L(v) - l0) / step); return k >= 0 && k < n ? k : -1; },
    cell: (u) => Math.floor((u - L(e[0])) / (L(e[1]) - L(e[0])) * n), // axis units -> cell index (may be out)
    own: null,
  };
}

let last = { id: null, part: null };

// The payload's exploration, validated and decoded (null: none, or not
// valid). Arrays are decoded once per exploration id.
export function load(p) {
  const before = X.d ? X.d.sig : null;
  return prepare(p).then((d) => ({ changed: (d ? d.sig : null) !== before }));
}

// A race: no arrays, one short list per run.
function prepareRace(p) {
  const runs = (Array.isArray(p.runs) ? p.runs : []).slice(0, 8).map(obj).filter((r) =>
    Number.isInteger(r.run) && r.run >= 0 && Array.isArray(r.best_after_k) && r.best_after_k.length > 0)
    .map((r) => ({
      run: r.run, optimizer: text(r.optimizer, 40),
      best: Object.entries(obj(r.best)).filter(([k, v]) => /^[a-z_0-9]{1,24}$/.test(k) && finite(v)).slice(0, 8),
      curve: Float64Array.from(r.best_after_k.slice(0, 256).map((v) => (finite(v) ? v : NaN))),
      diverged: Number.isInteger(r.diverged) ? r.diverged : 0,
    }));
  if (!runs.length) { X.d = null; stats.kind = null; return null; }
  const id = text(p.id, 64);
  X.d = {
    kind: "race", id: id, sig: id + "|race", runs: runs, axes: [],
    budget: Number.isInteger(p.budget) ? p.budget : runs[0].curve.length,
    keys: p.keys === "all" ? "all" : "lr", T: Number.isInteger(p.steps) && p.steps > 0 ? p.steps : 1,
    ms: finite(p.ms) ? p.ms : null, run: runs[0].run, n: runs.length * runs[0].curve.length,
  };
  X.hover = -1; X.pending = null; X.image = null;
  stats.loads++; stats.kind = "race"; stats.id = id;
  return X.d;
}

function prepare(p) {
  const t0 = performance.now();
  if (!p || typeof p !== "object") { X.d = null; stats.kind = null; return Promise.resolve(null); }
  if (p.kind === "race") return Promise.resolve(prepareRace(p));
  const kind = KINDS.has(p.kind) ? p.kind : null;
  const axes = (Array.isArray(p.axes) ? p.axes : []).map(axisOf);
  const ok = kind && axes.length === (kind === "lr" ? 1 : 2) && axes.every((a) => a);
  if (!ok || axes.reduce((m, a) => m * a.n, 1) > MAX_CELLS) { X.d = null; stats.kind = null; return Promise.resolve(null); }
  const n = axes.reduce((m, a) => m * a.n, 1);
  const id = text(p.id, 64);
  const sig = id + "|" + [p.cls, p.steps_at, p.final_loss].map((s) => (s && s.bdata ? s.bdata.length : 0)).join(",");
  const arrays = last.sig === sig ? Promise.resolve(last.part) : Promise.all([
    decode(p.cls, n), decode(p.steps_at, n), decode(p.final_loss, n),
    decode(obj(p.rate).exact, n), decode(obj(p.rate).measured, n),
  ]).then(([cls, steps, loss, exact, measured]) => {
    const part = cls && steps && loss ? { cls, steps, loss, exact, measured } : null;
    last = { sig: sig, part: part };
    return part;
  });
  return arrays.then((part) => {
    if (!part) { X.d = null; stats.kind = null; return null; }
    const own = Array.isArray(p.own) ? p.own : [];
    axes.forEach((a, k) => { a.own = finite(own[k]) ? own[k] : null; });
    const limit = obj(p.limit);
    const changed = !X.d || X.d.sig !== sig;
    X.d = {
      kind: kind, id: id, sig: sig, axes: axes, n: n,
      run: Number.isInteger(p.run) && p.run >= 0 ? p.run : 0,
      label: text(p.label, 120), optimizer: text(p.optimizer, 40),
      tol: finite(p.tol) ? p.tol : 1e-3, fStar: finite(p.f_star) ? p.f_star : 0,
      T: Number.isInteger(p.steps) && p.steps > 0 ? p.steps : 1,
      ms: finite(p.ms) ? p.ms : null,
      minima: (Array.isArray(p.minima) ? p.minima : []).filter((q) => Array.isArray(q) && finite(q[0]) && finite(q[1])).slice(0, 249),
      limit: finite(limit.lr) && limit.lr > 0 ? { lr: limit.lr, formula: text(limit.formula, 40) || "limit", L: finite(limit.L) ? limit.L : null } : null,
      cls: part.cls, steps: part.steps, loss: part.loss,
      rate: part.exact && part.measured ? { exact: part.exact, measured: part.measured } : null,
    };
    if (!X.d.rate && (X.mode === "exact" || X.mode === "measured")) X.mode = "loss";
    X.hover = -1;
    X.pending = null;
    if (changed) X.image = null;
    stats.loads++;
    stats.kind = kind;
    stats.id = id;
    stats.decodeMs = Math.round(performance.now() - t0);
    return X.d;
  });
}

export function kind() { return X.d ? X.d.kind : null; }

// ------------------------------------------------------------- outcomes
function gap(k) { return X.d.loss[k] - X.d.fStar; }
function diverged(k) { return X.d.cls[k] === DIVERGED; }
function arrivedAt(k) { const c = X.d.cls[k]; return c === DIVERGED || c === NOT_FINITE || X.d.steps[k] === NEVER ? -1 : X.d.steps[k]; }

// What variant k did, in words (the readouts).
function outcome(k) {
  const d = X.d, c = d.cls[k], s = d.steps[k];
  if (c === NOT_FINITE) return "f is not finite at this start";
  if (c === DIVERGED) return "diverged at step " + s;
  const loss = (d.fStar !== 0 ? "f \u2212 f* = " + fmt(gap(k)) : "final loss " + fmt(d.loss[k]));
  const where = d.kind === "starts" ? (c < NO_MINIMUM ? "minimum " + (c + 1) + " " + point(d.minima[c]) : "no minimum") : "";
  const when = s === NEVER ? "never within tol (" + fmt(d.tol) + ")" : "within tol at step " + s;
  return (where ? where + ", " : "") + when + "; " + loss;
}

function point(q) { return q ? "(" + fmt(q[0]) + ", " + fmt(q[1]) + ")" : ""; }

function variantText(k) {
  const d = X.d;
  if (d.kind === "lr") return "lr = " + fmt(d.axes[0].at(k)) + ": " + outcome(k);
  const nx = d.axes[0].n, i = k % nx, j = (k - i) / nx;
  let head = d.axes[0].key + " = " + fmt(d.axes[0].at(i)) + ", " + d.axes[1].key + " = " + fmt(d.axes[1].at(j));
  if (d.kind === "starts") head = "start (" + fmt(d.axes[0].at(i)) + ", " + fmt(d.axes[1].at(j)) + ")";
  if (d.kind === "starts") return head + ": " + outcome(k);
  let out = head + "\n" + outcome(k);
  if (d.rate) {
    const e = d.rate.exact[k], m = d.rate.measured[k];
    out += "\nrate per step: exact " + fmt(e) + (e >= 1 ? " (\u2265 1: diverges)" : "") +
      (m === m ? ", measured " + fmt(m) : "");
  }
  return out;
}

// ------------------------------------------------------------- the pick
function send(i, j, what) {
  const d = X.d;
  if (!d || !d.id) return;
  S.nonce = Math.max(S.nonce + 1, Date.now());
  stats.picks++;
  component.setValue({ event: "pick", on: d.id, i: i, j: j, nonce: S.nonce });
  setStatus("run " + (d.run + 1) + ": " + what + " sent"); // cleared by the next payload (main.js)
}

function pickVariant(k) {
  const d = X.d;
  if (d.kind === "lr") {
    X.pending = k;
    send(k, null, "lr = " + fmt(d.axes[0].at(k)));
  } else {
    const nx = d.axes[0].n, i = k % nx, j = (k - i) / nx;
    X.pending = k;
    send(i, j, d.axes[0].key + " = " + fmt(d.axes[0].at(i)) + ", " + d.axes[1].key + " = " + fmt(d.axes[1].at(j)));
  }
  drawOver();
}

// A click on the 2D plot at data (x, y) with starts shown: that start.
// Returns the cell's centre (drawn as the pending start), or null.
let lastStart = { k: -1, t: 0 };
export function pickStart(x, y) {
  const d = X.d;
  if (!d || d.kind !== "starts") return null;
  const [ax, ay] = d.axes, i = ax.cell(x), j = ay.cell(y);
  if (i < 0 || i >= ax.n || j < 0 || j >= ay.n) return null;
  const k = j * ax.n + i, t = performance.now();
  if (k !== lastStart.k || t - lastStart.t > 700) send(i, j, "the start (" + fmt(ax.at(i)) + ", " + fmt(ay.at(j)) + ")");
  lastStart = { k: k, t: t };
  return [ax.at(i), ay.at(j)];
}

// -------------------------------------------------------------- colours
function mixWhite(rgb, w) { return rgb.map((c) => Math.round(c + (255 - c) * w)); }
function pack(rgb) { return (255 << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]; }
function css(rgb) { return "rgb(" + rgb.join(",") + ")"; }

// The hues of the basins: the payload's palette (else the style table's)
// without its near-black.
function basinHues() {
  const pal = (S.d && S.d.palette && S.d.palette.length ? S.d.palette : PALETTE);
  const hues = pal.filter((c) => /^#[0-9a-f]{6}$/i.test(c)).map(hexRgb)
    .filter((rgb) => 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] > 40);
  return hues.length ? hues : [[0, 114, 178]];
}

// The steps to arrive of the starts that arrive: [first, last] (the
// basins' lightness runs over this range, so it shows what differs).
function arrivalRange() {
  const d = X.d;
  if (d.arrival) return d.arrival;
  let lo = Infinity, hi = -Infinity;
  for (let k = 0; k < d.n; k++) { const s = arrivedAt(k); if (s >= 0) { if (s < lo) lo = s; if (s > hi) hi = s; } }
  d.arrival = isFinite(lo) ? [lo, hi] : [0, d.T];
  return d.arrival;
}

function basinColor(k, hues) {
  const d = X.d, b = style().explore.basin, c = d.cls[k];
  if (c === NOT_FINITE) return null;
  if (c === DIVERGED) return hexRgb(b.diverged);
  if (c === NO_MINIMUM) return hexRgb(b.noMinimum);
  const s = d.steps[k], [lo, hi] = arrivalRange();
  const w = s === NEVER ? b.never : b.fastest + (b.slowest - b.fastest) * (hi > lo ? (s - lo) / (hi - lo) : 0);
  return mixWhite(hues[c % hues.length], w);
}

// What the map shows in the current mode: per cell a value in [0, 1] on the
// scale, or a fixed colour; and the scale's ends and ticks.
function mapScale() {
  const d = X.d, mode = X.mode, n = d.n;
  const t = new Float32Array(n); // NaN: a fixed colour (fixed[k])
  const fixed = new Uint8Array(n); // 0 scale, 1 diverged, 2 never, 3 none
  let lo = Infinity, hi = -Infinity, title = "", ticks = {};
  if (mode === "loss") {
    let minPos = Infinity;
    for (let k = 0; k < n; k++) { const g = gap(k); if (!diverged(k) && g > 0 && g < minPos) minPos = g; }
    const floor = isFinite(minPos) ? minPos : 1e-30;
    for (let k = 0; k < n; k++) {
      if (d.cls[k] === DIVERGED) { fixed[k] = 1; continue; }
      const g = gap(k);
      if (g !== g) { fixed[k] = 3; continue; }
      const v = Math.log10(Math.max(g, floor));
      t[k] = v; if (v < lo) lo = v; if (v > hi) hi = v;
    }
    if (!(hi > lo)) { lo = isFinite(lo) ? lo - 0.5 : -1; hi = lo + 1; }
    title = d.fStar !== 0 ? "f \u2212 f*" : "final loss";
    const lt = logTicks([lo, hi], 6);
    if (lt.tickvals) ticks = { tickmode: "array", tickvals: lt.tickvals.map(Math.log10), ticktext: lt.ticktext };
  } else if (mode === "steps") {
    lo = 0; hi = d.T;
    for (let k = 0; k < n; k++) {
      if (d.cls[k] === DIVERGED) fixed[k] = 1;
      else if (d.cls[k] === NOT_FINITE) fixed[k] = 3;
      else if (d.steps[k] === NEVER) fixed[k] = 2;
      else t[k] = d.steps[k];
    }
    title = "steps to arrive";
    ticks = linearTicks(lo, hi, 6);
  } else {
    const plane = d.rate[mode];
    lo = Infinity; hi = 1;
    for (const a of [d.rate.exact, d.rate.measured]) for (let k = 0; k < n; k++) if (a[k] < lo) lo = a[k];
    lo = Math.max(0, Math.min(0.9, Math.floor((isFinite(lo) ? lo : 0) * 20) / 20));
    for (let k = 0; k < n; k++) {
      const v = plane[k];
      if (mode === "exact" ? v >= 1 : d.cls[k] === DIVERGED) fixed[k] = 1;
      else if (v !== v) fixed[k] = 3;
      else t[k] = Math.min(v, hi);
    }
    title = "rate per step";
    ticks = linearTicks(lo, hi, 6);
  }
  for (let k = 0; k < n; k++) if (!fixed[k]) t[k] = (t[k] - lo) / (hi - lo); else t[k] = NaN;
  return { t: t, fixed: fixed, lo: lo, hi: hi, title: title, ticks: ticks };
}

// The cells as an image of n columns and m rows (row 0 = the top, the
// largest y), one pixel per cell.
function cellImage(d, colorOf) {
  const [ax, ay] = d.axes, nx = ax.n, ny = ay.n;
  const canvas = document.createElement("canvas");
  canvas.width = nx; canvas.height = ny;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(nx, ny), buf = new Uint32Array(img.data.buffer);
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    const rgb = colorOf(j * nx + i);
    buf[(ny - 1 - j) * nx + i] = rgb ? pack(rgb) : 0;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

function mapImage() {
  const d = X.d, key = d.sig + X.mode + style().name;
  if (X.image && X.imageKey === key) return X.image;
  const ex = style().explore, sc = mapScale();
  const div = hexRgb(ex.diverged), never = hexRgb(ex.never);
  X.scale = sc;
  X.image = cellImage(d, (k) => (sc.fixed[k] === 1 ? div : sc.fixed[k] === 2 ? never : sc.fixed[k] === 3 ? null : scaleColor(ex.scale, sc.t[k])));
  X.imageKey = key;
  return X.image;
}

// ---------------------------------------------------------------- basins
let basinCache = { key: "", canvas: null };

// The basins under the level lines of the 2D view: `g` is its plot area.
export function paintBasins(ctx, g) {
  const d = X.d;
  if (!d || d.kind !== "starts" || S.asking) return; // where each start ends: the outcome, kept back while asking
  const key = d.sig + style().name + (S.d && S.d.palette ? S.d.palette.join() : "");
  if (basinCache.key !== key) {
    const hues = basinHues();
    basinCache = { key: key, canvas: cellImage(d, (k) => basinColor(k, hues)) };
  }
  const [ax, ay] = d.axes;
  const x0 = g.L + g.x2p(ax.edges[0]), x1 = g.L + g.x2p(ax.edges[1]);
  const y0 = g.T + g.y2p(ay.edges[1]), y1 = g.T + g.y2p(ay.edges[0]);
  ctx.save();
  ctx.beginPath(); ctx.rect(g.L, g.T, g.W, g.H); ctx.clip();
  ctx.imageSmoothingEnabled = false;
  ctx.globalAlpha = style().explore.basin.alpha;
  ctx.drawImage(basinCache.canvas, x0, y0, x1 - x0, y1 - y0);
  ctx.restore();
  stats.basins++;
}

// The readout's line for the start at data (x, y), or "".
export function basinText(x, y) {
  const d = X.d;
  if (!d || d.kind !== "starts" || S.asking) return "";
  const [ax, ay] = d.axes, i = ax.cell(x), j = ay.cell(y);
  if (i < 0 || i >= ax.n || j < 0 || j >= ay.n) return "";
  return "from here: " + outcome(j * ax.n + i) + " \u2014 click to start here";
}

// ------------------------------------------------------------------ panel
// Show or hide the panel for the exploration loaded (before the side
// charts are laid out: the panel takes its share of the column first).
export function showPanel() {
  const d = X.d, P = el.explore;
  P.hidden = !d || S.asking; // every variant's outcome: kept back while a question is open
  if (!d) { el.exploreReadout.textContent = ""; return; }
  P.classList.toggle("figure", d.kind !== "starts");
  P.classList.toggle("key-only", d.kind === "starts");
  P.dataset.kind = d.kind;
  el.exploreHit.hidden = d.kind === "race"; // nothing to pick: the curves' own hover reads them
  if (d.kind === "race") {
    el.exploreTitle.textContent = "Best final loss expected after k trials";
    el.exploreTitle.title = "Every optimizer at the same " + d.budget + " random trials of " +
      (d.keys === "lr" ? "its learning rate" : "its values") + ", " + d.T + " steps each" +
      (d.ms !== null ? ", computed at once in " + Math.round(d.ms) + " ms" : "");
    buildModes();
    buildKey();
    el.exploreReadout.textContent = hint();
    return;
  }
  const run = S.d && S.d.runs[d.run];
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = "run " + (d.run + 1);
  if (run) who.style.borderBottomColor = run.color;
  el.exploreTitle.replaceChildren(document.createTextNode(d.kind === "lr" ? "Final loss by learning rate, "
    : d.kind === "map" ? d.axes[0].key + " \u00d7 " + d.axes[1].key + ", " : "Where each start ends, "), who);
  el.exploreTitle.title = (d.label ? d.label + ": " : "") + d.n.toLocaleString("en") + " runs of " + d.T +
    " steps" + (d.ms !== null ? ", computed at once in " + Math.round(d.ms) + " ms" : "");
  buildModes();
  buildKey();
  if (!X.hoverText) el.exploreReadout.textContent = hint();
}

function hint() {
  const d = X.d;
  if (!d) return "";
  if (d.kind === "starts") return "Hover over the plot: where a start leads. Click: start there.";
  if (d.kind === "race") return "Each run plays at its best of " + d.budget + " trials. A curve that falls fast: cheap to tune.";
  return "Hover: read a " + (d.kind === "lr" ? "rate" : "cell") + " out. Click: apply it to run " + (d.run + 1) + ".";
}

function buildModes() {
  const d = X.d, box = el.exploreModes;
  box.replaceChildren();
  if (d.kind !== "map") return;
  const modes = ["loss", "steps"].concat(d.rate ? ["measured", "exact"] : []);
  for (const m of modes) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = MODES[m];
    b.dataset.mode = m;
    b.setAttribute("aria-pressed", String(X.mode === m));
    b.title = m === "exact" ? "The rate per step from the eigenvalues: the spectral radius of the iteration, the larger of the two curvatures' (1 and cond)"
      : m === "measured" ? "(f(x_T) \u2212 f*) / (f(x_0) \u2212 f*) to the power 1/(2T): the loss shrinks like the rate squared per step"
        : m === "steps" ? "The first step within tol of the lowest value" : "The loss after the last step (log scale)";
    b.addEventListener("click", () => setMode(m));
    box.appendChild(b);
  }
  stats.mode = X.mode;
}

function setMode(m) {
  if (!X.d || X.mode === m) return;
  X.mode = m;
  stats.mode = m;
  for (const b of el.exploreModes.children) b.setAttribute("aria-pressed", String(b.dataset.mode === m));
  buildKey();
  renderPanel();
}

// A key row: its words in pieces (a string, or an array of pieces) that
// each stay whole; a row too wide for the column breaks between them.
function keyItem(paint, label, share) {
  const it = document.createElement("span");
  it.className = paint ? "item" : "item note";
  if (paint) it.appendChild(paint);
  if (paint) {
    [].concat(label).forEach((part, i) => {
      if (i) it.appendChild(document.createTextNode(" "));
      const w = document.createElement("span");
      w.className = "part";
      w.textContent = part.trim();
      it.appendChild(w);
    });
  } else {
    it.appendChild(document.createTextNode(label));
  }
  if (share) { const s = document.createElement("span"); s.className = "share"; s.textContent = share; it.append(" ", s); }
  el.exploreKey.appendChild(it);
}

// A minimum's coordinates in the key: two significant digits in
// presentation mode (its type is large and the column narrow), else fmt's.
function keyPoint(q) {
  if (!q || style().name !== "present") return point(q);
  const short = (v) => (Math.abs(v) >= 0.01 && Math.abs(v) < 1e4 ? plain(v, 2) : fmt(v));
  return "(" + short(q[0]) + ", " + short(q[1]) + ")";
}
function chip(color, cls) {
  const c = document.createElement("span");
  c.className = cls || "chip";
  c.style.background = color;
  return c;
}

function buildKey() {
  const d = X.d, ex = style().explore;
  el.exploreKey.replaceChildren();
  if (d.kind === "race") {
    for (const r of d.runs) {
      const run = S.d && S.d.runs[r.run];
      keyItem(chip(run ? run.color : "#4d4d4d"), " " + r.optimizer + " at its best: " +
        r.best.map(([k, v]) => k + " " + fmt(v)).join(", ") + " ", r.diverged ? r.diverged + "/" + d.budget + " diverged" : "");
    }
    return;
  }
  const count = (pred) => { let c = 0; for (let k = 0; k < d.n; k++) if (pred(k)) c++; return c; };
  const pct = (c) => (c === 0 ? "0%" : c / d.n < 0.001 ? "<0.1%" : (100 * c / d.n).toFixed(c / d.n < 0.1 ? 1 : 0) + "%");
  const nDiv = count(diverged);
  if (d.kind === "starts") {
    const hues = basinHues(), b = ex.basin;
    d.minima.forEach((q, m) => {
      const c = count((k) => d.cls[k] === m);
      if (!c && d.minima.length > 6) return;
      const fast = css(mixWhite(hues[m % hues.length], b.fastest)), slow = css(mixWhite(hues[m % hues.length], b.slowest));
      keyItem(chip("linear-gradient(90deg," + fast + "," + slow + ")", "ramp"), ["minimum " + (m + 1), keyPoint(q)], pct(c));
    });
    keyItem(chip(b.noMinimum), " no minimum ", pct(count((k) => d.cls[k] === NO_MINIMUM)));
    keyItem(chip(b.diverged), " diverged ", pct(nDiv));
    const bad = count((k) => d.cls[k] === NOT_FINITE);
    if (bad) keyItem(chip(css(MASK_RGB)), " f not finite at the start ", pct(bad));
    if (count((k) => arrivedAt(k) >= 0 && d.cls[k] < NO_MINIMUM)) {
      const [lo, hi] = arrivalRange();
      keyItem(null, "darker: within tol (" + fmt(d.tol) + ") sooner, step " + lo + " \u2192 " + hi +
        (count((k) => d.cls[k] < NO_MINIMUM && d.steps[k] === NEVER) ? "; palest: never" : ""));
    } else {
      keyItem(null, "no start comes within tol (" + fmt(d.tol) + ") of the lowest value in " + d.T + " steps");
    }
    return;
  }
  if (d.kind === "lr") return; // the curve's own labels say what each mark is
  keyItem(chip(ex.diverged), " diverged" + (X.mode === "exact" ? " (rate \u2265 1)" : "") + " ", pct(X.mode === "exact" ? count((k) => d.rate.exact[k] >= 1) : nDiv));
  if (X.mode === "steps") keyItem(chip(ex.never), " never within tol ", pct(count((k) => !diverged(k) && d.steps[k] === NEVER)));
  if (X.mode === "exact") keyItem(null, "\u2606 fastest");
}

// Plot-area geometry of the panel's figure (data -> panel pixels).
function panelGeometry() {
  const d = X.d;
  const g = internals.cartesian(el.explorePlot);
  if (!g) return null;
  const tx = (v) => (d.axes[0].log ? Math.log10(v) : v);
  const ty = d.kind === "map" ? (v) => (d.axes[1].log ? Math.log10(v) : v) : (v) => Math.log10(v);
  return Object.assign({}, g, {
    px: (v) => g.L + g.x2p(tx(v)), py: (v) => g.T + g.y2p(ty(v)),
    ux: (p) => g.p2x(p - g.L), uy: (p) => g.p2y(p - g.T), // panel pixels -> axis units
  });
}

// An axis of `px` pixels over `range` (log10 units on a log axis): as many
// ticks as its labels leave room for, never turned.
function axisLayout(range, log, title, px, extra) {
  const f = style().font, most = Math.max(2, Math.min(7, Math.floor(px / (f.tick * 3.6))));
  return Object.assign({
    range: range, type: "linear", title: { text: esc(clip(title, 60)), standoff: 2, font: { size: f.axisTitle } },
    showgrid: false, zeroline: false, ticks: "outside", ticklen: 3, mirror: true, showline: true, linecolor: "#50575f",
    tickfont: { size: f.tick }, automargin: false, fixedrange: true, tickangle: 0,
  }, log ? logTicksFor(range, most) : linearTicks(range[0], range[1], Math.max(3, most)), extra || {});
}

// ticks of a log axis drawn as a linear axis of log10 values
function logTicksFor(range, most) {
  const lt = logTicks(range, most);
  return lt.tickvals ? { tickmode: "array", tickvals: lt.tickvals.map(Math.log10), ticktext: lt.ticktext } : {};
}

function margins(cb) {
  const f = style().font;
  return { l: Math.round(f.tick * 3.3 + f.axisTitle + 4), r: cb ? Math.round(26 + f.tick * 3.4) : 10, t: 8,
    b: Math.round(f.tick + f.axisTitle + 14) };
}

// Contiguous runs of variants k with pred(k): [[first, last], ...].
function stretches(n, pred) {
  const out = [];
  for (let k = 0; k < n;) {
    if (!pred(k)) { k++; continue; }
    let e = k;
    while (e + 1 < n && pred(e + 1)) e++;
    out.push([k, e]);
    k = e + 1;
  }
  return out;
}

// The lr curve: the final loss (log) against lr (log), as a Plotly figure
// (its axes, the curve, the bands and their labels); the run's own rate,
// the mouse and a pending click are drawn over it (drawOver).
function lrFigure(W, H) {
  const d = X.d, st = style(), f = st.font, ex = st.explore, ax = d.axes[0], n = ax.n;
  const M = margins(false), pw = W - M.l - M.r, ph = H - M.t - M.b;
  const xs = new Float64Array(n), ys = new Float64Array(n);
  let minPos = Infinity, maxV = 0;
  for (let k = 0; k < n; k++) { const g = gap(k); if (!diverged(k) && g > 0) { minPos = Math.min(minPos, g); maxV = Math.max(maxV, g); } }
  const floor = isFinite(minPos) ? Math.pow(10, Math.floor(Math.log10(minPos)) - 0.3) : 1e-12;
  for (let k = 0; k < n; k++) {
    xs[k] = Math.log10(ax.at(k));
    const g = gap(k);
    ys[k] = diverged(k) || g !== g ? NaN : Math.log10(Math.max(g, floor));
  }
  const yLo = Math.log10(floor), yTop = maxV > 0 ? Math.log10(maxV) : yLo + 1;
  // room above the curve for the strip of diverged rates and the labels
  const span = Math.max(1, yTop - yLo), strip = (f.label + 8) / Math.max(60, ph) * span * 1.25;
  const yr = [yLo - 0.02 * span, yTop + 0.04 * span + 2 * strip];
  const half = (Math.log10(ax.hi) - Math.log10(ax.lo)) / (n - 1) / 2;
  const perUnit = pw / (ax.range[1] - ax.range[0]), textPx = (t) => textWidth(t, f.note) + 8;
  const traces = [
    { type: "scatter", mode: n <= 96 ? "lines+markers" : "lines", x: xs, y: ys, hoverinfo: "skip", showlegend: false,
      line: { color: ex.curve.color, width: ex.curve.width }, marker: { size: ex.curve.dot * 2, color: ex.curve.color }, connectgaps: false },
  ];
  const shapes = [], annotations = [];
  const label = (textValue, x, y, color, xanchor, extra) => annotations.push(Object.assign({
    text: esc(textValue), x: x, xref: "x", y: y, yref: "paper", xanchor: xanchor || "center", yanchor: "top",
    showarrow: false, font: { size: f.note, color: color }, bgcolor: "rgba(255,255,255,0.8)",
  }, extra || {}));
  // where it arrives within tol: shaded, edge to edge of its cells
  const arrived = stretches(n, (k) => arrivedAt(k) >= 0);
  for (const [a, b] of arrived) {
    shapes.push({ type: "rect", xref: "x", yref: "paper", x0: xs[a] - half, x1: xs[b] + half, y0: 0, y1: 1, layer: "below",
      fillcolor: ex.band, line: { width: 0 } });
  }
  if (arrived.length) {
    // on the band if it is wide enough for the words, else beside it, on the side with more room
    const [a, b] = arrived.reduce((w, r) => (r[1] - r[0] > w[1] - w[0] ? r : w));
    const words = "within tol by step " + d.T, x0 = xs[a] - half, x1 = xs[b] + half;
    const need = textPx(words + " \u2192");
    const onBand = (x1 - x0) * perUnit >= need, left = (x0 - ax.range[0]) * perUnit >= need;
    const right = !left && (ax.range[1] - x1) * perUnit >= need;
    label(onBand || !(left || right) ? (onBand ? words : "within tol") : left ? words + " \u2192" : "\u2190 " + words,
      onBand || !(left || right) ? (x0 + x1) / 2 : left ? x0 : x1, 0.0, ex.bandText,
      onBand || !(left || right) ? "center" : left ? "right" : "left", { yanchor: "bottom", yshift: 2 });
  }
  // diverged: a strip along the top, over the rates that blew up
  const top = yTop + 0.04 * span + strip;
  const div = stretches(n, diverged);
  for (const [a, b] of div) {
    shapes.push({ type: "rect", xref: "x", yref: "y", x0: xs[a] - half, x1: xs[b] + half, y0: top - strip * 0.35,
      y1: top + strip * 0.35, fillcolor: ex.diverged, line: { width: 0 } });
  }
  if (div.length) {
    const [a, b] = div.reduce((w, r) => (r[1] - r[0] > w[1] - w[0] ? r : w));
    annotations.push({ text: "diverged", x: (xs[a] + xs[b]) / 2, xref: "x", y: top + strip * 0.35, yref: "y", xanchor: "center",
      yanchor: "bottom", showarrow: false, font: { size: f.note, color: ex.diverged } });
  }
  if (d.limit && d.limit.lr >= ax.edges[0] && d.limit.lr <= ax.edges[1]) {
    const x = Math.log10(d.limit.lr);
    shapes.push({ type: "line", xref: "x", yref: "paper", x0: x, x1: x, y0: 0, y1: 1,
      line: { color: ex.limit.color, width: ex.limit.width, dash: ex.limit.dash } });
    const words = d.limit.formula + " = " + fmt(d.limit.lr), after = (ax.range[1] - x) * perUnit >= textPx(words) + 6;
    label(words, x, 0.62, ex.limit.color, after ? "left" : "right", { xshift: after ? 3 : -3 });
  }
  if (ax.own !== null && ax.own >= ax.edges[0] && ax.own <= ax.edges[1]) {
    const run = S.d && S.d.runs[d.run];
    // under the labels (a Plotly shape), which stay readable over it
    shapes.push({ type: "line", xref: "x", yref: "paper", x0: Math.log10(ax.own), x1: Math.log10(ax.own), y0: 0, y1: 1,
      line: { color: run ? run.color : "#1a1a1a", width: ex.own.width } });
    label("run " + (d.run + 1), Math.log10(ax.own), 0.84, run ? run.color : "#1a1a1a",
      Math.log10(ax.own) > (ax.range[0] + ax.range[1]) / 2 ? "right" : "left", { xshift: Math.log10(ax.own) > (ax.range[0] + ax.range[1]) / 2 ? -4 : 4 });
  }
  const layout = Object.assign(baseLayout(), {
    width: W, height: H, margin: { l: M.l, r: M.r, t: M.t, b: M.b, pad: 0 }, showlegend: false, hovermode: false,
    dragmode: false, shapes: shapes, annotations: annotations,
    xaxis: axisLayout(ax.range, true, "learning rate (log)", pw),
    yaxis: axisLayout(yr, true, d.fStar !== 0 ? "f \u2212 f* (log)" : "final loss (log)", ph,
      Object.assign(logTicksFor([yLo, yTop], Math.max(2, Math.min(6, Math.floor(ph / (f.tick * 2.2))))),
        { showgrid: true, gridcolor: "#edf0f3" })),
  });
  return { data: traces, layout: layout };
}

function mapFigure(W, H) {
  const d = X.d, f = style().font, ex = style().explore, [ax, ay] = d.axes;
  mapImage();
  const sc = X.scale, M = margins(true);
  const top = M.t + Math.round(f.tick * 1.4), pw = Math.max(40, W - M.l - M.r), ph = Math.max(40, H - top - M.b);
  const traces = [{
    type: "scatter", mode: "markers", x: [null], y: [null], showlegend: false, hoverinfo: "skip",
    marker: { color: [sc.lo], cmin: sc.lo, cmax: sc.hi, colorscale: ex.scale.map(([t, c]) => [t, c]), showscale: true,
      colorbar: Object.assign({ thickness: 12, outlinewidth: 0, xpad: 4, ypad: 0, x: 1 + 8 / pw, xanchor: "left", len: 1,
        y: 0, yanchor: "bottom", tickfont: { size: f.tick }, title: { text: esc(sc.title), side: "top", font: { size: f.tick } } },
      sc.ticks) },
  }];
  const layout = Object.assign(baseLayout(), {
    width: W, height: H, margin: { l: M.l, r: M.r, t: top, b: M.b, pad: 0 },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", showlegend: false, hovermode: false, dragmode: false,
    xaxis: axisLayout(ax.range, ax.log, ax.key + (ax.log ? " (log)" : ""), pw),
    yaxis: axisLayout(ay.range, ay.log, ay.key + (ay.log ? " (log)" : ""), ph),
  });
  return { data: traces, layout: layout };
}

// A race's k axis: one trial, the budget, and its middle between them.
function kTicks(budget) {
  return [...new Set([1, Math.round((budget + 1) / 2), budget])];
}

// The race: each run's expected best final loss after k trials (log) against k.
function raceFigure(W, H) {
  const d = X.d, st = style(), M = margins(false), pw = W - M.l - M.r, ph = H - M.t - M.b;
  let lo = Infinity, hi = -Infinity;
  for (const r of d.runs) for (const v of r.curve) if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!isFinite(lo)) { lo = 1e-3; hi = 1; }
  let yr = [Math.log10(lo), Math.log10(hi)];
  if (yr[1] - yr[0] < 0.5) yr = [yr[0] - 0.25, yr[1] + 0.25];
  const pad = 0.05 * (yr[1] - yr[0]);
  yr = [yr[0] - pad, yr[1] + pad];
  const traces = d.runs.map((r) => {
    const run = S.d && S.d.runs[r.run], label = run ? run.label : r.optimizer;
    const ks = Array.from(r.curve, (_, i) => i + 1), ys = Array.from(r.curve, (v) => (v > 0 ? Math.log10(v) : NaN));
    return { type: "scatter", mode: "lines", x: ks, y: ys, showlegend: false, name: esc(clip(label, 40)),
      line: { color: run ? run.color : "#4d4d4d", width: st.curve.width + 0.5 },
      text: Array.from(r.curve, (v, i) => esc(clip(label, 32)) + ": best of " + (i + 1) + " trials ≈ " + fmt(v)),
      hoverinfo: "text" };
  });
  const layout = Object.assign(baseLayout(), {
    width: W, height: H, margin: { l: M.l, r: M.r, t: M.t, b: M.b, pad: 0 }, showlegend: false, hovermode: "closest",
    xaxis: axisLayout([0.5, d.budget + 0.5], false, "trials k", pw, { tickmode: "array", tickvals: kTicks(d.budget),
      ticktext: kTicks(d.budget).map(String) }),
    yaxis: axisLayout(yr, true, fitTitle(["best final loss (log)", "best loss (log)", "best loss"], ph,
      style().font.axisTitle), ph),
  });
  return { data: traces, layout: layout };
}

let renderedKey = "";

// Draw the panel's figure (lr and map; starts has only its key).
export function renderPanel() {
  const d = X.d;
  const t0 = performance.now();
  if (!d || d.kind === "starts") {
    renderedKey = "";
    clearCanvas(el.exploreCells); clearCanvas(el.exploreOver);
    if (el.explorePlot.data) Plotly.purge(el.explorePlot);
    return Promise.resolve();
  }
  const W = Math.max(120, el.exploreBox.clientWidth), H = Math.max(100, el.exploreBox.clientHeight);
  const fig = d.kind === "lr" ? lrFigure(W, H) : d.kind === "race" ? raceFigure(W, H) : mapFigure(W, H);
  renderedKey = W + "x" + H + style().name;
  const cfg = Object.assign({}, PLOT_CONFIG, { displayModeBar: false, staticPlot: false });
  if (d.kind === "race") {
    return Plotly.react(el.explorePlot, fig.data, fig.layout, cfg).then(() => {
      clearCanvas(el.exploreCells); clearCanvas(el.exploreOver);
      X.geo = null;
      stats.renders++;
      stats.lastRenderMs = Math.round(performance.now() - t0);
      stats.panel = "race";
    });
  }
  return Plotly.react(el.explorePlot, fig.data, fig.layout, cfg).then(() => {
    bind();
    X.geo = panelGeometry();
    const h = el.exploreHit.style, g = X.geo;
    if (g) { h.left = g.L + "px"; h.top = g.T + "px"; h.width = g.W + "px"; h.height = g.H + "px"; }
    drawCells();
    drawOver();
    stats.renders++;
    stats.lastRenderMs = Math.round(performance.now() - t0);
    stats.panel = d.kind;
  });
}

// The panel follows its box.
export function resizePanel() {
  if (!X.d || X.d.kind === "starts" || el.explore.hidden) return Promise.resolve();
  const W = Math.max(120, el.exploreBox.clientWidth), H = Math.max(100, el.exploreBox.clientHeight);
  return W + "x" + H + style().name === renderedKey ? Promise.resolve() : renderPanel();
}

function clearCanvas(c) {
  const ctx = sizeCanvas(c, el.exploreBox);
  ctx.clearRect(0, 0, c._w, c._h);
  return ctx;
}

function drawCells() {
  const ctx = clearCanvas(el.exploreCells), g = X.geo, d = X.d;
  if (!g || !d || d.kind !== "map") return;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(mapImage(), g.L, g.T, g.W, g.H);
}

// The run's own value, the variant under the mouse, the one just clicked,
// and on the exact rate plane its fastest cell.
function drawOver() {
  const ctx = clearCanvas(el.exploreOver), g = X.geo, d = X.d;
  if (!g || !d || d.kind === "starts" || d.kind === "race") return;
  const ex = style().explore, run = S.d && S.d.runs[d.run], color = run ? run.color : "#1a1a1a";
  ctx.save();
  ctx.beginPath(); ctx.rect(g.L - 1, g.T - 1, g.W + 2, g.H + 2); ctx.clip();
  const vline = (x, c, w, dash) => {
    ctx.setLineDash(dash || []);
    ctx.beginPath(); ctx.moveTo(x, g.T); ctx.lineTo(x, g.T + g.H);
    ctx.strokeStyle = ex.own.halo; ctx.lineWidth = w + 3; ctx.stroke();
    ctx.strokeStyle = c; ctx.lineWidth = w; ctx.stroke();
    ctx.setLineDash([]);
  };
  if (d.kind === "lr") {
    const ax = d.axes[0]; // the run's own rate is a line of the figure (lrFigure)
    if (X.hover >= 0) vline(g.px(ax.at(X.hover)), ex.hover.color, ex.hover.width, [3, 3]);
    if (X.pending !== null) vline(g.px(ax.at(X.pending)), ex.hover.color, ex.hover.width + 1, [6, 4]);
    // a number question's answers on this axis, once revealed
    const a = style().answer;
    for (const m of X.answers) {
      if (m.axis !== ax.key || !(m.value > 0) || (m.run !== null && m.run !== d.run + 1)) continue;
      const x = g.px(m.value);
      if (!(x >= g.L - 1 && x <= g.L + g.W + 1)) continue;
      vline(x, a.you, m.who === "you" ? a.chart.width : a.chart.width + 1, m.who === "you" ? a.chart.dash : null);
      paintLabel(ctx, m.who === "you" ? "you" : "answer", x + 4, g.T + style().font.label * (m.who === "you" ? 0.8 : 2),
        null, "left");
    }
  } else {
    const [ax, ay] = d.axes, cw = g.W / ax.n, ch = g.H / ay.n;
    const cellBox = (k) => { const i = k % ax.n, j = (k - i) / ax.n; return [g.L + i * cw, g.T + g.H - (j + 1) * ch]; };
    if (d.rate && X.mode === "exact") {
      let best = -1;
      for (let k = 0; k < d.n; k++) if (best < 0 || d.rate.exact[k] < d.rate.exact[best]) best = k;
      if (best >= 0) { const [x, y] = cellBox(best); star(ctx, x + cw / 2, y + ch / 2, ex.best.r); }
    }
    const outline = (k, dash, w) => {
      const [x, y] = cellBox(k);
      ctx.setLineDash(dash || []);
      ctx.strokeStyle = ex.hover.halo; ctx.lineWidth = w + 2; ctx.strokeRect(x, y, cw, ch);
      ctx.strokeStyle = ex.hover.color; ctx.lineWidth = w; ctx.strokeRect(x, y, cw, ch);
      ctx.setLineDash([]);
    };
    if (X.hover >= 0) outline(X.hover, null, ex.hover.width);
    if (X.pending !== null) outline(X.pending, [4, 3], ex.hover.width + 1);
    if (ax.own !== null && ay.own !== null) {
      const inX = ax.own >= ax.edges[0] && ax.own <= ax.edges[1], inY = ay.own >= ay.edges[0] && ay.own <= ay.edges[1];
      if (inX && inY) ring(ctx, g.px(ax.own), g.py(ay.own), color);
    }
  }
  ctx.restore();
}

function ring(ctx, x, y, color) {
  const o = style().explore.own;
  ctx.beginPath(); ctx.arc(x, y, o.r, 0, 2 * Math.PI);
  ctx.strokeStyle = o.halo; ctx.lineWidth = o.width + o.haloWidth - 2; ctx.stroke();
  ctx.strokeStyle = color; ctx.lineWidth = o.width; ctx.stroke();
  ctx.beginPath(); ctx.arc(x, y, 1.6, 0, 2 * Math.PI); ctx.fillStyle = color; ctx.fill();
}

function star(ctx, x, y, r) {
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + i * Math.PI / 5, rr = i % 2 ? r * 0.45 : r;
    ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
  }
  ctx.closePath();
  ctx.fillStyle = "#ffffff"; ctx.fill();
  ctx.lineWidth = 1.6; ctx.strokeStyle = "#1a1a1a"; ctx.stroke();
}

// The variant under panel pixel (px, py), or -1.
function variantAt(px, py) {
  const d = X.d, g = X.geo;
  if (!d || !g || px < g.L || px > g.L + g.W || py < g.T || py > g.T + g.H) return -1;
  if (d.kind === "lr") {
    const ax = d.axes[0], k = Math.round((g.ux(px) - Math.log10(ax.lo)) / ((Math.log10(ax.hi) - Math.log10(ax.lo)) / (ax.n - 1)));
    return Math.max(0, Math.min(ax.n - 1, k));
  }
  const [ax, ay] = d.axes;
  const i = Math.min(ax.n - 1, Math.max(0, Math.floor((px - g.L) / g.W * ax.n)));
  const j = Math.min(ay.n - 1, Math.max(0, Math.floor((g.T + g.H - py) / g.H * ay.n)));
  return j * ax.n + i;
}

function bind() {
  if (X.bound) return;
  X.bound = true;
  const hit = el.exploreHit;
  const local = (ev) => { const r = el.exploreBox.getBoundingClientRect(); return [ev.clientX - r.left, ev.clientY - r.top]; };
  hit.addEventListener("mousemove", (ev) => {
    const [x, y] = local(ev), k = variantAt(x, y);
    if (k === X.hover) return;
    X.hover = k;
    X.hoverText = k >= 0 ? variantText(k) : "";
    el.exploreReadout.textContent = X.hoverText || hint();
    drawOver();
  });
  hit.addEventListener("mouseleave", () => {
    X.hover = -1; X.hoverText = "";
    el.exploreReadout.textContent = hint();
    drawOver();
  });
  hit.addEventListener("click", (ev) => {
    const [x, y] = local(ev), k = variantAt(x, y);
    if (k >= 0 && X.d && X.d.kind !== "starts") pickVariant(k);
  });
}

window.__explore = { stats: stats, state: X, variantText: variantText, setMode: setMode, pickVariant: pickVariant,
  cellCenter: (k) => {
    const g = X.geo, d = X.d;
    if (!g || !d) return null;
    if (d.kind === "lr") return [g.px(d.axes[0].at(k)), g.T + g.H / 2];
    const [ax, ay] = d.axes, i = k % ax.n, j = (k - i) / ax.n;
    return [g.L + (i + 0.5) * g.W / ax.n, g.T + g.H - (j + 0.5) * g.H / ay.n];
  } };
