"""The classroom parts of the page: the lesson picker, the lesson's text and
its steps beside the player, the "Present" link and presentation mode
(`present=1`: the player and the lesson only, in type large enough for the
back of a room)."""

from __future__ import annotations

import streamlit as st

from visualizer.core.lessons import LESSONS, Lesson
from visualizer.core.scene import Scene
from visualizer.page import session
from visualizer.page.text import plain

# Presentation mode: no sidebar, no Streamlit header, type of 18 px and up.
# The lesson fills its column's height and no more: its title, steps and
# links keep their size, the text takes the height left and scrolls in its
# box. The page's side margins shrink to 1rem, so at 1024 px the player and
# the lesson get the width Streamlit's 5rem took. A screen shorter than
# 600 px (a 720 or 768 px projector at 150% zoom: 480 or 512 CSS px) cannot
# hold the text, five steps of two or three lines and the player at 18 px:
# there the lesson's column widens to 45%, the text box keeps about three
# lines (it scrolls) and each step shows two lines, ending in "…" if it is
# longer, so every step button stays on the screen beside the player.
PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"] { display: none !important; }
.stMainBlockContainer { padding: 0.6rem 1rem 0.5rem 1rem; max-width: 100%; }
.stMainBlockContainer p, .stMainBlockContainer li, .stMainBlockContainer button,
.stMainBlockContainer a { font-size: 19px !important; line-height: 1.3; }
.stMainBlockContainer h3 { font-size: 26px !important; padding: 0 0 0.2rem 0; line-height: 1.2; }
.st-key-lesson-panel { max-height: calc(100vh - 1.1rem); gap: 0.6rem; overflow: hidden; }
.st-key-lesson-panel > * { flex: 0 0 auto; min-height: 0; }
.st-key-lesson-panel > [data-testid="stLayoutWrapper"]:has(> .st-key-lesson-text) { flex: 1 1 auto; min-height: 5.5em; }
.st-key-lesson-panel > [data-testid="stLayoutWrapper"]:has(> .st-key-lesson-steps) { flex: 0 0.001 auto; }
.st-key-lesson-text { max-height: none; height: 100%; }
/* Streamlit's markdown: a paragraph's 1rem bottom margin undone by its box's -1rem; in a scrolling box
   that leaves 1rem of content that is always scrolled away. */
.st-key-lesson-text [data-testid="stMarkdownContainer"] { margin-bottom: 0; }
.st-key-lesson-text p:last-child { margin-bottom: 0; }
.st-key-lesson-panel [data-testid="stMarkdownContainer"]:has(> [data-testid="stHeadingWithActionElements"]) { margin-bottom: 0; }
.st-key-lesson-steps { gap: 0.45rem; overflow-y: auto; padding-right: 0.4rem; }
.st-key-lesson-steps button { min-height: 0; padding: 0.2rem 0.6rem; justify-content: flex-start; text-align: left; }
/* a one-line step starts at the left like the others (Streamlit centres a button's label) */
.st-key-lesson-steps button > div { justify-content: flex-start; text-align: left; width: 100%; }
.st-key-lesson-steps button p { font-size: 18px !important; line-height: 1.25; }
@media (max-height: 600px) {
  [data-testid="stHorizontalBlock"]:has(.st-key-lesson-panel) > [data-testid="stColumn"] { flex: 1 1 calc(55% - 1rem) !important; }
  [data-testid="stHorizontalBlock"]:has(.st-key-lesson-panel) > [data-testid="stColumn"]:has(.st-key-lesson-panel) {
    flex: 1 1 calc(45% - 1rem) !important; }
  .st-key-lesson-panel { gap: 0.4rem; }
  .st-key-lesson-panel > [data-testid="stLayoutWrapper"]:has(> .st-key-lesson-text) { min-height: 4em; }
  .st-key-lesson-steps { gap: 0.3rem; overflow: visible; padding-right: 0; }
  .st-key-lesson-steps button p { display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
}
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
    scene = session.scene()
    if chosen in LESSONS:
        session.load(lesson_scene(chosen).replace(viewer=scene.viewer.replace(step=None, hide=())))
    elif chosen == FREE_PLAY:
        session.load(scene.replace(lesson=None))


def _keep_showing(scene: Scene, shown: Scene) -> Scene:
    """`scene` as the viewer is showing things: a presentation stays one,
    playing on load and looping if it did (a step or a link from a
    presentation opened with the Present link keeps playing)."""
    v, now = scene.viewer, shown.viewer
    return scene.replace(viewer=v.replace(present=v.present or now.present, autoplay=v.autoplay or now.autoplay,
                                          loop=v.loop or now.loop))


def _open_step(lesson_id: str, index: int) -> None:
    session.load(_keep_showing(step_scene(LESSONS[lesson_id], index), session.scene()))


def picker(sb) -> None:
    """The lesson picker at the top of the sidebar."""
    if not LESSONS:
        return
    st.session_state["lesson"] = session.scene().lesson or FREE_PLAY
    sb.selectbox("Lesson", [FREE_PLAY, *LESSONS], key="lesson", on_change=_pick_lesson,
                 format_func=lambda i: "None: free play" if i == FREE_PLAY else LESSONS[i].title,
                 help="A lesson opens a scene, says what to look at, and offers steps to try.")


def lesson_panel(lesson: Lesson, scene: Scene) -> None:
    """The lesson's title, text and steps: each step a button that opens its
    scene here, and a link to it."""
    with st.container(key="lesson-panel"):
        st.markdown(f"### {plain(lesson.title)}")
        # The text scrolls in its own box so the steps stay on the screen.
        st.container(key="lesson-text").markdown(plain(lesson.text))
        with st.container(key="lesson-steps"):
            st.markdown("**Try this**")
            for index, step in enumerate(lesson.steps):
                st.button(f"{index + 1} · {step.line}", key=f"step{index}", on_click=_open_step,
                          args=(lesson.id, index), width="stretch", help="Open this step here")
        links = " · ".join(f"[{index + 1}]({_link(_keep_showing(step_scene(lesson, index), scene))})"
                           for index in range(len(lesson.steps)))
        st.caption(f"Links to the steps: {links}")


def present_link(scene: Scene) -> str:
    """The address of this scene in presentation mode, playing on load (from
    the start: the step shown is left out). The player keeps it in step with
    the view, speed and hidden runs chosen since (url.js, followPresentLink)."""
    return "?" + scene.replace(viewer=scene.viewer.replace(present=True, autoplay=True, step=None)).to_query()


def leave_link(scene: Scene) -> str:
    return _link(scene.replace(viewer=scene.viewer.replace(present=False, autoplay=False)))


def _link(scene: Scene) -> str:
    """A relative link to `scene` for markdown: parentheses (which a label
    may hold unencoded) are percent-encoded so they cannot end the link."""
    return "?" + scene.to_query().replace("(", "%28").replace(")", "%29")


def presentation_style() -> None:
    st.html(PRESENT_CSS)


