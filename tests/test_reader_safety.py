"""Readers and fmt are safe on any input (issue 15): a lone surrogate, a float where an integer
belongs, an id with a line break, a FIFO, a folder, a symbolic link or an unreadable file in place of
a source, a schema pointing outside the sources, a raw text that is not NFC. Each is a coded problem
(exit 1, no traceback, no hang) and every source file stays byte-identical when a command refuses.
The fuzzing at the end throws arbitrary bytes and JSON at validate and fmt, and checks that whole
files and tiny blocks (lines Arrow reads, lines the per-record reader judges) give the same report."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import jsonschema
import jsonschema_rs
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import ROOT, copy_sources
from strategies import scratch_dir
from zoomnews import CorpusRepo, safeio
from zoomnews.checks.catalogue import CHECKS
from zoomnews.cli import main
from zoomnews.errors import ZoomnewsError
from zoomnews.sources import tables as source_tables
from zoomnews.sources.canonical import format_repo
from zoomnews.sources.jsonl import dumps, lone_surrogate, read_jsonl
from zoomnews.sources.schemas import load_kinds
from zoomnews.sources.corpus import first_not_nfc
from zoomnews.tools.suggest import suggest_for
from zoomnews.checks.validation import validate_repo

CRN = "crn-2020-08-03"
ENTITIES = "annotations/entities.jsonl"
KINDS = load_kinds(CorpusRepo(ROOT))
SOURCES = sorted(kind.source for kind in KINDS.values())


# --- helpers ------------------------------------------------------------------------------------

def snapshot(root: Path) -> dict[str, object]:
    """Every file under the source folders: bytes for regular files, the kind of anything else."""
    seen = {}
    for folder in ("corpus", "annotations", "schema"):
        for dirpath, dirnames, filenames in os.walk(root / folder):
            for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                path = Path(dirpath, name)
                relative = path.relative_to(root).as_posix()
                seen[relative] = path.read_bytes() if path.is_file() and not path.is_symlink() else ("link" if path.is_symlink() else "special")
    return seen


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_refused(result, code: str, file: str | None = None):
    """Exit 1 with `code` (on `file` when given), as a coded problem, never a traceback."""
    output = result.output if hasattr(result, "output") else result.stdout + result.stderr
    exit_code = result.exit_code if hasattr(result, "exit_code") else result.returncode
    assert exit_code == 1, output[-3000:]
    assert "Traceback" not in output
    if hasattr(result, "exception"):
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in output.splitlines() if f" {code}" in line]
    assert lines, output[-3000:]
    if file is not None:
        assert any(line.startswith(file) for line in lines), output[-3000:]


def run_cli(*args, cwd=None, env=None, timeout=120):
    """The command in its own process: a hang fails the test (timeout) instead of stalling the suite."""
    return subprocess.run([sys.executable, "-c", "from zoomnews.cli import main; main()", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", **(env or {})})


def replace_bytes(repo, relative, old: bytes, new: bytes, count=1):
    path = repo.path(relative)
    data = path.read_bytes()
    assert old in data, (relative, old)
    path.write_bytes(data.replace(old, new, count))


def reports_agree(repo):
    """The report does not depend on how the work is cut: whole files and one document at a time give
    what lines read in blocks of a few hundred bytes and documents one at a time give."""
    whole = validate_repo(repo, releases=False)
    original = source_tables.BLOCK_BYTES
    source_tables.BLOCK_BYTES = 300  # (not monkeypatch: hypothesis reruns the body within one test)
    try:
        small = validate_repo(repo, releases=False, block_documents=1)
    finally:
        source_tables.BLOCK_BYTES = original
    assert whole.problems == small.problems
    assert whole.counts == small.counts
    slow = whole
    for problem in slow.problems:
        assert problem.code in CHECKS
        str(problem).encode("utf-8")  # printable: no lone surrogate from the input leaks into a message
    return slow


def first_entity_line(repo) -> str:
    return repo.path(ENTITIES).read_text(encoding="utf-8").splitlines()[0]


# --- 1. lone surrogates (ZN115) -------------------------------------------------------------------

def test_a_lone_surrogate_is_reported_and_fmt_writes_nothing(repo_copy):
    replace_bytes(repo_copy, ENTITIES, b'"text": "', b'"text": "\\ud800', 1)
    path = repo_copy.path("annotations/zones.jsonl")  # a file fmt would rewrite, to show that nothing is written
    path.write_bytes(b"".join(reversed(path.read_bytes().splitlines(keepends=True))))
    before = snapshot(repo_copy.root)
    [problem] = [p for p in reports_agree(repo_copy).problems if p.code == "ZN115"]
    assert (problem.file, problem.line, problem.field, problem.level) == (ENTITIES, 1, "text", 1)
    assert_refused(invoke("fmt", repo_copy.root), "ZN115", ENTITIES)
    assert snapshot(repo_copy.root) == before


@pytest.mark.parametrize("aliases, field", [('["a", "b\\udfff"]', "aliases.1"), ('["\\ud83d"]', "aliases.0"), ('["\\ude00x"]', "aliases.0"),
                                            ('["\\uD800\\uD800"]', "aliases.0"), ('[], "k\\udc00": 1', "k\\udc00")])
def test_lone_surrogates_anywhere_in_a_record(repo_copy, aliases, field):
    """In a nested list or a key, in a registry too: each is found and named (printably)."""
    line = '{"id": "x", "name": "n", "type": "ORG", "aliases": %s}' % aliases
    path = repo_copy.path("annotations/registry/entities.jsonl")
    path.write_bytes(path.read_bytes() + line.encode() + b"\n")
    problems = [p for p in reports_agree(repo_copy).problems if p.code == "ZN115"]
    assert [(p.line, p.field) for p in problems] == [(len(path.read_bytes().splitlines()), field)]


def test_a_surrogate_pair_is_a_character_not_a_problem(repo_copy):
    replace_bytes(repo_copy, "annotations/registry/entities.jsonl", b'"aliases": [', b'"aliases": ["\\ud83d\\ude00", ', 1)
    codes = {p.code for p in reports_agree(repo_copy).problems}
    assert "ZN115" not in codes and codes <= {"ZN307"}


# --- 2. symbolic links and schema sources outside the sources (ZN111, ZN113) ---------------------------

def test_fmt_never_writes_through_a_symlinked_source(repo_copy, tmp_path):
    outside = tmp_path / "outside.jsonl"
    lines = repo_copy.path(ENTITIES).read_bytes().splitlines(keepends=True)
    outside.write_bytes(b"".join(reversed(lines)))  # not canonical: fmt would rewrite it
    repo_copy.path(ENTITIES).unlink()
    os.symlink(outside, repo_copy.path(ENTITIES))
    before, outside_before = snapshot(repo_copy.root), outside.read_bytes()
    assert "ZN111" in {p.code for p in reports_agree(repo_copy).problems}
    assert_refused(invoke("fmt", repo_copy.root), "ZN111", ENTITIES)
    assert outside.read_bytes() == outside_before and snapshot(repo_copy.root) == before


@pytest.mark.parametrize("source", ["../x.jsonl", "/tmp/x.jsonl", "corpus/../../x.jsonl", "annotations/../../x.jsonl",
                                    "corpus/raw/x.jsonl", "corpus/x.txt", "annotations//x.jsonl", "annotations/x.jsonl\n",
                                    "annotations/zones.jsonl", 7])
def test_a_schema_source_must_be_a_jsonl_file_under_the_sources(repo_copy, tmp_path, source):
    """x-zoomnews.source is checked when schemas load (ZN113): `../x.jsonl` once made fmt rewrite a file
    outside the repository; two kinds sharing a file would make fmt drop one's records."""
    outside = repo_copy.root.parent / "x.jsonl"
    outside.write_bytes(b'{"b": 1, "a": 2}\n')
    path = repo_copy.path("schema/entity.schema.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["x-zoomnews"]["source"] = source
    path.write_text(json.dumps(schema, indent=2), encoding="utf-8")
    before = snapshot(repo_copy.root)
    with pytest.raises(ZoomnewsError) as error:
        load_kinds(repo_copy)
    assert [p.code for p in error.value.problems] == ["ZN113"]
    for command in ("fmt", "validate"):
        assert_refused(invoke(command, repo_copy.root), "ZN113", "schema/entity.schema.json")
    assert outside.read_bytes() == b'{"b": 1, "a": 2}\n' and snapshot(repo_copy.root) == before


@pytest.mark.parametrize("block", [{"source": "annotations/entities.jsonl", "key": ["nope"], "order": ["doc_id"]},
                                   {"source": "annotations/entities.jsonl", "key": [], "order": ["doc_id"]},
                                   {"source": "annotations/entities.jsonl", "key": ["id"]}, "annotations/entities.jsonl"])
def test_a_broken_x_zoomnews_block_is_a_schema_problem(repo_copy, block):
    path = repo_copy.path("schema/entity.schema.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["x-zoomnews"] = block
    path.write_text(json.dumps(schema, indent=2), encoding="utf-8")
    assert_refused(invoke("validate", repo_copy.root, "--max", 100000), "ZN113", "schema/entity.schema.json")


def test_a_symlinked_schema_is_not_read(repo_copy):
    path = repo_copy.path("schema/entity.schema.json")
    path.unlink()
    os.symlink(ROOT / "schema/entity.schema.json", path)
    assert_refused(invoke("validate", repo_copy.root, "--max", 100000), "ZN111", "schema/entity.schema.json")


# --- 3. whole-string patterns (ZN201, ZN112) ------------------------------------------------------

def _patterns(node):
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


PATTERNS = sorted({p for path in (ROOT / "schema").glob("*.json") for p in _patterns(json.loads(path.read_text(encoding="utf-8")))})


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_schema_pattern_matches_whole_strings_in_python_and_ecma_engines(pattern):
    """Python's `$` also matches before a final newline (jsonschema uses re.search); ECMA-262's does
    not (jsonschema-rs). Both must accept a string and refuse it with a line break at either end."""
    node = {"type": "string", "pattern": pattern}
    python, rust = jsonschema.Draft202012Validator(node), jsonschema_rs.validator_for(node)

    @settings(max_examples=20)
    @given(st.from_regex(pattern, fullmatch=True), st.sampled_from(["\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", " "]), st.booleans())
    def check(value, brk, at_end):
        assert python.is_valid(value) and rust.is_valid(value)
        spoiled = value + brk if at_end else brk + value
        assert not python.is_valid(spoiled) and not rust.is_valid(spoiled), repr(spoiled)

    check()


@pytest.mark.parametrize("brk", ["\n", "\r", "\u2028"])
def test_an_id_with_a_line_break_beside_its_twin_is_refused(repo_copy, brk):
    line = first_entity_line(repo_copy)
    twin = json.loads(line)
    twin["id"] += brk
    path = repo_copy.path(ENTITIES)
    path.write_text(path.read_text(encoding="utf-8") + json.dumps(twin, ensure_ascii=True) + "\n", encoding="utf-8")
    problems = [p for p in reports_agree(repo_copy).problems if p.code == "ZN201"]
    assert [(p.file, p.field) for p in problems] == [(ENTITIES, "id")]


@pytest.mark.parametrize("doc_id", ["nl\n", "\nnl", "../annotations", "a/b", "UPPER", "-x", "x" * 65, "nl\r", ""])
def test_new_document_refuses_a_doc_id_that_is_not_one(repo_copy, tmp_path, doc_id):
    capture = tmp_path / "capture.txt"
    capture.write_text("Zoom news\n", encoding="utf-8")
    before = snapshot(repo_copy.root)
    result = invoke("new-document", capture, "--outlet", "X", "--published", "2020-08-05", "--doc-id", doc_id, "--repo", repo_copy.root)
    if doc_id == "":  # an empty --doc-id means the default, made from the outlet and date
        assert result.exit_code == 0, result.output
        return
    assert_refused(result, "ZN112", "--doc-id")
    assert snapshot(repo_copy.root) == before


@pytest.mark.parametrize("doc_id", ["../annotations", "nl\n", "a/b"])
def test_suggest_refuses_a_doc_id_that_is_not_one(repo_copy, tmp_path, doc_id, monkeypatch):
    capture = tmp_path / "capture.txt"
    capture.write_text("Zoom said on Monday it would sell through partners.\n", encoding="utf-8")
    before = snapshot(repo_copy.root)
    with pytest.raises(ZoomnewsError) as error:
        suggest_for(repo_copy, str(capture), "2020-08-05", doc_id)
    assert [p.code for p in error.value.problems] == ["ZN112"]
    monkeypatch.chdir(repo_copy.root)  # so that a relative suggestions/<doc_id> would land in the repository
    assert_refused(invoke("suggest", capture, "--doc-id", doc_id, "--published", "2020-08-05", "--repo", repo_copy.root), "ZN112", "--doc-id")
    assert_refused(invoke("suggest", CRN, "--out", "annotations", "--repo", repo_copy.root), "ZN909")  # the write side (zoomnews.tools.suggest)
    assert snapshot(repo_copy.root) == before


# --- 4. integers are JSON integers (ZN201) --------------------------------------------------------

@pytest.mark.parametrize("literal", ["4.0", "-0.0", "1e30", "1E2", "0.5"])
@pytest.mark.parametrize("relative, field", [(ENTITIES, "end"), ("annotations/quotes.jsonl", "cue_start"), ("corpus/articles.jsonl", "article_index")])
def test_a_float_literal_is_not_an_integer(repo_copy, relative, field, literal):
    path = repo_copy.path(relative)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if json.loads(line).get(field) is not None)
    value = json.loads(lines[number])[field]
    lines[number] = lines[number].replace(f'"{field}": {value}', f'"{field}": {literal}', 1)
    path.write_text("".join(lines), encoding="utf-8")
    problems = reports_agree(repo_copy).problems
    assert (relative, number + 1, "ZN201", field) in {(p.file, p.line, p.code, p.field) for p in problems}, problems


def test_the_reference_validator_refuses_what_jsonschema_rs_counts_as_an_integer():
    """Why a line with a float literal skips jsonschema-rs (sources.Record.floats): for it 4.0 is an
    integer (as JSON Schema says); for every reader after validate it is a float."""
    kind = KINDS["entity"]
    record = {**json.loads(first_entity_line(CorpusRepo(ROOT))), "end": 4.0}
    assert not kind.validator.is_valid(record)
    assert not kind.validator.is_valid({**record, "end": True})
    assert kind.validator.is_valid({**record, "end": 4})


def test_a_float_literal_never_becomes_an_arrow_integer(repo_copy):
    """Arrow's JSON reader turns 4.5 into 4 for an int64 column: a line holding a float literal is not
    canonical, so it goes to the reference validator, which refuses it (ZN201) and leaves the field null."""
    replace_bytes(repo_copy, ENTITIES, b'"start": 0,', b'"start": 0.0,', 1)
    kind = KINDS["entity"]
    source = source_tables.parse_source(repo_copy.path(ENTITIES).read_bytes(), kind)
    assert {(p.code, p.field, p.line) for p in source.problems} == {("ZN201", "start", 1)}
    assert source.table.column("start")[0].as_py() is None
    assert source.table.column("invalid")[0].as_py() == "start"


# --- 5. FIFOs, folders, unreadable files (ZN114, ZN910) --------------------------------------------

# (the document schema: validate --jobs 2 reads its source's name to guess the corpus's size before
# the schemas load, and that guess waited on a FIFO forever)
FIFO_PLACES = [ENTITIES, "corpus/documents.jsonl", "annotations/registry/speakers.jsonl", "schema/entity.schema.json",
               "schema/document.schema.json", f"corpus/raw/{CRN}.txt"]


@pytest.mark.parametrize("relative", FIFO_PLACES)
def test_a_fifo_in_place_of_a_file_is_named_not_waited_on(repo_copy, relative):
    path = repo_copy.path(relative)
    path.unlink()
    os.mkfifo(path)
    assert_refused(run_cli("validate", repo_copy.root, "--max", 100000, "--jobs", 2), "ZN114", relative)
    if not relative.startswith("corpus/raw/"):  # fmt does not read raw texts
        assert_refused(run_cli("fmt", repo_copy.root), "ZN114", relative)


def test_new_document_and_suggest_never_wait_on_a_fifo(repo_copy, tmp_path):
    fifo = tmp_path / "capture.txt"
    os.mkfifo(fifo)
    before = snapshot(repo_copy.root)
    assert_refused(run_cli("new-document", fifo, "--outlet", "X", "--published", "2020-08-05", "--repo", repo_copy.root), "ZN114", str(fifo))
    assert_refused(run_cli("suggest", fifo, "--published", "2020-08-05", "--repo", repo_copy.root, "--out", tmp_path / "s"), "ZN114", str(fifo))
    assert snapshot(repo_copy.root) == before
    documents = repo_copy.path("corpus/documents.jsonl")
    documents.unlink()
    os.mkfifo(documents)
    capture = tmp_path / "real.txt"
    capture.write_text("Zoom news\n", encoding="utf-8")
    assert_refused(run_cli("new-document", capture, "--outlet", "X", "--published", "2020-08-05", "--repo", repo_copy.root), "ZN114", "corpus/documents.jsonl")


@pytest.mark.parametrize("relative", [ENTITIES, "corpus/articles.jsonl", f"corpus/raw/{CRN}.txt"])
def test_a_folder_in_place_of_a_file(repo_copy, relative):
    path = repo_copy.path(relative)
    path.unlink()
    path.mkdir()
    (path / "inside").write_text("x", encoding="utf-8")
    assert_refused(invoke("validate", repo_copy.root, "--max", 100000), "ZN114", relative)
    if not relative.startswith("corpus/raw/"):
        before = snapshot(repo_copy.root)
        assert_refused(invoke("fmt", repo_copy.root), "ZN114", relative)
        assert snapshot(repo_copy.root) == before


@pytest.mark.parametrize("relative", [ENTITIES, "corpus/documents.jsonl", "schema/zone.schema.json", f"corpus/raw/{CRN}.txt"])
def test_an_unreadable_file_is_an_environment_problem(repo_copy, relative, monkeypatch):
    """Permission denied (simulated: the tests may run as root, who reads anything) is ZN910."""
    target = os.fsencode(repo_copy.path(relative))
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):
        if os.fsencode(path) == target:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    before = snapshot(repo_copy.root)
    assert_refused(invoke("validate", repo_copy.root, "--max", 100000), "ZN910", relative)
    if not relative.startswith("corpus/raw/"):
        assert_refused(invoke("fmt", repo_copy.root), "ZN910", relative)
    monkeypatch.undo()
    assert snapshot(repo_copy.root) == before


