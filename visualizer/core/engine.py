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

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import jax
import numpy as np

from visualizer.core import clouds, compile_worker, landmarks, programs, sharpness, surfaces
from visualizer.core import flow as flows
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.pipeline import (
    F32,
    Path,
    RunArguments,
    noise_table,
    run_arguments,
    stepper,
    surface_functions,
)
from visualizer.core.programs import Member, ProgramKey, bucket_length, member_of, pack_calls
from visualizer.core.results import SimulationResult, truncate_divergence
from visualizer.core.run import Run, display_labels
from visualizer.core.scene import Scene
from visualizer.core.surfaces import FORMULA, NETWORK

# Idle member runs (see `_Group`) a scene may cost before an optimizer that
# many of its runs share is compiled on its own: 8 x 1000 idle steps ~ 1 ms.
IDLE_RUNS_LIMIT = 8


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


def _compile_group(surface: surfaces.Surface, members: tuple[Member, ...], length: int) -> _Group:
    """Compile the optimizers a scene needs and the cache lacks as one
    program. XLA's cost per program is mostly fixed (module set-up, lowering,
    code generation), so eight members compile in about 40% of the time of
    eight programs: a new (surface, eight optimizers) in ~0.4 s, not ~1 s."""
    value_and_grad, hessian = surface_functions(surface.fn)
    runs = tuple(_trajectory_fn(value_and_grad, hessian, member, length) for member in members)

    def group(argsets):
        return tuple(run(args) for run, args in zip(runs, argsets, strict=True))

    shapes = tuple(_argument_shapes(surface, member.optimizer, length) for member in members)
    program = jax.jit(group).lower(shapes).compile()
    idle = tuple(jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), shape)._replace(
        clip_value=F32(np.inf), clip_norm=F32(np.inf)) for shape in shapes)
    return _Group(program, members, idle)


def on_formula(build: Callable, surface_id: str, formula: str, *args):
    """`build(surface, *args)` for the formula surface `surface_id` of text
    `formula`: a job for the compile worker, to which a surface travels as
    its text. Without its window: no program depends on it (ProgramKey has
    none)."""
    from visualizer.core.scene import resolve_surface

    return build(resolve_surface(surface_id, formula), *args)


def built_for(scene: Scene, surface: surfaces.Surface, build: Callable, *args):
    """`build(surface, *args)`, a program (or a record of one) for the scene's
    surface. A formula's is built by the compile worker, so its tracing does
    not hold up every other visitor's rerun (`visualizer.core.compile_worker`);
    the built-in surfaces are few, warmed up at start and on disk after."""
    if surfaces.SURFACES[scene.surface].kind == FORMULA:
        return compile_worker.WORKER.call(on_formula, build, scene.surface, scene.formula, *args)
    return build(surface, *args)


def surface_key(scene: Scene) -> tuple:
    if surfaces.SURFACES[scene.surface].kind == FORMULA:
        return (scene.surface, scene.formula)
    return (scene.surface,)


def _members(scene: Scene, surface: surfaces.Surface, length: int) -> dict[Member, tuple[_Group, int]]:
    """For each member of the scene, the compiled group that runs it and its
    place there. An entry is kept per (surface, member, length), so a later
    scene reuses whatever was compiled for earlier ones.

    A member that many runs share, sitting in a group of many, would make
    each extra call step the group's idle members; past IDLE_RUNS_LIMIT idle
    runs it is compiled again without them (once, ~0.1 s). An optimizer
    marked `alone` is always compiled on its own."""
    runs_of = Counter(member_of(run) for run in scene.runs)
    problem = surface_key(scene)

    def make(missing_keys):
        alone = [k for k in missing_keys if OPTIMIZERS[k.member.optimizer].alone]
        together = tuple(k.member for k in missing_keys if k not in alone)
        made = {}
        if together:
            group = built_for(scene, surface, _compile_group, together, length)
            made.update({member: (group, index) for index, member in enumerate(together)})
        for key in alone:
            made[key.member] = (built_for(scene, surface, _compile_group, (key.member,), length), 0)
        return [made[key.member] for key in missing_keys]

    def few_idle(key, entry):
        group, _ = entry
        return (runs_of[key.member] - 1) * (len(group.members) - 1) <= IDLE_RUNS_LIMIT

    keys = [ProgramKey(problem, member, length) for member in runs_of]
    return dict(zip(runs_of, programs.PROGRAMS.get_many(keys, make, few_idle), strict=True))


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


def _argument_shapes(surface, optimizer_id, length) -> RunArguments:
    scalar = jax.ShapeDtypeStruct((), F32)
    opt = OPTIMIZERS[optimizer_id]
    return RunArguments(
        hyper={h.name: scalar for h in opt.hypers if h.name not in opt.static},
        lr=jax.ShapeDtypeStruct((length,), F32),
        start=jax.ShapeDtypeStruct((2,), F32),
        noise=jax.ShapeDtypeStruct((length, 2), F32),
        clip_value=scalar,
        clip_norm=scalar,
        problem={p.name: scalar for p in surface.knobs},
        f_min=scalar,
    )


