// "Inside a step": the panel beside the plot. The update rule of the run
// whose insides are shown (the run in front, else the first visible one),
// each line written out with the numbers of the update shown, typeset by
// KaTeX (vendored, loaded on first use: nothing is fetched until the
// overlays are switched on), and the key of the overlays, whose chips
// switch each one on and off. It follows the step in the browser: scrubbing
// and playing never ask the server for anything.
//
// The lines come from visualizer/core/step_rules.py: `lhs = rhs` in the rule's
// symbols, then `= num = result` with every @name replaced by its number.

import { el } from "./dom.js";
import { S, overlayShown } from "./state.js";
import { insideIcon } from "./marks.js";
import { hasOverlay, insideRun, overlayName, ruleDrawing, updateIndex, valueAt } from "./inside.js";

const VERSION = new URL(import.meta.url).search; // "?v=...", the frontend's version
const PLACEHOLDER = /@([A-Za-z][A-Za-z0-9_]*)/g;
const PLAYING_MS = 400; // while playing, the numbers change at most this often (nobody reads faster; typesetting costs frames)
export const stats = { renders: 0, lastMs: 0, run: null, k: null, tex: "", errors: 0, katex: false };

let katexLoad = null;
let shown = { key: null, k: null, rev: -1, fontPx: 0 };
let lastRender = 0, timer = 0;

// ------------------------------------------------------------ KaTeX
function loadKatex() {
  if (window.katex) return Promise.resolve(window.katex);
  if (katexLoad) return katexLoad;
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = "katex.min.css" + VERSION;
  document.head.appendChild(css);
  katexLoad = new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = "katex.min.js" + VERSION;
    s.onload = () => (window.katex ? resolve(window.katex) : reject(new Error("KaTeX did not load")));
    s.onerror = () => { katexLoad = null; reject(new Error("KaTeX did not load")); };
    document.head.appendChild(s);
  });
  return katexLoad;
}

// ------------------------------------------------------------ numbers as TeX
function num(v, digits) {
  if (typeof v !== "number" || v !== v) return "\\text{n/a}";
  if (!isFinite(v)) return v > 0 ? "\\infty" : "-\\infty";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) {
    let e = Math.floor(Math.log10(a));
    let m = parseFloat((a / Math.pow(10, e)).toPrecision(digits));
    if (m >= 10) { m /= 10; e += 1; }
    return (v < 0 ? "-" : "") + (m === 1 ? "" : m + "\\times ") + "10^{" + e + "}";
  }
  return String(parseFloat(v.toPrecision(digits)));
}

// A value as TeX: a number, (x, y) or a 2x2 matrix. `wrap`: the TeX is
// followed by a superscript or stands after an operator, so a negative or a
// power of ten gets parentheses.
function tex(v, digits, wrap) {
  if (Array.isArray(v)) {
    if (v.length === 4) {
      return "\\begin{pmatrix}" + num(v[0], digits) + " & " + num(v[1], digits) + "\\\\ " +
        num(v[2], digits) + " & " + num(v[3], digits) + "\\end{pmatrix}";
    }
    return "(" + num(v[0], digits) + ",\\ " + num(v[1], digits) + ")";
  }
  const t = num(v, digits);
  return wrap && (v < 0 || t.indexOf("10^") >= 0) ? "(" + t + ")" : t;
}

// Digits for positions: enough that x_{t+1} differs from x_t where it does.
function pointDigits(r, k) {
  const x = valueAt(r, "x", k), xn = valueAt(r, "xn", k);
  const size = Math.max(Math.abs(x[0]), Math.abs(x[1]), Math.abs(xn[0]), Math.abs(xn[1]));
  const step = Math.max(Math.abs(xn[0] - x[0]), Math.abs(xn[1] - x[1]));
  if (!(step > 0) || !(size > 0)) return 3;
  return Math.max(3, Math.min(8, Math.ceil(Math.log10(size / step)) + 2));
}

// The group in braces that starts at text[i] ("{"): [its inside, the index after it].
function group(text, i) {
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    if (text[j] === "{") depth++;
    else if (text[j] === "}" && --depth === 0) return [text.slice(i + 1, j), j + 1];
  }
  return [text.slice(i + 1), text.length];
}

