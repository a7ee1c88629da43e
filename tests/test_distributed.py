"""Spark runs the same checks as validate, on data Spark reads itself (zoomnews.checks.spark): the
same report, every level included, on the clean corpus and on corpora broken at each level."""

import json
import os
import sys

import pytest

from zoomnews.checks.validation import validate_repo

pyspark = pytest.importorskip("pyspark", reason="the `spark` extra is not installed (scripts/test.py installs it)")

from zoomnews.checks.spark import validate_with_spark  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable  # workers need this environment, where zoomnews is installed
    session = (SparkSession.builder.master("local[2]").appName("zoomnews-validate")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
               .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1").getOrCreate())
    yield session
    session.stop()


def rewrite(repo, relative, change):
    path = repo.path(relative)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(change(lines)), encoding="utf-8")


def edit_json(index, change):
    def edit(lines):
        record = change(json.loads(lines[index]))
        lines[index] = json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n"
        return lines
    return edit


BREAKS = {
    "clean": [],
    "level 1: bad JSON, CR, BOM": [("annotations/entities.jsonl", lambda ls: ls[:3] + ["{broken\n"] + ls[3:]),
                                   ("annotations/zones.jsonl", lambda ls: [ls[0].replace("\n", "\r\n"), *ls[1:]]),
                                   ("annotations/registry/speakers.jsonl", lambda ls: ["\ufeff" + ls[0], *ls[1:]])],
    "level 1: a doc_id mistyped in the register": [("corpus/documents.jsonl", edit_json(1, lambda r: {**r, "doc_id": "crn-2020-08-30"}))],
    "level 4: a first article's doc_id mistyped": [("corpus/articles.jsonl", edit_json(0, lambda r: {**r, "doc_id": r["doc_id"] + "x"}))],
    "level 2: enum, type, extra key": [("annotations/entities.jsonl", edit_json(5, lambda r: {**r, "label": "gpe"})),
                                       ("annotations/timexes.jsonl", edit_json(2, lambda r: {**r, "start": "7"})),
                                       ("corpus/articles.jsonl", edit_json(1, lambda r: {**r, "note": 1}))],
    "level 3: offsets, text, overlap, duplicate, order": [
        ("annotations/entities.jsonl", edit_json(7, lambda r: {**r, "text": "X" + r["text"][1:]})),
        ("annotations/zones.jsonl", edit_json(4, lambda r: {**r, "end": r["end"] + 100000})),
        ("annotations/timexes.jsonl", lambda ls: ls[:10] + [ls[3]] + ls[10:]),
        ("annotations/quotes.jsonl", lambda ls: [ls[1], ls[0], *ls[2:]])],
    "level 4: references, links, timex values": [
        ("annotations/quotes.jsonl", edit_json(0, lambda r: {**r, "statement_id": "no-such-statement"})),
        ("annotations/entities.jsonl", edit_json(11, lambda r: {**r, "doc_id": "unregistered"})),
        ("annotations/timexes.jsonl", edit_json(4, lambda r: {**r, "type": "DURATION", "value": "2020-08"})),
        ("annotations/registry/statements.jsonl", edit_json(0, lambda r: {**r, "speaker": "nobody"}))],
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_spark_reports_exactly_what_validate_reports(repo_copy, spark, name):
    for relative, change in BREAKS[name]:
        rewrite(repo_copy, relative, change)
    expected = validate_repo(repo_copy)
    assert bool(expected.problems) == (name != "clean")
    got = validate_with_spark(repo_copy, spark)
    assert got.problems == expected.problems
    assert got.counts == expected.counts


def test_spark_sees_raw_text_problems(repo_copy, spark):
    raw = repo_copy.raw_path("crn-2020-08-03")
    raw.write_bytes(raw.read_bytes().replace(b"Zoom", b"Zo\r\nom", 1) + b"\xff")
    repo_copy.raw_path("stray").write_text("unregistered", encoding="utf-8")
    expected = validate_repo(repo_copy)
    assert {"ZN105", "ZN107"} <= {p.code for p in expected.problems}
    assert validate_with_spark(repo_copy, spark).problems == expected.problems


@pytest.mark.parametrize("unread", [
    [("annotations/registry/statements.jsonl", "missing"), ("annotations/zones.jsonl", "a folder"), ("corpus/articles.jsonl", "a link")],
    [("corpus/raw", "missing"), ("corpus/documents.jsonl", "a folder")]])
def test_spark_skips_what_an_unread_source_would_be_needed_for(repo_copy, spark, tmp_path, unread):
    """Sources that cannot be read at all are one problem each, in Spark as in validate."""
    from test_messages import make_unread

    for relative, way in unread:
        make_unread(repo_copy, relative, way, tmp_path / "elsewhere")
    expected = validate_repo(repo_copy, releases=False)
    assert sorted(p.file for p in expected.problems) == sorted(relative for relative, _ in unread)
    assert validate_with_spark(repo_copy, spark, releases=False).problems == expected.problems
