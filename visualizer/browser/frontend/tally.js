// The room's answers on the teacher's screen (live.js polls them from the
// class's tally route): how many answered, and by the question's kind a
// bar per choice beside the choices, the tapped points as a cloud on the 2D
// plot, a histogram of the numbers, how many put each run first and the
// most common orders. Once revealed, the truth beside them (the right
// choice's bar, the answer on the histogram and on the plot, the order)
// and how many were right, close or wrong. Drawn in the question panel's
// box for a watcher (quiz.js room); every colour and size from the style
// table's `room`. Nothing a student sent is ever markup: the answers are
// numbers, drawn as bars and marks, and every word is textContent.

import * as quiz from "./quiz.js";
import { S } from "./state.js";
import { fmt } from "./numbers.js";
import { style, swatch, FONT } from "./marks.js";
import { sizeCanvas } from "./layout.js";

const T = { q: null, room: null, revealed: false };
export const stats = { answered: 0, kind: null, counts: [], points: 0, numbers: 0, orders: 0, drawn: 0,
  revealed: false, grades: null };

function node(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text !== undefined) n.textContent = text;
  return n;
}

const count = (v) => (Number.isInteger(v) && v >= 0 ? v : 0);
const finite = (v) => typeof v === "number" && isFinite(v);

// The tally route's reply as this question reads it; anything malformed
// is left out.
function readRoom(q, r) {
  r = r && typeof r === "object" ? r : {};
  const out = { answered: count(r.answered), counts: [], points: [], numbers: [], orders: [], grades: null };
  if (q.kind === "choice" && Array.isArray(r.counts)) out.counts = q.choices.map((_, k) => count(r.counts[k]));
  if (q.kind === "point" && Array.isArray(r.points)) {
    out.points = r.points.filter((p) => Array.isArray(p) && p.length === 2 && finite(p[0]) && finite(p[1]));
  }
  if (q.kind === "number" && Array.isArray(r.numbers)) out.numbers = r.numbers.filter((v) => finite(v) && v > 0);
  if (q.kind === "order" && Array.isArray(r.orders)) {
    out.orders = r.orders.filter((e) => Array.isArray(e) && e.length === 2 && Array.isArray(e[0]) &&
      e[0].length === q.runs && e[0].every((n) => Number.isInteger(n) && n >= 1 && n <= q.runs) && count(e[1]) > 0);
  }
  const g = r.grades && typeof r.grades === "object" ? r.grades : null;
  if (g) out.grades = { right: count(g.right), close: count(g.close), wrong: count(g.wrong) };
  return out;
}

// ------------------------------------------------------------ the panel
function runLabel(n) {
  const r = S.d ? S.d.runs[n - 1] : null;
  return r ? r.label : "run " + n;
}

// A row per choice: its words and its count, under them a bar as long as
// its share of the answers (the right one's, once revealed, in `truth`).
function bars(rows, total) {
  const m = style().room;
  const list = node("div", "bars");
  for (const row of rows) {
    const line = node("div", "bar" + (row.truth ? " truth" : ""));
    const label = node("span", "label");
    if (row.run) label.appendChild(swatch(row.run.color, row.run.i));
    label.appendChild(node("span", "text", row.text));
    if (row.truth) {
      const tag = node("span", "tag", "\u2713 the answer");
      tag.style.color = m.truth;
      label.appendChild(tag);
    }
    const track = node("span", "track");
    track.style.background = m.track;
    track.style.height = m.barHeight + "px";
    const fill = node("span", "fill");
    fill.style.width = (total ? (100 * row.n) / total : 0).toFixed(1) + "%";
    fill.style.background = row.truth ? m.truth : m.bar;
    track.appendChild(fill);
    line.append(label, node("span", "n", String(row.n)), track);
    line.setAttribute("aria-label", row.text + ": " + row.n + (row.truth ? " (the answer)" : ""));
    list.appendChild(line);
  }
  return list;
}

function orderText(order) {
  return order.map(runLabel).join(" \u203a ");
}

// An order as its runs' swatches (the legend's marks: short enough for a
// projector's column), with the labels for a screen reader.
function orderRow(order, n, same) {
  const li = node("li", same ? "same" : "");
  li.setAttribute("aria-label", orderText(order) + ": " + n);
  order.forEach((k, i) => {
    const run = S.d ? S.d.runs[k - 1] : null;
    if (i) li.appendChild(node("span", "then", "\u203a"));
    if (run) li.appendChild(swatch(run.color, run.i)); else li.appendChild(node("span", "", String(k)));
  });
  li.appendChild(node("span", "n", "\u00d7" + n));
  return li;
}

