"""Read one JSONL source file into an Arrow table: levels 1 (files, lines) and 2 (schema).

Arrow's JSON reader parses the file a block of whole lines at a time, with the Arrow types the
schema implies and unknown keys refused. A line it parses is taken from Arrow when it equals the
canonical serialisation of its row (rebuilt from the columns: that also rules out repeated keys,
float literals for integers and odd spacing). Every other line — one Arrow cannot read (found by
halving the block), one that is not canonical, a blank line, a surrogate escape — goes to the
per-record reader (zoomnews.sources.jsonl), which names its level-1 problem, and then to the reference
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
import functools
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from zoomnews.errors import Problem
from zoomnews.sources.jsonl import _Decoders, _strict_record, dumps, read_source

BLOCK_BYTES = 1 << 25  # bytes of whole lines parsed and checked at a time
ARROW_BLOCK = 1 << 22  # bytes Arrow's JSON reader parses per task (threads take tasks in turn)
PYTHON_BELOW = 8  # lines: a failed Arrow parse of fewer lines than this goes line by line to Python
LINE, INVALID = "line", "invalid"  # the columns every source table has beside its schema's


def arrow_type(node: dict) -> pa.DataType | None:
    """The Arrow type a property's values take, or None when no Arrow type holds them exactly
    (a record schema with such a property is refused when it loads: zoomnews.sources.schemas.column_problem)."""
    if not isinstance(node, dict):  # a boolean schema (`true` admits anything)
        return None
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
    unread: bool = False  # the file could not be read at all (missing, a link, not a regular file): its records are unknown

    @property
    def canonical_lines(self) -> bool:
        return not self.noncanonical and not self.missing_final_newline

    def usable(self, fields) -> np.ndarray:
        """Rows whose every one of `fields` passed level 2."""
        return usable_rows(self.table, fields)

    def form_problems(self, known=None) -> list[Problem]:
        """ZN307 for the whole file (see FormCheck; `known`: the registered doc_ids)."""
        form = FormCheck(self.kind)
        form.feed(self.table, known)
        return form.problems(self)


class FormCheck:
    """ZN307, once per file, at its first line out of canonical form: a record not written
    canonically, a row that sorts before the row above it, a missing final newline. Counting neither
    lines that are not records (level 1 names those; the rest are still judged, so a broken line and
    the disorder beside it are heard in one run), nor lines that failed their schema, nor a repeated
    key's later lines, nor lines whose doc_id is not a registered document when `known` (the
    registered doc_ids) is given: ZN201, ZN303 and ZN401 name those, and a mistyped doc_id is one
    mistake, not also the order it breaks. Fed the file's rows in file order, a few whole documents
    at a time (repeated keys are looked for within what is fed: every doc_id-keyed kind's key holds
    its doc_id)."""

    def __init__(self, kind):
        self.kind = kind
        self.first: int | None = None  # the first row out of order
        self.head: tuple | None = None  # (order fields, line) of the first row kept
        self.last: tuple | None = None  # the order fields of the last row kept

    def feed(self, table: pa.Table, known: pa.Array | None = None) -> None:
        if self.first is not None or not table.num_rows:
            return
        order, key = self.kind.order, self.kind.key
        table = table.select(list(dict.fromkeys((*order, *key, LINE, INVALID))))  # (filtering every column would copy the texts)
        named = None
        if known is not None and "doc_id" in table.column_names:
            named = pc.fill_null(pc.is_in(table.column("doc_id"), value_set=known), True).to_numpy(zero_copy_only=False)  # (a null doc_id failed its schema)
        plain = (named is None or named.all()) and _plainly_in_order(table, order, key)
        if plain:
            kept = table  # (leaving repeated keys out could not change the verdict, the head or the last row)
        else:
            keep = usable_rows(table, (*order, *key)) & ~repeated_keys(table, key)
            if named is not None:
                keep &= named
            kept = table if keep.all() else table.filter(pa.array(keep))
        if not kept.num_rows:
            return
        head = tuple(kept.column(name)[0].as_py() for name in order)
        if self.head is None:
            self.head = (head, int(kept.column(LINE)[0].as_py()))
        if self.last is not None and head < self.last:
            self.first = int(kept.column(LINE)[0].as_py())
            return
        found = [] if plain else first_out_of_order(kept, order)
        if found:
            self.first = found[0]
            return
        self.last = tuple(kept.column(name)[kept.num_rows - 1].as_py() for name in order)

    def problems(self, reader) -> list[Problem]:
        """The ZN307 problem, once the whole file has been read by `reader` (its lines not in
        canonical form, whether it ended without a newline)."""
        return form_problem(self.kind, [*reader.noncanonical, *([self.first] if self.first is not None else [])],
                            reader.lines if reader.missing_final_newline else None, reader.problems)


UNREAD_LINE = ("ZN102", "ZN103")  # a line that could not be read at all (invalid UTF-8, not JSON): maybe cut short


def form_problem(kind, lines: list[int], unended: int | None, problems: list[Problem]) -> list[Problem]:
    """ZN307 at the first of the lines out of canonical form, if any. `unended`: the last line, when
    it lacks its newline; unless it could not be read at all (a last line cut short is one mistake:
    its ZN103 asks for the newline too)."""
    if unended is not None and not any(p.line == unended and p.code in UNREAD_LINE for p in problems):
        if not lines:  # (the last line: any other line out of form comes first)
            return [Problem(kind.source, unended, "ZN307", "not in canonical form: the file's last line has no newline at its end")]
        lines = [*lines, unended]
    return [Problem(kind.source, min(lines), "ZN307", "not in canonical form (record order, key order or spacing)")] if lines else []


def _plainly_in_order(table: pa.Table, order, key) -> bool:
    """Rows (in line order) that are all usable, with no null key, in order as they stand, and whose
    last row's key is not an earlier row's: leaving out the rows with a repeated key (a sorted list
    stays sorted without some of its items) changes nothing, so the repeats need not be found."""
    n = table.num_rows
    if not usable_rows(table, (*order, *key)).all() or any(table.column(name).null_count for name in key):
        return False
    if first_out_of_order(table, order):
        return False
    same = np.ones(n - 1, dtype=bool)
    for name in key:
        column = table.column(name)
        same &= pc.fill_null(pc.equal(column.slice(0, n - 1), column[n - 1]), False).to_numpy(zero_copy_only=False)
    return not same.any()


def repeated_keys(table: pa.Table, key) -> np.ndarray:
    """True for every row whose key an earlier row (in line order) already has. Each key field is
    dictionary-encoded to integer codes (null a value of its own), and a row's key is the mixed-radix
    number of its codes: equal keys, equal numbers."""
    n = table.num_rows
    if n < 2:
        return np.zeros(n, dtype=bool)
    combined, size = np.zeros(n, dtype=np.int64), 1
    for name in key:
        codes, distinct = _codes(table.column(name))
        if size * distinct >= KEY_NUMBERS:  # renumber before the number could overflow
            combined, size = _codes(pa.array(combined))
        combined, size = combined * distinct + codes, size * distinct
    combined, distinct = _codes(pa.array(combined))
    if distinct == n:
        return np.zeros(n, dtype=bool)
    order = np.argsort(table.column(LINE).to_numpy(), kind="stable")
    _, first = np.unique(combined[order], return_index=True)
    repeated = np.ones(n, dtype=bool)
    repeated[order[first]] = False
    return repeated


KEY_NUMBERS = 1 << 62  # mixed-radix key numbers stay below this (int64)


def _codes(column) -> tuple[np.ndarray, int]:
    """A column's values as integer codes (equal values, equal codes; null is a value) and how many distinct."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    encoded = pc.dictionary_encode(column, null_encoding="encode")
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), max(len(encoded.dictionary), 1)


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
    """True for each row none of whose `fields` failed level 2 (the row's INVALID names those that did)."""
    invalid = table.column(INVALID)
    if invalid.null_count == len(invalid):  # (the usual case, known without looking at a row)
        return np.ones(len(invalid), dtype=bool)
    good = pc.is_null(invalid).to_numpy(zero_copy_only=False)
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
        self.line_form = line_form(self.arrow)
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
        return SourceTable(kind, schema.empty(), problems, unread=True)
    return parse_source(data, kind, schema, block_bytes or BLOCK_BYTES)


