"""spaCy `DocBin` (`corpus.spacy`), with spaCy as an optional extra (`pip install zoomnews[spacy]`).
Offsets: code points, like spaCy's `Doc.char_span`. `doc.ents` holds the entities and DATE/TIME
timexes that align with spaCy's English tokenizer (OntoNotes types, no nesting) and `doc.spans`
holds every layer ("zones", "entities", "timexes", "quotes", "cues", "sources"), widened to whole
tokens where needed; spans spaCy could not place in `doc.ents` are reported on export. What spaCy
cannot hold (ids, attributes, provenance, the quotations' cue and source links, exact offsets of
widened spans) travels in `doc.user_data["zoomnews"]`.

Import (and `score --pred-format spacy`) reads the spans a model or annotator changes: doc.ents and
the span groups. A span export wrote that is gone from a view is a removal (a model that rewrites
doc.ents removes what it leaves out), one at the same tokens with another label a relabelling, a
span export did not write a new record; user_data gives back ids and attributes only for the spans
still there (`restore`, as for doccano and CoNLL). A Doc without user_data (`nlp(text)`) is the
corpus document with its text, and takes ids and attributes from the base by offsets (the corpus on
import, nothing when scoring); a text no document has is refused (ZN603).

Import reads the file's bytes (never a symbolic link), refuses one that would inflate beyond
MAX_INFLATED (a zlib bomb) and turns whatever spaCy raises on a malformed DocBin into ZN602. The
records stored in user_data must have exactly their layer's fields and the Doc's doc_id (a record
cannot move to another document: ZN606), and their offsets and texts are checked like every
format's; a span group other than the six, or a label the layer does not have, is ZN602.
"""

from __future__ import annotations

import zlib
from functools import cache
from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.formats.common import (LABEL_FIELD, SPAN_KINDS, SPAN_PARTS, At, Bundle, Refusals, check_records, doc_id, label, need, ner_layer,
                                     plain, read_file, restore, shown)
from zoomnews.formats.doccano import NEW_DEFAULTS
from zoomnews.sources.schemas import LAYER_NAMES
from zoomnews.release.views import TIMEX_TO_ONTONOTES

CARRIES = SPAN_KINDS
UNIT = "codepoint"
UNITS = (UNIT,)
FILE = "corpus.spacy"
MAX_INFLATED = 1 << 31  # bytes a DocBin may decompress to: far beyond any corpus, far below a zlib bomb


def _spacy():
    try:
        import spacy
        from spacy.tokens import DocBin
    except ImportError:
        raise ZoomnewsError(Problem("--format spacy", None, "ZN602", "spaCy is not installed: pip install 'zoomnews[spacy]'")) from None
    return spacy, DocBin


ENTS = "ents"  # the view of doc.ents, beside the span groups
GROUPS = {**LAYER_NAMES, "cue": "cues", "source": "sources"}  # a layer or quotation part -> its doc.spans group
GROUP_LAYER = {group: layer for layer, group in GROUPS.items()}


def export(bundle: Bundle, out: Path, repo, units: str = UNIT) -> list[str]:
    spacy, DocBin = _spacy()
    nlp = spacy.blank("en")
    docs, notes = DocBin(store_user_data=True), []
    for doc_id, text in sorted(bundle.texts.items()):
        doc = nlp.make_doc(text)
        records = {layer: bundle.records(layer, doc_id) for layer in SPAN_KINDS}
        doc.user_data["zoomnews"] = {"doc_id": doc_id, **records}
        views, left_out = _layout(doc, records, doc_id)
        notes += left_out
        doc.ents = [span for span, _ in views[ENTS]]
        for group in GROUPS.values():
            doc.spans[group] = [span for span, _ in views[group]]
        docs.add(doc)
    out.mkdir(parents=True, exist_ok=True)
    docs.to_disk(out / FILE)
    return notes


