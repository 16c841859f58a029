// The ONLY module that reads plotly.js internals (_fullLayout, axis
// _offset/_length/l2p/p2l, the gl3d scene's camera). They are not public
// API and have changed between plotly.js versions: if the vendored bundle
// is upgraded, this file is what to check. Everything else calls these
// functions, or Plotly's public API (react, relayout, restyle, on).

// Pixel mapping of a cartesian subplot, relative to the figure's top-left:
// {L, T, W, H, x2p, y2p, p2x, p2y} (p* take pixels relative to L/T).
export function cartesian(gd, xName, yName) {
  const fl = gd && gd._fullLayout;
  const xa = fl && fl[xName || "xaxis"], ya = fl && fl[yName || "yaxis"];
  if (!xa || !ya || typeof xa.l2p !== "function" || typeof ya.l2p !== "function") return null;
  return {
    L: xa._offset, T: ya._offset, W: xa._length, H: ya._length,
    x2p: (v) => xa.l2p(v), y2p: (v) => ya.l2p(v),
    p2x: (p) => xa.p2l(p), p2y: (p) => ya.p2l(p),
  };
}

// A vertical axis as a function from a value to the figure's y pixel (NaN
// off the axis or not positive on a log axis), with its extent.
export function yAxis(gd, name) {
  const fl = gd && gd._fullLayout, ya = fl && fl[name];
  if (!ya || typeof ya.l2p !== "function") return null;
  const log = ya.type === "log", top = ya._offset, bottom = ya._offset + ya._length;
  return {
    top: top, bottom: bottom,
    toPx: (v) => {
      if (v !== v) return NaN;
      if (log) { if (!(v > 0)) return NaN; v = Math.log10(v); }
      const p = ya._offset + ya.l2p(v);
      return p >= top - 1 && p <= bottom + 1 ? p : NaN;
    },
  };
}

export function xAxis(gd, name) {
  const fl = gd && gd._fullLayout, xa = fl && fl[name || "xaxis"];
  if (!xa || typeof xa.l2p !== "function") return null;
  return { left: xa._offset, right: xa._offset + xa._length, toPx: (v) => xa._offset + xa.l2p(v) };
}

// The figure's size and an annotation's text, as plotly laid them out.
export function laidOut(gd) {
  const fl = gd && gd._fullLayout;
  if (!fl) return null;
  return { width: fl.width, height: fl.height, annotations: (fl.annotations || []).map((a) => a.text) };
}

function mat4mul(a, b) {
  const o = new Float64Array(16);
  for (let i = 0; i < 4; i++) for (let n = 0; n < 4; n++) {
    let v = 0;
    for (let k = 0; k < 4; k++) v += a[4 * k + n] * b[4 * i + k];
    o[4 * i + n] = v;
  }
  return o;
}

// The 3D scene's projection under its current camera: a function from data
// (x, y, z) to figure pixels ([NaN, NaN] behind the camera), the one plotly
// itself uses to place 3D annotations. Null until the scene exists.
export function sceneProjector(gd) {
  const fl = gd && gd._fullLayout;
  const sc = fl && fl.scene && fl.scene._scene;
  if (!sc || !sc.glplot || !sc.glplot.cameraParams || !sc.dataScale) return null;
  const cp = sc.glplot.cameraParams, ds = sc.dataScale, size = fl._size, dom = fl.scene.domain;
  if (!cp.projection || !cp.view || !cp.model || !size || !dom) return null;
  const m = mat4mul(cp.projection, mat4mul(cp.view, cp.model));
  const ox = size.l + dom.x[0] * size.w, oy = size.t + (1 - dom.y[1]) * size.h;
  const w = size.w * (dom.x[1] - dom.x[0]), h = size.h * (dom.y[1] - dom.y[0]);
  return (x, y, z, out, k) => {
    out[k] = NaN; out[k + 1] = NaN;
    const X = x * ds[0], Y = y * ds[1], Z = z * ds[2];
    const cx = m[0] * X + m[4] * Y + m[8] * Z + m[12];
    const cy = m[1] * X + m[5] * Y + m[9] * Z + m[13];
    const cw = m[3] * X + m[7] * Y + m[11] * Z + m[15];
    if (!(cw > 0)) return;
    out[k] = ox + 0.5 * (1 + cx / cw) * w;
    out[k + 1] = oy + 0.5 * (1 - cy / cw) * h;
  };
}

// Call `fn` after every render of the WebGL scene (the camera moved).
export function onSceneRender(gd, fn) {
  const fl = gd && gd._fullLayout;
  const sc = fl && fl.scene && fl.scene._scene;
  if (!sc || !sc.glplot || sc.glplot._playerHooked) return;
  const glplot = sc.glplot, orig = glplot.onrender;
  glplot._playerHooked = true;
  glplot.onrender = function () {
    const r = orig ? orig.apply(this, arguments) : undefined;
    fn();
    return r;
  };
}
