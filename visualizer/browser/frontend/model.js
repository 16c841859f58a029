// A network scene (the payload's "model", visualizer/browser/model_payload.py): the
// data panel of the side column. The training points in their class colour
// (points whose labels are not kept in grey), the test points as rings when
// the panel's switch is on, and the decision boundary of the run in front
// of the legend (else the first visible run) at the step shown: P(class 1)
// as a light two-colour shading and P = 1/2 as a line in the run's colour;
// the unlabelled points that run pseudo-labels there in the colour of the
// class it gives them, outlined, a wrong one crossed. Under it the run's
// accuracies and pseudo-labels at the step, and how much of run 1's path
// the plane of the main plot shows.
//
// Boundary frames are sparse (at most a few dozen per run): the step shows
// the last frame at or before it. Each frame's picture (shading, points,
// line) is drawn once into an offscreen canvas, kept (least recently used
// first out, within a pixel budget), and a step only blits it: playback
// never recomputes a boundary, and a step within the same frame draws
// nothing at all.

import { el } from "./dom.js";
import { S } from "./state.js";
import { style } from "./marks.js";
import { decode, decodeBytes, finiteNum as finite, obj, validWindow } from "./payload.js";
import { hexRgb } from "./contour.js";
import { plain } from "./numbers.js";

const MAX_POINTS = 20000, MAX_GRID = 256, MAX_FRAMES = 2048, MAX_RUNS = 16;
const CACHE_BYTES = 48e6; // offscreen pictures kept, in canvas bytes

export const stats = { loads: 0, builds: 0, blits: 0, run: null, frame: null, frameStep: null, cached: 0,
  flat: false, diverged: false, test: false, buildMs: 0,
  points: { c0: 0, c1: 0, none: 0, test: 0 }, // drawn, by kind (class 0, class 1, no label, test rings)
  pseudo: { right: 0, wrong: 0 } }; // pseudo-labelled points drawn over the unlabelled ones, in the frame shown

const P = {
  m: null,             // the decoded model part, or null
  showTest: false,     // the switch: test points as rings
  shown: "",           // key of the picture on the canvas (run|frame|size)
  cache: new Map(),    // key -> offscreen canvas, in use order
  sizeKey: "",         // the size the pictures were drawn for
  under: null,         // the static points under the pseudo-labels (test rings, unlabelled), for sizeKey
  over: null,          // the static points over them (labelled)
  geo: null,           // {L, T, W, H, x2p, y2p}: the data window in box pixels
  readout: "",
};


// ------------------------------------------------------------- decoding
// The payload's model part, validated; null (no panel) when it is absent
// or does not hold together. The boundary may be missing alone: then the
// panel shows the data only.
export function load(p, d) {
  P.m = null;
  invalidate();
  if (!p || typeof p !== "object" || Array.isArray(p)) return null;
  const data = obj(p.data);
  const win = validWindow(data.window) ? data.window.map((r) => r.slice()) : null;
  const tx = decode(data.train_x), ty = decodeBytes(data.train_y);
  const n = ty ? Math.min(ty.length, tx.length >> 1, MAX_POINTS) : 0;
  if (!win || !n) return null;
  let lab = decodeBytes(data.labelled);
  if (!lab || lab.length < n) lab = null;
  const vx = decode(data.test_x), vy = decodeBytes(data.test_y);
  const nt = vy ? Math.min(vy.length, vx.length >> 1, MAX_POINTS) : 0;
  const ev = Array.isArray(p.explained_variance) ? p.explained_variance.slice(0, 2).map((v) => (finite(v) ? Math.min(1, Math.max(0, v)) : NaN)) : [];
  const m = {
    window: win,
    train: { x: tx, y: ty, n: n, labelled: lab },
    test: { x: vx, y: vy, n: nt },
    scale: finite(data.scale) && data.scale > 0 ? data.scale : 1,
    explained: ev.length === 2 && ev.every((v) => v === v) ? ev : null,
    boundary: boundaryOf(obj(p.boundary), d ? d.runs.length : 0, n),
    runs: d ? d.runs.length : 0,
  };
  if (m.boundary) m.boundary.flat = new Int8Array(m.boundary.R * m.boundary.F).fill(-1); // lazily: -1 unknown
  P.m = m;
  stats.loads++;
  return m;
}

