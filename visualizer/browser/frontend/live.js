// A live class in the player: the payload's `class` part (built by
// visualizer/page/live_panel.py) says where the class's routes are
// (visualizer/live/routes.py), who this player is in it and the class as
// the page saw it. The player talks to those routes itself; the page's
// script never reruns for a class.
//
// A student's player gets (or makes) an anonymous id kept in localStorage,
// and keeps a long poll open on the class (GET {api}?student=ID&after=V,
// which returns at once when the version moves). A new scene is fetched
// ({api}/scene?version=V) and drawn in place, with this page's viewer keys
// and address; the class's question is asked through quiz.js, with "Send"
// (POST {api}/answer; answering again replaces, a refusal's reason is
// shown) and no "Just play"; after a reload the answer sent before is shown
// again (the view's `mine`). While the question is open the paths stay
// hidden; when the teacher reveals, the truth is drawn beside the answer
// with its grade (grading.js, by the part's `grading`) and the scene plays.
// A closed class says so and leaves the scene to play with.
//
// The teacher's player shows the question without controls (quiz.js's
// watch) and the room's answers as they arrive (tally.js), from a long poll
// on {api}/tally?after=N&version=V&latest=T with the X-Class-Secret header
// (held until someone answers or changes an answer, or the class moves); the
// paths stay hidden until the reveal, which the teacher's page sends (or
// the tally, if the class was revealed elsewhere). Moving on is the page's:
// a new payload, a new question.
//
// Nothing the server sends is trusted: every view and reply is read here
// (a malformed one is ignored), and every word shown is textContent.

import * as quiz from "./quiz.js";
import * as state from "./state.js";
import { S } from "./state.js";
import { el } from "./dom.js";
import { obj, quizPart } from "./payload.js";
import { grade, read } from "./grading.js";
import * as tally from "./tally.js";

const API = /^\/api\/class\/[A-Z0-9]{6}$/;
const SECRET = /^[A-Za-z0-9_-]{32,64}$/;
const STUDENT = /^[A-Za-z0-9_-]{16,64}$/;
const KEY = /^[A-Za-z0-9_-]{1,64}$/;
const ID_KEY = "optviz-class-student"; // localStorage: this browser's anonymous id in every class
const SECRET_HEADER = "X-Class-Secret";
const BACKOFF_MS = [1000, 2000, 4000, 8000]; // after a failed request, then this often until one works
const MAX_REASON = 200;

const WORDS = {
  send: "Send", sending: "Sending\u2026", sent: "\u2713 Sent",
  sentLine: "Sent. You can change your answer until your teacher reveals it.",
  givenLine: "Your answer is in. You can change it until your teacher reveals it.",
  waiting: "Waiting for your teacher's question\u2026",
  closed: "Your teacher has closed this class: the scene is yours to play with.",
  reconnecting: "Reconnecting to the class\u2026",
};

const C = {
  base: null,      // the part without the class's state: {api, role, secret, grading}
  view: null,      // the class as last applied (the scene drawn is its scene)
  asked: null,     // the question key the panel asks (or watches)
  revealedKey: null,
  mine: null,      // this student's response to the question asked: sent, or kept by the server
  room: null,      // the teacher's last tally reply
  page: null,      // the page's own {query, viewer}: a followed scene keeps them
  built: null,     // the last payload made here from a fetched scene
  loop: 0,         // the poll loop's generation: a stale loop ends itself
  abort: null,     // the request the loop waits on
  failures: 0,
  loading: false,  // within a payload's load: main.js lays the player out after it
};
let hooks = {};

export const stats = { role: null, code: null, version: 0, key: null, follows: 0, polls: 0, sent: 0,
  refused: 0, reason: "", revealed: 0, closed: false, note: "", student: null, tallies: 0 };

// `on`: {render(payload): draw a payload as if the page had sent it,
// layout(), changed() (the plot draws again), revealed() (the outcomes are
// out: the charts)}.
export function init(on) {
  hooks = on || {};
  document.addEventListener("visibilitychange", () => {
    // a phone that slept: ask again now, not after a failed poll's backoff
    if (document.visibilityState === "visible" && C.base) restart();
  });
}

