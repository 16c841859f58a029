"""Every surface's note tells the truth: one test per note, one named check
per claim it makes (as tests/test_lessons.py does for the lessons), against
the engine: curvatures from `jax.hessian`, what a run does from `simulate`.
A note that no longer holds lists every claim that failed; change the note
(or the surface), never the check.

Most claims are about the surface's own default scene (what `surface=<id>`
opens), the runs its note names; the rest name their runs here.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from claims import Claims

from visualizer import Scene, simulate
from visualizer.core import landmarks
from visualizer.core.results import summarize
from visualizer.core.surfaces import SURFACES
from visualizer.core.surfaces.surface import BUILTIN

TOL = 1e-3  # "arrives": the loss within this of the lowest value (visualizer.core.questions.TOL)


@functools.cache
def runs_of(query: str):
    """(result, summaries) of a scene."""
    scene = Scene.from_query(query)
    result = simulate(scene)
    return result, summarize(result, landmarks.of(scene))


def default(surface_id: str):
    """(runs, summaries) of the surface's own default scene."""
    result, rows = runs_of(Scene.default(surface_id).to_query())
    return result.runs, rows


def run_at(query: str, index: int = 0):
    return runs_of(query)[0].runs[index]


def arrival(run, f_star: float) -> int | None:
    """The first step within TOL of f* (None: never, or it diverged)."""
    if run.diverged_at is not None:
        return None
    within = run.loss.astype(np.float64) - f_star <= TOL
    return int(np.argmax(within)) if within.any() else None


def curvatures(surface_id: str, point, **params) -> np.ndarray:
    """The Hessian's eigenvalues at `point`, ascending (jax.hessian of the
    surface's own function)."""
    fn = SURFACES[surface_id].fn
    h = jax.hessian(lambda p: fn(p[0], p[1], **params))(jnp.asarray(point, jnp.float32))
    return np.linalg.eigvalsh(np.asarray(h, np.float64))


def hessian(surface_id: str, point, **params) -> np.ndarray:
    fn = SURFACES[surface_id].fn
    return np.asarray(jax.hessian(lambda p: fn(p[0], p[1], **params))(jnp.asarray(point, jnp.float32)), np.float64)


def gradient(surface_id: str, point) -> np.ndarray:
    fn = SURFACES[surface_id].fn
    return np.asarray(jax.grad(lambda p: fn(p[0], p[1]))(jnp.asarray(point, jnp.float32)), np.float64)


def gradient_norms(surface_id: str, n: int = 201) -> np.ndarray:
    """|gradient| on an n x n grid over the window."""
    s = SURFACES[surface_id]
    (x0, x1), (y0, y1) = s.window
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    points = jnp.asarray(np.stack([gx.ravel(), gy.ravel()], 1), jnp.float32)
    g = jax.vmap(jax.grad(lambda p: s.fn(p[0], p[1])))(points)
    return np.linalg.norm(np.asarray(g, np.float64), axis=1)


def best_diagonal_condition(h: np.ndarray) -> float:
    """The smallest condition number of D H D over positive diagonal D (a
    search over the ratio of D's entries)."""
    best = math.inf
    for d in np.exp(np.linspace(-6, 6, 2401)):
        scaled = np.diag([1.0, d]) @ h @ np.diag([1.0, d])
        e = np.linalg.eigvalsh(scaled)
        best = min(best, e[-1] / e[0])
    return best


def steps_of(run) -> np.ndarray:
    return np.linalg.norm(np.diff(run.xy.astype(np.float64), axis=0), axis=1)


def test_every_note_has_its_test():
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    builtin = {s.id for s in SURFACES.values() if s.kind == BUILTIN}
    assert builtin <= tested, f"notes without a test: {sorted(builtin - tested)}"


# ---------------------------------------------------------------- one test per note


