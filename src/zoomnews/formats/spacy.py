"""spaCy `DocBin` (`corpus.spacy`), with spaCy as an optional extra (`pip install zoomnews[spacy]`).
Offsets: code points, like spaCy's `Doc.char_span`. For training, `doc.ents` holds the entities and
DATE/TIME timexes that align with spaCy's English tokenizer (OntoNotes types, no nesting) and
`doc.spans` holds every layer ("zones", "entities", "timexes", "quotes", "cues", "sources"), widened
to whole tokens where needed. Lossless: the exact records travel in `doc.user_data["zoomnews"]`,
which import reads back; spans spaCy could not place in `doc.ents` are reported on export.

Import reads the file's bytes (never a symbolic link), refuses one that would inflate beyond
MAX_INFLATED (a zlib bomb) and turns whatever spaCy raises on a malformed DocBin into ZN602. Each
Doc's records must have exactly their layer's fields and the Doc's doc_id (a record cannot move to
another document: ZN606); their offsets and texts are checked like every format's.
"""

from __future__ import annotations

import zlib
from functools import cache
from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.formats.common import LABEL_FIELD, SPAN_KINDS, SPAN_PARTS, At, Bundle, doc_id, need, plain, read_file, shown
from zoomnews.sources.schemas import LAYER_NAMES
from zoomnews.release.views import TIMEX_TO_ONTONOTES

CARRIES = SPAN_KINDS
UNIT = "codepoint"
FILE = "corpus.spacy"
MAX_INFLATED = 1 << 31  # bytes a DocBin may decompress to: far beyond any corpus, far below a zlib bomb


def _spacy():
    try:
        import spacy
        from spacy.tokens import DocBin
    except ImportError:
        raise ZoomnewsError(Problem("--format spacy", None, "ZN602", "spaCy is not installed: pip install 'zoomnews[spacy]'")) from None
    return spacy, DocBin


def export(bundle: Bundle, out: Path, repo, units: str = UNIT) -> list[str]:
    spacy, DocBin = _spacy()
    nlp = spacy.blank("en")
    docs, notes = DocBin(store_user_data=True), []
    for doc_id, text in sorted(bundle.texts.items()):
        doc = nlp.make_doc(text)
        doc.user_data["zoomnews"] = {"doc_id": doc_id, **{layer: bundle.records(layer, doc_id) for layer in SPAN_KINDS}}
        groups: dict[str, list] = {name: [] for name in [*LAYER_NAMES.values(), "cues", "sources"]}
        ents, taken = [], set()
        for layer in SPAN_KINDS:
            for r in bundle.records(layer, doc_id):
                label = r[LABEL_FIELD[layer]]
                span = doc.char_span(r["start"], r["end"], label=label, alignment_mode="expand")
                groups[LAYER_NAMES[layer]].append(span)
                if layer == "quote":
                    for part in SPAN_PARTS:
                        if r[f"{part}_start"] is not None:
                            groups[f"{part}s"].append(doc.char_span(r[f"{part}_start"], r[f"{part}_end"], label=part, alignment_mode="expand"))
                if layer in ("entity", "timex"):
                    ner_label = label if layer == "entity" else TIMEX_TO_ONTONOTES[label]
                    exact = doc.char_span(r["start"], r["end"], label=ner_label)
                    tokens = set(range(exact.start, exact.end)) if exact is not None else set()
                    if exact is None or tokens & taken:
                        notes.append(f"{doc_id}: {layer} {r['id']} not in doc.ents ({'not aligned with spaCy tokens' if exact is None else 'overlaps another'}); kept in doc.spans and user_data")
                        continue
                    taken |= tokens
                    ents.append(exact)
        doc.ents = sorted(ents, key=lambda s: s.start)
        for name, spans in groups.items():
            doc.spans[name] = spans
        docs.add(doc)
    out.mkdir(parents=True, exist_ok=True)
    docs.to_disk(out / FILE)
    return notes


@cache
def _vocab():
    """One blank English vocabulary per process: spacy.blank() costs a second, and a DocBin only needs
    its string store."""
    spacy, _ = _spacy()
    return spacy.blank("en").vocab


def import_(path: Path, repo, base: Bundle | None = None, units: str = UNIT, kinds=None) -> tuple[Bundle, list[str]]:
    from zoomnews.sources.schemas import load_kinds

    _, DocBin = _spacy()
    kinds = kinds or load_kinds(repo)
    file = path / FILE if path.is_dir() else path
    at = At(str(file))
    data = read_file(file)
    _inflated_size(data, at)
    try:
        docs = list(DocBin().from_bytes(data).get_docs(_vocab()))
    except Exception as e:  # a malformed DocBin can make spaCy, msgpack or numpy raise anything
        raise at.refuse("ZN602", f"not a spaCy DocBin: {type(e).__name__}: {shown(str(e))}") from None
    bundle = Bundle({})
    for n, doc in enumerate(docs, start=1):
        where = at.inside(f"Doc {n}")
        stored = plain(need(doc.user_data.get("zoomnews"), dict, where, "user_data['zoomnews'] (was it exported by zoomnews?)"), where)
        if set(stored) != {"doc_id", *SPAN_KINDS}:
            raise where.refuse("ZN602", f"user_data['zoomnews'] holds doc_id and {', '.join(SPAN_KINDS)}, not {shown(sorted(stored))}")
        name = doc_id(kinds, stored["doc_id"], where, base.texts if base else None)
        bundle.add_document(name, doc.text, where)
        for layer in SPAN_KINDS:
            for i, record in enumerate(need(stored[layer], list, where, f"its {layer} records"), start=1):
                bundle.layers[layer].append(_record(record, layer, name, kinds, where.inside(f"{layer} record {i}")))
    return bundle, []


def _record(record, layer: str, doc: str, kinds, at: At) -> dict:
    """A stored record as it came: its layer's fields exactly, in this Doc's document (offsets, texts,
    ids and labels are checked with every format's records)."""
    record = need(record, dict, at, "a record")
    extra = sorted(set(record) - set(kinds[layer].fields))
    if extra:
        raise at.refuse("ZN606", f"fields the {layer} layer does not have: {', '.join(map(shown, extra))}")
    missing = sorted(set(kinds[layer].fields) - set(record))
    if missing:
        raise at.refuse("ZN602", f"fields missing: {', '.join(missing)}")
    if record["doc_id"] != doc:
        raise at.refuse("ZN606", f"doc_id {shown(record['doc_id'])} in the Doc of {doc}: a record cannot move to another document")
    return {name: record[name] for name in kinds[layer].fields}


def _inflated_size(data: bytes, at: At) -> None:
    """Refuse a DocBin that would decompress beyond MAX_INFLATED, counting in chunks (nothing kept)."""
    inflate, size, pending = zlib.decompressobj(), 0, data
    try:
        while pending and size <= MAX_INFLATED:
            size += len(inflate.decompress(pending, 1 << 24))
            pending = inflate.unconsumed_tail
    except zlib.error as e:
        raise at.refuse("ZN602", f"not a spaCy DocBin (not zlib data: {e})") from None
    if size > MAX_INFLATED:
        raise at.refuse("ZN602", f"decompresses to more than {MAX_INFLATED >> 20} MiB: not a DocBin zoomnews wrote")
