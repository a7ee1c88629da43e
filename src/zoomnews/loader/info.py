"""Row counts per config and release, read from the manifests."""

from __future__ import annotations

from zoomnews.release.configs import CONFIGS
from zoomnews.release.manifest import read_manifest


def release_rows(repo) -> tuple[list[str], dict[str, dict[str, int]]]:
    versions = repo.released_versions()
    rows: dict[str, dict[str, int]] = {config: {} for config in CONFIGS}
    for version in versions:
        for config, entry in read_manifest(repo.release_dir(version))["configs"].items():
            rows.setdefault(config, {})[version] = entry["rows"]
    return versions, rows
