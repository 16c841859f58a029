"""`streamlit run app.py` with a fault injected first, for tests/test_faults.py:

    python tests/fault_server.py FAULT run app.py [streamlit options...]

FAULT is one of

- `compile-fails`: compiling any program for the 8193-point bucket (a scene
  of 4097 to 8192 steps) raises, as an XLA out-of-memory would;
- `slow-warm-up`: the warm-up takes `OPTVIZ_TEST_WARM_UP_S` seconds (default
  30) and the server's cap on waiting for it is lowered to 1 s.

The patches are made in this process before Streamlit starts, so the page,
which runs in the same process, uses the patched modules.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

FAULTY_LENGTH = 8193


def compile_fails() -> None:
    from visualizer.core import engine

    original = engine._compile_group

    def failing(model, members, length):
        if length == FAULTY_LENGTH:
            raise RuntimeError("injected fault: compiling this program failed (out of memory)")
        return original(model, members, length)

    engine._compile_group = failing


def slow_warm_up() -> None:
    from visualizer.page import warmup

    seconds = float(os.environ.get("OPTVIZ_TEST_WARM_UP_S", "30"))
    real = warmup.warm_up
    warmup.WARM_UP_TIMEOUT_S = 1.0

    def slow():
        time.sleep(seconds)
        return real()

    warmup.warm_up = slow


FAULTS = {"compile-fails": compile_fails, "slow-warm-up": slow_warm_up}

if __name__ == "__main__":
    fault = sys.argv.pop(1)
    FAULTS[fault]()
    from streamlit.web.cli import main

    sys.argv = ["streamlit", *sys.argv[1:]]
    sys.exit(main())
