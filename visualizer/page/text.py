"""User text on the page: shown as the characters it is, never as markup.

Streamlit renders markdown (with autolinks and `:icon:` codes) in most
elements; a label, a formula or an unknown key a user typed must not become
a link, an icon or formatting. `plain` escapes every character markdown
gives a meaning to, and breaks the patterns the renderer turns into links
on its own (GitHub's autolinks: `www.`, `http://`, `name@host`), which a
backslash before each character does not stop.
"""

from __future__ import annotations

import re

_MARKDOWN = set("\\`*_{}[]()#+-.!|<>~$&:=/@")
# U+2060 WORD JOINER: invisible and zero-width, so the text reads and wraps
# as typed, but `www`, a scheme's `:` and an address's `@` no longer start
# or join an autolink.
JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(?<=ww)(?=w)|(?<=[a-z0-9])(?=://)|(?<=mailto)(?=:)|(?<=xmpp)(?=:)|(?=@)")


def plain(text: str) -> str:
    """`text` escaped for Streamlit markdown: every markdown, HTML and
    autolink character gets a backslash, and a word joiner goes inside every
    `www`, before a scheme's `://` (and `mailto:`'s colon) and before every
    `@`, so `www.evil.example`, `https://...`, `a@b.example` and
    `:material/home:` stay text."""
    text = _AUTOLINK.sub(JOINER, str(text))
    return "".join("\\" + ch if ch in _MARKDOWN else ch for ch in text)
