// The address bar: the payload's query (the scene, plus whatever the server
// put there: present, autoplay, loop, lesson) followed by what this viewer
// chose, when it differs from the defaults, in this order:
//   view=3d, step=k (paused anywhere but the last step), speed=s (not 1),
//   hide=2,5 (1-based run numbers).
// Written with history.replaceState on the host page (same origin),
// throttled, never per animation frame.
//
// The page's "Present" link (st.link_button, key "present") is built by the
// server from the scene it knows; what this viewer chose since lives in the
// address bar only. So when the link is pointed at, focused or clicked, it
// takes the address bar's scene, in presentation mode and playing.

import { S, hiddenIndices, step } from "./state.js";

const VIEWER_KEYS = new Set(["view", "step", "speed", "hide"]);
const THROTTLE_MS = 250;

export function viewerQuery() {
  const d = S.d;
  if (!d || d.query === null) return null;
  const parts = d.query.split("&").filter((p) => p && !VIEWER_KEYS.has(p.split("=")[0]));
  if (S.view === "3d") parts.push("view=3d");
  const k = step();
  if (!S.playing && k !== S.N) parts.push("step=" + k);
  if (S.speed !== 1) parts.push("speed=" + S.speed);
  const hide = hiddenIndices();
  if (hide.length) parts.push("hide=" + hide.map((i) => i + 1).join(","));
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

// The address of `search` (an address bar's query) as a presentation that
// plays on load: the shown step is left out (it plays from the start).
export function presentAddress(search) {
  const parts = search.replace(/^\?/, "").split("&")
    .filter((p) => p && !["step", "present", "autoplay"].includes(p.split("=")[0]));
  return "?" + [...parts, "present=1", "autoplay=1"].join("&");
}

const PRESENT_LINK = ".st-key-present a";

export function followPresentLink() {
  let host;
  try { host = window.parent; host.document.body; } catch (e) { return; } // not same-origin: the link stays
  const update = (ev) => {
    const a = ev.target && ev.target.closest ? ev.target.closest(PRESENT_LINK) : null;
    if (!a) return;
    flushUrl();
    a.setAttribute("href", presentAddress(host.location.search));
  };
  // One listener per host page: a player drawn again replaces its own.
  for (const type of ["click", "pointerover", "focusin"]) {
    if (host.__presentLinkListener) host.document.removeEventListener(type, host.__presentLinkListener, true);
    host.document.addEventListener(type, update, true);
  }
  host.__presentLinkListener = update;
}
