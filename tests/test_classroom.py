"""The classroom in the page, with
Streamlit's AppTest: the lesson picker, the lesson's title, text and steps
beside the player (each step a button and a link), the "Present" link,
presentation mode, and links that are wrong in one key.

As in tests/test_app.py, the scene the page produced is read from the
player component's arguments (its payload's `query` is the address the
browser gets, without the viewer keys the player writes; `viewer` is what
the player opens with), and `open_url` opens the page at an exact
raw query string, the way a browser sends it (AppTest's own `query_params`
percent-encodes `,` `:` `=`).
"""

from __future__ import annotations

import re

import pytest
from apptest_tools import ROOT, errors, new_app, query, run_ok, unescape_md, viewer, viewer_values
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Widget

from visualizer import Scene
from visualizer.core.lessons import LESSONS
from visualizer.page.classroom import FREE_PLAY, step_scene

IDS = ("learning-rate", "lr-sensitivity", "schedules", "momentum", "nesterov", "adaptive", "adamw",
       "normalization", "starts", "clipping", "noise", "newton", "edge-of-stability", "fair-race", "initialization",
       "activations", "labels", "unlabeled", "transfer")
PROBLEM = "The link has a problem: "


@pytest.fixture(autouse=True)
def _repo_root_cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.fixture
def app() -> AppTest:
    return run_ok(new_app())


# ---------------------------------------------------------------- reading the page


def address_of(scene: Scene) -> str:
    """What the payload's query holds for `scene` (page.address): the viewer
    keys the player owns (view, step, speed, hide) left out."""
    v = scene.viewer
    return scene.replace(viewer=type(v)(present=v.present, autoplay=v.autoplay, loop=v.loop)).to_query()


def markdowns(at: AppTest) -> list[str]:
    return [unescape_md(m.value) for m in at.main.markdown]


def step_buttons(at: AppTest) -> list[tuple[str, str]]:
    return [(b.key, b.label) for b in at.main.button if b.key and b.key.startswith("step")]


def step_links(at: AppTest) -> list[str]:
    """The targets of the "Links to the steps" caption, in order."""
    (caption,) = [c.value for c in at.main.caption if c.value.startswith("Links to the steps")]
    return re.findall(r"\]\((\?[^)]*)\)", caption)


def link_buttons(at: AppTest) -> dict[str, str]:
    return {b.proto.label: b.proto.url for b in at.get("link_button")}


def shows_lesson(at: AppTest, lesson_id: str) -> None:
    """The lesson's panel: its title, its text and one button per step,
    labelled with the step's number and line."""
    lesson = LESSONS[lesson_id]
    texts = markdowns(at)
    assert f"### {lesson.title}" in texts, texts[:4]
    assert lesson.text in texts
    assert "**Try this**" in texts
    assert step_buttons(at) == [(f"step{i}", f"{i + 1} · {s.line}") for i, s in enumerate(lesson.steps)]


def shows_no_lesson(at: AppTest) -> None:
    assert step_buttons(at) == []
    assert not [c for c in at.main.caption if c.value.startswith("Links to the steps")]


# ---------------------------------------------------------------- the picker


def test_the_picker_lists_every_lesson_and_free_play(app):
    picker = app.sidebar.selectbox("lesson")
    assert picker.value == FREE_PLAY
    assert picker.options == ["None: free play", *(LESSONS[i].title for i in IDS)]
    assert tuple(LESSONS) == IDS
    shows_no_lesson(app)


