"""A scene the strict parse refuses: the error names the key and says
why, and the lenient parse (the page's) keeps the rest of the scene."""

from __future__ import annotations

import pytest

from visualizer import Scene, SceneError
from visualizer.core.scene import parse_lenient


def refused(query: str, says: str, key: str) -> tuple:
    """Assert `query` is a SceneError naming `key` whose message matches
    `says`; return the lenient parse's (scene, problems)."""
    with pytest.raises(SceneError, match=says) as caught:
        Scene.from_query(query)
    assert caught.value.key == key
    return parse_lenient(query)
