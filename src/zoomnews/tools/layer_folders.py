"""Read the four annotation layers from a folder laid out like annotations/ (for agree and score)."""

from __future__ import annotations

from pathlib import Path

from zoomnews.errors import ZoomnewsError
from zoomnews.sources.jsonl import read_jsonl
from zoomnews.sources.schemas import LAYER_NAMES, SPAN_KINDS

LAYER_FILES = tuple(LAYER_NAMES[kind] for kind in SPAN_KINDS)  # <name>.jsonl in a folder laid out like annotations/


def layers_in(folder: str | Path) -> list[str]:
    """The layers `folder` holds a file of, in LAYER_FILES order."""
    return [layer for layer in LAYER_FILES if (Path(folder) / f"{layer}.jsonl").exists()]


def read_layers(folder: str | Path, names=LAYER_FILES) -> dict[str, list[dict]]:
    """The records of each layer of `names` in `folder` (none for a layer without a file)."""
    folder = Path(folder)
    layers, problems = {}, []
    for layer in names:
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
