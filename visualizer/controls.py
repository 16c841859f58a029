"""The sidebar: every knob of a scene as a Streamlit widget.

Session state holds the widgets' values under stable keys (`r{id}_lr` for
run `id`); `load_scene` writes a Scene into them and `scene_from_state`
reads them back as a Scene, through the scene language itself, so the page
can only ever produce scenes the parser accepts.
"""

from __future__ import annotations

import math

import streamlit as st

import surfaces
from visualizer.errors import SceneError
from visualizer.optimizers import LR, OPTIMIZERS
from visualizer.panels import plain
from visualizer.scene import CLIP_NORM, MAX_RUNS, MAX_STEPS, NOISE, Run, Scene
from visualizer.schedules import SCHEDULES

SURFACE_IDS = [*surfaces.SURFACES, surfaces.CUSTOM_ID]
MANTISSAS = (1, 1.5, 2, 3, 5, 7)


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


LR_STOPS = log_grid(1e-6, 100.0)
CLIP_STOPS = log_grid(0.01, 1000.0)


def _stops(grid: list[float], current: float) -> list[float]:
    return sorted(set(grid) | {float(current)})


def _fmt(v: float) -> str:
    return f"{v:g}"


# ---------------------------------------------------------------- state


def load_scene(scene: Scene) -> None:
    """Write every value of `scene` into the widgets' session state."""
    ss = st.session_state
    ss.surface = scene.surface
    if scene.surface == "quadratic":
        for p in surfaces.SURFACES["quadratic"].params:
            ss[p.name] = float(scene.surface_params.get(p.name, p.default))
    if scene.surface == surfaces.CUSTOM_ID:
        ss.formula = scene.formula or surfaces.CUSTOM_DEFAULT_FORMULA
        ss.formula_good = ss.formula
    window = scene.surface_params.get("window")
    ss.window_on = window is not None
    (x0, x1), (y0, y1) = window or scene.surface_model().window
    ss.win_x0, ss.win_x1, ss.win_y0, ss.win_y1 = (float(v) for v in (x0, x1, y0, y1))
    ss.window_good = ((ss.win_x0, ss.win_x1), (ss.win_y0, ss.win_y1))
    ss.start_x, ss.start_y = (float(v) for v in scene.start)
    ss.steps = int(scene.steps)
    ss.run_ids = list(range(len(scene.runs)))
    ss.next_run_id = len(scene.runs)
    for rid, run in enumerate(scene.runs):
        _load_run(rid, run)


def _load_run(rid: int, run: Run) -> None:
    ss = st.session_state
    ss[f"r{rid}_label"] = run.label
    ss[f"r{rid}_opt"] = run.optimizer
    ss[f"r{rid}_lr"] = float(run.lr)
    for name, value in run.hyper.items():
        ss[f"r{rid}_h_{name}"] = float(value)
    ss[f"r{rid}_sched"] = run.schedule
    for name, value in run.schedule_params.items():
        ss[f"r{rid}_s_{name}"] = value
    ss[f"r{rid}_clipv_on"] = run.clip_value is not None
    ss[f"r{rid}_clipv"] = float(run.clip_value or 1.0)
    ss[f"r{rid}_clipn_on"] = run.clip_norm is not None
    ss[f"r{rid}_clipn"] = float(run.clip_norm or CLIP_NORM.default)
    ss[f"r{rid}_noise"] = float(run.noise)
    ss[f"r{rid}_seed"] = int(run.seed)


def _run_from_state(rid: int) -> Run:
    ss = st.session_state
    opt = OPTIMIZERS[ss[f"r{rid}_opt"]]
    sched = SCHEDULES[ss.get(f"r{rid}_sched", "constant")]
    return Run(
        optimizer=opt.id,
        lr=float(ss.get(f"r{rid}_lr", opt.lr_default)),
        hyper={h.name: float(ss.get(f"r{rid}_h_{h.name}", h.default)) for h in opt.hypers},
        schedule=sched.id,
        schedule_params={h.name: (int if h.integer else float)(ss.get(f"r{rid}_s_{h.name}", h.default))
                         for h in sched.hypers},
        clip_value=float(ss[f"r{rid}_clipv"]) if ss.get(f"r{rid}_clipv_on") else None,
        clip_norm=float(ss[f"r{rid}_clipn"]) if ss.get(f"r{rid}_clipn_on") else None,
        noise=float(ss.get(f"r{rid}_noise", 0.0)),
        seed=int(ss.get(f"r{rid}_seed", 0)),
        label=str(ss.get(f"r{rid}_label", "")).strip(),
    )


