"""What every exchange format shares: a Bundle (texts + the four span layers), span type names, and
restoring what a lossy format cannot carry from the records it was exported from.

Offsets inside a Bundle are always code points. Each format converts at its edge (its module says
which unit it uses) and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.offsets import OffsetError, OffsetMap
from zoomnews.schemas import load_kinds

LAYERS = ("zone", "entity", "timex", "quote")
LABEL_FIELD = {"zone": "label", "entity": "label", "timex": "type", "quote": "type"}
ID_PREFIX = {"zone": "z", "entity": "e", "timex": "t", "quote": "q"}
# span type names shared by brat, doccano and CoNLL: entities keep their OntoNotes label
TYPE_PREFIX = {"zone": "Zone_", "timex": "TIMEX3_", "quote": "Quote_"}
CUE, SOURCE = "Cue", "Source"  # a quotation's cue and source spans, linked to it by relations
SPAN_PARTS = ("cue", "source")


@dataclass
class Bundle:
    texts: dict[str, str]
    layers: dict[str, list[dict]] = field(default_factory=lambda: {layer: [] for layer in LAYERS})

    def records(self, layer: str, doc_id: str) -> list[dict]:
        return [r for r in self.layers[layer] if r["doc_id"] == doc_id]


def bundle_from_repo(repo, doc_ids: list[str] | None = None) -> Bundle:
    from zoomnews.sources import canonical_key, read_corpus

    corpus = read_corpus(repo)
    if corpus.problems:
        raise ZoomnewsError(corpus.problems)
    chosen = sorted(corpus.texts) if not doc_ids else doc_ids
    unknown = [d for d in chosen if d not in corpus.texts]
    if unknown:
        raise ZoomnewsError(Problem("corpus/documents.jsonl", None, "ZN401", f"no document {', '.join(unknown)}"))
    layers = {layer: sorted((r for r in corpus.rows(layer) if r["doc_id"] in chosen), key=canonical_key(corpus.kinds[layer]))
              for layer in LAYERS}
    return Bundle({d: corpus.texts[d] for d in chosen}, layers)


def field_order(repo) -> dict[str, list[str]]:
    kinds = load_kinds(repo)
    return {layer: list(kinds[layer].fields) for layer in LAYERS}


def attributes(layer: str, record: dict) -> dict:
    """The fields of a record beyond its span and label: what formats without attributes lose."""
    core = {"doc_id", "id", "start", "end", "text", LABEL_FIELD[layer]}
    if layer == "quote":
        core |= {f"{part}_{end}" for part in SPAN_PARTS for end in ("start", "end", "text")}
    return {k: v for k, v in record.items() if k not in core}


def span_type(layer: str, label: str) -> str:
    return TYPE_PREFIX.get(layer, "") + label


def parse_span_type(name: str) -> tuple[str, str]:
    """(layer, label) of a span type name; Cue/Source give ("cue"|"source", "")."""
    if name in (CUE, SOURCE):
        return name.lower(), ""
    for layer, prefix in TYPE_PREFIX.items():
        if name.startswith(prefix):
            return layer, name[len(prefix):]
    return "entity", name


class Units:
    """Code points <-> a format's offset unit, per document text."""

    def __init__(self, unit: str):
        if unit not in ("codepoint", "utf16"):
            raise ValueError(unit)
        self.unit = unit
        self._maps: dict[str, OffsetMap] = {}

    def _map(self, text: str) -> OffsetMap:
        if text not in self._maps:
            self._maps[text] = OffsetMap(text)
        return self._maps[text]

    def out(self, text: str, offset: int) -> int:
        return offset if self.unit == "codepoint" else int(self._map(text).cp_to_utf16(offset))

    def into(self, text: str, offset: int, where: str) -> int:
        if self.unit == "codepoint":
            if not 0 <= offset <= len(text):
                raise ZoomnewsError(Problem(where, None, "ZN601", f"offset {offset} outside the text (0..{len(text)} code points)"))
            return offset
        try:
            return int(self._map(text).utf16_to_cp(offset))
        except OffsetError as e:
            raise ZoomnewsError(Problem(where, None, "ZN601", f"UTF-16 offset {offset}: {e}")) from None


def next_ids(bundle: Bundle) -> dict[tuple[str, str], int]:
    """Per (layer, doc), the next free numeric id: new spans made in a tool get z/e/t/q + number."""
    counters: dict[tuple[str, str], int] = {}
    for layer, records in bundle.layers.items():
        for r in records:
            digits = r["id"][len(ID_PREFIX[layer]):]
            if r["id"].startswith(ID_PREFIX[layer]) and digits.isdigit():
                key = (layer, r["doc_id"])
                counters[key] = max(counters.get(key, 1), int(digits) + 1)
    return counters


def new_id(counters: dict, layer: str, doc_id: str) -> str:
    number = counters.get((layer, doc_id), 1)
    counters[(layer, doc_id)] = number + 1
    return f"{ID_PREFIX[layer]}{number}"


def restore(spans: list[tuple[str, str, int, int, str]], parts: list[tuple[str, str, int, int]], texts: dict[str, str],
            base: Bundle | None, defaults: dict[str, dict]) -> tuple[Bundle, list[str]]:
    """Records from bare spans (layer, doc_id, start, end, label) and quote parts (part, doc_id, start, end),
    with ids and attributes taken from `base` where a base record has the same layer, document and
    offsets; spans with no such record get a new id and `defaults` (reported as needing completion)."""
    bundle = Bundle(dict(texts))
    notes: list[str] = []
    known = {}
    if base is not None:
        for layer, records in base.layers.items():
            for r in records:
                known[(layer, r["doc_id"], r["start"], r["end"])] = r
    counters = next_ids(base) if base is not None else {}
    present_parts = set(parts)
    for layer, doc_id, start, end, label in spans:
        text = texts[doc_id]
        old = known.get((layer, doc_id, start, end))
        record = {"doc_id": doc_id, "id": old["id"] if old else new_id(counters, layer, doc_id),
                  "start": start, "end": end, "text": text[start:end], LABEL_FIELD[layer]: label}
        if old:
            record.update(attributes(layer, old))
        else:
            record.update(defaults[layer])
            notes.append(f"{doc_id}: new {layer} {record['id']} {text[start:end]!r}: complete {', '.join(sorted(defaults[layer]))}")
        if layer == "quote":
            for part in SPAN_PARTS:
                s = old[f"{part}_start"] if old else None
                e = old[f"{part}_end"] if old else None
                still = s is not None and (part, doc_id, s, e) in present_parts
                record.update({f"{part}_start": s if still else None, f"{part}_end": e if still else None,
                               f"{part}_text": text[s:e] if still else None})
        bundle.layers[layer].append(record)
    linked = {(p, r["doc_id"], r[f"{p}_start"], r[f"{p}_end"]) for r in bundle.layers["quote"] for p in SPAN_PARTS
              if r[f"{p}_start"] is not None}
    for part, doc_id, start, end in parts:
        if (part, doc_id, start, end) not in linked:
            notes.append(f"{doc_id}: {part} span {start}-{end} {texts[doc_id][start:end]!r} is linked to no quotation; not imported")
    return bundle, notes
