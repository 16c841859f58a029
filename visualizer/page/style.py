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
/* A live class's code, read from the back of the room off the projector. */
.st-key-class-panel strong { font-size: 1.5rem; letter-spacing: 0.06em; }
.st-key-class-panel code { font-size: 1.05rem; }
/* Room for a slider and an exact value side by side, when the sidebar is
   open on a screen that has it: collapsed, it keeps Streamlit's own width,
   all of which it slides away (a wider one left a strip over the page). */
@media (min-width: 640px) {
  section[data-testid="stSidebar"][data-collapsed="false"] { width: 350px !important; min-width: 350px !important; }
}
/* A table wider than the page scrolls in its own box, never the page. */
.stMainBlockContainer [data-testid="stMarkdownContainer"] table { display: block; max-width: 100%; overflow-x: auto; }
/* A phone: no text under 16 px (Streamlit's captions, tables, small
   buttons and the sidebar's labels are 14 px). */
@media (max-width: 640px) {
  /* The document scrolls, not Streamlit's inner box: the header (the
     sidebar's button, the menu) scrolls away with the page instead of
     lying over the player, and the browser can fold its address bar. */
  .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {
    position: relative !important; overflow: visible !important; height: auto !important; min-height: 100vh; }
  .stMainBlockContainer { padding-left: 0.5rem; padding-right: 0.5rem; padding-top: 3.6rem; }
  /* the open sidebar lies over the page, the whole height of the screen */
  section[data-testid="stSidebar"][data-collapsed="false"] {
    position: fixed !important; top: 0; left: 0; bottom: 0; height: 100vh !important; z-index: 1000000; max-width: 100vw; }
  .stApp [data-testid="stCaptionContainer"], .stApp [data-testid="stMarkdownContainer"] table,
  .stApp [data-testid="stWidgetLabel"] p, .stApp button p, .stApp a p, .stApp [data-testid="stTooltipHoverTarget"],
  .stApp [data-testid="stCode"] code, .stApp [data-testid="stMarkdownContainer"] small { font-size: 16px !important; }
  /* formulas large enough that their exponents are 16 px too (KaTeX sets them at 0.7 of the line) */
  .stApp .katex { font-size: 1.5em; }
}
</style>
"""


def apply() -> None:
    st.html(PAGE)
