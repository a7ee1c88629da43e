"""Write a release's Parquet files a block of documents at a time.

Layout (docs/loading.md): every config that is keyed by document (documents, default, the layers and
the training views) is cut into shards of SHARD_DOCUMENTS documents, the same documents in file k of
every one of them (co-partitioned: a document's rows are never split between files, and shard k of
`entities` goes with shard k of `documents`). Configs not keyed by document (the registries and
`statements`) are cut every SHARD_ROWS rows. Within a file, row groups hold ROW_GROUP_ROWS rows.

Where a cut falls depends on the sources only, so the same sources give the same bytes however the
documents reach the writer: in one pass, a block at a time, or in ranges of whole shards written by
several processes (build --jobs N).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SPLIT = "train"
SHARD_DOCUMENTS = 10_000  # documents per file of a document-keyed config
SHARD_ROWS = 100_000  # rows per file of the other configs
ROW_GROUP_ROWS = 10_000  # the batch `datasets` streams; small enough to stream, large enough to compress
PARQUET_OPTIONS = dict(compression="zstd", compression_level=9, use_dictionary=True, write_statistics=True)


def shard_name(index: int, count: int) -> str:
    return f"{SPLIT}-{index:05d}-of-{count:05d}.parquet"


def shard_count(items: int, per_shard: int) -> int:
    return max(1, -(-items // per_shard))


class ParquetFile:
    """One Parquet file written in row groups of exactly ROW_GROUP_ROWS rows (the last may be
    shorter), whatever the sizes of the tables added. Each row group is one contiguous table, so the
    bytes do not depend on how the rows were chunked. A file that gets no rows has no row group at
    all (readers choke on a 0-row group)."""

    def __init__(self, path: Path, schema: pa.Schema, row_group_rows: int = ROW_GROUP_ROWS):
        self.path, self.schema, self.row_group_rows = path, schema, row_group_rows
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
            self.writer = pq.ParquetWriter(self.path, self.schema, **PARQUET_OPTIONS)
        self.writer.write_table(rows.combine_chunks(), row_group_size=rows.num_rows)
        self.rows += rows.num_rows

    def close(self) -> int:
        """Write what is left, close the file; the number of rows it holds."""
        if self.pending_rows:
            self._write(pa.concat_tables(self.pending))
            self.pending, self.pending_rows = [], 0
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, self.schema, **PARQUET_OPTIONS)
        self.writer.close()
        return self.rows


def write_table_shards(table: pa.Table, folder: Path, name: str, shard_rows: int = SHARD_ROWS) -> list[str]:
    """A config not keyed by document: `table` cut every `shard_rows` rows into folder/name/; the
    files' names relative to `folder`."""
    count = shard_count(table.num_rows, shard_rows)
    (folder / name).mkdir(exist_ok=True)
    files = []
    for index in range(count):
        relative = f"{name}/{shard_name(index, count)}"
        out = ParquetFile(folder / relative, table.schema)
        out.add(table.slice(index * shard_rows, shard_rows))
        out.close()
        files.append(relative)
    return files


@dataclass(frozen=True)
class ShardWriter:
    """validate's consumer in build: writes the document-keyed configs into `folder` as blocks pass
    (see zoomnews.checks.validation.validate_repo). Picklable: build --jobs N sends it to every range's process."""

    folder: Path
    shard_documents: int = SHARD_DOCUMENTS

    @property
    def align(self) -> int:
        return self.shard_documents

    def open(self, names, lo: int, hi: int, kinds, index) -> "RangeShards":
        return RangeShards(self.folder, self.shard_documents, names, lo, hi, kinds, index)


@dataclass
class RangeOutput:
    """What one range wrote: rows per config, the raw files' sha256, the `ner` tally and the aligned
    quotes (for `statements`, which spans every document)."""

    rows: dict[str, int]
    sha256: dict[str, str]
    ner_tally: tuple[int, int]
    aligned_quotes: pa.Table | None


class RangeShards:
    """The shards of documents names[lo:hi] (lo is a multiple of the shard size, so the range owns
    whole shards), written a block at a time: one open file per document-keyed config."""

    def __init__(self, folder: Path, shard_documents: int, names, lo: int, hi: int, kinds, index):
        from zoomnews.release.configs import config_features, document_configs

        self.folder, self.kinds = folder, kinds
        self.features = config_features(kinds)
        self.configs = document_configs(self.features)
        self.speakers = list(index.registries["registry_speaker"].values())
        self.count = shard_count(len(names), shard_documents)
        self.shard = lo // shard_documents
        # the first doc_id of each later shard of the range: where a block is cut
        self.cuts = [names[k] for k in range(lo + shard_documents - lo % shard_documents, hi, shard_documents)]
        self.files: dict[str, ParquetFile] = {}
        self.output = RangeOutput({}, {}, (0, 0), None)
        self.quotes: list[pa.Table] = []
        self._open_shard()

    def _open_shard(self) -> None:
        for config in self.configs:
            (self.folder / config).mkdir(exist_ok=True)
            self.files[config] = ParquetFile(self.folder / config / shard_name(self.shard, self.count), self.features[config].arrow_schema)

    def _close_shard(self) -> None:
        for config, out in self.files.items():
            self.output.rows[config] = self.output.rows.get(config, 0) + out.close()

    def add(self, block) -> None:
        from zoomnews.release.configs import block_tables, ner_tally

        tables = block_tables(block.tables, block.texts, self.kinds, self.features, self.speakers)
        begun, left_out = ner_tally(tables["ner"])
        self.output.ner_tally = (self.output.ner_tally[0] + begun, self.output.ner_tally[1] + left_out)
        self.output.sha256.update(block.sha256)
        self.quotes.append(tables.pop("aligned_quotes"))
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

    def close(self) -> RangeOutput:
        self._close_shard()
        self.output.aligned_quotes = pa.concat_tables(self.quotes) if self.quotes else None
        return self.output
