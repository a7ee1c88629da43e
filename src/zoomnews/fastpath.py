"""The Arrow fast path of validate: prove in bulk that a span layer (zones, entities, timexes, quotes)
has no problem at all, so that Python never builds a record of it.

A layer file is read a block of whole lines at a time (so memory holds one block and the table),
each block once as bytes and once by Arrow's JSON reader (with the Arrow types the schema implies,
unknown keys refused). It is proved clean when:
- level 1: a regular file (not a link, FIFO or device); no byte-order mark, no CR, a final LF, no blank
  line, no surrogate escape (a lone one is ZN115); every line parsed (a float such as 4.0 is refused
  for an integer column);
- canonical form (ZN307): each raw line equals the canonical serialisation rebuilt from the columns
  (which also rules out duplicate keys, missing keys and extra spacing), and the rows are sorted;
- level 2: every distinct value of every column is valid under its property's subschema (the
  schemas are per-property: `properties`, `required`, `additionalProperties: false`), checked by
  jsonschema-rs and, for any value it rejects, by the reference jsonschema;
- levels 3-4: the same vectorised span checks as the slow path, a block of documents at a time (so
  memory stays flat), references by set membership, the timex rules on distinct (type, value) and
  (text, value) pairs.
Any doubt at any step returns None, and validate runs the per-record path, which finds and explains
the problem. So the fast path changes speed, never results (tests/test_fastpath.py).
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from zoomnews import spans as span_checks
from zoomnews import timeml
from zoomnews.jsonl import unsafe_path
from zoomnews.grouped import Layer

SPAN_KINDS = ("zone", "entity", "timex", "quote")
SCHEMA_KEYS = {"$schema", "$id", "title", "description", "type", "additionalProperties", "required", "properties", "x-zoomnews"}
CONTROL = r"[\x00-\x1f]"
BLOCK_BYTES = 1 << 25  # bytes of whole lines read, parsed and checked at a time


class ArrowColumn:
    """A string column that reads like a list where the span checks format a message."""

    def __init__(self, array: pa.Array):
        self.arrow = array

    def __getitem__(self, i):
        return self.arrow[int(i)].as_py()

    def __len__(self):
        return len(self.arrow)


def _arrow_type(node: dict) -> pa.DataType | None:
    if "enum" in node:
        values = [v for v in node["enum"] if v is not None]
        return pa.string() if all(isinstance(v, str) for v in values) else None
    types = node.get("type", [])
    types = [t for t in ([types] if isinstance(types, str) else types) if t != "null"]
    return {("string",): pa.string(), ("integer",): pa.int64(), ("boolean",): pa.bool_()}.get(tuple(types))


def _nullable(node: dict) -> bool:
    types = node.get("type", [])
    return "null" in ([types] if isinstance(types, str) else types) or None in node.get("enum", [])


def _encoded(column: pa.ChunkedArray, escapes: bool) -> pa.Array | None:
    """The column's values as json.dumps(ensure_ascii=False) writes them; None if a string needs more
    escaping. Without a backslash in the block's bytes no value holds a quote, a backslash or a
    control character (JSON writes those escaped, and Arrow's parser refuses them raw), so strings
    need only their quotes."""
    column = column.combine_chunks()
    if pa.types.is_string(column.type):
        if escapes:
            if pc.any(pc.match_substring_regex(column, CONTROL)).as_py():
                return None
            column = pc.replace_substring(pc.replace_substring(column, "\\", "\\\\"), '"', '\\"')
        text = pc.binary_join_element_wise('"', column, '"', "")
    elif pa.types.is_boolean(column.type):
        text = pc.if_else(column, "true", "false")
    else:
        text = pc.cast(column, pa.string())
    return pc.fill_null(text, "null")


def _open_regular(path):
    """The file opened for reading if it is a regular file (not a symbolic link, FIFO or device), else
    None: the record path then reads it through safeio.read_bytes, which names the problem (ZN111,
    ZN114, ZN910). Opened without blocking, so a FIFO is never waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def _blocks(file) -> Iterator[bytes]:
    """The open file's bytes in blocks of whole lines; the last block ends where the file does. The
    file is closed when the blocks end or are abandoned."""
    rest = b""
    with file as f:
        while chunk := f.read(BLOCK_BYTES):
            chunk = rest + chunk if rest else chunk
            cut = chunk.rfind(b"\n") + 1
            rest = chunk[cut:]
            if cut:
                yield chunk[:cut]
    if rest:
        yield rest


def _lines(block: bytes, first: bool) -> pa.Array | None:
    """A block's lines, each with its LF, as an Arrow string array over the block's bytes (no copy);
    None if level 1 is not clean."""
    if (first and block.startswith(b"\xef\xbb\xbf")) or b"\r" in block or not block.endswith(b"\n") or b"\n\n" in block or block.startswith(b"\n"):
        return None
    if b"\\ud" in block or b"\\uD" in block:  # a surrogate escape, maybe lone (ZN115): Arrow's reader need not refuse it
        return None
    ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
    offsets = np.concatenate([[0], ends + 1]).astype(np.int64)
    lines = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(block))
    try:
        lines.validate(full=True)  # UTF-8 checked in place (Arrow's JSON reader does not check it)
    except pa.ArrowInvalid:
        return None
    return lines


