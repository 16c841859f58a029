"""A network's sharpness from Hessian-vector products: the top eigenvalue of
the training loss's Hessian (or of P^-1 H for an optimizer with a diagonal
preconditioner P), by Lanczos iterations, as Cohen et al.'s code computes
it, never forming the Hessian.

The first estimate of a run starts from a fixed random direction and takes
`FIRST` iterations; each later one starts from the previous estimate's top
Ritz vector (the direction of steepest curvature moves little between two
estimates a few steps apart) and takes `LATER`: together, with full
reorthogonalisation, on a network of any size, that keeps the estimates
within a percent of those started afresh (tests/test_model_sharpness.py)
at a third of the cost of starting afresh.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

FIRST = 16
LATER = 5
ITERATIONS = FIRST  # lanczos_top's default


def lanczos_top(matvec: Callable, start: jax.Array, iterations: int = ITERATIONS) -> tuple[jax.Array, jax.Array]:
    """(the largest eigenvalue of the symmetric operator `matvec`, its Ritz
    vector), from `iterations` Lanczos steps started at `start` (any
    nonzero vector; a Krylov space that closes early, on a network of few
    weights, ends the iteration where it closes)."""
    n = start.size
    k = min(iterations, n)
    basis = jnp.zeros((k, n), start.dtype)
    v = start / jnp.linalg.norm(start)

    def step(j, carry):
        basis, alpha, beta, v, alive = carry
        basis = basis.at[j].set(v)
        w = matvec(v)
        a = jnp.vdot(w, v)
        for _ in range(2):  # twice is enough (Kahan): every earlier vector removed
            w = w - basis.T @ (basis @ w)
        b = jnp.linalg.norm(w)
        # The space closed (b ~ 0): no further vector; the rest of T stays 0.
        scale = jnp.maximum(jnp.abs(a), jnp.max(jnp.abs(alpha)))
        closes = b <= 1e-6 * jnp.maximum(scale, 1e-30)
        alpha = alpha.at[j].set(jnp.where(alive, a, 0.0))
        beta = beta.at[j].set(jnp.where(alive & ~closes, b, 0.0))
        next_v = jnp.where(closes, jnp.zeros_like(w), w / jnp.where(closes, 1.0, b))
        return basis, alpha, beta, next_v, alive & ~closes

    alpha0 = jnp.zeros(k, start.dtype)
    basis, alpha, beta, _, alive = jax.lax.fori_loop(
        0, k, step, (basis, alpha0, jnp.zeros(k, start.dtype), v, jnp.bool_(True)))
    # Rows after the space closed are 0: give them an eigenvalue below every
    # real one, so they are never the top.
    used = jnp.cumsum(jnp.concatenate([jnp.ones(1), (beta[:-1] > 0).astype(start.dtype)])) == jnp.arange(1, k + 1)
    low = jnp.min(alpha) - jnp.sum(jnp.abs(beta)) - 1.0
    tridiagonal = jnp.diag(jnp.where(used, alpha, low)) + jnp.diag(beta[:-1], 1) + jnp.diag(beta[:-1], -1)
    values, vectors = jnp.linalg.eigh(tridiagonal)
    ritz = basis.T @ vectors[:, -1]
    return values[-1], ritz


def hessian_vector_product(loss: Callable, w: jax.Array) -> Callable:
    """v -> H v, H the Hessian of `loss` at `w` (forward over reverse)."""
    gradient = jax.grad(loss)
    return lambda v: jax.jvp(gradient, (w,), (v,))[1]
