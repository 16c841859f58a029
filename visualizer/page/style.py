"""The page's own CSS: what Streamlit's theme cannot set. Constant text,
never user input."""

from __future__ import annotations

import streamlit as st

# Streamlit leaves ~6rem above the first element for its header; the header
# here is only the toolbar's menu, so the title can sit near the top.
PAGE = """
<style>
.stMainBlockContainer { padding-top: 2.2rem; }
.stMainBlockContainer h3:first-of-type { padding-top: 0; }
[data-testid="stSidebarHeader"] { height: 2.2rem; min-height: 0; padding-top: 0.5rem; padding-bottom: 0; }
[data-testid="stSidebarUserContent"] { padding-top: 0; }
/* A lesson's text scrolls in its box; its steps wrap rather than cut. */
.st-key-lesson-text { max-height: 45vh; overflow-y: auto; padding-right: 0.4rem; }
.st-key-lesson-steps button p { white-space: normal; text-align: left; }
.st-key-lesson-steps button { justify-content: flex-start; }
/* Room for a slider and an exact value side by side. */
section[data-testid="stSidebar"] { width: 350px !important; min-width: 350px !important; }
</style>
"""


def apply() -> None:
    st.html(PAGE)
