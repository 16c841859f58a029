"""`run`: simulate a scene and print its trajectories as JSON or CSV."""

from __future__ import annotations

from visualizer.cli.common import PROG, add_command, add_scene_argument, check_writable, read_scene, write_output

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
    run = add_command(sub, "run", help="simulate a scene and print its trajectories as JSON or CSV",
                      description="Simulate every run of a scene and print the result.", epilog=EPILOG)
    add_scene_argument(run)
    run.add_argument("--format", "-f", choices=("json", "csv"), default=None,
                     help="output format (default: json, or csv when --out ends in .csv)")
    run.add_argument("--out", "-o", metavar="FILE", help='write to FILE instead of stdout ("-" is stdout)')
    run.set_defaults(handler=command)


def command(args) -> int:
    from visualizer.engine import simulate

    fmt = args.format or ("csv" if args.out and args.out.lower().endswith(".csv") else "json")
    if args.out and args.out != "-":
        check_writable(args.out)
    result = simulate(read_scene(args.scene))
    write_output(result.to_csv() if fmt == "csv" else result.to_json() + "\n", args.out)
    return 0
