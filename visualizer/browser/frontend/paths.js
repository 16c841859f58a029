// The runs' paths and heads on a canvas, the same for 2D and 3D (the views
// give the screen points). Draw order: every halo first, so no halo covers
// another run's colour; then the colours by run index, each with its dash
// pattern, the run in front last, wider, with the others dimmed.

import { S } from "./state.js";
import { style, runDash, paintHead, paintArrow, paintDiverged, paintLabel } from "./marks.js";

// Visible runs in draw order: by index, the run in front last.
export function drawOrder(d) {
  const out = d.runs.filter((r) => r.n >= 0 && !S.hidden.has(r.key));
  const f = out.findIndex((r) => r.key === S.front);
  if (f >= 0) out.push(out.splice(f, 1)[0]);
  return out;
}

// Paths up to the fractional step `stepF`; `pts(r)` gives the run's screen
// points {px, py} (NaN where a point is not drawn). Returns what the heads
// and end marks need, in draw order.
export function drawPaths(ctx, d, pts, stepF) {
  const st = style().run;
  const k = Math.floor(stepF), frac = stepF - k;
  const items = [];
  for (const r of drawOrder(d)) {
    const { px, py } = pts(r);
    const last = Math.min(k, r.n);
    let hx = px[last], hy = py[last];
    if (k < r.n && frac > 0 && hx === hx && hy === hy) {
      const nx = px[k + 1], ny = py[k + 1];
      if (nx === nx && ny === ny) { hx += (nx - hx) * frac; hy += (ny - hy) * frac; }
    }
    const path = new Path2D();
    let pen = false, lx = NaN, ly = NaN;
    for (let j = 0; j <= last; j++) {
      const x = px[j], y = py[j];
      if (x !== x || y !== y) { pen = false; continue; }
      if (pen) path.lineTo(x, y); else { path.moveTo(x, y); pen = true; }
      lx = x; ly = y;
    }
    if (pen && hx === hx && hy === hy) path.lineTo(hx, hy);
    items.push({ r: r, path: path, hx: hx, hy: hy, lx: lx, ly: ly, front: r.key === S.front,
      ended: r.diverged != null && k >= r.n });
  }
  const dim = items.some((it) => it.front);
  ctx.save();
  ctx.lineJoin = "round"; ctx.lineCap = "round";
  ctx.globalAlpha = dim ? st.dimAlpha : 1;
  ctx.strokeStyle = st.haloColor; ctx.lineWidth = st.halo;
  for (const it of items) if (!it.front) ctx.stroke(it.path);
  let minWidth = Infinity;
  for (const it of items) {
    if (it.front) {
      ctx.globalAlpha = 1; ctx.setLineDash([]);
      ctx.strokeStyle = st.haloColor; ctx.lineWidth = st.frontHalo; ctx.stroke(it.path);
    }
    ctx.lineWidth = it.front ? st.frontWidth : st.width;
    minWidth = Math.min(minWidth, ctx.lineWidth);
    ctx.setLineDash(runDash(it.r.i));
    ctx.strokeStyle = it.r.color; ctx.stroke(it.path);
  }
  ctx.restore();
  items.minWidth = minWidth;
  return items;
}

// The moving heads; a head outside the plot (`inside` false) becomes an
// arrow on the border, at `edge(x, y)` -> [x, y, angle].
export function drawHeads(ctx, items, inside, edge) {
  const dim = items.some((it) => it.front);
  for (const it of items) {
    if (it.ended || it.hx !== it.hx || it.hy !== it.hy) continue;
    ctx.globalAlpha = dim && !it.front ? 0.55 : 1;
    if (!inside || inside(it.hx, it.hy)) paintHead(ctx, it.hx, it.hy, it.r.color, it.front);
    else { const e = edge(it.hx, it.hy); paintArrow(ctx, e[0], e[1], e[2], it.r.color); }
  }
  ctx.globalAlpha = 1;
}

// A cross where a run diverged (its last drawn point, pulled onto the plot
// by `place`); returns the labels to write once the marks are drawn.
export function drawEnds(ctx, items, place) {
  const labels = [];
  for (const it of items) {
    if (!it.ended) continue;
    let x = it.hx === it.hx ? it.hx : it.lx, y = it.hy === it.hy ? it.hy : it.ly;
    if (x !== x || y !== y) continue;
    if (place) { const p = place(x, y); x = p[0]; y = p[1]; }
    paintDiverged(ctx, x, y);
    labels.push(["diverged at step " + it.r.diverged, x, y]);
  }
  return labels;
}

// The ends' labels, right of the cross unless that runs off `right`.
export function drawEndLabels(ctx, labels, right, top) {
  const st = style(), off = st.diverged.s + 5, color = st.diverged.color;
  const w = st.font.label * 11;
  for (const [text, x, y] of labels) {
    const toRight = x < right - w;
    paintLabel(ctx, text, toRight ? x + off : x - off, y > top + off + st.font.label ? y - off : y + off + 2,
      color, toRight ? "left" : "right");
  }
}
