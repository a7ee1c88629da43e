"""Write a release's Parquet files a block of documents at a time.

Layout (docs/loading.md): every config that is keyed by document (documents, default, the layers and
the training views) is cut into shards of SHARD_DOCUMENTS documents, the same documents in file k of
every one of them (co-partitioned: a document's rows are never split between files, and shard k of
`entities` goes with shard k of `documents`). Configs not keyed by document (the registries and
`statements`) are cut every SHARD_ROWS rows. Within a file, row groups hold ROW_GROUP_ROWS rows;
a row group of `statements` also ends before it would hold STATEMENT_GROUP_QUOTES nested quotes.

Where a cut falls depends on the sources only, so the same sources give the same bytes however the
documents reach the writer: in one pass, a block at a time, or in ranges of whole shards written by
several processes (build --jobs N).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc  # noqa: F401  (pa.ipc)
import pyarrow.parquet as pq

SPLIT = "train"
SHARD_DOCUMENTS = 10_000  # documents per file of a document-keyed config
SHARD_ROWS = 100_000  # rows per file of the other configs
ROW_GROUP_ROWS = 10_000  # the batch `datasets` streams; small enough to stream, large enough to compress
# How a release's Parquet is compressed; its manifest records it ("parquet"), so that rebuilding a
# release writes its bytes again. zstd's own default level: level 9 made a 100k-document release 11%
# smaller for twice the encoding CPU (8.2 s against 4.5 s, about a sixth of build's).
ENCODING = {"compression": "zstd", "compression_level": 3}
# how the releases written before the manifest recorded it (up to 1.2.0) were compressed
UNRECORDED_ENCODING = {"compression": "zstd", "compression_level": 9}


def parquet_options(encoding: dict | None) -> dict:
    """ParquetWriter's options for `encoding` (None: UNRECORDED_ENCODING, a rebuild of a release whose
    manifest records none)."""
    return dict(**(encoding or UNRECORDED_ENCODING), use_dictionary=True, write_statistics=True)


def shard_name(index: int, count: int) -> str:
    return f"{SPLIT}-{index:05d}-of-{count:05d}.parquet"


def shard_count(items: int, per_shard: int) -> int:
    return max(1, -(-items // per_shard))


class ParquetFile:
    """One Parquet file written in row groups of exactly ROW_GROUP_ROWS rows (the last may be
    shorter), whatever the sizes of the tables added. Each row group is one contiguous table, so the
    bytes do not depend on how the rows were chunked. A file that gets no rows has no row group at
    all (readers choke on a 0-row group)."""

    def __init__(self, path: Path, schema: pa.Schema, encoding: dict | None, row_group_rows: int = ROW_GROUP_ROWS):
        self.path, self.schema, self.options, self.row_group_rows = path, schema, parquet_options(encoding), row_group_rows
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        self.rows = 0
        self.writer: pq.ParquetWriter | None = None

    def add(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        self.pending.append(table)
        self.pending_rows += table.num_rows
        if self.pending_rows >= self.row_group_rows:
            buffered = pa.concat_tables(self.pending)
            whole = self.pending_rows - self.pending_rows % self.row_group_rows
            for start in range(0, whole, self.row_group_rows):
                self._write(buffered.slice(start, self.row_group_rows))
            rest = buffered.slice(whole)
            self.pending, self.pending_rows = ([rest] if rest.num_rows else []), rest.num_rows

    def _write(self, rows: pa.Table) -> None:
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, self.schema, **self.options)
        self.writer.write_table(rows.combine_chunks(), row_group_size=rows.num_rows)
        self.rows += rows.num_rows

    def close(self) -> int:
        """Write what is left, close the file; the number of rows it holds."""
        if self.pending_rows:
            self._write(pa.concat_tables(self.pending))
            self.pending, self.pending_rows = [], 0
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, self.schema, **self.options)
        self.writer.close()
        return self.rows


def write_table_shards(table: pa.Table, folder: Path, name: str, encoding: dict | None, shard_rows: int = SHARD_ROWS) -> list[str]:
    """A config not keyed by document: `table` cut every `shard_rows` rows into folder/name/; the
    files' names relative to `folder`."""
    count = shard_count(table.num_rows, shard_rows)
    (folder / name).mkdir(exist_ok=True)
    files = []
    for index in range(count):
        relative = f"{name}/{shard_name(index, count)}"
        out = ParquetFile(folder / relative, table.schema, encoding)
        out.add(table.slice(index * shard_rows, shard_rows))
        out.close()
        files.append(relative)
    return files


