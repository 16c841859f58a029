// The trajectory player (the frontend of visualizer/page/player.py): wires the
// modules together. Streamlit's render message -> payload.js -> state.js;
// state changes -> the views (view2d.js, view3d.js), the side charts
// (curves.js), the legend, the toolbar and the address (url.js).
//
// Test hooks: window.__playerStats (frames, lastFrameMs, renders,
// lastRenderMs, phases, view, playing, step, layers, pathWidth, present,
// mode, asking)
// and window.__player (S, prepare, render2d, render3d, renderSide, draw2d,
// draw3d, drawSurface, figure2d, figure3d, toggleRun, setFront, solo,
// style, styles, viewerQuery, curveScale, fmt, numbers, scaleColor: the
// last two what the exported pictures port, checked against them; quiz;
// live: a class's stats and the room's tally; dynamics: where the flows'
// labels went).

import { el, setStatus } from "./dom.js";
import * as component from "./component.js";
import * as state from "./state.js";
import { S } from "./state.js";
import * as payload from "./payload.js";
import { setMode, style, STYLES, paintArrow } from "./marks.js";
import { applyHeight, positionLegend, watchViewport, styleMode } from "./layout.js";
import * as view2d from "./view2d.js";
import * as view3d from "./view3d.js";
import * as curves from "./curves.js";
import { buildLegend, updateLegend } from "./legend.js";
import * as url from "./url.js";
import { installKeys } from "./keys.js";
import * as numbers from "./numbers.js";
import { scaleColor } from "./contour.js";
import * as inside from "./inside.js";
import * as rule from "./rule.js";
import { stats as overlayStats } from "./overlays.js";
import * as explore from "./explore.js";
import * as dynamics from "./dynamics.js";
import * as model from "./model.js";
import * as quiz from "./quiz.js";
import * as predict from "./predict.js";
import * as grading from "./grading.js";
import * as live from "./live.js";
import * as tally from "./tally.js";

const stats = (window.__playerStats = {
  frames: 0, lastFrameMs: 0, renders: 0, lastRenderMs: 0, view: "2d", playing: false, step: 0,
  layers: [], pathWidth: 0, present: false, mode: "normal", asking: false,
});

// ------------------------------------------------------------- drawing
function drawOverlays() {
  if (S.view === "2d") view2d.draw2d(); else view3d.draw3d();
  const v = S.view === "2d" ? view2d.stats2d : view3d.stats3d;
  stats.layers = v.layers;
  stats.pathWidth = v.pathWidth;
  curves.drawCursor();
  rule.update();
  model.update();
}

// ------------------------------------------------------- inside a step
function updateInsideButton() {
  const d = S.d, offered = !!(d && d.inside && d.inside.offered);
  el.btnInside.hidden = !offered || S.present || S.asking;
  el.btnInside.setAttribute("aria-pressed", String(S.inside.on));
}

// The toolbar's button: on or off here at once (with the numbers the
// payload already has), and tell the server, which sends the numbers (or
// stops sending them).
function toggleInside() {
  const on = !S.inside.on;
  if (on && !(S.d && S.d.inside && S.d.inside.data)) setStatus("loading the numbers of each step\u2026");
  S.nonce = Math.max(S.nonce + 1, Date.now());
  component.setValue({ event: "inside", on: on, nonce: S.nonce });
  state.setInside(on);
}

// The payload's inside parts onto the prepared payload, and its switch.
function loadInside(d, p) {
  inside.attach(d, p);
  state.loadInside(d.inside.offered ? d.inside.on : null);
  rule.invalidate();
  updateInsideButton();
}

function updateControls() {
  const k = state.step();
  stats.step = k;
  stats.playing = S.playing;
  // "step " in its own span: a narrow toolbar drops it (compact3)
  if (!el.counter._n) {
    const word = document.createElement("span"), n = document.createElement("span");
    word.className = "w3";
    word.textContent = "step ";
    el.counter.replaceChildren(word, n);
    el.counter._n = n;
  }
  const text = k + " / " + S.N;
  if (el.counter._n.textContent !== text) el.counter._n.textContent = text;
  if (+el.scrub.value !== k) el.scrub.value = String(k);
  if (el.play._playing !== S.playing) {
    el.play._playing = S.playing;
    el.play.querySelector(".icon").textContent = S.playing ? "\u275A\u275A" : "\u25B6";
    el.play.querySelector(".word").textContent = S.playing ? " Pause" : " Play";
    el.play.setAttribute("aria-label", S.playing ? "Pause" : "Play");
  }
  const speed = speedKey ? speedKey.text(S.speed) : undefined;
  if (speed !== undefined && el.speed.value !== speed) el.speed.value = speed;
  // nothing to play until the question is answered
  for (const b of [el.play, el.restart, el.back, el.fwd]) b.disabled = S.asking || !S.d;
  el.scrub.disabled = S.asking || S.N === 0;
}

