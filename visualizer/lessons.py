"""Lessons: a title, a few sentences on what to look at, a scene, and three
to five "try this" steps, each a scene of its own with one line on what it
shows. Lessons are data: the page, the CLI (`python -m visualizer lessons`)
and the address (`lesson=<id>`) render any entry, and tests/test_lessons.py
checks every claim a lesson makes against the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from visualizer.knobs import registry


@dataclass(frozen=True)
class Step:
    line: str  # what it changes and what to expect, one line
    scene: str  # the scene it opens (a query; keys beside `lesson=` override the lesson's scene)


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    topic: str
    text: str  # three to six sentences on what to look at
    scene: str  # the lesson's own scene (a query)
    steps: tuple[Step, ...]

    def describe(self) -> dict:
        return {"id": self.id, "title": self.title, "topic": self.topic, "text": self.text, "scene": self.scene,
                "steps": [{"line": s.line, "scene": s.scene} for s in self.steps]}


_ENTRIES: tuple[Lesson, ...] = ()

LESSONS: dict[str, Lesson] = registry(_ENTRIES, "lesson")