// ------------------------------------------------------------ reading
function readView(v) {
  v = obj(v);
  if (!Number.isInteger(v.version) || v.version < 0) return null;
  return {
    version: v.version, scene: typeof v.scene === "string" ? v.scene : "",
    key: typeof v.key === "string" && KEY.test(v.key) ? v.key : "",
    revealed: v.revealed === true, closed: v.closed === true,
    question: v.question && typeof v.question === "object" && !Array.isArray(v.question) ? v.question : null,
    mine: v.mine, // read against the question (mineOf)
  };
}

function readPart(raw) {
  raw = obj(raw);
  const role = raw.role === "teacher" || raw.role === "student" ? raw.role : null;
  if (!role || typeof raw.api !== "string" || !API.test(raw.api)) return null;
  const secret = typeof raw.secret === "string" && SECRET.test(raw.secret) ? raw.secret : null;
  if (role === "teacher" && !secret) return null;
  const view = readView(raw);
  return view ? { base: { api: raw.api, role: role, secret: secret, grading: obj(raw.grading) }, view: view } : null;
}

// The view's question as quiz.js asks it (its answer only once revealed,
// or to the teacher), or null.
function questionOf(v) {
  if (!v.question || !v.key || !S.d) return null;
  const set = quizPart({ id: v.key, questions: [v.question], grading: C.base.grading, after: "" }, S.d.runs.length);
  return set ? set.questions[0] : null;
}

function mineOf(q, mine) {
  if (mine === null || mine === undefined) return null;
  try { return read(q, mine); } catch (e) { return null; }
}

// ------------------------------------------------------------ requests
function studentId() {
  let id = null;
  try { id = window.localStorage.getItem(ID_KEY); } catch (e) { id = null; }
  if (typeof id === "string" && STUDENT.test(id)) return id;
  const bytes = new Uint8Array(18);
  crypto.getRandomValues(bytes);
  id = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  try { window.localStorage.setItem(ID_KEY, id); } catch (e) { /* storage refused: this page's id only */ }
  return id;
}