def parse_source(data: bytes, kind, schema: Schema | None = None, block_bytes: int = BLOCK_BYTES) -> SourceTable:
    """A source file's bytes as a SourceTable."""
    reader = SourceReader(kind, schema)
    tables = list(reader.tables([data], block_bytes))
    result = SourceTable(kind, pa.concat_tables(tables) if len(tables) > 1 else tables[0] if tables else reader.schema.empty(),
                         reader.problems, reader.noncanonical, reader.missing_final_newline, reader.lines)
    return result


class SourceReader:
    """A source file read a block of whole lines at a time: each block's rows as a table (levels 1-2),
    and what the file as a whole has shown so far (problems, lines not in canonical form)."""

    def __init__(self, kind, schema: Schema | None = None):
        self.kind = kind
        self.schema = schema or Schema(kind)
        self.problems: list[Problem] = []
        self.noncanonical: list[int] = []
        self.missing_final_newline = False
        self.lines = 0  # lines read so far (a reader of a file's later range starts at that range's line)
        self.at_start = True  # reading from the file's first byte (where a byte-order mark would be)
        self._carriage_return = False

    def tables(self, chunks, block_bytes: int = BLOCK_BYTES) -> Iterator[pa.Table]:
        """The tables of the file whose bytes come in `chunks` (of any sizes), a block of lines at a time."""
        rest, first = b"", True
        for chunk in chunks:
            data = rest + chunk if rest else chunk
            if first and data:
                first = False
                if self.at_start and data.startswith(b"\xef\xbb\xbf"):
                    self.problems.append(Problem(self.kind.source, 1, "ZN102", "file starts with a UTF-8 byte-order mark"))
                    data = data[3:]
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            for block in _blocks(data[:cut], block_bytes):
                yield self._table(block)
        if rest:
            self.missing_final_newline = True
            yield self._table(rest + b"\n")
            for k, problem in enumerate(self.problems):  # a last line that is not JSON: one problem says both (see form_problem)
                if problem.line == self.lines and problem.code in UNREAD_LINE:
                    self.problems[k] = replace(problem, message=f"{problem.message} (the file's last line; end it with a newline too)")

    def _table(self, block: bytes) -> pa.Table:
        label = self.kind.source
        if b"\r" in block:
            if not self._carriage_return:
                self._carriage_return = True
                self.problems.append(Problem(label, self.lines + block[:block.index(b"\r")].count(b"\n") + 1, "ZN108", "carriage return: lines must end with LF alone"))
            block = block.replace(b"\r", b"")  # read what the line says; ZN108 asks for the file to be fixed
        ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
        skip = set()
        for offset in _bad_utf8(block):  # each line with invalid UTF-8 is named and not read
            index = int(np.searchsorted(ends, offset))
            skip.add(index)
            self.problems.append(Problem(label, self.lines + index + 1, "ZN102", f"invalid UTF-8 at byte {offset - (ends[index - 1] + 1 if index else 0)} of the line"))
        table, noncanonical, problems = _read_block(block, ends, self.lines + 1, self.schema, skip)
        self.problems.extend(problems)
        self.noncanonical.extend(noncanonical)
        self.lines += len(ends)
        return table


