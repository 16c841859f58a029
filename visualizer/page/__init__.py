"""The Streamlit shell: the sidebar, the lesson panel and presentation
mode, the panels, the player component, the page's warm-up. Thin: what it
shows comes from `visualizer.core` through `visualizer.browser`.
"""
