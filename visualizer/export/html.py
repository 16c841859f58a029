"""The offline page: one HTML file that plays a scene with no network at
all, opened from a USB stick or an e-mail.

It is the real player (visualizer/browser/frontend/): its index.html with
player.css in a <style>, the vendored plotly.js bundle in a classic
<script>, the payload as JSON in <script type="application/json"
id="player-payload"> (which puts component.js in its standalone mode: no
Streamlit), and the ES modules as an import map from bare specifiers
("player/main.js") to data: URLs, with every `./x.js` import rewritten to
its bare specifier. Chromium and Firefox run module scripts from data: URLs
on a page opened from a file:// address, where separate module files would
be refused (a file:// page has no origin to share them with).

Offline the player has no app around it: the payload carries no address
(the player writes none), and "Set start" and "Copy link" are hidden.
"""

from __future__ import annotations

import base64
import html as html_text
import json
import re

from visualizer.export.scene_data import SceneData
from visualizer.export.style import FRONTEND

ENTRY = "main.js"
PLOTLY = "vendor/plotly-gl3d.min.js"
SPECIFIER = "player/"  # bare: an import map entry, never resolved against the page's address
# `from "./x.js"`, `import "./x.js"`, `import("./x.js")` between the player's own modules
_IMPORT = re.compile(r"""(\b(?:from|import)\s*\(?\s*)(["'])\./([\w./-]+\.js)\2""")
# What the offline page does without: there is no app to send a start to
# or to link to.
OFFLINE_CSS = "#btn-start, #btn-copy { display: none !important; }"


class FrontendError(RuntimeError):
    """The player's index.html or modules changed shape: update this file."""


def page(data: SceneData) -> bytes:
    index = _read("index.html")
    title = f"{data.surface.get('name') or 'Scene'}: optimizer trajectories"
    replacements = [
        (r'<link rel="stylesheet" href="player\.css[^"]*">',
         "<style>\n" + _guard(_read("player.css"), "</style", "player.css") + "\n" + OFFLINE_CSS + "\n</style>"),
        (r'<script src="plotly-gl3d\.min\.js[^"]*"></script>', _classic_script(_read(PLOTLY))),
        (r'<script type="module" src="main\.js[^"]*"></script>',
         _payload_script(data.payload()) + "\n" + _import_map() + "\n"
         + f'<script type="module">import "{SPECIFIER}{ENTRY}";</script>'),
        (r"<title>[^<]*</title>",
         f"<title>{html_text.escape(title)}</title>\n"
         f'<meta name="optviz-scene" content="{html_text.escape(data.scene.to_query())}">'),
    ]
    # every pattern is matched in index.html as written, never in what
    # another replacement put there (plotly.js holds a <title> of its own)
    spans = []
    for pattern, text in replacements:
        found = list(re.finditer(pattern, index))
        if len(found) != 1:
            raise FrontendError(f"index.html: expected one match of {pattern!r}, found {len(found)}")
        spans.append((found[0].start(), found[0].end(), text))
    out, at = [], 0
    for start, end, text in sorted(spans):
        out += [index[at:start], text]
        at = end
    return ("".join(out) + index[at:]).encode("utf-8")


def modules() -> dict[str, str]:
    """The player's modules reachable from main.js, by file name, with their
    imports rewritten to bare specifiers."""
    found: dict[str, str] = {}
    todo = [ENTRY]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        source = _read(name)
        found[name] = _IMPORT.sub(lambda m: f"{m.group(1)}{m.group(2)}{SPECIFIER}{m.group(3)}{m.group(2)}", source)
        todo.extend(m.group(3) for m in _IMPORT.finditer(source))
    return found


def _import_map() -> str:
    imports = {SPECIFIER + name: "data:text/javascript;base64," + base64.b64encode(source.encode()).decode("ascii")
               for name, source in sorted(modules().items())}
    return '<script type="importmap">' + _json_in_script({"imports": imports}) + "</script>"


def _payload_script(payload: dict) -> str:
    return '<script type="application/json" id="player-payload">' + _json_in_script(payload) + "</script>"


def _json_in_script(value) -> str:
    """JSON that cannot end its <script> early: <, > and & as \\u escapes."""
    text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _classic_script(source: str) -> str:
    """Inline when the text cannot close or confuse the <script> element
    (it never does today), else as a data: URL."""
    lowered = source.lower()
    if "</script" in lowered or "<!--" in lowered:
        return '<script src="data:text/javascript;base64,' + base64.b64encode(source.encode()).decode("ascii") + '"></script>'
    return "<script>" + source + "</script>"


def _guard(text: str, closing: str, name: str) -> str:
    if closing in text.lower():
        raise FrontendError(f"{name} contains {closing!r}; it cannot be inlined as it is")
    return text


def _read(name: str) -> str:
    path = FRONTEND / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FrontendError(f"the player's {name} cannot be read: {exc}") from None
