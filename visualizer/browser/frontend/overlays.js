// "Inside a step" on the 2D plot: at the point shown (update k of the run
// in front, else of the first visible run) each overlay of the payload's
// table (visualizer/browser/overlays.py: the negative gradient step
// -lr * g, the update actually applied, the velocity or first moment as
// the rule defines it, the per-coordinate step size as a box; inside.js
// gives their vectors) that the viewer has not switched off in the key:
// boxes under arrows, each in order of its `layer`, in its style (marks.js
// `inside[style]`).
//
// All of them share one scale, so they compare: the longest of them over
// the updates k - 3 .. k + 3 fills about a quarter of the plot (inside.
// fraction in marks.js), the factor snapped to 1, 2 or 5 times a power of
// ten, kept while it stays readable (so it does not flicker while playing),
// and written on the plot ("arrows × 10"). It is worked out in pixels, so
// zooming redraws them at a size that reads. An arrow shorter than
// inside.minLength pixels is drawn that long with a dotted shaft: its
// direction still shows, and the dots say it is not to scale.

import { S, overlayShown } from "./state.js";
import { style, paintVector, paintBox, paintGuide, paintLabel } from "./marks.js";
import { hasOverlay, insideRun, overlayName, ruleDrawing, updateIndex, vectors } from "./inside.js";
import { fmt } from "./numbers.js";

export const stats = { drawn: [], scale: 1, run: null, k: null };
let current = { scale: 1, run: null, rev: -1 };

function niceBelow(v) {
  if (!(v > 0) || !isFinite(v)) return 1;
  const e = Math.floor(Math.log10(v));
  const p = Math.pow(10, e);
  for (const m of [5, 2, 1]) if (m * p <= v * (1 + 1e-9)) return m * p;
  return p;
}

// The longest overlay (pixels at scale 1) over updates near k.
function longest(r, k, px, shown) {
  // a few updates either side: enough to keep the scale still from one
  // update to the next, few enough that the long first steps of a run do
  // not shrink the arrows of the later ones
  const half = 3;
  let best = 0;
  for (let j = Math.max(0, k - half); j <= Math.min(r.n - 1, k + half); j++) {
    const v = vectors(r, j, shown);
    for (const o of shown) {
      if (!v[o.kind]) continue;
      const [dx, dy] = px(v[o.kind]);
      const len = o.shape === "box" ? Math.max(Math.abs(dx), Math.abs(dy)) : Math.hypot(dx, dy);
      if (len > best) best = len;
    }
  }
  return best;
}

function chooseScale(r, k, px, shown, room) {
  const target = style().inside.fraction * room;
  const L = longest(r, k, px, shown);
  if (!(L > 0)) return 1;
  const keep = current.run === r.key && current.rev === S.d.rev;
  const now = current.scale * L;
  if (keep && now >= 0.4 * target && now <= 1.3 * target) return current.scale;
  return niceBelow(target / L);
}

function scaleText(s) {
  if (s === 1) return "arrows to scale";
  return "arrows \u00d7 " + fmt(s);
}

