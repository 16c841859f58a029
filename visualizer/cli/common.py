"""What every command shares: the scene argument, writing the output
without leaving half a file, plain-text tables, and the one error a user can
cause on the command line."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
from urllib.parse import urlsplit

PROG = "python -m visualizer"
EXIT_USAGE = 2
EXIT_INTERNAL = 1


class UsageError(Exception):
    """A bad command line; main() prints it as one line and exits 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error raises instead of printing the usage
    block and exiting, so main() can print exactly one line."""

    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


def add_command(sub, name: str, *, help: str, description: str, epilog: str = ""):
    return sub.add_parser(name, help=help, description=description, epilog=epilog,
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def add_listing_command(sub, name: str, handler, *, help: str, description: str, epilog: str) -> None:
    """A command that lists what there is (`surfaces`, `optimizers`,
    `lessons`): a table by default, `--json` for machines."""
    cmd = add_command(sub, name, help=help, description=description, epilog=epilog)
    cmd.add_argument("--json", action="store_true", help="machine-readable JSON instead of a table")
    cmd.set_defaults(handler=handler)


def add_data_command(sub, name: str, compute, *, help: str, description: str, epilog: str) -> None:
    """A command that computes something of a scene and prints it as JSON or
    CSV (`run`, `explore`): `compute(scene)` returns an object with
    `to_json()` and `to_csv()`."""
    cmd = add_command(sub, name, help=help, description=description, epilog=epilog)
    add_scene_argument(cmd)
    cmd.add_argument("--format", "-f", choices=("json", "csv"), default=None,
                     help="output format (default: json, or csv when --out ends in .csv)")
    cmd.add_argument("--out", "-o", metavar="FILE", help='write to FILE instead of stdout ("-" is stdout)')

    def handler(args) -> int:
        fmt = args.format or ("csv" if args.out and args.out.lower().endswith(".csv") else "json")
        if args.out and args.out != "-":
            check_writable(args.out)
        result = compute(read_scene(args.scene))
        write_output(result.to_csv() if fmt == "csv" else result.to_json() + "\n", args.out)
        return 0

    cmd.set_defaults(handler=handler)


def add_scene_argument(parser) -> None:
    parser.add_argument("scene", nargs="?", default="",
                        help='the scene: a query string, "?query", a full app URL, or "-" for stdin '
                             "(default: the default scene)")


_ADDRESS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def scene_text(text: str) -> str:
    """The query part of what the user gave: a query, "?query", or an
    address copied from the app ("http://host:8501/?query#fragment")."""
    text = text.strip()
    if _ADDRESS.match(text) and "?" not in text:
        return ""  # an address without a query: the default scene
    head, mark, rest = text.partition("?")
    if mark and "=" not in head and "&" not in head:
        # Everything before the first "?" is an address (or nothing), never
        # part of a scene, which always starts with key=value.
        text = urlsplit("http://h/?" + rest).query if head else rest
    return text


def read_scene(arg: str):
    """The Scene an argument names ("-" reads it from stdin)."""
    from visualizer.core.scene import Scene

    if arg == "-":
        try:
            arg = sys.stdin.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"scene: cannot read stdin: {exc}") from None
    return Scene.from_query(scene_text(arg))


def check_writable(path: str) -> None:
    """Refuse an --out path that cannot be written before the (slow) work,
    without creating or truncating anything."""
    if os.path.isdir(path):
        raise UsageError(f"--out {path}: is a directory; give a file name")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"--out {path}: directory {parent} does not exist")
    if os.path.exists(path):
        if not os.access(path, os.W_OK):
            raise UsageError(f"--out {path}: file is not writable")
    elif not os.access(parent, os.W_OK):
        raise UsageError(f"--out {path}: directory {parent} is not writable")


def write_output(data: str | bytes, out: str | None) -> None:
    """`data` to stdout, or to the file `out` through a temporary file that
    is renamed into place: a failure never leaves half a file behind."""
    if not out or out == "-":
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(data)
            sys.stdout.flush()
        return
    target = os.path.abspath(out)
    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=f".{os.path.basename(target)}.")
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        _remove(tmp)
        raise UsageError(f"--out {out}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def print_json(value) -> None:
    sys.stdout.write(json.dumps(value, indent=2, allow_nan=False, default=_jsonable) + "\n")
    sys.stdout.flush()


def _jsonable(value):
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def num(v) -> str:
    """A number as short as it reads exactly: 0.99999, 1e-08, 2147483647."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def point(p) -> str:
    return "(" + ", ".join(f"{float(v):.6g}" for v in p) + ")"


def table(header: list[str], rows: list[list]) -> str:
    """A plain-text table; a cell that is a list spans several lines."""
    cells = [[c if isinstance(c, list) else [str(c)] for c in row] for row in rows]
    widths = [len(h) for h in header]
    for row in cells:
        for i, lines in enumerate(row):
            widths[i] = max(widths[i], *(len(line) for line in lines))

    def line(values):
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    for row in cells:
        height = max(len(lines) for lines in row)
        for k in range(height):
            out.append(line([lines[k] if k < len(lines) else "" for lines in row]))
    return "\n".join(out)
