"""Level 5: released files are what their manifest says, every manifest is what the ledger
releases/RELEASES.lock (tracked in git) recorded, no release is half-written, and the card points
at a real release."""

from __future__ import annotations

import json
import os
import stat
from functools import cached_property

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq

from zoomnews import safeio
from zoomnews.release.card import card_version
from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.release.manifest import MANIFEST, encoding_problem, parse_ledger, read_ledger, sha256_bytes, sha256_file
from zoomnews.repo import JOURNAL, LEDGER, RELEASES_DIR, SEMVER
from zoomnews.sources.schemas import load_schema

LEDGER_LABEL = f"{RELEASES_DIR}/{LEDGER}"
RESTORE = "releases are immutable: restore it from version control"


def manifest_validator(repo):
    return jsonschema.Draft202012Validator(load_schema(repo.path("schema/manifest.schema.json")))


def check_releases(repo) -> list[Problem]:
    problems = check_journal(repo) + check_ledger(repo)
    validator = manifest_validator(repo)
    for version in repo.released_versions():
        problems.extend(check_release(repo, version, validator))
    try:
        pointed = card_version(repo)
    except ZoomnewsError as e:
        problems.extend(e.problems)
        pointed = None
    if os.path.lexists(repo.root / "pyproject.toml"):  # (a checkout has one; the version build would write)
        try:
            repo.dataset_version
        except ZoomnewsError as e:
            problems.extend(e.problems)
    if pointed is not None and pointed not in repo.released_versions():
        problems.append(Problem("README.md", None, "ZN502", f"configs point at release {pointed}, which does not exist"))
    return problems


def check_journal(repo) -> list[Problem]:
    """ZN508: a journal means a release is being written right now, or was interrupted."""
    if not os.path.lexists(repo.journal_path):
        return []
    from zoomnews.release.building import journal_summary, lock_holder  # only now: building imports `datasets`

    label = f"{RELEASES_DIR}/{JOURNAL}"
    holder = lock_holder(repo)
    if holder:
        return [Problem(label, None, "ZN508", f"a release is being written right now (releases/.lock held by {holder}); validate again when it is done")]
    return [Problem(label, None, "ZN508", journal_summary(repo))]


def ledger_entries(repo) -> tuple[dict[str, str] | None, list[Problem]]:
    """The ledger's (version -> manifest sha256), None when there is no ledger; and its problems."""
    try:
        text = read_ledger(repo)
    except ZoomnewsError as e:  # (a link, a FIFO, not UTF-8: safeio.read_text's problem)
        return {}, [Problem(LEDGER_LABEL, None, "ZN507", f"unreadable ledger: {e.problems[0].message}")]
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


def verified_manifest(repo: CorpusRepo, version: str) -> dict:
    """Release `version`'s manifest, checked against the ledger releases/RELEASES.lock (ZN507)."""
    label = f"releases/{version}/{MANIFEST}"
    entries, problems = ledger_entries(repo)
    if problems:
        raise ZoomnewsError(problems)
    if entries is None:
        raise ZoomnewsError(Problem(label, None, "ZN507", f"there is no releases/{LEDGER} (the ledger of released manifests), so release {version} "
                                                          "cannot be verified; restore it from version control"))
    if version not in entries:
        raise ZoomnewsError(Problem(label, None, "ZN507", f"release {version} is not recorded in releases/{LEDGER}; it cannot be verified"))
    message = manifest_problem(repo, version, entries[version])
    if message:
        raise ZoomnewsError(Problem(label, None, "ZN507", message))
    data = safeio.read_bytes(repo.release_dir(version) / MANIFEST, label, follow=False)
    if sha256_bytes(data) != entries[version]:  # read again: the bytes parsed are the bytes checked
        raise ZoomnewsError(Problem(label, None, "ZN507", f"manifest.json is not the one released (its sha256 differs from releases/{LEDGER})"))
    return json.loads(data.decode("utf-8"))


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
    except (OSError, ValueError) as e:
        return [Problem(label, None, "ZN506", f"unreadable manifest: {str(e)[:120]}")]
    except ZoomnewsError as e:
        return [Problem(label, None, "ZN506", f"unreadable manifest: {e.problems[0].message}")]
    errors = list(validator.iter_errors(manifest))
    if errors:
        return [Problem(label, None, "ZN506", f"manifest does not match schema/manifest.schema.json: {e.message[:120]}") for e in errors[:5]]
    if (problem := encoding_problem(manifest)):
        return [Problem(label, None, "ZN506", problem)]
    if manifest["version"] != version:
        return [Problem(label, None, "ZN506", f"manifest says version {manifest['version']}, folder says {version}")]
    problems, listed = [], {MANIFEST}
    for name, config in manifest["configs"].items():
        declared = Declared(config["features"])
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


