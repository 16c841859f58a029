"""A live class in the page: who this page is in a class (the teacher, with
the secret; a student, with the code; nobody), the scene a student's page
shows (the class's), the teacher's panel (the student link and its QR code,
how many answered, Reveal, the next question, Close, the answers as CSV) and
the class's part of the player's payload (the player follows the class and
sends answers through the routes of `visualizer.live.routes`, never through
a script rerun).

A store that cannot be reached is one clear message; the page goes on
without the class.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import streamlit as st
from streamlit.logger import get_logger

from visualizer.core.scene import Scene
from visualizer.live import classes, qr, store
from visualizer.live.classes import Refused
from visualizer.live.routes import PREFIX
from visualizer.page.text import plain

_LOG = get_logger(__name__)
UNREACHABLE = ("The class store cannot be reached right now, so the class is paused: this page works without it, "
               "and the class goes on where it was once the store is back.")
TALLY_EVERY_S = 2  # the teacher's count of answers refreshes this often (one fragment, one session)


@dataclass(frozen=True)
class Seat:
    """Who this page is in a class: `role` "teacher" or "student", the class
    as the store has it."""

    role: str
    code: str
    record: store.ClassRecord
    secret: str | None = None


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
        record = classes.view(db, code)
        return Seat("student", code, db.get(code)) if record else None
    except Refused as exc:
        st.error(f"The class: {plain(str(exc))}", icon=":material/groups:")
    except Exception:  # noqa: BLE001 - an unreachable store: one message, the page goes on
        _LOG.exception("the class store failed")
        st.error(UNREACHABLE, icon=":material/cloud_off:")
    return None


def scene_for(seat: Seat | None, scene: Scene) -> Scene:
    """The scene this page shows: a student's is the class's (with what this
    viewer chose to see), everyone else's their own."""
    if seat is None or seat.role != "student":
        return scene
    return Scene.from_query(seat.record.scene).replace(viewer=scene.viewer)


def follow(seat: Seat, scene: Scene, questions: list, index: int) -> Seat:
    """On the teacher's page: the class asks question `index` of `scene`
    (what the teacher shows now); students follow."""
    if seat.role != "teacher" or not questions:
        return seat
    index = min(index, len(questions) - 1)
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


def payload_part(seat: Seat) -> dict:
    """The class's part of the player's payload: where its routes are, who
    this is, and the class as this seat may see it (a student: the question
    without its answer until the reveal)."""
    view = classes.view(store.shared(), seat.code, as_teacher=seat.role == "teacher")
    part = {"api": f"{PREFIX}/{seat.code}", "role": seat.role, **view}
    if seat.role == "teacher":
        part["secret"] = seat.secret
    return part


def student_link(code: str) -> str:
    base = (st.context.url or "").split("?", 1)[0]
    return f"{base}?class={quote(code)}"


def start_button(scene: Scene, question, index: int = 0) -> None:
    """"Start a class": a new class on this scene; the page becomes its teacher's."""
    if not st.button("Start a class", key="start-class", icon=":material/groups:",
                     help="Students open a link (or scan its QR code) on their phones; they follow this page, "
                          "answer each question before the scene plays, and you reveal the truth"):
        return
    try:
        started = classes.start(store.shared(), classes.class_scene(scene), question, index)
    except Refused as exc:
        st.error(f"A class cannot start: {plain(str(exc))}", icon=":material/groups:")
        return
    except Exception:  # noqa: BLE001
        _LOG.exception("the class store failed")
        st.error(UNREACHABLE, icon=":material/cloud_off:")
        return
    st.query_params["class"] = started.code
    st.query_params["teacher"] = started.secret
    st.rerun()


def teacher_panel(seat: Seat, question_count: int) -> None:
    """The student link, big, with its QR code; how many answered (live);
    Reveal, the next question, Close; the answers as CSV."""
    link = student_link(seat.code)
    with st.container(key="class-panel", border=True):
        left, right = st.columns([1, 1.2])
        with left:
            st.image(qr.svg(link), caption="Scan to join", width=280)
        with right:
            st.markdown(f"#### Class `{seat.code}`")
            st.markdown("Students join at")
            st.code(link, language=None)
            st.caption("Keep this page's own address to yourself: it holds the teacher's secret.")
            _answered(seat.code, seat.secret)
            one, two, three = st.columns(3)
            if one.button("Reveal", key="class-reveal", disabled=seat.record.revealed, type="primary",
                          help="Show every screen the answer, and play"):
                _act(lambda db: classes.reveal(db, seat.code, seat.secret))
            if question_count > 1 and two.button("Next question", key="class-next"):
                st.session_state["class_question"] = (st.session_state.get("class_question", 0) + 1) % question_count
                st.rerun()
            if three.button("Close the class", key="class-close", disabled=seat.record.closed):
                _act(lambda db: classes.close(db, seat.code, seat.secret))
            st.download_button("Answers (CSV)", data=lambda: classes.answers_csv(store.shared(), seat.code,
                                                                                  seat.secret),
                               file_name=f"class-{seat.code}-answers.csv", mime="text/csv", key="class-csv",
                               on_click="ignore")


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


@st.fragment(run_every=TALLY_EVERY_S)
def _answered(code: str, secret: str) -> None:
    try:
        room = classes.tally(store.shared(), code, secret)
    except Exception:  # noqa: BLE001 - the panel says so; the page goes on
        st.caption("Answers: the class store cannot be reached right now.")
        return
    st.metric("Answered", room["answered"])
