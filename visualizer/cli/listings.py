"""`surfaces` and `optimizers`: what there is, read from the registries and
the key declarations (the same records the parser and the sidebar use)."""

from __future__ import annotations

from visualizer.cli.common import (
    PROG,
    add_listing_command,
    num,
    point,
    print_json,
    table,
)
from visualizer.core import surfaces
from visualizer.core.surfaces import FORMULA


def add_parser(sub) -> None:
    add_listing_command(
        sub, "surfaces", surfaces_command,
        help="list the surfaces: ids, windows, minima, default start and steps, parameters",
        description="List every surface id with its window, minima, default start and steps and parameters.",
        epilog=f"example:\n  {PROG} surfaces --json | python -c 'import json,sys; "
               "print([s[\"id\"] for s in json.load(sys.stdin)[\"surfaces\"]])'")
    add_listing_command(
        sub, "optimizers", optimizers_command,
        help="list the optimizers, their hyperparameters and ranges, schedules and run keys",
        description="List every optimizer id (with its optax equivalent, hyperparameters, defaults and "
                    "ranges), every schedule, and the run-level keys.",
        epilog=f"example:\n  {PROG} optimizers --json")


# ---------------------------------------------------------------- surfaces


def surfaces_listing() -> list[dict]:
    """Every surface as plain values (`custom`, the formula, last)."""
    from visualizer.core.surfaces.formula import vocabulary

    rows = []
    for s in surfaces.SURFACES.values():
        row = {
            "id": s.id,
            "name": s.name,
            "latex": s.latex,
            "window": [list(s.window[0]), list(s.window[1])],
            "minima": [[float(x), float(y)] for x, y in s.minima],
            "saddles": [[float(x), float(y)] for x, y in s.saddles],
            "min_value": s.min_value,
            "start": [float(v) for v in s.start],
            "steps": s.steps,
            "params": [p.describe() for p in s.params],
            "runs": list(s.runs),
            "log_scale": s.log_scale,
            "note": s.note,
        }
        if s.kind == FORMULA:
            row["formula"] = {"key": "f", "default": surfaces.CUSTOM_DEFAULT_FORMULA, **vocabulary(),
                              "encoding": "a + in the formula travels as %2B in a query"}
        rows.append(row)
    return rows


def surfaces_command(args) -> int:
    from visualizer.core.surfaces.formula import help_text

    rows = surfaces_listing()
    if args.json:
        print_json({"surfaces": rows, "surface_keys": {
            "window": "every surface also takes window=xmin,xmax,ymin,ymax (the plot window), "
                      "e.g. surface=beale:window=-5,5,-5,5"}})
        return 0
    cells = []
    for r in rows:
        minima = [point(p) for p in r["minima"]] or ["unknown"]
        minima += ["saddle " + point(p) for p in r["saddles"]]
        params = [f"{p['name']}={p['default']} in {{{', '.join(p['choices'])}}}" if "choices" in p
                  else f"{p['name']}={num(p['default'])} in [{num(p['range'][0])}, {num(p['range'][1])}]"
                  for p in r["params"]]
        if "formula" in r:
            params = ["f=<formula> (see below)"]
        (x0, x1), (y0, y1) = r["window"]
        cells.append([
            r["id"], r["name"], f"[{num(x0)}, {num(x1)}] x [{num(y0)}, {num(y1)}]",
            minima, "?" if r["min_value"] is None else f"{r['min_value']:.7g}",
            point(r["start"]), str(r["steps"]), params or ["-"],
        ])
    out = [table(["id", "name", "window (x) x (y)", "minima", "f(min)", "start", "steps", "params"], cells)]
    default = surfaces.CUSTOM_DEFAULT_FORMULA.replace("+", "%2B")
    out += [
        "",
        f"custom: surface=custom&f=<formula in x and y>, e.g. f={default}",
        "  " + help_text(),
        "  Write + as %2B (a bare + in a query is a space). Minima are unknown (estimated numerically).",
        "every surface also takes window=xmin,xmax,ymin,ymax, e.g. surface=quadratic:cond=25,window=-4,4,-3,3",
    ]
    print("\n".join(out))
    return 0


# ---------------------------------------------------------------- optimizers


def run_keys() -> list[dict]:
    """The keys every run takes besides its optimizer's own and its schedule's."""
    from visualizer.core.run import LR_KEY, SCHEDULE_KEY, SETTINGS

    lr = {**LR_KEY.describe(), "default": "per optimizer (lr_default)"}
    return [lr, SCHEDULE_KEY.describe(), *(k.describe() for k in SETTINGS)]


def scene_keys() -> list[dict]:
    from visualizer.core.scene import SCENE_KEYS

    return [{"name": k.name, "default": k.default, "help": k.help, "repeat": k.repeat} for k in SCENE_KEYS]


def optimizers_listing() -> dict:
    from visualizer.core.optimizers import OPTIMIZERS
    from visualizer.core.schedules import SCHEDULES

    return {
        "optimizers": [{
            "id": o.id,
            "name": o.name,
            "optax": o.optax,
            "lr_default": o.lr,
            "hypers": [h.describe() for h in o.hypers],
            "rule": o.rule,
            "fixes": o.fixes,
        } for o in OPTIMIZERS.values()],
        "schedules": [{
            "id": s.id,
            "name": s.name,
            "optax": s.optax,
            "params": [p.describe() for p in s.params],
            "latex": s.latex,
        } for s in SCHEDULES.values()],
        "run_keys": run_keys(),
        "scene_keys": scene_keys(),
    }


def optimizers_command(args) -> int:
    listing = optimizers_listing()
    if args.json:
        print_json(listing)
        return 0
    out = ["optimizers (run=<id>:lr=...,<hyperparameter>=...)"]
    out.append(table(
        ["id", "name", "optax", "lr default", "hyperparameters (default, allowed)"],
        [[o["id"], o["name"], o["optax"], num(o["lr_default"]), [_knob_cell(h) for h in o["hypers"]] or ["-"]]
         for o in listing["optimizers"]]))
    out += ["", "schedules (run=<id>:schedule=<id>,<parameter>=...)"]
    out.append(table(
        ["id", "name", "optax", "parameters (default, allowed)"],
        [[s["id"], s["name"], s["optax"], [_knob_cell(p) for p in s["params"]] or ["-"]]
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
        default = "off" if default is None else (default or "none") if isinstance(default, str) else num(default)
        rows.append([k["name"], default, allowed, k.get("help", "")])
    out.append(table(["key", "default", "allowed", "meaning"], rows))
    out += ["", "scene keys"]
    out.append(table(["key", "default", "meaning"],
                     [[k["name"], k["default"], k["help"]] for k in listing["scene_keys"]]))
    print("\n".join(out))
    return 0


def _knob_cell(h: dict) -> str:
    return f"{h['name']}={num(h['default'])} {_interval(h)}"


def _interval(h: dict) -> str:
    low, high = h["range"]
    return f"{'(' if h.get('low_open') else '['}{num(low)}, {num(high)}]"
