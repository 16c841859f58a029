"""Widget values from the browser, checked before Streamlit reads them.

Every rerun request carries the value of every widget as the browser holds
it, and anyone can send any value (devtools, or a client that speaks the
protocol, as tests/test_hostile.py does). Streamlit hands a value to the
widget's own deserializer as it came: a text where a number input expects a
number, a list where a checkbox expects a bool, or a component value that is
not JSON raises inside `st.number_input(...)` or `st.session_state`, before
the page can look at it, and the visitor gets an error instead of a page.

`install()` puts a check in front of that (once per process; `app.py`'s
start-up hook calls it): a value is kept only if

- its widget was drawn in this session (its id is known),
- it travels in the field that widget's type uses (a number input's int or
  double, a slider's list of doubles, a select slider's list of labels, ...),
- numbers are finite, texts and lists are of a sane size, JSON parses;

anything else is dropped with a log line, so the widget keeps the value it
had. What a value means (a learning rate in range, a start on the surface)
is the page's to check (`visualizer.page.draft`, `visualizer.browser.events`).
"""

from __future__ import annotations

import json
import math

from streamlit.logger import get_logger

_LOG = get_logger(__name__)

MAX_TEXT = 10_000  # characters of one text value (the page's inputs take at most 500)
MAX_ITEMS = 64  # entries of one list value (a range slider has two)
MAX_JSON = 64_000  # characters of one component value (the player sends ~100)
# Value fields that stand for one another: a number input sends an int for
# an integer input and a double otherwise, whatever it registered with.
_SAME = {"int_value": "number", "double_value": "number"}


def check(state, metadata) -> str | None:
    """None if the WidgetState proto `state` is acceptable for a widget
    registered with `metadata` (None: a widget this session never drew),
    else why not."""
    if metadata is None:
        return "no such widget in this session"
    field = state.WhichOneof("value")
    expected = metadata.value_type
    if field != expected and not (field in _SAME and _SAME.get(expected) == _SAME[field]):
        return f"a {field} for a widget that takes a {expected}"
    if field == "double_value":
        return None if math.isfinite(state.double_value) else "not a finite number"
    if field == "int_value":
        return None if abs(state.int_value) <= 2**53 else "integer out of range"
    options = _options(metadata)
    if field in ("string_value",):
        if len(state.string_value) > MAX_TEXT:
            return "text too long"
        if options is not None and state.string_value not in options:
            return "not one of the widget's options"
        return None
    if field in ("double_array_value", "int_array_value", "string_array_value"):
        data = getattr(state, field).data
        if len(data) > MAX_ITEMS:
            return "too many values"
        if field == "double_array_value" and not all(math.isfinite(v) for v in data):
            return "not finite numbers"
        if field == "string_array_value" and any(len(v) > MAX_TEXT for v in data):
            return "text too long"
        if field == "string_array_value" and options is not None and not all(v in options for v in data):
            return "not one of the widget's options"
        return None
    if field in ("json_value", "json_trigger_value"):
        text = getattr(state, field)
        if len(text) > MAX_JSON:
            return "component value too large"
        try:
            json.loads(text)
        except ValueError:
            return "component value is not JSON"
        return None
    return None


def _options(metadata):
    """The labels a choice widget (selectbox, radio, select slider) offers,
    as its Streamlit serializer holds them; None for other widgets. (No
    choice on this page accepts new options, so a label that is not one of
    them is forged.)"""
    serde = getattr(metadata.deserializer, "__self__", None)
    for name in ("formatted_option_to_option_index", "formatted_option_to_index"):
        mapping = getattr(serde, name, None)
        if isinstance(mapping, dict):
            return mapping
    return None


def clean(widget_states, metadata_of) -> int:
    """Drop, in place, the states of the WidgetStates proto that `check`
    refuses (`metadata_of(widget_id)` gives a widget's metadata or None);
    returns how many were dropped, each logged."""
    keep, dropped = [], 0
    for state in widget_states.widgets:
        problem = check(state, metadata_of(state.id))
        if problem is None:
            keep.append(state)
        else:
            dropped += 1
            _LOG.warning("ignored a widget value from the browser (%s): %s", problem, _describe(state))
    if dropped:
        del widget_states.widgets[:]
        widget_states.widgets.extend(keep)
    return dropped


def _describe(state) -> str:
    key = state.id.split("-", 2)[-1] if state.id.startswith("$$ID-") else state.id
    return f"widget {key[:60]!r}, field {state.WhichOneof('value')}"


def install() -> bool:
    """Check every rerun's widget values from now on, in this process.
    Idempotent; False (logged) if this Streamlit has no place for it."""
    try:
        from streamlit.runtime.state.session_state import SessionState
    except ImportError:  # pragma: no cover - a Streamlit without it
        _LOG.error("widget values from the browser are NOT checked: no SessionState in this Streamlit")
        return False
    original = SessionState.on_script_will_rerun
    if getattr(original, "_optviz_guard", False):
        return True

    def on_script_will_rerun(self, fresh_widget_states, *args, **kwargs):
        if fresh_widget_states is not None:
            known = self._new_widget_state.widget_metadata
            clean(fresh_widget_states, known.get)
        return original(self, fresh_widget_states, *args, **kwargs)

    on_script_will_rerun._optviz_guard = True
    on_script_will_rerun.__wrapped__ = original
    SessionState.on_script_will_rerun = on_script_will_rerun
    return True
