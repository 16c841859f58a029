"""`simulate_model(scene)`: every run of a model scene (surface=mlp) trained,
projected on the plane and drawn over the loss there.

    train run 1 (plane unknown) -> its weights' PCA: the plane ->
    train every run, projecting each point -> the loss on the plane

Every run starts from the same weights (the init's, or those pretraining
left) and has its own optax chain, learning-rate table, noise, clipping and
minibatches (its `seed` draws both). Run 1 is trained twice: the plane needs
its whole path first, and keeping every step's weights of every run would
cost (steps + 1) x weights floats a run, up to 177 MB; a run of the
default network takes about 10 ms.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from visualizer.core import compile_worker, programs, surfaces
from visualizer.core.errors import SceneError
from visualizer.core.model import plane as planes
from visualizer.core.model import training, unlabeled
from visualizer.core.model.data import Dataset, dataset
from visualizer.core.model.network import Network, initial_weights
from visualizer.core.model.training import F32, NetworkArguments, NetworkProblem
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.pipeline import NoiseKey, RunArguments, run_arguments
from visualizer.core.programs import ProgramKey, bucket_length, member_of
from visualizer.core.results import RunResult, SimulationResult
from visualizer.core.run import display_labels

PSEUDO_NONE, PSEUDO_CLASS = 0, 1  # Boundary.pseudo: not pseudo-labelled; class c is PSEUDO_CLASS + c

# Newton solves with the exact Hessian of every weight, each step: allowed
# on networks of at most this many weights (every one-hidden-layer network,
# hidden <= 64; two layers up to hidden = 13).
NEWTON_MAX_WEIGHTS = 260
F_MIN = 0.0  # the cross-entropy's infimum: Polyak's f*


@dataclass(frozen=True)
class ModelSettings:
    """A model scene's surface parameters, typed."""

    data: str
    network: Network
    init: str
    labels: float
    pretrain: str  # "none" or a data set
    freeze: bool
    unfreeze: int  # with freeze: the step from which every weight trains (0: never)
    batch: int  # 0: the full batch
    scale: float
    sharpness_every: int
    joint: bool  # the plane of every run's weights (plane=joint), not run 1's

    @classmethod
    def of(cls, scene) -> ModelSettings:
        model = surfaces.SURFACES[scene.surface]
        p = {**model.defaults, **scene.surface_params}
        return cls(
            data=p["data"],
            network=Network(int(p["hidden"]), int(p["layers"]), p["act"]),
            init=p["init"],
            labels=float(p["labels"]),
            pretrain=p["pretrain"],
            freeze=p["freeze"] == "1",
            unfreeze=int(p["unfreeze"]),
            batch=0 if p["batch"] == "all" else int(p["batch"]),
            scale=float(p["scale"]),
            sharpness_every=int(p["sharpness_every"]),
            joint=p["plane"] == "joint",
        )


@dataclass(frozen=True, eq=False)
class Boundary:
    """The network's P(class 1) on a grid over the data window, at a few
    steps of each run: `probability[r, f, j, i]` is run r's at step
    `steps[f]` and input (xs[i], ys[j]) (data coordinates: the network
    sees xs[i] * scale). NaN after a run diverged. `pseudo[r, f, i]` says
    what run r makes of unlabelled training point i at step `steps[f]`:
    PSEUDO_NONE (labelled, or not confident enough), else PSEUDO_CLASS + the
    class it is pseudo-labelled (`visualizer.core.model.unlabeled`);
    PSEUDO_NONE after a run diverged."""

    steps: np.ndarray  # (F,) ascending, 0 and the last step included
    xs: np.ndarray  # (G,)
    ys: np.ndarray  # (G,)
    probability: np.ndarray  # (runs, F, G, G) float32
    pseudo: np.ndarray  # (runs, F, n) uint8

    def at(self, run: int, step: int) -> np.ndarray:
        """Run `run`'s (0-based) boundary at the last frame at or before `step`."""
        return self.probability[run, self.frame_at(step)]

    def frame_at(self, step: int) -> int:
        """The last frame at or before `step`."""
        return max(int(np.searchsorted(self.steps, step, side="right")) - 1, 0)


@dataclass(frozen=True, eq=False)
class ModelView:
    """What a model scene shows besides the runs: the plane with the loss on
    it (the contours), the data (`labelled` marks the training points whose
    labels are kept; the page draws the others grey) and the decision
    boundaries; `weights0` is where every run starts."""

    settings: ModelSettings
    data: Dataset
    labelled: np.ndarray
    plane: planes.Plane
    boundary: Boundary
    weights0: np.ndarray


