"""The player's files, listed once in `frontend/manifest.json` by how each
reaches the browser: the page, its style table, the ES modules (the entry
first), the stylesheets, the classic scripts, KaTeX's fonts, and the
notices that ship but are never served.

Three readers: the Streamlit component serves them
(`visualizer/page/player.py`), the offline HTML file inlines them
(`visualizer/export/html.py`), and packaging ships every file the manifest
names (`setup.py`, which reads the JSON itself: a build runs before the
package can be imported, and refuses to go on when a listed file is
missing).

What the two assemblies of the page share is here too: the page with its
style table inlined (`page_html`), the modules' imports of each other
(`imported`, `rewrite_imports`), a stylesheet pointed at the fonts wherever
they are served (`stylesheet`) and JSON that cannot end its <script> early
(`json_in_script`).
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

FRONTEND = Path(__file__).resolve().parent / "frontend"
MANIFEST = "manifest.json"
# Where the page holds its style table; the assemblies fill it (page_html).
STYLE_ELEMENT = '<script type="application/json" id="player-style"></script>'
# `from "./x.js"`, `import "./x.js"`, `import("./x.js")` between the player's own modules
_IMPORT = re.compile(r"""(\b(?:from|import)\s*\(?\s*)(["'])\./([\w./-]+\.js)\2""")
# one `url(...)` of a stylesheet, the comma before it (an alternative of a
# @font-face's src) and its format() after it
_URL = re.compile(r"""(,\s*)?url\((["']?)([^"')]+)\2\)(\s*format\(["']?[\w-]+["']?\))?""")


class PlayerFilesError(RuntimeError):
    """A file of the player is missing or unreadable, the manifest does not
    read, or the page lost a place the assembly fills."""


@dataclass(frozen=True)
class Manifest:
    page: str
    style: str
    modules: tuple[str, ...]
    stylesheets: tuple[str, ...]
    scripts: tuple[str, ...]
    fonts: tuple[str, ...]
    notices: tuple[str, ...]

    @property
    def entry(self) -> str:
        return self.modules[0]

    def served(self) -> tuple[str, ...]:
        """What a browser loads, the page first (the style table is inside it)."""
        return (self.page, *self.stylesheets, *self.modules, *self.scripts, *self.fonts)

    def shipped(self) -> tuple[str, ...]:
        """Every file a wheel must hold."""
        return (MANIFEST, self.style, *self.served(), *self.notices)


@functools.cache
def manifest() -> Manifest:
    try:
        data = json.loads(read_text(MANIFEST))
        entries = {key: value for key, value in data.items() if not key.startswith("//")}
        lists = {f.name for f in fields(Manifest)} - {"page", "style"}
        return Manifest(**{key: tuple(value) if key in lists else value for key, value in entries.items()})
    except (ValueError, TypeError, AttributeError) as exc:
        raise PlayerFilesError(f"the player's {MANIFEST} does not read: {exc}") from None


def read_bytes(name: str) -> bytes:
    try:
        return (FRONTEND / name).read_bytes()
    except OSError as exc:
        raise PlayerFilesError(f"the player's {name} cannot be read: {exc}") from None


def read_text(name: str) -> str:
    return read_bytes(name).decode("utf-8")


def page_html() -> str:
    """The page (index.html) with the style table inlined where it holds
    `STYLE_ELEMENT`: the player's modules read it there as they load, on
    the served page and in the offline file alike."""
    m = manifest()
    page = read_text(m.page)
    if page.count(STYLE_ELEMENT) != 1:
        raise PlayerFilesError(f"{m.page} must hold {STYLE_ELEMENT} exactly once")
    table = json.loads(read_text(m.style))
    filled = STYLE_ELEMENT.replace("></", ">" + json_in_script(table) + "</")
    return page.replace(STYLE_ELEMENT, filled)


def imported(source: str) -> list[str]:
    """The player's modules that module `source` imports, by file name."""
    return [m.group(3) for m in _IMPORT.finditer(source)]


def rewrite_imports(source: str, to: Callable[[str], str]) -> str:
    """`source` with each import of a module of the player ("./x.js")
    naming `to("x.js")` instead."""
    return _IMPORT.sub(lambda m: f"{m.group(1)}{m.group(2)}{to(m.group(3))}{m.group(2)}", source)


def stylesheet(name: str, font_url: Callable[[str], str]) -> str:
    """Stylesheet `name` with every url() of a listed font pointing at
    `font_url(font)` (the font's path in the manifest), and the other
    formats a @font-face offers for it (KaTeX's woff and ttf, which are not
    shipped) dropped, so no browser asks for a file that is not there."""
    listed = set(manifest().fonts)
    folder = posixpath.dirname(name)

    def swap(m: re.Match) -> str:
        comma, target, fmt = m.group(1) or "", posixpath.normpath(posixpath.join(folder, m.group(3))), m.group(4) or ""
        if target in listed:
            return f"{comma}url({font_url(target)}){fmt}"
        return "" if comma and fmt else m.group(0)

    return _URL.sub(swap, read_text(name))


def json_in_script(value) -> str:
    """JSON that cannot end its <script> early: <, > and & as \\u escapes."""
    text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
