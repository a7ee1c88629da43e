"""A script that takes one row from a streamed config and exits must never abort (apache/arrow#45214).

tests/programs/exit_soak.py runs a pattern in forked children that each exit through normal
interpreter finalization; the three patterns the README and docs/loading.md show run 200 times each, side by side.
The control runs without zoomnews' exit hook and must abort at least once. It is opt-in
(ZOOMNEWS_SOAK_CONTROL=1): how often the race shows depends on the machine's load. Forked children
aborted 4-9 times in 40 without the hook on a loaded machine (load 4-7), but 0 times in 100 on an
idle fresh clone, so as a default test it would fail at random.
"""

import os
import subprocess
import sys

import pytest

from conftest import ROOT

PROGRAM = ROOT / "tests" / "programs" / "exit_soak.py"
PATTERNS = ("datasets_row", "datasets_arrow_batch", "zoomnews_iter_rows")
RUNS = 200


def soak(pattern: str, runs: int, *flags: str) -> subprocess.Popen:
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, str(PROGRAM), pattern, str(runs), str(ROOT), *flags],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def failures(process: subprocess.Popen) -> int:
    out, err = process.communicate(timeout=1800)
    assert process.returncode == 0, err[-2000:]
    return int(out.strip().splitlines()[-1].split()[0])


def test_no_pattern_aborts_at_exit_in_200_runs():
    running = {pattern: soak(pattern, RUNS) for pattern in PATTERNS}
    assert {pattern: failures(process) for pattern, process in running.items()} == {pattern: 0 for pattern in PATTERNS}


@pytest.mark.skipif(not os.environ.get("ZOOMNEWS_SOAK_CONTROL"), reason="opt-in: ZOOMNEWS_SOAK_CONTROL=1 (the race needs a loaded machine to show)")
def test_without_the_hook_the_race_is_real():
    assert failures(soak("datasets_row", 100, "--no-hook")) > 0, "no abort without the hook: check whether apache/arrow#45214 is fixed"


@pytest.mark.parametrize("held", ["it = iter(stream)\nprint(next(it)['id'])", "print(next(iter(stream))['id'])"])
def test_a_half_read_stream_exits_without_a_word_on_stderr(tmp_path, held):
    """A stream's iterator still held at exit (a module global) was closed by finalization after
    pyarrow was torn down: "Exception ignored in: <generator object Parquet._generate_tables> ...
    AttributeError: 'NoneType' object has no attribute 'ArrowInvalid'" on every run."""
    script = tmp_path / "half_read.py"
    script.write_text(f"import zoomnews\nstream = zoomnews.load('entities', streaming=True, repo={str(ROOT)!r})\n{held}\n", encoding="utf-8")
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == "e1\n"
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr, done.stderr[-2000:]
