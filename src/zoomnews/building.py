"""Build a release: sources -> validated corpus -> Arrow tables -> Parquet + manifest, atomically.

The release is written to a temporary folder beside its final place and renamed into place, so a
failed or interrupted build never leaves a half-written release. Building is deterministic: the
same sources give byte-identical files, so rebuilding an existing version is a no-op, and building
different content under an existing version is refused (released versions are immutable).
"""

from __future__ import annotations

import filecmp
import json
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from zoomnews.croissant import CROISSANT, croissant_text
from zoomnews.configs import CONFIGS, FLAT, config_features, make_tables
from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.manifest import MANIFEST, file_entry, make_manifest
from zoomnews.repo import RAW_DIR, CorpusRepo
from zoomnews.validation import validate_repo
from zoomnews.views import NER_TAGS, OVERLAP

SPLIT = "train"
SHARD_ROWS = 100_000  # rows per Parquet file; more files feed more DataLoader workers / ranks
PARQUET_OPTIONS = dict(compression="zstd", compression_level=9, use_dictionary=True, write_statistics=True, row_group_size=10_000)


@dataclass(frozen=True)
class BuildResult:
    version: str
    path: Path
    status: str  # "created" or "unchanged"
    rows: dict[str, int]


def shard_name(index: int, count: int) -> str:
    return f"{SPLIT}-{index:05d}-of-{count:05d}.parquet"


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write one file; an empty table gets no row group at all (readers choke on a 0-row group)."""
    options = dict(PARQUET_OPTIONS)
    row_group_size = options.pop("row_group_size")
    with pq.ParquetWriter(path, table.schema, **options) as writer:
        if table.num_rows:
            writer.write_table(table, row_group_size=row_group_size)


def build_release(repo: CorpusRepo, version: str | None = None, shard_rows: int = SHARD_ROWS, jobs: int = 1) -> BuildResult:
    version = version or repo.dataset_version
    report = validate_repo(repo, releases=False, jobs=jobs)
    if report.problems:
        summary = Problem("sources", None, "ZN902", f"{len(report.problems)} problem(s); release {version} not built")
        raise ZoomnewsError([*report.problems, summary])
    corpus = report.corpus
    tables = make_tables(corpus, report.span_tables, jobs=jobs, consume=True)
    _check_counts(report.counts, tables)
    features = config_features(corpus.kinds)
    raw_checksums = {f"{RAW_DIR}/{doc_id}.txt": checksum for doc_id, checksum in corpus.raw_sha256.items()}
    del report, corpus  # only the tables from here on
    final = repo.release_dir(version)
    repo.releases_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=repo.releases_dir))
    try:
        files, shards = {}, []
        for name in CONFIGS:
            (tmp / name).mkdir()
            table = tables[name]
            count = max(1, -(-table.num_rows // shard_rows))
            files[name] = [f"{name}/{shard_name(index, count)}" for index in range(count)]
            shards += [(table.slice(index * shard_rows, shard_rows), tmp / relative) for index, relative in enumerate(files[name])]
        with ThreadPoolExecutor(max_workers=jobs) as pool:  # Parquet encoding releases the GIL; each file's bytes are the same either way
            list(pool.map(lambda shard: write_parquet(*shard), shards))
        manifest = make_manifest(repo, version, tmp, files, features, known=raw_checksums)
        (tmp / CROISSANT).write_text(croissant_text(repo, manifest), encoding="utf-8")
        manifest["metadata_files"] = [file_entry(tmp, CROISSANT)]
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        rows = {name: tables[name].num_rows for name in CONFIGS}
        if final.exists():
            if not _same_tree(tmp, final):
                raise ZoomnewsError(Problem(repo.rel(final), None, "ZN901", f"release {version} exists and the sources now build different files"))
            return BuildResult(version, final, "unchanged", rows)
        tmp.rename(final)
        return BuildResult(version, final, "created", rows)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def _check_counts(counts: dict[str, int], tables: dict[str, pa.Table]) -> None:
    """Counts in = counts out: every source record is one row, every document one default row."""
    for config, kind in FLAT.items():
        if tables[config].num_rows != counts[kind]:
            raise AssertionError(f"{config}: {counts[kind]} records in, {tables[config].num_rows} rows out")
    if tables["default"].num_rows != tables["documents"].num_rows:
        raise AssertionError("default: one row per document")
    if tables["statements"].num_rows != tables["statement_registry"].num_rows:
        raise AssertionError("statements: one row per registered statement")
    aligned = pc.sum(pc.list_value_length(tables["statements"].column("quotes"))).as_py() or 0
    if aligned != tables["quotes"].num_rows:
        raise AssertionError(f"statements: {aligned} quotes aligned, {tables['quotes'].num_rows} quotes")
    if tables["attribution"].num_rows != tables["quotes"].num_rows:
        raise AssertionError("attribution: one row per quotation")
    # counted in Arrow: at scale the views hold millions of tags
    beginnings = pa.array([i for i, tag in enumerate(NER_TAGS) if tag.startswith("B-")], type=pa.int64())
    tags = pc.list_flatten(tables["ner"].column("ner_tags"))
    begun = pc.sum(pc.is_in(tags, value_set=beginnings)).as_py() or 0
    reasons = pc.struct_field(pc.list_flatten(tables["ner"].column("adjusted")), "reason")
    left_out = pc.sum(pc.equal(reasons, OVERLAP)).as_py() or 0
    if begun + left_out != tables["entities"].num_rows + tables["timexes"].num_rows:
        raise AssertionError(f"ner: {begun} spans tagged + {left_out} left out != {tables['entities'].num_rows} entities + {tables['timexes'].num_rows} timexes")


def _same_tree(a: Path, b: Path) -> bool:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all(filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)
