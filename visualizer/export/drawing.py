"""A scene's 2D view drawn in Python, at any step: what the GIF and the PNG
are made of. matplotlib's Agg renderer draws (no browser, no display).

It is the player's 2D view (view2d.js) redrawn with the player's numbers:

- colours of runs: `payload.color_of`, THE palette (style.json);
- every width, dash, marker size, colour and font size: the player's style
  table, style.json (visualizer/browser/style.py); sizes there are CSS
  pixels, drawn as such in a picture 640 px wide and scaled with the width
  (the figure is 640 CSS px of 1/100 inch, rendered at 100 x width / 640 dpi);
- the filled contour: style.json's `contour` (its colours, its number of
  bands over the same value transform as payload.js's `valueScale`:
  log10(f - min + eps) on log_scale surfaces, from the 1 % to the 98.5 %
  quantile), rasterised pixel by pixel like contour.js; the level lines at
  the band edges by matplotlib's contour;
- layers, bottom to top, as view2d.draw2d: paths (every halo, then the
  colours by run index, each with its dash pattern), heads (an arrow on the
  border for a head outside the window), diverged crosses, the start mark(s),
  minima, saddles, labels; then the step counter.

Speed: the background (contour, axes, colour bar, title, legend) is drawn
once; a frame restores it and draws only the paths and marks over it.
"""

from __future__ import annotations

import base64
import math
import threading

import numpy as np

from visualizer.browser import style as player_style
from visualizer.browser.payload import color_of
from visualizer.export.numbers import fmt, linear_ticks, tick_text
from visualizer.export.scene_data import SceneData
from visualizer.export.style import band_colors, css_rgba, require

# matplotlib's settings and caches are global: a server's threads draw one
# picture at a time (a GIF takes about a second).
LOCK = threading.Lock()
REFERENCE_WIDTH = 640  # CSS px: at this width a picture uses the player's sizes as they are
PT = 0.72  # points per CSS px (100 CSS px per inch)
NEEDED = ("font.ui", "font.tick", "font.axisTitle", "font.title", "font.label", "figure.text", "figure.axis",
          "run.width", "run.halo", "run.haloColor", "run.dashes", "head.r", "head.ring", "head.ringColor",
          "head.outline", "head.outlineColor", "head.arrow", "head.arrowRing", "head.arrowRingColor",
          "swatch.inset", "swatch.width", "swatch.line", "swatch.head", "swatch.headFromEnd", "swatch.ring",
          "swatch.ringColor", "minimum.r", "minimum.inner", "minimum.stroke", "minimum.width",
          "minimum.fill", "minimum.halo", "minimum.haloWidth", "saddle.s", "saddle.color", "saddle.width",
          "saddle.halo", "saddle.haloWidth", "start.r", "start.fill", "start.stroke", "start.width",
          "runStart.r", "runStart.width", "runStart.fill", "runStart.halo", "runStart.haloExtra",
          "diverged.color", "diverged.s", "diverged.width", "diverged.halo", "diverged.haloWidth",
          "label.halo", "label.haloWidth", "label.color", "levels.color", "levels.width")


