"""The engine against its references (docs/scene-language.md, docs/results.md).

Every trajectory `simulate` returns must be the one a plain optax training
loop gets: `build_chain(...)` stepped by hand, update by update, in float32,
and the loop of the optax call each optimizer names, written apart from its
`build` (`Optimizer.checks`). tests/test_rules.py checks every optimizer
against its textbook update in NumPy (float64).
"""

from __future__ import annotations

import functools
import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from visualizer import Scene, simulate
from visualizer.core import engine, pipeline, programs, surfaces
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.optimizers.checks import SURFACE_RATE
from visualizer.core.results import DIVERGENCE_LIMIT

STEPS = 20

# Surfaces the trajectories are crossed over, and a stable plain-SGD learning
# rate on each (for the optimizers whose test vectors ask for it; the others
# use their own default lr or the rate their test vectors give).
SURFACES = {
    "quadratic": ("surface=quadratic:cond=25,angle=30", 0.03),
    "rosenbrock": ("surface=rosenbrock", 0.001),
    "himmelblau": ("surface=himmelblau", 0.01),
    "saddle": ("surface=saddle", 0.05),
    "cliff": ("surface=cliff&start=1.6,0.8", 0.02),
    "beale": ("surface=beale", 0.01),
}


def loop_lr(opt, surface: str) -> float:
    """The learning rate of `opt`'s runs against the optax loop on `surface`."""
    lr = opt.checks.loop_lr
    return SURFACES[surface][1] if lr == SURFACE_RATE else opt.lr if lr is None else lr


# ------------------------------------------------------------ references


def loss_fn(scene):
    model = scene.resolved_surface()
    params = _surface_params(scene)
    return lambda p: model.fn(p[0], p[1], **params)


def _surface_params(scene):
    return {p.name: np.float32(scene.surface_params.get(p.name, p.default)) for p in scene.resolved_surface().params}


@functools.cache
def _value_and_grad(surface_id, batched):
    """f and its gradient for a built-in surface, jitted once per surface."""
    fn = surfaces.SURFACES[surface_id].fn

    def value_and_grad(p, params):
        return jax.value_and_grad(lambda q: fn(q[0], q[1], **params))(p)

    return jax.jit(jax.vmap(value_and_grad, in_axes=(0, None)) if batched else value_and_grad)


def reference(scene, run, chain=None, states=None):
    """The plain optax loop: chain.update step by step, float32. If `states`
    is a dict, it receives the optimizer's state after each update, read by
    name as the optimizer's entry names it (optax.tree_utils.tree_get)."""
    loss = loss_fn(scene)
    params = _surface_params(scene)
    grad = _value_and_grad(scene.surface, False)
    chain = optax.with_extra_args_support(chain or pipeline.build_chain(run, scene.steps, loss))
    # Op by op unless Newton, whose exact Hessian takes seconds op by op.
    update = chain.update
    if run.optimizer == "newton":
        update = jax.jit(lambda g, s, x, value, grad: chain.update(g, s, x, value=value, grad=grad, value_fn=loss))
    x = jnp.asarray(scene.start_of(run), jnp.float32)
    state = chain.init(x)
    xs, losses, grads = [x], [], []
    readers = OPTIMIZERS[run.optimizer].state
    for _ in range(scene.steps):
        value, g = grad(x, params)
        losses.append(value)
        grads.append(g)
        extra = {} if run.optimizer == "newton" else {"value_fn": loss}
        u, state = update(g, state, x, value=value, grad=g, **extra)
        x = optax.apply_updates(x, u)
        xs.append(x)
        if states is not None:
            for name, read in readers:
                states.setdefault(name, []).append(np.broadcast_to(np.asarray(read(state, x)), (2,)))
    losses.append(grad(x, params)[0])
    return np.asarray(xs), np.asarray(losses), np.linalg.norm(np.asarray(grads), axis=1), np.asarray(grads)


