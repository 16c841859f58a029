"""`explore`: run a scene's exploration (its `explore` key) and print every
variant's outcome as JSON or CSV."""

from __future__ import annotations

from visualizer.cli.common import PROG, add_data_command

EPILOG = f"""\
The scene must carry an `explore` key: explore=lr[:run=R,lo=A,hi=B,n=N],
explore=map:x=K1,y=K2[,run=R,xlo=..,xhi=..,ylo=..,yhi=..,n=N] or
explore=starts[:run=R,n=N], each with an optional tol=T. The scene may be a
query string, the same with a leading "?", or a whole address copied from
the app; "-" reads it from stdin.

examples:
  {PROG} explore "surface=rosenbrock&run=adam:lr=0.01&explore=lr"
  {PROG} explore "surface=quadratic:cond=25&run=momentum:lr=0.02&explore=map:x=lr,y=momentum,n=32" --format csv
  {PROG} explore "surface=himmelblau&run=sgd:lr=0.01&explore=starts:n=64" --out basins.json

JSON: {{"scene", "explore": {{"kind", "run", "tol", "axes": [{{"key", "values",
"scale"}}], "final_loss", "diverged_at", "steps_to_tol", "final_xy",
"minimum"}}}}; for map and starts each outcome is a list of rows, row j for
the y axis's value j. CSV: one row per variant, the axis values then
final_loss, diverged_at, steps_to_tol, final_x, final_y, minimum (empty
where null). docs/explore.md has the details.
"""


def add_parser(sub) -> None:
    add_data_command(sub, "explore", _explore, help="run a scene's exploration and print every variant's outcome",
                     description="Run the exploration a scene's `explore` key asks for (one run, many "
                                 "learning rates, a map of two values, or a grid of starts) and print "
                                 "each variant's outcome.", epilog=EPILOG)


def _explore(scene):
    from visualizer.core.exploration import explore

    return explore(scene)
