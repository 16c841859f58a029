// The question panel: the questions a scene asks before it plays, each with
// the control its kind needs (choice buttons; a tap on the 2D plot, or x
// and y typed, for a point; the runs tapped in order; a number typed), then
// each answer beside the truth: how close it was, why, and what came of it.
// Every control is a button or a labelled field: a finger, a mouse and the
// keyboard answer alike.
//
// Its interface is small, so whoever asks can use it:
//   ask(set, on)     show `set` ({questions, after}; the answers may be
//                    missing); on.answer(responses) when the viewer checks
//                    (one response per question), on.skip() when they play
//                    without answering ("Just play" is there only with it),
//                    on.layout() when the panel changed size; on.check,
//                    on.checking, on.sent: the check button's words (ready,
//                    while the asker works, once what it shows was sent).
//                    With on.watch the questions are shown, not answered (a
//                    teacher's screen): no controls, a box per question for
//                    what the watcher draws there (room(i)).
//   give(responses)  responses given before (a class's answers, kept by the
//                    server across a reload), shown as the viewer's own.
//   settle(reply)    the asker's reply to on.answer: {line (one line under
//                    the buttons, plain text), warn (a refusal), sent (the
//                    responses went: the button says on.sent until one
//                    changes)}.
//   reveal(outcome)  {questions (with their answers), responses (null:
//                    none), grades (null: not graded)}: the truth beside each
//                    response, and the set's `after`.
//   close()          nothing is asked.
// predict.js asks for one viewer and grades in the browser (grading.js);
// a live class (live.js) sends the responses instead and reveals when the
// teacher does. The plot and the charts draw what the panel holds
// (drawPlot, chartMarks, exploreMarks); a tap on the plot answers a point
// question (pointQuestion, place, nudge).

import { el } from "./dom.js";
import { S } from "./state.js";
import { fmt } from "./numbers.js";
import { swatch, paintAnswer, paintTruth, paintJoin, paintLabel, style } from "./marks.js";

const Q = {
  set: null,        // what is asked: {questions, after}
  on: null,         // the asker's handlers
  responses: [],    // one per question, null until given
  outcome: null,    // once revealed: {questions, responses, grades}
  parts: [],        // per question: its DOM and its control's state
  busy: false,      // between check and the asker's settle
  sent: null,       // JSON of the responses the asker says went (settle)
};
export const stats = { asked: 0, revealed: 0, kinds: [] };

const VERDICT = { right: ["\u2713", "Right"], close: ["\u2248", "Close"], wrong: ["\u2717", "Not quite"] };

function node(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text !== undefined) n.textContent = text;
  return n;
}

function button(cls, text, label) {
  const b = node("button", cls, text);
  b.type = "button";
  if (label) b.setAttribute("aria-label", label);
  return b;
}

function runOf(q) {
  return S.d && q.run !== null ? S.d.runs[q.run - 1] || null : null;
}

function runs() {
  return S.d ? S.d.runs : [];
}

// A number as the viewer types it: "0.2", "2e-1", ".2", or "0,2" (a comma
// for the decimal point); null if it is not one.
export function parseNumber(text) {
  let t = String(text).trim().replace(/\u2212/g, "-");
  if (/^[-+]?\d*,\d+$/.test(t)) t = t.replace(",", ".");
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
  const v = Number(t);
  return isFinite(v) ? v : null;
}

// ------------------------------------------------------------ the controls
// Each builds its question's control into `box` and returns {read(): the
// response or null, reveal(answer, response)}; set(response) when the
// response comes from elsewhere (a tap on the plot).

function choiceControl(q, i, box) {
  const group = node("div", "choices");
  group.setAttribute("role", "group");
  group.setAttribute("aria-labelledby", "quiz-prompt-" + i);
  const buttons = q.choices.map((text, k) => {
    const b = button("choice", text);
    b.setAttribute("aria-pressed", "false");
    b.addEventListener("click", () => { if (!Q.outcome) respond(i, k); });
    group.appendChild(b);
    return b;
  });
  box.appendChild(group);
  return {
    show: (r) => buttons.forEach((b, k) => b.setAttribute("aria-pressed", String(r === k))),
    reveal: (answer, r) => buttons.forEach((b, k) => {
      b.disabled = true;
      b.classList.toggle("truth", k === answer);
      b.classList.toggle("chosen", k === r);
      const tag = [k === answer ? "the answer" : "", k === r ? "your answer" : ""].filter(Boolean).join(", ");
      if (tag) b.setAttribute("aria-label", q.choices[k] + " (" + tag + ")");
    }),
  };
}

