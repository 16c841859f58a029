"""A live class in the page: who this page is in a class (the teacher, with
the secret; a student, with the code; nobody), the scene a student's page
shows (the class's), the student's page (the player and its question, a
line naming the class, nothing else), the teacher's panel (the student link
and its QR code, Reveal, the next question, Close, the
answers as CSV) and the class's part of the player's payload (the player
follows the class and sends answers through the routes of
`visualizer.live.routes`, never through a script rerun).

A session keeps the class its link (or "Start a class") put it in: every
scene the page shows since (a lesson's step, the sidebar's changes) stays in
the class, and the address the player writes holds the class's keys, so a
reload keeps the seat; a step's link, an embed or an export never does.

A store that cannot be reached is one clear message; the page goes on
without the class.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import streamlit as st
from streamlit.logger import get_logger

from visualizer.browser import predict
from visualizer.core.questions import GRADING
from visualizer.core.scene import Scene
from visualizer.live import classes, qr, store
from visualizer.live.classes import Refused
from visualizer.live.routes import PREFIX
from visualizer.page.text import plain

_LOG = get_logger(__name__)
UNREACHABLE = ("The class store cannot be reached right now, so the class is paused: this page works without it, "
               "and the class goes on where it was once the store is back.")
_SS_LINK = "class_link"  # (code, secret or None): the class this session is in
_SS_QUESTION = "class_question"  # (class scene, index): the question "Next question" chose on that scene
_KEYS = ("class", "teacher")  # the viewer keys a class's link holds

# A student's page: the player and its question, nothing around them but a
# line naming the class; no sidebar, no Streamlit header or toolbar over a
# phone's small screen.
STUDENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
.stMainBlockContainer { padding: 0.8rem 1rem 1rem 1rem; max-width: 1100px; }
.st-key-class-line p { margin: 0; font-size: 17px; }
@media (max-width: 640px) {
  .stMainBlockContainer { padding: 0.5rem 0.4rem 0.8rem 0.4rem !important; }
}
</style>
"""


@dataclass(frozen=True)
class Seat:
    """Who this page is in a class: `role` "teacher" or "student", the class
    as the store has it."""

    role: str
    code: str
    record: store.ClassRecord
    secret: str | None = None

    @property
    def teacher(self) -> bool:
        return self.role == "teacher"

    @property
    def student(self) -> bool:
        return self.role == "student"


def keep_link(scene: Scene) -> Scene:
    """At a session's start: the class keys of the link it opened kept in
    the session; the scene without them (what the page edits, links to
    steps, embeds and exports)."""
    code, secret = getattr(scene.viewer, "class"), scene.viewer.teacher
    st.session_state[_SS_LINK] = (code, secret) if code else None
    return scene.replace(viewer=scene.viewer.replace(**dict.fromkeys(_KEYS)))


def linked(scene: Scene) -> Scene:
    """`scene` with the session's class keys: what the address holds (a
    reload keeps the seat), and the links to presentation mode and back."""
    link = st.session_state.get(_SS_LINK)
    if not link:
        return scene
    return scene.replace(viewer=scene.viewer.replace(**dict(zip(_KEYS, link, strict=True))))


def seat_of(scene: Scene) -> Seat | None:
    """This page's seat in the class its link names, or None: no class in
    the link, or one that cannot be used (said on the page)."""
    code = getattr(scene.viewer, "class")
    if code is None:
        return None
    secret = scene.viewer.teacher
    try:
        db = store.shared()
        if secret is not None:
            return Seat("teacher", code, classes.teacher(db, code, secret), secret)
        classes.view(db, code)  # refused (with the reason) for a class that is not there
        return Seat("student", code, db.get(code))
    except Refused as exc:
        st.error(f"The class: {plain(str(exc))}", icon=":material/groups:")
    except Exception:  # noqa: BLE001 - an unreachable store: one message, the page goes on
        _LOG.exception("the class store failed")
        st.error(UNREACHABLE, icon=":material/cloud_off:")
    return None


