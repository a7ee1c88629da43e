"""Imports never lose a record silently (issue 15).

Every importer either reads the tool's export whole, into records whose offsets, texts and ids are
sound, or refuses with a coded problem naming the file (and line): ZN601 offsets, ZN602 anything not
understood, ZN604 removals without --allow-removal, ZN605 an ambiguous Label Studio task, ZN606 a
note or attribute that would move a record or does not belong to its layer; ZN111/ZN114/ZN115/ZN401
for a symbolic link, a FIFO or folder, a lone surrogate, an unknown document. After a refusal the
annotation sources are byte-identical. Examples for each reproduction of the issue and every format,
then hypothesis (arbitrary bytes, arbitrary JSON, mutations of a valid export), then the CLI.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, reject, settings, strategies as st

from conftest import copy_sources
from strategies import scratch_dir
from zoomnews import CorpusRepo
from zoomnews.checks.catalogue import CHECKS
from zoomnews.cli import main
from zoomnews.errors import ZoomnewsError
from zoomnews.formats import FORMATS, export_corpus, import_corpus
from zoomnews.formats.common import LABEL_FIELD, SPAN_KINDS, SPAN_PARTS
from zoomnews.sources.corpus import read_corpus
from zoomnews.checks.validation import validate_repo

DOC = "crn-2020-08-03"
OTHER = "cnbc-reworded-2020-08-03"
SOURCES = [f"annotations/{name}.jsonl" for name in ("zones", "entities", "timexes", "quotes")]
MAIN_FILE = {"labelstudio": "tasks.json", "doccano": "doccano.jsonl", "conll": "ner.conll", "spacy": "corpus.spacy",
             "brat": f"{DOC}.ann", "xmi": f"{DOC}.xmi"}


def snapshot(repo) -> dict[str, bytes]:
    return {name: repo.path(name).read_bytes() for name in SOURCES}


def refused(repo, fmt, path, code, **options):
    """The first problem of a refused import, after checking the sources did not change."""
    before = snapshot(repo)
    with pytest.raises(ZoomnewsError) as error:
        import_corpus(repo, fmt, path, **options)
    assert snapshot(repo) == before, "a refused import changed the sources"
    problem = error.value.problems[0]
    assert problem.code in (code if isinstance(code, tuple) else (code,)), error.value
    return problem


@pytest.fixture(scope="module", autouse=True)
def schemas_read_once():
    """Every repository here holds this checkout's schemas, unchanged. load_kinds meta-validates them on
    each call (a quarter of a second, more than an import itself), so this module keeps the kinds per
    schema bytes: the same Kind objects load_kinds would build (they do not depend on the root)."""
    from zoomnews.sources import canonical as formatting
    from zoomnews.sources import schemas
    from zoomnews.sources import corpus as sources

    real, cache = schemas.load_kinds, {}

    def load_kinds(repo=None):
        folder = (repo.root if repo else schemas.package_root()) / "schema"
        key = tuple((f.name, f.read_bytes()) for f in sorted(folder.glob("*.json")))
        if key not in cache:
            cache[key] = real(repo)
        return cache[key]

    with pytest.MonkeyPatch.context() as patch:
        for holder in (schemas, sources, formatting):
            patch.setattr(holder, "load_kinds", load_kinds)
        yield


@pytest.fixture(scope="module")
def pristine_exports(tmp_path_factory):
    """Every format's export of two documents (DOC and OTHER, before it in every file), made once;
    tests change copies of them."""
    root = tmp_path_factory.mktemp("exports")
    repo = CorpusRepo(copy_sources(root / "repo"))
    for fmt in FORMATS:
        export_corpus(repo, fmt, root / fmt, doc_ids=[OTHER, DOC])
    return root


@pytest.fixture(scope="module")
def shared_repo(tmp_path_factory):
    """One corpus copy for the tests that expect a refusal: refused() checks that each leaves the
    sources byte-identical, so sharing it is itself checked. Tests that write use repo_copy."""
    return CorpusRepo(copy_sources(tmp_path_factory.mktemp("shared") / "repo"))


@pytest.fixture
def export(pristine_exports, tmp_path):
    def copy(fmt: str) -> Path:
        folder = Path(tempfile.mkdtemp(prefix="export-", dir=tmp_path)) / fmt
        shutil.copytree(pristine_exports / fmt, folder)
        return folder

    return copy


# --- editing exports ----------------------------------------------------------------------------

def edit_json(file: Path, change) -> None:
    data = json.loads(file.read_text(encoding="utf-8"))
    change(data)
    file.write_text(json.dumps(data, indent=1, allow_nan=True), encoding="utf-8")  # ASCII: a lone surrogate stays an escape


def task_results(tasks: list, doc: str = DOC) -> list:
    return next(t for t in tasks if t["data"]["doc_id"] == doc)["annotations"][0]["result"]


def region(tasks: list, layer: str = "entity") -> dict:
    return next(r for r in task_results(tasks) if r["type"] == "labels" and r["from_name"] == layer)


def rename_region(tasks: list, old: str, new: str) -> None:
    """A region's id changed in its labels result and its text areas alike."""
    for r in task_results(tasks):
        if r.get("id") == old:
            r["id"] = new


def drop_region(tasks: list, layer: str) -> dict:
    """The first region of `layer` deleted from every annotation of DOC's task, with its text areas and
    relations, as Label Studio deletes it; returns the region."""
    task = next(t for t in tasks if t["data"]["doc_id"] == DOC)
    gone = region(tasks, layer)
    for annotation in task["annotations"]:
        annotation["result"] = [r for r in annotation["result"] if gone["id"] not in (r.get("id"), r.get("from_id"), r.get("to_id"))]
    return gone


def set_region(key, value, layer="entity"):
    return lambda tasks: region(tasks, layer)["value"].__setitem__(key, value)


def edit_doccano(folder: Path, change) -> None:
    file = folder / "doccano.jsonl"
    lines = file.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if f'"doc_id": "{DOC}"' in line)
    line = json.loads(lines[index])
    change(line)
    lines[index] = json.dumps(line, allow_nan=True)
    file.write_text("\n".join(lines), encoding="utf-8")


def ann_lines(folder: Path) -> list[str]:
    return (folder / f"{DOC}.ann").read_text(encoding="utf-8").split("\n")


def edit_ann(folder: Path, change) -> None:
    lines = ann_lines(folder)
    change(lines)
    (folder / f"{DOC}.ann").write_text("\n".join(lines), encoding="utf-8")


def first(lines: list[str], prefix: str) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(prefix))


def edit_note(field, value):
    """The first note (a zone's) with `field` set to `value`."""
    def change(lines):
        i = first(lines, "#")
        head, note = lines[i].rsplit("\t", 1)
        lines[i] = f"{head}\t{json.dumps({**json.loads(note), field: value})}"

    return change


