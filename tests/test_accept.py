"""`zoomnews accept`: reviewed suggestions become the reviewer's annotations, each record's method
saying what the review did (rule: kept; corrected: changed; manual: added), and what is left to
complete is listed. Nothing is written when the reviewer is not registered or a record would be lost."""

import json
import shutil

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from strategies import scratch_dir
from zoomnews import CorpusRepo
from zoomnews.cli import main
from zoomnews.errors import ZoomnewsError
from zoomnews.sources.corpus import read_corpus
from zoomnews.tools.accept import accept_suggestions, method_of
from zoomnews.tools.suggest import suggest_for, write_suggestions

DOC = "crn-2020-08-03"
REVIEWER = {"id": "jdoe", "kind": "person", "handle": "@jdoe", "guidelines": ["1.0.0"]}
LAYERS = {"zone": "zones", "entity": "entities", "timex": "timexes", "quote": "quotes"}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("accept") / "repo"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns(".git", ".venv", "releases", "site", "artifacts", "__pycache__", ".hypothesis", "docs"))
    with open(root / "annotations/registry/annotators.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(REVIEWER, ensure_ascii=False, separators=(", ", ": ")) + "\n")
    from zoomnews.sources.canonical import format_repo

    format_repo(CorpusRepo(root))
    return root


def fresh(template) -> CorpusRepo:
    return CorpusRepo(shutil.copytree(template, scratch_dir("accept-") / "repo"))


def suggestions(repo, doc_id=DOC):
    out = repo.root / "suggestions" / doc_id
    write_suggestions(repo, suggest_for(repo, doc_id), out, "records")
    return out


def read(folder, layer):
    return [json.loads(line) for line in (folder / f"{LAYERS[layer]}.jsonl").read_text(encoding="utf-8").splitlines()]


def write(folder, layer, records):
    (folder / f"{LAYERS[layer]}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def sources(repo):
    return {p: repo.path(p).read_bytes() for p in ("annotations/zones.jsonl", "annotations/entities.jsonl", "annotations/timexes.jsonl", "annotations/quotes.jsonl")}


def test_suggestions_accepted_unchanged_are_the_reviewers_rule_records(template):
    repo = fresh(template)
    folder = suggestions(repo)
    result = accept_suggestions(repo, folder, "jdoe", allow_removal=True)
    corpus = read_corpus(repo)
    for layer in LAYERS:
        mine = [r for r in corpus.rows(layer) if r["doc_id"] == DOC]
        proposed = read(folder, layer)
        assert len(mine) == len(proposed) and result.methods[layer] == ({"rule": len(proposed)} if proposed else {})
        assert all(r["annotator"] == "jdoe" and r["method"] == "rule" and r["guideline"] == "1.0.0" for r in mine)
        strip = lambda r: {k: v for k, v in r.items() if k not in ("annotator", "method", "guideline")}
        assert sorted(map(json.dumps, map(strip, mine))) == sorted(map(json.dumps, map(strip, proposed)))
    assert all(p.file.startswith("annotations/") for p in result.incomplete)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["entity", "timex", "zone"]), st.integers(0, 1000), st.sampled_from(["relabel", "move", "drop", "renumber"]))
def test_each_record_says_what_the_review_did(template, layer, pick, edit):
    """Oracle: a record is `rule` iff a suggestion has its span and every other field but its id
    (suggest numbers in text order: a registry entry added since renumbers); `corrected` iff a
    suggestion has its span only; `manual` otherwise."""
    repo = fresh(template)
    folder = suggestions(repo)
    records = read(folder, layer)
    proposed = {(r["start"], r["end"]): dict(r) for r in records}  # as suggested, before the edit
    i = pick % len(records)
    if edit == "relabel":
        field = {"entity": "label", "timex": "type", "zone": "label"}[layer]
        records[i][field] = {"entity": "PRODUCT", "timex": "DURATION", "zone": "page_furniture"}[layer] if records[i][field] not in ("PRODUCT", "DURATION", "page_furniture") else {"entity": "ORG", "timex": "DATE", "zone": "body"}[layer]
    elif edit == "move":
        records[i]["start"] += 1
        records[i]["text"] = read_corpus(repo).texts[DOC][records[i]["start"]:records[i]["end"]]
    elif edit == "renumber":
        records[i]["id"] = records[i]["id"][0] + "999"
    else:
        del records[i]
    write(folder, layer, records)
    result = accept_suggestions(repo, folder, "jdoe", allow_removal=True)
    expected = {}
    for r in records:
        s = proposed.get((r["start"], r["end"]))
        method = "manual" if s is None else "rule" if {**s, "id": r["id"]} == r else "corrected"
        expected[method] = expected.get(method, 0) + 1
        assert method_of(r, proposed) == method
    assert result.methods[layer] == expected
    written = {(r["start"], r["end"]): r["method"] for r in read_corpus(repo).rows(layer) if r["doc_id"] == DOC}
    assert sorted(written.values()) == sorted(m for m, n in expected.items() for _ in range(n))


