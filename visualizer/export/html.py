"""The offline page: one HTML file that plays a scene with no network at
all, opened from a USB stick or an e-mail.

It is the real player, every file its manifest lists
(visualizer/browser/player_files.py), inside one file:

- its page, with the style table inside (`player_files.page_html`);
- the stylesheets in <style> elements, KaTeX's with its fonts as data: URLs;
- the payload as JSON in <script type="application/json"
  id="player-payload">, which puts component.js in its standalone mode (no
  Streamlit);
- the ES modules as an import map from bare specifiers ("player/main.js")
  to data: URLs, with every `./x.js` import rewritten to its bare
  specifier. Chromium and Firefox run module scripts from data: URLs on a
  page opened from a file:// address, where separate module files would be
  refused (a file:// page has no origin to share them with);
- the classic scripts (plotly.js, KaTeX) deflated, each in a data block
  that a small module inflates (DecompressionStream) and runs, in order,
  before it imports the entry: plotly.js takes 0.7 MB so, 1.75 MB as it is.

Offline the player has no app around it: the payload carries no address
(the player writes none), "Set start" and "Copy link" are hidden, and
"Inside a step" has every step's numbers in the file (there is no server
to ask for them), off until the viewer turns it on.
"""

from __future__ import annotations

import base64
import functools
import html as html_text
import posixpath
import re
import zlib

from visualizer.browser import player_files
from visualizer.browser.player_files import json_in_script
from visualizer.export.scene_data import SceneData

SPECIFIER = "player/"  # bare: an import map entry, never resolved against the page's address
DEFLATED = "application/x-deflated-javascript"  # a data block: no browser runs it as it is
# What the offline page does without: there is no app to send a start to
# or to link to.
OFFLINE_CSS = "#btn-start, #btn-copy { display: none !important; }"
FONT_TYPES = {".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf"}
# The page's own references, each replaced by what it loads, inline.
_LINK = re.compile(r'<link rel="stylesheet" href="([^"?]+)[^"]*">')
_SCRIPT = re.compile(r'<script src="([^"?]+)[^"]*"></script>')
_MODULE = re.compile(r'<script type="module" src="([^"?]+)[^"]*"></script>')
_TITLE = re.compile(r"<title>[^<]*</title>")
# Runs the deflated classic scripts in the page's order, then the player.
_BOOT = """<script type="module">
try {
  for (const block of document.querySelectorAll('script[type="%(type)s"]')) {
    const binary = atob(block.textContent), bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    const script = document.createElement("script");
    script.textContent = await new Response(stream).text();
    document.head.appendChild(script);
  }
  await import("%(entry)s");
} catch (e) {
  const status = document.getElementById("status");
  status.textContent = "The player could not start in this browser: " + e.message;
  status.className = "warn";
  throw e;
}
</script>"""


class FrontendError(RuntimeError):
    """The player's page no longer loads its files as this file expects:
    update this file."""


def page(data: SceneData) -> bytes:
    m = player_files.manifest()
    index = player_files.page_html()
    title = f"{data.surface.get('name') or 'Scene'}: optimizer trajectories"
    styles = [_style(name) for name in m.stylesheets] + [f"<style>{OFFLINE_CSS}</style>"]
    replacements = [
        (_LINK, m.stylesheets, "\n".join(styles)),
        (_SCRIPT, m.scripts, "\n".join(_deflated(name) for name in m.scripts)),
        (_MODULE, (m.entry,), _payload_script(data.payload()) + "\n" + _import_map() + "\n"
         + _BOOT % {"type": DEFLATED, "entry": SPECIFIER + m.entry}),
        (_TITLE, None, f"<title>{html_text.escape(title)}</title>\n"
         f'<meta name="optviz-scene" content="{html_text.escape(data.scene.to_query())}">'),
    ]
    # every pattern is matched in the page as written, never in what
    # another replacement put there (plotly.js holds a <title> of its own)
    spans = []
    for pattern, listed, text in replacements:
        found = list(pattern.finditer(index))
        if len(found) != 1:
            raise FrontendError(f"{m.page}: expected one match of {pattern.pattern!r}, found {len(found)}")
        if listed is not None and found[0].group(1) not in {posixpath.basename(name) for name in listed}:
            raise FrontendError(f"{m.page} loads {found[0].group(1)}, which the manifest does not list there")
        spans.append((found[0].start(), found[0].end(), text))
    out, at = [], 0
    for start, end, text in sorted(spans):
        out += [index[at:start], text]
        at = end
    return ("".join(out) + index[at:]).encode("utf-8")


def modules() -> dict[str, str]:
    """The player's modules, by file name, with their imports rewritten to
    bare specifiers."""
    return {name: player_files.rewrite_imports(player_files.read_text(name), lambda module: SPECIFIER + module)
            for name in player_files.manifest().modules}


def _import_map() -> str:
    imports = {SPECIFIER + name: "data:text/javascript;base64," + base64.b64encode(source.encode()).decode("ascii")
               for name, source in sorted(modules().items())}
    return '<script type="importmap">' + json_in_script({"imports": imports}) + "</script>"


def _payload_script(payload: dict) -> str:
    return '<script type="application/json" id="player-payload">' + json_in_script(payload) + "</script>"


def _style(name: str) -> str:
    return "<style>\n" + _guard(player_files.stylesheet(name, _font_url), "</style", name) + "\n</style>"


@functools.cache
def _font_url(font: str) -> str:
    suffix = posixpath.splitext(font)[1]
    return f"data:{FONT_TYPES[suffix]};base64," + base64.b64encode(player_files.read_bytes(font)).decode("ascii")


@functools.cache
def _deflated(name: str) -> str:
    """Script `name` as a data block of its deflated bytes in base64 (no
    '<' in it: nothing can close the element early)."""
    packed = base64.b64encode(zlib.compress(player_files.read_bytes(name), 9)).decode("ascii")
    return f'<script type="{DEFLATED}" data-name="{html_text.escape(name)}">{packed}</script>'


def _guard(text: str, closing: str, name: str) -> str:
    if closing in text.lower():
        raise FrontendError(f"{name} contains {closing!r}; it cannot be inlined as it is")
    return text
