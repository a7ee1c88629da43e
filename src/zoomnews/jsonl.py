"""Strict JSONL reading and canonical writing.

Reading reports every bad line as a Problem instead of raising, so one run shows all of them.
Writing is canonical: keys in schema order, records in canonical order, UTF-8, LF, no escapes for
non-ASCII, one record per line — so a pull request's diff reads like the change.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

from zoomnews.errors import Problem


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


_STRICT = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants, parse_float=_finite_float)
_TRUSTING = json.JSONDecoder(parse_constant=_no_constants, parse_float=_finite_float)  # for lines checked canonical after


def parse_line(line: str):
    return _STRICT.decode(line)


def read_jsonl(path: Path, label: str, root: Path | None = None) -> tuple[list[tuple[int, dict]], list[Problem]]:
    """Records with their 1-based line numbers, and the problems of the lines that are not records."""
    records, problems, _ = read_jsonl_canonical(path, label, root)
    return records, problems


def read_jsonl_canonical(path: Path, label: str, root: Path | None = None, fields: tuple[str, ...] | None = None):
    """read_jsonl, and whether every line is its record's canonical serialisation (keys in `fields`
    order). A canonical line is parsed without the duplicate-key hook (it cannot hold a repeated key:
    its record would serialise shorter), which makes reading a canonical file about twice as fast."""
    records: list[tuple[int, dict]] = []
    problems: list[Problem] = []
    unsafe = unsafe_path(path, root) if root is not None else None
    if unsafe:
        return records, [Problem(label, None, "ZN111", unsafe)], False
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return records, [Problem(label, None, "ZN101", "file is missing")], False
    except IsADirectoryError:
        return records, [Problem(label, None, "ZN101", "a folder where a file belongs")], False
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append(Problem(label, 1, "ZN102", "file starts with a UTF-8 byte-order mark"))
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return records, [*problems, Problem(label, line, "ZN102", f"invalid UTF-8 at byte {e.start}")], False
    if "\r" in text:
        problems.append(Problem(label, text.count("\n", 0, text.index("\r")) + 1, "ZN108", "carriage return: lines must end with LF alone"))
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    all_canonical = fields is not None and not problems
    for number, line in enumerate(text.split("\n"), start=1):
        if line == "" and number == text.count("\n") + 1:
            break  # the final newline
        if all_canonical:
            record = _canonical_record(line, fields)
            if record is not None:
                records.append((number, record))
                continue
            all_canonical = False
        try:
            record = parse_line(line)
        except _DuplicateKey as e:
            problems.append(Problem(label, number, "ZN104", f"key {e.args[0]!r} appears twice", field=e.args[0]))
            continue
        except _NotFinite as e:
            problems.append(Problem(label, number, "ZN109", f"NaN or infinite number: {_short(e)}"))
            continue
        except (ValueError, RecursionError) as e:
            problems.append(Problem(label, number, "ZN103", f"not a JSON object: {_short(e)}"))
            continue
        if not isinstance(record, dict):
            problems.append(Problem(label, number, "ZN103", f"a JSON {type(record).__name__}, not an object"))
            continue
        records.append((number, record))
    return records, problems, all_canonical and (text == "" or text.endswith("\n"))


def _canonical_record(line: str, fields: tuple[str, ...]) -> dict | None:
    """The line's record if the line is its canonical serialisation, else None."""
    try:
        record = _TRUSTING.decode(line)
    except (ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) and dumps(record, fields) == line else None


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
