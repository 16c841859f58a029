"""The scene being edited, kept in the session: every part of the page
reads it and changes it here (`visualizer.page.draft` says what each change
does), so the sidebar, the lesson panel and the exploration's controls
need not know each other."""

from __future__ import annotations

import streamlit as st

from visualizer.core.scene import Scene
from visualizer.page import draft as drafts

_SS_DRAFT = "draft"


def start_session(scene: Scene) -> None:
    st.session_state[_SS_DRAFT] = drafts.from_scene(scene)


def load(scene: Scene) -> None:
    """Show another scene (a lesson, a step), its first run selected."""
    update(drafts.from_scene(scene))


def current() -> drafts.Draft:
    return st.session_state[_SS_DRAFT]


def scene() -> Scene:
    return current().scene


def update(new: drafts.Draft) -> None:
    st.session_state[_SS_DRAFT] = new


def changed(control: str) -> None:
    """A widget's on_change: the draft takes the widget's new value."""
    update(drafts.apply(current(), control, st.session_state[control]))


def do(action) -> None:
    update(action(current()))


def set_start(x: float, y: float, run: int | None = None) -> None:
    update(drafts.set_start(current(), x, y, run))
