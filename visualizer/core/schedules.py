"""Learning-rate schedules: optax's own, plus a triangular cycle optax lacks.
They set the learning rate only: one-cycle here is optax's rate cycle,
without the momentum cycle Smith's one-cycle policy pairs with it.

`Schedule.build(lr, steps, params)` returns an optax schedule
(count -> learning rate). The engine evaluates it once per run into a table
(`lr_table`), so the compiled step never depends on which schedule a run
uses, and the learning rate each update used is reported exactly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax

from visualizer.core.knobs import Knob, registry

STEP_SIZE = Knob("step_size", 100, 1, 10000, "s", "steps between decays", title="Steps between decays", integer=True)
MIN_RATIO = Knob("min_ratio", 0.0, 0.0, 1.0, "r", "final (or lowest) learning rate as a fraction of lr",
                 title="Lowest lr / lr")
WARMUP = Knob("warmup", 50, 0, 10000, "w", "steps of linear warm-up from 0 (at most steps - 1)",
              title="Warm-up steps", integer=True)
PERIOD = Knob("period", 100, 2, 10000, "p", "steps per up-and-down cycle", title="Period (steps)", integer=True)


def gamma(default: float) -> Knob:
    return Knob("gamma", default, 0.0, 1.0, r"\gamma", "decay factor", title="Decay factor γ", low_open=True)


def triangular_schedule(lr: float, min_ratio: float, period: int) -> optax.Schedule:
    """Cyclic learning rate (Smith 2017, 'triangular'): from lr * min_ratio up
    to lr at half a period and back down, repeating."""
    low = lr * min_ratio

    def schedule(count):
        phase = jnp.mod(count, period) / period
        return low + (lr - low) * (1.0 - jnp.abs(2.0 * phase - 1.0))

    return schedule


@dataclass(frozen=True)
class Schedule:
    id: str
    name: str
    optax: str  # the optax schedule this id stands for, as the docs and the CLI show it
    params: tuple[Knob, ...]
    build: Callable  # (lr, steps, params) -> optax schedule
    latex: str

    @property
    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}


def _warmup_cosine(lr, steps, p):
    # optax needs decay_steps > warmup_steps; a warm-up longer than the run
    # is clamped rather than refused, so changing `steps` never breaks a scene.
    warmup = min(int(p["warmup"]), max(steps - 1, 0))
    return optax.warmup_cosine_decay_schedule(
        0.0, lr, warmup, max(steps, 1), end_value=lr * p["min_ratio"])


_ENTRIES = (
    Schedule(
        "constant", "Constant", "lr", (),
        lambda lr, steps, p: optax.constant_schedule(lr),
        r"\eta_t = \eta"),
    Schedule(
        "step", "Step decay",
        "optax.exponential_decay(lr, transition_steps=step_size, decay_rate=gamma, staircase=True)",
        (STEP_SIZE, gamma(0.5)),
        lambda lr, steps, p: optax.exponential_decay(
            lr, transition_steps=int(p["step_size"]), decay_rate=p["gamma"], staircase=True),
        r"\eta_t = \eta\,\gamma^{\lfloor t / s \rfloor}"),
    Schedule(
        "exponential", "Exponential decay",
        "optax.exponential_decay(lr, transition_steps=1, decay_rate=gamma)",
        (gamma(0.99),),
        lambda lr, steps, p: optax.exponential_decay(lr, transition_steps=1, decay_rate=p["gamma"]),
        r"\eta_t = \eta\,\gamma^{t}"),
    Schedule(
        "cosine", "Cosine decay",
        "optax.cosine_decay_schedule(lr, decay_steps=steps, alpha=min_ratio)",
        (MIN_RATIO,),
        lambda lr, steps, p: optax.cosine_decay_schedule(lr, decay_steps=max(steps, 1), alpha=p["min_ratio"]),
        r"\eta_t = \eta\left(r + (1-r)\,\tfrac12\left(1 + \cos\tfrac{\pi t}{T}\right)\right)"),
    Schedule(
        "warmup_cosine", "Warm-up + cosine",
        "optax.warmup_cosine_decay_schedule(0, lr, warmup, steps, end_value=lr*min_ratio)",
        (WARMUP, MIN_RATIO),
        _warmup_cosine,
        r"\eta_t = \eta\,\tfrac{t}{w}\ (t < w),\ \text{then cosine from } \eta \text{ to } r\eta"),
    Schedule(
        "onecycle", "One-cycle (the rate only)",
        "optax.cosine_onecycle_schedule(steps, lr)",
        (),
        lambda lr, steps, p: optax.cosine_onecycle_schedule(max(steps, 1), lr),
        r"\eta_t:\ \tfrac{\eta}{25} \nearrow \eta\ \text{(first 30\%)} \searrow \tfrac{\eta}{25\cdot 10^4}"),
    Schedule(
        "cyclic", "Cyclic (triangular)",
        "triangular between lr*min_ratio and lr, period `period` steps (optax has none)",
        (PERIOD, MIN_RATIO),
        lambda lr, steps, p: triangular_schedule(lr, p["min_ratio"], int(p["period"])),
        r"\eta_t = r\eta + (1-r)\,\eta\,\left(1 - \left|2\,\tfrac{t \bmod p}{p} - 1\right|\right)"),
)

SCHEDULES: dict[str, Schedule] = registry(_ENTRIES, "schedule")


def lr_table(schedule_id: str, lr: float, steps: int, params: dict, length: int) -> np.ndarray:
    """The learning rate of updates 0 .. length-1 as float32 (the value
    optax's optimizer would get from the schedule at each count)."""
    return _lr_table(schedule_id, float(lr), int(steps), tuple(sorted(params.items())), length)


@functools.lru_cache(maxsize=1024)
def _lr_table(schedule_id, lr, steps, params, length):
    # Evaluated eagerly (a millisecond or two), never compiled per value:
    # optax checks some arguments in Python, so they cannot be traced.
    # vmap because not every optax schedule broadcasts over an array of counts.
    schedule = SCHEDULES[schedule_id].build(lr, steps, dict(params))
    values = jax.vmap(schedule)(jnp.arange(length, dtype=jnp.int32))
    table = np.broadcast_to(np.asarray(values, dtype=np.float32), (length,)).copy()
    table.flags.writeable = False
    return table
