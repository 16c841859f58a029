// The 2D surface as a filled contour with level lines, rasterised on a
// canvas under the 2D figure (Plotly's own contour cost ~150 ms per
// payload), and f read back at any point (the canvas has no hover).

import { style, CONTOUR } from "./marks.js";

// The colours (the style table's `contour`): light greys, darker uphill,
// for the filled contour, a scale of its own for the 3D surface, and the
// mask where f is not finite.
const SURFACE_SCALE = CONTOUR.scale;
export const SURFACE_SCALE_3D = CONTOUR.scale3d;
export const MASK_RGB = CONTOUR.mask;

export function hexRgb(h) {
  const n = parseInt(h.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function scaleColor(scale, t) {
  t = Math.max(0, Math.min(1, t));
  let k = 1;
  while (k < scale.length - 1 && scale[k][0] < t) k++;
  const [t0, c0] = scale[k - 1], [t1, c1] = scale[k];
  const u = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
  const a = hexRgb(c0), b = hexRgb(c1);
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * u));
}

// One flat colour per band between levels, as a filled contour shows.
function bandColors(d) {
  if (!d.bands) {
    d.bands = [];
    for (let b = 0; b < d.nLevels; b++) d.bands.push(scaleColor(SURFACE_SCALE, (b + 0.5) / d.nLevels));
  }
  return d.bands;
}

// The bands as a plotly colorscale (for the colour bar).
export function bandScale(d) {
  const out = [], bands = bandColors(d), n = bands.length;
  bands.forEach((c, b) => {
    const col = "rgb(" + c.join(",") + ")";
    out.push([b / n, col], [(b + 1) / n, col]);
  });
  return out;
}

// Fractional grid index of v in an ascending array (NaN outside).
function gridIndex(arr, v) {
  const n = arr.length;
  if (!(v >= arr[0] && v <= arr[n - 1])) return NaN;
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) { const m = (lo + hi) >> 1; if (arr[m] <= v) lo = m; else hi = m; }
  const w = arr[hi] - arr[lo];
  return lo + (w > 0 ? (v - arr[lo]) / w : 0);
}

// Marching squares over the transformed grid at every level boundary;
// segments in data coordinates, computed once per payload.
function contourSegments(d) {
  const g = d.grid;
  if (g.segs) return g.segs;
  const { nx, ny, x, y, zT } = g;
  const size = (d.hi - d.lo) / d.nLevels;
  const out = [];
  const ex = (i, t) => x[i] + (x[i + 1] - x[i]) * t;
  const ey = (j, t) => y[j] + (y[j + 1] - y[j]) * t;
  for (let j = 0; j < ny - 1; j++) {
    for (let i = 0; i < nx - 1; i++) {
      const v0 = zT[j * nx + i], v1 = zT[j * nx + i + 1], v2 = zT[(j + 1) * nx + i + 1], v3 = zT[(j + 1) * nx + i];
      if (v0 !== v0 || v1 !== v1 || v2 !== v2 || v3 !== v3) continue;
      const mn = Math.min(v0, v1, v2, v3), mx = Math.max(v0, v1, v2, v3);
      const k0 = Math.max(1, Math.ceil((mn - d.lo) / size)), k1 = Math.min(d.nLevels, Math.floor((mx - d.lo) / size));
      for (let k = k0; k <= k1; k++) {
        const L = d.lo + k * size;
        const c = (v0 > L ? 1 : 0) | (v1 > L ? 2 : 0) | (v2 > L ? 4 : 0) | (v3 > L ? 8 : 0);
        if (c === 0 || c === 15) continue;
        const e = (edge) => {
          switch (edge) {
            case 0: return [ex(i, (L - v0) / (v1 - v0)), y[j]];
            case 1: return [x[i + 1], ey(j, (L - v1) / (v2 - v1))];
            case 2: return [ex(i, (L - v3) / (v2 - v3)), y[j + 1]];
            default: return [x[i], ey(j, (L - v0) / (v3 - v0))];
          }
        };
        const seg = (a, b) => { const p = e(a), q = e(b); out.push(p[0], p[1], q[0], q[1]); };
        switch (c) {
          case 1: case 14: seg(3, 0); break;
          case 2: case 13: seg(0, 1); break;
          case 3: case 12: seg(3, 1); break;
          case 4: case 11: seg(1, 2); break;
          case 6: case 9: seg(0, 2); break;
          case 7: case 8: seg(3, 2); break;
          case 5: if ((v0 + v1 + v2 + v3) / 4 > L) { seg(0, 1); seg(2, 3); } else { seg(3, 0); seg(1, 2); } break;
          case 10: if ((v0 + v1 + v2 + v3) / 4 > L) { seg(3, 0); seg(1, 2); } else { seg(0, 1); seg(2, 3); } break;
        }
      }
    }
  }
  g.segs = Float32Array.from(out);
  return g.segs;
}

