"""Per-batch checks: plain functions over Arrow RecordBatches of one span layer, so they run unchanged
wherever batches flow — a local loop, Spark's `mapInArrow`, Ray Data's `map_batches`.

Only row-local checks live here, the ones a batch can decide with nothing but itself and the document
texts: level 2 (each value against its property's schema), ZN301 (offsets in range), ZN302
(`text == doc[start:end]`) and ZN304 (white space at the edges). Checks that need every row at once
(overlaps, tiling, references, canonical order) stay in `validate`. Batches carry a `line` column
(1-based line in the source file) so problems point at the file's lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from zoomnews import spans as span_checks
from zoomnews.fastpath import invalid_values, spans_of

PROBLEMS = pa.schema([("line", pa.int64()), ("code", pa.string()), ("field", pa.string()), ("message", pa.string())])
PROBLEMS_DDL = "line long, code string, field string, message string"  # the same, as Spark writes a schema


def _schema_problems(batch: pa.RecordBatch, schema: dict) -> list[tuple]:
    lines = batch.column("line")
    problems = []
    for name, node in schema["properties"].items():
        column = batch.column(name)
        bad = invalid_values(column, node, schema.get("$schema"))
        if not bad:
            continue
        values = pa.array([v for v in bad if v is not None], type=column.type)
        mask = pc.fill_null(pc.is_in(column, value_set=values), False)
        if None in bad:
            mask = pc.or_(mask, pc.is_null(column))
        for line, value in zip(pc.filter(lines, mask).to_pylist(), pc.filter(column, mask).to_pylist()):
            problems.append((line, "ZN201", name, f"{value!r} is not valid under the schema of {name}"))
    return problems


def check_batch(batch: pa.RecordBatch, schema: dict, documents: span_checks.Documents, file: str) -> pa.RecordBatch:
    """The problems of one batch of a span layer (columns as in its schema, plus `line`)."""
    problems = _schema_problems(batch, schema)
    table = pa.Table.from_batches([batch])
    prefixes = ("", "cue_", "source_") if "cue_start" in schema["properties"] else ("",)
    for prefix in prefixes:
        spans = spans_of(table, documents, prefix, file)
        found, _ = span_checks.offset_and_text_problems(spans, documents)
        problems += [(p.line, p.code, p.field, p.message) for p in found]
    problems.sort(key=lambda p: (p[0], p[1], p[2] or ""))
    return pa.RecordBatch.from_pylist([dict(zip(PROBLEMS.names, p)) for p in problems], schema=PROBLEMS)


def check_batches(batches: Iterable[pa.RecordBatch], schema: dict, texts: dict[str, str], file: str = "") -> Iterator[pa.RecordBatch]:
    """check_batch over a stream of batches (the shape of Spark's mapInArrow and Ray's map_batches)."""
    documents = span_checks.Documents.of(texts)
    for batch in batches:
        yield check_batch(batch, schema, documents, file)


def layer_batches(repo, kind, batch_size: int = 100_000) -> Iterator[pa.RecordBatch]:
    """A span layer file as RecordBatches with their `line` column (records read by the per-record reader)."""
    from zoomnews.errors import Problem, ZoomnewsError
    from zoomnews.fastpath import _arrow_type
    from zoomnews.jsonl import read_jsonl_canonical
    from zoomnews.sources import Record
    from zoomnews.validation import schema_problems

    reading = read_jsonl_canonical(repo.path(kind.source), kind.source, repo.root)
    # Arrow would turn a float literal into an integer (4.0 -> 4, even 4.5 -> 4): such lines are judged here
    problems = reading.problems + [p for line, data in reading.records if line in reading.float_lines
                                   for p in schema_problems(Record(kind.source, line, data, floats=True), kind)]
    if problems:
        raise ZoomnewsError(problems)
    records = reading.records
    fields = list(kind.schema["properties"])
    schema = pa.schema([("line", pa.int64()), *((f, _arrow_type(kind.schema["properties"][f])) for f in fields)])
    for lo in range(0, len(records), batch_size):
        rows = [{"line": line, **{f: data.get(f) for f in fields}} for line, data in records[lo:lo + batch_size]]
        try:
            yield pa.RecordBatch.from_pylist(rows, schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
            raise ZoomnewsError(Problem(kind.source, None, "ZN201", f"a value of the wrong type ({str(e)[:80]}); run zoomnews validate")) from None
