// Streamlit's component protocol (v1) over postMessage: the only place that
// talks to the host page's Streamlit.

function send(type, extra) {
  window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, extra || {}), "*");
}

export function ready() {
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
// from it: another frame's messages are ignored).
export function onRender(handler) {
  window.addEventListener("message", (ev) => {
    if (ev.source !== window.parent) return;
    const m = ev.data;
    if (!m || m.type !== "streamlit:render") return;
    handler(m.args && typeof m.args === "object" ? m.args : {});
  });
}
