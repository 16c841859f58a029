// What every Plotly figure of the player shares: config, fonts, colours,
// and making untrusted text safe for Plotly (which renders some HTML).

import { style, FONT } from "./marks.js";

// A touch screen (a phone, a tablet): a finger dragging over a figure
// scrolls the page instead of zooming it.
export const TOUCH = !!(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);

export const PLOT_CONFIG = {
  displaylogo: false,
  responsive: false,
  scrollZoom: false,
  doubleClick: "reset",
  modeBarButtonsToRemove: ["toImage", "lasso2d", "select2d", "autoScale2d", "toggleSpikelines",
    "hoverClosestCartesian", "hoverCompareCartesian", "resetCameraLastSave3d", "hoverClosest3d", "orbitRotation", "tableRotation"],
};

export function baseLayout() {
  const f = style().font;
  return {
    modebar: { bgcolor: "rgba(255,255,255,0.9)", color: "#6b7280", activecolor: "#1f5fbf" },
    font: { family: FONT, size: f.tick, color: style().figure.text },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    hoverlabel: { font: { family: FONT, size: f.hover } },
  };
}

// Plotly renders a subset of HTML in text; labels must stay plain text.
export function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// For hover texts and titles only: the legend never shortens a label.
export function clip(s, n) {
  s = String(s);
  return s.length > n ? s.slice(0, n - 1) + "\u2026" : s;
}

// A surface's name as a title, then shorter: without its last parenthesis
// ("Network, plane of run 1 (97% of its path)": the data panel says how
// much); each clipped to `n` characters.
export function titleForms(name, n) {
  const forms = [clip(name, n)];
  const short = name.replace(/\s*\([^()]*\)\s*$/, "");
  if (short && short !== name) forms.push(clip(short, n));
  return forms;
}
