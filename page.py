"""Optimizer trajectories: the page. Widgets in, the player and panels out;
everything else lives in `visualizer/` and `surfaces/`. `app.py` serves it:

    streamlit run app.py          # then open /?surface=saddle&run=newton:lr=1
"""

from __future__ import annotations

import streamlit as st
from streamlit.logger import get_logger

from visualizer import SceneError, simulate
from visualizer.browser import payload as browser_payload
from visualizer.browser import predict
from visualizer.browser.events import AnsweredEvent, InsideEvent, StartEvent, player_event
from visualizer.core import landmarks
from visualizer.core.lessons import LESSONS
from visualizer.core.scene import Scene, parse_lenient, viewer_keys
from visualizer.core.viewer import PLAYER
from visualizer.page import classroom, controls, explore_panel, live_panel, panels, session, style, warmup
from visualizer.page.player import player
from visualizer.page.text import plain

LOG = get_logger("page")
st.set_page_config(page_title="Optimizer trajectories", page_icon="📉", layout="wide")
style.apply()


def opening_query() -> str:
    """The address's query string exactly as the browser sent it.

    `st.query_params` hands out values already percent-decoded, which loses
    the difference between a `,` that separates run keys and a `%2C` inside
    a label; the scene language needs the raw string, which Streamlit keeps
    on the script-run context. Re-encoding `st.query_params` is the fallback.
    """
    from urllib.parse import urlencode

    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    raw = getattr(ctx, "query_string", None)
    if isinstance(raw, str):
        return raw
    return urlencode([(k, v) for k in st.query_params for v in st.query_params.get_all(k)])


@st.cache_data(max_entries=64, show_spinner=False)
def surface_payload(query: str) -> dict:
    """The surface grid and its marks for the browser, keyed by the scene's
    surface part alone (plain text, so the cache key is cheap)."""
    scene = Scene.from_query(query)
    model = scene.resolved_surface()
    return browser_payload.surface_payload(model, scene.surface_values(), landmarks.of(scene))


def address(scene: Scene) -> str:
    """What the address bar holds: the scene, with the viewer keys the
    player writes (`writer` PLAYER in SCENE_KEYS: view, step, speed, hide)
    left at their defaults, for the player to add from what the viewer does."""
    theirs = {key.name: key.values.default for key in viewer_keys() if key.writer == PLAYER}
    return scene.replace(viewer=scene.viewer.replace(**theirs)).to_query()


warmup.jax_settings()
ss = st.session_state
if "draft" not in ss:
    opened, ss.link_problems = parse_lenient(opening_query())
    session.start_session(live_panel.keep_link(opened))

# A class's link: a student sees the class's scene and its question alone;
# the teacher, the page and the class's panel.
seat = live_panel.seat_of(live_panel.linked(session.scene()))
student = seat is not None and seat.student
scene = session.scene()
presenting, embedded = scene.viewer.present, scene.viewer.embed
if student:
    live_panel.student_page(seat)
elif embedded:
    classroom.embed_style()
elif presenting:
    classroom.presentation_style()
else:
    controls.sidebar()
    scene = session.scene()
scene = live_panel.scene_for(seat, scene)
lesson = LESSONS.get(scene.lesson) if scene.lesson and not (embedded or student) else None
# predict=1: what tells the outcome waits until the viewer has answered
# this scene's question in the player (or chosen to play without).
quiz_id = predict.quiz_id(scene)

if not (presenting and lesson) and not (embedded or student):
    st.markdown("### Optimizer trajectories")
for problem in ss.get("link_problems", []):
    st.error(f"The link has a problem: {plain(problem.explained())}", icon=":material/link_off:")

try:
    with st.spinner("Compiling the optimizers for this surface (only the first time)…"):
        result = simulate(explore_panel.played(scene))  # a race plays each run at its best trial
        # A model surface's grid is the plane of its runs (in the result).
        surface = None if result.model is not None else surface_payload(scene.surface_query())
except SceneError as exc:
    st.error(plain(str(exc)))
    st.stop()
except Exception:  # noqa: BLE001 - never a traceback on the page; the log has it
    LOG.exception("simulating %s failed", scene.to_query())
    st.error("Something went wrong while computing this scene. Change a value or reload; the server log "
             "has the details.", icon=":material/error:")
    st.stop()

seat = live_panel.follow(seat, scene, result)  # the teacher's class asks what this page shows now
held_back = (scene.viewer.predict and quiz_id not in ss.get("answered", set())) or live_panel.holds_back(seat)
if presenting and seat is not None and seat.teacher:
    live_panel.teacher_panel(seat, scene, result, compact=True)

if lesson:
    main, side = st.columns([1.75, 1] if presenting else [2.6, 1], gap="medium")
else:
    main, side = st.container(), None
with main:
    payload = browser_payload.scene_payload(result, surface, address(live_panel.linked(scene)),
                                            inside=None if student else ss.get("inside", False))
    if side is not None and "quiz" in payload:
        payload["quiz"]["after"] = ""  # the lesson's panel beside the player says it, once answered
    explore_panel.attach(payload, scene)  # the exploration, if the scene has one
    live_panel.attach(payload, seat)  # the class, if this page is in one
    value = player(payload, key="player", height=660)
if side is not None:
    with side:
        classroom.lesson_panel(lesson, scene, outcome=not held_back)
if student:
    st.stop()  # the player follows the class by itself: nothing here reruns for it
event = player_event(value, len(scene.runs))
explore_panel.handle(event)  # a click on the exploration: its value applied, then a rerun
if isinstance(event, StartEvent) and event.nonce != ss.get("start_nonce"):
    ss.start_nonce = event.nonce
    session.set_start(event.x, event.y, event.run)
    st.rerun()
if isinstance(event, InsideEvent) and event.nonce != ss.get("inside_nonce"):
    ss.inside_nonce = event.nonce
    ss.inside = event.on  # the player asked for each step's gradient, state and rule
    st.rerun()
if isinstance(event, AnsweredEvent) and event.nonce != ss.get("answered_nonce"):
    ss.answered_nonce = event.nonce
    if held_back and event.on == quiz_id:  # an answer to what is asked now, not to a scene gone since
        ss.setdefault("answered", set()).add(quiz_id)
        st.rerun()

if embedded:
    st.stop()
if presenting:
    st.markdown(f"[Leave presentation]({classroom.leave_link(live_panel.linked(scene))})")
    st.stop()
if seat is not None and seat.teacher:
    live_panel.teacher_panel(seat, scene, result)

if held_back:
    st.caption("What each run did (the table, and which runs diverge) shows here once "
               + ("the class's answer is revealed." if live_panel.holds_back(seat)
                  else "the question in the player is answered."))
else:
    panels.divergence_messages(result)
    panels.flow_messages(result)
panels.surface_about(result.surface)
if not held_back:
    panels.summary_table(result, landmarks.of(scene))
panels.downloads(scene, result, outcomes=not held_back)

present, start, embed = st.columns(3, gap="small")
present.link_button("Present", classroom.present_link(live_panel.linked(scene)), key="present", width="stretch",
                    help="This scene full-screen for a projector: no sidebar, large type, playing on load")
if seat is None:
    with start:
        live_panel.start_button(scene, result)
with embed:
    classroom.embed_action(scene, result)

# Typeset only when asked for: KaTeX on every rerun costs the browser.
if st.toggle("Show each run's update rule, with its values", key="show_rules"):
    panels.update_rules(result)
