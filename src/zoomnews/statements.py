"""How each outlet reproduced the same statement: quotes aligned per statement, with word-level diffs."""

from __future__ import annotations

import difflib
import re

from zoomnews.configs import align_statements
from zoomnews.sources import read_corpus

WORD = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")


def word_ops(reference: str, other: str) -> list[tuple[str, str]]:
    """`other` against the part of `reference` it reproduces, as (op, words): op is `same`, `removed`
    (in the reference, not in this quote), `added` (in this quote only) or `elided` (the rest of the
    statement, which this quote does not reproduce)."""
    a, b = WORD.findall(reference), WORD.findall(other)
    blocks = [m for m in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks() if m.size]
    lo, hi = (blocks[0].a, blocks[-1].a + blocks[-1].size) if blocks else (0, len(a))
    ops = [("elided", "…")] if lo > 0 else []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a[lo:hi], b=b, autojunk=False).get_opcodes():
        if op == "equal":
            ops.append(("same", " ".join(b[j1:j2])))
            continue
        if i2 > i1:
            ops.append(("removed", " ".join(a[lo + i1 : lo + i2])))
        if j2 > j1:
            ops.append(("added", " ".join(b[j1:j2])))
    return ops + ([("elided", "…")] if hi < len(a) else [])


def word_diff(reference: str, other: str) -> str:
    """word_ops in git's word-diff style: [-removed-] {+added+}, … for what is not reproduced."""
    marks = {"same": "{}", "removed": "[-{}-]", "added": "{{+{}+}}", "elided": "{}"}
    return " ".join(marks[op].format(words) for op, words in word_ops(reference, other))


def similarity(reference: str, other: str) -> float:
    return difflib.SequenceMatcher(a=WORD.findall(reference), b=WORD.findall(other), autojunk=False).ratio()


def statement_alignment(repo, statement_id: str | None = None) -> list[dict]:
    """Statements with their quotes; each quote carries `diff` and `similarity` against the statement's
    reference version (its longest direct quote, the fullest surviving wording)."""
    rows = align_statements(read_corpus(repo))
    if statement_id is not None:
        rows = [r for r in rows if r["id"] == statement_id]
    for row in rows:
        direct = [q for q in row["quotes"] if q["type"] == "direct"] or row["quotes"]
        reference = max(direct, key=lambda q: len(q["text"]))["text"] if direct else ""
        row["reference"] = reference
        for quote in row["quotes"]:
            quote["diff"] = word_diff(reference, quote["text"])
            quote["similarity"] = round(similarity(reference, quote["text"]), 3)
    return rows


def render_alignment(rows: list[dict]) -> str:
    lines = []
    for row in rows:
        lines.append(f"== {row['id']} ({row['channel']}, {row['date'] or 'undated'}; speaker {row['speaker']}): {row['description']}")
        lines.append(f"   quoted {len(row['quotes'])} time(s) in {row['outlets']} document(s)")
        for quote in row["quotes"]:
            source = quote["source_text"] or "(no source mention)"
            lines.append(f"-- {quote['doc_id']} [{quote['outlet']}] {quote['id']} {quote['type']}, source: {source}, similarity {quote['similarity']:.2f}")
            lines.append(f"   {quote['diff']}")
        lines.append("")
    return "\n".join(lines)
