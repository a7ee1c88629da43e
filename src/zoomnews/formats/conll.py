"""CoNLL IOB2: `token<TAB>tag` lines, a blank line after each sentence, and `# doc_id = …` then
`-DOCSTART-<TAB>O` before each document. Tokens, sentences and tags are the `ner` view's (OntoNotes
18 types; DATE/TIME from the timex layer). Offsets: tokens — import finds each token in the
document text in order, so it needs the texts (from the corpus). Lossy: only entities and
timexes, only labels; spans the view widened or left out (nested) are reported on export.
"""

from __future__ import annotations

from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.formats.common import Bundle, restore
from zoomnews.formats.doccano import NEW_DEFAULTS
from zoomnews.views import TIMEX_TO_ONTONOTES, iob2_spans, ner_rows

UNIT = "token"
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


def read_documents(file: Path) -> dict[str, list[tuple[str, str, int]]]:
    """doc_id -> [(token, tag, line number)], sentence breaks as ("", "", n)."""
    documents: dict[str, list] = {}
    current = None
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("# doc_id = "):
            current = documents.setdefault(line[len("# doc_id = "):].strip(), [])
        elif line.startswith(DOCSTART):
            continue
        elif not line.strip():
            if current is not None:
                current.append(("", "", number))
        else:
            parts = line.split("\t")
            if current is None or len(parts) != 2:
                raise ZoomnewsError(Problem(str(file), number, "ZN602", "expected `token<TAB>tag` after a `# doc_id = …` line"))
            current.append((parts[0], parts[1], number))
    return documents


def import_(path: Path, repo, base: Bundle | None = None, units: str = UNIT) -> tuple[Bundle, list[str]]:
    file = path / FILE if path.is_dir() else path
    if base is None:
        raise ZoomnewsError(Problem(str(file), None, "ZN602", "CoNLL import needs the corpus texts (run it inside a corpus checkout)"))
    spans = []
    base_types = {(t["doc_id"], t["start"], t["end"]): t["type"] for t in base.layers["timex"]}
    documents = read_documents(file)
    for doc_id, rows in documents.items():
        if doc_id not in base.texts:
            raise ZoomnewsError(Problem(str(file), rows[0][2] if rows else None, "ZN401", f"no document {doc_id} in the corpus"))
        text, position, offsets, tags = base.texts[doc_id], 0, [], []
        for token, tag, number in rows:
            if not token:
                continue
            found = text.find(token, position)
            if found < 0 or text[position:found].strip():
                raise ZoomnewsError(Problem(str(file), number, "ZN601", f"token {token!r} is not the next token of {doc_id} after offset {position}"))
            offsets.append((found, found + len(token)))
            tags.append(tag)
            position = found + len(token)
        for first, last, label in iob2_spans(tags):
            start, end = offsets[first][0], offsets[last - 1][1]
            if label in TIMEX_TO_ONTONOTES.values():
                known = base_types.get((doc_id, start, end))
                spans.append(("timex", doc_id, start, end, known if known and TIMEX_TO_ONTONOTES[known] == label else label))
            else:
                spans.append(("entity", doc_id, start, end, label))
    texts = {d: base.texts[d] for d in documents}
    partial = Bundle(base.texts, {"entity": base.layers["entity"], "timex": base.layers["timex"], "zone": [], "quote": []})
    return restore(spans, [], texts, partial, NEW_DEFAULTS)
