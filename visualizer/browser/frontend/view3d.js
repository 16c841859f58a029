// The 3D view: a Plotly surface; paths, heads and marks are projected with
// the scene's camera onto a canvas over it and redrawn when the camera
// moves, so playing never re-renders WebGL (software GL here: 100-300 ms a
// frame). The price: a path behind a ridge is not hidden by it.

import { el } from "./dom.js";
import { S } from "./state.js";
import { style, paintMinimum, paintSaddle, paintStart, paintRunStart } from "./marks.js";
import { fmt, pow10, linearTicks } from "./numbers.js";
import { SURFACE_SCALE_3D, surfaceValue } from "./contour.js";
import { drawPaths, drawHeads, drawEnds, drawEndLabels, drawOrder } from "./paths.js";
import { sizeCanvas, mainSize, belowMain3d, textWidth, fitTitle } from "./layout.js";
import * as internals from "./plotly_internals.js";
import { PLOT_CONFIG, baseLayout, esc, titleForms } from "./figure.js";

export const stats3d = { layers: [], pathWidth: 0 };
let proj = null;    // screen points under the current camera (null: recompute)
let size3d = "";

// Rows for the surface trace (built on first use: 2D never needs them).
function surfaceRows(d) {
  const g = d.grid;
  if (!g.rows) {
    // hover texts typeset like every other number (plotly's own format
    // would print 1e-08)
    const zt = new Array(g.ny), text = new Array(g.ny);
    const xs = Array.from(g.x, (v) => "x = " + fmt(v) + "<br>y = ");
    for (let j = 0; j < g.ny; j++) {
      const rz = new Array(g.nx), rt = new Array(g.nx), ys = fmt(g.y[j]) + "<br>f = ";
      for (let i = 0; i < g.nx; i++) {
        const v = g.zT[j * g.nx + i];
        rz[i] = v === v ? v : null;
        rt[i] = xs[i] + ys + fmt(g.z[j * g.nx + i]);
      }
      zt[j] = rz; text[j] = rt;
    }
    g.rows = { zt: zt, text: text, x: Array.from(g.x), y: Array.from(g.y) };
  }
  return g.rows;
}

// Height ticks: on a log surface, decades of f - min (the height is
// log10(f - min + eps)), typeset as powers of ten.
function zTicks(d, lo, hi, max) {
  if (!d.logScale) return linearTicks(lo, hi, max);
  const vals = [], text = [];
  const kLo = Math.ceil(lo), kHi = Math.floor(hi) + 1;
  const every = Math.max(1, Math.ceil((kHi - kLo + 1) / max));
  for (let k = kLo; k <= kHi; k += every) {
    const t = d.T(d.zmin + Math.pow(10, k));
    if (t >= lo && t <= hi) { vals.push(t); text.push(k >= -2 && k <= 4 ? fmt(Math.pow(10, k)) : pow10(k)); }
  }
  return vals.length >= 2 ? { tickmode: "array", tickvals: vals, ticktext: text } : { nticks: max };
}

