"""Which variants of a run an exploration makes: the `explore` key.

    explore=lr                                  # run 1's learning rate, lr/1000 to lr*1000, 256 values
    explore=lr:run=2,lo=0.001,hi=1,n=64
    explore=map:x=lr,y=momentum,run=2,n=32      # two values of run 2 on a 32 x 32 grid
    explore=starts:n=128                        # run 1 from every point of a 128 x 128 grid over the window
    explore=race:budget=32,keys=all             # every run's optimizer at the same 32 random trials

`Explore` keeps the parameters as given (so a default such as lr/1000 follows
the run's lr as it changes); `resolve(explore, scene)` turns them into the
axes and values the engine varies, checking every one against the run. The
computation is in `visualizer/core/exploration.py`; docs/explore.md is the reference.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from visualizer.core import surfaces
from visualizer.core.errors import SceneError
from visualizer.core.knobs import FLOAT32_TINY, Knob, show_text
from visualizer.core.run import (
    NUMBER,
    SWITCH,
    atom,
    pairs,
)
from visualizer.core.surfaces import NETWORK

KINDS = ("lr", "map", "starts", "race")
# What a network explores: its learning rate. Its loss is not a function of a point (no map, no starts), and a
# race's trials run in the 2D surfaces' program.
NETWORK_KINDS = ("lr",)
LIMITS = {"lr": (2, 4096, 256), "map": (2, 256, 64), "starts": (2, 512, 128)}  # n: low, high, default
BUDGET = Knob("budget", 32, 2, 256, "K", "random trials per optimizer", integer=True)
RACE_KEYS = ("lr", "all")  # lr alone, or lr and every other continuous hyperparameter of the optimizer
# What each kind varies and the ranges it takes unless given (docs/explore.md shows these).
VARIES = {
    "lr": "the learning rate: n values log-spaced from lo to hi (default lr/1000 to lr*1000, "
          "within lr's allowed range)",
    "map": "two of the run's values, x and y, on an n x n grid (default: each key's allowed range, "
           "log-spaced for the keys that span decades)",
    "starts": "the start, on an n x n grid of cell centres over the plot window",
    "race": "every run's optimizer at the same `budget` random trials of its learning rate (keys=all: and its "
            "other continuous hyperparameters), each run then shown at its best trial",
}
TOL = Knob("tol", 1e-3, 0.0, 1e6, "", "the loss gap above the lowest value that counts as arrived", log=True,
           low_open=True)
RUN = Knob("run", 1, 1, 8, "", "which run (1-based) the exploration varies", integer=True)
# The order the canonical form writes the parameters in.
PARAMETERS = {
    "lr": ("run", "lo", "hi", "n", "tol"),
    "map": ("x", "y", "run", "xlo", "xhi", "ylo", "yhi", "n", "tol"),
    "starts": ("run", "n", "tol"),
    "race": ("budget", "keys", "tol"),
}
# Log-scaled knobs whose range starts at 0 start here instead, as a
# fraction of the top of the range (noise: 1e-5 .. 1e4).
_LOG_FLOOR = 1e-9
NOT_AXES = ("seed", "x0", "y0")  # values of a run that are not an axis: a seed is not continuous; starts vary the start


@dataclass(frozen=True)
class Explore:
    kind: str
    params: Mapping[str, object] = field(default_factory=dict)  # as given

    def spec(self) -> str:
        items = [(k, self.params[k]) for k in PARAMETERS[self.kind] if k in self.params]
        return self.kind + (":" + ",".join(f"{k}={atom(v)}" for k, v in items) if items else "")


@dataclass(frozen=True)
class Axis:
    key: str  # a run key, a surface knob, or "x" / "y" for starts
    values: np.ndarray  # float64, ascending
    scale: str  # "log" or "linear"

    def describe(self) -> dict:
        return {"key": self.key, "values": self.values.tolist(), "scale": self.scale}


@dataclass(frozen=True)
class Resolved:
    """What an exploration computes: `axes` (one for lr, x then y for map
    and starts), the run it varies (0-based), `tol`."""

    kind: str
    run: int
    axes: tuple[Axis, ...]
    tol: float

    @property
    def shape(self) -> tuple[int, ...]:
        """The outcome's shape: (n,) for lr, (ny, nx) for map and starts (a race has its own, per run)."""
        return tuple(len(a.values) for a in reversed(self.axes))