def _bad_utf8(block: bytes) -> list[int]:
    """The offset of the first invalid UTF-8 byte of each line that has one (checked by Arrow, in place)."""
    try:
        pa.LargeStringArray.from_buffers(1, pa.py_buffer(np.array([0, len(block)], dtype=np.int64)), pa.py_buffer(block)).validate(full=True)
        return []
    except pa.ArrowInvalid:
        pass
    offsets, start = [], 0
    while start < len(block):
        end = block.index(b"\n", start) + 1
        try:
            block[start:end].decode("utf-8")
        except UnicodeDecodeError as e:
            offsets.append(start + e.start)
        start = end
    return offsets


def _blocks(data: bytes, block_bytes: int) -> Iterator[bytes]:
    """The bytes (each ending with LF) in blocks of whole lines of about `block_bytes`."""
    start = 0
    while start < len(data):
        cut = data.rfind(b"\n", start, start + block_bytes) + 1
        if cut <= start:  # one line longer than a block
            cut = data.index(b"\n", start) + 1
        yield data[start:cut]
        start = cut


def _read_block(block: bytes, ends: np.ndarray, first_line: int, schema: Schema, skip: set[int] = frozenset()) -> tuple[pa.Table, list[int], list[Problem]]:
    """A block's rows in line order, the lines of valid records not in canonical form, and its problems."""
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    numbers = np.arange(first_line, first_line + len(ends), dtype=np.int64)
    arrow_rows, python_lines = [], []
    if schema.arrow_readable:
        _arrow_parse(block, starts, ends, numbers, schema, arrow_rows, python_lines, skip)
    else:
        python_lines = [i for i in range(len(ends)) if i not in skip]
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


