"""Explorations, races and clouds split their batch over every device JAX
sees: with four CPU devices (XLA_FLAGS, set before JAX starts, so in a
process of its own) they give what one device gives, to the bit. The
scenes cover a batch split four ways, one too small to split (on device
0), a race's runs each on a device of its own, and shares stepped in
chunks (8,281 starts: 16,384 per call, 4,096 a device)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from visualizer.core import devices

ROOT = Path(__file__).resolve().parents[1]
SCENES = (
    "surface=himmelblau&steps=120&run=sgd:lr=0.01&explore=starts:n=24",
    "surface=booth&steps=20&run=adam:lr=0.1&explore=starts:n=91",
    "surface=quadratic&steps=80&run=momentum:lr=0.02,momentum=0.9&explore=map:x=lr,y=momentum,n=12",
    "surface=rosenbrock&steps=100&run=adam:lr=0.01&run=sgd:lr=0.001&explore=race:budget=8,keys=all",
    "surface=quadratic:cond=10&steps=60&run=sgd:lr=0.05,noise=3,seeds=24&run=adam:lr=0.1,noise=1,seeds=9",
)
PROGRAM = """
import json, sys
import jax
from visualizer import Scene, explore, simulate
out = {"devices": len(jax.devices()), "results": []}
for query in json.loads(sys.argv[1]):
    scene = Scene.from_query(query)
    out["results"].append((explore(scene) if scene.explore else simulate(scene)).to_dict())
print(json.dumps(out))
"""


def outcomes(devices: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={devices}").strip()
    done = subprocess.run([sys.executable, "-c", PROGRAM, json.dumps(SCENES)], env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_four_devices_give_what_one_gives():
    one, four = outcomes(1), outcomes(4)
    assert (one["devices"], four["devices"]) == (1, 4)
    for query, a, b in zip(SCENES, one["results"], four["results"], strict=True):
        assert a == b, query


CORES = """
from visualizer.core import devices
asked = devices.use_every_core()
import jax
print(asked, len(jax.devices()), devices.usable_cores())
"""


def cores_seen(**env) -> list[int]:
    clean = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "JAX_NUM_CPU_DEVICES")}
    done = subprocess.run([sys.executable, "-c", CORES], env={**clean, "PYTHONPATH": str(ROOT), **env},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return [int(v) for v in done.stdout.split()]


def test_every_core_is_a_device_unless_told_otherwise():
    asked, seen, cores = cores_seen()
    assert asked == seen == cores >= 1
    assert cores_seen(JAX_NUM_CPU_DEVICES="3")[:2] == [0, 3]
    assert cores_seen(XLA_FLAGS="--xla_force_host_platform_device_count=1")[:2] == [0, 1]


@pytest.mark.parametrize("quota, cores", [("max 100000", None), ("150000 100000", 2), ("50000 100000", 1),
                                          ("not a quota", None)])
def test_a_cgroup_quota_caps_the_cores(tmp_path, quota, cores):
    (tmp_path / "cpu.max").write_text(quota + "\n")
    pinned = len(os.sched_getaffinity(0))
    assert devices.usable_cores(str(tmp_path)) == (pinned if cores is None else min(pinned, cores))
    assert devices.usable_cores(str(tmp_path / "missing")) == pinned
