"""Optimizer trajectories: the page. Widgets in, the player and panels out;
everything else lives in `visualizer/` and `surfaces/`. `app.py` serves it:

    streamlit run app.py          # then open /?surface=saddle&run=newton:lr=1
"""

from __future__ import annotations

import streamlit as st

import surfaces
from visualizer import SceneError, controls, panels, simulate, warmup
from visualizer import payload as browser_payload
from visualizer.player import player
from visualizer.scene import Scene

st.set_page_config(page_title="Optimizer trajectories", page_icon="📉", layout="wide")


def opening_query() -> str:
    """The address's query string exactly as the browser sent it.

    `st.query_params` hands out values already percent-decoded, which loses
    the difference between a `,` that separates run keys and a `%2C` inside
    a label; the scene language needs the raw string, which Streamlit keeps
    on the script-run context. Re-encoding `st.query_params` is the fallback.
    """
    from urllib.parse import urlencode

    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    raw = getattr(ctx, "query_string", None)
    if isinstance(raw, str):
        return raw
    return urlencode([(k, v) for k in st.query_params for v in st.query_params.get_all(k)])


@st.cache_data(max_entries=64, show_spinner=False)
def surface_payload(surface_id: str, formula: str | None, params: tuple) -> dict:
    """The surface grid for the browser, keyed by plain values."""
    scene = Scene(surface=surface_id, formula=formula, surface_params=dict(params))
    model = scene.surface_model()
    if surface_id == surfaces.CUSTOM_ID:
        from surfaces.minima import estimate_minima

        found = estimate_minima(model.fn, model.window)
        payload = browser_payload.surface_payload(model, {}, minima=[(x, y) for x, y, _ in found], estimated=True)
        payload["min_value"] = min((f for _, _, f in found), default=None)
        return payload
    return browser_payload.surface_payload(model, dict(params))


warmup.persistent_compilation_cache()
ss = st.session_state
if "run_ids" not in ss:
    ss.link_errors = controls.start_session(opening_query())
if "pending_start" in ss:  # a click on the plot in "Set start" mode
    controls.pick_start(*ss.pop("pending_start"))

controls.sidebar()
try:
    scene = controls.scene_from_state()
except SceneError as exc:
    st.error(f"{panels.plain(str(exc))} — showing the default scene.")
    scene = Scene.default()

st.markdown("### Optimizer trajectories")
for message in ss.get("link_errors", []):
    st.error(f"The link has a problem: {panels.plain(message)}. Using the default for it.", icon=":material/link_off:")

try:
    with st.spinner("Compiling the optimizers for this surface (only the first time)…"):
        result = simulate(scene)
        surface = surface_payload(scene.surface, scene.formula, tuple(scene.surface_params.items()))
except SceneError as exc:
    st.error(panels.plain(str(exc)))
    st.stop()

value = player(browser_payload.scene_payload(result, surface), key="player", height=660)
if value and value.get("event") == "start" and value.get("nonce") != ss.get("start_nonce"):
    ss.start_nonce = value["nonce"]
    ss.pending_start = tuple(float(v) for v in value["xy"])
    st.rerun()

panels.divergence_messages(result)
panels.surface_about(result.surface)

estimated = surface["minima_estimated"]
panels.summary_table(result, minima=surface["minima"] if estimated else None,
                     min_value=surface.get("min_value") if estimated else None)
a, b, c, _ = st.columns([1, 1, 1, 2])
a.download_button("Results (JSON)", data=result.to_json, file_name="trajectories.json",
                  mime="application/json", on_click="ignore", width="stretch")
b.download_button("Results (CSV)", data=result.to_csv, file_name="trajectories.csv",
                  mime="text/csv", on_click="ignore", width="stretch")
with c.popover("Share", width="stretch"):
    st.caption("The address bar always holds this scene. Copy it, or this link:")
    st.code(f"{st.context.url or ''}?{scene.to_query()}", language=None, wrap_lines=True)

with st.expander("Update rules, with each run's values", expanded=False):
    panels.update_rules(result)
