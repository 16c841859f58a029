"""A hyperparameter: its name, default, allowed range and how to show it.

Optimizers, schedules and run-level settings all describe their knobs with
`Hyper`, so the scene parser, the sidebar and the CLI listing read ranges
and defaults from one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hyper:
    name: str
    default: float
    low: float
    high: float
    symbol: str  # LaTeX symbol in the update rule
    help: str = ""
    log: bool = False  # a log-scale slider reads better (eps, lr, weight decay)
    integer: bool = False
    low_open: bool = False  # low itself is not allowed (lr > 0)

    def allowed(self) -> str:
        left = "(" if self.low_open else "["
        kind = "an integer" if self.integer else "a number"
        return f"{kind} in {left}{_fmt(self.low)}, {_fmt(self.high)}]"

    def contains(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high

    def describe(self) -> dict:
        return {
            "name": self.name,
            "default": self.default,
            "range": [self.low, self.high],
            "low_open": self.low_open,
            "integer": self.integer,
            "log": self.log,
            "help": self.help,
        }


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))
