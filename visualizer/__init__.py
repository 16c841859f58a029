"""Optimizer trajectories on 2D loss surfaces: the scene language, the
engine, and the parts of the page.

    >>> from visualizer import Scene, simulate
    >>> scene = Scene.from_query("surface=rosenbrock&run=adam:lr=0.05")
    >>> result = simulate(scene)
    >>> result.to_dict()["runs"][0]["diverged_at"]
"""

from visualizer.engine import simulate
from visualizer.errors import SceneError
from visualizer.results import RunResult, SimulationResult
from visualizer.scene import Run, Scene

__all__ = ["Run", "RunResult", "Scene", "SceneError", "SimulationResult", "simulate"]