# ---------------------------------------------------------------- parsing


def parse(raw: str) -> Explore:
    """The `explore` value as given; values are checked for form here and
    against the run by `resolve`."""
    from urllib.parse import unquote_plus

    head, _, rest = raw.partition(":")
    kind = unquote_plus(head)
    if kind not in KINDS:
        raise SceneError(f"explore: unknown kind {show_text(kind)}; allowed: {', '.join(KINDS)}", "explore")
    allowed = PARAMETERS[kind]
    params: dict[str, object] = {}
    for name, values in pairs(rest, "explore"):
        if name not in allowed:
            raise SceneError(f"explore {kind}: unknown parameter {show_text(name)}; allowed: {', '.join(allowed)}",
                             "explore")
        if name in params:
            raise SceneError(f"explore {kind}: {name} given twice; give it once", "explore")
        if len(values) != 1:
            raise SceneError(f"explore {kind}: {name} takes one value, got {show_text(','.join(values))}", "explore")
        text = values[0]
        if name in ("x", "y"):
            params[name] = text
        elif name == "budget":
            params[name] = BUDGET.parse(text, f"explore {kind}", "explore")
        elif name == "keys":
            if text not in RACE_KEYS:
                raise SceneError(f"explore race: keys={show_text(text)}; allowed: {', '.join(RACE_KEYS)}", "explore")
            params[name] = text
        elif name == "run":
            params[name] = RUN.parse(text, f"explore {kind}", "explore")
        elif name == "n":
            low, high, _ = LIMITS[kind]
            params[name] = Knob("n", low, low, high, integer=True).parse(text, f"explore {kind}", "explore")
        elif name == "tol":
            params[name] = TOL.parse(text, f"explore {kind}", "explore")
        else:
            params[name] = Knob(name, 0.0, -1e300, 1e300).parse(text, f"explore {kind}", "explore")
    if kind == "map" and not ("x" in params and "y" in params):
        raise SceneError("explore map: needs x=<key>,y=<key>, two values of the run to vary "
                         "(e.g. explore=map:x=lr,y=momentum)", "explore")
    return Explore(kind, params)


