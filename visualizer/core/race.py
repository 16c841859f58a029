"""A fair race (`explore=race[:budget=K,keys=lr|all,tol=T]`): every run's
optimizer gets the same K random trials of its learning rate (keys=all:
and of its other continuous hyperparameters), all run at once; each run
is then shown at its best trial, and each optimizer's tuning cost is its
expected best final loss after k trials, k = 1..K (Sivaprasad et al.,
"Optimizer benchmarking needs to account for hyperparameter tuning",
ICML 2020): what a comparison of optimizers at their best leaves out.

The trials are drawn from one seed (`SEED`), per key, so two optimizers
that share a key (lr; b1 for Adam and NAdam) try the same values of it:
a learning rate log-uniformly over 1e-5 .. 10 (lr's sweep), a decay rate
with 1 - value log-uniform over 1e-5 .. 1, another log-scaled value
log-uniformly and a linear one uniformly over its range. A trial that
diverged counts as the worst: its final loss is taken as the largest of
f at the start and every final loss of the race (so that every expected
value stays a number).

Each run's trials are one vmapped call of the explorations' compiled
program, a program per optimizer: `visualizer.core.exploration` runs them
(`explore(scene)`) and this module says which trials there are (`trials`)
and what came of them (`tally`).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
from dataclasses import dataclass

import numpy as np

from visualizer.core.errors import SceneError
from visualizer.core.knobs import Knob
from visualizer.core.optimizers import LR, OPTIMIZERS
from visualizer.core.optimizers.optimizer import DECAY_STOPS
from visualizer.core.results import json_numbers
from visualizer.core.scene import Scene
from visualizer.core.variants import BUDGET

SEED = 0
DECAY_FLOOR = 1e-5  # a decay rate's 1 - value is drawn log-uniformly from here to 1


@dataclass(frozen=True, eq=False)
class RunRace:
    """One run's trials: `values` (key -> (K,)), and per trial its final
    loss (NaN where it diverged) and where it diverged (-1: never)."""

    run: int  # 0-based
    values: dict
    final_loss: np.ndarray
    diverged_at: np.ndarray
    best: int  # the best trial
    best_after_k: np.ndarray  # (K,)

    def best_values(self) -> dict:
        return {key: float(v[self.best]) for key, v in self.values.items()}


@dataclass(frozen=True, eq=False)
class Race:
    """What `explore(scene)` returns for a race; `to_dict()` is the JSON of docs/explore.md."""

    scene: Scene
    budget: int
    keys: str
    tol: float
    runs: tuple[RunRace, ...]
    worst: float  # the loss a diverged trial counts as

    kind = "race"

    def best_scene(self) -> Scene:
        """The scene with each run at its best trial (without the race)."""
        runs = tuple(run.replace(**r.best_values()) for run, r in zip(self.scene.runs, self.runs, strict=True))
        return self.scene.replace(runs=runs, explore=None)

    def to_dict(self) -> dict:
        return {
            "scene": self.scene.to_query(),
            "explore": {
                "kind": "race", "budget": self.budget, "keys": self.keys, "tol": self.tol,
                "runs": [{
                    "run": r.run + 1,
                    "optimizer": self.scene.runs[r.run].optimizer,
                    "trials": _trials(r),
                    "best": r.best_values(),
                    "best_after_k": json_numbers(r.best_after_k),
                } for r in self.runs],
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    def to_csv(self) -> str:
        """One row per run and trial: run, optimizer, trial, each key any run
        varies (empty where a run has no such key), final_loss, diverged_at."""
        keys = list(dict.fromkeys(key for r in self.runs for key in r.values))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["run", "optimizer", "trial", *keys, "final_loss", "diverged_at"])
        for r in self.runs:
            for i in range(self.budget):
                loss = r.final_loss[i]
                writer.writerow([r.run + 1, self.scene.runs[r.run].optimizer, i + 1,
                                 *(repr(float(r.values[k][i])) if k in r.values else "" for k in keys),
                                 "" if math.isnan(loss) else repr(float(loss)),
                                 "" if r.diverged_at[i] < 0 else int(r.diverged_at[i])])
        return out.getvalue()


def _trials(r: RunRace) -> list[dict]:
    """A run's trials as to_dict writes them, each column converted at once."""
    values = {key: np.asarray(v, np.float64).tolist() for key, v in r.values.items()}
    losses = json_numbers(r.final_loss)
    diverged = [None if d < 0 else d for d in np.asarray(r.diverged_at).tolist()]
    return [{"values": {key: v[i] for key, v in values.items()}, "final_loss": loss, "diverged_at": at}
            for i, (loss, at) in enumerate(zip(losses, diverged, strict=True))]