def test_quadratic():
    claim = Claims("quadratic", "note")
    for cond, angle in ((10, 30), (100, 0), (100, 45), (1000, -60)):
        e = curvatures("quadratic", (0.3, -0.2), cond=cond, angle=angle)
        claim(f"its curvature is 1 along the valley and cond across it (cond {cond}, angle {angle})",
              np.allclose(e, [1, cond], rtol=1e-4), e)
    for cond in (10, 100):
        limit = 2 / cond
        stable = run_at(f"surface=quadratic:cond={cond}&steps=300&run=sgd:lr={0.99 * limit},label=a")
        unstable = run_at(f"surface=quadratic:cond={cond}&steps=300&run=sgd:lr={1.01 * limit},label=a")
        claim(f"SGD is stable only for lr < 2/cond (cond {cond}: 0.99 of it ends lower, 1.01 of it higher than it "
              "starts)", stable.loss[-1] < stable.loss[0] < unstable.loss[-1])
    sgd = run_at("surface=quadratic:cond=100&steps=150&run=sgd:lr=0.019,label=a")
    a = math.radians(30)
    along = sgd.xy[:, 0] * math.cos(a) + sgd.xy[:, 1] * math.sin(a)
    across = -sgd.xy[:, 0] * math.sin(a) + sgd.xy[:, 1] * math.cos(a)
    claim("each step along the valley shrinks the distance there by 1 - lr",
          np.allclose(along[1:40] / along[:39], 1 - 0.019, atol=1e-4), along[1] / along[0])
    claim("at cond 100 SGD zig-zags across the valley (the sign flips every step)",
          np.all(np.sign(across[1:30]) != np.sign(across[:29])))
    claim("... while it crawls along it (after 150 steps, still 5% of the way along)",
          abs(along[-1]) > 0.05 * abs(along[0]), along[-1] / along[0])
    momentum = run_at("surface=quadratic:cond=100&steps=150&run=momentum:lr=0.019,momentum=0.9,label=a")
    claim("momentum averages the zig-zag away: at the same rate it ends 100 times lower",
          momentum.loss[-1] < 0.01 * sgd.loss[-1], (momentum.loss[-1], sgd.loss[-1]))
    adam = {angle: run_at(f"surface=quadratic:cond=100,angle={angle}&steps=300&run=adam:lr=0.05,label=a")
            for angle in (0, 30)}
    claim("Adam helps while the valley lies along an axis: at angle 0 it arrives",
          arrival(adam[0], 0.0) is not None, arrival(adam[0], 0.0))
    claim("rotate it and the advantage fades: at angle 30 it does not arrive, ending 100 times higher",
          arrival(adam[30], 0.0) is None and adam[30].loss[-1] > 100 * adam[0].loss[-1])
    claim.verify()


def test_rosenbrock():
    claim = Claims("rosenbrock", "note")
    low, high = curvatures("rosenbrock", (1.0, 1.0))
    claim("at the minimum the walls curve 1002 and the floor 0.4", round(high) == 1002 and round(low, 1) == 0.4,
          (high, low))
    claim("... about 2500 times more", 2400 <= high / low <= 2600, high / low)
    (sgd, momentum, adam), rows = default("rosenbrock")
    valley = np.abs(sgd.xy[:, 1] - sgd.xy[:, 0] ** 2)
    claim("finding the valley is easy: SGD is on its floor (|y - x^2| < 0.05) within 50 steps",
          np.any(valley[:50] < 0.05), int(np.argmax(valley < 0.05)))
    claim("following it to (1, 1) is hard: after 500 steps SGD is still 2 away", rows[0]["distance_to_minimum"] > 2,
          rows[0]["distance_to_minimum"])
    limit = 2 / high
    near = "surface=rosenbrock&start=0.95,0.9025&steps=300"
    calm = run_at(f"{near}&run=sgd:lr={0.95 * limit},label=a")
    bouncing = run_at(f"{near}&run=sgd:lr={1.1 * limit},label=a")
    claim("a rate above 2/1002 bounces between the walls near the minimum; one below does not",
          calm.loss[-1] < calm.loss[0] and (bouncing.diverged_at is not None or bouncing.loss[-1] > bouncing.loss[0]),
          (calm.loss[-1], bouncing.loss[-1]))
    claim("... and it is tiny along the floor: 300 steps below it cover under a third of the way to (1, 1)",
          np.linalg.norm(calm.xy[-1] - 1) > 0.67 * np.linalg.norm(calm.xy[0] - 1))
    claim("momentum builds speed along the floor: it ends 10 times closer than SGD",
          rows[1]["distance_to_minimum"] < 0.1 * rows[0]["distance_to_minimum"])
    claim("adaptive methods rescale the steep direction: Adam ends closer than SGD too",
          rows[2]["distance_to_minimum"] < rows[0]["distance_to_minimum"])
    claim.verify()


def test_beale():
    claim = Claims("beale", "note")
    g = gradient_norms("beale")
    lo, hi = np.percentile(g, [1, 99])
    claim("gradients vary over four orders of magnitude (the 1st to the 99th percentile over the window)",
          4 <= math.log10(hi / lo) < 5, math.log10(hi / lo))
    (sgd, rmsprop, _), _ = default("beale")

    def near_steps(run):
        d = np.linalg.norm(run.xy[:-1] - np.array([3.0, 0.5]), axis=1)
        return float(np.median(steps_of(run)[d < 1]))

    claim("RMSProp keeps moving on the plateau where SGD slows to a crawl: within 1 of the minimum, its steps "
          "are ten times SGD's", near_steps(rmsprop) > 10 * near_steps(sgd), (near_steps(rmsprop), near_steps(sgd)))
    claim.verify()


