"""Set up a contributor's checkout, and nothing else: the pinned environment .venv/ (what the tests
need plus the `dev` extra: pre-commit) and the pre-commit hooks of .pre-commit-config.yaml, which run
`zoomnews fmt`, `validate` and `docs --check` before every commit touching the corpus.

    python3 scripts/setup.py

The first run installs the packages for a few minutes (scripts/bootstrap.py shows them); later runs
only check the hooks are installed.
"""

import sys

from bootstrap import ROOT, TEST_EXTRAS, run, venv_bin

if __name__ == "__main__":
    if not (ROOT / ".git").exists():
        print("not a git checkout: the environment is set up, the pre-commit hooks are not (they live in .git/hooks)")
        sys.exit(run([str(venv_bin("python")), "-c", "import zoomnews"], extras=(*TEST_EXTRAS, "dev")))
    sys.exit(run([str(venv_bin("pre-commit")), "install"], extras=(*TEST_EXTRAS, "dev")))