def test_picking_a_lesson_loads_its_scene_and_shows_its_panel(app):
    app.sidebar.selectbox("lesson").set_value("momentum")
    run_ok(app)
    own = Scene.from_query("lesson=momentum")
    assert query(app) == address_of(own)
    assert viewer(app)["present"] is False
    shows_lesson(app, "momentum")
    assert app.sidebar.selectbox("lesson").value == "momentum"
    assert not errors(app)
    # another lesson replaces it: scene and panel
    app.sidebar.selectbox("lesson").set_value("newton")
    run_ok(app)
    assert query(app) == address_of(Scene.from_query("lesson=newton"))
    shows_lesson(app, "newton")
    # free play keeps the scene on the screen, without the lesson
    app.sidebar.selectbox("lesson").set_value(FREE_PLAY)
    run_ok(app)
    assert query(app) == address_of(Scene.from_query("lesson=newton").replace(lesson=None))
    assert "lesson=" not in query(app)
    shows_no_lesson(app)
    assert app.sidebar.selectbox("lesson").value == FREE_PLAY
    assert "### Optimizer trajectories" in markdowns(app), "the page's own title is back"
    assert link_buttons(app)["Present"] == "?" + Scene.from_query(query(app)).to_query() + "&present=1&autoplay=1"
    assert not errors(app)


def test_a_lesson_link_opens_the_lesson(open_url):
    at = open_url("lesson=clipping")
    assert query(at) == address_of(Scene.from_query("lesson=clipping"))
    shows_lesson(at, "clipping")
    assert at.sidebar.selectbox("lesson").value == "clipping"


# ---------------------------------------------------------------- steps


def test_a_step_button_opens_that_steps_scene_and_the_lesson_stays(open_url):
    at = open_url("lesson=momentum")
    before = query(at)
    for index in (1, 3):
        at.button(f"step{index}").click()
        run_ok(at)
        expected = step_scene(LESSONS["momentum"], index)
        assert query(at) == address_of(expected), f"step {index + 1}"
        assert query(at) != before
        assert Scene.from_query(query(at)).lesson == "momentum"
        shows_lesson(at, "momentum")
        assert at.sidebar.selectbox("lesson").value == "momentum"
        assert not errors(at)


def test_a_step_that_opens_a_view_opens_it(open_url):
    at = open_url("lesson=clipping")
    at.button("step3").click()  # "The same three runs in 3D"
    run_ok(at)
    assert viewer(at)["view"] == "3d"
    assert query(at) == address_of(step_scene(LESSONS["clipping"], 3))


def test_a_step_that_opens_another_lesson_opens_it(open_url):
    at = open_url("lesson=learning-rate")
    at.button("step3").click()  # "Every rate from 0.001 to 1 at once: the next lesson"
    run_ok(at)
    assert query(at) == address_of(Scene.from_query("lesson=lr-sensitivity"))
    shows_lesson(at, "lr-sensitivity")


@pytest.mark.parametrize("lesson_id", IDS)  # learning-rate and starts: labels with ( ) and %2C
def test_the_step_links_are_the_steps_scenes(open_url, lesson_id):
    at = open_url(f"lesson={lesson_id}")
    lesson = LESSONS[lesson_id]
    links = step_links(at)
    assert len(links) == len(lesson.steps)
    for index, link in enumerate(links):
        assert "(" not in link and ")" not in link, "a parenthesis would end the markdown link"
        assert Scene.from_query(link[1:]) == step_scene(lesson, index), f"step {index + 1}: {link}"


def test_in_presentation_mode_the_step_links_and_buttons_keep_presenting(open_url):
    """A presentation opened with the Present link (present=1&autoplay=1) or
    looping stays one, playing, when a step opens: by its button or link."""
    at = open_url("lesson=nesterov&present=1&autoplay=1&loop=1")
    lesson = LESSONS["nesterov"]
    links = step_links(at)
    assert len(links) == len(lesson.steps)
    for index, link in enumerate(links):
        target = Scene.from_query(link[1:])
        assert (target.viewer.present, target.viewer.autoplay, target.viewer.loop) == (True, True, True), link
        flags_off = target.viewer.replace(present=False, autoplay=False, loop=False)
        assert target.replace(viewer=flags_off) == step_scene(lesson, index)
    at.button("step2").click()
    run_ok(at)
    assert query(at) == address_of(step_scene(lesson, 2)) + "&present=1&autoplay=1&loop=1"
    shown = viewer(at)
    assert (shown["present"], shown["autoplay"], shown["loop"]) == (True, True, True)
    assert not at.sidebar.children, "still no sidebar"
    shows_lesson(at, "nesterov")


