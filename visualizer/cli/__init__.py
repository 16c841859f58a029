"""The command line: run a scene, list the surfaces and the optimizers.

    python -m visualizer run "surface=rosenbrock&steps=400&run=adam:lr=0.05"
    python -m visualizer run "http://localhost:8501/?surface=beale" --format csv --out beale.csv
    python -m visualizer surfaces [--json]
    python -m visualizer optimizers [--json]

Each command is a module here with `add_parser(sub)`; `COMMANDS` lists them.
Exit status: 0 on success; 2 for anything the user can fix (a bad scene, a
bad argument, an --out path that cannot be written), reported as exactly one
line `error: <message>` on stderr; 1 for an unexpected internal failure, also
one line. Never a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from visualizer.cli import (
    explore,
    export,
    lessons,
    listings,
    run,
)
from visualizer.cli.common import (
    EXIT_INTERNAL,
    EXIT_USAGE,
    PROG,
    Parser,
    UsageError,
    add_command,
    scene_text,
)
from visualizer.core import devices
from visualizer.core.errors import SceneError

COMMANDS = (run, explore, listings, lessons, export)

EPILOG = f"""\
examples:
  {PROG} run "surface=rosenbrock&start=-1.5,2&steps=400&run=sgd:lr=0.001&run=adam:lr=0.05"
  {PROG} run "?surface=quadratic:cond=25,angle=30&run=momentum:lr=0.02,momentum=0.9"
  {PROG} run "http://localhost:8501/?surface=cliff" --format csv --out cliff.csv
  {PROG} run "surface=custom&f=x^2 %2B 3*y^2&run=adam:lr=0.1"
  {PROG} surfaces
  {PROG} optimizers --json

A scene is the query string of the app's address: the same text works in
the URL, here and in Python (visualizer.Scene.from_query); docs/scene-language.md
is the reference. Quote it for the shell (it contains &). A `+` inside a
formula travels as %2B, because a bare `+` in a query means a space.

exit status: 0 ok; 2 bad scene or argument (one line "error: ..." on stderr);
1 unexpected internal error.
"""

__all__ = ["UsageError", "add_command", "build_parser", "main", "scene_text"]


def build_parser() -> Parser:
    import argparse

    parser = Parser(
        prog=PROG,
        description="Optimizer trajectories on 2D loss surfaces (JAX + optax): run a scene, "
                    "list the surfaces and the optimizers.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (never raises for a
    user's mistake, never prints a traceback)."""
    try:
        args = build_parser().parse_args(argv)
        devices.use_every_core()
        return args.handler(args)
    except (SceneError, UsageError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else 0
    except BrokenPipeError:
        # `... | head`: the reader has gone. Point stdout at devnull so the
        # interpreter's final flush does not complain either.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:  # noqa: BLE001 - the promise is one line, never a traceback
        return _fail(f"internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL)


def _fail(message: str, code: int) -> int:
    print("error: " + " ".join(str(message).split()), file=sys.stderr)
    return code