function drawPanel() {
  const box = quiz.room(0), q = T.q, room = T.room;
  if (!box || !q || !room) return;
  box.replaceChildren();
  const head = node("p", "count");
  head.appendChild(node("strong", "", String(room.answered)));
  head.appendChild(document.createTextNode(" answered"));
  box.appendChild(head);
  const truth = T.revealed ? q.answer : null;
  if (q.kind === "choice") {
    box.appendChild(bars(q.choices.map((text, k) => ({ text: text, n: room.counts[k] || 0, truth: truth === k })),
      room.answered));
  } else if (q.kind === "point") {
    box.appendChild(node("p", "hint", room.points.length ? "Each dot on the plot is one answer." :
      "The answers will appear on the plot as dots."));
  } else if (q.kind === "number") {
    const hist = node("div", "histogram");
    hist.style.height = style().room.histogram.height + "px";
    // drawn again whenever its box changes size (laid out, the side column resized)
    if (window.ResizeObserver) new ResizeObserver(() => drawHistogram()).observe(hist);
    const canvas = node("canvas");
    canvas.setAttribute("role", "img");
    hist.appendChild(canvas);
    box.appendChild(hist);
    if (room.numbers.length) {
      const lo = Math.min(...room.numbers), hi = Math.max(...room.numbers);
      canvas.setAttribute("aria-label", "A histogram of " + room.numbers.length + " numbers, from " + fmt(lo) +
        " to " + fmt(hi));
    } else {
      canvas.setAttribute("aria-label", "No number yet");
    }
  } else if (q.kind === "order") {
    const first = new Array(q.runs).fill(0);
    for (const [order, n] of room.orders) first[order[0] - 1] += n;
    box.appendChild(node("p", "title", "Put first"));
    box.appendChild(bars(first.map((n, k) => ({ text: runLabel(k + 1), n: n, run: S.d ? S.d.runs[k] : null,
      truth: !!truth && truth[0] === k + 1 })), room.answered));
    if (room.orders.length) {
      box.appendChild(node("p", "title", "The most common orders"));
      const ol = node("ol", "orders");
      for (const [order, n] of room.orders.slice(0, style().room.orders)) {
        ol.appendChild(orderRow(order, n, !!truth && order.every((v, i) => v === truth[i])));
      }
      box.appendChild(ol);
    }
      if (truth) {
      const the = node("div", "truth");
      the.appendChild(node("p", "title", "The order"));
      const ol = node("ol", "orders");
      ol.appendChild(orderRow(truth, room.orders.filter(([o]) => o.every((v, i) => v === truth[i]))
        .reduce((a, [, n]) => a + n, 0), true));
      the.appendChild(ol);
      box.appendChild(the);
    }
  }
  if (T.revealed && room.grades) {
    // (a choice is right or not: no "close")
    const g = room.grades, parts = ["\u2713 " + g.right + " right"];
    if (q.kind !== "choice") parts.push("\u2248 " + g.close + " close");
    parts.push("\u2717 " + g.wrong + " not quite");
    box.appendChild(node("p", "grades", parts.join(" \u00b7 ")));
  }
  drawHistogram();
}