def spec_lr(run, steps):
    """The learning rate of updates 0..steps-1, from the schedules table of docs/scene-language.md."""
    lr, p = run.lr, run.schedule_params
    t = np.arange(steps)
    kind = run.schedule
    if kind == "constant":
        return np.full(steps, lr, np.float32)
    if kind == "cyclic":
        # Smith (2017), "triangular": half-period s, lr*min_ratio at t=0, lr at t=s.
        s = p["period"] / 2
        cycle = np.floor(1 + t / (2 * s))
        xpos = np.abs(t / s - 2 * cycle + 1)
        low = lr * p["min_ratio"]
        return (low + (lr - low) * np.maximum(0, 1 - xpos)).astype(np.float32)
    schedule = {
        "step": lambda: optax.exponential_decay(lr, transition_steps=p["step_size"], decay_rate=p["gamma"],
                                                staircase=True),
        "exponential": lambda: optax.exponential_decay(lr, transition_steps=1, decay_rate=p["gamma"]),
        "cosine": lambda: optax.cosine_decay_schedule(lr, decay_steps=steps, alpha=p["min_ratio"]),
        "warmup_cosine": lambda: optax.warmup_cosine_decay_schedule(0.0, lr, p["warmup"], steps,
                                                                    end_value=lr * p["min_ratio"]),
        "onecycle": lambda: optax.cosine_onecycle_schedule(steps, lr),
    }[kind]()
    return np.asarray(jax.vmap(schedule)(jnp.arange(steps)), np.float32)


def at_points(scene, xy):
    """f and the norm of its raw gradient at given points (float32)."""
    values, grads = _value_and_grad(scene.surface, True)(jnp.asarray(xy, jnp.float32), _surface_params(scene))
    return np.asarray(values), np.linalg.norm(np.asarray(grads), axis=1)


def assert_matches_reference(scene, index=0, tol=3e-5):
    """simulate's run `index` is the reference loop's, to float32 accuracy
    (differences from operation order grow to a few 1e-6 of the scale in
    twenty steps; the tolerance is ten times that)."""
    result = simulate(scene).runs[index]
    run = scene.runs[index]
    assert result.diverged_at is None, f"{run.to_spec()} diverged; pick a stable case"
    n = scene.steps
    assert result.xy.shape == (n + 1, 2) and result.loss.shape == (n + 1,)
    assert result.lr.shape == (n,) and result.grad_norm.shape == (n,)
    assert np.abs(result.xy[-1] - result.xy[0]).max() > 1e-6, "the run never moved; the test would show nothing"

    states: dict = {}
    xs, losses, norms, grads = reference(scene, run, states=states)
    np.testing.assert_allclose(result.xy, xs, rtol=tol, atol=tol * (1 + np.abs(xs).max()),
                               err_msg=f"xy of {run.to_spec()}")
    np.testing.assert_allclose(result.grad, grads, rtol=3 * tol, atol=tol * (1 + np.abs(grads).max()),
                               err_msg=f"grad of {run.to_spec()}")
    assert set(result.state) == set(states), "the results carry the state the optimizer's entry names"
    for name, values in states.items():
        want = np.asarray(values)
        np.testing.assert_allclose(result.state[name], want, rtol=10 * tol, atol=10 * tol * (1 + np.abs(want).max()),
                                   err_msg=f"state {name} of {run.to_spec()}")
    np.testing.assert_allclose(result.loss, losses, rtol=3 * tol, atol=tol * (1 + np.abs(losses).max()),
                               err_msg=f"loss of {run.to_spec()}")
    np.testing.assert_allclose(result.grad_norm, norms, rtol=3 * tol, atol=tol * (1 + norms.max()),
                               err_msg=f"grad_norm of {run.to_spec()}")
    np.testing.assert_allclose(result.lr, spec_lr(run, n), rtol=1e-5, atol=1e-12, err_msg=f"lr of {run.to_spec()}")

    # docs/results.md: loss[k] is f at xy[k], grad_norm[k] the raw gradient's norm there.
    values, grad_norms = at_points(scene, result.xy)
    np.testing.assert_allclose(result.loss, values, rtol=1e-5, atol=1e-6 * (1 + np.abs(values).max()))
    np.testing.assert_allclose(result.grad_norm, grad_norms[:n], rtol=1e-5, atol=1e-6 * (1 + grad_norms.max()))
    return result


# ------------------------------------------------------------ every optimizer, schedule, clip mode


def _optimizer_cases():
    names = list(SURFACES)
    for i, opt_id in enumerate(OPTIMIZERS):
        for j in range(3):
            yield opt_id, names[(i + j) % len(names)]