@dataclass(frozen=True)
class ShardWriter:
    """validate's consumer in build: writes the document-keyed configs into `folder` as blocks pass
    (see zoomnews.checks.validation.validate_repo). Picklable: build --jobs N sends it to every range's process."""

    folder: Path
    # every config's (zoomnews.release.configs.config_schemas): the processes never import `datasets`;
    # or a function that gives them (SchemasApart: the schemas are asked for when first needed)
    schemas: dict[str, pa.Schema] | Callable[[], dict[str, pa.Schema]]
    encoding: dict | None  # ENCODING, or what an existing release's manifest records (a rebuild; None: nothing)
    shard_documents: int = SHARD_DOCUMENTS

    @property
    def align(self) -> int:
        return self.shard_documents

    def config_schemas(self) -> dict[str, pa.Schema]:
        return self.schemas() if callable(self.schemas) else self.schemas

    def open(self, names, lo: int, hi: int, kinds, index) -> "RangeShards":
        return RangeShards(self.folder, self.config_schemas(), self.shard_documents, names, lo, hi, kinds, index, self.encoding)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "schemas": self.config_schemas()}  # a range's process gets the schemas themselves


def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None


MALLOC_TRIM = _malloc_trim()


def give_back_memory() -> None:
    """Return the memory a block freed to the system. Arrow's allocator and glibc's malloc keep freed
    pages for reuse; over a long build those pages, not live data, made peak memory grow with the
    corpus (+20% from 100k to 300k documents; +6% when given back after every block)."""
    pa.default_memory_pool().release_unused()
    if MALLOC_TRIM is not None:
        MALLOC_TRIM(0)


@dataclass
class RangeOutput:
    """What one range wrote: rows per config, the raw files' sha256 (the range's sorted doc_ids and
    their 32-byte digests), the `ner` tally, and the file its aligned quotes were spilled to (for
    `statements`, which spans every document; None: the range has no quote)."""

    rows: dict[str, int]
    raw_digests: tuple[np.ndarray, bytes]
    ner_tally: tuple[int, int]
    aligned_quotes: str | None


ALIGNED_SPILL = ".aligned-quotes-{:012d}.arrow"  # hidden, in the build's temporary folder; removed before the release is complete


class RangeShards:
    """The shards of documents names[lo:hi] (lo is a multiple of the shard size, so the range owns
    whole shards), written a block at a time: one open file per document-keyed config. The block's
    aligned quotes go to an Arrow stream on disk, one record batch per block, so that memory does
    not grow with the corpus."""

    def __init__(self, folder: Path, schemas: dict[str, pa.Schema], shard_documents: int, names, lo: int, hi: int, kinds, index,
                 encoding: dict | None):
        from zoomnews.release.configs import document_configs

        self.folder, self.kinds, self.schemas, self.encoding = folder, kinds, schemas, encoding
        self.configs = document_configs(schemas)
        self.speakers = list(index.registries["registry_speaker"].values())
        self.count = shard_count(len(names), shard_documents)
        self.shard = lo // shard_documents
        # the first doc_id of each later shard of the range: where a block is cut
        self.cuts = [names[k] for k in range(lo + shard_documents - lo % shard_documents, hi, shard_documents)]
        self.files: dict[str, ParquetFile] = {}
        self.output = RangeOutput({}, (np.zeros(0, dtype="S1"), b""), (0, 0), None)
        self.doc_ids: list[np.ndarray] = []
        self.digests: list[bytes] = []
        self.spill_path = folder / ALIGNED_SPILL.format(lo)
        self.spill: pa.ipc.RecordBatchStreamWriter | None = None
        self._open_shard()

    def _open_shard(self) -> None:
        for config in self.configs:
            (self.folder / config).mkdir(exist_ok=True)
            self.files[config] = ParquetFile(self.folder / config / shard_name(self.shard, self.count), self.schemas[config], self.encoding)

    def _close_shard(self) -> None:
        for config, out in self.files.items():
            self.output.rows[config] = self.output.rows.get(config, 0) + out.close()

    def add(self, block) -> None:
        from zoomnews.release.configs import block_tables, ner_tally

        tables = block_tables(block.tables, block.texts, self.kinds, self.schemas, self.speakers)
        begun, left_out = ner_tally(tables["ner"])
        self.output.ner_tally = (self.output.ner_tally[0] + begun, self.output.ner_tally[1] + left_out)
        doc_ids = sorted(block.sha256)
        self.doc_ids.append(np.array(doc_ids, dtype=bytes))
        self.digests.append(b"".join(bytes.fromhex(block.sha256[d]) for d in doc_ids))
        self._spill(tables.pop("aligned_quotes"))
        while self.cuts and tables["documents"].num_rows and tables["documents"].column("doc_id")[-1].as_py() >= self.cuts[0]:
            cut = self.cuts.pop(0)
            for config in self.configs:
                before = int(pc.sum(pc.less(tables[config].column("doc_id"), cut)).as_py() or 0)
                self.files[config].add(tables[config].slice(0, before))
                tables[config] = tables[config].slice(before)
            self._close_shard()
            self.shard += 1
            self._open_shard()
        for config in self.configs:
            self.files[config].add(tables[config])
        give_back_memory()

    def _spill(self, quotes: pa.Table) -> None:
        """One record batch per block: a batch holds whole documents (write_statements relies on it)."""
        if not quotes.num_rows:
            return
        if self.spill is None:
            self.spill = pa.ipc.new_stream(str(self.spill_path), quotes.schema)
        self.spill.write_batch(quotes.combine_chunks().to_batches()[0])

    def close(self) -> RangeOutput:
        self._close_shard()
        if self.spill is not None:
            self.spill.close()
            self.output.aligned_quotes = str(self.spill_path)
        if self.doc_ids:
            self.output.raw_digests = (np.concatenate(self.doc_ids), b"".join(self.digests))
        return self.output