// The speed control offers the speed key's values (the payload's table of
// viewer keys); without that key, there is none.
let speedKey = null;
function buildSpeed(viewer) {
  const key = viewer.keys.find((k) => k.name === "speed" && k.kind === "choice") || null;
  el.speed.parentElement.hidden = !key;
  const same = JSON.stringify(key && key.texts) === JSON.stringify(speedKey && speedKey.texts);
  speedKey = key;
  if (same) return;
  el.speed.replaceChildren(...(key ? key.texts : []).map((text) => {
    const option = document.createElement("option");
    option.value = text;
    option.textContent = text + "\u00d7";
    return option;
  }));
}

// ------------------------------------------------------------- playback
let raf = 0, lastT = 0;
function frame(t) {
  raf = 0;
  if (!S.playing) return;
  const dt = Math.min(0.1, Math.max(0, (t - lastT) / 1000));
  lastT = t;
  const t0 = performance.now();
  state.advance(dt);
  stats.lastFrameMs = performance.now() - t0;
  stats.frames++;
  if (S.playing) raf = requestAnimationFrame(frame);
}

state.subscribe((what) => {
  if (what.play || what.restart) {
    cancelAnimationFrame(raf);
    raf = 0;
    if (S.playing) { lastT = performance.now(); raf = requestAnimationFrame(frame); }
  }
  if (what.step) { updateControls(); drawOverlays(); }
  if (what.runs) {
    updateLegend();
    curves.applySideStyle();
    drawOverlays();
    if (S.setStart) armSetStart(true); // its message names the run in front
  }
  if (what.speed) updateControls();
  if (what.asking) showAsking(true);
  if (what.inside) {
    updateInsideButton();
    const wasHidden = el.inside.hidden;
    drawOverlays();
    if (wasHidden !== el.inside.hidden) applyHeight(); // the panel takes room from the side charts
  }
  // the address follows the viewer, never an animation frame
  if (what.play || what.runs || what.speed || (what.step && !what.frame && !S.playing)) url.scheduleUrl();
});

// ---------------------------------------------------------------- view
function setView(v) {
  if (v !== "2d" && v !== "3d") v = "2d";
  const changed = v !== S.view;
  S.view = v;
  stats.view = v;
  el.b2d.setAttribute("aria-pressed", String(v === "2d"));
  el.b3d.setAttribute("aria-pressed", String(v === "3d"));
  el.plot2d.hidden = v !== "2d";
  el.paths2d.hidden = v !== "2d";
  el.surf2d.hidden = v !== "2d";
  el.readout.textContent = "";
  el.plot3d.hidden = v !== "3d";
  el.paths3d.hidden = v !== "3d";
  updateAnswerPick();
  positionLegend();
  if (v === "3d" && S.setStart) armSetStart(false);
  rule.refreshNote();
  if (changed) url.scheduleUrl();
  if (!S.d || !changed) return Promise.resolve();
  // the hidden view was not kept up to date (payload, size): draw it now
  return (v === "2d" ? view2d.render2d() : view3d.render3d()).then(drawOverlays);
}

// ------------------------------------------------------------ set start
// For all runs, or for the run in front of the legend.
function armSetStart(on) {
  S.setStart = on && !S.present;
  el.start.setAttribute("aria-pressed", String(S.setStart));
  el.picker.hidden = !S.setStart;
  if (S.setStart) {
    if (S.view !== "2d") setView("2d");
    const r = state.frontRun();
    setStatus(r ? "click the contour to set the start of \u201c" + r.label + "\u201d (Esc cancels)"
      : "click the contour to set the start of all runs (Esc cancels)");
  } else if (/^click the contour/.test(el.status.textContent)) {
    setStatus("");
  }
}

