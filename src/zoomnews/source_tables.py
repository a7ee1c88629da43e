"""Read one JSONL source file into an Arrow table: levels 1 (files, lines) and 2 (schema).

Arrow's JSON reader parses the file a block of whole lines at a time, with the Arrow types the
schema implies and unknown keys refused. A line it parses is taken from Arrow when it equals the
canonical serialisation of its row (rebuilt from the columns: that also rules out repeated keys,
float literals for integers and odd spacing). Every other line — one Arrow cannot read (found by
halving the block), one that is not canonical, a blank line, a surrogate escape — goes to the
per-record reader (zoomnews.jsonl), which names its level-1 problem, and then to the reference
validator. So Python touches only the lines that are not already canonical.

Level 2 on Arrow rows runs on each column's distinct values (the schemas are per property:
`properties`, `required`, `additionalProperties: false`), jsonschema-rs first and the reference
jsonschema for whatever it rejects; a row with a rejected value is then explained by the reference
validator on the whole record. A row that fails level 2 stays in the table with its failing fields
set to null and named in the `invalid` column, so later checks that read only its good fields still
run on it (one round of fixes finds every problem), and checks that read a bad field skip it.
"""

from __future__ import annotations

import difflib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from zoomnews.errors import Problem
from zoomnews.jsonl import _Decoders, _strict_record, dumps, read_source

BLOCK_BYTES = 1 << 25  # bytes of whole lines parsed and checked at a time
ARROW_BLOCK = 1 << 22  # bytes Arrow's JSON reader parses per task (threads take tasks in turn)
PYTHON_BELOW = 8  # lines: a failed Arrow parse of fewer lines than this goes line by line to Python
CONTROL = r"[\x00-\x1f]"
LINE, INVALID = "line", "invalid"  # the columns every source table has beside its schema's


def arrow_type(node: dict) -> pa.DataType | None:
    """The Arrow type a property's values take, or None when no Arrow type holds them exactly."""
    if "enum" in node:
        values = [v for v in node["enum"] if v is not None]
        return pa.string() if values and all(isinstance(v, str) for v in values) else None
    types = node.get("type", [])
    types = tuple(t for t in ([types] if isinstance(types, str) else types) if t != "null")
    if types == ("array",):
        item = arrow_type(node.get("items", {}))
        return pa.list_(item) if item is not None and not pa.types.is_list(item) else None
    if types == ("object",):  # an object of fixed fields, all required: a struct in schema order
        properties = node.get("properties", {})
        fields = [(name, arrow_type(child)) for name, child in properties.items()]
        closed = node.get("additionalProperties") is False and set(node.get("required", [])) == set(properties)
        return pa.struct(fields) if properties and closed and all(t is not None and not pa.types.is_nested(t) for _, t in fields) else None
    return {("string",): pa.string(), ("integer",): pa.int64(), ("boolean",): pa.bool_()}.get(types)


def nullable(node: dict) -> bool:
    types = node.get("type", [])
    return "null" in ([types] if isinstance(types, str) else types) or None in node.get("enum", [])


@dataclass
class SourceTable:
    """A source file as read: its records (rows that are JSON objects) with their line numbers and the
    fields that failed level 2, the problems of levels 1-2, and whether every line was canonical."""

    kind: object
    table: pa.Table
    problems: list[Problem] = field(default_factory=list)
    # lines holding a record valid at levels 1-2 that is not written in canonical form, and whether
    # the file's own form is off (no final newline; a BOM or CR is its own level-1 problem)
    noncanonical: list[int] = field(default_factory=list)
    missing_final_newline: bool = False
    lines: int = 0

    @property
    def canonical_lines(self) -> bool:
        return not self.noncanonical and not self.missing_final_newline

    def usable(self, fields) -> np.ndarray:
        """Rows whose every one of `fields` passed level 2."""
        return usable_rows(self.table, fields)

    def form_problems(self) -> list[Problem]:
        """ZN307, once per file, at its first line out of canonical form: a record not written
        canonically, a row that sorts before the row above it, a missing final newline. Not reported
        while the file has a level-1 problem (fix that first), and counting neither lines that failed
        their schema nor a repeated key's later lines (ZN201 and ZN303 name those)."""
        from zoomnews.checks import CHECKS

        if any(CHECKS[p.code].level == 1 for p in self.problems) or not self.lines:
            return []
        lines = list(self.noncanonical)
        order = self.kind.order
        if self.table.num_rows > 1:
            keep = usable_rows(self.table, (*order, *self.kind.key)) & ~repeated_keys(self.table, self.kind.key)
            lines += first_out_of_order(self.table.filter(pa.array(keep)), order)
        if self.missing_final_newline:
            lines.append(self.lines)
        return [Problem(self.kind.source, min(lines), "ZN307", "not in canonical form (record order, key order or spacing)")] if lines else []


