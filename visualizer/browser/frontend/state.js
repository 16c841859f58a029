// The state machine: which step is shown, playing or not, speed, view,
// which runs are hidden and which is in front, and the viewer's modes
// (presentation, loop). Transitions change S and tell the subscribers what
// changed; they never draw.
//
// A new payload shows the full paths, paused at the last step N (or the
// step its viewer asks for). Play advances a fractional step at
// N / (about 6 s) x speed; at N it pauses (loops back to 0 in loop mode);
// Play at N restarts from 0. Step, scrub and keys pause and move the step;
// restart goes to 0 and keeps playing if it was.

export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8];
const SEC_PER_RUN = 6; // 1x plays a whole run in about this many seconds

export const S = {
  d: null,            // the prepared payload (payload.js)
  sig: null,          // JSON of the last payload: a rerun with the same payload changes nothing
  rev: 0,             // payloads seen
  N: 0,               // last step
  stepF: 0,           // current (fractional while playing) step
  playing: false,
  speed: 1,
  view: "2d",
  hidden: new Set(),  // keys (index|label) of hidden runs: they outlive reruns
  front: null,        // key of the run brought to the front, or null
  present: false,
  loop: false,
  viewer: null,       // the last payload's viewer (payload.viewer)
  payloadView: null,  // the last payload's view
  setStart: false,    // "Set start" armed: the next click on the plot is a start
  pending: null,      // clicked start waiting for the new payload
  nonce: 0,
  height: 640,        // the frame height Python asked for
  narrow: false,
  stale2d: true,      // the hidden view was not redrawn for the last payload or size
  stale3d: true,
  baseSig: null,      // JSON of the last payload without its "inside" parts
  // "Inside a step": on or off (the toolbar's button; the payload's `inside.on`
  // applies when it changes), and which overlays the key shows
  inside: { on: false, payloadOn: null, show: { grad: true, update: true, moment: true, box: true } },
};

const listeners = [];
export function subscribe(fn) { listeners.push(fn); }
function emit(what) { for (const fn of listeners) fn(what); }

export function snapSpeed(v) {
  if (!(typeof v === "number" && v > 0)) return 1;
  let best = SPEEDS[0];
  for (const s of SPEEDS) if (Math.abs(Math.log(s / v)) < Math.abs(Math.log(best / v))) best = s;
  return best;
}

function rate() {
  const N = Math.max(1, S.N);
  const seconds = Math.min(SEC_PER_RUN, Math.max(1.5, N * 0.3));
  return (N / seconds) * S.speed;
}

export function step() {
  return Math.min(S.N, Math.floor(S.stepF));
}

export function play() {
  if (!S.d || S.playing) return;
  if (S.stepF >= S.N) S.stepF = 0;
  S.playing = true;
  emit({ play: true, step: true });
}

export function pause() {
  if (!S.playing) return;
  S.playing = false;
  S.stepF = Math.floor(S.stepF);
  emit({ play: true, step: true });
}

export function togglePlay() {
  if (S.playing) pause(); else play();
}

// Advance a playing player by `dt` seconds. At the end: pause, or start
// again from 0 in loop mode.
export function advance(dt) {
  if (!S.playing) return;
  if (S.stepF >= S.N) {
    if (S.loop && S.N > 0) { S.stepF = 0; emit({ step: true }); return; }
    pause();
    return;
  }
  S.stepF = Math.min(S.N, S.stepF + dt * rate());
  emit({ step: true, frame: true });
}

export function goto(k) {
  const was = S.playing;
  S.playing = false;
  S.stepF = Math.max(0, Math.min(S.N, Math.round(k)));
  emit({ play: was, step: true });
}

export function stepBy(delta) {
  goto(Math.floor(S.stepF) + delta);
}

export function restart() {
  S.stepF = 0;
  emit({ step: true, restart: true });
}

export function setSpeed(v) {
  const s = snapSpeed(v);
  if (s === S.speed) return;
  S.speed = s;
  emit({ speed: true });
}

// --------------------------------------------------------------- runs
function runKeys() {
  return S.d ? S.d.runs.map((r) => r.key) : [];
}

export function hiddenIndices() {
  return S.d ? S.d.runs.filter((r) => S.hidden.has(r.key)).map((r) => r.i) : [];
}

export function toggleHidden(key) {
  if (S.hidden.has(key)) S.hidden.delete(key); else S.hidden.add(key);
  if (S.hidden.has(key) && S.front === key) S.front = null;
  emit({ runs: true });
}

// Show only this run; on a run already shown alone, show them all again.
export function solo(key) {
  const keys = runKeys();
  const alone = keys.every((k) => (k === key) !== S.hidden.has(k));
  S.hidden = alone ? new Set() : new Set(keys.filter((k) => k !== key));
  if (S.front !== null && S.hidden.has(S.front)) S.front = null;
  emit({ runs: true });
}

// Bring a run to the front and highlight it; again on it releases it.
export function setFront(key) {
  S.front = S.front === key || key == null ? null : key;
  if (S.front !== null) S.hidden.delete(S.front);
  emit({ runs: true, front: true });
}

export function frontRun() {
  return S.d && S.front !== null ? S.d.runs.find((r) => r.key === S.front) || null : null;
}

// ------------------------------------------------------- inside a step
export function setInside(on) {
  if (S.inside.on === !!on) return;
  S.inside.on = !!on;
  emit({ inside: true });
}

export function toggleOverlay(kind) {
  if (!(kind in S.inside.show)) return;
  S.inside.show[kind] = !S.inside.show[kind];
  emit({ inside: true });
}

// The payload's `inside.on` (null: no button): it applies on the first
// payload and whenever the server changes it.
export function loadInside(flag) {
  if (flag !== null && flag !== S.inside.payloadOn) S.inside.on = flag;
  S.inside.payloadOn = flag;
  if (flag === null) S.inside.on = false;
}

// ---------------------------------------------------------- payloads
// A new prepared payload and its viewer. A viewer field applies on the first
// payload and whenever the server changes it (a lesson step, a new link);
// a payload that repeats it leaves what the user chose since.
export function load(d, viewer) {
  const first = S.viewer === null;
  const prev = S.viewer || {};
  const changed = (k) => first || JSON.stringify(prev[k]) !== JSON.stringify(viewer[k]);
  S.d = d;
  S.rev += 1;
  d.rev = S.rev;
  S.N = d.N;
  S.playing = false;
  S.pending = null;
  S.present = viewer.present;
  S.loop = viewer.loop;
  S.stepF = viewer.step !== null && changed("step") ? Math.min(S.N, viewer.step) : S.N;
  if (changed("speed")) S.speed = snapSpeed(viewer.speed === null ? 1 : viewer.speed);
  // runs keep their keys across reruns; drop keys of runs that are gone
  const keys = new Set(d.runs.map((r) => r.key));
  if (changed("hide")) {
    S.hidden = new Set(viewer.hide.filter((i) => i < d.runs.length).map((i) => d.runs[i].key));
  } else {
    S.hidden = new Set([...S.hidden].filter((k) => keys.has(k)));
  }
  if (S.front !== null && (!keys.has(S.front) || S.hidden.has(S.front))) S.front = null;
  const view = first || d.view !== S.payloadView ? d.view : S.view;
  S.payloadView = d.view;
  S.viewer = viewer;
  return { view: view, autoplay: viewer.autoplay };
}
