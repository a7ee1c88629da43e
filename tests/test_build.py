
import json
import os
import shutil

import pyarrow.parquet as pq
import pytest

from conftest import ROOT
from zoomnews.checks.validation import validate_repo
from zoomnews.release import building
from zoomnews.release.building import build_release
from zoomnews.release.configs import CONFIGS
from zoomnews.errors import ZoomnewsError
from zoomnews.release.manifest import read_manifest, sha256_file
from zoomnews.release.shards import ENCODING, UNRECORDED_ENCODING
from zoomnews.sources.canonical import format_repo


def tree_digest(folder):
    return {p.relative_to(folder).as_posix(): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_sources_build_byte_identical_releases(built_copy, repo_copy):
    first = build_release(built_copy, version="9.0.0")
    second = build_release(repo_copy, version="9.0.0")
    assert first.status == second.status == "created"
    assert tree_digest(first.path) == tree_digest(second.path)


def test_the_committed_release_is_what_the_sources_build(repo_copy):
    version = repo_copy.dataset_version
    committed = tree_digest(repo_copy.release_dir(version))
    assert build_release(repo_copy).status == "unchanged"
    assert tree_digest(repo_copy.release_dir(version)) == committed


def test_rebuilding_an_existing_version_is_a_no_op(built_copy):
    before = tree_digest(built_copy.release_dir(built_copy.dataset_version))
    assert build_release(built_copy).status == "unchanged"
    assert tree_digest(built_copy.release_dir(built_copy.dataset_version)) == before


def test_a_release_records_how_its_parquet_is_compressed(repo_copy):
    release = build_release(repo_copy, version="9.0.0")
    manifest = read_manifest(release.path)
    assert manifest["parquet"] == ENCODING
    codecs = {pq.ParquetFile(p).metadata.row_group(0).column(0).compression for p in release.path.rglob("*.parquet")
              if pq.ParquetFile(p).metadata.num_row_groups}
    assert codecs == {ENCODING["compression"].upper()}


@pytest.mark.parametrize("level", [1, 9, 15, None])
def test_a_rebuild_compresses_as_the_release_records(repo_copy, monkeypatch, level):
    """A release written at another level (an older zoomnews; None: the releases up to 1.2.0, whose
    manifests record nothing) is rebuilt byte for byte: the rebuild reads the level from its manifest."""
    with monkeypatch.context() as patched:
        patched.setattr(building, "ENCODING", level and {"compression": "zstd", "compression_level": level})
        written = build_release(repo_copy, version="9.0.0")
    assert read_manifest(written.path).get("parquet", UNRECORDED_ENCODING)["compression_level"] == (level or 9)
    before = tree_digest(written.path)
    assert build_release(repo_copy, version="9.0.0").status == "unchanged"
    assert tree_digest(written.path) == before


@pytest.mark.parametrize("record", [{"compression": "zstd", "compression_level": "9"}, {"compression": "gzip", "compression_level": 9},
                                    {"compression": "zstd", "compression_level": 3.0}, "zstd", None])
@pytest.mark.parametrize("signed", [False, True])
def test_a_release_whose_manifest_is_not_a_manifest_is_not_rebuilt(repo_copy, record, signed):
    """Edited (ZN507: not the manifest the ledger recorded), or edited with the ledger made to agree
    (ZN506: not a manifest; a level of 3.0 passes JSON Schema's integer and made ParquetWriter raise)."""
    from zoomnews.release.manifest import ledger_with, sha256_bytes

    release = build_release(repo_copy, version="9.0.0")
    manifest = read_manifest(release.path)
    manifest["parquet"] = record
    data = json.dumps(manifest).encode("utf-8")
    (release.path / "manifest.json").write_bytes(data)
    if signed:
        repo_copy.ledger_path.write_text(ledger_with(repo_copy.ledger_path.read_text(encoding="utf-8"), "9.0.0", sha256_bytes(data)), encoding="utf-8")
    with pytest.raises(ZoomnewsError) as error:
        build_release(repo_copy, version="9.0.0")
    assert [p.code for p in error.value.problems] == (["ZN506"] if signed else ["ZN507"]), error.value
    assert sorted(p.code for p in validate_repo(repo_copy).problems) == (["ZN506"] if signed else ["ZN506", "ZN507"])


@pytest.mark.parametrize("version", ["committed", "9.0.0"])
def test_a_deleted_release_the_ledger_lists_is_built_again_byte_for_byte(repo_copy, version):
    """The committed release's manifest records no compression level (level 9), a new one does."""
    version = repo_copy.dataset_version if version == "committed" else build_release(repo_copy, version=version).version
    before, ledger = tree_digest(repo_copy.release_dir(version)), repo_copy.ledger_path.read_bytes()
    shutil.rmtree(repo_copy.release_dir(version))
    assert build_release(repo_copy, version=version).status == "created"
    assert tree_digest(repo_copy.release_dir(version)) == before
    assert repo_copy.ledger_path.read_bytes() == ledger


def test_a_deleted_release_the_ledger_lists_is_not_built_from_other_sources(repo_copy):
    """Its version is released: the ledger keeps its manifest's sha256, and other content is refused
    (it used to be built and the ledger's line rewritten)."""
    version = repo_copy.dataset_version
    ledger = repo_copy.ledger_path.read_bytes()
    shutil.rmtree(repo_copy.release_dir(version))
    path = repo_copy.path("corpus/articles.jsonl")
    path.write_text(path.read_text(encoding="utf-8").replace("Dateline", "The dateline"), encoding="utf-8")
    with pytest.raises(ZoomnewsError) as error:
        build_release(repo_copy)
    assert [(p.code, p.file) for p in error.value.problems] == [("ZN901", f"releases/{version}")]
    assert "RELEASES.lock" in error.value.problems[0].message
    assert repo_copy.ledger_path.read_bytes() == ledger
    assert not os.path.lexists(repo_copy.release_dir(version))
    assert not list(repo_copy.releases_dir.glob(".tmp-*")), "no temporary folder is left behind"


def test_different_content_under_an_existing_version_is_refused(repo_copy):
    path = repo_copy.path("corpus/articles.jsonl")
    path.write_text(path.read_text(encoding="utf-8").replace("Dateline", "The dateline"), encoding="utf-8")
    with pytest.raises(ZoomnewsError) as error:
        build_release(repo_copy)
    assert [p.code for p in error.value.problems] == ["ZN901"]
    assert not list(repo_copy.releases_dir.glob(".tmp-*")), "no temporary folder is left behind"


def test_invalid_sources_are_not_built_and_nothing_is_left_behind(repo_copy):
    before = repo_copy.released_versions()
    path = repo_copy.path("corpus/articles.jsonl")
    path.write_text(path.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    with pytest.raises(ZoomnewsError) as error:
        build_release(repo_copy)
    assert {p.code for p in error.value.problems} == {"ZN103", "ZN902"}
    with pytest.raises(ZoomnewsError):
        build_release(repo_copy, version="9.0.0")
    assert repo_copy.released_versions() == before
    assert not list(repo_copy.releases_dir.glob(".tmp-*"))


def test_manifest_lists_every_config_with_checksums_and_counts(built_copy):
    folder = built_copy.release_dir(built_copy.dataset_version)
    manifest = read_manifest(folder)
    assert manifest["version"] == built_copy.dataset_version
    assert list(manifest["configs"]) == list(CONFIGS)
    for config, entry in manifest["configs"].items():
        for f in entry["files"]:
            assert sha256_file(folder / f["path"]) == f["sha256"]
            assert pq.ParquetFile(folder / f["path"]).metadata.num_rows == f["rows"]
        assert entry["rows"] == sum(f["rows"] for f in entry["files"])
    assert len(manifest["sources_sha256"]) == len(manifest["schema_fingerprint"]) == 64


def test_counts_in_equal_counts_out(built_copy):
    from zoomnews.release.configs import FLAT
    from zoomnews.sources.corpus import read_corpus

    corpus = read_corpus(built_copy)
    manifest = read_manifest(built_copy.release_dir(built_copy.dataset_version))
    for config, kind in FLAT.items():
        assert manifest["configs"][config]["rows"] == len(corpus.records[kind])
    assert manifest["configs"]["default"]["rows"] == len(corpus.records["document"])


def test_build_with_jobs_gives_the_same_bytes(monkeypatch):
    """Two processes, each building its range of whole shards, give the one-process build's bytes."""
    from hypothesis import given, settings

    from strategies import corpora, scratch_dir
    from zoomnews.checks import validation

    monkeypatch.setattr(validation, "PARALLEL_FROM", 0)  # ranges in processes even for a few documents

    @settings(max_examples=5, deadline=None)
    @given(corpora(max_documents=3))
    def check(spec):
        one, two = scratch_dir("jobs-"), scratch_dir("jobs-")
        a = build_release(spec.write(one / "repo"), jobs=1, shard_documents=1)
        b = build_release(spec.write(two / "repo"), jobs=2, shard_documents=1)
        files = sorted(p.relative_to(a.path) for p in a.path.rglob("*.parquet"))
        assert files == sorted(p.relative_to(b.path) for p in b.path.rglob("*.parquet"))
        assert all((a.path / f).read_bytes() == (b.path / f).read_bytes() for f in files)

    check()


def test_a_script_without_a_main_guard_builds(repo_copy, tmp_path):
    """For a large corpus build works out the configs' schemas and writes croissant.json in processes
    of their own (zoomnews.release.apart), so its process imports neither `datasets` nor mlcroissant:
    plain subprocesses, so a user's script that calls zoomnews.build at its top level (no `if __name__
    == "__main__"`) is never run again by them; with -P, so that they take no module from the current
    directory; and the release is byte for byte the committed one."""
    import subprocess
    import sys

    shutil.rmtree(repo_copy.release_dir(repo_copy.dataset_version))
    script = tmp_path / "build_it.py"
    script.write_text("import sys\nimport zoomnews\nimport zoomnews.release.building\n"
                      "zoomnews.release.building.APART_FROM = 0  # as for a large corpus\n"
                      "print(zoomnews.build(sys.argv[1]).status, 'datasets' in sys.modules, 'mlcroissant' in sys.modules)\n",
                      encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"  # the directory it runs in holds modules of its own: never imported
    elsewhere.mkdir()
    for module in ("datasets", "mlcroissant"):
        (elsewhere / f"{module}.py").write_text(f"raise SystemExit('the {module}.py of the current directory')\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(repo_copy.root)], capture_output=True, text=True, timeout=600, cwd=elsewhere)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["created", "False", "False"]
    assert tree_digest(repo_copy.release_dir(repo_copy.dataset_version)) == tree_digest(ROOT / "releases" / repo_copy.dataset_version)


@pytest.mark.parametrize("module, task", [("datasets", "work out the configs' schemas"), ("mlcroissant", "write croissant.json")])
def test_a_failed_process_of_build_is_a_coded_problem_and_leaves_nothing(repo_copy, tmp_path, monkeypatch, module, task):
    """Fault injection: a process build starts fails (here its `datasets`, or its mlcroissant, cannot
    be imported). Build stops with ZN910 naming its task, and releases/ is as it was."""
    import os
    import sys

    from zoomnews.checks.validation import validate_repo
    from zoomnews.repo import LOCK

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / f"{module}.py").write_text(f"raise ImportError('no {module} in this environment')\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(broken), os.environ.get("PYTHONPATH")])))
    monkeypatch.delitem(sys.modules, "datasets", raising=False)  # this process as if it had not imported it
    monkeypatch.setattr(building, "APART_FROM", 0)
    shutil.rmtree(repo_copy.release_dir(repo_copy.dataset_version))
    def releases():  # but the lock file every build holds (releases/.lock, kept, untracked)
        return {path: digest for path, digest in tree_digest(repo_copy.releases_dir).items() if path != LOCK}

    before = releases()
    with pytest.raises(ZoomnewsError) as raised:
        build_release(repo_copy)
    [problem] = raised.value.problems
    assert problem.code == "ZN910" and task in problem.message and f"no {module} in this environment" in problem.message
    assert releases() == before
    assert sorted(p.name for p in repo_copy.releases_dir.iterdir() if p.name != LOCK) == sorted(
        p.name for p in (ROOT / "releases").iterdir() if p.name not in (repo_copy.dataset_version, LOCK))


def test_the_card_a_large_build_writes_is_the_one_a_small_build_writes(tmp_path, monkeypatch):
    """For a large corpus the card's dataset_info (which needs `datasets`) is worked out in the
    croissant process, not in build's: the README and the release are byte for byte those of a build
    that worked it out itself."""
    from conftest import copy_sources
    from zoomnews import CorpusRepo
    from zoomnews.release import building, card

    built = {}
    for name, apart_from in [("in this process", building.APART_FROM), ("apart", 0)]:
        repo = CorpusRepo(copy_sources(tmp_path / name.replace(" ", "-")))
        shutil.rmtree(repo.release_dir(repo.dataset_version))
        monkeypatch.setattr(building, "APART_FROM", apart_from)
        if name == "apart":  # (not here: the croissant process does it)
            monkeypatch.setattr(card, "dataset_info_block", lambda *a: pytest.fail("dataset_info worked out in build's own process"))
        assert build_release(repo, card=True).status == "created"
        built[name] = (repo.readme.read_bytes(), tree_digest(repo.release_dir(repo.dataset_version)))
    assert built["apart"] == built["in this process"]
    assert b"dataset_info:" in built["apart"][0]


def test_an_entity_over_a_line_break_is_built_and_reported_in_the_ner_view(repo_copy):
    """validate takes it; build stopped with a traceback (ner: tagged + left out != entities + timexes)."""
    from zoomnews.release.views import CROSSES

    text = repo_copy.path("corpus/raw/crn-2020-08-03.txt").read_text(encoding="utf-8")
    start = text.index("partners.\n\nRemoving")  # (no span of the gold there)
    end = start + len("partners.\n\nRemoving")
    record = {"doc_id": "crn-2020-08-03", "id": "e99", "start": start, "end": end, "text": text[start:end], "label": "WORK_OF_ART",
              "entity_id": None, "annotator": "a1", "method": "manual", "guideline": "1.0.0"}
    with open(repo_copy.path("annotations/entities.jsonl"), "a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
    format_repo(repo_copy)  # (canonical order, as `zoomnews fmt` writes it)
    release = build_release(repo_copy, version="9.0.0")
    ner = pq.read_table(release.path / "ner").to_pylist()
    assert [(r["doc_id"], a) for r in ner for a in r["adjusted"] if a["id"] == "e99"] == [
        ("crn-2020-08-03", {"layer": "entities", "id": "e99", "reason": CROSSES})]
