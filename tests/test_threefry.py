"""visualizer.core.threefry: JAX's default random numbers with the hash's
rounds written out, the same bits as the default key's."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from visualizer.core.threefry import UNROLLED, hash2x32


@pytest.mark.parametrize("seed", [0, 7, 2**31 + 5, 2**32 - 1])
@pytest.mark.parametrize("shape", [(1,), (1025, 2), (3, 5, 7)])
def test_the_draws_are_the_default_keys(seed, shape):
    ours, default = jax.random.key(np.uint32(seed), impl=UNROLLED), jax.random.key(np.uint32(seed))
    for draw in (lambda k: jax.random.bits(k, shape), lambda k: jax.random.normal(k, shape, np.float32),
                 lambda k: jax.random.uniform(k, shape), lambda k: jax.random.normal(jax.random.split(k)[1], shape)):
        np.testing.assert_array_equal(np.asarray(jax.jit(draw)(ours)), np.asarray(jax.jit(draw)(default)))


def test_vmapped_over_seeds_as_a_cloud_draws():
    seeds = np.arange(7, 7 + 64, dtype=np.uint32)

    def tables(impl):
        return jax.jit(jax.vmap(lambda s: jax.random.normal(jax.random.key(s, impl=impl), (257, 2), np.float32)))

    np.testing.assert_array_equal(np.asarray(tables(UNROLLED)(seeds)), np.asarray(tables("threefry2x32")(seeds)))


def test_the_hash_matches_the_threefry_known_answer():
    # Salmon et al.'s Random123 known-answer vector for threefry2x32, 20 rounds
    words = hash2x32(*(jnp.uint32(w) for w in (0x13198A2E, 0x03707344, 0x243F6A88, 0x85A308D3)))
    assert [int(w) for w in words] == [0xC4923A9C, 0x483DF7A0]
