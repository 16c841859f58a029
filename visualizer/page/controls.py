"""The sidebar: the draft's controls as Streamlit widgets, one run's at a time.

All logic is in `visualizer.page.draft` (no Streamlit there). This module keeps
the draft in `st.session_state.draft`, writes each control's value into its
widget's key before drawing it, and sends every change back through
`draft.apply`. Widgets are drawn from declarations: a surface's knobs, each
run key of the selected run, so a new knob or key needs no code here.
"""

from __future__ import annotations

import math

import streamlit as st

from visualizer.core import surfaces
from visualizer.core.knobs import Choice, Knob, number_text
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.run import (
    CHOICE,
    SWITCH,
    TEXT,
    display_labels,
)
from visualizer.core.scene import MAX_RUNS
from visualizer.core.schedules import SCHEDULES
from visualizer.core.surfaces import FORMULA, NETWORK
from visualizer.page import classroom, explore_panel
from visualizer.page import draft as drafts
from visualizer.page.session import changed as _changed
from visualizer.page.session import current
from visualizer.page.session import do as _do
from visualizer.page.text import plain

MANTISSAS = (1, 1.5, 2, 3, 5, 7)
_SS_DRAFT = "draft"


def log_grid(low: float, high: float, include_zero: bool = False) -> list[float]:
    """Round values 1, 1.5, 2, 3, 5, 7 x 10^k between low and high: a
    log-scale slider's stops."""
    lo = max(low, 1e-16)
    values = [0.0] if include_zero else []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(high)) + 1):
        for m in MANTISSAS:
            v = float(f"{m}e{e}")
            if lo <= v <= high:
                values.append(v)
    return values


def _sync(keys) -> None:
    """Write the draft's values into the widgets about to be drawn, so what
    they show is the draft (a selected run, a clicked start, a rejected
    value put back)."""
    ss = st.session_state
    shown = drafts.values(current())
    for key in keys:
        if key in shown and ss.get(key) != shown[key]:
            ss[key] = shown[key]


# ---------------------------------------------------------------- widgets


def sidebar() -> None:
    """Draw every control of the draft."""
    d = current()
    sb = st.sidebar
    classroom.picker(sb)
    surface = surfaces.SURFACES[d.scene.surface]
    keys = ["surface", "f", "window.on", "window.x0", "window.x1", "window.y0", "window.y1",
            "start.x", "start.y", "steps", "pick", "run.optimizer"]
    keys += [f"surface.{p.name}" for p in surface.params]
    keys += [k for run_key in d.run.keys() for k in (f"run.{run_key.name}", drafts.switch_key(run_key.name))]
    _sync([*keys, *(k + drafts.TYPED for k in keys)])

    _problem(sb, "surface")
    sb.selectbox("Surface", list(surfaces.SURFACES), key="surface", on_change=_changed, args=("surface",),
                 format_func=lambda i: surfaces.SURFACES[i].name,
                 help="Another surface keeps the runs; the start, steps and window become its own.")
    for param in surface.params:
        if isinstance(param, Choice):
            _problem(sb, f"surface.{param.name}")
            sb.selectbox(param.label, list(param.choices), key=f"surface.{param.name}", on_change=_changed,
                         args=(f"surface.{param.name}",), help=param.help)
        else:
            _knob(sb, f"surface.{param.name}", param)
    if surface.kind == FORMULA:
        _formula_box(sb)
    _runs_box(sb, d)
    with sb.expander("Steps and plot window" if surface.kind == NETWORK else "Start, steps and plot window", expanded=False):
        if surface.kind != NETWORK:  # a network's runs all start from its initial weights
            _start_box(st)
        _problem(st, "steps")
        st.number_input("Steps", 1, int(drafts.STEPS.high), step=50, key="steps", on_change=_changed,
                        args=("steps",))
        _window_box(st, d)


def _problem(where, key: str) -> None:
    message = current().problems.get(key)
    if message:
        where.error(plain(message), icon=":material/error:")


def _knob(where, control: str, knob: Knob) -> None:
    """A numeric control: a slider to sweep and a box to type an exact value
    (momentum 0.95, a condition number of 25), kept equal by the draft."""
    _problem(where, control)
    typed = control + drafts.TYPED
    if knob.integer:
        where.number_input(knob.label, int(knob.low), int(knob.high), step=1, key=control, on_change=_changed,
                           args=(control,), help=knob.help)
        return
    slide, box = where.columns([3, 2], vertical_alignment="bottom")
    stops = slider_stops(knob, float(st.session_state[control]))
    if stops:
        slide.select_slider(knob.label, stops, key=control, on_change=_changed, args=(control,),
                            format_func=_short, help=knob.help)
    else:
        slide.slider(knob.label, float(knob.low), float(knob.high), step=_step(knob), key=control,
                     on_change=_changed, args=(control,), format="%g", help=knob.help)
    box.text_input(f"{knob.label}, exact", key=typed, on_change=_changed, args=(typed,),
                   label_visibility="collapsed", help="Type an exact value")