function pointControl(q, i, box) {
  box.appendChild(node("p", "hint", "Tap the plot where you think it will be, or type x and y:"));
  const row = node("div", "xy");
  const field = (name) => {
    const label = node("label", "field");
    label.appendChild(node("span", "name", name));
    const input = document.createElement("input");
    input.type = "text";
    input.inputMode = "decimal";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.setAttribute("aria-label", name + " of your answer");
    input.addEventListener("input", () => {
      const x = parseNumber(inputs[0].value), y = parseNumber(inputs[1].value);
      respond(i, x !== null && y !== null ? [x, y] : null, true);
    });
    input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); check(); } });
    label.appendChild(input);
    row.appendChild(label);
    return input;
  };
  const inputs = [field("x"), field("y")];
  box.appendChild(row);
  return {
    show: (r, typed) => {
      if (typed || !r) return;
      inputs[0].value = fmt(r[0]).replace("\u2212", "-");
      inputs[1].value = fmt(r[1]).replace("\u2212", "-");
    },
    reveal: () => inputs.forEach((inp) => { inp.disabled = true; }),
  };
}

function orderControl(q, i, box) {
  const labels = q.choices.length === q.runs ? q.choices : runs().map((r) => r.label);
  box.appendChild(node("p", "hint", "Tap the runs in order, the first first:"));
  const list = node("div", "order");
  list.setAttribute("role", "group");
  list.setAttribute("aria-labelledby", "quiz-prompt-" + i);
  let picked = [];
  const buttons = labels.map((text, k) => {
    const run = runs()[k];
    const b = button("run");
    b.dataset.run = String(k + 1);
    b.appendChild(node("span", "rank"));
    if (run) b.appendChild(swatch(run.color, run.i));
    b.appendChild(node("span", "label", text));
    b.addEventListener("click", () => {
      if (Q.outcome) return;
      const n = k + 1, at = picked.indexOf(n);
      picked = at >= 0 ? picked.slice(0, at) : picked.concat([n]);
      mark();
      respond(i, picked.length === labels.length ? picked.slice() : null, true);
    });
    list.appendChild(b);
    return b;
  });
  const clear = button("clear", "Clear", "Clear the order"); // goes beside Check (ask)
  clear.addEventListener("click", () => { picked = []; mark(); respond(i, null, true); });
  function mark() {
    buttons.forEach((b, k) => {
      const at = picked.indexOf(k + 1);
      b.querySelector(".rank").textContent = at >= 0 ? String(at + 1) : "";
      b.setAttribute("aria-pressed", String(at >= 0));
      b.setAttribute("aria-label", labels[k] + (at >= 0 ? ": number " + (at + 1) : ": not placed yet"));
    });
    clear.disabled = !picked.length;
  }
  mark();
  box.appendChild(list);
  return {
    // an order given from elsewhere (an answer sent before a reload)
    show: (r, typed) => { if (!typed) { picked = Array.isArray(r) ? r.slice() : []; mark(); } },
    extra: clear,
    reveal: (answer, r) => {
      list.hidden = true; clear.hidden = true;
      box.querySelector(".hint").hidden = true;
      const sides = node("div", "orders");
      const column = (title, order) => {
        const col = node("div", "column");
        col.appendChild(node("p", "title", title));
        const ol = node("ol");
        (order || []).forEach((n, pos) => {
          const li = node("li");
          const run = runs()[n - 1];
          if (run) li.appendChild(swatch(run.color, run.i));
          li.appendChild(node("span", "label", labels[n - 1] || "run " + n));
          if (answer && r) li.classList.toggle("same", answer[pos] === r[pos]);
          ol.appendChild(li);
        });
        col.appendChild(ol);
        return col;
      };
      if (r) sides.appendChild(column("Your order", r));
      if (answer) sides.appendChild(column("The order", answer));
      box.appendChild(sides);
    },
  };
}

function numberControl(q, i, box) {
  const label = node("label", "field wide");
  label.appendChild(node("span", "name", "Your answer"));
  const input = document.createElement("input");
  input.type = "text";
  input.inputMode = "decimal";
  input.autocomplete = "off";
  input.spellcheck = false;
  input.setAttribute("aria-describedby", "quiz-error-" + i);
  label.appendChild(input);
  const error = node("p", "error");
  error.id = "quiz-error-" + i;
  input.addEventListener("input", () => {
    const v = parseNumber(input.value);
    const ok = v !== null && v > 0;
    error.textContent = input.value.trim() && !ok ? "a positive number, like 0.15 or 2e-3" : "";
    respond(i, ok ? v : null, true);
  });
  input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); check(); } });
  box.appendChild(label);
  box.appendChild(error);
  return {
    show: (r, typed) => { if (!typed && typeof r === "number") input.value = fmt(r).replace("\u2212", "-"); },
    reveal: () => { input.disabled = true; },
  };
}

