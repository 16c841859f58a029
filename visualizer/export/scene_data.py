"""What every export starts from: the scene simulated, and the browser's
payload built by the same functions as the page's (visualizer.browser.payload), so
an export shows what the page shows."""

from __future__ import annotations

from dataclasses import dataclass, replace

from visualizer.browser import payload as browser_payload
from visualizer.core import landmarks
from visualizer.core.results import SimulationResult
from visualizer.core.scene import Scene


@dataclass(frozen=True)
class SceneData:
    scene: Scene
    result: SimulationResult
    surface: dict  # payload.surface_payload: the grid, the marks, log_scale
    marks: landmarks.Landmarks

    def payload(self) -> dict:
        """The player's payload (visualizer/page/player.py documents it), without
        an address: an exported page has no app to link back to, so the
        player writes no address (its `query` is null). "Inside a step" is
        offered, off, with every step's numbers already in it: there is no
        server to send them when the viewer turns it on. With `predict=1`
        the questions and their answers are in it: the page grades them
        itself."""
        data = browser_payload.scene_payload(self.result, self.surface, "", inside=True)
        data["query"] = None
        if "inside" in data:  # not on a network's plane
            data["inside"]["on"] = False
        return data

    @property
    def last_step(self) -> int:
        """The last step the player shows: the scene's steps, or a longer run's."""
        return max([self.scene.steps, *(len(r.xy) - 1 for r in self.result.runs)])


def load(scene: Scene, result: SimulationResult | None = None) -> SceneData:
    """`scene` simulated (or `result`, when the caller has it already: the
    page does) with its surface payload."""
    if result is None:
        from visualizer.core.engine import simulate

        result = simulate(scene)
    elif result.scene != scene:
        # the same runs, shown as `scene`'s viewer asks (predict=1: a quiz)
        if result.scene.replace(viewer=scene.viewer) != scene:
            raise ValueError("result is not the simulation of scene")
        result = replace(result, scene=scene)
    marks = landmarks.of(scene)
    if result.model is not None:  # a network: the plane of its runs is the surface
        from visualizer.browser import model_payload as model_payload

        surface = model_payload.surface(result)
    else:
        surface = browser_payload.surface_payload(scene.resolved_surface(), scene.surface_values(), marks)
    return SceneData(scene, result, surface, marks)
