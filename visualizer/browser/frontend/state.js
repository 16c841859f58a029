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
//
// The viewer's keys (the payload's table, payload.js) are read and written
// here: BINDINGS says what the ones the player acts on mean; any other key
// is carried as the payload gives it.
//
// Asking (predict=1, predict.js): a question is open. The step is held at
// 0 (the starts), nothing plays, and the views, the charts and the panels
// leave out whatever tells the outcome until it is answered.

const SEC_PER_RUN = 6; // 1x plays a whole run in about this many seconds

export const S = {
  d: null,            // the prepared payload (payload.js)
  sig: null,          // JSON of the last payload: a rerun with the same payload changes nothing
  rev: 0,             // payloads seen
  N: 0,               // last step
  stepF: 0,           // current (fractional while playing) step
  playing: false,
  speed: 1,           // the rate's multiplier (the viewer's speed key sets it)
  view: "2d",
  hidden: new Set(),  // keys (index|label) of hidden runs: they outlive reruns
  front: null,        // key of the run brought to the front, or null
  present: false,
  embed: false,       // alone in a frame of another page: fitted to it, as a presentation is
  predict: false,     // the viewer's predict key: ask first
  asking: false,      // a question is open (predict.js): outcomes hidden, step held at 0
  loop: false,
  viewer: null,       // the last payload's viewer keys and values (payload.viewer)
  setStart: false,    // "Set start" armed: the next click on the plot is a start
  pending: null,      // clicked start waiting for the new payload
  nonce: 0,
  height: 640,        // the frame height Python asked for
  narrow: false,
  stale2d: true,      // the hidden view was not redrawn for the last payload or size
  stale3d: true,
  baseSig: null,      // JSON of the last payload without its "inside" parts
  classless: null,    // JSON of the last payload without its "class" part (live.js)
  // "Inside a step": on or off (the toolbar's button; the payload's `inside.on`
  // applies when it changes), and the overlays the viewer switched off in
  // the key (by kind: false; every other overlay is shown)
  inside: { on: false, payloadOn: null, show: {} },
};

const listeners = [];
export function subscribe(fn) { listeners.push(fn); }
function emit(what) { for (const fn of listeners) fn(what); }

function rate() {
  const N = Math.max(1, S.N);
  const seconds = Math.min(SEC_PER_RUN, Math.max(1.5, N * 0.3));
  return (N / seconds) * S.speed;
}

export function step() {
  return Math.min(S.N, Math.floor(S.stepF));
}

export function play() {
  if (!S.d || S.playing || S.asking) return;
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
  if (S.asking) return;
  const was = S.playing;
  S.playing = false;
  S.stepF = Math.max(0, Math.min(S.N, Math.round(k)));
  emit({ play: was, step: true });
}

export function stepBy(delta) {
  goto(Math.floor(S.stepF) + delta);
}

export function restart() {
  if (S.asking) return;
  S.stepF = 0;
  emit({ step: true, restart: true });
}

// One of the speed key's values (the toolbar offers no other).
export function setSpeed(v) {
  if (!(typeof v === "number" && v > 0) || v === S.speed) return;
  S.speed = v;
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

export function overlayShown(kind) {
  return S.inside.show[kind] !== false;
}

export function toggleOverlay(kind) {
  if (typeof kind !== "string") return;
  S.inside.show[kind] = !overlayShown(kind);
  emit({ inside: true });
}

// The payload's `inside.on` (null: no button): it applies on the first
// payload and whenever the server changes it.
export function loadInside(flag) {
  if (flag !== null && flag !== S.inside.payloadOn) S.inside.on = flag;
  S.inside.payloadOn = flag;
  if (flag === null) S.inside.on = false;
}

// ------------------------------------------------------------- asking
// Open (the step back to the starts, paused) or answered: then it plays
// from the start.
export function setAsking(on) {
  on = !!on;
  const changed = on !== S.asking;
  S.asking = on;
  if (on || changed) { S.playing = false; S.stepF = 0; }
  if (changed) emit({ asking: true, play: true, step: true });
}

// ---------------------------------------------------------- payloads
// What each viewer key the player acts on means here. `load(value, changed,
// d, out)` on every payload, `changed` when it applies: a key the player
// writes applies on the first payload and whenever the server changes it
// (a lesson step, a new link), and a payload that repeats it leaves what
// the viewer chose since; a key the server writes always applies. `out`
// collects what main.js does after loading ({view, autoplay}). `now()`:
// the key's value now, for the address (a key the player writes).
const BINDINGS = {
  view: { load: (v, changed, d, out) => { if (changed) out.view = v; }, now: () => S.view },
  // a new payload shows the full paths, unless it asks for a step
  step: { load: (v, changed) => { if (v !== null && changed) S.stepF = Math.min(S.N, v); },
    // while a question is open the step held is not the viewer's choice
    now: () => { const k = step(); return S.asking ? S.viewer.values.step : !S.playing && k !== S.N ? k : null; } },
  speed: { load: (v, changed) => { if (changed) S.speed = v; }, now: () => S.speed },
  hide: {
    load: (v, changed, d) => {
      if (changed) S.hidden = new Set(v.filter((n) => n <= d.runs.length).map((n) => d.runs[n - 1].key));
    },
    now: () => hiddenIndices().map((i) => i + 1),
  },
  present: { load: (v) => { S.present = v; } },
  embed: { load: (v) => { S.embed = v; } },
  predict: { load: (v) => { S.predict = v; } },
  loop: { load: (v) => { S.loop = v; } },
  autoplay: { load: (v, changed, d, out) => { out.autoplay = v; } },
};

// Presentation mode alone, before the payload is prepared: the style
// depends on it.
export function loadPresent(viewer) {
  BINDINGS.present.load(viewer.values.present === true);
  BINDINGS.embed.load(viewer.values.embed === true);
}

// The value of viewer key `key` now: the player's own where it writes the
// key and acts on it, else the payload's.
export function viewerValue(key) {
  const b = BINDINGS[key.name];
  return key.writer === "player" && b && b.now ? b.now() : S.viewer.values[key.name];
}

// A new prepared payload and its viewer (payload.viewer): the full paths,
// paused at the last step, the runs hidden before still hidden (runs keep
// their keys across reruns; keys of runs that are gone are dropped), then
// whatever its viewer keys say.
export function load(d, viewer) {
  const prev = S.viewer;
  S.d = d;
  S.rev += 1;
  d.rev = S.rev;
  S.N = d.N;
  S.playing = false;
  S.pending = null;
  S.stepF = S.N;
  const keys = new Set(d.runs.map((r) => r.key));
  S.hidden = new Set([...S.hidden].filter((k) => keys.has(k)));
  const out = { view: S.view, autoplay: false };
  for (const key of viewer.keys) {
    const b = BINDINGS[key.name], v = viewer.values[key.name];
    const changed = key.writer === "server" || !prev || JSON.stringify(prev.values[key.name]) !== JSON.stringify(v);
    if (b) b.load(v, changed, d, out);
  }
  if (S.front !== null && (!keys.has(S.front) || S.hidden.has(S.front))) S.front = null;
  S.viewer = viewer;
  return out;
}
