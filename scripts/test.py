"""The whole test suite: set up the environment if needed, then run pytest (extra arguments pass through).

    python3 scripts/test.py

The first run installs the pinned packages (and the spark extra) into .venv/, showing what it
installs and how far it has got (scripts/bootstrap.py); later runs start at once.
"""

import sys

from bootstrap import ensure_browser, run, venv_bin

if __name__ == "__main__":
    ensure_browser()
    # the spark extra too: tests/test_distributed.py runs validate on a local Spark (Java 17+)
    sys.exit(run([str(venv_bin("python")), "-m", "pytest", *sys.argv[1:]], extras=("test", "spark")))