class Drawing:
    """The scene of `data` at `width` pixels: `frame(k)` is step k as an
    (height, width, 3) uint8 array. Runs the scene's `hide` lists are left
    out, as the player leaves them out."""

    def __init__(self, data: SceneData, width: int):
        import matplotlib

        self.data = data
        self.st = player_style.marks(data.scene.viewer.present)
        require(self.st, *NEEDED)
        self.text_color, self.axis_color = self.st["figure"]["text"], self.st["figure"]["axis"]
        self.last = data.last_step
        self.surface = _Surface(data.surface)
        self.runs = _runs(data)
        self.window = data.surface["window"]
        self.layout = _Layout(self.st, self.window, len(self.runs), self._mark_entries())
        # rc_context changes matplotlib's global settings for a while: callers
        # hold LOCK (one drawing at a time in a process)
        with matplotlib.rc_context({"lines.scale_dashes": False, "font.family": "DejaVu Sans",
                                    "axes.unicode_minus": True}):
            self._build(width)

    # ------------------------------------------------------------ the figure
    def _build(self, width: int) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        L = self.layout
        self.scale = width / REFERENCE_WIDTH
        dpi = 100 * self.scale
        height_px = round(L.H * self.scale)
        self.fig = Figure(figsize=(width / dpi, height_px / dpi), dpi=dpi, facecolor="#ffffff")
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes(L.rect(L.plot), facecolor="#ffffff")
        self._axes()
        self._colorbar()
        self._title()
        self._legend()
        self._contour()
        self._dynamic_artists()
        self.canvas.draw()  # everything but the animated artists
        self.renderer = self.canvas.get_renderer()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)

    def _axes(self) -> None:
        from matplotlib.ticker import MaxNLocator

        ax, f = self.ax, self.st["font"]
        (x0, x1), (y0, y1) = self.window
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_autoscale_on(False)
        nbins = 5 if f["tick"] > 15 else 8
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(MaxNLocator(nbins=nbins))
        ax.tick_params(direction="out", length=4 * PT, width=0.8, color=self.axis_color, labelsize=f["tick"] * PT,
                       labelcolor=self.text_color, pad=2)
        for spine in ax.spines.values():
            spine.set_color(self.axis_color)
            spine.set_linewidth(1 * PT)
        ax.set_xlabel("x", fontsize=f["axisTitle"] * PT, color=self.text_color, labelpad=1)
        ax.set_ylabel("y", fontsize=f["axisTitle"] * PT, color=self.text_color, labelpad=3, rotation=90)

    def _colorbar(self) -> None:
        s = self.surface
        if not s.has_surface:
            return
        f = self.st["font"]
        cax = self.fig.add_axes(self.layout.rect(self.layout.colorbar))
        bands = np.array(s.bands, dtype=np.uint8)[::-1, None, :]
        cax.imshow(bands, aspect="auto", extent=(0, 1, s.lo, s.hi), interpolation="nearest")
        cax.set_xlim(0, 1)
        cax.set_ylim(s.lo, s.hi)
        cax.set_xticks([])
        cax.yaxis.tick_right()
        values, labels = s.colorbar_ticks(f["tick"])
        cax.set_yticks(values, labels)
        cax.tick_params(axis="y", length=3 * PT, width=0.8, color=self.axis_color, labelsize=f["tick"] * PT,
                        labelcolor=self.text_color, pad=2)
        for spine in cax.spines.values():
            spine.set_visible(False)
        cax.set_title("f \u2212 min" if s.shifted else "f", fontsize=f["tick"] * PT, color=self.text_color,
                      loc="left", pad=3)

    def _title(self) -> None:
        L, f = self.layout, self.st["font"]
        name = str(self.data.surface.get("name") or "")
        name = name if len(name) <= 60 else name[:59] + "\u2026"
        self.fig.text(L.fx(L.plot[0] - L.M["l"] + 6), L.fy(4), name, fontsize=f["title"] * PT, color=self.text_color,
                      va="top", ha="left")
        self.counter = self.fig.text(L.fx(L.plot[0] + L.plot[2]), L.fy(6), "", ha="right", va="top",
                                     fontsize=f["ui"] * PT, color=self.text_color, animated=True)

    # --------------------------------------------------------------- legend
    def _mark_entries(self) -> list[tuple[str, str]]:
        d = self.data.surface
        entries = []
        if d.get("minima"):
            entries.append(("min", "estimated minimum" if d.get("minima_estimated") else "minimum"))
        if d.get("saddles"):
            entries.append(("saddle", "saddle point"))
        entries.append(("start", "start") if self._shared_start() is not None else ("runstart", "start of each run"))
        return entries

    def _legend(self) -> None:
        from matplotlib.lines import Line2D

        L, st, fig = self.layout, self.st, self.fig
        size = st["font"]["ui"] * PT
        sw = st["swatch"]  # as marks.js's swatch: the run's line and head
        for run, (x, y, w) in zip(self.runs, L.legend_cells, strict=True):
            dash = st["run"]["dashes"][run.index % len(st["run"]["dashes"])]
            k = sw["line"] / st["run"]["width"]  # the dash at the swatch's line width
            fig.add_artist(Line2D([L.fx(x + sw["inset"]), L.fx(x + (sw["width"] - sw["inset"]))], [L.fy(y), L.fy(y)],
                                  transform=fig.transFigure, color=run.color, lw=sw["line"] * PT,
                                  solid_capstyle="round", dash_capstyle="round",
                                  linestyle=_dashes([v * k for v in dash])))
            fig.add_artist(Line2D([L.fx(x + (sw["width"] - sw["headFromEnd"]))], [L.fy(y)], transform=fig.transFigure,
                                  marker="o", markersize=2 * sw["head"] * PT, markerfacecolor=run.color,
                                  markeredgecolor=sw["ringColor"], markeredgewidth=sw["ring"] * PT, linestyle="none"))
            room = w - 42
            label = fig.text(L.fx(x + 40), L.fy(y), "", fontsize=size, color=self.text_color, va="center_baseline")
            self._fit(label, run.label, room)
            if run.diverged is not None:
                used = label.get_window_extent(self.canvas.get_renderer()).width / self.scale
                note = fig.text(L.fx(x + 40 + used + 6), L.fy(y), "", fontsize=size,
                                color=st["diverged"]["color"], va="center_baseline")
                self._fit(note, f"\u2715 diverged at step {run.diverged}", room - used - 6)
        for kind, text, x, y in L.mark_cells:
            self._mark(kind, x + L.icon / 2, y, figure=True)
            fig.text(L.fx(x + L.icon + 5), L.fy(y), text, fontsize=size, color=self.text_color, va="center_baseline")

    def _fit(self, artist, text: str, room: float) -> None:
        """`text` in `artist`, cut with an ellipsis to `room` CSS px."""
        renderer = self.canvas.get_renderer()
        artist.set_text(text)
        if artist.get_window_extent(renderer).width / self.scale <= room:
            return
        lo, hi = 0, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            artist.set_text(text[:mid].rstrip() + "\u2026")
            if artist.get_window_extent(renderer).width / self.scale <= room:
                lo = mid
            else:
                hi = mid - 1
        artist.set_text(text[:lo].rstrip() + "\u2026" if lo else "")

    # -------------------------------------------------------------- contour
    def _contour(self) -> None:
        s, ax = self.surface, self.ax
        if not s.has_grid:
            return
        box = ax.get_window_extent()
        w, h = max(1, round(box.width)), max(1, round(box.height))
        (x0, x1), (y0, y1) = self.window
        px = x0 + (np.arange(w) + 0.5) / w * (x1 - x0)
        py = y1 - (np.arange(h) + 0.5) / h * (y1 - y0)  # image rows top down
        ax.imshow(s.raster(px, py), extent=(x0, x1, y0, y1), origin="upper", interpolation="nearest",
                  aspect="auto", zorder=0)
        levels = s.levels()
        if len(levels) and s.has_surface:
            lv = self.st["levels"]
            with np.errstate(invalid="ignore"):
                ax.contour(s.x, s.y, np.ma.masked_invalid(s.zT), levels=levels, colors=[css_rgba(lv["color"])],
                           linewidths=lv["width"] * PT, linestyles="solid", zorder=1)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)

    # ------------------------------------------------------- what moves
    def _dynamic_artists(self) -> None:
        from matplotlib.lines import Line2D

        st, ax = self.st, self.ax
        run_st = st["run"]
        self.halos, self.paths, self.heads, self.outlines = [], [], [], []
        head = st["head"]
        for run in self.runs:
            common = {"solid_capstyle": "round", "solid_joinstyle": "round", "dash_capstyle": "round",
                      "dash_joinstyle": "round", "animated": True}
            self.halos.append(ax.add_line(Line2D([], [], color=css_rgba(run_st["haloColor"]),
                                                 lw=run_st["halo"] * PT, **common)))
            dash = run_st["dashes"][run.index % len(run_st["dashes"])]
            self.paths.append(ax.add_line(Line2D([], [], color=run.color, lw=run_st["width"] * PT,
                                                 linestyle=_dashes(dash), **common)))
            self.heads.append(ax.add_line(Line2D(
                [], [], marker="o", linestyle="none", markersize=2 * head["r"] * PT, markerfacecolor=run.color,
                markeredgecolor=css_rgba(head["ringColor"]), markeredgewidth=head["ring"] * PT, animated=True,
                clip_on=False)))
            self.outlines.append(ax.add_line(Line2D(
                [], [], marker="o", linestyle="none", markerfacecolor="none",
                markersize=2 * (head["r"] + head["ring"] / 2 + head["outline"] / 2) * PT,
                markeredgecolor=css_rgba(head["outlineColor"]), markeredgewidth=head["outline"] * PT,
                animated=True, clip_on=False)))

    def _marker_line(self, path_px, x, y, *, face, edge, edge_width, figure=False, cap="round"):
        """A one-point Line2D whose marker is `path_px` (a matplotlib Path in
        CSS px, y up) at its true size, at data (x, y) or figure CSS px."""
        from matplotlib.lines import Line2D
        from matplotlib.markers import MarkerStyle

        extent = float(np.max(np.abs(path_px.vertices)))
        marker = MarkerStyle(path_px, capstyle=cap, joinstyle="round")
        kw = {"marker": marker, "markersize": 2 * extent * PT, "markerfacecolor": face, "markeredgecolor": edge,
              "markeredgewidth": edge_width * PT, "linestyle": "none"}
        if figure:
            L = self.layout
            return self.fig.add_artist(Line2D([L.fx(x)], [L.fy(y)], transform=self.fig.transFigure, **kw))
        line = Line2D([x], [y], clip_on=False, **kw)
        line.set_figure(self.fig)
        line.axes = self.ax
        line.set_transform(self.ax.transData)
        return line

    def _mark(self, kind: str, x: float, y: float, *, figure: bool = False, color: str | None = None,
              angle: float = 0.0) -> list:
        """The artists of one mark (halo first), as marks.js paints it."""
        st = self.st
        if kind == "min":
            m = st["minimum"]
            star = _star(m["r"], m["inner"])
            return [self._marker_line(star, x, y, face="none", edge=css_rgba(m["halo"]), edge_width=m["haloWidth"],
                                      figure=figure),
                    self._marker_line(star, x, y, face=css_rgba(m["fill"]), edge=css_rgba(m["stroke"]),
                                      edge_width=m["width"], figure=figure)]
        if kind in ("saddle", "diverged"):
            m = st[kind]
            cross = _cross(m["s"])
            return [self._marker_line(cross, x, y, face="none", edge=css_rgba(m["halo"]), edge_width=m["haloWidth"],
                                      figure=figure),
                    self._marker_line(cross, x, y, face="none", edge=css_rgba(m["color"]), edge_width=m["width"],
                                      figure=figure)]
        if kind == "start":
            m = st["start"]
            return [self._marker_line(_circle(m["r"]), x, y, face=css_rgba(m["fill"]), edge=css_rgba(m["stroke"]),
                                      edge_width=m["width"], figure=figure)]
        if kind == "runstart":
            m = st["runStart"]
            return [self._marker_line(_circle(m["r"]), x, y, face="none", edge=css_rgba(m["halo"]),
                                      edge_width=m["width"] + m["haloExtra"], figure=figure),
                    self._marker_line(_circle(m["r"]), x, y, face=css_rgba(m["fill"]), edge=color or "#555555",
                                      edge_width=m["width"], figure=figure)]
        if kind == "arrow":
            h = st["head"]
            return [self._marker_line(_arrow(h["arrow"], angle), x, y, face=color, edge=h["arrowRingColor"],
                                      edge_width=h["arrowRing"], figure=figure, cap="butt")]
        raise ValueError(kind)

    def _shared_start(self):
        """The scene's start when every run starts there (payload.js's rule), else None."""
        (x0, x1), (y0, y1) = self.window
        tol = 1e-6 * math.hypot(x1 - x0, y1 - y0)
        ref = tuple(self.data.scene.start)
        starts = [run.start for run in _runs(self.data, hidden=True)]
        if all(abs(s[0] - ref[0]) <= tol and abs(s[1] - ref[1]) <= tol for s in starts):
            return ref
        return None

    # ----------------------------------------------------------- a frame
    def frame(self, k: int) -> np.ndarray:
        """Step `k` (0 to the last step) as an RGB array."""
        self._draw_step(k)
        buf = np.asarray(self.canvas.buffer_rgba())
        return buf[:, :, :3].copy()

    def _draw_step(self, k: int) -> None:
        ax, fig = self.ax, self.fig
        self.canvas.restore_region(self.background)
        to_px = ax.transData.transform
        box = ax.bbox
        draw_late, labels = [], []
        heads = []
        for run, halo, path in zip(self.runs, self.halos, self.paths, strict=True):
            last = min(k, run.n)
            halo.set_data(run.x[: last + 1], run.y[: last + 1])
            path.set_data(run.x[: last + 1], run.y[: last + 1])
            heads.append((run, last, run.diverged is not None and k >= run.n))
        for artist in self.halos:
            ax.draw_artist(artist)
        for artist in self.paths:
            ax.draw_artist(artist)
        inset = self.st["head"]["arrow"] * self.scale
        for (run, last, ended), head, outline in zip(heads, self.heads, self.outlines, strict=True):
            if ended:
                continue
            hx, hy = float(run.x[last]), float(run.y[last])
            px, py = to_px((hx, hy))
            if box.x0 <= px <= box.x1 and box.y0 <= py <= box.y1:
                head.set_data([hx], [hy])
                outline.set_data([hx], [hy])
                ax.draw_artist(head)
                ax.draw_artist(outline)
            else:
                ex, ey, angle = _edge_point(box, px, py, inset)
                dx, dy = ax.transData.inverted().transform((ex, ey))
                draw_late.extend(self._mark("arrow", dx, dy, color=run.color, angle=angle))
        self._draw_marks(draw_late)
        crosses = []
        for run, last, ended in heads:
            if not ended:
                continue
            x, y = float(run.x[last]), float(run.y[last])
            px, py = to_px((x, y))
            if not (box.x0 <= px <= box.x1 and box.y0 <= py <= box.y1):
                px, py, _ = _edge_point(box, px, py, inset)
                x, y = ax.transData.inverted().transform((px, py))
            crosses.extend(self._mark("diverged", x, y))
            labels.append((f"diverged at step {run.diverged}", px, py))
        self._draw_marks(crosses)
        self._draw_marks(self._static_marks())
        self._draw_labels(labels)
        self.counter.set_text(f"step {k} / {self.last}")
        fig.draw_artist(self.counter)

    def _static_marks(self) -> list:
        if not hasattr(self, "_marks"):
            marks = []
            start = self._shared_start()
            if start is not None:
                marks.extend(self._mark("start", *start))
            else:
                for run in self.runs:
                    marks.extend(self._mark("runstart", *run.start, color=run.color))
            for x, y in self.data.surface.get("minima") or []:
                marks.extend(self._mark("min", x, y))
            for x, y in self.data.surface.get("saddles") or []:
                marks.extend(self._mark("saddle", x, y))
            (x0, x1), (y0, y1) = self.window
            self._marks = [m for m in marks if x0 <= m.get_xdata()[0] <= x1 and y0 <= m.get_ydata()[0] <= y1]
        return self._marks

    def _draw_marks(self, artists: list) -> None:
        for artist in artists:
            artist.draw(self.renderer)

    def _draw_labels(self, labels) -> None:
        """"diverged at step k" beside its cross, right of it unless that runs
        off the plot (paths.js drawEndLabels)."""
        if not labels:
            return
        from matplotlib import patheffects
        from matplotlib.text import Text

        st, s = self.st, self.scale
        off, size = st["diverged"]["s"] + 5, st["font"]["label"]
        box = self.ax.bbox
        for text, px, py in labels:
            to_right = px < box.x1 - size * 11 * s
            above = py < box.y1 - (off + size) * s
            label = Text(px + (off if to_right else -off) * s, py + (off if above else -off - 2) * s, text,
                         ha="left" if to_right else "right", va="center", fontsize=size * PT,
                         color=st["diverged"]["color"], fontweight="bold")
            label.set_path_effects([patheffects.withStroke(linewidth=st["label"]["haloWidth"] * PT,
                                                           foreground=css_rgba(st["label"]["halo"]))])
            label.set_figure(self.fig)
            label.draw(self.renderer)