def _arguments(scene: Scene, run: Run, length: int, f_min: float) -> RunArguments:
    # a cloud draws its copies' noise in its own program
    noise = noise_table(run.noise if run.seeds == 1 else 0.0, run.seed, length)
    return run_arguments(run, scene.steps, length, noise=noise, f_min=f_min,
                         start=np.asarray(scene.start_of(run), F32),
                         problem={name: F32(value) for name, value in scene.surface_values().items()})


def simulate(scene: Scene) -> SimulationResult:
    """Run every run of `scene`; docs/scene-language.md says what comes back
    (docs/model.md for a model surface, which `visualizer.core.model` trains)."""
    if surfaces.SURFACES[scene.surface].kind == NETWORK:
        from visualizer.core.model.simulate import simulate_model

        return simulate_model(scene)
    surface = scene.resolved_surface()
    length = bucket_length(scene.steps)
    n = scene.steps
    needs_f_min = any(OPTIMIZERS[run.optimizer].needs_f_min for run in scene.runs)
    f_min = landmarks.of(scene).lowest if needs_f_min else 0.0
    arguments = [_arguments(scene, run, length, f_min) for run in scene.runs]
    single = [i for i, run in enumerate(scene.runs) if run.seeds == 1]
    outputs = dict(zip(single, _run_groups([scene.runs[i] for i in single],
                                           _members(scene.replace(runs=tuple(scene.runs[i] for i in single)),
                                                    surface, length),
                                           [arguments[i] for i in single]), strict=True))
    results = []
    for i, (run, label, args) in enumerate(zip(scene.runs, display_labels(scene.runs), arguments, strict=True)):
        if i not in outputs:
            results.append(_cloud(scene, surface, length, run, label, args))
            continue
        path = jax.tree.map(np.asarray, outputs[i])
        result = truncate_divergence(
            run=run,
            label=label,
            xy=path.xy[: n + 1],
            loss=path.loss[: n + 1],
            lr=args.lr[:n],
            grad=path.grad[:n],
            clipped=path.clipped[:n],
            state={name: values[:n] for name, values in path.state.items()},
        )
        plain, preconditioned = sharpness.along(run, path.hessian[: len(result.xy)].T, result.state)
        results.append(replace(result, sharpness=plain, preconditioned_sharpness=preconditioned))
    if scene.flow:
        results = [_with_flow(scene, surface, length, r, args) if flows.has_flow(r.run.optimizer) else r
                   for r, args in zip(results, arguments, strict=True)]
    return SimulationResult(scene=scene, surface=surface, runs=results)


def _cloud(scene: Scene, surface: surfaces.Surface, length: int, run: Run, label: str, args: RunArguments):
    """A run of `run.seeds` copies (`visualizer.core.clouds`): its median
    path, loss, gradient and sharpness, with the quantiles of the path and
    the loss beside them; cut where the median diverges."""
    size = clouds.size_of(run.seeds)
    key = clouds.CloudKey(surface_key(scene), member_of(run), length, size, clouds.clipping_of(run))
    shapes = _argument_shapes(surface, run.optimizer, length)
    (program,) = clouds.PROGRAMS.get_many(
        [key], lambda keys: [built_for(scene, surface, clouds.compile_cloud, k.member, k.length, k.size,
                                       k.clipping, shapes) for k in keys])
    series = np.asarray(program(args, F32(run.noise), clouds.seeds_of(run, size)))
    n = scene.steps
    cloud = clouds.summarise(series, run.seeds, n + 1)
    m = cloud.median
    xy = np.stack([m["x"], m["y"]], axis=1)
    result = truncate_divergence(run=run, label=label, xy=xy, loss=m["loss"], lr=args.lr[:n],
                                 grad=np.stack([m["grad_x"], m["grad_y"]], axis=1)[:n],
                                 clipped=np.zeros(n, bool))
    points = len(result.xy)
    return replace(result, sharpness=m["sharpness"][:points],
                   quantiles={"q": clouds.QUANTILES, "xy": cloud.xy[:, :points], "loss": cloud.loss[:, :points]})


def _with_flow(scene: Scene, surface: surfaces.Surface, length: int, result, args: RunArguments):
    """`result` with its continuous-time limit at each of its points."""
    key = flows.FlowKey(surface_key(scene), result.run.optimizer, length)
    (program,) = flows.PROGRAMS.get_many(
        [key], lambda keys: [built_for(scene, surface, flows.compile_flow, k.optimizer, k.length) for k in keys])
    flow = flows.solved(program, args.start, args.lr, len(result.xy) - 1, args.hyper, args.problem, surface.window)
    return replace(result, flow=flow.points, leaves_flow_at=flows.leaves_at(result.xy, flow.points, surface.window),
                   flow_stops_at=flow.stops_at, flow_stop=None if flow.stop is None else flow.stop.words)