def scene_for(seat: Seat | None, scene: Scene) -> Scene:
    """The scene this page shows: a student's is the class's (with what this
    viewer chose to see), everyone else's their own."""
    if seat is None or not seat.student:
        return scene
    return Scene.from_query(seat.record.scene).replace(viewer=scene.viewer)


def _question_index(scene: Scene) -> int:
    shown, index = st.session_state.get(_SS_QUESTION, ("", 0))
    return index if shown == classes.class_scene(scene) else 0


def follow(seat: Seat | None, scene: Scene, result) -> Seat | None:
    """On the teacher's page: the class asks the question of `scene` (what
    the teacher shows now, `result` its simulation) that "Next question"
    chose, the first by default; students follow. Every rerun: asking what
    is asked already changes nothing."""
    if seat is None or not seat.teacher or seat.record.closed:
        return seat
    questions = predict.questions(scene, result)
    if not questions:
        return seat
    index = min(_question_index(scene), len(questions) - 1)
    try:
        record = classes.move(store.shared(), seat.code, seat.secret, classes.class_scene(scene), questions[index],
                              index)
        return Seat(seat.role, seat.code, record, seat.secret)
    except Refused as exc:
        st.error(f"The class: {plain(str(exc))}", icon=":material/groups:")
    except Exception:  # noqa: BLE001
        _LOG.exception("the class store failed")
        st.error(UNREACHABLE, icon=":material/cloud_off:")
    return seat


def holds_back(seat: Seat | None) -> bool:
    """Whether the page keeps back what tells the outcome (the table, what
    diverged, the lesson's words on it): on the teacher's page, whose screen
    the room may see, until the reveal."""
    return seat is not None and seat.teacher and bool(seat.record.question) and not (
        seat.record.revealed or seat.record.closed)


def payload_part(seat: Seat) -> dict:
    """The class's part of the player's payload: where its routes are, who
    this is, the table answers are graded by, and the class as this seat
    may see it (a student: the question without its answer until the
    reveal). visualizer/page/player.py documents it."""
    view = classes.view(store.shared(), seat.code, as_teacher=seat.teacher)
    part = {"api": f"{PREFIX}/{seat.code}", "role": seat.role, "grading": GRADING, **view}
    if seat.teacher:
        part["secret"] = seat.secret
    return part


def attach(payload: dict, seat: Seat | None) -> None:
    """The class's part into the player's payload, if this page is in one
    (a store that fails now: the player shows the scene without it)."""
    if seat is None:
        return
    try:
        payload["class"] = payload_part(seat)
    except Exception:  # noqa: BLE001
        _LOG.exception("the class store failed")
        st.error(UNREACHABLE, icon=":material/cloud_off:")


def student_page(seat: Seat) -> None:
    """A student's page around the player: its style, and one line naming
    the class (or saying it is closed)."""
    st.html(STUDENT_CSS)
    with st.container(key="class-line"):
        if seat.record.closed:
            st.markdown(f"Class **{seat.code}** is closed: its last scene is here to play with.")
        else:
            st.markdown(f"Class **{seat.code}** · answer your teacher's question, then watch: the paths play "
                        "once the answer is revealed.")


def student_link(code: str) -> str:
    """The page's own address with the class's code alone."""
    base = (st.context.url or "").split("?", 1)[0]
    return f"{base if base.endswith('/') else base + '/'}?class={quote(code)}"