def check_file(repo, folder, entry: dict, declared: Declared) -> list[Problem]:
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
    if not schema_matches(parquet.schema_arrow, declared):
        problems.append(Problem(where, None, "ZN504", "Parquet schema differs from the features declared in the manifest"))
    return problems


# ZN504 without `datasets` (importing it costs `validate` about half a second): the Arrow type
# datasets.Features gives each feature form a release holds, from pyarrow alone. Any other form
# (another dtype, an alias such as "double", an `id` key, Sequence, LargeList...) is left to `datasets`.
VALUE_TYPES = {"string": pa.string(), "large_string": pa.large_string(), "bool": pa.bool_(),
               "int8": pa.int8(), "int16": pa.int16(), "int32": pa.int32(), "int64": pa.int64(),
               "uint8": pa.uint8(), "uint16": pa.uint16(), "uint32": pa.uint32(), "uint64": pa.uint64(),
               "float32": pa.float32(), "float64": pa.float64()}


def arrow_type(feature) -> pa.DataType | None:
    """The Arrow type `datasets` gives one feature in its to_dict() form, for Value of a plain dtype,
    ClassLabel by distinct string names, List, and a dict of features; None for any other form."""
    if not isinstance(feature, dict):
        return None
    if "_type" not in feature:
        types = {name: arrow_type(sub) for name, sub in feature.items()}
        return None if any(t is None for t in types.values()) else pa.struct(types)
    kind, keys = feature["_type"], set(feature) - {"_type"}
    if kind == "Value" and keys == {"dtype"} and isinstance(feature["dtype"], str):
        return VALUE_TYPES.get(feature["dtype"])
    if kind == "ClassLabel" and keys == {"names"}:
        names = feature["names"]
        distinct = isinstance(names, list) and all(isinstance(n, str) for n in names) and len(set(names)) == len(names)
        return pa.int64() if distinct else None
    if kind == "List" and keys == {"feature"}:
        item = arrow_type(feature["feature"])
        return None if item is None else pa.list_(item)
    return None


def declared_schema(features) -> pa.Schema | None:
    """`datasets.Features.from_dict(features).arrow_schema` but for its metadata, or None when only
    `datasets` can tell (see arrow_type)."""
    if not isinstance(features, dict) or "_type" in features:
        return None
    struct = arrow_type(features)
    return None if struct is None else pa.schema(struct)


class Declared:
    """A config's features as its manifest declares them (datasets.Features.to_dict() form)."""

    def __init__(self, features: dict):
        self.features = features
        self.arrow = declared_schema(features)
        self.as_json = json.dumps(features)
        if self.arrow is None:  # as before, features that `datasets` refuses raise here
            _ = self.hf

    @cached_property
    def hf(self):
        from datasets import Features

        return Features.from_dict(self.features)


def metadata_features(schema: pa.Schema) -> str | None:
    """The features a Parquet schema's `huggingface` metadata declares, as JSON; None if it declares none
    (or is not JSON: `datasets` then decides, as it always did)."""
    try:
        metadata = json.loads((schema.metadata or {})[b"huggingface"].decode())
    except (KeyError, ValueError):
        return None
    info = metadata.get("info") if isinstance(metadata, dict) else None
    features = info.get("features") if isinstance(info, dict) else None
    return None if features is None else json.dumps(features)


def matches_without_datasets(schema: pa.Schema, declared: Declared) -> bool:
    """The case `build` writes, decided with pyarrow alone: the columns are the declared ones and the
    schema's `huggingface` metadata declares the very same features (same JSON). Then
    Features.from_arrow_schema takes every column's feature from that metadata (each column equals
    the metadata's field), so it returns the declared features: schema_matches holds."""
    return declared.arrow is not None and schema.equals(declared.arrow, check_metadata=False) and metadata_features(schema) == declared.as_json


def schema_matches(schema: pa.Schema, declared: Declared) -> bool:
    """ZN504's rule, as it always was: with `features = datasets.Features.from_dict(declared)`,
    `Features.from_arrow_schema(schema) == features and schema.equals(features.arrow_schema, check_metadata=False)`.
    `datasets` is imported only when pyarrow alone cannot tell (tests/test_release_schema.py checks
    that both agree on every released file and on mutations of them)."""
    if matches_without_datasets(schema, declared):
        return True
    from datasets import Features

    features = declared.hf
    return Features.from_arrow_schema(schema) == features and schema.equals(features.arrow_schema, check_metadata=False)
