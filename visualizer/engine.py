"""The engine: every run of a scene as one jitted `lax.scan`.

A run is an optax chain built from plain values,

    add_noise -> clip (by value) -> clip_by_global_norm -> optimizer(schedule)

and the compiled program takes every continuous value as an argument: the
hyperparameters, the learning-rate table, the start, the clip thresholds, the
noise and its seed, and the surface's own parameters. Programs are compiled
ahead of time for a (surface, length bucket) and the optimizers a scene needs
that no earlier scene compiled, all of them in one program (a "group"), and
kept in a bounded cache by (surface, optimizer, length bucket). So changing
any value never compiles again, a new optimizer compiles only itself, and a
call with a wrong dtype fails loudly instead of silently tracing anew.

Switched-off stages stay in the chain with neutral values (clip at inf,
noise 0), which leaves the gradient bit-for-bit unchanged.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

import surfaces
from visualizer import compile_worker, landmarks
from visualizer.optimizers import OPTIMIZERS, Landscape
from visualizer.results import SimulationResult, truncate_divergence
from visualizer.run import Run, display_labels
from visualizer.scene import Scene
from visualizer.schedules import SCHEDULES, lr_table

# Programs are compiled for a fixed number of steps and sliced; these are the
# lengths (in points, steps + 1) that exist. Powers of two keep the waste
# under 2x and the number of programs per optimizer at most nine.
LENGTH_BUCKETS = (65, 129, 257, 513, 1025, 2049, 4097, 8193, 10001)
PROGRAM_CACHE_SIZE = 96
# Idle member runs (see `_Group`) a scene may cost before an optimizer that
# many of its runs share is compiled on its own: 8 x 1000 idle steps ~ 1 ms.
IDLE_RUNS_LIMIT = 8

F32 = np.float32


def bucket_length(steps: int) -> int:
    """Points computed for a scene of `steps` updates (at least steps + 1)."""
    for length in LENGTH_BUCKETS:
        if length >= steps + 1:
            return length
    raise ValueError(f"{steps=} exceeds the largest bucket {LENGTH_BUCKETS[-1] - 1}")


def noise_stage(noise, seed) -> optax.GradientTransformation:
    """Gaussian gradient noise of std `noise`: optax.add_noise draws std
    sqrt(eta / t^gamma), so eta = noise^2 with gamma = 0."""
    return optax.add_noise(noise * noise, 0.0, jax.random.key(seed))


def clip_stages(clip_value, clip_norm) -> tuple[optax.GradientTransformation, ...]:
    return optax.clip(clip_value), optax.clip_by_global_norm(clip_norm)


def build_chain(run: Run, steps: int, loss_fn: Callable, f_min: float = 0.0) -> optax.GradientTransformation:
    """The run as one optax transformation, for a plain training loop over
    `params` of shape (2,): the reference the engine is tested against. Its
    update takes optax's extra arguments `value`, `grad` and `value_fn`."""
    inf = float("inf")
    schedule = SCHEDULES[run.schedule].build(run.lr, steps, run.schedule_params)
    optimizer = OPTIMIZERS[run.optimizer].build(schedule, dict(run.hyper), Landscape(jax.hessian(loss_fn), f_min))
    return optax.chain(
        noise_stage(run.noise, run.seed),
        *clip_stages(inf if run.clip_value is None else run.clip_value,
                     inf if run.clip_norm is None else run.clip_norm),
        optimizer,
    )


@functools.lru_cache(maxsize=len(LENGTH_BUCKETS))
def _noise_program(length: int):
    """The draws `noise_stage` adds, for `length` updates, as one array:
    optax.add_noise applied to zeros. Generating them outside the run keeps
    the random-number code out of every optimizer's program (it tripled
    their compile time) while the draws stay optax's own."""

    def draws(eta, seed):
        # optax.add_noise's variance `eta` is passed in, not the std: squaring
        # the std here in float32 would round it differently from
        # `noise_stage` (which squares the Python float), and the draws would
        # differ from the reference chain's in the last bit.
        stage = optax.add_noise(eta, 0.0, jax.random.key(seed))
        zeros = jnp.zeros(2, F32)

        def step(state, _):
            g, state = stage.update(zeros, state)
            return state, g

        return jax.lax.scan(step, stage.init(zeros), None, length=length)[1]

    return jax.jit(draws).lower(jax.ShapeDtypeStruct((), F32), jax.ShapeDtypeStruct((), np.int32)).compile()