# ------------------------------------------------------------------ runs
class _Run:
    def __init__(self, index, result, scene, color):
        self.index = index
        self.label = result.label
        self.color = color
        self.x = np.asarray(result.xy[:, 0], dtype=np.float64)
        self.y = np.asarray(result.xy[:, 1], dtype=np.float64)
        self.n = len(result.xy) - 1
        self.diverged = result.diverged_at
        self.start = tuple(float(v) for v in (result.xy[0] if len(result.xy) else scene.start_of(result.run)))


def _runs(data: SceneData, hidden: bool = False) -> list[_Run]:
    hide = set() if hidden else {n - 1 for n in data.scene.viewer.hide}
    return [_Run(i, r, data.scene, color_of(i)) for i, r in enumerate(data.result.runs) if i not in hide]


# ------------------------------------------------------- the surface's values
class _Surface:
    """payload.js's prepare + valueScale, and contour.js's bands, in NumPy."""

    def __init__(self, surface: dict):
        self.x, self.y = _decode(surface.get("x")), _decode(surface.get("y"))
        z = _decode(surface.get("z"))
        nx, ny = len(self.x), len(self.y)
        self.has_grid = nx > 1 and ny > 1 and len(z) == nx * ny
        self.log_scale = surface.get("log_scale") is True
        contour = player_style.contour()
        self.mask_rgb, self.n_levels = tuple(contour["mask"]), contour["bands"]
        self.bands = band_colors(self.n_levels)
        finite = z[np.isfinite(z)] if self.has_grid else np.array([])
        self.has_surface = finite.size > 0
        if not self.has_surface:
            self.zT, self.lo, self.hi, self.shifted = None, 0.0, 1.0, False
            return
        self.z = z.reshape(ny, nx)
        self._scale(finite)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.zT = self.T(self.z)

    def _scale(self, finite: np.ndarray) -> None:
        stride = max(1, len(finite) // 6000)
        values = np.sort(finite.astype(np.float64)[::stride])
        zmin, zmax = float(finite.min()), float(finite.max())

        def quantile(q):
            return float(values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))])

        span = zmax - zmin
        eps = 0.0
        if self.log_scale:
            eps = 1e-3 * (quantile(0.5) - zmin)
            if not eps > 0:
                eps = 1e-3 * span
            if not eps > 0:
                eps = 1e-3 * max(1.0, abs(zmin))
        self.zmin, self.eps = zmin, eps
        top = float(self.T(zmax))
        self.lo = max(float(self.T(zmin)), float(self.T(quantile(0.01))))
        hi = float(self.T(quantile(0.985)))
        self.hi = hi if hi > self.lo else (top if top > self.lo else self.lo + 1)
        self.shifted = self.log_scale and abs(zmin) > 1e-12

    def T(self, v):
        if self.log_scale:
            return np.log10(np.maximum(np.asarray(v, dtype=np.float64) - self.zmin, 0) + self.eps)
        return np.asarray(v, dtype=np.float64)

    def levels(self) -> np.ndarray:
        size = (self.hi - self.lo) / self.n_levels
        return np.array([self.lo + k * size for k in range(1, self.n_levels + 1)]) if self.has_surface else []

    def raster(self, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """The bands at data points px (columns) x py (rows): contour.js's
        paintSurface, bilinear in the transformed values, the nearest corner
        next to a hole, the mask colour where f is not finite."""
        out = np.empty((len(py), len(px), 3), dtype=np.uint8)
        out[:] = np.array(self.mask_rgb, dtype=np.uint8)
        if not self.has_surface:
            return out
        fx, fy = _grid_index(self.x, px), _grid_index(self.y, py)
        okx, oky = np.isfinite(fx), np.isfinite(fy)
        nx, ny = len(self.x), len(self.y)
        i0 = np.minimum(nx - 2, np.where(okx, fx, 0).astype(int))
        j0 = np.minimum(ny - 2, np.where(oky, fy, 0).astype(int))
        tx, ty = np.where(okx, fx, 0) - i0, np.where(oky, fy, 0) - j0
        I0, J0 = np.meshgrid(i0, j0)
        TX, TY = np.meshgrid(tx, ty)
        z = self.zT
        a, b, c, e = z[J0, I0], z[J0, I0 + 1], z[J0 + 1, I0], z[J0 + 1, I0 + 1]
        v = (a * (1 - TX) + b * TX) * (1 - TY) + (c * (1 - TX) + e * TX) * TY
        corner = np.where(TX < 0.5, np.where(TY < 0.5, a, c), np.where(TY < 0.5, b, e))
        v = np.where(np.isnan(v), corner, v)
        inside = np.outer(oky, okx) & np.isfinite(v)
        band = np.clip(np.floor((np.where(inside, v, self.lo) - self.lo) * self.n_levels / (self.hi - self.lo)),
                       0, self.n_levels - 1).astype(int)
        colors = np.array(self.bands, dtype=np.uint8)
        out[inside] = colors[band[inside]]
        return out

    def colorbar_ticks(self, tick_px: float) -> tuple[list[float], list[str]]:
        """view2d.js's colorbar(): powers of ten of f - min on a log scale
        (1-2-5 when fewer than four fit), nice linear ticks otherwise."""
        lo, hi = self.lo, self.hi
        if not self.log_scale:
            return linear_ticks(lo, hi, 5 if tick_px > 15 else 7)
        values, labels = [], []
        close = (0.09 if tick_px > 15 else 0.06) * (hi - lo)

        def push(delta):
            t = float(self.T(self.zmin + delta))
            if lo - 1e-9 <= t <= hi + 1e-9 and not any(abs(v - t) < close for v in values):
                values.append(t)
                labels.append(tick_text(delta, 1e-3 <= delta < 1e5) if self.shifted else fmt(self.zmin + delta))

        k_lo, k_hi = math.floor(lo) - 1, math.ceil(hi) + 1
        for k in range(k_lo, k_hi + 1):
            push(10.0 ** k)
        if len(values) < 4:
            for k in range(k_lo, k_hi + 1):
                push(2 * 10.0 ** k)
                push(5 * 10.0 ** k)
        return values, labels


def _decode(spec) -> np.ndarray:
    if not isinstance(spec, dict) or not isinstance(spec.get("bdata"), str):
        return np.zeros(0)
    raw = base64.b64decode(spec["bdata"])
    return np.frombuffer(raw, dtype="<f4").astype(np.float64)


def _grid_index(arr: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Fractional index of each v in the ascending `arr`; NaN outside."""
    n = len(arr)
    lo = np.clip(np.searchsorted(arr, v, side="right") - 1, 0, n - 2)
    width = arr[lo + 1] - arr[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(width > 0, (v - arr[lo]) / width, 0)
    out = lo + frac
    return np.where((v >= arr[0]) & (v <= arr[-1]), out, np.nan)


def _dashes(pattern):
    """A canvas dash pattern (CSS px; [] is solid) as a matplotlib linestyle."""
    return (0.0, [max(v, 1e-3) * PT for v in pattern]) if pattern else "solid"


# ------------------------------------------------------------- mark shapes
def _path(points, codes=None):
    from matplotlib.path import Path

    return Path(np.asarray(points, dtype=float), codes)


def _star(r: float, inner: float):
    """marks.js's starPath: ten points, the outer ones `r` out, nudged
    0.06 r down (y up here, so minus)."""
    pts = []
    for i in range(10):
        a = -math.pi / 2 + i * math.pi / 5
        rr = inner if i % 2 else r
        pts.append((rr * math.cos(a), -(rr * math.sin(a) + 0.06 * r)))
    from matplotlib.path import Path

    return _path([*pts, pts[0]], [Path.MOVETO] + [Path.LINETO] * 9 + [Path.CLOSEPOLY])


def _cross(s: float):
    from matplotlib.path import Path

    return _path([(-s, -s), (s, s), (s, -s), (-s, s)], [Path.MOVETO, Path.LINETO, Path.MOVETO, Path.LINETO])


def _circle(r: float):
    from matplotlib.path import Path

    circle = Path.unit_circle()
    return _path(circle.vertices * r, circle.codes)


def _arrow(a: float, angle: float):
    """marks.js's paintArrow: a triangle (a, 0), (-a, -a), (-a, a) turned
    by `angle` (radians, counter-clockwise here: y is up)."""
    from matplotlib.path import Path

    c, s = math.cos(angle), math.sin(angle)
    pts = [(a * c - 0 * s, a * s + 0 * c), (-a * c + a * s, -a * s - a * c), (-a * c - a * s, -a * s + a * c)]
    return _path([*pts, pts[0]], [Path.MOVETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY])


def _edge_point(box, px: float, py: float, inset: float) -> tuple[float, float, float]:
    """Where the ray from the plot's centre to (px, py) leaves the plot
    area, `inset` pixels inside it, and the ray's angle (view2d.js's edgePoint)."""
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    dx, dy = px - cx, py - cy
    sx = (box.width / 2 - inset) / abs(dx) if dx else math.inf
    sy = (box.height / 2 - inset) / abs(dy) if dy else math.inf
    s = min(sx, sy, 1)
    return cx + dx * s, cy + dy * s, math.atan2(dy, dx)


# ------------------------------------------------------------------ layout
class _Layout:
    """Where everything goes, in CSS px of a 640 px wide picture, y down:
    the 2D plot with the player's margins (layout.js margins2d), equal x/y
    scale unless the window is 3 times wider than high or more, the colour
    bar beside it, the legend under it (runs in columns, then the marks)."""

    W = REFERENCE_WIDTH

    def __init__(self, st: dict, window, n_runs: int, marks: list[tuple[str, str]]):
        f = st["font"]
        self.M = M = {"l": round(f["tick"] * 3.3 + f["axisTitle"] + 6), "t": round(f["title"] + 19),
                      "b": round(f["tick"] + f["axisTitle"] + 18), "cb": round(22 + f["tick"] * 3.6), "r": 12}
        (x0, x1), (y0, y1) = window
        span_x, span_y = x1 - x0, y1 - y0
        avail_w = self.W - M["l"] - M["cb"] - M["r"]
        if span_x / span_y < 3 and span_y / span_x < 3:  # layout.js isEqualScale
            k = min(avail_w / span_x, 1.1 * avail_w / span_y)
            pw, ph = span_x * k, span_y * k
        else:
            pw, ph = avail_w, 0.6 * avail_w
        pw, ph = math.floor(pw), math.floor(ph)
        left = M["l"] + (avail_w - pw) / 2
        self.plot = (left, M["t"], pw, ph)
        self.colorbar = (left + pw + 10, M["t"], 12, ph)
        # the legend: one column for up to three runs, else as many as fit (layout.js fitLegendColumns)
        row = round(f["ui"] * 1.75)
        min_col = 150 + 2.5 * f["ui"]
        cols = 1 if n_runs <= 3 else max(1, min(4, math.ceil(n_runs / 2), math.floor((self.W - 24) / min_col)))
        col_w = (self.W - 24) / cols
        top = M["t"] + ph + M["b"] + 4
        self.legend_cells = [(12 + (i % cols) * col_w, top + (i // cols) * row + row / 2, col_w)
                             for i in range(n_runs)]
        rows = math.ceil(n_runs / cols) if n_runs else 0
        y = top + rows * row + row / 2
        # the marks' icons at their plot size: as wide as the largest
        self.icon = 2 * max(st["minimum"]["r"], st["saddle"]["s"], st["start"]["r"], st["runStart"]["r"]) + 2
        self.mark_cells, x = [], 12.0
        for kind, text in marks:
            w = self.icon + 5 + 0.6 * f["ui"] * len(text) + 16
            if x + w > self.W - 12 and x > 12:
                x, y = 12.0, y + row
            self.mark_cells.append((kind, text, x, y))
            x += w
        self.H = math.ceil(y + row / 2 + 6)

    def rect(self, box) -> list[float]:
        """A (left, top, width, height) box as matplotlib's figure fractions."""
        x, y, w, h = box
        return [x / self.W, 1 - (y + h) / self.H, w / self.W, h / self.H]

    def fx(self, x: float) -> float:
        return x / self.W

    def fy(self, y: float) -> float:
        return 1 - y / self.H
