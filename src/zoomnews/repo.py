"""Where things live in a corpus repository (a checkout), so every command can take a PATH."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError

RAW_DIR = "corpus/raw"
ANNOTATIONS_DIR = "annotations"
AGREEMENT_DIR = "annotations/agreement"  # one folder per second annotation pass, laid out like annotations/
RELEASES_DIR = "releases"
SCHEMA_DIR = "schema"
SEMVER = re.compile(r"\A(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\Z")  # \Z: `$` would let a final newline in
LEDGER = "RELEASES.lock"  # tracked: one line per release with its manifest's sha256 (zoomnews.release.manifest)
LOCK = ".lock"  # untracked: held (flock) by the one process writing releases
JOURNAL = ".journal.json"  # untracked: present only while a release is being written (or was interrupted)
RELEASE_TEMP_PREFIX = ".tmp-"  # a release being built, before it is renamed into place


@dataclass(frozen=True)
class CorpusRepo:
    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root).resolve())

    @classmethod
    def find(cls, path: str | Path | None = None) -> "CorpusRepo":
        """The repository at `path`, or the one containing the current directory."""
        if isinstance(path, CorpusRepo):
            return path
        start = Path(path if path is not None else Path.cwd()).resolve()
        candidates = [start] if path is not None else [start, *start.parents]
        for candidate in candidates:
            if (candidate / SCHEMA_DIR).is_dir() and (candidate / "corpus").is_dir():
                return cls(candidate)
        raise ZoomnewsError(Problem(str(start), None, "ZN904", "not a zoomnews corpus repository (no schema/ and corpus/ here)"))

    def path(self, relative: str) -> Path:
        return self.root / relative

    def rel(self, path: Path) -> str:
        try:
            return Path(path).relative_to(self.root).as_posix()  # the common case, without a system call
        except ValueError:
            pass
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    @property
    def raw_dir(self) -> Path:
        return self.root / RAW_DIR

    def raw_path(self, doc_id: str) -> Path:
        return self.raw_dir / f"{doc_id}.txt"

    @property
    def releases_dir(self) -> Path:
        return self.root / RELEASES_DIR

    def release_dir(self, version: str) -> Path:
        return self.releases_dir / version

    @property
    def readme(self) -> Path:
        return self.root / "README.md"

    @property
    def dataset_version(self) -> str:
        """The version `build` writes: [tool.zoomnews] dataset-version in pyproject.toml (ZN509 when
        the file is not TOML or holds no such version; ZN101 when it is missing)."""
        from zoomnews import safeio

        try:
            text = safeio.read_text(self.root / "pyproject.toml", "pyproject.toml")
        except FileNotFoundError:
            raise ZoomnewsError(Problem("pyproject.toml", None, "ZN101", "missing; it holds [tool.zoomnews] dataset-version")) from None
        try:
            version = tomllib.loads(text)["tool"]["zoomnews"]["dataset-version"]
        except tomllib.TOMLDecodeError as e:
            at = re.search(r"\(at line (\d+), column \d+\)", str(e))
            raise ZoomnewsError(Problem("pyproject.toml", int(at.group(1)) if at else None, "ZN509", f"not TOML: {e}")) from None
        except (KeyError, TypeError):
            raise ZoomnewsError(Problem("pyproject.toml", None, "ZN509", "no [tool.zoomnews] dataset-version")) from None
        if not isinstance(version, str) or not SEMVER.match(version):
            raise ZoomnewsError(Problem("pyproject.toml", None, "ZN509", f"[tool.zoomnews] dataset-version {version!r} is not MAJOR.MINOR.PATCH"))
        return version

    @property
    def ledger_path(self) -> Path:
        return self.releases_dir / LEDGER

    @property
    def journal_path(self) -> Path:
        return self.releases_dir / JOURNAL

    @property
    def lock_path(self) -> Path:
        return self.releases_dir / LOCK

    def released_versions(self) -> list[str]:
        """The releases present: real folders (not symbolic links) named MAJOR.MINOR.PATCH holding a
        regular manifest.json. Temporary and hidden folders are never releases; releases/RELEASES.lock
        says which releases must be here (zoomnews.checks.releases)."""
        try:
            listing = list(os.scandir(self.releases_dir))
        except (FileNotFoundError, NotADirectoryError):
            return []
        versions = []
        for entry in listing:
            if not SEMVER.match(entry.name) or not entry.is_dir(follow_symlinks=False):
                continue
            try:
                if stat.S_ISREG(os.lstat(os.path.join(entry.path, "manifest.json")).st_mode):
                    versions.append(entry.name)
            except OSError:
                continue
        return sorted(versions, key=version_key)


def scaffold(root: Path, schemas: Path, version: str = "1.0.0", title: str = "zoomnews corpus") -> CorpusRepo:
    """A new, empty corpus repository at `root` with the JSON Schemas copied from `schemas`: for
    generated corpora (tests, benchmarks) and new projects. An existing `root` is replaced only when
    it is empty or an earlier scaffold (it holds safeio.MARKER); anything else is refused (ZN909)."""
    import json
    import shutil

    from zoomnews import safeio

    root = Path(root)
    if root.is_symlink():
        raise safeio.unsafe(root, f"{root} is a symbolic link; zoomnews never writes through one")
    if root.exists():
        if not root.is_dir():
            raise safeio.unsafe(root, f"{root} exists and is not a folder")
        if any(True for _ in root.iterdir()) and not (root / safeio.MARKER).is_file():
            raise safeio.unsafe(root, f"{root} is not empty and was not made by zoomnews (no {safeio.MARKER}); choose a new folder")
        shutil.rmtree(root)
    (root / RAW_DIR).mkdir(parents=True)
    (root / "annotations" / "registry").mkdir(parents=True)
    shutil.copytree(schemas, root / SCHEMA_DIR)
    safeio.write_files({
        root / safeio.MARKER: json.dumps({"written_by": "zoomnews scaffold"}) + "\n",
        root / "pyproject.toml": f'[tool.zoomnews]\ndataset-version = "{version}"\n',
        root / "README.md": f"---\nconfigs: []\n---\n# {title}\n",
    }, root)
    return CorpusRepo(root)


def version_key(version: str) -> tuple:
    parts = version.split(".")
    return tuple(int(p) if p.isdigit() else -1 for p in parts)
