"""Where things live in a corpus repository (a checkout), so every command can take a PATH."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError

RAW_DIR = "corpus/raw"
RELEASES_DIR = "releases"
SCHEMA_DIR = "schema"


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
        """The version `build` writes: [tool.zoomnews] dataset-version in pyproject.toml."""
        with open(self.root / "pyproject.toml", "rb") as f:
            return tomllib.load(f)["tool"]["zoomnews"]["dataset-version"]

    def released_versions(self) -> list[str]:
        if not self.releases_dir.is_dir():
            return []
        versions = [p.name for p in self.releases_dir.iterdir() if (p / "manifest.json").is_file()]
        return sorted(versions, key=version_key)


def scaffold(root: Path, schemas: Path, version: str = "1.0.0", title: str = "zoomnews corpus") -> CorpusRepo:
    """A new, empty corpus repository at `root` (replacing what is there) with the JSON Schemas copied
    from `schemas`: for generated corpora (tests, benchmarks) and new projects."""
    import shutil

    root = Path(root)
    if root.exists():
        shutil.rmtree(root)
    (root / RAW_DIR).mkdir(parents=True)
    (root / "annotations" / "registry").mkdir(parents=True)
    shutil.copytree(schemas, root / SCHEMA_DIR)
    (root / "pyproject.toml").write_text(f'[tool.zoomnews]\ndataset-version = "{version}"\n', encoding="utf-8")
    (root / "README.md").write_text(f"---\nconfigs: []\n---\n# {title}\n", encoding="utf-8")
    return CorpusRepo(root)


def version_key(version: str) -> tuple:
    parts = version.split(".")
    return tuple(int(p) if p.isdigit() else -1 for p in parts)
