"""The side charts' curves, declared once: each panel beside the plot, the
runs' arrays it draws and how it reads.

A `Curve` is one panel, top to bottom in the table's order: its title's
forms from the longest (the player takes the first that fits), the runs'
arrays it draws (`Series`: a field of the results, the same name in each
run's payload part, where `runs_payload` puts every array a series names),
its axis, and what reads well for its values (a floor for values that
reach 0, a loss below 0 drawn from its minimum, an axis that stops some
decades above the runs' starts or under its top, the runs' constant
values as ticks, a run setting drawn as a dashed level). When the side
column cannot hold every panel, the lowest ranks show, a panel that tells
something in this scene (a run draws its level, its values move) taking
`rank_telling`. The player gets the table in the payload (`curves`) and
builds the panels, the traces, the cursor's dots and the readout from it,
so a curve declared here is drawn with no JavaScript, as long as it keeps
to these options.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

LOG = "log"  # a log axis (values at or below 0: gaps, or the floor)
PERCENT = "percent"  # fractions, as percent, up to 100%
LEVEL = "level"  # telling: a run draws the panel's level
MOVES = "moves"  # telling: a run's values are not one constant
NEAR = "near"  # telling: a run's first series comes within half of its dashed one (a sharpness near its limit)


@dataclass(frozen=True)
class Series:
    key: str  # the array: a field of the results (RunResult) and of a run's payload part
    id: str  # its traces' name (the readout, the test hooks)
    name: str  # a value's name in the readout: "step 12: |g| 0.3"
    dash: bool = False  # a second series of a panel: dashed, and left out where a run has no values
    sparse: bool = False  # values only every few steps (NaN between): drawn as one line through them
    # (dashed) a limit the first series is read against: drawn over a halo, so it shows where the first swings
    # across it, and in the axis's range unless far above the first (a decaying rate's 2/lr: off the top)
    limit: bool = False


@dataclass(frozen=True)
class Level:
    key: str  # a run setting (visualizer.core.run.Run), drawn as a dashed level where it is set
    id: str  # its traces' name
    titles: tuple[str, ...]  # the panel's title forms where a run draws it


@dataclass(frozen=True)
class Curve:
    id: str  # the panel's name
    titles: tuple[str, ...]  # longest first
    series: tuple[Series, ...]
    rank: int  # lowest shown first when not every panel fits
    axis: str = LOG
    floor: bool = False  # values at or below 0 drawn at a floor a decade under the smallest positive one, and said so
    below_zero_titles: tuple[str, ...] = ()  # a loss below 0: drawn as loss - min ({min} in a title: that min)
    start_decades: float | None = None  # the axis stops this many decades over the largest first value
    decades: float | None = None  # the axis spans at most this many decades under its top
    constant_ticks: bool = False  # the runs' constant values are ticks (at most 4)
    linear_titles: tuple[str, ...] = ()  # no positive value: a linear axis from 0, with these titles
    level: Level | None = None
    telling: str | None = None  # LEVEL or MOVES: when this scene's panel tells something...
    rank_telling: int | None = None  # ...its rank
    optional: bool = False  # shown only where a run has values for it

    def __post_init__(self):
        if self.axis not in (LOG, PERCENT):
            raise ValueError(f"{self.id}: axis must be {LOG!r} or {PERCENT!r}, got {self.axis!r}")
        if (self.telling is None) != (self.rank_telling is None):
            raise ValueError(f"{self.id}: telling and rank_telling go together")
        if self.telling == LEVEL and self.level is None:
            raise ValueError(f"{self.id}: telling by its level needs a level")
        if self.telling == NEAR and not (len(self.series) == 2 and self.series[1].dash):
            raise ValueError(f"{self.id}: telling by nearness needs a dashed second series to be near")

    def describe(self) -> dict:
        """The entry as the player reads it (visualizer/page/player.py); an
        option that is off (None, False, empty) is left out."""
        return _without_off(asdict(self))


def _without_off(value):
    if isinstance(value, dict):
        return {k: _without_off(v) for k, v in value.items() if not _off(v)}
    if isinstance(value, list | tuple):
        return [_without_off(v) for v in value]
    return value


def _off(value) -> bool:
    return value is None or value is False or (isinstance(value, str | list | tuple) and not value)


CURVES: tuple[Curve, ...] = (
    Curve("loss", ("loss (log scale)", "loss (log)", "loss"), (Series("loss", "loss", "loss"),), rank=1,
          floor=True, start_decades=3,
          below_zero_titles=("loss \u2212 min (log scale), min = {min}", "loss \u2212 min (log scale)",
                             "loss \u2212 min (log)", "loss \u2212 min")),
    Curve("acc", ("accuracy \u2014 solid: train, dashed: test", "accuracy (dashed: test)", "accuracy, - - test",
                  "accuracy"),
          (Series("train_accuracy", "acc", "train accuracy"), Series("test_accuracy", "testacc", "test accuracy", True)),
          rank=0, axis=PERCENT, optional=True),
    Curve("lr", ("learning rate (log scale)", "learning rate (log)", "lr (log)"), (Series("lr", "lr", "lr"),),
          rank=5, decades=5, constant_ticks=True, linear_titles=("learning rate", "lr"), telling=MOVES,
          rank_telling=3),
    Curve("grad", ("gradient norm (raw, log scale)", "gradient norm (raw, log)", "grad norm (log)", "|g| (log)"),
          (Series("grad_norm", "grad", "|g|"),), rank=4, floor=True, start_decades=3,
          level=Level("clip_norm", "clip", (
              "gradient norm (raw, log scale) \u2014 dashed: clip_norm", "gradient norm (raw, log) \u2014 dashed: clip_norm",
              "raw gradient norm (log) \u2014 dashed: clip_norm", "raw grad norm (log), dashed: clip",
              "grad norm, dashed: clip", "|g|, dashed: clip")),
          telling=LEVEL, rank_telling=2),
    # The sharpness against the run's stability limit (visualizer.core.sharpness):
    # shown before the others when a run comes near its limit.
    Curve("sharp", ("sharpness: top Hessian eigenvalue (log) \u2014 dashed: stability limit",
                    "sharpness (log) \u2014 dashed: stability limit", "sharpness (log), dashed: limit",
                    "sharpness, - - limit", "sharpness"),
          (Series("sharpness", "sharp", "sharpness", sparse=True),
           Series("sharpness_limit", "sharplimit", "stable below", dash=True, limit=True)),
          rank=6, telling=NEAR, rank_telling=2, optional=True),
    Curve("psharp", ("preconditioned sharpness, top eigenvalue of P\u207b\u00b9H (log) \u2014 dashed: stability limit",
                     "preconditioned sharpness (log) \u2014 dashed: limit", "P\u207b\u00b9H sharpness, - - limit",
                     "P\u207b\u00b9H sharpness"),
          (Series("preconditioned_sharpness", "psharp", "P\u207b\u00b9H sharpness", sparse=True),
           Series("preconditioned_limit", "psharplimit", "stable below", dash=True, limit=True)),
          rank=7, telling=NEAR, rank_telling=2, optional=True),
)


def curves_payload() -> list[dict]:
    """The table, top to bottom, as the payload's `curves`."""
    return [c.describe() for c in CURVES]


def series_keys() -> tuple[str, ...]:
    """Every array the curves draw, once each."""
    return tuple(dict.fromkeys(s.key for c in CURVES for s in c.series))


def level_keys() -> tuple[str, ...]:
    """Every run setting the curves draw as a level."""
    return tuple(dict.fromkeys(c.level.key for c in CURVES if c.level is not None))
