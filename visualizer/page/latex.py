"""Formulas as the page displays them.

A formula (an update rule, a surface's f) is written as one LaTeX string whose
lines, if it has several, are a `gathered` block or separated by `\\\\`.
`display` lays the lines out left-aligned in an `array`, one per row: KaTeX
draws `gathered` and `aligned` 2 px wider than their box, which puts a scroll
bar under every formula wherever scroll bars take space.
"""

from __future__ import annotations

_GATHERED = (r"\begin{gathered}", r"\end{gathered}")


def lines(latex: str) -> list[str]:
    """The formula's lines, outside any `gathered` wrapper."""
    body = latex.strip()
    if body.startswith(_GATHERED[0]) and body.endswith(_GATHERED[1]):
        body = body[len(_GATHERED[0]):-len(_GATHERED[1])]
    return [line.strip() for line in _split(body)]


def _split(body: str) -> list[str]:
    """Split at top-level `\\\\` (not inside braces or environments)."""
    out, depth, start, i = [], 0, 0, 0
    while i < len(body):
        if body.startswith(r"\begin{", i):
            depth += 1
        elif body.startswith(r"\end{", i):
            depth -= 1
        elif body[i] == "{":
            depth += 1
        elif body[i] == "}":
            depth -= 1
        elif body.startswith("\\\\", i) and depth == 0:
            out.append(body[start:i])
            i += 2
            start = i
            continue
        i += 1
    out.append(body[start:])
    return out


def display(latex: str, prefix: str = "") -> str:
    """`latex` as a left-aligned array of its lines, each in display style;
    `prefix` (such as "f(x, y) =") goes before the first line."""
    rows = [r"\displaystyle " + line for line in lines(latex)]
    if prefix:
        rows[0] = prefix + " " + rows[0]
        rows[1:] = [r"\quad " + row for row in rows[1:]]
    return r"\begin{array}{l} " + r" \\ ".join(rows) + r" \end{array}"
