"""Explorations: one run of a scene many times at once, as a curve or a map.

    >>> from visualizer import Scene, explore
    >>> result = explore(Scene.from_query("surface=rosenbrock&run=adam:lr=0.01&explore=lr"))
    >>> result.final_loss.shape          # (256,): one per learning rate
    >>> result.to_dict()["explore"]["diverged_at"][:3]

`explore(scene)` runs the run the scene's `explore` key names once per
variant (`visualizer.core.variants` says which values vary and how) and keeps,
per variant, what docs/explore.md describes: the final loss, where it diverged,
the first step within `tol` of the lowest value, the last point and the
minimum it ended at. Each variant's outcome is what `simulate` gives for the
scene with that one value set; docs/explore.md is the reference.

How. A variant is the engine's own `Stepper` (the optax chain of `simulate`),
driven by a `fori_loop` that keeps a few numbers instead of the path, and
`vmap`ped over the variants. One compiled program serves a (surface,
optimizer, length bucket, batching, stages switched on, number of variants
per call, a power of two up to 1024): every value is an argument, so changing the
learning rate, a hyperparameter, the start, the seed, the steps within a
bucket, a range or a tolerance compiles nothing. The batching is what varies
per variant: `lr` (a factor on the learning-rate table), `starts` (the
start), `map` (every scalar of the run, so any pair of map axes shares one
program) and `map+tables` (the same with a learning-rate table per variant,
for a schedule parameter on an axis). Stages switched off (noise, clipping)
are left out of the program rather than run with neutral values: clipping by
norm alone tripled the time of a map. So switching a stage on or off
compiles once, the first time.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from visualizer.core import counters, devices, landmarks, surfaces
from visualizer.core import race as races
from visualizer.core.engine import built_for, surface_key
from visualizer.core.errors import SceneError
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.pipeline import F32, STAGES, RunArguments, noise_table, stepper, surface_functions
from visualizer.core.programs import WIDE_VECTORS, Member, ProgramCache, bucket_length, compile_with, member_of
from visualizer.core.results import DIVERGENCE_LIMIT, json_numbers, many_lists
from visualizer.core.scene import Scene
from visualizer.core.schedules import SCHEDULES, lr_table
from visualizer.core.surfaces import NETWORK
from visualizer.core.variants import Resolved, resolve

MINIMUM_RADIUS = 0.01  # a final point this close to a minimum (times the window's diagonal) ended there
PROGRAM_CACHE_SIZE = 48
# Variants per program call: the count is rounded up to one of these (the
# padding repeats the first variant), and more than the largest are run in
# calls of that many. Each size compiles once per (surface, optimizer,
# bucket, ...). A device steps at most CHUNK variants at a time, and a
# larger share in chunks one after the other (a loop over them in the same
# call): XLA's CPU compiler splits a loop's larger element-wise steps across
# both cores (from 2048 variants on for SGD on Himmelblau), and the two
# halves wait for each other at every step. Split over devices
# (`visualizer.core.devices`) the shares step apart and meet at the end.
# 128 x 128 starts of 500 SGD steps on 2 cores, quiet: 16 calls of 1024 on
# one device 11.3 ms; 8 calls of 2048 over two 7.2; one call of 16384 over
# two, each in chunks, 5.1.
CHUNK = 1024
SIZES = tuple(2**k for k in range(6, 15))  # 64 .. 16384
# Steps a call's variants take between checks that none has diverged
# (`_outcome_loop`): after a divergence at most this many are stepped twice.
# 128 x 128 starts of SGD on Himmelblau, quiet, none diverging: 4.5 ms
# keeping the last finite point at every step, 3.7 in stretches of 32; a
# starts map of momentum on Rosenbrock, 2449 of its 16384 diverging in
# the first ten steps: 4.2 and 4.4.
STRETCH = 32
VARIANTS = "variants"  # the vmapped axis: the variants a device steps together (a chunk)
# Learning-rate tables a schedule parameter on a map axis needs at most (one
# per value on its axis), so the table-per-variant program has one shape.
MAX_TABLES = 256

# Batchings: what a program takes per variant (the rest is shared).
LR, STARTS, MAP, MAP_TABLES = "lr", "starts", "map", "map+tables"

# XLA options for these programs (with wide vectors), measured on the 128 x 128 starts
# of SGD on Himmelblau: the CPU "YNN" fusion turns the two-term sum of a
# vmapped gradient norm (optax.clip_by_global_norm) into a library call per
# step, 5x slower than the loop it replaces; copy insertion with region
# analysis drops four of the six copies of the loop's carry per step (-10%).
_COMPILER_OPTIONS = {"xla_cpu_experimental_ynn_fusion_type": "",
                     "xla_cpu_copy_insertion_use_region_analysis": True,
                     **WIDE_VECTORS}


# ---------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class Exploration:
    """What `explore` returns. Arrays have the exploration's shape, `(n,)`
    for `lr` and `(ny, nx)` for `map` and `starts` (row j is the y axis's
    value j), with -1 or NaN where the outcome is null:

    - `final_loss` float32, NaN where the run diverged or its start is not finite;
    - `diverged_at`, `steps_to_tol`, `minimum` int64, -1 for null;
    - `final_xy` float32 `(..., 2)`, the last finite point (the start where
      f is not finite there);
    - on a network (`explore=lr` of surface=mlp), `final_xy` is NaN and
      `minimum` -1 (no plane, no minima), and `train_accuracy` and
      `test_accuracy` (float32) are the accuracies at the last good point.

    `to_dict()` is the JSON of docs/explore.md, `to_csv()` one row per variant."""

    scene: Scene
    resolved: Resolved
    final_loss: np.ndarray
    diverged_at: np.ndarray
    steps_to_tol: np.ndarray
    final_xy: np.ndarray
    minimum: np.ndarray
    train_accuracy: np.ndarray | None = None
    test_accuracy: np.ndarray | None = None

    @property
    def kind(self) -> str:
        return self.resolved.kind

    @property
    def axes(self):
        return self.resolved.axes

    @property
    def start_not_finite(self) -> np.ndarray:
        """Where f itself is not finite at the start (only `starts` can have
        such variants: a formula's window may hold points outside its domain)."""
        return np.isnan(self.final_loss) & (self.diverged_at < 0)

    @many_lists
    def to_dict(self) -> dict:
        return {
            "scene": self.scene.to_query(),
            "explore": {
                "kind": self.kind,
                "run": self.resolved.run + 1,
                "tol": self.resolved.tol,
                "axes": [axis.describe() for axis in self.axes],
                "final_loss": json_numbers(self.final_loss),
                "diverged_at": _integers(self.diverged_at),
                "steps_to_tol": _integers(self.steps_to_tol),
                "final_xy": json_numbers(self.final_xy),
                "minimum": _integers(self.minimum),
                **({} if self.train_accuracy is None else {
                    "final_train_accuracy": json_numbers(self.train_accuracy),
                    "final_test_accuracy": json_numbers(self.test_accuracy)}),
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    def to_csv(self) -> str:
        """One row per variant, in the order of the JSON's flattened lists
        (for a map, y's values outer, x's inner): the axis values, then
        final_loss, diverged_at, steps_to_tol, final_x, final_y, minimum
        (on a network then final_train_accuracy, final_test_accuracy);
        an empty cell where the outcome is null."""
        grids = np.meshgrid(*(a.values for a in self.axes))  # each (ny, nx), or (n,) for one axis
        columns = [g.ravel().tolist() for g in grids]
        outcomes = [
            json_numbers(self.final_loss.ravel()), _integers(self.diverged_at.ravel()),
            _integers(self.steps_to_tol.ravel()), json_numbers(self.final_xy[..., 0].ravel()),
            json_numbers(self.final_xy[..., 1].ravel()), _integers(self.minimum.ravel()),
        ]
        accuracies = [] if self.train_accuracy is None else ["final_train_accuracy", "final_test_accuracy"]
        if accuracies:
            outcomes += [json_numbers(self.train_accuracy.ravel()), json_numbers(self.test_accuracy.ravel())]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([a.key for a in self.axes] + ["final_loss", "diverged_at", "steps_to_tol", "final_x",
                                                       "final_y", "minimum", *accuracies])
        writer.writerows([_cell(v) for v in row] for row in zip(*columns, *outcomes, strict=True))
        return out.getvalue()


def _integers(a) -> list:
    a = np.asarray(a)
    if (a >= 0).all():
        return a.tolist()
    out = a.astype(object)
    out[a < 0] = None
    return out.tolist()


def _cell(v) -> str:
    """A CSV cell as results.py writes them: repr of a number, empty for null."""
    return "" if v is None else repr(v)


# ---------------------------------------------------------------- explore


def explore(scene: Scene):
    """Every variant of the scene's exploration, computed at once, as an
    `Exploration` (a `race.Race` for explore=race); SceneError if the scene
    has none or it does not fit the scene."""
    if scene.explore is None:
        raise SceneError("explore: this scene has no explore key; add one, e.g. explore=lr, "
                         "explore=map:x=lr,y=momentum or explore=starts", "explore")
    resolved = resolve(scene.explore, scene)
    if scene.explore.kind == "race":
        return _explore_race(scene, resolved)
    if surfaces.SURFACES[scene.surface].kind == NETWORK:
        return _explore_network(scene, resolved)
    run = scene.runs[resolved.run]
    surface = scene.resolved_surface()
    marks = landmarks.of(scene)
    plan = _plan(scene, resolved, run, surface)
    length = bucket_length(scene.steps)
    raw = start_variants(scene, surface, member_of(run), length, plan, marks, resolved.tol)()
    return _outcomes(scene, resolved, surface, marks, plan, raw)


def _explore_race(scene: Scene, resolved: Resolved) -> races.Race:
    """`explore=race`: each run's trials (`visualizer.core.race`) as
    variants of that run, every run's call made before any is read."""
    surface = scene.resolved_surface()
    marks = landmarks.of(scene)
    length = bucket_length(scene.steps)
    values = races.trials(scene)
    # each run's calls on a device of their own, where there are several: side by side
    started = [start_variants(scene, surface, member_of(run), length, plan_values(scene, run, trial_values), marks,
                            resolved.tol, home=i)
               for i, (run, trial_values) in enumerate(zip(scene.runs, values, strict=True))]
    return races.tally(scene, resolved.tol, values, [decode(results()) for results in started])


def played(scene: Scene) -> Scene:
    """The scene whose runs are shown: in a race each run at its best trial
    (what questions about a race scene are answered from); else the scene."""
    if scene.explore is None or scene.explore.kind != "race":
        return scene
    return explore(scene).best_scene().replace(viewer=scene.viewer, lesson=scene.lesson)


def _explore_network(scene: Scene, resolved: Resolved) -> Exploration:
    """`explore=lr` of a model scene (`visualizer.core.model.explore`)."""
    from visualizer.core.model.explore import explore_lr

    (axis,) = resolved.axes
    out = explore_lr(scene, resolved.run, axis.values, resolved.tol)
    n = len(axis.values)
    return Exploration(scene, resolved, out.final_loss, out.diverged_at, out.steps_to_tol,
                       np.full((n, 2), np.nan, F32), np.full(n, -1, np.int64), out.train_accuracy, out.test_accuracy)


class Plan(NamedTuple):
    """The host side of one exploration (or a race's trials of one run,
    `plan_values`): what varies (`varied`, one column
    per name, a row per variant) and what every variant shares."""

    batching: str
    stages: frozenset  # of pipeline.STAGES, switched on
    varied: dict  # name -> (n_variants,) values
    shared: dict  # name -> value
    tables: np.ndarray  # (T, length) learning-rate tables
    draws: np.ndarray  # (length, 2) noise draws (unit draws when noise is an axis)
    n: int  # number of variants


def _run_values(scene: Scene, run, x0: float, y0: float) -> dict:
    """What every variant of `run` shares unless an axis sets it: its start,
    its hyperparameters, its pipeline's stages (off at their neutral values)
    and the surface's values; the rate comes from the table."""
    return {
        "x": x0, "y": y0, "lr": 1.0, **hyper_values(run), "noise": 1.0,
        "clip_value": math.inf if run.clip_value is None else run.clip_value,
        "clip_norm": math.inf if run.clip_norm is None else run.clip_norm,
        **scene.surface_values(), "table": 0.0,
    }


def _plan(scene: Scene, resolved: Resolved, run, surface) -> Plan:
    length = bucket_length(scene.steps)
    x0, y0 = scene.start_of(run)
    shared = _run_values(scene, run, x0, y0)
    stages = {name for name, on in zip(STAGES, (run.noise > 0, run.clip_value is not None,
                                                run.clip_norm is not None), strict=True) if on}
    params = run.schedule_params
    kind = resolved.kind
    if kind == "starts":
        xs, ys = (a.values for a in resolved.axes)
        gx, gy = np.meshgrid(xs, ys)
        varied = {"x": gx.ravel(), "y": gy.ravel()}
        tables = lr_table(run.schedule, run.lr, scene.steps, params, length)[None]
        return Plan(STARTS, frozenset(stages), varied, shared, tables, noise_table(run.noise, run.seed, length),
                     len(varied["x"]))
    if kind == "lr":
        (axis,) = resolved.axes
        # Every schedule is linear in lr: table(lr) = lr * table(1), exactly
        # so for a constant rate and for step, exponential and cosine decay
        # (optax multiplies lr by a factor), to float32 rounding otherwise.
        tables = lr_table(run.schedule, 1.0, scene.steps, params, length)[None]
        return Plan(LR, frozenset(stages), {"lr": axis.values}, shared, tables,
                     noise_table(run.noise, run.seed, length), len(axis.values))
    # map: two of the run's values on a grid, row j = y value j
    x_axis, y_axis = resolved.axes
    gx, gy = np.meshgrid(x_axis.values, y_axis.values)
    grid = {x_axis.key: gx.ravel(), y_axis.key: gy.ravel()}
    n = gx.size
    varied = {name: np.full(n, value) for name, value in shared.items()}
    varied.update({key: values for key, values in grid.items() if key in varied})
    schedule_axis = next((a for a in resolved.axes if a.key in {p.name for p in SCHEDULES[run.schedule].params}),
                         None)
    # The run's own table where neither lr nor a schedule parameter varies
    # (what simulate uses, bit for bit); else tables at rate 1 times each
    # variant's rate, as for `lr`.
    lr_in_table = "lr" not in grid and schedule_axis is None
    varied["lr"] = grid["lr"] if "lr" in grid else np.full(n, 1.0 if lr_in_table else run.lr)
    table_lr = run.lr if lr_in_table else 1.0
    batching = MAP
    tables = lr_table(run.schedule, table_lr, scene.steps, params, length)[None]
    if schedule_axis is not None:
        batching = MAP_TABLES
        tables = _schedule_tables(run, schedule_axis.key, schedule_axis.values, table_lr, scene.steps, length)
        varied["table"] = np.searchsorted(schedule_axis.values, grid[schedule_axis.key]).astype(np.float64)
    draws = noise_table(run.noise, run.seed, length)
    if "noise" in grid:
        # optax.add_noise draws sqrt(eta) * normal with eta = noise^2 in
        # float32: the seed's standard draws times that, bit for bit.
        draws = noise_table(1.0, run.seed, length)
        varied["noise"] = np.sqrt((grid["noise"] * grid["noise"]).astype(np.float32))
    stages |= {key for key in ("noise", "clip_value", "clip_norm") if key in grid}
    return Plan(batching, frozenset(stages), varied, shared, tables, draws, n)


def plan_values(scene: Scene, run, values: dict) -> Plan:
    """Variants of `run` that each take one row of `values` (name -> (n,)
    values of lr and the optimizer's hyperparameters), everything else as
    the run has it: a race's trials (visualizer.core.race)."""
    length = bucket_length(scene.steps)
    x0, y0 = scene.start_of(run)
    shared = _run_values(scene, run, x0, y0)
    n = len(next(iter(values.values())))
    varied = {name: np.full(n, value) for name, value in shared.items()}
    varied.update(values)
    varied["lr"] = values.get("lr", np.full(n, 1.0))
    table_lr = 1.0 if "lr" in values else run.lr
    stages = {name for name, on in zip(STAGES, (run.noise > 0, run.clip_value is not None,
                                                run.clip_norm is not None), strict=True) if on}
    tables = lr_table(run.schedule, table_lr, scene.steps, run.schedule_params, length)[None]
    return Plan(MAP, frozenset(stages), varied, shared, tables, noise_table(run.noise, run.seed, length), n)


class Outcomes(NamedTuple):
    """What `start_variants` found, per variant, decoded: as `Exploration`'s
    fields (NaN and -1 for null), flat."""

    final_loss: np.ndarray
    diverged_at: np.ndarray
    steps_to_tol: np.ndarray
    final_xy: np.ndarray
    bad_start: np.ndarray  # f is not finite at the start


def decode(raw: np.ndarray) -> Outcomes:
    """The outcomes of `start_variants`' (n, 4) result."""
    xy = raw[:, :2]
    counter = counters.decoded(raw[:, 3].copy().view(np.int32))
    final_loss = np.where(counter.alive, raw[:, 2], np.float32(np.nan))
    return Outcomes(final_loss, counter.diverged_at, counter.steps_to_tol, xy, counter.bad_start)


def hyper_values(run) -> dict:
    static = OPTIMIZERS[run.optimizer].static
    return {name: value for name, value in run.hyper.items() if name not in static}


def _schedule_tables(run, key: str, values: np.ndarray, lr: float, steps: int, length: int) -> np.ndarray:
    """(MAX_TABLES, length): the learning-rate table for each value of a
    schedule parameter (padded with the last), at learning rate `lr`."""
    params = run.schedule_params
    tables = _tables_at_once(run.schedule, key, tuple(values.tolist()), lr, steps,
                             tuple(sorted((k, v) for k, v in params.items() if k != key)), length)
    out = np.empty((MAX_TABLES, length), F32)
    out[: len(tables)] = tables
    out[len(tables):] = tables[-1]
    return out


@functools.lru_cache(maxsize=32)
def _tables_at_once(schedule_id, key, values, lr, steps, params, length) -> np.ndarray:
    """One table per value, evaluated as one vmap over the values where the
    schedule accepts a traced parameter (a millisecond or two for all of
    them). optax's decay schedules check `decay_rate` in Python, so a
    `gamma` axis takes one evaluation per value instead."""
    schedule = SCHEDULES[schedule_id]
    counts = jnp.arange(length, dtype=jnp.int32)

    def table(value):
        return jax.vmap(schedule.build(lr, steps, {**dict(params), key: value}))(counts)

    try:
        tables = jax.vmap(table)(jnp.asarray(values, F32))
        return np.broadcast_to(np.asarray(tables, F32), (len(values), length)).copy()
    except jax.errors.ConcretizationTypeError:
        return np.stack([lr_table(schedule_id, lr, steps, {**dict(params), key: v}, length) for v in values])


# ---------------------------------------------------------------- programs


PROGRAMS = ProgramCache(PROGRAM_CACHE_SIZE)


class ExploreKey(NamedTuple):
    """A compiled exploration program's place in the cache."""

    surface: tuple
    member: Member
    length: int
    batching: str
    stages: frozenset
    size: int  # variants per call
    home: int  # the device of a call too small to split (devices.batch_sharding)


def columns_of(surface, member: Member) -> tuple[str, ...]:
    """The scalars a variant of `member` on `surface` is made of, in the order
    programs take them: the start, the learning-rate factor, the
    hyperparameters that are values (not sizes), the noise scale, the clip
    thresholds, the surface's knobs, and the index of its learning-rate table."""
    opt = OPTIMIZERS[member.optimizer]
    return ("x", "y", "lr", *(h.name for h in opt.hypers if h.name not in opt.static), "noise",
            "clip_value", "clip_norm", *(p.name for p in surface.knobs), "table")


def _varied_columns(batching: str, columns: tuple[str, ...]) -> tuple[str, ...]:
    if batching == LR:
        return ("lr",)
    if batching == STARTS:
        return ("x", "y")
    if batching == MAP:
        return tuple(c for c in columns if c != "table")
    return columns


class _Scaled(NamedTuple):
    """Row `row` of `table` times `scale`, read by count: the learning rate
    and the noise draws a variant's chain reads as `args.lr[count]` and
    `args.noise[count]`."""

    scale: jax.Array
    table: jax.Array
    row: object = None  # None: `table` is the row

    def __getitem__(self, count):
        if self.row is None:
            return self.scale * self.table[count]
        return self.scale * self.table[self.row, count]


def _compile(surface, member: Member, length: int, batching: str, stages: frozenset, size: int, home: int):
    value_and_grad, hessian = surface_functions(surface.fn)
    run = stepper(value_and_grad, hessian, member, omit=frozenset(STAGES) - stages)
    columns = columns_of(surface, member)
    varied = _varied_columns(batching, columns)
    opt = OPTIMIZERS[member.optimizer]
    hypers = [h.name for h in opt.hypers if h.name not in opt.static]
    surface_names = [p.name for p in surface.knobs]

    def one(row, shared, tables, draws, steps, threshold, f_min):
        value = {name: shared[i] for i, name in enumerate(columns)}
        value.update({name: row[i] for i, name in enumerate(varied)})
        if batching == MAP_TABLES:
            lr = _Scaled(value["lr"], tables, value["table"].astype(jnp.int32))
        else:
            lr = _Scaled(value["lr"], tables[0])
        start = jnp.stack([value["x"], value["y"]])
        args = RunArguments(
            hyper={h: value[h] for h in hypers}, lr=lr, start=start, noise=_Scaled(value["noise"], draws),
            clip_value=value["clip_value"], clip_norm=value["clip_norm"],
            problem={p: value[p] for p in surface_names}, f_min=f_min)
        return _outcome_loop(run, value_and_grad, args, steps, threshold)

    every = jax.vmap(one, in_axes=(0, None, None, None, None, None, None), axis_name=VARIANTS)

    def in_chunks(rows, *shared):  # a device's share
        if len(rows) <= CHUNK:
            return every(rows, *shared)
        out = jax.lax.map(lambda chunk: every(chunk, *shared), rows.reshape(-1, CHUNK, rows.shape[-1]))
        return out.reshape(len(rows), -1)

    # The variants split over the devices (visualizer.core.devices), the rest on each.
    batch, whole = devices.batch_sharding(size, home)
    program = jax.jit(devices.per_share(in_chunks, batch, arguments=7))
    scalar = devices.shaped((), F32, whole)
    shapes = (
        devices.shaped((size, len(varied)), F32, batch),
        devices.shaped((len(columns),), F32, whole),
        devices.shaped((MAX_TABLES if batching == MAP_TABLES else 1, length), F32, whole),
        devices.shaped((length, 2), F32, whole),
        devices.shaped((), np.int32, whole),
        scalar,
        scalar,
    )
    return compile_with(program.lower(*shapes), _COMPILER_OPTIONS)


def _outcome_loop(run, value_and_grad, args: RunArguments, steps, threshold):
    """Step one variant `steps` times, keeping its outcome instead of its
    path: [x, y, loss, counter] where (x, y) is the last finite point, loss f
    there (meaningful where the run did not diverge), counter the packed
    (diverged, arrived) steps. Called under `jax.vmap(..., axis_name=VARIANTS)`:
    the variants a device steps together decide together when to keep
    the last point.

    Update k moves point k to point k + 1; point k is checked, as
    `results.truncate_divergence` does, when f is evaluated there (update
    k's first act), so `diverged` is the first point that is not finite, or
    beyond DIVERGENCE_LIMIT, and the run diverged at update `diverged - 1`.

    Keeping the last finite point costs two passes over the variants at
    every step, a fifth of the loop, and it is needed only once a variant
    has diverged. So the variants step STRETCH steps at a time without it,
    and check at the end of each stretch that every point so far, and the
    next, is finite. The first stretch in which one is not, and every step
    after it, is stepped again from where it began, keeping the point
    (`_kept_from`); where none diverges, only the last step keeps it. The
    arithmetic is that of keeping the point at every step: the same bits for
    the element-wise optimizers, L-BFGS's line search rounding differently
    at times (docs/explore.md, "The last finite point")."""

    def unkept(k, state):
        carry, counter = state
        carry, path = run.step(args, carry)
        return carry, counters.counted(counter, k, _finite(path.xy, path.loss), path.loss, threshold)

    def stretch(state):
        k, carry, counter, _, _ = state
        end = jnp.minimum(k + STRETCH, steps)
        after, counter_after = jax.lax.fori_loop(k, end, unkept, (carry, counter))
        x = after[0]
        fine = counters.alive(counter_after) & _finite(x, value_and_grad(x, args.problem)[0])
        every_fine = jax.lax.pmin(fine.astype(jnp.int32), VARIANTS) == 1  # the same for the whole chunk
        return end, after, counter_after, every_fine, (k, carry, counter)

    def going(state):
        k, _, _, every_fine, _ = state
        return every_fine & (k < steps)

    start = (jnp.int32(0), run.init(args), jnp.int32(counters.START))
    k, carry, counter, every_fine, began = jax.lax.while_loop(going, stretch, (*start, jnp.bool_(True), start))
    # keep the point from where the stretch that went wrong began; else from the last point
    first, carry, counter = jax.tree.map(lambda fine, wrong: jnp.where(every_fine, fine, wrong),
                                         (k, carry, counter), began)
    return _kept_from(run, value_and_grad, args, first, carry, counter, steps, threshold)


def _kept_from(run, value_and_grad, args: RunArguments, first, carry, counter, steps, threshold):
    """Steps `first` .. `steps` of one variant from `carry` (at point
    `first`, every point before it finite), keeping the last finite point:
    `_outcome_loop`'s result."""

    def body(k, state):
        carry, counter, kept = state
        carry, path = run.step(args, carry)
        x = path.xy  # point k
        # The counter once, in memory: otherwise XLA computes f again, inside
        # the loop that keeps the point. The point is kept coordinate by
        # coordinate, which XLA's CPU loops do faster than (2,) points.
        counter = jax.lax.optimization_barrier(
            counters.counted(counter, k, _finite(x, path.loss), path.loss, threshold))
        alive = counters.alive(counter)  # points 0 .. k all finite
        kept = (jnp.where(alive, x[0], kept[0]), jnp.where(alive, x[1], kept[1]))
        return carry, counter, kept

    point = carry[0]
    _, counter, kept = jax.lax.fori_loop(first, steps + 1, body, (carry, counter, (point[0], point[1])))
    xy = jnp.stack(kept)
    loss = value_and_grad(xy, args.problem)[0]
    return jnp.concatenate([xy, loss[None], jax.lax.bitcast_convert_type(counter, F32)[None]])


def _finite(x, loss):
    """Whether a point counts as not diverged (results.truncate_divergence)."""
    return (jnp.abs(x[0]) <= DIVERGENCE_LIMIT) & (jnp.abs(x[1]) <= DIVERGENCE_LIMIT) & (jnp.abs(loss) < jnp.inf)


def _size(n: int) -> int:
    return next((s for s in SIZES if s >= n), SIZES[-1])


def start_variants(scene, surface, member, length, plan: Plan, marks, tol, home: int = 0) -> Callable[[], np.ndarray]:
    """Start the program's calls for every variant (a call too small to
    split over the devices on device `home`) and return what waits for
    them: (n, 4) float32, the outcome loop's result per variant (`decode`
    reads it). A race starts every run's calls before it waits for any."""
    program, calls = _calls(scene, surface, member, length, plan, marks, tol, home)
    if len(calls) > 1:  # the shared arguments on the device once, not once per call
        fixed = jax.device_put(calls[0][1:], program.input_shardings[0][1:])
        calls = [(args[0], *fixed) for args in calls]

    def outcomes(outputs) -> np.ndarray:
        out = np.concatenate([np.asarray(o) for o in outputs]) if len(outputs) > 1 else np.asarray(outputs[0])
        return out[: plan.n]

    if devices.split_over(len(calls[0][0])) > 1:
        return devices.awaited_apart(lambda: outcomes([program(*args) for args in calls]))
    outputs = [program(*args) for args in calls]  # dispatched before the first is read
    return lambda: outcomes(outputs)


def _calls(scene, surface, member, length, plan: Plan, marks, tol, home: int = 0) -> tuple:
    """The compiled program and the arguments of each of its calls (one per
    SIZES[-1] variants; the last padded with copies of the first variant)."""
    size = _size(plan.n)
    home = home if devices.split_over(size) == 1 else 0  # a split call has no home: one program, one key
    key = ExploreKey(surface_key(scene), member, length, plan.batching, plan.stages, size, home)
    (program,) = PROGRAMS.get_many([key], lambda keys: [
        built_for(scene, surface, _compile, k.member, k.length, k.batching, k.stages, k.size, k.home)
        for k in keys])
    columns = columns_of(surface, member)
    varied = _varied_columns(plan.batching, columns)
    shared = np.array([plan.shared[c] for c in columns], F32)
    rows = np.empty((plan.n, len(varied)), F32)
    for i, name in enumerate(varied):
        rows[:, i] = plan.varied[name]
    fixed = (shared, plan.tables, plan.draws, np.int32(scene.steps), F32(threshold(marks.lowest, tol)),
             F32(landmarks_f_min(member, marks)))
    calls = []
    for begin in range(0, plan.n, size):
        chunk = rows[begin:begin + size]
        if len(chunk) < size:  # real values, thrown away
            chunk = np.concatenate([chunk, np.broadcast_to(chunk[:1], (size - len(chunk), len(varied)))])
        calls.append((chunk, *fixed))
    return program, calls


def prepared(scene: Scene) -> tuple:
    """The compiled program of `scene`'s exploration and the arguments of its
    calls, for a benchmark to time the kernel alone."""
    resolved = resolve(scene.explore, scene)
    run = scene.runs[resolved.run]
    surface = scene.resolved_surface()
    plan = _plan(scene, resolved, run, surface)
    return _calls(scene, surface, member_of(run), bucket_length(scene.steps), plan, landmarks.of(scene), resolved.tol)


def landmarks_f_min(member: Member, marks) -> float:
    """f* for Polyak's step size, as `simulate` passes it (0 for the others)."""
    return marks.lowest if OPTIMIZERS[member.optimizer].needs_f_min else 0.0


def threshold(f_star: float, tol: float) -> float:
    """The largest float32 loss v with v - f* <= tol (in float64): "within
    tol" as one float32 comparison in the loop, exactly."""
    v = np.float32(min(f_star + tol, float(np.finfo(np.float32).max)))
    while float(v) - f_star > tol:
        v = np.nextafter(v, np.float32(-np.inf))
    while math.isfinite(float(np.nextafter(v, np.float32(np.inf)))) \
            and float(np.nextafter(v, np.float32(np.inf))) - f_star <= tol:
        v = np.nextafter(v, np.float32(np.inf))
    return float(v)


def _outcomes(scene, resolved: Resolved, surface, marks, plan: Plan, raw: np.ndarray) -> Exploration:
    found = decode(raw)
    xy, bad_start = found.final_xy, found.bad_start
    if bad_start.any() and resolved.kind != "starts":
        x, y = (float(v) for v in xy[np.argmax(bad_start)])
        raise SceneError(f"start: the surface is not finite at ({x:g}, {y:g}); choose another start", "start")
    final_loss, diverged_at, steps_to_tol = found.final_loss, found.diverged_at, found.steps_to_tol
    minimum = _nearest_minimum(xy, marks.minima, surface.window)
    minimum[bad_start] = -1
    shape = resolved.shape
    return Exploration(scene, resolved, final_loss.reshape(shape), diverged_at.reshape(shape),
                       steps_to_tol.reshape(shape), xy.reshape(shape + (2,)), minimum.reshape(shape))


def _nearest_minimum(xy: np.ndarray, minima, window) -> np.ndarray:
    """Index of the minimum within MINIMUM_RADIUS of the window's diagonal of
    each point (the nearest, if several), else -1."""
    (x0, x1), (y0, y1) = window
    radius = MINIMUM_RADIUS * math.hypot(x1 - x0, y1 - y0)
    x, y = xy[:, 0].astype(np.float64), xy[:, 1].astype(np.float64)
    best = np.full(len(xy), radius * radius)
    index = np.full(len(xy), -1, np.int64)
    for i, (mx, my) in enumerate(minima):  # a few minima: a loop over them, vectorised over the points
        d2 = (x - mx) ** 2 + (y - my) ** 2
        closer = d2 <= best
        best = np.where(closer, d2, best)
        index = np.where(closer, i, index)
    return index