def test_himmelblau():
    claim = Claims("himmelblau", "note")
    s = SURFACES["himmelblau"]
    values = [float(s.fn(x, y)) for x, y in s.minima]
    claim("four minima of equal depth", len(values) == 4 and max(values) < 1e-9, values)
    scene = Scene.default("himmelblau")
    peak = np.array([-0.270845, -0.923039])
    claim("the default start is near the central peak", np.linalg.norm(np.array(scene.start) - peak) < 0.1)
    (sgd, _, adam), _ = default("himmelblau")

    def minimum(run):
        return int(np.argmin(np.linalg.norm(np.asarray(s.minima) - run.xy[-1], axis=1)))

    claim("another optimizer from the same start ends in another basin (SGD and Adam)",
          minimum(sgd) != minimum(adam))
    moved = run_at("surface=himmelblau&start=-0.2,-0.6&steps=300&run=sgd:lr=0.01,label=a")
    claim("a start 0.3 away sends the same SGD into another basin", minimum(moved) != minimum(sgd))
    claim.verify()


def test_booth():
    claim = Claims("booth", "note")
    e = curvatures("booth", (1.0, 3.0))
    claim("a rotated quadratic with condition number 9 (curvatures 2 and 18)", np.allclose(e, [2, 18], rtol=1e-5), e)
    stable = run_at("surface=booth&steps=150&run=sgd:lr=0.11,label=a")
    unstable = run_at("surface=booth&steps=150&run=sgd:lr=0.112,label=a")
    claim("SGD is stable only for lr < 2/18 = 1/9 (0.11 ends lower than it starts, 0.112 higher)",
          stable.loss[-1] < stable.loss[0] < unstable.loss[-1])
    d = np.linalg.norm(unstable.xy - np.array([1.0, 3.0]), axis=1)
    claim("above it the zig-zag grows instead of shrinking", d[60] > d[40] > d[20], d[[20, 40, 60]])
    claim.verify()


def test_matyas():
    claim = Claims("matyas", "note")
    h = hessian("matyas", (0.0, 0.0))
    e = np.linalg.eigvalsh(h)
    claim("curvatures 1 and 0.04 (condition number 25)", np.allclose(e, [0.04, 1.0], atol=1e-6), e)
    claim("the valley runs along the diagonal", abs(h[0, 1]) > 0 and np.allclose(h[0, 0], h[1, 1]))
    claim("both coordinates already curve by 0.52", np.allclose(np.diag(h), 0.52, atol=1e-6), np.diag(h))
    claim("scaling each coordinate cannot help: no diagonal scaling brings the condition number under 25",
          best_diagonal_condition(h) >= 25 * (1 - 1e-4), best_diagonal_condition(h))
    big, small = 1.0, 0.04
    sgd_lr = 2 / (big + small)
    momentum_lr = 4 / (math.sqrt(big) + math.sqrt(small)) ** 2
    mu = ((math.sqrt(big / small) - 1) / (math.sqrt(big / small) + 1)) ** 2
    sgd = run_at(f"surface=matyas&steps=120&run=sgd:lr={sgd_lr},label=a")
    momentum = run_at(f"surface=matyas&steps=120&run=momentum:lr={momentum_lr},momentum={mu},label=a")

    def rate(run, first=20, last=80):
        d = np.linalg.norm(run.xy.astype(np.float64), axis=1)
        return float((d[last] / d[first]) ** (1 / (last - first)))

    claim("tuned momentum shrinks the distance by 2/3 a step", abs(rate(momentum) - 2 / 3) < 0.02, rate(momentum))
    claim("SGD at its best rate 2/(1 + 0.04) by 12/13", abs(rate(sgd) - 12 / 13) < 0.005, rate(sgd))
    claim.verify()


def test_rastrigin():
    claim = Claims("rastrigin", "note")
    ends = []
    for x in (-3, -1, 0, 2, 4):
        for y in (-4, 1, 3):
            run = run_at(f"surface=rastrigin&start={x + 0.2},{y - 0.2}&steps=300&run=sgd:lr=0.002,label=a")
            ends.append(float(np.max(np.abs(run.xy[-1] - [x, y]))))
    claim("a local minimum near every integer point (SGD from 0.2 off each ends within 0.05 of it)",
          max(ends) < 0.05, max(ends))
    (sgd, noisy, _), _ = default("rastrigin")
    start = np.array(Scene.default("rastrigin").start)
    claim("plain gradient descent stops in the first dimple it finds (the integer point nearest its start)",
          np.allclose(sgd.xy[-1], np.round(start), atol=0.05) and np.all(steps_of(sgd)[-50:] < 1e-4), sgd.xy[-1])
    claim("noise in the gradient, with a rate that decays, hops over ripples (ends in another dimple, nearer the "
          "centre)", np.linalg.norm(noisy.xy[-1]) < np.linalg.norm(sgd.xy[-1]) - 0.5 and noisy.run.noise > 0
          and noisy.lr[-1] < 0.01 * noisy.lr[0], noisy.xy[-1])
    claim("nothing local is guaranteed to find the centre: none of the three ends there",
          all(np.linalg.norm(r.xy[-1]) > 0.5 for r in default("rastrigin")[0]))
    claim.verify()


