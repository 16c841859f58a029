"""`python -m visualizer ...`: see visualizer/cli/."""

import sys

from visualizer.cli import main

if __name__ == "__main__":
    sys.exit(main())