def read_layer(repo, kind, threads: bool = True) -> pa.Table | None:
    """A span layer as an Arrow table, if levels 1-2 and canonical form are provably clean; else None.
    The file is parsed and checked a block of lines at a time, so only the table is ever whole;
    `threads`: Arrow's JSON parser may use every core."""
    schema = kind.schema
    if set(schema) - SCHEMA_KEYS or schema.get("additionalProperties") is not False or set(schema.get("required", [])) != set(schema["properties"]):
        return None
    path = repo.path(kind.source)
    types = {name: _arrow_type(node) for name, node in schema["properties"].items()}
    if any(t is None for t in types.values()) or unsafe_path(path, repo.root):
        return None
    arrow_schema = pa.schema([pa.field(name, t) for name, t in types.items()])
    read_options = pj.ReadOptions(block_size=1 << 23, use_threads=threads)
    parse_options = pj.ParseOptions(explicit_schema=arrow_schema, unexpected_field_behavior="error")
    file = _open_regular(path)
    tables = _block_tables(file, read_options, parse_options, schema["properties"]) if file is not None else None
    if tables is None:
        return None
    table = pa.concat_tables(tables) if tables else arrow_schema.empty_table()
    if not _sorted(table, kind.order) or not _values_valid(table, kind):
        return None
    return table


def _block_tables(file, read_options, parse_options, fields) -> list[pa.Table] | None:
    """The file's blocks as tables, or None at the first block whose level 1 or canonical form is in doubt."""
    tables = []
    for block in _blocks(file):
        lines = _lines(block, first=not tables)
        if lines is None:
            return None
        try:
            table = pj.read_json(io.BytesIO(block), read_options=read_options, parse_options=parse_options)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        if table.num_rows != len(lines) or not _canonical(table, lines, fields, escapes=b"\\" in block):
            return None
        tables.append(table)
    return tables


def _canonical(table: pa.Table, lines: pa.Array, fields, escapes: bool) -> bool:
    """Each line equals the canonical serialisation of its row, rebuilt from the columns."""
    pieces = []
    for n, name in enumerate(fields):
        encoded = _encoded(table.column(name), escapes)
        if encoded is None:
            return False
        pieces += [("{" if n == 0 else ", ") + f'"{name}": ', encoded]
    canonical = pc.binary_join_element_wise(*pieces, "}\n", "")
    return bool(pc.all(pc.equal(pc.cast(canonical, pa.large_string()), lines)).as_py())


def _sorted(table: pa.Table, order: tuple[str, ...]) -> bool:
    indices = pc.sort_indices(table, sort_keys=[(name, "ascending", "at_end") for name in order])
    return bool(np.array_equal(indices.to_numpy(), np.arange(table.num_rows)))


def _unique(table: pa.Table, key: tuple[str, ...]) -> bool:
    """No two rows share the key: sorted by it, no row equals the next (key columns hold no nulls)."""
    if table.num_rows < 2:
        return True
    keys = table.select(list(key))
    keys = keys.take(pc.sort_indices(keys, sort_keys=[(name, "ascending") for name in key])).combine_chunks()
    same = None
    for name in key:
        column = keys.column(name)
        equal = pc.equal(column.slice(0, len(column) - 1), column.slice(1))
        same = equal if same is None else pc.and_(same, equal)
    return not pc.any(same).as_py()


def invalid_values(column, node: dict, schema_uri: str | None) -> list:
    """The distinct values of `column` its property's subschema rejects: jsonschema-rs accepts first,
    the reference jsonschema decides whatever it rejects."""
    import jsonschema_rs

    from zoomnews.schemas import reference_validator

    subschema = {"$schema": schema_uri, **node}
    fast = jsonschema_rs.validator_for(subschema, validate_formats=True)  # (Arrow columns hold no floats: 4.0 cannot reach it)
    reference = None
    rejected = []
    for value in pc.unique(column).to_pylist():
        if not fast.is_valid(value):
            reference = reference or reference_validator(subschema)
            if not reference.is_valid(value):
                rejected.append(value)
    return rejected