// Rasterise the surface into the plot area `g` ({L, T, W, H, x2p, y2p,
// p2x, p2y}) of a canvas context already scaled by `dpr`; `over(ctx)`, if
// given, paints between the filled bands and the level lines (the basins).
export function paintSurface(ctx, d, g, dpr, over) {
  if (!d.grid) return;
  const X0 = Math.round(g.L * dpr), Y0 = Math.round(g.T * dpr);
  const W = Math.round(g.W * dpr), H = Math.round(g.H * dpr);
  if (W < 1 || H < 1) return;
  const { nx, ny, x, y, zT } = d.grid;
  const fx = new Float32Array(W), fy = new Float32Array(H);
  for (let i = 0; i < W; i++) fx[i] = gridIndex(x, g.p2x((X0 + i + 0.5) / dpr - g.L));
  for (let j = 0; j < H; j++) fy[j] = gridIndex(y, g.p2y((Y0 + j + 0.5) / dpr - g.T));
  const img = ctx.createImageData(W, H);
  const buf = new Uint32Array(img.data.buffer);
  const pack = (rgb) => (255 << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]; // little-endian RGBA
  const bands = bandColors(d).map(pack), nb = bands.length - 1, mask = pack(MASK_RGB);
  const inv = d.nLevels / (d.hi - d.lo), lo = d.lo;
  for (let j = 0; j < H; j++) {
    const gy = fy[j];
    if (gy !== gy) continue;
    const j0 = Math.min(ny - 2, gy | 0), ty = gy - j0, row = j * W;
    for (let i = 0; i < W; i++) {
      const gx = fx[i];
      if (gx !== gx) continue;
      const i0 = Math.min(nx - 2, gx | 0), tx = gx - i0, o = j0 * nx + i0;
      const a = zT[o], b = zT[o + 1], cc = zT[o + nx], e = zT[o + nx + 1];
      let v = (a * (1 - tx) + b * tx) * (1 - ty) + (cc * (1 - tx) + e * tx) * ty;
      if (v !== v) v = tx < 0.5 ? (ty < 0.5 ? a : cc) : (ty < 0.5 ? b : e); // next to a hole
      if (v !== v) { buf[row + i] = mask; continue; }
      let band = ((v - lo) * inv) | 0;
      band = band < 0 ? 0 : band > nb ? nb : band;
      buf[row + i] = bands[band];
    }
  }
  ctx.putImageData(img, X0, Y0);
  if (over) over(ctx);
  const segs = contourSegments(d), lv = style().levels;
  ctx.save();
  ctx.beginPath(); ctx.rect(g.L, g.T, g.W, g.H); ctx.clip();
  ctx.beginPath();
  for (let k = 0; k < segs.length; k += 4) {
    ctx.moveTo(g.L + g.x2p(segs[k]), g.T + g.y2p(segs[k + 1]));
    ctx.lineTo(g.L + g.x2p(segs[k + 2]), g.T + g.y2p(segs[k + 3]));
  }
  ctx.strokeStyle = lv.color; ctx.lineWidth = lv.width; ctx.stroke();
  ctx.restore();
}

// f at (xv, yv), bilinear on the raw grid; NaN outside or in a hole.
export function surfaceValue(d, xv, yv) {
  const g = d.grid;
  if (!g) return NaN;
  const gx = gridIndex(g.x, xv), gy = gridIndex(g.y, yv);
  if (gx !== gx || gy !== gy) return NaN;
  const i0 = Math.min(g.nx - 2, gx | 0), j0 = Math.min(g.ny - 2, gy | 0), tx = gx - i0, ty = gy - j0, o = j0 * g.nx + i0;
  const z = g.z;
  return (z[o] * (1 - tx) + z[o + 1] * tx) * (1 - ty) + (z[o + g.nx] * (1 - tx) + z[o + g.nx + 1] * tx) * ty;
}
