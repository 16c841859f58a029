"""User text stays text in the real page: a label, an unknown key and a
formula that look like addresses show as the characters they are, never as
links (Streamlit's markdown renderer links `www.`, `https://` and `a@b.c` on
its own, escaped or not), and a forged player value of any shape never
stops the script."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from pages import IDLE, open_demo

pytestmark = pytest.mark.browser

LOOKS_LIKE_LINKS = "www.example.org https://example.org me@example.org"


def _links_to_example(page) -> list[str]:
    """Links that lead to example.org: not the page's own links (a query
    string, which may carry the label as a value)."""
    return page.evaluate("""() => [...document.querySelectorAll('a')]
        .map((a) => a.getAttribute('href') || '')
        .filter((h) => !/^[?#]/.test(h) && /example\\.org/.test(h))""")


def _page_text(page) -> str:
    return page.evaluate("() => document.body.innerText.replace(/\\u2060/g, '')")


def test_text_that_looks_like_an_address_never_becomes_a_link(page, app_server):
    label = quote(LOOKS_LIKE_LINKS, safe="")
    query = (f"surface=booth&steps=20&run=adam:lr=0.1,label={label}&run=sgd:lr=0.01"
             f"&{quote('www.example.org', safe='')}=1")
    open_demo(page, app_server, query)
    page.get_by_text("Show each run's update rule").click()  # the rules' headings show labels too
    page.wait_for_selector(IDLE, state="attached", timeout=60_000)
    page.wait_for_timeout(500)
    text = _page_text(page)
    assert LOOKS_LIKE_LINKS in text, "the label does not reach the page (the test would prove nothing)"
    assert "www.example.org" in text.split("link has a problem")[1][:200], "the unknown key is not shown"
    assert _links_to_example(page) == []


def test_forged_event_kinds_of_any_shape_never_stop_the_script(page, app_server):
    frame = open_demo(page, app_server, "surface=booth&steps=20&run=adam:lr=0.1")
    for forged in ({"event": {"$gt": 1}, "nonce": 1}, {"event": [], "nonce": 2}, {"event": None, "nonce": 3},
                   {"event": 7, "nonce": 4}):
        frame.evaluate("(v) => window.parent.postMessage({isStreamlitMessage: true, type: "
                       "'streamlit:setComponentValue', value: v, dataType: 'json'}, '*')", forged)
        page.wait_for_timeout(300)
        page.wait_for_selector(IDLE, state="attached", timeout=60_000)
        assert not page.query_selector('[data-testid="stException"]'), json.dumps(forged)
    assert "This app has encountered an error" not in _page_text(page)