def _values_valid(table: pa.Table, kind) -> bool:
    for name, node in kind.schema["properties"].items():
        column = table.column(name)
        if column.null_count and not _nullable(node):
            return False
        simple = _simple_check(column, node)
        if simple is not None:
            if not simple:
                return False
            continue
        if invalid_values(column.combine_chunks(), node, kind.schema.get("$schema")):
            return False
    return _unique(table, kind.key)


# keywords whose meaning for a value of the column's (already checked) Arrow type is one vectorised test
SIMPLE_KEYWORDS = {"type", "description", "title", "minLength", "maxLength", "minimum", "maximum", "enum"}


def _simple_check(column: pa.ChunkedArray, node: dict) -> bool | None:
    """The subschema's verdict on every non-null value at once, or None when it uses other keywords
    (patterns, formats: those go value by value through the validators). JSON Schema counts string
    length in code points, as utf8_length does."""
    if set(node) - SIMPLE_KEYWORDS:
        return None
    values = pc.drop_null(column)
    if not len(values):
        return True
    checks = []
    if "enum" in node:
        allowed = [v for v in node["enum"] if v is not None]
        if not all(isinstance(v, str) for v in allowed) or not pa.types.is_string(values.type):
            return None
        checks.append(pc.is_in(values, value_set=pa.array(allowed, type=pa.string())))
    if "minLength" in node or "maxLength" in node:
        length = pc.utf8_length(values)
        checks += [pc.greater_equal(length, node["minLength"])] if "minLength" in node else []
        checks += [pc.less_equal(length, node["maxLength"])] if "maxLength" in node else []
    checks += [pc.greater_equal(values, node["minimum"])] if "minimum" in node else []
    checks += [pc.less_equal(values, node["maximum"])] if "maximum" in node else []
    return all(pc.all(check).as_py() for check in checks)


def spans_of(table: pa.Table, documents: span_checks.Documents, prefix: str, file: str) -> span_checks.Spans:
    """The spans (or cue_/source_ spans) of a layer table; lines are the table's `line` column when it
    has one (a batch of a file), else row number + 1 (the whole file, one record per line)."""
    start, end, text = (table.column(f"{prefix}{f}") for f in ("start", "end", "text"))
    keep = pc.and_(pc.and_(pc.is_valid(start), pc.is_valid(end)), pc.is_valid(text))
    rows = np.flatnonzero(keep.to_numpy(zero_copy_only=False))
    taken = table.take(pa.array(rows, type=pa.int64()))
    doc = pc.index_in(taken.column("doc_id"), value_set=pa.array(sorted(documents.index), type=pa.string()))
    lines = taken.column("line").to_numpy() if "line" in table.column_names else rows + 1
    return span_checks.Spans(
        file=file, lines=lines, ids=ArrowColumn(taken.column("id").combine_chunks()),
        doc_ids=ArrowColumn(taken.column("doc_id").combine_chunks()),
        doc=pc.fill_null(doc, -1).to_numpy(zero_copy_only=False).astype(np.int64),
        start=taken.column(f"{prefix}start").to_numpy().astype(np.int64), end=taken.column(f"{prefix}end").to_numpy().astype(np.int64),
        texts=ArrowColumn(taken.column(f"{prefix}text").combine_chunks()), prefix=prefix)


def _all_in(column, allowed) -> bool:
    values = pc.drop_null(column)
    return bool(pc.all(pc.is_in(values, value_set=pa.array(sorted(allowed), type=values.type))).as_py()) if len(values) else True


DOCUMENT_BLOCK = 5_000  # documents whose span checks run together


def _rows_of(table: pa.Table, runs: dict, block: list[str]) -> pa.Table:
    """The rows of consecutive documents `block` (canonical order: one run)."""
    present = [runs[d] for d in block if d in runs]
    return table.slice(present[0][0], present[-1][1] - present[0][0]) if present else table.slice(0, 0)


