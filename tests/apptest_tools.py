"""The page (`page.py`) under Streamlit's AppTest, the way every page-level
test opens and reads it, written once (tests/test_app.py,
tests/test_explore_page.py; the `open_url` fixture in tests/conftest.py).

Why the raw query string: the app parses the raw query string on the
script-run context, and AppTest builds it from `at.query_params` through
`urllib.parse.urlencode`, which percent-encodes `,` `:` `=` (in the scene
language an encoded separator is a literal character). `route_raw_queries`
lets a test hand AppTest the exact string a browser would send.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from visualizer.page.text import JOINER

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "page.py")
# The first run of a session imports JAX and compiles (tens of seconds on a
# cold, shared machine); AppTest's own default of 3 s would fail it.
TIMEOUT = 300
RAW_KEY = "\x00raw-query"  # never a real query key: marks a raw query string


def new_app() -> AppTest:
    """page.py under AppTest, not yet run."""
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def run_ok(at: AppTest) -> AppTest:
    """Run (or rerun) `at`; fail with the page's exceptions if it raised."""
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def payload(at: AppTest) -> dict:
    """What the page gave its one player component (the scene's arrays,
    `query`, `viewer`, `explore`, ...)."""
    players = at.get("component_instance")
    assert len(players) == 1, "the page shows exactly one player"
    assert players[0].proto.component_name.endswith("player")
    return json.loads(players[0].proto.json_args)["payload"]


def viewer(at: AppTest) -> dict:
    """The payload's value of each viewer key, as a link writes it (`hide`:
    run numbers, 1-based); the payload also holds the table of those keys."""
    return payload(at)["viewer"]["values"]


def query(at: AppTest) -> str:
    """The address the page gives the browser (the payload's `query`)."""
    return payload(at)["query"]


def unescape_md(text: str) -> str:
    """Markdown backslash escapes and the invisible word joiners that keep
    autolinks apart removed (visualizer.page.text.plain): the text a reader
    sees."""
    return re.sub(r"\\(.)", r"\1", text).replace(JOINER, "")


def errors(at: AppTest) -> list[str]:
    """The main area's error boxes, as a reader sees them."""
    return [unescape_md(e.value) for e in at.main.error]


def sidebar_errors(at: AppTest) -> list[str]:
    """The sidebar's error boxes, as a reader sees them."""
    return [unescape_md(e.value) for e in at.sidebar.error]


def route_raw_queries(monkeypatch) -> None:
    """From now on (until monkeypatch undoes it), a query_params entry
    under RAW_KEY reaches the app as the exact query string it holds."""
    import streamlit.testing.v1.local_script_runner as lsr

    real = lsr.parse

    class _RawQueryParse:
        def __getattr__(self, name):
            return getattr(real, name)

        @staticmethod
        def urlencode(query, *args, **kwargs):
            if isinstance(query, dict) and RAW_KEY in query:
                return query[RAW_KEY]
            return real.urlencode(query, *args, **kwargs)

    monkeypatch.setattr(lsr, "parse", _RawQueryParse())


def open_raw(raw: str) -> AppTest:
    """The page run at the exact query string `raw` (needs route_raw_queries)."""
    at = new_app()
    at.query_params[RAW_KEY] = raw
    return run_ok(at)


def viewer_values(**given) -> dict:
    """The payload's viewer values for a link that gives `given`: every
    other viewer key at its default (the table decides which there are)."""
    from visualizer.core.scene import viewer_keys

    return {k.name: k.value_json(k.values.default) for k in viewer_keys()} | given
