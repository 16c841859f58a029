// THE style table: every colour, line width, dash, marker size and font
// size the player draws with, for normal and presentation mode, and the
// painters that draw marks with it (canvas for the plots, SVG for the
// legend), so the legend's icons are the plot's marks.
//
// Run colours are not here: they come with the payload (runs[i].color, else
// the payload's palette, which visualizer/browser/payload.py owns).

export const FONT = '"Source Sans Pro", "Source Sans 3", system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif';

const NORMAL = {
  name: "normal",
  font: {
    ui: 14,          // toolbar, legend, readouts (CSS follows the same figures)
    tick: 13,        // axis tick labels, colour bar
    axisTitle: 14,   // x, y, step
    title: 17,       // the surface's name over the plot
    chartTitle: 14,  // "loss (log scale)" over each side chart
    note: 13,        // small notes in charts (the log floor)
    label: 14,       // text drawn on the canvas ("diverged at step 4")
    hover: 13,
  },
  run: {
    width: 3, halo: 6.5, haloColor: "rgba(255,255,255,0.85)",
    frontWidth: 4.5, frontHalo: 9, dimAlpha: 0.35,
    // by run index: the first solid, every other one its own dash
    // pattern, so two runs on the same track still show both colours
    dashes: [[], [11, 6], [0.1, 6.5], [16, 5, 0.1, 5], [5, 4], [22, 6], [12, 4, 0.1, 4, 0.1, 4], [7, 3, 2, 3]],
    fallbackColor: "#4d4d4d", // only when the payload sends no palette
  },
  head: { r: 7, ring: 2, ringColor: "#ffffff", outline: 1, outlineColor: "rgba(0,0,0,0.6)", arrow: 8 },
  curve: { width: 2, frontWidth: 3.5, dimAlpha: 0.45, dot: 4.5, dotRing: 1.5 },
  cursor: { color: "rgba(26,26,26,0.75)", width: 1.5, dash: [4, 3] },
  floor: { color: "#8a919b", width: 1, dash: [2, 3] },
  // outlined, lightly filled and above the paths: a path ending in the
  // minimum stays visible through it
  minimum: { r: 9, inner: 3.9, stroke: "#1a1a1a", width: 1.7, fill: "rgba(255,196,0,0.45)",
    halo: "rgba(255,255,255,0.95)", haloWidth: 4.2 },
  saddle: { s: 5, color: "#1a1a1a", width: 2.4, halo: "#ffffff", haloWidth: 5 },
  start: { r: 6.5, fill: "#ffffff", stroke: "#1a1a1a", width: 2.5 },
  runStart: { r: 5, width: 2.5, fill: "rgba(255,255,255,0.9)" },
  diverged: { color: "#c4001d", s: 7.5, width: 3.2, halo: "#ffffff", haloWidth: 6 },
  pending: { r: 8, color: "#1a1a1a", width: 2.5, dash: [3, 3] },
  label: { halo: "rgba(255,255,255,0.92)", haloWidth: 4, weight: 600, color: "#1a1a1a" },
  levels: { color: "rgba(45,55,72,0.28)", width: 0.8 },
  // "Inside a step" (overlays.js): arrows from the point shown, all at one
  // scale, each with a white halo; the update is the loudest, the gradient
  // and the moment thinner; the box dashed and lightly filled. Colours kept
  // apart from each other and readable on the grey contour.
  inside: {
    grad: { color: "#C4123F", width: 2.4 },
    update: { color: "#1a1a1a", width: 3.4 },
    moment: { color: "#7A3FB0", width: 2.4 },
    box: { color: "#2f3a48", width: 1.6, dash: [6, 4], fill: "rgba(255,255,255,0.30)" },
    guide: { color: "rgba(30,30,30,0.55)", width: 1.2, dash: [3, 3] },
    halo: "rgba(255,255,255,0.92)", haloExtra: 3.5,
    head: 10, headWidth: 8, // px: arrow head length and width
    minLength: 18,          // px: a shorter arrow is drawn this long, its shaft dotted
    stretchDash: [0.1, 3],
    momentDash: [9, 5],
    fraction: 0.25,         // the longest arrow near the step fills this much of the plot
  },
  // A network's data panel (model.js). The two classes in colours no run
  // has (purple and orange, apart for every colour vision), points whose
  // labels are not kept grey; P(class 1) a light shading towards the class
  // it favours (strongest `shade` where the network is sure), P = 1/2 a
  // line in the run's colour over a white halo.
  data: {
    classes: ["#5E3C99", "#E66101"],
    unlabelled: "#b3b8bf",
    point: { r: 3.2, ring: 0.9, ringColor: "rgba(255,255,255,0.95)" },
    test: { r: 3.4, width: 1.5 },
    shade: 0.3, shadeGain: 1.5,
    line: { width: 2.6, halo: 3, haloColor: "rgba(255,255,255,0.9)" },
    frame: "#50575f",
  },
  // Explorations (explore.js). The map's scale runs from the low end of
  // what it shows (a small loss, few steps, a fast rate: light, as the
  // contour's valleys are light) to the high end (dark): viridis, reversed.
  // Diverged variants have one colour of their own that no scale reaches,
  // so they never stretch it; "never within tol" another.
  explore: {
    scale: [[0, "#fde725"], [0.25, "#5ec962"], [0.5, "#21918c"], [0.75, "#3b528b"], [1, "#440154"]],
    diverged: "#d1364a",     // map cells, lr markers, the key
    never: "#cdd2d8",        // steps to arrive: not within tol
    curve: { color: "#1a1a1a", width: 2, dot: 2.2 },
    band: "rgba(0,158,115,0.22)", bandText: "#00704f", // where it arrives within tol
    limit: { color: "#1a1a1a", width: 1.6, dash: "dash" },           // the stability limit
    own: { width: 2.5, r: 7, halo: "rgba(255,255,255,0.95)", haloWidth: 5 }, // the run's own value (run colour)
    hover: { color: "#1a1a1a", width: 1.5, halo: "rgba(255,255,255,0.9)" },
    best: { r: 8 },          // the fastest cell of the exact rate plane (a star)
    // basins over the contour: each minimum a hue from the payload's
    // palette, mixed with white by how long the run took to arrive
    basin: { fastest: 0.3, slowest: 0.78, never: 0.88, alpha: 1,
      noMinimum: "#e6e8ec", diverged: "#eda0a9" }, // f not finite at the start: contour.js's mask
  },
};