function boundaryOf(b, nRuns, nPoints) {
  const shape = Array.isArray(b.shape) ? b.shape : [];
  if (shape.length !== 4 || !shape.every((v) => Number.isInteger(v) && v > 0)) return null;
  const [R, F, ny, nx] = shape;
  if (R > MAX_RUNS || F > MAX_FRAMES || nx < 2 || ny < 2 || nx > MAX_GRID || ny > MAX_GRID) return null;
  const steps = Array.isArray(b.steps) ? b.steps : [];
  if (steps.length !== F || !steps.every((s, i) => Number.isInteger(s) && s >= 0 && (i === 0 || s > steps[i - 1]))) return null;
  const xs = decode(b.xs), ys = decode(b.ys), pv = decodeBytes(b.p);
  if (xs.length !== nx || ys.length !== ny || !pv || pv.length !== R * F * ny * nx) return null;
  if (!(xs[nx - 1] > xs[0]) || !(ys[ny - 1] > ys[0])) return null;
  let dv = decodeBytes(b.diverged);
  if (!dv || dv.length !== R * F) dv = new Uint8Array(R * F);
  // pseudo-labels: runs x frames x points, 0 none, 1 + the class given; absent (or not whole): none drawn
  let ps = decodeBytes(b.pseudo);
  if (!ps || ps.length !== R * F * nPoints) ps = null;
  return { R: Math.min(R, nRuns || R), F: F, nx: nx, ny: ny, steps: steps, xs: xs, ys: ys, p: pv, diverged: dv,
    pseudo: ps };
}

// --------------------------------------------------------------- which
// The run whose boundary is shown: the one in front, else the first
// visible one, else run 1.
export function boundaryRun(d) {
  d = d || S.d;
  if (!d || !d.runs.length) return null;
  const front = S.front !== null ? d.runs.find((r) => r.key === S.front && !S.hidden.has(r.key)) : null;
  return front || d.runs.find((r) => !S.hidden.has(r.key)) || d.runs[0];
}

// The last frame at or before step k (-1: none).
export function frameAt(b, k) {
  let lo = 0, hi = b.F - 1;
  if (!(k >= b.steps[0])) return -1;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (b.steps[mid] <= k) lo = mid; else hi = mid - 1; }
  return lo;
}

// P(class 1) is one half everywhere (within the bytes' rounding): no line.
function isFlat(b, r, f) {
  const i = r * b.F + f;
  if (b.flat[i] < 0) {
    const off = i * b.nx * b.ny;
    let flat = 1;
    for (let k = 0; k < b.nx * b.ny; k++) { const v = b.p[off + k]; if (v < 126 || v > 129) { flat = 0; break; } }
    b.flat[i] = flat;
  }
  return b.flat[i] === 1;
}

// ------------------------------------------------------------- the panel
export function showPanel() {
  const m = P.m, panel = el.data;
  panel.hidden = !m;
  if (!m) return;
  el.dataTest.hidden = !m.test.n;
  el.dataTest.setAttribute("aria-pressed", String(P.showTest));
  buildKey();
  el.dataNote.textContent = planeText(m);
  el.dataNote.hidden = !el.dataNote.textContent;
}

// How much of run 1's path the plane shows, in words.
export function planeText(m) {
  if (!m.explained) return "";
  const [a, b] = m.explained, pct = (v) => (v > 0 && v < 0.005 ? "<1" : String(Math.round(100 * v))) + "%";
  const others = m.runs > 1 ? "; the other runs are projected onto it" : "";
  if (!(a + b > 0)) return "Run 1 does not move: the plane shows no path.";
  return "The plane shows " + pct(a + b) + " of run 1\u2019s path (axes " + pct(a) + " + " + pct(b) + ")" + others + ".";
}

function keyItem(kind, label) {
  const it = document.createElement("span");
  it.className = "item";
  it.dataset.kind = kind;
  const c = document.createElement("canvas");
  c.className = "icon";
  c.width = 28; c.height = 28;
  c.setAttribute("aria-hidden", "true");
  const ctx = c.getContext("2d");
  ctx.scale(2, 2);
  const D = style().data;
  if (kind === "line") {
    ctx.lineCap = "round";
    ctx.strokeStyle = "#ffffff"; ctx.lineWidth = 5; ctx.beginPath(); ctx.moveTo(1.5, 7); ctx.lineTo(12.5, 7); ctx.stroke();
    ctx.strokeStyle = "#1a1a1a"; ctx.lineWidth = 2.6; ctx.stroke();
  } else if (kind === "p1" || kind === "x1") {
    paintPseudo(ctx, 7, 7, 1, kind === "x1", Math.min(5, D.point.r + 1));
  } else {
    paintPoint(ctx, 7, 7, kind, Math.min(5, D.point.r + 1));
  }
  it.append(c, document.createTextNode(label));
  el.dataItems.appendChild(it);
  return it;
}

