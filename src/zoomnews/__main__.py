"""`python -m zoomnews ...`: the `zoomnews` command (for an environment whose scripts are not on PATH)."""

from zoomnews.cli import main

main(prog_name="zoomnews")
