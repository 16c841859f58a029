"""A made-up entry for each table the project declares once for both
Python and the player: a viewer key (`visualizer.core.scene.SCENE_KEYS`),
an overlay of "Inside a step" (`visualizer.browser.overlays.OVERLAYS`) and
a curve of the side charts (`visualizer.browser.curves.CURVES`). Nothing
else in the tree knows them: tests/test_declared_once.py sees Python honour
them, tests/browser/test_declared_once_browser.py the player, on the page served
with these tables (tests/browser/declared_app.py).
"""

from __future__ import annotations

from collections.abc import Callable

from visualizer.browser import curves, overlays
from visualizer.core import scene
from visualizer.core.viewer import PLAYER, OneOf, ViewerKey

# A key the player writes and does nothing with, between speed and hide.
KEY = ViewerKey("made_up", "a made-up viewer key", OneOf(("off", "on"), "off", "a made-up value"), PLAYER)
AFTER = "speed"
# The raw gradient step uphill (the opposite of grad's), in grad's style.
OVERLAY = overlays.Overlay("made_up", "made up", "A made-up overlay: the learning rate times the raw gradient",
                           overlays.ARROW, factors=("lr", "graw"), layer=4, style="grad")
# An array no other curve draws (whether clipping changed each update's
# gradient), shown first when the side column cannot hold every panel.
CURVE = curves.Curve("made_up", ("made-up curve: updates clipped", "made up"),
                     (curves.Series("clipped", "made_up", "clipped"),), rank=-1, axis=curves.PERCENT)


def tables() -> list[tuple[object, str, tuple]]:
    """(module, name, that table with its made-up entry) for each table."""
    keys = list(scene.SCENE_KEYS)
    keys.insert([k.name for k in keys].index(AFTER) + 1, KEY)
    return [(scene, "SCENE_KEYS", tuple(keys)), (overlays, "OVERLAYS", (*overlays.OVERLAYS, OVERLAY)),
            (curves, "CURVES", (*curves.CURVES, CURVE))]


def declare(set_attribute: Callable = setattr) -> None:
    """Put the made-up entries in the tables (`set_attribute`: pytest's
    monkeypatch.setattr, to take them out again). A second call changes
    nothing."""
    if KEY in scene.SCENE_KEYS:
        return
    for module, name, table in tables():
        set_attribute(module, name, table)
