"""A layer's records grouped by document, handed out a few documents at a time.

Kept apart from zoomnews.views so that validation, which uses it, never imports `datasets`
(0.8 s and ~80 MiB at start-up, on every pull request).
"""

from __future__ import annotations


class Layer:
    """One layer's records, handed out a few documents at a time: from Python rows (any order) or
    from an Arrow table in canonical order (doc_id first), so a big corpus is never all Python objects."""

    def __init__(self, rows: list[dict] | None = None, table=None):
        self.table = table
        self.grouped: dict[str, list[dict]] = {}
        if table is not None:
            import numpy as np
            import pyarrow.compute as pc

            codes = pc.dictionary_encode(table.column("doc_id")).combine_chunks()
            indices = codes.indices.to_numpy(zero_copy_only=False)
            cuts = np.concatenate([[0], np.flatnonzero(np.diff(indices)) + 1, [len(indices)]]).astype(int)
            names = codes.dictionary.to_pylist()
            self.ranges = {names[indices[a]]: (int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:]) if b > a}
        for row in rows or []:
            self.grouped.setdefault(row["doc_id"], []).append(row)

    def rows_of(self, doc_ids: list[str]):
        """The records of `doc_ids` (consecutive documents in sorted order): the table's run of rows
        (never Python objects) when the layer is a table, else grouped by document as `of` gives them."""
        if self.table is None:
            return self.of(doc_ids)
        present = [self.ranges[d] for d in doc_ids if d in self.ranges]
        lo, hi = (present[0][0], present[-1][1]) if present else (0, 0)
        return self.table.slice(lo, hi - lo)

    def of(self, doc_ids: list[str]) -> dict[str, list[dict]]:
        """The records of `doc_ids` (consecutive documents in sorted order), grouped by document."""
        if self.table is None:
            return {d: self.grouped.get(d, []) for d in doc_ids}
        present = [self.ranges[d] for d in doc_ids if d in self.ranges]
        out = {d: [] for d in doc_ids}
        if present:
            lo, hi = present[0][0], present[-1][1]  # canonical order: these documents' rows are one run
            for row in self.table.slice(lo, hi - lo).to_pylist():
                out[row["doc_id"]].append(row)
        return out
