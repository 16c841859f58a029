"""The reference tables in docs/, generated from the registries and the key
declarations, so the docs say what the code does.

    python -m visualizer.reference          # rewrite the generated parts of docs/*.md
    python -m visualizer.reference --check  # exit 1 if any is out of date (a test runs this)

A generated part sits between `<!-- generated: NAME -->` and
`<!-- end generated -->`; everything else in the files is written by hand.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from visualizer.core.surfaces import FORMULA, NETWORK

DOCS = Path(__file__).resolve().parents[1] / "docs"
_BLOCK = re.compile(r"(<!-- generated: (?P<name>[a-z_-]+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _knob(k) -> str:
    from visualizer.core.knobs import Choice, number_text

    if isinstance(k, Choice):
        return f"`{k.name}` = {k.default}, one of {', '.join(k.choices)}"
    left = "(" if k.low_open else "["
    return f"`{k.name}` = {number_text(k.default)}, {left}{number_text(k.low)}, {number_text(k.high)}]"


def scene_keys() -> str:
    """The scene's own keys; the viewer's are the next table."""
    from visualizer.core.scene import SCENE_KEYS
    from visualizer.core.viewer import ViewerKey

    return _table(["key", "value", "default"],
                  [[f"`{k.name}`" + (" (repeatable)" if k.repeat else ""), k.help, k.default] for k in SCENE_KEYS
                   if not isinstance(k, ViewerKey)])


def viewer_keys() -> str:
    """The viewer's keys, in their canonical order, and who writes each."""
    from visualizer.core.scene import viewer_keys
    from visualizer.core.viewer import PLAYER, SERVER

    written = {PLAYER: "the player, from what the viewer does", SERVER: "the page, from the link or its buttons"}
    return _table(["key", "allowed", "default", "written by", "meaning"],
                  [[f"`{k.name}`", k.values.allowed(), k.default, written[k.writer], k.help] for k in viewer_keys()])


def run_keys() -> str:
    from visualizer.core.knobs import number_text
    from visualizer.core.run import (
        CHOICE,
        LR_KEY,
        SCHEDULE_KEY,
        SETTINGS,
        TEXT,
    )

    rows = []
    for k in (LR_KEY, SCHEDULE_KEY, *SETTINGS):
        if k.kind == CHOICE:
            allowed = ", ".join(f"`{c}`" for c in k.choices)
        elif k.kind == TEXT:
            allowed = "plain text, at most 60 characters"
        else:
            allowed = k.knob.allowed()
        if k is LR_KEY:
            default = "per optimizer"
        elif k.default is None:
            default = "off"
        else:
            default = number_text(k.default) if isinstance(k.default, int | float) else (k.default or "none")
        meaning = k.knob.help if k.knob else k.help
        if k.model_only and "surface=mlp" not in meaning:
            meaning += "; only on surface=mlp"
        rows.append([f"`{k.name}`", allowed, default, meaning])
    return _table(["key", "allowed", "default", "meaning"], rows)


def optimizers() -> str:
    from visualizer.core.knobs import number_text
    from visualizer.core.optimizers import OPTIMIZERS

    return _table(["id", "name", "optax", "lr", "hyperparameters (default, allowed)"],
                  [[f"`{o.id}`", o.name, f"`{o.optax}`", number_text(o.lr),
                    "; ".join(_knob(h) for h in o.hypers) or "none"] for o in OPTIMIZERS.values()])


def schedules() -> str:
    from visualizer.core.schedules import SCHEDULES

    return _table(["id", "name", "optax", "parameters (default, allowed)"],
                  [[f"`{s.id}`", s.name, f"`{s.optax}`", "; ".join(_knob(p) for p in s.params) or "none"]
                   for s in SCHEDULES.values()])


def surfaces_table() -> str:
    from visualizer.core import surfaces

    rows = []
    for s in surfaces.SURFACES.values():
        if s.kind == NETWORK:  # a network's loss: its window is the plane's, per result (docs/model.md)
            rows.append([f"`{s.id}`", s.name, "the plane's, from the runs", "none listed (a network's loss)",
                         "unknown", f"the network's initial weights, {s.steps} steps",
                         "see [model.md](model.md): " + ", ".join(f"`{p.name}`" for p in s.params)])
            continue
        (x0, x1), (y0, y1) = s.window
        minima = ", ".join(f"({x:.6g}, {y:.6g})" for x, y in s.minima) or "estimated numerically"
        if s.saddles:
            minima += "; saddles " + ", ".join(f"({x:.6g}, {y:.6g})" for x, y in s.saddles)
        value = "unknown" if s.min_value is None else f"{s.min_value:.7g}"
        params = "; ".join(_knob(p) for p in s.params) or ("`f`: the formula" if s.kind == FORMULA else "none")
        rows.append([f"`{s.id}`", s.name, f"[{x0:g}, {x1:g}] x [{y0:g}, {y1:g}]", minima, value,
                     f"({s.start[0]:g}, {s.start[1]:g}), {s.steps} steps", params])
    return _table(["id", "name", "window", "global minima", "f there", "default start", "parameters"], rows)