// Numbers read better full size on one line than in a small fraction:
// \frac{a}{b} -> a / b, with parentheses around anything more than one
// @name (which is a number or an already bracketed pair).
const slashCache = new Map();
export function slashFractions(text) {
  if (slashCache.has(text)) return slashCache.get(text);
  let out = "", i = 0;
  const part = (t) => { const s = slashFractions(t.trim()); return /^@[A-Za-z0-9_]+$/.test(s) ? s : "\\left(" + s + "\\right)"; };
  while (i < text.length) {
    const m = /\\t?frac(?![a-zA-Z])\s*/y;
    m.lastIndex = i;
    if (text[i] === "\\" && m.test(text) && text[m.lastIndex] === "{") {
      const [a, j] = group(text, m.lastIndex);
      const [b, k] = text[j] === "{" ? group(text, j) : ["", j];
      out += part(a) + " / " + part(b);
      i = k;
    } else {
      out += text[i++];
    }
  }
  slashCache.set(text, out);
  return out;
}

function fill(r, k, text, pd) {
  return text.replace(PLACEHOLDER, (all, name, offset, whole) => {
    const after = whole.charAt(offset + all.length);
    const digits = r.inside.points.has(name) ? pd : 3;
    return tex(valueAt(r, name, k), digits, after === "^");
  });
}

// About how many characters wide a piece of TeX shows: a fraction as
// wide as its wider part, super- and subscripts smaller, a command one
// character, braces and spacing nothing. (Cached: a row's filled values
// change every step, so the cache is emptied when it grows large.)
const widthCache = new Map();
function width(t) {
  if (widthCache.has(t)) return widthCache.get(t);
  let w = 0, i = 0;
  const group = (j) => {
    // the group or single token at j: [its text, the index after it]
    if (t[j] === "{") {
      let depth = 0;
      for (let q = j; q < t.length; q++) {
        if (t[q] === "{") depth++;
        else if (t[q] === "}" && --depth === 0) return [t.slice(j + 1, q), q + 1];
      }
      return [t.slice(j + 1), t.length];
    }
    if (t[j] === "\\") { const m = /^\\[a-zA-Z]+/.exec(t.slice(j)); if (m) return [m[0], j + m[0].length]; }
    return [t[j] || "", j + 1];
  };
  while (i < t.length) {
    const c = t[i];
    if (c === "\\") {
      const m = /^\\([a-zA-Z]+|.)/.exec(t.slice(i));
      if (!m) { i++; continue; } // a lone backslash at the end
      const name = m[1];
      i += m[0].length;
      if (name === "frac" || name === "tfrac" || name === "dfrac") {
        const [a, j] = group(i), [b, k] = group(j);
        w += (name === "tfrac" ? 0.8 : 1) * Math.max(width(a), width(b)) + 0.4;
        i = k;
      } else if (name === "begin" || name === "end") {
        i = group(i)[1];
      } else if (name === "left" || name === "right") {
        w += 0.4;
        i += 1;
      } else if (name === "quad") w += 1.8;
      else if (name === "text" || name === "mathrm") { const [a, j] = group(i); w += 0.85 * a.length; i = j; }
      else if (/^(max|min|log|exp|sign)$/.test(name)) w += 0.85 * name.length;
      else if (/^(odot|cdot|times|pm|le|ge)$/.test(name)) w += 1.6;
      else if (name.length === 1) w += name === " " ? 0.4 : name === "\\" ? 0 : 0.25;
      else w += 1;
    } else if (c === "^" || c === "_") {
      const [a, j] = group(i + 1);
      w += 0.7 * width(a);
      i = j;
    } else if (c === "{" || c === "}" || c === "&" || c === " ") {
      i++;
    } else if (c === "+" || c === "-" || c === "=" || c === "/") {
      w += 1.5;
      i++;
    } else if (c === "," || c === "." || c === "(" || c === ")") {
      w += 0.5;
      i++;
    } else {
      w += 1;
      i++;
    }
  }
  if (widthCache.size > 4000) widthCache.clear();
  widthCache.set(t, w);
  return w;
}

// Where a long row may break, most natural first: between the terms of a
// sum, then between the factors of a product or a quotient (the operator
// starts the next row).
const SUMS = [" + ", " - "], PRODUCTS = [" \\odot ", " \\cdot ", " / "], COMMAS = [",\\ "];

