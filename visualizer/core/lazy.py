"""Names a package imports on first use (PEP 562), so importing a light module
of it does not import JAX."""

import importlib


def lazy(module: str, homes: dict[str, str]):
    """`__getattr__` and `__dir__` for a package whose names in `homes`
    (name -> module) are imported on first use."""

    def getattr_(name: str):
        if name in homes:
            return getattr(importlib.import_module(homes[name]), name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    def dir_():
        return sorted([*vars(importlib.import_module(module)), *homes])

    return getattr_, dir_
