"""Questions asked before a scene plays: predict, then watch.

A lesson declares what it asks as an `Ask` (which kind of question, about
which runs, in its own words); the engine answers it: `quiz.ask(spec,
scene, result, marks)` reads the answer off the scene's simulated result
(and, for the largest stable learning rate, off an exploration of it),
never off a number typed by hand, and returns a `Question` with the answer
and why. This module is the vocabulary and the grading, pure data: lessons
import it.
`Question.grade(response)` says how close a response is, by the table
`GRADING`, which the player receives too (it grades offline, in the HTML
export).

The four kinds:

- `choice`: one of `choices`; the answer is the right one's index. Either
  "which run ..." (`which(measure)`: the runs' labels are the choices, the
  best by a `MEASURES` entry is right) or what one run does
  (`outcome(run)`: it arrives, never arrives, or diverges; `diverges(run)`:
  yes or no).
- `point`: where run `run` is at step `step` (`where(run, step)`); graded
  by the distance as a fraction of the window's diagonal.
- `order`: the runs ordered by a measure, best first (`order(measure)`),
  as 1-based run numbers; graded by the pairs in the right order.
- `number`: a quantity of `QUANTITIES` (`number(quantity, run)`); graded by
  the relative error.

"Arrives" means one thing everywhere: the loss comes within `TOL` of the
surface's lowest value f* (the first such step), as explorations count it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

TOL = 1e-3  # within this of f*: arrived (explorations' default tol)
KINDS = ("choice", "point", "order", "number")

# How a response is graded: right, close, or wrong. For `point` the distance
# as a fraction of the window's diagonal, for `number` the relative error
# (at most), for `order` the fraction of pairs in the right order (at least).
GRADING = {
    "point": {"right": 0.05, "close": 0.15},
    "number": {"right": 0.10, "close": 0.30},
    "order": {"right": 1.0, "close": 0.5},
}
VERDICTS = ("right", "close", "wrong")


# ---------------------------------------------------------------- what a run did


@dataclass(frozen=True)
class Facts:
    """One run of a result, in the terms questions use."""

    label: str
    xy: np.ndarray  # (points, 2)
    loss: np.ndarray  # (points,)
    arrival: int | None  # the first step within TOL of f*
    diverged_at: int | None
    distance: float | None  # from the last point to the nearest minimum (None: none known)
    test_accuracy: float | None  # at the last point, on a network
    pseudo_label_accuracy: float | None = None  # at the last point, on a network (None: no pseudo-labels)


def facts_of(result, f_star: float, minima) -> list[Facts]:
    minima = np.asarray(minima, np.float64).reshape(-1, 2)
    out = []
    for r in result.runs:
        loss = r.loss.astype(np.float64)
        within = loss - f_star <= TOL
        arrival = int(np.argmax(within)) if r.diverged_at is None and within.any() else None
        final = r.xy[-1].astype(np.float64)
        distance = float(np.min(np.linalg.norm(minima - final, axis=1))) if len(minima) else None
        accuracy = getattr(r, "test_accuracy", None)
        pseudo = getattr(r, "pseudo_label_accuracy", None)
        pseudo = None if pseudo is None or not np.isfinite(pseudo[-1]) else float(pseudo[-1])
        out.append(Facts(r.label, r.xy.astype(np.float64), loss, arrival, r.diverged_at, distance,
                         None if accuracy is None else float(accuracy[-1]), pseudo))
    return out


@dataclass(frozen=True)
class Measure:
    """A way to rank runs: `value(facts)`, smaller is better (None: the
    worst, e.g. never arrived); `best` and `order` phrase it."""

    best: str  # "which run ...?"
    order: str  # "order the runs by ..."
    value: Callable[[Facts], float | None]
    show: Callable[[Facts], str]  # what a run did by this measure, for `why`


def _arrival(f: Facts) -> float | None:
    return None if f.arrival is None else float(f.arrival)


def show_arrival(f: Facts) -> str:
    if f.diverged_at is not None:
        return f"diverges at step {f.diverged_at}"
    return "never arrives" if f.arrival is None else f"arrives at step {f.arrival}"


def _final_loss(f: Facts) -> float | None:
    return None if f.diverged_at is not None else float(f.loss[-1])


def show_loss(f: Facts) -> str:
    return f"diverges at step {f.diverged_at}" if f.diverged_at is not None else f"ends at loss {f.loss[-1]:.3g}"


MEASURES: dict[str, Measure] = {
    "arrival": Measure("arrives first (within 0.001 of the lowest value)", "when they arrive", _arrival,
                       show_arrival),
    "final_loss": Measure("ends lowest", "their final loss", _final_loss, show_loss),
    "distance": Measure("ends closest to a minimum", "how close they end to a minimum",
                        lambda f: None if f.diverged_at is not None else f.distance,
                        lambda f: show_loss(f) if f.diverged_at is not None else f"ends {f.distance:.3g} away"),
    "test_accuracy": Measure("ends with the best test accuracy", "their final test accuracy",
                             lambda f: None if f.test_accuracy is None else -f.test_accuracy,
                             lambda f: f"ends at {100 * f.test_accuracy:.1f}% test accuracy"),
}

# What a `number` question may ask (visualizer.core.quiz computes each).
QUANTITIES = ("arrival_step", "largest_stable_lr", "distinct_units", "pseudo_label_accuracy", "test_accuracy")

# What a run does in its steps: the choices of an `outcome` question.
OUTCOMES = ("it arrives (within 0.001 of the lowest value)", "it stays in the window but never arrives",
            "it diverges")


def outcome_of(f: Facts) -> int:
    if f.diverged_at is not None:
        return 2
    return 0 if f.arrival is not None else 1


# ---------------------------------------------------------------- declaring


@dataclass(frozen=True)
class Ask:
    """What a lesson asks; `ask()` answers it. Make one with `which`,
    `outcome`, `diverges`, `where`, `order` or `number`."""

    kind: str
    form: str  # which | outcome | diverges | where | order | number
    prompt: str = ""  # the project's words; a default from the form when empty
    measure: str = ""  # which, order
    run: int = 1  # 1-based: outcome, diverges, where, number
    step: int | None = None  # where: None is the last step
    quantity: str = ""  # number
    choices: tuple[str, ...] = ()  # which: the runs' names as asked (default: their labels)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.kind=} is not one of {KINDS}")
        if self.measure and self.measure not in MEASURES:
            raise ValueError(f"{self.measure=} is not one of {tuple(MEASURES)}")
        if self.quantity and self.quantity not in QUANTITIES:
            raise ValueError(f"{self.quantity=} is not one of {QUANTITIES}")


def which(measure: str, prompt: str = "", choices: tuple[str, ...] = ()) -> Ask:
    return Ask("choice", "which", prompt, measure=measure, choices=choices)


def outcome(run: int = 1, prompt: str = "") -> Ask:
    return Ask("choice", "outcome", prompt, run=run)


def diverges(run: int = 1, prompt: str = "") -> Ask:
    return Ask("choice", "diverges", prompt, run=run)


def where(run: int = 1, step: int | None = None, prompt: str = "") -> Ask:
    return Ask("point", "where", prompt, run=run, step=step)


def order(measure: str, prompt: str = "") -> Ask:
    return Ask("order", "order", prompt, measure=measure)


def number(quantity: str, run: int = 1, prompt: str = "") -> Ask:
    return Ask("number", "number", prompt, run=run, quantity=quantity)


# Without a lesson, predict=1 asks where run 1 ends and whether it diverges.
# On a network the plane is centred where run 1 ends, so "where" would be
# its origin every time: its test accuracy is asked instead.
GENERIC = (where(1), diverges(1))
GENERIC_NETWORK = (number("test_accuracy", 1), diverges(1))


# ---------------------------------------------------------------- answering


@dataclass(frozen=True)
class Grade:
    verdict: str  # right | close | wrong
    score: float  # 1 right ... 0 wrong: the measure the verdict reads (see GRADING)
    detail: str  # one line: how close

    def describe(self) -> dict:
        return {"verdict": self.verdict, "score": self.score, "detail": self.detail}


@dataclass(frozen=True)
class Question:
    """An asked question with its answer, as `lessons --json` and the player
    get it (`describe()`), and its grading."""

    kind: str
    prompt: str
    answer: object  # choice: index; point: [x, y]; order: [run numbers]; number: float
    why: str
    choices: tuple[str, ...] = ()
    run: int | None = None  # point, outcome, number: 1-based
    step: int | None = None  # point
    by: str | None = None  # order, which: a MEASURES key
    quantity: str | None = None  # number
    diagonal: float = 0.0  # point: the window's diagonal, the scale of its grading
    runs: int = 0  # order: how many runs there are to order
    extra: dict = field(default_factory=dict)  # what else the answer was computed from

    def describe(self) -> dict:
        out = {"kind": self.kind, "prompt": self.prompt, "answer": self.answer, "why": self.why}
        if self.choices:
            out["choices"] = list(self.choices)
        for name in ("run", "step", "by", "quantity"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.kind == "point":
            out["diagonal"] = self.diagonal
        if self.kind == "order":
            out["runs"] = self.runs
        return out

    @classmethod
    def from_description(cls, d: dict) -> Question:
        """The question `describe()` gave (what a class keeps in its store)."""
        return cls(kind=d["kind"], prompt=d["prompt"], answer=d["answer"], why=d["why"],
                   choices=tuple(d.get("choices", ())), run=d.get("run"), step=d.get("step"), by=d.get("by"),
                   quantity=d.get("quantity"), diagonal=float(d.get("diagonal", 0.0)), runs=int(d.get("runs", 0)))

    def read(self, response) -> object:
        """A response as this question takes it, or ValueError: an index of
        `choices`, two finite numbers, every run number once, a finite
        positive number. (Responses come from browsers: anything may come.)"""
        if self.kind == "choice":
            if not (_integer(response) and 0 <= response < len(self.choices)):
                raise ValueError(f"not a choice of {len(self.choices)}")
            return response
        if self.kind == "point":
            if not (isinstance(response, list | tuple) and len(response) == 2 and all(_finite(v) for v in response)):
                raise ValueError("not a point [x, y]")
            return [float(v) for v in response]
        if self.kind == "order":
            if not (isinstance(response, list | tuple) and all(_integer(v) for v in response)
                    and sorted(response) == list(range(1, self.runs + 1))):
                raise ValueError(f"not an order of the runs 1 to {self.runs}")
            return list(response)
        if not (_finite(response) and response > 0):
            raise ValueError("not a positive number")
        return float(response)

    def grade(self, response) -> Grade:
        response = self.read(response)
        if self.kind == "choice":
            right = response == self.answer
            return Grade("right" if right else "wrong", 1.0 if right else 0.0,
                         "right" if right else f"the answer is {self.choices[self.answer]}")
        if self.kind == "point":
            off = math.dist(response, self.answer) / self.diagonal
            return Grade(_verdict(off, GRADING["point"], smaller=True), max(0.0, 1.0 - off),
                         f"{100 * off:.0f}% of the window's diagonal away")
        if self.kind == "order":
            share = ordered_pairs(response, self.answer)
            return Grade(_verdict(share, GRADING["order"], smaller=False), share,
                         f"{100 * share:.0f}% of the pairs in the right order")
        off = abs(response - self.answer) / abs(self.answer)
        return Grade(_verdict(off, GRADING["number"], smaller=True), max(0.0, 1.0 - off),
                     f"{100 * off:.0f}% off")


def ordered_pairs(response: list[int], answer: list[int]) -> float:
    """The fraction of pairs of runs that `response` puts in `answer`'s order."""
    rank = {run: i for i, run in enumerate(response)}
    pairs = [(a, b) for i, a in enumerate(answer) for b in answer[i + 1:]]
    return sum(rank[a] < rank[b] for a, b in pairs) / len(pairs) if pairs else 1.0


def _verdict(value: float, bounds: dict, smaller: bool) -> str:
    if smaller:
        return "right" if value <= bounds["right"] else "close" if value <= bounds["close"] else "wrong"
    return "right" if value >= bounds["right"] else "close" if value >= bounds["close"] else "wrong"


def _integer(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _finite(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def coordinate(v: float, diagonal: float) -> str:
    """A coordinate to a thousandth of the window's size: (0, 1.41), not
    (1.27e-09, 1.41)."""
    digits = max(0, 3 - math.ceil(math.log10(diagonal)))
    text = f"{round(v, digits):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
