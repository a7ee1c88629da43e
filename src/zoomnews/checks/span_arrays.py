"""Texts and spans as arrays, for the span checks (zoomnews.checks.rules).

A block's documents are concatenated into one array of code points (UTF-32), so a span is a pair of
global positions and white space at the edges, overlaps and zone tiling are array operations; and
into one run of UTF-8 bytes, so `text == doc[start:end]` is Arrow comparing string views of it with
the stored texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zoomnews.errors import Problem
from zoomnews.sources.offsets import utf8_offsets

# str.isspace() is true for no code point above U+3000 (tested), so a small table covers Unicode.
_SPACE_LIMIT = 0x3001


@cache
def _space_table() -> np.ndarray:
    """Whether each code point below _SPACE_LIMIT is white space, and False for _SPACE_LIMIT (which stands for all above)."""
    table = np.zeros(_SPACE_LIMIT + 1, dtype=bool)
    table[[c for c in range(_SPACE_LIMIT) if chr(c).isspace()]] = True
    return table


def is_space(codepoints: np.ndarray) -> np.ndarray:
    return _space_table()[np.minimum(codepoints, _SPACE_LIMIT)]


def codepoints(strings) -> tuple[np.ndarray, np.ndarray, bytes]:
    """All strings' code points in one uint32 array, each string's start offset (n + 1 entries), and
    their UTF-8 bytes, one after another. `strings` is a list of str."""
    array = pa.array(strings, type=pa.large_string())
    lengths = pc.utf8_length(array).to_numpy(zero_copy_only=False)
    offsets = np.zeros(len(array) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if not len(array):
        return np.zeros(0, dtype=np.uint32), offsets, b""
    value_offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset: array.offset + len(array) + 1]
    utf8 = array.buffers()[2].to_pybytes()[value_offsets[0]: value_offsets[-1]]  # (a buffer may hold more than its values)
    return np.frombuffer(utf8.decode("utf-8").encode("utf-32-le"), dtype=np.uint32), offsets, utf8


STRING_VIEW_INLINE = 12  # bytes a string view holds in itself (Arrow's columnar format)
STRING_VIEW_WINDOW = 1 << 30  # bytes of each data buffer's own part (a view's offset is an int32)


def string_views(utf8: bytes, starts: np.ndarray, lengths: np.ndarray) -> pa.Array:
    """utf8[starts[i]:starts[i] + lengths[i]] for every i, as an Arrow string_view array that points
    into `utf8` (nothing copied but the short strings a view holds inline). Each slice must be whole
    characters and at most STRING_VIEW_WINDOW bytes long."""
    # a view is four little-endian 32-bit words: the length, then either the bytes themselves (up to
    # 12, zero after the end) or the first 4 bytes, the data buffer and the offset in it
    long = lengths > STRING_VIEW_INLINE
    window = starts // STRING_VIEW_WINDOW  # buffer k holds the bytes from k * WINDOW on, two windows long
    views = np.empty((len(starts), 4), dtype="<u4")
    views[:, 0] = lengths
    for k in range(3):
        word = _words_at(utf8, starts + 4 * k)
        kept = np.clip(lengths - 4 * k, 0, 4).astype(np.uint64)  # the word's bytes inside the slice
        views[:, 1 + k] = word & ((np.uint64(1) << (np.uint64(8) * kept)) - np.uint64(1)).astype("<u4")
        if k == 0:
            views[:, 1] = np.where(long, word, views[:, 1])  # a long one's prefix
    views[:, 2] = np.where(long, window, views[:, 2])
    views[:, 3] = np.where(long, starts - window * STRING_VIEW_WINDOW, views[:, 3])
    whole = pa.py_buffer(utf8)
    buffers = [whole.slice(k, min(2 * STRING_VIEW_WINDOW, len(utf8) - k)) for k in range(0, max(1, len(utf8)), STRING_VIEW_WINDOW)]
    return pa.Array.from_buffers(pa.string_view(), len(starts), [None, pa.py_buffer(views), *buffers])


def _words_at(utf8: bytes, at: np.ndarray) -> np.ndarray:
    """The 4 bytes from each position in `at` on, as a little-endian word, zeros past the end. Read in
    place: only the last 16 bytes are copied (with zeros after them), not the block's whole run of
    texts on every call."""
    size = len(utf8)
    inside = np.ndarray((max(size - 3, 0),), dtype="<u4", buffer=utf8, strides=(1,))  # the words that end inside
    tail_from = max(size - 16, 0)
    tail = utf8[tail_from:] + bytes(STRING_VIEW_INLINE + 4)
    tail_words = np.ndarray((len(tail) - 3,), dtype="<u4", buffer=tail, strides=(1,))
    near_end = at > size - 4
    if not near_end.any():
        return inside[at]
    words = np.empty(len(at), dtype="<u4")
    words[~near_end] = inside[at[~near_end]]
    words[near_end] = tail_words[at[near_end] - tail_from]
    return words


@dataclass
class Documents:
    """The corpus's texts as one array; `base[i]` is where document i starts."""

    index: dict[str, int]
    points: np.ndarray
    base: np.ndarray
    space: np.ndarray
    utf8: bytes  # the texts' UTF-8 bytes, one after another
    utf8_at: np.ndarray  # where each code point (and the end) starts in them

    @classmethod
    def of(cls, texts: dict[str, str]) -> "Documents":
        doc_ids = sorted(texts)
        points, base, utf8 = codepoints([texts[d] for d in doc_ids])
        return cls({d: i for i, d in enumerate(doc_ids)}, points, base, is_space(points), utf8, utf8_offsets(points))

    def length(self, doc: np.ndarray) -> np.ndarray:
        return np.where(doc >= 0, self.base[doc + 1] - self.base[doc], -1)

    @cached_property
    def lengths(self) -> np.ndarray:
        return np.diff(self.base)

    def text(self, doc: int, start: int, end: int) -> str:
        """Document `doc`'s text[start:end] (clipped to the document)."""
        lo, hi = self.base[doc], self.base[doc + 1]
        return self.utf8[self.utf8_at[min(hi, lo + max(start, 0))]:self.utf8_at[min(hi, lo + max(end, 0))]].decode("utf-8")


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
        return Spans(self.file, self.rows[pick], self.lines[pick], self.ids.pick(pick), self.doc[pick], self.start[pick], self.end[pick],
                     self.texts.pick(pick), self.prefix)

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