def noise_table(noise: float, seed: int, length: int) -> np.ndarray:
    if noise == 0:
        return np.zeros((length, 2), F32)
    return np.asarray(_noise_program(length)(F32(noise * noise), np.int32(seed)))


def add_noise_table(draws) -> optax.GradientTransformation:
    """Add row `count` of precomputed draws (see `_noise_program`)."""

    def init(params):
        del params
        return optax.ScaleByScheduleState(count=jnp.zeros([], jnp.int32))

    def update(updates, state, params=None):
        del params
        return updates + draws[state.count], optax.ScaleByScheduleState(count=state.count + 1)

    return optax.GradientTransformation(init, update)


def _surface_functions(surface_fn: Callable) -> tuple[Callable, Callable]:
    """The loss's value-and-gradient and its Hessian, each as a nested jit of
    `(point, surface_params)`: JAX traces and lowers a nested jit once per
    program however many members call it, which halves the tracing of a
    group of eight (the gradient of the surface was half of it)."""

    def loss(p, surface_params):
        return surface_fn(p[0], p[1], **surface_params)

    return jax.jit(jax.value_and_grad(loss)), jax.jit(jax.hessian(loss))


class RunArguments(NamedTuple):
    """Everything one run's program takes, each a float32 array, so changing
    any value calls the same compiled program."""

    hyper: dict  # the optimizer's hyperparameters by name
    lr: np.ndarray  # (length,): the schedule's learning rate of each update
    start: np.ndarray  # (2,)
    noise: np.ndarray  # (length, 2): the draws optax.add_noise adds
    clip_value: np.float32  # inf when off
    clip_norm: np.float32  # inf when off
    surface: dict  # the surface's own knobs (cond, angle)
    f_min: np.float32  # the surface's lowest value (Polyak's step size needs it)


class Path(NamedTuple):
    """What one run's program returns, per point (`length` of them): the
    point, f there, the raw gradient there, whether clipping changed the
    gradient of the update that leaves it, and the optimizer's state after
    that update, by the names its entry gives (`Optimizer.state`)."""

    xy: jax.Array
    loss: jax.Array
    grad: jax.Array
    clipped: jax.Array
    state: dict


class Member(NamedTuple):
    """An optimizer with the values of its static hyperparameters (those that
    fix an array's shape): what one compiled program runs."""

    optimizer: str
    static: tuple = ()  # ((name, value), ...)


def member_of(run: Run) -> Member:
    opt = OPTIMIZERS[run.optimizer]
    return Member(opt.id, tuple((name, run.values[name]) for name in opt.static))


class Stepper(NamedTuple):
    """One run as two pure functions, for any scan to drive: `init(args)`
    gives the carry at the start, `step(args, carry)` does one update and
    returns the new carry and the `Path` record of the point it left.
    `simulate` keeps every record; an exploration keeps only what it needs."""

    init: Callable
    step: Callable


# The stages before the optimizer, in chain order (`stepper`'s `omit` names them).
STAGES = ("noise", "clip_value", "clip_norm")


