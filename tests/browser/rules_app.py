"""Every optimizer's update rule and every schedule's formula, typeset by
Streamlit's `st.latex` (KaTeX), for tests/browser/test_rules_render.py:

    streamlit run tests/browser/rules_app.py --server.headless=true --server.port=8702

Each formula sits in a container keyed `rule-<id>` or `schedule-<id>`, under a
heading naming the id. The layout is the page's where the rules are shown
(wide, with the sidebar open), so the main block is as wide as there.
`?canary=1` adds one formula with a LaTeX error (`formula-canary`): the test
uses it to show that an error is seen where there is one.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from visualizer.core.optimizers import OPTIMIZERS  # noqa: E402
from visualizer.core.schedules import SCHEDULES  # noqa: E402
from visualizer.page import latex, style  # noqa: E402

st.set_page_config(page_title="Update rules", layout="wide")
style.apply()  # the page's own CSS (its sidebar's width sets the main block's)
st.sidebar.markdown("The page's sidebar is open beside the rules; this one keeps the main block as wide.")

st.title("Update rules")
for opt in OPTIMIZERS.values():
    with st.container(key=f"rule-{opt.id}"):
        st.subheader(opt.id)
        st.latex(latex.display(opt.rule))

st.title("Schedules")
for schedule in SCHEDULES.values():
    with st.container(key=f"schedule-{schedule.id}"):
        st.subheader(schedule.id)
        st.latex(latex.display(schedule.latex))

if st.query_params.get("canary") == "1":
    with st.container(key="formula-canary"):
        st.subheader("canary")
        st.latex(r"x_{t+1} = \frac{x_t")
