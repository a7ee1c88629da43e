"""The main job: set up the environment if needed, then build, validate and load the corpus.

    python3 scripts/main.py

The first run installs the pinned packages into .venv/ for a few minutes, showing each package as
it is collected and then how many of them are installed (scripts/bootstrap.py); later runs start at once.
"""

import sys

from bootstrap import run

if __name__ == "__main__":
    sys.exit(run(["zoomnews", "all", *sys.argv[1:]]))