def replace_in(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit_spacy(folder: Path, change) -> None:
    """Change the stored zoomnews records of DOC in a DocBin and write it back."""
    from spacy.tokens import DocBin

    from zoomnews.formats.spacy import _vocab

    docs = list(DocBin().from_disk(folder / "corpus.spacy").get_docs(_vocab()))
    out = DocBin(store_user_data=True)
    for doc in docs:
        stored = json.loads(json.dumps(doc.user_data["zoomnews"]))  # msgpack gave tuples; edit plain lists
        if stored["doc_id"] == DOC:
            change(stored)
        doc.user_data["zoomnews"] = stored
        out.add(doc)
    (folder / "corpus.spacy").write_bytes(out.to_bytes())


def spacy_entity(stored: dict) -> dict:
    return stored["entity"][0]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<xmi:XMI xmlns:xmi="http://www.omg.org/XMI" xmi:version="2.0"><x>&lol4;</x></xmi:XMI>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xmi:XMI xmlns:xmi="http://www.omg.org/XMI" xmi:version="2.0"><x>&secret;</x></xmi:XMI>"""


def write(name: str, content):
    """A change that replaces file `name` of the export with `content` (str or bytes)."""
    def change(folder: Path):
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))

    return change


def cut(name: str):
    """A change that truncates file `name` in the middle (a copy interrupted)."""
    def change(folder: Path):
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: len(data) // 2])

    return change


def make_dir(name: str):
    def change(folder: Path):
        (folder / name).unlink()
        (folder / name).mkdir()

    return change


# --- the malformed inputs of the issue, every format --------------------------------------------

LS, DC, BRAT, XMI, CONLL, SPACY = "labelstudio", "doccano", "brat", "xmi", "conll", "spacy"
TASKS = "tasks.json"


def ls(change):
    return lambda folder: edit_json(folder / TASKS, change)


def dc(change):
    return lambda folder: edit_doccano(folder, change)


def ann(change):
    return lambda folder: edit_ann(folder, change)


def xmi(old, new):
    return lambda folder: replace_in(folder / f"{DOC}.xmi", old, new)


def sp(change):
    return lambda folder: edit_spacy(folder, change)


def first_label(line, value, position=0):
    line["label"][0][position] = value


MALFORMED = {
    # Label Studio
    "ls-not-json": (LS, write(TASKS, "this is not JSON"), "ZN602"),
    "ls-truncated": (LS, cut(TASKS), "ZN602"),
    "ls-deep-nesting": (LS, write(TASKS, "[" * 1_000_000), "ZN602"),
    "ls-not-utf8": (LS, write(TASKS, b"[\xff\xfe]"), "ZN602"),
    "ls-object-not-list": (LS, write(TASKS, "{}"), "ZN602"),
    "ls-task-not-object": (LS, write(TASKS, "[[1, 2]]"), "ZN602"),
    "ls-offset-float": (LS, ls(set_region("end", 56.7)), "ZN601"),
    "ls-offset-integral-float": (LS, ls(set_region("start", 5.0)), "ZN601"),
    "ls-offset-null": (LS, ls(set_region("start", None)), "ZN601"),
    "ls-offset-nan": (LS, ls(set_region("start", float("nan"))), "ZN602"),
    "ls-offset-1e30": (LS, ls(set_region("end", 1e30)), "ZN601"),
    "ls-offset-bool": (LS, ls(set_region("start", True)), "ZN601"),
    "ls-offset-string": (LS, ls(set_region("start", "5")), "ZN601"),
    "ls-offset-negative": (LS, ls(set_region("start", -5)), "ZN601"),
    "ls-offset-huge": (LS, ls(set_region("end", 10 ** 30)), "ZN601"),
    "ls-labels-not-list": (LS, ls(set_region("labels", "ORG")), "ZN602"),
    "ls-two-labels": (LS, ls(set_region("labels", ["ORG", "PERSON"])), "ZN602"),
    "ls-unknown-label": (LS, ls(set_region("labels", ["ORGANISATION"])), "ZN602"),
    "ls-region-text-differs": (LS, ls(set_region("text", "something else")), "ZN601"),
    "ls-unknown-result-type": (LS, ls(lambda t: task_results(t).append({"type": "choices", "value": {"choices": ["x"]}})), "ZN602"),
    "ls-doc-id-with-newline": (LS, ls(lambda t: t[1]["data"].__setitem__("doc_id", DOC + "\n")), "ZN602"),
    "ls-unknown-document": (LS, ls(lambda t: t[1]["data"].__setitem__("doc_id", "no-such-document")), "ZN401"),
    "ls-region-id-with-newline": (LS, ls(lambda t: rename_region(t, region(t)["id"], region(t)["id"] + "\n")), "ZN602"),
    "ls-duplicate-region": (LS, ls(lambda t: task_results(t).append(region(t))), "ZN602"),
    "ls-unlinked-cue": (LS, ls(lambda t: task_results(t).remove(next(r for r in task_results(t) if r["type"] == "relation"))), "ZN602"),
    # doccano
    "doccano-end-56.7": (DC, dc(lambda line: first_label(line, 56.7, 1)), "ZN601"),
    "doccano-start-null": (DC, dc(lambda line: first_label(line, None)), "ZN601"),
    "doccano-start-nan": (DC, dc(lambda line: first_label(line, float("nan"))), "ZN602"),
    "doccano-end-1e30": (DC, dc(lambda line: first_label(line, 1e30, 1)), "ZN601"),
    "doccano-label-not-triple": (DC, dc(lambda line: line["label"].__setitem__(0, [1, 2])), "ZN602"),
    "doccano-label-missing": (DC, dc(lambda line: line.pop("label")), "ZN602"),
    "doccano-text-not-string": (DC, dc(lambda line: line.__setitem__("text", 5)), "ZN602"),
    "doccano-unknown-type": (DC, dc(lambda line: first_label(line, "Zone_nonsense", 2)), "ZN602"),
    "doccano-not-json": (DC, lambda f: (f / "doccano.jsonl").write_text("{oops\n", encoding="utf-8"), "ZN602"),
    "doccano-deep-nesting": (DC, write("doccano.jsonl", "[" * 1_000_000), "ZN602"),
    "doccano-truncated": (DC, cut("doccano.jsonl"), "ZN602"),
    # (the first line renamed carries another document's text: refused as such before the name comes again)
    "doccano-document-twice": (DC, lambda f: replace_in(f / "doccano.jsonl", OTHER, DOC), "ZN603"),
    # brat
    "brat-no-readable-line": (BRAT, write(f"{DOC}.ann", "\x00\x01 garbage\nmore garbage\n"), "ZN602"),
    "brat-malformed-T": (BRAT, ann(lambda lines: lines.__setitem__(0, lines[0].replace(" 0 ", " 0x ", 1))), "ZN602"),
    "brat-arabic-digits": (BRAT, ann(lambda lines: lines.__setitem__(0, lines[0].replace(" 0 ", " ٠ ", 1))), "ZN602"),
    "brat-T-text-differs": (BRAT, ann(lambda lines: lines.__setitem__(0, lines[0] + "!")), "ZN601"),
    "brat-T-beyond-text": (BRAT, ann(lambda lines: lines.__setitem__(0, re.sub(r" 0 56\t", " 0 999999\t", lines[0]))), "ZN601"),
    "brat-T-huge-offset": (BRAT, ann(lambda lines: lines.__setitem__(0, re.sub(r" 0 56\t", " 0 " + "9" * 5000 + "\t", lines[0]))), "ZN601"),
    "brat-fragments-skip-text": (BRAT, ann(lambda lines: lines.__setitem__(0, "T1\tZone_title 0 4;10 16\tZoom  Cuts")), ("ZN601",)),
    "brat-note-not-json": (BRAT, ann(lambda lines: lines.__setitem__(first(lines, "#"), lines[first(lines, "#")] + "}")), "ZN602"),
    "brat-note-nan": (BRAT, ann(edit_note("article_index", float("nan"))), "ZN602"),
    "brat-unknown-relation": (BRAT, ann(lambda lines: lines.__setitem__(first(lines, "R"), lines[first(lines, "R")].replace("Cue", "Causes", 1))), "ZN602"),
    "brat-unlinked-cue": (BRAT, ann(lambda lines: lines.pop(first(lines, "R1\t"))), "ZN602"),
    "brat-event-line": (BRAT, ann(lambda lines: lines.insert(0, "E1\tCue:T1")), "ZN602"),
    "brat-attribute-line": (BRAT, ann(lambda lines: lines.insert(0, "A1\tNegated T1")), "ZN602"),
    # values the layer's schema rejects, set through a tool's note or attribute (they were written, and only validate said so)
    "brat-note-article-index-text": (BRAT, ann(edit_note("article_index", "abc")), "ZN201"),
    "ls-text-area-article-index-text": (LS, ls(lambda t: next(r for r in task_results(t) if r["from_name"] == "zone.article_index")["value"]
                                               .__setitem__("text", ["abc"])), "ZN201"),
    "xmi-method-not-in-schema": (XMI, xmi('method="manual"', 'method="yolo"'), "ZN201"),
    "xmi-entity-id-a-path": (XMI, xmi('entity_id="china"', 'entity_id="../../x"'), "ZN201"),
    "brat-T-twice": (BRAT, ann(lambda lines: lines.insert(1, lines[0])), "ZN602"),
    "brat-ann-is-a-folder": (BRAT, make_dir(f"{DOC}.ann"), "ZN114"),
    "brat-txt-missing": (BRAT, lambda f: (f / f"{DOC}.txt").unlink(), "ZN602"),
    "brat-ann-not-utf8": (BRAT, write(f"{DOC}.ann", b"T1\tZone_title 0 56\t\xff\n"), "ZN602"),
    "brat-bad-file-name": (BRAT, lambda f: (f / "Notes.ann").write_text("", encoding="utf-8"), "ZN602"),
    # XMI
    "xmi-not-xml": (XMI, write(f"{DOC}.xmi", "not XML at all"), "ZN602"),
    "xmi-truncated": (XMI, cut(f"{DOC}.xmi"), "ZN602"),
    "xmi-billion-laughs": (XMI, write(f"{DOC}.xmi", BILLION_LAUGHS), "ZN602"),
    "xmi-external-entity": (XMI, write(f"{DOC}.xmi", EXTERNAL_ENTITY), "ZN602"),
    "xmi-typesystem-entities": (XMI, write("TypeSystem.xml", BILLION_LAUGHS), "ZN602"),
    "xmi-deep-nesting": (XMI, write(f"{DOC}.xmi", "<a>" * 100_000 + "</a>" * 100_000), "ZN602"),
    "xmi-begin-negative": (XMI, xmi('begin="0" end="56"', 'begin="-5" end="56"'), "ZN601"),
    "xmi-begin-float": (XMI, xmi('begin="0" end="56"', 'begin="1.5" end="56"'), ("ZN601", "ZN602")),
    "xmi-end-beyond": (XMI, xmi('begin="0" end="56"', 'begin="0" end="99999"'), "ZN601"),
    "xmi-reversed": (XMI, xmi('begin="0" end="56"', 'begin="56" end="0"'), "ZN601"),
    "xmi-unknown-label": (XMI, xmi('label="title"', 'label="headline"'), "ZN602"),
    "xmi-bad-doc-id": (XMI, xmi(f'doc_id="{DOC}"', 'doc_id="Not An Id"'), "ZN602"),
    "xmi-no-typesystem": (XMI, lambda f: (f / "TypeSystem.xml").unlink(), "ZN602"),
    "xmi-is-a-folder": (XMI, make_dir(f"{DOC}.xmi"), "ZN114"),
    # CoNLL
    "conll-not-utf8": (CONLL, write("ner.conll", b"# doc_id = x\n\xff\tO\n"), "ZN602"),
    "conll-truncated": (CONLL, cut("ner.conll"), "ZN602"),
    # one problem for the file, not a ZN602 per line (`O\r` is no tag) or "a token line before any # doc_id"
    "conll-crlf": (CONLL, lambda f: (f / "ner.conll").write_bytes((f / "ner.conll").read_bytes().replace(b"\n", b"\r\n")), "ZN602"),
    "conll-bom": (CONLL, lambda f: (f / "ner.conll").write_bytes(b"\xef\xbb\xbf" + (f / "ner.conll").read_bytes()), "ZN602"),
    "conll-token-not-next": (CONLL, lambda f: replace_in(f / "ner.conll", "Zoom\tB-ORG", "Zoomy\tB-ORG"), "ZN601"),
    "conll-bad-tag": (CONLL, lambda f: replace_in(f / "ner.conll", "Zoom\tB-ORG", "Zoom\tB-ORGANISATION"), "ZN602"),
    "conll-three-columns": (CONLL, lambda f: replace_in(f / "ner.conll", "Zoom\tB-ORG", "Zoom\tB-ORG\tX"), "ZN602"),
    "conll-token-before-doc": (CONLL, write("ner.conll", "Zoom\tB-ORG\n"), "ZN602"),
    "conll-bad-doc-id": (CONLL, lambda f: replace_in(f / "ner.conll", f"# doc_id = {OTHER}", "# doc_id = CNBC"), "ZN602"),
    # spaCy
    "spacy-not-zlib": (SPACY, write("corpus.spacy", b"not a DocBin"), "ZN602"),
    "spacy-zlib-garbage": (SPACY, write("corpus.spacy", zlib.compress(b"\xc1\xc1 not msgpack")), "ZN602"),
    "spacy-wrong-shape": (SPACY, write("corpus.spacy", zlib.compress(b"\x81\xa5attrs\x05")), "ZN602"),  # msgpack {"attrs": 5}
    "spacy-truncated": (SPACY, cut("corpus.spacy"), "ZN602"),
    "spacy-start-negative": (SPACY, sp(lambda s: spacy_entity(s).__setitem__("start", -5)), "ZN601"),
    "spacy-end-float": (SPACY, sp(lambda s: spacy_entity(s).__setitem__("end", 56.7)), "ZN601"),
    "spacy-text-differs": (SPACY, sp(lambda s: spacy_entity(s).__setitem__("text", "Zoom!")), "ZN601"),
    "spacy-no-records": (SPACY, sp(lambda s: s.clear()), "ZN602"),
    "spacy-layer-not-list": (SPACY, sp(lambda s: s.__setitem__("entity", 5)), "ZN602"),
    "spacy-is-a-folder": (SPACY, make_dir("corpus.spacy"), "ZN114"),
}


LINES = {"ls-not-json": 1, "doccano-not-json": 1, "doccano-end-56.7": 2, "brat-no-readable-line": 1, "brat-malformed-T": 1,
         "brat-T-text-differs": 1, "brat-event-line": 1, "brat-ann-not-utf8": 1, "conll-not-utf8": 2, "conll-bad-tag": 4,
         "conll-token-before-doc": 1, "xmi-not-xml": 1, "conll-crlf": 1, "conll-bom": 1}  # where the format has lines, the refusal names the one at fault


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_export_is_refused_with_its_code(case, shared_repo, export):
    fmt, change, code = MALFORMED[case]
    folder = export(fmt)
    change(folder)
    problem = refused(shared_repo, fmt, folder, code)
    assert str(folder) in problem.file  # the file is named
    assert case not in LINES or problem.line == LINES[case], problem


# --- reproductions of the issue -----------------------------------------------------------------

@pytest.mark.parametrize("fmt, change", [
    (LS, ls(set_region("labels", ["\udc00"], layer="zone"))),
    (DC, dc(lambda line: first_label(line, "\udc00", 2))),
    (BRAT, ann(edit_note("annotator", "\udc00"))),
])
def test_a_lone_surrogate_is_refused_before_anything_is_written(fmt, change, shared_repo, export):
    """The issue: a label ["\\udc00"] crashed while writing and left zones.jsonl empty."""
    folder = export(fmt)
    change(folder)
    problem = refused(shared_repo, fmt, folder, "ZN115")
    assert problem.line is not None and "U+DC00" in problem.message
    assert shared_repo.path("annotations/zones.jsonl").stat().st_size > 0


def test_the_writes_are_atomic_and_refuse_a_lone_surrogate_whole(repo_copy):
    """The last line of defence, safeio.write_files, encodes everything before writing anything."""
    from zoomnews.safeio import write_files

    before = snapshot(repo_copy)
    with pytest.raises(ZoomnewsError) as error:
        write_files({Path(SOURCES[0]): "fine\n", Path(SOURCES[1]): "bad \udc00\n"}, repo_copy.root)
    assert error.value.problems[0].code == "ZN115"
    assert snapshot(repo_copy) == before


@pytest.mark.parametrize("name", [f"{DOC}.ann", f"{DOC}.txt"])
def test_brat_refuses_a_symbolic_link(name, shared_repo, export):
    folder = export(BRAT)
    (folder / name).unlink()
    (folder / name).symlink_to("/etc/passwd")
    problem = refused(shared_repo, BRAT, folder, "ZN111")
    assert problem.file.endswith(name)


def test_brat_an_empty_ann_would_remove_every_record_of_its_document(shared_repo, export):
    folder = export(BRAT)
    (folder / f"{DOC}.ann").write_text("", encoding="utf-8")
    problem = refused(shared_repo, BRAT, folder, "ZN604")
    assert DOC in problem.message and problem.file in SOURCES and problem.line


def test_brat_one_malformed_T_line_refuses_the_import(shared_repo, export):
    """The issue: the entity of a malformed T line was dropped and validate still passed."""
    folder = export(BRAT)
    lines = ann_lines(folder)
    number = next(i for i, line in enumerate(lines) if re.match(r"T\d+\tORG ", line))
    lines[number] = lines[number].replace("\tORG ", "\tORG  ")
    (folder / f"{DOC}.ann").write_text("\n".join(lines), encoding="utf-8")
    problem = refused(shared_repo, BRAT, folder, "ZN602")
    assert problem.line == number + 1


def test_brat_every_refused_line_is_named_in_one_run(shared_repo, export):
    """An import stopped at its first refusal. Now a malformed T line, a second one whose text is not
    the .txt's, and a line not understood are all named, each on its line; the Cue relation and note
    of a refused T line are left out, not refused again."""
    folder = export(BRAT)
    lines = ann_lines(folder)
    entities = [i for i, line in enumerate(lines) if re.match(r"T\d+\tORG ", line)]
    lines[entities[0]] = lines[entities[0]].replace("\tORG ", "\tORG  ")  # malformed
    tid, kind_offsets, text = lines[entities[1]].split("\t")
    lines[entities[1]] = f"{tid}\t{kind_offsets}\t{text}x"  # not the .txt's text
    cue_line = next(i for i, line in enumerate(lines) if "\tCue " in line)
    cue = lines[cue_line].split("\t")[0]
    lines[cue_line] = lines[cue_line].replace("\tCue ", "\tCue  ")  # malformed: its relation names a refused line
    lines.append("X1\tnonsense")
    (folder / f"{DOC}.ann").write_text("\n".join(lines), encoding="utf-8")
    before = snapshot(shared_repo)
    with pytest.raises(ZoomnewsError) as error:
        import_corpus(shared_repo, BRAT, folder)
    assert snapshot(shared_repo) == before
    problems = error.value.problems
    assert [(p.code, p.line) for p in problems] == [("ZN602", entities[0] + 1), ("ZN601", entities[1] + 1), ("ZN602", cue_line + 1),
                                                    ("ZN602", len(lines))], [str(p) for p in problems]
    assert not any(f"relation from" in p.message or f" {cue} " in p.message for p in problems[:2] + problems[3:])


@pytest.mark.parametrize("field, value", [("doc_id", OTHER), ("start", 1), ("end", 3), ("text", "Zoom"),
                                          ("label", "body"), ("cue_start", 1), ("id", "z1\n"), ("id", "e1"), ("id", 7),
                                          ("no_such_field", 1)])
def test_brat_notes_cannot_move_a_record_or_set_what_its_layer_lacks(field, value, shared_repo, export):
    folder = export(BRAT)
    edit_ann(folder, edit_note(field, value))
    problem = refused(shared_repo, BRAT, folder, "ZN606")
    assert problem.line == ann_lines(folder).index(next(s for s in ann_lines(folder) if s.startswith("#"))) + 1


def test_brat_a_note_on_a_cue_span_or_a_missing_span_is_refused(shared_repo, export):
    folder = export(BRAT)
    cue = next(line.split("\t")[0] for line in ann_lines(folder) if "\tCue " in line)
    edit_ann(folder, lambda lines: lines.insert(0, f"#999\tAnnotatorNotes {cue}\t{{}}"))
    refused(shared_repo, BRAT, folder, "ZN606")
    edit_ann(folder, lambda lines: lines.__setitem__(0, "#999\tAnnotatorNotes T9999\t{}"))
    refused(shared_repo, BRAT, folder, "ZN606")


@pytest.mark.parametrize("name", ["entity.start", "entity.doc_id", "entity.text", "entity.label", "entity.id",
                                  "zone.annotator", "entity.nonsense"])
def test_label_studio_text_areas_cannot_move_a_record_or_cross_layers(name, shared_repo, export):
    folder = export(LS)

    def change(tasks):
        entity = region(tasks)
        task_results(tasks).append({"id": entity["id"], "from_name": name, "to_name": "text", "type": "textarea",
                                    "value": {"start": entity["value"]["start"], "end": entity["value"]["end"], "text": ["3"]}})

    edit_json(folder / TASKS, change)
    refused(shared_repo, LS, folder, "ZN606")


def test_label_studio_a_text_area_of_no_region_is_refused(shared_repo, export):
    folder = export(LS)
    edit_json(folder / TASKS, lambda tasks: task_results(tasks).append(
        {"id": "entity/e999", "from_name": "entity.annotator", "type": "textarea", "value": {"text": ["a1"]}}))
    refused(shared_repo, LS, folder, "ZN606")


def test_label_studio_every_refused_region_is_named_in_one_run(shared_repo, export):
    """An import stopped at its first refusal, so an export with three bad regions took three rounds.
    Each refused region is named (in two tasks); what names a refused region (its text area, the
    relation to a refused cue) is left out, not refused again."""
    folder = export(LS)

    def change(tasks):
        entities = [r for r in task_results(tasks) if r["type"] == "labels" and r["from_name"] == "entity"]
        entities[0]["value"]["text"] += "x"  # ZN601: not the document's text there
        entities[1]["value"]["labels"] = ["NOT_A_LABEL"]
        task_results(tasks).append({"id": entities[0]["id"], "from_name": "entity.annotator", "to_name": "text", "type": "textarea",
                                    "value": {"start": entities[0]["value"]["start"], "end": entities[0]["value"]["end"], "text": ["a1"]}})
        cue = next(r for r in task_results(tasks, OTHER) if r["type"] == "labels" and r["from_name"] == "cue")
        cue["value"]["start"] += 1  # its text no longer what it says

    edit_json(folder / TASKS, change)
    before = snapshot(shared_repo)
    with pytest.raises(ZoomnewsError) as error:
        import_corpus(shared_repo, LS, folder)
    assert snapshot(shared_repo) == before
    problems = error.value.problems
    told = sorted((p.code, DOC in p.message, OTHER in p.message, "cue" in p.message) for p in problems)
    assert told == [("ZN601", False, True, True), ("ZN601", True, False, False), ("ZN602", True, False, False)], [str(p) for p in problems]


def test_doccano_every_refused_line_and_label_is_named_in_one_run(shared_repo, export):
    """Two bad labels of one line and a bad line (its text changed): three problems in one run."""
    folder = export(DC)
    file = folder / "doccano.jsonl"
    lines = file.read_text(encoding="utf-8").split("\n")
    first, other = (next(i for i, line in enumerate(lines) if f'"doc_id": "{d}"' in line) for d in (DOC, OTHER))
    record = json.loads(lines[first])
    record["label"][0][1] = 56.7
    record["label"][2] = ["not", "a label"]
    lines[first] = json.dumps(record)
    record = json.loads(lines[other])
    record["text"] = record["text"] + "!"
    lines[other] = json.dumps(record)
    file.write_text("\n".join(lines), encoding="utf-8")
    before = snapshot(shared_repo)
    with pytest.raises(ZoomnewsError) as error:
        import_corpus(shared_repo, DC, folder)
    assert snapshot(shared_repo) == before
    assert sorted((p.code, p.line) for p in error.value.problems) == sorted([("ZN601", first + 1), ("ZN602", first + 1), ("ZN603", other + 1)]), \
        [str(p) for p in error.value.problems]


def two_annotations(folder: Path) -> tuple[dict, str, str]:
    """DOC's task with a second annotation (id 99, updated later) relabelling the first entity, and a
    cancelled one; returns the first annotation, the entity's id and its label in the second."""
    tasks = json.loads((folder / TASKS).read_text(encoding="utf-8"))
    task = next(t for t in tasks if t["data"]["doc_id"] == DOC)
    first_one = dict(task["annotations"][0], updated_at="2024-01-01T10:00:00Z")
    second = json.loads(json.dumps(first_one))
    second.update(id=99, updated_at="2024-01-02T10:00:00+00:00")
    entity = next(r for r in second["result"] if r["type"] == "labels" and r["from_name"] == "entity")
    entity["value"]["labels"] = ["PERSON" if entity["value"]["labels"] != ["PERSON"] else "ORG"]
    task["annotations"] = [first_one, second, {"id": 100, "was_cancelled": True, "result": []}]
    (folder / TASKS).write_text(json.dumps(tasks), encoding="utf-8")
    return first_one, entity["id"].split("/", 1)[1], entity["value"]["labels"][0]


def label_of(repo, ident: str) -> str:
    return next(r["label"] for r in read_corpus(repo).rows("entity") if r["doc_id"] == DOC and r["id"] == ident)


def test_label_studio_several_annotations_need_a_choice(repo_copy, export):
    folder = export(LS)
    first_one, ident, relabelled = two_annotations(folder)
    problem = refused(repo_copy, LS, folder, "ZN605")
    assert "2 annotations" in problem.message and DOC in problem.message  # the cancelled one does not count
    refused(repo_copy, LS, folder, "ZN605", annotation="12345")  # an id that is in no task
    import_corpus(repo_copy, LS, folder, annotation=str(first_one["id"]), annotator="a0")
    assert label_of(repo_copy, ident) != relabelled
    import_corpus(repo_copy, LS, folder, annotation="99", annotator="a0")
    assert label_of(repo_copy, ident) == relabelled


def test_label_studio_latest_is_the_one_updated_last_not_the_one_listed_last(repo_copy, export):
    folder = export(LS)
    _, ident, relabelled = two_annotations(folder)
    edit_json(folder / TASKS, lambda tasks: next(t for t in tasks if t["data"]["doc_id"] == DOC)["annotations"].reverse())
    import_corpus(repo_copy, LS, folder, annotation="latest", annotator="a0")
    assert label_of(repo_copy, ident) == relabelled


def test_an_import_that_removes_records_lists_them_and_needs_allow_removal(repo_copy, export):
    folder = export(LS)
    gone = {}
    edit_json(folder / TASKS, lambda tasks: gone.update(drop_region(tasks, "timex")))
    ident = gone["id"].split("/", 1)[1]
    problem = refused(repo_copy, LS, folder, "ZN604")
    assert problem.file == "annotations/timexes.jsonl" and problem.line
    assert f"{DOC}/{ident}" in problem.message and gone["value"]["text"] in problem.message
    refused(repo_copy, LS, folder, "ZN604", write=False)  # a dry run refuses the same way
    before = snapshot(repo_copy)
    result = import_corpus(repo_copy, LS, folder, write=False, allow_removal=True)
    assert snapshot(repo_copy) == before
    assert result.removed == [{"layer": "timex", "doc_id": DOC, "id": ident, "text": gone["value"]["text"]}]
    import_corpus(repo_copy, LS, folder, allow_removal=True)
    assert ident not in {r["id"] for r in read_corpus(repo_copy).rows("timex") if r["doc_id"] == DOC}
    assert validate_repo(repo_copy).problems == []


def test_counts_in_equal_counts_out(repo_copy, export):
    """One entity changed, one removed, one added: the result says so, and before + added - removed = after."""
    folder = export(LS)

    def edit(tasks):
        entities = [r for r in task_results(tasks) if r["type"] == "labels" and r["from_name"] == "entity"]
        changed, removed = entities[0], entities[1]
        changed["value"]["labels"] = ["PERSON" if changed["value"]["labels"] != ["PERSON"] else "ORG"]
        results = task_results(tasks)
        results[:] = [r for r in results if removed["id"] not in (r.get("id"), r.get("from_id"), r.get("to_id"))]
        results.append({**json.loads(json.dumps(removed)), "id": "drawn-in-label-studio"})  # the same span drawn anew

    edit_json(folder / TASKS, edit)
    total = len(read_corpus(repo_copy).rows("entity"))
    result = import_corpus(repo_copy, LS, folder, allow_removal=True, annotator="a0")
    counts = result.counts["entity"]
    assert (counts.added, counts.removed, counts.changed) == (1, 1, 1)
    assert counts.before + counts.added - counts.removed == counts.after
    assert all(c.before == c.after and not (c.added or c.removed or c.changed) for layer, c in result.counts.items() if layer != "entity")
    assert len(read_corpus(repo_copy).rows("entity")) == total  # one out, one in


def test_a_fifo_is_refused_without_waiting(shared_repo, export):
    folder = export(LS)
    (folder / TASKS).unlink()
    os.mkfifo(folder / TASKS)

    def hung(*_):
        raise AssertionError("the import waited on a FIFO")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    try:
        refused(shared_repo, LS, folder, "ZN114")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_xml_entities_are_never_expanded_nor_fetched(shared_repo, export, monkeypatch):
    """A DOCTYPE is refused before cassis sees the file: nothing reads /etc/passwd or expands entities."""
    import cassis

    folder = export(XMI)
    (folder / f"{DOC}.xmi").write_text(EXTERNAL_ENTITY, encoding="utf-8")
    given_to_cassis = []
    real = cassis.load_cas_from_xmi
    monkeypatch.setattr(cassis, "load_cas_from_xmi", lambda source, **k: given_to_cassis.append(source.getvalue()) or real(source, **k))
    problem = refused(shared_repo, XMI, folder, "ZN602")
    assert "DOCTYPE" in problem.message and problem.file.endswith(f"{DOC}.xmi")
    assert not any(b"DOCTYPE" in data for data in given_to_cassis)


def test_xmi_a_typesystem_with_a_feature_zoomnews_does_not_know_is_refused(shared_repo, export):
    folder = export(XMI)
    comment = "<featureDescription><name>comment</name><description/><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>"
    replace_in(folder / "TypeSystem.xml", "</features></typeDescription></types>", f"{comment}</features></typeDescription></types>")  # on Zone
    problem = refused(shared_repo, XMI, folder, "ZN606")
    assert "zoomnews.Zone" in problem.message and "comment" in problem.message


def add_on_second_view(folder: Path, listed: bool = True) -> None:
    """An entity on a second sofa (view) of DOC's CAS, as another tool may add one; `listed` False:
    in no view's member list instead (the annotation still names the document's sofa)."""
    from cassis import load_cas_from_xmi, load_typesystem

    ts = load_typesystem((folder / "TypeSystem.xml").read_text(encoding="utf-8"))
    cas = load_cas_from_xmi((folder / f"{DOC}.xmi").read_text(encoding="utf-8"), typesystem=ts)
    entity = ts.get_type("zoomnews.Entity")
    if listed:
        view = cas.create_view("gold2")
        view.sofa_string = cas.sofa_string
        view.add(entity(begin=0, end=4, id="e999", label="ORG"))
        (folder / f"{DOC}.xmi").write_text(cas.to_xmi(), encoding="utf-8")
        return
    xmi = cas.to_xmi()
    sofa = re.search(r'<cas:Sofa xmi:id="(\d+)"', xmi).group(1)
    (folder / f"{DOC}.xmi").write_text(xmi.replace("<cas:View ", f'<zoomnews:Entity xmi:id="99999" sofa="{sofa}" begin="0" end="4" id="e999" label="ORG"/><cas:View ', 1),
                                       encoding="utf-8")


@pytest.mark.parametrize("listed", [True, False])
def test_xmi_an_annotation_off_the_document_view_is_refused_not_dropped(shared_repo, export, listed):
    folder = export(XMI)
    add_on_second_view(folder, listed)
    problem = refused(shared_repo, XMI, folder, "ZN602")
    assert problem.file.endswith(f"{DOC}.xmi")
    assert ("a second sofa (view) 'gold2'" if listed else "annotation zoomnews.Entity xmi:id='99999' (sofa '1')") in problem.message, problem.message


def with_both_choices_and_text(tasks: list) -> None:
    """The first per-region choices result (a method) also given a text value, which was ignored."""
    choice = next(r for r in task_results(tasks) if r["type"] == "choices")
    choice["value"]["text"] = ["manual"]


@pytest.mark.parametrize("fmt, change, message", [
    (BRAT, lambda folder: (folder / f"{DOC}.ann").write_bytes((folder / f"{DOC}.ann").read_bytes().replace(b"\n", b"\r\n")),
     "CRLF line endings"),
    (BRAT, ann(lambda lines: lines.__setitem__(first(lines, "R"), re.sub(r"Arg2:T[0-9]+", "Arg2:T99", lines[first(lines, "R")]))),
     "no such span T99"),
    (BRAT, ann(lambda lines: lines.__setitem__(first(lines, "R"), re.sub(r"Arg1:T[0-9]+", "Arg1:T98", lines[first(lines, "R")]))),
     "no such span T98"),
    (LS, ls(with_both_choices_and_text), "holding both choices and text"),
], ids=["brat-crlf", "brat-relation-to-nothing", "brat-relation-from-nothing", "ls-choices-and-text"])
def test_what_is_wrong_is_said_as_it_is(shared_repo, export, fmt, change, message):
    """A CRLF .ann was reported as a text mismatch (with an offset-unit hint), a relation to T99 as
    one 'to T99, which is not a Cue span', and a choices result's text was ignored."""
    folder = export(fmt)
    change(folder)
    problem = refused(shared_repo, fmt, folder, "ZN602")
    assert message in problem.message, problem.message


def test_xmi_an_offset_inside_a_surrogate_pair_is_refused(tmp_path):
    """cassis only warns about a UTF-16 offset it cannot map, and keeps it: zoomnews refuses it."""
    from test_formats import _emoji_repo

    repo = _emoji_repo(tmp_path)
    export_corpus(repo, XMI, tmp_path / "x")
    replace_in(tmp_path / "x" / "emoji.xmi", 'begin="0"', 'begin="1"')
    refused(repo, XMI, tmp_path / "x", "ZN601")


def test_spacy_a_record_cannot_move_to_another_document_or_bring_fields(shared_repo, export):
    folder = export(SPACY)
    edit_spacy(folder, lambda s: spacy_entity(s).__setitem__("doc_id", OTHER))
    refused(shared_repo, SPACY, folder, "ZN606")
    folder = export(SPACY)
    edit_spacy(folder, lambda s: spacy_entity(s).__setitem__("comment", "x"))
    refused(shared_repo, SPACY, folder, "ZN606")


def test_spacy_a_zlib_bomb_is_refused_unread(shared_repo, export, monkeypatch):
    from zoomnews.formats import spacy as spacy_format

    monkeypatch.setattr(spacy_format, "MAX_INFLATED", 1 << 20)  # the real limit is 2 GiB: the same code, a smaller bomb
    folder = export(SPACY)
    (folder / "corpus.spacy").write_bytes(zlib.compress(b"\0" * (4 << 20), 9))
    assert "decompresses to more than" in refused(shared_repo, SPACY, folder, "ZN602").message


def one_document_repo(root: Path, text: str) -> CorpusRepo:
    """A corpus of one document, `text`, with one body zone over all of it."""
    import hashlib

    from strategies import CorpusSpec

    spec = CorpusSpec({"one": text})
    dated = {"published": "2020-08-03", "published_evidence": "stated", "published_reason": "test"}
    spec.records = {
        "document": [{"doc_id": "one", "source_file": "one.txt", "sha256": hashlib.sha256(text.encode()).hexdigest(), "outlet": "Outlet",
                      "outlet_evidence": "test", "url": None, "language": "en", "rights": "test", "derived_from": []}],
        "article": [{"doc_id": "one", "article_index": 0, "title": "T", "authors": [], **dated}],
        "zone": [{"doc_id": "one", "id": "z1", "start": 0, "end": len(text), "text": text, "label": "body", "article_index": 0,
                  "annotator": "a1", "method": "manual", "guideline": "1.0.0"}],
    }
    return spec.write(root)


def test_doccano_keeps_u2028_inside_a_line(tmp_path):
    """JSON strings may hold U+2028 raw; reading lines with str.splitlines() broke such a line in two."""
    repo = one_document_repo(tmp_path / "repo", "Zoom\u2028met Eric Yuan.")
    export_corpus(repo, DC, tmp_path / "d")
    assert "\u2028" in (tmp_path / "d" / "doccano.jsonl").read_text(encoding="utf-8")
    result = import_corpus(repo, DC, tmp_path / "d", write=False)
    assert result.counts["zone"].after == 1 and not result.counts["zone"].changed


def test_annotation_is_only_for_label_studio(shared_repo, export):
    refused(shared_repo, DC, export(DC), "ZN602", annotation="latest")


# --- hypothesis: no input makes an importer crash or write unsound records ----------------------

@dataclass
class Sandbox:
    repo: CorpusRepo
    exports: dict[str, Path] = field(repr=False)
    pristine: dict[str, bytes] = field(repr=False)

    def copy(self, fmt: str) -> Path:
        folder = scratch_dir(f"{fmt}-") / fmt
        shutil.copytree(self.exports[fmt], folder)
        return folder

    def attempt(self, fmt: str, folder: Path, allow_removal: bool = False) -> None:
        """The property: a coded refusal with the sources byte-identical, or sound records (put back after)."""
        try:
            import_corpus(self.repo, fmt, folder, allow_removal=allow_removal, annotator="a0")
        except ZoomnewsError as e:
            assert e.problems and all(p.code in CHECKS for p in e.problems), e
            assert snapshot(self.repo) == self.pristine, "a refused import changed the sources"
            return
        try:
            assert_sound(self.repo)
        finally:
            for name, data in self.pristine.items():
                self.repo.path(name).write_bytes(data)


def assert_sound(repo) -> None:
    """What import promises of what it writes, checked independently of it: readable sources whose
    records have their schema's fields, a known document, a valid unique id, a known label and
    integer spans whose text is the document's there (quotations' cue and source included)."""
    corpus = read_corpus(repo)
    assert corpus.problems == []
    for layer in SPAN_KINDS:
        kind, seen = corpus.kinds[layer], set()
        for r in corpus.rows(layer):
            assert set(r) == set(kind.fields), r
            text = corpus.texts[r["doc_id"]]
            assert re.fullmatch(kind.schema["properties"]["id"]["pattern"], r["id"]) and (r["doc_id"], r["id"]) not in seen, r
            seen.add((r["doc_id"], r["id"]))
            assert r[LABEL_FIELD[layer]] in kind.schema["properties"][LABEL_FIELD[layer]]["enum"], r
            for prefix in ["", *(f"{p}_" for p in SPAN_PARTS)] if layer == "quote" else [""]:
                start, end = r[f"{prefix}start"], r[f"{prefix}end"]
                if prefix and start is None:
                    assert end is None and r[f"{prefix}text"] is None, r
                    continue
                assert type(start) is int and type(end) is int and 0 <= start < end <= len(text), r
                assert r[f"{prefix}text"] == text[start:end], r


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """One corpus copy and one export of DOC per format for all examples (each puts the sources back)."""
    root = tmp_path_factory.mktemp("fuzz")
    repo = CorpusRepo(copy_sources(root / "repo"))
    exports = {fmt: root / fmt for fmt in FORMATS}
    for fmt, folder in exports.items():
        export_corpus(repo, fmt, folder, doc_ids=[DOC])
    return Sandbox(repo, exports, snapshot(repo))


PER_FORMAT = settings(max_examples=max(4, settings.default.max_examples // 4))

SPECIAL = [56.7, 5.0, -5, 1e30, 10 ** 30, 2 ** 63, True, False, None, "5", "", "\udc00", "e1\n", float("nan"),
           float("inf"), [], {}, DOC, DOC + "\n", "PERSON", "Cue", "entity/e1"]
lone_surrogates = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=2)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8), lone_surrogates, st.sampled_from(SPECIAL))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                           max_leaves=8)
RAW = ["[" * 100_000, '{"a":' * 50_000, "NaN", "-Infinity", "1e400", '"\\udc00"', '"\\ud83d"', "0x10", "05", "1_0", "", "]"]


