"""The player's files listed once (visualizer/browser/frontend/manifest.json,
read by visualizer/browser/player_files.py) and its style table
(style.json, read by visualizer/browser/style.py): the list is the folder,
the modules are the ones the entry reaches, the page carries the style
table, stylesheets find their fonts, and the palette is the table's.

That a wheel ships every listed file and the installed package's offline
page typesets with its fonts: tests/browser/test_installed_wheel.py.
"""

from __future__ import annotations

import json
import re

import pytest

from visualizer.browser import player_files, style
from visualizer.browser.payload import PALETTE, color_of

FRONTEND = player_files.FRONTEND
MANIFEST = player_files.manifest()


def test_the_manifest_lists_every_file_of_the_folder_and_only_those():
    on_disk = {p.relative_to(FRONTEND).as_posix() for p in FRONTEND.rglob("*") if p.is_file()}
    shipped = MANIFEST.shipped()
    assert len(set(shipped)) == len(shipped), "a file listed twice"
    assert on_disk == set(shipped)


def test_the_modules_are_the_ones_the_entry_reaches():
    reached, todo = set(), [MANIFEST.entry]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(player_files.imported(player_files.read_text(name)))
    assert reached == set(MANIFEST.modules)  # none missing, none dead


def test_the_served_folder_is_flat_without_two_files_of_one_name():
    names = [name.rsplit("/", 1)[-1] for name in MANIFEST.served()]
    assert len(set(names)) == len(names)


def test_the_page_carries_the_style_table():
    page = player_files.page_html()
    found = re.search(r'<script type="application/json" id="player-style">(.*?)</script>', page, re.S)
    assert json.loads(found.group(1)) == style.table()
    assert player_files.STYLE_ELEMENT not in page


def test_the_style_table_cannot_end_its_script_early(monkeypatch):
    monkeypatch.setattr(player_files, "read_text", lambda name: '{"label": "</script><b>x"}' if name == MANIFEST.style
                        else (FRONTEND / name).read_text())
    page = player_files.page_html()
    assert "</script><b>" not in page and "\\u003c/script\\u003e" in page


def test_a_page_without_its_style_element_is_refused(monkeypatch):
    page = (FRONTEND / MANIFEST.page).read_text().replace(player_files.STYLE_ELEMENT, "")
    monkeypatch.setattr(player_files, "read_text", lambda name: page if name == MANIFEST.page
                        else (FRONTEND / name).read_text())
    with pytest.raises(player_files.PlayerFilesError, match="player-style"):
        player_files.page_html()


def test_katex_finds_its_fonts_wherever_they_are_served():
    css = next(name for name in MANIFEST.stylesheets if "katex" in name)
    text = player_files.stylesheet(css, lambda font: "at:" + font)
    urls = re.findall(r"url\(([^)]*)\)", text)
    assert urls and set(urls) == {"at:" + font for font in MANIFEST.fonts}  # every font, nothing else
    assert ".woff)" not in text and ".ttf)" not in text  # formats not shipped are not offered
    assert "url(fonts/" in player_files.read_text(css)  # KaTeX's own file, unmodified


def test_rewrite_imports_names_every_import_between_modules():
    source = 'import { a } from "./a.js";\nimport "./b.js";\nconst c = await import("./c.js");\nimport x from "y.js";'
    assert player_files.imported(source) == ["a.js", "b.js", "c.js"]
    out = player_files.rewrite_imports(source, lambda name: f"mod/{name}")
    assert player_files.imported(out) == []
    assert '"mod/a.js"' in out and '"mod/b.js"' in out and '("mod/c.js")' in out and '"y.js"' in out


def test_an_unreadable_file_is_named():
    with pytest.raises(player_files.PlayerFilesError, match="missing.js"):
        player_files.read_bytes("missing.js")


def test_the_palette_is_the_style_tables():
    assert PALETTE == tuple(style.table()["palette"]) and len(PALETTE) == 8
    assert [color_of(i) for i in range(9)] == [*PALETTE, PALETTE[0]]


def test_presentation_is_normal_with_its_overrides_merged():
    normal, present = style.marks(False), style.marks(True)
    assert present["name"] == "present" and normal["name"] == "normal"
    assert present["font"]["tick"] >= 18 and present["run"]["width"] > normal["run"]["width"]
    assert present["minimum"]["stroke"] == normal["minimum"]["stroke"]  # merged, not replaced
    assert present["run"]["dashes"] != normal["run"]["dashes"]  # a list is replaced whole
    present["run"]["width"] = -1  # a caller's copy: the table stays as it is
    assert style.marks(True)["run"]["width"] > 0
