"""Load any release by version through `datasets`, using the files and features its manifest lists."""

from __future__ import annotations

from datasets import ClassLabel, Features, List, load_dataset

from zoomnews.card import card_version
from zoomnews.configs import CONFIGS
from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.manifest import read_manifest
from zoomnews.repo import CorpusRepo


def release_files(config: str, version: str | None = None, repo=None) -> tuple[list[str], Features]:
    """Absolute Parquet paths and declared features of one config of one release."""
    repo = CorpusRepo.find(repo)
    if config not in CONFIGS:
        raise ZoomnewsError(Problem(config, None, "ZN903", f"unknown config; choose one of {', '.join(CONFIGS)}"))
    versions = repo.released_versions()
    version = version or card_version(repo) or (versions[-1] if versions else None)
    if version not in versions:
        raise ZoomnewsError(Problem(f"releases/{version}", None, "ZN903", f"no release {version}; released: {', '.join(versions) or 'none'}"))
    folder = repo.release_dir(version)
    entry = read_manifest(folder)["configs"][config]
    return [str(folder / f["path"]) for f in entry["files"]], Features.from_dict(entry["features"])


def load_release(config: str, version: str | None = None, repo=None, streaming: bool = False, **kwargs):
    files, features = release_files(config, version, repo)
    return load_dataset("parquet", data_files={"train": files}, split="train", features=features, streaming=streaming, **kwargs)


def iter_rows(dataset, batch_size: int = 1000):
    """The rows of a dataset (streamed or not) as Python dicts, the same rows in the same order as
    `for row in dataset`, but made a batch at a time: datasets turns every row into a one-row Arrow
    table first, which costs several times more than converting a batch (see README, Performance)."""
    for batch in dataset.with_format("arrow").iter(batch_size=batch_size):
        yield from batch.to_pylist()


def decode_rows(rows: list[dict], features: Features) -> list[dict]:
    """Rows as read from Parquet/datasets with ClassLabel integers turned back into their names:
    exactly the source records (plus derived columns such as `text` in documents)."""
    return [_decode(row, features) for row in rows]


def _decode(value, feature):
    if isinstance(feature, ClassLabel):
        return None if value is None else feature.int2str(value)
    if isinstance(feature, (dict, Features)):
        return None if value is None else {k: _decode(value[k], f) for k, f in feature.items()}
    if isinstance(feature, List):
        return None if value is None else [_decode(v, feature.feature) for v in value]
    return value
