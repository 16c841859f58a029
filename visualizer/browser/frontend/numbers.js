// Numbers as text: three significant digits, and powers of ten typeset
// with superscripts (10⁻⁸, 2.5×10⁻⁸), never "1e-08", which reads like a
// subtraction. Used by the readouts, the colour bar, every log axis and
// the 3D axes, so one notation holds everywhere.

const MINUS = "\u2212";
const SUP = { "0": "\u2070", "1": "\u00b9", "2": "\u00b2", "3": "\u00b3", "4": "\u2074", "5": "\u2075",
  "6": "\u2076", "7": "\u2077", "8": "\u2078", "9": "\u2079", "-": "\u207b" };

function superscript(n) {
  return String(n).split("").map((c) => SUP[c] || c).join("");
}

export function pow10(e) {
  return "10" + superscript(e);
}

export function plain(v, digits) {
  const s = String(parseFloat(v.toPrecision(digits)));
  return s.replace("-", MINUS);
}

// m×10ᵉ with `digits` significant digits in m; "10ᵉ" when m is 1.
function sci(v, digits) {
  const a = Math.abs(v);
  let e = Math.floor(Math.log10(a));
  let m = parseFloat((a / Math.pow(10, e)).toPrecision(digits || 2));
  if (m >= 10) { m /= 10; e += 1; }
  return (v < 0 ? MINUS : "") + (m === 1 ? "" : String(m) + "\u00d7") + pow10(e);
}

export function fmt(v) {
  if (typeof v !== "number" || v !== v) return "not finite";
  if (!isFinite(v)) return v > 0 ? "\u221e" : MINUS + "\u221e";
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return sci(v, 3);
  return plain(v, 3);
}

// A tick label: plain decimals when the whole axis can use them, else
// powers of ten.
export function tickText(v, usePlain) {
  if (v === 0) return "0";
  return usePlain ? plain(v, 3) : sci(v, 2);
}

// Ticks for a log axis spanning decades [a, b], at most `maxTicks` of
// them: every decade (or every few, on long axes), with 1-3 / 1-2-5 / ...
// between them when that still fits and there were fewer than 3.
// `minGap` (decades, optional): no two ticks closer than that (on a log
// axis 0.08 and 0.09 are far closer than 0.01 and 0.02: a count alone lets
// labels overlap). `must` (optional): values that are ticks whatever else
// is (a constant series' own value); the others keep `minGap` from them.
// Returns plotly axis attributes (tickvals in data units, ticktext typeset).
export function logTicks(range, maxTicks, minGap, must, phase) {
  const [a, b] = range;
  const most = Math.max(2, maxTicks || 6), want = Math.min(3, most), gap = minGap > 0 ? minGap : 0;
  const decades = Math.floor(b + 1e-9) - Math.ceil(a - 1e-9) + 1;
  const every = Math.max(1, Math.ceil(decades / most));
  const sets = [[1], [1, 3], [1, 2, 5], [1, 1.5, 2, 3, 5, 7], [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9]];
  const fixed = (must || []).filter((v) => v > 0 && Math.log10(v) >= a - 1e-9 && Math.log10(v) <= b + 1e-9).sort((x, y) => x - y)
    .filter((v, i, arr) => i === 0 || Math.log10(v) - Math.log10(arr[i - 1]) >= gap);
  const clear = (v) => fixed.every((m) => Math.abs(Math.log10(v) - Math.log10(m)) >= gap);
  const spaced = (vals) => vals.every((v, i) => i === 0 || Math.log10(v) - Math.log10(vals[i - 1]) >= gap - 1e-9);
  let best = null;
  for (const mant of sets) {
    const vals = [];
    for (let k = Math.floor(a); k <= Math.ceil(b); k++) {
      if ((((k - (phase || 0)) % every) + every) % every) continue;
      for (const m of mant) {
        const lv = k + Math.log10(m);
        if (lv >= a - 1e-9 && lv <= b + 1e-9) vals.push(m * Math.pow(10, k));
      }
    }
    const free = fixed.length ? vals.filter(clear) : vals;
    if (best && (free.length + fixed.length > most || !spaced(free))) break;
    if (free.length >= 1) best = free;
    if (free.length + fixed.length >= want) break;
  }
  let ticks = best || [];
  if (fixed.length) {
    // the fixed values, and a nice value on each side of them when that fits
    const lo = ticks.filter((v) => v < fixed[0]).slice(-1), hi = ticks.filter((v) => v > fixed[fixed.length - 1]).slice(0, 1);
    ticks = fixed.length >= 2 ? fixed : lo.concat(fixed, hi);
  }
  if (ticks.length < (fixed.length ? 1 : 2)) {
    // every few decades, counted from another one, may hold two (a short
    // panel over three decades: 10⁻³ and 10⁻¹ rather than 10⁻² alone)
    if (!fixed.length && (phase || 0) + 1 < every) return logTicks(range, maxTicks, minGap, must, (phase || 0) + 1);
    return {};
  }
  const usePlain = ticks.every((v) => v >= 1e-3 && v < 1e5);
  return { tickmode: "array", tickvals: ticks, ticktext: ticks.map((v) => (fixed.includes(v) ? fmtTick(v, usePlain) : tickText(v, usePlain))) };
}

// A fixed tick's label: its value to three digits (a learning rate of
// 0.0316 reads 0.0316, not 3×10⁻²).
function fmtTick(v, usePlain) {
  return usePlain ? plain(v, 3) : sci(v, 3);
}

// Evenly spaced "nice" ticks over [lo, hi], at most `max` of them, for a
// linear axis whose labels we typeset ourselves.
export function linearTicks(lo, hi, max) {
  if (!(hi > lo)) return {};
  const raw = (hi - lo) / Math.max(1, max - 1);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => (hi - lo) / s <= max - 1 + 1e-9) || 10 * p;
  const vals = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step) vals.push(Math.abs(v) < 1e-12 * step ? 0 : v);
  const big = vals.some((v) => v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3));
  return { tickmode: "array", tickvals: vals, ticktext: vals.map((v) => (big ? tickText(v, false) : plain(v, 4))) };
}