// `text` cut before each operator of `ops` that stands at nesting `depth`
// (braces, parentheses and \left...\right count).
const splitCache = new Map();
function terms(text, ops, depth) {
  ops = ops || SUMS;
  depth = depth || 0;
  const key = ops.join("|") + "#" + depth + "#" + text;
  if (splitCache.has(key)) return splitCache.get(key);
  const cuts = [];
  let d = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && /^\\left(?![a-zA-Z])/.test(text.slice(i, i + 6))) { d++; i += 5; continue; }
    if (c === "\\" && /^\\right(?![a-zA-Z])/.test(text.slice(i, i + 7))) { d = Math.max(0, d - 1); i += 6; continue; }
    if (c === "{" || c === "(" || c === "[") { d++; continue; }
    if (c === "}" || c === ")" || c === "]") { d = Math.max(0, d - 1); continue; }
    if (d === depth && i > 0) {
      const op = ops.find((o) => text.startsWith(o, i));
      if (op) cuts.push(op === COMMAS[0] ? i + 1 : i); // a comma ends its row
    }
  }
  const parts = [];
  let from = 0;
  for (const c of cuts) { const t = text.slice(from, c).trim(); if (t) { parts.push(t); from = c; } }
  parts.push(text.slice(from).trim());
  const out = parts.filter((t) => t);
  splitCache.set(key, out);
  return out;
}

// \left( ... \right) as plain parentheses, which may stand on different
// rows (a \left needs its \right on the same one).
function plainParens(text) {
  return text.replace(/\\left\(/g, "(").replace(/\\right\)/g, ")");
}

// A template as filled pieces that each fit `room` where possible: cut
// between terms, then factors, then inside its outer parentheses.
function pieces(tpl, room, fillT) {
  const out = [];
  const steps = [(t) => terms(t, SUMS, 0), (t) => terms(t, PRODUCTS, 0),
    (t) => terms(plainParens(t), SUMS, 1), (t) => terms(plainParens(t), PRODUCTS, 1), (t) => terms(plainParens(t), COMMAS, 1)];
  const visit = (t, level) => {
    const filled = fillT(t);
    if (level >= steps.length || width(filled) + 3 <= room) { out.push(filled); return; }
    const parts = steps[level](t);
    if (parts.length < 2) { visit(t, level + 1); return; }
    for (const q of parts) visit(q, level + 1);
  };
  visit(tpl, 0);
  return out;
}