const CONTROLS = { choice: choiceControl, point: pointControl, order: orderControl, number: numberControl };

// ---------------------------------------------------------------- asking
// A watcher's question has no control: the box under its prompt is the
// watcher's (room(i)).
const WATCHED = { show: () => {}, reveal: () => {} };

export function ask(set, on) {
  Q.set = set;
  Q.on = on || {};
  Q.outcome = null;
  Q.busy = false;
  Q.sent = null;
  Q.responses = set.questions.map(() => null);
  const panel = el.quiz;
  panel.replaceChildren();
  panel.classList.remove("revealed", "folded");
  panel.classList.toggle("watch", !!Q.on.watch);
  Q.parts = set.questions.map((q, i) => {
    const part = node("section", "q");
    part.dataset.kind = q.kind;
    const prompt = node("p", "prompt", q.prompt);
    prompt.id = "quiz-prompt-" + i;
    part.appendChild(prompt);
    const box = node("div", Q.on.watch ? "room" : "control");
    part.appendChild(box);
    const control = Q.on.watch ? WATCHED : CONTROLS[q.kind](q, i, box);
    const result = node("div", "result");
    result.setAttribute("aria-live", "polite"); // read out once it is revealed
    result.hidden = true;
    part.appendChild(result);
    panel.appendChild(part);
    return { part: part, control: control, result: result, box: box };
  });
  const actions = node("div", "actions");
  const go = button("check primary", Q.on.check || "Check");
  go.addEventListener("click", check);
  const skip = button("skip", "Just play", "Play without answering");
  skip.addEventListener("click", () => { if (!Q.outcome && Q.on.skip) Q.on.skip(); });
  skip.hidden = !Q.on.skip;
  // a control's own button (an order's Clear) goes first in the row
  actions.append(...Q.parts.filter((p) => p.control.extra).map((p) => p.control.extra), go, skip);
  actions.hidden = !!Q.on.watch;
  panel.appendChild(actions);
  const line = node("p", "line");
  line.setAttribute("role", "status");
  line.hidden = true;
  panel.appendChild(line);
  const after = node("p", "after");
  after.hidden = true;
  panel.appendChild(after);
  const fold = button("fold", "Hide the answer", "Hide the question and its answer");
  fold.hidden = true;
  fold.addEventListener("click", () => {
    panel.classList.toggle("folded");
    const folded = panel.classList.contains("folded");
    fold.textContent = folded ? "Show the answer" : "Hide the answer";
    fold.setAttribute("aria-label", folded ? "Show the question and its answer" : "Hide the question and its answer");
    fold.setAttribute("aria-expanded", String(!folded));
    if (Q.on.layout) Q.on.layout();
  });
  panel.appendChild(fold);
  Q.go = go; Q.skip = skip; Q.after = after; Q.fold = fold; Q.line = line;
  panel.hidden = false;
  stats.asked++;
  stats.kinds = set.questions.map((q) => q.kind);
  updateCheck();
}

function respond(i, response, typed) {
  Q.responses[i] = response;
  Q.parts[i].control.show(response, typed);
  updateCheck();
  if (Q.on.changed) Q.on.changed(i);
}

function updateCheck() {
  if (!Q.go || Q.busy) return;
  const ready = Q.responses.every((r) => r !== null);
  const sent = Q.sent !== null && Q.sent === JSON.stringify(Q.responses);
  Q.go.textContent = sent ? Q.on.sent : Q.on.check || "Check";
  Q.go.classList.toggle("sent", sent);
  Q.go.disabled = !ready || !!Q.outcome || sent;
  Q.go.title = ready ? "" : "Answer " + (Q.responses.length > 1 ? "every question" : "the question") + " first";
}

function check() {
  if (Q.outcome || !Q.go || Q.go.disabled) return;
  if (Q.on.checking) { Q.busy = true; Q.go.textContent = Q.on.checking; Q.go.disabled = true; }
  if (Q.on.answer) Q.on.answer(Q.responses.slice());
}

export function give(responses) {
  if (!Q.set || Q.outcome || !Array.isArray(responses)) return;
  responses.forEach((r, i) => { if (i < Q.parts.length && r !== null && r !== undefined) respond(i, r, false); });
}

