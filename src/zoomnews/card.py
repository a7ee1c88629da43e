"""The README is the Hugging Face dataset card: its YAML header says where each config's data is."""

from __future__ import annotations

import yaml

from zoomnews.configs import CONFIGS

FENCE = "---\n"


def split_card(text: str) -> tuple[dict, str]:
    if not text.startswith(FENCE):
        return {}, text
    end = text.index("\n" + FENCE, len(FENCE) - 1)
    return yaml.safe_load(text[len(FENCE): end + 1]) or {}, text[end + 1 + len(FENCE):]


def join_card(header: dict, body: str) -> str:
    return FENCE + yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=1000) + FENCE + body


def configs_block(version: str, files: dict[str, list[str]] | None = None) -> list[dict]:
    block = []
    for name in CONFIGS:
        paths = [f"releases/{version}/{p}" for p in files[name]] if files else [f"releases/{version}/{name}/*.parquet"]
        entry = {"config_name": name, "data_files": [{"split": "train", "path": paths if len(paths) > 1 else paths[0]}]}
        if name == "default":
            entry["default"] = True
        block.append(entry)
    return block


def point_card_at(repo, version: str) -> bool:
    """Point the README's configs at `version`; True when the file changed."""
    text = repo.readme.read_text(encoding="utf-8") if repo.readme.exists() else ""
    header, body = split_card(text)
    header["configs"] = configs_block(version)
    new = join_card(header, body)
    if new == text:
        return False
    repo.readme.write_text(new, encoding="utf-8")
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
