"""A release's manifest: what it was built from, what it holds, and checksums to prove it; and the
ledger releases/RELEASES.lock, tracked in git, that holds each release's manifest checksum.

The ledger is what makes a release tamper-evident from git: editing a released Parquet file *and*
its manifest's sha256 still changes the manifest's own sha256, which the ledger records; deleting a
release leaves its ledger line without a folder. Its format, one release a line, sorted by version:

    # comment lines (the header says who writes and who checks the file)
    1.1.0 sha256:<hex sha256 of releases/1.1.0/manifest.json, its bytes as written>
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from zoomnews.repo import RAW_DIR, SEMVER, version_key
from zoomnews.sources.schemas import KINDS

MANIFEST = "manifest.json"
LEDGER_HEADER = (
    "# zoomnews release ledger: one line per release, `VERSION sha256:HEX`, HEX the sha256 of that release's\n"
    "# manifest.json bytes. Written by `zoomnews release` and `zoomnews build` (never by hand); checked by\n"
    "# `zoomnews validate` (ZN507) and by zoomnews.load. Tracked in git: releases are immutable.\n"
)
LEDGER_LINE = re.compile(r"^(\S+) sha256:([0-9a-f]{64})$")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_files(repo) -> Iterator[str]:
    """The files a build reads, relative to the repository: schemas, provenance, raw texts,
    registries and layers; in path order (by path components, as pathlib sorts)."""
    from zoomnews.sources.schemas import load_kinds

    kinds = load_kinds(repo)
    files = {f"schema/{k}.schema.json" for k in KINDS} | {kinds[k].source for k in KINDS}
    names = []
    if repo.raw_dir.is_dir():
        with os.scandir(repo.raw_dir) as listing:  # names, not Path objects: a corpus has 100k raw files
            names = [entry.name for entry in listing if entry.name.endswith(".txt")]
    names.sort()  # the raw files share one folder, so among them path order is name order
    # the few other files sorted by components, the raw files where their folder sorts (a
    # component-split key for every raw path would cost ~200 bytes a file at build's peak)
    folder = f"{RAW_DIR}/"
    for relative in sorted(files | {folder}, key=lambda relative: relative.split("/")):
        if relative == folder:
            yield from (f"{folder}{name}" for name in names)
        else:
            yield relative


class RawDigests:
    """The sha256 of the raw files validate hashed, by repository-relative path, for
    `sources_sha256`: doc_ids in one sorted fixed-width array and 32-byte digests beside them (at
    300k documents about 16 MB, where a dict of hex strings by path costs about 60)."""

    def __init__(self, doc_ids: np.ndarray, digests: bytes):
        self.doc_ids, self.digests = doc_ids, digests

    @classmethod
    def of(cls, parts: list[tuple[np.ndarray, bytes]]) -> "RawDigests":
        """From consecutive ranges of documents, each (sorted doc_ids, their digests)."""
        parts = [p for p in parts if len(p[0])]
        if not parts:
            return cls(np.zeros(0, dtype="S1"), b"")
        return cls(np.concatenate([ids for ids, _ in parts]), b"".join(digests for _, digests in parts))

    def get_many(self, relatives: list[str]) -> list[str | None]:
        """The hex digest of each of `relatives` (repository-relative paths; None for a path that is
        not a raw file of a known doc_id), looked up together: a build asks for 100k at a time."""
        folder = f"{RAW_DIR}/"
        keys = [relative[len(folder):-len(".txt")].encode("ascii") if relative.startswith(folder) and relative.endswith(".txt") and relative.isascii()
                else None for relative in relatives]
        asked = [k for k, key in enumerate(keys) if key is not None]
        found: list[str | None] = [None] * len(relatives)
        if not asked or not len(self.doc_ids):
            return found
        wanted = np.array([keys[k] for k in asked], dtype=bytes)
        at = np.searchsorted(self.doc_ids, wanted)
        hit = (at < len(self.doc_ids)) & (self.doc_ids[np.minimum(at, len(self.doc_ids) - 1)] == wanted)
        every = self.digests.hex()
        for k, i in zip(np.asarray(asked)[hit].tolist(), at[hit].tolist()):
            found[k] = every[64 * i:64 * (i + 1)]
        return found


SUMMED = 10_000  # source paths looked up and summed at a time (a list of every raw path would cost ~100 bytes a file)


def sources_sha256(repo, known: RawDigests | dict[str, str] | None = None) -> str:
    """One checksum over every source file's path and checksum; `known` holds checksums already
    computed from the same bytes (validate's of the raw texts), so those files are not read again."""
    known = known or {}
    digest = hashlib.sha256()
    relatives = source_files(repo)
    while batch := list(itertools.islice(relatives, SUMMED)):
        checksums = known.get_many(batch) if isinstance(known, RawDigests) else [known.get(relative) for relative in batch]
        for relative, checksum in zip(batch, checksums):
            digest.update(f"{relative}\0{checksum or sha256_file(repo.path(relative))}\n".encode())
    return digest.hexdigest()


def features_fingerprint(features: dict[str, dict]) -> str:
    """`features`: config -> its features in Features.to_dict() form."""
    canonical = json.dumps(dict(sorted(features.items())), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def file_entry(folder: Path, relative: str) -> dict:
    path = folder / relative
    return {"path": relative, "sha256": sha256_file(path), "bytes": path.stat().st_size}


def make_manifest(repo, version: str, folder: Path, files: dict[str, list[str]], features: dict[str, dict], encoding: dict | None,
                  known: RawDigests | None = None) -> dict:
    """`features`: config -> its features in Features.to_dict() form; `encoding`: how the Parquet
    files were compressed, recorded (None: not recorded, as the releases up to 1.2.0 were written:
    UNRECORDED_ENCODING)."""
    from importlib.metadata import version as installed  # `datasets` is not imported: build's process never needs it

    from zoomnews import __version__

    configs = {}
    for name, relatives in files.items():
        entries = []
        for relative in relatives:
            entries.append({**file_entry(folder, relative), "rows": pq.ParquetFile(folder / relative).metadata.num_rows})
        configs[name] = {
            "rows": sum(e["rows"] for e in entries),
            "features": features[name],
            "files": entries,
        }
    return {
        "name": "zoomnews",
        "version": version,
        "sources_sha256": sources_sha256(repo, known),
        "schema_fingerprint": features_fingerprint(features),
        "built_with": {"zoomnews": __version__, "pyarrow": pa.__version__, "datasets": installed("datasets")},
        **({} if encoding is None else {"parquet": encoding}),
        "configs": configs,
    }


def release_encoding(manifest: dict) -> dict | None:
    """How a release's Parquet files were compressed, as its manifest records it (None: not recorded,
    UNRECORDED_ENCODING)."""
    return manifest.get("parquet")


def encoding_problem(manifest: dict) -> str | None:
    """What the schema cannot say about a manifest's "parquet" record: JSON Schema takes 3.0 for an
    integer, and a ParquetWriter given it fails."""
    record = manifest.get("parquet")
    level = record.get("compression_level") if isinstance(record, dict) else None
    if level is not None and type(level) is not int:
        return f"parquet compression_level {level!r} is not an integer as JSON writes one (3, not 3.0)"
    return None


def read_manifest(release_dir: Path) -> dict:
    with open(release_dir / MANIFEST, encoding="utf-8") as f:
        return json.load(f)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_text(manifest: dict) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


# --- the ledger ---------------------------------------------------------------------------------

def parse_ledger(text: str) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """(version -> manifest sha256, [(line number, what is wrong)]) of a ledger's text."""
    entries: dict[str, str] = {}
    wrong: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = LEDGER_LINE.match(line)
        if not match or not SEMVER.match(match.group(1)):
            wrong.append((number, f"not `VERSION sha256:HEX`: {line[:80]!r}"))
        elif match.group(1) in entries:
            wrong.append((number, f"release {match.group(1)} listed twice"))
        else:
            entries[match.group(1)] = match.group(2)
    return entries, wrong


def ledger_with(text: str | None, version: str, sha256: str) -> str:
    """The ledger's text with `version` recorded as `sha256`: comment lines kept on top (the header
    when there is none yet), release lines sorted by version. Lines it cannot read are kept as they
    are, for validate to report."""
    lines = (text or "").split("\n")
    comments = [line for line in lines if line.startswith("#")] or LEDGER_HEADER.rstrip("\n").split("\n")
    releases = [line for line in lines if line.strip() and not line.startswith("#")]
    releases = [line for line in releases if line.split(" ", 1)[0] != version] + [f"{version} sha256:{sha256}"]
    releases.sort(key=lambda line: version_key(line.split(" ", 1)[0]))
    return "\n".join(comments + releases) + "\n"


def read_ledger(repo) -> str | None:
    """The ledger's text, None when there is none; a symbolic link or unreadable file raises."""
    from zoomnews import safeio

    try:
        return safeio.read_text(repo.ledger_path, repo.rel(repo.ledger_path), follow=False)
    except FileNotFoundError:
        return None


# --- verifying released files -------------------------------------------------------------------

_VERIFIED: dict[tuple, str] = {}  # (path, device, inode, size, mtime_ns, ctime_ns) -> sha256 found
RACY_SECONDS = 2  # a file changed this recently is hashed again next time: timestamps are coarse


def file_problem(path: Path, sha256: str, size: int) -> str | None:
    """What is wrong with the released file at `path` (None: it is a regular file with that size and
    sha256). Checked results are remembered per (path, size, mtime, ctime, inode), so loading the
    same release again costs one stat per file; any write changes ctime and is hashed again."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "released file is missing"
    except OSError as e:
        return f"released file cannot be read: {e.strerror}"
    if stat.S_ISLNK(info.st_mode):
        return "released file is a symbolic link; a release holds real files only"
    if not stat.S_ISREG(info.st_mode):
        return "released file is not a regular file"
    if info.st_size != size:
        return f"released file changed since release: {info.st_size} bytes, the manifest says {size}"
    key = (str(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    if _VERIFIED.get(key) == sha256:
        return None
    digest = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        return f"released file cannot be read: {e.strerror}"
    with os.fdopen(fd, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    found = digest.hexdigest()
    if found != sha256:
        return "released file changed since release (sha256 differs from the manifest)"
    if time.time() - max(info.st_mtime_ns, info.st_ctime_ns) / 1e9 > RACY_SECONDS:
        _VERIFIED[key] = found
    return None
