"""The page (page.py) with a made-up entry in each table declared once for
Python and the player (tests/made_up.py: a viewer key, an overlay of
"Inside a step", a curve of the side charts), for
tests/browser/test_declared_once_browser.py:

    streamlit run tests/browser/declared_app.py --server.headless=true

The tables are this server process's own: it serves nothing else.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import made_up  # noqa: E402

made_up.declare()
runpy.run_path(str(ROOT / "page.py"), run_name="__main__")