# --- 6. NFC over long combining sequences (ZN110) -------------------------------------------------

@pytest.mark.parametrize("sequence", ["e\u0316\u0317\u0301", "x\u0301\u0328", "\u0301\u0316\u0317\u0318", "\u1100\u1161", "\u212b"])
def test_a_raw_text_that_is_not_nfc_is_located(repo_copy, sequence):
    path = repo_copy.raw_path(CRN)
    text = path.read_text(encoding="utf-8")
    at = text.index("\n") + 1
    changed = text[:at] + sequence + text[at:]
    path.write_bytes(changed.encode("utf-8"))
    result = invoke("validate", repo_copy.root, "--max", 100000)
    assert_refused(result, "ZN110", f"corpus/raw/{CRN}.txt:2")
    # the first code point NFC changes (x\u0301\u0328: the \u0301, which moves after the \u0328)
    first = next(i for i, (a, b) in enumerate(zip(changed, unicodedata.normalize("NFC", changed))) if a != b)
    [line] = [line for line in result.output.splitlines() if " ZN110 " in line]
    assert line.endswith(f"(from offset {first})") and at <= first < at + len(sequence)


@given(st.text(st.sampled_from(["a", "e", "\n", " ", "\u0301", "\u0316", "\u0317", "\u0328", "\u0344", "\u1100", "\u1161", "\u11a8", "\u212b", "\u0b47", "\u0b3e"]), max_size=30),
       st.integers(1, 8))
