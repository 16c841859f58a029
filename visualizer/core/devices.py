"""The devices a batch of runs is split over: explorations, races and
clouds run many copies of one run at once, and their compiled programs
take the batch split along its first axis over every device JAX sees
(`jax.sharding`), one share each; everything else is replicated. A batch
too small to split is placed whole on one device, which a caller may
choose, so that a race's runs (a program each) go side by side. On one
device nothing changes; on a GPU or several, or on a CPU whose cores are
devices (`use_every_core`), the shares run at once.
"""

from __future__ import annotations

import functools
import math
import os
import sys

# The smallest share worth a device of its own. Measured on 2 cores: 16
# copies of a race's run each side of the split took longer than 32 on one
# core (the shares' start and finish cost more than their steps), and 512
# starts of the basin map each side took 8.97 ms against 11.2 on one.
MIN_SHARE = 256
# Set, JAX's own settings win over `use_every_core`.
_SET_BY_HAND = ("JAX_NUM_CPU_DEVICES", "xla_force_host_platform_device_count")


def usable_cores(cgroup: str = "/sys/fs/cgroup") -> int:
    """The cores this process may run on: those it is pinned to, fewer
    where its cgroup's quota allows less (a container's share of a bigger
    machine, as on Community Cloud)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        with open(os.path.join(cgroup, "cpu.max")) as fh:
            quota, period = fh.read().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


@functools.cache
def use_every_core() -> int:
    """Make JAX's CPU backend one device per usable core, so that a batch
    split over the devices runs on all of them: XLA runs a program on one
    core, and the steps of a loop are too short to be worth splitting
    inside (visualizer.core.exploration.SIZES). The app, the CLI and the
    benchmarks call it first thing; the compile worker is told the server's
    count (its programs are laid out over the server's devices). It must
    come before JAX starts its backend; after that, or where
    JAX_NUM_CPU_DEVICES or XLA_FLAGS set a count, it changes nothing.
    Returns the count it asked for (0: none)."""
    if any(name in os.environ.get("XLA_FLAGS", "") or name in os.environ for name in _SET_BY_HAND):
        return 0
    count = usable_cores()
    if "jax" not in sys.modules:  # read when JAX is imported: the CLI's listings never import it
        os.environ["JAX_NUM_CPU_DEVICES"] = str(count)
        return count
    import jax

    try:
        jax.config.update("jax_num_cpu_devices", count)
    except RuntimeError:  # the backend has started: what it has, it keeps
        return 0
    return count


def batch_sharding(size: int, home: int = 0):
    """(batch, replicated): the shardings of an argument split along its
    first axis of `size` over as many devices as divide it, each share at
    least MIN_SHARE, and of one every device holds whole; a batch too small
    to split goes whole to device number `home` (modulo the count); (None,
    None) on one device."""
    import jax
    import numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec, SingleDeviceSharding

    devices = jax.devices()
    if len(devices) == 1:
        return None, None
    count = split_over(size)
    if count == 1:
        one = SingleDeviceSharding(devices[home % len(devices)])
        return one, one
    mesh = Mesh(np.array(devices[:count]), ("batch",))
    return NamedSharding(mesh, PartitionSpec("batch")), NamedSharding(mesh, PartitionSpec())


def split_over(size: int) -> int:
    """How many devices `batch_sharding` splits a batch of `size` over."""
    import jax

    count = len(jax.devices())
    return max(d for d in range(1, count + 1) if size % d == 0 and (d == 1 or size // d >= MIN_SHARE))


def shaped(shape, dtype, sharding=None):
    """A `jax.ShapeDtypeStruct`, with `sharding` where there is one."""
    import jax

    return jax.ShapeDtypeStruct(shape, dtype, sharding=sharding)


def per_share(fn, batch, arguments: int):
    """`fn(batch_rows, *others)` as one program over the devices: each runs
    it on its share of the rows (`jax.shard_map`), the others whole; `fn`
    itself where `batch` (from `batch_sharding`) does not split."""
    import jax
    from jax.sharding import NamedSharding, PartitionSpec

    if not isinstance(batch, NamedSharding):
        return fn
    # Each share's loop is its own: no value crosses devices, so JAX need
    # not track which values vary across them (check_vma).
    return jax.shard_map(fn, mesh=batch.mesh, in_specs=(PartitionSpec("batch"),) + (PartitionSpec(),) * (arguments - 1),
                         out_specs=PartitionSpec("batch"), check_vma=False)


def awaited_apart(call):
    """`call()`, a split program's call and the wait for its result, run on
    a helper thread; what waits for that (`Future.result`).

    Why: a call split over CPU devices runs one device's share on the thread
    that makes it and hands the others to XLA's threads. On these machines,
    when the calling thread had just been busy on its own (building the
    last result's JSON), the other share often waited for that one to
    finish instead of taking the idle core. A 128 x 128 starts map, each
    call after 3 ms of Python, four rounds of 100: median 4.7 to 7.6 ms
    called from the busy thread, 4.25 to 4.4 from a helper
    (benchmarks/README.md)."""
    return _helpers().submit(call).result


@functools.cache
def _helpers():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="split-call")