def repeated_keys(table: pa.Table, key) -> np.ndarray:
    """True for every row whose key an earlier row (in line order) already has."""
    if table.num_rows < 2:
        return np.zeros(table.num_rows, dtype=bool)
    joined = pc.binary_join_element_wise(*[pc.cast(table.column(k), pa.string()) for k in key], "\x00")
    codes = pc.dictionary_encode(pc.fill_null(joined, "\x01")).combine_chunks().indices.to_numpy(zero_copy_only=False)
    order = np.argsort(table.column(LINE).to_numpy(), kind="stable")
    _, first = np.unique(codes[order], return_index=True)
    repeated = np.ones(table.num_rows, dtype=bool)
    repeated[order[first]] = False
    return repeated


def first_out_of_order(table: pa.Table, order) -> list[int]:
    """The line of the first row that sorts before the row above it, if any (vectorised)."""
    n = table.num_rows
    if n < 2:
        return []
    greater = np.zeros(n - 1, dtype=bool)
    equal = np.ones(n - 1, dtype=bool)
    for name in order:
        column = table.column(name)
        above, below = column.slice(0, n - 1), column.slice(1)
        greater |= equal & pc.fill_null(pc.greater(above, below), False).to_numpy(zero_copy_only=False)
        equal &= pc.fill_null(pc.equal(above, below), False).to_numpy(zero_copy_only=False)
    out = np.flatnonzero(greater)
    return [int(table.column(LINE)[int(out[0]) + 1].as_py())] if len(out) else []


def usable_rows(table: pa.Table, fields) -> np.ndarray:
    invalid = table.column(INVALID)
    good = pc.is_null(invalid).to_numpy(zero_copy_only=False)
    if good.all():
        return good
    names = set(fields)
    for i in np.flatnonzero(~good):
        good[i] = not (names & set(invalid[int(i)].as_py().split(",")))
    return good


class Schema:
    """What reading needs from a kind's schema: Arrow types, field order, and which rows to trust."""

    def __init__(self, kind, threads: bool = False):
        self.kind = kind
        self.threads = threads  # Arrow's JSON parser may use every core
        properties = kind.schema["properties"]
        self.fields = tuple(properties)
        self.types = {name: arrow_type(node) for name, node in properties.items()}
        self.arrow = pa.schema([pa.field(name, t if t is not None else pa.string()) for name, t in self.types.items()])
        self.table_schema = self.arrow.append(pa.field(LINE, pa.int64())).append(pa.field(INVALID, pa.string()))
        # Arrow may parse a line only when a row of these types is exactly a record the schema describes
        self.arrow_readable = (all(t is not None for t in self.types.values())
                               and kind.schema.get("additionalProperties") is False
                               and set(kind.schema.get("required", [])) == set(properties)
                               and not set(kind.schema) - {"$schema", "$id", "title", "description", "type", "additionalProperties",
                                                           "required", "properties", "x-zoomnews"})

    def empty(self) -> pa.Table:
        return pa.Table.from_arrays([pa.array([], type=f.type) for f in self.table_schema], schema=self.table_schema)


def read_source_table(repo, kind, block_bytes: int | None = None, threads: bool = False) -> SourceTable:
    """`kind`'s source file as a SourceTable (a missing or unreadable file is a problem and no rows);
    `threads`: Arrow parses on every core."""
    schema = Schema(kind, threads)
    data, problems = read_source(repo.path(kind.source), kind.source, repo.root)
    if data is None:
        return SourceTable(kind, schema.empty(), problems)
    return parse_source(data, kind, schema, block_bytes or BLOCK_BYTES)


