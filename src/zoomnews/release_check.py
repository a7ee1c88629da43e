"""Level 5: released files are what their manifest says, and the card points at a real release."""

from __future__ import annotations

import pyarrow.parquet as pq
from datasets import Features

from zoomnews.card import card_version
from zoomnews.errors import Problem
from zoomnews.manifest import MANIFEST, read_manifest, sha256_file


def check_releases(repo) -> list[Problem]:
    problems = []
    for version in repo.released_versions():
        problems.extend(check_release(repo, version))
    pointed = card_version(repo)
    if pointed is not None and pointed not in repo.released_versions():
        problems.append(Problem("README.md", None, "ZN502", f"configs point at release {pointed}, which does not exist"))
    return problems


def check_release(repo, version: str) -> list[Problem]:
    folder = repo.release_dir(version)
    label = repo.rel(folder / MANIFEST)
    try:
        manifest = read_manifest(folder)
    except (OSError, ValueError) as e:
        return [Problem(label, None, "ZN501", f"unreadable manifest: {e}")]
    problems = []
    for name, config in manifest.get("configs", {}).items():
        declared = Features.from_dict(config["features"])
        for entry in config["files"]:
            path = folder / entry["path"]
            where = repo.rel(path)
            if not path.is_file():
                problems.append(Problem(where, None, "ZN501", "released file is missing"))
                continue
            if sha256_file(path) != entry["sha256"] or path.stat().st_size != entry["bytes"]:
                problems.append(Problem(where, None, "ZN501", "released file changed since release (sha256 differs from manifest)"))
                continue
            parquet = pq.ParquetFile(path)
            if parquet.metadata.num_rows != entry["rows"]:
                problems.append(Problem(where, None, "ZN501", f"{parquet.metadata.num_rows} rows, manifest says {entry['rows']}"))
            if Features.from_arrow_schema(parquet.schema_arrow) != declared:
                problems.append(Problem(where, None, "ZN501", "Parquet schema differs from the declared features"))
    return problems