export function settle(reply) {
  if (!Q.set) return;
  reply = reply || {};
  Q.busy = false;
  if (reply.sent && Q.on.sent) Q.sent = JSON.stringify(Q.responses);
  Q.line.textContent = reply.line || "";
  Q.line.classList.toggle("warn", !!reply.warn);
  Q.line.hidden = !reply.line || !!Q.outcome;
  updateCheck();
  if (Q.on.layout) Q.on.layout();
}

// The box under question i's prompt, for a watcher to draw in (null
// unless the panel watches).
export function room(i) {
  return Q.set && Q.on.watch && Q.parts[i] ? Q.parts[i].box : null;
}

// ---------------------------------------------------------------- reveal
// A point's coordinate to a thousandth of the window's size, as Python's
// questions.coordinate writes it: (0, 1.41), not (-2.38e-7, 1.41).
function coordinate(v, diagonal) {
  if (!(diagonal > 0)) return fmt(v);
  const digits = Math.max(0, 3 - Math.ceil(Math.log10(diagonal)));
  let t = v.toFixed(digits);
  if (t.includes(".")) t = t.replace(/0+$/, "").replace(/\.$/, "");
  return t === "-0" || t === "" ? "0" : t.replace("-", "\u2212");
}

function showValue(q, v) {
  if (v === null || v === undefined) return "\u2014";
  if (q.kind === "point") return "(" + coordinate(v[0], q.diagonal) + ", " + coordinate(v[1], q.diagonal) + ")";
  if (q.kind === "number") return fmt(v);
  return String(v);
}

export function reveal(outcome) {
  if (!Q.set) return;
  Q.outcome = outcome;
  el.quiz.classList.add("revealed");
  outcome.questions.forEach((q, i) => {
    const part = Q.parts[i];
    if (!part) return;
    const r = outcome.responses ? outcome.responses[i] : null, g = outcome.grades ? outcome.grades[i] : null;
    const answer = q.answer === undefined ? null : q.answer;
    part.control.reveal(answer, r);
    const box = part.result;
    box.replaceChildren();
    if (g) {
      const [icon, word] = VERDICT[g.verdict] || VERDICT.wrong;
      const line = node("p", "verdict " + g.verdict);
      line.appendChild(node("span", "icon", icon));
      line.setAttribute("aria-label", word + ": " + g.detail);
      line.appendChild(document.createTextNode(" " + word + (g.detail && g.detail !== "right" ? ": " + g.detail : "")));
      box.appendChild(line);
    } else if (r === null && !Q.on.watch) {
      box.appendChild(node("p", "verdict skipped", "Not answered."));
    }
    if (q.kind === "point" || q.kind === "number") {
      const both = node("p", "values");
      if (r !== null) both.appendChild(node("span", "you", "You: " + showValue(q, r)));
      if (answer !== null) both.appendChild(node("span", "truth", "Answer: " + showValue(q, answer)));
      box.appendChild(both);
    }
    if (q.why) box.appendChild(node("p", "why", q.why));
    box.hidden = false;
  });
  const after = Q.set.after || "";
  Q.after.textContent = after;
  Q.after.hidden = !after;
  // the focus was on Check (now gone): it goes to the panel's one button left
  const hadFocus = el.quiz.contains(document.activeElement);
  Q.go.hidden = true; Q.skip.hidden = true; Q.line.hidden = true;
  Q.fold.hidden = false;
  if (hadFocus) Q.fold.focus({ preventScroll: true });
  Q.fold.setAttribute("aria-expanded", "true");
  stats.revealed++;
  stats.grades = (outcome.grades || []).map((g) => (g ? g.verdict : null));
}

export function close() {
  Q.set = null;
  Q.on = null;
  Q.outcome = null;
  Q.parts = [];
  Q.responses = [];
  el.quiz.replaceChildren();
  el.quiz.hidden = true;
}

// Focus the first control (the keyboard starts at the question).
export function focus() {
  const first = el.quiz.querySelector("button:not([disabled]), input:not([disabled])");
  if (first) first.focus({ preventScroll: true });
}

// ------------------------------------------------ the plot and the charts
// The index of the point question a tap on the plot answers, or -1.
export function pointQuestion() {
  if (!Q.set || Q.outcome || Q.on.watch) return -1;
  return Q.set.questions.findIndex((q) => q.kind === "point");
}

// A tap on the plot at data point `xy`.
export function place(xy) {
  const i = pointQuestion();
  if (i < 0 || !xy) return;
  respond(i, [xy[0], xy[1]]);
}