def _arrow_parse(block, starts, ends, numbers, schema, arrow_rows, python_lines, skip, lo=0, hi=None) -> None:
    """Lines lo..hi of the block parsed by Arrow where it can (canonical ones kept as rows), the rest
    listed for the per-record reader. A block Arrow refuses is halved until the refused lines are found."""
    hi = len(ends) if hi is None else hi
    if hi <= lo:
        return
    piece = block[starts[lo]: ends[hi - 1] + 1]
    # A blank line Arrow would skip (the rows would not line up) and invalid UTF-8 (its reader does not
    # check it) are kept from Arrow, and so is a line that does not start an object: pyarrow's reader
    # with an explicit schema crashes the interpreter (SIGSEGV) on a block that starts with `null`
    # (arrow::json::HandlerBase::Null, apache/arrow#47409, still in 26.0.1).
    # A surrogate escape (ZN115) is not canonical: its line goes to the per-record reader whatever
    # Arrow made of it.
    doubtful = (bool(np.any(np.frombuffer(block, dtype=np.uint8)[starts[lo:hi]] != ord("{")))  # (a blank line starts with its LF)
                or any(lo <= i < hi for i in skip))
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
            python_lines.extend(i for i in range(lo, hi) if i not in skip)
            return
        middle = (lo + hi) // 2
        _arrow_parse(block, starts, ends, numbers, schema, arrow_rows, python_lines, skip, lo, middle)
        _arrow_parse(block, starts, ends, numbers, schema, arrow_rows, python_lines, skip, middle, hi)
        return
    lines = pa.LargeStringArray.from_buffers(hi - lo, pa.py_buffer((np.concatenate([starts[lo:hi], [ends[hi - 1] + 1]]) - starts[lo]).astype(np.int64)), pa.py_buffer(piece))
    canonical = canonical_mask(lines, schema)
    keep = np.flatnonzero(canonical)
    python_lines.extend((lo + np.flatnonzero(~canonical)).tolist())
    if len(keep):
        table = table.take(pa.array(keep)) if len(keep) < table.num_rows else table
        arrow_rows.append(table.append_column(LINE, pa.array(numbers[lo:hi][keep]))
                          .append_column(INVALID, pa.nulls(len(keep), pa.string())))


