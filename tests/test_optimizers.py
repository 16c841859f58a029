"""The registry of optimizers: every unit its families define is in it once,
and each unit is whole (its "Inside a step" rule, test vectors the knobs
accept). What the units say is checked by tests/test_rules.py (textbook
updates), tests/test_step_rules.py (the step rules) and tests/test_engine.py
(the optax loop)."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace

import pytest

import visualizer.core.optimizers as package
from visualizer.core.knobs import registry
from visualizer.core.optimizers import OPTIMIZERS, Optimizer
from visualizer.core.optimizers.checks import CHECK_SURFACES, Checks
from visualizer.core.optimizers.step_rule import StepRule


def _defined_units() -> dict[str, Optimizer]:
    """Every `Optimizer` a module of the package defines at its top level."""
    units = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, Optimizer):
                units[f"{info.name}.{name}"] = value
    return units


def test_every_unit_a_family_defines_is_registered():
    units = _defined_units()
    assert len(units) == len(OPTIMIZERS), "a unit is missing from the registry's tuple, or listed twice"
    assert all(OPTIMIZERS[u.id] is u for u in units.values()), [n for n, u in units.items() if OPTIMIZERS.get(u.id)
                                                                is not u]


def test_a_duplicate_id_is_rejected():
    sgd = OPTIMIZERS["sgd"]
    with pytest.raises(ValueError, match="duplicate optimizer id 'sgd'"):
        registry((sgd, replace(OPTIMIZERS["adam"], id="sgd")), "optimizer")


@pytest.mark.parametrize("opt_id", list(OPTIMIZERS))
def test_every_unit_is_whole(opt_id):
    opt = OPTIMIZERS[opt_id]
    assert isinstance(opt.step_rule, StepRule) and opt.step_rule.lines
    assert isinstance(opt.checks, Checks)
    assert opt.textbook is None or callable(opt.textbook)
    assert all(lr > 0 for lr in opt.checks.lr) and len(opt.checks.lr) == len(CHECK_SURFACES)


@pytest.mark.parametrize("opt_id", list(OPTIMIZERS))
def test_test_vectors_set_every_hyperparameter_to_an_allowed_value(opt_id):
    opt = OPTIMIZERS[opt_id]
    given = [item.split("=") for item in opt.checks.values.split(",") if item]
    assert sorted(name for name, _ in given) == sorted(h.name for h in opt.hypers)
    for name, text in given:
        assert opt.hyper(name).parse(text, f"{opt_id} test vectors") == pytest.approx(float(text))
