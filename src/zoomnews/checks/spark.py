"""validate on Spark: the same functions as `zoomnews validate`, on data Spark reads itself.

1. Spark reads every source file (`binaryFile`) and parses each with zoomnews.sources.tables
   (`mapInArrow`): levels 1-2 and canonical form, exactly as validate reads a file. Out come the
   rows of every kind in one wide table (a `kind` column says whose) and the problems found.
2. The registries (small) come back to the driver, which builds the index and runs their checks,
   as validate does.
3. Spark reads the raw texts (`binaryFile`), unions them with the rows of every doc_id-keyed kind
   (documents, articles, span layers), groups everything by `doc_id` and runs
   validation.check_documents on each group (`applyInArrow`): the block function validate runs, here
   on blocks of one document.
The report equals validate's, every level included (tests/test_distributed.py).

    from pyspark.sql import SparkSession
    from zoomnews.checks.spark import validate_with_spark
    report = validate_with_spark(CorpusRepo("."), SparkSession.builder.master("local[2]").getOrCreate())

Needs the `spark` extra (pyspark, Java 17+).
"""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.compute as pc

from zoomnews.errors import Problem
from zoomnews.repo import CorpusRepo

PROBLEM_COLUMNS = [("p_file", pa.string()), ("p_line", pa.int64()), ("p_code", pa.string()), ("p_field", pa.string()),
                   ("p_message", pa.string()), ("p_suggestion", pa.string()), ("p_doc_id", pa.string())]
PROBLEMS = pa.schema([(name[2:], t) for name, t in PROBLEM_COLUMNS])
RAW = "raw"  # the `kind` of a raw text's row (its bytes in `content`)


def wide_schema(kinds) -> pa.Schema:
    """Every kind's table columns in one schema (a column two kinds share has one type), plus `kind`,
    the raw bytes and a problem's columns."""
    from zoomnews.sources.tables import Schema

    fields: dict[str, pa.DataType] = {"kind": pa.string()}
    for kind in kinds.values():
        for f in Schema(kind).table_schema:
            if fields.setdefault(f.name, f.type) != f.type:
                raise ValueError(f"column {f.name} has two types: {fields[f.name]} and {f.type}")
    fields["content"] = pa.binary()
    fields.update(PROBLEM_COLUMNS)
    return pa.schema(list(fields.items()))


def _widen(table: pa.Table, kind: str, wide: pa.Schema) -> pa.RecordBatch:
    columns = [pa.array([kind] * table.num_rows, pa.string()) if f.name == "kind" else
               table.column(f.name).combine_chunks() if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
               for f in wide]
    return pa.RecordBatch.from_arrays(columns, schema=wide)


def _problem_batch(problems: list[Problem], wide: pa.Schema) -> pa.RecordBatch:
    values = {"p_file": [p.file for p in problems], "p_line": [p.line for p in problems], "p_code": [p.code for p in problems],
              "p_field": [p.field for p in problems], "p_message": [p.message for p in problems], "p_suggestion": [p.suggestion for p in problems],
              "p_doc_id": [p.doc_id for p in problems]}
    return pa.RecordBatch.from_arrays([pa.array(values[f.name], f.type) if f.name in values else pa.nulls(len(problems), f.type) for f in wide], schema=wide)


def _narrow(table: pa.Table, kind) -> pa.Table:
    """A kind's rows out of the wide table, as its source table (line order)."""
    from zoomnews.sources.tables import Schema

    schema = Schema(kind).table_schema
    rows = table.filter(pc.equal(table.column("kind"), kind.name))
    rows = rows.take(pc.sort_indices(rows.column("line"))) if rows.num_rows else rows
    return pa.Table.from_arrays([rows.column(f.name).cast(f.type) for f in schema], schema=schema)


def _problems_of(table: pa.Table) -> list[Problem]:
    return [Problem(r["p_file"], r["p_line"], r["p_code"], r["p_message"], field=r["p_field"], suggestion=r["p_suggestion"], doc_id=r["p_doc_id"])
            for r in table.select([name for name, _ in PROBLEM_COLUMNS]).to_pylist()]


def _kinds_of(schemas: dict[str, dict]):
    """Kinds rebuilt from their schemas on an executor (a Kind's compiled validators do not pickle)."""
    from zoomnews.sources.schemas import Kind

    return {name: Kind(name, schema) for name, schema in schemas.items()}


def _spark_path(path: str) -> str:
    return os.path.realpath(path.removeprefix("file://").removeprefix("file:"))