def test_first_not_nfc_is_where_normalization_starts_to_change_the_text(text, block):
    import unicodedata

    normalized = unicodedata.normalize("NFC", text)
    if normalized == text:
        return
    first = first_not_nfc(text, block=block)
    assert 0 <= first < len(text)
    assert normalized.startswith(text[:first])  # everything before it is kept as it is
    assert first == len(normalized) or text[first] != normalized[first]  # and there it changes


# --- 7. new-document writes its three files as one (ZN910, ZN105) ----------------------------------

NEW_DOC = ["--outlet", "Example News", "--published", "2020-08-05"]


def new_document_files(repo) -> dict[str, bytes | None]:
    paths = ["corpus/raw/example-news-2020-08-05.txt", "corpus/documents.jsonl", "corpus/articles.jsonl"]
    return {p: repo.path(p).read_bytes() if repo.path(p).exists() else None for p in paths}


def test_new_document_on_a_full_disk_changes_nothing(repo_copy, tmp_path, monkeypatch):
    capture = tmp_path / "capture.txt"
    capture.write_text("Zoom news\n\nZoom said on Wednesday it would sell through partners.\n", encoding="utf-8")
    before = snapshot(repo_copy.root)
    monkeypatch.setenv(safeio.FAULT_MODE, "enospc")
    for step in range(1, 60):
        monkeypatch.setenv(safeio.FAULT_AFTER, str(step))
        monkeypatch.setattr(safeio, "_steps", 0)
        result = invoke("new-document", capture, *NEW_DOC, "--repo", repo_copy.root)
        if result.exit_code == 0:
            break
        assert_refused(result, "ZN910")
        assert snapshot(repo_copy.root) == before, f"step {step}"
        assert not list(repo_copy.root.rglob(f"{safeio.TEMP_PREFIX}*"))
    else:
        raise AssertionError("new-document never finished")
    assert step > 3  # the three files' writes were each interrupted at least once


