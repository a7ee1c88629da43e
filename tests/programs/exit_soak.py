"""Run one streaming pattern in N forked children, each of which then exits through normal
interpreter finalization (atexit handlers, Py_Finalize), and print how many exited non-zero.

    python tests/programs/exit_soak.py PATTERN RUNS CHECKOUT [--no-hook]

Each pattern opens its stream once, before forking (in streaming mode that reads nothing: the reader
threads start with the first row), and each child takes its row and exits. So a run costs the read,
not the ~2 s of importing datasets and resolving the files, and the test can afford hundreds. `--no-hook` unregisters zoomnews' exit hook: the control, which
must show the abort, or the soak proves nothing.
"""

import atexit
import os
import sys

from datasets import load_dataset

import zoomnews
from zoomnews import streams


def datasets_row(checkout):
    stream = load_dataset(checkout, "entities", split="train", streaming=True)
    return lambda: next(iter(stream))["id"]


def datasets_arrow_batch(checkout):
    stream = load_dataset(checkout, "entities", split="train", streaming=True).with_format("arrow")
    return lambda: next(stream.iter(batch_size=1000)).num_rows


def zoomnews_iter_rows(checkout):
    stream = zoomnews.load("quotes", repo=checkout, streaming=True)
    return lambda: next(zoomnews.iter_rows(stream, batch_size=1000))["speaker"]


PATTERNS = {f.__name__: f for f in (datasets_row, datasets_arrow_batch, zoomnews_iter_rows)}


def main() -> None:
    runs, checkout = int(sys.argv[2]), sys.argv[3]
    take = PATTERNS[sys.argv[1]](checkout)
    if "--no-hook" in sys.argv:
        atexit.unregister(streams.settle_arrow_threads)
    failures = 0
    for _ in range(runs):
        pid = os.fork()
        if pid == 0:
            take()
            return  # the child leaves main() and exits as a script does: finalization included
        _, status = os.waitpid(pid, 0)
        failures += status != 0
    print(f"{failures} of {runs} runs exited non-zero")


if __name__ == "__main__":
    main()