def resolve(explore: Explore, scene) -> Resolved:
    """The axes and values of `explore` on `scene`, or a SceneError naming
    what does not fit (a run that does not exist, a key the run does not
    have, the same key twice, a range outside a key's allowed one)."""
    p = explore.params
    kind = explore.kind
    where = f"explore {kind}"
    if kind == "race":
        if surfaces.SURFACES[scene.surface].kind == NETWORK:  # not in NETWORK_KINDS
            raise SceneError(f"{where}: not available on surface={scene.surface}; race on a surface of the catalog "
                             "or a formula", "explore")
        return Resolved(kind, 0, (), float(p.get("tol", TOL.default)))
    number = p.get("run", 1)
    if number > len(scene.runs):
        raise SceneError(f"{where}: run={number} does not exist; this scene has {len(scene.runs)} runs", "explore")
    run = scene.runs[number - 1]
    n = p.get("n", LIMITS[kind][2])
    tol = p.get("tol", TOL.default)
    if surfaces.SURFACES[scene.surface].kind == NETWORK and kind not in NETWORK_KINDS:
        raise SceneError(f"{where}: not available on surface={scene.surface} (a network's loss, not a function "
                         "of x and y): explore=lr is; a map or starts need a surface of the catalog or a formula",
                         "explore")
    if kind == "lr":
        knob = axis_knobs(scene, run)["lr"]
        # lr / 1000 is always allowed (lr > 0); float32 keeps it above 0.
        default_lo = max(run.lr / 1000, FLOAT32_TINY)
        lo, hi = _range(where, "lr", knob, p.get("lo", default_lo), p.get("hi", min(run.lr * 1000, knob.high)))
        axes = (Axis("lr", _spaced(lo, hi, n, log=True), "log"),)
    elif kind == "map":
        if p["x"] == p["y"]:
            raise SceneError(f"{where}: x and y are both {show_text(p['x'])}; give two different keys", "explore")
        knobs = axis_knobs(scene, run)
        axes = []
        for axis in ("x", "y"):
            key = p[axis]
            if key not in knobs:
                raise SceneError(f"{where}: run {number} ({run.optimizer}) has no {show_text(key)} to vary; "
                                 f"allowed: {', '.join(knobs)}", "explore")
            knob = knobs[key]
            low, high = _default_range(knob)
            lo, hi = _range(where, key, knob, p.get(axis + "lo", low), p.get(axis + "hi", high))
            axes.append(Axis(key, _spaced(lo, hi, n, knob.log), "log" if knob.log else "linear"))
        axes = tuple(axes)
    else:
        (x0, x1), (y0, y1) = scene.resolved_surface().window
        axes = (Axis("x", _cells(x0, x1, n), "linear"), Axis("y", _cells(y0, y1, n), "linear"))
    return Resolved(kind, number - 1, axes, float(tol))


def axis_knobs(scene, run) -> dict[str, Knob]:
    """Every continuous value of `run` an exploration may vary, by key: lr,
    its optimizer's hyperparameters and its schedule's real-valued
    parameters, the clip thresholds it has switched on, noise, and the
    surface's own knobs."""
    from visualizer.core.optimizers import OPTIMIZERS

    static = OPTIMIZERS[run.optimizer].static
    out = {}
    for key in run.keys():
        if key.knob is None or key.name in NOT_AXES or key.name in static or key.knob.integer:
            continue
        if key.kind == SWITCH and run.values[key.name] is None:
            continue
        if key.kind in (NUMBER, SWITCH):
            out[key.name] = key.knob
    for knob in surfaces.SURFACES[scene.surface].knobs:
        out[knob.name] = knob
    return out


def _default_range(knob: Knob) -> tuple[float, float]:
    low = knob.low
    if knob.log and low <= 0:
        low = knob.high * _LOG_FLOOR
    elif knob.low_open:
        low = low + (knob.high - low) * 1e-6
    return low, knob.high


def _range(where: str, key: str, knob: Knob, lo: float, hi: float) -> tuple[float, float]:
    if not (knob.contains(lo) and knob.contains(hi)):
        raise SceneError(f"{where}: the range of {key}, {lo:g} to {hi:g}, leaves its allowed values; "
                         f"allowed: {knob.allowed()}", "explore")
    if not lo < hi:
        raise SceneError(f"{where}: the range of {key} needs low < high; got {lo:g} to {hi:g}", "explore")
    if knob.log and lo <= 0:
        raise SceneError(f"{where}: {key} is spaced logarithmically, so its range must start above 0", "explore")
    return float(lo), float(hi)


def _spaced(lo: float, hi: float, n: int, log: bool) -> np.ndarray:
    if not log:
        return np.linspace(lo, hi, n)
    values = np.exp(np.linspace(math.log(lo), math.log(hi), n))
    values[0], values[-1] = lo, hi  # exp(log(v)) can miss v in the last bit; the ends are the ones given
    return values


def _cells(lo: float, hi: float, n: int) -> np.ndarray:
    """Cell centres, so no start sits on the window's edge (or on a symmetry
    axis through its middle when n is even)."""
    return lo + (np.arange(n) + 0.5) * (hi - lo) / n
