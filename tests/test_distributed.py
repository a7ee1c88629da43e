"""The per-batch checks are plain functions over Arrow RecordBatches: locally, in any batch size, and
inside Spark's mapInArrow (when the `spark` extra is installed) they find exactly the row-local
problems validate finds."""

import json
import sys

import pyarrow as pa
import pytest

from zoomnews.batches import PROBLEMS, PROBLEMS_DDL, check_batches, layer_batches
from zoomnews.schemas import load_kinds
from zoomnews.sources import read_corpus
from zoomnews.validation import validate_repo

ROW_LOCAL = {"ZN201", "ZN301", "ZN302", "ZN304"}


@pytest.fixture
def broken(repo_copy):
    """Two entities broken: one text no longer matches its offsets, one label outside the schema."""
    path = repo_copy.path("annotations/entities.jsonl")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    records[3]["text"] = "X" + records[3]["text"][1:]
    records[7]["label"] = "DISEASE"
    path.write_text("".join(json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) + "\n" for r in records), encoding="utf-8")
    return repo_copy


def local_problems(repo, batch_size):
    kind = load_kinds(repo)["entity"]
    corpus = read_corpus(repo)
    batches = check_batches(layer_batches(repo, kind, batch_size), kind.schema, corpus.texts, kind.source)
    return sorted((r["line"], r["code"]) for b in batches for r in b.to_pylist())


@pytest.mark.parametrize("batch_size", [1, 7, 100_000])
def test_batches_find_what_validate_finds(broken, batch_size):
    expected = sorted((p.line, p.code) for p in validate_repo(broken).problems if p.file == "annotations/entities.jsonl" and p.code in ROW_LOCAL)
    assert expected == [(4, "ZN302"), (8, "ZN201")]
    assert local_problems(broken, batch_size) == expected


def test_spark_map_in_arrow_runs_the_same_checks(broken, monkeypatch):
    pyspark = pytest.importorskip("pyspark", reason="the `spark` extra is not installed")
    from pyspark.sql import SparkSession

    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # workers need this environment, where zoomnews is installed

    kind = load_kinds(broken)["entity"]
    texts = read_corpus(broken).texts
    table = pa.Table.from_batches(list(layer_batches(broken, kind)))
    spark = (SparkSession.builder.master("local[2]").appName("zoomnews-validate")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate())
    try:
        frame = spark.createDataFrame(table).repartition(2)
        schema = kind.schema
        found = frame.mapInArrow(lambda batches: check_batches(batches, schema, texts, kind.source), PROBLEMS_DDL).collect()
    finally:
        spark.stop()
    assert sorted((r["line"], r["code"]) for r in found) == local_problems(broken, 100_000)
    assert pyspark.__version__ and PROBLEMS.names == ["line", "code", "field", "message"]
