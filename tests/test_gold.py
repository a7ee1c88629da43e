"""The gold annotations: what issue 'gold annotations' promises, checked on the checkout."""

import json
import re
from collections import Counter

from click.testing import CliRunner
from datasets import load_dataset

from conftest import ROOT
from zoomnews import CorpusRepo
from zoomnews.cli import main
from zoomnews.sources.corpus import read_corpus
from zoomnews.tools.markdown import refresh
from zoomnews.tools.stats import blocks

SPOKESPERSON = "zoom-spokesperson-2020-08-03"
GUIDELINE = re.search(r"\*\*Version (\d+\.\d+\.\d+)\.\*\*", (ROOT / "annotations/GUIDELINES.md").read_text(encoding="utf-8")).group(1)
CORPUS = read_corpus(CorpusRepo(ROOT))
SPAN_KINDS = ("zone", "entity", "timex", "quote")


def test_spokesperson_statement_is_one_statement_in_all_five_documents(built_copy):
    quotes = load_dataset(str(built_copy.root), "quotes", split="train")
    spokesperson = [q for q in quotes if q["statement_id"] == SPOKESPERSON]
    assert {q["doc_id"] for q in spokesperson} == set(CORPUS.texts)
    assert {q["speaker"] for q in spokesperson} == {"zoom-spokesperson"}


def test_statements_config_aligns_every_outlet(built_copy):
    statements = {s["id"]: s for s in load_dataset(str(built_copy.root), "statements", split="train")}
    row = statements[SPOKESPERSON]
    assert row["outlets"] == 5
    assert len({q["outlet"] for q in row["quotes"]}) == 5
    assert sum(len(s["quotes"]) for s in statements.values()) == len(CORPUS.records["quote"])


def test_statements_command_prints_word_level_differences():
    result = CliRunner().invoke(main, ["statements", str(ROOT), "--id", SPOKESPERSON])
    assert result.exit_code == 0, result.output
    assert result.output.count("\n-- ") == sum(1 for q in CORPUS.rows("quote") if q["statement_id"] == SPOKESPERSON)
    assert "[-go-to-market-] {+go-to market+}" in result.output  # ZDNet's hyphen


def test_every_layer_is_annotated_in_every_document():
    for kind in SPAN_KINDS:
        assert set(CORPUS.texts) == {r.data["doc_id"] for r in CORPUS.records[kind]}, kind


def test_provenance_on_every_record():
    for kind in SPAN_KINDS:
        for record in CORPUS.rows(kind):
            assert record["annotator"] in {"a0", "a1"}
            assert record["method"] in {"manual", "corrected"}, "no unchecked rule output in gold"
            assert record["guideline"] == GUIDELINE


def test_datelines_are_creation_times_of_their_articles():
    articles = {(a["doc_id"], a["article_index"]): a for a in CORPUS.rows("article")}
    flagged = [t for t in CORPUS.rows("timex") if t["creation_time"]]
    assert len(flagged) == sum(1 for a in articles.values() if a["published_evidence"] == "stated")
    for timex in flagged:
        assert timex["value"] == articles[(timex["doc_id"], timex["article_index"])]["published"]


def test_guideline_covers_every_hard_case():
    guideline = (ROOT / "annotations/GUIDELINES.md").read_text(encoding="utf-8")
    for case in ["Mismatched marks", "Block quote after a colon", "Continuation quotes", "Quoted fragments inside reported speech",
                 "Scare quotes", "a representative for the business [included]", "page_furniture", "Dates without a year",
                 "[Monday]", "[late Friday]", "last May"]:
        assert case in guideline, case


def test_datasheet_figures_are_current():
    text = (ROOT / "DATASHEET.md").read_text(encoding="utf-8")
    assert refresh(text, blocks(CorpusRepo(ROOT))) == text, "run `zoomnews docs`"


def test_agreement_snapshots_hold_every_pass():
    a1 = Counter(json.loads(l)["annotator"] for l in (ROOT / "annotations/agreement/a1/entities.jsonl").read_text(encoding="utf-8").splitlines())
    a2 = Counter(json.loads(l)["annotator"] for l in (ROOT / "annotations/agreement/a2/entities.jsonl").read_text(encoding="utf-8").splitlines())
    assert set(a1) == {"a1"} and set(a2) == {"a2"}
    for layer in ("entities", "timexes", "quotes"):  # the blind pass of guideline 1.1.0: its own records, to 1.1.0
        records = [json.loads(l) for l in (ROOT / f"annotations/agreement/a4/{layer}.jsonl").read_text(encoding="utf-8").splitlines()]
        assert records and {(r["annotator"], r["guideline"]) for r in records} == {("a4", "1.1.0")}


def test_the_guideline_version_is_the_newest_any_record_follows():
    """The header names the version; no record follows a newer one, and the newest is in use."""
    from zoomnews.tools.accept import _version_key

    header = re.search(r"\*\*Version (\d+\.\d+\.\d+)\.\*\*", (ROOT / "annotations/GUIDELINES.md").read_text(encoding="utf-8"))
    used = {json.loads(l)["guideline"] for layer in ("zones", "entities", "timexes", "quotes")
            for l in (ROOT / f"annotations/{layer}.jsonl").read_text(encoding="utf-8").splitlines()}
    assert header and max(used, key=_version_key) == header.group(1)
