"""spaCy `DocBin` (`corpus.spacy`), with spaCy as an optional extra (`pip install zoomnews[spacy]`).
Offsets: code points, like spaCy's `Doc.char_span`. For training, `doc.ents` holds the entities and
DATE/TIME timexes that align with spaCy's English tokenizer (OntoNotes types, no nesting) and
`doc.spans` holds every layer ("zones", "entities", "timexes", "quotes", "cues", "sources"), widened
to whole tokens where needed. Lossless: the exact records travel in `doc.user_data["zoomnews"]`,
which import reads back; spans spaCy could not place in `doc.ents` are reported on export.
"""

from __future__ import annotations

from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.formats.common import LABEL_FIELD, LAYERS, SPAN_PARTS, Bundle
from zoomnews.layers import LAYER_OF_KIND
from zoomnews.views import TIMEX_TO_ONTONOTES

CARRIES = LAYERS
UNIT = "codepoint"
FILE = "corpus.spacy"


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
        doc.user_data["zoomnews"] = {"doc_id": doc_id, **{layer: bundle.records(layer, doc_id) for layer in LAYERS}}
        groups: dict[str, list] = {name: [] for name in [*LAYER_OF_KIND.values(), "cues", "sources"]}
        ents, taken = [], set()
        for layer in LAYERS:
            for r in bundle.records(layer, doc_id):
                label = r[LABEL_FIELD[layer]]
                span = doc.char_span(r["start"], r["end"], label=label, alignment_mode="expand")
                groups[LAYER_OF_KIND[layer]].append(span)
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


def import_(path: Path, repo, base: Bundle | None = None, units: str = UNIT) -> tuple[Bundle, list[str]]:
    spacy, DocBin = _spacy()
    file = path / FILE if path.is_dir() else path
    try:
        docs = list(DocBin().from_disk(file).get_docs(spacy.blank("en").vocab))
    except (OSError, ValueError) as e:
        raise ZoomnewsError(Problem(str(file), None, "ZN602", f"not a spaCy DocBin: {str(e)[:120]}")) from None
    bundle, notes = Bundle({}), []
    for doc in docs:
        records = doc.user_data.get("zoomnews")
        if not records:
            raise ZoomnewsError(Problem(str(file), None, "ZN602", "a Doc without zoomnews records in user_data (was it exported by zoomnews?)"))
        bundle.texts[records["doc_id"]] = doc.text
        for layer in LAYERS:
            bundle.layers[layer] += records[layer]
    return bundle, notes