function pickStart(ev) {
  const xy = view2d.pickAt(ev.offsetX, ev.offsetY);
  if (!xy || !S.d) return;
  const r = state.frontRun();
  const run = r && Number.isInteger(r.i) && r.i >= 0 && r.i < S.d.runs.length ? r.i : null;
  S.nonce = Math.max(S.nonce + 1, Date.now());
  S.pending = xy;
  armSetStart(false);
  setStatus(run === null ? "new start sent" : "new start of \u201c" + r.label + "\u201d sent");
  component.setValue({ event: "start", xy: [xy[0], xy[1]], run: run, nonce: S.nonce });
  drawOverlays();
}

// -------------------------------------------------------------- render
function applyMode() {
  setMode(styleMode());
  stats.present = S.present;
  stats.mode = style().name;
  document.documentElement.classList.toggle("present", S.present);
  // a network's runs all start at its initial weights; a new start while a
  // question is open would be a new question; a student's scene is the
  // teacher's
  el.start.hidden = S.present || S.asking || !!(S.d && S.d.model) || live.following();
  el.copy.hidden = S.present || S.embed;
  updateInsideButton();
}

// ------------------------------------------------------------- asking
// While a question is open (predict.js): the step held at the starts, no
// paths (view2d, view3d), no charts, no exploration, no "diverged" in the
// legend, no "Inside a step"; the answer overlay on the plot for a point
// question. When it is answered, all of it comes back and the scene plays.
// (`panels`: the exploration's panel too; a new payload shows it later.)
function showAsking(panels) {
  stats.asking = S.asking;
  el.app.classList.toggle("asking", S.asking);
  el.charts.hidden = S.asking;
  if (S.asking && S.inside.on) state.setInside(false);
  if (S.asking && S.setStart) armSetStart(false);
  if (S.asking && quiz.pointQuestion() >= 0 && S.view !== "2d") setView("2d");
  if (panels) { explore.showPanel(); if (S.view === "2d") view2d.drawSurface(); } // the basins of starts: kept back
  applyMode();
  updateControls();
  updateAnswerPick();
}

// The outcomes are out: lay the side column out again with the charts and
// the exploration, and draw them.
function showOutcomes() {
  answerMarks();
  applyHeight();
  return Promise.all([curves.renderSide(), explore.renderPanel()]).then(() => { applyHeight(); drawOverlays(); });
}

// A number question's answer and the viewer's, on the charts and the
// exploration, once revealed.
function answerMarks() {
  const marks = quiz.chartMarks();
  curves.setAnswerMarks(marks);
  explore.setAnswerMarks(marks);
}

function updateAnswerPick() {
  const on = quiz.pointQuestion() >= 0 && S.view === "2d" && !!S.d;
  el.answerPick.hidden = !on;
}

function onQuizLayout() {
  applyHeight();
  curves.resizeSide();
  explore.resizePanel();
  drawOverlays();
}

