"""The entry point: `streamlit run app.py` serves the page in `page.py`.

Streamlit finds `app` below (an `st.App`) and runs the server through it. What
that adds to a plain `streamlit run page.py` is a start-up hook: before the
server accepts connections it imports JAX and compiles the default scene
(`visualizer.page.warmup`), so the first visitor after a start (Community Cloud
wakes a sleeping app in a new process) gets the page as fast as any other.
"""

import streamlit as st

from visualizer.page.warmup import lifespan

app = st.App("page.py", lifespan=lifespan)
