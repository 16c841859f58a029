"""The trajectory player: a Streamlit (v1) custom component that animates
optimizer paths over a 2D loss surface entirely in the browser.

The frontend (``player_frontend/``) is plain JS on top of plotly.js: its
official "gl3d" partial bundle (scatter, scatter3d, surface and a few other 3D
traces; vendored in ``player_frontend/vendor/``, see the README there), 1.8 MB
instead of the full bundle's 4.8 MB, which halves the time the browser spends
parsing it on a first visit. The files are assembled into a cache folder that
Streamlit serves. Playing, pausing, scrubbing and switching 2D/3D never reach
the server; only "Set start" clicks come back, as the component's value.

Payload contract (built by the caller; float arrays via :func:`encode_f32`)::

    {"query": "<canonical scene query>",
     "surface": {"name", "x", "y", "z" (ny*nx row-major, NaN = not finite),
                 "log_scale", "window", "minima", "minima_estimated", "saddles"},
     "start": [x, y], "steps": N,
     "runs": [{"label", "color", "xy" (interleaved), "loss", "lr", "grad_norm",
               "diverged_at", "clip_norm"}, ...],
     "view": "2d" | "3d"}
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import streamlit.components.v1 as components
from streamlit.runtime.scriptrunner import get_script_run_ctx

from visualizer.payload import encode_f32  # noqa: F401  (re-exported: the payload's array form)

__all__ = ["encode_f32", "player"]

_SOURCE_DIR = Path(__file__).resolve().parent / "player_frontend"
_FRONTEND_FILES = ("index.html", "player.js", "player.css", "vendor/plotly-gl3d.min.js")
_COMPONENT_NAME = "player"


def _write_atomic(dest: Path, write) -> None:
    """Write through `write(file)` into a temporary file, then rename, so a
    concurrent reader never sees a half-written file (rename is atomic on one
    filesystem)."""
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _assemble_frontend() -> Path:
    """Build (once per frontend version) the folder that
    Streamlit serves, and return it. Safe to run from several processes."""
    sources = {name: (_SOURCE_DIR / name).read_bytes() for name in _FRONTEND_FILES}
    digest = hashlib.sha256()
    for name, data in sources.items():
        digest.update(name.encode() + b"\0" + data + b"\0")
    version = digest.hexdigest()[:16]
    # index.html is served with no-cache; the other files are not, so they
    # are referenced with the version to make a new frontend bust the cache.
    sources["index.html"] = sources["index.html"].replace(b"__VERSION__", version.encode())

    folder_name = f"optviz-player-{version}"
    candidates = [Path(tempfile.gettempdir()), Path.home() / ".cache"]
    last_error: OSError | None = None
    for base in candidates:
        folder = base / folder_name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in sources.items():
                target = folder / Path(name).name
                if not target.is_file() or target.read_bytes() != data:
                    _write_atomic(target, lambda fh, data=data: fh.write(data))
            return folder
        except OSError as exc:  # e.g. a folder another user owns: try the next base
            last_error = exc
    raise RuntimeError(f"cannot assemble the player frontend: {last_error}")


_FRONTEND_DIR = _assemble_frontend()


def _declare():
    return components.declare_component(_COMPONENT_NAME, path=str(_FRONTEND_DIR))


# Registration needs a running Streamlit script; imported elsewhere (CLI,
# tests) it would only log a warning, and player() declares it anyway.
if get_script_run_ctx(suppress_warning=True) is not None:
    _declare()


def player(payload: dict, *, key: str, height: int = 640) -> dict | None:
    """Show the trajectory player and return its value.

    The value is None until the user acts; after a click on the 2D contour in
    "Set start" mode it is ``{"event": "start", "xy": [x, y], "nonce": int}``,
    with a nonce that increases with every click (use it to act once per click).
    The value persists across reruns, like any widget value.
    """
    if not isinstance(payload, dict):
        raise TypeError(f"payload must be a dict, got {type(payload).__name__}")
    height = int(height)
    if height < 240:
        raise ValueError(f"height must be at least 240 px, got {height=}")
    # Declared on every call (cheap): registration is per Streamlit runtime,
    # and this module may have been imported outside a script run.
    return _declare()(payload=payload, height=height, key=key, default=None)
