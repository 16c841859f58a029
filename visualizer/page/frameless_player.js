// The player as a Streamlit custom component v2 (frameless: a shadow root in
// the page, no iframe). Streamlit runs this module from a blob: URL, so it
// imports nothing relative: the player's own files come from the folder
// the v1 declaration serves (__FOLDER__, the frontend's version
// __VERSION__). Streamlit calls the default export on every new payload,
// with the same shadow root while the element stays mounted.
//
// Loaded once per page: plotly.js (a classic script in the document), the
// player's markup (index.html's #app, moved into the shadow root) and
// stylesheet (a <link> in the shadow root), then main.js, whose modules
// find the shadow root through globalThis.__optvizFrameless (component.js).
// Plotly writes its CSS into the document's <head>, which a shadow root
// does not see: its rules are mirrored into the shadow root.

const FOLDER = new URL("__FOLDER__", document.baseURI).href;
const TAG = "?v=__VERSION__";

const host = (globalThis.__optvizFrameless = globalThis.__optvizFrameless || {
  folder: FOLDER, root: null, app: null, link: null, render: null, setValue: null, loading: null, pending: null,
});

function classicScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error("cannot load " + src));
    document.head.appendChild(s);
  });
}

// Plotly's rules (id "plotly.js-style-global" and one per mode bar) into a
// sheet the shadow root adopts; again whenever Plotly adds a <style>.
const mirror = new CSSStyleSheet();
function syncPlotlyCss() {
  const rules = [];
  for (const s of document.head.querySelectorAll('style[id^="plotly.js-style"]')) {
    try { for (const r of s.sheet.cssRules) rules.push(r.cssText); } catch (e) { /* not readable */ }
  }
  const text = rules.join("\n");
  if (text !== mirror._text) { mirror.replaceSync(text); mirror._text = text; }
}
new MutationObserver(syncPlotlyCss).observe(document.head, { childList: true });

function place(root) {
  if (host.app.getRootNode() !== root) root.append(host.link, host.app);
  if (!root.adoptedStyleSheets.includes(mirror)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, mirror];
}

async function start(root) {
  const plotly = window.Plotly ? null : classicScript(FOLDER + "plotly-gl3d.min.js" + TAG);
  const markup = fetch(FOLDER + "index.html").then((r) => r.text());
  const doc = new DOMParser().parseFromString(await markup, "text/html");
  host.app = document.importNode(doc.getElementById("app"), true);
  host.link = document.createElement("link");
  host.link.rel = "stylesheet";
  host.link.href = FOLDER + "player.css" + TAG;
  const css = new Promise((resolve) => { host.link.onload = resolve; host.link.onerror = resolve; });
  place(root);
  await Promise.all([plotly, css]);
  syncPlotlyCss();
  await import(FOLDER + "main.js" + TAG);
}

export default function (component) {
  const root = component.parentElement;
  host.root = root;
  host.setValue = (value) => component.setStateValue("value", value);
  host.pending = component.data || {};
  if (!host.loading) host.loading = start(root);
  host.loading.then(() => {
    place(root);
    syncPlotlyCss();
    if (host.render) host.render(host.pending);
  });
}