// The whole panel as one `aligned` block: the point and its gradient, then
// each line of the rule shown at this update. `room`: characters a row
// holds (Infinity: never break). A row is its left side (the symbol) and
// its right side; every right side starts after the widest left one, so
// that is what a right side has room for. A longer right side breaks
// between its terms (pieces), and a result that does not fit after its
// arithmetic gets a row of its own.
export function ruleTex(r, k, room) {
  room = room || Infinity;
  const I = r.inside, pd = pointDigits(r, k);
  const rows = []; // [left, right]
  const active = I.lines.filter((line) => !line.when || valueAt(r, line.when, k) > 0.5);
  const lefts = active.map((line) => fill(r, k, line.lhs, pd));
  const leftW = Math.max(width("\\nabla f(x_t)"), ...lefts.map(width));
  const rroom = room - leftW - 1;
  const fits = (right) => width(right) + 2 <= rroom;
  const x = tex(valueAt(r, "x", k), pd), g = tex(valueAt(r, "g", k), 3);
  if (I.processed) {
    const graw = tex(valueAt(r, "graw", k), 3);
    if (fits("= " + x + ",\\quad \\nabla f(x_t) = " + graw)) rows.push(["x_t", "= " + x + ",\\quad \\nabla f(x_t) = " + graw]);
    else rows.push(["x_t", "= " + x], ["\\nabla f(x_t)", "= " + graw]);
    if (fits("= " + g + "\\quad \\text{(after noise and clipping)}")) rows.push(["g_t", "= " + g + "\\quad \\text{(after noise and clipping)}"]);
    else rows.push(["g_t", "= " + g], ["", "\\text{(after noise and clipping)}"]);
  } else {
    if (fits("= " + x + ",\\quad g_t = \\nabla f(x_t) = " + g)) rows.push(["x_t", "= " + x + ",\\quad g_t = \\nabla f(x_t) = " + g]);
    else if (fits("= \\nabla f(x_t) = " + g)) rows.push(["x_t", "= " + x], ["g_t", "= \\nabla f(x_t) = " + g]);
    else rows.push(["x_t", "= " + x], ["g_t", "= \\nabla f(x_t)"], ["", "= " + g]);
  }
  // right sides: `first` then the pieces, as many on a row as fit; the
  // rows after the first indented
  const packed = (left, first, parts) => {
    let cur = first, len = width(first), fresh = true;
    for (const t of parts) {
      const n = width(t) + 1;
      if (!fresh && len + n + 2 > rroom) { rows.push([left, cur]); left = ""; cur = "\\quad " + t; len = 1.8 + n; } else { cur += (fresh ? "" : " ") + t; len += n; }
      fresh = false;
    }
    rows.push([left, cur]);
  };
  active.forEach((line, i) => {
    const lhs = lefts[i], rhs = fill(r, k, line.rhs, pd);
    if (line.num === null) {
      rows.push(rhs ? [lhs, "= " + rhs] : ["", lhs]);
      return;
    }
    let left = lhs;
    if (rhs) {
      if (fits("= " + rhs)) rows.push([lhs, "= " + rhs]);
      else packed(lhs, "= ", pieces(line.rhs, rroom - 2, (t) => fill(r, k, t, pd)));
      left = "";
    }
    const result = tex(valueAt(r, line.result, k), I.points.has(line.result) ? pd : 3);
    const whole = "= " + fill(r, k, slashFractions(line.num), pd);
    if (fits(whole + " = " + result)) { rows.push([left, whole + " = " + result]); return; }
    const at = rows.length;
    if (fits(whole)) rows.push([left, whole]);
    else packed(left, "= ", pieces(slashFractions(line.num), rroom - 2, (t) => fill(r, k, t, pd)));
    const last = rows[rows.length - 1];
    if (rows.length > at && fits(last[1] + " = " + result)) last[1] += " = " + result; else rows.push(["", "= " + result]);
  });
  return "\\begin{aligned}" + rows.map(([a, b]) => (a ? a + " &" : "&") + b).join("\\\\[3pt]") + "\\end{aligned}";
}

// ------------------------------------------------------------ the panel
// The key: a chip per overlay of the payload's table (visualizer/browser/
// overlays.py), in its order, each switching its overlay on and off.
// `on.toggle(kind)`: a chip was clicked.
let toggle = () => {};
let keyTable = null;
export function buildKey(on) {
  toggle = on.toggle;
  keyTable = null;
  el.insideKey.replaceChildren();
}

function buildChips(table) {
  keyTable = table;
  el.insideKey.replaceChildren(...table.map((o) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "chip";
    b.dataset.kind = o.kind;
    b.title = o.title;
    b.append(insideIcon(o.shape, o.style), document.createTextNode(o.label));
    b.addEventListener("click", () => toggle(o.kind));
    return b;
  }));
}

function updateKey(r) {
  const table = S.d && S.d.inside ? S.d.inside.overlays : [];
  if (JSON.stringify(table) !== JSON.stringify(keyTable)) buildChips(table);
  table.forEach((o, i) => {
    const b = el.insideKey.children[i];
    b.hidden = !hasOverlay(r, o);
    b.setAttribute("aria-pressed", String(overlayShown(o.kind)));
    const drawn = o.labelFromRule ? ruleDrawing(r, o) : null;
    if (drawn) {
      b.lastChild.textContent = overlayName(r, o);
      b.title = drawn.label + (drawn.adds && o.addsTo ? o.addsTitle : "") + " (click to hide or show)";
    }
  });
}

function header(r, k) {
  const head = el.insideHead;
  head.replaceChildren();
  const b = document.createElement("b");
  b.textContent = "step " + k + " \u2192 " + (k + 1);
  const who = document.createElement("span");
  who.className = "who";
  const opt = r.inside.optimizer;
  who.textContent = r.label + (opt && r.label.toLowerCase().indexOf(opt.toLowerCase()) !== 0 ? " (" + opt + ")" : "");
  who.style.borderColor = r.color;
  head.append(b, " of ", who, document.createTextNode(" (t = " + (k + 1) + " in the rule)"));
}

