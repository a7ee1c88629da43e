"""Validation: the gold corpus passes; broken sources give coded problems naming file and line."""

import json

import pytest
from click.testing import CliRunner
from hypothesis import given, strategies as st

from conftest import ROOT
from strategies import scratch_dir
from zoomnews import CorpusRepo
from zoomnews.checks.catalogue import CHECKS
from zoomnews.cli import main
from zoomnews.checks.validation import validate_repo


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
    # the sha256 no longer matches; the spans (and the zones' cover) wait until it does, in the gold and the agreement passes
    assert sorted((p.file, p.code) for p in validate_repo(repo_copy).problems) == [("corpus/documents.jsonl", "ZN402")]


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
    assert report["not_shown"] == 0
    assert report["ok"] is False
    assert report["problems"][0] == {"file": "corpus/articles.jsonl", "line": 8, "code": "ZN103", "field": None, "suggestion": None, "level": 1,
                                     "message": report["problems"][0]["message"], "hint": CHECKS["ZN103"].hint}


def test_not_a_repository_is_a_coded_error_not_a_traceback(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "ZN904" in result.output
    assert "Traceback" not in result.output


def test_explain_prints_the_rule():
    result = CliRunner().invoke(main, ["validate", "--explain", "zn302"])
    assert result.exit_code == 0 and "text[start:end]" in result.output


def rewrite_first(repo, relative, change, where=lambda record, text: True):
    """Apply `change` to the first record of `relative` for which `where` holds."""
    path = repo.path(relative)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    index = next(i for i, r in enumerate(records) if where(r, repo.raw_path(r["doc_id"]).read_text(encoding="utf-8")))
    text = repo.raw_path(records[index]["doc_id"]).read_text(encoding="utf-8")
    records[index] = change(records[index], text)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def test_span_starting_on_white_space(repo_copy):
    rewrite_first(
        repo_copy,
        "annotations/entities.jsonl",
        lambda r, text: dict(r, start=r["start"] - 1, text=text[r["start"] - 1 : r["end"]]),
        where=lambda r, text: r["start"] > 0 and text[r["start"] - 1].isspace(),
    )
    assert {p.code for p in validate_repo(repo_copy).problems} == {"ZN304"}


def test_zone_gap(repo_copy):
    rewrite_first(repo_copy, "annotations/zones.jsonl", lambda r, text: dict(r, end=r["end"] - 1, text=r["text"][:-1]))
    assert {p.code for p in validate_repo(repo_copy).problems} == {"ZN306"}


def test_timex_in_another_articles_zone(repo_copy):
    rewrite_first(
        repo_copy,
        "annotations/timexes.jsonl",
        lambda r, text: dict(r, article_index=1),
        where=lambda r, text: r["doc_id"] == "itpro-2020-08-04" and r["article_index"] == 0 and not r["creation_time"],
    )
    assert {p.code for p in validate_repo(repo_copy).problems} == {"ZN405"}


def test_overlapping_entities_are_reported(repo_copy):
    path = repo_copy.path("annotations/entities.jsonl")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    twin = dict(records[0], id="e999")
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [records[0], twin, *records[1:]]), encoding="utf-8")
    assert "ZN305" in {p.code for p in validate_repo(repo_copy).problems}


def test_shuffled_source_is_not_canonical_until_fmt(repo_copy):
    from zoomnews.sources.canonical import format_repo

    path = repo_copy.path("annotations/entities.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(reversed(lines)), encoding="utf-8")
    assert "ZN307" in {p.code for p in validate_repo(repo_copy).problems}
    assert format_repo(repo_copy) == ["annotations/entities.jsonl"]
    assert path.read_text(encoding="utf-8") == "".join(lines)
    assert validate_repo(repo_copy).problems == []


def test_quote_speaker_must_be_its_statements_speaker(repo_copy):
    rewrite_first(repo_copy, "annotations/quotes.jsonl", lambda r, text: dict(r, speaker="zoom" if r["speaker"] != "zoom" else "zoom-spokesperson"))
    assert {p.code for p in validate_repo(repo_copy).problems} == {"ZN406"}


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


@given(records=st.lists(st.dictionaries(st.sampled_from("abcd"), JSON_VALUES, max_size=4), max_size=5),
       edit=st.sampled_from(["none", "spacing", "duplicate key", "no final newline", "escaped", "key order"]))
def test_reading_canonical_lines_fast_gives_the_strict_reading(records, edit):
    """The trusting parse of canonical lines reads exactly what the strict reader reads, and a file is
    flagged canonical only when it is exactly its records' canonical serialisation."""
    from zoomnews.sources.jsonl import dumps, read_jsonl, read_jsonl_canonical

    fields = tuple("abcd")
    lines = [dumps(r, fields) + "\n" for r in records]
    if lines and edit == "spacing":
        lines[-1] = lines[-1].replace(": ", ":", 1)
    if lines and edit == "duplicate key":
        lines[0] = '{"a": 1, ' + lines[0][1:] if lines[0] != "{}\n" else '{"a": 1, "a": 2}\n'
    if lines and edit == "no final newline":
        lines[-1] = lines[-1].rstrip("\n")
    if lines and edit == "escaped":
        lines[0] = lines[0].replace("{", '{"z": "\\u0041", ', 1) if lines[0] != "{}\n" else '{"z": "\\u0041"}\n'
    if lines and edit == "key order":
        lines[0] = json.dumps(dict(reversed(list(records[0].items()))), ensure_ascii=False, separators=(", ", ": ")) + "\n"
    path = scratch_dir("jsonl-") / "x.jsonl"
    path.write_text("".join(lines), encoding="utf-8", newline="")
    strict = read_jsonl(path, "x.jsonl")
    reading = read_jsonl_canonical(path, "x.jsonl", fields=fields)
    records_read, problems = reading.records, reading.problems
    assert (records_read, problems) == strict
    assert reading.canonical == (not problems and "".join(dumps(data, fields) + "\n" for _, data in records_read) == "".join(lines))
    assert reading.float_lines == {line for line, data in records_read if _holds_float(data)}  # jsonschema-rs never sees these


def _holds_float(value) -> bool:
    if isinstance(value, dict):
        return any(_holds_float(v) for v in value.values())
    return isinstance(value, float) or (isinstance(value, list) and any(_holds_float(v) for v in value))