def _layout(doc, records: dict[str, list[dict]], doc_id: str) -> tuple[dict[str, list], list[str]]:
    """What export writes in `doc` for one document's records, per view (ENTS and each span group): a
    list of (spaCy span, key), key = (layer or part, start, end, label) being the record's exact span in
    code points (group spans are widened to whole tokens); and a note for each entity or timex that
    doc.ents cannot hold (not aligned with spaCy's tokens, or overlapping another). Import lays a Doc's
    stored records out the same way to see what was edited, so both follow this one rule."""
    views: dict[str, list] = {ENTS: [], **{group: [] for group in GROUPS.values()}}
    notes, taken = [], set()
    for layer in SPAN_KINDS:
        for r in records[layer]:
            name = r[LABEL_FIELD[layer]]
            views[GROUPS[layer]].append((doc.char_span(r["start"], r["end"], label=name, alignment_mode="expand"), (layer, r["start"], r["end"], name)))
            if layer == "quote":
                for part in SPAN_PARTS:
                    start, end = r[f"{part}_start"], r[f"{part}_end"]
                    if start is not None:
                        views[GROUPS[part]].append((doc.char_span(start, end, label=part, alignment_mode="expand"), (part, start, end, part)))
            if layer in ("entity", "timex"):
                exact = doc.char_span(r["start"], r["end"], label=name if layer == "entity" else TIMEX_TO_ONTONOTES[name])
                tokens = set(range(exact.start, exact.end)) if exact is not None else set()
                if exact is None or tokens & taken:
                    notes.append(f"{doc_id}: {layer} {r['id']} not in doc.ents ({'not aligned with spaCy tokens' if exact is None else 'overlaps another'}); kept in doc.spans and user_data")
                    continue
                taken |= tokens
                views[ENTS].append((exact, (layer, r["start"], r["end"], name)))
    views[ENTS].sort(key=lambda item: item[0].start)
    return views, notes


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
    texts, known = Bundle({}), Bundle({})
    by_text: dict[str, list[str]] = {}
    for name, text in (base.texts if base else {}).items():
        by_text.setdefault(text, []).append(name)
    spans, parts, refusals = [], [], Refusals()
    for n, doc in enumerate(docs, start=1):
        with refusals.each():  # (each refused Doc is named; then nothing is imported)
            where = at.inside(f"Doc {n}")
            stored = _stored(doc, kinds, base, where)
            name = stored["doc_id"] if stored else _by_text(doc, by_text, where)
            texts.add_document(name, doc.text, where, base.texts if base else None)
            # what spaCy cannot hold (ids, attributes, quotation links) comes from the stored records, else
            # from the base (the corpus on import, nothing when scoring), for the spans that are still there
            for layer in SPAN_KINDS:
                known.layers[layer] += stored[layer] if stored else base.records(layer, name)
            edited = _spans(doc, name, stored, known, kinds, where)
            spans += [(layer, name, start, end, label) for layer, start, end, label in edited if layer in SPAN_KINDS]
            parts += [(part, name, start, end) for part, start, end, _ in edited if part in SPAN_PARTS]
    refusals.raise_any()
    known.texts = dict(texts.texts)
    return restore(sorted(spans), sorted(parts), texts.texts, known, NEW_DEFAULTS, at)


def _stored(doc, kinds, base: Bundle | None, where: At) -> dict | None:
    """The records export stored in user_data['zoomnews'], checked like any import's (None: a Doc
    zoomnews did not write, such as a model's output)."""
    if "zoomnews" not in doc.user_data:
        return None
    stored = plain(need(doc.user_data["zoomnews"], dict, where, "user_data['zoomnews']"), where)
    if set(stored) != {"doc_id", *SPAN_KINDS}:
        raise where.refuse("ZN602", f"user_data['zoomnews'] holds doc_id and {', '.join(SPAN_KINDS)}, not {shown(sorted(stored))}")
    name = doc_id(kinds, stored["doc_id"], where, base.texts if base else None)
    records = {layer: [_record(record, layer, name, kinds, where.inside(f"{layer} record {i}"))
                       for i, record in enumerate(need(stored[layer], list, where, f"its {layer} records"), start=1)]
               for layer in SPAN_KINDS}
    check_records(Bundle({name: doc.text}, records), kinds, where.inside("user_data"))  # offsets and texts before spaCy lays them out
    return {"doc_id": name, **records}