const MIN_RULE_PX = 11; // the smallest the rule's type shrinks to (after breaking rows)

function overflow() {
  const box = el.insideRule;
  return box.clientWidth > 0 && box.scrollWidth > box.clientWidth + 1;
}

function fitWidth() {
  const box = el.insideRule;
  const w = box.clientWidth, sw = box.scrollWidth;
  if (sw > w + 1 && w > 0) {
    const cur = parseFloat(getComputedStyle(box).fontSize) || 14;
    const px = Math.max(MIN_RULE_PX, Math.floor(cur * w / sw * 10) / 10);
    if (px < cur) { box.style.fontSize = px + "px"; shown.fontPx = px; }
  }
}

function typeset(src) {
  try {
    window.katex.render(src, el.insideRule, { displayMode: true, throwOnError: true, output: "html", strict: "ignore" });
  } catch (e) {
    stats.errors++;
    el.insideRule.textContent = "this rule could not be typeset: " + e.message;
  }
}

// Typeset with rows as long as the panel holds: an estimate of the
// characters a row takes, then, while a row still sticks out, fewer (each
// rule breaks between terms); only then smaller type.
function render(r, k) {
  const t0 = performance.now();
  const key = r.key, sameRun = shown.key === key && shown.rev === S.d.rev;
  if (!sameRun) { el.insideRule.style.fontSize = ""; shown.fontPx = 0; buildNote(r); }
  header(r, k);
  updateKey(r);
  const fontPx = parseFloat(getComputedStyle(el.insideRule).fontSize) || 14;
  let room = Math.floor(el.insideRule.clientWidth / (0.56 * fontPx));
  let src = ruleTex(r, k, room);
  typeset(src);
  // (a little shorter at a time: one row that cannot break must not break
  // every other row into scraps)
  for (let tries = 0; tries < 3 && overflow(); tries++) {
    const next = Math.max(20, Math.floor(room * Math.max(0.85, el.insideRule.clientWidth / el.insideRule.scrollWidth)));
    if (next >= room) break;
    room = next;
    const again = ruleTex(r, k, room);
    if (again === src) break;
    src = again;
    typeset(src);
  }
  fitWidth();
  stats.room = room;
  shown = { key: key, k: k, rev: S.d.rev, fontPx: shown.fontPx };
  stats.renders++; stats.lastMs = performance.now() - t0; stats.run = r.i; stats.k = k; stats.tex = src;
  lastRender = performance.now();
}

function buildNote(r) {
  const notes = [];
  if (r.inside.note) notes.push(r.inside.note);
  if (S.view === "3d") notes.push("The arrows are drawn in the 2D view.");
  el.insideNote.textContent = notes.join(" ");
  el.insideNote.hidden = !notes.length;
}

// Bring the panel up to date with the state: shown or not, the run, the
// update. Cheap when nothing changed; throttled while playing.
export function update() {
  const d = S.d, on = !!(d && d.inside && S.inside.on);
  el.inside.hidden = !on;
  if (!on) { shown.key = null; return; }
  const r = insideRun(d);
  if (!r) {
    el.insideHead.textContent = d.inside.data ? "Inside a step: show a run to see its rule" : "Inside a step: loading the numbers\u2026";
    el.insideRule.replaceChildren();
    el.insideNote.hidden = true;
    updateKey(null);
    shown.key = null;
    return;
  }
  const k = updateIndex(r, S.stepF);
  if (shown.key === r.key && shown.k === k && shown.rev === d.rev) { updateKey(r); return; }
  if (!window.katex) {
    el.insideHead.textContent = "Inside a step: loading the typesetter\u2026";
    loadKatex().then(update, (e) => { el.insideHead.textContent = "Inside a step: " + e.message; });
    return;
  }
  stats.katex = true;
  clearTimeout(timer);
  const wait = S.playing ? PLAYING_MS - (performance.now() - lastRender) : 0;
  if (wait > 0) { timer = setTimeout(update, wait); return; }
  render(r, k);
}

export function refreshNote() {
  const r = S.d && insideRun(S.d);
  if (r && !el.inside.hidden) buildNote(r);
}

// A new payload or a new size: typeset again (fonts may shrink to fit).
export function invalidate() {
  shown = { key: null, k: null, rev: -1, fontPx: 0 };
}