@dataclass(frozen=True)
class Raw:
    """JSON text put in place as it is: what json.dumps cannot write (deep nesting, 1e400, broken syntax)."""

    text: str


replacements = st.one_of(json_values, st.sampled_from(RAW).map(Raw))
PLACEHOLDER = "zoomnews-fuzz-placeholder"


def json_text(value) -> str:
    """`value` as JSON text (a Raw one as it is)."""
    return value.text if isinstance(value, Raw) else json.dumps(value, allow_nan=True)


def dumps(value, replacement) -> str:
    """`value` as JSON text, with `replacement` where put() left the placeholder for it."""
    return json.dumps(value, allow_nan=True).replace(json.dumps(PLACEHOLDER), json_text(replacement), 1)


def paths(value, path=()):
    """Every place in a JSON value (the containers too)."""
    yield path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from paths(item, (*path, key))


def put(value, path, replacement):
    """`value` with the place at `path` replaced (by PLACEHOLDER for a Raw replacement)."""
    new = PLACEHOLDER if isinstance(replacement, Raw) else replacement
    if not path:
        return new
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return value


def mutate_json(value, data, drawn=replacements):
    """A copy of `value` with one place (an offset half of the time) replaced by an arbitrary value."""
    value = json.loads(json.dumps(value))
    places = list(paths(value))
    offsets = [p for p in places if p and p[-1] in ("start", "end")] or places
    path = data.draw(st.sampled_from(offsets) if data.draw(st.booleans()) else st.sampled_from(places))
    replacement = data.draw(drawn)
    return put(value, path, replacement), replacement