def model_keys() -> str:
    """The parameters of the model surface (surface=mlp:...)."""
    from visualizer.core.knobs import Choice, number_text
    from visualizer.core.model.keys import COMPILES, PARAMS

    rows = []
    for p in PARAMS:
        if isinstance(p, Choice):
            allowed, default = ", ".join(f"`{c}`" for c in p.choices), p.default
        else:
            allowed, default = p.allowed(), number_text(p.default)
        rows.append([f"`{p.name}`", allowed, default, p.help, "yes" if p.name in COMPILES else "no"])
    return _table(["key", "allowed", "default", "meaning", "a new value compiles"], rows)


ZERO_INIT_SCENE = "surface=mlp:data={},init=zeros&steps=250&run=adam:lr=0.03"


def zero_init() -> str:
    """What init=zeros does on each data set: the output bias's first
    gradient (float32's rounding of a sum that is exactly 0), and where Adam
    takes that bias (every other weight stays 0), from the engine."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from visualizer.core.engine import simulate
    from visualizer.core.model.data import DATA_SETS, dataset
    from visualizer.core.model.network import Network, initial_weights, loss
    from visualizer.core.model.simulate import weights_path
    from visualizer.core.scene import Scene

    rows = []
    network = Network()
    for data_id in DATA_SETS:
        d = dataset(data_id)
        w0 = jnp.asarray(initial_weights(network, "zeros"))
        g = jax.grad(lambda w, d=d: loss(network, w, d.train_x, d.train_y, jnp.ones_like(d.train_y))[0])(w0)
        g = np.asarray(g)
        scene = Scene.from_query(ZERO_INIT_SCENE.format(data_id))
        result = simulate(scene)
        path = weights_path(scene)
        others = "0" if not np.any(path[:, :-1]) else f"up to {np.max(np.abs(path[:, :-1])):.1g}"
        first = "exactly 0" if g[-1] == 0 else f"{g[-1]:.1g}"
        bias = np.max(np.abs(path[:, -1]))
        rows.append([f"`{data_id}`", first, "exactly 0" if not np.any(g[:-1]) else "not 0",
                     "0" if bias == 0 else f"{bias:.2g}", others,
                     f"{100 * float(result.runs[0].test_accuracy[-1]):g}%"])
    return _table(["`data`", "the output bias's first gradient", "every other weight's", "the output bias along "
                   "250 Adam steps (lr 0.03), at most", "every other weight along them", "test accuracy"], rows)


def formula_words() -> str:
    from visualizer.core.surfaces.formula import (
        MAX_COST,
        MAX_DEPTH,
        MAX_EXPONENT,
        MAX_LENGTH,
        MAX_NODES,
        vocabulary,
    )

    words = vocabulary()
    rows = [[kind, " ".join(f"`{w}`" for w in words[kind])] for kind in ("variables", "constants", "operators",
                                                                          "functions")]
    rows.append(["limits", f"{MAX_LENGTH} characters, nesting depth {MAX_DEPTH}, {MAX_NODES} nodes, "
                           f"constant exponents up to {MAX_EXPONENT:g}, and a compile cost of at most {MAX_COST} "
                           "(an estimate of the operations of its gradient and Hessian: a formula that would keep "
                           "the server compiling for seconds is refused before it compiles)"])
    return _table(["what", "allowed"], rows)


def lessons() -> str:
    """The lessons: a table, then each lesson's words, its question with the
    answer the engine gives, its scene and steps (each with its own)."""
    from visualizer.core.lessons import LESSONS
    from visualizer.core.quiz import lesson_question

    def asks(lesson_id: str, index: int | None) -> str:
        q = lesson_question(lesson_id, index)
        return f"*Asks ({q.kind}):* {q.prompt} *Answer:* {answer_text(q)}. {q.why}"

    out = [_table(["id", "title", "topic", "try this"],
                  [[f"[`{x.id}`](#{x.id})", x.title, x.topic, len(x.steps)] for x in LESSONS.values()])]
    for x in LESSONS.values():
        out += [f'<a id="{x.id}"></a>\n### {x.title} (`lesson={x.id}`)\n', x.text + "\n", asks(x.id, None) + "\n"]
        if x.after:
            out.append(f"*After:* {x.after}\n")
        out += [f"Scene: `{x.scene}`\n", "Try this:\n"]
        for i, step in enumerate(x.steps):
            line = f"{i + 1}. {step.line}: `{step.scene}`"
            if step.question is not None:
                line += f"<br>{asks(x.id, i)}" + (f" *After:* {step.after}." if step.after else "")
            out.append(line)
        out.append("")
    return "\n".join(out)


def answer_text(question) -> str:
    """A question's answer as words: the choice, the point, the runs in
    order, the number."""
    from visualizer.core.questions import coordinate

    if question.kind == "choice":
        return question.choices[question.answer]
    if question.kind == "point":
        return "(" + ", ".join(coordinate(v, question.diagonal) for v in question.answer) + ")"
    if question.kind == "order":
        return ", then ".join(question.choices[run - 1] for run in question.answer)
    return f"{question.answer:.3g}"


def explore_kinds() -> str:
    from visualizer.core.variants import (
        BUDGET,
        KINDS,
        LIMITS,
        PARAMETERS,
        RACE_KEYS,
        RUN,
        TOL,
        VARIES,
    )

    rows = []
    for kind in KINDS:
        spec = f"`{kind}:" + ",".join(f"{p}=.." for p in PARAMETERS[kind]) + "`"
        if kind == "race":
            size = (f"budget: {BUDGET.default:g}; {BUDGET.low:g} to {BUDGET.high:g}; keys: "
                    + " or ".join(RACE_KEYS) + " (lr)")
        else:
            low, high, default = LIMITS[kind]
            size = f"n: {default}; {low} to {high}"
        rows.append([f"`{kind}`", VARIES[kind], spec, size])
    return (_table(["kind", "varies", "parameters (canonical order)", "size: default; limits"], rows)
            + f"\nEvery kind but `race` (every run races): `run` = {RUN.default}, the run to vary "
              f"({RUN.allowed()}); every kind: `tol` = "
              f"{TOL.default:g}, the loss gap above f* that counts as arrived ({TOL.allowed()}).\n")


def explore_axes() -> str:
    """What a map axis can be, from the registries (variants.axis_knobs decides per run)."""
    from visualizer.core import surfaces
    from visualizer.core.optimizers import OPTIMIZERS
    from visualizer.core.run import NUMBER, SETTINGS, SWITCH
    from visualizer.core.schedules import SCHEDULES
    from visualizer.core.variants import NOT_AXES

    def keys(knobs):
        return ", ".join(f"`{k.name}`" for k in knobs)

    fixed = sorted({h.name for o in OPTIMIZERS.values() for h in o.hypers if h.integer or h.name in o.static})
    schedule = {p.name: [s.id for s in SCHEDULES.values() if p.name in {q.name for q in s.params}]
                for s in SCHEDULES.values() for p in s.params if not p.integer}
    settings = [k for k in SETTINGS if k.kind in (NUMBER, SWITCH) and k.name not in NOT_AXES and not k.knob.integer]
    rows = [
        ["the learning rate", "`lr`", ""],
        ["the optimizer's hyperparameters", "each one the run's optimizer has",
         f"not {', '.join(f'`{n}`' for n in fixed)} (whole numbers or array sizes)"],
        ["the schedule's parameters", ", ".join(f"`{n}` ({', '.join(ids)})" for n, ids in schedule.items()),
         "the real-valued ones of the run's schedule"],
        ["the run's settings", keys(k.knob for k in settings),
         "a clip threshold only where the run has it switched on"],
        ["the surface's knobs", ", ".join(f"{keys(s.knobs)} ({s.id})" for s in surfaces.SURFACES.values()
                                          if s.knobs and s.kind != NETWORK), ""],
    ]
    return _table(["what", "keys", "note"], rows)


GENERATORS: dict[str, Callable[[], str]] = {
    "scene-keys": scene_keys,
    "viewer-keys": viewer_keys,
    "run-keys": run_keys,
    "optimizers": optimizers,
    "schedules": schedules,
    "surfaces": surfaces_table,
    "formula": formula_words,
    "model-keys": model_keys,
    "zero-init": zero_init,
    "lessons": lessons,
    "explore-kinds": explore_kinds,
    "explore-axes": explore_axes,
}


def render(text: str) -> str:
    """`text` with every generated part brought up to date."""

    def fill(match: re.Match) -> str:
        name = match["name"]
        if name not in GENERATORS:
            raise KeyError(f"no generator for the generated part {name!r}")
        return match.group(1) + GENERATORS[name]() + match.group(4)

    return _BLOCK.sub(fill, text)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path in sorted(DOCS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            stale.append(path.name)
            if not check:
                path.write_text(new, encoding="utf-8")
    if check and stale:
        print(f"out of date: {', '.join(stale)}; run python -m visualizer.reference", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
