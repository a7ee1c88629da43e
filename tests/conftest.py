import os

# Before anything imports datasets: nothing in the tests may reach a hub.
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

# Profiles: `default` keeps the suite to a few minutes on 2 cores (derandomised under CI, so a
# failure reproduces), `thorough` for long runs: HYPOTHESIS_PROFILE=thorough python3 scripts/test.py
_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
settings.register_profile("default", max_examples=40, derandomize=bool(os.environ.get("CI")),
                          database=None if os.environ.get("CI") else DirectoryBasedExampleDatabase(".hypothesis/examples"), **_common)
settings.register_profile("thorough", max_examples=1000, **_common)
# scripts/mutants.py only needs to know that a property fails, not the smallest example: no shrinking
settings.register_profile("mutants", max_examples=40, derandomize=True, database=None,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate], **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
COPIED_DIRS = ("corpus", "annotations", "schema", "releases")


def synthetic_corpus(folder: Path, documents: int) -> Path:
    """A valid synthetic corpus of `documents` documents at folder/repo (scripts/synth_corpus.py, seed 0)."""
    import subprocess
    import sys

    out = folder / "repo"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "synth_corpus.py"), str(out), "--documents", str(documents)], check=True,
                   capture_output=True)
    return out


def copy_sources(dest: Path) -> Path:
    """A copy of this checkout's corpus repository: sources, releases, pyproject.toml and README."""
    for name in COPIED_DIRS:
        shutil.copytree(ROOT / name, dest / name)
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    shutil.copy(ROOT / "README.md", dest / "README.md")
    shutil.copy(ROOT / "CHANGELOG.md", dest / "CHANGELOG.md")
    return dest


@pytest.fixture
def repo_copy(tmp_path):
    from zoomnews import CorpusRepo

    return CorpusRepo(copy_sources(tmp_path / "repo"))


@pytest.fixture(scope="session")
def built_copy(tmp_path_factory):
    """One built copy shared by read-only tests."""
    from zoomnews import CorpusRepo
    from zoomnews.release.building import build_release
    from zoomnews.release.card import point_card_at

    repo = CorpusRepo(copy_sources(tmp_path_factory.mktemp("built") / "repo"))
    result = build_release(repo)
    point_card_at(repo, result.version)
    return repo