export function figure3d(d) {
  const traces = [], st = style(), f = st.font;
  const big = f.tick > 15;
  const W = Math.max(200, el.main.clientWidth);
  const H = Math.max(200, el.main.clientHeight - belowMain3d());
  const [[x0, x1], [y0, y1]] = d.window;
  if (d.grid) {
    const rows = surfaceRows(d);
    traces.push({
      type: "surface", x: rows.x, y: rows.y, z: rows.zt, text: rows.text,
      hovertemplate: "%{text}<extra></extra>",
      colorscale: SURFACE_SCALE_3D, cmin: d.lo, cmax: d.hi, showscale: false, opacity: 0.96,
      // level lines on the surface; not around holes, where plotly's
      // contour geometry takes tens of seconds to draw in software GL
      contours: { z: { show: !d.grid.nNaN, start: d.lo, end: d.hi, size: (d.hi - d.lo) / d.nLevels, color: "rgba(30,40,60,0.35)", width: 1 } },
      lighting: { ambient: 0.75, diffuse: 0.5, specular: 0.05, roughness: 0.9 },
      showlegend: false, name: "f",
    });
  }
  const zAt = (x, y) => {
    const v = surfaceValue(d, x, y);
    return v === v ? Math.min(d.zHi3, Math.max(d.zLo3, d.T(v))) : d.zLo3;
  };
  const lift = 0.015 * (d.zHi3 - d.zLo3 || 1);
  // Marks are drawn on the overlay too (draw3d): gl markers sink into the
  // surface and their symbols render poorly.
  d.marks3d = [];
  if (d.start) d.marks3d.push(["start", d.start[0], d.start[1], zAt(d.start[0], d.start[1]) + lift, null]);
  else if (d.runStarts) for (const r of d.runs) if (r.start) d.marks3d.push(["runstart", r.start[0], r.start[1], zAt(r.start[0], r.start[1]) + lift, r]);
  for (const q of d.minima) d.marks3d.push(["min", q[0], q[1], zAt(q[0], q[1]) + lift, null]);
  for (const q of d.saddles) d.marks3d.push(["saddle", q[0], q[1], zAt(q[0], q[1]) + lift, null]);
  if (!traces.length) {
    // without a surface an invisible point keeps the scene (and its axes)
    traces.push({ type: "scatter3d", mode: "markers", x: [x0], y: [y0], z: [d.zLo3], marker: { size: 0.1, opacity: 0 },
      hoverinfo: "skip", showlegend: false });
  }
  const zHi = d.zHi3 + 2 * lift;
  // few ticks, so labels never run into each other, in presentation type too
  const axis = (range, title, ticks) => Object.assign({
    range: range, title: { text: title, font: { size: f.axisTitle } }, tickfont: { size: f.tick },
    backgroundcolor: "#f4f5f7", showbackground: true, gridcolor: "#d5d9df", exponentformat: "power",
  }, ticks);
  // x and y meet at a corner of the box: ticks at the ends would touch
  const inner = (lo, hi) => {
    const t = linearTicks(lo, hi, big ? 4 : 5), pad = 0.02 * (hi - lo);
    if (!t.tickvals) return t;
    const keep = t.tickvals.map((v, i) => i).filter((i) => t.tickvals[i] > lo + pad && t.tickvals[i] < hi - pad);
    return keep.length >= 2 ? { tickmode: "array", tickvals: keep.map((i) => t.tickvals[i]), ticktext: keep.map((i) => t.ticktext[i]) } : t;
  };
  const height = d.logScale ? (Math.abs(d.zmin) > 1e-12 ? "f \u2212 min, log scale" : "f, log scale") : "f";
  // the title and what the height is, as long as the width allows: the
  // name without its last parenthesis, then the name alone, cut
  const note = "   height: " + height, names = titleForms(d.name, 60);
  const room = W - 12;
  const withNote = names.find((n) => textWidth(n, f.title) + textWidth(note, f.note) <= room);
  const titleText = withNote !== undefined
    ? esc(withNote) + '<span style="font-size:' + f.note + 'px;color:#555">' + note + "</span>"
    : esc(fitTitle(names, room, f.title));
  const layout = Object.assign(baseLayout(), {
    uirevision: d.uirev,
    datarevision: d.rev,
    width: W, height: H,
    margin: { l: 0, r: 0, t: f.title + 16, b: 0 },
    title: {
      text: titleText,
      x: 0.01, xanchor: "left", y: 1 - 4 / H, yanchor: "top", font: { size: f.title },
    },
    showlegend: false,
    scene: {
      xaxis: axis([x0, x1], "x", inner(x0, x1)),
      yaxis: axis([y0, y1], "y", inner(y0, y1)),
      // a gl axis title at the edge gets clipped: the figure title says it
      zaxis: Object.assign(axis([d.zLo3, zHi], "", zTicks(d, d.zLo3, zHi, big ? 3 : 4)), { backgroundcolor: "#eef0f3" }),
      aspectmode: "manual", aspectratio: { x: 1, y: 1, z: 0.6 },
      camera: { eye: { x: -1.2, y: -1.42, z: 0.95 }, center: { x: 0, y: 0, z: -0.2 } },
    },
  });
  return { data: traces, layout: layout };
}

