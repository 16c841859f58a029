// Streamlit's component protocol (v1) over postMessage: the only place that
// talks to the host page's Streamlit.
//
// Standalone mode: a page that holds its payload in
// <script type="application/json" id="player-payload"> (an exported page,
// visualizer/export/html.py) has no Streamlit. There nothing is sent, and
// the payload is rendered once the player is ready, with the window's
// height as the frame height, and again (same payload, new height) when the
// window is resized.

const embedded = document.getElementById("player-payload");
export const standalone = !!embedded;
const MIN_STANDALONE_HEIGHT = 420;
let renderHandler = null;

function send(type, extra) {
  if (standalone) return;
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

let sentHeight = -1;
export function setFrameHeight(height) {
  if (height === sentHeight) return;
  sentHeight = height;
  send("streamlit:setFrameHeight", { height: height });
}

// The component's value: what Python's player() returns. JSON only.
export function setValue(value) {
  send("streamlit:setComponentValue", { value: value, dataType: "json" });
}

// `handler(args)` for every render message from the host page (and only
// from it: another frame's messages are ignored); standalone, for the
// embedded payload.
export function onRender(handler) {
  if (standalone) { renderHandler = handler; return; }
  window.addEventListener("message", (ev) => {
    if (ev.source !== window.parent) return;
    const m = ev.data;
    if (!m || m.type !== "streamlit:render") return;
    handler(m.args && typeof m.args === "object" ? m.args : {});
  });
}
