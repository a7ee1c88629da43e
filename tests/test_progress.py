"""Progress on long work (zoomnews.progress): `build`, `validate`, `release` and `render` show a
bar on standard error when it is a terminal, and nothing anywhere else; standard output and exit
codes are the same either way.

Two ways in: a pseudo-terminal on the real console script's standard error (the `pty` module), and
the documented ZOOMNEWS_PROGRESS=always, which draws the bar as a terminal would get it into
CliRunner's captured standard error. The 5-document corpus is checked in one block, which shows no
bar (nothing to follow), so the validate and build runs here cut it into blocks of 2 documents
(zoomnews.checks.validation.DOCUMENT_BLOCK).
"""

import io
import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, copy_sources
from zoomnews import progress
from zoomnews.checks import validation
from zoomnews.cli import main

CLI = Path(sys.executable).with_name("zoomnews")


def invoke(args: list[str], shown: bool):
    """The command through CliRunner, with progress forced on (`shown`) or left to the terminal test
    (CliRunner's streams are no terminal)."""
    env = {progress.ENVIRONMENT: "always" if shown else None}
    return CliRunner().invoke(main, args, env=env)


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(validation, "DOCUMENT_BLOCK", 2)


VERSION = "9.9.9"  # a version of its own: what these tests build never meets a committed release


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A copy of the checkout with release VERSION built from its sources (read only)."""
    from zoomnews import CorpusRepo
    from zoomnews.release.building import build_release

    repo = CorpusRepo(copy_sources(tmp_path_factory.mktemp("progress") / "repo"))
    build_release(repo, VERSION)
    return repo


def test_validate_shows_documents_checked_only_when_shown(small_blocks):
    args = ["validate", "--repo", str(ROOT), "--format", "json"]
    quiet, shown = invoke(args, shown=False), invoke(args, shown=True)
    assert quiet.exit_code == shown.exit_code == 0
    assert quiet.stdout == shown.stdout and json.loads(shown.stdout)["problems"] == []
    assert quiet.stderr == ""
    assert "validate" in shown.stderr and "5/5" in shown.stderr and "documents checked" in shown.stderr and "ETA" in shown.stderr


def test_build_shows_documents_checked_and_written(small_blocks, repo_copy, tmp_path):
    other = copy_sources(tmp_path / "other")
    quiet = invoke(["build", "--repo", str(repo_copy.root), "--jobs", "1", "--version", VERSION], shown=False)
    shown = invoke(["build", "--repo", str(other), "--jobs", "1", "--version", VERSION], shown=True)
    assert quiet.exit_code == shown.exit_code == 0, quiet.output
    assert quiet.stdout == shown.stdout and f"release {VERSION}: created" in shown.stdout
    assert quiet.stderr == "" and "documents checked and written" in shown.stderr and "5/5" in shown.stderr


def test_the_main_job_shows_its_build_validate_and_render(small_blocks, repo_copy, tmp_path):
    other = copy_sources(tmp_path / "other")
    quiet = invoke(["all", "--repo", str(repo_copy.root)], shown=False)
    shown = invoke(["all", "--repo", str(other)], shown=True)
    assert quiet.exit_code == shown.exit_code == 0, quiet.output
    assert quiet.stdout == shown.stdout and "all checks passed" in shown.stdout
    assert quiet.stderr == "" and all(unit in shown.stderr for unit in ("documents checked and written", "documents checked", "pages written"))


def test_release_shows_the_build(small_blocks, repo_copy, tmp_path):
    other = copy_sources(tmp_path / "other")
    quiet = invoke(["release", "--repo", str(repo_copy.root), "--bump", "major", "--allow-unchanged"], shown=False)
    shown = invoke(["release", "--repo", str(other), "--bump", "major", "--allow-unchanged"], shown=True)
    assert quiet.exit_code == shown.exit_code == 0, quiet.output
    assert quiet.stdout == shown.stdout and "release 2.0.0: created" in shown.stdout
    assert quiet.stderr == "" and "documents checked and written" in shown.stderr


def test_render_counts_pages(built, tmp_path):
    args = ["render", "--repo", str(built.root), "--release", VERSION, "--out", str(tmp_path / "site")]
    quiet, shown = invoke(args, shown=False), invoke(args, shown=True)
    assert quiet.exit_code == shown.exit_code == 0, quiet.output
    assert quiet.stdout == shown.stdout and "rendered release" in shown.stdout
    pages = sum(1 for _ in (tmp_path / "site").rglob("*.html"))
    assert quiet.stderr == "" and f"{pages}/{pages}" in shown.stderr and "pages written" in shown.stderr


def test_a_failing_command_keeps_its_code_and_message(tmp_path):
    args = ["validate", "--repo", str(tmp_path)]
    quiet, shown = invoke(args, shown=False), invoke(args, shown=True)
    assert quiet.exit_code == shown.exit_code == 1
    assert quiet.output == shown.output and "ZN904" in shown.output and "Traceback" not in shown.output


@pytest.mark.parametrize("setting, terminal, expected", [
    (None, True, True), (None, False, False), ("auto", True, True),
    ("never", True, False), ("0", True, False), ("always", False, True), ("1", False, True),
])
def test_the_setting_and_the_terminal_decide(monkeypatch, setting, terminal, expected):
    class Stream(io.StringIO):
        def isatty(self):
            return terminal

    monkeypatch.delenv(progress.ENVIRONMENT, raising=False)
    monkeypatch.setenv("TERM", "xterm")
    if setting is not None:
        monkeypatch.setenv(progress.ENVIRONMENT, setting)
    with progress.bar("work", stream=Stream()) as callback:
        assert (callback is not None) is expected


def test_a_dumb_terminal_gets_no_bar(monkeypatch):
    monkeypatch.delenv(progress.ENVIRONMENT, raising=False)
    monkeypatch.setenv("TERM", "dumb")
    assert progress.on_terminal(type("T", (io.StringIO,), {"isatty": lambda self: True})()) is False


def test_work_done_in_one_step_draws_nothing():
    stream = io.StringIO()
    bar = progress.Bar("validate", "documents checked", stream, force_terminal=True)
    bar(0, 5)
    bar(5, 5)
    bar.close()
    assert bar.progress is None and stream.getvalue() == ""
    bar(2, 5)
    bar(5, 5)
    bar.close()
    assert "5/5" in stream.getvalue()


# --- the library's callbacks ----------------------------------------------------------------------

def test_validate_reports_each_block_then_each_range(monkeypatch):
    from zoomnews import CorpusRepo

    repo = CorpusRepo(ROOT)
    calls = []
    report = validation.validate_repo(repo, releases=False, block_documents=2, progress=lambda *a: calls.append(a))
    assert calls == [(2, 5), (4, 5), (5, 5)]
    assert report == validation.validate_repo(repo, releases=False, block_documents=2)  # the same report without
    monkeypatch.setattr(validation, "PARALLEL_FROM", 0)
    calls.clear()
    validation.validate_repo(repo, releases=False, jobs=2, block_documents=2, progress=lambda *a: calls.append(a))
    (_, first), _ = validation.document_ranges(5, 2, 1, validation.HEAD_START)
    # this process checks the first range a block at a time; a worker cannot call back: its range is counted when it returns
    assert calls == [*[(n, 5) for n in range(2, first, 2)], (first, 5), (5, 5)]


def test_render_reports_every_page(built, tmp_path):
    from zoomnews.tools.render import render_site

    calls = []
    pages = render_site(built, tmp_path / "site", VERSION, progress=lambda *a: calls.append(a))
    total = sum(pages.values()) + 4  # and the four index pages
    assert calls == [(n, total) for n in range(1, total + 1)] and total == sum(1 for _ in (tmp_path / "site").rglob("*.html"))


# --- a real terminal ------------------------------------------------------------------------------

def on_a_terminal(argv: list[str], tmp_path: Path, terminal: bool) -> tuple[int, str, bytes]:
    """Run argv with standard error on a pseudo-terminal (or a pipe), standard output to a file: exit
    code, standard output, what reached standard error."""
    env = {k: v for k, v in os.environ.items() if k != progress.ENVIRONMENT}
    env.update(TERM="xterm", COLUMNS="100", HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1")
    out_path = tmp_path / f"stdout-{terminal}"
    with open(out_path, "wb") as out:
        if not terminal:
            done = subprocess.run(argv, stdout=out, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, cwd=ROOT, timeout=600)
            return done.returncode, out_path.read_text(encoding="utf-8"), done.stderr
        master, slave = pty.openpty()
        child = subprocess.Popen(argv, stdout=out, stderr=slave, stdin=subprocess.DEVNULL, env=env, cwd=ROOT)
        os.close(slave)
        err = b""
        try:
            while select.select([master], [], [], 600)[0]:
                try:
                    chunk = os.read(master, 1 << 16)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                err += chunk
        finally:
            os.close(master)
        return child.wait(timeout=600), out_path.read_text(encoding="utf-8"), err


SMALL_BLOCKS = ("import sys; from zoomnews.checks import validation; validation.DOCUMENT_BLOCK = 2; "
                "from zoomnews.cli import main; main(sys.argv[1:], prog_name='zoomnews')")


def test_on_a_terminal_validate_shows_a_bar_and_the_same_output(tmp_path):
    argv = [sys.executable, "-c", SMALL_BLOCKS, "validate", "--repo", str(ROOT), "--format", "json", "--jobs", "1"]
    code, out, err = on_a_terminal(argv, tmp_path, terminal=True)
    piped_code, piped_out, piped_err = on_a_terminal(argv, tmp_path, terminal=False)
    assert code == piped_code == 0 and out == piped_out and json.loads(out)["problems"] == []
    assert b"documents checked" in err and b"5/5" in err and b"\x1b[" in err
    assert piped_err == b""


def test_on_a_terminal_render_shows_a_bar_and_the_same_output(built, tmp_path):
    argv = [str(CLI), "render", "--repo", str(built.root), "--release", VERSION, "--out", str(tmp_path / "site")]
    code, out, err = on_a_terminal(argv, tmp_path, terminal=True)
    piped_code, piped_out, piped_err = on_a_terminal(argv, tmp_path, terminal=False)
    assert code == piped_code == 0 and out == piped_out and "rendered release" in out
    assert b"pages written" in err and piped_err == b""


def test_on_a_terminal_a_small_validate_never_imports_rich(tmp_path):
    """The 5-document corpus is checked in one block: no bar, so rich is not even imported."""
    argv = [sys.executable, str(ROOT / "tests" / "programs" / "validate_modules.py"), str(ROOT), "rich"]
    code, out, err = on_a_terminal(argv, tmp_path, terminal=True)
    result = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and result == {"status": 0, "imported": []}
    assert b"documents checked" not in err
