"""Work done in a Python process of its own, `python -P -m <module>`: pickled arguments in on stdin,
the pickled result out on stdout.

Build uses it on a large corpus for what needs a heavy import only once: `datasets` for the configs'
schemas (zoomnews.release.configs.SchemasApart: the process imports while validation begins), and
mlcroissant, pandas included, for croissant.json with `datasets` again for the card's dataset_info.
Build's own processes then never hold those libraries, and the croissant process imports while build
writes `statements` and sums the checksums, on the core those leave idle (a thread would not do: an
import holds the interpreter's lock). A plain subprocess, not multiprocessing: it never imports the
caller's main module, so a script that builds needs no `if __name__ == "__main__"` guard. -P: the
current directory is not put on the path (a `datasets.py` there would be imported instead).
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Callable

from zoomnews.errors import Problem, ZoomnewsError


class Apart:
    """The process of `module` (whose `__main__` calls `serve`), started now; `result(*arguments)`
    sends it the arguments and waits for its answer. A failure is ZN910 naming `task`, never a traceback.
    A context manager: leaving it stops the process if it is still running (a build that stopped first)."""

    def __init__(self, module: str, task: str):
        self.task = task
        try:
            self.process = subprocess.Popen([sys.executable, "-P", "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE)
        except OSError as e:
            raise ZoomnewsError(Problem("build", None, "ZN910", f"could not start Python to {task}: {e.strerror or e}")) from None

    def result(self, *arguments):
        out, err = self.process.communicate(pickle.dumps(arguments))
        if self.process.returncode != 0:
            said = err.decode(errors="replace").strip().splitlines() or ["no message"]
            raise ZoomnewsError(Problem("build", None, "ZN910", f"the process to {self.task} failed (exit {self.process.returncode}): {said[-1][:300]}"))
        return pickle.loads(out)

    def __enter__(self) -> Apart:
        return self

    def __exit__(self, *exc) -> None:
        if self.process.returncode is None:
            self.process.kill()
            self.process.communicate()


def serve(function: Callable, prepare: Callable[[], object] | None = None) -> None:
    """The process's side: prepare() first (an import, while the caller still works), then
    function(*the arguments read on stdin), pickled to stdout."""
    if prepare is not None:
        prepare()
    arguments = pickle.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(pickle.dumps(function(*arguments)))
