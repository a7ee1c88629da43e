"""Every check has a failing fixture (a copy of the gold corpus broken in exactly one way) and the
gold corpus is its passing fixture; garbage input gives coded problems, never a traceback."""

import json
import os

import pytest
from click.testing import CliRunner

from zoomnews.checks.catalogue import CHECKS, checks_table
from zoomnews.cli import main
from zoomnews.checks.validation import validate_repo

from conftest import ROOT


def lines_of(repo, relative):
    return repo.path(relative).read_text(encoding="utf-8").splitlines()


def write_lines(repo, relative, lines):
    repo.path(relative).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def edit_record(repo, relative, change, where=lambda r: True):
    lines = lines_of(repo, relative)
    for i, line in enumerate(lines):
        record = json.loads(line)
        if where(record):
            lines[i] = json.dumps(change(record), ensure_ascii=False, separators=(", ", ": "))
            break
    else:
        raise AssertionError("no record matched")
    write_lines(repo, relative, lines)


def append(repo, relative, text):
    with open(repo.path(relative), "a", encoding="utf-8") as f:
        f.write(text + "\n")


def write_bytes(repo, relative, data):
    repo.path(relative).write_bytes(data)


def manifest_edit(repo, change):
    path = repo.release_dir(repo.dataset_version) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(change(manifest)), encoding="utf-8")


def parquet_of(repo, config="zones"):
    return next((repo.release_dir(repo.dataset_version) / config).glob("*.parquet"))


