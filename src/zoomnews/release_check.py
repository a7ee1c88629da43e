"""Level 5: released files are what their manifest says, and the card points at a real release."""

from __future__ import annotations

import json

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features

from zoomnews.card import card_version
from zoomnews.errors import Problem
from zoomnews.manifest import MANIFEST, sha256_file
from zoomnews.schemas import load_schema


def check_releases(repo) -> list[Problem]:
    problems = []
    validator = jsonschema.Draft202012Validator(load_schema(repo.path("schema/manifest.schema.json")))
    for version in repo.released_versions():
        problems.extend(check_release(repo, version, validator))
    pointed = card_version(repo)
    if pointed is not None and pointed not in repo.released_versions():
        problems.append(Problem("README.md", None, "ZN502", f"configs point at release {pointed}, which does not exist"))
    return problems


def check_release(repo, version: str, validator) -> list[Problem]:
    folder = repo.release_dir(version)
    label = repo.rel(folder / MANIFEST)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        return [Problem(label, None, "ZN506", f"unreadable manifest: {str(e)[:120]}")]
    errors = list(validator.iter_errors(manifest))
    if errors:
        return [Problem(label, None, "ZN506", f"manifest does not match schema/manifest.schema.json: {e.message[:120]}") for e in errors[:5]]
    if manifest["version"] != version:
        return [Problem(label, None, "ZN506", f"manifest says version {manifest['version']}, folder says {version}")]
    problems, listed = [], {MANIFEST}
    for name, config in manifest["configs"].items():
        declared = Features.from_dict(config["features"])
        for entry in config["files"]:
            listed.add(entry["path"])
            problems.extend(check_file(repo, folder, entry, declared))
    for entry in manifest.get("metadata_files", []):
        listed.add(entry["path"])
        path = folder / entry["path"]
        if path.is_symlink() or not path.is_file() or path.stat().st_size != entry["bytes"] or sha256_file(path) != entry["sha256"]:
            problems.append(Problem(repo.rel(path), None, "ZN501", "released file missing or changed since release (sha256 differs from the manifest)"))
    for path in sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()):
        if path.relative_to(folder).as_posix() not in listed:
            problems.append(Problem(repo.rel(path), None, "ZN505", "file in a release that its manifest does not list"))
    return problems


def check_file(repo, folder, entry: dict, declared: Features) -> list[Problem]:
    path = folder / entry["path"]
    where = repo.rel(path)
    if path.is_symlink() or not path.is_file():
        return [Problem(where, None, "ZN501", "released file is missing (or is a link)")]
    if path.stat().st_size != entry["bytes"] or sha256_file(path) != entry["sha256"]:
        return [Problem(where, None, "ZN501", "released file changed since release (sha256 differs from the manifest)")]
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as e:
        return [Problem(where, None, "ZN501", f"not a readable Parquet file: {str(e)[:120]}")]
    problems = []
    if parquet.metadata.num_rows != entry["rows"]:
        problems.append(Problem(where, None, "ZN503", f"{parquet.metadata.num_rows} rows, manifest says {entry['rows']}"))
    if Features.from_arrow_schema(parquet.schema_arrow) != declared or not parquet.schema_arrow.equals(declared.arrow_schema, check_metadata=False):
        problems.append(Problem(where, None, "ZN504", "Parquet schema differs from the features declared in the manifest"))
    return problems