def _spans_clean(corpus, texts: dict[str, str], tables: dict[str, pa.Table]) -> bool:
    """Levels 3-4 span checks for a few documents: offsets, texts, white space (ZN301-304), overlaps
    (ZN305), tiling (ZN306) and a timex's zone's article (ZN405)."""
    documents = span_checks.Documents.of(texts)
    spans, good = {}, {}
    for name in SPAN_KINDS:
        for prefix in ("", "cue_", "source_") if name == "quote" else ("",):
            spans[name + prefix] = spans_of(tables[name], documents, prefix, corpus.kinds[name].source)
            found, good[name + prefix] = span_checks.offset_and_text_problems(spans[name + prefix], documents)
            if found:
                return False
    for name in ("zone", "entity", "timex"):
        if span_checks.overlap_problems(spans[name], documents, good[name]):
            return False
    if span_checks.tiling_problems(spans["zone"], documents, good["zone"], sorted(texts)):
        return False
    rows, zone_rows = span_checks.containing(spans["timex"], spans["zone"], documents, good["timex"], good["zone"])
    inside = zone_rows >= 0
    if np.any(inside):  # spans' lines are row + 1 within these tables
        zone_article = tables["zone"].column("article_index").to_numpy()[spans["zone"].lines[zone_rows[inside]] - 1]
        if not np.array_equal(zone_article, tables["timex"].column("article_index").to_numpy()[spans["timex"].lines[rows[inside]] - 1]):
            return False
    return True


def layers_clean(corpus, tables: dict[str, pa.Table], valid: dict, doc_ids: set[str], articles: dict) -> bool:
    """Levels 3-4 for the span layers, vectorised; True only if the slow path would find nothing."""
    from zoomnews.validation import LINKED_TYPES

    # references: documents, articles, registries, entity types, statement speakers (ZN401, ZN404, ZN403, ZN410, ZN406)
    for name in SPAN_KINDS:
        if not _all_in(tables[name].column("doc_id"), doc_ids):
            return False
    article_keys = {f"{d}\x00{a}" for d, a in articles}
    for name in ("zone", "timex"):
        t = tables[name]
        if len(t) and not _all_in(pc.binary_join_element_wise(t.column("doc_id"), pc.cast(t.column("article_index"), pa.string()), "\x00"), article_keys):
            return False
    registry = {name: {r.data["id"]: r.data for r in valid[name]} for name in ("registry_entity", "registry_speaker", "registry_statement")}
    entities, quotes = tables["entity"], tables["quote"]
    if not (_all_in(entities.column("entity_id"), registry["registry_entity"]) and _all_in(quotes.column("speaker"), registry["registry_speaker"])
            and _all_in(quotes.column("statement_id"), registry["registry_statement"])):
        return False
    for label, entity_id in {(r["label"], r["entity_id"]) for r in entities.select(["label", "entity_id"]).group_by(["label", "entity_id"]).aggregate([]).to_pylist()}:
        if (label in LINKED_TYPES) != (entity_id is not None) or (entity_id is not None and registry["registry_entity"][entity_id]["type"] != label):
            return False
    for speaker, statement in {(r["speaker"], r["statement_id"]) for r in quotes.select(["speaker", "statement_id"]).group_by(["speaker", "statement_id"]).aggregate([]).to_pylist()}:
        if registry["registry_statement"][statement]["speaker"] != speaker:
            return False
    for prefix in ("cue_", "source_"):  # quote parts are null only together (ZN301)
        nulls = [pc.is_null(quotes.column(f"{prefix}{f}")) for f in ("start", "end", "text")]
        if len(quotes) and not pc.all(pc.equal(pc.and_(pc.and_(nulls[0], nulls[1]), nulls[2]), pc.or_(pc.or_(nulls[0], nulls[1]), nulls[2]))).as_py():
            return False
    # every span check is within one document: a block of documents at a time keeps memory flat
    runs = {name: Layer(table=table).ranges if len(table) else {} for name, table in tables.items()}
    doc_order = sorted(corpus.texts)
    for lo in range(0, len(doc_order), DOCUMENT_BLOCK):
        block = doc_order[lo:lo + DOCUMENT_BLOCK]
        part = {name: _rows_of(tables[name], runs[name], block) for name in SPAN_KINDS}
        if not _spans_clean(corpus, {d: corpus.texts[d] for d in block}, part):
            return False
    timexes = tables["timex"]
    for r in timexes.select(["type", "value"]).group_by(["type", "value"]).aggregate([]).to_pylist():
        if not timeml.well_formed(r["type"], r["value"]):
            return False
    dates = timexes.filter(pc.equal(timexes.column("type"), "DATE"))
    for r in dates.select(["text", "value"]).group_by(["text", "value"]).aggregate([]).to_pylist():
        if timeml.inconsistencies(r["text"], r["value"]):
            return False
    created = timexes.filter(timexes.column("creation_time")).select(["doc_id", "article_index", "value"]).to_pylist()
    return all(articles.get((r["doc_id"], r["article_index"]), {}).get("published") == r["value"] for r in created)