CRN = "crn-2020-08-03"
BREAKERS = {
    "ZN101": lambda r: r.path("annotations/quotes.jsonl").unlink(),
    "ZN102": lambda r: write_bytes(r, "annotations/quotes.jsonl", b"\xef\xbb\xbf" + r.path("annotations/quotes.jsonl").read_bytes()),
    "ZN103": lambda r: append(r, "annotations/quotes.jsonl", '{"doc_id": "crn'),
    "ZN104": lambda r: append(r, "corpus/articles.jsonl", '{"doc_id": "a", "doc_id": "b"}'),
    "ZN105": lambda r: r.raw_path("stray-2020-01-01").write_text("stray", encoding="utf-8"),
    "ZN106": lambda r: r.raw_path(CRN).unlink(),
    "ZN107": lambda r: write_bytes(r, f"corpus/raw/{CRN}.txt", r.raw_path(CRN).read_bytes()[:10] + b"\xff" + r.raw_path(CRN).read_bytes()[11:]),
    "ZN108": lambda r: write_bytes(r, "annotations/quotes.jsonl", r.path("annotations/quotes.jsonl").read_bytes().replace(b"\n", b"\r\n")),
    "ZN109": lambda r: edit_record(r, "annotations/entities.jsonl", lambda x: {**x, "start": "NaN"}) or write_bytes(r, "annotations/entities.jsonl", r.path("annotations/entities.jsonl").read_bytes().replace(b'"NaN"', b"NaN", 1)),
    "ZN110": lambda r: write_bytes(r, f"corpus/raw/{CRN}.txt", r.raw_path(CRN).read_bytes().replace("’".encode(), "e\u0301".encode(), 1)),
    "ZN111": lambda r: (r.raw_path(CRN).unlink(), os.symlink("/etc/hostname", r.raw_path(CRN))),
    "ZN112": lambda r: r.raw_path("Bad Name").write_text("x", encoding="utf-8"),
    "ZN113": lambda r: r.path("schema/quote.schema.json").write_text("{not json", encoding="utf-8"),
    "ZN114": lambda r: (r.path("annotations/quotes.jsonl").unlink(), os.mkfifo(r.path("annotations/quotes.jsonl"))),
    "ZN115": lambda r: write_bytes(r, "annotations/entities.jsonl", r.path("annotations/entities.jsonl").read_bytes().replace(b'"text": "', b'"text": "\\ud800', 1)),
    "ZN201": lambda r: edit_record(r, "annotations/zones.jsonl", lambda x: {**{k: v for k, v in x.items() if k != "label"}, "lable": x["label"]}),
    "ZN301": lambda r: edit_record(r, "annotations/entities.jsonl", lambda x: {**x, "end": x["start"]}),
    "ZN302": lambda r: edit_record(r, "annotations/entities.jsonl", lambda x: {**x, "start": x["start"] + 1, "end": x["end"] + 1}, where=lambda x: x["start"] > 0),
    "ZN303": lambda r: edit_record(r, "annotations/entities.jsonl", lambda x: {**x, "id": "e1"}, where=lambda x: x["id"] == "e2"),
    "ZN304": lambda r: edit_record(r, "annotations/zones.jsonl", lambda x: x),  # replaced below
    "ZN305": lambda r: None,  # replaced below
    "ZN306": lambda r: None,  # replaced below
    "ZN307": lambda r: write_lines(r, "annotations/entities.jsonl", list(reversed(lines_of(r, "annotations/entities.jsonl")))),
    "ZN401": lambda r: edit_record(r, "annotations/entities.jsonl", lambda x: {**x, "doc_id": "nowhere-2020-01-01"}),
    "ZN402": lambda r: edit_record(r, "corpus/documents.jsonl", lambda x: {**x, "sha256": "0" * 64}),
    "ZN403": lambda r: edit_record(r, "annotations/quotes.jsonl", lambda x: {**x, "statement_id": "no-such-statement"}),
    "ZN404": lambda r: edit_record(r, "annotations/zones.jsonl", lambda x: {**x, "article_index": 7}),
    "ZN405": lambda r: None,  # replaced below
    "ZN406": lambda r: edit_record(r, "annotations/quotes.jsonl", lambda x: {**x, "speaker": "twitter"}, where=lambda x: x["speaker"] != "twitter"),
    "ZN407": lambda r: edit_record(r, "annotations/timexes.jsonl", lambda x: {**x, "value": "P90"}, where=lambda x: x["type"] == "DURATION"),
    "ZN408": lambda r: edit_record(r, "annotations/timexes.jsonl", lambda x: {**x, "value": "2020-08-04"}, where=lambda x: x["text"] == "Monday"),
    "ZN409": lambda r: edit_record(r, "corpus/articles.jsonl", lambda x: {**x, "published": "2099-01-01"}),
    "ZN413": lambda r: write_lines(r, "corpus/articles.jsonl", [l for l in lines_of(r, "corpus/articles.jsonl") if not (json.loads(l)["article_index"] == 0 and json.loads(l)["doc_id"] == "crn-2020-08-03")]),
    "ZN410": lambda r: edit_record(r, "annotations/entities.jsonl", lambda x: {**x, "label": "PRODUCT"}, where=lambda x: x["label"] == "ORG"),
    "ZN412": lambda r: edit_record(r, "annotations/zones.jsonl", lambda x: {**x, "guideline": "9.9.9"}),
    "ZN501": lambda r: write_bytes(r, parquet_of(r).relative_to(r.root).as_posix(), parquet_of(r).read_bytes() + b"x"),
    "ZN502": lambda r: r.readme.write_text(r.readme.read_text(encoding="utf-8").replace(f"releases/{r.dataset_version}/", "releases/8.8.8/"), encoding="utf-8"),
    "ZN503": lambda r: manifest_edit(r, lambda m: {**m, "configs": {**m["configs"], "zones": {**m["configs"]["zones"], "files": [{**m["configs"]["zones"]["files"][0], "rows": 1}]}}}),
    "ZN504": lambda r: manifest_edit(r, lambda m: {**m, "configs": {**m["configs"], "zones": {**m["configs"]["zones"], "features": m["configs"]["entities"]["features"]}}}),
    "ZN505": lambda r: (r.release_dir(r.dataset_version) / "zones" / "extra.parquet").write_bytes(b"x"),
    "ZN506": lambda r: manifest_edit(r, lambda m: {**m, "version": "1.2.3"}),
    "ZN507": lambda r: (r.release_dir(r.dataset_version) / "manifest.json").unlink(),
    "ZN508": lambda r: r.journal_path.write_text("{}", encoding="utf-8"),
    "ZN509": lambda r: (r.root / "pyproject.toml").write_text((r.root / "pyproject.toml").read_text(encoding="utf-8").replace(
        f'dataset-version = "{r.dataset_version}"', 'dataset-version = "1.2"'), encoding="utf-8"),
}


def _space_edge(r):
    text = r.raw_path(CRN).read_text(encoding="utf-8")
    edit_record(r, "annotations/entities.jsonl", lambda x: {**x, "start": x["start"] - 1, "text": text[x["start"] - 1 : x["end"]]},
                where=lambda x: x["doc_id"] == CRN and x["start"] > 0 and text[x["start"] - 1] == " ")


def _overlap(r):
    lines = lines_of(r, "annotations/entities.jsonl")
    twin = {**json.loads(lines[0]), "id": "e999"}
    write_lines(r, "annotations/entities.jsonl", [lines[0], json.dumps(twin, ensure_ascii=False, separators=(", ", ": ")), *lines[1:]])


BREAKERS["ZN304"] = _space_edge
BREAKERS["ZN305"] = _overlap
BREAKERS["ZN306"] = lambda r: edit_record(r, "annotations/zones.jsonl", lambda x: {**x, "end": x["end"] - 1, "text": x["text"][:-1]})
BREAKERS["ZN405"] = lambda r: edit_record(r, "annotations/timexes.jsonl", lambda x: {**x, "article_index": 2},
                                          where=lambda x: x["doc_id"] == "itpro-2020-08-04" and x["article_index"] == 0 and not x["creation_time"])