# A line as `zoomnews fmt` writes it (json.dumps with ensure_ascii=False, keys in schema order): a
# string escapes only the quote, the backslash and control characters (\b \f \n \r \t short, the
# others as \u00XX in lower case); an integer has no sign on zero and no leading zero; any value may
# be null. A nested object's keys are trusted in schema order only (fmt keeps the order they were
# written in, so other orders are left to the per-record reader, which decides).
STRING_FORM = r'"(?:[^"\\\x00-\x1f]|\\["\\bfnrt]|\\u00(?:0[0-7bef]|1[0-9a-f]))*"'
INTEGER_FORM = r"(?:0|-?[1-9][0-9]*)"
BOOLEAN_FORM = r"(?:true|false)"
PLAIN_NAME = re.compile(r"[A-Za-z0-9_]+")  # a key that needs no escaping, in JSON or in a pattern


def value_form(t: pa.DataType) -> str | None:
    """The pattern of a value of Arrow type `t` as fmt writes it; None for a type it does not cover."""
    if pa.types.is_string(t):
        form = STRING_FORM
    elif pa.types.is_integer(t):
        form = INTEGER_FORM
    elif pa.types.is_boolean(t):
        form = BOOLEAN_FORM
    elif pa.types.is_list(t):
        item = value_form(t.value_type)
        if item is None:
            return None
        form = rf"\[(?:{item}(?:, {item})*)?\]"
    elif pa.types.is_struct(t):
        fields = [t.field(n) for n in range(t.num_fields)]
        children = [value_form(f.type) for f in fields]
        if any(c is None for c in children) or not all(PLAIN_NAME.fullmatch(f.name) for f in fields):
            return None
        form = r"\{" + ", ".join(f'"{f.name}": {c}' for f, c in zip(fields, children)) + r"\}"
    else:
        return None
    return f"(?:null|{form})"


def line_form(schema: pa.Schema) -> str | None:
    """The pattern of a whole canonical line of `schema`'s fields, newline included."""
    forms = [value_form(f.type) for f in schema]
    if any(form is None for form in forms) or not all(PLAIN_NAME.fullmatch(f.name) for f in schema):
        return None
    return r"^\{" + ", ".join(f'"{f.name}": {form}' for f, form in zip(schema, forms)) + r"\}\n\z"


def canonical_mask(lines: pa.Array, schema: "Schema") -> np.ndarray:
    """True for each line (with its LF) that is exactly what fmt writes for the record Arrow read from
    it: the line has the canonical shape, so writing its values back gives the same bytes. One RE2
    pass over the lines, no value re-encoded."""
    if schema.line_form is None:
        return np.zeros(len(lines), dtype=bool)
    return pc.fill_null(pc.match_substring_regex(lines, schema.line_form), False).to_numpy(zero_copy_only=False)


def _check_arrow_rows(table: pa.Table, schema: Schema) -> tuple[pa.Table, list[Problem]]:
    """Level 2 on rows Arrow read: every distinct value of every column against its property's
    subschema; a flagged row is explained by the reference validator and gets its bad fields nulled."""
    flagged = np.zeros(table.num_rows, dtype=bool)
    properties = schema.kind.schema["properties"]
    for name, node in properties.items():
        column = table.column(name)
        if column.null_count and not nullable(node):
            flagged |= pc.is_null(column).to_numpy(zero_copy_only=False)
        rejected = invalid_values(column, node, schema.kind.schema.get("$schema"))
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
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column  # (proved clean in bulk, the usual case, it is never copied)
    from zoomnews.sources.schemas import reference_validator

    subschema = {"$schema": schema_uri, **node}
    fast, accepted = _fast_validator(json.dumps(subschema, sort_keys=True))  # (Arrow columns hold no floats: 4.0 cannot reach it)
    reference = None
    rejected = []
    if pa.types.is_nested(column.type):
        distinct = _distinct_nested(column)
    else:
        distinct = pc.unique(column).to_pylist()
    for value in distinct:
        if value is None or (not isinstance(value, (list, dict)) and value in accepted):
            continue  # a null is judged by nullability, where the column is read
        if fast.is_valid(value):
            if len(accepted) < ACCEPTED_KEPT and not isinstance(value, (list, dict)):
                accepted.add(value)
            continue
        reference = reference or reference_validator(subschema)
        if not reference.is_valid(value):
            rejected.append(value)
    return rejected


