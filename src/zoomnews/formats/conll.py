"""CoNLL IOB2: `token<TAB>tag` lines, a blank line after each sentence, and `# doc_id = …` then
`-DOCSTART-<TAB>O` before each document. Tokens, sentences and tags are the `ner` view's (OntoNotes
18 types; DATE/TIME from the timex layer). Offsets: tokens — import finds each token in the
document text in order, so it needs the texts (from the corpus). Lossy: only entities and
timexes, only labels; spans the view widened or left out (nested) are reported on export.
Import refuses (with the line) a token that is not the text's next one, a tag that is not O or
B-/I- with a known type, a document named twice, and a document whose text goes on after its last
token (a truncated file); one run names every refused line and document (then nothing is imported).
"""

from __future__ import annotations

import re
from pathlib import Path

from zoomnews.formats.common import At, Bundle, Refusals, doc_id, ner_layer, plain_lines, restore, shown, usable_span
from zoomnews.formats.doccano import NEW_DEFAULTS
from zoomnews.release.views import TIMEX_TO_ONTONOTES, iob2_spans, ner_rows

UNIT = "token"
UNITS = (UNIT,)
CARRIES = ("entity", "timex")  # import leaves the other layers as they are
FILE = "ner.conll"
DOCSTART = "-DOCSTART-"


def export(bundle: Bundle, out: Path, repo, units: str = UNIT) -> list[str]:
    lines, notes = [], ["CoNLL carries entity and timex spans with their OntoNotes type only (no ids, attributes, zones or quotations)"]
    for doc_id, text in sorted(bundle.texts.items()):
        lines += [f"# doc_id = {doc_id}", f"{DOCSTART}\tO", ""]
        for sentence in ner_rows(doc_id, text, bundle.records("entity", doc_id), bundle.records("timex", doc_id)):
            lines += [f"{token}\t{tag}" for token, tag in zip(sentence["tokens"], sentence["ner_tags"])] + [""]
            notes += [f"{doc_id}: {a['layer']} {a['id']} {a['reason']}" for a in sentence["adjusted"]]
    out.mkdir(parents=True, exist_ok=True)
    (out / FILE).write_text("\n".join(lines), encoding="utf-8")
    return notes


DOC_LINE = "# doc_id = "


def read_documents(file: Path, kinds, known, refusals: Refusals) -> dict[str, list[tuple[str, str, int]]]:
    """doc_id -> [(token, tag, line number)], sentence breaks as ("", "", n). Each refused line goes to
    `refusals` and the reading goes on: the rest of a refused `# doc_id` line's document, and of a
    document with a refused token line, is still checked line by line but not aligned with the text
    (each of its later tokens would be "not the next token")."""
    documents: dict[str, list] = {}
    seen: set[str] = set()
    current, name, at = None, None, At(str(file))
    types = {*kinds["entity"].schema["properties"]["label"]["enum"], *TIMEX_TO_ONTONOTES.values()}
    for number, line in plain_lines(file, "CoNLL"):
        where, refused = at.on(number), len(refusals.problems)
        with refusals.each():
            if line.startswith(DOC_LINE):
                current, name = [], None  # (a refused document's lines: read, then dropped)
                doc = doc_id(kinds, line[len(DOC_LINE):].strip(), where, known)
                if doc in seen:
                    raise where.refuse("ZN602", f"document {doc} appears twice")
                seen.add(doc)
                current = documents[name := doc] = []
            elif line.startswith(DOCSTART):
                continue
            elif not line.strip():
                if current is not None:
                    current.append(("", "", number))
            else:
                parts = line.split("\t")
                if current is None:  # (refused once, not on each line up to the first document)
                    current = []
                    raise where.refuse("ZN602", "a token line before any `# doc_id = …` line: the lines up to one belong to no document")
                if len(parts) != 2:
                    raise where.refuse("ZN602", "expected `token<TAB>tag` after a `# doc_id = …` line")
                token, tag = parts
                if not token or token != "".join(token.split()):  # the view's tokens hold no white space
                    raise where.refuse("ZN602", f"token {shown(token)} is empty or holds white space")
                kind = re.fullmatch(r"[BI]-(.+)", tag)
                if tag != "O" and not (kind and kind.group(1) in types):
                    raise where.refuse("ZN602", f"tag {shown(tag)} is not O, B-TYPE or I-TYPE with an OntoNotes type")
                current.append((token, tag, number))
        if len(refusals.problems) > refused and name is not None and not line.startswith(DOC_LINE):
            documents.pop(name, None)
    return documents


def import_(path: Path, repo, base: Bundle | None = None, units: str = UNIT, kinds=None) -> tuple[Bundle, list[str]]:
    from zoomnews.sources.schemas import load_kinds

    file = path / FILE if path.is_dir() else path
    if base is None:
        raise At(str(file)).refuse("ZN602", "CoNLL import needs the corpus texts (run it inside a corpus checkout)")
    spans = []
    base_types = {(t["doc_id"], t["start"], t["end"]): t["type"] for t in base.layers["timex"]
                  if usable_span(t) and isinstance(t.get("type"), str)}  # an invalid corpus record matches nothing
    refusals = Refusals()
    documents = read_documents(file, kinds or load_kinds(repo), base.texts, refusals)
    for doc, rows in documents.items():
        with refusals.each():
            spans += _document_spans(str(file), doc, base.texts[doc], rows, base_types)
    refusals.raise_any()
    texts = {d: base.texts[d] for d in documents}
    partial = Bundle(base.texts, {"entity": base.layers["entity"], "timex": base.layers["timex"], "zone": [], "quote": []})
    return restore(spans, [], texts, partial, NEW_DEFAULTS, At(str(path)))


def _document_spans(file: str, doc: str, text: str, rows, base_types) -> list[tuple]:
    """A document's spans from its tokens and tags, found in its text in order; its first token that
    is not the next one (or text left after the last) refuses the document (later tokens could only
    be misplaced by it)."""
    position, offsets, tags = 0, [], []
    for token, tag, number in rows:
        if not token:
            continue
        found = text.find(token, position)
        if found < 0 or text[position:found].strip():
            raise At(file, number).refuse("ZN601", f"token {shown(token)} is not the next token of {doc} after offset {position}")
        offsets.append((found, found + len(token)))
        tags.append(tag)
        position = found + len(token)
    if text[position:].strip():  # what follows would lose its spans silently
        last = rows[-1][2] if rows else None
        raise At(file, last).refuse("ZN602", f"the text of {doc} goes on after its last token (offset {position}): a truncated file?")
    spans = []
    for first, last, name in iob2_spans(tags):
        start, end = offsets[first][0], offsets[last - 1][1]
        layer, name = ner_layer(name, base_types.get((doc, start, end)))
        spans.append((layer, doc, start, end, name))
    return spans