// Draw onto `ctx` over the 2D plot area `g` ({L, T, W, H, x2p, y2p}).
export function drawInside(ctx, g) {
  stats.drawn = [];
  const d = S.d;
  if (!d || !d.inside || !S.inside.on) return false;
  const r = insideRun(d);
  if (!r) return false;
  const k = updateIndex(r, S.stepF);
  const st = style().inside;
  // the overlays switched on that this run has and that have a style, in the key's order
  const shown = d.inside.overlays.filter((o) => overlayShown(o.kind) && hasOverlay(r, o) && styled(o));
  const sx = g.x2p(1) - g.x2p(0), sy = g.y2p(1) - g.y2p(0);
  const px = (v) => [v[0] * sx, v[1] * sy];
  const s = chooseScale(r, k, px, shown, Math.min(g.W, g.H));
  current = { scale: s, run: r.key, rev: d.rev };
  const x0 = g.L + g.x2p(r.X[k]), y0 = g.T + g.y2p(r.Y[k]);
  if (!(isFinite(x0) && isFinite(y0))) return false;
  const v = vectors(r, k, shown);
  const finite = (o) => v[o.kind] && isFinite(v[o.kind][0]) && isFinite(v[o.kind][1]);
  const byLayer = shown.filter(finite).sort((a, b) => a.layer - b.layer);
  const tips = {};
  const stretch = (dx, dy) => {
    const len = Math.hypot(dx, dy);
    if (!(len > 0)) return null;
    if (len >= st.minLength) return [dx, dy, false];
    return [dx * st.minLength / len, dy * st.minLength / len, true];
  };
  ctx.save();
  ctx.beginPath(); ctx.rect(g.L, g.T, g.W, g.H); ctx.clip();
  for (const o of byLayer) {
    if (o.shape !== "box") continue;
    const [hw, hh] = px(v[o.kind]);
    paintBox(ctx, x0, y0, Math.abs(hw) * s, Math.abs(hh) * s, st[o.style]);
    stats.drawn.push(o.kind);
  }
  const arrows = [];
  for (const o of byLayer) {
    if (o.shape !== "arrow") continue;
    const [dx, dy] = px(v[o.kind]);
    const a = stretch(dx * s, dy * s);
    if (!a) continue;
    arrows.push([o, a]);
    tips[o.kind] = [x0 + a[0], y0 + a[1], a[2]];
  }
  // the parallelogram: where the rule says an arrow (the carried-over
  // velocity) and another (the gradient step) add up to the update
  for (const [o] of arrows) {
    const drawn = ruleDrawing(r, o), a = tips[o.kind], b = tips[o.addsTo];
    if (!drawn || !drawn.adds || !a || !b || a[2] || b[2]) continue;
    paintGuide(ctx, a[0], a[1], a[0] + b[0] - x0, a[1] + b[1] - y0);
    paintGuide(ctx, b[0], b[1], b[0] + a[0] - x0, b[1] + a[1] - y0);
  }
  for (const [o, a] of arrows) {
    paintVector(ctx, x0, y0, x0 + a[0], y0 + a[1], st[o.style], a[2] ? "stretched" : o.dashed ? "dashed" : "");
    stats.drawn.push(o.kind);
  }
  ctx.restore();
  labels(ctx, g, x0, y0, tips, r, shown);
  // the scale, in the plot's top-left corner
  paintLabel(ctx, scaleText(s), g.L + 8, g.T + style().font.label * 0.9, "#1a1a1a", "left");
  stats.scale = s; stats.run = r.i; stats.k = k;
  return true;
}

// Whether the style table has the overlay's style (an entry with a colour).
function styled(o) {
  const m = style().inside[o.style];
  return !!m && typeof m === "object" && typeof m.color === "string";
}

// Each arrow's name beyond its tip, in the key's order, nudged apart when
// two would overlap.
function labels(ctx, g, x0, y0, tips, r, shown) {
  const f = style().font.label, placed = [];
  for (const o of shown) {
    const tip = tips[o.kind];
    if (!tip) continue;
    const dx = tip[0] - x0, dy = tip[1] - y0, len = Math.hypot(dx, dy) || 1;
    let x = tip[0] + (dx / len) * (f * 0.9), y = tip[1] + (dy / len) * (f * 0.9);
    const align = dx >= 0 ? "left" : "right";
    for (const p of placed) if (Math.abs(p[1] - y) < f * 1.1 && Math.abs(p[0] - x) < f * 4) y = p[1] + (y >= p[1] ? 1 : -1) * f * 1.15;
    x = Math.max(g.L + 4, Math.min(g.L + g.W - 4, x));
    y = Math.max(g.T + f * 0.7, Math.min(g.T + g.H - f * 0.7, y));
    placed.push([x, y]);
    paintLabel(ctx, overlayName(r, o), x, y, style().inside[o.style].color, align);
  }
}
