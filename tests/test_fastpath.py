"""The Arrow fast path changes speed, never results: on any generated corpus, valid or with one
mutation, validate with the fast path reports exactly what the per-record path reports."""

import json

import pytest
from hypothesis import given, settings, strategies as st

from conftest import ROOT
from strategies import corpora, scratch_dir
from test_properties import MUTATIONS, _mutate
from zoomnews import CorpusRepo, fastpath
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


@pytest.mark.parametrize("block_bytes", [fastpath.BLOCK_BYTES, 700])
@pytest.mark.parametrize("edit", ["spacing", "key order", "duplicate key", "crlf", "unsorted", "extra key", "escaped text",
                                  "blank line", "no final newline", "duplicate id"])
def test_what_the_fast_path_cannot_prove_goes_to_the_record_path(repo_copy, edit, block_bytes, monkeypatch):
    monkeypatch.setattr(fastpath, "BLOCK_BYTES", block_bytes)  # small blocks: the edit lands past the first block
    path = repo_copy.path("annotations/entities.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if edit == "blank line":
        lines[len(lines) // 2] += "\n"
    if edit == "no final newline":
        lines[-1] = lines[-1].rstrip("\n")
    if edit == "duplicate id":  # the second mention of a document takes the first one's id (ZN303)
        first_id, second_id = (json.loads(line)["id"] for line in lines[:2])
        lines[1] = lines[1].replace(f'"id": "{second_id}"', f'"id": "{first_id}"', 1)
    first = lines[0]
    lines[0] = {
        "spacing": first.replace('", "', '","', 1),
        "key order": first.replace('{"doc_id": "cnbc-reworded-2020-08-03", "id": "e1", ', '{"id": "e1", "doc_id": "cnbc-reworded-2020-08-03", ', 1),
        "duplicate key": first.replace('{"doc_id"', '{"id": "e1", "doc_id"', 1),
        "crlf": first.replace("\n", "\r\n"),
        "unsorted": lines[1],
        "extra key": first.replace('{"doc_id"', '{"note": 1, "doc_id"', 1),
        "escaped text": first.replace('"text": "', '"text": "\\u0020', 1),
    }.get(edit, first)
    if edit == "unsorted":
        lines[1] = first
    path.write_text("".join(lines), encoding="utf-8", newline="")
    assert read_layer(repo_copy, load_kinds(repo_copy)["entity"]) is None
    assert reports_agree(repo_copy).problems  # the record path explains it


@pytest.mark.parametrize("block_bytes", [fastpath.BLOCK_BYTES, 700])
def test_invalid_utf8_is_never_proved_clean(repo_copy, block_bytes, monkeypatch):
    monkeypatch.setattr(fastpath, "BLOCK_BYTES", block_bytes)
    path = repo_copy.path("annotations/entities.jsonl")
    data = path.read_bytes()
    middle = data.index(b'"text": "', len(data) // 2)  # past the first block when blocks are small
    path.write_bytes(data[:middle] + data[middle:].replace(b'"text": "', b'"text": "\xff', 1))
    assert read_layer(repo_copy, load_kinds(repo_copy)["entity"]) is None
    assert "ZN102" in {p.code for p in reports_agree(repo_copy).problems}


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(spec=corpora(), block_bytes=st.integers(1, 2_000))
def test_blocks_of_any_size_read_the_same_table(spec, block_bytes):
    repo = spec.write(scratch_dir("fast-") / "repo")
    kinds = load_kinds(repo)
    whole = {name: read_layer(repo, kinds[name]) for name in fastpath.SPAN_KINDS}
    original = fastpath.BLOCK_BYTES
    fastpath.BLOCK_BYTES = block_bytes  # (not monkeypatch: hypothesis reruns the body within one test)
    try:
        blocked = {name: read_layer(repo, kinds[name]) for name in fastpath.SPAN_KINDS}
    finally:
        fastpath.BLOCK_BYTES = original
    for name, table in whole.items():
        assert table is not None and blocked[name] is not None, name
        assert blocked[name].equals(table), name


@given(st.lists(st.one_of(st.none(), st.text()), min_size=1, max_size=5))
def test_values_are_encoded_as_json_dumps_writes_them(values):
    """The fast path's canonical check rebuilds each value as json.dumps(ensure_ascii=False) would write
    it, or gives up (None) on a control character; without a backslash in the file, quoting alone is exact."""
    import pyarrow as pa

    expected = [json.dumps(v, ensure_ascii=False) for v in values]
    encoded = fastpath._encoded(pa.chunked_array([pa.array(values, type=pa.string())]), escapes=True)
    if any(v is not None and any(ord(c) < 0x20 for c in v) for v in values):
        assert encoded is None
    else:
        assert encoded.to_pylist() == expected
    if not any("\\" in e for e in expected):
        assert fastpath._encoded(pa.chunked_array([pa.array(values, type=pa.string())]), escapes=False).to_pylist() == expected


@pytest.mark.parametrize("broken", [False, True])
def test_two_cores_give_the_one_core_report(repo_copy, broken, monkeypatch):
    """--jobs 2 (layers parsed in a background thread while the rest is read) reports what --jobs 1 does."""
    from zoomnews import validation

    if broken:  # an entity past its document's end: the fast path gives up, the record path explains
        path = repo_copy.path("annotations/entities.jsonl")
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        record = json.loads(lines[0])
        lines[0] = lines[0].replace(f'"end": {record["end"]}', f'"end": {record["end"] + 100000}', 1)
        path.write_text("".join(lines), encoding="utf-8")
    one = validate_repo(repo_copy, jobs=1)
    monkeypatch.setattr(validation, "PARALLEL_FROM", 0)  # the gold corpus is far below the size where threads pay
    two = validate_repo(repo_copy, jobs=2)
    assert two.problems == one.problems and two.counts == one.counts
    assert bool(one.problems) == broken
