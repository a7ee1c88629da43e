"""Read a repository's sources (raw texts, provenance, registries, annotation layers) into a Corpus."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from zoomnews.errors import Problem
from zoomnews.jsonl import read_jsonl
from zoomnews.repo import RAW_DIR, CorpusRepo
from zoomnews.schemas import Kind, load_kinds


@dataclass(frozen=True)
class Record:
    file: str
    line: int
    data: dict


@dataclass
class Corpus:
    repo: CorpusRepo
    kinds: dict[str, Kind]
    records: dict[str, list[Record]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    raw_sha256: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def rows(self, kind: str) -> list[dict]:
        return [r.data for r in self.records[kind]]


def canonical_key(kind: Kind):
    def key(record: dict):
        return tuple((record.get(f) is None, record.get(f)) for f in kind.order)

    return key


def read_corpus(repo: CorpusRepo) -> Corpus:
    """Everything in the sources, with the file- and line-level problems found while reading."""
    corpus = Corpus(repo, load_kinds(repo))
    for name, kind in corpus.kinds.items():
        records, problems = read_jsonl(repo.path(kind.source), kind.source)
        corpus.records[name] = [Record(kind.source, line, data) for line, data in records]
        corpus.problems.extend(problems)
    _read_raw(corpus)
    return corpus


def _read_raw(corpus: Corpus) -> None:
    registered = {r.data.get("doc_id"): r for r in corpus.records["document"] if isinstance(r.data.get("doc_id"), str)}
    raw_dir = corpus.repo.raw_dir
    present = {p.stem: p for p in raw_dir.glob("*.txt")} if raw_dir.is_dir() else {}
    for stem in sorted(set(present) - set(registered)):
        corpus.problems.append(Problem(f"{RAW_DIR}/{stem}.txt", None, "ZN105", "raw file is not registered in corpus/documents.jsonl"))
    for doc_id, record in registered.items():
        path = present.get(doc_id)
        if path is None:
            corpus.problems.append(Problem(record.file, record.line, "ZN106", f"no raw file {RAW_DIR}/{doc_id}.txt", field="doc_id"))
            continue
        data = path.read_bytes()
        corpus.raw_sha256[doc_id] = hashlib.sha256(data).hexdigest()
        label = f"{RAW_DIR}/{doc_id}.txt"
        if data.startswith(b"\xef\xbb\xbf"):
            corpus.problems.append(Problem(label, 1, "ZN107", "raw text starts with a byte-order mark"))
            continue
        try:
            corpus.texts[doc_id] = data.decode("utf-8")
        except UnicodeDecodeError as e:
            corpus.problems.append(Problem(label, data[: e.start].count(b"\n") + 1, "ZN107", f"invalid UTF-8 at byte {e.start}"))
