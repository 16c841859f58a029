"""What a run does with the training points whose labels `labels` dropped:
the run keys `unlabeled`, `threshold` and `weight` (docs/model.md).

- `ignore`: they are not in the loss (supervised learning on the labels).
- `selftrain` (pseudo-labels, Lee 2013): at every step, each unlabelled
  point that the network predicts with confidence max(p, 1 - p) >= threshold
  is trained on as if it were labelled with the class predicted; the loss
  adds `weight` times the mean, over the unlabelled points, of that
  cross-entropy (0 for a point below the threshold). The pseudo-label is
  the prediction of this step, not a gradient path: it is held fixed while
  differentiating, as in Lee's method.
- `entropy` (entropy minimisation, Grandvalet and Bengio 2004): the loss
  adds `weight` times the mean entropy of the predictions on the unlabelled
  points, which pushes every prediction away from 1/2.

Both rest on the cluster assumption: they help where the classes are
separated by a gap with no points in it, and confirm their own mistakes
where they are not.

A point counts as pseudo-labelled when the prediction is that confident,
in every mode: under `ignore` and `entropy` the count says which points
self-training at that threshold would take (they do not enter the loss as
labels). The confidence test is |logit| >= ln(threshold / (1 - threshold)),
the same as max(p, 1 - p) >= threshold without rounding p near 0 or 1.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

F32 = np.float32


class UnlabeledArguments(NamedTuple):
    """A run's unlabelled term as data of its program (so switching modes
    compiles nothing): the weights of the self-training and the entropy
    terms (0 for the modes that are off) and the confidence as a logit."""

    selftrain: np.float32
    entropy: np.float32
    logit_threshold: np.float32


def arguments(mode: str, threshold: float, weight: float) -> UnlabeledArguments:
    return UnlabeledArguments(F32(weight if mode == "selftrain" else 0.0), F32(weight if mode == "entropy" else 0.0),
                              F32(logit_of(threshold)))


def logit_of(threshold: float) -> float:
    """The logit whose probability is `threshold` (in float64)."""
    return math.log(threshold / (1.0 - threshold))


def confident(logits, logit_threshold):
    """Where a prediction is confident enough to be a pseudo-label."""
    return jnp.abs(logits) >= logit_threshold


def term(logits, unlabelled, args: UnlabeledArguments):
    """What the unlabelled points add to the loss: `logits` of every
    training point, `unlabelled` 1 where the label was dropped."""
    count = jnp.maximum(jnp.sum(unlabelled), 1.0)
    # Cross-entropy against the predicted class: log(1 + e^-|z|); the class
    # (the sign of z) is held fixed, the confidence is what is trained.
    taken = jax.lax.stop_gradient(confident(logits, args.logit_threshold).astype(logits.dtype)) * unlabelled
    selftrain = jnp.sum(taken * jax.nn.softplus(-jnp.abs(logits))) / count
    p = jax.nn.sigmoid(logits)
    entropy = p * jax.nn.softplus(-logits) + (1 - p) * jax.nn.softplus(logits)
    return args.selftrain * selftrain + args.entropy * jnp.sum(unlabelled * entropy) / count


def pseudo_labels(logits, y, unlabelled, logit_threshold):
    """(how many unlabelled points are pseudo-labelled, how many of those
    rightly), as float32 counts."""
    taken = confident(logits, logit_threshold) & (unlabelled > 0)
    right = taken & ((logits > 0) == (y > 0.5))
    return jnp.sum(taken).astype(jnp.float32), jnp.sum(right).astype(jnp.float32)
