"""Read the four annotation layers from a folder laid out like annotations/ (for agree and score)."""

from __future__ import annotations

from pathlib import Path

from zoomnews.errors import ZoomnewsError
from zoomnews.jsonl import read_jsonl

LAYERS = ("zones", "entities", "timexes", "quotes")
# source kind -> its layer's name (file annotations/<name>.jsonl, config <name>)
LAYER_OF_KIND = {"zone": "zones", "entity": "entities", "timex": "timexes", "quote": "quotes"}


def read_layers(folder: str | Path) -> dict[str, list[dict]]:
    folder = Path(folder)
    layers, problems = {}, []
    for layer in LAYERS:
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
