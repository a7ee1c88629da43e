"""Releases: semver policy, immutability, the patch-release workflow, old releases, card and Croissant."""

import datetime
import json

import pytest
import yaml
from click.testing import CliRunner
from datasets import Features, load_dataset
from hypothesis import example, given, strategies as st

import zoomnews
from conftest import ROOT
from zoomnews.release.card import card_version, split_card
from zoomnews.cli import main
from zoomnews.errors import ZoomnewsError
from zoomnews.release.manifest import read_manifest
from zoomnews.release.releasing import bump_between, bump_version, plan_release, release, schema_changes
from zoomnews.checks.validation import validate_repo
from zoomnews.repo import SEMVER

DAY = datetime.date(2026, 11, 24)


def codes(excinfo) -> list[str]:
    return [p.code for p in excinfo.value.problems]


def latest(repo) -> str:
    return repo.released_versions()[-1]


def rewrite(path, change):
    """Apply `change` to the records of a JSONL source file, keeping one record per line."""
    records = change([json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()])
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def test_bump_arithmetic():
    assert bump_version("1.2.3", "patch") == "1.2.4"
    assert bump_version("1.2.3", "minor") == "1.3.0"
    assert bump_version("1.2.3", "major") == "2.0.0"
    assert bump_between("1.2.3", "1.2.3") is None
    assert bump_between("1.2.3", "1.10.0") == "minor"


def test_released_version_is_never_overwritten(repo_copy):
    with pytest.raises(ZoomnewsError) as e:
        plan_release(repo_copy, latest(repo_copy), allow_unchanged=True)
    assert codes(e) == ["ZN905"]


@pytest.mark.parametrize("version", ["0.9.0", "1.0", "v2.0.0", "01.0.0"])
def test_earlier_or_malformed_versions_are_refused(repo_copy, version):
    with pytest.raises(ZoomnewsError) as e:
        plan_release(repo_copy, version)
    assert codes(e) == ["ZN907"]


def test_nothing_to_release(repo_copy):
    with pytest.raises(ZoomnewsError) as e:
        plan_release(repo_copy, "patch")
    assert codes(e) == ["ZN908"]


