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


def read_layers(folder: str | Path, names=LAYER_FILES, kinds=None, texts: dict[str, str] | None = None) -> dict[str, list[dict]]:
    """The records of each layer of `names` in `folder` (none for a layer without a file), each one
    that agree and score can compare (spans): a JSON object whose doc_id is a string, whose start and
    end are integers with 0 <= start < end (and end within its document's text when `texts` holds
    it: ZN601), and whose label (a timex's or quotation's type) is one of its layer's schema (ZN602),
    named by file and line; its other fields are read as they are. `kinds`: the layers' schemas
    (default: the package's)."""
    from zoomnews.formats.common import CODEPOINTS, LABEL_FIELD, At, label, need
    from zoomnews.sources.schemas import load_kinds

    kinds = kinds or load_kinds()
    kind_of = {name: kind for kind, name in LAYER_NAMES.items()}
    folder = Path(folder)
    layers, problems = {}, []
    for layer in names:
        path = folder / f"{layer}.jsonl"
        if not path.exists():
            layers[layer] = []
            continue
        records, bad = read_jsonl(path, str(path))
        problems.extend(bad)
        kind = kind_of[layer]
        for line, record in records:
            at = At(str(path), line)
            try:
                need(record.get("doc_id"), str, at, "doc_id")
                CODEPOINTS.span((texts or {}).get(record["doc_id"]), record.get("start"), record.get("end"), at)
                label(kinds, kind, record.get(LABEL_FIELD[kind]), at)
            except ZoomnewsError as e:
                problems.extend(e.problems)
        layers[layer] = [data for _, data in records]
    if problems:
        raise ZoomnewsError(problems)
    return layers
