"""Optimizer trajectories on 2D loss surfaces: the scene language, the
engine, and the parts of the page.

    >>> from visualizer import Scene, simulate
    >>> scene = Scene.from_query("surface=rosenbrock&run=adam:lr=0.05")
    >>> result = simulate(scene)
    >>> result.to_dict()["runs"][0]["diverged_at"]

The names below are imported on first use (PEP 562), so importing a light
submodule such as `visualizer.warmup` does not import JAX.
"""

import importlib

_HOMES = {
    "simulate": "visualizer.engine",
    "explore": "visualizer.exploration",
    "Exploration": "visualizer.exploration",
    "SceneError": "visualizer.errors",
    "RunResult": "visualizer.results",
    "SimulationResult": "visualizer.results",
    "Run": "visualizer.scene",
    "Scene": "visualizer.scene",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'visualizer' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_HOMES])
