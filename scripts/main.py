"""The main job: set up the environment if needed, then build, validate and load the corpus.

    python3 scripts/main.py
"""

import sys

from bootstrap import run

if __name__ == "__main__":
    sys.exit(run(["zoomnews", "all", *sys.argv[1:]]))
