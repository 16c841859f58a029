"""Explorations in the page: the control that opens one from the run shown,
the computation (cached per exploration, a bounded number of them), its
progress, and a click on it coming back from the player.

All the logic is in `visualizer.page.draft` (what a control or a pick does) and
`visualizer.browser.explore_payload` (what the browser gets); this module is the
Streamlit shell around them. page.py calls `attach` (before the player) and
`handle` (with the player's event); session.py calls `run_controls` in the
run's box.
"""

from __future__ import annotations

import math
import threading
import time
from contextlib import contextmanager

import streamlit as st
from streamlit.logger import get_logger
from streamlit.runtime.scriptrunner import add_script_run_ctx

from visualizer.browser import explore_payload
from visualizer.browser.events import PickEvent
from visualizer.core.errors import SceneError
from visualizer.core.exploration import explore
from visualizer.core.scene import Scene
from visualizer.core.surfaces import NETWORK
from visualizer.core.variants import BUDGET, NETWORK_KINDS, axis_knobs, resolve
from visualizer.page import draft as drafts
from visualizer.page import session
from visualizer.page.text import plain

_LOG = get_logger(__name__)
CACHE_ENTRIES = 24  # explorations kept per server process (each well under 1 MB)
PROGRESS_AFTER_S = 0.3  # a computation slower than this says so
KIND_NAMES = {
    "none": "nothing: one run",
    "lr": "the learning rate (a curve)",
    "map": "two values (a map)",
    "starts": "starting points (basins)",
    "race": "every run: a fair race of its tuning",
}
WHAT = {"lr": "learning rates", "map": "pairs of values", "starts": "starting points"}


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def computed(key: str) -> dict:
    """The browser form of the exploration of `key` (a canonical query,
    `explore_payload.cache_key`), with how long it took."""
    t0 = time.perf_counter()
    exploration = explore(Scene.from_query(key))
    form = explore_payload.form_of(exploration)
    form["ms"] = round((time.perf_counter() - t0) * 1000, 1)
    return form


def played(scene: Scene) -> Scene:
    """The scene whose runs the player plays: in a race each run at its
    best trial (the race computed here is the one `attach` shows, from the
    same cache); else the scene itself."""
    if scene.explore is None or scene.explore.kind != "race":
        return scene
    form = computed(explore_payload.cache_key(scene))
    runs = tuple(run.replace(**r["best"]) for run, r in zip(scene.runs, form["runs"], strict=True))
    return scene.replace(runs=runs, explore=None)


@contextmanager
def progress(placeholder, text: str, after: float = PROGRESS_AFTER_S):
    """Show `text` with a spinner in `placeholder` if the block takes longer
    than `after` seconds (Streamlit's own spinner waits 0.5 s)."""
    timer = threading.Timer(after, lambda: placeholder.info(text, icon=":material/hourglass_top:"))
    add_script_run_ctx(timer)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()
        placeholder.empty()


def attach(payload: dict, scene: Scene) -> None:
    """Compute `scene`'s exploration (if it has one) and put its browser form
    in `payload["explore"]`, with a line that says what is explored; a
    problem is shown and leaves the payload without one."""
    if scene.explore is None:
        return
    status = st.empty()
    if scene.explore.kind == "race":
        _attach_race(payload, scene, status)
        return
    try:
        key = explore_payload.cache_key(scene)
        resolved = resolve(scene.explore, scene)
        count = math.prod(resolved.shape)
        run = scene.runs[resolved.run]
        how = {"lr": "with", "map": "with", "starts": "from"}[resolved.kind]
        with progress(status, f"Running run {resolved.run + 1} {how} {count:,} {WHAT[resolved.kind]} at once…"):
            form = computed(key)
    except SceneError as exc:
        status.error(f"The exploration cannot run: {plain(str(exc))}", icon=":material/error:")
        return
    form = explore_payload.for_scene(scene, form)
    payload["explore"] = form
    if not scene.viewer.present:
        status.caption(f"Exploring run {resolved.run + 1} · {plain(run.display_label())}: {count:,} "
                       f"{WHAT[resolved.kind]} × {scene.steps} steps, run at once in {form['ms']:.0f} ms.")


