"""Progress on long work (`build`, `validate`, `release`, `render`): a rich bar on standard error,
with what is done out of the total and the time left, shown only on a terminal.

The library reports progress through an optional callback `progress(done, total)` (cumulative
counts: documents checked, pages written); None, its default, reports nothing. The command line
passes `bar(...)`, which is None unless progress is shown, so off a terminal nothing changes at all:

- progress goes to standard error only; standard output and exit codes are the same with or without it;
- it is shown when standard error is a terminal, and never in a CI log or a pipe;
- the bar appears at the first report that leaves work to do (a corpus checked in one block of
  documents shows none) and is erased when the work ends, so a terminal keeps only the command's output;
- rich is imported only then: a small `validate` never imports it.

`ZOOMNEWS_PROGRESS` overrides the terminal test: `never` (or `0`, `off`) hides progress on a terminal
too; `always` (or `1`, `on`) shows it even off a terminal, as a terminal would get it, which is how
the tests capture it (tests/test_progress.py) and how a recording is made; `auto` (the default) decides by
the terminal test.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

ENVIRONMENT = "ZOOMNEWS_PROGRESS"
ALWAYS = ("always", "1", "on", "yes", "true", "force")
NEVER = ("never", "0", "off", "no", "false")

Callback = Callable[[int, int], None]


def mode() -> str:
    """`always`, `never` or `auto`, from ZOOMNEWS_PROGRESS (anything else counts as `auto`)."""
    value = os.environ.get(ENVIRONMENT, "").strip().lower()
    return "always" if value in ALWAYS else "never" if value in NEVER else "auto"


def on_terminal(stream) -> bool:
    """Whether `stream` is a terminal that can redraw a line (not TERM=dumb)."""
    try:
        return bool(stream.isatty()) and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def shown(stream=None) -> bool:
    """Whether progress is shown on `stream` (default: standard error) under ZOOMNEWS_PROGRESS."""
    setting = mode()
    if setting != "auto":
        return setting == "always"
    return on_terminal(sys.stderr if stream is None else stream)


class Bar:
    """The callback `progress(done, total)` behind a rich bar, started (and rich imported) at the
    first report with work left to do; `close()` erases it."""

    def __init__(self, description: str, unit: str, stream, force_terminal: bool):
        self.description, self.unit, self.stream, self.force_terminal = description, unit, stream, force_terminal
        self.progress = None
        self.task = None

    def __call__(self, done: int, total: int) -> None:
        if self.progress is None:
            if not 0 < done < total:
                return
            self._start(total)
        self.progress.update(self.task, completed=min(done, total), total=total)

    def _start(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        console = Console(file=self.stream, force_terminal=self.force_terminal or None, highlight=False)
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn(self.unit),
                                 TaskProgressColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                 console=console, transient=True, redirect_stdout=False, redirect_stderr=False)
        self.progress.start()
        self.task = self.progress.add_task(self.description, total=total)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


@contextmanager
def bar(description: str, unit: str = "documents", stream=None) -> Iterator[Callback | None]:
    """A progress callback for the work in the `with` block, or None when progress is not shown
    (then the library runs exactly as without it). The bar is erased when the block ends, however it ends."""
    stream = sys.stderr if stream is None else stream
    if not shown(stream):
        yield None
        return
    progress = Bar(description, unit, stream, force_terminal=mode() == "always")
    try:
        yield progress
    finally:
        progress.close()