@pytest.mark.parametrize("opt_id, surface", list(_optimizer_cases()))
def test_every_optimizer_matches_the_optax_loop(opt_id, surface):
    opt = OPTIMIZERS[opt_id]
    spec = ",".join(filter(None, [f"lr={loop_lr(opt, surface)}", opt.checks.values]))
    scene = Scene.from_query(f"{SURFACES[surface][0]}&steps={STEPS}&run={opt_id}:{spec}")
    assert dict(scene.runs[0].hyper) == opt.checks.hyper, "the test vectors set every hyperparameter"
    # L-BFGS's line search branches on float32 comparisons, so the compiled
    # program and the op-by-op reference may pick different step lengths
    # after a few steps; both are optax's L-BFGS.
    assert_matches_reference(scene, tol=1e-3 if opt_id == "lbfgs" else 3e-5)


def test_runs_that_share_compiled_groups_each_match_the_optax_loop(monkeypatch):
    """Optimizers compiled together in one program, another compiled later,
    and repeated optimizers taking extra calls: every run is still its own
    reference loop."""
    monkeypatch.setattr(programs, "PROGRAMS", programs.ProgramCache(programs.PROGRAM_CACHE_SIZE))
    query, gd_lr = SURFACES["himmelblau"]
    simulate(Scene.from_query(f"{query}&steps={STEPS}&run=adam:lr=0.05&run=sgd:lr={gd_lr}"))
    runs = [f"momentum:lr={gd_lr},momentum=0.8", "adam:lr=0.1", f"sgd:lr={gd_lr}", "adam:lr=0.02,b1=0.8",
            f"momentum:lr={gd_lr / 2}", "rmsprop:lr=0.01", f"sgd:lr={gd_lr / 3},noise=0.5"]
    scene = Scene.from_query(f"{query}&steps={STEPS}&" + "&".join(f"run={r}" for r in runs))
    members = engine._members(scene, scene.resolved_surface(), programs.bucket_length(STEPS))
    group = {m.optimizer: entry[0] for m, entry in members.items()}
    assert group["adam"] is group["sgd"]
    assert group["momentum"] is group["rmsprop"] is not group["adam"]
    assert len(programs.PROGRAMS) == 4
    for index in range(len(runs)):
        assert_matches_reference(scene, index)


def test_every_optimizer_is_crossed_with_three_surfaces():
    cases = list(_optimizer_cases())
    assert {o for o, _ in cases} == set(OPTIMIZERS)
    assert all(len({s for o2, s in cases if o2 == o}) == 3 for o in OPTIMIZERS)


@pytest.mark.parametrize("opt_id", list(OPTIMIZERS))
def test_every_optimizer_is_the_optax_call_it_names(opt_id):
    opt = OPTIMIZERS[opt_id]
    lr = loop_lr(opt, "himmelblau")
    spec = ",".join(filter(None, [f"lr={lr}", opt.checks.values]))
    scene = Scene.from_query(f"surface=himmelblau&steps=10&run={opt_id}:{spec}")
    run = scene.runs[0]
    result = simulate(scene).runs[0]
    chain = opt.checks.optax_call(lr, dict(run.values), hessian=jax.hessian(loss_fn(scene)), f_min=0.0)
    xs = reference(scene, run, chain)[0]
    np.testing.assert_allclose(result.xy, xs, rtol=3e-5, atol=3e-5 * (1 + np.abs(xs).max()), err_msg=run.to_spec())


SCHEDULE_SPECS = {
    "constant": "",
    "step": "schedule=step,step_size=6,gamma=0.5",
    "exponential": "schedule=exponential,gamma=0.9",
    "cosine": "schedule=cosine,min_ratio=0.1",
    "warmup_cosine": "schedule=warmup_cosine,warmup=5,min_ratio=0.05",
    "onecycle": "schedule=onecycle",
    "cyclic": "schedule=cyclic,period=8,min_ratio=0.2",
}
SCHEDULE_RUNS = [("quadratic", "momentum:lr=0.03,momentum=0.8"), ("himmelblau", "adam:lr=0.1")]


@pytest.mark.parametrize("schedule", list(SCHEDULE_SPECS))
@pytest.mark.parametrize("surface, run", SCHEDULE_RUNS)
def test_every_schedule_matches_the_optax_loop(schedule, surface, run):
    extra = SCHEDULE_SPECS[schedule]
    scene = Scene.from_query(f"{SURFACES[surface][0]}&steps={STEPS}&run={run}" + (f",{extra}" if extra else ""))
    assert scene.runs[0].schedule == schedule
    result = assert_matches_reference(scene)
    if schedule != "constant":
        assert len(set(result.lr.tolist())) > 2, "the schedule never changed the learning rate"