// {ok, status, body, reason}: the route's JSON, or its one-line refusal.
// `held`: the poll loop's request, the one a restart aborts.
async function request(path, options, held) {
  const controller = new AbortController();
  if (held) C.abort = controller;
  const headers = Object.assign({}, (options && options.headers) || {});
  if (C.base.secret) headers[SECRET_HEADER] = C.base.secret;
  try {
    const response = await fetch(path, Object.assign({ cache: "no-store", credentials: "same-origin" }, options || {},
      { headers: headers, signal: controller.signal }));
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    const reason = body && typeof body.error === "string" ? body.error.slice(0, MAX_REASON) : "the server did not answer";
    return { ok: response.ok && !!body, status: response.status, body: body, reason: response.ok ? "" : reason };
  } catch (e) {
    return { ok: false, status: 0, body: null, reason: controller.signal.aborted ? "" : "the connection failed" };
  } finally {
    if (C.abort === controller) C.abort = null;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function backoff() {
  return BACKOFF_MS[Math.min(BACKOFF_MS.length - 1, C.failures++)];
}

// A line at the top of the side column: the class's state when it is not
// the question's (waiting, reconnecting, closed).
function note(text) {
  text = text || "";
  stats.note = text;
  if (el.classNote.textContent === text && el.classNote.hidden === !text) return;
  el.classNote.textContent = text;
  el.classNote.hidden = !text;
  layout();
}

// ------------------------------------------------------------ loading
// A new payload (from the page, or drawn here from a fetched scene): its
// class part takes over asking. False (and nothing of a class) without one.
// `inPlace`: the payload is the one drawn but for its class part (the
// teacher's page after a reveal): the class's state applies to what is
// shown, the outcomes drawn here.
export function load(p, inPlace) {
  const part = readPart(p && p.class);
  if (!part) {
    if (C.base) stop();
    return false;
  }
  if (p !== C.built) {
    // the page's own: a followed scene keeps its viewer keys and the
    // address's viewer keys (the class's code), not its scene
    const names = new Set(((p.viewer && p.viewer.keys) || []).map((k) => k && k.name));
    const query = typeof p.query === "string" ? p.query.split("&").filter((s) => names.has(s.split("=")[0])).join("&") : "";
    C.page = { query: query, viewer: p.viewer };
  }
  const fresh = !C.base || C.base.api !== part.base.api || C.base.role !== part.base.role;
  C.base = part.base;
  stats.role = part.base.role;
  stats.code = part.base.api.slice(-6);
  if (fresh) {
    C.view = null; C.asked = null; C.revealedKey = null; C.mine = null; C.room = null;
    if (part.base.role === "student") stats.student = studentId();
  }
  C.loading = !inPlace;
  try {
    apply(part.view, !inPlace);
  } finally {
    C.loading = false;
  }
  if (fresh && part.base.role === "student") restart();
  return true;
}

// A page payload older than the scene this student's player follows now
// (Streamlit sends the page's payload again when its frame is drawn
// again): keep what is shown.
export function superseded(p) {
  if (!C.built || !C.view || !p || p === C.built || C.base.role !== "student") return false;
  const part = readPart(p.class);
  return !!part && part.base.api === C.base.api && part.view.version <= C.view.version;
}

function stop() {
  C.loop++;
  if (C.abort) C.abort.abort();
  C.base = null; C.view = null; C.asked = null; C.built = null; C.room = null;
  tally.clear();
  note("");
  stats.role = null;
}

function restart() {
  C.loop++;
  if (C.abort) C.abort.abort();
  C.failures = 0;
  if (!C.base || (C.view && C.view.closed)) return;
  if (C.base.role === "student") follow(C.loop); else watch(C.loop);
}

// ------------------------------------------------------------ the class now
// `v` as this player shows it: the question asked (or watched), revealed,
// or the class closed. `loading`: within a payload's load (main.js draws
// the outcomes after it); else the outcomes are drawn here.
function apply(v, loading) {
  C.view = v;
  stats.version = v.version;
  stats.key = v.key;
  stats.closed = v.closed;
  if (v.closed) {
    const wasAsking = S.asking;
    C.asked = null;
    quiz.close();
    tally.clear();
    state.setAsking(false);
    note(C.base.role === "student" ? WORDS.closed : "");
    if (wasAsking && !loading && hooks.revealed) hooks.revealed();
    return;
  }
  const q = questionOf(v);
  if (!q) {
    C.asked = null;
    quiz.close();
    tally.clear();
    state.setAsking(false);
    note(C.base.role === "student" ? WORDS.waiting : "");
    return;
  }
  note("");
  if (C.asked !== v.key) {
    C.asked = v.key;
    C.revealedKey = null;
    C.mine = null;
    C.room = null;
    if (C.base.role === "teacher") {
      quiz.ask({ questions: [q], after: "" }, { watch: true, layout: layout });
      tally.show(q, { answered: 0 }, false);
      restart(); // the count of the new question at once, not after the old one's held poll
    } else {
      quiz.ask({ questions: [q], after: "" }, { answer: send, check: WORDS.send, checking: WORDS.sending,
        sent: WORDS.sent, layout: layout, changed: hooks.changed });
    }
  }
  if (C.base.role === "student") {
    const mine = mineOf(q, v.mine);
    if (mine !== null && C.mine === null) {
      C.mine = mine;
      quiz.give([mine]);
      quiz.settle({ line: WORDS.givenLine, sent: true });
    }
  } else if (C.room) {
    tally.show(q, C.room, v.revealed);
  }
  // (a page's payload does not know this browser's answer: a student's
  // reveal waits for the first poll, which brings it)
  const answerKnown = C.base.role === "teacher" || v.mine !== undefined || C.mine !== null;
  if (v.revealed && answerKnown) {
    if (C.revealedKey !== v.key) reveal(q, loading);
  } else {
    state.setAsking(true);
  }
}

function reveal(q, loading) {
  C.revealedKey = C.view.key;
  stats.revealed++;
  let outcome;
  if (C.base.role === "teacher") {
    outcome = { questions: [q], responses: null, grades: null };
    if (C.room) tally.show(q, C.room, true);
  } else {
    let g = null;
    if (C.mine !== null) { try { g = grade(q, C.mine, C.base.grading); } catch (e) { g = null; } }
    outcome = { questions: [q], responses: [C.mine], grades: [g] };
  }
  quiz.reveal(outcome);
  state.setAsking(false);
  if (loading) return; // main.js draws the outcomes with the payload
  if (hooks.revealed) hooks.revealed();
  state.play();
}

function layout() {
  if (C.loading) return;
  tally.redraw();
  if (hooks.layout) hooks.layout();
}

// ------------------------------------------------------------ a student
async function follow(gen) {
  const api = C.base.api, id = stats.student;
  let first = true; // the first poll returns at once, with this student's answer
  while (gen === C.loop) {
    const got = await request(api + "?student=" + id + (first ? "" : "&after=" + C.view.version), null, true);
    if (gen !== C.loop) return;
    stats.polls++;
    if (!got.ok) {
      if (got.status === 404) { note(got.reason); return; } // the class has ended (or never was)
      if (got.status !== 0 || got.reason) note(WORDS.reconnecting);
      await sleep(got.status === 429 ? BACKOFF_MS[BACKOFF_MS.length - 1] : backoff());
      continue;
    }
    C.failures = 0;
    first = false;
    const v = readView(got.body);
    if (!v) continue;
    if (v.scene !== C.view.scene && !v.closed) await followScene(v, gen);
    else apply(v, false);
    if (C.view.closed) return;
  }
}

// The class's new scene, drawn in place with the class's state `v`.
async function followScene(v, gen) {
  const got = await request(C.base.api + "/scene?version=" + v.version, null, true);
  if (gen !== C.loop) return;
  if (!got.ok) {
    // 409: moved on again since; the next poll (after the version shown) returns at once
    if (got.status !== 409) { note(WORDS.reconnecting); await sleep(backoff()); }
    return;
  }
  const built = Object.assign({}, got.body, {
    query: C.page ? C.page.query : "",
    class: Object.assign({}, C.base, { code: C.base.api.slice(-6), version: v.version, scene: v.scene, key: v.key,
      revealed: v.revealed, closed: v.closed, question: v.question, mine: v.mine }),
  });
  if (C.page && C.page.viewer) built.viewer = C.page.viewer;
  C.built = built;
  stats.follows++;
  if (hooks.render) await hooks.render(built);
}

async function send(responses) {
  const key = C.view.key, response = responses[0];
  const got = await request(C.base.api + "/answer", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ student: stats.student, key: key, response: response }),
  });
  if (!C.view || C.asked !== key || C.view.key !== key) return; // the teacher moved on meanwhile
  if (got.ok) {
    C.mine = response;
    stats.sent++;
    quiz.settle({ line: WORDS.sentLine, sent: true });
  } else {
    stats.refused++;
    stats.reason = got.reason;
    quiz.settle({ line: "Not sent: " + got.reason, warn: true });
  }
}

