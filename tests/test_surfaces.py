"""The built-in surfaces against the surfaces table of docs/scene-language.md.

Values and derivatives are checked in float64 (under `jax.enable_x64`) where
the listed minima are precise, and in float32, which is what the engine runs.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from visualizer import Scene, simulate
from visualizer.core import surfaces
from visualizer.core.surfaces import BUILTIN, FORMULA

# The ones whose facts are listed: not the formula, not the network (docs/model.md, tests/test_model.py).
IDS = [sid for sid, s in surfaces.SURFACES.items() if s.kind == BUILTIN]
PI = math.pi


# ------------------------------------------------------------ the reference table
# f(x, y) exactly as the reference writes it, in NumPy float64.


def _quadratic(x, y, cond=10.0, angle=30.0):
    a = np.deg2rad(angle)
    u = x * np.cos(a) + y * np.sin(a)
    v = -x * np.sin(a) + y * np.cos(a)
    return 0.5 * (u**2 + cond * v**2)


def _goldstein_price(x, y):
    return (1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)) * (
        30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
    )


REFERENCE_FORMULAS = {
    "quadratic": _quadratic,
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    "beale": lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2,
    "himmelblau": lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
    "booth": lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
    "matyas": lambda x, y: 0.26 * (x**2 + y**2) - 0.48 * x * y,
    "rastrigin": lambda x, y: 20 + x**2 - 10 * np.cos(2 * PI * x) + y**2 - 10 * np.cos(2 * PI * y),
    "ackley": lambda x, y: (-20 * np.exp(-0.2 * np.sqrt(0.5 * (x**2 + y**2)))
                            - np.exp(0.5 * (np.cos(2 * PI * x) + np.cos(2 * PI * y))) + math.e + 20),
    "goldstein_price": _goldstein_price,
    "six_hump_camel": lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2,
    "styblinski_tang": lambda x, y: 0.5 * (x**4 - 16 * x**2 + 5 * x + y**4 - 16 * y**2 + 5 * y),
    "levi13": lambda x, y: (np.sin(3 * PI * x) ** 2 + (x - 1) ** 2 * (1 + np.sin(3 * PI * y) ** 2)
                            + (y - 1) ** 2 * (1 + np.sin(2 * PI * y) ** 2)),
    "saddle": lambda x, y: x**2 + y**4 / 4 - y**2,
}

# The reference's minima and values (its table gives them to about 6 digits).
REFERENCE_MINIMA = {
    "quadratic": (0.0, [(0, 0)]),
    "rosenbrock": (0.0, [(1, 1)]),
    "beale": (0.0, [(3, 0.5)]),
    "himmelblau": (0.0, [(3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]),
    "booth": (0.0, [(1, 3)]),
    "matyas": (0.0, [(0, 0)]),
    "rastrigin": (0.0, [(0, 0)]),
    "ackley": (0.0, [(0, 0)]),
    "goldstein_price": (3.0, [(0, -1)]),
    "six_hump_camel": (-1.031628, [(0.0898, -0.7126), (-0.0898, 0.7126)]),
    "styblinski_tang": (-78.33233, [(-2.903534, -2.903534)]),
    "levi13": (0.0, [(1, 1)]),
    "saddle": (-1.0, [(0, math.sqrt(2)), (0, -math.sqrt(2))]),
}


# ------------------------------------------------------------ helpers


def _params(surface):
    return {p.name: p.default for p in surface.params}


def _f64(surface, points, **params):
    """f, gradients and Hessians of a surface at `points`, in float64."""
    params = params or _params(surface)

    def f(p):
        return surface.fn(p[0], p[1], **params)

    def all_three(p):
        return f(p), jax.grad(f)(p), jax.hessian(f)(p)

    with jax.enable_x64(True):
        out = jax.jit(jax.vmap(all_three))(jnp.asarray(points, dtype=jnp.float64).reshape(-1, 2))
        return tuple(np.asarray(a, np.float64) for a in out)


def _grid(window, n):
    (x0, x1), (y0, y1) = window
    xs, ys = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


def _f32_values_and_grads(surface, points, **params):
    params = {name: np.float32(v) for name, v in (params or _params(surface)).items()}
    values, grads = _f32_program(surface.fn)(jnp.asarray(points, jnp.float32), params)
    return np.asarray(values), np.asarray(grads)


@functools.cache
def _f32_program(fn):
    def value_and_grad(p, params):
        return jax.value_and_grad(lambda q: fn(q[0], q[1], **params))(p)

    return jax.jit(jax.vmap(value_and_grad, in_axes=(0, None)))


# ------------------------------------------------------------ the registry


def test_registry_has_every_spec_surface():
    assert set(REFERENCE_FORMULAS) | {"cliff", "custom", "mlp"} == set(surfaces.SURFACES)
    assert [sid for sid, s in surfaces.SURFACES.items() if s.kind == FORMULA] == ["custom"]
    for sid in IDS:
        surface = surfaces.SURFACES[sid]
        assert surface.id == sid
        assert surface.name and surface.latex and surface.note
        (x0, x1), (y0, y1) = surface.window
        assert x0 < x1 and y0 < y1
        assert x0 <= surface.start[0] <= x1 and y0 <= surface.start[1] <= y1, "default start outside the window"
        assert 1 <= surface.steps <= 10_000
        assert 1 <= len(surface.runs) <= 8
        assert surface.minima and surface.min_value is not None
        for x, y in (*surface.minima, *surface.saddles):
            assert x0 <= x <= x1 and y0 <= y <= y1, f"{sid}: ({x}, {y}) outside the window"


@pytest.mark.parametrize("sid", sorted(REFERENCE_FORMULAS))
def test_formula_is_the_spec_formula(sid):
    surface = surfaces.SURFACES[sid]
    rng = np.random.default_rng(0)
    (x0, x1), (y0, y1) = surface.window
    points = np.stack([rng.uniform(x0, x1, 50), rng.uniform(y0, y1, 50)], axis=1)
    param_sets = [_params(surface)]
    if sid == "quadratic":
        param_sets += [{"cond": 1.0, "angle": 0.0}, {"cond": 250.0, "angle": -75.0}, {"cond": 1000.0, "angle": 180.0}]
    for params in param_sets:
        got, _, _ = _f64(surface, points, **params)
        want = REFERENCE_FORMULAS[sid](points[:, 0], points[:, 1], **params)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, err_msg=f"{sid} {params}")


@pytest.mark.parametrize("sid", sorted(REFERENCE_MINIMA))
def test_listed_minima_are_the_spec_minima(sid):
    surface = surfaces.SURFACES[sid]
    value, points = REFERENCE_MINIMA[sid]
    assert surface.min_value == pytest.approx(value, abs=1e-5)
    assert len(surface.minima) == len(points)
    for p in points:
        assert min(math.dist(p, q) for q in surface.minima) < 1e-4, f"{sid}: reference minimum {p} not listed"


# ------------------------------------------------------------ minima and saddles


@pytest.mark.parametrize("sid", IDS)
def test_value_gradient_and_curvature_at_each_minimum(sid):
    surface = surfaces.SURFACES[sid]
    for point, value, grad, hess in zip(surface.minima, *_f64(surface, surface.minima), strict=True):
        assert value == pytest.approx(surface.min_value, abs=1e-9 * (1 + abs(surface.min_value))), point
        assert np.linalg.norm(grad) < 1e-6, f"{sid}: gradient {grad} at listed minimum {point}"
        eig = np.linalg.eigvalsh(hess)
        assert eig.min() > -1e-9, f"{sid}: {point} is not a minimum (Hessian eigenvalues {eig})"
    # float32, as the engine evaluates it: the same facts, and all finite.
    values, grads = _f32_values_and_grads(surface, np.asarray(surface.minima, np.float32))
    assert np.isfinite(values).all() and np.isfinite(grads).all()
    np.testing.assert_allclose(values, surface.min_value, atol=1e-4 * (1 + abs(surface.min_value)))
    assert np.abs(grads).max() < 1e-2


@pytest.mark.parametrize("sid", IDS)
def test_no_point_of_the_window_is_below_the_minimum(sid):
    surface = surfaces.SURFACES[sid]
    values, _ = _f32_values_and_grads(surface, _grid(surface.window, 201))
    assert values.min() >= surface.min_value - 1e-4 * (1 + abs(surface.min_value))


@pytest.mark.parametrize("sid", [s for s in IDS if surfaces.SURFACES[s].saddles])
def test_saddles_are_saddles(sid):
    surface = surfaces.SURFACES[sid]
    for point, _, grad, hess in zip(surface.saddles, *_f64(surface, surface.saddles), strict=True):
        assert np.linalg.norm(grad) < 1e-6, f"{sid}: gradient {grad} at listed saddle {point}"
        eig = np.linalg.eigvalsh(hess)
        assert eig.min() < -1e-3 and eig.max() > 1e-3, f"{sid}: Hessian at {point} is not indefinite: {eig}"


def test_saddle_surface_lists_its_saddle_at_the_origin():
    assert (0.0, 0.0) in [tuple(map(float, p)) for p in surfaces.SURFACES["saddle"].saddles]


# ------------------------------------------------------------ finiteness


@pytest.mark.parametrize("sid", IDS)
def test_value_and_gradient_finite_on_the_window(sid):
    surface = surfaces.SURFACES[sid]
    (x0, x1), (y0, y1) = surface.window
    points = np.concatenate([
        _grid(surface.window, 61),
        np.asarray([*surface.minima, *surface.saddles, surface.start], np.float32),
        np.asarray([[x0, y0], [x0, y1], [x1, y0], [x1, y1], [0, 0]], np.float32),
    ])
    param_sets = [{}]
    if surface.params:
        lows = {p.name: p.low for p in surface.params}
        highs = {p.name: p.high for p in surface.params}
        param_sets += [lows, highs]
    for params in param_sets:
        values, grads = _f32_values_and_grads(surface, points, **params)
        assert np.isfinite(values).all(), f"{sid} {params}: f not finite at {points[~np.isfinite(values)][:3]}"
        bad = ~np.isfinite(grads).all(axis=1)
        assert not bad.any(), f"{sid} {params}: gradient not finite at {points[bad][:3]}"


def test_ackley_is_smooth_enough_at_the_origin():
    surface = surfaces.SURFACES["ackley"]
    points = np.asarray([[0, 0], [1e-30, 0], [0, -1e-30], [1e-20, 1e-20], [1e-6, 0]], np.float32)
    values, grads = _f32_values_and_grads(surface, points)
    assert np.isfinite(values).all() and np.isfinite(grads).all()
    assert abs(values[0]) < 1e-5
    np.testing.assert_array_equal(grads[0], [0.0, 0.0])
    (value,), (grad,), _ = _f64(surface, [(0.0, 0.0)])
    assert abs(value) < 1e-12 and np.isfinite(grad).all()


@pytest.mark.parametrize("sid", IDS)
def test_latex_breaks_only_between_balanced_pieces(sid):
    """The page sets each piece between line breaks on its own line, so a
    break inside a \\left...\\right pair or a brace group would be a KaTeX
    error. Each piece must stand alone, and none may be empty."""
    pieces = surfaces.SURFACES[sid].latex.split("\\\\")
    assert len(pieces) <= 3
    for piece in pieces:
        assert piece.strip()
        assert piece.count("\\left") == piece.count("\\right"), piece
        assert piece.count("{") == piece.count("}"), piece


# ------------------------------------------------------------ defaults and the cliff


@pytest.mark.parametrize("sid", IDS)
def test_default_scene_parses(sid):
    scene = Scene.default(sid)
    assert scene.surface == sid
    assert scene.start == tuple(float(v) for v in surfaces.SURFACES[sid].start)
    assert scene.steps == surfaces.SURFACES[sid].steps
    assert 1 <= len(scene.runs) <= 8
    assert Scene.from_query(scene.to_query()) == scene


def _max_abs_coordinate(run_result):
    return float(np.abs(run_result.xy).max())


def test_cliff_throws_plain_sgd_out_and_clipping_saves_it():
    surface = surfaces.SURFACES["cliff"]
    first = Scene.from_query("surface=cliff&run=" + surface.runs[0])
    plain = first.runs[0]
    assert plain.optimizer == "sgd" and plain.clip_norm is None and plain.clip_value is None
    assert plain.schedule == "constant" and plain.noise == 0
    clipped = plain.replace(clip_norm=1.0)
    scene = first.replace(runs=(plain, clipped))
    assert scene.start == tuple(surface.start) and scene.steps == surface.steps

    result = simulate(scene)
    half_width = max((hi - lo) / 2 for lo, hi in surface.window)
    thrown, saved = result.runs
    assert thrown.diverged_at is not None or _max_abs_coordinate(thrown) > 3 * half_width

    assert saved.diverged_at is None
    assert saved.loss[-1] < 1e-3
    (x0, x1), (y0, y1) = surface.window
    assert ((saved.xy[:, 0] >= x0) & (saved.xy[:, 0] <= x1)).all()
    assert ((saved.xy[:, 1] >= y0) & (saved.xy[:, 1] <= y1)).all()
    assert saved.clipped.any(), "clip_norm=1 never acted, so the test shows nothing"