def test_new_document_killed_leaves_each_file_old_or_new_and_validate_names_a_half_state(tmp_path):
    capture = tmp_path / "capture.txt"
    capture.write_text("Zoom news\n\nZoom said on Wednesday it would sell through partners.\n", encoding="utf-8")
    done = CorpusRepo(copy_sources(tmp_path / "done"))
    old = new_document_files(done)
    assert run_cli("new-document", capture, *NEW_DOC, "--repo", done.root).returncode == 0
    new = new_document_files(done)
    for step in range(1, 60):
        repo = CorpusRepo(copy_sources(tmp_path / f"kill-{step}"))
        result = run_cli("new-document", capture, *NEW_DOC, "--repo", repo.root, env={safeio.FAULT_AFTER: str(step)})
        files = new_document_files(repo)
        assert all(files[p] in (old[p], new[p]) for p in files), f"step {step}: a file is neither old nor new"
        if result.returncode == 0:
            break
        assert result.returncode < 0, result.stderr  # killed
        if files != old and files != new:
            assert not validate_repo(repo, releases=False).ok, f"step {step}: a half state passes validate"
        # the same command again finishes what the killed one began (it was refused: ZN105 or ZN402),
        # and clears the temporary files the kill left beside the files it writes
        rerun = run_cli("new-document", capture, *NEW_DOC, "--repo", repo.root)
        if files == new:  # killed after its last replacement: nothing left to do
            assert rerun.returncode == 1 and "already registered, with these very bytes" in rerun.stderr, rerun.stderr
            continue
        assert rerun.returncode == 0 and new_document_files(repo) == new, f"step {step}: {rerun.stderr}"
        assert not list((repo.root / "corpus").rglob(f"{safeio.TEMP_PREFIX}*")), f"step {step}"
        assert validate_repo(repo, releases=False).problems == validate_repo(done, releases=False).problems
        shutil.rmtree(repo.root)
    else:
        raise AssertionError("new-document never finished")


