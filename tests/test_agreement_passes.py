"""The agreement passes (annotations/agreement/<pass>/) are checked by the same rules as the gold,
each with its own registries where it has them, and formatted by fmt like every source."""

import json
import os
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from strategies import scratch_dir
from zoomnews import CorpusRepo
from zoomnews.checks.validation import validate_repo
from zoomnews.sources.canonical import format_repo
from zoomnews.sources.schemas import agreement_passes, pass_kinds

PASSES = ("a1", "a2", "a4")  # a4: the blind pass of guideline 1.1.0, of entities, timexes and quotes only
LAYERS = ("zones", "entities", "timexes", "quotes")
PASS_LAYERS = [(name, layer) for name in PASSES for layer in LAYERS if (ROOT / f"annotations/agreement/{name}/{layer}.jsonl").exists()]


def checkout_copy(tmp) -> CorpusRepo:
    target = tmp / "repo"
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(".git", ".venv", "releases", "site", "artifacts", "__pycache__", ".hypothesis",
                                                                   "node_modules", ".pytest_cache"))
    return CorpusRepo(target)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return checkout_copy(tmp_path_factory.mktemp("passes"))


def lines(repo, relative):
    return repo.path(relative).read_text(encoding="utf-8").splitlines(keepends=True)


def rewrite(repo, relative, index, change):
    all_lines = lines(repo, relative)
    record = json.loads(all_lines[index])
    change(record)
    all_lines[index] = json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n"
    repo.path(relative).write_text("".join(all_lines), encoding="utf-8")


def test_the_checkout_has_its_passes_and_they_are_clean(pristine):
    assert agreement_passes(pristine) == list(PASSES)
    assert validate_repo(pristine, releases=False).problems == []
    kinds = pass_kinds(pristine, "a2")
    assert kinds["entity"].source == "annotations/agreement/a2/entities.jsonl"
    assert kinds["registry_entity"].source == "annotations/agreement/a2/registry/entities.jsonl"  # a2 has its own registries
    assert pass_kinds(pristine, "a1")["registry_entity"].source == "annotations/registry/entities.jsonl"  # a1 uses the gold's
    assert pass_kinds(pristine, "a1")["document"].source == "corpus/documents.jsonl"


MISTAKES = {
    "end one code point later (ZN302, or ZN301 past the text)": (lambda r: r.update(end=r["end"] + 1), {"ZN301", "ZN302"}),
    "an unknown document (ZN401)": (lambda r: r.update(doc_id="no-such-document"), {"ZN401"}),
    "a missing required field (ZN201)": (lambda r: r.pop("annotator"), {"ZN201"}),
    "a bad enum value (ZN201)": (lambda r: r.update(method="by-hand"), {"ZN201"}),
}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(PASS_LAYERS), st.integers(0, 10_000), st.sampled_from(sorted(MISTAKES)))
def test_a_mistake_in_a_pass_is_reported_at_its_line(pristine, pass_layer, pick, mistake):
    name, layer = pass_layer
    repo = CorpusRepo(shutil.copytree(pristine.root, scratch_dir("pass-") / "repo"))
    relative = f"annotations/agreement/{name}/{layer}.jsonl"
    index = pick % len(lines(repo, relative))
    change, codes = MISTAKES[mistake]
    rewrite(repo, relative, index, change)
    problems = validate_repo(repo, releases=False).problems
    assert any(p.file == relative and p.line == index + 1 and p.code in codes for p in problems), problems
    assert all(p.file.startswith(f"annotations/agreement/{name}/") for p in problems), problems  # nothing blamed on the gold


def test_a_pass_refers_to_its_own_registry_when_it_has_one(pristine, tmp_path):
    repo = CorpusRepo(shutil.copytree(pristine.root, tmp_path / "repo"))
    own = {json.loads(line)["id"] for line in lines(repo, "annotations/agreement/a2/registry/entities.jsonl")}
    label = json.loads(lines(repo, "annotations/agreement/a2/entities.jsonl")[0])["label"]
    assert json.loads(lines(repo, "annotations/agreement/a1/entities.jsonl")[0])["label"] == label
    gold_only = next(e["id"] for e in map(json.loads, lines(repo, "annotations/registry/entities.jsonl")) if e["id"] not in own and e["type"] == label)
    # a2's registry does not have it, the gold's does: a2 hears of it, a1 (which uses the gold's) does not
    rewrite(repo, "annotations/agreement/a2/entities.jsonl", 0, lambda r: r.update(entity_id=gold_only))
    problems = validate_repo(repo, releases=False).problems
    assert [(p.file, p.line, p.code) for p in problems] == [("annotations/agreement/a2/entities.jsonl", 1, "ZN403")]
    assert "annotations/agreement/a2/registry/entities.jsonl" in problems[0].message
    rewrite(repo, "annotations/agreement/a1/entities.jsonl", 0, lambda r: r.update(entity_id=gold_only))
    assert [(p.file, p.code) for p in validate_repo(repo, releases=False).problems] == [("annotations/agreement/a2/entities.jsonl", "ZN403")]


def test_a_link_among_the_passes_is_reported_and_never_read(pristine, tmp_path):
    repo = CorpusRepo(shutil.copytree(pristine.root, tmp_path / "repo"))
    os.symlink("a1", repo.path("annotations/agreement/a3"))
    os.symlink("../../entities.jsonl", repo.path("annotations/agreement/a1/timexes.jsonl.link"))
    problems = validate_repo(repo, releases=False).problems
    assert [(p.file, p.code) for p in problems] == [("annotations/agreement/a3", "ZN111")]
    os.unlink(repo.path("annotations/agreement/a1/timexes.jsonl"))
    os.symlink("../../timexes.jsonl", repo.path("annotations/agreement/a1/timexes.jsonl"))
    codes = {(p.file, p.code) for p in validate_repo(repo, releases=False).problems}
    assert ("annotations/agreement/a1/timexes.jsonl", "ZN111") in codes


def test_fmt_formats_the_passes(pristine, tmp_path):
    repo = CorpusRepo(shutil.copytree(pristine.root, tmp_path / "repo"))
    relative = "annotations/agreement/a2/registry/speakers.jsonl"
    before = repo.path(relative).read_bytes()
    shuffled = list(reversed(lines(repo, relative)))
    repo.path(relative).write_text("".join(shuffled), encoding="utf-8")
    assert any(p.file == relative and p.code == "ZN307" for p in validate_repo(repo, releases=False).problems)
    assert format_repo(repo) == [relative]
    assert repo.path(relative).read_bytes() == before
    assert format_repo(repo) == []
