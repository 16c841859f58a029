"""The entry point: `streamlit run app.py` serves the page in `page.py`.

Streamlit finds `app` below (an `st.App`) and runs the server through it. What
that adds to a plain `streamlit run page.py` is a warm-up: on the server's
first request (a health check, or a browser asking for the page) a background
thread imports JAX and compiles the default scene while the browser is still
loading Streamlit's frontend, so the first visitor after a start (Community
Cloud wakes a sleeping app in a new process) does not wait for it.
"""

import streamlit as st
from starlette.middleware import Middleware

from visualizer.warmup import WarmUpOnFirstRequest

app = st.App("page.py", middleware=[Middleware(WarmUpOnFirstRequest)])