def test_schedules_are_all_covered():
    from visualizer.core.schedules import SCHEDULES

    assert set(SCHEDULE_SPECS) == set(SCHEDULES)


def test_warmup_longer_than_the_run_does_not_break_it():
    scene = Scene.from_query(f"surface=himmelblau&steps={STEPS}&run=adam:lr=0.1,schedule=warmup_cosine,warmup=500")
    result = simulate(scene).runs[0]
    assert result.diverged_at is None and np.isfinite(result.lr).all()
    assert result.lr[0] == 0 and result.lr.max() <= 0.1 + 1e-7


CLIP_MODES = {"none": "", "value": "clip_value={v}", "norm": "clip_norm={n}", "both": "clip_value={v},clip_norm={n}"}
CLIP_RUNS = [
    # (surface, run, clip_value, clip_norm): thresholds well below the gradients there
    ("surface=cliff&start=1.6,0.8", "sgd:lr=0.1", 5, 10),
    ("surface=rosenbrock", "momentum:lr=0.001,momentum=0.9", 20, 50),
]


@pytest.mark.parametrize("mode", list(CLIP_MODES))
@pytest.mark.parametrize("surface, run, clip_value, clip_norm", CLIP_RUNS)
def test_every_clip_mode_matches_the_optax_loop(mode, surface, run, clip_value, clip_norm):
    extra = CLIP_MODES[mode].format(v=clip_value, n=clip_norm)
    scene = Scene.from_query(f"{surface}&steps={STEPS}&run={run}" + (f",{extra}" if extra else ""))
    result = assert_matches_reference(scene)
    assert result.clipped.any() == (mode != "none")
    if mode != "none":
        # grad_norm is the raw gradient's, before clipping.
        assert result.grad_norm.max() > max(clip_value, clip_norm)


@pytest.mark.parametrize("noise", [0.0, 3.0])
def test_gradient_pipeline_order_by_hand(noise):
    """docs/scene-language.md: raw gradient -> noise -> clip_value -> clip_norm -> optimizer,
    written out for SGD (the optax loop shares the engine's stages, so this
    is the check of their order). On the cliff's face both clips act, and
    the two orders give different steps."""
    lr, clip_value, clip_norm, seed = 0.05, 5.0, 3.0, 4
    scene = Scene.from_query(f"surface=cliff&start=1.6,0.8&steps={STEPS}"
                             f"&run=sgd:lr={lr},clip_value={clip_value},clip_norm={clip_norm},noise={noise},seed={seed}")
    result = simulate(scene).runs[0]
    draws = pipeline.noise_table(noise, seed, programs.bucket_length(STEPS)).astype(np.float64)
    grad = _value_and_grad("cliff", False)
    x = np.asarray(scene.start, np.float32)
    xs = [x]
    for k in range(STEPS):
        g = np.asarray(grad(jnp.asarray(x), {})[1], np.float64) + draws[k]
        g = np.clip(g, -clip_value, clip_value)
        norm = np.linalg.norm(g)
        g = g if norm < clip_norm else g / norm * clip_norm
        x = (x - lr * g).astype(np.float32)
        xs.append(x)
    np.testing.assert_allclose(result.xy, np.asarray(xs), rtol=1e-5, atol=1e-5)
    assert result.clipped.any()


NOISE_RUNS = [
    ("quadratic", "sgd:lr=0.05,noise=0.5,seed=3"),
    ("himmelblau", "adam:lr=0.05,noise=2,seed=12345"),
    ("rosenbrock", "momentum:lr=0.001,momentum=0.9,noise=5,seed=0,clip_value=20"),
    ("saddle", "nesterov:lr=0.05,noise=0.1,seed=2147483647,clip_norm=0.5"),
]


@pytest.mark.parametrize("surface, run", NOISE_RUNS)
def test_noise_matches_the_optax_loop(surface, run):
    scene = Scene.from_query(f"{SURFACES[surface][0]}&steps={STEPS}&run={run}")
    noisy = assert_matches_reference(scene)
    quiet = simulate(scene.replace(runs=(scene.runs[0].replace(noise=0.0),)))
    assert not np.allclose(noisy.xy, quiet.runs[0].xy), "noise changed nothing"


