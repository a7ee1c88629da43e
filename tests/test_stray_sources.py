"""ZN116: a .jsonl file under corpus/ or annotations/ that no schema governs is reported, since
validate would never read it (annotations/entities-new.jsonl passed as if its records were not
there). Oracle: the rule's text over generated file trees."""

from __future__ import annotations

from hypothesis import given, strategies as st

from strategies import KINDS, scratch_dir
from zoomnews import CorpusRepo
from zoomnews.sources.corpus import stray_sources

GOVERNED = sorted({kind.source for kind in KINDS.values()})
folders = st.sampled_from(["corpus", "annotations", "annotations/registry", "annotations/agreement/a9", "corpus/raw", "corpus/deeper/still"])
names = st.from_regex(r"[a-z][a-z0-9_-]{0,8}\.(jsonl|json|txt|md)", fullmatch=True)


@given(st.lists(st.one_of(st.sampled_from(GOVERNED), st.builds(lambda f, n: f"{f}/{n}", folders, names)), max_size=8, unique=True))
def test_every_jsonl_file_no_schema_governs_is_reported_once(files):
    root = scratch_dir("strays-")
    for relative in files:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text("{}\n", encoding="utf-8")
    expected = {f for f in files if f.endswith(".jsonl") and f not in GOVERNED
                and not f.startswith(("annotations/agreement/", "corpus/raw/"))}
    problems = stray_sources(CorpusRepo(root), KINDS)
    assert sorted(p.file for p in problems) == sorted(expected)
    assert {p.code for p in problems} <= {"ZN116"}