// The keyboard's answer on the plot: move it by (dx, dy) fractions of the
// window (from its centre at first); true if there is one to move.
export function nudge(dx, dy) {
  const i = pointQuestion();
  if (i < 0 || !S.d) return false;
  const [[x0, x1], [y0, y1]] = S.d.window;
  const r = Q.responses[i] || [(x0 + x1) / 2, (y0 + y1) / 2];
  const x = Math.min(x1, Math.max(x0, r[0] + dx * (x1 - x0))), y = Math.min(y1, Math.max(y0, r[1] + dy * (y1 - y0)));
  respond(i, [x, y]);
  return true;
}

export function submit() {
  check();
}

// A label beside a mark at (x, y), on the side of it the plot has room on
// (`right`: the plot area's right edge), `dy` pixels lower.
function besideMark(ctx, text, x, y, color, preferLeft, right, dy = 0) {
  const off = style().answer.r + 6, f = style().font.label;
  ctx.save();
  ctx.font = "600 " + f + "px sans-serif";
  const w = ctx.measureText(text).width;
  ctx.restore();
  const left = preferLeft ? x - off - w > 0 : x + off + w > right;
  paintLabel(ctx, text, left ? x - off : x + off, y + dy, color, left ? "right" : "left");
}

// Where the labels of a viewer's point `you` and the truth `t` go (canvas
// points): "you" on the left and "answer" on the right, unless the two
// marks share a row, where each takes its outer side, and where they
// nearly coincide, "answer" a line above and "you" a line below.
function labelPlaces(you, t) {
  const h = style().font.label, off = style().answer.r + 6;
  if (!you || !t || Math.abs(you[1] - t[1]) >= 2 * h) return { youLeft: true, tLeft: false, youDy: 0, tDy: 0 };
  const close = Math.abs(you[0] - t[0]) < 2 * off;
  return { youLeft: close || you[0] <= t[0], tLeft: !close && t[0] < you[0], youDy: close ? h : 0, tDy: close ? -h : 0 };
}

// The point answers on the 2D plot: the viewer's, and once revealed the
// truth in its run's colour, joined; a truth off the plot is an arrow on
// its border. `toScreen(x, y)`, `inside(px, py)`, `edge(px, py)` ->
// [px, py, angle]; `arrow(px, py, angle, color)` paints one; `right`: the
// plot area's right edge.
export function drawPlot(ctx, toScreen, inside, edge, arrow, right) {
  if (!Q.set) return false;
  let drew = false;
  Q.set.questions.forEach((q, i) => {
    if (q.kind !== "point") return;
    const r = Q.outcome ? (Q.outcome.responses || [])[i] : Q.responses[i];
    const you = r ? toScreen(r[0], r[1]) : null;
    const truth = Q.outcome && Q.outcome.questions[i].answer ? Q.outcome.questions[i].answer : null;
    const run = runOf(q), color = run ? run.color : style().answer.you;
    let t = truth ? toScreen(truth[0], truth[1]) : null;
    if (t && !inside(t[0], t[1])) {
      const e = edge(t[0], t[1]);
      arrow(e[0], e[1], e[2], color);
      paintLabel(ctx, "answer: off the plot", e[0], e[1] + 22 * (e[1] < ctx.canvas.height / 4 ? 1 : -1), color, "center");
      t = null;
    }
    if (you && t) paintJoin(ctx, you[0], you[1], t[0], t[1]);
    const shown = you && inside(you[0], you[1]) ? you : null, at = labelPlaces(shown, t);
    if (t) { paintTruth(ctx, t[0], t[1], color); besideMark(ctx, "answer", t[0], t[1], color, at.tLeft, right, at.tDy); }
    if (shown) { paintAnswer(ctx, you[0], you[1]); besideMark(ctx, "you", you[0], you[1], null, at.youLeft, right, at.youDy); }
    drew = drew || !!(you || t || truth);
  });
  return drew;
}

// A number's answers once revealed, on the axis they belong to:
// [{axis: "step" | a run array's key, value, who: "you" | "answer", run}].
export function chartMarks() {
  if (!Q.outcome) return [];
  const out = [];
  Q.outcome.questions.forEach((q, i) => {
    if (q.kind !== "number" || !q.axis) return;
    const r = (Q.outcome.responses || [])[i];
    if (typeof r === "number") out.push({ axis: q.axis, value: r, who: "you", run: q.run });
    if (typeof q.answer === "number") out.push({ axis: q.axis, value: q.answer, who: "answer", run: q.run });
  });
  return out;
}

export function asking() {
  return !!Q.set && !Q.outcome;
}
