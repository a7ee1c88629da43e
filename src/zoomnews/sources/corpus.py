"""Read a repository's sources (raw texts, provenance, registries, annotation layers) into a Corpus."""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Collection, Container, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.sources.jsonl import read_jsonl_canonical, unsafe_path
from zoomnews.repo import RAW_DIR, CorpusRepo
from zoomnews.safeio import TEMP_PREFIX, read_bytes
from zoomnews.sources.schemas import Kind, load_kinds


@dataclass(frozen=True)
class Record:
    file: str
    line: int
    data: dict
    floats: bool = False  # the line holds a float literal: only the reference validator may accept it (schemas.Kind.fast_validator)


@dataclass
class Corpus:
    repo: CorpusRepo
    kinds: dict[str, Kind]
    records: dict[str, list[Record]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    raw_sha256: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # the kinds whose every line is its record's canonical serialisation: only their order is left to check
    canonical_lines: set[str] = field(default_factory=set)
    unread: set[str] = field(default_factory=set)  # the kinds whose source could not be read at all

    def rows(self, kind: str) -> list[dict]:
        return [r.data for r in self.records[kind]]


def _sortable(value) -> tuple:
    """Orders values of one type naturally, and never fails on a mix of types (invalid input is sorted too)."""
    if value is None:
        return (2, "", 0)
    if isinstance(value, (int, float)):
        return (0, "", value)
    return (1, value if isinstance(value, str) else json.dumps(value, sort_keys=True), 0)


def canonical_key(kind: Kind):
    """A record's place in canonical order. A number written as a string in an integer field (ZN201
    names it) sorts as that number, so fmt leaves the record where its author meant it to be, not at
    its document's end (where it would sit out of order once the quotes are taken off)."""
    numbers = {f for f in kind.order if kind.schema["properties"].get(f, {}).get("type") == "integer"}

    def key(record: dict):
        return tuple(_sortable(_number(record.get(f)) if f in numbers else record.get(f)) for f in kind.order)

    return key


def _number(value):
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    return value


_INTEGER = re.compile(r"\s*[-+]?[0-9]{1,18}\s*")


def read_corpus(repo: CorpusRepo, kinds: dict[str, Kind] | None = None) -> Corpus:
    """Everything in the sources as records, with the file- and line-level problems found while
    reading (for tools on small corpora; validate and build stream Arrow tables)."""
    corpus = Corpus(repo, kinds or load_kinds(repo))
    for name, kind in corpus.kinds.items():
        reading = read_jsonl_canonical(repo.path(kind.source), kind.source, repo.root, kind.fields)
        if reading.canonical:
            corpus.canonical_lines.add(name)
        floats = reading.float_lines
        corpus.records[name] = [Record(kind.source, line, data, line in floats) for line, data in reading.records]
        corpus.problems.extend(reading.problems)
        if reading.unread:
            corpus.unread.add(name)
    _read_raw(corpus)
    return corpus


# A raw file's name: a safe doc_id + ".txt". Fixed here, not taken from the schema: it is what keeps
# every raw path a plain file name inside corpus/raw/. Always matched whole (fullmatch).
SAFE_DOC_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


def raw_name_ok(name: str) -> bool:
    return name.endswith(".txt") and SAFE_DOC_ID.fullmatch(name[: -len(".txt")]) is not None


def check_doc_id(kinds: dict[str, Kind], doc_id: str, label: str = "--doc-id") -> None:
    """ZN112 unless `doc_id` is a whole-string match of the schema's doc_id pattern and a safe raw file
    name: a doc_id becomes corpus/raw/<doc_id>.txt and the name of a suggestions folder."""
    if not (kinds["document"].matches("doc_id", doc_id) and raw_name_ok(f"{doc_id}.txt")):
        raise ZoomnewsError(Problem(label, None, "ZN112", f"{doc_id!r} is not a doc_id (lower-case letters, digits, inner hyphens, at most 64 characters); pass --doc-id"))


def _raw_files(corpus: Corpus) -> RawFiles:
    present, problems = raw_files(corpus.repo, registered=bool(corpus.records["document"]))
    corpus.problems.extend(problems)
    return present


class Names(Sequence):
    """Sorted ASCII names (safe doc_ids) in one fixed-width numpy array: at 300k files about 20 bytes
    each, where Python strings in a list and a set cost about 150."""

    def __init__(self, names: list[str]):
        self.array = np.array(sorted(names), dtype=bytes) if names else np.zeros(0, dtype="S1")

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [name.decode("ascii") for name in self.array[i]]
        return self.array[i].decode("ascii")

    def __len__(self) -> int:
        return len(self.array)

    def __contains__(self, name) -> bool:
        return self.holds([name])[0]

    def holds(self, names: list) -> np.ndarray:
        """For each of `names`, whether it is one of these (one search for all of them)."""
        # (numpy's fixed-width bytes drop trailing NULs and cut what is longer than the width: such a
        # name is compared in full below, or is not one of these)
        ascii_names = [n.encode("ascii") if isinstance(n, str) and n.isascii() and "\x00" not in n else None for n in names]
        keys = np.array([k or b"" for k in ascii_names], dtype=self.array.dtype if len(self.array) else "S1")
        found = np.zeros(len(names), dtype=bool)
        if len(self.array) and len(keys):
            at = np.minimum(np.searchsorted(self.array, keys), len(self.array) - 1)
            found = (self.array[at] == keys) & np.array([k is not None and len(k) <= self.array.dtype.itemsize for k in ascii_names], dtype=bool)
        return found


class RawFiles(Mapping):
    """The raw files by doc_id (a path each, made when asked). `listed`: False when the folder itself
    could not be listed (missing, a link, not a folder), so no document's raw file is known."""

    def __init__(self, folder: str, doc_ids: list[str], listed: bool = True):
        self.folder, self.doc_ids, self.listed = folder, Names(doc_ids), listed

    def __getitem__(self, doc_id: str) -> str:
        if doc_id not in self.doc_ids:
            raise KeyError(doc_id)
        return f"{self.folder}/{doc_id}.txt"

    def __contains__(self, doc_id) -> bool:
        return doc_id in self.doc_ids

    def paths(self, doc_ids: list[str]) -> list[str | None]:
        """The raw file of each of `doc_ids` (None: it has none), looked up together."""
        return [f"{self.folder}/{d}.txt" if held else None for d, held in zip(doc_ids, self.doc_ids.holds(doc_ids))]

    def __iter__(self):
        return iter(self.doc_ids)

    def __len__(self) -> int:
        return len(self.doc_ids)


def stray_sources(repo: CorpusRepo, kinds) -> list[Problem]:
    """ZN116 for each .jsonl file under corpus/ and annotations/ that no schema governs (in an
    agreement pass, annotations/agreement/<pass>/, one that is not its copy of an annotations/ file):
    validate would never read it, so a misnamed layer file would pass as if its records were not
    there. Likewise each .json file in schema/ that is not one the library reads (a kind's schema or the release manifest's): a schema
    added for a new layer, or a misnamed one, would otherwise change nothing without a word. Names
    only: nothing is read or followed (a symbolic link to a folder is not walked)."""
    from pathlib import Path

    from zoomnews.repo import AGREEMENT_DIR, ANNOTATIONS_DIR, SCHEMA_DIR
    from zoomnews.sources.schemas import KINDS, agreement_passes

    governed = {kind.source for kind in kinds.values()}
    # an agreement pass holds its own copies of the annotations/ files (annotations/agreement/<pass>/entities.jsonl)
    annotated = [kind.source.removeprefix(f"{ANNOTATIONS_DIR}/") for kind in kinds.values() if kind.source.startswith(f"{ANNOTATIONS_DIR}/")]
    passes = {f"{AGREEMENT_DIR}/{name}" for name in agreement_passes(repo)}
    governed |= {f"{folder}/{inside}" for folder in passes for inside in annotated}
    problems = []
    for top in ("corpus", ANNOTATIONS_DIR):
        for dirpath, dirnames, filenames in os.walk(repo.path(top)):
            relative_dir = Path(dirpath).relative_to(repo.root).as_posix()
            dirnames[:] = sorted(d for d in dirnames if f"{relative_dir}/{d}" != RAW_DIR)  # (os.walk never enters a linked folder)
            for name in sorted(filenames):
                relative = f"{relative_dir}/{name}"
                if name.endswith(".jsonl") and relative not in governed:
                    problems.append(Problem(_shown(relative), None, "ZN116", "no schema in schema/ governs this file: validate never reads it"))
    read = {f"{name}.schema.json" for name in (*KINDS, "manifest")}
    try:
        names = sorted(entry.name for entry in os.scandir(repo.path(SCHEMA_DIR)) if not entry.is_dir(follow_symlinks=False))
    except OSError:
        names = []  # (a schema/ the kinds could be read from is there: load_kinds reports its own problems)
    for name in names:
        if name.endswith(".json") and name not in read:
            problems.append(Problem(_shown(f"{SCHEMA_DIR}/{name}"), None, "ZN116",
                                    f"no kind reads this schema: the library reads schema/<kind>.schema.json for {', '.join(KINDS)} (and manifest)"))
    return problems


def _shown(relative: str) -> str:
    return relative if relative.isprintable() else repr(relative)


def raw_files(repo: CorpusRepo, registered: bool) -> tuple[RawFiles, list[Problem]]:
    """The raw files by doc_id (sorted), and the problems of the folder's entries: names that are not
    a safe `<doc_id>.txt` are reported, not read; links and FIFOs too. A folder that cannot be listed
    is one problem (a missing one only when documents are registered: git keeps no empty folder), not
    one per document that has no raw file then (see `RawFiles.listed`). `registered`: whether any
    document is (or may be) registered."""
    raw_dir, problems = repo.raw_dir, []
    unsafe = unsafe_path(raw_dir, repo.root)
    if unsafe:
        return RawFiles(str(raw_dir), [], listed=False), [Problem(RAW_DIR, None, "ZN111", unsafe)]
    if not raw_dir.is_dir():
        if os.path.lexists(raw_dir):
            return RawFiles(str(raw_dir), [], listed=False), [Problem(RAW_DIR, None, "ZN114", "a file where the folder of raw texts belongs")]
        return RawFiles(str(raw_dir), [], listed=False), [Problem(RAW_DIR, None, "ZN101", "folder is missing: no registered document has its raw text")] if registered else []
    present = []
    with os.scandir(raw_dir) as listing:  # directory entries know their type: no stat per file
        for entry in listing:
            name = entry.name
            label = f"{RAW_DIR}/{name}"
            if not raw_name_ok(name):
                label = f"{RAW_DIR}/{name!r}" if not name.isprintable() else label
                problems.append(Problem(label, None, "ZN112", "a temporary file a killed zoomnews command left (the files it wrote are each old or new): remove it"
                                        if name.startswith(TEMP_PREFIX) else
                                        "raw file names are <doc_id>.txt: lower-case letters, digits and inner hyphens, at most 64 characters"))
            elif entry.is_symlink():
                problems.append(Problem(label, None, "ZN111", "a symbolic link; zoomnews reads the real file only"))
            elif not entry.is_file(follow_symlinks=False):
                problems.append(Problem(label, None, "ZN114", "not a regular file (a FIFO, socket, device or folder)"))
            else:
                present.append(name[:-len(".txt")])
    return RawFiles(str(raw_dir), present), sorted(problems)


def raw_registration(source: str, registered: dict[str, int], present: Collection[str], unreadable_raw: set[str], unread: Container[str],
                     misnamed: Mapping[str, str]) -> list[Problem]:
    """ZN105 (a raw file nobody registered) and ZN106 (a registered document without its raw file).
    `registered`: doc_id -> the line of its (first) registration in `source`; `present`: the doc_ids
    with a raw file; `unreadable_raw`: raw paths already reported; `unread`: the sources (the register
    `source`, the raw folder RAW_DIR) that could not be read at all. Such a source is its own one
    problem: no raw file is then unregistered, and no document without its raw file, one by one.
    `misnamed` (misnamed_documents, over the whole corpus): a doc_id mistyped in the register is one
    ZN106 that names the raw file it meant, not also a ZN105 on that file."""
    problems = []
    if source not in unread:
        unregistered = sorted(set(present) - set(registered))
        meant = set(misnamed.values()) if unregistered else set()
        problems += [Problem(f"{RAW_DIR}/{stem}.txt", None, "ZN105", "raw file is not registered in corpus/documents.jsonl")
                     for stem in unregistered if stem not in meant]
    if RAW_DIR not in unread:
        for doc_id, line in registered.items():
            if doc_id in present or f"{RAW_DIR}/{doc_id}.txt" in unreadable_raw:
                continue
            stem = misnamed.get(doc_id)
            problems.append(Problem(source, line, "ZN106", f"no raw file {RAW_DIR}/{doc_id}.txt" if stem is None else
                                    f"no raw file {RAW_DIR}/{doc_id}.txt, and no document registers {RAW_DIR}/{stem}.txt: a mistyped doc_id?",
                                    field="doc_id", suggestion=None if stem is None else f"Did you mean {stem!r}?"))
    return problems


def misnamed_documents(registered: Collection[str], present: Collection[str], unreadable_raw: Container[str]) -> dict[str, str]:
    """The registered doc_ids without a raw file, each paired with the raw file nobody registered whose
    name is nearest to it (difflib's ratio at least MISNAMED_RATIO; one file per doc_id, the closest
    pairs first, then in name order): doc_id -> that file's doc_id. Over the whole corpus, so that
    every block (and Spark) pairs alike; empty when there are too many of either to compare."""
    unraw = sorted(d for d in registered if d not in present and f"{RAW_DIR}/{d}.txt" not in unreadable_raw)
    unregistered = sorted(set(present) - set(registered)) if unraw else []
    return nearest_names(unraw, unregistered)


def nearest_names(names: list[str], others: list[str]) -> dict[str, str]:
    """Each name paired with the other name nearest to it, a typo's distance at most (difflib's ratio
    at least MISNAMED_RATIO; each other name used once, the closest pairs first, then in name order);
    empty when there are too many to compare (a register renamed whole is no typo)."""
    import difflib

    if not names or not others or len(names) * len(others) > MISNAMED_COMPARED:
        return {}
    scored = sorted((-difflib.SequenceMatcher(None, a, b).ratio(), a, b) for a in sorted(names) for b in sorted(others))
    pairs: dict[str, str] = {}
    for score, a, b in scored:
        if -score >= MISNAMED_RATIO and a not in pairs and b not in pairs.values():
            pairs[a] = b
    return pairs


MISNAMED_RATIO = 0.8  # `crn-2020-08-30` for `crn-2020-08-03`: 0.93; two outlets' documents of one day: below
MISNAMED_COMPARED = 100_000  # pairs of names compared at most (a register renamed whole is no typo)


def _read_raw(corpus: Corpus) -> None:
    registered = {r.data.get("doc_id"): r for r in corpus.records["document"] if isinstance(r.data.get("doc_id"), str)}
    present = _raw_files(corpus)
    reported = {p.file for p in corpus.problems}
    unread = {corpus.kinds[name].source for name in corpus.unread} | (set() if present.listed else {RAW_DIR})
    corpus.problems += raw_registration(corpus.kinds["document"].source, {doc_id: record.line for doc_id, record in registered.items()},
                                        present, reported, unread, misnamed_documents(registered, present, reported))
    for doc_id in registered:
        path = present.get(doc_id)
        if path is None:
            continue
        try:
            data = read_bytes(path, f"{RAW_DIR}/{doc_id}.txt", follow=False)  # refuses a FIFO or link swapped in since the listing
        except (ZoomnewsError, FileNotFoundError) as e:
            corpus.problems.extend(e.problems if isinstance(e, ZoomnewsError) else [Problem(f"{RAW_DIR}/{doc_id}.txt", None, "ZN106", "raw file vanished while reading")])
            continue
        corpus.raw_sha256[doc_id] = hashlib.sha256(data).hexdigest()
        text, problems = decode_raw(data, f"{RAW_DIR}/{doc_id}.txt")
        corpus.problems.extend(problems)
        if text is not None:
            corpus.texts[doc_id] = text


def decode_raw(data: bytes, label: str) -> tuple[str | None, list[Problem]]:
    """A raw capture's text, and what is wrong with it: BOM or invalid UTF-8 (no text), CR, not NFC."""
    if data.startswith(b"\xef\xbb\xbf"):
        return None, [Problem(label, 1, "ZN107", "raw text starts with a byte-order mark")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return None, [Problem(label, data[: e.start].count(b"\n") + 1, "ZN107", f"invalid UTF-8 at byte {e.start}")]
    problems = []
    if "\r" in text:
        problems.append(Problem(label, text.count("\n", 0, text.index("\r")) + 1, "ZN108", "carriage return: raw texts use LF newlines"))
    if not unicodedata.is_normalized("NFC", text):
        first = first_not_nfc(text)
        problems.append(Problem(label, text.count("\n", 0, first) + 1, "ZN110", f"text is not in Unicode NFC (from offset {first})"))
    return text, problems


def first_not_nfc(text: str, block: int = 4096) -> int:
    """The offset of the first character NFC changes (a mark out of order, a base that composes with a
    later mark, a singleton): NFC keeps everything before it, however long the sequence it starts."""
    normalized = unicodedata.normalize("NFC", text)
    lo = 0
    while lo < len(text) and text[lo:lo + block] == normalized[lo:lo + block]:  # whole blocks compared in C
        lo += block
    ours, theirs = text[lo:lo + block], normalized[lo:lo + block]
    first = lo + next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    return min(first, len(text) - 1)