def validate_with_spark(repo: CorpusRepo, spark, releases: bool = True):
    """validate's report, computed by Spark on files it reads itself."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    from zoomnews.sources.jsonl import unsafe_path
    from zoomnews.sources.schemas import load_kinds
    from zoomnews.sources.tables import read_source_table
    from zoomnews.checks.rules import Block, run_rules
    from zoomnews.checks.span_arrays import Documents
    from zoomnews.sources.corpus import misnamed_documents
    from zoomnews.checks.validation import (Report, check_documents, document_kinds, know_raw_files, one_per_mistake, raw_listing, registry_index,
                                            registry_kinds, sort_problems, stray_sources)

    kinds = load_kinds(repo)
    grouped, registries = document_kinds(kinds), registry_kinds(kinds)
    schemas = {name: kind.schema for name, kind in kinds.items()}
    wide = wide_schema(kinds)
    spark_schema = from_arrow_schema(wide)
    problems: list[Problem] = []
    tables: dict[str, pa.Table] = {}
    kind_of: dict[str, str] = {}
    unread: set[str] = set()  # (see Index.unread)
    for name, kind in kinds.items():
        path = repo.path(kind.source)
        if unsafe_path(path, repo.root) is None and path.is_file() and not path.is_symlink():
            kind_of[os.path.realpath(path)] = name
        else:  # missing, a link, a FIFO...: read here, where the problem is named and nothing waits
            source = read_source_table(repo, kind)
            problems.extend(source.problems)
            tables[name] = source.table
            if source.unread:
                unread.add(kind.source)

    # the registered doc_ids, the small index ZN307 needs (a row naming no document is left out of the order, see FormCheck)
    register = read_source_table(repo, kinds["document"]).table.column("doc_id")
    names = pc.drop_null(register).to_pylist()

    def parse(batches):
        from zoomnews.sources.tables import parse_source

        local = _kinds_of(schemas)
        known = pa.array(names, pa.string())
        for batch in batches:
            for path, content in zip(batch.column("path").to_pylist(), batch.column("content").to_pylist()):
                name = kind_of[_spark_path(path)]
                source = parse_source(content, local[name])
                yield _widen(source.table, name, wide)
                yield _problem_batch([*source.problems, *source.form_problems(known if name != "document" else None)], wide)

    parsed = (spark.read.format("binaryFile").load(sorted(kind_of)) if kind_of else spark.createDataFrame([], "path string, content binary"))
    parsed = parsed.select("path", "content").mapInArrow(parse, spark_schema).cache()
    try:
        problems.extend(_problems_of(parsed.filter(F.col("p_code").isNotNull()).toArrow()))
        counts = {row["kind"]: row["count"] for row in parsed.filter(F.col("kind").isNotNull()).groupBy("kind").count().collect()}
        small = parsed.filter(F.col("kind").isin(*registries)).toArrow()
        for name in registries:
            tables.setdefault(name, _narrow(small, kinds[name]))
        index = registry_index(kinds, tables)
        index.unread = frozenset(unread)
        problems.extend(run_rules(Block({name: tables[name] for name in registries}, Documents.of({}), index), "corpus"))
        present, raw_problems = raw_listing(repo, kinds)
        problems.extend(raw_problems)
        problems.extend(stray_sources(repo, kinds))
        know_raw_files(index, present)
        unreadable_raw = {p.file for p in raw_problems}
        index.misnamed = misnamed_documents(names, present, unreadable_raw)

        raw_paths = sorted(os.path.realpath(path) for path in present.values())
        doc_of = {path: doc_id for doc_id, path in ((d, os.path.realpath(p)) for d, p in present.items())}

        def with_doc_id(batches):
            for batch in batches:
                doc_ids = [doc_of[_spark_path(p)] for p in batch.column("path").to_pylist()]
                yield pa.RecordBatch.from_arrays([pa.array(doc_ids, pa.string()), batch.column("content"), pa.array([RAW] * len(doc_ids), pa.string())],
                                                 names=["doc_id", "content", "kind"])

        raws = (spark.read.format("binaryFile").load(raw_paths).select("path", "content")
                .mapInArrow(with_doc_id, "doc_id string, content binary, kind string")) if raw_paths else None
        rows = parsed.filter(F.col("kind").isin(*grouped) & F.col("doc_id").isNotNull())
        if raws is not None:
            rows = rows.unionByName(raws, allowMissingColumns=True)
        def check_group(table: pa.Table) -> pa.Table:
            local = _kinds_of(schemas)
            doc_id = table.column("doc_id")[0].as_py()
            groups = {name: _narrow(table, local[name]) for name in grouped}
            raw_rows = table.filter(pc.equal(table.column("kind"), RAW))
            raws = {doc_id: raw_rows.column("content")[0].as_py()} if raw_rows.num_rows else {}
            found = check_documents(groups, raws, set(raws), unreadable_raw, index)
            return pa.Table.from_pylist([{"file": p.file, "line": p.line, "code": p.code, "field": p.field, "message": p.message,
                                          "suggestion": p.suggestion, "doc_id": p.doc_id} for p in found], schema=PROBLEMS)

        checked = rows.groupBy("doc_id").applyInArrow(check_group, from_arrow_schema(PROBLEMS)).toArrow()
        problems.extend(_problems_of(checked.rename_columns([f"p_{name}" for name in checked.column_names])))
    finally:
        parsed.unpersist()
    from zoomnews.checks.validation import agreement_problems

    problems.extend(agreement_problems(repo))  # the agreement passes: small, checked in the driver as validate checks them
    if releases:
        from zoomnews.checks.releases import check_releases

        problems.extend(check_releases(repo))
    return Report(sort_problems(one_per_mistake(problems)), {name: counts.get(name, 0) for name in kinds})
