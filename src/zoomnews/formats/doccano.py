"""doccano sequence-labelling JSONL: one line per document, `{"text", "label": [[start, end, type]], "doc_id"}`.
Offsets: UTF-16 code units (doccano's frontend counts JavaScript string indices: an emoji is two).
Lossy: doccano spans carry only a type, so ids, attributes (entity_id, timex value, speaker,
statement, provenance…) and the quote-to-cue/source links are not exported (export says so);
import takes them back from the records the export was made from, matched by layer and offsets.
"""

from __future__ import annotations

import json
from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.formats.common import (CUE, LABEL_FIELD, LAYERS, SOURCE, SPAN_PARTS, Bundle, Units, parse_span_type,
                                     restore, span_type)

CARRIES = LAYERS
UNIT = "utf16"
FILE = "doccano.jsonl"
LOST = "ids; entity_id; timex value, mod, article_index, creation_time; zone article_index; quotation speaker, " \
       "statement_id and the links to its cue and source spans; annotator, method, guideline"
NEW_DEFAULTS = {
    "zone": {"article_index": 0, "annotator": None, "method": "manual", "guideline": None},
    "entity": {"entity_id": None, "annotator": None, "method": "manual", "guideline": None},
    "timex": {"value": None, "mod": None, "article_index": 0, "creation_time": False, "annotator": None, "method": "manual", "guideline": None},
    "quote": {"speaker": None, "statement_id": None, "annotator": None, "method": "manual", "guideline": None},
}


def export(bundle: Bundle, out: Path, repo, units: str = UNIT) -> list[str]:
    convert = Units(units)
    lines = []
    for n, (doc_id, text) in enumerate(sorted(bundle.texts.items()), start=1):
        labels = []
        for layer in LAYERS:
            for r in bundle.records(layer, doc_id):
                labels.append([convert.out(text, r["start"]), convert.out(text, r["end"]), span_type(layer, r[LABEL_FIELD[layer]])])
                if layer == "quote":
                    for part, kind in (("cue", CUE), ("source", SOURCE)):
                        if r[f"{part}_start"] is not None:
                            labels.append([convert.out(text, r[f"{part}_start"]), convert.out(text, r[f"{part}_end"]), kind])
        lines.append(json.dumps({"id": n, "doc_id": doc_id, "text": text, "label": labels}, ensure_ascii=False))
    out.mkdir(parents=True, exist_ok=True)
    (out / FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [f"doccano cannot carry: {LOST} (import restores them from the corpus by offsets)"]


def read_spans(path: Path, units: str = UNIT):
    convert = Units(units)
    file = path / FILE if path.is_dir() else path
    texts, spans, parts = {}, [], []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            task = json.loads(line)
            doc_id, text, labels = task["doc_id"], task["text"], task.get("label", [])
        except (ValueError, KeyError, TypeError) as e:
            raise ZoomnewsError(Problem(str(file), number, "ZN602", f"not a doccano line with doc_id, text and label: {str(e)[:100]}")) from None
        texts[doc_id] = text
        where = f"{file}:{number}"
        for start, end, name in labels:
            start, end = convert.into(text, start, where), convert.into(text, end, where)
            layer, label = parse_span_type(name)
            if layer in SPAN_PARTS:
                parts.append((layer, doc_id, start, end))
            else:
                spans.append((layer, doc_id, start, end, label))
    return texts, spans, parts


def import_(path: Path, repo, base: Bundle | None = None, units: str = UNIT) -> tuple[Bundle, list[str]]:
    texts, spans, parts = read_spans(path, units)
    return restore(spans, parts, texts, base, NEW_DEFAULTS)