def parse_source(data: bytes, kind, schema: Schema | None = None, block_bytes: int = BLOCK_BYTES) -> SourceTable:
    """A source file's bytes as a SourceTable."""
    schema = schema or Schema(kind)
    label = kind.source
    result = SourceTable(kind, schema.empty())
    if data.startswith(b"\xef\xbb\xbf"):
        result.problems.append(Problem(label, 1, "ZN102", "file starts with a UTF-8 byte-order mark"))
        data = data[3:]
    bad_utf8 = _first_bad_utf8(data)
    if bad_utf8 is not None:
        result.problems.append(Problem(label, data[:bad_utf8].count(b"\n") + 1, "ZN102", f"invalid UTF-8 at byte {bad_utf8}"))
        return result
    if b"\r" in data:
        result.problems.append(Problem(label, data[:data.index(b"\r")].count(b"\n") + 1, "ZN108", "carriage return: lines must end with LF alone"))
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if data and not data.endswith(b"\n"):
        result.missing_final_newline = True
        data += b"\n"
    tables, first_line = [], 1
    for block in _blocks(data, block_bytes):
        ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
        table, noncanonical, problems = _read_block(block, ends, first_line, schema)
        result.problems.extend(problems)
        result.noncanonical.extend(noncanonical)
        tables.append(table)
        first_line += len(ends)
    result.lines = first_line - 1
    if tables:
        result.table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    return result


def _first_bad_utf8(data: bytes) -> int | None:
    """The byte offset of the first invalid UTF-8 sequence, or None (checked by Arrow, in place)."""
    try:
        pa.LargeStringArray.from_buffers(1, pa.py_buffer(np.array([0, len(data)], dtype=np.int64)), pa.py_buffer(data)).validate(full=True)
        return None
    except pa.ArrowInvalid:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            return e.start
        return None


def _blocks(data: bytes, block_bytes: int) -> Iterator[bytes]:
    """The bytes (each ending with LF) in blocks of whole lines of about `block_bytes`."""
    start = 0
    while start < len(data):
        cut = data.rfind(b"\n", start, start + block_bytes) + 1
        if cut <= start:  # one line longer than a block
            cut = data.index(b"\n", start) + 1
        yield data[start:cut]
        start = cut


def _read_block(block: bytes, ends: np.ndarray, first_line: int, schema: Schema) -> tuple[pa.Table, list[int], list[Problem]]:
    """A block's rows in line order, the lines of valid records not in canonical form, and its problems."""
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    numbers = np.arange(first_line, first_line + len(ends), dtype=np.int64)
    arrow_rows, python_lines = [], []
    if schema.arrow_readable:
        _arrow_parse(block, starts, ends, numbers, schema, arrow_rows, python_lines)
    else:
        python_lines = list(range(len(ends)))
    problems: list[Problem] = []
    noncanonical: list[int] = []
    parts = []
    for table in arrow_rows:
        checked, found = _check_arrow_rows(table, schema)
        parts.append(checked)
        problems.extend(found)
    if python_lines:
        table, found = _python_rows(block, starts, ends, numbers, python_lines, schema, noncanonical)
        parts.append(table)
        problems.extend(found)
    parts = [p for p in parts if p.num_rows]
    if not parts:
        return schema.empty(), noncanonical, problems
    table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
    if len(parts) > 1:
        table = table.take(pc.sort_indices(table.column(LINE)))
    return table, noncanonical, problems


