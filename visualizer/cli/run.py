"""`run`: simulate a scene and print its trajectories as JSON or CSV."""

from __future__ import annotations

from visualizer.cli.common import PROG, add_data_command

EPILOG = f"""\
The scene may be a query string ("surface=beale&run=adam:lr=0.05"), the same
with a leading "?", or a whole address copied from the app
("http://localhost:8501/?surface=beale&..."). "-" reads it from stdin; an
empty scene ("") is the default scene.

examples:
  {PROG} run "surface=rosenbrock&steps=400&run=sgd:lr=0.001&run=adam:lr=0.05"
  {PROG} run "surface=cliff&run=sgd:lr=0.1&run=sgd:lr=0.1,clip_norm=1" --format csv
  {PROG} run "http://localhost:8501/?surface=himmelblau" --out himmelblau.json

JSON: {{"scene", "surface": {{"id", "window", "minima"}}, "runs": [{{"label",
"optimizer", "params", "xy", "loss", "lr", "grad_norm", "diverged_at"}}]}}.
CSV: one row per run and point with columns run, label, optimizer, step, x,
y, loss, lr, grad_norm, diverged_at. docs/results.md has the details.
"""


def add_parser(sub) -> None:
    add_data_command(sub, "run", _simulate, help="simulate a scene and print its trajectories as JSON or CSV",
                     description="Simulate every run of a scene and print the result.", epilog=EPILOG)


def _simulate(scene):
    from visualizer.core.engine import simulate

    return simulate(scene)
