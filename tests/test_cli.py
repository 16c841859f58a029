"""The command line (`python -m visualizer`): in-process through `main(argv)`
with capsys, and a few times as a real subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from visualizer import Scene, simulate
from visualizer.cli import main, scene_text
from visualizer.core import surfaces
from visualizer.core.optimizers import OPTIMIZERS
from visualizer.core.run import SETTINGS
from visualizer.core.scene import MAX_RUNS
from visualizer.core.schedules import SCHEDULES
from visualizer.core.surfaces.formula import ALIASES, FUNCTIONS

ROOT = Path(__file__).resolve().parents[1]

SCENE = "surface=rosenbrock&start=-1.5,2&steps=40&run=sgd:lr=0.001&run=adam:lr=0.05,label=a%2Cb"
CSV_SCENE = "surface=cliff&steps=30&run=sgd:lr=0.1&run=sgd:lr=0.1,clip_norm=1&run=adam:lr=0.05,schedule=cosine"

BAD_SCENES = {
    "unknown surface": "surface=nope",
    "nan lr": "surface=rosenbrock&run=adam:lr=nan",
    "inf lr": "run=sgd:lr=inf",
    "nine runs": "&".join(["run=sgd:lr=0.01"] * (MAX_RUNS + 1)),
    "garbage": "garbage",
    "binary garbage": "%00%ff=&&==::,,",
    "unknown optimizer": "run=adamz:lr=0.1",
    "unknown key": "surface=beale&colour=red",
    "too many steps": "steps=10001",
    "bad formula": "surface=custom&f=__import__('os')",
    "bad URL scene": "http://localhost:8501/?surface=nope",
}


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_subprocess(*argv, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "visualizer", *argv],
        cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def assert_one_error_line(code, err):
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err


# ---------------------------------------------------------------- run


def test_run_json_equals_simulate(capsys):
    code, out, err = run_cli(capsys, "run", SCENE)
    assert code == 0, err
    assert err == ""
    assert json.loads(out) == simulate(Scene.from_query(SCENE)).to_dict()


@pytest.mark.parametrize("form", [
    "?" + SCENE,
    "http://localhost:8501/?" + SCENE,
    "https://example.org/app/?" + SCENE + "#top",
    "localhost:8501/?" + SCENE,
    "  " + SCENE + "\n",
])
def test_run_accepts_leading_question_mark_and_urls(capsys, form):
    code, out, err = run_cli(capsys, "run", form)
    assert code == 0, err
    assert json.loads(out)["scene"] == Scene.from_query(SCENE).to_query()


def test_scene_text_keeps_a_question_mark_inside_a_value():
    assert scene_text("run=sgd:label=why?") == "run=sgd:label=why?"
    assert scene_text("http://h:1/?steps=3#x") == "steps=3"
    assert scene_text("http://h:1/") == ""


def test_run_csv_has_header_and_steps_plus_one_rows_per_run(capsys):
    code, out, err = run_cli(capsys, "run", CSV_SCENE, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    result = simulate(Scene.from_query(CSV_SCENE))
    assert out.splitlines()[0] == ("run,label,optimizer,step,x,y,loss,lr,grad_norm,diverged_at,grad_x,grad_y,m_x,m_y,v_x,v_y,"
                                    "sharpness,preconditioned_sharpness")
    assert out == result.to_csv()
    adam = [row for row in rows if row["optimizer"] == "adam"]
    assert float(adam[3]["m_x"]) == pytest.approx(float(result.runs[2].state["m"][3][0]), rel=1e-6)
    assert all(row["m_x"] == "" for row in rows if row["optimizer"] == "sgd"), "no state where the optimizer has none"
    for i, r in enumerate(result.runs):
        mine = [row for row in rows if row["run"] == str(i)]
        if r.diverged_at is None:
            assert len(mine) == 30 + 1
            assert [int(row["step"]) for row in mine] == list(range(31))
        else:  # a diverged run has its k + 1 finite points plus the failed update's row
            assert len(mine) == r.diverged_at + 1
    assert sum(r.diverged_at is None for r in result.runs) >= 2


def test_run_out_writes_the_file(capsys, tmp_path):
    target = tmp_path / "result.json"
    code, out, err = run_cli(capsys, "run", SCENE, "--out", str(target))
    assert (code, out, err) == (0, "", "")
    assert json.loads(target.read_text()) == simulate(Scene.from_query(SCENE)).to_dict()

    table = tmp_path / "result.csv"  # format follows the extension
    code, out, err = run_cli(capsys, "run", SCENE, "-o", str(table))
    assert code == 0, err
    assert table.read_text().startswith("run,label,optimizer,step,")


def test_default_scene(capsys):
    code, out, err = run_cli(capsys, "run", "")
    assert code == 0, err
    assert json.loads(out)["scene"] == Scene.from_query("").to_query()


@pytest.mark.parametrize("name", sorted(BAD_SCENES))
def test_bad_scene_exits_2_with_one_line(capsys, name):
    code, out, err = run_cli(capsys, "run", BAD_SCENES[name])
    assert_one_error_line(code, err)
    assert out == ""


@pytest.mark.parametrize("argv", [
    [],
    ["bogus"],
    ["run", "--format", "xml", SCENE],
    ["run", SCENE, "extra"],
    ["surfaces", "--nope"],
    ["run", SCENE, "--out", "/nonexistent-dir/x.json"],
    ["run", SCENE, "--out", "."],
])
def test_bad_arguments_exit_2_with_one_line(capsys, argv):
    code, out, err = run_cli(capsys, *argv)
    assert_one_error_line(code, err)


def test_bad_scene_does_not_touch_the_out_file(capsys, tmp_path):
    target = tmp_path / "keep.json"
    target.write_text("old")
    code, _, err = run_cli(capsys, "run", "surface=nope", "--out", str(target))
    assert_one_error_line(code, err)
    assert target.read_text() == "old"


def test_help_has_examples(capsys):
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    assert "examples:" in out and "run " in out and "surfaces" in out and "optimizers" in out
    code, out, _ = run_cli(capsys, "run", "--help")
    assert code == 0
    assert "--format" in out and "--out" in out and "http://" in out


# ---------------------------------------------------------------- listings


def test_surfaces_lists_every_id(capsys):
    code, out, err = run_cli(capsys, "surfaces")
    assert code == 0, err
    ids = {line.split()[0] for line in out.splitlines() if line.strip()}
    assert set(surfaces.SURFACES) <= ids
    assert "%2B" in out  # the note on writing formulas


def test_surfaces_json(capsys):
    code, out, err = run_cli(capsys, "surfaces", "--json")
    assert code == 0, err
    listing = json.loads(out)["surfaces"]
    assert [s["id"] for s in listing] == list(surfaces.SURFACES)
    by_id = {s["id"]: s for s in listing}
    rosen = by_id["rosenbrock"]
    assert rosen["minima"] == [[1.0, 1.0]] and rosen["min_value"] == 0.0
    assert rosen["window"] == [list(w) for w in surfaces.SURFACES["rosenbrock"].window]
    assert {p["name"] for p in by_id["quadratic"]["params"]} == {"cond", "angle"}
    assert by_id["custom"]["formula"]["default"] == surfaces.CUSTOM_DEFAULT_FORMULA
    assert by_id["custom"]["formula"]["functions"] == [*FUNCTIONS, *ALIASES], "every function the compiler takes"
    for s in listing:  # every default scene the listing describes is valid
        Scene.from_query(f"surface={s['id']}&start={s['start'][0]!r},{s['start'][1]!r}&steps={s['steps']}")


def test_optimizers_lists_every_id(capsys):
    code, out, err = run_cli(capsys, "optimizers")
    assert code == 0, err
    first_words = {line.split()[0] for line in out.splitlines() if line.strip()}
    assert set(OPTIMIZERS) <= first_words
    assert set(SCHEDULES) <= first_words
    assert {"lr", "schedule", *(k.name for k in SETTINGS)} <= first_words


def test_optimizers_json(capsys):
    code, out, err = run_cli(capsys, "optimizers", "--json")
    assert code == 0, err
    listing = json.loads(out)
    assert [o["id"] for o in listing["optimizers"]] == list(OPTIMIZERS)
    assert [s["id"] for s in listing["schedules"]] == list(SCHEDULES)
    adam = {o["id"]: o for o in listing["optimizers"]}["adam"]
    assert adam["optax"].startswith("optax.adam(")
    assert adam["lr_default"] == OPTIMIZERS["adam"].lr
    assert {h["name"]: h["default"] for h in adam["hypers"]} == OPTIMIZERS["adam"].defaults
    keys = {k["name"]: k for k in listing["run_keys"]}
    assert {"lr", "schedule", *(k.name for k in SETTINGS)} == set(keys)
    assert keys["noise"]["range"] == [0.0, 1e4]
    assert keys["clip_norm"]["default"] is None  # off unless given


# ---------------------------------------------------------------- real subprocesses


def test_subprocess_run_json_and_csv(tmp_path):
    proc = run_subprocess("run", "?" + SCENE)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == simulate(Scene.from_query(SCENE)).to_dict()

    target = tmp_path / "out.csv"
    proc = run_subprocess("run", CSV_SCENE, "--format", "csv", "--out", str(target))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert target.read_text() == simulate(Scene.from_query(CSV_SCENE)).to_csv()


def test_subprocess_bad_scene_and_stdin():
    proc = run_subprocess("run", BAD_SCENES["nan lr"])
    assert_one_error_line(proc.returncode, proc.stderr)
    assert proc.stdout == ""
    proc = run_subprocess("run", "-", stdin="surface=booth&steps=5&run=sgd:lr=0.01\n")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["runs"][0]["xy"]) == 6
