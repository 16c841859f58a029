"""What the player computes from a run's "Inside a step" payload, in NumPy:
the same names and the same rules as visualizer/browser/frontend/inside.js,
so that tests/test_step_rules.py can check every line of a rule on exactly
the numbers the browser gets."""

from __future__ import annotations

import numpy as np


def _col(a) -> np.ndarray:
    return np.asarray(a, np.float64).reshape(-1, 1)


class Numbers:
    """The numbers the player fills in, for every update at once, from a
    run's payload arrays: attribute `name` is an (n, 1) / (n, 2) / (n, 4)
    array or a float, `name_prev` shifted by one update (`init` first),
    exactly as the player's rule.js reads them."""

    def __init__(self, xy, lr, grad, loss, state: dict, rule: dict):
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        n = len(xy) - 1
        self._n = n
        self._init = rule["init"]
        base = {
            "x": xy[:n], "xn": xy[1:], "lr": _col(np.asarray(lr, np.float64)[:n]),
            "graw": np.asarray(grad, np.float64).reshape(-1, 2)[:n],
            "f": _col(np.asarray(loss, np.float64)[:n]), "fn": _col(np.asarray(loss, np.float64)[1: n + 1]),
            "t": _col(np.arange(1, n + 1)),
        }
        base["g"] = base["graw"]
        base |= {k: np.asarray(v, np.float64).reshape(-1, 2)[:n] for k, v in state.items()}
        base |= {k: np.asarray(v, np.float64).reshape(n, -1) for k, v in rule["values"].items()}
        base["gnorm"] = _col(np.sqrt(np.sum(base["g"] ** 2, axis=1)))
        base |= rule["constants"]
        self._base = base

    def __getattr__(self, name: str):
        base = self.__dict__["_base"]
        if name in base:
            return base[name]
        if name.endswith("_prev") and name[:-5] in base:
            a = base[name[:-5]]
            first = np.asarray(self._init.get(name[:-5], 0.0), np.float64).reshape(1, -1)[:, : a.shape[1]]
            return np.concatenate([np.broadcast_to(first, (1, a.shape[1])), a[:-1]])
        raise AttributeError(name)

    def product(self, factors) -> np.ndarray:
        out = np.ones((self._n, 1))
        for name in factors:
            out = out * getattr(self, name)
        return out
