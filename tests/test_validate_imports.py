"""`zoomnews validate` never imports `datasets` (issue 16, "What CI users feel"); nor does build's
streaming pass, in any of its processes (about 85 MiB of memory and a second of CPU each).

Importing `datasets` (huggingface_hub, fsspec, pandas...) was half of `validate`'s 2 s on the
5-document corpus, only for datasets.Features in the release checks. Release checks now decide with
pyarrow alone in the case `build` writes (tests/test_release_schema.py), and `datasets` is imported
where a card, a manifest or a config is written. The run happens in a subprocess
(tests/programs/validate_modules.py) so what this test session imported does not count. No timing
assert: what makes `validate` slow is checked by what it imports.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, synthetic_corpus

PROGRAM = ROOT / "tests" / "programs" / "validate_modules.py"
BUILD_PROGRAM = ROOT / "tests" / "programs" / "build_modules.py"
NEVER = ("datasets", "huggingface_hub", "fsspec", "multiprocess", "dill")


@pytest.fixture(scope="module")
def validate_run() -> dict:
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, str(PROGRAM), str(ROOT), *NEVER, "pandas"],
                          capture_output=True, text=True, timeout=600, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_validate_on_the_checkout_never_imports_datasets(validate_run):
    assert validate_run["status"] == 0, "the checkout does not validate: fix that first"
    assert [m for m in validate_run["imported"] if m in NEVER] == []


def test_validate_on_the_checkout_never_imports_pandas(validate_run):
    """pyarrow imports pandas on its first conversion of a Python value, to ask whether the value is a
    pandas object; validate lets that first look find none (checks.validation.pyarrow_without_pandas)."""
    assert "pandas" not in validate_run["imported"]


def test_pandas_still_works_after_pyarrow_was_kept_from_it():
    program = ("import sys, pyarrow as pa\n"
               "from zoomnews.checks.validation import pyarrow_without_pandas\n"
               "pyarrow_without_pandas()\n"
               "assert 'pandas' not in sys.modules and pa.array([1, None]).null_count == 1\n"
               "import pandas\n"
               "print(pa.table({'a': [1, 2]}).to_pandas()['a'].sum(), pa.Table.from_pandas(pandas.DataFrame({'b': [3]})).num_rows)\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["3", "1"]


def test_build_writes_every_range_without_datasets_or_pandas(tmp_path):
    """Two ranges (this process and a spawned worker, as `build --jobs 2` on a large corpus): when each
    has written its shards, neither process has imported `datasets` or pandas. The configs' schemas
    come from `datasets`, worked out in a process of their own (configs.SchemasApart)."""
    repo = synthetic_corpus(tmp_path, 40)
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, str(BUILD_PROGRAM), str(repo), *NEVER, "pandas"],
                          capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "created"
    assert result["ranges"] == [[], []]  # the first range: this process; the second: the worker
