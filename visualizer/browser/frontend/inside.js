// "Inside a step": the data of the overlays and the rule panel. Decodes the
// table of overlays and each run's `inside` part of the payload
// (visualizer/browser/payload.py and overlays.py, the contract in
// visualizer/page/player.py), says which run and which update are shown,
// reads any number of the rule at an update (the same names and the same
// rules as visualizer/core/step_rules.py: its class Numbers, which the
// Python tests check line by line) and each overlay's vector from them.
//
// Update k moves xy[k] to xy[k+1]; at step k the player shows update k
// (what happens next), and at the last point the last update.

import { S } from "./state.js";
import { decode, obj } from "./payload.js";

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const MAX_TEX = 2000;

function str(v, max) {
  return typeof v === "string" ? v.slice(0, max || MAX_TEX) : "";
}

function drawing(v) {
  if (!v || typeof v !== "object" || !Array.isArray(v.factors)) return null;
  const factors = v.factors.filter((f) => typeof f === "string" && NAME.test(f)).slice(0, 8);
  if (!factors.length) return null;
  return { label: str(v.label, 120), factors: factors, adds: v.adds_to_gradient === true };
}

function finiteOr(v, d) {
  return typeof v === "number" && isFinite(v) ? v : d;
}

// The table of overlays (visualizer/browser/overlays.py, the payload's
// `inside.overlays`, in the key's order); an entry the player cannot read
// is left out.
function overlayTable(list) {
  const out = [], seen = new Set();
  for (const o of (Array.isArray(list) ? list : []).slice(0, 16)) {
    if (!o || typeof o !== "object" || typeof o.kind !== "string" || !NAME.test(o.kind) || seen.has(o.kind)) continue;
    if (o.shape !== "arrow" && o.shape !== "box") continue;
    const factors = Array.isArray(o.factors) ? o.factors.filter((f) => typeof f === "string" && NAME.test(f)).slice(0, 8) : [];
    const to = typeof o.to === "string" && NAME.test(o.to) ? o.to : null;
    const fromRule = o.from_rule === true;
    if ((factors.length > 0) + (to !== null) + fromRule !== 1) continue;
    seen.add(o.kind);
    out.push({
      kind: o.kind, label: str(o.label, 60), title: str(o.title, 400), shape: o.shape, factors: factors,
      sign: o.sign === -1 ? -1 : 1, to: to, fromRule: fromRule, labelFromRule: o.label_from_rule === true,
      dashed: o.dashed === true, layer: finiteOr(o.layer, 0),
      addsTo: typeof o.adds_to === "string" && NAME.test(o.adds_to) ? o.adds_to : null, addsTitle: str(o.adds_title, 200),
      style: typeof o.style === "string" && NAME.test(o.style) ? o.style : o.kind,
    });
  }
  return out;
}

// A run's `inside` part, ready to read; null if there is none.
export function decodeInside(part) {
  if (!part || typeof part !== "object") return null;
  const rule = part.rule && typeof part.rule === "object" ? part.rule : {};
  const state = {}, values = {}, constants = {}, init = {};
  if (part.state && typeof part.state === "object") {
    for (const k of Object.keys(part.state).slice(0, 16)) if (NAME.test(k)) state[k] = decode(part.state[k]);
  }
  if (rule.values && typeof rule.values === "object") {
    for (const k of Object.keys(rule.values).slice(0, 64)) {
      if (!NAME.test(k)) continue;
      const v = rule.values[k], dims = v && (v.dims === 1 || v.dims === 2 || v.dims === 4) ? v.dims : 2;
      values[k] = { a: decode(v), dims: dims };
    }
  }
  if (rule.constants && typeof rule.constants === "object") {
    for (const k of Object.keys(rule.constants).slice(0, 64)) if (NAME.test(k)) constants[k] = finiteOr(rule.constants[k], NaN);
  }
  if (rule.init && typeof rule.init === "object") {
    for (const k of Object.keys(rule.init).slice(0, 64)) {
      const v = rule.init[k];
      if (!NAME.test(k)) continue;
      init[k] = Array.isArray(v) ? [finiteOr(v[0], NaN), finiteOr(v[1], NaN)] : [finiteOr(v, NaN), finiteOr(v, NaN)];
    }
  }
  const lines = (Array.isArray(rule.lines) ? rule.lines : []).slice(0, 24).filter((l) => l && typeof l === "object").map((l) => ({
    lhs: str(l.lhs), rhs: str(l.rhs), num: typeof l.num === "string" ? str(l.num) : null,
    result: typeof l.result === "string" && NAME.test(l.result) ? l.result : null,
    when: typeof l.when === "string" && NAME.test(l.when) ? l.when : null,
  }));
  return {
    grad: decode(part.grad), state: state, values: values, constants: constants, init: init, lines: lines,
    points: new Set((Array.isArray(rule.points) ? rule.points : []).filter((n) => typeof n === "string")),
    optimizer: str(rule.optimizer, 80), note: str(rule.note, 400), processed: rule.processed === true,
    // the drawings its rule gives, by overlay kind (from_rule overlays)
    drawings: Object.fromEntries(Object.entries(obj(part.overlays)).slice(0, 16)
      .filter(([k]) => NAME.test(k)).map(([k, v]) => [k, drawing(v)]).filter(([, v]) => v)),
  };
}

