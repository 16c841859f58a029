"""Optimizer trajectories on 2D loss surfaces: the scene language, the
engine, and the parts of the page.

    >>> from visualizer import Scene, simulate
    >>> scene = Scene.from_query("surface=rosenbrock&run=adam:lr=0.05")
    >>> result = simulate(scene)
    >>> result.to_dict()["runs"][0]["diverged_at"]

The names below are imported on first use (PEP 562), so importing a light
submodule such as `visualizer.page.warmup` does not import JAX.
"""

from visualizer.core.lazy import lazy

_HOMES = {
    "simulate": "visualizer.core.engine",
    "explore": "visualizer.core.exploration",
    "Exploration": "visualizer.core.exploration",
    "SceneError": "visualizer.core.errors",
    "RunResult": "visualizer.core.results",
    "SimulationResult": "visualizer.core.results",
    "Run": "visualizer.core.scene",
    "Scene": "visualizer.core.scene",
}

__all__ = sorted(_HOMES)


__getattr__, __dir__ = lazy(__name__, _HOMES)
