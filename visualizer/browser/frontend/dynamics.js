// What a run's dynamics add to the 2D view, under its path: a cloud's band
// (seeds=N: at every step the box from the 10% to the 90% quantile of the
// copies' points; the region those boxes swept up to the step shown, and
// the box at that step outlined) and a run's continuous-time limit
// (flow=1: dotted, in the run's colour, to the step shown, with a ring and
// "leaves its flow at step k" where the run is first 5% of the window
// away from it, and a cross and "its flow stops: why" at its last point
// where the solve stopped short). `toScreen(x, y)` gives canvas points.

import { style, paintLabel } from "./marks.js";
import { drawOrder } from "./paths.js";
import { textWidth } from "./layout.js";

function rgba(hex, alpha) {
  const m = /^#([0-9a-f]{6})$/i.exec(hex || "");
  if (!m) return "rgba(77,77,77," + alpha + ")";
  const n = parseInt(m[1], 16);
  return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
}

function box(path, b, k, toScreen) {
  const [x0, y0] = toScreen(b.low.X[k], b.low.Y[k]), [x1, y1] = toScreen(b.high.X[k], b.high.Y[k]);
  if (!(x0 === x0 && y0 === y0 && x1 === x1 && y1 === y1)) return false;
  // at least a pixel, so a cloud that has not spread yet still shows
  path.rect(Math.min(x0, x1) - 0.5, Math.min(y0, y1) - 0.5, Math.abs(x1 - x0) + 1, Math.abs(y1 - y0) + 1);
  return true;
}

// The clouds' bands, one fill per run (its boxes in one path: where they
// overlap the colour does not build up).
export function drawClouds(ctx, d, toScreen, stepF) {
  const st = style().cloud, k = Math.floor(stepF);
  let drawn = 0;
  for (const r of drawOrder(d)) {
    const b = r.band;
    if (!b || !b.low || !b.high) continue;
    const last = Math.min(k, r.n), swept = new Path2D();
    for (let j = 0; j <= last; j++) box(swept, b, j, toScreen);
    ctx.fillStyle = rgba(r.color, st.alpha);
    ctx.fill(swept, "nonzero");
    const now = new Path2D();
    if (box(now, b, last, toScreen)) {
      ctx.fillStyle = rgba(r.color, st.box);
      ctx.fill(now);
      ctx.strokeStyle = r.color; ctx.lineWidth = st.boxWidth; ctx.setLineDash([]);
      ctx.stroke(now);
    }
    drawn++;
  }
  return drawn;
}

// Each run's flow to the step shown; returns the labels of the rings.
export function drawFlows(ctx, d, toScreen, stepF) {
  const st = style().flow, k = Math.floor(stepF), labels = [];
  for (const r of drawOrder(d)) {
    const f = r.flow;
    if (!f) continue;
    const last = Math.min(k, r.n), path = new Path2D();
    let pen = false;
    for (let j = 0; j <= last; j++) {
      const [x, y] = toScreen(f.X[j], f.Y[j]);
      if (!(x === x && y === y)) { pen = false; continue; }
      if (pen) path.lineTo(x, y); else { path.moveTo(x, y); pen = true; }
    }
    ctx.save();
    ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.setLineDash([]); ctx.strokeStyle = st.haloColor; ctx.lineWidth = st.halo; ctx.stroke(path);
    ctx.setLineDash(st.dash); ctx.strokeStyle = r.color; ctx.lineWidth = st.width; ctx.stroke(path);
    ctx.restore();
    const at = r.leavesFlow;
    if (at !== null && at <= last) {
      const [x, y] = toScreen(r.X[at], r.Y[at]);
      if (x === x && y === y) {
        ctx.beginPath(); ctx.arc(x, y, st.leave.r, 0, 2 * Math.PI);
        ctx.strokeStyle = "#ffffff"; ctx.lineWidth = st.leave.width + 3; ctx.setLineDash([]); ctx.stroke();
        ctx.strokeStyle = r.color; ctx.lineWidth = st.leave.width; ctx.stroke();
        labels.push(["leaves its flow at step " + at, x, y, r.color]);
      }
    }
    const end = r.flowStopsAt === null ? null : r.flowStopsAt - 1; // its last point
    if (end !== null && end <= last) {
      const [x, y] = toScreen(f.X[end], f.Y[end]), c = st.leave.r * 0.8;
      if (x === x && y === y) {
        const cross = new Path2D();
        cross.moveTo(x - c, y - c); cross.lineTo(x + c, y + c); cross.moveTo(x - c, y + c); cross.lineTo(x + c, y - c);
        ctx.save();
        ctx.lineCap = "round"; ctx.setLineDash([]);
        ctx.strokeStyle = "#ffffff"; ctx.lineWidth = st.leave.width + 3; ctx.stroke(cross);
        ctx.strokeStyle = r.color; ctx.lineWidth = st.leave.width; ctx.stroke(cross);
        ctx.restore();
        const why = r.flowStop || "the solver stopped";
        labels.push(["its flow stops: " + why, x, y, r.color, "flow: " + why]);
      }
    }
  }
  return labels;
}

// Each label beside its mark, inside the plot (`g`: its left, top, width
// and height): right of the mark, else left of it, else as near it as the
// plot's edges let it be; under it, else over it; a label wider than the
// plot in its short form, where it has one. `stats.flowLabels` keeps
// where each went (for the tests).
export const stats = { flowLabels: [] };

export function drawFlowLabels(ctx, labels, g) {
  const st = style(), off = st.flow.leave.r + 4, right = g.L + g.W, h = st.font.label;
  stats.flowLabels = [];
  for (const [full, px, py, color, short] of labels) {
    // a flow that stops outside the window: at the plot's edge nearest its end
    const x = Math.min(Math.max(px, g.L), right), y = Math.min(Math.max(py, g.T), g.T + g.H);
    // wider than a phone's plot: its short form
    const text = short && textWidth(full, h) > g.W ? short : full;
    const w = textWidth(text, h);
    let start = x + off;
    if (start + w > right) start = x - off - w >= g.L ? x - off - w : Math.max(g.L, right - w);
    const mid = y + off + 4 + h <= g.T + g.H ? y + off + 4 : y - off - 4;
    paintLabel(ctx, text, start, mid, color, "left");
    stats.flowLabels.push({ text: text, left: start, right: start + w, top: mid - h / 2, bottom: mid + h / 2,
      plot: { L: g.L, T: g.T, W: g.W, H: g.H } });
  }
}
