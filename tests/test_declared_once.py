"""The viewer keys, the overlays of "Inside a step" and the side charts'
curves are each declared in one table, on the Python side: an entry added
to a table alone (tests/made_up.py) is parsed, written in the canonical
form, documented, left to the player by the page and handed to the player
in the payload. tests/browser/test_declared_once_browser.py shows the player
honouring the same entries in Chromium.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import made_up
import pytest
from apptest_tools import errors, query, viewer

from visualizer import Scene, SceneError, simulate
from visualizer.browser import curves, overlays
from visualizer.browser.encode import encode_f32
from visualizer.browser.payload import PLAYER_ARRAYS, scene_payload, viewer_payload
from visualizer.core.scene import SCENE_KEYS, parse_lenient, viewer_keys
from visualizer.core.viewer import PLAYER, SERVER, ViewerKey

# Out of the canonical order on purpose, in presentation mode (where the
# player used to write its keys after the server's).
LINK = ("surface=quadratic:cond=10&steps=60&run=momentum:lr=0.02,momentum=0.9&run=sgd:lr=0.05,clip_norm=1"
        "&present=1&hide=2&made_up=on&view=3d&speed=2")
VIEWER_TAIL = "&view=3d&speed=2&made_up=on&hide=2&present=1"


@pytest.fixture
def made_up_tables(monkeypatch):
    made_up.declare(monkeypatch.setattr)


# ---------------------------------------------------------------- the tables as they are


def test_viewer_keys_come_last_in_the_canonical_order():
    """The player writes its keys after the server's query: that is the
    canonical order only while the viewer keys come after every other key."""
    kinds = [isinstance(k, ViewerKey) for k in SCENE_KEYS]
    assert kinds == sorted(kinds), [k.name for k in SCENE_KEYS]
    assert {k.writer for k in viewer_keys()} == {SERVER, PLAYER}


def test_speed_offers_exactly_the_players_speeds():
    speed = next(k for k in viewer_keys() if k.name == "speed")
    assert speed.describe()["texts"] == ["0.25", "0.5", "1", "2", "4", "8"]
    with pytest.raises(SceneError) as err:
        Scene.from_query("speed=3")
    assert err.value.key == "speed" and "0.25, 0.5, 1, 2, 4, 8" in str(err.value)
    fallen, problems = parse_lenient("speed=3&view=3d")
    assert fallen.viewer.speed == 1.0 and fallen.viewer.view == "3d"
    assert [p.key for p in problems] == ["speed"] and problems[0].fallback == "its default is used"
    assert Scene.from_query("speed=2.0").to_query().endswith("&speed=2"), "a number is matched by value"


def _player_viewer_kinds() -> set[str]:
    """The kinds of viewer-key value the player reads: the keys of
    VIEWER_KINDS in payload.js."""
    source = (Path(__file__).resolve().parents[1] / "visualizer/browser/frontend/payload.js").read_text()
    body = source[source.index("const VIEWER_KINDS = {"):]
    body = body[:body.index("\n};")]
    return set(re.findall(r"^  (\w+): ", body, re.M))


def test_each_table_entry_is_one_the_player_reads():
    kinds = _player_viewer_kinds()
    assert {"choice", "flag", "step", "runs"} <= kinds
    for key in viewer_keys():
        assert key.describe()["kind"] in kinds
    assert len({o.kind for o in overlays.OVERLAYS}) == len(overlays.OVERLAYS)
    assert len({c.id for c in curves.CURVES}) == len(curves.CURVES)
    series = [s.id for c in curves.CURVES for s in c.series] + [c.level.id for c in curves.CURVES if c.level]
    assert len(set(series)) == len(series), "a trace's name says which curve and series it is"
    json.dumps([curves.curves_payload(), overlays.overlays_payload()], allow_nan=False)


def test_every_curve_array_is_in_each_runs_part_where_the_run_has_it():
    flat = scene_payload(simulate(Scene.from_query("surface=quadratic&steps=20&run=sgd:clip_norm=1&run=adam")), {}, "")
    assert flat["curves"] == curves.curves_payload()
    for part in flat["runs"]:
        assert {*PLAYER_ARRAYS, "grad_norm", "clip_norm"} <= set(part)
        assert "train_accuracy" not in part, "a 2D surface has no accuracy"
    assert [p["clip_norm"] for p in flat["runs"]] == [1.0, None]
    model = scene_payload(simulate(Scene.from_query("surface=mlp&steps=10&run=adam:lr=0.02")), {}, "")
    assert {"train_accuracy", "test_accuracy"} <= set(model["runs"][0])


# ---------------------------------------------------------------- a made-up entry in each


def test_a_made_up_viewer_key_is_parsed_and_written_in_its_place(made_up_tables):
    scene = Scene.from_query(LINK)
    assert scene.viewer.made_up == "on"
    assert scene.to_query().endswith(VIEWER_TAIL), scene.to_query()
    assert Scene.from_query(scene.to_query()) == scene
    assert "made_up" not in Scene.from_query("made_up=off").to_query(), "its default is not written"
    with pytest.raises(SceneError) as err:
        Scene.from_query("made_up=maybe")
    assert err.value.key == "made_up" and str(err.value) == "made_up: 'maybe' is not a made-up value; allowed: off, on"
    fallen, problems = parse_lenient("made_up=maybe&view=3d")
    assert fallen.viewer.made_up == "off" and fallen.viewer.view == "3d"
    assert problems[0].explained() == "made_up: 'maybe' is not a made-up value; allowed: off, on (its default is used)"


def test_a_made_up_viewer_key_reaches_the_player_and_the_docs(made_up_tables):
    from visualizer import reference

    part = viewer_payload(Scene.from_query(LINK).viewer)
    names = [k["name"] for k in part["keys"]]
    assert names[names.index("speed") + 1] == "made_up"
    assert part["keys"][names.index("made_up")] == {"name": "made_up", "kind": "choice", "default": "off",
                                                     "writer": "player", "values": ["off", "on"],
                                                     "texts": ["off", "on"]}
    assert part["values"]["made_up"] == "on"
    assert "| `made_up` | off, on | off | the player, from what the viewer does | a made-up viewer key |" in \
        reference.viewer_keys()
    docs = (reference.DOCS / "scene-language.md").read_text(encoding="utf-8")
    assert "`made_up`" not in docs and "`made_up`" in reference.render(docs)


def test_the_page_leaves_a_made_up_player_key_to_the_player(made_up_tables, open_url):
    at = open_url(LINK)
    assert not errors(at), errors(at)
    assert viewer(at)["made_up"] == "on" and viewer(at)["present"] is True
    assert "made_up=" not in query(at) and query(at).endswith("&present=1"), query(at)


def test_a_made_up_overlay_and_curve_reach_the_payload(made_up_tables):
    result = simulate(Scene.from_query(LINK))
    on = scene_payload(result, {}, "", inside=True)
    assert on["inside"]["overlays"][-1] == {"kind": "made_up", "label": "made up", "shape": "arrow",
                                            "title": made_up.OVERLAY.title, "factors": ["lr", "graw"], "sign": 1,
                                            "to": None, "from_rule": False, "label_from_rule": False,
                                            "dashed": False, "layer": 4, "adds_to": None, "adds_title": "",
                                            "style": "grad"}
    assert on["curves"][-1]["id"] == "made_up"
    for run, part in zip(result.runs, on["runs"], strict=True):
        assert part["clipped"] == encode_f32(run.clipped), "every array a curve names, in each run's part"
