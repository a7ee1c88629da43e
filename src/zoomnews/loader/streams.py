"""A clean exit after a half-read stream (apache/arrow#45214, huggingface/datasets#7566).

`datasets` streams Parquet through `pyarrow.dataset` fragments opened on Python file objects.
When a script stops reading early (`next(iter(stream))`) and exits, an Arrow I/O thread may still be
finishing a read on that file object, which needs the GIL. If interpreter finalization has begun by
then, CPython ends that thread with pthread_exit, whose forced unwind through Arrow's C++ frames
calls std::terminate: the process aborts (exit 134, "terminate called without an active exception")
after all its work is done. Measured here with pyarrow 26 and datasets 5.2 on a loaded 2-core machine:
1 run in 3 to 1 in 2 (an idle one showed none in 100 runs: the race needs load).

The mitigation, registered when zoomnews is imported: at exit, while the interpreter is still whole,
collect garbage (which closes unreachable readers), close the readers a script still holds, and then
release the GIL for a short grace period
so that pending reads complete. The GIL is handed over in small steps; a pending read takes it
within one switch interval. It costs nothing to a process that never imported pyarrow.dataset.
tests/test_streams.py runs each documented pattern (README.md, docs/loading.md) 200 times in fresh processes and expects no abort.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import time
import types

GRACE_SECONDS = 0.05  # measured: 0 aborts in 200 runs per pattern; without it, ~50% abort
STEP_SECONDS = 0.002


def settle_arrow_threads() -> None:
    if "pyarrow.dataset" not in sys.modules:
        return
    gc.collect()
    close_suspended_readers()
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        time.sleep(STEP_SECONDS)  # releases the GIL: a pending read on a Python file object can finish


def close_suspended_readers() -> None:
    """Close the half-run generators of `datasets` (a stream's iterator a script still holds, such as
    `it = iter(stream)` at module level) while the modules they use are still there. Closed later, by
    finalization, their cleanup found pyarrow already torn down and printed "Exception ignored in:
    <generator object Parquet._generate_tables> ... 'NoneType' object has no attribute 'ArrowInvalid'"."""
    for thing in gc.get_objects():
        if (isinstance(thing, types.GeneratorType) and thing.gi_frame is not None
                and f"{os.sep}datasets{os.sep}" in thing.gi_code.co_filename):
            try:
                thing.close()
            except Exception:  # (a reader's own cleanup failing is not the script's failure)
                pass


_registered = False


def register() -> None:
    global _registered
    if not _registered:
        atexit.register(settle_arrow_threads)
        _registered = True