def slider_stops(knob: Knob, value: float) -> list[float]:
    """The stops of a stepped slider (with the current value among them), or
    [] for a plain linear slider."""
    if knob.stops:
        stops = [v for v in knob.stops if knob.contains(v)]
    elif knob.log:
        low, high = knob.sweep or (knob.low, knob.high)
        stops = log_grid(low, high, include_zero=knob.low == 0 and not knob.low_open)
    else:
        return []
    return sorted(set(stops) | {value})


def _short(v: float) -> str:
    # Exact, so a typed value beside a stop (0.01000001 and 0.01) keeps its own label.
    return number_text(v)


def _step(knob: Knob) -> float:
    if knob.high <= 1.0:
        return 0.001
    if knob.high <= 100:
        return 0.01
    return 1.0 if knob.high - knob.low > 200 else 0.1


def _formula_box(sb) -> None:
    from visualizer.core.surfaces.formula import help_text

    _problem(sb, "f")
    sb.text_input("f(x, y) =", key="f", on_change=_changed, args=("f",), max_chars=500,
                  help=help_text() + " In a link, + travels as %2B.")


def _window_box(where, d: drafts.Draft) -> None:
    where.checkbox("Zoom to my own window", key="window.on", on_change=_changed, args=("window.on",))
    if "window" not in d.scene.surface_params:
        return
    for key in ("window.x0", "window.x1", "window.y0", "window.y1"):
        _problem(where, key)
    a, b = where.columns(2)
    for column, key, label in ((a, "window.x0", "x min"), (b, "window.x1", "x max"),
                               (a, "window.y0", "y min"), (b, "window.y1", "y max")):
        column.number_input(label, -1e4, 1e4, key=key, format="%g", on_change=_changed, args=(key,))


def _start_box(sb) -> None:
    _problem(sb, "start.x")
    _problem(sb, "start.y")
    a, b = sb.columns(2)
    a.number_input("Start x", -1e5, 1e5, step=0.1, format="%g", key="start.x", on_change=_changed, args=("start.x",),
                   help="Where every run starts. Or use 'Set start' above the plot and click on the surface.")
    b.number_input("Start y", -1e5, 1e5, step=0.1, format="%g", key="start.y", on_change=_changed, args=("start.y",))


def _runs_box(sb, d: drafts.Draft) -> None:
    sb.subheader("Runs")
    labels = display_labels(d.scene.runs)
    sb.radio("Run shown below", list(range(len(labels))), key="pick", on_change=_changed, args=("pick",),
             format_func=lambda i: f"{i + 1} · {plain(labels[i])}", label_visibility="collapsed")
    a, b, c = sb.columns([2, 1, 1])
    full = len(d.scene.runs) >= MAX_RUNS
    a.button("Add run", icon=":material/add:", key="add", on_click=_do, args=(drafts.add_run,), disabled=full,
             width="stretch", help=f"A new {OPTIMIZERS[drafts.NEW_RUN_OPTIMIZER].name} run (up to {MAX_RUNS} runs)")
    b.button(":material/content_copy:", key="duplicate", on_click=_do, args=(drafts.duplicate_run,),
             disabled=full, width="stretch", help="Duplicate the run shown, to change one thing")
    c.button(":material/delete:", key="remove", on_click=_do, args=(drafts.remove_run,),
             disabled=len(d.scene.runs) <= 1, width="stretch", help="Remove the run shown")
    _run_box(sb, d)


def _run_box(sb, d: drafts.Draft) -> None:
    run = d.run
    on_model = surfaces.SURFACES[d.scene.surface].kind == NETWORK
    opt = OPTIMIZERS[run.optimizer]
    box = sb.container(border=True)
    box.markdown(f"**{d.selected + 1} · {plain(display_labels(d.scene.runs)[d.selected])}**")
    _problem(box, "run.optimizer")
    box.selectbox("Optimizer", list(OPTIMIZERS), key="run.optimizer", on_change=_changed, args=("run.optimizer",),
                  format_func=lambda i: OPTIMIZERS[i].name, help=opt.fixes)
    done_groups = set()
    for key in run.keys():
        control = f"run.{key.name}"
        if key.model_only and not on_model:
            continue  # what a network does with its unlabelled points
        if key.kind == TEXT:
            _problem(box, control)
            box.text_input("Label", key=control, on_change=_changed, args=(control,), max_chars=60,
                           placeholder=run.automatic_label(), help=key.help)
        elif key.kind == CHOICE:
            box.selectbox(key.title, list(key.choices), key=control,
                          on_change=_changed, args=(control,),
                          format_func=lambda i: SCHEDULES[i].name if i in SCHEDULES else i, help=key.help)
        elif key.kind == SWITCH and drafts.GROUPS.get(key.name) == "start" and on_model:
            continue  # every run of a network starts from the same weights
        elif key.kind == SWITCH:
            switch = drafts.switch_key(key.name)
            if switch not in done_groups:
                done_groups.add(switch)
                group = drafts.GROUPS.get(key.name)
                box.checkbox("Own start (x0, y0)" if group == "start" else key.knob.label.replace(" c", ""),
                             key=switch, on_change=_changed, args=(switch,), help=key.knob.help)
            if st.session_state.get(switch):
                _knob(box, control, key.knob)
        else:
            _knob(box, control, key.knob)
    explore_panel.run_controls(box)