def test_new_document_refuses_a_raw_file_already_in_place(repo_copy, tmp_path):
    capture = tmp_path / "capture.txt"
    capture.write_text("Zoom news\n", encoding="utf-8")
    raw = repo_copy.raw_path("example-news-2020-08-05")
    for place in ("file", "dangling link"):
        if place == "file":
            raw.write_text("someone else's capture\n", encoding="utf-8")
        else:
            raw.unlink()
            os.symlink(tmp_path / "nowhere", raw)
        before = snapshot(repo_copy.root)
        assert_refused(invoke("new-document", capture, *NEW_DOC, "--repo", repo_copy.root), "ZN105", "corpus/raw/example-news-2020-08-05.txt")
        assert snapshot(repo_copy.root) == before and not (tmp_path / "nowhere").exists()


def test_new_document_keeps_every_line_or_refuses(repo_copy, tmp_path):
    """A line of articles.jsonl that is not a record would be lost in the rewrite: refused instead."""
    capture = tmp_path / "capture.txt"
    capture.write_text("Zoom news\n", encoding="utf-8")
    path = repo_copy.path("corpus/articles.jsonl")
    path.write_bytes(path.read_bytes() + b"{broken\n")
    before = snapshot(repo_copy.root)
    assert_refused(invoke("new-document", capture, *NEW_DOC, "--repo", repo_copy.root), "ZN103", "corpus/articles.jsonl")
    assert snapshot(repo_copy.root) == before