def test_ackley():
    claim = Claims("ackley", "note")
    (sgd, cosine, adam), _ = default("ackley")
    g = np.linalg.norm(gradient("ackley", adam.xy[-1]))
    claim("the bumps trap small steps: Adam stops in one, away from the funnel",
          np.linalg.norm(adam.xy[-1]) > 1 and g < 1e-3 and np.all(steps_of(adam)[-50:] < 1e-4), (adam.xy[-1], g))
    claim("a cosine schedule crosses the bumps and settles in the funnel", arrival(cosine, 0.0) is not None
          and cosine.run.schedule == "cosine" and cosine.run.lr == sgd.run.lr, cosine.loss[-1])
    claim("the same large steps kept constant bounce around in it: near the centre, never settling",
          np.linalg.norm(sgd.xy[-1]) < 0.5 and arrival(sgd, 0.0) is None and steps_of(sgd)[-20:].max() > 0.1,
          (sgd.xy[-1], steps_of(sgd)[-20:].max()))
    claim.verify()


def test_goldstein_price():
    claim = Claims("goldstein_price", "note")
    s = SURFACES["goldstein_price"]
    (x0, x1), (y0, y1) = s.window
    gx, gy = np.meshgrid(np.linspace(x0, x1, 401), np.linspace(y0, y1, 401))
    values = np.asarray(jax.vmap(lambda p: s.fn(p[0], p[1]))(jnp.asarray(np.stack([gx.ravel(), gy.ravel()], 1),
                                                                        jnp.float32)))
    claim("values from 3 to a million inside the square", round(values.min(), 3) == 3 and values.max() >= 1e6,
          (values.min(), values.max()))
    corners = [np.linalg.norm(gradient("goldstein_price", c)) for c in ((-2, -2), (-2, 2), (2, -2), (2, 2))]
    basin = [np.linalg.norm(gradient("goldstein_price", (0.01 * math.cos(t), -1 + 0.01 * math.sin(t))))
             for t in np.linspace(0, 2 * math.pi, 8, endpoint=False)]
    claim("gradients differ by five orders of magnitude between the corners and the basin",
          5 <= math.log10(max(corners) / max(basin)) < 6, math.log10(max(corners) / max(basin)))
    (flung, crawling, adam), _ = default("goldstein_price")
    claim("SGD at 2e-5 is flung away by the first steep step", flung.run.lr == 2e-5 and flung.diverged_at is not None
          and flung.diverged_at <= 3, flung.diverged_at)
    claim("half of it crawls into the basin (near (0, -1), not yet at f* = 3)", crawling.run.lr == 1e-5
          and np.linalg.norm(crawling.xy[-1] - [0, -1]) < 0.15 and crawling.loss[-1] > 3 + 1,
          (crawling.xy[-1], crawling.loss[-1]))
    local = np.array([-0.6, -0.4])
    claim("a local minimum f = 30 at (-0.6, -0.4)", round(float(s.fn(*local)), 6) == 30
          and np.linalg.norm(gradient("goldstein_price", local)) < 1e-3)
    d = np.linalg.norm(adam.xy - local, axis=1)
    longer = run_at("surface=goldstein_price&steps=2000&run=adam:lr=0.05,label=a")
    claim("Adam's steps carry it into that basin (closer and closer to it; settled there by step 2000)",
          d[-1] < d[100] < d[0] and np.linalg.norm(longer.xy[-1] - local) < 1e-3, (d[-1], longer.xy[-1]))
    claim.verify()


def test_six_hump_camel():
    claim = Claims("six_hump_camel", "note")
    ends = set()
    for x in np.linspace(-1.9, 1.9, 9):
        for y in np.linspace(-1.1, 1.1, 7):
            run = run_at(f"surface=six_hump_camel&start={x:.3f},{y:.3f}&steps=600&run=sgd:lr=0.01,label=a")
            if (run.diverged_at is None and np.linalg.norm(gradient("six_hump_camel", run.xy[-1])) < 1e-3
                    and curvatures("six_hump_camel", run.xy[-1])[0] > 0):  # a minimum, not a start on a saddle
                ends.add((round(float(run.xy[-1][0]), 2), round(float(run.xy[-1][1]), 2)))
    values = sorted(float(SURFACES["six_hump_camel"].fn(x, y)) for x, y in ends)
    claim("six local minima", len(ends) == 6, sorted(ends))
    claim("two of them global", len(values) == 6 and np.isclose(values[0], values[1], atol=1e-3)
          and values[0] == pytest.approx(SURFACES["six_hump_camel"].min_value, abs=1e-3) and values[2] > values[1] + 0.1,
          values)
    query = "surface=six_hump_camel&start=-1.9,-1.1&steps=300"
    sgd = run_at(f"{query}&run=sgd:lr=0.01,label=a")
    momentum = run_at(f"{query}&run=momentum:lr=0.01,momentum=0.9,label=a")
    claim("from (-1.9, -1.1) SGD stops at f = 2.10", round(float(sgd.loss[-1]), 2) == 2.10, sgd.loss[-1])
    claim("... momentum 0.9, over a low ridge, at a global minimum",
          momentum.loss[-1] == pytest.approx(SURFACES["six_hump_camel"].min_value, abs=1e-4), momentum.loss[-1])
    claim.verify()


