"""explore=race: the same random trials for every optimizer, each trial what
`simulate` gives with its values, the best trial and the expected best
after k trials."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from refusals import refused

from visualizer import Scene, explore, simulate
from visualizer.core import race as races

QUERY = ("surface=rosenbrock&start=-1.5,2&steps=300&run=sgd:lr=0.001&run=momentum:lr=0.001,momentum=0.9"
         "&run=adam:lr=0.05&run=nadam:lr=0.05&explore=race:budget=12,keys=all")


@pytest.fixture(scope="module")
def result():
    return explore(Scene.from_query(QUERY))


def test_every_optimizer_gets_the_same_trials_of_the_keys_it_shares(result):
    sgd, momentum, adam, nadam = result.runs
    for r in (momentum, adam, nadam):
        np.testing.assert_array_equal(r.values["lr"], sgd.values["lr"])
    for key in ("b1", "b2", "eps"):
        np.testing.assert_array_equal(adam.values[key], nadam.values[key])
    assert set(sgd.values) == {"lr"} and set(momentum.values) == {"lr", "momentum"}
    lr = sgd.values["lr"]
    assert np.all((lr >= 1e-5) & (lr <= 10)) and lr.max() / lr.min() > 100, "log-uniform over decades"
    assert np.all((adam.values["b1"] >= 0) & (adam.values["b1"] < 1))


def test_each_trial_is_what_simulate_gives_with_its_values(result):
    scene = result.scene
    for r in result.runs:
        for i in (0, 5, 11):
            values = {key: float(v[i]) for key, v in r.values.items()}
            alone = scene.replace(runs=(scene.runs[r.run].replace(**values),), explore=None)
            (run,) = simulate(alone).runs
            if run.diverged_at is None:
                assert r.diverged_at[i] == -1
                assert r.final_loss[i] == pytest.approx(float(run.loss[-1]), rel=1e-3, abs=1e-5)
            else:
                assert r.diverged_at[i] == run.diverged_at and np.isnan(r.final_loss[i])


def test_each_run_plays_at_its_best_trial_a_diverged_one_counting_as_the_worst(result):
    best = result.best_scene()
    assert best.explore is None
    for r, run in zip(result.runs, best.runs, strict=True):
        counted = np.where(np.isnan(r.final_loss), np.inf, r.final_loss)
        assert r.best == int(np.argmin(counted))
        assert run.values["lr"] == r.values["lr"][r.best]
        assert r.best_after_k[-1] == pytest.approx(np.nanmin(r.final_loss))
    assert result.worst >= np.nanmax([np.nanmax(r.final_loss) for r in result.runs])


def test_the_expected_best_after_k_trials_is_the_mean_over_every_k_subset():
    losses = np.array([3.0, 1.0, 4.0, 1.5, 9.0, 2.6])
    expected = races.expected_best(losses)
    for k in range(1, len(losses) + 1):
        subsets = [min(c) for c in itertools.combinations(losses, k)]
        assert expected[k - 1] == pytest.approx(np.mean(subsets))
    assert np.all(np.diff(expected) <= 0)


def test_the_race_in_json_and_csv(result):
    data = json.loads(result.to_json())["explore"]
    assert data["kind"] == "race" and data["budget"] == 12 and len(data["runs"]) == 4
    adam = data["runs"][2]
    assert adam["run"] == 3 and adam["optimizer"] == "adam" and len(adam["trials"]) == 12
    assert set(adam["trials"][0]["values"]) == {"lr", "b1", "b2", "eps"}
    assert len(adam["best_after_k"]) == 12 and set(adam["best"]) == {"lr", "b1", "b2", "eps"}
    rows = result.to_csv().splitlines()
    assert rows[0].startswith("run,optimizer,trial,lr,") and len(rows) == 1 + 4 * 12
    assert Scene.from_query(result.scene.to_query()) == result.scene


@pytest.mark.parametrize(("query", "says"), [
    ("surface=rosenbrock&run=sgd:lr=0.001&explore=race:budget=1", "budget"),
    ("surface=rosenbrock&run=sgd:lr=0.001&explore=race:keys=some", "keys"),
    ("surface=mlp&run=sgd:lr=0.5&explore=race", "not available"),
    ("surface=rosenbrock&run=sgd:lr=0.001&explore=race:n=4", "unknown parameter"),
])
def test_a_race_that_cannot_run_is_a_scene_error_naming_explore(query, says):
    scene, problems = refused(query, says, "explore")
    assert scene.explore is None and [p.key for p in problems] == ["explore"]