def _attach_race(payload: dict, scene: Scene, status) -> None:
    budget = scene.explore.params.get("budget", BUDGET.default)
    try:
        key = explore_payload.cache_key(scene)
        with progress(status, f"Racing {len(scene.runs)} runs, {budget} trials each, at once…"):
            form = computed(key)
    except SceneError as exc:
        status.error(f"The race cannot run: {plain(str(exc))}", icon=":material/error:")
        return
    payload["explore"] = explore_payload.for_scene(scene, form)
    if not scene.viewer.present:
        status.caption(f"A race: every run's optimizer at the same {budget} random trials "
                       f"({'its learning rate' if form['keys'] == 'lr' else 'all its values'}) × {scene.steps} "
                       f"steps, run at once in {form['ms']:.0f} ms; each run plays at its best trial.")


def handle(event) -> None:
    """A click on the exploration (once per click): its value applied to the
    run, then a rerun. A click on another exploration than the one shown,
    or outside it, is logged and ignored."""
    if not isinstance(event, PickEvent) or event.nonce == st.session_state.get("pick_nonce"):
        return
    st.session_state.pick_nonce = event.nonce
    d = session.current()
    try:
        if d.scene.explore is None or event.on != explore_payload.key_id(explore_payload.cache_key(d.scene)):
            raise SceneError("pick: the click was on an exploration no longer shown", "explore")
        session.update(drafts.pick_variant(d, event.i, event.j))
    except SceneError as exc:
        _LOG.warning("ignored a pick: %s", exc)
        return
    st.rerun()


# ---------------------------------------------------------------- the control


def _changed(control: str) -> None:
    session.update(drafts.apply(session.current(), control, st.session_state[control]))


def run_controls(box) -> None:
    """In the run's box: explore nothing, its learning rate, two of its
    values or its starting points, and how many points."""
    d = session.current()
    network = d.scene.resolved_surface().kind == NETWORK
    ss = st.session_state
    shown = drafts.explore_values(d)
    axes = axis_knobs(d.scene, d.run)
    # a network explores its learning rate only (docs/explore.md)
    kinds = [k for k in drafts.EXPLORE_KINDS if (k != "map" or len(axes) >= 2)
             and not (network and k not in ("none", *NETWORK_KINDS))]
    kind = shown["explore.kind"]
    for key, value in shown.items():
        if value is not None and ss.get(key) != value:
            ss[key] = value
    for key in [k for k in d.problems if k.startswith("explore")]:
        box.error(plain(d.problems[key]), icon=":material/error:")
    box.selectbox("Explore many runs at once", kinds, key="explore.kind", on_change=_changed,
                  args=("explore.kind",), format_func=KIND_NAMES.get,
                  help="Run this run many times at once (one compiled program), each with another value, and "
                       "see how every one ends, beside the paths. Click a point of it to apply that value.")
    other = drafts.explored_run(d.scene)
    if kind == "race":
        box.caption("Every run races: each optimizer at the same random trials, each run played at its best.")
    elif other is not None and other != d.selected:
        box.caption(f"Run {other + 1} is explored now; choosing here explores this run instead.")
    if kind == "none":
        return
    if kind == "map":
        a, b = box.columns(2)
        names = list(axes)
        where = ", ".join(f"{k}: {axes[k].label}" for k in names)
        a.selectbox("x", names, key="explore.x", on_change=_changed, args=("explore.x",), help=where)
        b.selectbox("y", names, key="explore.y", on_change=_changed, args=("explore.y",), help=where)
    sizes = sorted(set(drafts.EXPLORE_SIZES[kind]) | {int(shown["explore.n"])})
    label = {"lr": "Learning rates", "map": "Points per axis", "starts": "Starts per axis",
             "race": "Random trials per optimizer"}[kind]
    box.select_slider(label, sizes, key="explore.n", on_change=_changed, args=("explore.n",),
                      help="More points take longer (n for a curve, n x n for a map, n trials for each run of "
                           "a race)")