// For the back of a classroom: nothing under 18 px, thicker paths, bigger
// heads and marks.
const PRESENT = merge(NORMAL, {
  name: "present",
  font: { ui: 18, tick: 18, axisTitle: 19, title: 22, chartTitle: 18, note: 18, label: 19, hover: 18 },
  run: { width: 4.5, halo: 9, frontWidth: 6.5, frontHalo: 12,
    dashes: [[], [15, 8], [0.1, 9.5], [22, 7, 0.1, 7], [7, 6], [30, 8], [16, 6, 0.1, 6, 0.1, 6], [10, 4, 3, 4]] },
  head: { r: 10.5, ring: 2.5, arrow: 11 },
  curve: { width: 3, frontWidth: 5, dot: 6.5, dotRing: 2 },
  cursor: { width: 2 },
  minimum: { r: 13, inner: 5.6, width: 2.4, haloWidth: 5.5 },
  saddle: { s: 7, width: 3.2, haloWidth: 6.5 },
  start: { r: 9, width: 3.2 },
  runStart: { r: 7, width: 3.2 },
  diverged: { s: 10, width: 4.2, haloWidth: 8 },
  pending: { r: 11, width: 3.2 },
  label: { haloWidth: 5 },
  levels: { width: 1 },
  inside: { grad: { width: 3.4 }, update: { width: 4.6 }, moment: { width: 3.4 }, box: { width: 2.2 },
    head: 14, headWidth: 11, minLength: 24 },
  data: { point: { r: 4, ring: 1.1 }, test: { r: 4.2, width: 1.9 }, line: { width: 3.6, halo: 3.5 } },
  explore: { curve: { width: 3, dot: 3.2 }, limit: { width: 2.4 }, own: { width: 3.5, r: 9, haloWidth: 7 },
    hover: { width: 2.2 }, best: { r: 11 } },
});