def mutate_text(text: str, data, separators: str) -> str:
    """One line of a line-based file changed: a field replaced by arbitrary text, or the line dropped or doubled."""
    lines = text.split("\n")
    i = data.draw(st.integers(0, len(lines) - 1))
    action = data.draw(st.sampled_from(["field", "field", "drop", "double", "json"]))
    if action == "drop":
        lines.pop(i)
    elif action == "double":
        lines.insert(i, lines[i])
    elif action == "json" and "\t" in lines[i]:
        head, _ = lines[i].rsplit("\t", 1)
        lines[i] = f"{head}\t{json_text(data.draw(replacements))}"
    else:
        fields = list(re.finditer(f"[^{separators}]+", lines[i])) or [None]
        chosen = data.draw(st.sampled_from(fields))
        new = data.draw(st.one_of(st.text(max_size=6), st.sampled_from(["-5", "56.7", "1e30", "٣", "999999999", " ", "Cue", "O"])))
        lines[i] = lines[i][: chosen.start()] + new + lines[i][chosen.end():] if chosen else new
    return "\n".join(lines)


def write_docbin(file: Path, value) -> None:
    """A DocBin of DOC whose user_data['zoomnews'] is `value` (examples msgpack cannot store are rejected)."""
    from spacy.tokens import DocBin

    from zoomnews.formats.spacy import _vocab

    doc = next(DocBin().from_disk(file).get_docs(_vocab()))
    doc.user_data["zoomnews"] = value
    out = DocBin(store_user_data=True)
    try:
        out.add(doc)  # serialises user_data
        file.write_bytes(out.to_bytes())
    except (TypeError, ValueError, OverflowError, UnicodeEncodeError):
        reject()


