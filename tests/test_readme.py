"""The Python examples of the README, CONTRIBUTING and docs/ run as users run them: each in its own
fresh `python` process, from the checkout root, and print what their comments say. A process that
aborts at exit (exit 134) fails here, which an in-process exec would never see."""

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

DOCUMENTS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCKS = [(path.relative_to(ROOT).as_posix(), block) for path in DOCUMENTS if path.is_file()
          for block in re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)]


def expected_output(block: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^print\(.*\)\s+# (.*)$", block, flags=re.M)]


def test_readme_has_examples():
    assert sum(1 for name, _ in BLOCKS if name == "README.md") >= 3


@pytest.mark.parametrize("name, block", BLOCKS, ids=[f"{name}-{i}" for i, (name, _) in enumerate(BLOCKS)])
def test_example_runs_in_its_own_process(name, block):
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    run = subprocess.run([sys.executable, "-c", block], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"{name}: exit {run.returncode}\n{run.stderr[-3000:]}"
    assert run.stdout.splitlines() == expected_output(block), name
