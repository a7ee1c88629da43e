"""Level 5: released files are what their manifest says, every manifest is what the ledger
releases/RELEASES.lock (tracked in git) recorded, no release is half-written, and the card points
at a real release."""

from __future__ import annotations

import json
import os
import stat

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features

from zoomnews import safeio
from zoomnews.card import card_version
from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.manifest import MANIFEST, parse_ledger, read_ledger, sha256_bytes, sha256_file
from zoomnews.repo import JOURNAL, LEDGER, RELEASES_DIR, SEMVER
from zoomnews.schemas import load_schema

LEDGER_LABEL = f"{RELEASES_DIR}/{LEDGER}"
RESTORE = "releases are immutable: restore it from version control"


def manifest_validator(repo):
    return jsonschema.Draft202012Validator(load_schema(repo.path("schema/manifest.schema.json")))


def check_releases(repo) -> list[Problem]:
    problems = check_journal(repo) + check_ledger(repo)
    validator = manifest_validator(repo)
    for version in repo.released_versions():
        problems.extend(check_release(repo, version, validator))
    pointed = card_version(repo)
    if pointed is not None and pointed not in repo.released_versions():
        problems.append(Problem("README.md", None, "ZN502", f"configs point at release {pointed}, which does not exist"))
    return problems


def check_journal(repo) -> list[Problem]:
    """ZN508: a journal means a release is being written right now, or was interrupted."""
    from zoomnews.building import journal_summary, lock_holder

    if not os.path.lexists(repo.journal_path):
        return []
    label = f"{RELEASES_DIR}/{JOURNAL}"
    holder = lock_holder(repo)
    if holder:
        return [Problem(label, None, "ZN508", f"a release is being written right now (releases/.lock held by {holder}); validate again when it is done")]
    return [Problem(label, None, "ZN508", f"{journal_summary(repo)}; run `zoomnews release --recover` to finish it or roll it back")]


def ledger_entries(repo) -> tuple[dict[str, str] | None, list[Problem]]:
    """The ledger's (version -> manifest sha256), None when there is no ledger; and its problems."""
    try:
        text = read_ledger(repo)
    except ZoomnewsError as e:
        return {}, [Problem(LEDGER_LABEL, None, "ZN507", f"unreadable ledger: {e.problems[0].message}")]
    except UnicodeDecodeError:
        return {}, [Problem(LEDGER_LABEL, None, "ZN507", "unreadable ledger: not UTF-8")]
    if text is None:
        return None, []
    entries, wrong = parse_ledger(text)
    return entries, [Problem(LEDGER_LABEL, line, "ZN507", message) for line, message in wrong]


def release_entries(repo) -> dict[str, os.DirEntry]:
    """Everything in releases/ named like a version (folder or not, link or not)."""
    try:
        return {e.name: e for e in os.scandir(repo.releases_dir) if SEMVER.match(e.name)}
    except (FileNotFoundError, NotADirectoryError):
        return {}


def manifest_problem(repo, version: str, expected: str | None) -> str | None:
    """What keeps releases/<version>/manifest.json from being the manifest the ledger recorded."""
    folder = repo.release_dir(version)
    if folder.is_symlink():
        return f"releases/{version} is a symbolic link; a release is a real folder"
    if not folder.is_dir():
        return f"release {version} is in the ledger but releases/{version} is missing"
    path = folder / MANIFEST
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return f"release {version} is in the ledger but its manifest.json is missing"
    if stat.S_ISLNK(mode):
        return "manifest.json is a symbolic link; a release holds real files only"
    try:
        data = safeio.read_bytes(path, follow=False)
    except ZoomnewsError as e:
        return f"manifest.json cannot be read: {e.problems[0].message}"
    if expected is not None and sha256_bytes(data) != expected:
        return f"manifest.json is not the one released (its sha256 differs from releases/{LEDGER}); {RESTORE}"
    return None


def check_ledger(repo) -> list[Problem]:
    """ZN507: every release is in the ledger with its manifest's sha256, and every ledger line is a release."""
    entries, problems = ledger_entries(repo)
    present = release_entries(repo)
    for version, sha in sorted((entries or {}).items()):
        message = manifest_problem(repo, version, sha)
        if message:
            problems.append(Problem(f"{RELEASES_DIR}/{version}/{MANIFEST}", None, "ZN507", message))
    for version in sorted(set(present) - set(entries or {})):
        where = "there is no releases/RELEASES.lock" if entries is None else f"it is not in releases/{LEDGER}"
        problems.append(Problem(f"{RELEASES_DIR}/{version}", None, "ZN507",
                                f"release {version} is not recorded: {where}; releases are written only by `zoomnews release` / `zoomnews build`"))
    return problems


def check_release(repo, version: str, validator) -> list[Problem]:
    folder = repo.release_dir(version)
    label = repo.rel(folder / MANIFEST)
    try:
        manifest = json.loads(safeio.read_text(folder / MANIFEST, label, follow=False))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        return [Problem(label, None, "ZN506", f"unreadable manifest: {str(e)[:120]}")]
    except ZoomnewsError as e:
        return [Problem(label, None, "ZN506", f"unreadable manifest: {e.problems[0].message}")]
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
