"""Validation: the gold corpus passes; broken sources give coded problems naming file and line."""

import json

import pytest
from click.testing import CliRunner

from conftest import ROOT
from zoomnews import CorpusRepo
from zoomnews.cli import main
from zoomnews.validation import validate_repo


def test_the_checkout_validates():
    report = validate_repo(CorpusRepo(ROOT))
    assert report.problems == []
    assert report.counts["document"] == 5


def append_line(repo, relative, line):
    path = repo.path(relative)
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    return path.read_text(encoding="utf-8").count("\n")


@pytest.mark.parametrize(
    "relative, line, code, field",
    [
        ("corpus/articles.jsonl", "{broken", "ZN103", None),
        ("corpus/articles.jsonl", '{"a": 1, "a": 2}', "ZN104", "a"),
        ("corpus/articles.jsonl", "[1, 2]", "ZN103", None),
        ("corpus/articles.jsonl", '{"doc_id": "crn-2020-08-03", "article_index": 1, "title": "t", "authors": [], "published": "2020-02-30", "published_evidence": "stated", "published_reason": "r"}', "ZN201", "published"),
        ("corpus/articles.jsonl", '{"doc_id": "crn-2020-08-03", "article_index": 0, "title": "t", "authors": [], "published": "2020-08-03", "published_evidence": "stated", "published_reason": "r"}', "ZN303", "article_index"),
        ("corpus/articles.jsonl", '{"doc_id": "nowhere", "article_index": 0, "title": "t", "authors": [], "published": "2020-08-03", "published_evidence": "stated", "published_reason": "r"}', "ZN401", "doc_id"),
        ("annotations/zones.jsonl", '{"doc_id": "crn-2020-08-03", "id": "z999", "start": 0, "end": 4, "text": "Zoom", "lable": "title", "article_index": 0, "annotator": "a1", "method": "manual", "guideline": "1.0.0"}', "ZN201", None),
        ("annotations/entities.jsonl", '{"doc_id": "crn-2020-08-03", "id": "e999", "start": 0, "end": 4, "text": "Zoon", "label": "ORG", "entity_id": "zoom", "annotator": "a1", "method": "manual", "guideline": "1.0.0"}', "ZN302", "text"),
        ("annotations/entities.jsonl", '{"doc_id": "crn-2020-08-03", "id": "e999", "start": 5, "end": 4, "text": "Zoom", "label": "ORG", "entity_id": "zoom", "annotator": "a1", "method": "manual", "guideline": "1.0.0"}', "ZN301", "start"),
        ("annotations/entities.jsonl", '{"doc_id": "crn-2020-08-03", "id": "e999", "start": 0, "end": 4, "text": "Zoom", "label": "ORG", "entity_id": "no-such-entity", "annotator": "a1", "method": "manual", "guideline": "1.0.0"}', "ZN403", "entity_id"),
    ],
)
def test_broken_record_is_reported_with_its_code_file_and_line(repo_copy, relative, line, code, field):
    number = append_line(repo_copy, relative, line)
    problems = [p for p in validate_repo(repo_copy).problems if p.code == code and p.line == number]
    assert problems, f"expected {code} at {relative}:{number}"
    assert problems[0].file == relative
    if field:
        assert problems[0].field == field


def test_edited_raw_text_breaks_its_sha256(repo_copy):
    path = repo_copy.raw_path("crn-2020-08-03")
    path.write_bytes(path.read_bytes() + b"!")
    assert [p.code for p in validate_repo(repo_copy).problems] == ["ZN402"]


def test_unregistered_and_missing_raw_files(repo_copy):
    repo_copy.raw_path("stray").write_text("x", encoding="utf-8")
    repo_copy.raw_path("crn-2020-08-03").unlink()
    codes = sorted(p.code for p in validate_repo(repo_copy).problems)
    assert codes == ["ZN105", "ZN106"]


def test_cli_exit_codes_and_json_output(repo_copy):
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", str(repo_copy.root)])
    assert ok.exit_code == 0, ok.output
    append_line(repo_copy, "corpus/articles.jsonl", "{broken")
    bad = runner.invoke(main, ["validate", str(repo_copy.root), "--format", "json"])
    assert bad.exit_code == 1 and bad.exception is None or isinstance(bad.exception, SystemExit)
    report = json.loads(bad.output)
    assert report["ok"] is False
    assert report["problems"][0] == {"file": "corpus/articles.jsonl", "line": 8, "code": "ZN103", "field": None, "level": 1, "message": report["problems"][0]["message"]}


def test_not_a_repository_is_a_coded_error_not_a_traceback(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "ZN904" in result.output
    assert "Traceback" not in result.output


def test_explain_prints_the_rule():
    result = CliRunner().invoke(main, ["validate", "--explain", "zn302"])
    assert result.exit_code == 0 and "text[start:end]" in result.output
