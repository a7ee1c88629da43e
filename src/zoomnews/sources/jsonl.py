"""Strict JSONL reading and canonical writing.

Reading reports every bad line as a Problem instead of raising, so one run shows all of them.
Writing is canonical: keys in schema order, records in canonical order, UTF-8, LF, no escapes for
non-ASCII, one record per line — so a pull request's diff reads like the change.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs):
    obj = dict(pairs)  # built in C; only a repeated key makes it shorter than the pairs
    if len(obj) != len(pairs):
        seen = set()
        raise _DuplicateKey(next(key for key, _ in pairs if key in seen or seen.add(key)))
    return obj


class _NotFinite(ValueError):
    pass


def _no_constants(name):
    raise _NotFinite(f"{name} is not valid JSON")


def _finite_float(text):
    value = float(text)
    if math.isinf(value) or math.isnan(value):
        raise _NotFinite(f"{text} does not fit a 64-bit float")
    return value


class _Decoders:
    """The strict decoder and the trusting one (for lines checked canonical after) of one file; both
    count float literals, because jsonschema-rs counts 4.0 as an integer: a line holding one must
    reach the reference validator (sources.Record.floats)."""

    def __init__(self):
        self.floats = 0
        self.strict = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants, parse_float=self._float)
        self.trusting = json.JSONDecoder(parse_constant=_no_constants, parse_float=self._float)

    def _float(self, text):
        self.floats += 1
        return _finite_float(text)


_STRICT = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants, parse_float=_finite_float)


def parse_line(line: str):
    return _STRICT.decode(line)


@dataclass
class Reading:
    """A JSONL file as read: its records with their 1-based line numbers, the problems of the lines
    that are not records (or of the file), whether every line is its record's canonical serialisation,
    and the lines holding a float literal."""

    records: list[tuple[int, dict]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    canonical: bool = False
    float_lines: set[int] = field(default_factory=set)
    unread: bool = False  # the file could not be read at all (missing, a link, not a regular file): its records are unknown


def read_jsonl(path: Path, label: str, root: Path | None = None) -> tuple[list[tuple[int, dict]], list[Problem]]:
    """Records with their 1-based line numbers, and the problems of the lines that are not records."""
    reading = read_jsonl_canonical(path, label, root)
    return reading.records, reading.problems


def read_jsonl_canonical(path: Path, label: str, root: Path | None = None, fields: tuple[str, ...] | None = None) -> Reading:
    """The file read (read_source) and parsed (parse_jsonl)."""
    data, problems = read_source(path, label, root)
    return parse_jsonl(data, label, fields) if data is not None else Reading(problems=problems, unread=True)


def read_source(path: Path, label: str, root: Path | None = None) -> tuple[bytes | None, list[Problem]]:
    """A source file's bytes, or the problem that keeps it unread: a symbolic link or a path leaving
    `root` (ZN111), missing (ZN101), a FIFO, device or folder (ZN114, never waited on), unreadable (ZN910)."""
    chunks, problems = open_source(path, label, root, 1 << 24)
    if chunks is None:
        return None, problems
    try:
        return b"".join(chunks), []
    except ZoomnewsError as e:
        return None, e.problems


def open_source(path: Path, label: str, root: Path | None = None, size: int = 1 << 23, start: int = 0, stop: int | None = None):
    """A source file's bytes (from byte `start` to `stop`) in chunks, or the problems that keep it
    unread (as read_source)."""
    from zoomnews.safeio import read_chunks

    unsafe = unsafe_path(path, root) if root is not None else None
    if unsafe:
        return None, [Problem(label, None, "ZN111", unsafe)]
    try:
        return read_chunks(path, label, size, start, stop), []
    except FileNotFoundError:
        return None, [Problem(label, None, "ZN101", "file is missing")]
    except ZoomnewsError as e:
        return None, e.problems


def parse_jsonl(data: bytes, label: str, fields: tuple[str, ...] | None = None) -> Reading:
    """A JSONL file's bytes as a Reading. With `fields`, a canonical line is parsed without the
    duplicate-key hook (it cannot hold a repeated key: its record would serialise shorter), which
    makes reading a canonical file about twice as fast."""
    reading = Reading()
    problems = reading.problems
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append(Problem(label, 1, "ZN102", "file starts with a UTF-8 byte-order mark"))
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        problems.append(Problem(label, line, "ZN102", f"invalid UTF-8 at byte {e.start}"))
        return reading
    if "\r" in text:
        problems.append(Problem(label, text.count("\n", 0, text.index("\r")) + 1, "ZN108", "carriage return: lines must end with LF alone"))
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    decoders = _Decoders()
    all_canonical = fields is not None and not problems
    for number, line in enumerate(text.split("\n"), start=1):
        if line == "" and number == text.count("\n") + 1:
            break  # the final newline
        floats = decoders.floats
        record = _canonical_record(line, fields, decoders) if all_canonical else None
        if record is None:
            all_canonical = False
            record = _strict_record(line, number, label, decoders, problems)
        if record is None:
            continue
        reading.records.append((number, record))
        if decoders.floats != floats:
            reading.float_lines.add(number)
    reading.canonical = all_canonical and (text == "" or text.endswith("\n"))
    return reading


def _strict_record(line: str, number: int, label: str, decoders: _Decoders, problems: list[Problem]) -> dict | None:
    """The line's record, or None with the line's problem added."""
    try:
        record = decoders.strict.decode(line)
    except _DuplicateKey as e:
        problems.append(Problem(label, number, "ZN104", f"key {e.args[0]!r} appears twice", field=printable(e.args[0])))
        return None
    except _NotFinite as e:
        problems.append(Problem(label, number, "ZN109", f"NaN or infinite number: {_short(e)}"))
        return None
    except (ValueError, RecursionError) as e:
        problems.append(Problem(label, number, "ZN103", _syntax_message(line, e)))
        return None
    if not isinstance(record, dict):
        problems.append(Problem(label, number, "ZN103", f"a JSON {JSON_TYPE_NAMES.get(type(record), type(record).__name__)}, not an object"))
        return None
    where = lone_surrogate(record) if SURROGATE_ESCAPE.search(line) else None
    if where is not None:
        problems.append(Problem(label, number, "ZN115", "a lone surrogate escape (\\ud800-\\udfff): not Unicode text, and UTF-8 cannot store it", field=where[:120] or None))
        return None
    return record


def _canonical_record(line: str, fields: tuple[str, ...], decoders: _Decoders) -> dict | None:
    """The line's record if the line is its canonical serialisation, else None. (A canonical line never
    holds a lone surrogate: the serialisation writes it unescaped, and valid UTF-8 text cannot.)"""
    try:
        record = decoders.trusting.decode(line)
    except (ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) and dumps(record, fields) == line else None


# A lone surrogate can only come from an escape (UTF-8 cannot encode one): only lines with a
# \uD800-\uDFFF escape (or an escaped backslash before "ud8", rarely) are searched for one.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def lone_surrogate(value) -> str | None:
    """The dotted path of the first string (or key) in `value` holding a lone surrogate ("" for `value`
    itself), or None. Iterative: a record may be nested as deep as the parser allows."""
    stack = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if not _encodable(item):
                return path
            continue
        pairs = item.items() if isinstance(item, dict) else enumerate(item) if isinstance(item, list) else ()
        inner = [(f"{path}.{printable(key)}" if path else printable(key), key, child) for key, child in pairs]
        for where, key, _ in inner:
            if isinstance(key, str) and not _encodable(key):
                return where
        stack.extend((where, child) for where, _, child in reversed(inner))
    return None


def printable(key) -> str:
    """A key as a field name that can be printed: a lone surrogate shown as its escape."""
    return str(key).encode("utf-8", "backslashreplace").decode("utf-8")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unsafe_path(path: Path, root: Path) -> str | None:
    """Why reading `path` could leave the repository (a symbolic link on the way, or `..`), or None."""
    try:
        relative = path.relative_to(root)
    except ValueError:
        return "path lies outside the repository"
    current = root
    for part in relative.parts:
        if part == "..":
            return "path escapes the repository"
        current = current / part
        if current.is_symlink():
            return f"{current.relative_to(root).as_posix()} is a symbolic link"
    return None


JSON_TYPE_NAMES = {type(None): "null", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


def _syntax_message(line: str, error: Exception) -> str:
    """What is wrong with a line that is not JSON, said the way a contributor fixes it."""
    if not line.strip():
        return "a blank line (records follow one another, one a line)"
    if isinstance(error, json.JSONDecodeError):
        after = line[error.pos:].strip()
        if error.msg == "Extra data":
            what = "a comma" if after.startswith(",") else repr(after[:20] + ("…" if len(after) > 20 else ""))
            return f"not a JSON object: {what} after the record's closing brace, at column {error.colno}"
        if error.msg.startswith("Expecting property name") and line[:error.pos].rstrip().endswith(","):
            return f"not a JSON object: a comma before the closing brace, at column {error.colno}"
        if error.msg.startswith("Unterminated string"):  # (json's own "Unterminated string starting at": the line was cut)
            return f"not a JSON object: a string opened at column {error.colno} is never closed (a line cut short?)"
        return f"not a JSON object: {error.msg}, at column {error.colno}"
    return f"not a JSON object: {_short(error)}"


def _short(error: Exception) -> str:
    text = str(error)
    return text if len(text) <= 120 else text[:117] + "..."


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def dumps(record: dict, fields: tuple[str, ...]) -> str:
    if tuple(record) != fields:
        ordered = {name: record[name] for name in fields if name in record}
        ordered.update((k, v) for k, v in record.items() if k not in ordered)
        record = ordered
    return _ENCODER.encode(record)


def iter_lines(records: list[dict], fields: tuple[str, ...]) -> Iterator[str]:
    for record in records:
        yield dumps(record, fields) + "\n"