def stepper(value_and_grad: Callable, hessian: Callable, member: Member, omit: frozenset = frozenset()) -> Stepper:
    """`omit`: stages (of STAGES) to leave out of the chain, for a caller
    that knows they are switched off for every run it steps. Left in with
    neutral values they change nothing but cost time: clipping by norm
    vmapped over many runs tripled an exploration's program."""
    optimizer = OPTIMIZERS[member.optimizer]
    static = dict(member.static)

    def chain(args: RunArguments):
        stages = (add_noise_table(args.noise), *clip_stages(args.clip_value, args.clip_norm))
        stages = tuple(optax.identity() if name in omit else stage for name, stage in zip(STAGES, stages, strict=True))
        landscape = Landscape(lambda p: hessian(p, args.surface), args.f_min)
        return stages, optimizer.build(lambda count: args.lr[count], {**args.hyper, **static}, landscape)

    def init(args: RunArguments):
        stages, opt = chain(args)
        return args.start, tuple(s.init(args.start) for s in stages) + (opt.init(args.start),)

    def step(args: RunArguments, carry):
        # The chain of `build_chain`, stage by stage, so the gradient
        # between noise and clipping can be compared: was this step clipped?
        (noise_stage, clip_value_stage, clip_norm_stage), opt = chain(args)
        x, (noise_s, clip_value_s, clip_norm_s, opt_s) = carry
        value, raw = value_and_grad(x, args.surface)
        noisy, noise_s = noise_stage.update(raw, noise_s)
        g, clip_value_s = clip_value_stage.update(noisy, clip_value_s)
        g, clip_norm_s = clip_norm_stage.update(g, clip_norm_s)
        update, opt_s = opt.update(g, opt_s, x, value=value, grad=raw,
                                   value_fn=lambda p: value_and_grad(p, args.surface)[0])
        new_x = optax.apply_updates(x, update)
        state = {name: jnp.broadcast_to(read(opt_s, new_x), (2,)).astype(F32) for name, read in optimizer.state}
        carry = (new_x, (noise_s, clip_value_s, clip_norm_s, opt_s))
        return carry, Path(x, value, raw, jnp.any(g != noisy), state)

    return Stepper(init, step)


def _trajectory_fn(value_and_grad: Callable, hessian: Callable, member: Member, length: int) -> Callable:
    """One run: scan `length - 1` updates, return every visited point."""
    run = stepper(value_and_grad, hessian, member)

    def one_run(args: RunArguments) -> Path:
        return jax.lax.scan(lambda carry, _: run.step(args, carry), run.init(args), None, length=length)[1]

    return one_run


@dataclass(frozen=True, eq=False)
class _Group:
    """One compiled program that runs one run of each of its members side by
    side. `idle` holds arguments for members that have no run in a call
    (zeros, clipping off): their outputs are thrown away, which costs ~0.1 ms
    per 1000 steps and saves a branch that would cost more to compile."""

    program: Callable
    members: tuple[Member, ...]
    idle: tuple


def _compile_group(model: surfaces.Surface, members: tuple[Member, ...], length: int) -> _Group:
    """Compile the optimizers a scene needs and the cache lacks as one
    program. XLA's cost per program is mostly fixed (module set-up, lowering,
    code generation), so eight members compile in about 40% of the time of
    eight programs: a new (surface, eight optimizers) in ~0.4 s, not ~1 s."""
    value_and_grad, hessian = _surface_functions(model.fn)
    runs = tuple(_trajectory_fn(value_and_grad, hessian, member, length) for member in members)

    def group(argsets):
        return tuple(run(args) for run, args in zip(runs, argsets, strict=True))

    shapes = tuple(_argument_shapes(model, member.optimizer, length) for member in members)
    program = jax.jit(group).lower(shapes).compile()
    idle = tuple(jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), shape)._replace(
        clip_value=F32(np.inf), clip_norm=F32(np.inf)) for shape in shapes)
    return _Group(program, members, idle)


def on_formula(build: Callable, surface_id: str, formula: str, *args):
    """`build(surface, *args)` for the formula surface `surface_id` of text
    `formula`: a job for the compile worker, to which a surface travels as
    its text. Without its window: no program depends on it (ProgramKey has
    none)."""
    from visualizer.scene import resolve_surface

    return build(resolve_surface(surface_id, formula), *args)


def built_for(scene: Scene, model: surfaces.Surface, build: Callable, *args):
    """`build(model, *args)`, a program (or a record of one) for the scene's
    surface. A formula's is built by the compile worker, so its tracing does
    not hold up every other visitor's rerun (`visualizer.compile_worker`);
    the built-in surfaces are few, warmed up at start and on disk after."""
    if surfaces.SURFACES[scene.surface].formula:
        return compile_worker.WORKER.call(on_formula, build, scene.surface, scene.formula, *args)
    return build(model, *args)