# --- fuzzing: validate and fmt on any input ---------------------------------------------------------

_PRISTINE: dict[str, Path] = {}


def one_document_repo() -> Path:
    """A valid repository holding one document of the gold corpus (small: many examples per second)."""
    if "root" not in _PRISTINE:
        root = copy_sources(scratch_dir("one-doc-") / "repo")
        shutil.rmtree(root / "releases")
        shutil.rmtree(root / "annotations" / "agreement")  # the gold is fuzzed here; the passes annotate all five documents
        repo = CorpusRepo(root)
        for kind in KINDS.values():
            if "doc_id" in kind.schema["properties"]:
                path = repo.path(kind.source)
                lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
                path.write_text("".join(line for line in lines if json.loads(line)["doc_id"] == CRN), encoding="utf-8")
        for raw in repo.raw_dir.glob("*.txt"):
            if raw.name != f"{CRN}.txt":
                raw.unlink()
        assert validate_repo(repo, releases=False).problems == []
        _PRISTINE["root"] = root
    fresh = scratch_dir("fuzz-") / "repo"
    shutil.copytree(_PRISTINE["root"], fresh, symlinks=True)
    return fresh


def check_validate_and_fmt(repo: CorpusRepo):
    """validate reports (never raises) the same problems on both paths; fmt formats or refuses, and a
    refusal leaves every source file byte-identical; after fmt the sources are canonical and hold the
    same records."""
    report = reports_agree(repo)
    before = snapshot(repo.root)
    records_before = {source: sorted(json.dumps(r, sort_keys=True) for _, r in read_jsonl(repo.path(source), source)[0]) for source in SOURCES}
    try:
        format_repo(repo)
    except ZoomnewsError as e:
        assert e.problems and all(p.code in CHECKS for p in e.problems)
        assert snapshot(repo.root) == before
        return report
    assert format_repo(repo, check=True) == []
    assert "ZN307" not in {p.code for p in validate_repo(repo, releases=False).problems}
    for source in SOURCES:
        assert sorted(json.dumps(r, sort_keys=True) for _, r in read_jsonl(repo.path(source), source)[0]) == records_before[source], source
    return report