def _arrow_parse(block, starts, ends, numbers, schema, arrow_rows, python_lines, lo=0, hi=None) -> None:
    """Lines lo..hi of the block parsed by Arrow where it can (canonical ones kept as rows), the rest
    listed for the per-record reader. A block Arrow refuses is halved until the refused lines are found."""
    hi = len(ends) if hi is None else hi
    if hi <= lo:
        return
    piece = block[starts[lo]: ends[hi - 1] + 1]
    doubtful = b"\n\n" in b"\n" + piece or b"\\ud" in piece or b"\\uD" in piece  # blank line; surrogate escape (ZN115)
    table = None
    if not doubtful:
        try:
            table = pj.read_json(io.BytesIO(piece), read_options=pj.ReadOptions(block_size=ARROW_BLOCK, use_threads=schema.threads),
                                 parse_options=pj.ParseOptions(explicit_schema=schema.arrow, unexpected_field_behavior="error"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            table = None
        if table is not None and table.num_rows != hi - lo:
            table = None
    if table is None:
        if hi - lo < PYTHON_BELOW:
            python_lines.extend(range(lo, hi))
            return
        middle = (lo + hi) // 2
        _arrow_parse(block, starts, ends, numbers, schema, arrow_rows, python_lines, lo, middle)
        _arrow_parse(block, starts, ends, numbers, schema, arrow_rows, python_lines, middle, hi)
        return
    lines = pa.LargeStringArray.from_buffers(hi - lo, pa.py_buffer((np.concatenate([starts[lo:hi], [ends[hi - 1] + 1]]) - starts[lo]).astype(np.int64)), pa.py_buffer(piece))
    canonical = _canonical_mask(table, lines, schema.fields, escapes=b"\\" in piece)
    keep = np.flatnonzero(canonical)
    python_lines.extend((lo + np.flatnonzero(~canonical)).tolist())
    if len(keep):
        table = table.take(pa.array(keep)) if len(keep) < table.num_rows else table
        arrow_rows.append(table.append_column(LINE, pa.array(numbers[lo:hi][keep]))
                          .append_column(INVALID, pa.nulls(len(keep), pa.string())))


def _encoded(column: pa.ChunkedArray, escapes: bool) -> pa.Array | None:
    """The column's values as json.dumps(ensure_ascii=False) writes them; None if a string needs more
    escaping than quotes and backslashes. Without a backslash in the bytes no value holds a quote, a
    backslash or a control character (JSON writes those escaped, and Arrow refuses them raw)."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_list(column.type):
        values = _encoded(column.values, escapes)
        if values is None:
            return None
        joined = pc.binary_join(pa.ListArray.from_arrays(column.offsets, values), ", ")
        text = pc.binary_join_element_wise("[", joined, "]", "")
        return pc.if_else(pc.is_valid(column), text, "null")
    if pa.types.is_struct(column.type):  # nested keys in schema order: fmt writes them as they come, so only that order is trusted here
        pieces = []
        for n in range(column.type.num_fields):
            child = _encoded(column.field(n), escapes)
            if child is None:
                return None
            pieces += [("{" if n == 0 else ", ") + f'"{column.type.field(n).name}": ', child]
        text = pc.binary_join_element_wise(*pieces, "}", "")
        return pc.if_else(pc.is_valid(column), text, "null")
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


def _canonical_mask(table: pa.Table, lines: pa.Array, fields, escapes: bool) -> np.ndarray:
    """True for each line that equals the canonical serialisation of its row."""
    pieces = []
    for n, name in enumerate(fields):
        encoded = _encoded(table.column(name), escapes)
        if encoded is None:
            return np.zeros(len(lines), dtype=bool)
        pieces += [("{" if n == 0 else ", ") + f'"{name}": ', encoded]
    canonical = pc.binary_join_element_wise(*pieces, "}\n", "")
    return pc.fill_null(pc.equal(pc.cast(canonical, pa.large_string()), lines), False).to_numpy(zero_copy_only=False)


def _check_arrow_rows(table: pa.Table, schema: Schema) -> tuple[pa.Table, list[Problem]]:
    """Level 2 on rows Arrow read: every distinct value of every column against its property's
    subschema; a flagged row is explained by the reference validator and gets its bad fields nulled."""
    flagged = np.zeros(table.num_rows, dtype=bool)
    properties = schema.kind.schema["properties"]
    for name, node in properties.items():
        column = table.column(name)
        if column.null_count and not nullable(node):
            flagged |= pc.is_null(column).to_numpy(zero_copy_only=False)
        rejected = invalid_values(column.combine_chunks(), node, schema.kind.schema.get("$schema"))
        if rejected:
            if pa.types.is_nested(column.type):
                bad = {_key(v) for v in rejected}
                flagged |= np.array([v is not None and _key(v) in bad for v in column.to_pylist()], dtype=bool)
            else:
                mask = pc.is_in(column, value_set=pa.array(rejected, type=column.type))
                flagged |= pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
    if not flagged.any():
        return table, []
    rows = np.flatnonzero(flagged)
    records = table.take(pa.array(rows)).select(list(schema.fields)).to_pylist()
    lines = table.column(LINE).to_numpy()[rows]
    problems, invalid = [], table.column(INVALID).to_pylist()
    columns = {name: table.column(name).to_pylist() for name in schema.fields}
    for row, line, record in zip(rows, lines, records):
        found, bad = schema_problems(schema.kind, schema.kind.source, int(line), record)
        problems.extend(found)
        if bad:
            invalid[row] = ",".join(sorted(bad))
            for name in bad & set(columns):
                columns[name][row] = None
    arrays = [pa.array(columns[name], type=schema.arrow.field(name).type) for name in schema.fields]
    rebuilt = pa.Table.from_arrays([*arrays, table.column(LINE), pa.array(invalid, type=pa.string())], schema=schema.table_schema)
    return rebuilt, problems


def invalid_values(column, node: dict, schema_uri: str | None) -> list:
    """The distinct values of `column` its property's subschema rejects: jsonschema-rs accepts first,
    the reference jsonschema decides whatever it rejects. A subschema of only vectorisable keywords
    is decided over the whole column first; only a failing column is looked at value by value."""
    if _vector_ok(column, node):
        return []
    import jsonschema_rs

    from zoomnews.schemas import reference_validator

    subschema = {"$schema": schema_uri, **node}
    fast = jsonschema_rs.validator_for(subschema, validate_formats=True)  # (Arrow columns hold no floats: 4.0 cannot reach it)
    reference = None
    rejected = []
    if pa.types.is_nested(column.type):  # (no Arrow kernel finds distinct lists)
        distinct = list({_key(v): v for v in column.to_pylist() if v is not None}.values())
    else:
        distinct = pc.unique(column).to_pylist()
    for value in distinct:
        if value is None:
            continue  # a null is judged by nullability, where the column is read
        if not fast.is_valid(value):
            reference = reference or reference_validator(subschema)
            if not reference.is_valid(value):
                rejected.append(value)
    return rejected


# keywords whose meaning for a value of the column's (already checked) Arrow type is one vectorised test
SIMPLE_KEYWORDS = {"type", "description", "title", "minLength", "maxLength", "minimum", "maximum", "enum"}


def _vector_ok(column, node: dict) -> bool:
    """True when every non-null value passes a subschema of simple keywords (decided in bulk); False
    means "not proved": the values are then judged one distinct value at a time. JSON Schema counts
    string length in code points, as utf8_length does."""
    if set(node) - SIMPLE_KEYWORDS or pa.types.is_nested(column.type):
        return False
    values = pc.drop_null(column)
    if not len(values):
        return True
    checks = []
    if "enum" in node:
        allowed = [v for v in node["enum"] if v is not None]
        if not all(isinstance(v, str) for v in allowed) or not pa.types.is_string(values.type):
            return False
        checks.append(pc.is_in(values, value_set=pa.array(allowed, type=pa.string())))
    if "minLength" in node or "maxLength" in node:
        length = pc.utf8_length(values)
        checks += [pc.greater_equal(length, node["minLength"])] if "minLength" in node else []
        checks += [pc.less_equal(length, node["maxLength"])] if "maxLength" in node else []
    checks += [pc.greater_equal(values, node["minimum"])] if "minimum" in node else []
    checks += [pc.less_equal(values, node["maximum"])] if "maximum" in node else []
    return all(pc.all(check).as_py() for check in checks)


def _python_rows(block, starts, ends, numbers, indices, schema: Schema, noncanonical: list[int]) -> tuple[pa.Table, list[Problem]]:
    """Lines the per-record reader judges: level 1 (one JSON object, no repeated key, finite numbers,
    no lone surrogate) and level 2 by the validators; records become rows with bad fields nulled."""
    label, kind = schema.kind.source, schema.kind
    decoders = _Decoders()
    problems: list[Problem] = []
    rows = {name: [] for name in schema.fields}
    lines, invalid = [], []
    for i in indices:
        number = int(numbers[i])
        text = block[starts[i]:ends[i]].decode("utf-8")
        floats = decoders.floats
        record = _strict_record(text, number, label, decoders, problems)
        if record is None:
            continue
        if decoders.floats == floats and kind.fast_validator.is_valid(record):  # jsonschema-rs counts 4.0 as an integer
            found, bad = [], set()
        else:
            found, bad = schema_problems(kind, label, number, record)
        problems.extend(found)
        if not found and dumps(record, schema.fields) != text:
            noncanonical.append(number)
        for name in schema.fields:
            value = record.get(name)
            if name not in bad and not _fits(value, schema.types[name]):
                bad.add(name)  # valid by the schema, but no Arrow value of the column's type holds it
            if schema.types[name] is None and name not in bad:
                value = _json(value)
            rows[name].append(None if name in bad else value)
        lines.append(number)
        invalid.append(",".join(sorted(bad)) if bad else None)
    arrays = [pa.array(rows[name], type=schema.arrow.field(name).type) for name in schema.fields]
    table = pa.Table.from_arrays([*arrays, pa.array(lines, type=pa.int64()), pa.array(invalid, type=pa.string())], schema=schema.table_schema)
    return table, problems


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _key(value) -> str:
    """A nested value as something hashable (lists and dicts are not)."""
    return json.dumps(value, sort_keys=True)


INT64 = (-(1 << 63), (1 << 63) - 1)


def _fits(value, arrow: pa.DataType | None) -> bool:
    """Whether a value the schema accepted fits the column's Arrow type: only an integer beyond 64
    bits does not (the schema fixed every other value's JSON type, and each maps to one Arrow type)."""
    if type(value) is int:
        return INT64[0] <= value <= INT64[1]
    return True


def schema_problems(kind, label: str, line: int, record: dict) -> tuple[list[Problem], set[str]]:
    """The reference validator's verdict on one record: its problems (ZN201, one per error, with the
    nearest allowed value for an enum) and the names of the fields they concern."""
    problems, bad = [], set()
    properties = kind.schema["properties"]
    for error in sorted(kind.validator.iter_errors(record), key=lambda e: (list(map(str, e.absolute_path)), e.validator)):
        path = ".".join(str(p) for p in error.absolute_path)
        suggestion = None
        if error.validator == "required":
            path = error.message.split("'")[1] if "'" in error.message else path
        elif error.validator == "additionalProperties":
            extra = sorted(set(record) - set(properties))
            path = extra[0] if extra else path
            near = difflib.get_close_matches(path, list(properties), n=1) if path else []
            suggestion = f"Did you mean {near[0]!r}?" if near else None
        elif error.validator == "enum":
            allowed = error.validator_value
            suggestion = _nearest(error.instance, allowed)
        message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
        if error.validator == "enum":
            message = f"{error.instance!r} is not one of {', '.join(map(repr, error.validator_value))}"
        top = str(error.absolute_path[0]) if error.absolute_path else (path.split(".")[0] if path else None)
        if top:
            bad.add(top)
        problems.append(Problem(label, line, "ZN201", f"{message} ({kind.name}.schema.json: {error.validator})", field=path or None,
                                suggestion=suggestion))
    return problems, bad


def _nearest(value, allowed) -> str | None:
    """The allowed value a wrong one most likely meant: the same letters in another case, else the closest."""
    if not isinstance(value, str):
        return None
    strings = [v for v in allowed if isinstance(v, str)]
    folded = [v for v in strings if v.casefold() == value.casefold()]
    near = folded or difflib.get_close_matches(value, strings, n=1, cutoff=0.6)
    return f"Did you mean {near[0]!r}?" if near else None
