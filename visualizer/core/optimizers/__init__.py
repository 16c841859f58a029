"""The optimizers: each one an optax transformation, built from plain values.

An optimizer is one unit, an `Optimizer` in the module of its family:
its optax call, knobs, LaTeX rule and note; its "Inside a step" rule with
placeholders for one update's numbers (`step_rule.py`); its textbook update
in plain NumPy, the independent reference the tests hold the engine to, and
its test vectors (`checks.py`). The registry below lists the units in the
order the sidebar, the CLI listings and docs/ show them; the app, the docs
and every test that covers all optimizers read them from there.

Adding an optimizer is its unit in its family's module (or a new family's)
and its place in `_UNITS`; then `python -m visualizer.reference` brings
docs/ up to date.
"""

from __future__ import annotations

from visualizer.core.knobs import registry
from visualizer.core.optimizers import adagrad, adam, adam_momentum, newton, self_tuning, sgd, sign
from visualizer.core.optimizers.optimizer import DECAY_STOPS, LR, Landscape, Optimizer

__all__ = ["DECAY_STOPS", "LR", "OPTIMIZERS", "Landscape", "Optimizer"]

_UNITS = (
    sgd.SGD, sgd.MOMENTUM, sgd.NESTEROV,
    adagrad.ADAGRAD, adagrad.RMSPROP,
    adam.ADAM, adam.ADAMW, adam.NADAM, adam.AMSGRAD, adam.ADABELIEF, adam.ADAMAX, adam.RADAM, adam.YOGI,
    sign.LION, sign.SIGN_SGD,
    adagrad.ADADELTA,
    newton.NEWTON,
    adam_momentum.ADAN, adam_momentum.ADOPT, adam_momentum.ADEMAMIX,
    self_tuning.PRODIGY, self_tuning.SCHEDULE_FREE_ADAMW,
    sign.RPROP,
    self_tuning.POLYAK_SGD,
    newton.LBFGS,
)

OPTIMIZERS: dict[str, Optimizer] = registry(_UNITS, "optimizer")
