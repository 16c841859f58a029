"""The devices a batch of runs is split over: explorations, races and
clouds run many copies of one run at once, and their compiled programs
take the batch split along its first axis over every device JAX sees
(`jax.sharding`), one share each; everything else is replicated. On one
device nothing changes; on a GPU or several, or on a CPU whose cores JAX
is told to treat as devices (XLA_FLAGS=--xla_force_host_platform_device_count=N
before JAX starts), the shares run side by side.
"""

from __future__ import annotations


def batch_sharding(size: int):
    """(batch, replicated): the shardings of an argument split along its
    first axis of `size` over as many devices as divide it, and of one
    every device holds whole; (None, None) on one device."""
    import jax
    import numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    devices = jax.devices()
    count = max(d for d in range(1, len(devices) + 1) if size % d == 0)
    if count == 1:
        return None, None
    mesh = Mesh(np.array(devices[:count]), ("batch",))
    return NamedSharding(mesh, PartitionSpec("batch")), NamedSharding(mesh, PartitionSpec())


def shaped(shape, dtype, sharding=None):
    """A `jax.ShapeDtypeStruct`, with `sharding` where there is one."""
    import jax

    return jax.ShapeDtypeStruct(shape, dtype, sharding=sharding)
