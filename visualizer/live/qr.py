"""The student link as a QR code big enough to scan from the back of a
room: an SVG (segno, pure Python) that scales to any size on the projector,
dark modules on white with the quiet zone the standard asks for."""

from __future__ import annotations

import io

import segno

# Error correction M: a link of ~60 characters stays a small, coarse code
# (version 4, 33 x 33 modules), readable on a projector at a few metres.
ERROR = "m"


def svg(link: str) -> str:
    """The QR code of `link` as an SVG document that fills its box."""
    code = segno.make(link, error=ERROR, micro=False)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=10, border=4, dark="#000000", light="#ffffff", xmldecl=False,
              svgns=True, title="The class's link", unit=None)
    return out.getvalue().decode("ascii")


def modules(link: str) -> list[list[bool]]:
    """The code's modules, row by row (True: dark), for tests and for a
    screen that draws it itself."""
    return [[bool(m) for m in row] for row in segno.make(link, error=ERROR, micro=False).matrix]
