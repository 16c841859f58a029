// Where the player lives and how it talks to its host: the only place that
// talks to Streamlit. Three modes:
//
// - In an iframe (Streamlit's custom component v1): the protocol over
//   postMessage, without the npm helper.
// - Frameless (Streamlit's custom component v2, visualizer/page/
//   frameless_player.js): in a shadow root of the page itself. The loader
//   leaves globalThis.__optvizFrameless before it imports main.js: the shadow
//   root, the folder the files come from, setValue, and where to hand each
//   payload (render).
// - Standalone: a page that holds its payload in
//   <script type="application/json" id="player-payload"> (an exported page,
//   visualizer/export/html.py) has no Streamlit. There nothing is sent, and
//   the payload is rendered once the player is ready, with the window's
//   height as the frame height, and again (same payload, new height) when the
//   window is resized.

const frameless = globalThis.__optvizFrameless || null;
// Where the player's elements are looked up: the shadow root, or the document.
export const root = frameless ? frameless.root : document;
const embedded = frameless ? null : document.getElementById("player-payload");
export const standalone = !!embedded;
const MIN_STANDALONE_HEIGHT = 420;
let renderHandler = null;

// A file of the player's folder (KaTeX, loaded on first use): relative to
// the frame's page, or the folder's address when the page is Streamlit's.
export function asset(name) {
  return frameless ? frameless.folder + name : name;
}

// A stylesheet for the player's elements. Frameless, it goes into the
// shadow root, and its @font-face rules into the document too: fonts
// declared only inside a shadow root are not loaded.
export function addStylesheet(href) {
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  if (!frameless) { document.head.appendChild(link); return; }
  frameless.app.parentNode.insertBefore(link, frameless.app);
  fetch(href).then((r) => r.text()).then((css) => {
    const faces = (css.match(/@font-face\s*{[^}]*}/g) || []).map((rule) =>
      rule.replace(/url\(([^)]+)\)/g, (m, u) => "url(" + new URL(u.replace(/["']/g, ""), new URL(href, location.href)).href + ")"));
    const style = document.createElement("style");
    style.textContent = faces.join("\n");
    document.head.appendChild(style);
  }).catch(() => { /* the math falls back to the page's fonts */ });
}

// The element the player sits in: the iframe in the host page, the shadow
// root's host, or none (standalone).
function hostElement() {
  if (frameless) return frameless.root.host || null;
  try { return window.frameElement || null; } catch (e) { return null; }
}

// The width the player has, in CSS pixels.
export function width() {
  const h = frameless && hostElement();
  if (h) return h.clientWidth;
  return document.documentElement.clientWidth || window.innerWidth || 800;
}

// The top of the player in the page's viewport, and that viewport's height
// (null when the player has no host page: standalone).
export function viewport() {
  const h = hostElement();
  let win = window;
  try { if (!frameless) win = window.parent; } catch (e) { return null; }
  if (!h || !win || (!frameless && win === window)) return null;
  let top = h.getBoundingClientRect().top;
  if (!frameless) for (let n = h.parentElement; n; n = n.parentElement) top += n.scrollTop || 0;
  return { top: top, height: win.innerHeight };
}

// `fn` whenever the window showing the page changes size (a frame only
// hears about its own width); the listener goes with the frame.
export function onViewportResize(fn) {
  let win = window;
  if (!frameless) {
    try { win = window.parent !== window ? window.parent : null; } catch (e) { win = null; }
  }
  if (!win) return;
  win.addEventListener("resize", fn);
  if (frameless) return;
  const off = () => { try { win.removeEventListener("resize", fn); } catch (e) { /* gone */ } };
  window.addEventListener("pagehide", off);
  window.addEventListener("unload", off);
}

function send(type, extra) {
  if (standalone || frameless) return;
  window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, extra || {}), "*");
}

function embeddedPayload() {
  try {
    return JSON.parse(embedded.textContent || "{}");
  } catch (e) {
    return {};
  }
}

function renderStandalone() {
  const payload = embeddedPayload();
  const height = () => Math.max(MIN_STANDALONE_HEIGHT, Math.floor(window.innerHeight || 0) - 2);
  const render = () => { if (renderHandler) renderHandler({ payload: payload, height: height() }); };
  let timer = 0;
  window.addEventListener("resize", () => { clearTimeout(timer); timer = setTimeout(render, 120); });
  render();
}

export function ready() {
  if (standalone) { setTimeout(renderStandalone, 0); return; }
  send("streamlit:componentReady", { apiVersion: 1 });
}

// Frameless, the element is as tall as its content: nothing to send.
let sentHeight = -1;
export function setFrameHeight(height) {
  if (height === sentHeight) return;
  sentHeight = height;
  send("streamlit:setFrameHeight", { height: height });
}

// The component's value: what Python's player() returns. JSON only.
export function setValue(value) {
  if (frameless) { frameless.setValue(value); return; }
  send("streamlit:setComponentValue", { value: value, dataType: "json" });
}

// `handler(args)` for every render message from the host page (and only
// from it: another frame's messages are ignored); frameless, for every
// payload the loader hands over; standalone, for the embedded payload.
export function onRender(handler) {
  if (standalone) { renderHandler = handler; return; }
  if (frameless) { frameless.render = handler; return; }
  window.addEventListener("message", (ev) => {
    if (ev.source !== window.parent) return;
    const m = ev.data;
    if (!m || m.type !== "streamlit:render") return;
    handler(m.args && typeof m.args === "object" ? m.args : {});
  });
}

// Whether a key press came from the player's own elements. Frameless, the
// document hears every key of the page; inside the shadow root the event's
// target is retargeted to its host, so the path decides.
export function keyTarget(ev) {
  if (!frameless) return { own: true, target: ev.target };
  const path = ev.composedPath ? ev.composedPath() : [];
  return { own: path.includes(frameless.root), target: path[0] || ev.target };
}