# `statements` nests every quote of a statement in its row, so a row group holds the quotes of all
# its statements: a row group is cut before it would pass this many aligned quotes (a statement with
# more gets one of its own), which bounds build's memory at the end whatever the corpus size. Below
# it, the row groups are the ROW_GROUP_ROWS ones every config has (and the bytes those gave).
STATEMENT_GROUP_QUOTES = 25_000


def _spilled(spills: list[str]):
    for path in spills:
        with pa.ipc.open_stream(path) as reader:
            yield from reader


def statement_groups(quotes_per_statement: np.ndarray, shard_rows: int = SHARD_ROWS, row_group_rows: int = ROW_GROUP_ROWS,
                     group_quotes: int = STATEMENT_GROUP_QUOTES) -> list[tuple[int, int]]:
    """The row groups of `statements` as (first, end) statement indexes: cut every `row_group_rows`
    statements and at every shard boundary, and before a group would pass `group_quotes` quotes."""
    groups, lo, quotes = [], 0, 0
    for i, count in enumerate(quotes_per_statement.tolist()):
        if i > lo and (i - lo == row_group_rows or i % shard_rows == 0 or quotes + count > group_quotes):
            groups.append((lo, i))
            lo, quotes = i, 0
        quotes += count
    if lo < len(quotes_per_statement) or not groups:
        groups.append((lo, len(quotes_per_statement)))
    return groups


def write_statements(registry: pa.Table, spills: list[str], schema: pa.Schema, folder: Path, encoding: dict | None, name: str = "statements",
                     shard_rows: int = SHARD_ROWS, group_quotes: int | None = None) -> tuple[list[str], int]:
    """The `statements` config into folder/name/, a row group at a time, from the statement registry's
    rows and the aligned quotes the ranges spilled (in document order); its files' names relative to
    `folder`, and the number of quotes aligned. Each row group's quotes are read from the spills
    again, so memory holds one row group, not every quote."""
    from zoomnews.release.configs import aligned, table_from_arrow

    ids = registry.column("id")
    counts = np.zeros(registry.num_rows, dtype=np.int64)
    for batch in _spilled(spills):
        counts += np.bincount(pc.index_in(batch.column("statement_id"), value_set=ids).to_numpy(zero_copy_only=False), minlength=registry.num_rows)
    count = shard_count(registry.num_rows, shard_rows)
    (folder / name).mkdir(exist_ok=True)
    files = [f"{name}/{shard_name(k, count)}" for k in range(count)]
    writers: dict[int, pq.ParquetWriter] = {}
    options = parquet_options(encoding)
    try:
        for lo, hi in statement_groups(counts, shard_rows, group_quotes=group_quotes or STATEMENT_GROUP_QUOTES):
            members = []
            for batch in _spilled(spills):
                owner = pc.index_in(batch.column("statement_id"), value_set=ids)
                members.append(batch.filter(pc.and_(pc.greater_equal(owner, lo), pc.less(owner, hi))))
            quotes = pa.Table.from_batches(members) if members else None
            rows = table_from_arrow(aligned(registry.slice(lo, hi - lo), quotes, schema), schema)
            shard = lo // shard_rows
            if shard not in writers:
                writers[shard] = pq.ParquetWriter(folder / files[shard], schema, **options)
            if rows.num_rows:
                writers[shard].write_table(rows.combine_chunks(), row_group_size=rows.num_rows)
        for shard in range(count):  # a shard with no row (no statement registered) is a file with no row group
            if shard not in writers:
                writers[shard] = pq.ParquetWriter(folder / files[shard], schema, **options)
    finally:
        for writer in writers.values():
            writer.close()
    return files, int(counts.sum())