def test_noise_table_is_optax_add_noise():
    """The engine's precomputed draws are add_noise's own: same keys in the
    same order, same standard deviation (to the last bit when both are
    compiled; eager evaluation may round the last bit differently)."""
    for noise, seed in [(0.5, 3), (0.7, 11), (1e-3, 2**31 - 1), (3.35855753, 5)]:
        stage = optax.add_noise(noise * noise, 0.0, jax.random.key(seed))
        update = jax.jit(stage.update)
        zeros = jnp.zeros(2, jnp.float32)
        state = eager_state = stage.init(zeros)
        compiled, eager = [], []
        for k in range(65):
            d, state = update(zeros, state)
            compiled.append(np.asarray(d))
            if k < 8:
                d, eager_state = stage.update(zeros, eager_state)
                eager.append(np.asarray(d))
        table = pipeline.noise_table(noise, seed, 65)
        np.testing.assert_array_equal(table, np.asarray(compiled), err_msg=f"noise={noise} seed={seed}")
        np.testing.assert_allclose(table[:8], np.asarray(eager), rtol=1e-6, atol=0)
    np.testing.assert_array_equal(pipeline.noise_table(0.0, 7, 65), np.zeros((65, 2), np.float32))


def test_noise_is_gaussian_with_the_given_std_and_reproducible():
    # f = (x^2 + y^2)/2, so the gradient is x and SGD gives x' = x - lr (x + n): the noise is readable.
    q = "surface=quadratic:cond=1,angle=0&start=1,-1&steps=2000&run=sgd:lr=0.5,noise=0.3,seed=5"
    result = simulate(Scene.from_query(q)).runs[0]
    xy = result.xy.astype(np.float64)
    draws = (xy[:-1] - xy[1:]) / 0.5 - xy[:-1]
    assert abs(draws.mean()) < 4 * 0.3 / np.sqrt(draws.size)
    assert draws.std() == pytest.approx(0.3, rel=0.05)
    assert abs(np.corrcoef(draws[:, 0], draws[:, 1])[0, 1]) < 0.1
    assert abs(np.corrcoef(draws[:-1, 0], draws[1:, 0])[0, 1]) < 0.1

    again = simulate(Scene.from_query(q)).runs[0]
    np.testing.assert_array_equal(result.xy, again.xy)
    other = simulate(Scene.from_query(q.replace("seed=5", "seed=6"))).runs[0]
    assert not np.allclose(result.xy, other.xy)


# ------------------------------------------------------------ lengths, divergence, JSON

RESULT_KEYS = {"scene", "surface", "runs"}
RESULT_SURFACE_KEYS = {"id", "window", "minima"}
RESULT_RUN_KEYS = {"label", "optimizer", "params", "xy", "loss", "lr", "grad_norm", "diverged_at", "grad", "state",
                   "sharpness"}
# The Adam family's runs also carry the preconditioned sharpness.
PRECONDITIONED_RUN_KEYS = RESULT_RUN_KEYS | {"preconditioned_sharpness"}


def assert_json_is_spec(result):
    data = result.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    assert set(data) == RESULT_KEYS and set(data["surface"]) == RESULT_SURFACE_KEYS
    assert data["scene"] == result.scene.to_query()
    assert data["surface"]["id"] == result.scene.surface
    for run_data, run in zip(data["runs"], result.runs, strict=True):
        preconditioned = OPTIMIZERS[run.run.optimizer].stability is not None and \
            OPTIMIZERS[run.run.optimizer].stability.preconditioner is not None
        assert set(run_data) == (PRECONDITIONED_RUN_KEYS if preconditioned else RESULT_RUN_KEYS)
        assert len(run_data["sharpness"]) == len(run.xy)
        assert run_data["label"] == run.label and run_data["optimizer"] == run.run.optimizer
        assert run_data["diverged_at"] == run.diverged_at
        assert len(run_data["xy"]) == len(run.xy) and len(run_data["loss"]) == len(run.loss)
        assert len(run_data["lr"]) == len(run.lr) and len(run_data["grad_norm"]) == len(run.grad_norm)
        # Numbers travel as the float32 they are.
        np.testing.assert_array_equal(np.asarray(run_data["xy"], np.float32), run.xy)
        np.testing.assert_array_equal(np.asarray(run_data["loss"], np.float32), run.loss)
    return data