export function render3d() {
  size3d = mainSize();
  const fig = figure3d(S.d);
  proj = null;
  return Plotly.react(el.plot3d, fig.data, fig.layout, PLOT_CONFIG).then(() => {
    S.stale3d = false;
    internals.onSceneRender(el.plot3d, () => { proj = null; if (S.view === "3d") draw3d(); });
    proj = null;
    draw3d();
  });
}

export function needsResize() {
  return !S.stale3d && size3d !== mainSize();
}

// Screen points of every path and mark under the scene's current camera.
function projection() {
  if (proj) return proj;
  const d = S.d, project = internals.sceneProjector(el.plot3d);
  if (!d || !project) return null;
  const [[x0, x1], [y0, y1]] = d.window;
  const ex = 1e-9 * (x1 - x0), ey = 1e-9 * (y1 - y0);
  const tmp = new Float32Array(2);
  // outside the box the scene clips; so does the overlay
  const inBox = (x, y, z) => x >= x0 - ex && x <= x1 + ex && y >= y0 - ey && y <= y1 + ey && z === z;
  const runs = d.runs.map((r) => {
    const px = new Float32Array(r.n + 1), py = new Float32Array(r.n + 1);
    for (let k = 0; k <= r.n; k++) {
      if (inBox(r.X[k], r.Y[k], r.Z[k])) { project(r.X[k], r.Y[k], r.Z[k], tmp, 0); px[k] = tmp[0]; py[k] = tmp[1]; }
      else { px[k] = NaN; py[k] = NaN; }
    }
    return { px: px, py: py };
  });
  const marks = (d.marks3d || []).map(([kind, x, y, z, r]) => {
    if (!inBox(x, y, z)) return [kind, NaN, NaN, r];
    project(x, y, z, tmp, 0);
    return [kind, tmp[0], tmp[1], r];
  });
  proj = { runs: runs, marks: marks };
  return proj;
}

// Same layers as the 2D view: paths, heads, ends, then the marks.
export function draw3d() {
  const ctx = sizeCanvas(el.paths3d, el.main);
  ctx.clearRect(0, 0, el.paths3d._w, el.paths3d._h);
  const d = S.d;
  if (!d || S.view !== "3d" || S.stale3d) return;
  const P = projection();
  if (!P) return;
  const layers = [];
  // while a question is open: the starts and the surface's marks only
  const items = S.asking ? [] : drawPaths(ctx, d, (r) => P.runs[r.i], S.stepF);
  layers.push("paths:" + items.map((it) => it.r.i).join(","));
  if (!S.asking) drawHeads(ctx, items, null, null);
  layers.push("heads");
  const labels = S.asking ? [] : drawEnds(ctx, items, null);
  layers.push("diverged");
  const visible = new Set(drawOrder(d));
  for (const kind of ["start", "min", "saddle"]) {
    for (const [k, x, y, r] of P.marks) {
      if (x !== x || (k === "runstart" ? kind !== "start" : k !== kind)) continue;
      if (k === "start") paintStart(ctx, x, y);
      else if (k === "runstart") { if (visible.has(r)) paintRunStart(ctx, x, y, r.color); }
      else if (k === "min") paintMinimum(ctx, x, y);
      else paintSaddle(ctx, x, y);
    }
    layers.push(kind === "start" ? "starts" : kind === "min" ? "minima" : "saddles");
  }
  drawEndLabels(ctx, labels, el.paths3d._w, 0);
  stats3d.layers = layers;
  stats3d.pathWidth = S.asking ? 0 : items.minWidth;
}