@PER_FORMAT
@given(data=st.data(), allow_removal=st.booleans())
@pytest.mark.parametrize("fmt", FORMATS)
def test_arbitrary_bytes_are_imported_soundly_or_refused_with_a_code(fmt, data, allow_removal, sandbox):
    folder = sandbox.copy(fmt)
    file = folder / MAIN_FILE[fmt]
    original = file.read_bytes()
    content = data.draw(st.one_of(
        st.binary(max_size=300),
        st.integers(0, len(original)).map(lambda n: original[:n]),  # truncated
        st.tuples(st.integers(0, len(original) - 1), st.binary(min_size=1, max_size=4)).map(
            lambda c: original[: c[0]] + c[1] + original[c[0] + len(c[1]):]),  # bytes overwritten
    ))
    file.write_bytes(content)
    sandbox.attempt(fmt, folder, allow_removal)


@PER_FORMAT
@given(data=st.data(), value=replacements)
@pytest.mark.parametrize("fmt", [LS, DC, BRAT, SPACY])
def test_arbitrary_json_is_imported_soundly_or_refused_with_a_code(fmt, data, value, sandbox):
    """The JSON a format reads (the whole tasks file, a doccano line, a brat note, a Doc's records) is any JSON value."""
    folder = sandbox.copy(fmt)
    if fmt == LS:
        (folder / TASKS).write_text(json_text(value), encoding="utf-8")
    elif fmt == DC:
        (folder / "doccano.jsonl").write_text(json_text(value) + "\n", encoding="utf-8")
    elif fmt == BRAT:
        lines = ann_lines(folder)
        head, _ = lines[first(lines, "#")].rsplit("\t", 1)
        lines[first(lines, "#")] = f"{head}\t{json_text(value)}"
        (folder / f"{DOC}.ann").write_text("\n".join(lines), encoding="utf-8")
    else:  # msgpack holds values, not JSON text
        write_docbin(folder / "corpus.spacy", value if not isinstance(value, Raw) else data.draw(json_values))
    sandbox.attempt(fmt, folder)


