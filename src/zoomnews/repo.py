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
            return path.resolve().relative_to(self.root).as_posix()
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


def version_key(version: str) -> tuple:
    parts = version.split(".")
    return tuple(int(p) if p.isdigit() else -1 for p in parts)
