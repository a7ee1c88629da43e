"""The Arrow fast path changes speed, never results: on any generated corpus, valid or with one
mutation, validate with the fast path reports exactly what the per-record path reports."""

import pytest
from hypothesis import given, settings, strategies as st

from conftest import ROOT
from strategies import corpora, scratch_dir
from test_properties import MUTATIONS, _mutate
from zoomnews import CorpusRepo
from zoomnews.fastpath import read_layer
from zoomnews.schemas import load_kinds
from zoomnews.validation import fast_report, validate_repo


def reports_agree(repo):
    fast, slow = validate_repo(repo, fast=True), validate_repo(repo, fast=False)
    assert fast.problems == slow.problems
    assert fast.counts == slow.counts
    return fast


def test_the_gold_corpus_takes_the_fast_path():
    repo = CorpusRepo(ROOT)
    assert fast_report(repo) is not None
    reports_agree(repo)


@settings(max_examples=max(20, settings.default.max_examples // 2))
@given(corpora())
def test_valid_corpora_take_the_fast_path_with_the_same_report(spec):
    repo = spec.write(scratch_dir("fast-") / "repo")
    assert fast_report(repo) is not None
    assert reports_agree(repo).problems == []


@pytest.mark.parametrize("name", sorted(MUTATIONS))
@settings(max_examples=max(4, settings.default.max_examples // 8))
@given(spec=corpora(), seed=st.integers(0, 2**16))
def test_a_mutated_corpus_gets_the_same_report(name, spec, seed):
    import random

    kind, change, _ = MUTATIONS[name]
    if not spec.records[kind]:
        return
    _mutate(spec, kind, random.Random(seed), change)
    reports_agree(spec.write(scratch_dir("fast-") / "repo"))


@pytest.mark.parametrize("edit", ["spacing", "key order", "duplicate key", "crlf", "unsorted", "extra key", "escaped text"])
def test_what_the_fast_path_cannot_prove_goes_to_the_record_path(repo_copy, edit):
    path = repo_copy.path("annotations/entities.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    first = lines[0]
    lines[0] = {
        "spacing": first.replace('", "', '","', 1),
        "key order": first.replace('{"doc_id": "cnbc-reworded-2020-08-03", "id": "e1", ', '{"id": "e1", "doc_id": "cnbc-reworded-2020-08-03", ', 1),
        "duplicate key": first.replace('{"doc_id"', '{"id": "e1", "doc_id"', 1),
        "crlf": first.replace("\n", "\r\n"),
        "unsorted": lines[1],
        "extra key": first.replace('{"doc_id"', '{"note": 1, "doc_id"', 1),
        "escaped text": first.replace('"text": "', '"text": "\\u0020', 1),
    }[edit]
    if edit == "unsorted":
        lines[1] = first
    path.write_text("".join(lines), encoding="utf-8", newline="")
    assert read_layer(repo_copy, load_kinds(repo_copy)["entity"]) is None
    assert reports_agree(repo_copy).problems  # the record path explains it


def test_invalid_utf8_is_never_proved_clean(repo_copy):
    path = repo_copy.path("annotations/entities.jsonl")
    path.write_bytes(path.read_bytes().replace(b'"text": "', b'"text": "\xff', 1))
    assert read_layer(repo_copy, load_kinds(repo_copy)["entity"]) is None
    assert "ZN102" in {p.code for p in reports_agree(repo_copy).problems}