def scene_from_state() -> Scene:
    """The scene the widgets describe, validated by the scene parser."""
    ss = st.session_state
    params: dict = {}
    if ss.surface == "quadratic":
        params = {p.name: float(ss.get(p.name, p.default)) for p in surfaces.SURFACES["quadratic"].params}
    if ss.get("window_on") or ss.surface == surfaces.CUSTOM_ID:
        params["window"] = ss.window_good
    scene = Scene(
        surface=ss.surface,
        surface_params=params,
        formula=ss.get("formula_good") if ss.surface == surfaces.CUSTOM_ID else None,
        start=(float(ss.start_x), float(ss.start_y)),
        steps=int(ss.steps),
        runs=tuple(_run_from_state(rid) for rid in ss.run_ids),
    )
    return Scene.from_query(scene.to_query())


# ---------------------------------------------------------------- callbacks


def _on_surface_change() -> None:
    # A new surface brings its own story: start, steps and runs whose
    # learning rates suit its scale.
    load_scene(Scene.default(st.session_state.surface))


def _add_run() -> None:
    ss = st.session_state
    if len(ss.run_ids) >= MAX_RUNS:
        return
    rid = ss.next_run_id
    ss.next_run_id += 1
    opt = OPTIMIZERS["adam"]
    _load_run(rid, Run(optimizer=opt.id, lr=opt.lr_default, hyper=opt.defaults))
    ss.run_ids = [*ss.run_ids, rid]


def _duplicate_run(rid: int) -> None:
    ss = st.session_state
    if len(ss.run_ids) >= MAX_RUNS:
        return
    new = ss.next_run_id
    ss.next_run_id += 1
    _load_run(new, _run_from_state(rid))
    i = ss.run_ids.index(rid)
    ss.run_ids = [*ss.run_ids[: i + 1], new, *ss.run_ids[i + 1:]]


def _remove_run(rid: int) -> None:
    ss = st.session_state
    if len(ss.run_ids) > 1:
        ss.run_ids = [r for r in ss.run_ids if r != rid]


def _on_optimizer_change(rid: int) -> None:
    ss = st.session_state
    opt = OPTIMIZERS[ss[f"r{rid}_opt"]]
    # A label that names the old optimizer ("SGD", "SGD + clip by norm")
    # would now describe the wrong method: drop it, the automatic one names
    # the new optimizer and its lr.
    label = ss.get(f"r{rid}_label", "").casefold()
    if any(other.name.casefold() in label or other.id in label for other in OPTIMIZERS.values()):
        ss[f"r{rid}_label"] = ""
    ss[f"r{rid}_lr"] = float(opt.lr_default)
    for h in opt.hypers:
        ss[f"r{rid}_h_{h.name}"] = float(h.default)


def _on_schedule_change(rid: int) -> None:
    ss = st.session_state
    for h in SCHEDULES[ss[f"r{rid}_sched"]].hypers:
        ss[f"r{rid}_s_{h.name}"] = h.default


def _on_formula_change() -> None:
    from surfaces.errors import FormulaError
    from surfaces.formula import compile_formula

    ss = st.session_state
    try:
        compile_formula(ss.formula)
    except FormulaError as exc:
        ss.formula_error = str(exc)
        return
    ss.formula_error = ""
    ss.formula_good = ss.formula


def _on_window_change() -> None:
    ss = st.session_state
    x0, x1, y0, y1 = ss.win_x0, ss.win_x1, ss.win_y0, ss.win_y1
    if x0 < x1 and y0 < y1:
        ss.window_good = ((x0, x1), (y0, y1))
        ss.window_error = ""
    else:
        ss.window_error = "The window needs xmin < xmax and ymin < ymax; the last good one is kept."


