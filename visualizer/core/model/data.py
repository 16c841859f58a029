"""The data sets a network learns, made on the fly from a fixed seed (no
download): two classes in the plane, a training and a test split drawn from
the same distribution, each with as many points of one class as of the other.

Every set is standardised with the training split's mean and standard
deviation per feature, so at `scale=1` the inputs are normalised; `scale`
then multiplies the first feature of both splits (`scaled`). The noise of
each set is such that a 2-16-1 tanh network fits it well: moons (noise 0.2)
about 96% on the test split, the others higher.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from visualizer.core.model.keys import DATA_SETS

TRAIN_POINTS = 200
TEST_POINTS = 200
DATA_SEED = 0  # fixed: every link shows the same points
F32 = np.float32


@dataclass(frozen=True, eq=False)
class Dataset:
    """One data set: `train_x` (n, 2) and `train_y` (n,) with labels 0 and
    1, the same for the test split, in standardised coordinates (before
    `scale`). `window` is the input window the page draws the points and the
    decision boundary in: the box around every point, padded by 10%."""

    id: str
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    window: tuple[tuple[float, float], tuple[float, float]]
    label_order: np.ndarray  # (n,): training points in the order their labels are kept, classes alternating

    def labelled(self, fraction: float) -> np.ndarray:
        """(n,) bool: the training points whose labels are kept. The same
        number of each class, at least one: round(fraction * n / 2) per
        class, the first ones of a fixed random order, so a larger fraction
        keeps every label a smaller one kept."""
        per_class = max(1, round(fraction * len(self.train_y) / 2))
        mask = np.zeros(len(self.train_y), bool)
        mask[self.label_order[: 2 * per_class]] = True
        return mask

    def scaled(self, scale: float) -> tuple[np.ndarray, np.ndarray]:
        """The network's inputs: the training and test points with the first
        feature multiplied by `scale`."""
        factor = np.array([scale, 1.0], F32)
        return (self.train_x * factor).astype(F32), (self.test_x * factor).astype(F32)


def _moons(rng, n):
    """sklearn's two moons at random angles, Gaussian noise 0.2."""
    t = rng.uniform(0, np.pi, n)
    upper = np.stack([np.cos(t[: n // 2]), np.sin(t[: n // 2])], 1)
    lower = np.stack([1 - np.cos(t[n // 2:]), 0.5 - np.sin(t[n // 2:])], 1)
    return np.concatenate([upper, lower]) + rng.normal(0, 0.2, (n, 2))


def _circles(rng, n):
    """A ring of radius 1 around a disc's edge of radius 0.5, noise 0.1."""
    t = rng.uniform(0, 2 * np.pi, n)
    r = np.where(np.arange(n) < n // 2, 1.0, 0.5)
    return np.stack([r * np.cos(t), r * np.sin(t)], 1) + rng.normal(0, 0.1, (n, 2))


def _spirals(rng, n):
    """Two interleaved spirals of one and a quarter turns, noise 0.06."""
    t = np.sqrt(rng.uniform(0.02, 1.0, n))  # even density along the arm
    turn = 2.5 * np.pi * t + np.where(np.arange(n) < n // 2, 0.0, np.pi)
    return np.stack([t * np.cos(turn), t * np.sin(turn)], 1) + rng.normal(0, 0.06, (n, 2))


def _blobs(rng, n):
    """Two Gaussian blobs (std 0.7) at (-1, -0.5) and (1, 0.5): they overlap a little."""
    centres = np.where((np.arange(n) < n // 2)[:, None], [-1.0, -0.5], [1.0, 0.5])
    return centres + rng.normal(0, 0.7, (n, 2))


def _xor(rng, n):
    """Uniform in the square with a gap of 0.1 around the axes; the class is
    whether x and y have the same sign (as TensorFlow Playground's)."""
    half = n // 2
    u = rng.uniform(-1, 1, (n, 2))
    u = u + np.sign(u) * 0.1
    same = np.sign(u[:, 0]) == np.sign(u[:, 1])
    # Put the points with x*y > 0 first, as the others put class 0 first.
    sign = np.where(np.arange(n) < half, 1.0, -1.0)
    flip = same != (sign > 0)
    u[flip, 1] = -u[flip, 1]
    return u


_MAKERS = {"moons": _moons, "circles": _circles, "spirals": _spirals, "blobs": _blobs, "xor": _xor}
assert tuple(_MAKERS) == DATA_SETS


@functools.lru_cache(maxsize=len(DATA_SETS))
def dataset(data_id: str) -> Dataset:
    """The data set `data_id`, always the same points."""
    rng = np.random.default_rng([DATA_SEED, DATA_SETS.index(data_id)])
    make = _MAKERS[data_id]
    splits = []
    for n in (TRAIN_POINTS, TEST_POINTS):
        x = make(rng, n)  # the first half class 0, the second class 1
        y = (np.arange(n) >= n // 2).astype(F32)
        order = rng.permutation(n)
        splits.append((x[order], y[order]))
    (train_x, train_y), (test_x, test_y) = splits
    mean, std = train_x.mean(0), train_x.std(0)
    train_x, test_x = ((a - mean) / std for a in (train_x, test_x))
    both = np.concatenate([train_x, test_x])
    low, high = both.min(0), both.max(0)
    pad = 0.1 * (high - low)
    window = tuple((float(a), float(b)) for a, b in zip(low - pad, high + pad, strict=True))
    by_class = [rng.permutation(np.flatnonzero(train_y == c)) for c in (0, 1)]
    label_order = np.stack(by_class, 1).ravel()  # class 0, class 1, class 0, ...
    arrays = [train_x.astype(F32), train_y, test_x.astype(F32), test_y, label_order]
    for a in arrays:
        a.flags.writeable = False
    return Dataset(data_id, *arrays[:4], window, arrays[4])