def test_styblinski_tang():
    claim = Claims("styblinski_tang", "note")
    s = SURFACES["styblinski_tang"]
    depths = {}
    for x, y in ((-3, -3), (-3, 3), (3, -3), (3, 3)):
        run = run_at(f"surface=styblinski_tang&start={x},{y}&steps=300&run=sgd:lr=0.005,label=a")
        depths[(x, y)] = round(float(run.loss[-1]), 1)
    claim("four basins, one per quadrant, of three depths: -78.3, -64.2 twice, -50.1",
          sorted(depths.values()) == [-78.3, -64.2, -64.2, -50.1], depths)
    root = [r.real for r in np.roots([4, 0, -32, 5]) if abs(r.imag) < 1e-12 and 0 < r.real < 1]
    one = jax.grad(lambda t: 0.5 * (t ** 4 - 16 * t ** 2 + 5 * t))
    claim("each coordinate's own curve peaks at 0.157 (its slope 0 there, curving down)",
          len(root) == 1 and round(root[0], 3) == 0.157 and abs(float(one(jnp.float32(root[0])))) < 1e-4
          and float(jax.grad(one)(jnp.float32(root[0]))) < 0, root)
    fn_x = s.fn(0.157, 2.0) - s.fn(0.0, 2.0)
    claim("so the ridge between basins is at x = 0.157, not 0 (higher there than at 0)", fn_x > 0, fn_x)
    (sgd, momentum, adam), _ = default("styblinski_tang")
    start = Scene.default("styblinski_tang").start
    claim("from the same start, momentum crosses the ridge y = 0.157 where SGD and Adam do not",
          start[1] > 0.157 and momentum.xy[-1][1] < 0.157 < min(sgd.xy[-1][1], adam.xy[-1][1]),
          [r.xy[-1] for r in (sgd, momentum, adam)])
    claim.verify()


def test_levi13():
    claim = Claims("levi13", "note")
    (sgd, momentum, adam), _ = default("levi13")
    local = np.array([4 / 3, 1.0])
    claim("a local minimum beside the global one at (1.33, 1), f = 0.11",
          np.linalg.norm(gradient("levi13", adam.xy[-1])) < 1e-3 and np.linalg.norm(adam.xy[-1] - local) < 0.01
          and round(float(adam.loss[-1]), 2) == 0.11, (adam.xy[-1], adam.loss[-1]))
    claim("momentum ends there too", np.linalg.norm(momentum.xy[-1] - local) < 0.01
          and round(float(momentum.loss[-1]), 2) == 0.11, momentum.xy[-1])
    claim("SGD at lr 0.005 never settles: its last steps are still long", sgd.run.lr == 0.005
          and steps_of(sgd)[-20:].max() > 0.1, steps_of(sgd)[-20:].max())
    claim("... its loss climbs from 10 at step 50 to 19", round(float(sgd.loss[50])) == 10
          and round(float(sgd.loss[-1])) == 19, (sgd.loss[50], sgd.loss[-1]))
    claim.verify()


def test_saddle():
    claim = Claims("saddle", "note")
    (sgd, momentum, newton), _ = default("saddle")
    claim("the start is almost exactly on the ridge line (y = 0.001)", Scene.default("saddle").start[1] == 0.001)
    g = gradient("saddle", Scene.default("saddle").start)
    claim("the gradient there points at the saddle (0, 0)", abs(g[1]) < 1e-3 * abs(g[0]) and g[0] > 0, g)

    def escape(run):
        return int(np.argmax(np.abs(run.xy[:, 1]) > 0.5))

    near = np.linalg.norm(sgd.xy, axis=1) < 0.05
    slowest = steps_of(sgd)[near[:-1]].min() if near.any() else None
    claim("SGD slows to a near stop by the saddle (its steps there under a thirtieth of its first)",
          near.any() and slowest < steps_of(sgd)[0] / 30, slowest)
    claim("... before the sideways component grows and it escapes (to |y| > 0.5)", escape(sgd) > 0, escape(sgd))
    claim("momentum escapes sooner", 0 < escape(momentum) < escape(sgd), (escape(momentum), escape(sgd)))
    claim("Newton is attracted by the saddle itself", np.linalg.norm(newton.xy[-1]) < 1e-3, newton.xy[-1])
    claim.verify()