@pytest.mark.parametrize("steps", [1, 2, 64, 65, 200])
def test_lengths_without_divergence(steps):
    scene = Scene.from_query(f"surface=quadratic&steps={steps}&run=sgd:lr=0.1&run=adam:lr=0.1,schedule=cosine")
    result = simulate(scene)
    for run in result.runs:
        assert run.diverged_at is None
        assert len(run.xy) == len(run.loss) == steps + 1
        assert len(run.lr) == len(run.grad_norm) == steps
        assert np.isfinite(run.xy).all() and np.isfinite(run.loss).all()
        np.testing.assert_array_equal(run.xy[0], np.float32(scene.start))
    assert_json_is_spec(result)


def test_the_longest_scene():
    result = simulate(Scene.from_query("surface=quadratic&steps=10000&run=sgd:lr=0.01"))
    run = result.runs[0]
    assert len(run.xy) == 10001 and len(run.lr) == 10000 and run.diverged_at is None
    assert run.loss[-1] < 1e-10


def test_a_longer_run_extends_a_shorter_one():
    short = simulate(Scene.from_query("surface=rosenbrock&steps=60&run=adam:lr=0.05")).runs[0]
    long = simulate(Scene.from_query("surface=rosenbrock&steps=300&run=adam:lr=0.05")).runs[0]
    np.testing.assert_allclose(long.xy[:61], short.xy, rtol=1e-5, atol=1e-6)


DIVERGING = [
    ("quadratic", "sgd:lr=5"),  # leaves the 1e6 box while finite
    ("rosenbrock", "sgd:lr=0.1"),  # overflows
    ("rosenbrock", "sgd:lr=1"),
    ("goldstein_price", "sgd:lr=0.01"),  # the loss overflows first
    ("beale", "momentum:lr=0.5,momentum=0.99"),
]


@pytest.mark.parametrize("surface, run", DIVERGING)
def test_divergence_is_cut_where_the_results_say(surface, run):
    good = ["adam:lr=0.01", "rmsprop:lr=0.005"]
    scene = Scene.from_query(f"{SURFACES.get(surface, (f'surface={surface}',))[0]}&steps=50"
                             f"&run={good[0]}&run={run}&run={good[1]}")
    result = simulate(scene)
    bad = result.runs[1]
    k = bad.diverged_at
    assert k is not None and 0 <= k < scene.steps
    assert len(bad.xy) == len(bad.loss) == k + 1
    assert len(bad.lr) == len(bad.grad_norm) == k + 1
    assert np.isfinite(bad.xy).all() and np.isfinite(bad.loss).all()
    assert (np.abs(bad.xy) <= DIVERGENCE_LIMIT).all()
    np.testing.assert_allclose(bad.lr, spec_lr(scene.runs[1], scene.steps)[: k + 1])

    # Update k is the first that fails, by the plain optax loop's account.
    xs, losses = reference(scene.replace(steps=k + 1), scene.runs[1])[:2]
    np.testing.assert_allclose(bad.xy, xs[: k + 1], rtol=1e-3, atol=1e-3 * (1 + np.abs(xs[: k + 1]).max()))
    failed = ~np.isfinite(xs[k + 1]).all() or np.abs(xs[k + 1]).max() > DIVERGENCE_LIMIT or not np.isfinite(losses[k + 1])
    assert failed, f"the reference's update {k} gives {xs[k + 1]}, f={losses[k + 1]}"

    # The other runs are untouched: exactly what they give alone.
    for i in (0, 2):
        alone = simulate(scene.replace(runs=(scene.runs[i],))).runs[0]
        assert result.runs[i].diverged_at is None
        for name in ("xy", "loss", "lr", "grad_norm"):
            np.testing.assert_array_equal(getattr(result.runs[i], name), getattr(alone, name))

    data = assert_json_is_spec(result)
    assert data["runs"][1]["diverged_at"] == k
    result.to_csv()


def test_bucket_lengths():
    lengths = set()
    for steps in range(1, 10_001):
        length = programs.bucket_length(steps)
        assert length >= steps + 1
        lengths.add(length)
    assert len(lengths) <= 12
    assert all(programs.bucket_length(s) <= programs.bucket_length(s + 1) for s in range(1, 10_000))
    # The waste stays bounded: at most about twice the points needed, past the smallest bucket.
    assert all(programs.bucket_length(s) <= max(2 * (s + 1), min(lengths)) for s in range(1, 10_001))
    with pytest.raises(ValueError):
        programs.bucket_length(10_001)
