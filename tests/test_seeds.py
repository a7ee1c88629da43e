"""The raw captures survive collection, build and load byte for byte."""

import hashlib
import json

import pyarrow.parquet as pq
import pytest
from datasets import load_dataset

from conftest import ROOT, SEEDS

DOCUMENTS = [json.loads(line) for line in (ROOT / "corpus/documents.jsonl").read_text(encoding="utf-8").splitlines()]


def seed_bytes(record):
    path = SEEDS / record["source_file"]
    if not path.exists():
        pytest.skip("../shared/seeds is not beside this checkout")
    return path.read_bytes()


@pytest.mark.parametrize("record", DOCUMENTS, ids=[d["doc_id"] for d in DOCUMENTS])
def test_raw_file_is_the_seed_byte_for_byte(record):
    raw = (ROOT / "corpus/raw" / f"{record['doc_id']}.txt").read_bytes()
    assert raw == seed_bytes(record)
    assert hashlib.sha256(raw).hexdigest() == record["sha256"]


def test_five_documents_with_their_traits():
    texts = [(ROOT / "corpus/raw" / f"{d['doc_id']}.txt").read_text(encoding="utf-8") for d in DOCUMENTS]
    assert len(texts) == 5
    assert all(not t.endswith("\n") for t in texts)
    assert any("\u00a0" in t for t in texts) and any("\u201c" in t for t in texts)


@pytest.mark.parametrize("streaming", [False, True])
def test_load_dataset_returns_the_seed_texts(built_copy, streaming):
    rows = list(load_dataset(str(built_copy.root), "documents", split="train", streaming=streaming))
    assert [r["doc_id"] for r in rows] == sorted(d["doc_id"] for d in DOCUMENTS)
    for row in rows:
        record = next(d for d in DOCUMENTS if d["doc_id"] == row["doc_id"])
        assert row["text"].encode("utf-8") == seed_bytes(record)
        assert hashlib.sha256(row["text"].encode("utf-8")).hexdigest() == row["sha256"]


def test_pyarrow_reads_the_seed_texts(built_copy):
    table = pq.read_table(built_copy.release_dir(built_copy.dataset_version) / "documents")
    for row in table.to_pylist():
        record = next(d for d in DOCUMENTS if d["doc_id"] == row["doc_id"])
        assert row["text"].encode("utf-8") == seed_bytes(record)