// How many training points have no label.
function unlabelled() {
  const m = P.m;
  let unl = 0;
  if (m && m.train.labelled) for (let i = 0; i < m.train.n; i++) if (!m.train.labelled[i]) unl++;
  return unl;
}

function buildKey() {
  const m = P.m;
  el.dataItems.replaceChildren();
  keyItem("c0", "class 0");
  keyItem("c1", "class 1");
  const unl = unlabelled();
  if (unl) keyItem("none", "no label (" + unl + ")");
  if (unl && m.boundary && m.boundary.pseudo) {
    keyItem("p1", "pseudo-label (confident)");
    keyItem("x1", "wrong");
  }
  if (m.boundary) keyItem("line", "P = \u00bd");
  if (m.scale !== 1) {
    const it = document.createElement("span");
    it.className = "item note";
    it.textContent = "the network sees x\u2081 \u00d7 " + plain(m.scale, 3);
    el.dataItems.appendChild(it);
  }
}

export function toggleTest() {
  P.showTest = !P.showTest;
  stats.test = P.showTest;
  if (!P.m) return;
  el.dataTest.setAttribute("aria-pressed", String(P.showTest));
  update(); // its size key holds the test rings: the pictures are drawn again
}

// ------------------------------------------------------------- painting
function paintPoint(ctx, x, y, kind, r) {
  const D = style().data;
  ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI);
  if (kind === "t0" || kind === "t1") {
    ctx.lineWidth = D.test.width + 2; ctx.strokeStyle = D.point.ringColor; ctx.stroke();
    ctx.lineWidth = D.test.width; ctx.strokeStyle = kind === "t0" ? D.classes[0] : D.classes[1]; ctx.stroke();
    return;
  }
  ctx.fillStyle = kind === "none" ? D.unlabelled : kind === "c0" ? D.classes[0] : D.classes[1];
  ctx.fill();
  ctx.lineWidth = D.point.ring; ctx.strokeStyle = D.point.ringColor; ctx.stroke();
}

// An unlabelled point pseudo-labelled class `cls`: that class's colour with
// a dark outline; crossed where the class is wrong.
function paintPseudo(ctx, x, y, cls, wrong, r) {
  const D = style().data, Q = D.pseudo;
  ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = D.classes[cls];
  ctx.fill();
  ctx.lineWidth = Q.width; ctx.strokeStyle = Q.outline; ctx.stroke();
  if (!wrong) return;
  const a = r * Q.crossSize;
  ctx.beginPath();
  ctx.moveTo(x - a, y - a); ctx.lineTo(x + a, y + a);
  ctx.moveTo(x - a, y + a); ctx.lineTo(x + a, y - a);
  ctx.lineCap = "round";
  ctx.lineWidth = Q.crossWidth + 2; ctx.strokeStyle = Q.crossHalo; ctx.stroke();
  ctx.lineWidth = Q.crossWidth; ctx.strokeStyle = Q.cross; ctx.stroke();
}

// The box's geometry: the data window at equal scale, centred.
function geometry() {
  const m = P.m, box = el.dataBox;
  const W = box.clientWidth, H = box.clientHeight;
  if (!(W > 20 && H > 20)) return null;
  const [[x0, x1], [y0, y1]] = m.window, pad = 3;
  const k = Math.min((W - 2 * pad) / (x1 - x0), (H - 2 * pad) / (y1 - y0));
  const w = (x1 - x0) * k, h = (y1 - y0) * k, L = (W - w) / 2, T = (H - h) / 2;
  return { W: W, H: H, L: L, T: T, w: w, h: h, x2p: (x) => L + (x - x0) * k, y2p: (y) => T + (y1 - y) * k };
}