function merge(base, over) {
  const out = {};
  for (const k of Object.keys(base)) {
    const b = base[k], o = over[k];
    out[k] = b && typeof b === "object" && !Array.isArray(b) && o && typeof o === "object" && !Array.isArray(o)
      ? merge(b, o) : (o !== undefined ? o : b);
  }
  for (const k of Object.keys(over)) if (!(k in out)) out[k] = over[k];
  return out;
}

export const STYLES = { normal: NORMAL, present: PRESENT };
let current = NORMAL;

export function setPresent(on) { current = on ? PRESENT : NORMAL; }
export function style() { return current; }

export function runDash(i) {
  const d = current.run.dashes;
  return d[i % d.length];
}

// ---------------------------------------------------------- canvas painters

function starPath(ctx, r, inner, x, y) {
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + i * Math.PI / 5, rr = i % 2 ? inner : r;
    ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a) + 0.06 * r);
  }
  ctx.closePath();
}

export function paintMinimum(ctx, x, y) {
  const m = current.minimum;
  ctx.save();
  ctx.lineJoin = "round";
  starPath(ctx, m.r, m.inner, x, y);
  ctx.strokeStyle = m.halo; ctx.lineWidth = m.haloWidth; ctx.stroke();
  ctx.fillStyle = m.fill; ctx.fill();
  ctx.strokeStyle = m.stroke; ctx.lineWidth = m.width; ctx.stroke();
  ctx.restore();
}

// A cross with a halo, in the style `m` (saddles, diverged runs).
function paintCross(ctx, x, y, m) {
  const s = m.s;
  ctx.save();
  ctx.beginPath();
  ctx.moveTo(x - s, y - s); ctx.lineTo(x + s, y + s); ctx.moveTo(x + s, y - s); ctx.lineTo(x - s, y + s);
  ctx.lineCap = "round";
  ctx.strokeStyle = m.halo; ctx.lineWidth = m.haloWidth; ctx.stroke();
  ctx.strokeStyle = m.color; ctx.lineWidth = m.width; ctx.stroke();
  ctx.restore();
}

export function paintSaddle(ctx, x, y) {
  paintCross(ctx, x, y, current.saddle);
}

// The common start of all runs.
export function paintStart(ctx, x, y) {
  const m = current.start;
  ctx.beginPath(); ctx.arc(x, y, m.r, 0, 2 * Math.PI);
  ctx.fillStyle = m.fill; ctx.fill(); ctx.lineWidth = m.width; ctx.strokeStyle = m.stroke; ctx.stroke();
}

// One run's own start: a small ring in its colour.
export function paintRunStart(ctx, x, y, color) {
  const m = current.runStart;
  ctx.beginPath(); ctx.arc(x, y, m.r, 0, 2 * Math.PI);
  ctx.fillStyle = m.fill; ctx.fill();
  ctx.lineWidth = m.width + 2; ctx.strokeStyle = "rgba(255,255,255,0.9)"; ctx.stroke();
  ctx.lineWidth = m.width; ctx.strokeStyle = color; ctx.stroke();
}

export function paintHead(ctx, x, y, color, big) {
  const h = current.head, r = h.r * (big ? 1.2 : 1);
  ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = color; ctx.fill();
  ctx.lineWidth = h.ring; ctx.strokeStyle = h.ringColor; ctx.stroke();
  ctx.beginPath(); ctx.arc(x, y, r + h.ring / 2 + h.outline / 2, 0, 2 * Math.PI);
  ctx.lineWidth = h.outline; ctx.strokeStyle = h.outlineColor; ctx.stroke();
}

// A head outside the plot: an arrow on the border pointing at it.
export function paintArrow(ctx, x, y, angle, color) {
  const a = current.head.arrow;
  ctx.save(); ctx.translate(x, y); ctx.rotate(angle);
  ctx.beginPath(); ctx.moveTo(a, 0); ctx.lineTo(-a, -a); ctx.lineTo(-a, a); ctx.closePath();
  ctx.fillStyle = color; ctx.fill();
  ctx.lineWidth = 1.5; ctx.strokeStyle = "#ffffff"; ctx.stroke();
  ctx.restore();
}

