// "Inside a step": the panel beside the plot. The update rule of the run
// whose insides are shown (the run in front, else the first visible one),
// each line written out with the numbers of the update shown, typeset by
// KaTeX (vendored, loaded on first use: nothing is fetched until the
// overlays are switched on), and the key of the overlays, whose chips
// switch each one on and off. It follows the step in the browser: scrubbing
// and playing never ask the server for anything.
//
// The lines come from visualizer/step_rules.py: `lhs = rhs` in the rule's
// symbols, then `= num = result` with every @name replaced by its number.

import { el } from "./dom.js";
import { S } from "./state.js";
import { insideIcon } from "./marks.js";
import { insideRun, updateIndex, valueAt } from "./inside.js";

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

// About how many characters a typeset row shows (TeX commands and braces
// do not count): rows longer than the panel holds put their result on a
// row of its own.
function visible(t) {
  return t.replace(/\\(begin|end)\{[a-z]+\}/g, "").replace(/\\[a-zA-Z]+/g, "x").replace(/[{}^_&\\ ]/g, "").length;
}

// The whole panel as one `aligned` block: the point and its gradient, then
// each line of the rule shown at this update. `room`: characters a row
// holds (Infinity: never break).
export function ruleTex(r, k, room) {
  room = room || Infinity;
  const I = r.inside, pd = pointDigits(r, k);
  const rows = [];
  const x = tex(valueAt(r, "x", k), pd), g = tex(valueAt(r, "g", k), 3);
  if (I.processed) {
    rows.push("x_t &= " + x + ",\\quad \\nabla f(x_t) = " + tex(valueAt(r, "graw", k), 3));
    rows.push("g_t &= " + g + "\\quad \\text{(after noise and clipping)}");
  } else {
    rows.push("x_t &= " + x + ",\\quad g_t = \\nabla f(x_t) = " + g);
  }
  for (const line of I.lines) {
    if (line.when) {
      const w = valueAt(r, line.when, k);
      if (!(w > 0.5)) continue;
    }
    const lhs = fill(r, k, line.lhs, pd), rhs = fill(r, k, line.rhs, pd);
    if (line.num === null) {
      rows.push(rhs ? lhs + " &= " + rhs : "& " + lhs);
      continue;
    }
    const arithmetic = fill(r, k, slashFractions(line.num), pd);
    const result = tex(valueAt(r, line.result, k), I.points.has(line.result) ? pd : 3);
    if (rhs) rows.push(lhs + " &= " + rhs);
    const first = (rhs ? "" : lhs + " ") + "&= " + arithmetic;
    if (visible(first + result) + 2 > room) { rows.push(first); rows.push("&= " + result); } else rows.push(first + " = " + result);
  }
  return "\\begin{aligned}" + rows.join("\\\\[3pt]") + "\\end{aligned}";
}

// ------------------------------------------------------------ the panel
// `on.toggle(kind)`: a chip was clicked.
export function buildKey(on) {
  const key = el.insideKey;
  key.replaceChildren();
  const chip = (kind, text, title) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "chip";
    b.dataset.kind = kind;
    b.title = title;
    b.append(insideIcon(kind), document.createTextNode(text));
    b.addEventListener("click", () => on.toggle(kind));
    key.appendChild(b);
  };
  chip("update", "step", "The update applied: from x\u209c to x\u209c\u208a\u2081 (click to hide or show)");
  chip("grad", "\u2212\u03b7\u2207f", "The negative gradient times the learning rate: the plain gradient step from here");
  chip("moment", "moment", "The velocity or first moment, scaled like the gradient step it stands for");
  chip("box", "step size", "The per-coordinate step size: half-widths = each coordinate's learning rate \u00d7 |g| " +
    "(sign methods: the learning rate; Rprop: its step sizes). A square would be plain gradient descent.");
}

function updateKey(r) {
  for (const b of el.insideKey.children) {
    const kind = b.dataset.kind;
    const has = kind === "moment" ? !!(r && r.inside.moment) : kind === "box" ? !!(r && r.inside.box) : true;
    b.hidden = !has;
    b.setAttribute("aria-pressed", String(!!S.inside.show[kind]));
    if (kind === "moment" && r && r.inside.moment) {
      b.lastChild.textContent = r.inside.moment.label.split(" (")[0];
      b.title = r.inside.moment.label + (r.inside.moment.adds ? ": with the gradient step it adds up to the step (dashed)" : "") +
        " (click to hide or show)";
    }
  }
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

function fitWidth() {
  const box = el.insideRule;
  const w = box.clientWidth, sw = box.scrollWidth;
  if (sw > w + 1 && w > 0) {
    const cur = parseFloat(getComputedStyle(box).fontSize) || 14;
    const px = Math.max(11, Math.floor(cur * w / sw * 10) / 10);
    if (px < cur) { box.style.fontSize = px + "px"; shown.fontPx = px; }
  }
}

function render(r, k) {
  const t0 = performance.now();
  const key = r.key, sameRun = shown.key === key && shown.rev === S.d.rev;
  if (!sameRun) { el.insideRule.style.fontSize = ""; shown.fontPx = 0; buildNote(r); }
  header(r, k);
  updateKey(r);
  const fontPx = parseFloat(getComputedStyle(el.insideRule).fontSize) || 14;
  const src = ruleTex(r, k, Math.floor(el.insideRule.clientWidth / (0.56 * fontPx)));
  try {
    window.katex.render(src, el.insideRule, { displayMode: true, throwOnError: true, output: "html", strict: "ignore" });
  } catch (e) {
    stats.errors++;
    el.insideRule.textContent = "this rule could not be typeset: " + e.message;
  }
  fitWidth();
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
