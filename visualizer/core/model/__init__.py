"""A real model's landscape (docs/model.md): `surface=mlp:...` trains a
small network on a 2D data set, every run from the same initial weights
with its own optimizer, and draws the paths on the plane of Li et al. (2018).

    keys.py      the surface's parameters (light: no JAX)
    data.py      the five data sets, made from a fixed seed
    network.py   the network on one flat weight vector: init, logits, loss, accuracy
    unlabeled.py what a run does with the unlabelled points: its term of the loss, its pseudo-labels
    training.py  one run as one compiled scan; pretraining
    plane.py     the plane (PCA of run 1's path), projection, the loss on the plane
    simulate.py  `simulate_model(scene)`: all of it, as a `SimulationResult`
    explore.py   `explore=lr`: one run at many learning rates, one vmapped program

docs/model.md is the reference. Names below are imported on first use, so
importing `visualizer.core.model.keys` (the surface registry does) imports no JAX.
"""

from visualizer.core.lazy import lazy

_HOMES = {
    "simulate_model": "visualizer.core.model.simulate",
    "check": "visualizer.core.model.simulate",
    "ModelView": "visualizer.core.model.simulate",
    "ModelSettings": "visualizer.core.model.simulate",
    "Boundary": "visualizer.core.model.simulate",
    "Plane": "visualizer.core.model.plane",
    "Dataset": "visualizer.core.model.data",
    "dataset": "visualizer.core.model.data",
    "Network": "visualizer.core.model.network",
}

__all__ = sorted(_HOMES)


__getattr__, __dir__ = lazy(__name__, _HOMES)