def check(scene, settings: ModelSettings | None = None) -> None:
    """The SceneError a model scene raises before training, if any: a run's
    own start, Newton on a network too big for its exact Hessian, an unfreeze
    without a freeze. (Of the
    explorations, only `lr` exists on a network: `variants.resolve` says so.)"""
    settings = settings or ModelSettings.of(scene)
    if settings.unfreeze and not settings.freeze:
        raise SceneError(f"surface: unfreeze={settings.unfreeze} lifts a freeze that is not there; give freeze=1 "
                         "with it (the last layer trains alone until that step)", "surface")
    for i, run in enumerate(scene.runs, 1):
        if run.values.get("x0") is not None or run.values.get("y0") is not None:
            raise SceneError(f"run {i}: x0/y0 (a run's own start) do not apply on surface {scene.surface}: every "
                             "run starts from the same initial weights", "run")
        size = settings.network.size
        if run.optimizer == "newton" and size > NEWTON_MAX_WEIGHTS:
            raise SceneError(f"run {i}: newton needs the exact Hessian of all {size} weights, each step; allowed "
                             f"on networks of at most {NEWTON_MAX_WEIGHTS} weights (hidden <= 64 with layers=1, "
                             "hidden <= 13 with layers=2)", "run")


def starting_weights(settings: ModelSettings) -> np.ndarray:
    if settings.pretrain == "none":
        return initial_weights(settings.network, settings.init)
    return training.pretrained_weights(settings.pretrain, settings.network, settings.init)


@dataclass(frozen=True, eq=False)
class _Prepared:
    """A model scene ready to train: its settings and data, each run's
    compiled program and arguments."""

    settings: ModelSettings
    data: Dataset
    labelled: np.ndarray
    train_x: np.ndarray
    w0: np.ndarray
    length: int
    places: list  # per run: its (group, member index); None where not compiled
    arguments: list  # per run: its RunArguments
    frame_steps: np.ndarray
    boundary_axes: tuple  # the decision boundary's xs and ys


def prepare(scene, compiled: bool = True) -> _Prepared:
    """What training `scene`'s runs takes: each run's arguments and (unless
    `compiled` is False: an exploration compiles its own) its program."""
    settings = ModelSettings.of(scene)
    check(scene, settings)
    net, n = settings.network, scene.steps
    length = bucket_length(n)
    data = dataset(settings.data)
    labelled = data.labelled(settings.labels)
    train_x, test_x = data.scaled(settings.scale)
    w0 = starting_weights(settings)

    problem = NetworkProblem(net, settings.batch, len(data.train_y), len(data.test_y))
    keys = [ProgramKey(problem, member_of(run), length) for run in scene.runs]
    distinct = list(dict.fromkeys(keys))

    def make(missing):
        # A network's programs come from the compile worker, like a formula's:
        # tracing them holds the interpreter's lock for a second or two.
        group = compile_worker.WORKER.call(training.compile_group, tuple(missing))
        return [(group, index) for index in range(len(missing))]

    made = dict(zip(distinct, programs.PROGRAMS.get_many(distinct, make), strict=True)) if compiled else {}

    bxs, bys, grid = _boundary_grid(data, settings.scale)
    n_frames, n_snapshots = training.frames_of(length), training.snapshots_of(length)
    frame_steps = training.spread(n, n_frames)
    shared = dict(
        freeze=net.last_layer() if settings.freeze else np.ones(net.size, F32),
        thaw=np.int32(settings.unfreeze) if settings.unfreeze else training.NEVER,
        train_x=train_x, train_y=data.train_y, labelled=labelled.astype(F32), test_x=test_x, test_y=data.test_y,
        centre=np.zeros(net.size, F32), axes=np.zeros((net.size, 2), F32),
        frame_slot=training.slots(frame_steps, length, n_frames),
        snapshot_slot=np.full(length, n_snapshots, np.int32), grid=grid,
        sharpness_at=sharpness_points(n, length, settings.sharpness_every), probe=probe(net.size),
    )
    arguments = [_arguments(run, n, length, settings.batch, labelled, w0, shared) for run in scene.runs]
    return _Prepared(settings, data, labelled, train_x, w0, length, [made.get(key) for key in keys], arguments,
                     frame_steps, (bxs, bys))


