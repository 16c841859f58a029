"""The player's style table (`frontend/style.json`) for Python: THE palette
of runs, the contour's bands and colours, and the marks in normal or
presentation mode, merged as the player merges them (marks.js). The player
reads the same file, inlined in its page; the payload's `palette` and the
exported pictures read it here.
"""

from __future__ import annotations

import copy
import functools
import json

from visualizer.browser import player_files


@functools.cache
def table() -> dict:
    """The whole table, as the file holds it (read only: shared)."""
    return json.loads(player_files.read_text(player_files.manifest().style))


PALETTE: tuple[str, ...] = tuple(table()["palette"])


def marks(present: bool = False) -> dict:
    """The marks' table of one mode: `normal`, or `present` merged into it."""
    t = table()
    return merge(t["normal"], t["present"]) if present else copy.deepcopy(t["normal"])


def contour() -> dict:
    """{"bands": n, "scale": [[t, "#rrggbb"], ...], "scale3d": ..., "mask": [r, g, b]}."""
    return copy.deepcopy(table()["contour"])


def merge(base: dict, over: dict) -> dict:
    """marks.js's merge(): nested objects merged, everything else replaced."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = merge(base[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
