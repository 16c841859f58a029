"""The command line: run a scene, list the surfaces and the optimizers.

    python -m visualizer run "surface=rosenbrock&steps=400&run=adam:lr=0.05"
    python -m visualizer run "http://localhost:8501/?surface=beale" --format csv --out beale.csv
    python -m visualizer surfaces [--json]
    python -m visualizer optimizers [--json]

Exit status: 0 on success; 2 for anything the user can fix (a bad scene, a
bad argument, an --out path that cannot be written), reported as exactly one
line `error: <message>` on stderr; 1 for an unexpected internal failure, also
one line. Never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit

import surfaces
from visualizer.errors import SceneError
from visualizer.hyper import Hyper
from visualizer.optimizers import LR, OPTIMIZERS
from visualizer.scene import CLIP_NORM, CLIP_VALUE, MAX_LABEL_LENGTH, MAX_RUNS, MAX_STEPS, NOISE, SEED, STEPS
from visualizer.schedules import SCHEDULES

PROG = "python -m visualizer"
EXIT_USAGE = 2
EXIT_INTERNAL = 1

# The optax call each optimizer id stands for (SPEC section 2). The registry
# carries no optax name, so it is written out here.
OPTAX_NAMES = {
    "sgd": "optax.sgd(lr)",
    "momentum": "optax.sgd(lr, momentum=momentum)",
    "nesterov": "optax.sgd(lr, momentum=momentum, nesterov=True)",
    "adagrad": "optax.adagrad(lr, initial_accumulator_value=initial_accumulator, eps)",
    "rmsprop": "optax.rmsprop(lr, decay, eps)",
    "adam": "optax.adam(lr, b1, b2, eps)",
    "adamw": "optax.adamw(lr, b1, b2, eps, weight_decay)",
    "nadam": "optax.nadam(lr, b1, b2, eps)",
    "amsgrad": "optax.amsgrad(lr, b1, b2, eps)",
    "adabelief": "optax.adabelief(lr, b1, b2, eps)",
    "adamax": "optax.adamax(lr, b1, b2, eps)",
    "radam": "optax.radam(lr, b1, b2, eps, threshold=threshold)",
    "yogi": "optax.yogi(lr, b1, b2, eps)",
    "lion": "optax.lion(lr, b1, b2, weight_decay)",
    "sign_sgd": "optax.sign_sgd(lr)",
    "adadelta": "optax.adadelta(lr, rho, eps)",
    "newton": "none: x - lr * (H + damping*I)^-1 g, exact Hessian",
}

SCHEDULE_OPTAX = {
    "constant": "lr",
    "step": "optax.exponential_decay(lr, transition_steps=step_size, decay_rate=gamma, staircase=True)",
    "exponential": "optax.exponential_decay(lr, transition_steps=1, decay_rate=gamma)",
    "cosine": "optax.cosine_decay_schedule(lr, decay_steps=steps, alpha=min_ratio)",
    "warmup_cosine": "optax.warmup_cosine_decay_schedule(0, lr, warmup, steps, end_value=lr*min_ratio)",
    "onecycle": "optax.cosine_onecycle_schedule(steps, lr)",
    "cyclic": "triangular between lr*min_ratio and lr, period `period` steps",
}

EPILOG = f"""\
examples:
  {PROG} run "surface=rosenbrock&start=-1.5,2&steps=400&run=sgd:lr=0.001&run=adam:lr=0.05"
  {PROG} run "?surface=quadratic:cond=25,angle=30&run=momentum:lr=0.02,momentum=0.9"
  {PROG} run "http://localhost:8501/?surface=cliff" --format csv --out cliff.csv
  {PROG} run "surface=custom&f=x^2 %2B 3*y^2&run=adam:lr=0.1"
  {PROG} surfaces
  {PROG} optimizers --json

