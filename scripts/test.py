"""The whole test suite: set up the environment if needed, then run pytest (extra arguments pass through).

    python3 scripts/test.py

The first run installs the pinned packages (and the spark and labelstudio extras) into .venv/, showing what it
installs and how far it has got (scripts/bootstrap.py); later runs start at once.
"""

import sys

from bootstrap import TEST_EXTRAS, ensure_browser, run, venv_bin

if __name__ == "__main__":
    ensure_browser()
    sys.exit(run([str(venv_bin("python")), "-m", "pytest", *sys.argv[1:]], extras=TEST_EXTRAS))
