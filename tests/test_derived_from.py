"""ZN414: a document's derived_from doc_id names another document of the corpus, or is null. (It was
never checked: a dangling or self reference passed validate and went into releases.)

The oracle is the rule's text in plain Python over the records written; every block size gives it."""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

from hypothesis import given, strategies as st

from conftest import copy_sources
from strategies import KINDS, scratch_dir
from zoomnews import CorpusRepo
from zoomnews.checks.validation import validate_repo
from zoomnews.sources.canonical import canonical_text

DOCUMENTS = "corpus/documents.jsonl"


@functools.cache
def workspace() -> Path:
    return copy_sources(scratch_dir("derived-from-"))


@functools.cache
def checkout_documents() -> tuple[dict, ...]:
    lines = (workspace() / DOCUMENTS).read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines)


SOURCE = {"relation": "copy", "outlet": "Somewhere", "title": "A report", "evidence": "The same words."}


@st.composite
def derived_lists(draw):
    documents = checkout_documents()
    ids = [d["doc_id"] for d in documents]
    choices = st.one_of(st.none(), st.sampled_from(ids), st.sampled_from(["no-such-doc", "zz-not-here", "a"]))
    return [[{**SOURCE, "doc_id": draw(choices)} for _ in range(draw(st.integers(0, 3)))] for _ in documents]


def expected(records: list[dict]) -> set[tuple[int, str]]:
    """(line, what) for each document whose derived_from names itself or a doc_id with no raw file,
    the first such entry of the list; each document once."""
    corpus = {p.name[:-4] for p in (workspace() / "corpus/raw").iterdir()}
    found = set()
    for line, record in enumerate(records, 1):
        for source in record["derived_from"]:
            if source["doc_id"] is None:
                continue
            if source["doc_id"] == record["doc_id"]:
                found.add((line, "itself"))
                break
            if source["doc_id"] not in corpus:
                found.add((line, source["doc_id"]))
                break
    return found


@given(derived_lists(), st.sampled_from([1, 2, 1000]))
def test_derived_from_names_another_document_of_the_corpus(lists, block_documents):
    records = [{**record, "derived_from": derived} for record, derived in zip(checkout_documents(), lists)]
    path = workspace() / DOCUMENTS
    original = path.read_bytes()
    try:
        path.write_text(canonical_text(records, KINDS["document"]), encoding="utf-8")
        report = validate_repo(CorpusRepo(workspace()), releases=False, block_documents=block_documents)
    finally:
        path.write_bytes(original)
    written = sorted(records, key=lambda r: r["doc_id"])  # canonical order: by doc_id
    reported = {(p.line, "itself" if "itself" in p.message else p.message.split("'")[1]) for p in report.problems if p.code == "ZN414"}
    assert reported == expected(written)
    assert all(p.file == DOCUMENTS and p.field == "derived_from" for p in report.problems if p.code == "ZN414")
    assert {p.code for p in report.problems} <= {"ZN414"}, report.problems[:3]
