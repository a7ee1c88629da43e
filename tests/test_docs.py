"""Generated blocks: each lives where zoomnews.tools.docs says, is current (what `zoomnews docs --check`
checks), and says what the data says — the card's instances are the release's rows, cut only where
they say so; the checks table lists every code."""

import json
import re
import shutil

import pyarrow.parquet as pq
import pytest

from conftest import ROOT
from zoomnews import CorpusRepo
from zoomnews.checks.catalogue import CHECKS, checks_table
from zoomnews.release.card import INSTANCES, card_version
from zoomnews.release.manifest import read_manifest
from zoomnews.tools.docs import BLOCKS, has_block, refresh_docs

REPO = CorpusRepo(ROOT)
CUT_STRING = re.compile(r"^(?P<kept>.*)… \[\+(?P<left>\d+) characters\]$", re.S)
CUT_LIST = re.compile(r"^… \[\+(?P<left>\d+) more\]$")
COUNTED = re.compile(r"^… (?P<count>\d+) records?, as in `(?P<config>[a-z_]+)` \(no doc_id\)$")


def block(name: str, document: str = "README.md") -> str:
    text = (ROOT / document).read_text(encoding="utf-8")
    return re.search(rf"<!-- {name}:begin -->\n(.*?)<!-- {name}:end -->", text, re.S).group(1)


@pytest.mark.parametrize("document, name", [(d, b) for d, blocks in BLOCKS.items() for b in blocks])
def test_every_generated_block_is_in_its_document(document, name):
    assert has_block((ROOT / document).read_text(encoding="utf-8"), name), f"{document} lost its {name} block"


def test_generated_blocks_are_current():
    assert refresh_docs(REPO, write=False) == [], "run `zoomnews docs`"


def test_the_checks_table_lists_every_code_in_docs_validation():
    assert block("checks", "docs/validation.md") == checks_table() + "\n"
    assert all(f"| {code} |" in checks_table() for code in CHECKS)


def test_maintainer_material_left_the_card():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "<!-- checks:begin -->" not in text and "<!-- suggest:begin -->" not in text
    assert "(docs/index.md)" in text  # the card links the maintainer pages
    index = (ROOT / "docs/index.md").read_text(encoding="utf-8")
    for page in ("validation", "performance", "command-line", "annotation-tools", "releases", "distributed", "layout"):
        assert f"]({page}.md)" in index and (ROOT / "docs" / f"{page}.md").is_file(), page


# ---- the card's data instances are the release's rows --------------------------------------------------

def shown_instances() -> dict[str, dict]:
    """config -> the JSON object the card shows for it."""
    found = re.findall(r"\*\*`([a-z_]+)`\*\* \((\d+) rows\)\n\n```json\n(.*?)\n```", block("instances"), re.S)
    return {config: json.loads(body) for config, _, body in found}


def release_row(config: str) -> tuple[dict, int]:
    version = card_version(REPO)
    folder = REPO.release_dir(version)
    entry = read_manifest(folder)["configs"][config]
    rows = [r for f in entry["files"] for r in pq.read_table(folder / f["path"]).to_pylist()]
    return next(r for r in rows if INSTANCES[config](r)), len(rows)


def same_or_visibly_cut(shown, actual, where: str) -> None:
    if isinstance(shown, str) and CUT_STRING.match(shown) and shown != actual:
        m = CUT_STRING.match(shown)
        assert actual.startswith(m["kept"]) and len(actual) - len(m["kept"]) == int(m["left"]), where
    elif isinstance(shown, list) and shown and isinstance(shown[-1], str) and CUT_LIST.match(shown[-1]) and shown != actual:
        kept = shown[:-1]
        assert len(actual) - len(kept) == int(CUT_LIST.match(shown[-1])["left"]), where
        for i, value in enumerate(kept):
            same_or_visibly_cut(value, actual[i], f"{where}[{i}]")
    elif isinstance(shown, dict):
        assert list(shown) == list(actual), where
        for key, value in shown.items():
            same_or_visibly_cut(value, actual[key], f"{where}.{key}")
    else:
        assert shown == actual, where


def test_the_card_shows_a_real_row_of_every_main_config():
    shown = shown_instances()
    assert set(shown) == set(INSTANCES) >= {"default", "documents", "entities", "timexes", "quotes", "ner", "attribution", "statements"}
    for config, row in shown.items():
        actual, count = release_row(config)
        assert f"**`{config}`** ({count} rows)" in block("instances")
        hidden = [k for k in actual if k not in row]
        for key, value in row.items():
            if key == "…":  # `default`: the document columns not shown, counted
                assert value == f"+{len(hidden)} columns, as in `documents`" and config == "default"
                continue
            counted = COUNTED.match(value[0]) if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str) else None
            if counted:  # a nested layer of `default`, shown as its count
                assert int(counted["count"]) == len(actual[key]) and counted["config"] == key
                continue
            same_or_visibly_cut(value, actual[key], f"{config}.{key}")
        assert not hidden or config == "default", f"{config} leaves out {hidden}"


def test_class_label_names_follow_each_instance():
    features = read_manifest(REPO.release_dir(card_version(REPO)))["configs"]["entities"]["features"]
    row, _ = release_row("entities")
    assert f"`label` {row['label']} {features['label']['names'][row['label']]}" in block("instances")


# ---- refreshing ----------------------------------------------------------------------------------------

def test_a_repository_without_the_docs_pages_is_refreshed_without_them(repo_copy):
    # repo_copy has README.md (with its blocks) but neither docs/ nor DATASHEET.md
    assert refresh_docs(repo_copy, write=False) == []


def test_a_stale_block_in_docs_is_found_and_rewritten(repo_copy):
    shutil.copytree(ROOT / "docs", repo_copy.root / "docs")
    page = repo_copy.root / "docs" / "validation.md"
    good = page.read_text(encoding="utf-8")
    page.write_text(good.replace("| ZN101 |", "| ZN100 |"), encoding="utf-8")
    assert refresh_docs(repo_copy, write=False) == ["docs/validation.md"]
    assert refresh_docs(repo_copy) == ["docs/validation.md"]
    assert page.read_text(encoding="utf-8") == good


def test_a_new_corpus_without_release_or_markers_is_left_as_it_is(tmp_path):
    from zoomnews.repo import scaffold

    repo = scaffold(tmp_path / "new", ROOT / "schema")
    before = repo.readme.read_text(encoding="utf-8")
    assert refresh_docs(repo) == [] and repo.readme.read_text(encoding="utf-8") == before


def test_the_annotator_counts_are_every_gold_record_by_its_registered_kind():
    from collections import Counter

    from zoomnews import CorpusRepo
    from zoomnews.sources.corpus import read_corpus
    from zoomnews.sources.schemas import SPAN_KINDS
    from zoomnews.tools.stats import annotator_kinds_block, annotators_block

    corpus = read_corpus(CorpusRepo(ROOT))
    kind_of = {r["id"]: r["kind"] for r in corpus.rows("registry_annotator")}
    expected = Counter(kind_of[r["annotator"]] for kind in SPAN_KINDS for r in corpus.rows(kind))
    line = annotator_kinds_block(corpus)
    assert line == f"Records of the gold layers by annotator kind: person {expected['person']}, model {expected['model']}, rule {expected['rule']}."
    assert line in annotators_block(corpus) and line in (ROOT / "README.md").read_text(encoding="utf-8")
    corpus.records["entity"][0].data["annotator"] = "nobody"  # counted, never dropped
    assert annotator_kinds_block(corpus).endswith(", unregistered 1.")
