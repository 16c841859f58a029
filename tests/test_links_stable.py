"""Every link the project publishes opens the scene it opened before: each
scene written in docs/ and the README (a backticked query), and every
lesson and lesson step, parsed now, gives the canonical scene recorded in
tests/data/links.json. A change of the code that changes what one of them
opens fails here; a change of a lesson or a doc that means to records the
new scene with `python tests/test_links_stable.py` and shows it in its diff.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "tests" / "data" / "links.json"
_QUERY = re.compile(r"`([a-z_]+=[^`\s]*)`")


def published_links() -> list[str]:
    from visualizer.core.lessons import LESSONS
    from visualizer.core.scene import SCENE_KEYS, Scene

    keys = {k.name for k in SCENE_KEYS}
    links: dict[str, None] = {}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for text in _QUERY.findall(path.read_text(encoding="utf-8")):
            if text.split("=")[0] not in keys or "<" in text or "..." in text:
                continue
            try:
                Scene.from_query(text)
            except Exception:  # noqa: BLE001 - a doc's example of a bad link, not a link
                continue
            links[text] = None
    for lesson in LESSONS.values():
        links[f"lesson={lesson.id}"] = None
        for i in range(len(lesson.steps)):
            links[lesson.step_query(i)] = None
    return list(links)


def canonical(link: str) -> str:
    from visualizer.core.scene import Scene

    return Scene.from_query(link).to_query()


def record() -> None:
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps({link: canonical(link) for link in published_links()}, indent=1) + "\n")


def test_every_published_link_opens_the_scene_it_opened():
    recorded = json.loads(RECORD.read_text())
    changed = {link: (recorded[link], canonical(link)) for link in published_links()
               if link in recorded and recorded[link] != canonical(link)}
    assert not changed, "\n".join(f"{link}\n  was {was}\n  now {now}" for link, (was, now) in changed.items())


def test_every_published_link_is_recorded():
    recorded = json.loads(RECORD.read_text())
    missing = [link for link in published_links() if link not in recorded]
    assert not missing, f"new links not in {RECORD.name} (record them): {missing}"


@pytest.mark.parametrize("link", ["lesson=momentum", "view=3d"])
def test_the_record_holds_the_links_everyone_shares(link):
    assert link in json.loads(RECORD.read_text())


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    record()
    print(f"recorded {len(json.loads(RECORD.read_text()))} links in {RECORD}")
