"""The classroom parts of the page: the lesson picker, the lesson's text and
its steps beside the player, the "Present" link and presentation mode
(`present=1`: the player and the lesson only, in type large enough for the
back of a room), and the "Embed" action with the view it links to
(`embed=1`: the player alone, for an iframe in a blog or a course page)."""

from __future__ import annotations

import html

import streamlit as st

from visualizer.browser import predict
from visualizer.core.lessons import LESSONS, Lesson
from visualizer.core.scene import Scene, viewer_keys
from visualizer.core.viewer import SERVER, Flag
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


def keep_showing(scene: Scene, shown: Scene) -> Scene:
    """`scene` as the viewer is showing things: every mode a link switches
    on (the flags the page writes) stays on: a presentation stays one,
    playing on load and looping if it did, a quiz keeps asking first. (Not
    a class's keys: a teacher's secret never goes into a step's link.)"""
    v, now = scene.viewer, shown.viewer
    modes = {k.name: getattr(v, k.name) or getattr(now, k.name) for k in viewer_keys()
             if k.writer == SERVER and isinstance(k.values, Flag)}
    return scene.replace(viewer=v.replace(**modes))


def _open_step(lesson_id: str, index: int) -> None:
    session.load(keep_showing(step_scene(LESSONS[lesson_id], index), session.scene()))


def picker(sb) -> None:
    """The lesson picker at the top of the sidebar."""
    if not LESSONS:
        return
    st.session_state["lesson"] = session.scene().lesson or FREE_PLAY
    sb.selectbox("Lesson", [FREE_PLAY, *LESSONS], key="lesson", on_change=_pick_lesson,
                 format_func=lambda i: "None: free play" if i == FREE_PLAY else LESSONS[i].title,
                 help="A lesson opens a scene, says what to look at, and offers steps to try.")


def lesson_panel(lesson: Lesson, scene: Scene, outcome: bool = True) -> None:
    """The lesson's title, text and steps: each step a button that opens its
    scene here, and a link to it. With `outcome`, under the text what came
    of the scene shown, where the lesson says (`predict.after_of`); without
    (a question not answered yet), nothing that tells it."""
    with st.container(key="lesson-panel"):
        st.markdown(f"### {plain(lesson.title)}")
        # The text scrolls in its own box so the steps stay on the screen.
        with st.container(key="lesson-text"):
            st.markdown(plain(lesson.text))
            after = predict.after_of(scene) if outcome else ""
            if after:
                st.markdown(f"**What happens:** {plain(after)}")
        with st.container(key="lesson-steps"):
            st.markdown("**Try this**")
            for index, step in enumerate(lesson.steps):
                st.button(f"{index + 1} · {step.line}", key=f"step{index}", on_click=_open_step,
                          args=(lesson.id, index), width="stretch", help="Open this step here")
        links = " · ".join(f"[{index + 1}]({_link(keep_showing(step_scene(lesson, index), scene))})"
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




# The embedded view (`embed=1`): Streamlit's header, toolbar, sidebar and
# margins gone, so the player is all the frame holds; the player fits
# itself to the frame's height (layout.js).
EMBED_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"] { display: none !important; }
.stMainBlockContainer { padding: 0 !important; max-width: 100% !important; }
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] { background: #ffffff; }
</style>
"""

# What an embedding page gives the frame: the whole width of its column (up
# to what the player uses well) and a height the player fills at any width
# (layout.js): 640 px where the plot and the charts sit side by side, more
# on a narrow screen, where the toolbar, the plot, the question and the
# legend are stacked (860 px on a phone of 390 px, by the host page's width).
EMBED_HEIGHT = "clamp(640px, calc(1100px - 60vw), 860px)"
EMBED_MAX_WIDTH = 1100


def embed_style() -> None:
    st.html(EMBED_CSS)


def embed_scene(scene: Scene, ask: bool) -> Scene:
    """`scene` as an embed shows it: alone in its frame, from the start (the
    step shown left out, no presentation), asking first if `ask`."""
    v = scene.viewer
    return scene.replace(viewer=v.replace(embed=True, present=False, autoplay=False, step=None, predict=ask))


def embed_snippet(src: str, title: str) -> str:
    """The HTML a blog or course page pastes in: an iframe of `src`."""
    return (f'<iframe src="{html.escape(src)}" title="{html.escape(title)}" loading="lazy"\n'
            f'  style="width: 100%; max-width: {EMBED_MAX_WIDTH}px; height: {EMBED_HEIGHT}; border: 0"></iframe>')


def embed_action(scene: Scene, result) -> None:
    """The "Embed" button: the iframe snippet of this scene's embedded view,
    and the offline file with its own snippet (a page that needs no server,
    hosted beside the post)."""
    from visualizer import export

    # (its contents are made only while it is open: a slider move sends none of them)
    popover = st.popover("Embed", key="embed", on_change="rerun", width="stretch",
                         help="Put this scene in a blog post or a course page")
    if not popover.open:
        return
    with popover:
        ask = st.toggle("Ask first (predict, then play)", value=scene.viewer.predict, key="embed_predict",
                        help="The reader answers the scene's question before the paths play")
        shown = embed_scene(scene, ask)
        title = f"Optimizer trajectories: {result.surface.name}"
        base = st.context.url or ""
        st.markdown("Paste this into the page; the frame shows the player and the question, nothing else:")
        st.code(embed_snippet(f"{base}?{shown.to_query()}", title), language="html")
        name = export.file_name(shown, "html")
        st.markdown("Or host the offline file beside the page: it plays (and asks) with no server at all.")
        st.download_button("Offline page (HTML)", key="embed_offline",
                           data=lambda: export.html_bytes(shown, result=result), file_name=name,
                           mime=export.MIME["html"], on_click="ignore", width="stretch")
        st.code(embed_snippet(name, title), language="html")
