// The painters of the player's marks (canvas for the plots, SVG for the
// legend, so the legend's icons are the plot's marks), and THE style table
// they paint with: style.json (every colour, line width, dash, marker size
// and font size, for normal and presentation mode, the palette and the
// contour's colours), which the exported pictures read too. The page holds
// it in <script type="application/json" id="player-style">
// (visualizer/browser/player_files.py fills it, on the served page and in
// the offline file alike), so it is here before any module runs.

function readTable() {
  const node = document.getElementById("player-style");
  if (!node) throw new Error("the player's style table (#player-style) is missing from the page");
  return JSON.parse(node.textContent);
}

const TABLE = readTable();
export const FONT = TABLE.fontFamily;
export const PALETTE = TABLE.palette;
export const CONTOUR = TABLE.contour;
const NORMAL = TABLE.normal;
const PRESENT = merge(NORMAL, TABLE.present);
const PHONE = merge(NORMAL, TABLE.phone);

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

export const STYLES = { normal: NORMAL, present: PRESENT, phone: PHONE };
let current = NORMAL;

// "normal", "present" (presentation mode) or "phone" (a narrow player).
export function setMode(name) { current = STYLES[name] || NORMAL; }
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
  ctx.lineWidth = m.width + m.haloExtra; ctx.strokeStyle = m.halo; ctx.stroke();
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
  ctx.lineWidth = current.head.arrowRing; ctx.strokeStyle = current.head.arrowRingColor; ctx.stroke();
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

// ------------------------------------------------------------ answers
// The viewer's answer to "where will it be?": a dashed ring around a cross.
export function paintAnswer(ctx, x, y) {
  const m = current.answer, c = m.cross;
  ctx.save();
  ctx.lineCap = "round";
  ctx.beginPath(); ctx.arc(x, y, m.r, 0, 2 * Math.PI);
  ctx.moveTo(x - c, y); ctx.lineTo(x + c, y); ctx.moveTo(x, y - c); ctx.lineTo(x, y + c);
  ctx.strokeStyle = m.halo; ctx.lineWidth = m.width + m.haloWidth; ctx.stroke();
  ctx.strokeStyle = m.you; ctx.lineWidth = m.width;
  ctx.beginPath(); ctx.moveTo(x - c, y); ctx.lineTo(x + c, y); ctx.moveTo(x, y - c); ctx.lineTo(x, y + c); ctx.stroke();
  ctx.setLineDash(m.dash);
  ctx.beginPath(); ctx.arc(x, y, m.r, 0, 2 * Math.PI); ctx.stroke();
  ctx.restore();
}

// The truth: a ring in the run's colour.
export function paintTruth(ctx, x, y, color) {
  const m = current.answer;
  ctx.save();
  ctx.beginPath(); ctx.arc(x, y, m.r, 0, 2 * Math.PI);
  ctx.strokeStyle = m.halo; ctx.lineWidth = m.truthWidth + m.haloWidth; ctx.stroke();
  ctx.strokeStyle = color; ctx.lineWidth = m.truthWidth; ctx.stroke();
  ctx.restore();
}

// From the answer to the truth.
export function paintJoin(ctx, x0, y0, x1, y1) {
  const m = current.answer.join;
  ctx.save();
  ctx.setLineDash(m.dash); ctx.strokeStyle = m.color; ctx.lineWidth = m.width; ctx.lineCap = "round";
  ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
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
  const s = current.swatch, w = s.width, h = s.height, y = h / 2;
  const svg = svgEl("svg", { viewBox: "0 0 " + w + " " + h, "aria-hidden": "true", focusable: "false", class: "swatch" });
  const dash = runDash(index);
  const scale = s.line / current.run.width; // the dash drawn at the swatch's line width
  svgEl("line", {
    x1: s.inset, y1: y, x2: w - s.inset, y2: y, stroke: color, "stroke-width": s.line, "stroke-linecap": "round",
    "stroke-dasharray": dash.length ? dash.map((v) => (v * scale).toFixed(2)).join(" ") : "none",
  }, svg);
  svgEl("circle", { cx: w - s.headFromEnd, cy: y, r: s.head, fill: color, stroke: s.ringColor, "stroke-width": s.ring }, svg);
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
  } else if (kind === "flow") {
    const f = NORMAL.flow;
    svgEl("path", { d: "M-9,0L9,0", fill: "none", stroke: "#4d4d4d", "stroke-width": f.width + 0.4,
      "stroke-dasharray": f.dash.join(" "), "stroke-linecap": "round" }, svg);
  } else if (kind === "cloud") {
    svgEl("rect", { x: -8, y: -6, width: 16, height: 12, fill: "rgba(77,77,77," + NORMAL.cloud.box + ")",
      stroke: "#4d4d4d", "stroke-width": NORMAL.cloud.boxWidth }, svg);
  } else if (kind === "diverged") {
    svgEl("path", { d: "M-5,-5L5,5M5,-5L-5,5", stroke: NORMAL.diverged.color, "stroke-width": 3, "stroke-linecap": "round" }, svg);
  } else {
    svgEl("circle", { cx: 0, cy: 0, r: 5.5, fill: NORMAL.start.fill, stroke: NORMAL.start.stroke, "stroke-width": 2.3 }, svg);
  }
  return svg;
}