def test_cliff():
    claim = Claims("cliff", "note")
    s = SURFACES["cliff"]
    wall = float(s.fn(3.0, 0.0) - s.fn(0.0, 0.0)) - 0.5 * 0.2 * 9  # the valley's own rise taken out
    claim("a wall fifty units high", round(wall) == 50, wall)
    (plain, by_norm, by_value), _ = default("cliff")
    steepest = max(float(np.max(np.linalg.norm(r.grad, axis=1))) for r in (plain, by_norm, by_value))
    claim("on the wall's face the gradient is about 250", 225 <= steepest <= 275, steepest)
    claim("one SGD step of lr 0.1 moves 24 units", plain.run.lr == 0.1 and round(float(steps_of(plain).max())) == 24,
          steps_of(plain).max())
    (x0, x1), (y0, y1) = s.window
    claim("... and the run is flung far off the map", np.abs(plain.xy[:, 0]).max() > 3 * (x1 - x0))
    claim("clipping by norm caps every step at lr times the threshold",
          steps_of(by_norm).max() <= 0.1 * by_norm.run.clip_norm + 1e-6, steps_of(by_norm).max())
    moves = np.diff(by_norm.xy.astype(np.float64), axis=0)
    face = np.linalg.norm(by_norm.grad, axis=1) > 10
    cos = np.sum(-by_norm.grad[face] * moves[face], 1) / (np.linalg.norm(by_norm.grad[face], axis=1)
                                                          * np.linalg.norm(moves[face], axis=1))
    claim("... and keeps its direction (on the face, every step along the negative gradient)",
          face.any() and cos.min() > 0.9999, cos.min() if face.any() else None)
    moves = np.diff(by_value.xy.astype(np.float64), axis=0)
    face = np.linalg.norm(by_value.grad, axis=1) > 10
    cos = np.sum(-by_value.grad[face] * moves[face], 1) / (np.linalg.norm(by_value.grad[face], axis=1)
                                                           * np.linalg.norm(moves[face], axis=1))
    claim("clipping by value caps each coordinate", np.abs(moves).max() <= 0.1 * by_value.run.clip_value + 1e-6)
    claim("... which turns the step (on the face, more than 20 degrees off the negative gradient)",
          face.any() and math.degrees(math.acos(min(1.0, cos.min()))) > 20,
          math.degrees(math.acos(min(1.0, cos.min()))) if face.any() else None)
    claim("either way the same run walks down the wall (stays in the window and arrives)",
          all(np.all(np.abs(r.xy[:, 0]) <= max(abs(x0), abs(x1))) and arrival(r, 0.0) is not None
              for r in (by_norm, by_value)))
    claim.verify()


# ---------------------------------------------------------------- optimizers' notes
#
# An optimizer's note (`fixes`, shown beside its picker) says what it changed
# in the methods before it. Its update rule is held to a textbook update by
# tests/test_optimizers.py; here each claim of the note is checked on runs.


def first_moves(query: str) -> tuple[np.ndarray, np.ndarray]:
    """Run 1's first update (x1 - x0) and the raw gradient it started from."""
    run = run_at(query)
    return (run.xy[1] - run.xy[0]).astype(np.float64), run.grad[0].astype(np.float64)


def test_sgd_note():
    claim = Claims("sgd", "optimizer note")
    move, g = first_moves("surface=quadratic:cond=10&steps=5&run=sgd:lr=0.05,label=a")
    claim("step against the gradient (x1 - x0 = -lr g)", np.allclose(move, -0.05 * g, rtol=1e-5), (move, g))
    stable = run_at("surface=quadratic:cond=10&steps=200&run=sgd:lr=0.198,label=a")
    unstable = run_at("surface=quadratic:cond=10&steps=200&run=sgd:lr=0.202,label=a")
    claim("one learning rate for every direction, so the steepest sets the limit for all: on curvatures 1 and 10 "
          "the limit is 2/10, far below the shallow direction's 2/1", stable.loss[-1] < stable.loss[0]
          < unstable.loss[-1])
    claim.verify()


def _along_across(run, angle_degrees: float) -> tuple[np.ndarray, np.ndarray]:
    a = math.radians(angle_degrees)
    return np.array([math.cos(a), math.sin(a)]), np.array([-math.sin(a), math.cos(a)])


def test_momentum_note():
    claim = Claims("momentum", "optimizer note")
    run = run_at("surface=quadratic:cond=100&steps=150&run=momentum:lr=0.019,momentum=0.9,label=a")
    sgd = run_at("surface=quadratic:cond=100&steps=150&run=sgd:lr=0.019,label=a")
    along, across = _along_across(run, 30)
    v, g = run.state["velocity"][:60].astype(np.float64), run.grad[:60].astype(np.float64)
    claim("the oscillating component cancels in the running sum (across the valley the velocity stays smaller "
          "than the gradient)", np.median(np.abs(v[10:] @ across) / np.abs(g[10:] @ across)) < 0.6,
          np.median(np.abs(v[10:] @ across) / np.abs(g[10:] @ across)))
    claim("the consistent direction builds up speed (along it the velocity grows to 5 times the gradient)",
          np.median((v[30:] @ along) / (g[30:] @ along)) > 5, np.median((v[30:] @ along) / (g[30:] @ along)))
    claim("it fixes SGD's zig-zag in a narrow valley: it ends 100 times lower than SGD at the same rate",
          run.loss[-1] < 0.01 * sgd.loss[-1])
    claim.verify()


