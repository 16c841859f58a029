/* Optimizer trajectory player: the frontend of visualizer/player.py.
 *
 * Plain JS on plotly.js, talking to Streamlit's component protocol directly.
 * Rendering strategy (measured with benchmarks/player_fps.py):
 *  - 2D: the filled contour and its level lines are drawn on a canvas under
 *    a Plotly figure that holds the axes, markers and colour bar (Plotly's
 *    own contour cost ~150 ms per payload). The plot area keeps equal x/y
 *    scale and is the largest the main panel holds. The paths and moving
 *    heads are drawn on a canvas over the plot area with the axis mapping,
 *    so a frame is a canvas redraw and never a Plotly call (~1 ms).
 *  - Side charts: one Plotly figure (loss, learning rate, gradient norm share
 *    the step axis) drawn once per payload; the step cursor and the current
 *    values are a canvas overlay.
 *  - 3D: a Plotly surface; paths, heads and marks are projected with the
 *    scene's camera onto a canvas over it and redrawn when the camera moves,
 *    so playing never re-renders WebGL (software GL here: 100-300 ms a frame).
 *  - Legend: plain HTML (labels via textContent only), one toggle button per
 *    run plus a line for the marks; above the side charts, or under the 2D
 *    plot when the window's shape leaves room there. A click flips S.hidden
 *    and redraws the overlays and restyles the side charts.
 *
 * State machine: a new payload shows the full paths, paused at step N. Play
 * advances a fractional step at N / (about 6 s) x speed; at N it pauses;
 * Play at N restarts from 0. Step, scrub and keys pause and move the step;
 * restart goes to 0 and keeps playing if it was. The view (2D/3D), speed and
 * hidden runs live here and persist across reruns (the iframe persists).
 * "Set start" arms a click on the 2D plot area, which is sent as
 * {event: "start", xy, nonce} and shown as a pending mark until the next
 * payload arrives.
 *
 * Test hooks: window.__playerStats (frames, lastFrameMs, renders,
 * lastRenderMs, phases, view, playing, step) and window.__player.
 */
