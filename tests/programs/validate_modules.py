"""Run `zoomnews validate` on a checkout in this process, as the console script does, then print on
the last line, as JSON, its exit status and which of the named modules it imported.

    python tests/programs/validate_modules.py CHECKOUT MODULE...

A subprocess of its own, so nothing a test session imported before counts (tests/test_validate_imports.py).
"""

import json
import sys

from zoomnews.cli import main


def run(checkout: str, modules: list[str]) -> None:
    try:
        main(args=["validate", "--repo", checkout], prog_name="zoomnews")
        status = 0
    except SystemExit as e:
        status = e.code
    print(json.dumps({"status": status, "imported": sorted(m for m in modules if m in sys.modules)}))


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
