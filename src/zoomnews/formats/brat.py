"""brat standoff: `<doc_id>.txt` + `<doc_id>.ann` per document, and `annotation.conf`. Offsets: code
points. Lossless: spans are text-bound annotations (T; a span over line breaks is written as
fragments, as brat itself does), a quotation's cue and source are spans linked by Cue/Source
relations (R), and every other field, the id included, is an AnnotatorNotes JSON note (#).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.formats.common import (CUE, LABEL_FIELD, LAYERS, SOURCE, SPAN_PARTS, Bundle, attributes, new_id,
                                     next_ids, parse_span_type, span_type)

CARRIES = LAYERS
UNIT = "codepoint"
T_LINE = re.compile(r"^(T\d+)\t(\S+) ([\d ;]+)\t(.*)$")
R_LINE = re.compile(r"^(R\d+)\t(\S+) Arg1:(T\d+) Arg2:(T\d+)\s*$")
NOTE_LINE = re.compile(r"^(#\d+)\tAnnotatorNotes (T\d+)\t(.*)$")


def fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The span split at line breaks (brat keeps newlines out of a fragment)."""
    pieces, position = [], start
    for line in text[start:end].split("\n"):
        if line:
            pieces.append((position, position + len(line)))
        position += len(line) + 1
    return pieces or [(start, end)]


def export(bundle: Bundle, out: Path, repo, units: str = UNIT) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    types: dict[str, set[str]] = {layer: set() for layer in LAYERS}
    for doc_id, text in sorted(bundle.texts.items()):
        lines, t = [], 0

        def span(name, start, end):
            nonlocal t
            t += 1
            pieces = fragments(text, start, end)
            where = ";".join(f"{a} {b}" for a, b in pieces)
            lines.append(f"T{t}\t{name} {where}\t{' '.join(text[a:b] for a, b in pieces)}")
            return f"T{t}"

        notes, relations = [], []
        for layer in LAYERS:
            for r in bundle.records(layer, doc_id):
                name = span_type(layer, r[LABEL_FIELD[layer]])
                types[layer].add(name)
                tid = span(name, r["start"], r["end"])
                notes.append(f"#{len(notes) + 1}\tAnnotatorNotes {tid}\t{json.dumps({'id': r['id'], **attributes(layer, r)}, ensure_ascii=False)}")
                if layer == "quote":
                    for part, kind in ((p, CUE if p == "cue" else SOURCE) for p in SPAN_PARTS):
                        if r[f"{part}_start"] is not None:
                            pid = span(kind, r[f"{part}_start"], r[f"{part}_end"])
                            relations.append(f"R{len(relations) + 1}\t{kind} Arg1:{tid} Arg2:{pid}")
        (out / f"{doc_id}.txt").write_bytes(text.encode("utf-8"))
        (out / f"{doc_id}.ann").write_text("\n".join(lines + relations + notes) + "\n", encoding="utf-8", newline="\n")
    conf = ["[entities]", *sorted(n for names in types.values() for n in names), CUE, SOURCE,
            "", "[relations]", f"{CUE}\tArg1:<ENTITY>, Arg2:{CUE}", f"{SOURCE}\tArg1:<ENTITY>, Arg2:{SOURCE}",
            "<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>", "", "[events]", "", "[attributes]", ""]
    (out / "annotation.conf").write_text("\n".join(conf), encoding="utf-8")
    return []


def import_(path: Path, repo, base: Bundle | None = None, units: str = UNIT) -> tuple[Bundle, list[str]]:
    from zoomnews.schemas import load_kinds

    kinds = load_kinds(repo)
    bundle, notes = Bundle({}), []
    counters = next_ids(base) if base else {}
    for ann in sorted(path.glob("*.ann")):
        doc_id = ann.stem
        txt = ann.with_suffix(".txt")
        if not txt.is_file():
            raise ZoomnewsError(Problem(str(ann), None, "ZN602", f"no {txt.name} beside it"))
        text = txt.read_bytes().decode("utf-8")
        bundle.texts[doc_id] = text
        spans, relations, extra = {}, {}, {}
        for number, line in enumerate(ann.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            if m := T_LINE.match(line):
                pieces = [tuple(int(x) for x in piece.split()) for piece in m.group(3).split(";")]
                start, end = pieces[0][0], pieces[-1][1]
                if not 0 <= start < end <= len(text):
                    raise ZoomnewsError(Problem(str(ann), number, "ZN601", f"offsets {start}-{end} outside the text (0..{len(text)} code points)"))
                spans[m.group(1)] = (m.group(2), start, end)
            elif m := R_LINE.match(line):
                relations[(m.group(3), m.group(2))] = m.group(4)
            elif m := NOTE_LINE.match(line):
                try:
                    extra[m.group(2)] = json.loads(m.group(3))
                except ValueError:
                    notes.append(f"{ann}:{number}: a note that is not zoomnews JSON; kept out of the record")
            else:
                notes.append(f"{ann}:{number}: line not understood (only T, R and AnnotatorNotes lines are read): {line[:60]!r}")
        for tid, (name, start, end) in spans.items():
            layer, label = parse_span_type(name)
            if layer not in LAYERS:
                continue  # cue and source spans are read through their quotation's relations
            fields = extra.get(tid, {})
            record = {"doc_id": doc_id, "id": fields.pop("id", None) or new_id(counters, layer, doc_id), "start": start,
                      "end": end, "text": text[start:end], LABEL_FIELD[layer]: label, **fields}
            if layer == "quote":
                for part, kind in (("cue", CUE), ("source", SOURCE)):
                    target = spans.get(relations.get((tid, kind)))
                    s, e = (target[1], target[2]) if target else (None, None)
                    record.update({f"{part}_start": s, f"{part}_end": e, f"{part}_text": text[s:e] if target else None})
            unknown = sorted(set(fields) - set(kinds[layer].fields))
            if unknown:
                notes.append(f"{ann}: {tid} note has fields the {layer} schema does not know, not imported: {', '.join(unknown)}")
            bundle.layers[layer].append({name: record.get(name) for name in kinds[layer].fields})
    return bundle, notes