def trial_keys(run, keys: str) -> dict[str, Knob]:
    """The keys a run's trials vary: lr, and with keys=all its optimizer's
    continuous hyperparameters."""
    out = {"lr": LR}
    if keys == "all":
        opt = OPTIMIZERS[run.optimizer]
        out.update({h.name: h for h in opt.hypers if h.name not in opt.static and not h.integer})
    return out


def draws(name: str, knob: Knob, budget: int) -> np.ndarray:
    """`budget` values of one key, the same for every optimizer that has
    it: from one generator per key name, seeded by SEED and the name."""
    rng = np.random.default_rng([SEED, *name.encode()])
    u = rng.random(budget)
    if knob.stops == DECAY_STOPS:  # a decay rate: 1 - value spans decades
        values = 1 - _significant(np.exp(np.log(DECAY_FLOOR) * (1 - u)))
    else:
        low, high = knob.sweep if knob.sweep else (knob.low, knob.high)
        if knob.log:
            low = max(low, high * 1e-9)
            values = _significant(np.exp(np.log(low) + u * (np.log(high) - np.log(low))))
        else:
            values = _significant(low + u * (high - low))
    return np.clip(values, knob.low, knob.high)


def _significant(values: np.ndarray) -> np.ndarray:
    """Three significant digits: a trial's value reads in a link and a legend."""
    return np.array([float(f"{v:.3g}") for v in values])


def expected_best(losses: np.ndarray) -> np.ndarray:
    """E[min of k trials drawn without replacement], k = 1..K, from the K
    losses: the i-th smallest is the minimum of a k-subset with probability
    C(K - i, k - 1) / C(K, k) (i from 1)."""
    ordered = np.sort(np.asarray(losses, np.float64))
    return _minimum_weights(len(ordered)) @ ordered


@functools.cache
def _minimum_weights(budget: int) -> np.ndarray:
    """(K, K): row k - 1 holds, for each i, the chance that the i-th
    smallest of K is the minimum of a random k-subset."""
    out = np.empty((budget, budget))
    for k in range(1, budget + 1):
        out[k - 1] = [math.comb(budget - i, k - 1) / math.comb(budget, k) for i in range(1, budget + 1)]
    out.setflags(write=False)
    return out


def trials(scene: Scene) -> list[dict]:
    """Each run's trials: key -> (K,) values, K the scene's budget."""
    budget = scene.explore.params.get("budget", BUDGET.default)
    keys = scene.explore.params.get("keys", "lr")
    return [{name: draws(name, knob, budget) for name, knob in trial_keys(run, keys).items()} for run in scene.runs]


def tally(scene: Scene, tol: float, values: list[dict], outcomes: list) -> Race:
    """The race of `scene` from each run's trial `values` and their
    outcomes (`exploration.Outcomes`, a row per trial); SceneError where a
    run's start is not finite."""
    for outcome in outcomes:
        if outcome.bad_start.any():
            x, y = (float(v) for v in outcome.final_xy[np.argmax(outcome.bad_start)])
            raise SceneError(f"start: the surface is not finite at ({x:g}, {y:g}); choose another start", "start")
    surface = scene.resolved_surface()
    starts = [float(surface.fn(*scene.start_of(run), **scene.surface_values())) for run in scene.runs]
    finite = [v for o in outcomes for v in o.final_loss[~np.isnan(o.final_loss)].tolist()]
    worst = max([*starts, *finite])
    runs = []
    for i, (trial_values, outcome) in enumerate(zip(values, outcomes, strict=True)):
        counted = np.where(np.isnan(outcome.final_loss), worst, outcome.final_loss.astype(np.float64))
        runs.append(RunRace(i, trial_values, outcome.final_loss, outcome.diverged_at, int(np.argmin(counted)),
                            expected_best(counted)))
    budget = scene.explore.params.get("budget", BUDGET.default)
    return Race(scene, budget, scene.explore.params.get("keys", "lr"), tol, tuple(runs), worst)
