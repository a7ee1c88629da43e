"""The README is the Hugging Face dataset card: its YAML header says where each config's data is."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import yaml

from zoomnews.errors import Problem, ZoomnewsError

# `datasets` (and zoomnews.release.configs, which imports it) only where a card is written: `validate`
# reads card_version and must not pay half a second to import it.

FENCE = "---\n"
# yaml.safe_load's loader, in C when PyYAML has libyaml: the card's header (dataset_info) takes the
# pure-Python one ~60 ms, a tenth of `validate` on the small corpus, for card_version alone.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def split_card(text: str) -> tuple[dict, str]:
    """The README's YAML header (the dataset card's metadata) and the text after it. A header that is
    not closed or not a YAML mapping is ZN502: every reader of the card needs it."""
    if not text.startswith(FENCE):
        return {}, text
    end = text.find("\n" + FENCE, len(FENCE) - 1)
    if end < 0:
        raise ZoomnewsError(Problem("README.md", 1, "ZN502", f"the card's YAML header is not closed by a {FENCE.strip()} line"))
    try:
        header = yaml.load(text[len(FENCE): end + 1], Loader=SAFE_LOADER) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ZoomnewsError(Problem("README.md", mark.line + 2 if mark else 1, "ZN502", f"the card's YAML header is not YAML: {getattr(e, 'problem', None) or e}")) from None
    if not isinstance(header, dict):
        raise ZoomnewsError(Problem("README.md", 2, "ZN502", "the card's YAML header is not a mapping of fields"))
    return header, text[end + 1 + len(FENCE):]


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
        size = sum(_uncompressed_bytes(folder / f["path"]) for f in entry["files"])
        splits = SplitDict()
        splits.add(SplitInfo("train", num_bytes=size, num_examples=entry["rows"]))
        infos[name] = DatasetInfo(features=Features.from_dict(entry["features"]), splits=splits,
                                  download_size=sum(f["bytes"] for f in entry["files"]), dataset_size=size)
    header: dict = {}
    infos.to_dataset_card_data(header)
    return header["dataset_info"]


def _uncompressed_bytes(path: Path) -> int:
    metadata = pq.ParquetFile(path).metadata  # (opened once: a large release has hundreds of row groups a file)
    return sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))


def card_text(text: str, version: str, folder: Path, dataset_info: list | None = None) -> str:
    """README text `text` with its configs and dataset_info pointing at release `version`, whose
    files are in `folder` (the release, or the temporary folder it is being built in). `dataset_info`:
    that release's dataset_info_block, when already worked out (build's croissant process does)."""
    from zoomnews.release.manifest import read_manifest

    header, body = split_card(text)
    header["configs"] = configs_block(version)
    header["dataset_info"] = dataset_info if dataset_info is not None else dataset_info_block(folder, read_manifest(folder))
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
    header, _ = split_card(read_readme(repo))
    configs = header.get("configs")
    for entry in configs if isinstance(configs, list) else []:
        try:
            path = entry["data_files"][0]["path"]
            path = path[0] if isinstance(path, list) else path
            parts = path.split("/")
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # (not a config pointing anywhere: ZN502 says the card points at no release)
        if len(parts) > 2 and parts[0] == "releases":
            return parts[1]
    return None


# ---- the card's data instances, generated from the release (`zoomnews docs` keeps them true) -----------

SHOWN_DOCUMENT = "crn-2020-08-03"
SPOKESPERSON = "zoom-spokesperson-2020-08-03"
# config -> which row of the release the card shows: the first row (in the release's order) that matches
INSTANCES = {
    "default": lambda r: r["doc_id"] == SHOWN_DOCUMENT,
    "documents": lambda r: r["doc_id"] == SHOWN_DOCUMENT,
    "entities": lambda r: r["doc_id"] == SHOWN_DOCUMENT and r["text"] == "Zoom Video Communications",
    "timexes": lambda r: r["doc_id"] == SHOWN_DOCUMENT and r["text"] == "Monday",
    "quotes": lambda r: r["doc_id"] == SHOWN_DOCUMENT and r["statement_id"] == SPOKESPERSON,
    "ner": lambda r: r["doc_id"] == SHOWN_DOCUMENT,
    "attribution": lambda r: r["doc_id"] == SHOWN_DOCUMENT and r["statement_id"] == SPOKESPERSON,
    "statements": lambda r: r["id"] == SPOKESPERSON,
}
MAX_CHARACTERS, MAX_ITEMS, MAX_RECORDS = 48, 4, 1  # longer strings and lists are cut, visibly,
SLACK = 16  # but a string only when the cut saves at least this many characters
WIDTH = 100  # the card's JSON: as many fields a line as fit
# in `default`, the document columns shown (the others are those of `documents`); its nested layers
# are shown as counts (their records are the rows of their configs, without doc_id)
DEFAULT_SHOWN = ("doc_id", "text")


def _cut(value, top: bool = True):
    """A value as the card shows it: strings cut at MAX_CHARACTERS, lists at MAX_ITEMS (lists of
    records at MAX_RECORDS), each cut said in the value itself."""
    if isinstance(value, str) and len(value) > MAX_CHARACTERS + SLACK:
        return value[:MAX_CHARACTERS] + f"… [+{len(value) - MAX_CHARACTERS} characters]"
    if isinstance(value, list):
        keep = MAX_RECORDS if value and isinstance(value[0], dict) else MAX_ITEMS
        shown = [_cut(v, False) for v in value[:keep]]
        return shown + [f"… [+{len(value) - keep} more]"] if len(value) > keep else shown
    if isinstance(value, dict):
        return {k: _cut(v, False) for k, v in value.items()}
    return value


def _class_labels(row: dict, features: dict, prefix: str = "") -> list[str]:
    """`field = value (name)` for every ClassLabel value shown in `row` (each field once)."""
    found = []
    for name, feature in features.items():
        value = row.get(name) if isinstance(row, dict) else None
        kind = feature.get("_type") if isinstance(feature, dict) else None
        if kind == "ClassLabel" and isinstance(value, int):
            found.append(f"`{prefix}{name}` {value} {feature['names'][value]}")
        elif kind == "ClassLabel" and isinstance(value, list):  # a Sequence of labels (ner_tags)
            shown = sorted({v for v in value if isinstance(v, int)})
            found.append(f"`{prefix}{name}` " + ", ".join(f"{v} {feature['names'][v]}" for v in shown))
        elif kind == "List" and isinstance(value, list):
            inner = feature["feature"]
            if inner.get("_type") == "ClassLabel":
                shown = sorted({v for v in value if isinstance(v, int)})
                found.append(f"`{prefix}{name}` " + ", ".join(f"{v} {inner['names'][v]}" for v in shown))
            elif "_type" not in inner and value and isinstance(value[0], dict):
                found += _class_labels(value[0], inner, f"{prefix}{name}[0].")
        elif kind is None and isinstance(feature, dict) and isinstance(value, dict):
            found += _class_labels(value, feature, f"{prefix}{name}.")
    return found


def _default_row(row: dict, configs) -> dict:
    """A `default` row with the columns `documents` and the layer configs show said, not repeated."""
    nested = [c for c in row if c in configs]  # the nested layers: articles, zones, entities, timexes, quotes
    hidden = [c for c in row if c not in DEFAULT_SHOWN and c not in nested]
    shown = {c: row[c] for c in DEFAULT_SHOWN if c not in nested}
    shown["…"] = f"+{len(hidden)} columns, as in `documents`"
    for c in nested:
        count = f"{len(row[c])} record{'' if len(row[c]) == 1 else 's'}"
        shown[c] = row[c] if c in DEFAULT_SHOWN else [f"… {count}, as in `{c}` (no doc_id)"]
    return shown


def _json_lines(row: dict) -> str:
    """`row` as JSON, as many fields a line as fit in WIDTH."""
    import json

    pairs = [f"{json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}" for k, v in row.items()]
    lines, line = [], ""
    for pair in pairs:
        if line and len(line) + len(pair) + 2 > WIDTH:
            lines.append(line + ",")
            line = ""
        line = f"{line}, {pair}" if line else pair
    lines.append(line)
    return "{" + "\n ".join(lines) + "}"


def instance(repo, config: str, version: str) -> tuple[dict, list[str], int]:
    """The row the card shows for `config` (cut), the ClassLabel names of its values, and the config's rows."""
    from zoomnews.release.manifest import read_manifest

    folder = repo.release_dir(version)
    configs = read_manifest(folder)["configs"]
    entry = configs[config]
    for file in entry["files"]:
        for row in pq.read_table(folder / file["path"]).to_pylist():
            if INSTANCES[config](row):
                if config == "default":
                    row = _default_row(row, configs)
                shown = _cut(row)
                return shown, _class_labels(shown, entry["features"]), entry["rows"]
    raise ValueError(f"release {version} has no row of {config} to show")


def instances_block(repo, version: str | None = None) -> str:
    """One real row per main config of release `version` (default: the one the card points at)."""
    version = version or card_version(repo) or repo.dataset_version
    parts = []
    for config in INSTANCES:
        row, labels, rows = instance(repo, config, version)
        part = f"**`{config}`** ({rows} rows)\n\n```json\n{_json_lines(row)}\n```"
        if labels:
            part += "\n\nClassLabels: " + "; ".join(labels) + "."
        parts.append(part)
    return f"From release {version}.\n\n" + "\n\n".join(parts)
