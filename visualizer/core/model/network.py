"""The network: a multilayer perceptron 2 -> h (-> h) -> 1 on one flat
weight vector, its initialisations, its loss and its accuracy.

The optimizers see one float32 vector of every weight and bias, laid out
layer by layer, each layer's weight matrix (fan_in, fan_out) row-major and
then its bias: [W1, b1, (W2, b2,) w_out, b_out]. The plane, the Hessian and
the freeze mask are all about that vector.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from visualizer.core.model.keys import CONSTANT_WEIGHT

INIT_SEED = 0  # fixed: every run, and every link, starts from the same weights
F32 = np.float32

ACTIVATION_FUNCTIONS = {
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,
    "gelu": jax.nn.gelu,  # the tanh approximation, jax's default
}


@dataclass(frozen=True)
class Network:
    """The architecture: what fixes the compiled program's shapes and code."""

    hidden: int = 16
    layers: int = 1
    act: str = "tanh"

    @property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        """(fan_in, fan_out) of each layer, the output layer last."""
        h = self.hidden
        return ((2, h),) + ((h, h),) * (self.layers - 1) + ((h, 1),)

    @property
    def size(self) -> int:
        """The number of weights and biases."""
        return sum(i * o + o for i, o in self.shapes)

    def last_layer(self) -> np.ndarray:
        """(size,) float32: 1 on the output layer's weights and bias, 0 elsewhere."""
        i, o = self.shapes[-1]
        mask = np.zeros(self.size, F32)
        mask[self.size - (i * o + o):] = 1
        return mask

    def unflatten(self, w) -> list[tuple[jax.Array, jax.Array]]:
        layers, start = [], 0
        for i, o in self.shapes:
            weights = w[start: start + i * o].reshape(i, o)
            start += i * o
            layers.append((weights, w[start: start + o]))
            start += o
        return layers

    def logits(self, w, x):
        """The output before the sigmoid, (n,), for inputs x (n, 2)."""
        act = ACTIVATION_FUNCTIONS[self.act]
        *hidden, (w_out, b_out) = self.unflatten(w)
        for weights, bias in hidden:
            x = act(x @ weights + bias)
        return (x @ w_out + b_out)[:, 0]


def initial_weights(network: Network, init: str) -> np.ndarray:
    """The flat weights every run starts from (before any pretraining).
    Biases start at 0; weights are Gaussian: std 1 (`normal`), 5 (`large`),
    sqrt(2 / (fan_in + fan_out)) (`xavier`, Glorot's normal), sqrt(2 / fan_in)
    (`he`); `zeros` sets every weight 0 too, `constant` every weight to
    CONSTANT_WEIGHT. Drawn from a fixed seed, so the same architecture and
    init always give the same weights."""
    rng = np.random.default_rng(INIT_SEED)
    parts = []
    for i, o in network.shapes:
        std = {"zeros": 0.0, "constant": 0.0, "normal": 1.0, "large": 5.0, "xavier": np.sqrt(2 / (i + o)),
               "he": np.sqrt(2 / i)}[init]
        weights = rng.standard_normal(i * o) * std
        if init == "constant":
            weights = np.full(i * o, CONSTANT_WEIGHT)
        parts += [weights, np.zeros(o)]
    return np.concatenate(parts).astype(F32)


def loss(network: Network, w, x, y, weight):
    """The mean binary cross-entropy of sigmoid(logits) over the points with
    weight 1 (0 leaves a point out: an unlabelled one, or a minibatch's
    padding), and the logits."""
    logits = network.logits(w, x)
    return cross_entropy(logits, y, weight), logits


def cross_entropy(logits, y, weight):
    """The weighted mean of log(1 + e^z) - y z (optax.sigmoid_binary_cross_entropy),
    finite for any finite z."""
    terms = jax.nn.softplus(logits) - y * logits
    return jnp.sum(weight * terms) / jnp.maximum(jnp.sum(weight), 1.0)


def accuracy(logits, y, weight):
    """The fraction of the weighted points whose class sigmoid(logits) > 1/2 gets right."""
    right = (logits > 0) == (y > 0.5)
    return jnp.sum(weight * right) / jnp.maximum(jnp.sum(weight), 1.0)
