"""The README is the Hugging Face dataset card: its YAML header says where each config's data is."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import yaml

# `datasets` (and zoomnews.release.configs, which imports it) only where a card is written: `validate`
# reads card_version and must not pay half a second to import it.

FENCE = "---\n"
# yaml.safe_load's loader, in C when PyYAML has libyaml: the card's header (dataset_info) takes the
# pure-Python one ~60 ms, a tenth of `validate` on the small corpus, for card_version alone.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def split_card(text: str) -> tuple[dict, str]:
    if not text.startswith(FENCE):
        return {}, text
    end = text.index("\n" + FENCE, len(FENCE) - 1)
    return yaml.load(text[len(FENCE): end + 1], Loader=SAFE_LOADER) or {}, text[end + 1 + len(FENCE):]


def join_card(header: dict, body: str) -> str:
    return FENCE + yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=1000) + FENCE + body


def configs_block(version: str, files: dict[str, list[str]] | None = None) -> list[dict]:
    from zoomnews.release.configs import CONFIGS

    block = []
    for name in CONFIGS:
        paths = [f"releases/{version}/{p}" for p in files[name]] if files else [f"releases/{version}/{name}/*.parquet"]
        entry = {"config_name": name, "data_files": [{"split": "train", "path": paths if len(paths) > 1 else paths[0]}]}
        if name == "default":
            entry["default"] = True
        block.append(entry)
    return block


def dataset_info_block(folder: Path, manifest: dict) -> list[dict]:
    """The card's `dataset_info` (features, rows, sizes per config), written by `datasets` itself from the manifest."""
    from datasets import Features
    from datasets.info import DatasetInfo, DatasetInfosDict
    from datasets.splits import SplitDict, SplitInfo

    infos = DatasetInfosDict()
    for name, entry in manifest["configs"].items():
        # uncompressed Parquet bytes: what the Hub shows as the dataset size, read from metadata only
        size = sum(pq.ParquetFile(folder / f["path"]).metadata.row_group(i).total_byte_size
                   for f in entry["files"] for i in range(pq.ParquetFile(folder / f["path"]).metadata.num_row_groups))
        splits = SplitDict()
        splits.add(SplitInfo("train", num_bytes=size, num_examples=entry["rows"]))
        infos[name] = DatasetInfo(features=Features.from_dict(entry["features"]), splits=splits,
                                  download_size=sum(f["bytes"] for f in entry["files"]), dataset_size=size)
    header: dict = {}
    infos.to_dataset_card_data(header)
    return header["dataset_info"]


def card_text(text: str, version: str, folder: Path) -> str:
    """README text `text` with its configs and dataset_info pointing at release `version`, whose
    files are in `folder` (the release, or the temporary folder it is being built in)."""
    from zoomnews.release.manifest import read_manifest

    header, body = split_card(text)
    header["configs"] = configs_block(version)
    header["dataset_info"] = dataset_info_block(folder, read_manifest(folder))
    return join_card(header, body)


def read_readme(repo) -> str:
    from zoomnews import safeio

    try:
        return safeio.read_text(repo.readme, "README.md")
    except FileNotFoundError:
        return ""


def point_card_at(repo, version: str) -> bool:
    """Point the README's configs and dataset_info at release `version`; True when the file changed.
    Written atomically (zoomnews.safeio)."""
    from zoomnews import safeio

    text = read_readme(repo)
    new = card_text(text, version, repo.release_dir(version))
    if new == text:
        return False
    safeio.write_file(repo.readme, new, repo.root)
    return True


def card_version(repo) -> str | None:
    """The release the README's default config points at."""
    header, _ = split_card(repo.readme.read_text(encoding="utf-8")) if repo.readme.exists() else ({}, "")
    for entry in header.get("configs", []):
        path = entry["data_files"][0]["path"]
        path = path[0] if isinstance(path, list) else path
        parts = path.split("/")
        if len(parts) > 2 and parts[0] == "releases":
            return parts[1]
    return None