BREAKERS["ZN411"] = lambda r: edit_record(r, "corpus/documents.jsonl", lambda x: {**x, "outlet_evidence": "TODO: why"})
BREAKERS["ZN116"] = lambda r: write_bytes(r, "annotations/entities-new.jsonl", (r.root / "annotations/entities.jsonl").read_bytes())
BREAKERS["ZN414"] = lambda r: edit_record(r, "corpus/documents.jsonl",
                                          lambda x: {**x, "derived_from": [{"relation": "copy", "doc_id": "nowhere-2020-01-01", "outlet": "X",
                                                                            "title": "T", "evidence": "E"}]})
VALIDATED = sorted(code for code, check in CHECKS.items() if check.level <= 5)


def test_every_validation_check_has_a_failing_fixture():
    assert sorted(BREAKERS) == VALIDATED


def test_the_gold_corpus_is_the_passing_fixture(repo_copy):
    assert validate_repo(repo_copy).problems == []


@pytest.mark.parametrize("code", VALIDATED)
def test_failing_fixture(repo_copy, code):
    BREAKERS[code](repo_copy)
    result = CliRunner().invoke(main, ["validate", str(repo_copy.root), "--format", "json"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    problems = json.loads(result.stdout)["problems"] if result.stdout.lstrip().startswith("{") else []
    codes = {p["code"] for p in problems} or {line.split()[2] for line in result.output.splitlines() if " ZN" in line}
    assert code in codes, result.output[:2000]
    for p in problems:
        assert p["file"] and (p["file"].startswith(("corpus/", "annotations/", "schema/", "releases/", "README.md", "pyproject.toml")))


def test_explain_documents_every_code():
    runner = CliRunner()
    for code in CHECKS:
        result = runner.invoke(main, ["validate", "--explain", code])
        assert result.exit_code == 0 and code in result.output and "hint:" in result.output


def test_readme_lists_every_check():
    assert checks_table() in (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")


GARBAGE = {
    "truncated JSON": ("annotations/entities.jsonl", lambda b: b[: len(b) // 2], "ZN103"),
    "binary junk": ("annotations/entities.jsonl", lambda b: bytes(range(256)) * 64, "ZN102"),
    "invalid UTF-8": ("annotations/zones.jsonl", lambda b: b.replace(b"Zoom", b"Zo\xc3\x28m", 1), "ZN102"),
    "huge number": ("annotations/entities.jsonl", lambda b: b.replace(b'"start": ', b'"start": 1' + b"0" * 400 + b" + ", 1).replace(b" + ", b", \"x\": ", 1), "ZN201"),
    "overflowing float": ("annotations/entities.jsonl", lambda b: b.replace(b'"start": ', b'"start": 1e999, "y": ', 1), "ZN109"),
    "negative offset": ("annotations/entities.jsonl", lambda b: b.replace(b'"start": ', b'"start": -7, "neg": ', 1), "ZN201"),
    "float offset": ("annotations/entities.jsonl", lambda b: b.replace(b'"start": ', b'"start": 0.5, "z": ', 1), "ZN201"),
    "string offset": ("annotations/entities.jsonl", lambda b: b.replace(b'"start": ', b'"start": "0", "w": ', 1), "ZN201"),
    "deeply nested": ("annotations/entities.jsonl", lambda b: b + b"[" * 200_000 + b"]" * 200_000 + b"\n", "ZN103"),
    "empty documents file": ("corpus/documents.jsonl", lambda b: b"", "ZN105"),  # reported on the raw files
    "30 MB line": ("annotations/entities.jsonl", lambda b: b + json.dumps({"doc_id": CRN, "id": "e999", "start": 0, "end": 4, "text": "x" * 30_000_000, "label": "ORG", "entity_id": "zoom", "annotator": "a1", "method": "manual", "guideline": "1.0.0"}).encode() + b"\n", "ZN302"),
    "raw file replaced by a symlink": (f"corpus/raw/{CRN}.txt", None, "ZN111"),
}


@pytest.mark.parametrize("name", GARBAGE)
def test_garbage_gives_a_coded_problem_never_a_traceback(repo_copy, name):
    relative, change, code = GARBAGE[name]
    path = repo_copy.path(relative)
    if change is None:
        path.unlink()
        os.symlink(ROOT / relative, path)
    else:
        path.write_bytes(change(path.read_bytes()))
    result = CliRunner().invoke(main, ["validate", str(repo_copy.root), "--max", "100000"])
    assert result.exit_code == 1, result.output[-2000:]
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    named = "corpus/raw/" if code == "ZN105" else relative
    assert any(line.startswith(named) and f" {code}" in line for line in result.output.splitlines()), result.output[-3000:]
