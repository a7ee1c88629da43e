"""Run one streaming pattern in N forked children, each of which then exits through normal
interpreter finalization (atexit handlers, Py_Finalize), and print how many exited non-zero.

    python tests/programs/exit_soak.py PATTERN RUNS CHECKOUT [--no-hook]

Forking after the imports makes a run cost the pattern (~0.5 s), not the import of datasets. The
whole pattern runs in the child, stream opened included: opened once before forking, the race no
longer showed (0 aborts in 40 runs without the hook, against 6-9 in 40 when the child opens it). `--no-hook` unregisters zoomnews' exit hook: the control, which
must show the abort, or the soak proves nothing.
"""

import atexit
import os
import sys

from datasets import load_dataset

import zoomnews
from zoomnews.loader import streams


def datasets_row(checkout):
    stream = load_dataset(checkout, "entities", split="train", streaming=True)
    return next(iter(stream))["id"]


def datasets_arrow_batch(checkout):
    stream = load_dataset(checkout, "entities", split="train", streaming=True).with_format("arrow")
    return next(stream.iter(batch_size=1000)).num_rows


def zoomnews_iter_rows(checkout):
    stream = zoomnews.load("quotes", repo=checkout, streaming=True)
    return next(zoomnews.iter_rows(stream, batch_size=1000))["speaker"]


PATTERNS = {f.__name__: f for f in (datasets_row, datasets_arrow_batch, zoomnews_iter_rows)}


def main() -> None:
    pattern, runs, checkout = PATTERNS[sys.argv[1]], int(sys.argv[2]), sys.argv[3]
    if "--no-hook" in sys.argv:
        atexit.unregister(streams.settle_arrow_threads)
    failures = 0
    for _ in range(runs):
        pid = os.fork()
        if pid == 0:
            pattern(checkout)
            return  # the child leaves main() and exits as a script does: finalization included
        _, status = os.waitpid(pid, 0)
        failures += status != 0
    print(f"{failures} of {runs} runs exited non-zero")


if __name__ == "__main__":
    main()