def test_nesterov_note():
    claim = Claims("nesterov", "optimizer note")
    query = "surface=quadratic:cond=10&steps=150&run={}:lr=0.1,momentum=0.9,label=a"
    nesterov, momentum = run_at(query.format("nesterov")), run_at(query.format("momentum"))
    along, _ = _along_across(nesterov, 30)
    past = [float(np.max(r.xy @ along)) for r in (nesterov, momentum)]
    claim("it brakes earlier when the slope turns: it runs less far past the minimum than momentum (0.65 to 1.0)",
          past[0] < 0.7 * past[1], past)
    claim.verify()


def test_adagrad_note():
    claim = Claims("adagrad", "optimizer note")
    run = run_at("surface=beale&steps=400&run=adagrad:lr=0.1,label=a")
    initial = run.run.hyper["initial_accumulator"]
    summed = initial + np.cumsum(run.grad.astype(np.float64) ** 2, axis=0)
    claim("each coordinate's sum of squared gradients", np.allclose(run.state["sum_sq"], summed, rtol=1e-4))
    eps = run.run.hyper["eps"]
    moves = np.diff(run.xy.astype(np.float64), axis=0)
    claim("each coordinate is divided by the root of it", np.allclose(
        moves, -0.1 * run.grad / (np.sqrt(run.state["sum_sq"]) + eps), rtol=1e-3, atol=1e-7))
    claim("the sum only grows, so the steps shrink for ever (each coordinate's rate lr / root never rises)",
          np.all(np.diff(run.state["sum_sq"], axis=0) >= 0))
    claim.verify()


def test_rmsprop_note():
    claim = Claims("rmsprop", "optimizer note")
    query = "surface=beale&steps=400&run={}:lr=0.1,label=a"
    rmsprop, adagrad = run_at(query.format("rmsprop")), run_at(query.format("adagrad"))
    decay = rmsprop.run.hyper["decay"]
    v = rmsprop.state["v"].astype(np.float64)
    g2 = rmsprop.grad.astype(np.float64) ** 2
    claim("a decaying average of squared gradients instead of their sum", np.allclose(v[1:], decay * v[:-1]
                                                                                    + (1 - decay) * g2[1:], rtol=1e-4))
    claim("so the scale forgets and the steps do not vanish: its last steps are 100 times AdaGrad's",
          np.median(steps_of(rmsprop)[-50:]) > 100 * np.median(steps_of(adagrad)[-50:]),
          (np.median(steps_of(rmsprop)[-50:]), np.median(steps_of(adagrad)[-50:])))
    claim.verify()


def test_adam_note():
    claim = Claims("adam", "optimizer note")
    move, g = first_moves("surface=quadratic:cond=10&steps=5&run=adam:lr=0.3,label=a")
    claim("its running means corrected for their start at zero, the first step is the right size: lr in each "
          "coordinate", np.allclose(np.abs(move), 0.3, rtol=1e-5), move)
    b1, b2 = 0.9, 0.999
    claim("(uncorrected, it would have been (1 - b1)/√(1 - b2) = 3.2 times that)",
          round((1 - b1) / math.sqrt(1 - b2), 1) == 3.2)
    run = run_at("surface=quadratic:cond=10&steps=5&run=adam:lr=0.3,label=a")
    claim("RMSProp plus momentum: a running mean of gradients (m) over a running mean of their squares (v)",
          np.allclose(run.state["m"][0], (1 - b1) * g, rtol=1e-5) and np.allclose(run.state["v"][0], (1 - b2) * g * g,
                                                                                   rtol=1e-4))
    claim.verify()


