"""Level-3 span checks, vectorised: every rule is a numpy/Arrow expression over whole layers.

Documents are concatenated into one array of code points (UTF-32), so a span is a pair of global
positions and `text == doc[start:end]`, white space at the edges, overlaps and zone tiling are
array operations. Python only touches the rows that fail, to build their Problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zoomnews.errors import Problem

# str.isspace() is true for no code point above U+3000 (tested), so a small table covers Unicode.
COMPARE_BLOCK = 2_000_000  # code points compared per block in the text == doc[start:end] check
_SPACE_LIMIT = 0x3001


@cache
def _space_table() -> np.ndarray:
    table = np.zeros(_SPACE_LIMIT, dtype=bool)
    table[[c for c in range(_SPACE_LIMIT) if chr(c).isspace()]] = True
    return table


def is_space(codepoints: np.ndarray) -> np.ndarray:
    table = _space_table()
    return np.where(codepoints < _SPACE_LIMIT, table[np.minimum(codepoints, _SPACE_LIMIT - 1)], False)


def codepoints(strings) -> tuple[np.ndarray, np.ndarray]:
    """All strings' code points in one uint32 array, and each string's start offset (n + 1 entries).
    `strings` is a list, or anything with an `.arrow` string array (the fast path's columns)."""
    array = strings.arrow if hasattr(strings, "arrow") else pa.array(strings, type=pa.large_string())
    array = array.cast(pa.large_string())
    lengths = pc.utf8_length(array).to_numpy(zero_copy_only=False)
    offsets = np.zeros(len(array) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if not len(array):
        return np.zeros(0, dtype=np.uint32), offsets
    value_offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset: array.offset + len(array) + 1]
    utf8 = array.buffers()[2].to_pybytes()[value_offsets[0]: value_offsets[-1]]
    return np.frombuffer(utf8.decode("utf-8").encode("utf-32-le"), dtype=np.uint32), offsets


@dataclass
class Documents:
    """The corpus's texts as one array; `base[i]` is where document i starts."""

    index: dict[str, int]
    points: np.ndarray
    base: np.ndarray
    space: np.ndarray

    @classmethod
    def of(cls, texts: dict[str, str]) -> "Documents":
        doc_ids = sorted(texts)
        points, base = codepoints([texts[d] for d in doc_ids])
        return cls({d: i for i, d in enumerate(doc_ids)}, points, base, is_space(points))

    def length(self, doc: np.ndarray) -> np.ndarray:
        return np.where(doc >= 0, self.base[doc + 1] - self.base[doc], -1)


@dataclass
class Spans:
    """One layer's (or one span kind's) spans as arrays, with where each came from."""

    file: str
    lines: np.ndarray
    ids: list[str]
    doc_ids: list[str]
    doc: np.ndarray  # document index, -1 when the document has no text
    start: np.ndarray
    end: np.ndarray
    texts: list[str]
    prefix: str = ""  # "", "cue_" or "source_"

    @classmethod
    def of(cls, records, documents: Documents, prefix: str = "") -> "Spans":
        start_f, end_f, text_f = (f"{prefix}start", f"{prefix}end", f"{prefix}text") if prefix else ("start", "end", "text")
        rows = [r for r in records if r.data.get(start_f) is not None and r.data.get(end_f) is not None and r.data.get(text_f) is not None]
        return cls(
            file=records[0].file if records else "",
            lines=np.array([r.line for r in rows], dtype=np.int64),
            ids=[r.data.get("id", "") for r in rows],
            doc_ids=[r.data["doc_id"] for r in rows],
            doc=np.array([documents.index.get(r.data["doc_id"], -1) for r in rows], dtype=np.int64),
            start=np.array([r.data[start_f] for r in rows], dtype=np.int64),
            end=np.array([r.data[end_f] for r in rows], dtype=np.int64),
            texts=[r.data[text_f] for r in rows],
            prefix=prefix,
        )

    def problem(self, i: int, code: str, message: str, field: str | None = None) -> Problem:
        return Problem(self.file, int(self.lines[i]), code, message, field=field or f"{self.prefix}start")


def offset_and_text_problems(spans: Spans, documents: Documents) -> tuple[list[Problem], np.ndarray]:
    """ZN301 range, ZN302 text, ZN304 white space at the edges; returns the problems and the mask of good spans."""
    problems = []
    known = spans.doc >= 0
    in_range = known & (spans.start >= 0) & (spans.start < spans.end) & (spans.end <= documents.length(spans.doc))
    for i in np.flatnonzero(known & ~in_range):
        length = int(documents.length(spans.doc[i : i + 1])[0])
        problems.append(spans.problem(i, "ZN301", f"{spans.prefix}start={spans.start[i]}, {spans.prefix}end={spans.end[i]}: need 0 <= start < end <= {length}"))
    text_points, text_base = codepoints(spans.texts)
    text_length = np.diff(text_base)
    same_length = in_range & (text_length == spans.end - spans.start)
    matches = np.zeros(len(spans.start), dtype=bool)
    candidates = np.flatnonzero(same_length)
    for block in np.array_split(candidates, max(1, int(text_length[candidates].sum()) // COMPARE_BLOCK + 1)):
        if not len(block):
            continue
        rows = block  # a block of spans at a time keeps the index arrays below a few tens of MB
        lengths = text_length[rows]
        doc_start = documents.base[spans.doc[rows]] + spans.start[rows]
        # position k of span r: doc_start[r] + k in the documents, text_base[r] + k in the texts
        within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        equal = documents.points[np.repeat(doc_start, lengths) + within] == text_points[np.repeat(text_base[rows], lengths) + within]
        matches[rows] = np.add.reduceat(~equal, np.cumsum(lengths) - lengths) == 0
    for i in np.flatnonzero(in_range & ~matches):
        actual = "".join(map(chr, documents.points[documents.base[spans.doc[i]] + spans.start[i] : documents.base[spans.doc[i]] + spans.end[i]][:40]))
        problems.append(spans.problem(i, "ZN302", f"{spans.prefix}text {spans.texts[i][:40]!r} but text[{spans.start[i]}:{spans.end[i]}] is {actual!r}", field=f"{spans.prefix}text"))
    first = documents.base[np.maximum(spans.doc, 0)] + spans.start
    last = documents.base[np.maximum(spans.doc, 0)] + spans.end - 1
    edges = np.zeros(len(spans.start), dtype=bool)
    edges[matches] = documents.space[first[matches]] | documents.space[last[matches]]
    for i in np.flatnonzero(edges):
        problems.append(spans.problem(i, "ZN304", f"{spans.prefix}span {spans.texts[i][:40]!r} starts or ends on white space"))
    return problems, matches


def _global(spans: Spans, documents: Documents, mask: np.ndarray):
    rows = np.flatnonzero(mask)
    base = documents.base[spans.doc[rows]]
    return rows, base + spans.start[rows], base + spans.end[rows]


def overlap_problems(spans: Spans, documents: Documents, good: np.ndarray) -> list[Problem]:
    """ZN305: in a flat layer, no span starts before an earlier span of its document has ended."""
    rows, gstart, gend = _global(spans, documents, good)
    order = np.lexsort((gend, gstart))
    rows, gstart, gend = rows[order], gstart[order], gend[order]
    reach = np.maximum.accumulate(gend)  # documents are disjoint ranges, so reach never leaks across them
    reacher = np.maximum.accumulate(np.where(gend == reach, np.arange(len(rows)), 0))
    clash = np.zeros(len(rows), dtype=bool)
    clash[1:] = gstart[1:] < reach[:-1]
    problems = []
    for k in np.flatnonzero(clash):
        earlier, i = rows[reacher[k - 1]], rows[k]
        problems.append(spans.problem(i, "ZN305", f"{spans.ids[i]} ({spans.start[i]}-{spans.end[i]}) overlaps {spans.ids[earlier]} ({spans.start[earlier]}-{spans.end[earlier]})"))
    return problems


def tiling_problems(zones: Spans, documents: Documents, good: np.ndarray, doc_ids: list[str]) -> list[Problem]:
    """ZN306: every non-blank character of every document is in a zone."""
    _, gstart, gend = _global(zones, documents, good)
    depth = np.zeros(len(documents.points) + 1, dtype=np.int64)
    np.add.at(depth, gstart, 1)
    np.add.at(depth, gend, -1)
    covered = np.cumsum(depth)[:-1] > 0
    uncovered = ~covered & ~documents.space
    problems = []
    by_index = {i: d for d, i in documents.index.items()}
    for doc in range(len(documents.base) - 1):
        lo, hi = documents.base[doc], documents.base[doc + 1]
        missing = np.flatnonzero(uncovered[lo:hi])
        if len(missing):
            first = int(missing[0])
            snippet = "".join(map(chr, documents.points[lo + first : min(hi, lo + first + 30)]))
            problems.append(Problem(zones.file or "annotations/zones.jsonl", None, "ZN306", f"{by_index[doc]}: {len(missing)} non-blank character(s) in no zone, first at offset {first}: {snippet!r}"))
    return problems


def duplicate_key_mask(columns: list[list]) -> np.ndarray:
    """True for every row whose key (the columns together) occurs more than once."""
    if not columns or not columns[0]:
        return np.zeros(0, dtype=bool)
    joined = pc.binary_join_element_wise(*[pa.array([str(v) for v in c]) for c in columns], "\x00")
    codes = pc.dictionary_encode(joined).indices.to_numpy(zero_copy_only=False)
    return np.bincount(codes)[codes] > 1


def containing(inner: Spans, outer: Spans, documents: Documents, inner_good: np.ndarray, outer_good: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each good inner span, the row of the good outer span (e.g. zone) that contains it (-1 if none)."""
    rows, gstart, gend = _global(inner, documents, inner_good)
    orows, ostart, oend = _global(outer, documents, outer_good)
    if not len(orows):
        return rows, np.full(len(rows), -1)
    order = np.argsort(ostart, kind="stable")
    orows, ostart, oend = orows[order], ostart[order], oend[order]
    k = np.searchsorted(ostart, gstart, side="right") - 1
    found = (k >= 0) & (oend[np.maximum(k, 0)] >= gend)
    return rows, np.where(found, orows[np.maximum(k, 0)], -1)