def start_button(scene: Scene, result) -> None:
    """"Start a class": a new class on this scene (`result`: its
    simulation), asking its first question; the page becomes its teacher's."""
    if not st.button("Start a class", key="start-class", icon=":material/groups:", width="stretch",
                     help="Students open a link (or scan its QR code) on their phones; they follow this page, "
                          "answer each question before the scene plays, and you reveal the truth"):
        return
    try:
        questions = predict.questions(scene, result)
        started = classes.start(store.shared(), classes.class_scene(scene), questions[0] if questions else None)
    except Refused as exc:
        st.error(f"A class cannot start: {plain(str(exc))}", icon=":material/groups:")
        return
    except Exception:  # noqa: BLE001
        _LOG.exception("the class store failed")
        st.error(UNREACHABLE, icon=":material/cloud_off:")
        return
    st.session_state[_SS_LINK] = (started.code, started.secret)
    st.session_state.pop(_SS_QUESTION, None)
    st.rerun()


def teacher_panel(seat: Seat, scene: Scene, result, compact: bool = False) -> None:
    """The student link, big, with its QR code; Reveal, the next question
    (where `scene`, simulated as `result`, asks more than one), Close; the
    answers as CSV. `compact`: one row over a presentation (the QR code
    behind a button), so the player keeps the projector's height."""
    link = student_link(seat.code)
    question_count = len(predict.questions(scene, result))
    actions = 3 if question_count > 1 else 2  # a column for Next question only where there is one
    closed = seat.record.closed
    with st.container(key="class-panel", border=not compact):
        if compact:
            # (how many answered: the player says it, big, beside the question)
            cols = st.columns([4] + [1.2] * (1 + actions), vertical_alignment="center")
            shown = link.split("://", 1)[-1].replace("`", "%60")  # a code span's text, whatever the address
            cols[0].markdown(f"**Class {seat.code}**" + (" (closed)" if closed else "") + f" · join at  \n`{shown}`")
            with cols[1].popover("QR code", icon=":material/qr_code_2:", width="stretch",
                                 help="The student link as a QR code, big enough to scan from the back of the room"):
                st.image(qr.svg(link), caption=f"Scan to join class {seat.code}", width=420)
            _actions(seat, scene, question_count, cols[2:])
            return
        left, right = st.columns([1, 1.2])
        with left:
            st.image(qr.svg(link), caption="Scan to join", width=280)
        with right:
            st.markdown(f"#### Class `{seat.code}`" + (" (closed)" if closed else ""))
            st.markdown("Students join at")
            st.code(link, language=None)
            st.caption("Keep this page's own address to yourself: it holds the teacher's secret.")
            # (how many answered: the player counts them as they arrive, beside the question)
            _actions(seat, scene, question_count, st.columns(actions))
            st.download_button("Answers (CSV)", data=lambda: classes.answers_csv(store.shared(), seat.code,
                                                                                  seat.secret),
                               file_name=f"class-{seat.code}-answers.csv", mime="text/csv", key="class-csv",
                               on_click="ignore")


def _actions(seat: Seat, scene: Scene, question_count: int, cols) -> None:
    """Reveal, the next question (where `cols` has a column for it: the
    scene asks more than one), Close."""
    one, *middle, three = cols
    closed = seat.record.closed
    if one.button("Reveal", key="class-reveal", disabled=seat.record.revealed or closed, type="primary",
                  width="stretch", help="Show every screen the answer, and play"):
        _act(lambda db: classes.reveal(db, seat.code, seat.secret))
    if middle and middle[0].button("Next question", key="class-next", disabled=closed, width="stretch",
                                   help="Ask this scene's other question"):
        shown = classes.class_scene(scene)
        st.session_state[_SS_QUESTION] = (shown, (_question_index(scene) + 1) % question_count)
        st.rerun()
    if three.button("Close the class", key="class-close", disabled=closed, width="stretch",
                    help="End the class: students keep the scene, nobody can answer any more"):
        _act(lambda db: classes.close(db, seat.code, seat.secret))


def _act(action) -> None:
    try:
        action(store.shared())
    except Refused as exc:
        st.error(plain(str(exc)))
        return
    except Exception:  # noqa: BLE001
        _LOG.exception("the class store failed")
        st.error(UNREACHABLE, icon=":material/cloud_off:")
        return
    st.rerun()