def _reset_start() -> None:
    ss = st.session_state
    model = Scene(surface=ss.surface, formula=ss.get("formula_good"),
                  surface_params={"window": ss.window_good} if ss.get("window_on") else {}).surface_model()
    ss.start_x, ss.start_y = (float(v) for v in model.start)


# ---------------------------------------------------------------- widgets


def sidebar() -> None:
    """Draw every control. Values land in session state; read them with
    `scene_from_state`."""
    ss = st.session_state
    sb = st.sidebar
    sb.selectbox("Surface", SURFACE_IDS, key="surface", on_change=_on_surface_change,
                 format_func=lambda i: surfaces.SURFACES[i].name if i in surfaces.SURFACES else "Your formula",
                 help="Switching surface loads its own start, steps and runs.")
    if ss.surface == "quadratic":
        q = surfaces.SURFACES["quadratic"]
        cond = q.param("cond")
        sb.select_slider("Condition number κ", _stops(log_grid(cond.low, cond.high), ss.cond), key="cond",
                         format_func=_fmt, help=cond.help)
        angle = q.param("angle")
        sb.slider("Rotation (degrees)", angle.low, angle.high, step=5.0, key="angle", help=angle.help)
    if ss.surface == surfaces.CUSTOM_ID:
        _formula_box(sb)
    _window_box(sb)
    c1, c2 = sb.columns(2)
    c1.number_input("Start x", -1e5, 1e5, step=0.1, format="%g", key="start_x")
    c2.number_input("Start y", -1e5, 1e5, step=0.1, format="%g", key="start_y")
    sb.button("Reset start", on_click=_reset_start, help="Back to this surface's default start. "
              "Or use 'Set start' above the plot and click on the surface.")
    sb.number_input("Steps", 1, MAX_STEPS, step=50, key="steps")
    sb.subheader("Runs")
    for n, rid in enumerate(ss.run_ids, start=1):
        _run_box(sb, n, rid)
    sb.button("Add run", on_click=_add_run, disabled=len(ss.run_ids) >= MAX_RUNS, width="stretch",
              help=f"Up to {MAX_RUNS} runs")


def _formula_box(sb) -> None:
    ss = st.session_state
    ss.setdefault("formula_error", "")
    sb.text_input("f(x, y) =", key="formula", on_change=_on_formula_change, max_chars=500,
                  help="Numbers, x, y, pi, e, + - * / ^ **, parentheses and sin cos tan exp log sqrt "
                       "abs tanh sinh cosh arctan min max.")
    if ss.formula_error:
        sb.error(plain(ss.formula_error), icon=":material/error:")


def _window_box(sb) -> None:
    ss = st.session_state
    ss.setdefault("window_error", "")
    custom = ss.surface == surfaces.CUSTOM_ID
    with sb.expander("Plot window", expanded=custom):
        if not custom:
            st.checkbox("Zoom to my own window", key="window_on")
        a, b = st.columns(2)
        a.number_input("x min", -1e4, 1e4, key="win_x0", format="%g", on_change=_on_window_change)
        b.number_input("x max", -1e4, 1e4, key="win_x1", format="%g", on_change=_on_window_change)
        a.number_input("y min", -1e4, 1e4, key="win_y0", format="%g", on_change=_on_window_change)
        b.number_input("y max", -1e4, 1e4, key="win_y1", format="%g", on_change=_on_window_change)
        if ss.window_error:
            st.error(ss.window_error)


