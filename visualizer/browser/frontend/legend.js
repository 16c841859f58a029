// The run legend: plain HTML (labels via textContent only, never markup),
// one row per run. Clicking a run brings it to the front and highlights it
// (again releases it); the eye hides or shows it, "only" shows it alone.
// Alt-click on a run hides it, double-click shows it alone. Labels wrap,
// never clipped; only the compact legend (layout.js, when the rows do not
// fit) cuts a long label, whole in its tooltip.

import { el } from "./dom.js";
import { S } from "./state.js";
import { swatch, markIcon, svgEl } from "./marks.js";

function eyeIcon() {
  const svg = svgEl("svg", { viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false", class: "eye-icon" });
  svgEl("path", { d: "M2 12s3.6-6.5 10-6.5S22 12 22 12s-3.6 6.5-10 6.5S2 12 2 12z", fill: "none", stroke: "currentColor", "stroke-width": 2, "stroke-linejoin": "round" }, svg);
  svgEl("circle", { cx: 12, cy: 12, r: 3.2, fill: "currentColor" }, svg);
  svgEl("path", { class: "slash", d: "M4 20L20 4", stroke: "currentColor", "stroke-width": 2.2, "stroke-linecap": "round" }, svg);
  return svg;
}

// `on` = {front(key), hide(key), solo(key)}
export function buildLegend(d, on) {
  const runs = el.legendRuns, marks = el.legendMarks;
  runs.replaceChildren();
  marks.replaceChildren();
  for (const r of d.runs) {
    const row = document.createElement("div");
    row.className = "run";
    row.dataset.key = r.key;
    row.dataset.index = String(r.i);
    const pick = document.createElement("button");
    pick.type = "button";
    pick.className = "pick";
    pick.title = "Click: bring this run to the front and highlight it (click again to release). " +
      "Alt-click: hide it. Double-click: show only this run.";
    pick.appendChild(swatch(r.color, r.i));
    const text = document.createElement("span");
    text.className = "text legendtext";
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = r.label;
    text.appendChild(label);
    if (r.diverged != null) {
      text.appendChild(document.createTextNode(" "));
      const dv = document.createElement("span");
      dv.className = "diverged";
      dv.textContent = "\u2715 diverged at step " + r.diverged;
      text.appendChild(dv);
    }
    pick.appendChild(text);
    pick.addEventListener("click", (ev) => {
      if (ev.altKey) on.hide(r.key);
      else if (ev.detail < 2) on.front(r.key);
    });
    pick.addEventListener("dblclick", () => on.solo(r.key));
    const eye = document.createElement("button");
    eye.type = "button";
    eye.className = "eye";
    eye.appendChild(eyeIcon());
    eye.addEventListener("click", () => on.hide(r.key));
    const only = document.createElement("button");
    only.type = "button";
    only.className = "solo";
    only.textContent = "only";
    only.addEventListener("click", () => on.solo(r.key));
    row.append(pick, eye, only);
    runs.appendChild(row);
  }
  const addMark = (kind, label) => {
    const m = document.createElement("span");
    m.className = "mark";
    m.appendChild(markIcon(kind));
    m.appendChild(document.createTextNode(label));
    marks.appendChild(m);
  };
  if (d.minima.length) addMark("min", d.minimaEstimated ? "estimated minimum" : "minimum");
  if (d.saddles.length) addMark("saddle", "saddle point");
  if (d.start) addMark("start", "start");
  else if (d.runStarts) addMark("runstart", "start of each run");
  // what the dotted lines and the shaded boxes are (dynamics.js draws them in each run's colour)
  if (d.runs.some((r) => r.flow)) addMark("flow", "continuous-time flow");
  if (d.runs.some((r) => r.band)) addMark("cloud", "middle 80% of the copies");
  el.legend.hidden = !d.runs.length && !marks.childNodes.length;
  updateLegend();
}

export function updateLegend() {
  const keys = [...el.legendRuns.children].map((row) => row.dataset.key);
  const shown = keys.filter((k) => !S.hidden.has(k));
  for (const row of el.legendRuns.children) {
    const key = row.dataset.key, hidden = S.hidden.has(key), front = S.front === key;
    const label = row.querySelector(".label").textContent;
    row.classList.toggle("hidden", hidden);
    row.classList.toggle("front", front);
    const pick = row.querySelector(".pick"), eye = row.querySelector(".eye"), only = row.querySelector(".solo");
    pick.setAttribute("aria-pressed", String(front));
    eye.setAttribute("aria-pressed", String(!hidden));
    eye.setAttribute("aria-label", (hidden ? "Show " : "Hide ") + label);
    eye.title = hidden ? "Show this run" : "Hide this run";
    const alone = shown.length === 1 && shown[0] === key && keys.length > 1;
    row.classList.toggle("alone", alone);
    only.setAttribute("aria-pressed", String(alone));
    only.setAttribute("aria-label", (alone ? "Show all runs" : "Show only ") + (alone ? "" : label));
    only.title = alone ? "Show all runs again" : "Show only this run";
  }
}