def _by_text(doc, by_text: dict[str, list[str]], where: At) -> str:
    """The corpus document whose text the Doc holds: a Doc without user_data (nlp(text), nlp.make_doc(text))
    is identified by its text, as the text is all it has."""
    names = by_text.get(doc.text, [])
    if len(names) != 1:
        why = "the text of no corpus document" if not names else f"the text of several documents ({', '.join(names)})"
        raise where.refuse("ZN603", f"a Doc without user_data['zoomnews'] is identified by its text, and its text "
                                    f"({shown(doc.text[:40])}…, {len(doc.text)} characters) is {why}: make it from corpus/raw/<doc_id>.txt unchanged")
    return names[0]


def _spans(doc, name: str, stored: dict | None, known: Bundle, kinds, where: At) -> list[tuple[str, int, int, str]]:
    """(layer or part, start, end, label) of every span the Doc holds now: the stored records (their exact
    offsets) with the edits made in doc.ents and doc.spans. In each view a span export wrote that is gone
    is a removal, one at the same tokens with another label a relabelling, one export did not write an
    addition (at its own offsets). An edit in any view counts: a model that rewrites doc.ents removes
    what it left out even though the span groups still hold it."""
    unknown = sorted(set(doc.spans) - set(GROUP_LAYER))
    if unknown:
        raise where.refuse("ZN602", f"span groups {', '.join(map(shown, unknown))}: zoomnews reads doc.ents and the groups {', '.join(GROUP_LAYER)}")
    expected, _ = _layout(doc, stored, name) if stored else ({}, [])
    types = {(t["start"], t["end"]): t["type"] for t in known.records("timex", name)}
    current = {ENTS: list(doc.ents), **{group: list(doc.spans[group]) if group in doc.spans else [] for group in GROUP_LAYER}}
    removed, edits = set(), {}
    for view, view_spans in current.items():
        written: dict[tuple[int, int], list] = {}
        kept = set()  # two quotations may share a cue: its span, written twice, is gone when no copy is left
        for span, key in expected.get(view, []):
            written.setdefault((span.start_char, span.end_char), []).append((span.label_, key))
        for span in view_spans:
            key = _key(view, span, types, kinds, where)
            there = written.get((span.start_char, span.end_char), [])
            same = next((item for item in there if item[0] == span.label_), None)
            if same:
                there.remove(same)
                kept.add(same[1][:3])
                continue
            relabelled = next((item for item in there if item[1][0] == key[0]), None)
            if relabelled:
                there.remove(relabelled)
                key = (key[0], relabelled[1][1], relabelled[1][2], key[3])  # the record's exact span, widened in the group
            edits.setdefault(key[:3], set()).add(key[3])
        removed |= {key[:3] for left in written.values() for _, key in left} - kept
    for key, labels in edits.items():
        if len(labels) > 1:
            raise where.refuse("ZN602", f"{key[0]} {key[1]}-{key[2]} is labelled {' and '.join(sorted(labels))} in different views (doc.ents, doc.spans)")
    result = {}
    for layer in SPAN_KINDS if stored else ():
        for r in stored[layer]:
            result[(layer, r["start"], r["end"])] = r[LABEL_FIELD[layer]]
            if layer == "quote":
                result.update({(part, r[f"{part}_start"], r[f"{part}_end"]): part for part in SPAN_PARTS if r[f"{part}_start"] is not None})
    for key in removed - set(edits):
        result.pop(key, None)
    result.update({key: labels.pop() for key, labels in edits.items()})
    return [(*key, label) for key, label in result.items()]


def _key(view: str, span, types: dict, kinds, where: At) -> tuple[str, int, int, str]:
    """(layer or part, start, end, label) a Doc's span stands for: in doc.ents the OntoNotes type says the
    layer (a timex keeps its finer type), in a group the group does; the label must be the layer's."""
    start, end, name = span.start_char, span.end_char, span.label_
    at = where.inside(f"{'doc.ents' if view == ENTS else f'doc.spans[{view!r}]'} span {start}-{end} {shown(name)}")
    layer, name = ner_layer(name, types.get((start, end))) if view == ENTS else (GROUP_LAYER[view], name)
    if layer in SPAN_PARTS:
        if name != layer:
            raise at.refuse("ZN602", f"the spans of doc.spans[{view!r}] are labelled {layer}")
    else:
        label(kinds, layer, name, at)
    return layer, start, end, name


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