function offscreen(w, h, dpr) {
  const c = document.createElement("canvas");
  c.width = Math.max(1, Math.round(w * dpr));
  c.height = Math.max(1, Math.round(h * dpr));
  const ctx = c.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return [c, ctx];
}

// Every point once, for this size, in two layers that a frame's
// pseudo-labels go between: under them the test points (rings) and the
// unlabelled ones, over them the labelled.
function pointsLayers(g, dpr) {
  const m = P.m, D = style().data;
  const [under, below] = offscreen(g.W, g.H, dpr), [over, above] = offscreen(g.W, g.H, dpr);
  const count = { c0: 0, c1: 0, none: 0, test: 0 };
  if (P.showTest) {
    for (let i = 0; i < m.test.n; i++) paintPoint(below, g.x2p(m.test.x[2 * i]), g.y2p(m.test.x[2 * i + 1]), m.test.y[i] ? "t1" : "t0", D.test.r);
    count.test = m.test.n;
  }
  const lab = m.train.labelled;
  // Where most labels were dropped, the few that are kept are drawn larger.
  const r = lab && 2 * unlabelled() > m.train.n ? D.point.labelledR : D.point.r;
  for (let i = 0; i < m.train.n; i++) {
    const known = !lab || lab[i] !== 0;
    const kind = known ? (m.train.y[i] ? "c1" : "c0") : "none";
    paintPoint(known ? above : below, g.x2p(m.train.x[2 * i]), g.y2p(m.train.x[2 * i + 1]), kind,
      known ? r : D.point.r);
    count[kind]++;
  }
  stats.points = count;
  return [under, over];
}

// Run r's pseudo-labelled points at frame f, over their grey: {right, wrong}.
function paintPseudoLabels(ctx, b, r, f, g) {
  const m = P.m, D = style().data, n = m.train.n, off = (r * b.F + f) * n, out = { right: 0, wrong: 0 };
  for (let i = 0; i < n; i++) {
    const code = b.pseudo[off + i];
    if (!code || (m.train.labelled && m.train.labelled[i])) continue;
    const cls = code === 2 ? 1 : 0, wrong = cls !== (m.train.y[i] ? 1 : 0);
    paintPseudo(ctx, g.x2p(m.train.x[2 * i]), g.y2p(m.train.x[2 * i + 1]), cls, wrong, D.point.r + 0.6);
    out[wrong ? "wrong" : "right"]++;
  }
  return out;
}

