"""brat standoff: `<doc_id>.txt` + `<doc_id>.ann` per document, and `annotation.conf`. Offsets: code
points. Lossless: spans are text-bound annotations (T; a span over line breaks is written as
fragments, as brat itself does), a quotation's cue and source are spans linked by Cue/Source
relations (R), and every other field, the id included, is an AnnotatorNotes JSON note (#).

Import reads a folder: every `<doc_id>.ann` with its `.txt` (neither may be a symbolic link). Every
non-blank line must be one of those three and consistent (its text is the .txt's at its offsets;
fragments are separated by white space only; a Cue/Source span is linked to a quotation; a note
belongs to a layer span, is a JSON object and sets only that layer's attributes and a valid id,
never doc_id, offsets, text or label: ZN606; a relation's ends are spans of the file); anything else
is refused with its file and line, CRLF line endings too (brat writes LF) and said as such.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from zoomnews.formats.common import (CODEPOINTS, CUE, LABEL_FIELD, SPAN_KINDS, SOURCE, SPAN_PARTS, At, Bundle, Refusals, attributes,
                                     doc_id, label, need, new_id, next_ids, parse_json, parse_span_type, plain_lines,
                                     read_text_file, record_id, settable, shown, span_type)

CARRIES = SPAN_KINDS
UNIT = "codepoint"
UNITS = (UNIT,)
# whole-line patterns (fullmatch), ASCII digits only: \d would take "٣" and int() would read it as 3
T_LINE = re.compile(r"(T[0-9]+)\t(\S+) ([0-9]+ [0-9]+(?:;[0-9]+ [0-9]+)*)\t(.*)", re.ASCII)
T_ID = re.compile(r"T[0-9]+(?=\t)", re.ASCII)  # the id a T line starts with, even one malformed after it
R_LINE = re.compile(r"(R[0-9]+)\t(\S+) Arg1:(T[0-9]+) Arg2:(T[0-9]+)", re.ASCII)
NOTE_LINE = re.compile(r"(#[0-9]+)\tAnnotatorNotes (T[0-9]+)\t(.*)", re.ASCII)


def fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The span split at line breaks (brat keeps newlines out of a fragment)."""
    pieces, position = [], start
    for line in text[start:end].split("\n"):
        if line:
            pieces.append((position, position + len(line)))
        position += len(line) + 1
    return pieces or [(start, end)]


def export(bundle: Bundle, out: Path, repo, units: str = UNIT) -> list[str]:
    from zoomnews.sources.schemas import load_kinds

    kinds = load_kinds(repo)
    out.mkdir(parents=True, exist_ok=True)
    # every label the schemas allow (not only those the exported documents use), so that an annotator
    # can draw any of them in brat, on a new document too
    types = {layer: {span_type(layer, label) for label in kinds[layer].schema["properties"][LABEL_FIELD[layer]]["enum"]} for layer in SPAN_KINDS}
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
        for layer in SPAN_KINDS:
            for r in bundle.records(layer, doc_id):
                name = span_type(layer, r[LABEL_FIELD[layer]])
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


@dataclass
class Ann:
    """One .ann file's lines, each checked, with the line it came from."""

    spans: dict[str, tuple[str, int, int, int]] = field(default_factory=dict)  # T id -> (type, start, end, line)
    relations: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)  # (quote T, Cue|Source) -> (part T, line)
    notes: dict[str, tuple[dict, int]] = field(default_factory=dict)  # T id -> (note, line)
    refused: set[str] = field(default_factory=set)  # T ids of refused T lines
    refusals: Refusals = field(default_factory=Refusals)  # of its lines and spans


def import_(path: Path, repo, base: Bundle | None = None, units: str = UNIT, kinds=None) -> tuple[Bundle, list[str]]:
    from zoomnews.sources.schemas import load_kinds

    kinds = kinds or load_kinds(repo)
    if not path.is_dir():
        raise At(str(path)).refuse("ZN602", "a brat import is a folder of <doc_id>.ann and <doc_id>.txt files")
    anns = sorted(path.glob("*.ann"))
    if not anns:
        raise At(str(path)).refuse("ZN602", "no .ann file in the folder")
    bundle, notes = Bundle({}), []
    counters = next_ids(base) if base else {}
    refusals = Refusals()  # every refused file and line is named in one run
    for ann in anns:
        with refusals.each():
            at = At(str(ann))
            doc = doc_id(kinds, ann.stem, at.inside("file name"), base.texts if base else None)
            bundle.add_document(doc, read_text_file(ann.with_suffix(".txt")), At(str(ann.with_suffix(".txt"))), base.texts if base else None)
            text = bundle.texts[doc]
            for layer, record in _records(read_ann(ann, text), doc, text, kinds, counters, at):
                bundle.layers[layer].append(record)
    refusals.raise_any()
    return bundle, notes


def read_ann(ann: Path, text: str) -> Ann:
    """The T, R and AnnotatorNotes lines of an .ann file; any other non-blank line is refused. Each
    refused line is named (read.refusals) and the others read on; a refused T line's id is kept in
    read.refused, so that what names it is not refused again."""
    read, at = Ann(), At(str(ann))
    lines = plain_lines(ann, "brat's .ann")
    for number, line in lines:
        with read.refusals.each():
            _read_line(read, number, line, text, at.on(number))
    return read


