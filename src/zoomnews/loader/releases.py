"""Load any release by version through `datasets`, using the files and features its manifest lists.

Loads are verified: the manifest must be the one releases/RELEASES.lock recorded (ZN507), and every
file read must have the manifest's size and sha256 (ZN501), so a corrupted or edited release is
refused instead of returned. A file is hashed once per process while its size, mtime and ctime stay
the same (zoomnews.release.manifest.file_problem).
"""

from __future__ import annotations

from datasets import ClassLabel, Dataset, Features, List, Split, load_dataset

from zoomnews.release.card import card_version
from zoomnews.release.configs import CONFIGS
from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.release.manifest import file_problem
from zoomnews.checks.releases import verified_manifest
from zoomnews.repo import CorpusRepo


def release_files(config: str, version: str | None = None, repo=None) -> tuple[list[str], Features, int]:
    """Absolute Parquet paths, declared features and row count of one config of one release, each file
    verified against the manifest and the manifest against the ledger."""
    repo = CorpusRepo.find(repo)
    if config not in CONFIGS:
        raise ZoomnewsError(Problem(config, None, "ZN903", f"unknown config; choose one of {', '.join(CONFIGS)}"))
    versions = repo.released_versions()
    version = version or card_version(repo) or (versions[-1] if versions else None)
    if version not in versions:
        from zoomnews.checks.releases import ledger_entries

        if version and version in (ledger_entries(repo)[0] or {}):
            verified_manifest(repo, version)  # in the ledger, yet not a release here: says why (ZN507)
        raise ZoomnewsError(Problem(f"releases/{version}", None, "ZN903", f"no release {version}; released: {', '.join(versions) or 'none'}"))
    folder = repo.release_dir(version)
    entry = verified_manifest(repo, version)["configs"].get(config)
    if entry is None:
        raise ZoomnewsError(Problem(config, None, "ZN903", f"release {version} has no config {config}"))
    problems = []
    for f in entry["files"]:
        message = file_problem(folder / f["path"], f["sha256"], f["bytes"])
        if message:
            problems.append(Problem(repo.rel(folder / f["path"]), None, "ZN501", f"{message}; restore it from version control"))
    if problems:
        raise ZoomnewsError(problems)
    return [str(folder / f["path"]) for f in entry["files"]], Features.from_dict(entry["features"]), entry["rows"]


def load_release(config: str, version: str | None = None, repo=None, streaming: bool = False, **kwargs):
    """One config of one release as a `datasets` split. A config the release holds with no rows is an
    empty Dataset with the manifest's features: datasets refuses to materialise an empty split from
    Parquet (ValueError 'Instruction "train" corresponds to no data!'), though it streams one."""
    files, features, rows = release_files(config, version, repo)
    split = kwargs.pop("split", "train")  # the one split; a slice of it ("train[:10%]") as `datasets` reads it
    if rows == 0 and not streaming:
        if not (isinstance(split, str) and (split == "train" or split.startswith("train["))):
            raise ValueError(f"Unknown split {split!r}: a release has one split, 'train' (a slice such as 'train[:10%]' reads part of it)")
        return Dataset.from_dict({name: [] for name in features}, features=features, split=Split.TRAIN)
    return load_dataset("parquet", data_files={"train": files}, split=split, features=features, streaming=streaming, **kwargs)


def iter_rows(dataset, batch_size: int = 1000):
    """The rows of a dataset (streamed or not) as Python dicts, the same rows in the same order as
    `for row in dataset`, but made a batch at a time: datasets turns every row into a one-row Arrow
    table first, which costs several times more than converting a batch (see docs/performance.md)."""
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
