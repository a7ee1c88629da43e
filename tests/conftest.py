import os

# Before anything imports datasets: nothing in the tests may reach a hub.
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
COPIED_DIRS = ("corpus", "annotations", "schema", "releases")


def copy_sources(dest: Path) -> Path:
    """A copy of this checkout's corpus repository: sources, releases, pyproject.toml and README."""
    for name in COPIED_DIRS:
        shutil.copytree(ROOT / name, dest / name)
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    shutil.copy(ROOT / "README.md", dest / "README.md")
    return dest


@pytest.fixture
def repo_copy(tmp_path):
    from zoomnews import CorpusRepo

    return CorpusRepo(copy_sources(tmp_path / "repo"))


@pytest.fixture(scope="session")
def built_copy(tmp_path_factory):
    """One built copy shared by read-only tests."""
    from zoomnews import CorpusRepo
    from zoomnews.building import build_release
    from zoomnews.card import point_card_at

    repo = CorpusRepo(copy_sources(tmp_path_factory.mktemp("built") / "repo"))
    result = build_release(repo)
    point_card_at(repo, result.version)
    return repo
