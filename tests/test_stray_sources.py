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
from zoomnews.sources.corpus import stray_sources

SCHEMAS_READ = sorted(f"schema/{name}.schema.json" for name in [*KINDS, "manifest"])
GOVERNED = sorted({kind.source for kind in KINDS.values()} | set(SCHEMAS_READ))
folders = st.sampled_from(["corpus", "annotations", "annotations/registry", "annotations/agreement/a9", "corpus/raw", "corpus/deeper/still",
                           "schema", "schema/drafts"])
names = st.from_regex(r"[a-z][a-z0-9_-]{0,8}\.(jsonl|json|txt|md)", fullmatch=True)


@given(st.lists(st.one_of(st.sampled_from(GOVERNED), st.builds(lambda f, n: f"{f}/{n}", folders, names)), max_size=8, unique=True))
def test_every_jsonl_file_no_schema_governs_is_reported_once(files):
    root = scratch_dir("strays-")
    for relative in files:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text("{}\n", encoding="utf-8")
    expected = {f for f in files if f not in GOVERNED and (
        f.endswith(".jsonl") and f.startswith(("corpus/", "annotations/")) and not f.startswith(("annotations/agreement/", "corpus/raw/"))
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