function onRender(args) {
  const t0 = performance.now();
  const h = Math.round(+args.height);
  if (h >= 200) S.height = h;
  const p = args.payload && typeof args.payload === "object" ? args.payload : {};
  // a page's payload older than the class's scene this student follows
  if (live.superseded(p)) { applyHeight(); return null; }
  const sig = JSON.stringify(p);
  if (sig === S.sig) { applyHeight(); return null; }
  S.sig = sig;
  // Only the class's state changed (the teacher's page after a reveal): the
  // class applies it to what is shown, and plays from there.
  const classless = p.class ? JSON.stringify(p, function (k, v) { return this === p && k === "class" ? undefined : v; }) : sig;
  const sameScene = S.d && classless === S.classless;
  S.classless = classless;
  if (sameScene && p.class) {
    live.load(p, true);
    applyHeight();
    stats.renders++;
    stats.lastRenderMs = performance.now() - t0;
    return null;
  }
  // Only the "Inside a step" parts changed (the button was pressed): keep
  // everything the viewer has (step, view, zoom) and add or drop them.
  const baseSig = p.inside ? JSON.stringify(p, (k, v) => (k === "inside" ? undefined : v)) : sig;
  const onlyInside = S.d && baseSig === S.baseSig;
  S.baseSig = baseSig;
  if (onlyInside) {
    loadInside(S.d, p);
    if (/^loading the numbers/.test(el.status.textContent)) setStatus("");
    applyHeight();
    drawOverlays();
    stats.renders++;
    stats.lastRenderMs = performance.now() - t0;
    return null;
  }
  cancelAnimationFrame(raf);
  raf = 0;
  const loaded = explore.load(p.explore); // decoded while the rest is prepared
  const viewer = payload.viewer(p.viewer);
  state.loadPresent(viewer); // the style depends on it before anything is prepared
  buildSpeed(viewer);
  applyMode();
  const previous = S.d;
  const d = payload.prepare(p);
  d.model = model.load(p.model, d);
  const { view, autoplay } = state.load(d, viewer);
  // a class asks its own question (live.js); else predict=1 asks the scene's
  if (!live.load(p, false)) predict.load(payload.quizPart(p.quiz, d.runs.length));
  answerMarks();
  showAsking(false);
  loadInside(d, p);
  applyMode();
  if (S.setStart) armSetStart(false);
  if (/ sent$/.test(el.status.textContent)) setStatus("");
  el.scrub.max = String(S.N);
  el.scrub.disabled = S.asking || S.N === 0;
  el.empty.hidden = !d.allNaN;
  el.empty.textContent = d.allNaN ? "f is not finite anywhere in this window" : "";
  buildLegend(d, { front: state.setFront, hide: state.toggleHidden, solo: state.solo });
  model.showPanel(); // before the heights: it takes its share of the side column
  applyHeight(); // the legend's height and the panel split follow the payload
  // Same surface, same 2D figure (a slider moved a run): keep the figure and
  // the contour, and only place and draw the new paths.
  const quick = previous && d.grid && d.grid === previous.grid && view === "2d" && S.view === "2d" &&
    !S.stale2d && !view2d.needsResize() && JSON.stringify(d.start) === JSON.stringify(previous.start);
  S.stale3d = true;
  updateControls();
  const t1 = performance.now();
  let t2 = 0;
  const main = loaded.then((ex) => {
    explore.showPanel(); // before the side charts: it takes its share of the column
    applyHeight();
    if (quick) {
      view2d.refreshRuns();
      if (ex.changed) view2d.drawSurface(); // new basins, or none
      return null;
    }
    S.stale2d = true;
    S.view = null; // make setView draw the visible view
    return setView(view);
  });
  return main.then(() => {
    t2 = performance.now();
    // while a question is open the charts and the exploration wait (hidden)
    return S.asking ? null : Promise.all([curves.renderSide(), explore.renderPanel()]);
  }).then(() => {
    const t3 = performance.now();
    stats.renders++;
    stats.lastRenderMs = t3 - t0;
    stats.phases = { prepare: Math.round(t1 - t0), main: Math.round(t2 - t1), side: Math.round(t3 - t2) };
    url.flushUrl();
    if (autoplay && !S.asking) { S.stepF = 0; state.play(); }
  });
}

// --------------------------------------------------------------- events
el.play.addEventListener("click", state.togglePlay);
el.restart.addEventListener("click", state.restart);
el.back.addEventListener("click", () => state.stepBy(-1));
el.fwd.addEventListener("click", () => state.stepBy(1));
el.scrub.addEventListener("input", () => state.goto(+el.scrub.value));
el.speed.addEventListener("change", () => {
  if (speedKey) state.setSpeed(speedKey.values[speedKey.texts.indexOf(el.speed.value)]);
});
el.b2d.addEventListener("click", () => setView("2d"));
el.b3d.addEventListener("click", () => setView("3d"));
el.start.addEventListener("click", () => armSetStart(!S.setStart));
el.picker.addEventListener("click", pickStart);
el.main.addEventListener("mousemove", view2d.onHover);
el.main.addEventListener("mouseleave", () => { el.readout.textContent = ""; });
// With starts explored, a click on the 2D plot (not a drag, not the mode
// bar) starts the run there.
// (The button goes up on the window: Plotly covers the page while a drag may start.)
let down = null;
el.main.addEventListener("pointerdown", (ev) => {
  down = ev.target.closest && ev.target.closest(".modebar") ? null : [ev.clientX, ev.clientY, performance.now()];
}, true);
window.addEventListener("pointerup", (ev) => {
  const a = down;
  down = null;
  if (!a || ev.button !== 0 || S.setStart || S.asking || explore.kind() !== "starts") return;
  if (Math.hypot(ev.clientX - a[0], ev.clientY - a[1]) > 4 || performance.now() - a[2] > 700) return;
  const r = el.main.getBoundingClientRect();
  const xy = view2d.dataAt(ev.clientX - r.left, ev.clientY - r.top);
  const cell = xy && explore.pickStart(xy[0], xy[1]);
  if (cell) { S.pending = cell; drawOverlays(); }
}, true);
el.btnInside.addEventListener("click", toggleInside);
// A point question: a click or a tap on the plot places the answer; the
// arrow keys move it (a hundredth of the window, Shift a tenth), Enter
// checks.
el.answerPick.addEventListener("click", (ev) => {
  quiz.place(view2d.pickAt(ev.offsetX, ev.offsetY));
});
el.answerPick.addEventListener("keydown", (ev) => {
  const step = ev.shiftKey ? 0.1 : 0.01;
  const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
  if (moves[ev.key]) { ev.preventDefault(); quiz.nudge(moves[ev.key][0], moves[ev.key][1]); }
  else if (ev.key === "Enter") { ev.preventDefault(); quiz.submit(); }
});
predict.init({ layout: onQuizLayout, revealed: showOutcomes, changed: drawOverlays });
live.init({ layout: onQuizLayout, revealed: showOutcomes, changed: drawOverlays, render: renderFollowed });
el.dataTest.addEventListener("click", model.toggleTest);
rule.buildKey({ toggle: state.toggleOverlay });
url.followPresentLink();
el.copy.addEventListener("click", () => {
  url.copyAddress().then((ok) => setStatus(ok ? "copied" : "copy failed: use the address bar", !ok));
});

