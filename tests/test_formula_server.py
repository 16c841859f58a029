"""A formula box on a public server: bounded memory, one compile per program
however many sessions ask at once, and bad formulas as scene errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from visualizer import Scene, SceneError, simulate
from visualizer.core import engine, programs
from visualizer.core.surfaces import formula as formula_module


def test_formulas_no_longer_used_are_released():
    """A server sees formula after formula: an old one's compiled function
    must become garbage (nothing else may keep it alive), or memory grows."""
    import gc
    import weakref

    old = weakref.ref(formula_module.compile_formula("x^2 + 0.5*y^2 + 12345.5").fn)
    for i in range(formula_module.CACHE_SIZE + 50):
        formula_module.compile_formula(f"x^2 + {i}*y^2 + sin({i % 7}*x)")
    gc.collect()
    assert old() is None, "a formula nobody uses any more is still alive"


def _never(keys):
    pytest.fail(f"made {keys} again")


def _negating(made: list):
    """A `make` for the cache that records each call's keys."""

    def make(keys):
        made.append(keys)
        return [-k for k in keys]

    return make


def test_program_cache_keeps_at_most_its_size():
    cache = programs.ProgramCache(3)
    made = []
    make = _negating(made)
    for key in range(10):
        assert cache.get_many([key], make) == [-key]
    assert len(cache) == 3
    assert made == [(k,) for k in range(10)]
    # the most recent three are the ones kept
    assert cache.get_many([7, 8, 9], _never) == [-7, -8, -9]


def test_program_cache_makes_only_the_missing_keys_in_one_call():
    cache = programs.ProgramCache(10)
    made = []
    make = _negating(made)
    assert cache.get_many([1, 2], make) == [-1, -2]
    assert cache.get_many([3, 1, 4, 2], make) == [-3, -1, -4, -2]
    assert made == [(1, 2), (3, 4)]
    assert cache.get_many([4, 3, 2, 1], _never) == [-4, -3, -2, -1]


def test_program_cache_remakes_entries_it_does_not_accept():
    cache = programs.ProgramCache(10)
    cache.get_many([1, 2], lambda keys: [(k, "group") for k in keys])
    remade = cache.get_many([1, 2], lambda keys: [(k, "alone") for k in keys],
                            accept=lambda key, entry: key != 2)
    assert remade == [(1, "group"), (2, "alone")]
    assert cache.get_many([2], _never) == [(2, "alone")]


def test_two_sessions_asking_for_the_same_new_formula_compile_it_once(monkeypatch):
    built = []
    original = engine._compile_group

    def counting(model, optimizer_ids, length):
        built.append((tuple(m.optimizer for m in optimizer_ids), length))
        return original(model, optimizer_ids, length)

    monkeypatch.setattr(engine, "_compile_group", counting)
    scene = Scene.from_query("surface=custom&f=x^2%2B2*y^2%2B0.123456*x*y&steps=40&run=momentum:lr=0.05")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def session():
        try:
            barrier.wait()
            results.append(simulate(scene))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=session) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert len(results) == 2
    assert built == [(("momentum",), programs.bucket_length(40))]
    np.testing.assert_array_equal(results[0].runs[0].xy, results[1].runs[0].xy)


@pytest.mark.parametrize("text", ["__import__('os')", "x.__class__", "open('f')", "x" + "+1" * 5000, "(" * 300])
def test_a_bad_formula_in_a_scene_is_a_scene_error_naming_f(text):
    from urllib.parse import quote

    with pytest.raises(SceneError) as info:
        Scene.from_query("surface=custom&f=" + quote(text, safe=""))
    message = str(info.value)
    assert message.startswith("f:") or message.startswith("scene:")
    assert "\n" not in message


def test_a_run_that_steps_where_the_formula_is_not_finite_ends_as_diverged():
    # log(x) is NaN for x < 0: SGD with a large step overshoots into it.
    scene = Scene.from_query("surface=custom:window=-1,3,-2,2&f=x-log(x)%2B0.1*y^2&start=0.5,1&steps=50&run=sgd:lr=5"
                             "&run=adam:lr=0.05")
    result = simulate(scene)
    jumped, careful = result.runs
    assert jumped.diverged_at is not None
    assert np.isfinite(jumped.xy).all() and np.isfinite(jumped.loss).all()
    assert len(jumped.lr) == jumped.diverged_at + 1
    assert careful.diverged_at is None and len(careful.xy) == 51


def test_a_start_where_the_formula_is_not_finite_is_a_scene_error():
    scene = Scene.from_query("surface=custom&f=log(x)&start=-1,0&run=sgd:lr=0.1")
    with pytest.raises(SceneError, match="start"):
        simulate(scene)
