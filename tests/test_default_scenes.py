"""Every surface's default scene is the first thing a class sees: it must
run cleanly and show something worth discussing."""

import numpy as np
import pytest

from visualizer import Scene, simulate
from visualizer.core import landmarks, surfaces
from visualizer.core.results import summarize


@pytest.mark.parametrize("surface_id", list(surfaces.SURFACES))
def test_default_scene_runs_and_round_trips(surface_id):
    scene = Scene.default(surface_id)
    assert Scene.from_query(scene.to_query()) == scene
    assert 2 <= len(scene.runs) <= 3
    result = simulate(scene)
    for run in result.runs:
        assert np.isfinite(run.xy).all()
    rows = summarize(result, landmarks.of(scene))
    # at least one run ends well inside the window (nobody flung off for good)
    (x0, x1), (y0, y1) = result.surface.window
    assert any(x0 <= r.xy[-1][0] <= x1 and y0 <= r.xy[-1][1] <= y1 for r in result.runs)
    # the runs do not all tell the same story: final losses differ
    assert len({round(r["final_loss"], 6) for r in rows}) >= 2 or surface_id in ("himmelblau", "six_hump_camel", "custom")