installKeys((name) => {
  if (name === "escape") { if (!S.setStart) return false; armSetStart(false); return true; }
  if (!S.d || S.asking) return false;
  if (name === "toggle") state.togglePlay();
  else if (name === "back") state.stepBy(-1);
  else if (name === "forward") state.stepBy(1);
  else if (name === "first") state.goto(0);
  else if (name === "last") state.goto(S.N);
  return true;
});

let resizeTimer = 0;
function onResize() {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    applyHeight();
    if (!S.d) return;
    if (S.view === "2d" && view2d.needsResize()) view2d.render2d().then(drawOverlays);
    if (S.view === "3d" && view3d.needsResize()) view3d.render3d().then(drawOverlays);
    curves.resizeSide();
    explore.resizePanel();
    model.update();
  }, 80);
}
if (window.ResizeObserver) {
  const ro = new ResizeObserver(onResize);
  ro.observe(el.app);
  ro.observe(el.charts);
}
window.addEventListener("resize", onResize);
watchViewport(() => { if (S.present || S.embed) onResize(); });

function render(args) {
  try {
    const r = onRender(args);
    if (r && r.catch) r.catch((e) => { setStatus("display error: " + e.message, true); throw e; });
    return r;
  } catch (e) {
    setStatus("display error: " + e.message, true);
    throw e;
  }
}
component.onRender(render);

// A class's scene a student's player fetched (live.js): drawn as the page's
// payload is, at the frame's height.
function renderFollowed(p) {
  return Promise.resolve(render({ payload: p, height: S.height })).catch(() => null);
}

window.__player = {
  S: S, prepare: payload.prepare, render2d: view2d.render2d, render3d: view3d.render3d,
  renderSide: curves.renderSide, draw2d: view2d.draw2d, draw3d: view3d.draw3d, drawSurface: view2d.drawSurface,
  figure2d: view2d.figure2d, figure3d: view3d.figure3d,
  toggleRun: (key) => state.toggleHidden(typeof key === "number" && S.d ? S.d.runs[key].key : key),
  setFront: (key) => state.setFront(typeof key === "number" && S.d ? S.d.runs[key].key : key),
  solo: (key) => state.solo(typeof key === "number" && S.d ? S.d.runs[key].key : key),
  style: style, styles: STYLES, viewerQuery: url.viewerQuery, curveScale: curves.curveScale, fmt: numbers.fmt,
  numbers: numbers, scaleColor: scaleColor,
  inside: { stats: overlayStats, rule: rule.stats, ruleTex: rule.ruleTex, run: inside.insideRun, vectors: inside.vectors,
    valueAt: inside.valueAt, toggle: toggleInside },
  explore: explore.stats,
  dynamics: dynamics.stats,
  model: model.stats,
  quiz: { stats: quiz.stats, predict: predict.stats, grade: grading.grade, read: grading.read,
    parseNumber: quiz.parseNumber, place: quiz.place },
  live: { stats: live.stats, tally: tally.stats },
};
component.ready();
applyHeight();