export function paintDiverged(ctx, x, y) {
  paintCross(ctx, x, y, current.diverged);
}

export function paintPending(ctx, x, y) {
  const m = current.pending;
  ctx.save();
  ctx.beginPath(); ctx.arc(x, y, m.r, 0, 2 * Math.PI);
  ctx.setLineDash(m.dash); ctx.lineWidth = m.width; ctx.strokeStyle = m.color; ctx.stroke();
  ctx.restore();
}

function labelFont() {
  return current.label.weight + " " + current.font.label + "px " + FONT;
}

// Text with a white halo, readable over the contour and the paths.
export function paintLabel(ctx, text, x, y, color, align) {
  const l = current.label;
  ctx.save();
  ctx.font = labelFont();
  ctx.textAlign = align; ctx.textBaseline = "middle"; ctx.lineJoin = "round";
  ctx.strokeStyle = l.halo; ctx.lineWidth = l.haloWidth; ctx.strokeText(text, x, y);
  ctx.fillStyle = color || l.color; ctx.fillText(text, x, y);
  ctx.restore();
}

// ------------------------------------------------------------ inside a step

// An arrow from (x0, y0) to (x1, y1) in the style `m` (inside.grad, ...),
// with a halo; `shaft`: "" solid, "dashed" (the moment, which often lies
// on the gradient step: both show), "stretched" (dotted: drawn longer than
// to scale).
export function paintVector(ctx, x0, y0, x1, y1, m, shaft) {
  const I = current.inside, len = Math.hypot(x1 - x0, y1 - y0);
  if (!(len > 0.5)) return;
  const ux = (x1 - x0) / len, uy = (y1 - y0) / len;
  const head = Math.min(I.head + m.width, 0.6 * len + 4), half = (I.headWidth + m.width) / 2;
  const bx = x1 - ux * head, by = y1 - uy * head; // the head's base
  const tri = () => {
    ctx.beginPath();
    ctx.moveTo(x1, y1); ctx.lineTo(bx - uy * half, by + ux * half); ctx.lineTo(bx + uy * half, by - ux * half);
    ctx.closePath();
  };
  // the shaft's dashes, halo included (a dashed arrow over another shows it)
  const dash = shaft === "stretched" ? I.stretchDash.map((v) => v * m.width / 2) : shaft === "dashed" ? I.momentDash : [];
  ctx.save();
  ctx.lineCap = "round"; ctx.lineJoin = "round";
  ctx.strokeStyle = I.halo;
  ctx.lineWidth = m.width + I.haloExtra;
  ctx.setLineDash(dash);
  ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(bx, by); ctx.stroke();
  ctx.setLineDash([]);
  tri(); ctx.stroke();
  ctx.strokeStyle = m.color; ctx.fillStyle = m.color; ctx.lineWidth = m.width;
  ctx.setLineDash(dash);
  ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(bx + ux, by + uy); ctx.stroke();
  ctx.setLineDash([]);
  tri(); ctx.fill();
  ctx.restore();
}

// The per-coordinate step size: an axis-aligned box centred on (x, y), in
// the style `m` (inside.box, ...).
export function paintBox(ctx, x, y, hw, hh, m) {
  if (!(hw >= 0 && hh >= 0) || hw + hh < 1) return;
  ctx.save();
  if (m.fill) { ctx.fillStyle = m.fill; ctx.fillRect(x - hw, y - hh, 2 * hw, 2 * hh); }
  ctx.strokeStyle = current.inside.halo; ctx.lineWidth = m.width + 2; ctx.strokeRect(x - hw, y - hh, 2 * hw, 2 * hh);
  ctx.setLineDash(m.dash || []); ctx.strokeStyle = m.color; ctx.lineWidth = m.width;
  ctx.strokeRect(x - hw, y - hh, 2 * hw, 2 * hh);
  ctx.restore();
}

