// The address bar: the payload's query (the scene, with the viewer keys
// the server writes: present, autoplay, loop) with the viewer keys the
// player writes (view, step, speed, hide) put in from what this viewer
// chose, each where the table of viewer keys places it (the payload's
// `viewer.keys`, in the canonical order of visualizer/core/scene.py, after
// every other key) and only when it differs from its default: the same
// address Scene.to_query() writes for what is shown. Written with
// history.replaceState on the host page (same origin), throttled, never
// per animation frame.
//
// The page's "Present" link (st.link_button, key "present") is built by the
// server from the scene it knows; what this viewer chose since lives in the
// address bar only. So when the link is pointed at, focused or clicked, it
// takes this viewer's scene, in presentation mode and playing.

import { S, viewerValue } from "./state.js";

const THROTTLE_MS = 250;

// The address's query for what is shown; `set` ({name: value}) and `reset`
// ([name]) change keys on the way (the Present link's).
export function viewerQuery(set, reset) {
  const d = S.d, V = S.viewer;
  if (!d || d.query === null || !V) return null;
  set = set || {};
  reset = reset || [];
  const byName = new Map(V.keys.map((k) => [k.name, k]));
  const parts = [], server = {};
  for (const p of d.query.split("&")) {
    if (!p) continue;
    const key = byName.get(p.split("=")[0]);
    if (!key) parts.push(p);
    else if (key.writer === "server") server[key.name] = p;
  }
  for (const key of V.keys) {
    let v;
    if (reset.includes(key.name)) v = key.default;
    else if (Object.hasOwn(set, key.name)) v = key.value(set[key.name]);
    else if (key.writer === "server") { if (server[key.name]) parts.push(server[key.name]); continue; }
    else v = viewerValue(key);
    const text = key.isDefault(v) ? undefined : key.text(v);
    if (text !== undefined) parts.push(key.name + "=" + text);
  }
  return parts.join("&");
}

function write() {
  const q = viewerQuery();
  if (q === null) return;
  try {
    const loc = window.parent.location;
    if (loc.search.replace(/^\?/, "") !== q) {
      window.parent.history.replaceState(window.parent.history.state, "", (q ? "?" + q : loc.pathname) + loc.hash);
    }
  } catch (e) { /* not same-origin: the address bar cannot follow */ }
}

let timer = 0;
export function scheduleUrl() {
  if (timer) return;
  timer = setTimeout(() => { timer = 0; write(); }, THROTTLE_MS);
}

// Now (a new payload, or before copying the address).
export function flushUrl() {
  clearTimeout(timer);
  timer = 0;
  write();
}

// The address this viewer would share: exactly what the address bar holds.
function currentAddress() {
  flushUrl();
  try {
    return window.parent.location.href;
  } catch (e) {
    const q = viewerQuery();
    const base = (document.referrer || "").split("?")[0];
    return base + (q ? "?" + q : "");
  }
}

export function copyAddress() {
  const href = currentAddress();
  const fallback = () => {
    const ta = document.createElement("textarea");
    ta.value = href; ta.setAttribute("readonly", ""); ta.style.position = "fixed"; ta.style.opacity = "0";
    document.body.appendChild(ta); ta.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    ta.remove();
    return ok;
  };
  try {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(href).then(() => true, fallback);
    }
  } catch (e) { /* fall through */ }
  return Promise.resolve(fallback());
}

// This viewer's address as a presentation that plays on load: the shown
// step is left out (it plays from the start).
export function presentAddress() {
  const q = viewerQuery({ present: true, autoplay: true }, ["step"]);
  return q === null ? null : "?" + q;
}

const PRESENT_LINK = ".st-key-present a";

export function followPresentLink() {
  let host;
  try { host = window.parent; host.document.body; } catch (e) { return; } // not same-origin: the link stays
  const update = (ev) => {
    const a = ev.target && ev.target.closest ? ev.target.closest(PRESENT_LINK) : null;
    if (!a) return;
    flushUrl();
    const href = presentAddress();
    if (href !== null) a.setAttribute("href", href);
  };
  // One listener per host page: a player drawn again replaces its own.
  for (const type of ["click", "pointerover", "focusin"]) {
    if (host.__presentLinkListener) host.document.removeEventListener(type, host.__presentLinkListener, true);
    host.document.addEventListener(type, update, true);
  }
  host.__presentLinkListener = update;
}
