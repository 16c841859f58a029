"""The library: the scene language, the surfaces, the optimizers and
schedules, the engine, the explorations, the network, the results and the
lessons. Pure: nothing here imports Streamlit or matplotlib, nor the
packages beside it (`visualizer.browser`, `visualizer.page`,
`visualizer.export`, `visualizer.cli`); tests/test_layers.py holds that.
"""