// ------------------------------------------------------------ the teacher
async function watch(gen) {
  const api = C.base.api;
  let seen = null; // {answered, version, latest} of the last tally: held until one moves
  while (gen === C.loop) {
    const got = await request(api + "/tally" + (seen ? "?after=" + seen.answered + "&version=" + seen.version +
      "&latest=" + seen.latest : ""), null, true);
    if (gen !== C.loop) return;
    if (!got.ok) {
      if (got.status === 404) { note(got.reason); return; }
      note(got.reason ? "The room's answers: " + got.reason : WORDS.reconnecting);
      await sleep(got.status === 429 ? BACKOFF_MS[BACKOFF_MS.length - 1] : backoff());
      continue;
    }
    C.failures = 0;
    const room = got.body;
    if (!Number.isInteger(room.version) || !Number.isInteger(room.answered) || !Number.isInteger(room.latest)) {
      await sleep(backoff()); continue;
    }
    seen = { answered: room.answered, version: room.version, latest: room.latest };
    if (stats.note) note("");
    if (room.key !== C.view.key) continue; // another question than the one shown: the page brings it
    stats.tallies++;
    C.room = room;
    const q = questionOf(C.view);
    if (!q) continue;
    tally.show(q, room, C.view.revealed || room.revealed === true);
    if (room.revealed === true && C.revealedKey !== C.view.key) {
      C.view = Object.assign({}, C.view, { revealed: true });
      reveal(q, false);
    }
    if (hooks.changed) hooks.changed();
    layout();
  }
}

// The player's own: no "Set start" for a student (the scene is the teacher's).
export function following() {
  return !!C.base && C.base.role === "student";
}
