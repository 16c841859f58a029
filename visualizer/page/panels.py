"""The parts of the page around the player: what diverged and what to try,
the summary table, the update rules, the surface's note, downloads, share.
"""

from __future__ import annotations

import streamlit as st

from visualizer.core.landmarks import Landmarks
from visualizer.core.optimizers import LR, OPTIMIZERS
from visualizer.core.results import SimulationResult, summarize
from visualizer.core.schedules import SCHEDULES
from visualizer.page import latex
from visualizer.page.text import plain


def divergence_messages(result: SimulationResult) -> None:
    for r in result.runs:
        if r.diverged_at is None:
            continue
        hints = [f"a learning rate below {r.run.lr / 2:g}"]
        if r.run.clip_norm is None:
            hints.append("clipping by norm (clip_norm)")
        if r.run.schedule == "constant":
            hints.append("a warm-up schedule")
        st.warning(
            f"**{plain(r.label)}** diverged at step {r.diverged_at}: the update left the finite region "
            f"(or |x|, |y| > 1e6). Try {', or '.join(hints)}.",
            icon=":material/warning:",
        )


def flow_messages(result: SimulationResult) -> None:
    """Where a run's continuous-time limit (flow=1) stops short of the run,
    and why (`visualizer.core.flow`)."""
    for r in result.runs:
        if r.flow_stops_at is not None:
            st.info(f"**{plain(r.label)}**: its flow stops at step {r.flow_stops_at}: {r.flow_stop}. The run goes "
                    "on; its flow is drawn up to there.", icon=":material/timeline:")


def surface_about(model) -> None:
    """The surface's name, formula and note, full width: a formula as long as
    the quadratic's or Beale's does not fit beside the table on a projector.
    The formula is one left-aligned line per piece its LaTeX marks
    (`latex.display`)."""
    st.markdown(f"**{plain(model.name)}**")
    st.latex(latex.display(model.latex, prefix="f(x, y) ="))
    st.caption(model.note)


def summary_table(result: SimulationResult, marks: Landmarks) -> None:
    """One row per run, measured against the surface's minima (estimates on
    a formula surface); on a network, its accuracies instead.

    A Markdown table, not `st.dataframe` or `st.table`: a handful of rows
    needs no grid (whose code cost a first visit a third of a second) nor a
    DataFrame (5 ms a rerun). Every cell goes through `plain`."""
    rows = summarize(result, marks)
    table = {
        "run": [r["label"] for r in rows],
        "optimizer": [OPTIMIZERS[r["optimizer"]].name for r in rows],
        "final loss": [_show(r["final_loss"], ".4g") for r in rows],
    }
    if result.model is not None:
        table["train accuracy"] = [f"{100 * float(r.train_accuracy[-1]):.1f}%" for r in result.runs]
        table["test accuracy"] = [f"{100 * float(r.test_accuracy[-1]):.1f}%" for r in result.runs]
    else:
        table["distance to nearest minimum"] = [_show(r["distance_to_minimum"], ".3g") for r in rows]
        table["within 0.001 of the minimum from step"] = [_arrival(r) for r in rows]
    table["diverged at step"] = [_show(r["diverged_at"], "d") for r in rows]
    table["clipped steps"] = [_show(r["clipped_steps"], "d") for r in rows]
    st.markdown(markdown_table(table))


def markdown_table(columns: dict[str, list[str]]) -> str:
    """A Markdown table of plain text: every header and cell escaped."""
    head = "| " + " | ".join(plain(c) for c in columns) + " |"
    rule = "|" + "---|" * len(columns)
    body = ["| " + " | ".join(plain(cell) for cell in row) + " |" for row in zip(*columns.values(), strict=True)]
    return "\n".join([head, rule, *body])


def _arrival(row: dict) -> str:
    """When a run arrived and stayed, or that it only passed by."""
    if row["steps_to_tolerance"] is not None:
        return f"{row['steps_to_tolerance']} (and stayed)"
    if row["passed_at"] is not None:
        return f"passed at {row['passed_at']}, left again"
    return "—"


def _show(value, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def update_rules(result: SimulationResult) -> None:
    """Each run's update rule with its own values filled in."""
    seen = set()
    for r in result.runs:
        opt = OPTIMIZERS[r.run.optimizer]
        values = [rf"{LR.symbol} = {r.run.lr:g}"] + [
            rf"{h.symbol} = {r.run.hyper[h.name]:g}" for h in opt.hypers]
        key = (opt.id, tuple(values), r.run.schedule)
        if key in seen:
            continue
        seen.add(key)
        st.markdown(f"**{plain(r.label)}** — {opt.name}")
        st.latex(latex.display(opt.rule))
        line = r",\quad ".join(values)
        if r.run.schedule != "constant":
            line += r",\quad " + SCHEDULES[r.run.schedule].latex
        st.latex(latex.display(line))
        st.caption(opt.fixes)


def downloads(scene, result: SimulationResult, outcomes: bool = True) -> None:
    """The results as data (JSON, CSV) and as pictures for slides (GIF, PNG)
    and a page that plays offline (HTML). Each is made only when clicked.
    Without `outcomes` (a question not answered yet) only the offline page,
    which asks it too."""
    from visualizer import export

    buttons = [
        ("Results (JSON)", result.to_json, "trajectories.json", "application/json", "Every run's points, losses, "
         "learning rates, gradients and optimizer state"),
        ("Results (CSV)", result.to_csv, "trajectories.csv", "text/csv", "The same, one row per run and step"),
        ("Animation (GIF)", lambda: export.gif_bytes(scene, result=result), export.file_name(scene, "gif"),
         export.MIME["gif"], "For slides: the runs moving, 6 s at 15 frames a second"),
        ("Picture (PNG)", lambda: export.png_bytes(scene, result=result), export.file_name(scene, "png"),
         export.MIME["png"], "For slides: the step shown in the link, else the last"),
        ("Offline page (HTML)", lambda: export.html_bytes(scene, result=result), export.file_name(scene, "html"),
         export.MIME["html"], "One file that plays this scene with no network, from a USB stick"),
    ]
    if not outcomes:
        buttons = buttons[-1:]
    for column, (label, data, name, mime, help) in zip(st.columns(len(buttons)), buttons, strict=True):
        column.download_button(label, data=data, file_name=name, mime=mime, on_click="ignore", width="stretch",
                               help=help)
