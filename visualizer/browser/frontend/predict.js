// predict=1 for one viewer: the payload's questions asked before the scene
// plays (quiz.js), graded here in the browser by the payload's table
// (grading.js: no server needed, so the offline file and an embed ask too),
// the truth revealed beside the answers, then the scene plays from the
// start. The page is told (component value {"event": "answered"}), so it
// shows what it kept back (the table, what diverged, the lesson's words).
//
// An answer is remembered per question set (its id) for as long as the
// player lives: a rerun that brings the same questions back (a slider moved
// there and back) shows the answer, not the question again.

import * as quiz from "./quiz.js";
import * as state from "./state.js";
import { S } from "./state.js";
import { grade } from "./grading.js";
import * as component from "./component.js";

const answered = new Map(); // quiz id -> {questions, responses, grades}
let current = null;         // the set asked or shown now
let hooks = {};

export const stats = { id: null, asked: 0, answered: 0, skipped: 0, sent: [] };

// `on`: {layout(): the panel changed size, changed(): an answer changed
// (the plot draws it), revealed(): the outcome is out}.
export function init(on) {
  hooks = on || {};
}

// After a payload is loaded (state.load): ask its questions, show an
// earlier answer to them, or, without predict or questions, nothing.
// Returns true while a question is open.
export function load(set) {
  if (!S.predict || !set || !set.questions.every((q) => q.answer !== null)) {
    current = null;
    quiz.close();
    state.setAsking(false);
    return false;
  }
  const same = current && current.id === set.id;
  current = set;
  stats.id = set.id;
  const earlier = answered.get(set.id);
  if (earlier) {
    if (!same || quiz.asking()) {
      quiz.ask(set, { layout: hooks.layout, changed: hooks.changed });
      quiz.reveal(earlier);
    }
    state.setAsking(false);
    return false;
  }
  if (!same || !quiz.asking()) {
    quiz.ask(set, { answer: answer, skip: skip, layout: hooks.layout, changed: hooks.changed });
    stats.asked++;
  }
  state.setAsking(true);
  return true;
}

function answer(responses) {
  const set = current;
  if (!set) return;
  const grades = set.questions.map((q, i) => {
    try { return grade(q, responses[i], set.grading); } catch (e) { return null; }
  });
  stats.answered++;
  finish(set, { questions: set.questions, responses: responses, grades: grades });
}

function skip() {
  const set = current;
  if (!set) return;
  stats.skipped++;
  finish(set, { questions: set.questions, responses: set.questions.map(() => null), grades: null });
}

function finish(set, outcome) {
  answered.set(set.id, outcome);
  quiz.reveal(outcome);
  S.nonce = Math.max(S.nonce + 1, Date.now());
  component.setValue({ event: "answered", on: set.id, nonce: S.nonce });
  stats.sent.push(set.id);
  state.setAsking(false);
  if (hooks.revealed) hooks.revealed();
  state.play();
}