@settings(max_examples=max(4, settings.default.max_examples // 2))
@given(data=st.data(), allow_removal=st.booleans())
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_mutated_export_is_imported_soundly_or_refused_with_a_code(fmt, data, allow_removal, sandbox):
    """A valid export with one thing changed: an offset (or anything) replaced by an arbitrary JSON value
    or text, a line dropped or doubled, an XML attribute rewritten."""
    from xml.sax.saxutils import quoteattr

    folder = sandbox.copy(fmt)
    file = folder / MAIN_FILE[fmt]
    if fmt == LS:
        tasks, replacement = mutate_json(json.loads(file.read_text(encoding="utf-8")), data)
        file.write_text(dumps(tasks, replacement), encoding="utf-8")
    elif fmt == DC:
        line, replacement = mutate_json(json.loads(file.read_text(encoding="utf-8")), data)
        file.write_text(dumps(line, replacement) + "\n", encoding="utf-8")
    elif fmt == SPACY:
        from spacy.tokens import DocBin

        from zoomnews.formats.spacy import _vocab

        stored = next(DocBin().from_disk(file).get_docs(_vocab())).user_data["zoomnews"]
        write_docbin(file, mutate_json(stored, data, json_values)[0])  # msgpack holds values, not JSON text
    elif fmt == XMI:
        text = file.read_text(encoding="utf-8")
        attributes = list(re.finditer(r'(?<= )[\w:]+="([^"]*)"', text))
        chosen = data.draw(st.sampled_from(attributes))
        new = data.draw(st.one_of(st.text(max_size=8), st.sampled_from(["-5", "1.5", "99999", "", "1e3", "&lol;", "<"])))
        escaped = data.draw(st.booleans())
        value = quoteattr(new) if escaped else f'"{new}"'
        file.write_text(text[: chosen.start(1) - 1] + value + text[chosen.end(1) + 1:], encoding="utf-8", errors="surrogatepass")
    else:  # brat, conll: line-based
        file.write_text(mutate_text(file.read_text(encoding="utf-8"), data, "\t ;" if fmt == BRAT else "\t"),
                        encoding="utf-8", errors="surrogatepass")
    sandbox.attempt(fmt, folder, allow_removal)


# --- the command line ---------------------------------------------------------------------------

def test_cli_refusal_is_exit_1_with_a_code_and_no_traceback(shared_repo, export):
    folder = export(LS)
    edit_json(folder / TASKS, set_region("end", 56.7))
    before = snapshot(shared_repo)
    out = CliRunner().invoke(main, ["import", str(folder), "--format", LS, "--repo", str(shared_repo.root)])
    assert out.exit_code == 1 and isinstance(out.exception, SystemExit), out.output
    assert "ZN601" in out.output and "Traceback" not in out.output
    assert snapshot(shared_repo) == before


def test_cli_removal_annotation_and_dry_run(repo_copy, export):
    folder = export(LS)
    two_annotations(folder)
    run = lambda *extra: CliRunner().invoke(main, ["import", str(folder), "--format", LS, "--repo", str(repo_copy.root), "--annotator", "a0", *extra])
    out = run()
    assert out.exit_code == 1 and "ZN605" in out.output
    edit_json(folder / TASKS, lambda tasks: drop_region(tasks, "timex"))
    out = run("--annotation", "latest", "--dry-run")
    assert out.exit_code == 1 and "ZN604" in out.output and "timexes.jsonl" in out.output
    before = snapshot(repo_copy)
    out = run("--annotation", "latest", "--dry-run", "--allow-removal")
    assert out.exit_code == 0 and "would remove: timex" in out.output and "1 removed" in out.output, out.output
    assert snapshot(repo_copy) == before


def test_cli_in_a_real_process_prints_no_traceback(shared_repo, export):
    folder = export(BRAT)
    (folder / f"{DOC}.ann").write_text("this is no brat line\n", encoding="utf-8")
    command = Path(sys.executable).with_name("zoomnews")
    done = subprocess.run([str(command), "import", str(folder), "--format", BRAT, "--repo", str(shared_repo.root)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "ZN602" in done.stderr and f"{DOC}.ann:1" in done.stderr and "Traceback" not in done.stderr + done.stdout


def test_conll_every_refused_line_and_document_is_named_in_one_run(shared_repo, export):
    """CoNLL stopped at its first refusal. Two bad tags in one document and a token that is not the
    next one in another are three problems in one run; the document with the bad tags is not also
    aligned with its text (each token after a refused one would be "not the next token")."""
    folder = export(CONLL)
    file = folder / "ner.conll"
    lines = file.read_text(encoding="utf-8").split("\n")
    def section(doc):  # the lines of a document's tokens
        start = lines.index(f"# doc_id = {doc}")
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("# doc_id = ")), len(lines))
        return [i for i in range(start + 1, end) if "\t" in lines[i] and not lines[i].startswith("-DOCSTART-")]

    tagged = [i for i in section(DOC) if lines[i].endswith("\tB-ORG")][:2]
    assert len(tagged) == 2
    for i in tagged:
        lines[i] = lines[i].replace("\tB-ORG", "\tB-ORGANISATION")
    token = section(OTHER)[0]
    lines[token] = "Zoomy" + lines[token][lines[token].index("\t"):]
    file.write_text("\n".join(lines), encoding="utf-8")
    before = snapshot(shared_repo)
    with pytest.raises(ZoomnewsError) as error:
        import_corpus(shared_repo, CONLL, folder)
    assert snapshot(shared_repo) == before
    assert sorted((p.code, p.line) for p in error.value.problems) == sorted([("ZN602", tagged[0] + 1), ("ZN602", tagged[1] + 1), ("ZN601", token + 1)]), \
        [str(p) for p in error.value.problems]


def test_conll_tokens_before_any_document_are_one_refusal(shared_repo, export):
    """A file whose `# doc_id` lines were cut off is one refusal on its first line, not one per line."""
    folder = export(CONLL)
    (folder / "ner.conll").write_text("Zoom\tB-ORG\nsays\tO\nso\tO\n", encoding="utf-8")
    with pytest.raises(ZoomnewsError) as error:
        import_corpus(shared_repo, CONLL, folder)
    assert [(p.code, p.line) for p in error.value.problems] == [("ZN602", 1)], [str(p) for p in error.value.problems]


def test_xmi_every_refused_file_and_annotation_is_named_in_one_run(shared_repo, export):
    """XMI stopped at its first refusal. Two entities with unknown labels in one file and a file
    that is not XML are three problems in one run, each naming its file."""
    folder = export(XMI)
    first = folder / f"{DOC}.xmi"
    text = first.read_text(encoding="utf-8")
    assert text.count('label="ORG"') >= 2
    first.write_text(text.replace('label="ORG"', 'label="NOT_A_LABEL"', 2), encoding="utf-8")
    (folder / f"{OTHER}.xmi").write_text("not XML at all", encoding="utf-8")
    before = snapshot(shared_repo)
    with pytest.raises(ZoomnewsError) as error:
        import_corpus(shared_repo, XMI, folder)
    assert snapshot(shared_repo) == before
    told = sorted((Path(p.file).name, p.code, "NOT_A_LABEL" in p.message) for p in error.value.problems)
    assert told == sorted([(f"{DOC}.xmi", "ZN602", True), (f"{DOC}.xmi", "ZN602", True), (f"{OTHER}.xmi", "ZN602", False)]), \
        [str(p) for p in error.value.problems]


def test_spacy_every_refused_doc_is_named_in_one_run(shared_repo, export):
    """spaCy stopped at its first refused Doc: a negative offset in one Doc and a record moved to
    another document in a second are two problems in one run."""
    from spacy.tokens import DocBin

    from zoomnews.formats.spacy import _vocab

    folder = export(SPACY)
    docs = list(DocBin().from_disk(folder / "corpus.spacy").get_docs(_vocab()))
    out, refused_docs = DocBin(store_user_data=True), []
    for n, doc in enumerate(docs, start=1):
        stored = json.loads(json.dumps(doc.user_data["zoomnews"]))
        if stored["doc_id"] == DOC:
            stored["entity"][0]["start"] = -5
            refused_docs.append(n)
        elif stored["doc_id"] == OTHER:
            stored["entity"][0]["doc_id"] = DOC
            refused_docs.append(n)
        doc.user_data["zoomnews"] = stored
        out.add(doc)
    (folder / "corpus.spacy").write_bytes(out.to_bytes())
    before = snapshot(shared_repo)
    with pytest.raises(ZoomnewsError) as error:
        import_corpus(shared_repo, SPACY, folder)
    assert snapshot(shared_repo) == before
    told = sorted((p.code, next(n for n in refused_docs if f"Doc {n}" in str(p))) for p in error.value.problems)
    assert sorted(code for code, _ in told) == ["ZN601", "ZN606"] and sorted(n for _, n in told) == sorted(refused_docs), \
        [str(p) for p in error.value.problems]


@pytest.mark.parametrize("change, said", [(lambda data: data.replace(b"\n", b"\r\n"), "CRLF line endings"),
                                          (lambda data: b"\xef\xbb\xbf" + data, "byte-order mark")])
def test_conll_line_endings_or_a_bom_are_one_problem(shared_repo, export, change, said):
    folder = export(CONLL)
    (folder / "ner.conll").write_bytes(change((folder / "ner.conll").read_bytes()))
    with pytest.raises(ZoomnewsError) as error:
        import_corpus(shared_repo, CONLL, folder)
    assert len(error.value.problems) == 1 and said in error.value.problems[0].message, error.value


# --- provenance: a record changed in a tool says who changed it (ZN608, --annotator) ------------

def _relabel_first_entity(tasks, method=None) -> str:
    """DOC's first entity relabelled in Label Studio (and its method choice set to `method`); its record id."""
    entity = region(tasks)
    entity["value"]["labels"] = ["PERSON" if entity["value"]["labels"] != ["PERSON"] else "ORG"]
    if method:
        next(r for r in task_results(tasks) if r.get("id") == entity["id"] and r["from_name"] == "entity.method")["value"]["choices"] = [method]
    return entity["id"].split("/", 1)[1]


def _entity(repo, ident):
    return next(r for r in read_corpus(repo).rows("entity") if r["doc_id"] == DOC and r["id"] == ident)


def test_a_record_changed_in_a_tool_needs_who_changed_it(repo_copy, export):
    """It kept the old record's annotator, method and guideline: the card's provenance said the old
    annotator made a label they never gave. Its removals are listed in the same run."""
    folder = export(LS)
    idents = []
    edit_json(folder / TASKS, lambda tasks: idents.append(_relabel_first_entity(tasks)))
    edit_json(folder / TASKS, lambda tasks: drop_region(tasks, "timex"))
    old = _entity(repo_copy, idents[0])
    before = snapshot(repo_copy)
    with pytest.raises(ZoomnewsError) as error:
        import_corpus(repo_copy, LS, folder)
    assert [p.code for p in error.value.problems] == ["ZN608", "ZN604"]
    assert f"{DOC}/{idents[0]} {old['text']!r}" in error.value.problems[0].message
    assert snapshot(repo_copy) == before
    with pytest.raises(ZoomnewsError) as error:
        import_corpus(repo_copy, LS, folder, allow_removal=True, annotator="nobody")
    assert [p.code for p in error.value.problems] == ["ZN403"] and snapshot(repo_copy) == before
    import_corpus(repo_copy, LS, folder, allow_removal=True, annotator="a3")
    new = _entity(repo_copy, idents[0])
    assert new["label"] != old["label"] and new["annotator"] == "a3" and new["guideline"] == "1.1.0"
    assert new["method"] == ("manual" if old["method"] == "manual" else "corrected")
    untouched = {(r["doc_id"], r["id"]): r for r in read_corpus(repo_copy).rows("entity") if r["id"] != idents[0]}
    assert all(r == untouched[(r["doc_id"], r["id"])] for r in bundle_rows(before, "annotations/entities.jsonl") if r["id"] != idents[0])


def bundle_rows(snapshot_, name):
    return [json.loads(line) for line in snapshot_[name].decode("utf-8").splitlines()]


def test_provenance_is_the_imports_not_the_tools(repo_copy, export):
    """A tool holds the provenance it was exported with: after a signed import, the same export (or a
    later one from the same project) still says the old annotator. An unchanged record keeps the
    corpus's provenance; a changed one needs --annotator whatever the tool says."""
    folder = export(LS)
    idents = []
    edit_json(folder / TASKS, lambda tasks: idents.append(_relabel_first_entity(tasks)))
    import_corpus(repo_copy, LS, folder, annotator="a3")
    signed = _entity(repo_copy, idents[0])
    assert signed["annotator"] == "a3"
    import_corpus(repo_copy, LS, folder)  # the same export again: nothing changed, the signature stays
    assert _entity(repo_copy, idents[0]) == signed
    edit_json(folder / TASKS, lambda tasks: _relabel_first_entity(tasks, method="model"))  # changed again, provenance set in the tool
    problem = refused(repo_copy, LS, folder, "ZN608")
    assert problem.file == "annotations/entities.jsonl" and problem.line and f"{DOC}/{idents[0]}" in problem.message
    only = folder.parent / "now"
    export_corpus(repo_copy, LS, only, doc_ids=[DOC])  # the corpus as it is now
    edit_json(only / TASKS, lambda tasks: next(r for r in task_results(tasks) if r["from_name"] == "entity.method").__setitem__("value", {"choices": ["model"]}))
    before = snapshot(repo_copy)
    result = import_corpus(repo_copy, LS, only)  # provenance alone changed in the tool: the corpus's kept
    assert snapshot(repo_copy) == before and result.counts["entity"].changed == 0


def test_a_record_drawn_in_a_tool_gets_the_annotator(repo_copy, export):
    """(Without --annotator it is written without one, and listed as incomplete: no old record to keep.)"""
    folder = export(LS)

    def draw(tasks):
        results = task_results(tasks)
        copy = json.loads(json.dumps(region(tasks)))
        results[:] = [r for r in results if r.get("id") != copy["id"]]  # its region and fields, drawn anew
        results.append({**copy, "id": "drawn-in-label-studio"})

    edit_json(folder / TASKS, draw)
    result = import_corpus(repo_copy, LS, folder, allow_removal=True, annotator="a3")
    drawn = [r for r in read_corpus(repo_copy).rows("entity") if r["doc_id"] == DOC and r["annotator"] == "a3"]
    assert len(drawn) == 1 and drawn[0]["method"] == "manual" and drawn[0]["guideline"] == "1.1.0"
    assert result.counts["entity"].added == 1
    assert not any(word in note for note in result.notes for word in ("annotator", "guideline")), result.notes


@pytest.mark.parametrize("guidelines", [None, [], "1.1.0", ["x"], "absent"])
def test_an_annotator_whose_entry_lists_no_guideline_is_told_so(repo_copy, export, guidelines):
    """(KeyError, ValueError or TypeError tracebacks; a string wrote the guideline "1".)"""
    entry = {"id": "b1", "kind": "person", "handle": "@b1", **({} if guidelines == "absent" else {"guidelines": guidelines})}
    with open(repo_copy.path("annotations/registry/annotators.jsonl"), "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")
    folder = export(LS)
    edit_json(folder / TASKS, lambda tasks: _relabel_first_entity(tasks))
    edit_json(folder / TASKS, lambda tasks: drop_region(tasks, "timex"))
    before = snapshot(repo_copy)
    with pytest.raises(ZoomnewsError) as error:
        import_corpus(repo_copy, LS, folder, annotator="b1")
    assert [p.code for p in error.value.problems] == ["ZN201", "ZN604"], error.value
    assert error.value.problems[0].file == "annotations/registry/annotators.jsonl" and error.value.problems[0].field == "guidelines"
    assert snapshot(repo_copy) == before


@pytest.mark.parametrize("fmt, file", [(LS, TASKS), (DC, "doccano.jsonl")])
def test_a_json_export_with_a_byte_order_mark_says_so(repo_copy, export, fmt, file):
    """(It said "not valid JSON: 'Expecting value' at column 1".)"""
    folder = export(fmt)
    (folder / file).write_bytes(b"\xef\xbb\xbf" + (folder / file).read_bytes())
    problem = refused(repo_copy, fmt, folder, "ZN602")
    assert "byte-order mark" in problem.message and problem.line == 1, problem


def test_a_doccano_label_given_twice_names_the_span_not_an_id(repo_copy, export):
    """(It said "entity crn-2020-08-03/'e1': id e1 appears twice": an id doccano never showed.)"""
    folder = export(DC)
    given = []

    def twice(line):
        label = next(l for l in line["label"] if not l[2].startswith(("Zone", "Quote", "TIMEX", "Cue", "Source")))
        given.append(label)
        line["label"].append(list(label))

    edit_doccano(folder, twice)
    problem = refused(repo_copy, DC, folder, "ZN602")
    start, end, name = given[0]
    assert f"2 entity spans at code points {start}-{end}" in problem.message and f"({name}, {name})" in problem.message, problem
    lines = (folder / "doccano.jsonl").read_text(encoding="utf-8").split("\n")
    assert problem.line == 1 + next(i for i, line in enumerate(lines) if f'"doc_id": "{DOC}"' in line)  # the document's line
