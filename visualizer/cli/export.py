"""`export`: a scene as one offline HTML page, an animated GIF or a PNG."""

from __future__ import annotations

import os

from visualizer.cli.common import (
    PROG,
    UsageError,
    add_command,
    add_scene_argument,
    check_writable,
    read_scene,
    write_output,
)

EXTENSIONS = {".html": "html", ".htm": "html", ".gif": "gif", ".png": "png"}

EPILOG = f"""\
formats:
  html  one file that plays the scene offline: the player, the data and
        plotly.js inside, nothing fetched (about 2 MB)
  gif   an animation for slides, step 0 to the last, looping: --fps x
        --seconds frames (fewer when the scene has fewer steps), --width
        pixels wide
  png   one step (--step, else the scene's own step=, else the last),
        --width pixels wide

limits: --fps 1 to 30 (default 15), --seconds 1 to 30 (default 6), --width
200 to 1600 (default 640), --step 0 to the scene's steps. The format follows
from --out's extension (.html, .gif, .png) unless --format says it.
docs/exports.md describes what is drawn.

examples:
  {PROG} export "surface=rosenbrock&run=adam:lr=0.05" --out rosenbrock.html
  {PROG} export "surface=saddle&run=newton:lr=1&run=sgd:lr=0.05" --format gif --fps 20 --out saddle.gif
  {PROG} export "http://localhost:8501/?surface=beale" --step 100 --width 1200 --out beale.png
"""


def add_parser(sub) -> None:
    p = add_command(sub, "export", help="export a scene as an offline HTML page, a GIF or a PNG",
                    description="Export a scene: an HTML file that plays offline, an animated GIF, or a PNG "
                                "of one step.", epilog=EPILOG)
    add_scene_argument(p)
    p.add_argument("--format", "-f", choices=("html", "gif", "png"), default=None,
                   help="html, gif or png (default: from --out's extension)")
    p.add_argument("--out", "-o", metavar="FILE", required=True, help='the file to write ("-" is stdout)')
    p.add_argument("--fps", type=int, default=None, help="gif: frames per second, 1 to 30 (default 15)")
    p.add_argument("--seconds", type=float, default=None, help="gif: length, 1 to 30 seconds (default 6)")
    p.add_argument("--width", type=int, default=None, help="gif, png: width in pixels, 200 to 1600 (default 640)")
    p.add_argument("--step", type=int, default=None, help="png: the step drawn, 0 to the scene's steps "
                                                            "(default: the scene's step=, else the last)")
    p.set_defaults(handler=command)


def command(args) -> int:
    from visualizer import export
    from visualizer.export import limits

    if args.out != "-":
        check_writable(args.out)
    fmt = args.format or EXTENSIONS.get(os.path.splitext(args.out)[1].lower())
    if fmt is None:
        raise UsageError(f"--out {args.out}: give --format html, gif or png, or a name ending in "
                         ".html, .gif or .png")
    given = {name for name in ("fps", "seconds", "width", "step") if getattr(args, name) is not None}
    allowed = {"html": set(), "gif": {"fps", "seconds", "width"}, "png": {"width", "step"}}[fmt]
    if given - allowed:
        extra = ", ".join("--" + name for name in sorted(given - allowed))
        raise UsageError(f"{extra}: not used by --format {fmt}"
                         + (f" (it takes {', '.join('--' + n for n in sorted(allowed))})" if allowed else ""))
    options = {
        "fps": limits.DEFAULT_FPS if args.fps is None else args.fps,
        "seconds": limits.DEFAULT_SECONDS if args.seconds is None else args.seconds,
        "width": limits.DEFAULT_WIDTH if args.width is None else args.width,
    }
    try:
        limits.fps(options["fps"])
        limits.seconds(options["seconds"])
        limits.width(options["width"])
    except limits.ExportError as exc:
        raise UsageError(f"--{exc}") from None
    scene = read_scene(args.scene)
    if args.step is not None:
        try:
            limits.step(args.step, scene.steps)
        except limits.ExportError as exc:
            raise UsageError(f"--{exc}") from None
    data = export.export_bytes(scene, fmt, step=args.step, **options)
    write_output(data, args.out)
    return 0
