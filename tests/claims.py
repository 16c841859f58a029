"""Claims checked by name: what tests/test_lessons.py and tests/test_notes.py
hold every sentence of a lesson or a note to. A failing test lists every
claim that no longer holds, with what the engine gave instead."""

from __future__ import annotations

import numpy as np


class Claims:
    """The claims of one text: each checked by name; `verify()` fails with
    every claim that does not hold."""

    def __init__(self, lesson: str, kind: str = "lesson"):
        self.lesson = lesson
        self.kind = kind
        self.failed: list[str] = []

    def __call__(self, claim: str, holds, got=None) -> None:
        if not bool(holds):
            self.failed.append(claim + ("" if got is None else f" (got {show(got)})"))

    def verify(self) -> None:
        assert not self.failed, (f"{self.kind} {self.lesson} no longer tells the truth:\n  - "
                                 + "\n  - ".join(self.failed))


def show(value) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)
