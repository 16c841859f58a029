"""Explorations, races and clouds split their batch over every device JAX
sees: with four CPU devices (XLA_FLAGS, set before JAX starts, so in a
process of its own) they give what one device gives, to the bit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENES = (
    "surface=himmelblau&steps=120&run=sgd:lr=0.01&explore=starts:n=24",
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
