"""Texts and spans as arrays, for the span checks (zoomnews.checks.rules).

A block's documents are concatenated into one array of code points (UTF-32), so a span is a pair of
global positions and `text == doc[start:end]`, white space at the edges, overlaps and zone tiling
are array operations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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
    `strings` is a list, or anything with an `.arrow` string array (an ArrowColumn)."""
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

    def text(self, doc: int, start: int, end: int) -> str:
        """Document `doc`'s text[start:end] (clipped to the document)."""
        lo, hi = self.base[doc], self.base[doc + 1]
        return "".join(map(chr, self.points[min(hi, lo + max(start, 0)):min(hi, lo + max(end, 0))]))


@dataclass
class Spans:
    """One layer's spans (or a quote's cue_/source_ spans) as arrays: `rows` are their rows in the
    block's table, `doc` their document's index in the block's Documents (-1: no text)."""

    file: str
    rows: np.ndarray
    lines: np.ndarray
    ids: "ArrowColumn"
    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    texts: "ArrowColumn"
    prefix: str = ""  # "", "cue_" or "source_"
    # the stored texts' code points: (all of them, where each span's starts, its length), made when first asked
    _points: Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of_table(cls, table: pa.Table, rows: np.ndarray, documents: Documents, prefix: str, file: str) -> "Spans":
        """The spans of `table`'s chosen `rows` (a mask) whose start, end and text are all set."""
        start, end, text = (table.column(f"{prefix}{f}") for f in ("start", "end", "text"))
        keep = rows & pc.is_valid(start).to_numpy(zero_copy_only=False) & pc.is_valid(end).to_numpy(zero_copy_only=False) & pc.is_valid(text).to_numpy(zero_copy_only=False)
        chosen = np.flatnonzero(keep)
        columns = table.select(["doc_id", "id", "line", f"{prefix}start", f"{prefix}end", f"{prefix}text"])
        taken = columns if len(chosen) == table.num_rows else columns.take(pa.array(chosen, type=pa.int64()))
        doc = pc.index_in(taken.column("doc_id"), value_set=pa.array(sorted(documents.index), type=pa.string()))
        return cls(file=file, rows=chosen, lines=taken.column("line").to_numpy(),
                   ids=ArrowColumn(taken.column("id").combine_chunks()),
                   doc=pc.fill_null(doc, -1).to_numpy(zero_copy_only=False).astype(np.int64),
                   start=taken.column(f"{prefix}start").to_numpy().astype(np.int64), end=taken.column(f"{prefix}end").to_numpy().astype(np.int64),
                   texts=ArrowColumn(taken.column(f"{prefix}text").combine_chunks()), prefix=prefix)

    def subset(self, rows: np.ndarray) -> "Spans":
        """The spans among these whose row is chosen in `rows` (a mask over the table's rows): index
        arrays into this one, no column copied (a block's checks each take a subset of one Spans)."""
        pick = np.flatnonzero(rows[self.rows])
        if len(pick) == len(self.rows):
            return self

        def points():
            every, starts, lengths = self.text_points()
            return every, starts[pick], lengths[pick]

        return Spans(self.file, self.rows[pick], self.lines[pick], self.ids.pick(pick), self.doc[pick], self.start[pick], self.end[pick],
                     self.texts.pick(pick), self.prefix, points)

    def text_points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The stored texts' code points in one array, where each span's text starts in it, and its length."""
        if self._points is None:
            every, offsets = codepoints(self.texts.arrow)
            found = (every, offsets[:-1], np.diff(offsets))
            self._points = lambda: found
        return self._points()

    def global_start(self, documents: Documents) -> np.ndarray:
        """Where each span starts in the block's array of code points (meaningful where doc >= 0)."""
        return documents.base[np.maximum(self.doc, 0)] + self.start

    def global_end(self, documents: Documents) -> np.ndarray:
        return documents.base[np.maximum(self.doc, 0)] + self.end

    def problem(self, i: int, code: str, message: str, field: str | None = None) -> Problem:
        return Problem(self.file, int(self.lines[i]), code, message, field=field or f"{self.prefix}start")


class ArrowColumn:
    """A string column that reads like a list where a check formats a message; `pick` gives a view
    of some of its items (by position) without copying them."""

    def __init__(self, array: pa.Array, positions: np.ndarray | None = None):
        self.whole, self.positions = array, positions

    @property
    def arrow(self) -> pa.Array:
        return self.whole if self.positions is None else self.whole.take(pa.array(self.positions, type=pa.int64()))

    def pick(self, positions: np.ndarray) -> "ArrowColumn":
        return ArrowColumn(self.whole, positions if self.positions is None else self.positions[positions])

    def __getitem__(self, i):
        return self.whole[int(i) if self.positions is None else int(self.positions[int(i)])].as_py()

    def __len__(self):
        return len(self.whole) if self.positions is None else len(self.positions)