def _read_line(read: Ann, number: int, line: str, text: str, where: At) -> None:
    if not line.strip():
        return
    if (tid := T_ID.match(line)) and tid.group() not in read.spans:
        read.refused.add(tid.group())  # until the line is read (a malformed one is still that span's)
    if m := T_LINE.fullmatch(line):
        if m.group(1) in read.spans:
            raise where.refuse("ZN602", f"{m.group(1)} is defined twice")
        start, end = _fragments(m.group(3), m.group(4), text, where)
        read.refused.discard(m.group(1))
        read.spans[m.group(1)] = (m.group(2), start, end, number)
    elif m := R_LINE.fullmatch(line):
        if m.group(2) not in (CUE, SOURCE):
            raise where.refuse("ZN602", f"a {shown(m.group(2))} relation: zoomnews reads {CUE} and {SOURCE} relations")
        if (m.group(3), m.group(2)) in read.relations:
            raise where.refuse("ZN602", f"{m.group(3)} has a second {m.group(2)} relation")
        read.relations[(m.group(3), m.group(2))] = (m.group(4), number)
    elif m := NOTE_LINE.fullmatch(line):
        if m.group(2) in read.notes:
            raise where.refuse("ZN602", f"{m.group(2)} has a second AnnotatorNotes line")
        read.notes[m.group(2)] = (need(parse_json(m.group(3), where), dict, where, "a zoomnews note (a JSON object)"), number)
    else:
        raise where.refuse("ZN602", f"line not understood (zoomnews reads T, R and AnnotatorNotes lines): {line[:60]!r}")


def _fragments(offsets: str, shown_text: str, text: str, at: At) -> tuple[int, int]:
    """The span of a T line's fragments "a b;c d": in the text, in order, with only white space
    between them (a span is continuous: brat splits it at line breaks), and the line's text theirs."""
    pieces = []
    for piece in offsets.split(";"):
        if any(len(x) > 12 for x in piece.split()):  # int() of thousands of digits is refused (or slow); no text is that long
            raise at.refuse("ZN601", f"offset {shown(max(piece.split(), key=len))} outside the text (0..{len(text)} code points)")
        a, b = (int(x) for x in piece.split())
        pieces.append(CODEPOINTS.span(text, a, b, at))
    for (_, end), (start, _) in zip(pieces, pieces[1:]):
        if start < end or text[end:start].strip():
            raise at.refuse("ZN601", f"fragments {offsets} overlap or leave out text: zoomnews spans are continuous")
    if shown_text != " ".join(text[a:b] for a, b in pieces):
        raise at.refuse("ZN601", f"the line's text {shown(shown_text)} is not the .txt's text at {offsets}")
    return pieces[0][0], pieces[-1][1]


def _records(read: Ann, doc: str, text: str, kinds, counters: dict, at: At):
    """(layer, record) of each layer span, with its note and its quotation's cue and source; then
    every refusal of the file's lines and spans together. A relation or note naming a refused T line
    is left out (that line's refusal says what is wrong)."""
    refusals, refused = read.refusals, read.refused
    parts = {}  # part T -> its line, to refuse one linked to nothing
    for tid, (name, start, end, number) in read.spans.items():
        layer, _ = parse_span_type(name)
        if layer in SPAN_PARTS:
            parts[tid] = number
    for (tid, kind), (target, number) in read.relations.items():
        if tid in refused or target in refused:
            continue
        with refusals.each():
            for end in (tid, target):
                if end not in read.spans:
                    raise at.on(number).refuse("ZN602", f"a {kind} relation {'from' if end == tid else 'to'} {end}: no such span {end}")
            if parse_span_type(read.spans[tid][0])[0] != "quote":
                raise at.on(number).refuse("ZN602", f"a {kind} relation from {tid}, which is not a quotation span")
            if target not in parts or read.spans[target][0] != kind:
                raise at.on(number).refuse("ZN602", f"a {kind} relation to {target}, which is not a {kind} span")
    linked = {target for target, _ in read.relations.values()}
    for tid, number in parts.items():
        if tid not in linked:
            with refusals.each():
                raise at.on(number).refuse("ZN602", f"{tid} is a {read.spans[tid][0]} span linked to no quotation (its quotation deleted? "
                                                            f"delete the span too; else add the {read.spans[tid][0]} relation from its quotation)")
    for tid, (note, number) in read.notes.items():
        if tid not in refused and (tid not in read.spans or tid in parts):
            with refusals.each():
                raise at.on(number).refuse("ZN606", f"a note on {tid}, which is not a span of a layer")
    for tid, (name, start, end, number) in read.spans.items():
        if tid in parts:
            continue
        with refusals.each():
            yield from _record(read, tid, name, start, end, number, doc, text, kinds, counters, at)
    refusals.raise_any()


def _record(read: Ann, tid: str, name: str, start: int, end: int, number: int, doc: str, text: str, kinds, counters: dict, at: At):
    """The (layer, record) of one layer span (see _records), or its refusal."""
    layer, value = parse_span_type(name)
    where = at.on(number)
    record = {"doc_id": doc, "start": start, "end": end, "text": text[start:end], LABEL_FIELD[layer]: label(kinds, layer, value, where)}
    note, line = read.notes.get(tid, ({}, number))
    for key, item in note.items():
        if key == "id":
            record["id"] = record_id(kinds, layer, item, at.on(line), code="ZN606")
        else:
            record[settable(kinds, layer, key, at.on(line))] = item
    if "id" not in record:  # a span drawn in brat: the next free id (not setdefault: it would use one up every time)
        record["id"] = new_id(counters, layer, doc)
    if layer == "quote":
        for part, kind in (("cue", CUE), ("source", SOURCE)):
            target = read.spans.get(read.relations.get((tid, kind), ("",))[0])
            s, e = (target[1], target[2]) if target else (None, None)
            record.update({f"{part}_start": s, f"{part}_end": e, f"{part}_text": text[s:e] if target else None})
    yield layer, {name: record.get(name) for name in kinds[layer].fields}