// The shading of one frame as an nx x ny image, row 0 at the top.
function shadeImage(b, r, f) {
  const D = style().data, c0 = hexRgb(D.classes[0]), c1 = hexRgb(D.classes[1]);
  const c = document.createElement("canvas");
  c.width = b.nx; c.height = b.ny;
  const ctx = c.getContext("2d");
  const img = ctx.createImageData(b.nx, b.ny), px = img.data;
  const off = (r * b.F + f) * b.nx * b.ny;
  for (let j = 0; j < b.ny; j++) {
    const row = b.ny - 1 - j; // ys ascend upwards
    for (let i = 0; i < b.nx; i++) {
      const p = b.p[off + j * b.nx + i] / 255, t = Math.min(1, Math.abs(2 * p - 1) * D.shadeGain);
      const rgb = p >= 0.5 ? c1 : c0, a = D.shade * t;
      const o = 4 * (row * b.nx + i);
      px[o] = Math.round(255 + (rgb[0] - 255) * a);
      px[o + 1] = Math.round(255 + (rgb[1] - 255) * a);
      px[o + 2] = Math.round(255 + (rgb[2] - 255) * a);
      px[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

// P = 1/2 by marching squares over the frame's grid: segments in pixels.
function halfLine(b, r, f, g) {
  const off = (r * b.F + f) * b.nx * b.ny, segs = [];
  const v = (i, j) => b.p[off + j * b.nx + i] - 127.5;
  const X = (i, t) => g.x2p(b.xs[i] + (b.xs[i + 1] - b.xs[i]) * t), Y = (j, t) => g.y2p(b.ys[j] + (b.ys[j + 1] - b.ys[j]) * t);
  for (let j = 0; j < b.ny - 1; j++) {
    for (let i = 0; i < b.nx - 1; i++) {
      const a = v(i, j), bb = v(i + 1, j), c = v(i + 1, j + 1), d = v(i, j + 1);
      const pts = [];
      if ((a > 0) !== (bb > 0)) pts.push([X(i, a / (a - bb)), g.y2p(b.ys[j])]);
      if ((bb > 0) !== (c > 0)) pts.push([g.x2p(b.xs[i + 1]), Y(j, bb / (bb - c))]);
      if ((d > 0) !== (c > 0)) pts.push([X(i, d / (d - c)), g.y2p(b.ys[j + 1])]);
      if ((a > 0) !== (d > 0)) pts.push([g.x2p(b.xs[i]), Y(j, a / (a - d))]);
      if (pts.length === 2) segs.push(pts[0], pts[1]);
      else if (pts.length === 4) {
        // a saddle cell: pair the crossings by the centre's side
        const centre = (a + bb + c + d) / 4 > 0, aPos = a > 0;
        if (centre === aPos) segs.push(pts[0], pts[1], pts[2], pts[3]);
        else segs.push(pts[0], pts[3], pts[1], pts[2]);
      }
    }
  }
  return segs;
}

// The picture of run r's frame f (f < 0 or a diverged frame: the points
// alone), drawn once.
function picture(r, f, color, g, dpr) {
  const key = r + "|" + f + "|" + color;
  const hit = P.cache.get(key);
  if (hit) { P.cache.delete(key); P.cache.set(key, hit); return hit; }
  const t0 = performance.now();
  const m = P.m, b = m.boundary, D = style().data;
  const [c, ctx] = offscreen(g.W, g.H, dpr);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(g.L, g.T, g.w, g.h);
  const live = b && f >= 0 && r < b.R && !b.diverged[r * b.F + f];
  if (live) {
    ctx.save();
    ctx.beginPath(); ctx.rect(g.L, g.T, g.w, g.h); ctx.clip();
    const cw = (g.x2p(b.xs[b.nx - 1]) - g.x2p(b.xs[0])) / (b.nx - 1);
    const ch = (g.y2p(b.ys[0]) - g.y2p(b.ys[b.ny - 1])) / (b.ny - 1);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    // pixel centres on the grid's points
    ctx.drawImage(shadeImage(b, r, f), g.x2p(b.xs[0]) - cw / 2, g.y2p(b.ys[b.ny - 1]) - ch / 2, cw * b.nx, ch * b.ny);
    ctx.restore();
  }
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(P.under, 0, 0);
  ctx.restore();
  if (live && b.pseudo) paintPseudoLabels(ctx, b, r, f, g);
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(P.over, 0, 0);
  ctx.restore();
  if (live && !isFlat(b, r, f)) {
    const segs = halfLine(b, r, f, g);
    ctx.save();
    ctx.beginPath(); ctx.rect(g.L, g.T, g.w, g.h); ctx.clip();
    ctx.beginPath();
    for (let s = 0; s < segs.length; s += 2) { ctx.moveTo(segs[s][0], segs[s][1]); ctx.lineTo(segs[s + 1][0], segs[s + 1][1]); }
    ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.strokeStyle = D.line.haloColor; ctx.lineWidth = D.line.width + D.line.halo; ctx.stroke();
    ctx.strokeStyle = color; ctx.lineWidth = D.line.width; ctx.stroke();
    ctx.restore();
  }
  ctx.save();
  ctx.strokeStyle = D.frame; ctx.lineWidth = 1;
  ctx.strokeRect(Math.round(g.L) + 0.5, Math.round(g.T) + 0.5, Math.round(g.w) - 1, Math.round(g.h) - 1);
  ctx.restore();
  P.cache.set(key, c);
  const most = Math.max(4, Math.floor(CACHE_BYTES / (4 * c.width * c.height)));
  while (P.cache.size > most) P.cache.delete(P.cache.keys().next().value);
  stats.builds++;
  stats.cached = P.cache.size;
  stats.buildMs = Math.round((performance.now() - t0) * 10) / 10;
  return c;
}

// A new size, style or switch: every picture is drawn again when needed.
export function invalidate() {
  P.cache.clear();
  P.under = P.over = null;
  P.sizeKey = "";
  P.shown = "";
  stats.cached = 0;
}

function pct(v) {
  return v === v ? Math.round(100 * v) + "%" : "\u2013";
}

// Bring the panel up to the state: the run, the frame, the readout. A
// step in the same frame costs a comparison.
export function update() {
  const m = P.m;
  if (!m || el.data.hidden) return;
  const d = S.d, r = boundaryRun(d);
  const canvas = el.dataCanvas;
  const dpr = window.devicePixelRatio || 1;
  const sizeKey = el.dataBox.clientWidth + "x" + el.dataBox.clientHeight + "@" + dpr + style().name + (P.showTest ? "T" : "");
  if (sizeKey !== P.sizeKey) {
    invalidate();
    P.sizeKey = sizeKey;
    P.geo = geometry();
    if (P.geo) [P.under, P.over] = pointsLayers(P.geo, dpr);
  }
  const g = P.geo;
  if (!g || !r) return;
  const k = Math.min(d.N, Math.floor(S.stepF));
  const b = m.boundary;
  const f = b ? frameAt(b, k) : -1;
  const key = sizeKey + "|" + r.i + "|" + f + "|" + r.color;
  if (key !== P.shown) {
    const pic = picture(r.i, f, r.color, g, dpr);
    if (canvas.width !== pic.width || canvas.height !== pic.height) {
      canvas.width = pic.width; canvas.height = pic.height;
      canvas.style.width = g.W + "px"; canvas.style.height = g.H + "px";
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(pic, 0, 0);
    P.shown = key;
    stats.blits++;
    stats.run = r.i;
    stats.frame = f;
    stats.frameStep = f >= 0 ? b.steps[f] : null;
    stats.flat = !!(b && f >= 0 && r.i < b.R && isFlat(b, r.i, f));
    stats.diverged = !!(b && f >= 0 && r.i < b.R && b.diverged[r.i * b.F + f]);
    stats.pseudo = b && b.pseudo && f >= 0 && r.i < b.R && !stats.diverged ? pseudoCount(b, r.i, f) : { right: 0, wrong: 0 };
    header(r);
  }
  readout(r, k, b, f);
}

// Run r's pseudo-labels at frame f, right and wrong (what the frame draws).
function pseudoCount(b, r, f) {
  const m = P.m, n = m.train.n, off = (r * b.F + f) * n, out = { right: 0, wrong: 0 };
  for (let i = 0; i < n; i++) {
    const code = b.pseudo[off + i];
    if (!code || (m.train.labelled && m.train.labelled[i])) continue;
    out[(code === 2) !== !!m.train.y[i] ? "wrong" : "right"]++;
  }
  return out;
}

function header(r) {
  const who = el.dataWho;
  if (who.textContent !== r.label) who.textContent = r.label;
  who.style.borderBottomColor = r.color;
}

function readout(r, k, b, f) {
  let text;
  const dv = b && f >= 0 && r.i < b.R && b.diverged[r.i * b.F + f];
  if (r.diverged !== null && k > r.diverged) text = "diverged at step " + r.diverged + ": no boundary";
  else if (dv) text = "diverged: no boundary";
  else {
    const a = k < r.acc.length ? r.acc[k] : NaN, t = k < r.testAcc.length ? r.testAcc[k] : NaN;
    text = "train " + pct(a) + " \u00b7 test " + pct(t);
    // pseudo-labels at the step itself (the frame's points may be a few steps older)
    if (k < r.pseudo.length && unlabelled() > 0) {
      const n = Math.round(r.pseudo[k]), share = k < r.pseudoAcc.length ? r.pseudoAcc[k] : NaN;
      const what = r.selftrain ? " pseudo-label" + (n === 1 ? "" : "s") : " confident";
      text += " \u00b7 " + n + what + (n > 0 ? " (" + pct(share) + " right)" : "");
    }
    if (b && f >= 0 && r.i < b.R && isFlat(b, r.i, f)) text += " \u00b7 P = \u00bd everywhere";
    else if (!b || f < 0 || r.i >= b.R) text += " \u00b7 no boundary";
  }
  if (text !== P.readout) { P.readout = text; el.dataReadout.textContent = text; }
}

window.__model = { stats: stats, state: P, frameAt: frameAt, planeText: planeText,
  pixel: (x, y) => {
    // the canvas's colour at data (x, y), for tests
    const g = P.geo;
    if (!g) return null;
    const c = el.dataCanvas, dpr = c.width / g.W;
    const px = el.dataCanvas.getContext("2d").getImageData(Math.round(g.x2p(x) * dpr), Math.round(g.y2p(y) * dpr), 1, 1).data;
    return [px[0], px[1], px[2], px[3]];
  } };