# ---------------------------------------------------------------- the Present link and the address


def test_the_present_link_is_the_scene_with_present_and_autoplay(open_url):
    at = open_url("lesson=momentum")
    url = link_buttons(at)["Present"]
    assert url.startswith("?")
    own = Scene.from_query("lesson=momentum")
    assert url == "?" + own.to_query() + "&present=1&autoplay=1"
    assert Scene.from_query(url[1:]) == own.replace(viewer=own.viewer.replace(present=True, autoplay=True))


def test_the_present_link_follows_a_step(open_url):
    at = open_url("lesson=momentum")
    at.button("step0").click()
    run_ok(at)
    step = step_scene(LESSONS["momentum"], 0)
    assert link_buttons(at)["Present"] == "?" + step.to_query() + "&present=1&autoplay=1"


def test_the_viewers_choices_travel_in_the_address(open_url):
    link = "lesson=momentum&view=3d&step=40&speed=2&hide=2&loop=1"
    at = open_url(link)
    assert viewer(at) == viewer_values(view="3d", step=40, speed=2.0, hide=[2], loop=True)
    assert query(at).endswith("&loop=1"), "the player adds view, step, speed and hide to this base"
    shows_lesson(at, "momentum")
    # the Present link keeps every one of them but the step: it plays from the start
    opened = Scene.from_query(link)
    presented = Scene.from_query(link_buttons(at)["Present"][1:])
    assert presented == opened.replace(viewer=opened.viewer.replace(present=True, autoplay=True, step=None))
    assert presented.viewer.view == "3d" and presented.viewer.step is None
    assert presented.viewer.speed == 2 and presented.viewer.hide == (2,)


# ---------------------------------------------------------------- presentation mode


def test_presentation_mode_shows_the_player_and_the_lesson_only(open_url):
    at = open_url("lesson=momentum&present=1&autoplay=1&loop=1")
    shown = viewer(at)
    assert shown["present"] and shown["autoplay"] and shown["loop"]
    assert query(at) == address_of(Scene.from_query("lesson=momentum")) + "&present=1&autoplay=1&loop=1"
    assert not at.sidebar.children, "no sidebar widgets"
    assert not [w for w in at.sidebar if isinstance(w, Widget)]
    shows_lesson(at, "momentum")
    texts = markdowns(at)
    assert "### Optimizer trajectories" not in texts, "the lesson's title is the page's"
    assert not [t for t in texts if t.startswith("| run |")], "no summary table"
    assert not at.get("download_button"), "no downloads"
    assert "Present" not in link_buttons(at)
    assert not at.main.toggle, "no update-rules toggle"
    assert not errors(at)
    (leave,) = [t for t in texts if t.startswith("[Leave presentation]")]
    target = Scene.from_query(re.search(r"\]\(\?([^)]*)\)", leave).group(1))
    assert not target.viewer.present and not target.viewer.autoplay and target.viewer.loop
    assert target.lesson == "momentum"


def test_presentation_mode_without_a_lesson_shows_the_player_only(open_url):
    at = open_url("present=1")
    assert viewer(at)["present"]
    assert not at.sidebar.children
    shows_no_lesson(at)
    assert not at.get("download_button") and "Present" not in link_buttons(at)


# ---------------------------------------------------------------- links that are wrong in one key


def test_an_unknown_lesson_lists_the_lessons_and_keeps_the_default_scene(open_url):
    at = open_url("lesson=nope")
    (error,) = errors(at)
    assert error.startswith(PROBLEM + "lesson: unknown lesson 'nope'; lessons: "), error
    for lesson_id in IDS:
        assert lesson_id in error
    assert query(at) == Scene.default().to_query()
    shows_no_lesson(at)
    assert at.sidebar.selectbox("lesson").value == FREE_PLAY