def test_edit_then_patch_release_gives_an_exact_diff_and_changelog(repo_copy):
    previous = latest(repo_copy)
    zones = repo_copy.path("annotations/zones.jsonl")
    first = json.loads(zones.read_text(encoding="utf-8").splitlines()[0])
    new_value = "corrected" if first["method"] != "corrected" else "manual"
    rewrite(zones, lambda rs: [{**r, "method": new_value} if (r["doc_id"], r["id"]) == (first["doc_id"], first["id"]) else r for r in rs])

    result = release(repo_copy, "patch", date=DAY)

    version = bump_version(previous, "patch")
    assert result.plan.version == version and result.build.status == "created"
    assert [(c.level, c.what) for c in result.plan.changes] == [("patch", "zones: 1 changed")]
    changed = result.plan.layers["zones"].changed
    assert [(c["key"], c["fields"], c["after"]["method"]) for c in changed] == [({"doc_id": first["doc_id"], "id": first["id"]}, ["method"], new_value)]
    assert all(d.empty for layer, d in result.plan.layers.items() if layer != "zones")
    changelog = repo_copy.path("CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.index(f"## {version} — 2026-11-24") < changelog.index(f"## {previous} —")
    assert f"method {first['method']!r} → {new_value!r}" in result.changelog_entry and result.changelog_entry in changelog
    # the working tree now points at the new release, and everything still validates
    assert repo_copy.dataset_version == version and card_version(repo_copy) == version
    assert validate_repo(repo_copy).problems == []
    # the same diff from the CLI, between the two releases
    out = CliRunner().invoke(main, ["diff", previous, version, "--repo", str(repo_copy.root), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["zones"]["changed"][0]["fields"] == ["method"]
    # the old release is untouched and still loads, both ways the README documents
    old = zoomnews.load("zones", version=previous, repo=repo_copy)
    method = old.features["method"]
    assert [method.int2str(r["method"]) for r in old if r["id"] == first["id"] and r["doc_id"] == first["doc_id"]] == [first["method"]]
    files = [str(repo_copy.release_dir(previous) / f["path"]) for f in read_manifest(repo_copy.release_dir(previous))["configs"]["zones"]["files"]]
    assert load_dataset("parquet", data_files=files, split="train").num_rows == old.num_rows


def test_a_bump_smaller_than_the_change_is_refused(repo_copy):
    entities = repo_copy.path("annotations/entities.jsonl")
    rewrite(entities, lambda rs: rs[1:])  # an entity removed: a correction, patch
    assert plan_release(repo_copy, "patch").required == "patch"
    registry = repo_copy.path("corpus/documents.jsonl")
    rewrite(registry, lambda rs: rs[1:])  # a document removed: major
    with pytest.raises(ZoomnewsError) as e:
        plan_release(repo_copy, "minor")
    assert codes(e) == ["ZN906"] and "documents: 1 removed" in e.value.problems[0].message


def test_release_cli_refuses_with_a_code_and_no_traceback(repo_copy):
    out = CliRunner().invoke(main, ["release", str(repo_copy.root), "--bump", "patch"])
    assert out.exit_code == 1 and "ZN908" in out.output and "Traceback" not in out.output
    before = sorted(p.name for p in repo_copy.releases_dir.iterdir())
    out = CliRunner().invoke(main, ["release", str(repo_copy.root), "--bump", "major", "--allow-unchanged", "--dry-run"])
    assert out.exit_code == 0 and "would release 2.0.0" in out.output
    assert sorted(p.name for p in repo_copy.releases_dir.iterdir()) == before


@given(st.one_of(st.text(alphabet="0123456789.\n \t-v+", max_size=12), st.text(max_size=12),
                 st.tuples(st.integers(0, 200), st.integers(0, 200), st.integers(0, 200), st.sampled_from(["", "\n", " ", "\n\n", "-rc1"]))
                 .map(lambda t: f"{t[0]}.{t[1]}.{t[2]}{t[3]}")))
@example("1.3.0\n")
def test_a_version_is_three_plain_numbers_and_nothing_else(text):
    """Oracle: the text is a.b.c of decimal numbers without leading zeros, with nothing around it (a
    final newline once passed: `release --bump $'1.3.0\\n'` made a folder, a ledger line and a card
    path with a newline in them)."""
    parts = text.split(".")
    plain = len(parts) == 3 and all(p and p.isascii() and p.isdigit() and str(int(p)) == p for p in parts)
    assert bool(SEMVER.match(text)) == plain


@pytest.mark.parametrize("command", [["build", "--version", "9.9.9\n"], ["release", "--bump", "9.9.9\n", "--allow-unchanged"],
                                     ["build", "--version", "9.9.9 "]])
def test_a_version_with_a_newline_is_refused_and_nothing_is_written(repo_copy, command):
    before = {p.relative_to(repo_copy.root).as_posix(): p.read_bytes() for p in repo_copy.root.rglob("*") if p.is_file() and ".lock" != p.name}
    out = CliRunner().invoke(main, [*command, "--repo", str(repo_copy.root)])
    assert out.exit_code == 1 and "ZN907" in out.output and "Traceback" not in out.output, out.output
    after = {p.relative_to(repo_copy.root).as_posix(): p.read_bytes() for p in repo_copy.root.rglob("*") if p.is_file() and ".lock" != p.name}
    assert after == before


def _label(names):
    return {"label": {"names": list(names), "_type": "ClassLabel"}}


@given(st.lists(st.text(min_size=1, max_size=3), min_size=1, max_size=6, unique=True), st.data())
def test_label_policy(names, data):
    assert schema_changes({"c": _label(names)}, {"c": _label(names)}) == []
    extra = data.draw(st.lists(st.text(min_size=4, max_size=5), min_size=1, max_size=3, unique=True))
    assert {c.level for c in schema_changes({"c": _label(names)}, {"c": _label(names + extra)})} == {"minor"}
    shuffled = data.draw(st.permutations(names))
    if list(shuffled) != names:
        assert {c.level for c in schema_changes({"c": _label(names)}, {"c": _label(shuffled)})} == {"major"}
    if len(names) > 1:
        assert {c.level for c in schema_changes({"c": _label(names)}, {"c": _label(names[:-1])})} == {"major"}


def test_column_and_config_policy():
    value = {"dtype": "string", "_type": "Value"}
    before = {"a": {"x": value}, "b": {"x": value}}
    assert [c.level for c in schema_changes(before, {"a": {"x": value}})] == ["major"]
    assert [c.level for c in schema_changes(before, {**before, "c": {"x": value}})] == ["minor"]
    assert [c.level for c in schema_changes(before, {**before, "a": {"x": value, "y": value}})] == ["minor"]
    assert [c.level for c in schema_changes(before, {**before, "a": {"y": value}})] == ["major", "minor"]
    assert [c.level for c in schema_changes(before, {**before, "a": {"x": {"dtype": "int32", "_type": "Value"}}})] == ["major"]
    nested = {"d": {"spans": {"feature": {"start": value}, "_type": "List"}}}
    assert [c.what for c in schema_changes(nested, {"d": {"spans": {"feature": {}, "_type": "List"}}})] == ["`d`: column `spans[].start` removed or renamed"]


def test_tampering_with_a_released_file_is_caught(repo_copy):
    folder = repo_copy.release_dir(latest(repo_copy))
    for relative in ("croissant.json", "quotes/train-00000-of-00001.parquet"):
        with open(folder / relative, "ab") as f:
            f.write(b"x")
    problems = validate_repo(repo_copy).problems
    assert sorted((p.code, p.file.rsplit("/", 1)[-1]) for p in problems) == [("ZN501", "croissant.json"), ("ZN501", "train-00000-of-00001.parquet")]


REQUIRED_CARD_KEYS = ("pretty_name", "license", "language", "task_categories", "task_ids", "size_categories",
                      "annotations_creators", "language_creators", "source_datasets", "multilinguality", "configs", "dataset_info")


def test_readme_card_is_complete_and_agrees_with_the_release(repo):
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCardData

    header, _ = split_card(repo.readme.read_text(encoding="utf-8"))
    assert [k for k in REQUIRED_CARD_KEYS if not header.get(k)] == []
    version = latest(repo)
    assert card_version(repo) == version == repo.dataset_version
    manifest = read_manifest(repo.release_dir(version))
    assert [c["config_name"] for c in header["configs"]] == list(manifest["configs"])
    infos = DatasetInfosDict.from_dataset_card_data(DatasetCardData(**header))
    for config, entry in manifest["configs"].items():
        assert infos[config].features == Features.from_dict(entry["features"]), config
        assert infos[config].splits["train"].num_examples == entry["rows"], config
    assert yaml.safe_load(yaml.safe_dump(header)) == header


def test_croissant_validates_and_loads_offline(repo):
    import mlcroissant as mlc

    folder = repo.release_dir(latest(repo))
    manifest = read_manifest(folder)
    dataset = mlc.Dataset(jsonld=str(folder / "croissant.json"))
    assert not dataset.metadata.ctx.issues.errors and not dataset.metadata.ctx.issues.warnings
    record_sets = [rs.name for rs in dataset.metadata.record_sets]
    assert {"entities", "quotes", "timexes", "documents"} <= set(record_sets)
    for name in record_sets:
        records = list(dataset.records(record_set=name))
        assert len(records) == manifest["configs"][name]["rows"], name
    quote = next(iter(dataset.records(record_set="quotes")))
    assert isinstance(quote["quotes/start"], int) and isinstance(quote["quotes/text"], bytes)


@pytest.fixture
def repo():
    return zoomnews.CorpusRepo(ROOT)
