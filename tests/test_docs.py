"""The docs say what the code does: the generated reference tables are up to
date, and the README's map of the code names every module that exists."""

from __future__ import annotations

import re
from pathlib import Path

from visualizer import reference

ROOT = Path(__file__).resolve().parents[1]


def test_generated_reference_is_up_to_date():
    for path in sorted((ROOT / "docs").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert reference.render(text) == text, f"{path.name} is stale: run python -m visualizer.reference"


def test_every_generated_part_has_a_generator_and_is_used():
    used = set()
    for path in (ROOT / "docs").glob("*.md"):
        used |= set(re.findall(r"<!-- generated: ([a-z_-]+) -->", path.read_text(encoding="utf-8")))
    assert used == set(reference.GENERATORS)


def _readme_map() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## How it is built")
    return text[start:text.index("\n## ", start + 1)]


def test_readme_map_names_only_paths_that_exist():
    named = re.findall(r"`([A-Za-z0-9_./-]+\.(?:py|js|css|md|html)|[A-Za-z0-9_-]+/)`", _readme_map())
    assert named, "the map names no paths"
    for path in named:
        assert (ROOT / path).exists() or any((ROOT / "visualizer").rglob(path.rstrip("/"))), \
            f"README names {path}, which does not exist"


def test_readme_map_names_every_module():
    """Each module by its name, or its subpackage by `folder/`."""
    names = set(re.findall(r"`([^`]+)`", _readme_map()))
    words = " ".join(names)
    modules = [p for folder in ("visualizer",) for p in (ROOT / folder).rglob("*.py")
               if p.name != "__init__.py" and "__pycache__" not in p.parts]

    def named(path: Path) -> bool:
        relative = path.relative_to(ROOT)
        if len(relative.parts) > 2 and relative.parent.as_posix() + "/" in names:
            return True  # a subpackage (visualizer/cli/) named as a whole
        return re.search(rf"(^|[/ ]){re.escape(path.name)}\b", words) is not None

    missing = [str(p.relative_to(ROOT)) for p in modules if not named(p)]
    assert not missing, f"the README's map does not mention {missing}"
