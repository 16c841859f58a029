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


def lazy(module: str, homes: dict[str, str]):
    """`__getattr__` and `__dir__` for a package whose names in `homes`
    (name -> module) are imported on first use."""

    def getattr_(name: str):
        if name in homes:
            return getattr(importlib.import_module(homes[name]), name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    def dir_():
        return sorted([*vars(importlib.import_module(module)), *homes])

    return getattr_, dir_


__getattr__, __dir__ = lazy(__name__, _HOMES)
