"""The browser contract: what the player gets (payloads, their encoders)
and what it sends back (events, validated like any user input), and the
player's own files (`frontend/`). Built on `visualizer.core`; no Streamlit.
"""