(function () {
  "use strict";

  // ---------------------------------------------------------------- basics
  const $ = (id) => document.getElementById(id);
  const el = {
    app: $("app"), toolbar: $("toolbar"), play: $("btn-play"), restart: $("btn-restart"),
    back: $("btn-back"), fwd: $("btn-fwd"), scrub: $("scrub"), counter: $("counter"),
    speed: $("speed"), b2d: $("btn-2d"), b3d: $("btn-3d"), start: $("btn-start"),
    copy: $("btn-copy"), status: $("status"), main: $("main"), plot2d: $("plot2d"),
    paths2d: $("paths2d"), paths3d: $("paths3d"), surf2d: $("surf2d"), readout: $("readout"), picker: $("picker"), plot3d: $("plot3d"), empty: $("empty"),
    side: $("side"), plotside: $("plotside"), cursor: $("cursor"), panels: $("panels"),
    legend: $("legend"), legendRuns: $("legend-runs"), legendMarks: $("legend-marks"), charts: $("charts"),
  };

  const stats = (window.__playerStats = {
    frames: 0, lastFrameMs: 0, renders: 0, lastRenderMs: 0, view: "2d", playing: false, step: 0,
  });

  const S = {
    d: null,            // the prepared payload
    sig: null,          // JSON of the last payload: a rerun with the same payload changes nothing
    N: 0,               // last step
    stepF: 0,           // current (fractional while playing) step
    playing: false,
    lastT: 0,
    raf: 0,
    speed: 1,
    view: "2d",
    userView: false,    // once the user picked a view, payload.view no longer overrides it
    setStart: false,
    pending: null,      // clicked start waiting for the new payload
    nonce: 0,
    hidden: new Set(),  // keys of runs hidden from the legend
    height: 640,
    narrow: false,
    stale2d: true,
    stale3d: true,
    geo2d: null,        // plot-area geometry of the 2D figure
    geoSide: null,
    busy3d: false,
    want3d: -1,
  };

  const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
  const SURFACE_SCALE = [
    [0, "#fdfdf8"], [0.18, "#eef1f3"], [0.4, "#d9e0e8"], [0.7, "#b5c2d1"], [1, "#9aaabd"],
  ];
  const SURFACE_SCALE_3D = [
    [0, "#f2f7e8"], [0.25, "#cfe3c0"], [0.5, "#93c3b4"], [0.75, "#5f97b5"], [1, "#3d5f9a"],
  ];
  const DIVERGED = "#c4001d";
  const FONT = '"Source Sans Pro", "Source Sans 3", system-ui, "DejaVu Sans", sans-serif';
  const SEC_PER_RUN = 6; // 1x plays a whole run in about this many seconds

  function send(type, extra) {
    window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, extra || {}), "*");
  }

  function setStatus(text, warn) {
    el.status.textContent = text || "";
    el.status.classList.toggle("warn", !!warn);
  }

  // Plotly renders a subset of HTML in text; user labels must stay plain text.
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function clip(s, n) {
    s = String(s);
    return s.length > n ? s.slice(0, n - 1) + "\u2026" : s;
  }

  function fmt(v) {
    if (!isFinite(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1).replace("e+", "e");
    return String(parseFloat(v.toPrecision(3)));
  }

  function finiteNum(v) {
    return typeof v === "number" && isFinite(v);
  }

  function validColor(c) {
    return typeof c === "string" && /^(#[0-9a-f]{3,8}|rgba?\([0-9.,%\s]+\)|hsla?\([0-9.,%\s]+\)|[a-z]{3,20})$/i.test(c.trim());
  }

  // ------------------------------------------------------- payload decoding
  function decode(spec) {
    let a;
    if (spec == null) return new Float32Array(0);
    if (Array.isArray(spec)) {
      a = new Float32Array(spec.length);
      for (let i = 0; i < spec.length; i++) a[i] = spec[i] == null ? NaN : +spec[i];
    } else if (typeof spec === "object" && typeof spec.bdata === "string") {
      let bin;
      try { bin = atob(spec.bdata); } catch (e) { return new Float32Array(0); }
      const u8 = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
      const dt = spec.dtype || "f4";
      if (dt === "f8") a = Float32Array.from(new Float64Array(u8.buffer, 0, u8.length >> 3));
      else if (dt === "i4") a = Float32Array.from(new Int32Array(u8.buffer, 0, u8.length >> 2));
      else a = new Float32Array(u8.buffer, 0, u8.length >> 2);
    } else {
      return new Float32Array(0);
    }
    for (let i = 0; i < a.length; i++) if (!isFinite(a[i])) a[i] = NaN;
    return a;
  }

  function quantile(sorted, q) {
    if (!sorted.length) return NaN;
    const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
    return sorted[i];
  }

  function sampleSorted(arrs, maxN) {
    let total = 0;
    for (const a of arrs) total += a.length;
    const stride = Math.max(1, Math.floor(total / maxN));
    const out = [];
    for (const a of arrs) for (let i = 0; i < a.length; i += stride) if (a[i] === a[i]) out.push(a[i]);
    return Float64Array.from(out).sort();
  }

  function validWindow(w) {
    return Array.isArray(w) && w.length === 2 && w.every((r) => Array.isArray(r) && r.length === 2 &&
      finiteNum(r[0]) && finiteNum(r[1]) && r[1] > r[0]);
  }

  function points(list) {
    return (Array.isArray(list) ? list : []).filter((p) => Array.isArray(p) && finiteNum(p[0]) && finiteNum(p[1]));
  }

  function prepare(p) {
    const surf = p.surface && typeof p.surface === "object" ? p.surface : {};
    const sx = decode(surf.x), sy = decode(surf.y), sz = decode(surf.z);
    const nx = sx.length, ny = sy.length;
    const hasGrid = nx > 1 && ny > 1 && sz.length === nx * ny;
    const logScale = !!surf.log_scale;

    let zmin = Infinity, zmax = -Infinity, nNaN = 0;
    if (hasGrid) {
      for (let i = 0; i < sz.length; i++) {
        const v = sz[i];
        if (v !== v) { nNaN++; continue; }
        if (v < zmin) zmin = v;
        if (v > zmax) zmax = v;
      }
    }
    const hasSurface = hasGrid && nNaN < sz.length;

    const runs = (Array.isArray(p.runs) ? p.runs : []).slice(0, 16).map((r, i) => {
      r = r && typeof r === "object" ? r : {};
      const xy = decode(r.xy);
      const npts = xy.length >> 1;
      const X = new Float32Array(npts), Y = new Float32Array(npts);
      for (let k = 0; k < npts; k++) { X[k] = xy[2 * k]; Y[k] = xy[2 * k + 1]; }
      const label = r.label == null || r.label === "" ? "run " + (i + 1) : String(r.label);
      const dv = r.diverged_at;
      return {
        i: i,
        key: i + "|" + label,
        label: label,
        color: validColor(r.color) ? r.color.trim() : PALETTE[i % PALETTE.length],
        X: X, Y: Y, n: npts - 1,
        loss: decode(r.loss), lr: decode(r.lr), gn: decode(r.grad_norm),
        diverged: finiteNum(dv) ? Math.max(0, Math.round(dv)) : null,
        clip: finiteNum(r.clip_norm) && r.clip_norm > 0 ? r.clip_norm : null,
        px: new Float32Array(npts), py: new Float32Array(npts), Z: null,
      };
    });

    let N = finiteNum(p.steps) ? Math.max(0, Math.round(p.steps)) : 0;
    for (const r of runs) N = Math.max(N, r.n);

    // Value transform shared by the contour levels, the 3D surface and the
    // 3D path heights, so lifted paths sit on the surface.
    if (!hasSurface) {
      // No surface to read a scale from: use the losses.
      zmin = Infinity; zmax = -Infinity;
      for (const r of runs) for (const v of r.loss) if (v === v) { zmin = Math.min(zmin, v); zmax = Math.max(zmax, v); }
      if (!isFinite(zmin)) { zmin = 0; zmax = 1; }
    }
    const sorted = hasSurface ? sampleSorted([sz], 6000) : sampleSorted(runs.map((r) => r.loss), 6000);
    const range = zmax - zmin;
    let eps = 0;
    if (logScale) {
      const med = quantile(sorted, 0.5);
      eps = 1e-3 * (med - zmin);
      if (!(eps > 0)) eps = 1e-3 * range;
      if (!(eps > 0)) eps = 1e-3 * Math.max(1, Math.abs(zmin));
    }
    const T = logScale
      ? (v) => Math.log10(Math.max(v - zmin, 0) + eps)
      : (v) => v;
    const Tinv = logScale ? (t) => Math.pow(10, t) - eps + zmin : (t) => t;
    const lo = T(zmin);
    let hi = T(quantile(sorted, 0.985));
    const top = T(zmax);
    if (!(hi > lo)) hi = top > lo ? top : lo + 1;
    const nLevels = 22;

    let grid = null;
    if (hasSurface) {
      // x and y ascending (flip a descending axis and the matching z order)
      let gx = sx, gy = sy, gz = sz;
      if (gx[nx - 1] < gx[0] || gy[ny - 1] < gy[0]) {
        const fx = gx[nx - 1] < gx[0], fy = gy[ny - 1] < gy[0];
        gx = fx ? gx.slice().reverse() : gx; gy = fy ? gy.slice().reverse() : gy;
        gz = new Float32Array(nx * ny);
        for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
          gz[j * nx + i] = sz[(fy ? ny - 1 - j : j) * nx + (fx ? nx - 1 - i : i)];
        }
      }
      const zT = new Float32Array(nx * ny);
      for (let i = 0; i < zT.length; i++) zT[i] = gz[i] === gz[i] ? T(gz[i]) : NaN;
      grid = { nx: nx, ny: ny, x: gx, y: gy, z: gz, zT: zT, nNaN: nNaN, segs: null, rows: null };
    }

    // Plot window: the payload's, else the grid's, else the paths'.
    let win = validWindow(surf.window) ? surf.window.map((r) => r.slice()) : null;
    if (!win && hasGrid) win = [[sx[0], sx[nx - 1]], [sy[0], sy[ny - 1]]];
    if (!win || !(win[0][1] > win[0][0]) || !(win[1][1] > win[1][0])) {
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      for (const r of runs) for (let k = 0; k <= r.n; k++) {
        if (r.X[k] === r.X[k]) { x0 = Math.min(x0, r.X[k]); x1 = Math.max(x1, r.X[k]); }
        if (r.Y[k] === r.Y[k]) { y0 = Math.min(y0, r.Y[k]); y1 = Math.max(y1, r.Y[k]); }
      }
      if (!(x1 > x0)) { x0 = (isFinite(x0) ? x0 : 0) - 1; x1 = x0 + 2; }
      if (!(y1 > y0)) { y0 = (isFinite(y0) ? y0 : 0) - 1; y1 = y0 + 2; }
      win = [[x0, x1], [y0, y1]];
    }

    // 3D heights of the paths: the same transform, clamped to the surface's
    // range, lifted a little so the line is not buried in the surface.
    const zLo3 = lo, zHi3 = Math.max(top, hi);
    const lift = 0.012 * (zHi3 - zLo3 || 1);
    for (const r of runs) {
      const Z = new Float32Array(r.n + 1);
      for (let k = 0; k <= r.n; k++) {
        const v = r.loss[k];
        Z[k] = v === v ? Math.min(zHi3, Math.max(zLo3, T(v))) + lift : NaN;
      }
      r.Z = Z;
    }

    const start = Array.isArray(p.start) && finiteNum(p.start[0]) && finiteNum(p.start[1])
      ? p.start : (runs.length && runs[0].n >= 0 ? [runs[0].X[0], runs[0].Y[0]] : null);

    return {
      query: typeof p.query === "string" ? p.query : null,
      name: typeof surf.name === "string" ? surf.name : "",
      logScale: logScale, zmin: zmin, eps: eps, T: T, Tinv: Tinv, lo: lo, hi: hi, zHi3: zHi3,
      nLevels: nLevels, grid: grid, hasGrid: hasGrid, allNaN: hasGrid && !hasSurface,
      window: win,
      minima: points(surf.minima), minimaEstimated: !!surf.minima_estimated,
      saddles: points(surf.saddles),
      start: start, runs: runs, N: N,
      uirev: (typeof surf.name === "string" ? surf.name : "") + JSON.stringify(win),
    };
  }

  // --------------------------------------------------------------- layout
  function applyHeight() {
    const w = document.documentElement.clientWidth || window.innerWidth || 800;
    S.narrow = w < 640;
    el.app.classList.toggle("narrow", S.narrow);
    let total = S.height;
    if (S.narrow) {
      const tb = el.toolbar.offsetHeight || 90;
      let mainH = Math.round(Math.min(620, Math.max(340, w * 0.9 + 90)));
      if (S.d) {
        // as tall as the 2D plot of this window at the full width needs
        const [[x0, x1], [y0, y1]] = S.d.window;
        const spanX = x1 - x0, spanY = y1 - y0;
        if (spanX / spanY < 3 && spanY / spanX < 3) {
          const pw = (el.main.clientWidth || w) - M2D.l - (S.d.grid ? M2D.cb : 0) - M2D.r;
          mainH = Math.round(Math.min(mainH, Math.max(300, M2D.t + M2D.b + 6 + pw * spanY / spanX)));
        }
      }
      placeLegend();
      const sideH = 380 + (el.legend.hidden ? 0 : el.legend.offsetHeight);
      el.main.style.height = mainH + "px";
      el.side.style.height = sideH + "px";
      total = tb + mainH + sideH + 4;
    } else {
      el.main.style.height = "";
      el.side.style.height = "";
    }
    el.app.style.height = total + "px";
    applySplit();
    if (!S.narrow) placeLegend();
    if (total !== S.sentHeight) {
      S.sentHeight = total;
      send("streamlit:setFrameHeight", { height: total });
    }
  }

  function sizeCanvas(canvas, host) {
    const dpr = window.devicePixelRatio || 1;
    const w = host.clientWidth, h = host.clientHeight;
    if (canvas._w !== w || canvas._h !== h || canvas._dpr !== dpr) {
      canvas.width = Math.max(1, Math.round(w * dpr));
      canvas.height = Math.max(1, Math.round(h * dpr));
      canvas.style.width = w + "px";
      canvas.style.height = h + "px";
      canvas._w = w; canvas._h = h; canvas._dpr = dpr;
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return ctx;
  }

  const PLOT_CONFIG = {
    displaylogo: false,
    responsive: false,
    scrollZoom: false,
    doubleClick: "reset",
    modeBarButtonsToRemove: ["toImage", "lasso2d", "select2d", "autoScale2d", "toggleSpikelines",
      "hoverClosestCartesian", "hoverCompareCartesian", "resetCameraLastSave3d", "hoverClosest3d", "orbitRotation", "tableRotation"],
  };

  function baseLayout() {
    return {
      modebar: { bgcolor: "rgba(255,255,255,0.9)", color: "#6b7280", activecolor: "#1f5fbf" },
      font: { family: FONT, size: 13, color: "#1a1a1a" },
      paper_bgcolor: "#ffffff",
      plot_bgcolor: "#ffffff",
      hoverlabel: { font: { family: FONT, size: 13 } },
    };
  }

  const measureCtx = document.createElement("canvas").getContext("2d");
  function textWidth(text, size) {
    measureCtx.font = (size || 13) + "px " + FONT;
    return measureCtx.measureText(text).width;
  }

  // ------------------------------------------------------------- legend
  // The run legend is plain HTML above the side charts (it serves 2D, 3D and
  // the charts alike). Labels are untrusted: only textContent, never markup.
  const SVG_NS = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs, parent) {
    const n = document.createElementNS(SVG_NS, tag);
    for (const k in attrs) n.setAttribute(k, String(attrs[k]));
    if (parent) parent.appendChild(n);
    return n;
  }

  function swatch(color) {
    const svg = svgEl("svg", { viewBox: "0 0 30 18", "aria-hidden": "true", focusable: "false" });
    svgEl("line", { x1: 2, y1: 9, x2: 28, y2: 9, stroke: color, "stroke-width": 3, "stroke-linecap": "round" }, svg);
    svgEl("circle", { cx: 15, cy: 9, r: 4.6, fill: color, stroke: "#ffffff", "stroke-width": 1.5 }, svg);
    return svg;
  }

  function markIcon(kind) {
    const svg = svgEl("svg", { viewBox: "-10 -10 20 20", "aria-hidden": "true", focusable: "false" });
    if (kind === "min") {
      const pts = [];
      for (let i = 0; i < 10; i++) {
        const a = -Math.PI / 2 + i * Math.PI / 5, rr = i % 2 ? 3.6 : 8.6;
        pts.push((rr * Math.cos(a)).toFixed(2) + "," + (rr * Math.sin(a) + 0.6).toFixed(2));
      }
      svgEl("polygon", { points: pts.join(" "), fill: "#ffcc00", stroke: "#1a1a1a", "stroke-width": 1.3, "stroke-linejoin": "round" }, svg);
    } else if (kind === "saddle") {
      svgEl("path", { d: "M-5,-5L5,5M5,-5L-5,5", stroke: "#1a1a1a", "stroke-width": 3, "stroke-linecap": "round" }, svg);
    } else {
      svgEl("circle", { cx: 0, cy: 0, r: 5.5, fill: "#ffffff", stroke: "#1a1a1a", "stroke-width": 2.3 }, svg);
    }
    return svg;
  }

  function buildLegend(d) {
    const runs = el.legendRuns, marks = el.legendMarks;
    runs.replaceChildren();
    marks.replaceChildren();
    for (const r of d.runs) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "run";
      b.dataset.key = r.key;
      b.title = "Click to hide or show this run";
      b.appendChild(swatch(r.color));
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
      b.appendChild(text);
      b.addEventListener("click", () => toggleRun(r.key));
      runs.appendChild(b);
    }
    const addMark = (kind, text) => {
      const m = document.createElement("span");
      m.className = "mark";
      m.appendChild(markIcon(kind));
      m.appendChild(document.createTextNode(text));
      marks.appendChild(m);
    };
    if (d.minima.length) addMark("min", d.minimaEstimated ? "estimated minimum" : "minimum");
    if (d.saddles.length) addMark("saddle", "saddle point");
    if (d.start) addMark("start", "start");
    el.legend.hidden = !d.runs.length && !marks.childNodes.length;
    updateLegendState();
  }

  function updateLegendState() {
    for (const b of el.legendRuns.children) {
      b.setAttribute("aria-pressed", String(!S.hidden.has(b.dataset.key)));
    }
  }

  // A legend click: hide or show the run in the 2D and 3D overlays and the
  // side charts (the state outlives reruns: runs are keyed by index + label).
  function toggleRun(key) {
    if (S.hidden.has(key)) S.hidden.delete(key); else S.hidden.add(key);
    updateLegendState();
    applySideVisibility();
    if (S.view === "2d") draw2d(); else draw3d();
    drawCursor();
  }

  // ------------------------------------------------------------ 2D figure
  function figure2d(d) {
    const traces = [];
    const geo = mainGeometry(d);
    const [[x0, x1], [y0, y1]] = d.window;
    if (d.grid) {
      const colorbar = {
        thickness: 12, len: 0.92, x: 1.005, xpad: 4, outlinewidth: 0,
        tickfont: { size: 12 }, title: { text: d.logScale && Math.abs(d.zmin) > 1e-12 ? "f \u2212 min" : "f", side: "top", font: { size: 13 } },
      };
      if (d.logScale) {
        const vals = [], text = [];
        const shift = Math.abs(d.zmin) > 1e-12;
        const pushTick = (delta) => {
          const t = d.T(d.zmin + delta);
          if (t >= d.lo - 1e-9 && t <= d.hi + 1e-9 && !vals.some((v) => Math.abs(v - t) < 0.06 * (d.hi - d.lo))) {
            vals.push(t); text.push(fmt(shift ? delta : d.zmin + delta));
          }
        };
        pushTick(0);
        const kLo = Math.floor(d.lo) - 1, kHi = Math.ceil(d.hi) + 1;
        for (let k = kLo; k <= kHi; k++) pushTick(Math.pow(10, k));
        if (vals.length < 4) for (let k = kLo; k <= kHi; k++) { pushTick(2 * Math.pow(10, k)); pushTick(5 * Math.pow(10, k)); }
        colorbar.tickvals = vals; colorbar.ticktext = text;
      }
      // The filled contour itself is drawn on a canvas under the figure
      // (drawSurface): Plotly's contour costs ~150 ms per payload here. This
      // invisible trace only carries the colour bar.
      traces.push({
        type: "scatter", mode: "markers", x: [null], y: [null], showlegend: false, hoverinfo: "skip", name: "f",
        marker: { color: [d.lo], cmin: d.lo, cmax: d.hi, colorscale: bandScale(d), showscale: true, colorbar: colorbar },
      });
    }
    if (d.minima.length) {
      traces.push({
        type: "scatter", mode: "markers", showlegend: false, name: d.minimaEstimated ? "estimated minimum" : "minimum",
        x: d.minima.map((q) => q[0]), y: d.minima.map((q) => q[1]),
        marker: { symbol: "star", size: 16, color: "#ffcc00", line: { color: "#1a1a1a", width: 1.5 } },
        hovertemplate: (d.minimaEstimated ? "estimated minimum" : "minimum") + " (%{x:.4g}, %{y:.4g})<extra></extra>",
      });
    }
    if (d.saddles.length) {
      traces.push({
        type: "scatter", mode: "markers", showlegend: false, name: "saddle point",
        x: d.saddles.map((q) => q[0]), y: d.saddles.map((q) => q[1]),
        marker: { symbol: "x", size: 13, color: "#1a1a1a", line: { color: "#ffffff", width: 1 } },
        hovertemplate: "saddle point (%{x:.4g}, %{y:.4g})<extra></extra>",
      });
    }
    if (d.start) {
      traces.push({
        type: "scatter", mode: "markers", showlegend: false, name: "start", x: [d.start[0]], y: [d.start[1]],
        marker: { symbol: "circle", size: 13, color: "#ffffff", line: { color: "#1a1a1a", width: 2.5 } },
        hovertemplate: "start (%{x:.4g}, %{y:.4g})<extra></extra>",
      });
    }
    // The runs' paths are drawn on the canvas overlay (draw2d), their legend
    // is HTML (buildLegend).
    if (d.grid) {
      const cbar = traces[0].marker.colorbar;
      cbar.x = 1 + 10 / geo.pw; cbar.xanchor = "left";
      cbar.len = 1; cbar.y = 0; cbar.yanchor = "bottom";
    }
    const layout = Object.assign(baseLayout(), {
      uirevision: d.uirev,
      datarevision: d.rev,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      width: geo.W, height: geo.H,
      margin: geo.margin,
      title: { text: esc(clip(d.name, 60)), x: 0.01, xanchor: "left", y: 0.985, yanchor: "top", font: { size: 16 } },
      xaxis: {
        range: [x0, x1], title: { text: "x", standoff: 2 }, showgrid: false, zeroline: false,
        ticks: "outside", ticklen: 4, mirror: true, showline: true, linecolor: "#50575f",
        tickfont: { size: 13 }, automargin: false,
      },
      yaxis: {
        range: [y0, y1], title: { text: "y", standoff: 4 }, showgrid: false, zeroline: false,
        ticks: "outside", ticklen: 4, mirror: true, showline: true, linecolor: "#50575f",
        tickfont: { size: 13 }, automargin: false,
      },
      showlegend: false,
      hovermode: "closest",
      dragmode: "zoom",
    });
    return { data: traces, layout: layout };
  }

  // The plot area is sized here rather than by Plotly's scaleanchor, so the
  // window keeps equal x/y scale (gradients look perpendicular to the level
  // sets) and the colour bar sits right beside it: the largest plot area of
  // the window's shape that the main panel holds.
  const M2D = { l: 58, t: 36, b: 46, cb: 70, r: 12 };
  function mainGeometry(d) {
    const W = Math.max(200, el.main.clientWidth), H = Math.max(200, el.main.clientHeight);
    const [[x0, x1], [y0, y1]] = d.window;
    const spanX = x1 - x0, spanY = y1 - y0;
    const equal = spanX / spanY < 3 && spanY / spanX < 3;
    const cb = d.grid ? M2D.cb : 0;
    const availW = Math.max(80, W - M2D.l - cb - M2D.r), availH = Math.max(80, H - M2D.t - M2D.b);
    let pw = availW, ph = availH;
    if (equal) {
      const k = Math.min(availW / spanX, availH / spanY);
      pw = spanX * k; ph = spanY * k;
    }
    pw = Math.floor(pw); ph = Math.floor(ph);
    return {
      W: W, H: H, equal: equal, cb: cb, pw: pw, ph: ph,
      margin: { l: M2D.l, r: W - M2D.l - pw, t: M2D.t, b: H - M2D.t - ph, pad: 0 },
    };
  }

  // The run legend goes under the 2D plot when the window's shape leaves
  // room there for all of it (wide windows), else above the side charts.
  // Decided per payload and size, never per view: in 3D it stays under the
  // figure, which then gets the height above it.
  function placeLegend() {
    const d = S.d, L = el.legend;
    let inMain = false;
    if (d && !S.narrow && !L.hidden) {
      const g = mainGeometry(d);
      const top = M2D.t + g.ph + M2D.b;
      if (L.parentNode !== el.main) el.main.appendChild(L);
      L.classList.add("in-main");
      L.style.left = (M2D.l - 4) + "px";
      L.style.width = Math.max(160, g.pw + g.cb) + "px";
      const h = fitLegendColumns();
      if (h > 0 && top + h <= g.H - 2) {
        inMain = true;
        S.legendTop2d = top;
        S.legendH = h;
      }
    }
    S.legendInMain = inMain;
    if (!inMain) {
      L.classList.remove("in-main");
      L.style.left = ""; L.style.width = ""; L.style.top = "";
      if (L.parentNode !== el.side || L.nextSibling !== el.charts) el.side.insertBefore(L, el.charts);
      if (!L.hidden) fitLegendColumns();
    }
    positionLegend();
  }

  // As many columns (of at least ~170 px) as make the legend shortest; one
  // column for up to three runs. Returns the legend's height.
  function fitLegendColumns() {
    const L = el.legend, runs = el.legendRuns, n = runs.children.length;
    const maxCols = Math.max(1, Math.min(n <= 3 ? 1 : 4, Math.ceil(n / 2), Math.floor((L.clientWidth - 16) / 170)));
    let best = 1, bestH = Infinity;
    for (let c = 1; c <= maxCols; c++) {
      runs.style.gridTemplateColumns = "repeat(" + c + ", minmax(0, 1fr))";
      const h = runs.offsetHeight;
      if (h < bestH - 2) { best = c; bestH = h; }
    }
    runs.style.gridTemplateColumns = "repeat(" + best + ", minmax(0, 1fr))";
    return L.offsetHeight;
  }

  function positionLegend() {
    if (!S.legendInMain) return;
    const H = el.main.clientHeight;
    el.legend.style.top = (S.view === "3d" ? Math.max(0, H - S.legendH - 4) : S.legendTop2d) + "px";
  }

  // Width of the main panel: what the 2D plot of this window needs to be
  // limited by the height alone, between 50% and 62% of the row; the side
  // charts get the rest. Same in 3D, so switching views moves nothing.
  function applySplit() {
    const d = S.d;
    if (S.narrow || !d) { el.main.style.flex = ""; return; }
    const total = el.panels.clientWidth, H = el.panels.clientHeight;
    if (!(total > 0) || !(H > 0)) return;
    const [[x0, x1], [y0, y1]] = d.window;
    const spanX = x1 - x0, spanY = y1 - y0;
    const equal = spanX / spanY < 3 && spanY / spanX < 3;
    const plotW = equal ? (H - M2D.t - M2D.b) * spanX / spanY : Infinity;
    const need = M2D.l + (d.grid ? M2D.cb : 0) + M2D.r + plotW;
    const w = Math.round(Math.max(0.5 * total, Math.min(0.62 * total, need)));
    const flex = "0 0 " + w + "px";
    if (el.main.style.flex !== flex) el.main.style.flex = flex;
  }

  // ------------------------------------------------- 2D surface on canvas
  function hexRgb(h) {
    const n = parseInt(h.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }

  function scaleColor(scale, t) {
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

  function bandScale(d) {
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
        let k0 = Math.max(1, Math.ceil((mn - d.lo) / size)), k1 = Math.min(d.nLevels, Math.floor((mx - d.lo) / size));
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

  const MASK_RGB = [195, 199, 205];

  function drawSurface() {
    const c = el.surf2d;
    const ctx = sizeCanvas(c, el.main);
    ctx.clearRect(0, 0, c._w, c._h);
    const d = S.d, g = S.geo2d;
    if (!d || !g || !d.grid || S.view !== "2d") return;
    const dpr = c._dpr;
    const X0 = Math.round(g.L * dpr), Y0 = Math.round(g.T * dpr);
    const W = Math.round(g.W * dpr), H = Math.round(g.H * dpr);
    if (W < 1 || H < 1) return;
    const { nx, ny, x, y, zT } = d.grid;
    const fx = new Float32Array(W), fy = new Float32Array(H);
    for (let i = 0; i < W; i++) fx[i] = gridIndex(x, g.xa.p2l((X0 + i + 0.5) / dpr - g.L));
    for (let j = 0; j < H; j++) fy[j] = gridIndex(y, g.ya.p2l((Y0 + j + 0.5) / dpr - g.T));
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
    const segs = contourSegments(d);
    ctx.save();
    ctx.beginPath(); ctx.rect(g.L, g.T, g.W, g.H); ctx.clip();
    ctx.beginPath();
    const xo = g.L, yo = g.T, xa = g.xa, ya = g.ya;
    for (let k = 0; k < segs.length; k += 4) {
      ctx.moveTo(xo + xa.l2p(segs[k]), yo + ya.l2p(segs[k + 1]));
      ctx.lineTo(xo + xa.l2p(segs[k + 2]), yo + ya.l2p(segs[k + 3]));
    }
    ctx.strokeStyle = "rgba(45,55,72,0.30)"; ctx.lineWidth = 0.8; ctx.stroke();
    ctx.restore();
  }

  // f under the mouse, bilinear on the raw grid (the canvas has no hover).
  function surfaceValue(d, xv, yv) {
    const g = d.grid;
    if (!g) return NaN;
    const gx = gridIndex(g.x, xv), gy = gridIndex(g.y, yv);
    if (gx !== gx || gy !== gy) return NaN;
    const i0 = Math.min(g.nx - 2, gx | 0), j0 = Math.min(g.ny - 2, gy | 0), tx = gx - i0, ty = gy - j0, o = j0 * g.nx + i0;
    const z = g.z;
    return (z[o] * (1 - tx) + z[o + 1] * tx) * (1 - ty) + (z[o + g.nx] * (1 - tx) + z[o + g.nx + 1] * tx) * ty;
  }

  function onMainHover(ev) {
    const d = S.d, g = S.geo2d;
    if (!d || !g || S.view !== "2d") return;
    const rect = el.main.getBoundingClientRect();
    const px = ev.clientX - rect.left, py = ev.clientY - rect.top;
    if (!inside(g, px, py)) { el.readout.textContent = ""; return; }
    const xv = g.xa.p2l(px - g.L), yv = g.ya.p2l(py - g.T);
    const f = surfaceValue(d, xv, yv);
    el.readout.textContent = "x = " + fmt(xv) + "   y = " + fmt(yv) + (d.grid ? "   f = " + (f === f ? fmt(f) : "not finite") : "");
  }

  function mainSize() {
    return el.main.clientWidth + "x" + el.main.clientHeight + (S.legendInMain ? "L" + S.legendH : "");
  }

  function render2d() {
    const d = S.d;
    S.size2d = mainSize();
    const fig = figure2d(d);
    return Plotly.react(el.plot2d, fig.data, fig.layout, PLOT_CONFIG).then(() => {
      S.stale2d = false;
      bind2dEvents();
      update2dGeometry();
      drawSurface();
      draw2d();
    });
  }

  function bind2dEvents() {
    const gd = el.plot2d;
    if (gd._playerBound) return;
    gd._playerBound = true;
    gd.on("plotly_relayouting", () => { el.paths2d.style.visibility = "hidden"; el.surf2d.style.visibility = "hidden"; });
    gd.on("plotly_relayout", () => {
      el.paths2d.style.visibility = ""; el.surf2d.style.visibility = "";
      update2dGeometry();
      drawSurface();
      draw2d();
    });
  }

  function update2dGeometry() {
    const gd = el.plot2d, fl = gd._fullLayout;
    if (!fl || !fl.xaxis || !fl.yaxis || !S.d) { S.geo2d = null; return; }
    const xa = fl.xaxis, ya = fl.yaxis;
    const g = { xa: xa, ya: ya, L: xa._offset, T: ya._offset, W: xa._length, H: ya._length };
    S.geo2d = g;
    const LIM = 1e6;
    const cx = (v) => Math.max(-LIM, Math.min(LIM, xa._offset + xa.l2p(v)));
    const cy = (v) => Math.max(-LIM, Math.min(LIM, ya._offset + ya.l2p(v)));
    for (const r of S.d.runs) {
      for (let k = 0; k <= r.n; k++) {
        r.px[k] = r.X[k] === r.X[k] ? cx(r.X[k]) : NaN;
        r.py[k] = r.Y[k] === r.Y[k] ? cy(r.Y[k]) : NaN;
      }
    }
    const p = el.picker.style;
    p.left = g.L + "px"; p.top = g.T + "px"; p.width = g.W + "px"; p.height = g.H + "px";
  }

  // Where the ray from the plot centre to (x, y) leaves the plot area.
  function edgePoint(g, x, y) {
    const cx = g.L + g.W / 2, cy = g.T + g.H / 2;
    const dx = x - cx, dy = y - cy;
    const sx = dx !== 0 ? (g.W / 2 - 8) / Math.abs(dx) : Infinity;
    const sy = dy !== 0 ? (g.H / 2 - 8) / Math.abs(dy) : Infinity;
    const s = Math.min(sx, sy, 1);
    return [cx + dx * s, cy + dy * s, Math.atan2(dy, dx)];
  }

  function inside(g, x, y) {
    return x >= g.L && x <= g.L + g.W && y >= g.T && y <= g.T + g.H;
  }

  function drawX(ctx, x, y, s) {
    ctx.beginPath();
    ctx.moveTo(x - s, y - s); ctx.lineTo(x + s, y + s);
    ctx.moveTo(x + s, y - s); ctx.lineTo(x - s, y + s);
    ctx.lineCap = "round";
    ctx.strokeStyle = "#ffffff"; ctx.lineWidth = 6; ctx.stroke();
    ctx.strokeStyle = DIVERGED; ctx.lineWidth = 3.2; ctx.stroke();
  }

  // The 2D figure's marker styles, for the 3D overlay.
  function drawMark(ctx, kind, x, y, scale) {
    ctx.save();
    ctx.translate(x, y); ctx.scale(scale, scale);
    ctx.lineJoin = "round";
    ctx.beginPath();
    if (kind === "min") {
      for (let i = 0; i < 10; i++) {
        const a = -Math.PI / 2 + i * Math.PI / 5, rr = i % 2 ? 4.2 : 10;
        ctx.lineTo(rr * Math.cos(a), rr * Math.sin(a));
      }
      ctx.closePath();
      ctx.fillStyle = "#ffcc00"; ctx.fill(); ctx.lineWidth = 1.5; ctx.strokeStyle = "#1a1a1a"; ctx.stroke();
    } else if (kind === "saddle") {
      ctx.moveTo(-6, -6); ctx.lineTo(6, 6); ctx.moveTo(6, -6); ctx.lineTo(-6, 6);
      ctx.lineCap = "round";
      ctx.strokeStyle = "#ffffff"; ctx.lineWidth = 6; ctx.stroke();
      ctx.strokeStyle = "#1a1a1a"; ctx.lineWidth = 3.5; ctx.stroke();
    } else {
      ctx.arc(0, 0, 6.5, 0, 2 * Math.PI);
      ctx.fillStyle = "#ffffff"; ctx.fill(); ctx.lineWidth = 2.5; ctx.strokeStyle = "#1a1a1a"; ctx.stroke();
    }
    ctx.restore();
  }

  function haloText(ctx, text, x, y, color, align) {
    ctx.font = "600 13px " + FONT;
    ctx.textAlign = align; ctx.textBaseline = "middle";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "rgba(255,255,255,0.92)"; ctx.lineWidth = 4; ctx.strokeText(text, x, y);
    ctx.fillStyle = color; ctx.fillText(text, x, y);
  }

  function draw2d() {
    const ctx = sizeCanvas(el.paths2d, el.main);
    ctx.clearRect(0, 0, el.paths2d._w, el.paths2d._h);
    const d = S.d, g = S.geo2d;
    if (!d || !g || S.view !== "2d") return;
    const stepF = S.stepF, k = Math.floor(stepF), frac = stepF - k;
    ctx.save();
    ctx.beginPath(); ctx.rect(g.L, g.T, g.W, g.H); ctx.clip();
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    const heads = [], ends = [];
    for (const r of d.runs) {
      if (r.n < 0 || S.hidden.has(r.key)) continue;
      const last = Math.min(k, r.n);
      let hx = r.px[last], hy = r.py[last];
      if (k < r.n && frac > 0) {
        const nx = r.px[k + 1], ny = r.py[k + 1];
        if (nx === nx && ny === ny) { hx += (nx - hx) * frac; hy += (ny - hy) * frac; }
      }
      ctx.beginPath();
      let pen = false;
      for (let j = 0; j <= last; j++) {
        const x = r.px[j], y = r.py[j];
        if (x !== x || y !== y) { pen = false; continue; }
        if (pen) ctx.lineTo(x, y); else { ctx.moveTo(x, y); pen = true; }
      }
      if (pen && hx === hx && hy === hy) ctx.lineTo(hx, hy);
      ctx.strokeStyle = "rgba(255,255,255,0.85)"; ctx.lineWidth = 5.5; ctx.stroke();
      ctx.strokeStyle = r.color; ctx.lineWidth = 2.6; ctx.stroke();
      if (hx === hx && hy === hy) {
        if (r.diverged != null && k >= r.n) ends.push([r, hx, hy]);
        else heads.push([r, hx, hy]);
      }
    }
    ctx.restore();
    // Heads and marks are drawn unclipped: a head outside the window becomes
    // an arrow on the border pointing at it.
    for (const [r, x, y] of heads) {
      if (inside(g, x, y)) {
        ctx.beginPath(); ctx.arc(x, y, 7, 0, 2 * Math.PI);
        ctx.fillStyle = r.color; ctx.fill();
        ctx.lineWidth = 2; ctx.strokeStyle = "#ffffff"; ctx.stroke();
        ctx.beginPath(); ctx.arc(x, y, 8, 0, 2 * Math.PI);
        ctx.lineWidth = 1; ctx.strokeStyle = "rgba(0,0,0,0.55)"; ctx.stroke();
      } else {
        const [ex, ey, a] = edgePoint(g, x, y);
        ctx.save(); ctx.translate(ex, ey); ctx.rotate(a);
        ctx.beginPath(); ctx.moveTo(8, 0); ctx.lineTo(-7, -7); ctx.lineTo(-7, 7); ctx.closePath();
        ctx.fillStyle = r.color; ctx.fill();
        ctx.lineWidth = 1.5; ctx.strokeStyle = "#ffffff"; ctx.stroke();
        ctx.restore();
      }
    }
    for (const [r, x0, y0] of ends) {
      let x = x0, y = y0;
      if (!inside(g, x, y)) { const e = edgePoint(g, x, y); x = e[0]; y = e[1]; }
      drawX(ctx, x, y, 7.5);
      const right = x < g.L + g.W - 170;
      haloText(ctx, "diverged at step " + r.diverged, right ? x + 12 : x - 12, y > g.T + 16 ? y - 12 : y + 14,
        DIVERGED, right ? "left" : "right");
    }
    if (S.pending) {
      const x = g.L + g.xa.l2p(S.pending[0]), y = g.T + g.ya.l2p(S.pending[1]);
      ctx.beginPath(); ctx.arc(x, y, 8, 0, 2 * Math.PI);
      ctx.setLineDash([3, 3]); ctx.lineWidth = 2.5; ctx.strokeStyle = "#1a1a1a"; ctx.stroke(); ctx.setLineDash([]);
      haloText(ctx, "new start\u2026", x + 12, y, "#1a1a1a", "left");
    }
  }

  // ---------------------------------------------------------- side charts
  function robustRange(arrays, log, extra) {
    let mn = Infinity, mx = -Infinity;
    for (const a of arrays) for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (v !== v || (log && v <= 0)) continue;
      if (v < mn) mn = v; if (v > mx) mx = v;
    }
    for (const v of extra || []) if (!(log && v <= 0)) { mn = Math.min(mn, v); mx = Math.max(mx, v); }
    if (!isFinite(mn)) return null;
    return [mn, mx];
  }

  // A log-axis range (in decades) at least half a decade wide, padded.
  function logRange(a, b) {
    if (b - a < 0.5) { const c = (a + b) / 2; a = c - 0.25; b = c + 0.25; }
    const pad = 0.05 * (b - a);
    return [a - pad, b + pad];
  }

  const SIDE_ML = 60, SIDE_MR = 12;

  // The gradient-norm panel's title, as long as the panel's width allows.
  function gradTitle(d) {
    const room = Math.max(120, el.charts.clientWidth) - SIDE_ML - 4; // may reach into the right margin
    const clip = d.runs.some((r) => r.clip != null);
    const forms = clip
      ? ["gradient norm (raw, log scale) \u2014 dashed: clip_norm", "gradient norm (raw, log) \u2014 dashed: clip_norm",
        "raw gradient norm (log) \u2014 dashed: clip_norm", "raw grad norm (log) \u2014 dashed: clip_norm",
        "raw grad norm (log), dashed: clip"]
      : ["gradient norm (raw, log scale)", "gradient norm (raw, log)", "grad norm (log)"];
    for (const f of forms) if (textWidth(f, 13) <= room) return f;
    return forms[forms.length - 1];
  }

  // Ticks for a log axis spanning [a, b] decades, as plain numbers: the
  // sparsest of 1 / 1-3 / 1-2-5 / ... steps that gives at least 3 ticks.
  function logTicks(range) {
    const [a, b] = range, span = b - a;
    const every = span > 6 ? Math.ceil(span / 5) : 1;
    const sets = [[1], [1, 3], [1, 2, 5], [1, 1.5, 2, 3, 5, 7], [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9]];
    let best = null;
    for (const mant of sets) {
      const vals = [];
      for (let k = Math.floor(a); k <= Math.ceil(b); k++) {
        if (((k % every) + every) % every) continue;
        for (const m of mant) {
          const lv = k + Math.log10(m);
          if (lv >= a - 1e-9 && lv <= b + 1e-9) vals.push(m * Math.pow(10, k));
        }
      }
      if (vals.length >= 2) best = vals;
      if (vals.length >= 3) break;
    }
    if (!best) return {};
    // one notation per axis: plain decimals down to 0.0001, else 1e-5 style
    const plain = best.every((v) => v >= 1e-4 && v < 1e5);
    return { tickmode: "array", tickvals: best, ticktext: best.map((v) => tickFmt(v, plain)) };
  }

  function tickFmt(v, plain) {
    if (plain) return String(parseFloat(v.toPrecision(3)));
    const e = Math.floor(Math.log10(v) + 1e-9), m = parseFloat((v / Math.pow(10, e)).toPrecision(2));
    return (m === 1 ? "1" : String(m)) + "e" + e;
  }

  function figureSide(d) {
    const traces = [];
    const N = Math.max(1, d.N);
    const allLoss = d.runs.map((r) => r.loss), allGn = d.runs.map((r) => r.gn), allLr = d.runs.map((r) => r.lr);
    // The learning rate goes on a log axis (the lr slider is log-scale); a
    // warm-up's lr of 0 has no place there and is left out (a gap).
    const lrRange = robustRange(allLr, true);
    const lrLog = !!lrRange;
    const positive = (a) => {
      let ok = true;
      for (let i = 0; i < a.length; i++) if (!(a[i] > 0)) { ok = false; break; }
      if (ok) return a;
      const o = new Float32Array(a.length);
      for (let i = 0; i < a.length; i++) o[i] = a[i] > 0 ? a[i] : NaN;
      return o;
    };
    let lossLog = true;
    for (const a of allLoss) for (let i = 0; i < a.length; i++) if (a[i] <= 0) { lossLog = false; break; }
    const stepsOf = (len) => { const s = new Float32Array(len); for (let i = 0; i < len; i++) s[i] = i; return s; };
    d.sideIdx = [];
    // one empty trace per panel, so all three axes exist even without runs
    for (const ax of ["y", "y2", "y3"]) {
      traces.push({ type: "scatter", mode: "lines", x: [], y: [], yaxis: ax, showlegend: false, hoverinfo: "skip" });
    }
    for (const r of d.runs) {
      const vis = S.hidden.has(r.key) ? false : true;
      const name = esc(clip(r.label, 40));
      const base = { type: "scatter", mode: "lines", line: { color: r.color, width: 2 }, marker: { color: r.color, size: 6 }, visible: vis, showlegend: false, name: name };
      const mode = (len) => (len < 2 ? "markers" : "lines"); // a 1-point series has no line to draw
      const idx = [];
      idx.push(traces.length);
      traces.push(Object.assign({}, base, { mode: mode(r.loss.length), x: stepsOf(r.loss.length), y: r.loss, yaxis: "y", hovertemplate: name + "<br>step %{x}: loss %{y:.4g}<extra></extra>" }));
      idx.push(traces.length);
      traces.push(Object.assign({}, base, { mode: mode(r.lr.length), x: stepsOf(r.lr.length), y: lrLog ? positive(r.lr) : r.lr, yaxis: "y2", hovertemplate: name + "<br>step %{x}: lr %{y:.4g}<extra></extra>" }));
      idx.push(traces.length);
      traces.push(Object.assign({}, base, { mode: mode(r.gn.length), x: stepsOf(r.gn.length), y: r.gn, yaxis: "y3", hovertemplate: name + "<br>step %{x}: |g| %{y:.4g}<extra></extra>" }));
      if (r.clip != null) {
        idx.push(traces.length);
        traces.push(Object.assign({}, base, {
          x: [0, N], y: [r.clip, r.clip], yaxis: "y3", line: { color: r.color, width: 1.6, dash: "dash" },
          hovertemplate: name + "<br>clip_norm = " + fmt(r.clip) + "<extra></extra>",
        }));
      }
      d.sideIdx.push(idx);
    }
    // Ranges: diverging runs reach absurd values; keep the interesting part.
    const y1 = lossLog ? { type: "log" } : { type: "linear", tickformat: ".3~g" };
    const lr = robustRange(allLoss, lossLog);
    const starts = d.runs.map((r) => r.loss[0]).filter((v) => v === v && (!lossLog || v > 0));
    const startMax = starts.length ? Math.max.apply(null, starts) : null;
    if (lr) {
      if (lossLog) {
        const top = Math.min(lr[1], startMax != null ? startMax * 1e3 : lr[1]);
        y1.range = logRange(Math.log10(lr[0]), Math.log10(Math.max(top, lr[0])));
      } else {
        const top = startMax != null ? Math.min(lr[1], Math.max(startMax, lr[0] + 1e-9)) : lr[1];
        const pad = 0.06 * (top - lr[0] || Math.abs(top) || 1);
        y1.range = [lr[0] - pad, top + pad];
      }
    }
    const y3 = { type: "log" };
    const gr = robustRange(allGn, true, d.runs.filter((r) => r.clip != null).map((r) => r.clip));
    if (gr) {
      const g0 = d.runs.map((r) => r.gn[0]).filter((v) => v > 0);
      const top = g0.length ? Math.min(gr[1], Math.max.apply(null, g0) * 1e3) : gr[1];
      y3.range = logRange(Math.log10(gr[0]), Math.log10(Math.max(top, gr[0], ...d.runs.filter((r) => r.clip).map((r) => r.clip))));
    }
    let y2 = { type: "linear", rangemode: "tozero", tickformat: ".2~g", nticks: 4 };
    if (lrLog) {
      // a schedule decaying towards 0 would stretch the axis over decades
      // of tail: keep at most 5 decades under the largest lr
      const top = Math.log10(lrRange[1]);
      const range = logRange(Math.max(Math.log10(lrRange[0]), top - 5), top);
      y2 = Object.assign({ type: "log", range: range }, logTicks(range));
    }
    const axisStyle = {
      showline: true, linecolor: "#50575f", ticks: "outside", ticklen: 3, gridcolor: "#e8ebef",
      zeroline: false, fixedrange: true, tickfont: { size: 12 }, automargin: false, exponentformat: "power",
    };
    const gap = 0.075, h = (1 - 2 * gap) / 3;
    const doms = [[1 - h, 1], [h + gap, 2 * h + gap], [0, h]];
    const title = (text, dom) => ({
      text: text, xref: "paper", yref: "paper", x: 0.0, y: dom[1], xanchor: "left", yanchor: "bottom",
      showarrow: false, font: { size: 13, color: "#1a1a1a" }, yshift: 1,
    });
    const layout = Object.assign(baseLayout(), {
      datarevision: d.rev,
      width: Math.max(120, el.charts.clientWidth), height: Math.max(120, el.charts.clientHeight),
      margin: { l: SIDE_ML, r: SIDE_MR, t: 24, b: 42, pad: 0 },
      showlegend: false,
      hovermode: "closest",
      xaxis: Object.assign({}, axisStyle, { range: [0, N], anchor: "y3", title: { text: "step", standoff: 4 }, showgrid: true },
        N < 8 ? { tickmode: "linear", tick0: 0, dtick: 1 } : { tickformat: "~d" }),
      yaxis: Object.assign({}, axisStyle, y1, { domain: doms[0] }),
      yaxis2: Object.assign({}, axisStyle, y2, { domain: doms[1] }),
      yaxis3: Object.assign({}, axisStyle, y3, { domain: doms[2] }),
      annotations: [
        title(lossLog ? "loss (log scale)" : "loss", doms[0]),
        title(lrLog ? "learning rate (log scale)" : "learning rate", doms[1]),
        title(gradTitle(d), doms[2]),
      ],
    });
    return { data: traces, layout: layout };
  }

  function renderSide() {
    const fig = figureSide(S.d);
    const cfg = Object.assign({}, PLOT_CONFIG, { displayModeBar: false });
    return Plotly.react(el.plotside, fig.data, fig.layout, cfg).then(() => {
      if (!el.plotside._playerBound) {
        el.plotside._playerBound = true;
      }
      updateSideGeometry();
      drawCursor();
    });
  }

  // The side figure has an explicit size (its box depends on the legend
  // above it): follow the box when it changes.
  function resizeSide() {
    const fl = el.plotside._fullLayout;
    if (!fl || !S.d) return Promise.resolve();
    const w = Math.max(120, el.charts.clientWidth), h = Math.max(120, el.charts.clientHeight);
    const title = gradTitle(S.d);
    const ann = fl.annotations && fl.annotations[2];
    if (fl.width === w && fl.height === h && (!ann || ann.text === title)) { drawCursor(); return Promise.resolve(); }
    return Plotly.relayout(el.plotside, { width: w, height: h, "annotations[2].text": title }).then(() => {
      updateSideGeometry();
      drawCursor();
    });
  }

  function applySideVisibility() {
    const d = S.d;
    if (!d || !d.sideIdx || !el.plotside.data) return;
    const idx = [], vis = [];
    d.runs.forEach((r, k) => {
      for (const t of d.sideIdx[k]) { idx.push(t); vis.push(!S.hidden.has(r.key)); }
    });
    if (idx.length) Plotly.restyle(el.plotside, { visible: vis }, idx);
  }

  function updateSideGeometry() {
    const fl = el.plotside._fullLayout;
    if (!fl || !fl.xaxis) { S.geoSide = null; return; }
    if (!fl.yaxis || !fl.yaxis2 || !fl.yaxis3) { S.geoSide = null; return; }
    S.geoSide = { xa: fl.xaxis, ys: [fl.yaxis, fl.yaxis2, fl.yaxis3] };
  }

  function yPix(ya, v) {
    if (v !== v) return NaN;
    if (ya.type === "log") { if (!(v > 0)) return NaN; v = Math.log10(v); }
    const p = ya._offset + ya.l2p(v);
    return p >= ya._offset - 1 && p <= ya._offset + ya._length + 1 ? p : NaN;
  }

  function drawCursor() {
    const ctx = sizeCanvas(el.cursor, el.charts);
    ctx.clearRect(0, 0, el.cursor._w, el.cursor._h);
    const d = S.d, g = S.geoSide;
    if (!d || !g) return;
    const k = Math.min(d.N, Math.floor(S.stepF));
    const x = g.xa._offset + g.xa.l2p(k);
    const top = g.ys[0]._offset, bottom = g.ys[2]._offset + g.ys[2]._length;
    ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, bottom);
    ctx.strokeStyle = "rgba(26,26,26,0.75)"; ctx.lineWidth = 1.5; ctx.setLineDash([4, 3]); ctx.stroke(); ctx.setLineDash([]);
    for (const r of d.runs) {
      if (S.hidden.has(r.key)) continue;
      const series = [r.loss, r.lr, r.gn];
      for (let p = 0; p < 3; p++) {
        const a = series[p];
        if (k >= a.length) continue;
        const y = yPix(g.ys[p], a[k]);
        if (y !== y) continue;
        ctx.beginPath(); ctx.arc(x, y, 4, 0, 2 * Math.PI);
        ctx.fillStyle = r.color; ctx.fill(); ctx.lineWidth = 1.5; ctx.strokeStyle = "#ffffff"; ctx.stroke();
      }
    }
  }

  // ------------------------------------------------------------ 3D figure
  // Rows for the surface trace (built on first use: 2D never needs them).
  function surfaceRows(d) {
    const g = d.grid;
    if (!g.rows) {
      const zt = new Array(g.ny), text = new Array(g.ny);
      for (let j = 0; j < g.ny; j++) {
        const rz = new Array(g.nx), rt = new Array(g.nx);
        for (let i = 0; i < g.nx; i++) {
          const v = g.zT[j * g.nx + i];
          rz[i] = v === v ? v : null;
          const f = g.z[j * g.nx + i];
          rt[i] = f === f ? fmt(f) : "not finite";
        }
        zt[j] = rz; text[j] = rt;
      }
      g.rows = { zt: zt, text: text, x: Array.from(g.x), y: Array.from(g.y) };
    }
    return g.rows;
  }

  function figure3d(d) {
    const traces = [];
    const W = Math.max(200, el.main.clientWidth);
    const H = Math.max(200, el.main.clientHeight - (S.legendInMain ? S.legendH + 8 : 0));
    const [[x0, x1], [y0, y1]] = d.window;
    if (d.grid) {
      const rows = surfaceRows(d);
      traces.push({
        type: "surface", x: rows.x, y: rows.y, z: rows.zt, text: rows.text,
        hovertemplate: "x = %{x:.3g}<br>y = %{y:.3g}<br>f = %{text}<extra></extra>",
        colorscale: SURFACE_SCALE_3D, cmin: d.lo, cmax: d.hi, showscale: false, opacity: 0.96,
        // level lines on the surface; not around holes, where plotly's
        // contour geometry takes tens of seconds to draw in software GL
        contours: { z: { show: !d.grid.nNaN, start: d.lo, end: d.hi, size: (d.hi - d.lo) / d.nLevels, color: "rgba(30,40,60,0.35)", width: 1 } },
        lighting: { ambient: 0.75, diffuse: 0.5, specular: 0.05, roughness: 0.9 },
        showlegend: false, name: "f",
      });
    }
    const zAt = (x, y) => {
      const f = surfaceValue(d, x, y);
      return f === f ? Math.min(d.zHi3, Math.max(d.lo, d.T(f))) : d.lo;
    };
    const lift = 0.015 * (d.zHi3 - d.lo || 1);
    // Minima, saddles and the start are drawn on the overlay too (draw3d):
    // gl markers sink into the surface and their symbols render poorly.
    d.marks3d = [];
    for (const q of d.minima) d.marks3d.push(["min", q[0], q[1], zAt(q[0], q[1]) + lift]);
    for (const q of d.saddles) d.marks3d.push(["saddle", q[0], q[1], zAt(q[0], q[1]) + lift]);
    if (d.start) d.marks3d.push(["start", d.start[0], d.start[1], zAt(d.start[0], d.start[1]) + lift]);
    // The paths are drawn on a canvas over the scene (draw3d); without a
    // surface, an invisible point keeps the scene (and its axes) alive.
    if (!traces.length) {
      traces.push({ type: "scatter3d", mode: "markers", x: [x0], y: [y0], z: [d.lo], marker: { size: 0.1, opacity: 0 },
        hoverinfo: "skip", showlegend: false });
    }
    const layout = Object.assign(baseLayout(), {
      uirevision: d.uirev,
      datarevision: d.rev,
      width: W, height: H,
      margin: { l: 0, r: 0, t: 36, b: 0 },
      title: {
        text: esc(clip(d.name, 60)) + '<span style="font-size:13px;color:#555">   height: ' +
          (d.logScale ? (Math.abs(d.zmin) > 1e-12 ? "log\u2081\u2080(f \u2212 min)" : "log\u2081\u2080 f") : "f") + "</span>",
        x: 0.01, xanchor: "left", y: 0.985, yanchor: "top", font: { size: 16 },
      },
      showlegend: false,
      scene: {
        xaxis: { range: [x0, x1], title: { text: "x" }, backgroundcolor: "#f4f5f7", showbackground: true, gridcolor: "#d5d9df" },
        yaxis: { range: [y0, y1], title: { text: "y" }, backgroundcolor: "#f4f5f7", showbackground: true, gridcolor: "#d5d9df" },
        zaxis: {
          range: [d.lo, d.zHi3 + 2 * lift], title: { text: "" }, // a gl axis title at the edge gets clipped: the figure title says it
          backgroundcolor: "#eef0f3", showbackground: true, gridcolor: "#d5d9df",
        },
        aspectmode: "manual", aspectratio: { x: 1, y: 1, z: 0.6 },
        camera: { eye: { x: -1.55, y: -1.8, z: 1.25 } },
      },
    });
    return { data: traces, layout: layout };
  }

  function render3d() {
    S.size3d = mainSize();
    const fig = figure3d(S.d);
    S.proj3d = null;
    return Plotly.react(el.plot3d, fig.data, fig.layout, PLOT_CONFIG).then(() => {
      S.stale3d = false;
      hookScene();
      S.proj3d = null;
      draw3d();
    });
  }

  // Redraw the path overlay whenever the WebGL scene renders (camera moves).
  function hookScene() {
    const fl = el.plot3d._fullLayout;
    const sc = fl && fl.scene && fl.scene._scene;
    if (!sc || !sc.glplot || sc.glplot._playerHooked) return;
    const glplot = sc.glplot, orig = glplot.onrender;
    glplot._playerHooked = true;
    glplot.onrender = function () {
      const r = orig ? orig.apply(this, arguments) : undefined;
      S.proj3d = null;
      if (S.view === "3d") draw3d();
      return r;
    };
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

  // Screen positions of every path point under the scene's current camera:
  // the projection plotly itself uses to place 3D annotations.
  function projection3d() {
    if (S.proj3d) return S.proj3d;
    const d = S.d, fl = el.plot3d._fullLayout;
    const sc = fl && fl.scene && fl.scene._scene;
    if (!d || !sc || !sc.glplot || !sc.glplot.cameraParams || !sc.dataScale) return null;
    const cp = sc.glplot.cameraParams, ds = sc.dataScale, size = fl._size, dom = fl.scene.domain;
    if (!cp.projection || !cp.view || !cp.model) return null;
    const m = mat4mul(cp.projection, mat4mul(cp.view, cp.model));
    const ox = size.l + dom.x[0] * size.w, oy = size.t + (1 - dom.y[1]) * size.h;
    const w = size.w * (dom.x[1] - dom.x[0]), h = size.h * (dom.y[1] - dom.y[0]);
    const [[x0, x1], [y0, y1]] = d.window;
    const ex = 1e-9 * (x1 - x0), ey = 1e-9 * (y1 - y0);
    const proj = (x, y, z, out, k) => {
      out[2 * k] = NaN; out[2 * k + 1] = NaN;
      // outside the box the scene clips; so does the overlay
      if (!(x >= x0 - ex && x <= x1 + ex && y >= y0 - ey && y <= y1 + ey && z === z)) return;
      const X = x * ds[0], Y = y * ds[1], Z = z * ds[2];
      const cx = m[0] * X + m[4] * Y + m[8] * Z + m[12];
      const cy = m[1] * X + m[5] * Y + m[9] * Z + m[13];
      const cw = m[3] * X + m[7] * Y + m[11] * Z + m[15];
      if (!(cw > 0)) return;
      out[2 * k] = ox + 0.5 * (1 + cx / cw) * w;
      out[2 * k + 1] = oy + 0.5 * (1 - cy / cw) * h;
    };
    const pts = d.runs.map((r) => {
      const out = new Float32Array(2 * (r.n + 1));
      for (let k = 0; k <= r.n; k++) proj(r.X[k], r.Y[k], r.Z[k], out, k);
      return out;
    });
    const marks = (d.marks3d || []).map(([kind, x, y, z]) => {
      const out = new Float32Array(2);
      proj(x, y, z, out, 0);
      return [kind, out[0], out[1]];
    });
    S.proj3d = { pts: pts, marks: marks };
    return S.proj3d;
  }

  // The 3D counterpart of draw2d: paths lifted onto the surface, drawn over
  // the scene. A frame never touches WebGL, which is software-rendered on
  // machines without a GPU (a scene redraw there takes 100-300 ms). The
  // price: a path behind a ridge is not hidden by it.
  function draw3d() {
    const ctx = sizeCanvas(el.paths3d, el.main);
    ctx.clearRect(0, 0, el.paths3d._w, el.paths3d._h);
    const d = S.d;
    if (!d || S.view !== "3d" || S.stale3d) return;
    const P = projection3d();
    if (!P) return;
    const k = Math.floor(S.stepF), frac = S.stepF - k;
    for (const [kind, x, y] of P.marks) if (x === x) drawMark(ctx, kind, x, y, 0.8);
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    const heads = [], ends = [];
    d.runs.forEach((r, ri) => {
      if (r.n < 0 || S.hidden.has(r.key)) return;
      const pt = P.pts[ri], last = Math.min(k, r.n);
      let hx = pt[2 * last], hy = pt[2 * last + 1];
      if (k < r.n && frac > 0 && hx === hx) {
        const nx = pt[2 * k + 2], ny = pt[2 * k + 3];
        if (nx === nx && ny === ny) { hx += (nx - hx) * frac; hy += (ny - hy) * frac; }
      }
      ctx.beginPath();
      let pen = false;
      for (let j = 0; j <= last; j++) {
        const x = pt[2 * j], y = pt[2 * j + 1];
        if (x !== x) { pen = false; continue; }
        if (pen) ctx.lineTo(x, y); else { ctx.moveTo(x, y); pen = true; }
      }
      if (pen && hx === hx) ctx.lineTo(hx, hy);
      ctx.strokeStyle = "rgba(255,255,255,0.85)"; ctx.lineWidth = 5.5; ctx.stroke();
      ctx.strokeStyle = r.color; ctx.lineWidth = 2.8; ctx.stroke();
      if (r.diverged != null && k >= r.n) {
        // the last point inside the box (a run usually leaves before it diverges)
        for (let j = r.n; j >= 0; j--) if (pt[2 * j] === pt[2 * j]) { ends.push([r, pt[2 * j], pt[2 * j + 1]]); break; }
      } else if (hx === hx) heads.push([r, hx, hy]);
    });
    for (const [r, x, y] of heads) {
      ctx.beginPath(); ctx.arc(x, y, 6.5, 0, 2 * Math.PI);
      ctx.fillStyle = r.color; ctx.fill();
      ctx.lineWidth = 2; ctx.strokeStyle = "#ffffff"; ctx.stroke();
    }
    for (const [r, x, y] of ends) {
      drawX(ctx, x, y, 7);
      haloText(ctx, "diverged at step " + r.diverged, x + 11, y - 12, DIVERGED, "left");
    }
  }

  // ----------------------------------------------------------- state/view
  function rate() {
    const N = Math.max(1, S.N);
    const seconds = Math.min(SEC_PER_RUN, Math.max(1.5, N * 0.3));
    return (N / seconds) * S.speed;
  }

  function updateControls() {
    const k = Math.min(S.N, Math.floor(S.stepF));
    stats.step = k;
    const text = "step " + k + " / " + S.N;
    if (el.counter.textContent !== text) el.counter.textContent = text;
    if (+el.scrub.value !== k) el.scrub.value = String(k);
    if (el.play._playing !== S.playing) {
      el.play._playing = S.playing;
      el.play.textContent = S.playing ? "\u275A\u275A Pause" : "\u25B6 Play";
      el.play.setAttribute("aria-label", S.playing ? "Pause" : "Play");
    }
  }

  function showStep() {
    updateControls();
    if (S.view === "2d") draw2d(); else draw3d();
    drawCursor();
  }

  function frame(t) {
    if (!S.playing) return;
    const dt = Math.min(0.1, Math.max(0, (t - S.lastT) / 1000));
    S.lastT = t;
    S.stepF = Math.min(S.N, S.stepF + dt * rate());
    const t0 = performance.now();
    updateControls();
    if (S.view === "2d") draw2d(); else draw3d();
    drawCursor();
    stats.frames++;
    stats.lastFrameMs = performance.now() - t0;
    next();
  }

  function next() {
    if (!S.playing) return;
    if (S.stepF >= S.N) { pause(); return; }
    S.raf = requestAnimationFrame(frame);
  }

  function play() {
    if (!S.d) return;
    if (S.stepF >= S.N) S.stepF = 0;
    S.playing = true;
    stats.playing = true;
    S.lastT = performance.now();
    cancelAnimationFrame(S.raf);
    S.raf = requestAnimationFrame(frame);
    updateControls();
  }

  function pause() {
    const was = S.playing;
    S.playing = false;
    stats.playing = false;
    cancelAnimationFrame(S.raf);
    if (was) {
      S.stepF = Math.floor(S.stepF);
      showStep();
    }
    updateControls();
  }

  function goto(k) {
    S.stepF = Math.max(0, Math.min(S.N, Math.round(k)));
    showStep();
  }

  function setView(v, byUser) {
    if (byUser) S.userView = true;
    if (v !== "2d" && v !== "3d") v = "2d";
    const changed = v !== S.view;
    S.view = v;
    stats.view = v;
    el.b2d.setAttribute("aria-pressed", String(v === "2d"));
    el.b3d.setAttribute("aria-pressed", String(v === "3d"));
    el.plot2d.hidden = v !== "2d";
    el.paths2d.hidden = v !== "2d";
    el.surf2d.hidden = v !== "2d";
    el.readout.textContent = "";
    el.plot3d.hidden = v !== "3d";
    el.paths3d.hidden = v !== "3d";
    positionLegend();
    if (v === "3d" && S.setStart) toggleSetStart(false);
    if (!S.d || !changed) return Promise.resolve();
    // the hidden view was not kept up to date (payload, size): draw it now
    return v === "2d" ? render2d() : render3d();
  }

  function toggleSetStart(on) {
    S.setStart = on;
    el.start.setAttribute("aria-pressed", String(on));
    el.picker.hidden = !on;
    if (on) {
      if (S.view !== "2d") setView("2d", true);
      setStatus("click the contour to set the start (Esc cancels)");
    } else if (/click the contour/.test(el.status.textContent)) {
      setStatus("");
    }
  }

  function syncUrl(q) {
    if (typeof q !== "string") return;
    try {
      const loc = window.parent.location;
      if (loc.search.replace(/^\?/, "") !== q) {
        window.parent.history.replaceState(window.parent.history.state, "", (q ? "?" + q : loc.pathname) + loc.hash);
      }
    } catch (e) { /* not same-origin: the address bar cannot follow */ }
  }

  function onRender(args) {
    const t0 = performance.now();
    const h = Math.round(+args.height);
    if (h >= 200 && h !== S.height) S.height = h;
    applyHeight();
    const p = args.payload && typeof args.payload === "object" ? args.payload : {};
    const sig = JSON.stringify(p);
    if (sig === S.sig) return;
    S.sig = sig;
    const wasPlaying = S.playing;
    S.playing = false; stats.playing = false;
    cancelAnimationFrame(S.raf);
    if (wasPlaying) updateControls();
    S.d = prepare(p);
    S.rev = (S.rev || 0) + 1;
    S.d.rev = S.rev;
    S.N = S.d.N;
    S.stepF = S.N;
    S.pending = null;
    if (S.setStart) toggleSetStart(false);
    if (el.status.textContent === "new start sent") setStatus("");
    syncUrl(S.d.query);
    el.scrub.max = String(S.N);
    el.scrub.disabled = S.N === 0;
    el.empty.hidden = !S.d.allNaN;
    el.empty.textContent = S.d.allNaN ? "f is not finite anywhere in this window" : "";
    buildLegend(S.d);
    applyHeight(); // the legend's height (narrow layout) and the panel split follow the payload
    S.stale2d = true; S.stale3d = true;
    const view = S.userView ? S.view : (p.view === "3d" ? "3d" : "2d");
    updateControls();
    const t1 = performance.now();
    S.view = null; // force setView to render the visible view
    let t2 = 0;
    return setView(view, false).then(() => {
      t2 = performance.now();
      return renderSide();
    }).then(() => {
      const t3 = performance.now();
      stats.renders++;
      stats.lastRenderMs = t3 - t0;
      stats.phases = { prepare: Math.round(t1 - t0), main: Math.round(t2 - t1), side: Math.round(t3 - t2) };
    });
  }

  // --------------------------------------------------------------- events
  el.play.addEventListener("click", () => (S.playing ? pause() : play()));
  el.restart.addEventListener("click", () => { S.stepF = 0; S.lastT = performance.now(); showStep(); });
  el.back.addEventListener("click", () => { pause(); goto(Math.floor(S.stepF) - 1); });
  el.fwd.addEventListener("click", () => { pause(); goto(Math.floor(S.stepF) + 1); });
  el.scrub.addEventListener("input", () => { const v = +el.scrub.value; pause(); goto(v); });
  el.speed.addEventListener("change", () => { S.speed = +el.speed.value || 1; });
  el.b2d.addEventListener("click", () => setView("2d", true));
  el.b3d.addEventListener("click", () => setView("3d", true));
  el.start.addEventListener("click", () => toggleSetStart(!S.setStart));

  el.main.addEventListener("mousemove", onMainHover);
  el.main.addEventListener("mouseleave", () => { el.readout.textContent = ""; });
  el.picker.addEventListener("click", (ev) => {
    const g = S.geo2d;
    if (!g) return;
    const x = g.xa.p2l(ev.offsetX), y = g.ya.p2l(ev.offsetY);
    if (!finiteNum(x) || !finiteNum(y)) return;
    S.nonce = Math.max(S.nonce + 1, Date.now());
    S.pending = [x, y];
    toggleSetStart(false);
    setStatus("new start sent");
    send("streamlit:setComponentValue", { value: { event: "start", xy: [x, y], nonce: S.nonce }, dataType: "json" });
    draw2d();
  });

  el.copy.addEventListener("click", () => {
    let href = "";
    try { href = window.parent.location.href; } catch (e) { href = document.referrer || ""; }
    const done = (ok) => setStatus(ok ? "copied" : "copy failed: use the address bar", !ok);
    const fallback = () => {
      const ta = document.createElement("textarea");
      ta.value = href; ta.setAttribute("readonly", ""); ta.style.position = "fixed"; ta.style.opacity = "0";
      document.body.appendChild(ta); ta.select();
      let ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      ta.remove();
      done(ok);
    };
    try {
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(href).then(() => done(true), fallback);
      } else fallback();
    } catch (e) { fallback(); }
  });

  document.addEventListener("keydown", (ev) => {
    const tag = ev.target && ev.target.tagName;
    if (ev.key === "Escape" && S.setStart) { toggleSetStart(false); return; }
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
    if (ev.key === " " && tag !== "BUTTON") { ev.preventDefault(); S.playing ? pause() : play(); }
    else if (ev.key === "ArrowLeft") { ev.preventDefault(); pause(); goto(Math.floor(S.stepF) - 1); }
    else if (ev.key === "ArrowRight") { ev.preventDefault(); pause(); goto(Math.floor(S.stepF) + 1); }
  });

  let resizeTimer = 0;
  function onResize() {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      applyHeight();
      if (!S.d) return;
      const size = mainSize();
      if (S.view === "2d" && !S.stale2d && S.size2d !== size) render2d();
      if (S.view === "3d" && !S.stale3d && S.size3d !== size) render3d();
      resizeSide();
    }, 80);
  }
  if (window.ResizeObserver) {
    const ro = new ResizeObserver(onResize);
    ro.observe(el.app);
    ro.observe(el.charts);
  }
  window.addEventListener("resize", onResize);

  window.addEventListener("message", (ev) => {
    const m = ev.data;
    if (!m || m.type !== "streamlit:render") return;
    try {
      const r = onRender(m.args || {});
      if (r && r.catch) r.catch((e) => { setStatus("display error: " + e.message, true); throw e; });
    } catch (e) {
      setStatus("display error: " + e.message, true);
      throw e;
    }
  });

  window.__player = { S: S, render2d: render2d, render3d: render3d, renderSide: renderSide, prepare: prepare, drawSurface: drawSurface, draw2d: draw2d, figure2d: figure2d, figure3d: figure3d, draw3d: draw3d, toggleRun: toggleRun };
  send("streamlit:componentReady", { apiVersion: 1 });
  applyHeight();
})();