def _train_keeping(prepared: _Prepared, steps: dict) -> list:
    """The runs `steps` names (index -> steps), trained together, each
    with its weights kept at its steps (at most training.SNAPSHOTS of them,
    ascending): their `training.Output`s, in `steps`' order."""
    jobs = []
    for index, kept in steps.items():
        args = prepared.arguments[index]
        slots = training.slots(kept, prepared.length, training.snapshots_of(prepared.length))
        jobs.append((prepared.places[index], args._replace(problem=args.problem._replace(snapshot_slot=slots))))
    return training.train(jobs)


def weights_path(scene, index: int = 0) -> np.ndarray:
    """(points, P): the weights of run `index` (0-based) of a model scene
    at every point up to its divergence, as its program computes them
    (trained again, keeping them, as the plane's PCA does for run 1); for
    at most training.SNAPSHOTS - 1 steps."""
    if scene.steps >= training.SNAPSHOTS:
        raise ValueError(f"weights_path keeps at most {training.SNAPSHOTS - 1} steps; the scene has {scene.steps}")
    prepared = prepare(scene)
    (out,) = _train_keeping(prepared, {index: np.arange(scene.steps + 1)})
    last = _last_good(out.records, scene.steps)
    return np.asarray(out.snapshots)[: last + 1]


def simulate_model(scene) -> SimulationResult:
    """Train every run of a model scene; docs/model.md says what comes back."""
    prepared = prepare(scene)
    settings, data, labelled = prepared.settings, prepared.data, prepared.labelled
    net, n, length = settings.network, scene.steps, prepared.length
    bxs, bys = prepared.boundary_axes
    frame_steps = prepared.frame_steps
    n_frames, n_snapshots = training.frames_of(length), training.snapshots_of(length)

    # Pass 1: run 1 alone (every run, for the joint plane), keeping its
    # weights for the PCA.
    planned = range(len(scene.runs)) if settings.joint else range(1)
    chosen = {i: training.spread(n, n_snapshots) for i in planned}
    first = _train_keeping(prepared, chosen)
    lasts = {i: _last_good(out.records, n) for i, out in zip(planned, first, strict=True)}
    if any(last < n and last not in set(chosen[i].tolist()) for i, last in lasts.items()):
        chosen = {i: training.spread(lasts[i], n_snapshots) for i in planned}
        first = _train_keeping(prepared, chosen)
    paths = [np.asarray(out.snapshots)[: len(chosen[i])][chosen[i] <= lasts[i]]
             for i, out in zip(planned, first, strict=True)]
    if settings.joint:
        centre, axes, ratios = planes.joint_directions(paths)
    else:
        centre, axes, ratios = planes.directions(paths[0])

    # Pass 2: every run, projected.
    outputs = training.train([(place, args._replace(problem=args.problem._replace(centre=centre, axes=axes)))
                              for place, args in zip(prepared.places, prepared.arguments, strict=True)])
    results, boundaries, pseudo = [], [], []
    for run, label, args, out in zip(scene.runs, display_labels(scene.runs), prepared.arguments, outputs,
                                     strict=True):
        result = _run_result(run, label, out.records, args.lr, n)
        results.append(result)
        alive = frame_steps < len(result.xy)
        probability = np.asarray(out.boundary, F32).reshape(n_frames, len(bys), len(bxs))[: len(frame_steps)]
        probability = np.where(alive[:, None, None], probability, np.nan)
        boundaries.append(probability.astype(F32))
        pseudo.append(_pseudo_codes(np.asarray(out.points)[: len(frame_steps)], labelled,
                                    args.problem.unlabeled.logit_threshold) * alive[:, None])

    window = scene.surface_params.get("window") or planes.window([r.xy for r in results])
    xs, ys, z = planes.loss_grid(net, centre, axes, window, prepared.train_x, data.train_y, labelled.astype(F32))
    plane = planes.Plane(centre, axes, ratios, window, xs, ys, z)
    boundary = Boundary(frame_steps, bxs, bys, np.stack(boundaries), np.stack(pseudo).astype(np.uint8))
    view = ModelView(settings, data, labelled, plane, boundary, prepared.w0)
    surface = replace(surfaces.SURFACES[scene.surface], window=window)
    return SimulationResult(scene=scene, surface=surface, runs=results, model=view)


