"""How each outlet reproduced the same statement: quotes aligned per statement, with word-level diffs."""

from __future__ import annotations

import difflib
import re

from zoomnews.release.configs import align_statements
from zoomnews.sources.corpus import read_corpus

WORD = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")


def _alignment(reference: str, other: str):
    """The word alignment of `other` against the part of `reference` it reproduces: the words of both
    (as regex matches, so their exact text and place stay known), the reproduced range [lo, hi) of
    the reference's words, and difflib's opcodes over that range."""
    a, b = list(WORD.finditer(reference)), list(WORD.finditer(other))
    words_a, words_b = [m.group() for m in a], [m.group() for m in b]
    blocks = [m for m in difflib.SequenceMatcher(a=words_a, b=words_b, autojunk=False).get_matching_blocks() if m.size]
    lo, hi = (blocks[0].a, blocks[-1].a + blocks[-1].size) if blocks else (0, len(a))
    return a, b, lo, hi, difflib.SequenceMatcher(a=words_a[lo:hi], b=words_b, autojunk=False).get_opcodes()


def word_ops(reference: str, other: str) -> list[tuple[str, str]]:
    """`other` against the part of `reference` it reproduces, as (op, words): op is `same`, `removed`
    (in the reference, not in this quote), `added` (in this quote only) or `elided` (the rest of the
    statement, which this quote does not reproduce). Words are joined by single spaces."""
    a, b, lo, hi, opcodes = _alignment(reference, other)
    words = lambda matches: " ".join(m.group() for m in matches)
    ops = [("elided", "…")] if lo > 0 else []
    for op, i1, i2, j1, j2 in opcodes:
        if op == "equal":
            ops.append(("same", words(b[j1:j2])))
            continue
        if i2 > i1:
            ops.append(("removed", words(a[lo + i1: lo + i2])))
        if j2 > j1:
            ops.append(("added", words(b[j1:j2])))
    return ops + ([("elided", "…")] if hi < len(a) else [])


def text_ops(reference: str, other: str) -> list[tuple[str, str]]:
    """The same alignment as word_ops, on the exact texts: the `same` and `added` pieces, in order,
    are `other` itself (its spacing and punctuation untouched), and `removed` pieces are the
    reference's exact words, placed where this quote lacks them."""
    a, b, lo, hi, opcodes = _alignment(reference, other)
    ops = [("elided", "…")] if lo > 0 else []
    position = 0  # how much of `other` is placed

    def take(end: int, op: str) -> None:
        nonlocal position
        if end > position:
            if ops and ops[-1][0] == op:
                ops[-1] = (op, ops[-1][1] + other[position:end])
            else:
                ops.append((op, other[position:end]))
            position = end

    for op, i1, i2, j1, j2 in opcodes:
        if j2 > j1:
            take(b[j1].start(), "same")  # the space and punctuation before these words
        if op != "equal" and i2 > i1:
            ops.append(("removed", reference[a[lo + i1].start(): a[lo + i2 - 1].end()]))
        if j2 > j1:
            take(b[j2 - 1].end(), "same" if op == "equal" else "added")
    take(len(other), "same")
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