// The payload's inside parts onto the prepared payload `d`.
export function attach(d, p) {
  const runs = Array.isArray(p.runs) ? p.runs : [];
  let any = false;
  for (const r of d.runs) {
    const src = runs[r.i];
    r.inside = src && typeof src === "object" ? decodeInside(src.inside) : null;
    if (r.inside) any = true;
  }
  const flag = p.inside && typeof p.inside === "object" ? p.inside : null;
  d.inside = { offered: !!flag, on: !!flag && flag.on === true, data: any, overlays: overlayTable(flag && flag.overlays) };
}

// Whether run r has overlay `o` (an overlay its rule gives, where it does).
export function hasOverlay(r, o) {
  return !o.fromRule || !!(r && r.inside && r.inside.drawings[o.kind]);
}

// What run r's rule says of overlay `o`: {label, factors, adds}, or null.
export function ruleDrawing(r, o) {
  return o.fromRule && r && r.inside ? r.inside.drawings[o.kind] || null : null;
}

// An overlay's name: the table's, or the run's rule's where it names it.
export function overlayName(r, o) {
  const drawn = o.labelFromRule ? ruleDrawing(r, o) : null;
  return drawn ? drawn.label.split(" (")[0] : o.label;
}

// ------------------------------------------------------------- what is shown

// The run whose insides are shown: the one in front, else the first visible.
export function insideRun(d) {
  d = d || S.d;
  if (!d) return null;
  const front = S.front !== null ? d.runs.find((r) => r.key === S.front) : null;
  const r = front && !S.hidden.has(front.key) ? front : d.runs.find((q) => !S.hidden.has(q.key));
  return r && r.inside && r.n >= 1 ? r : null;
}

// The update shown at step `stepF` of run r (complete updates only).
export function updateIndex(r, stepF) {
  return Math.max(0, Math.min(r.n - 1, Math.floor(stepF)));
}

// ------------------------------------------------------------- numbers

function pair(a, k) {
  return 2 * k + 1 < a.length ? [a[2 * k], a[2 * k + 1]] : [NaN, NaN];
}

// The value of `name` at update k of run r: a number, [x, y] or a 2x2
// matrix [a, b, c, d]; NaN where there is none.
export function valueAt(r, name, k) {
  const I = r.inside;
  switch (name) {
    case "x": return [r.X[k], r.Y[k]];
    case "xn": return k + 1 <= r.n ? [r.X[k + 1], r.Y[k + 1]] : [NaN, NaN];
    case "lr": return k < r.lr.length ? r.lr[k] : NaN;
    case "f": return k < r.loss.length ? r.loss[k] : NaN;
    case "fn": return k + 1 < r.loss.length ? r.loss[k + 1] : NaN;
    case "t": return k + 1;
    case "graw": return pair(I.grad, k);
    case "g": return I.values.g ? pair(I.values.g.a, k) : pair(I.grad, k);
    case "gnorm": { const g = valueAt(r, "g", k); return Math.hypot(g[0], g[1]); }
    default: break;
  }
  if (name in I.constants) return I.constants[name];
  const v = I.values[name];
  if (v) {
    if (v.dims === 1) return k < v.a.length ? v.a[k] : NaN;
    if (v.dims === 4) return 4 * k + 3 < v.a.length ? Array.from(v.a.subarray(4 * k, 4 * k + 4)) : [NaN, NaN, NaN, NaN];
    return pair(v.a, k);
  }
  if (I.state[name]) return pair(I.state[name], k);
  if (name.endsWith("_prev")) {
    const base = name.slice(0, -5);
    if (k > 0) return valueAt(r, base, k - 1);
    const first = I.init[base] || [0, 0];
    const bv = I.values[base];
    return bv && bv.dims === 1 ? first[0] : first.slice();
  }
  return NaN;
}

// The product of the named values at update k, as [x, y] (scalars broadcast).
export function product(r, factors, k) {
  let x = 1, y = 1;
  for (const name of factors) {
    const v = valueAt(r, name, k);
    if (Array.isArray(v)) { x *= v[0]; y *= v[1]; } else { x *= v; y *= v; }
  }
  return [x, y];
}

// The vectors drawn at update k, in the plot's units, by overlay kind (the
// table's, else the payload's): sign x the product of its factors, or the
// way to its point; a box's half-widths are positive. null: run r has none.
export function vectors(r, k, table) {
  const out = {};
  for (const o of table || (S.d && S.d.inside ? S.d.inside.overlays : [])) {
    let v;
    if (o.to) {
      const a = valueAt(r, "x", k), b = valueAt(r, o.to, k);
      v = Array.isArray(b) ? [b[0] - a[0], b[1] - a[1]] : [NaN, NaN];
    } else {
      const factors = o.fromRule ? (ruleDrawing(r, o) || {}).factors : o.factors;
      if (!factors) { out[o.kind] = null; continue; }
      v = product(r, factors, k);
    }
    out[o.kind] = o.shape === "box" ? [Math.abs(v[0]), Math.abs(v[1])] : [o.sign * v[0], o.sign * v[1]];
  }
  return out;
}