class _ProgramCache:
    """Entries by key, least recently used dropped first, at most `size`.

    Missing entries are made by `make`, one call for all the keys a caller
    lacks (so a scene's new optimizers compile together), under a lock per
    key, not one for the cache: two sessions asking for the same new program
    at once compile it once (the second waits for the first and reuses what
    it made), while sessions that need different programs compile them at
    the same time, so nobody waits on another visitor's formula. A caller
    that finds some of its keys being made by another waits only for those,
    after making the rest itself; if that maker failed, it makes them itself.

    `waiting()` tells whether the calling thread is, right now, waiting for
    a program another session is compiling (for a page to say so)."""

    def __init__(self, size: int):
        self._size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()  # guards _entries and _making, never held while making
        self._making: dict = {}  # key -> threading.Event set when its maker is done
        self._waiters: set[int] = set()  # idents of threads waiting for another's make

    def _lookup(self, keys, accept) -> dict:
        found = {}
        for key in keys:
            if key in self._entries and accept(key, self._entries[key]):
                self._entries.move_to_end(key)
                found[key] = self._entries[key]
        return found

    def get_many(self, keys: Sequence, make: Callable[[tuple], Sequence],
                 accept: Callable[[object, object], bool] = lambda key, entry: True) -> list:
        """The entries of `keys` (distinct); `make(missing keys)` returns the
        entries of those not cached, or cached but not `accept`ed, in order."""
        found: dict = {}
        wanted = list(keys)
        while wanted:
            with self._lock:
                found.update(self._lookup(wanted, accept))
                mine, theirs = [], []
                for key in wanted:
                    if key in found:
                        continue
                    if key in self._making:
                        theirs.append(self._making[key])
                    else:
                        self._making[key] = threading.Event()
                        mine.append(key)
            if mine:
                try:
                    made = dict(zip(mine, make(tuple(mine)), strict=True))
                    with self._lock:
                        self._entries.update(made)
                        while len(self._entries) > self._size:
                            self._entries.popitem(last=False)
                    found.update(made)
                finally:
                    with self._lock:
                        for key in mine:
                            self._making.pop(key).set()
            if theirs:
                me = threading.get_ident()
                self._waiters.add(me)
                try:
                    for done in theirs:
                        done.wait()
                finally:
                    self._waiters.discard(me)
            wanted = [k for k in wanted if k not in found]
        return [found[k] for k in keys]

    def waiting(self, thread: int | None = None) -> bool:
        """Whether `thread` (default: the calling one) waits for a program
        that another session is compiling."""
        return (threading.get_ident() if thread is None else thread) in self._waiters

    def compiling(self) -> int:
        """How many programs are being compiled now, by every session."""
        return len(self._making)

    def __len__(self):
        return len(self._entries)

    def clear(self):
        with self._lock:
            self._entries.clear()


PROGRAMS = _ProgramCache(PROGRAM_CACHE_SIZE)


class ProgramKey(NamedTuple):
    """A compiled program's place in the cache: the surface (a formula
    surface by its text), the member (an optimizer and its static values),
    the number of points."""

    surface: tuple
    member: Member
    length: int


def _surface_key(scene: Scene) -> tuple:
    if surfaces.SURFACES[scene.surface].formula:
        return (scene.surface, scene.formula)
    return (scene.surface,)


def _members(scene: Scene, model: surfaces.Surface, length: int) -> dict[Member, tuple[_Group, int]]:
    """For each member of the scene, the compiled group that runs it and its
    place there. An entry is kept per (surface, member, length), so a later
    scene reuses whatever was compiled for earlier ones.

    A member that many runs share, sitting in a group of many, would make
    each extra call step the group's idle members; past IDLE_RUNS_LIMIT idle
    runs it is compiled again without them (once, ~0.1 s). An optimizer
    marked `alone` is always compiled on its own."""
    runs_of = Counter(member_of(run) for run in scene.runs)
    surface_key = _surface_key(scene)

    def make(missing_keys):
        alone = [k for k in missing_keys if OPTIMIZERS[k.member.optimizer].alone]
        together = tuple(k.member for k in missing_keys if k not in alone)
        made = {}
        if together:
            group = built_for(scene, model, _compile_group, together, length)
            made.update({member: (group, index) for index, member in enumerate(together)})
        for key in alone:
            made[key.member] = (built_for(scene, model, _compile_group, (key.member,), length), 0)
        return [made[key.member] for key in missing_keys]

    def few_idle(key, entry):
        group, _ = entry
        return (runs_of[key.member] - 1) * (len(group.members) - 1) <= IDLE_RUNS_LIMIT

    keys = [ProgramKey(surface_key, member, length) for member in runs_of]
    return dict(zip(runs_of, PROGRAMS.get_many(keys, make, few_idle), strict=True))


