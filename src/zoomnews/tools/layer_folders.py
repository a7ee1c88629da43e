"""Read the four annotation layers from a folder laid out like annotations/ (for agree and score)."""

from __future__ import annotations

from pathlib import Path

from zoomnews.errors import ZoomnewsError
from zoomnews.sources.jsonl import read_jsonl
from zoomnews.sources.schemas import LAYER_NAMES, SPAN_KINDS

LAYER_FILES = tuple(LAYER_NAMES[kind] for kind in SPAN_KINDS)  # <name>.jsonl in a folder laid out like annotations/


def read_layers(folder: str | Path) -> dict[str, list[dict]]:
    folder = Path(folder)
    layers, problems = {}, []
    for layer in LAYER_FILES:
        path = folder / f"{layer}.jsonl"
        if not path.exists():
            layers[layer] = []
            continue
        records, bad = read_jsonl(path, str(path))
        problems.extend(bad)
        layers[layer] = [data for _, data in records]
    if problems:
        raise ZoomnewsError(problems)
    return layers
