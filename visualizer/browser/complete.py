"""Everything the player needs for a scene, built in one call without the
page: what a live class sends every phone when its teacher moves on (the
page itself builds the same pieces with its own caches: page.py)."""

from __future__ import annotations

from visualizer.browser import explore_payload
from visualizer.browser.payload import scene_payload, surface_payload
from visualizer.core import landmarks
from visualizer.core.engine import simulate
from visualizer.core.exploration import explore, played
from visualizer.core.scene import Scene


def complete_payload(scene: Scene, address: str) -> dict:
    """The player's payload of `scene` (its runs, its surface or its
    network's plane, its exploration if it has one), the address bar to
    hold `address`."""
    result = simulate(played(scene))  # a race plays each run at its best trial
    surface = None
    if result.model is None:
        surface = surface_payload(scene.resolved_surface(), scene.surface_values(), landmarks.of(scene))
    payload = scene_payload(result, surface, address)
    if scene.explore is not None:
        payload["explore"] = explore_payload.for_scene(scene, explore_payload.form_of(explore(scene)))
    return payload