def _line_break_ids():
    return st.builds(lambda s, brk, end: s + brk if end else brk + s, st.sampled_from(["e1", "z1", CRN, "zoom", "1.0.0", "2020-08-03"]),
                     st.sampled_from(["\n", "\r", "\u2028", "\r\n"]), st.booleans())


def _surrogate_texts():
    return st.builds(lambda a, s, b: a + s + b, st.text(max_size=3), st.sampled_from(["\ud800", "\udfff", "\udc00", "\udbff"]), st.text(max_size=3))


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8) | _surrogate_texts(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5) | _surrogate_texts(), inner, max_size=3),
                    max_leaves=8)


def _json_text(value, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only, separators=(", ", ": "))


# JSON texts of odd values: as written by json.dumps (non-ASCII raw or escaped), and literals no dumps writes
VALUE_TEXTS = st.one_of(
    st.builds(_json_text, st.one_of(JSON, _line_break_ids(), _surrogate_texts()), st.booleans()),
    st.sampled_from(["4.0", "-0.0", "1e30", "1E2", "0.5", "-7", "1" + "0" * 30, "NaN", "-Infinity", "1e999", "true", "null", '""', "[]", "{}"]),
    st.builds(lambda n: "[" * n + "]" * n, st.sampled_from([2, 50, 999, 5000, 100_000])),
)