ACCEPTED_KEPT = 10_000  # values per subschema remembered as valid (ids, annotators, guidelines recur in every block)


@functools.lru_cache(maxsize=256)
def _fast_validator(subschema: str):
    """jsonschema-rs compiled once per subschema, with the values it has accepted so far."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(json.loads(subschema), validate_formats=True), set()


def _distinct_nested(column) -> list:
    """The distinct values of a list or struct column (no Arrow kernel finds distinct lists). A list of
    strings is keyed by its joined items in Arrow; only one value per distinct key becomes Python."""
    if pa.types.is_list(column.type) and pa.types.is_string(column.type.value_type) and not column.values.null_count:
        keys = pc.binary_join(column, "\x1f")
        keys = pc.if_else(pc.is_valid(column), pc.binary_join_element_wise(pc.cast(pc.list_value_length(column), pa.string()), keys, "\x1e"), None)
        codes = pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False)
        valid = pc.is_valid(column).to_numpy(zero_copy_only=False)
        _, first = np.unique(np.where(valid, codes, -1), return_index=True)
        first = [int(i) for i in first if valid[i]]
        return column.take(pa.array(first, type=pa.int64())).to_pylist() if first else []
    if pa.types.is_list(column.type):  # most lists are empty: only the others are looked at one by one
        lengths = pc.fill_null(pc.list_value_length(column), 0).to_numpy(zero_copy_only=False)
        valid = pc.is_valid(column).to_numpy(zero_copy_only=False)
        empty = [[]] if np.any(valid & (lengths == 0)) else []
        others = column.filter(pa.array(valid & (lengths > 0))).to_pylist()
        return empty + list({_key(v): v for v in others}.values())
    return list({_key(v): v for v in column.to_pylist() if v is not None}.values())


# keywords whose meaning for a value of the column's (already checked) Arrow type is one vectorised test
SIMPLE_KEYWORDS = {"type", "description", "title", "minLength", "maxLength", "minimum", "maximum", "enum", "pattern"}

# A JSON Schema pattern is an ECMA-262 regular expression; the reference validator runs it with
# Python's re, Arrow with RE2. The three agree on patterns built only from these pieces: ASCII
# literals, classes of ASCII (never negated, no \d: Python's matches every Unicode digit), groups,
# alternation and counted repeats, between ^ and the end-of-input lookahead the schemas use. Only
# ASCII can match such a pattern, so UTF-16 units (ECMA) and code points cannot differ either.
_PATTERN_PIECE = r"\[(?:[A-Za-z0-9_.:+/]|-|\\[.\-])+\]|[A-Za-z0-9_/:-]|\\[.\-]|\((?:\?:)?|\)|\||[?*+]|\{[0-9]{1,3}(?:,[0-9]{0,3})?\}"
_PATTERN = re.compile(rf"\^((?:{_PATTERN_PIECE})*)\(\?!\[\\s\\S\]\)")


@functools.lru_cache(maxsize=256)
def re2_pattern(pattern: str) -> str | None:
    """The RE2 pattern that accepts exactly the strings the schema's `pattern` accepts, or None when
    the pattern uses anything outside the pieces the engines read alike (the validators then decide)."""
    found = _PATTERN.fullmatch(pattern)
    if found is None:
        return None
    try:
        re.compile(found.group(1))  # pieces in an order no engine accepts (a repeat of nothing, an unclosed group)
    except re.error:
        return None
    return rf"^(?:{found.group(1)})\z"


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
    if "pattern" in node:
        pattern = re2_pattern(node["pattern"])
        if pattern is None or not pa.types.is_string(values.type):
            return False
        checks.append(pc.match_substring_regex(pc.unique(values), pattern))  # (ids, doc_ids, versions recur: each distinct one once)
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
            rows[name].append(None if name in bad else value)
        lines.append(number)
        invalid.append(",".join(sorted(bad)) if bad else None)
    arrays = [pa.array(rows[name], type=schema.arrow.field(name).type) for name in schema.fields]
    table = pa.Table.from_arrays([*arrays, pa.array(lines, type=pa.int64()), pa.array(invalid, type=pa.string())], schema=schema.table_schema)
    return table, problems


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
    """The reference validator's verdict on one record: its problems (ZN201, one per field: the first
    error of each, with the nearest allowed value for an enum) and the names of the fields they
    concern. A misspelt key is one problem (not also "the key it meant is missing"), and values are
    shown as JSON, as the contributor wrote them."""
    problems, bad, seen = [], set(), set()
    properties = kind.schema["properties"]
    missing = [name for name in properties if name not in record]
    meant = {extra: near[0] for extra in sorted(set(record) - set(properties))  # an unknown key -> the missing one it resembles
             for near in [difflib.get_close_matches(extra, missing, n=1)] if near}
    errors = sorted(kind.validator.iter_errors(record), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    absent = [name for name in missing if name not in meant.values() and name in kind.schema.get("required", ())]  # (a misspelt one is told with its key)
    if len(absent) > 1:  # one problem for them all: a record of `{}` was 13 problems
        bad.update(absent)
        errors = [e for e in errors if e.validator != "required"]
        problems.append(Problem(label, line, "ZN201", f"{len(absent)} required fields are missing: {', '.join(map(repr, absent))} "
                                                      f"({kind.name}.schema.json: required)", field=absent[0]))
    for error in errors:
        path = ".".join(str(p) for p in error.absolute_path)
        suggestion = None
        message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
        if error.validator == "required":
            path = error.message.split("'")[1] if "'" in error.message else path
            if path in meant.values():
                continue  # told with the key that was meant for it
        elif error.validator == "additionalProperties":
            for extra in sorted(set(record) - set(properties)):
                note = f"; {meant[extra]!r} is missing" if extra in meant else ""
                bad.update([extra, meant[extra]] if extra in meant else [extra])  # (the missing field is null: no later check may read it)
                problems.append(Problem(label, line, "ZN201", f"unknown field {extra!r}{note} ({kind.name}.schema.json: additionalProperties)", field=extra,
                                        suggestion=f"Did you mean {meant[extra]!r}?" if extra in meant else None))
            continue
        elif error.validator == "enum":
            suggestion = _nearest(error.instance, error.validator_value)
            message = f"{_json(error.instance)} is not one of {', '.join(map(_json, error.validator_value))}"
        elif error.validator == "type":
            types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
            message = f"{_json(error.instance)} is not {' or '.join(_a(t) for t in types)}"
        elif error.validator == "format":
            message = f'{_json(error.instance)} is not a "{error.validator_value}"'
        elif error.validator == "pattern":
            message = f"{_json(error.instance)} does not match {error.validator_value.replace(END_OF_STRING, '$')}"
        if path in seen:
            continue  # one problem a field: its first error (a date both misshapen and no date is one mistake)
        seen.add(path)
        top = str(error.absolute_path[0]) if error.absolute_path else (path.split(".")[0] if path else None)
        if top:
            bad.add(top)
        problems.append(Problem(label, line, "ZN201", f"{message} ({kind.name}.schema.json: {error.validator})", field=path or None,
                                suggestion=suggestion))
    return problems, bad


END_OF_STRING = r"(?![\s\S])"  # how the schemas end a pattern (a "$" would also match before a final newline)


def _json(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _a(json_type: str) -> str:
    return "null" if json_type == "null" else f"{'an' if json_type[0] in 'aeiou' else 'a'} {json_type}"


def _nearest(value, allowed) -> str | None:
    """The allowed value a wrong one most likely meant: the same letters in another case, else the closest."""
    if not isinstance(value, str):
        return None
    strings = [v for v in allowed if isinstance(v, str)]
    folded = [v for v in strings if v.casefold() == value.casefold()]
    near = folded or difflib.get_close_matches(value, strings, n=1, cutoff=0.6)
    return f"Did you mean {near[0]!r}?" if near else None
