"""The entry point: `streamlit run app.py` serves the page in `page.py`.

Streamlit finds `app` below (an `st.App`) and runs the server through it. What
that adds to a plain `streamlit run page.py`: a start-up hook (before the
server accepts connections it imports JAX and compiles the default scene,
`visualizer.page.warmup`, so the first visitor after a start, as Community
Cloud wakes a sleeping app in a new process, gets the page as fast as any
other), and the live class's routes (`visualizer.live.routes`, under
/api/class/), served by the same process: a phone following its class costs
an HTTP request, not a script rerun.
"""

import streamlit as st

from visualizer.live.routes import ROUTES
from visualizer.page.warmup import lifespan

app = st.App("page.py", lifespan=lifespan, routes=ROUTES)
