"""The entry point: `streamlit run app.py` serves the page in `page.py`.

Streamlit finds `app` below (an `st.App`) and runs the server through it. What
that adds to a plain `streamlit run page.py` is a start-up hook: as the server
starts, a background thread imports JAX and compiles the default scene, so the
first visitor after a start (Community Cloud wakes a sleeping app in a new
process) does not wait for it. The server accepts connections meanwhile.
"""

from contextlib import asynccontextmanager

import streamlit as st


@asynccontextmanager
async def lifespan(app):
    from visualizer import warmup

    warmup.start()
    yield


app = st.App("page.py", lifespan=lifespan)