def _run_box(sb, n: int, rid: int) -> None:
    ss = st.session_state
    opt = OPTIMIZERS[ss[f"r{rid}_opt"]]
    title = ss.get(f"r{rid}_label") or f"{opt.name} lr={ss[f'r{rid}_lr']:g}"
    with sb.expander(f"{n}. {plain(title)}", expanded=n <= 3):
        st.text_input("Label", key=f"r{rid}_label", max_chars=60, placeholder=f"{opt.name} lr=…")
        st.selectbox("Optimizer", list(OPTIMIZERS), key=f"r{rid}_opt", on_change=_on_optimizer_change,
                     args=(rid,), format_func=lambda i: OPTIMIZERS[i].name, help=opt.fixes)
        st.select_slider("Learning rate η (log scale)", _stops(LR_STOPS, ss[f"r{rid}_lr"]), key=f"r{rid}_lr",
                         format_func=_fmt, help=LR.help)
        for h in opt.hypers:
            key = f"r{rid}_h_{h.name}"
            ss.setdefault(key, float(h.default))
            if h.log:
                st.select_slider(h.name, _stops(log_grid(h.low, h.high, include_zero=h.low == 0), ss[key]),
                                 key=key, format_func=_fmt, help=h.help)
            else:
                st.slider(h.name, float(h.low), float(h.high), step=_step(h), key=key, format="%g", help=h.help)
        st.selectbox("Schedule", list(SCHEDULES), key=f"r{rid}_sched", on_change=_on_schedule_change,
                     args=(rid,), format_func=lambda i: SCHEDULES[i].name)
        for h in SCHEDULES[ss[f"r{rid}_sched"]].hypers:
            key = f"r{rid}_s_{h.name}"
            ss.setdefault(key, h.default)
            if h.integer:
                st.number_input(h.name, int(h.low), int(h.high), step=10, key=key, help=h.help)
            else:
                st.slider(h.name, float(h.low), float(h.high), step=0.01, key=key, help=h.help)
        st.checkbox("Clip gradient by value", key=f"r{rid}_clipv_on",
                    help="optax.clip: each component of the gradient to [-c, c]")
        if ss[f"r{rid}_clipv_on"]:
            ss.setdefault(f"r{rid}_clipv", 1.0)
            st.select_slider("Clip value c", _stops(CLIP_STOPS, ss[f"r{rid}_clipv"]), key=f"r{rid}_clipv",
                             format_func=_fmt)
        st.checkbox("Clip gradient by norm", key=f"r{rid}_clipn_on",
                    help="optax.clip_by_global_norm: rescale the gradient to norm at most c")
        if ss[f"r{rid}_clipn_on"]:
            ss.setdefault(f"r{rid}_clipn", CLIP_NORM.default)
            st.select_slider("Clip norm c", _stops(CLIP_STOPS, ss[f"r{rid}_clipn"]), key=f"r{rid}_clipn",
                             format_func=_fmt)
        a, b = st.columns(2)
        a.number_input("Gradient noise σ", NOISE.low, NOISE.high, step=0.1, format="%g", key=f"r{rid}_noise",
                       help=NOISE.help)
        b.number_input("Seed", 0, 2**31 - 1, step=1, key=f"r{rid}_seed")
        a, b = st.columns(2)
        a.button("Duplicate", key=f"r{rid}_dup", on_click=_duplicate_run, args=(rid,),
                 disabled=len(ss.run_ids) >= MAX_RUNS, width="stretch")
        b.button("Remove", key=f"r{rid}_del", on_click=_remove_run, args=(rid,),
                 disabled=len(ss.run_ids) <= 1, width="stretch")


def _step(h) -> float:
    if h.high <= 1.0:
        return 0.001
    return 0.01 if h.high <= 100 else 1.0


def pick_start(x: float, y: float) -> None:
    """A start clicked on the plot, rounded to a thousandth of the window so
    the sidebar and the link stay readable."""
    ss = st.session_state
    (x0, x1), (y0, y1) = ss.window_good
    ss.start_x = _round_to(x, (x1 - x0) / 1000)
    ss.start_y = _round_to(y, (y1 - y0) / 1000)


def _round_to(value: float, resolution: float) -> float:
    digits = max(0, -math.floor(math.log10(resolution))) if resolution > 0 else 6
    return round(float(value), digits)


def start_session(query: str) -> list[str]:
    """Load the scene of the address the session opened with; return the
    messages of every key that fell back to its default."""
    from visualizer.scene import parse_lenient

    try:
        scene, errors = parse_lenient(query)
    except SceneError as exc:  # pragma: no cover - parse_lenient reports instead of raising
        scene, errors = Scene.default(), [str(exc)]
    load_scene(scene)
    return errors