def test_an_unregistered_reviewer_or_a_lost_record_writes_nothing(template):
    repo = fresh(template)
    folder = suggestions(repo)
    before = sources(repo)
    with pytest.raises(ZoomnewsError) as error:
        accept_suggestions(repo, folder, "nobody", allow_removal=True)
    assert [p.code for p in error.value.problems] == ["ZN403"] and "annotators.jsonl" in error.value.problems[0].message
    with pytest.raises(ZoomnewsError) as error:
        accept_suggestions(repo, folder, "jdoe")  # the gold's records of the document that suggest does not propose
    assert error.value.problems and {p.code for p in error.value.problems} == {"ZN604"}
    accept_suggestions(repo, folder, "jdoe", write=False, allow_removal=True)
    assert sources(repo) == before


def test_the_command_reports_methods_and_what_is_incomplete(template):
    repo = fresh(template)
    folder = suggestions(repo)
    result = CliRunner().invoke(main, ["accept", str(folder), "--annotator", "jdoe", "--repo", str(repo.root), "--allow-removal"])
    assert result.exit_code == 1, result.output  # suggest leaves quotes' speakers and statements to the reviewer
    assert "entity: " in result.output and " rule" in result.output and "incomplete: annotations/quotes.jsonl" in result.output
    unknown = CliRunner().invoke(main, ["accept", str(folder), "--annotator", "nobody", "--repo", str(repo.root)])
    assert unknown.exit_code == 1 and "ZN403" in unknown.output and unknown.exception.__class__ is SystemExit


def test_a_folder_with_nothing_to_accept_is_refused_and_writes_nothing(template, tmp_path):
    """Empty layer files once gave "accepted  as jdoe; nothing left to complete" (no document named)."""
    repo = fresh(template)
    for layer in ("zones", "entities"):
        (tmp_path / f"{layer}.jsonl").write_text("", encoding="utf-8")
    before = sources(repo)
    result = CliRunner().invoke(main, ["accept", str(tmp_path), "--annotator", "jdoe", "--repo", str(repo.root)])
    assert result.exit_code == 1 and "ZN602" in result.output and "no record to accept" in result.output, result.output
    assert sources(repo) == before


@pytest.mark.parametrize("tasks", ["[]", "predictions"])
def test_a_label_studio_export_with_no_annotation_is_refused_and_writes_nothing(template, tasks):
    """An export with no task, or with the suggestions still unreviewed predictions, once gave
    "accepted  as jdoe; nothing left to complete" (no document named) and exit 0."""
    repo = fresh(template)
    folder = repo.root / "suggestions" / DOC
    write_suggestions(repo, suggest_for(repo, DOC), folder, "labelstudio")
    exported = json.loads((folder / "tasks.json").read_text(encoding="utf-8"))
    if tasks == "[]":
        (folder / "tasks.json").write_text("[]", encoding="utf-8")
    else:
        assert exported and all(t.get("predictions") and not t.get("annotations") for t in exported)
    before = sources(repo)
    result = CliRunner().invoke(main, ["accept", str(folder), "--format", "labelstudio", "--annotator", "jdoe", "--repo", str(repo.root)])
    assert result.exit_code == 1 and "ZN602" in result.output and "no annotation to accept" in result.output, result.output
    assert ("review them in Label Studio first" in result.output) == (tasks == "predictions"), result.output
    assert "accepted" not in result.output and sources(repo) == before