def test_an_unknown_lesson_loses_none_of_the_other_keys(open_url):
    at = open_url("lesson=nope&surface=saddle&steps=40&run=adam:lr=0.1&loop=1")
    (error,) = errors(at)
    assert error.startswith(PROBLEM + "lesson: unknown lesson 'nope'"), error
    assert query(at) == address_of(Scene.from_query("surface=saddle&steps=40&run=adam:lr=0.1&loop=1"))
    assert viewer(at)["loop"] is True
    shows_no_lesson(at)


def test_an_unknown_lesson_in_presentation_mode(open_url):
    at = open_url("lesson=nope&present=1")
    (error,) = errors(at)
    assert error.startswith(PROBLEM + "lesson: unknown lesson 'nope'"), error
    assert query(at) == Scene.default().to_query() + "&present=1"
    shows_no_lesson(at)


@pytest.mark.parametrize(("raw", "key", "fallback"), [
    ("lesson=newton&steps=abc", "steps", "the lesson's value is used"),
    ("lesson=clipping&steps=20000", "steps", "the lesson's value is used"),
    ("lesson=clipping&run=sgd:lr=-1", "run", "its default is used"),
    ("lesson=adamw&surface=quadratic:cond=0", "surface quadratic", "its default is used"),
])
def test_a_key_that_breaks_a_lesson_is_reported_alone(open_url, raw, key, fallback):
    at = open_url(raw)
    (error,) = errors(at)
    assert re.match(rf"{re.escape(PROBLEM)}{key}( \d+)?: ", error), error  # "run 1: ..." names the run
    if fallback:
        assert error.endswith(f"({fallback})"), error
    lesson_id = raw.split("&")[0].split("=")[1]
    shows_lesson(at, lesson_id)
    shown = Scene.from_query(query(at))  # the page's own address opens without a problem
    assert shown.lesson == lesson_id
    if key == "steps":
        assert shown == Scene.from_query(f"lesson={lesson_id}"), "all of the lesson's scene, steps included"


@pytest.mark.parametrize(("raw", "message", "values"), [
    ("lesson=momentum&step=9999", "step: step='9999' is out of range; allowed: an integer in [0, 150] "
     "(its default is used)", {"step": None}),
    ("lesson=momentum&speed=100", "speed: '100' is not a speed the player offers; allowed: 0.25, 0.5, 1, 2, 4, 8 "
     "(its default is used)", {"speed": 1.0}),
    ("lesson=momentum&hide=9", "hide: hide='9' is out of range; allowed: an integer in [1, 2] "
     "(that run stays shown)", {"hide": []}),
    ("lesson=momentum&hide=1,9", "hide: hide='9' is out of range; allowed: an integer in [1, 2] "
     "(that run stays shown)", {"hide": [1]}),
    ("lesson=momentum&step=abc&speed=2&present=1", "step: step='abc' is not a number; allowed: an integer "
     "in [0, 150] (its default is used)", {"step": None, "speed": 2.0, "present": True}),
])
def test_a_bad_viewer_key_gives_a_message_and_its_default(open_url, raw, message, values):
    at = open_url(raw)
    assert errors(at) == [PROBLEM + message]
    got = viewer(at)
    assert {k: got[k] for k in values} == values
    assert Scene.from_query(query(at)).runs == Scene.from_query("lesson=momentum").runs, "the lesson's runs stay"
    shows_lesson(at, "momentum")


def test_a_surface_beside_a_lesson_replaces_its_surface_and_the_address_reopens_the_same(open_url):
    # The adamw lesson's surface is a formula; a surface that takes none drops
    # the formula with it (no message, and none on every reload after).
    at = open_url("lesson=adamw&surface=quadratic")
    assert errors(at) == []
    scene = Scene.from_query(query(at))
    assert (scene.surface, scene.formula, scene.lesson) == ("quadratic", None, "adamw")
    again = open_url(query(at))
    assert errors(again) == []
    assert query(again) == query(at)
    kept = Scene.from_query("lesson=adamw&surface=custom")  # a formula surface keeps the lesson's formula
    assert kept.formula == Scene.from_query("lesson=adamw").formula