def sharpness_points(steps: int, length: int, every: int) -> np.ndarray:
    """(length,) int32, nonzero at the points whose sharpness is estimated: every
    `every` steps from 0, each with the point after it, and the last. In
    pairs because at the edge of stability the weights bounce across the
    valley, and the sharpness alternates between two values from one step
    to the next: points `every` apart (an even number) would all sit on
    one side and show only one of them."""
    at = np.zeros(length, np.int32)
    at[: steps + 1: every] = 1
    at[1: steps + 1: every] = 1
    at[steps] = 1
    at[:2] = 2  # the first pair: more iterations (`curvature.FIRST`), the first step moves the most
    return at


def probe(size: int) -> np.ndarray:
    """Where the first sharpness estimate starts: a fixed random direction."""
    return np.random.default_rng(0).standard_normal(size).astype(F32)


def _boundary_grid(data: Dataset, scale: float):
    (x0, x1), (y0, y1) = data.window
    g = training.BOUNDARY_POINTS
    xs = np.linspace(x0, x1, g, dtype=F32)
    ys = np.linspace(y0, y1, g, dtype=F32)
    gx, gy = np.meshgrid(xs, ys)  # [j, i]: y index j, x index i
    grid = np.stack([gx.ravel() * np.float32(scale), gy.ravel()], 1).astype(F32)
    return xs, ys, grid


def _pseudo_codes(logits: np.ndarray, labelled: np.ndarray, logit_threshold) -> np.ndarray:
    """(F, n) `Boundary.pseudo` codes from the training points' logits at each frame."""
    taken = (np.abs(logits) >= logit_threshold) & ~labelled
    return np.where(taken, PSEUDO_CLASS + (logits > 0), PSEUDO_NONE).astype(np.uint8)


def unlabeled_arguments(run) -> unlabeled.UnlabeledArguments:
    """What `run` does with the unlabelled points, as its program takes it."""
    return unlabeled.arguments(run.setting("unlabeled"), run.setting("threshold"), run.setting("weight"))


def _arguments(run, steps, length, batch, labelled, w0, shared) -> RunArguments:
    """Host values for one run, each of the dtype the program was compiled for."""
    if batch:
        index, weight = training.batch_table(labelled, batch, run.seed, length)
    else:
        index, weight = np.zeros((length, 0), np.int32), np.zeros((length, 0), F32)
    # optax.add_noise's variance, squared in float64 as `pipeline.noise_stage` squares it.
    noise = NoiseKey(F32(run.noise * run.noise), np.int32(run.seed))
    return run_arguments(run, steps, length, noise=noise, f_min=F_MIN, start=w0,
                         problem=NetworkArguments(batch_index=index, batch_weight=weight,
                                                  unlabeled=unlabeled_arguments(run), **shared))


def _good(records, n: int) -> np.ndarray:
    """Per point 0..n: the weights finite and within the limit, the loss finite."""
    return np.asarray(records.ok[: n + 1]) & np.isfinite(np.asarray(records.loss[: n + 1]))


def _last_good(records, n: int) -> int:
    """The last point before the first bad one (n when none is bad)."""
    good = _good(records, n)
    if good.all():
        return n
    bad = int(np.argmin(good))
    if bad == 0:
        raise SceneError("surface: the network's loss is not finite at its initial weights; choose another init "
                         "or scale", "surface")
    return bad - 1


def _run_result(run, label, records, lr, n: int) -> RunResult:
    """One run's arrays cut at its divergence: update k diverges when it
    gives a weight that is not finite or beyond 1e6 in size, or a loss that
    is not finite (the 2D rule with every weight in place of the point)."""
    r = {name: np.asarray(values) for name, values in records._asdict().items()}
    last = _last_good(records, n)
    points, updates = last + 1, (n if last == n else last + 1)
    taken, right = r["pseudo_labels"][:points], r["pseudo_right"][:points]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(taken > 0, right / taken, np.nan).astype(F32)
    return RunResult(
        run=run, label=label,
        xy=r["xy"][:points], loss=r["loss"][:points],
        lr=lr[:updates], grad=r["grad"][:updates], clipped=r["clipped"][:updates],
        diverged_at=None if last == n else last,
        train_accuracy=r["train_accuracy"][:points], test_accuracy=r["test_accuracy"][:points],
        weight_grad_norm=r["grad_norm"][:updates],
        pseudo_labels=taken.astype(np.int32), pseudo_label_accuracy=share,
        sharpness=r["sharpness"][:points],
        preconditioned_sharpness=r["preconditioned_sharpness"][:points] if _preconditioned(run) else None,
        plane_distance=r["plane_distance"][:points],
    )


def _preconditioned(run) -> bool:
    stability = OPTIMIZERS[run.optimizer].stability
    return stability is not None and stability.preconditioner is not None
