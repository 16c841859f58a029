// How close a response is to a question's answer: right, close or wrong,
// by the grading table the payload carries (visualizer/core/questions.py's
// GRADING, the table Python grades by), so a question is graded with no
// server (the offline file, an embed). The same reading and grading as
// Question.read and Question.grade there, checked against them in Chromium
// on shared cases (tests/browser/test_grading.py).
//
// A question is the payload's description: {kind, answer, choices?, runs?
// (order: how many), diagonal? (point: the window's diagonal)}.

function integer(v) {
  return typeof v === "number" && Number.isInteger(v);
}

function finite(v) {
  return typeof v === "number" && isFinite(v);
}

// A response as `q` takes it, or an Error: an index of `choices`, two
// finite numbers, every run number once, a finite positive number.
// (Responses come from a viewer, or from a class's store: anything may come.)
export function read(q, response) {
  if (q.kind === "choice") {
    const n = Array.isArray(q.choices) ? q.choices.length : 0;
    if (!(integer(response) && response >= 0 && response < n)) throw new Error("not a choice of " + n);
    return response;
  }
  if (q.kind === "point") {
    if (!(Array.isArray(response) && response.length === 2 && response.every(finite))) throw new Error("not a point [x, y]");
    return [response[0], response[1]];
  }
  if (q.kind === "order") {
    const n = integer(q.runs) ? q.runs : 0;
    const sorted = Array.isArray(response) && response.every(integer) ? response.slice().sort((a, b) => a - b) : null;
    if (!sorted || sorted.length !== n || sorted.some((v, i) => v !== i + 1)) {
      throw new Error("not an order of the runs 1 to " + n);
    }
    return response.slice();
  }
  if (!(finite(response) && response > 0)) throw new Error("not a positive number");
  return response;
}

// The fraction of pairs of runs that `response` puts in `answer`'s order.
export function orderedPairs(response, answer) {
  const rank = new Map(response.map((run, i) => [run, i]));
  let pairs = 0, right = 0;
  for (let i = 0; i < answer.length; i++) {
    for (let j = i + 1; j < answer.length; j++) {
      pairs++;
      if (rank.get(answer[i]) < rank.get(answer[j])) right++;
    }
  }
  return pairs ? right / pairs : 1;
}

function verdict(value, bounds, smaller) {
  if (smaller) return value <= bounds.right ? "right" : value <= bounds.close ? "close" : "wrong";
  return value >= bounds.right ? "right" : value >= bounds.close ? "close" : "wrong";
}

// Python's f"{x:.0f}": the nearest integer, a tie to the even one (a tie is
// exact in binary, so both languages see the same ties).
export function percent(fraction) {
  const x = 100 * fraction, r = Math.round(x);
  const n = Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
  return (Object.is(n, -0) ? 0 : n) + "%";
}

// {verdict, score, detail}: score 1 right ... 0 wrong, the measure the
// verdict reads; detail one line on how close. Throws on a response `q`
// does not take (read).
export function grade(q, response, table) {
  response = read(q, response);
  if (q.kind === "choice") {
    const right = response === q.answer;
    return { verdict: right ? "right" : "wrong", score: right ? 1 : 0,
      detail: right ? "right" : "the answer is " + q.choices[q.answer] };
  }
  if (q.kind === "point") {
    const off = Math.hypot(response[0] - q.answer[0], response[1] - q.answer[1]) / q.diagonal;
    return { verdict: verdict(off, table.point, true), score: Math.max(0, 1 - off),
      detail: percent(off) + " of the window's diagonal away" };
  }
  if (q.kind === "order") {
    const share = orderedPairs(response, q.answer);
    return { verdict: verdict(share, table.order, false), score: share,
      detail: percent(share) + " of the pairs in the right order" };
  }
  const off = Math.abs(response - q.answer) / Math.abs(q.answer);
  return { verdict: verdict(off, table.number, true), score: Math.max(0, 1 - off), detail: percent(off) + " off" };
}
