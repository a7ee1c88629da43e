"""A release's manifest: what it was built from, what it holds, and checksums to prove it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

from zoomnews.repo import RAW_DIR
from zoomnews.schemas import KINDS

MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_files(repo) -> list[str]:
    """The files a build reads, relative to the repository: schemas, provenance, raw texts,
    registries and layers; in path order (by path components, as pathlib sorts)."""
    import os

    from zoomnews.schemas import load_kinds

    kinds = load_kinds(repo)
    files = {f"schema/{k}.schema.json" for k in KINDS} | {kinds[k].source for k in KINDS}
    if repo.raw_dir.is_dir():
        with os.scandir(repo.raw_dir) as listing:  # strings, not Path objects: a corpus has 100k raw files
            files |= {f"{RAW_DIR}/{entry.name}" for entry in listing if entry.name.endswith(".txt")}
    return sorted(files, key=lambda relative: relative.split("/"))


def sources_sha256(repo, known: dict[str, str] | None = None) -> str:
    """One checksum over every source file's path and checksum; `known` holds checksums already
    computed from the same bytes (validate's of the raw texts), so those files are not read again."""
    known = known or {}
    digest = hashlib.sha256()
    for relative in source_files(repo):
        checksum = known.get(relative) or sha256_file(repo.path(relative))
        digest.update(f"{relative}\0{checksum}\n".encode())
    return digest.hexdigest()


def features_fingerprint(features: dict) -> str:
    canonical = json.dumps({name: f.to_dict() for name, f in sorted(features.items())}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def file_entry(folder: Path, relative: str) -> dict:
    path = folder / relative
    return {"path": relative, "sha256": sha256_file(path), "bytes": path.stat().st_size}


def make_manifest(repo, version: str, folder: Path, files: dict[str, list[str]], features: dict, known: dict[str, str] | None = None) -> dict:
    from zoomnews import __version__

    configs = {}
    for name, relatives in files.items():
        entries = []
        for relative in relatives:
            entries.append({**file_entry(folder, relative), "rows": pq.ParquetFile(folder / relative).metadata.num_rows})
        configs[name] = {
            "rows": sum(e["rows"] for e in entries),
            "features": features[name].to_dict(),
            "files": entries,
        }
    return {
        "name": "zoomnews",
        "version": version,
        "sources_sha256": sources_sha256(repo, known),
        "schema_fingerprint": features_fingerprint(features),
        "built_with": {"zoomnews": __version__, "pyarrow": pa.__version__, "datasets": datasets.__version__},
        "configs": configs,
    }


def read_manifest(release_dir: Path) -> dict:
    with open(release_dir / MANIFEST, encoding="utf-8") as f:
        return json.load(f)