// A thin dashed line (the parallelogram that adds two arrows up).
export function paintGuide(ctx, x0, y0, x1, y1) {
  const m = current.inside.guide;
  ctx.save();
  ctx.setLineDash(m.dash); ctx.strokeStyle = m.color; ctx.lineWidth = m.width;
  ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
  ctx.restore();
}

// The key's icon of an overlay: its shape ("arrow" or "box") in its style
// (the name of its entry in inside: "grad", "box", ...).
export function insideIcon(shape, name) {
  const svg = svgEl("svg", { viewBox: "0 0 28 16", "aria-hidden": "true", focusable: "false", class: "inside-icon" });
  const m = NORMAL.inside[name];
  if (!m || typeof m !== "object" || !m.color) return svg;
  if (shape === "box") {
    svgEl("rect", { x: 3, y: 2, width: 22, height: 12, fill: "#ffffff", stroke: m.color, "stroke-width": 1.6,
      "stroke-dasharray": "4 3" }, svg);
    return svg;
  }
  svgEl("line", { x1: 2, y1: 8, x2: 18, y2: 8, stroke: m.color, "stroke-width": Math.min(3.4, m.width),
    "stroke-linecap": "round" }, svg);
  svgEl("path", { d: "M26,8L17,3.2L17,12.8Z", fill: m.color }, svg);
  return svg;
}

// ---------------------------------------------------------- legend icons
const SVG_NS = "http://www.w3.org/2000/svg";
export function svgEl(tag, attrs, parent) {
  const n = document.createElementNS(SVG_NS, tag);
  for (const k in attrs) n.setAttribute(k, String(attrs[k]));
  if (parent) parent.appendChild(n);
  return n;
}

// A run's swatch: its line (with its dash) and its head.
export function swatch(color, index) {
  const w = 34, h = 18, r = current.run;
  const svg = svgEl("svg", { viewBox: "0 0 " + w + " " + h, "aria-hidden": "true", focusable: "false", class: "swatch" });
  const dash = runDash(index);
  const scale = 3 / r.width; // the dash drawn at the swatch's 3 px
  svgEl("line", {
    x1: 1.5, y1: 9, x2: w - 1.5, y2: 9, stroke: color, "stroke-width": 3, "stroke-linecap": "round",
    "stroke-dasharray": dash.length ? dash.map((v) => (v * scale).toFixed(2)).join(" ") : "none",
  }, svg);
  svgEl("circle", { cx: w - 8, cy: 9, r: 4.6, fill: color, stroke: "#ffffff", "stroke-width": 1.5 }, svg);
  return svg;
}

export function markIcon(kind, color) {
  const svg = svgEl("svg", { viewBox: "-11 -11 22 22", "aria-hidden": "true", focusable: "false" });
  if (kind === "min") {
    const m = NORMAL.minimum, pts = [];
    for (let i = 0; i < 10; i++) {
      const a = -Math.PI / 2 + i * Math.PI / 5, rr = i % 2 ? 3.9 : 9;
      pts.push((rr * Math.cos(a)).toFixed(2) + "," + (rr * Math.sin(a) + 0.6).toFixed(2));
    }
    svgEl("polygon", { points: pts.join(" "), fill: m.fill, stroke: m.stroke, "stroke-width": 1.6, "stroke-linejoin": "round" }, svg);
  } else if (kind === "saddle") {
    svgEl("path", { d: "M-5,-5L5,5M5,-5L-5,5", stroke: NORMAL.saddle.color, "stroke-width": 2.6, "stroke-linecap": "round" }, svg);
  } else if (kind === "runstart") {
    svgEl("circle", { cx: 0, cy: 0, r: 5, fill: "#ffffff", stroke: color || "#555", "stroke-width": 2.5 }, svg);
  } else if (kind === "diverged") {
    svgEl("path", { d: "M-5,-5L5,5M5,-5L-5,5", stroke: NORMAL.diverged.color, "stroke-width": 3, "stroke-linecap": "round" }, svg);
  } else {
    svgEl("circle", { cx: 0, cy: 0, r: 5.5, fill: NORMAL.start.fill, stroke: NORMAL.start.stroke, "stroke-width": 2.3 }, svg);
  }
  return svg;
}
