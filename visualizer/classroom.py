"""The classroom parts of the page: the lesson picker, the lesson's text and
its steps beside the player, the "Present" link and presentation mode
(`present=1`: the player and the lesson only, in type large enough for the
back of a room)."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from visualizer import controls
from visualizer.lessons import LESSONS, Lesson
from visualizer.scene import Scene
from visualizer.text import plain

# Presentation mode: no sidebar, no Streamlit header, type of 18 px and up.
PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"] { display: none !important; }
.stMainBlockContainer { padding-top: 0.6rem; padding-bottom: 0.5rem; max-width: 100%; }
.stMainBlockContainer p, .stMainBlockContainer li, .stMainBlockContainer button,
.stMainBlockContainer a { font-size: 19px !important; line-height: 1.3; }
.stMainBlockContainer h3 { font-size: 26px !important; padding: 0 0 0.2rem 0; line-height: 1.2; }
.st-key-lesson-text { max-height: 38vh; }
.st-key-lesson-steps button { min-height: 0; padding: 0.2rem 0.6rem; }
.st-key-lesson-steps button p { font-size: 18px !important; line-height: 1.25; }
</style>
"""


def step_scene(lesson: Lesson, index: int) -> Scene:
    """Step `index` of `lesson` as a scene: its keys over the lesson's scene."""
    return Scene.from_query(lesson.step_query(index))


def lesson_scene(lesson_id: str) -> Scene:
    return Scene.from_query("lesson=" + lesson_id)


FREE_PLAY = ""  # the picker's option for no lesson (None would read as "nothing chosen")


def _pick_lesson() -> None:
    chosen = st.session_state["lesson"]
    scene = controls.scene()
    if chosen in LESSONS:
        controls.load(lesson_scene(chosen).replace(viewer=replace(scene.viewer, step=None, hide=())))
    elif chosen == FREE_PLAY:
        controls.load(scene.replace(lesson=None))


def _open_step(lesson_id: str, index: int) -> None:
    scene = step_scene(LESSONS[lesson_id], index)
    present = controls.scene().viewer.present
    controls.load(scene.replace(viewer=replace(scene.viewer, present=present or scene.viewer.present)))


def picker(sb) -> None:
    """The lesson picker at the top of the sidebar."""
    if not LESSONS:
        return
    st.session_state["lesson"] = controls.scene().lesson or FREE_PLAY
    sb.selectbox("Lesson", [FREE_PLAY, *LESSONS], key="lesson", on_change=_pick_lesson,
                 format_func=lambda i: "None: free play" if i == FREE_PLAY else LESSONS[i].title,
                 help="A lesson opens a scene, says what to look at, and offers steps to try.")


def lesson_panel(lesson: Lesson, scene: Scene) -> None:
    """The lesson's title, text and steps: each step a button that opens its
    scene here, and a link to it."""
    st.markdown(f"### {plain(lesson.title)}")
    # The text scrolls in its own box so the steps stay on the screen.
    st.container(key="lesson-text").markdown(plain(lesson.text))
    with st.container(key="lesson-steps"):
        st.markdown("**Try this**")
        for index, step in enumerate(lesson.steps):
            st.button(f"{index + 1} · {step.line}", key=f"step{index}", on_click=_open_step,
                      args=(lesson.id, index), width="stretch", help="Open this step here")
        links = " · ".join(f"[{index + 1}]({_link(step_scene(lesson, index), scene.viewer.present)})"
                           for index in range(len(lesson.steps)))
        st.caption(f"Links to the steps: {links}")


def present_link(scene: Scene) -> str:
    """The address of this scene in presentation mode, playing on load."""
    return "?" + scene.replace(viewer=replace(scene.viewer, present=True, autoplay=True)).to_query()


def leave_link(scene: Scene) -> str:
    return _link(scene.replace(viewer=replace(scene.viewer, present=False, autoplay=False)), False)


def _link(scene: Scene, present: bool) -> str:
    """A relative link to `scene` for markdown: parentheses (which a label
    may hold unencoded) are percent-encoded so they cannot end the link."""
    if present:
        scene = scene.replace(viewer=replace(scene.viewer, present=True))
    return "?" + scene.to_query().replace("(", "%28").replace(")", "%29")


def presentation_style() -> None:
    st.html(PRESENT_CSS)


