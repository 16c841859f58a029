"""The built-in surfaces: one entry each, function beside its facts.

Every entry is checked by tests/test_surfaces.py: f at each listed minimum
equals `min_value`, the gradient there vanishes, and f and its gradient are
finite over the window.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax.nn import sigmoid

from visualizer.core.knobs import Knob
from visualizer.core.surfaces.surface import Surface

PI = math.pi


def _safe_norm(x, y):
    """sqrt(x^2 + y^2) with gradient 0 (not NaN) at the origin.

    The inner `where` keeps sqrt away from 0 so its derivative never becomes
    inf * 0 (the double-where idiom from the JAX FAQ)."""
    r2 = x * x + y * y
    safe = jnp.where(r2 > 0, r2, 1.0)
    return jnp.where(r2 > 0, jnp.sqrt(safe), 0.0)


def quadratic(x, y, cond=10.0, angle=30.0):
    a = jnp.deg2rad(angle)
    u = x * jnp.cos(a) + y * jnp.sin(a)
    v = -x * jnp.sin(a) + y * jnp.cos(a)
    return 0.5 * (u * u + cond * v * v)


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def himmelblau(x, y):
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def booth(x, y):
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


def matyas(x, y):
    return 0.26 * (x * x + y * y) - 0.48 * x * y


def rastrigin(x, y):
    return 20 + x * x - 10 * jnp.cos(2 * PI * x) + y * y - 10 * jnp.cos(2 * PI * y)


def ackley(x, y):
    r = _safe_norm(x, y) * math.sqrt(0.5)
    return (
        -20 * jnp.exp(-0.2 * r)
        - jnp.exp(0.5 * (jnp.cos(2 * PI * x) + jnp.cos(2 * PI * y)))
        + math.e
        + 20
    )


def goldstein_price(x, y):
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x * x - 14 * y + 6 * x * y + 3 * y * y)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x * x + 48 * y - 36 * x * y + 27 * y * y)
    return a * b


def six_hump_camel(x, y):
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2


def styblinski_tang(x, y):
    return 0.5 * (x**4 - 16 * x**2 + 5 * x + y**4 - 16 * y**2 + 5 * y)


def levi13(x, y):
    s = jnp.sin
    return (
        s(3 * PI * x) ** 2
        + (x - 1) ** 2 * (1 + s(3 * PI * y) ** 2)
        + (y - 1) ** 2 * (1 + s(2 * PI * y) ** 2)
    )


def saddle(x, y):
    return x * x + y**4 / 4 - y * y


# The cliff: a gentle elliptic valley with its minimum at the origin, and a
# wall of height CLIFF_HEIGHT rising over about 1/CLIFF_STEEPNESS at
# x = CLIFF_AT. On the wall's face the gradient is about
# HEIGHT * STEEPNESS / 4 = 250, so one plain SGD step at lr 0.1 moves about
# 25 units: the run is flung far out of the window. Clipping the gradient's
# norm to 1 bounds every step by lr and the same run walks down the face.
CLIFF_HEIGHT = 50.0
CLIFF_STEEPNESS = 20.0
CLIFF_AT = 1.5


def cliff(x, y):
    valley = 0.5 * (0.2 * x * x + y * y)
    return valley + CLIFF_HEIGHT * sigmoid(CLIFF_STEEPNESS * (x - CLIFF_AT))


HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.283185991286170),
    (3.584428340330492, -1.848126526964404),
)

SURFACES: tuple[Surface, ...] = (
    Surface(
        id="quadratic",
        name="Quadratic bowl",
        fn=quadratic,
        latex=r"\tfrac12\left(u^2 + \kappa\, v^2\right) \\ "
        r"\text{with } u = x\cos\alpha + y\sin\alpha,\ v = -x\sin\alpha + y\cos\alpha",
        window=((-3.0, 3.0), (-3.0, 3.0)),
        minima=((0.0, 0.0),),
        min_value=0.0,
        start=(-2.6, 1.2),
        steps=100,
        runs=(
            "sgd:lr=0.18,label=SGD",
            "momentum:lr=0.05,momentum=0.8,label=Momentum",
            "adam:lr=0.3,label=Adam",
        ),
        params=(
            Knob("cond", 10.0, 1.0, 1000.0, r"\kappa", "condition number: curvature ratio of the steep to the shallow axis",
                 title="Condition number κ", log=True),
            Knob("angle", 30.0, -180.0, 180.0, r"\alpha", "rotation of the axes in degrees",
                 title="Rotation α (degrees)"),
        ),
        log_scale=False,
        note=(
            "The simplest loss there is, and already the whole story of the "
            "learning rate. Its curvature is 1 along the valley and cond across "
            "it, so plain gradient descent is stable only for lr < 2 / cond, "
            "while each step along the valley shrinks the distance there by a "
            "factor 1 - lr. Raise the condition number and SGD zig-zags across "
            "the valley while it crawls along it; momentum averages the "
            "zig-zag away; Adam rescales each coordinate, which helps while "
            "the valley lies along an axis: rotate it (angle) and the advantage "
            "fades."
        ),
    ),
    Surface(
        id="rosenbrock",
        name="Rosenbrock",
        fn=rosenbrock,
        latex=r"(1 - x)^2 + 100\,(y - x^2)^2",
        window=((-2.0, 2.0), (-1.0, 3.0)),
        minima=((1.0, 1.0),),
        min_value=0.0,
        start=(-1.5, 2.0),
        steps=500,
        runs=(
            "sgd:lr=0.001,label=SGD",
            "momentum:lr=0.001,momentum=0.9,label=Momentum",
            "adam:lr=0.05,label=Adam",
        ),
        note=(
            "A long, curved, flat-bottomed valley. Finding the valley is easy; "
            "following it to (1, 1) is hard: at the minimum the walls curve "
            "about 2500 times more than the floor (curvatures 1002 and 0.4), so "
            "a learning rate small enough not to bounce between the walls "
            "(below 2/1002) is tiny along the floor. Momentum builds speed "
            "along the floor; adaptive methods rescale the steep direction."
        ),
    ),
    Surface(
        id="beale",
        name="Beale",
        fn=beale,
        latex=r"(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 \\ {} + (2.625 - x + xy^3)^2",
        window=((-4.5, 4.5), (-4.5, 4.5)),
        minima=((3.0, 0.5),),
        min_value=0.0,
        start=(1.0, 1.5),
        steps=600,
        runs=(
            "sgd:lr=0.01,label=SGD",
            "rmsprop:lr=0.01,label=RMSProp",
            "adam:lr=0.05,label=Adam",
        ),
        note=(
            "Sharp ridges near the corners and a wide flat plateau around the "
            "minimum: gradients vary over four orders of magnitude. A method "
            "that normalises the step by a running gradient scale (RMSProp) "
            "keeps moving on the plateau where SGD slows to a crawl: near the "
            "minimum its steps are ten times SGD's."
        ),
    ),
    Surface(
        id="himmelblau",
        name="Himmelblau",
        fn=himmelblau,
        latex=r"(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        window=((-5.0, 5.0), (-5.0, 5.0)),
        minima=HIMMELBLAU_MINIMA,
        min_value=0.0,
        saddles=(
            (0.086677504555724, 2.884254701175068),
            (-3.073025750993442, -0.081353044288836),
            (3.385154183607892, 0.073851879838564),
            (-0.127961346374643, -1.953714980244171),
        ),
        start=(-0.3, -0.9),
        steps=300,
        runs=(
            "sgd:lr=0.01,label=SGD",
            "momentum:lr=0.005,momentum=0.9,label=Momentum",
            "adam:lr=0.1,label=Adam",
        ),
        note=(
            "Four minima of equal depth. Where a run ends depends on where it "
            "starts and on how it moves: start near the central peak and "
            "small changes of the start point or the optimizer send runs into "
            "different basins."
        ),
    ),
    Surface(
        id="booth",
        name="Booth",
        fn=booth,
        latex=r"(x + 2y - 7)^2 + (2x + y - 5)^2",
        window=((-10.0, 10.0), (-10.0, 10.0)),
        minima=((1.0, 3.0),),
        min_value=0.0,
        start=(-8.0, -6.0),
        steps=150,
        runs=(
            "sgd:lr=0.05,label=SGD",
            "nesterov:lr=0.02,momentum=0.9,label=Nesterov",
            "adam:lr=0.5,label=Adam",
        ),
        log_scale=False,
        note=(
            "A rotated quadratic with condition number 9. A clean place to see "
            "the learning rate's two limits: SGD is stable only for lr < 1/9, "
            "and above it the zig-zag grows instead of shrinking."
        ),
    ),
    Surface(
        id="matyas",
        name="Matyas",
        fn=matyas,
        latex=r"0.26\,(x^2 + y^2) - 0.48\,xy",
        window=((-10.0, 10.0), (-10.0, 10.0)),
        minima=((0.0, 0.0),),
        min_value=0.0,
        start=(8.0, -4.0),
        steps=300,
        runs=(
            "sgd:lr=1.5,label=SGD",
            "momentum:lr=0.5,momentum=0.9,label=Momentum",
            "adagrad:lr=1,label=AdaGrad",
        ),
        log_scale=False,
        note=(
            "A quadratic whose valley runs along the diagonal, with curvatures "
            "1 and 0.04 (condition number 25). Scaling each coordinate cannot "
            "help here: both already curve by 0.52. Momentum can: tuned for "
            "it, it shrinks the distance by 2/3 a step, where SGD at its best "
            "rate shrinks it by 12/13."
        ),
    ),
    Surface(
        id="rastrigin",
        name="Rastrigin",
        fn=rastrigin,
        latex=r"20 + x^2 - 10\cos(2\pi x) + y^2 - 10\cos(2\pi y)",
        window=((-5.12, 5.12), (-5.12, 5.12)),
        minima=((0.0, 0.0),),
        min_value=0.0,
        start=(3.3, 2.6),
        steps=300,
        runs=(
            "sgd:lr=0.002,label=SGD",
            "sgd:lr=0.002,schedule=cosine,min_ratio=0,noise=100,seed=2,label=SGD %2B noise %2B cosine",
            "adam:lr=0.3,label=Adam",
        ),
        log_scale=False,
        note=(
            "A bowl covered in ripples: a local minimum near every integer "
            "point. Plain gradient descent stops in the first dimple it finds. "
            "Noise in the gradient, with a rate that decays, can hop over "
            "ripples; nothing local is guaranteed to find the centre."
        ),
    ),
    Surface(
        id="ackley",
        name="Ackley",
        fn=ackley,
        latex=r"-20\,e^{-0.2\sqrt{(x^2+y^2)/2}} - e^{(\cos 2\pi x + \cos 2\pi y)/2} + e + 20",
        window=((-5.0, 5.0), (-5.0, 5.0)),
        minima=((0.0, 0.0),),
        min_value=0.0,
        start=(2.2, -1.7),
        steps=300,
        runs=(
            "sgd:lr=0.1,label=SGD",
            "sgd:lr=0.1,schedule=cosine,min_ratio=0,label=SGD %2B cosine schedule",
            "adam:lr=0.2,label=Adam",
        ),
        log_scale=False,
        note=(
            "A nearly flat, bumpy plain around a deep narrow funnel. The bumps "
            "trap small steps: Adam stops in one. Large steps first and small "
            "ones later (a cosine schedule) cross the bumps and then settle in "
            "the funnel; the same large steps kept constant bounce around in it."
        ),
    ),
    Surface(
        id="goldstein_price",
        name="Goldstein-Price",
        fn=goldstein_price,
        latex=r"\left[1 + (x+y+1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\right] \\ "
        r"{} \times \left[30 + (2x-3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\right]",
        window=((-2.0, 2.0), (-2.0, 2.0)),
        minima=((0.0, -1.0),),
        min_value=3.0,
        start=(-1.0, 1.0),
        steps=400,
        runs=(
            "sgd:lr=0.00002,label=SGD lr 2e-5",
            "sgd:lr=0.00001,label=SGD lr 1e-5",
            "adam:lr=0.05,label=Adam",
        ),
        note=(
            "Values from 3 to a million inside a small square: gradients differ "
            "by five orders of magnitude between the corners and the basin. "
            "Any single learning rate for SGD is too small somewhere and too "
            "large elsewhere: 2e-5 is flung away by the first steep step, half of "
            "it crawls into the basin. Adam's normalised steps ignore the scale, "
            "which also carries it into the basin of a local minimum (f = 30 at "
            "(-0.6, -0.4))."
        ),
    ),
    Surface(
        id="six_hump_camel",
        name="Six-hump camel",
        fn=six_hump_camel,
        latex=r"\left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (-4 + 4y^2)\,y^2",
        window=((-2.0, 2.0), (-1.2, 1.2)),
        minima=((0.08984201368301331, -0.7126564032704135), (-0.08984201368301331, 0.7126564032704135)),
        min_value=-1.031628453489877,
        start=(-1.6, -0.2),
        steps=300,
        runs=(
            "sgd:lr=0.01,label=SGD",
            "momentum:lr=0.01,momentum=0.9,label=Momentum",
            "adam:lr=0.05,label=Adam",
        ),
        log_scale=False,
        note=(
            "Six local minima, two of them global. Momentum can carry a run "
            "over a low ridge into a better basin: from (-1.9, -1.1) SGD stops "
            "at f = 2.10, momentum 0.9 at a global minimum."
        ),
    ),
    Surface(
        id="styblinski_tang",
        name="Styblinski-Tang",
        fn=styblinski_tang,
        latex=r"\tfrac12\left(x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y\right)",
        window=((-5.0, 5.0), (-5.0, 5.0)),
        minima=((-2.903534027771177, -2.903534027771177),),
        min_value=-78.33233140754285,
        start=(0.5, 4.5),
        steps=300,
        runs=(
            "sgd:lr=0.005,label=SGD",
            "momentum:lr=0.005,momentum=0.9,label=Momentum",
            "adam:lr=0.1,label=Adam",
        ),
        note=(
            "Four basins, one per quadrant, of three depths: -78.3, -64.2 "
            "(twice) and -50.1. Which one a run ends in depends on the start "
            "point and on whether it has the momentum to cross a ridge, at "
            "x = 0.157 or y = 0.157, where each coordinate's own curve peaks."
        ),
    ),
    Surface(
        id="levi13",
        name="Lévi N.13",
        fn=levi13,
        latex=r"\sin^2(3\pi x) + (x-1)^2\left(1 + \sin^2(3\pi y)\right) \\ "
        r"{} + (y-1)^2\left(1 + \sin^2(2\pi y)\right)",
        window=((-4.0, 6.0), (-4.0, 6.0)),
        minima=((1.0, 1.0),),
        min_value=0.0,
        start=(-3.0, 4.5),
        steps=400,
        runs=(
            "sgd:lr=0.005,label=SGD",
            "momentum:lr=0.005,momentum=0.97,label=Momentum",
            "adam:lr=0.5,label=Adam",
        ),
        log_scale=False,
        note=(
            "Ridged in x, wavy in y: a grid of local minima around the global "
            "one at (1, 1). Momentum and Adam both end in the local minimum "
            "beside it, (1.33, 1), at f = 0.11. SGD at lr 0.005 never settles: "
            "the walls in y throw it back and forth, and its loss climbs from 10 "
            "at step 50 to 19."
        ),
    ),
    Surface(
        id="saddle",
        name="Saddle",
        fn=saddle,
        latex=r"x^2 + \tfrac{y^4}{4} - y^2",
        window=((-2.0, 2.0), (-2.5, 2.5)),
        minima=((0.0, math.sqrt(2.0)), (0.0, -math.sqrt(2.0))),
        min_value=-1.0,
        saddles=((0.0, 0.0),),
        start=(1.8, 0.001),
        steps=200,
        runs=(
            "sgd:lr=0.05,label=SGD",
            "momentum:lr=0.05,momentum=0.9,label=Momentum",
            "newton:lr=1,label=Newton",
        ),
        log_scale=False,
        note=(
            "Start almost exactly on the ridge line: the gradient points at "
            "the saddle, and SGD slows to a near stop there before the tiny "
            "sideways component grows and it escapes. Momentum escapes "
            "sooner. Newton's method, which jumps to where the gradient of "
            "the local quadratic vanishes, is attracted by the saddle itself."
        ),
    ),
    Surface(
        id="cliff",
        name="Gradient cliff",
        fn=cliff,
        latex=rf"\tfrac12\left(0.2x^2 + y^2\right) + \frac{{{CLIFF_HEIGHT:g}}}{{1 + e^{{-{CLIFF_STEEPNESS:g}(x - {CLIFF_AT:g})}}}}",
        window=((-3.0, 3.0), (-2.0, 2.0)),
        minima=((0.0, 0.0),),
        min_value=0.0,
        start=(2.2, 1.2),
        steps=300,
        runs=(
            "sgd:lr=0.1,label=SGD",
            "sgd:lr=0.1,clip_norm=1,label=SGD %2B clip by norm",
            "sgd:lr=0.1,clip_value=1,label=SGD %2B clip by value",
        ),
        note=(
            "A gentle valley beside a plateau that ends in a wall fifty units "
            "high: the exploding-gradient picture of recurrent networks. On "
            "the wall's face the gradient is about 250, so one SGD step of lr "
            "0.1 moves 24 units and the run is flung far off the map. "
            "Clipping the gradient by norm caps every step at lr times the "
            "threshold and keeps its direction; clipping by value caps each "
            "coordinate, which turns the step. Either way the same run walks "
            "down the wall."
        ),
    ),
)
