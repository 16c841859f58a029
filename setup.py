"""Packaging's one dynamic part: the player's files are the package data,
every file visualizer/browser/frontend/manifest.json names (the list the
page serves and the offline HTML file inlines), so a wheel cannot ship
without one of them: a listed file that is missing stops the build.
Everything else is in pyproject.toml.

The manifest is read as JSON, not through `visualizer.browser.player_files`:
a build runs before the package's dependencies are installed.
"""

import json
from pathlib import Path

from setuptools import setup

PACKAGE = Path(__file__).resolve().parent / "visualizer"
FRONTEND = "browser/frontend"
MANIFEST = f"{FRONTEND}/manifest.json"


def listed(value) -> list[str]:
    """Every file name in the manifest: its string values, in lists or not;
    keys starting with // are notes."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [name for item in value for name in listed(item)]
    return [name for key, item in value.items() if not key.startswith("//") for name in listed(item)]


def player_files() -> list[str]:
    names = [f"{FRONTEND}/{name}" for name in listed(json.loads((PACKAGE / MANIFEST).read_text(encoding="utf-8")))]
    missing = [name for name in names if not (PACKAGE / name).is_file()]
    if missing:
        raise SystemExit(f"{MANIFEST} lists files that do not exist: {', '.join(missing)}")
    return [MANIFEST, *names]


setup(package_data={"visualizer": player_files()})