// ------------------------------------------------------------ the numbers
// Bins over the numbers' range (in log where they span a decade or more),
// the truth's line once revealed; ticks at the ends and the middle.
function drawHistogram() {
  const box = quiz.room(0), q = T.q, room = T.room;
  const host = box ? box.querySelector(".histogram") : null;
  if (!host || !q || q.kind !== "number") return;
  const canvas = host.querySelector("canvas");
  const ctx = sizeCanvas(canvas, host);
  const W = host.clientWidth, H = host.clientHeight, m = style().room, f = style().font.tick;
  ctx.clearRect(0, 0, W, H);
  const values = room.numbers.slice();
  const truth = T.revealed && finite(q.answer) ? q.answer : null;
  if (!values.length && truth === null) return;
  const all = truth === null ? values : values.concat([truth]);
  let lo = Math.min(...all), hi = Math.max(...all);
  const log = lo > 0 && hi / lo >= 10;
  const t = (v) => (log ? Math.log10(v) : v);
  let a = t(lo), b = t(hi);
  if (b - a < 1e-12) { const pad = log ? 0.5 : Math.abs(a) * 0.25 || 1; a -= pad; b += pad; }
  const bins = m.histogram.bins, counts = new Array(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(((t(v) - a) / (b - a)) * bins))]++;
  const top = Math.max(1, ...counts);
  const padX = m.histogram.pad, base = H - f - 8, plotH = base - f - 4, w = (W - 2 * padX) / bins;
  ctx.fillStyle = m.bar;
  counts.forEach((n, k) => {
    if (!n) return;
    const h = (plotH * n) / top;
    ctx.fillRect(padX + k * w + 1, base - h, Math.max(1, w - 2), h);
  });
  ctx.font = f + "px " + FONT;
  ctx.fillStyle = style().figure.text;
  ctx.textBaseline = "bottom";
  ctx.textAlign = "center";
  counts.forEach((n, k) => { if (n) ctx.fillText(String(n), padX + (k + 0.5) * w, base - (plotH * n) / top - 2); });
  ctx.strokeStyle = style().figure.axis;
  ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(padX, base + 0.5); ctx.lineTo(W - padX, base + 0.5); ctx.stroke();
  ctx.fillStyle = style().figure.axis;
  ctx.textBaseline = "top";
  const value = (u) => (log ? Math.pow(10, u) : u);
  ctx.textAlign = "left"; ctx.fillText(fmt(value(a)), padX, base + 4);
  ctx.textAlign = "center"; ctx.fillText(fmt(value((a + b) / 2)), W / 2, base + 4);
  ctx.textAlign = "right"; ctx.fillText(fmt(value(b)), W - padX, base + 4);
  if (truth !== null) {
    const x = padX + ((t(truth) - a) / (b - a)) * (W - 2 * padX);
    ctx.strokeStyle = m.truth; ctx.lineWidth = m.truthWidth;
    ctx.beginPath(); ctx.moveTo(x, base); ctx.lineTo(x, f + 2); ctx.stroke();
    ctx.fillStyle = m.truth; ctx.textBaseline = "top";
    ctx.textAlign = x > W / 2 ? "right" : "left";
    ctx.fillText("answer " + fmt(truth), x + (x > W / 2 ? -4 : 4), 0);
  }
}

// ------------------------------------------------------------ the plot
// The tapped points: a translucent dot each in the asked run's colour,
// under the truth's ring (quiz.js draws it once revealed).
export function drawPlot(ctx, toScreen, inside) {
  const q = T.q, room = T.room;
  if (!q || !room || q.kind !== "point" || !room.points.length) { stats.drawn = 0; return false; }
  const m = style().room.point, run = S.d && q.run ? S.d.runs[q.run - 1] : null;
  const color = run ? run.color : style().answer.you;
  let drawn = 0;
  ctx.save();
  for (const p of room.points) {
    const [x, y] = toScreen(p[0], p[1]);
    if (!inside(x, y)) continue;
    ctx.beginPath(); ctx.arc(x, y, m.r, 0, 2 * Math.PI);
    ctx.globalAlpha = m.alpha; ctx.fillStyle = color; ctx.fill();
    ctx.globalAlpha = 1; ctx.strokeStyle = m.ring; ctx.lineWidth = m.ringWidth; ctx.stroke();
    drawn++;
  }
  ctx.restore();
  stats.drawn = drawn;
  return drawn > 0;
}

// ------------------------------------------------------------ interface
// The room's answers to `q` (the question as the teacher has it, answer
// included) from the tally route's reply `reply`; `revealed`: show the truth.
export function show(q, reply, revealed) {
  T.q = q;
  T.room = readRoom(q, reply);
  T.revealed = !!revealed;
  stats.answered = T.room.answered;
  stats.kind = q.kind;
  stats.counts = T.room.counts.slice();
  stats.points = T.room.points.length;
  stats.numbers = T.room.numbers.length;
  stats.orders = T.room.orders.length;
  stats.revealed = T.revealed;
  stats.grades = T.revealed ? T.room.grades : null;
  drawPanel();
}

// The panel again at its new size (the histogram follows its box).
export function redraw() {
  drawHistogram();
}

export function clear() {
  T.q = null; T.room = null; T.revealed = false;
  Object.assign(stats, { answered: 0, kind: null, counts: [], points: 0, numbers: 0, orders: 0, drawn: 0,
    revealed: false, grades: null });
}
