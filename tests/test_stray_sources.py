"""ZN116: a .jsonl file under corpus/ or annotations/ that no schema governs is reported, since
validate would never read it (annotations/entities-new.jsonl passed as if its records were not
there); so is a .json file in schema/ the library never reads (schema/relation.schema.json changed
nothing, without a word). Oracle: the rule's text over generated file trees."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given, strategies as st

from conftest import copy_sources
from strategies import KINDS, scratch_dir
from zoomnews import CorpusRepo
from zoomnews.checks.validation import validate_repo
from zoomnews.sources.corpus import stray_sources

SCHEMAS_READ = sorted(f"schema/{name}.schema.json" for name in [*KINDS, "manifest"])
GOVERNED = sorted({kind.source for kind in KINDS.values()} | set(SCHEMAS_READ))
folders = st.sampled_from(["corpus", "annotations", "annotations/registry", "annotations/agreement/a9", "annotations/agreement/a9/registry",
                           "annotations/agreement", "corpus/raw", "corpus/deeper/still",
                           "schema", "schema/drafts"])
names = st.from_regex(r"[a-z][a-z0-9_-]{0,8}\.(jsonl|json|txt|md)", fullmatch=True)


IN_A_PASS = sorted(f"annotations/agreement/a9/{source.removeprefix('annotations/')}" for source in GOVERNED if source.startswith("annotations/"))


@given(st.lists(st.one_of(st.sampled_from(GOVERNED), st.sampled_from(IN_A_PASS), st.builds(lambda f, n: f"{f}/{n}", folders, names)), max_size=8, unique=True))
def test_every_jsonl_file_no_schema_governs_is_reported_once(files):
    root = scratch_dir("strays-")
    for relative in files:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text("{}\n", encoding="utf-8")
    in_pass = {f"annotations/agreement/a9/{source.removeprefix('annotations/')}" for source in GOVERNED if source.startswith("annotations/")}
    expected = {f for f in files if f not in GOVERNED and f not in in_pass and (
        f.endswith(".jsonl") and f.startswith(("corpus/", "annotations/")) and not f.startswith("corpus/raw/")
        or f.endswith(".json") and f.startswith("schema/") and f.count("/") == 1)}
    problems = stray_sources(CorpusRepo(root), KINDS)
    assert sorted(p.file for p in problems) == sorted(expected)
    assert {p.code for p in problems} <= {"ZN116"}


def test_validate_names_a_schema_no_kind_reads(tmp_path):
    root = copy_sources(tmp_path / "repo")
    (root / "schema" / "relation.schema.json").write_bytes((root / "schema" / "entity.schema.json").read_bytes())
    (root / "schema" / "README.md").write_text("notes\n", encoding="utf-8")  # not a schema: left alone
    result = subprocess.run([str(Path(sys.executable).with_name("zoomnews")), "validate", str(root)], capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "schema/relation.schema.json: L1 ZN116" in result.stdout and "README" not in result.stdout


def test_a_misnamed_file_in_an_agreement_pass_is_named(tmp_path):
    """Renamed annotations/agreement/a1/entities.jsonl to entity.jsonl: validate said OK."""
    root = copy_sources(tmp_path / "repo")
    folder = root / "annotations" / "agreement" / "a1"
    (folder / "entities.jsonl").rename(folder / "entity.jsonl")
    problems = [p for p in validate_repo(CorpusRepo(root), releases=False).problems if p.code == "ZN116"]
    assert [p.file for p in problems] == ["annotations/agreement/a1/entity.jsonl"]


def test_a_missing_schema_is_a_missing_file_named_by_its_path(tmp_path):
    """It was ZN113 "unreadable schema: [Errno 2] No such file or directory: '/abs/path/...'"."""
    root = copy_sources(tmp_path / "repo")
    (root / "schema" / "zone.schema.json").unlink()
    result = subprocess.run([str(Path(sys.executable).with_name("zoomnews")), "validate", str(root)], capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "schema/zone.schema.json: L1 ZN101 missing" in result.stdout + result.stderr and str(root) not in result.stdout + result.stderr
