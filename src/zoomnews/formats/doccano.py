"""doccano sequence-labelling JSONL: one line per document, `{"text", "label": [[start, end, type]], "doc_id"}`.
Offsets: UTF-16 code units (doccano's frontend counts JavaScript string indices: an emoji is two).
Lossy: doccano spans carry only a type, so ids, attributes (entity_id, timex value, speaker,
statement, provenance…) and the quote-to-cue/source links are not exported (export says so);
import takes them back from the records the export was made from, matched by layer and offsets.
Each line must be a JSON object with a corpus `doc_id`, its `text` and a `label` list of
[start, end, type] with integer offsets and a known type; anything else is refused with its line.
"""

from __future__ import annotations

import json
from pathlib import Path

from zoomnews.formats.common import (CUE, LABEL_FIELD, SPAN_KINDS, SOURCE, SPAN_PARTS, At, Bundle, Refusals, Units, doc_id, label,
                                     need, numbered_lines, parse_json, parse_span_type, read_text_file, restore, shown,
                                     span_type)

CARRIES = SPAN_KINDS
UNIT = "utf16"
UNITS = (UNIT, "codepoint")  # the frontend's unit; code points for files made by Python tools
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
        for layer in SPAN_KINDS:
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


def read_spans(path: Path, units: str, kinds, known=None):
    """(texts, spans, quote parts, doc_id -> its line) of a doccano file, each line checked (ZN601/ZN602 with its line);
    every refused line and label is named in one run (then nothing is imported)."""
    convert = Units(units)
    file = path / FILE if path.is_dir() else path
    texts, spans, parts = Bundle({}), [], []
    lines: dict[str, At] = {}  # doc_id -> its line, where restore's refusals point
    refusals = Refusals()
    for number, line in numbered_lines(read_text_file(file)):
        if not line.strip():
            continue
        at = At(str(file), number)
        with refusals.each():
            task = need(parse_json(line, at), dict, at, "a doccano line")
            doc = doc_id(kinds, task.get("doc_id"), at.inside("doc_id"), known)
            texts.add_document(doc, task.get("text"), at, known)
            text = texts.texts[doc]
            lines[doc] = at
            for item in need(task.get("label"), list, at, "its label list"):
                with refusals.each():
                    if not isinstance(item, list) or len(item) != 3 or not isinstance(item[2], str):
                        raise at.refuse("ZN602", f"a label is [start, end, type], not {shown(item)}")
                    start, end = convert.span(text, item[0], item[1], at.inside(f"label {shown(item)}"))
                    layer, name = parse_span_type(item[2])
                    if layer in SPAN_PARTS:
                        parts.append((layer, doc, start, end))
                    else:
                        spans.append((layer, doc, start, end, label(kinds, layer, name, at)))
    refusals.raise_any()
    return texts.texts, spans, parts, lines


def import_(path: Path, repo, base: Bundle | None = None, units: str = UNIT, kinds=None) -> tuple[Bundle, list[str]]:
    from zoomnews.sources.schemas import load_kinds

    texts, spans, parts, lines = read_spans(path, units, kinds or load_kinds(repo), base.texts if base else None)
    return restore(spans, parts, texts, base, NEW_DEFAULTS, At(str(path / FILE if path.is_dir() else path)), lines)