@settings(max_examples=max(30, settings.default.max_examples), suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(source=st.sampled_from(SOURCES), data=st.data())
def test_fuzzed_field_values(source, data):
    """One field of one record gets an odd value, in place (so Arrow reads on as far as it can)."""
    repo = CorpusRepo(one_document_repo())
    path = repo.path(source)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if not lines:
        return
    index = data.draw(st.integers(0, len(lines) - 1))
    record = json.loads(lines[index])
    integers = sorted(f for f, v in record.items() if isinstance(v, int) and not isinstance(v, bool))
    field = data.draw(st.one_of(st.sampled_from(integers), st.sampled_from(sorted(record))) if integers else st.sampled_from(sorted(record)))
    original = record[field]
    if isinstance(original, int) and not isinstance(original, bool):  # the same number spelt as a float, often
        value = data.draw(st.one_of(st.sampled_from([f"{original}.0", f"{original}e0", f"{original}E+0", f"{original}.00"]), VALUE_TEXTS))
    else:
        value = data.draw(VALUE_TEXTS)
    placeholder = "\x00placeholder\x00"
    kind = next(k for k in KINDS.values() if k.source == source)
    line = dumps({**record, field: placeholder}, kind.fields).replace(json.dumps(placeholder), value)
    lines[index] = line + "\n"
    path.write_bytes("".join(lines).encode("utf-8", "surrogatepass"))  # a raw surrogate is invalid UTF-8: ZN102
    report = check_validate_and_fmt(repo)
    if _never_valid(value):  # reported on its line (or the file, when the file cannot be read as lines)
        assert any(p.file == source and p.line in (index + 1, None) for p in report.problems), (value, report.problems)


def _never_valid(value: str) -> bool:
    """No schema admits a float (none has a number type), NaN, a lone surrogate or an array of arrays."""
    if value.startswith("[["):
        return True
    parsed = json.loads(value)
    return lone_surrogate(parsed) is not None or _holds_float(parsed)


def _holds_float(value) -> bool:
    if isinstance(value, dict):
        return any(_holds_float(v) for v in value.values())
    return isinstance(value, float) or (isinstance(value, list) and any(_holds_float(v) for v in value))


@settings(max_examples=max(20, settings.default.max_examples // 2), suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(source=st.sampled_from(SOURCES + [f"corpus/raw/{CRN}.txt"]), data=st.data())
def test_fuzzed_bytes(source, data):
    """Arbitrary bytes as a whole file, or spliced into it, or whole JSON values as lines."""
    repo = CorpusRepo(one_document_repo())
    path = repo.path(source)
    original = path.read_bytes()
    how = data.draw(st.sampled_from(["replace", "splice", "lines"]))
    if how == "replace":
        path.write_bytes(data.draw(st.binary(max_size=300)))
    elif how == "splice":
        at = data.draw(st.integers(0, len(original)))
        path.write_bytes(original[:at] + data.draw(st.binary(min_size=1, max_size=20)) + original[at:])
    else:
        values = data.draw(st.lists(st.builds(_json_text, JSON, st.booleans()), max_size=4))
        path.write_bytes(original + "".join(v + "\n" for v in values).encode("utf-8", "surrogatepass"))
    check_validate_and_fmt(repo)


@pytest.mark.parametrize("first", ["null", "null\nnull", "true", "[]", "1", '"x"', " {}"])
@pytest.mark.parametrize("relative", ["annotations/registry/entities.jsonl", "corpus/documents.jsonl", ENTITIES])
def test_a_file_starting_with_a_value_that_is_no_object_is_named_not_a_crash(repo_copy, relative, first):
    """pyarrow's JSON reader with an explicit schema kills the interpreter (SIGSEGV, exit 139, no
    report) on a block that starts with `null`: a line that does not start an object never reaches it."""
    path = repo_copy.path(relative)
    path.write_text(first + "\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    result = run_cli("validate", repo_copy.root, "--max", 100000, "--jobs", 1)
    assert_refused(result, "ZN103" if first.strip() != "{}" else "ZN201", relative)
