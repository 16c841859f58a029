"""User text on the page: shown as the characters it is, never as markup.

Streamlit renders markdown (with autolinks and `:icon:` codes) in most
elements; a label, a formula or an unknown key a user typed must not become
a link, an icon or formatting. `plain` escapes every character markdown
gives a meaning to.
"""

from __future__ import annotations

_MARKDOWN = set("\\`*_{}[]()#+-.!|<>~$&:=/@")


def plain(text: str) -> str:
    """`text` escaped for Streamlit markdown: every markdown, HTML and
    autolink character gets a backslash, so `www.evil.example`,
    `https://...` and `:material/home:` stay text."""
    return "".join("\\" + ch if ch in _MARKDOWN else ch for ch in str(text))