A scene is the query string of the app's address (SPEC section 1): the same
text works in the URL, here and in Python (visualizer.Scene.from_query).
Quote it for the shell (it contains &). A `+` inside a formula travels as
%2B, because a bare `+` in a query means a space.

exit status: 0 ok; 2 bad scene or argument (one line "error: ..." on stderr);
1 unexpected internal error.
"""

RUN_EPILOG = f"""\
The scene may be a query string ("surface=beale&run=adam:lr=0.05"), the same
with a leading "?", or a whole address copied from the app
("http://localhost:8501/?surface=beale&..."). "-" reads it from stdin; an
empty scene ("") is the default scene.

examples:
  {PROG} run "surface=rosenbrock&steps=400&run=sgd:lr=0.001&run=adam:lr=0.05"
  {PROG} run "surface=cliff&run=sgd:lr=0.1&run=sgd:lr=0.1,clip_norm=1" --format csv
  {PROG} run "http://localhost:8501/?surface=himmelblau" --out himmelblau.json

JSON (SPEC section 5): {{"scene", "surface": {{"id", "window", "minima"}},
"runs": [{{"label", "optimizer", "params", "xy", "loss", "lr", "grad_norm",
"diverged_at"}}]}}. CSV: one row per run and point with columns run, label,
optimizer, step, x, y, loss, lr, grad_norm, diverged_at.
"""


class UsageError(Exception):
    """A bad command line; main() prints it as one line and exits 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error raises instead of printing the usage
    block and exiting, so main() can print exactly one line."""

    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Optimizer trajectories on 2D loss surfaces (JAX + optax): run a scene, "
                    "list the surfaces and the optimizers.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    run = sub.add_parser(
        "run", help="simulate a scene and print its trajectories as JSON or CSV",
        description="Simulate every run of a scene and print the result (SPEC section 5).",
        epilog=RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("scene", nargs="?", default="",
                     help='the scene: a query string, "?query", a full app URL, or "-" for stdin '
                          "(default: the default scene)")
    run.add_argument("--format", "-f", choices=("json", "csv"), default=None,
                     help="output format (default: json, or csv when --out ends in .csv)")
    run.add_argument("--out", "-o", metavar="FILE",
                     help='write to FILE instead of stdout ("-" is stdout)')
    run.set_defaults(handler=_cmd_run)

    surf = sub.add_parser(
        "surfaces", help="list the surfaces: ids, windows, minima, default start and steps, parameters",
        description="List every surface id with its window, minima, default start and steps and parameters.",
        epilog=f"example:\n  {PROG} surfaces --json | python -c 'import json,sys; "
               "print([s[\"id\"] for s in json.load(sys.stdin)[\"surfaces\"]])'",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    surf.add_argument("--json", action="store_true", help="machine-readable JSON instead of a table")
    surf.set_defaults(handler=_cmd_surfaces)

    opt = sub.add_parser(
        "optimizers", help="list the optimizers, their hyperparameters and ranges, schedules and run keys",
        description="List every optimizer id (with its optax equivalent, hyperparameters, defaults and "
                    "ranges), every schedule, and the run-level keys.",
        epilog=f"example:\n  {PROG} optimizers --json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    opt.add_argument("--json", action="store_true", help="machine-readable JSON instead of tables")
    opt.set_defaults(handler=_cmd_optimizers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (never raises for a
    user's mistake, never prints a traceback)."""
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except (SceneError, UsageError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else 0
    except BrokenPipeError:
        # `... | head`: the reader has gone. Point stdout at devnull so the
        # interpreter's final flush does not complain either.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:  # noqa: BLE001 - the promise is one line, never a traceback
        return _fail(f"internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL)


def _fail(message: str, code: int) -> int:
    print("error: " + " ".join(str(message).split()), file=sys.stderr)
    return code


# ---------------------------------------------------------------- run


_ADDRESS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def scene_text(text: str) -> str:
    """The query part of what the user gave: a query, "?query", or an
    address copied from the app ("http://host:8501/?query#fragment")."""
    text = text.strip()
    if _ADDRESS.match(text) and "?" not in text:
        return ""  # an address without a query: the default scene
    head, mark, rest = text.partition("?")
    if mark and "=" not in head and "&" not in head:
        # Everything before the first "?" is an address (or nothing), never
        # part of a scene, which always starts with key=value.
        text = urlsplit("http://h/?" + rest).query if head else rest
    return text


def _cmd_run(args) -> int:
    from visualizer.engine import simulate
    from visualizer.scene import Scene

    raw = args.scene
    if raw == "-":
        try:
            raw = sys.stdin.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"scene: cannot read stdin: {exc}") from None
    fmt = args.format or ("csv" if args.out and args.out.lower().endswith(".csv") else "json")
    if args.out and args.out != "-":
        _check_writable(args.out)
    scene = Scene.from_query(scene_text(raw))
    result = simulate(scene)
    text = result.to_csv() if fmt == "csv" else result.to_json() + "\n"
    if args.out and args.out != "-":
        try:
            with open(args.out, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        except OSError as exc:
            raise UsageError(f"--out {args.out}: cannot write: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return 0


def _check_writable(path: str) -> None:
    """Refuse an --out path that cannot be written before the (slow)
    simulation, without creating or truncating anything."""
    if os.path.isdir(path):
        raise UsageError(f"--out {path}: is a directory; give a file name")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"--out {path}: directory {parent} does not exist")
    if os.path.exists(path):
        if not os.access(path, os.W_OK):
            raise UsageError(f"--out {path}: file is not writable")
    elif not os.access(parent, os.W_OK):
        raise UsageError(f"--out {path}: directory {parent} is not writable")


# ---------------------------------------------------------------- surfaces


def surfaces_listing() -> list[dict]:
    """Every surface, `custom` last, as plain values."""
    rows = []
    for s in surfaces.SURFACES.values():
        rows.append({
            "id": s.id,
            "name": s.name,
            "latex": s.latex,
            "window": [list(s.window[0]), list(s.window[1])],
            "minima": [[float(x), float(y)] for x, y in s.minima],
            "saddles": [[float(x), float(y)] for x, y in s.saddles],
            "min_value": s.min_value,
            "start": [float(v) for v in s.start],
            "steps": s.steps,
            "params": [{"name": p.name, "default": p.default, "range": [p.low, p.high], "help": p.help}
                       for p in s.params],
            "runs": list(s.runs),
            "log_scale": s.log_scale,
            "note": s.note,
        })
    custom = surfaces.custom_surface(_default_formula(), surfaces.CUSTOM_DEFAULT_WINDOW)
    rows.append({
        "id": surfaces.CUSTOM_ID,
        "name": custom.name,
        "latex": custom.latex or None,
        "window": [list(custom.window[0]), list(custom.window[1])],
        "minima": [],
        "saddles": [],
        "min_value": None,
        "start": [float(v) for v in custom.start],
        "steps": custom.steps,
        "params": [],
        "runs": list(custom.runs),
        "log_scale": custom.log_scale,
        "note": custom.note,
        "formula": {
            "key": "f",
            "default": surfaces.CUSTOM_DEFAULT_FORMULA,
            "variables": ["x", "y"],
            "constants": ["pi", "e"],
            "operators": ["+", "-", "*", "/", "**", "^", "(", ")"],
            "functions": _formula_functions(),
            "encoding": "a + in the formula travels as %2B in a query",
        },
    })
    return rows


class _NoFormula:
    """Stands in for a compiled formula if the compiler cannot be imported:
    the listing only needs the facts `custom_surface` derives from the window."""

    latex = ""

    @staticmethod
    def fn(x, y):  # pragma: no cover - never evaluated
        raise NotImplementedError


def _default_formula():
    try:
        from surfaces.formula import compile_formula

        return compile_formula(surfaces.CUSTOM_DEFAULT_FORMULA)
    except Exception:  # noqa: BLE001 - the listing must work even if the compiler cannot be imported
        return _NoFormula()


def _formula_functions() -> list[str]:
    try:
        from surfaces.formula import ALIASES, FUNCTIONS
    except Exception:  # noqa: BLE001 - the listing must work even if the compiler cannot be imported
        return ["sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sinh", "cosh", "arctan", "min", "max"]
    return [*FUNCTIONS, *ALIASES]


def _cmd_surfaces(args) -> int:
    rows = surfaces_listing()
    if args.json:
        _print_json({"surfaces": rows, "surface_keys": {
            "window": "every surface also takes window=xmin,xmax,ymin,ymax (the plot window), "
                      "e.g. surface=beale:window=-5,5,-5,5"}})
        return 0
    table = []
    for r in rows:
        minima = [_point(p) for p in r["minima"]] or ["unknown"]
        minima += ["saddle " + _point(p) for p in r["saddles"]]
        params = [f"{p['name']}={_num(p['default'])} in [{_num(p['range'][0])}, {_num(p['range'][1])}]"
                  for p in r["params"]]
        if r["id"] == surfaces.CUSTOM_ID:
            params = ["f=<formula> (see below)"]
        (x0, x1), (y0, y1) = r["window"]
        table.append([
            r["id"], r["name"], f"[{_num(x0)}, {_num(x1)}] x [{_num(y0)}, {_num(y1)}]",
            minima, "?" if r["min_value"] is None else f"{r['min_value']:.7g}",
            _point(r["start"]), str(r["steps"]), params or ["-"],
        ])
    out = [_table(["id", "name", "window (x) x (y)", "minima", "f(min)", "start", "steps", "params"], table)]
    formula = rows[-1]["formula"]
    out.append("")
    out.append(f"custom: surface=custom&f=<formula in x and y>, e.g. f={formula['default'].replace('+', '%2B')}")
    out.append("  numbers, x, y, pi, e, + - * / ** ^ and parentheses; functions: "
               + ", ".join(formula["functions"]) + ".")
    out.append("  Write + as %2B (a bare + in a query is a space). Minima are unknown (estimated by the app).")
    out.append("every surface also takes window=xmin,xmax,ymin,ymax, e.g. surface=quadratic:cond=25,window=-4,4,-3,3")
    print("\n".join(out))
    return 0


# ---------------------------------------------------------------- optimizers


def run_keys() -> list[dict]:
    """The run-level keys every optimizer accepts, besides its own."""
    lr = {**LR.describe(), "default": "per optimizer (lr_default)"}
    clip_value = {**CLIP_VALUE.describe(), "default": None,
                  "help": CLIP_VALUE.help + " (optax.clip); off unless given"}
    clip_norm = {**CLIP_NORM.describe(), "default": None,
                 "help": CLIP_NORM.help + " (optax.clip_by_global_norm); off unless given"}
    schedule = {"name": "schedule", "default": "constant", "choices": list(SCHEDULES),
                "help": "learning-rate schedule; its parameters are run keys too"}
    label = {"name": "label", "default": "", "max_length": MAX_LABEL_LENGTH,
             "help": "plain text shown in legends; percent-encode , : = & + inside it"}
    return [lr, schedule, clip_value, clip_norm, NOISE.describe(), SEED.describe(), label]


def scene_keys() -> list[dict]:
    return [
        {"name": "surface", "default": "rosenbrock", "help": "a surface id, optionally with parameters: "
                                                              "quadratic:cond=25,angle=30"},
        {"name": "f", "default": None, "help": "the formula, only with surface=custom"},
        {"name": "start", "default": "the surface's default start", "help": "x,y"},
        {**STEPS.describe(), "default": "per surface", "range": [STEPS.low, MAX_STEPS]},
        {"name": "run", "default": "the surface's default comparison", "count": [1, MAX_RUNS],
         "help": "repeatable: optimizer[:key=value,...]"},
    ]


def optimizers_listing() -> dict:
    return {
        "optimizers": [{
            "id": o.id,
            "name": o.name,
            "optax": OPTAX_NAMES.get(o.id, f"optax.{o.id}"),
            "lr_default": o.lr_default,
            "hypers": [h.describe() for h in o.hypers],
            "rule": o.rule,
            "fixes": o.fixes,
        } for o in OPTIMIZERS.values()],
        "schedules": [{
            "id": s.id,
            "name": s.name,
            "optax": SCHEDULE_OPTAX.get(s.id, ""),
            "params": [h.describe() for h in s.hypers],
            "latex": s.latex,
        } for s in SCHEDULES.values()],
        "run_keys": run_keys(),
        "scene_keys": scene_keys(),
    }


def _cmd_optimizers(args) -> int:
    listing = optimizers_listing()
    if args.json:
        _print_json(listing)
        return 0
    out = ["optimizers (run=<id>:lr=...,<hyperparameter>=...)"]
    out.append(_table(
        ["id", "name", "optax", "lr default", "hyperparameters (default, allowed)"],
        [[o["id"], o["name"], o["optax"], _num(o["lr_default"]),
          [_hyper_cell(h) for h in o["hypers"]] or ["-"]] for o in listing["optimizers"]]))
    out += ["", "schedules (run=<id>:schedule=<id>,<parameter>=...)"]
    out.append(_table(
        ["id", "name", "optax", "parameters (default, allowed)"],
        [[s["id"], s["name"], s["optax"], [_hyper_cell(h) for h in s["params"]] or ["-"]]
         for s in listing["schedules"]]))
    out += ["", "run keys (any optimizer)"]
    rows = []
    for k in listing["run_keys"]:
        if "range" in k:
            allowed = _interval(k)
        elif "choices" in k:
            allowed = ", ".join(k["choices"])
        else:
            allowed = f"text, at most {k['max_length']} characters"
        default = k["default"]
        default = "off" if default is None else (default or "none") if isinstance(default, str) else _num(default)
        rows.append([k["name"], default, allowed, k.get("help", "")])
    out.append(_table(["key", "default", "allowed", "meaning"], rows))
    out += ["", f"scene keys: surface, f, start=x,y, steps (1 to {MAX_STEPS}), run (1 to {MAX_RUNS}, repeatable); "
                f"see `{PROG} surfaces`"]
    print("\n".join(out))
    return 0


def _hyper_cell(h: dict) -> str:
    return f"{h['name']}={_num(h['default'])} {_interval(h)}"


def _interval(h: dict) -> str:
    low, high = h["range"]
    return f"{'(' if h.get('low_open') else '['}{_num(low)}, {_num(high)}]"


# ---------------------------------------------------------------- output


def _print_json(value) -> None:
    sys.stdout.write(json.dumps(value, indent=2, allow_nan=False, default=_jsonable) + "\n")
    sys.stdout.flush()


def _jsonable(value):
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _num(v) -> str:
    """A number as short as it reads exactly: 0.99999, 1e-08, 2147483647."""
    if isinstance(v, Hyper):
        v = v.default
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _point(p) -> str:
    return "(" + ", ".join(f"{float(v):.6g}" for v in p) + ")"


def _table(header: list[str], rows: list[list]) -> str:
    """A plain-text table; a cell that is a list spans several lines."""
    cells = [[c if isinstance(c, list) else [str(c)] for c in row] for row in rows]
    widths = [len(h) for h in header]
    for row in cells:
        for i, lines in enumerate(row):
            widths[i] = max(widths[i], *(len(line) for line in lines))

    def line(values):
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    for row in cells:
        height = max(len(lines) for lines in row)
        for k in range(height):
            out.append(line([lines[k] if k < len(lines) else "" for lines in row]))
    return "\n".join(out)
