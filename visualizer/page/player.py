"""The trajectory player: a Streamlit (v1) custom component that animates
optimizer paths over a 2D loss surface entirely in the browser.

The frontend (``browser/frontend/``) is plain ES modules on top of plotly.js,
no build step: ``index.html`` loads plotly's official "gl3d" partial bundle
(vendored in ``browser/frontend/vendor/``, see the README there; 1.8 MB
instead of the full bundle's 4.8 MB) with a classic script, then
``main.js`` as a module, which imports the rest (one job each: ``state.js``,
``payload.js``, ``layout.js``, ``view2d.js``, ``view3d.js``, ``curves.js``,
``legend.js``, ``marks.js`` - the painters of the style table
``style.json``, which the page inlines -, ``plotly_internals.js`` - the only
module that reads plotly.js internals -, ``url.js``, ...). ``manifest.json``
lists every file (``visualizer.browser.player_files`` reads it); they are
assembled into a cache folder that Streamlit serves; every URL carries the
frontend's version (``?v=``), imports between modules included, so a new
frontend is never mixed with a cached old one. Playing, pausing,
scrubbing and switching 2D/3D never reach the server; only "Set start"
clicks, the "Inside a step" switch and clicks on an exploration come back,
as the component's value.

Payload contract (built by the caller; float arrays via :func:`encode_f32`;
every key optional, every value validated by the browser)::

    {"query": "<canonical scene query>",   # the address's base (below)
     "surface": {"name", "x", "y", "z" (ny*nx row-major, NaN = not finite),
                 "log_scale", "window", "minima", "minima_estimated", "saddles",
                 "min_value" (optional: f at the lowest minimum)},
     "start": [x, y], "steps": N,
     "palette": ["#0072B2", ...],          # THE palette (style.json, visualizer.browser.style.PALETTE)
     "runs": [{"label", "color", "xy" (interleaved), "loss", "lr",
               <every array a curve draws: "grad_norm", ...>,
               <every run setting a curve draws as a level: "clip_norm">,
               "diverged_at", "start": [x, y]}, ...],
     "curves": [{"id", "titles", "series": [{"key", "id", "name", "dash", "limit"}],
                 "rank", ...}, ...],   # the side charts (below)
     "viewer": {"keys": [{"name", "kind", "default", "writer", ...}, ...],
                "values": {name: value}},  # the viewer keys (below)
     "inside": {"on": bool},                # optional: "Inside a step" (below)
     "explore": {...},                      # optional: an exploration (below)
     "model": {...},                        # optional: a network scene (below)
     "quiz": {...},                         # optional: predict=1, the questions (below)
     "class": {...}}                        # optional: a live class (below)

- Run i is drawn in ``runs[i]["color"]`` if that is a valid CSS colour, else
  ``palette[i % len(palette)]``. Each run's start is its first point
  (``start`` if it has none): the scene's common ``start`` is marked when
  every run starts there, else each run gets a ring in its colour.
- ``curves``: the side charts, the table of ``visualizer.browser.curves``
  (``Curve.describe()``, top to bottom; an option that is off is left
  out): a panel per curve, each run's arrays named by its ``series``
  (``key``: the array in the run's part; ``id``: its traces' name; ``name``:
  a value's name in the readout; ``dash``: dashed, and left out where the
  run has no values; ``limit``: a line the first series is read against,
  drawn over a halo and in range unless more than a decade and a half above
  the first) against the step. ``axis`` ``"log"`` or
  ``"percent"``; ``floor``: values at or below 0 drawn at a floor a decade
  under the smallest positive value, said in a note; ``below_zero_titles``:
  a loss below 0 drawn from the lowest value known (the runs', the
  surface's minimum and grid), with these titles (``{min}``: that value);
  ``start_decades``: the axis stops that many decades over the runs'
  largest first value; ``decades``: it spans at most that many decades
  under its top; ``constant_ticks``: the runs' constant values are ticks;
  ``linear_titles``: where no value is positive, a linear axis from 0 with
  these titles; ``level`` ``{"key", "id", "titles"}``: a run setting drawn
  as a dashed level where the run has it (and the title's forms then);
  ``optional``: shown only where a run has values. The panels the side
  column has room for are the lowest ``rank``s (``rank_telling`` where the
  curve ``telling``: ``"level"``, a run draws its level; ``"moves"``, a
  run's values are not constant), shown in the table's order.
- ``viewer``: the viewer keys, the table of ``visualizer.core.scene.SCENE_KEYS``
  (``ViewerKey.describe()``, in canonical order, which comes after every
  other key) and this scene's value of each (``values``). Each key has a
  ``kind``: ``"choice"`` (one of ``values``, written into the address as
  the matching one of ``texts``), ``"flag"`` (true/false, written ``1``),
  ``"step"`` (a step, or None: the last), ``"runs"`` (run numbers,
  1-based, written ``2,5``); its ``default`` (not written into the
  address), and its ``writer``: ``"server"`` (the page writes it into
  ``query``) or ``"player"`` (the player writes it from what the viewer
  does). A value its key does not allow is the key's default; an entry of
  an unknown kind is left out. What the player does with the keys it
  knows: ``view`` the view shown; ``step`` the step shown on load;
  ``speed`` the playback speed, whose values are the toolbar's choices;
  ``hide`` runs hidden from the plot and the charts; ``autoplay`` play
  from step 0 on load; ``loop`` play again from 0 at the end; ``present``
  presentation mode: type of at least 18 px, thicker paths, toolbar
  reduced to playback and 2D/3D, the frame sized to the visible viewport;
  ``embed`` alone in another page's frame: sized to the visible viewport
  as a presentation is, no "Copy link"; ``predict`` ask the payload's
  ``quiz`` first (below). A narrow player (under 640 px) on a touch
  screen takes the style table's ``phone`` mode: no text under 16 px,
  and a finger dragging over a figure scrolls the page.
  Any other key is kept as the payload gives it and written back into the
  address. A key the player writes applies on the first payload and
  whenever its value changes; a rerun that repeats it keeps what the viewer
  chose since. A key the server writes applies on every payload.
- "Inside a step" (``visualizer.browser.payload.scene_payload(..., inside=)``):
  without ``inside`` the player has no such button and the payload is as
  above. With ``{"on": false}`` the toolbar shows the button, off. With
  ``{"on": true, "overlays": [...]}`` it is on: ``overlays`` is the table of
  ``visualizer.browser.overlays`` (``Overlay.describe()``, in the key's
  order: ``{"kind", "label", "title", "shape": "arrow" | "box", "factors",
  "sign", "to", "from_rule", "label_from_rule", "dashed", "layer",
  "adds_to", "adds_title", "style"}``), and every run also carries
  ``"inside"``::

      {"grad": f4 (update k: [gx, gy], raw, at xy[k]),
       "state": {name: f4 [x, y] per update, optax's state after it},
       "rule": {"optimizer": "Adam",
                "lines": [{"lhs", "rhs", "num", "result", "when"}, ...],
                "values": {name: f4 + "dims": 1 | 2 | 4 (per update)},
                "constants": {name: number}, "init": {name: [x, y]},
                "points": [names shown with the digits a step needs],
                "note": str, "processed": bool},
       "overlays": {kind: {"label", "factors": [names], "adds_to_gradient"}}}

  (``overlays``: the drawings its rule gives, for the overlays with
  ``from_rule``; a kind it lacks, the run does not have.)
  ``visualizer/core/step_rules.py`` defines the lines and the names (``@name``
  placeholders, ``name_prev``, the player's own ``x``, ``xn``, ``lr``,
  ``g``, ...). The player draws, for the run in front of the legend (else
  the first visible one), at the update leaving the step shown, every
  overlay of the table the run has and the viewer has not switched off in
  the key: an arrow from the point (or a box centred on it, of half-widths
  the absolute values) whose vector is ``sign * product(factors)``, the
  way to the point ``to`` (``xn``: the update ``xy[k+1] - xy[k]``), or
  ``sign * product`` of the run's own drawing's factors, all at one scale
  noted on the plot, in the style ``style`` of marks.js's ``inside``;
  boxes under arrows, each by ``layer``. Where a run's drawing adds up to
  the gradient step (``adds_to_gradient``), guides draw the parallelogram
  with the overlay ``adds_to``. The key has a chip per overlay (its
  ``label``, ``title`` and icon; with ``label_from_rule`` the run's
  drawing names it). Beside the plot the rule with that update's numbers,
  typeset by the vendored KaTeX (loaded on first use). The payload's ``on``
  applies like a viewer key: on the first payload and whenever it changes;
  a payload that differs only in its ``inside`` parts keeps the step, view
  and zoom.
- An exploration (``visualizer.page.explore_panel.attach``, built by
  ``visualizer.browser.explore_payload``): one run many times at once::

      {"kind": "lr" | "map" | "starts", "id": str, "run": R (0-based),
       "label", "optimizer", "tol", "f_star", "steps", "ms",
       "axes": [{"key", "title", "scale": "log" | "linear", "n", "lo", "hi",
                 "edges": [a, b]}],        # x then y; values evenly spaced
                                           # (in log for "log") from lo to hi;
                                           # cells tile [a, b]
       "own": [value | None per axis],     # the run's own values (its start)
       "minima": [[x, y], ...],
       "cls": u1, "steps_at": u2, "final_loss": f4,   # per variant, y outer
       "limit": {"lr", "formula", "L"},    # lr on a quadratic: exact only
       "rate": {"exact": f4, "measured": f4, "optimizer"}}  # map, where exact

  Arrays are ``{"dtype": "u1" | "u2" | "f4", "deflate": true, "bdata"}``
  (zlib, then base64). ``cls``: the index of the minimum reached, 250 none,
  251 diverged, 252 f not finite at the start; ``steps_at``: where it
  diverged, else the first step within ``tol`` (65535: never). The player
  draws ``lr`` and ``map`` in a panel of the side column and ``starts`` as
  basins over the 2D contour (with their key in that panel); a click there
  sends a pick (below).
- A network scene (``surface=mlp``, built by ``visualizer.browser.model_payload``):
  the surface is the plane of run 1's path, each run also carries
  ``train_accuracy``, ``test_accuracy``, ``pseudo_labels`` (how many
  unlabelled training points it pseudo-labels) and ``pseudo_label_accuracy``
  (the share of those right; NaN where there are none), f4, per point like
  ``loss``, and ``unlabeled`` (what it does with those points:
  ``"selftrain"`` trains on its pseudo-labels), and the payload a ``model``
  part::

      {"explained_variance": [r1, r2],     # of run 1's path, by the plane's axes
       "data": {"window": [[x0, x1], [y0, y1]], "scale": float,
                "train_x": f4 (n*2), "train_y": u1, "labelled": u1 (0: no label),
                "test_x": f4, "test_y": u1},
       "boundary": {"steps": [int, ...] (ascending, one per frame),
                    "xs": f4 (nx), "ys": f4 (ny),
                    "shape": [runs, frames, ny, nx],
                    "p": u1 (P(class 1) * 255, runs x frames x ny x nx),
                    "diverged": u1 (runs x frames),
                    "pseudo": u1 (runs x frames x n: 0 none, 1 + the class
                              an unlabelled point is pseudo-labelled)}}

  (``u1``: ``{"dtype": "u1", "bdata"}``, not deflated.) The player adds a
  data panel: the training points in their class colour, unlabelled ones
  grey, the test points as rings on request, and the decision boundary of
  the run in front of the legend (else the first visible one) at the last
  frame at or before the step shown, drawn in the browser as the scrubber
  moves, with that run's pseudo-labelled points at that frame in their
  pseudo-class's colour, outlined, a wrong one crossed (the few labels kept
  among many unlabelled points drawn larger); under it that run's
  accuracies and pseudo-labels at the step and how much of run 1's path the
  plane explains. The side charts gain the accuracy curve (train solid,
  test dashed: the runs carry ``train_accuracy`` and ``test_accuracy``).
  Without ``model`` nothing of this is shown.
- Questions (``predict=1``, built by ``visualizer.browser.predict``)::

      {"id": str,                           # the scene's questions' name (16 hex digits)
       "questions": [{"kind": "choice" | "point" | "order" | "number",
                      "prompt", "answer", "why",
                      "choices"?, "run"?, "step"?, "by"?, "quantity"?,
                      "diagonal"? (point), "runs"? (order),
                      "axis"? (number: "step" or a run array's key)}],
       "grading": {"point": {"right", "close"}, "number": {...}, "order": {...}},
       "verdicts": ["right", "close", "wrong"],
       "after": str}                         # what came of it, shown once answered

  (``Question.describe()`` of ``visualizer.core.questions``.) With the
  ``predict`` key on, the player holds the step at 0 and draws the
  surface, the starts and the marks only: no paths, no side charts, no
  exploration, no "diverged" in the legend, no "Inside a step"; the
  question panel (``quiz.js``) asks each question: choice buttons; for
  a point a tap or click on the 2D plot (or the arrow keys on it, or x
  and y typed); the runs tapped in order; a number typed. "Check" grades
  every answer in the browser (``grading.js``, by ``grading``, as
  ``Question.grade`` does), draws it beside the truth (a point on the
  plot; an order side by side; a number on the charts' axis named by
  ``axis``, and on an exploration of that key), with the grade, ``why``
  and ``after``, then plays from step 0. "Just play" shows the truth
  without an answer. An answered set is remembered by its ``id`` while
  the player lives. A question the player cannot read is left out; with
  none left, it plays as without ``predict``.
- A live class (``visualizer.page.live_panel.payload_part``; the routes are
  ``visualizer.live.routes``)::

      {"api": "/api/class/CODE", "role": "student" | "teacher",
       "secret": str (the teacher's only: sent as the X-Class-Secret header),
       "grading": {...} (as the quiz's),
       "code", "version", "scene", "key", "revealed", "closed", "expires",
       "question": {...} | None}            # the class as this seat may see it

  (the class's view, ``visualizer.live.classes.view``: a student's question
  has no ``answer`` nor ``why`` until ``revealed``.) With it the class asks,
  not ``predict`` (``live.js``): the player holds the step at 0 and keeps
  the outcomes back as ``predict`` does until the class is revealed, and
  the question panel shows the class's one question. A student's player
  makes an anonymous id (kept in localStorage), keeps a long poll open on
  ``{api}?student=ID&after=V`` and, when the class moves to another scene,
  fetches ``{api}/scene?version=V`` and draws it in place (the address
  keeps this page's viewer keys, ``class`` among them; no rerun, no
  reload; a payload the page sends that is older than what it follows is
  ignored); it sends its answer with "Send" (``POST {api}/answer``;
  again replaces; a refusal's reason is shown), shows it again after a
  reload (the view's ``mine``), has no "Just play", and on the reveal
  draws the answer beside the truth with its grade (``grading``) and
  plays. A closed class says so and leaves the scene to play. The
  teacher's player shows the question without controls and the room's
  answers as ``{api}/tally?after=N&version=V&latest=T`` returns them (``tally.js``:
  a bar per choice, the tapped points on the 2D plot, a histogram of the
  numbers, how many put each run first and the most common orders, how
  many answered; once revealed the truth beside them and how many were
  right, close or wrong); a payload that differs from the one drawn only
  in its ``class`` part applies it to what is shown (the reveal plays on).
  No "Set start" for a student. Every reply is read as untrusted, every
  word shown is text.
- The address bar: ``query`` (the canonical scene with the viewer keys the
  server writes, and ``lesson`` if wanted) with the viewer keys the player
  writes put in, each where the table places it and only where it differs
  from its default: ``Scene.to_query()`` of what is shown. Written with
  ``history.replaceState``, throttled; "Copy link" copies exactly that
  address, and the page's "Present" link (``key="present"``) becomes it in
  presentation mode, playing from the start.

The component's value: None until a "Set start" click, then
``{"event": "start", "xy": [x, y], "run": None | i, "nonce": n}``: ``run``
None sets the start of all runs, an index (the run picked in the legend)
that run's only; or, from the "Inside a step" button,
``{"event": "inside", "on": true | false, "nonce": n}``; or, from a click
on an exploration, ``{"event": "pick", "on": id, "i": int, "j": int | None,
"nonce": n}`` (indices of the variant: x then y; the server looks the
values up); or, once the viewer has answered the questions (or chosen to
play without), ``{"event": "answered", "on": quiz id, "nonce": n}``. All
validated by ``visualizer.browser.events.player_event``.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from pathlib import Path

import streamlit.components.v1 as components
from streamlit.runtime.scriptrunner import get_script_run_ctx

from visualizer.browser import player_files
from visualizer.browser.encode import encode_f32  # noqa: F401  (re-exported: the payload's array form)

__all__ = ["encode_f32", "player"]

# Module scripts only run when served with a JavaScript type; the system's
# table (the Windows registry, on Windows) has been known to say text/plain.
mimetypes.add_type("text/javascript", ".js")
_COMPONENT_NAME = "player"


def _write_atomic(dest: Path, write) -> None:
    """Write through `write(file)` into a temporary file, then rename, so a
    concurrent reader never sees a half-written file (rename is atomic on one
    filesystem)."""
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _assemble_frontend() -> Path:
    """Build (once per frontend version) the folder that Streamlit serves:
    every file the manifest (visualizer/browser/player_files.py) says a
    browser loads, flat, and return it. Safe to run from several processes."""
    manifest = player_files.manifest()
    sources = {name: player_files.read_bytes(name) for name in manifest.served()}
    sources[manifest.page] = player_files.page_html().encode()
    # the folder is flat: a stylesheet finds its fonts beside it
    for name in manifest.stylesheets:
        sources[name] = player_files.stylesheet(name, lambda font: Path(font).name).encode()
    digest = hashlib.sha256()
    for name, data in sources.items():
        digest.update(name.encode() + b"\0" + data + b"\0")
    version = digest.hexdigest()[:16]
    # index.html is served with no-cache; the other files are not, so they
    # are referenced with the version to make a new frontend bust the cache:
    # index.html's references, and every import between modules.
    sources[manifest.page] = sources[manifest.page].replace(b"__VERSION__", version.encode())
    for name in manifest.modules:
        source = sources[name].decode()
        sources[name] = player_files.rewrite_imports(source, lambda module: f"./{module}?v={version}").encode()

    folder_name = f"optviz-player-{version}"
    candidates = [Path(tempfile.gettempdir()), Path.home() / ".cache"]
    last_error: OSError | None = None
    for base in candidates:
        folder = base / folder_name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in sources.items():
                target = folder / Path(name).name
                if not target.is_file() or target.read_bytes() != data:
                    _write_atomic(target, lambda fh, data=data: fh.write(data))
            return folder
        except OSError as exc:  # e.g. a folder another user owns: try the next base
            last_error = exc
    raise RuntimeError(f"cannot assemble the player frontend: {last_error}")


_FRONTEND_DIR = _assemble_frontend()


def _declare():
    return components.declare_component(_COMPONENT_NAME, path=str(_FRONTEND_DIR))


# Registration needs a running Streamlit script; imported elsewhere (CLI,
# tests) it would only log a warning, and player() declares it anyway.
if get_script_run_ctx(suppress_warning=True) is not None:
    _declare()


def player(payload: dict, *, key: str, height: int = 640) -> dict | None:
    """Show the trajectory player and return its value.

    The value is None until the user acts; after a click on the 2D contour in
    "Set start" mode it is ``{"event": "start", "xy": [x, y], "run": None |
    int, "nonce": int}`` (``run``: None for all runs, else the 0-based index
    of the one run); after the "Inside a step" button, ``{"event": "inside",
    "on": bool, "nonce": int}``. The nonce increases with every click (use it
    to act once per click).
    The value persists across reruns, like any widget value.
    """
    if not isinstance(payload, dict):
        raise TypeError(f"payload must be a dict, got {type(payload).__name__}")
    height = int(height)
    if height < 240:
        raise ValueError(f"height must be at least 240 px, got {height=}")
    # Declared on every call (cheap): registration is per Streamlit runtime,
    # and this module may have been imported outside a script run.
    return _declare()(payload=payload, height=height, key=key, default=None)