def pack_calls(places: Sequence[tuple[object, int]]) -> list[tuple[object, dict[int, int]]]:
    """Calls of compiled groups for jobs placed at (group, member index):
    each call serves one job per member of its group, so jobs of different
    members share calls and a second job of a member takes another. Returns
    (group, {member index: job number}) per call."""
    calls: list[tuple[object, dict[int, int]]] = []
    for number, (group, index) in enumerate(places):
        call = next((c for c in calls if c[0] is group and index not in c[1]), None)
        if call is None:
            call = (group, {})
            calls.append(call)
        call[1][index] = number
    return calls


def _run_groups(runs: Sequence[Run], members: dict, arguments: Sequence[tuple]) -> list:
    """Every run's outputs, with as few program calls as possible: one call
    of a group serves one run per member, so runs of different optimizers
    share calls and a second run of the same optimizer takes another."""
    outputs: list = [None] * len(runs)
    for group, assigned in pack_calls([members[member_of(run)] for run in runs]):
        argsets = list(group.idle)
        for index, number in assigned.items():
            argsets[index] = arguments[number]
        results = group.program(tuple(argsets))
        for index, number in assigned.items():
            outputs[number] = results[index]
    return outputs


def _argument_shapes(model, optimizer_id, length) -> RunArguments:
    scalar = jax.ShapeDtypeStruct((), F32)
    opt = OPTIMIZERS[optimizer_id]
    return RunArguments(
        hyper={h.name: scalar for h in opt.hypers if h.name not in opt.static},
        lr=jax.ShapeDtypeStruct((length,), F32),
        start=jax.ShapeDtypeStruct((2,), F32),
        noise=jax.ShapeDtypeStruct((length, 2), F32),
        clip_value=scalar,
        clip_norm=scalar,
        surface={p.name: scalar for p in model.knobs},
        f_min=scalar,
    )


def _arguments(scene: Scene, run: Run, length: int, f_min: float) -> RunArguments:
    """Host values for one run, every one float32 so the compiled program's
    signature always matches."""
    inf = np.inf
    return RunArguments(
        hyper={name: F32(value) for name, value in run.hyper.items()
               if name not in OPTIMIZERS[run.optimizer].static},
        lr=lr_table(run.schedule, run.lr, scene.steps, run.schedule_params, length),
        start=np.asarray(scene.start_of(run), F32),
        noise=noise_table(run.noise, run.seed, length),
        clip_value=F32(inf if run.clip_value is None else run.clip_value),
        clip_norm=F32(inf if run.clip_norm is None else run.clip_norm),
        surface={name: F32(value) for name, value in scene.surface_values().items()},
        f_min=F32(f_min),
    )


def simulate(scene: Scene) -> SimulationResult:
    """Run every run of `scene`; docs/scene-language.md says what comes back
    (docs/model.md for a model surface, which `visualizer.model` trains)."""
    if surfaces.SURFACES[scene.surface].model:
        from visualizer.model.simulate import simulate_model

        return simulate_model(scene)
    model = scene.surface_model()
    length = bucket_length(scene.steps)
    n = scene.steps
    needs_f_min = any(OPTIMIZERS[run.optimizer].needs_f_min for run in scene.runs)
    f_min = landmarks.of(scene).lowest if needs_f_min else 0.0
    arguments = [_arguments(scene, run, length, f_min) for run in scene.runs]
    outputs = _run_groups(scene.runs, _members(scene, model, length), arguments)
    results = []
    for run, label, args, output in zip(scene.runs, display_labels(scene.runs), arguments, outputs, strict=True):
        path = jax.tree.map(np.asarray, output)
        results.append(truncate_divergence(
            run=run,
            label=label,
            xy=path.xy[: n + 1],
            loss=path.loss[: n + 1],
            lr=args.lr[:n],
            grad=path.grad[:n],
            clipped=path.clipped[:n],
            state={name: values[:n] for name, values in path.state.items()},
        ))
    return SimulationResult(scene=scene, surface=model, runs=results)