def test_adamw_note():
    claim = Claims("adamw", "optimizer note")
    base = "surface=custom:window=-1,4,-1,4&f=0.5*(x-2)^2{}&start=0.5,2.5&steps=60&run={}"
    l2 = run_at(base.format("%2B0.05*(x^2%2By^2)", "adam:lr=0.05,label=a"))
    y_moves = np.abs(np.diff(l2.xy[:20, 1].astype(np.float64)))
    claim("a decay added to the gradient is divided by Adam's scale: y, whose loss gradient is 0, falls about lr "
          "a step, as hard as Adam's whole step", np.all(np.abs(y_moves / 0.05 - 1) < 0.1), y_moves[:5])
    adamw = run_at(base.format("", "adamw:lr=0.05,weight_decay=0.1,label=a"))
    faster = run_at(base.format("", "adamw:lr=0.1,weight_decay=0.1,label=a"))
    claim("AdamW subtracts lr × weight_decay × x after the adaptive step (y: times 1 - 0.005 a step)",
          np.allclose(adamw.xy[1:, 1] / adamw.xy[:-1, 1], 1 - 0.05 * 0.1, atol=1e-6))
    scaled = run_at(base.format("", "adamw:lr=0.05,weight_decay=0.1,label=a").replace("f=0.5*", "f=5*"))
    claim("decoupled from Adam's normalisation: ten times the loss, the same path", np.abs(scaled.xy - adamw.xy).max()
          < 1e-3, np.abs(scaled.xy - adamw.xy).max())
    claim("not from the learning rate: at twice the rate, twice the decay (times 1 - 0.01 a step)",
          np.allclose(faster.xy[1:, 1] / faster.xy[:-1, 1], 1 - 0.1 * 0.1, atol=1e-6))
    claim.verify()


def test_amsgrad_note():
    claim = Claims("amsgrad", "optimizer note")
    run = run_at("surface=quadratic:cond=10&steps=60&run=amsgrad:lr=0.3,label=a")
    v_max = run.state["v_max"]
    claim("the denominator never shrinks", np.all(np.diff(v_max, axis=0) >= 0))
    claim("the largest squared gradient so far, here the first, caps the step for good",
          np.all(v_max == v_max[0]) and np.all(steps_of(run)[5:] < steps_of(run)[0]), v_max[-1])
    claim.verify()


def test_lion_note():
    claim = Claims("lion", "optimizer note")
    run = run_at("surface=quadratic:cond=10&steps=40&run=lion:lr=0.05,label=a")
    moves = np.abs(np.diff(run.xy.astype(np.float64), axis=0))
    claim("only a sign: without weight decay every coordinate moves by exactly the learning rate",
          run.run.hyper["weight_decay"] == 0 and np.allclose(moves, 0.05, rtol=1e-5), (moves.min(), moves.max()))
    claim.verify()


def test_sign_sgd_note():
    claim = Claims("sign_sgd", "optimizer note")
    query = "surface=custom&f={}*(x^2%2B10*y^2)&start=2.013,1.007&steps=100&run=sign_sgd:lr=0.05,label=a"
    run, steep = run_at(query.format("0.5")), run_at(query.format("50"))
    claim("throws the gradient's size away and keeps its sign: immune to gradient scale (a hundred times the loss, "
          "the same path)", np.array_equal(run.xy, steep.xy))
    claim("it never settles closer than one step: its last steps are still lr in each coordinate",
          np.allclose(np.abs(np.diff(run.xy[-10:].astype(np.float64), axis=0)), 0.05, rtol=1e-4)
          and not np.all(run.loss[-20:] <= TOL))
    claim.verify()


def test_newton_note():
    claim = Claims("newton", "optimizer note")
    run = run_at("surface=quadratic:cond=50&steps=5&run=newton:lr=1,label=a")
    claim("one step to the minimum of a quadratic", np.linalg.norm(run.xy[1]) < 1e-5, run.xy[1])
    saddle = run_at("surface=saddle&steps=20&run=newton:lr=1,label=a")
    claim("it heads for any stationary point, saddles included", np.linalg.norm(saddle.xy[-1]) < 1e-3, saddle.xy[-1])
    claim.verify()


def test_polyak_sgd_note():
    claim = Claims("polyak_sgd", "optimizer note")
    run = run_at("surface=quadratic:cond=10&steps=40&run=polyak_sgd:lr=1,label=a")
    g = run.grad.astype(np.float64)
    f = run.loss.astype(np.float64)
    size = np.minimum(f[:-1] / np.sum(g * g, axis=1), 1.0)  # f* = 0, capped by lr = 1
    moves = np.diff(run.xy.astype(np.float64), axis=0)
    claim("Polyak's step (f - f*)/|g|², the learning rate capping it", np.allclose(moves, -size[:, None] * g,
                                                                                    rtol=1e-3, atol=1e-7))
    claim("long far away, short near the minimum", np.linalg.norm(moves[0]) > 10 * np.linalg.norm(moves[-1]))
    claim.verify()


def test_prodigy_note():
    claim = Claims("prodigy", "optimizer note")
    run = run_at("surface=quadratic:cond=10&steps=60&run=prodigy:lr=1,label=a")
    d = run.state["d"][:, 0]
    claim("d starts tiny and only grows", d[0] <= 1e-6 and np.all(np.diff(d) >= 0) and d[-1] > 1e4 * d[0], d[[0, -1]])
    claim("so the first steps are very cautious (under 1e-5 long)", steps_of(run)[0] < 1e-5, steps_of(run)[0])
    claim.verify()
