"""Build is one streaming pass (zoomnews.release.shards): each block of documents is checked, then written.
The bytes depend on the sources only: not on how rows reach a file, the validation block size, or
the number of processes; and every document-keyed config is co-partitioned by document."""

import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import synthetic_corpus
from strategies import corpora, scratch_dir
from zoomnews import CorpusRepo
from zoomnews.checks import validation
from zoomnews.release.building import build_release
from zoomnews.release.configs import CONFIGS, config_schemas, document_configs
from zoomnews.release.manifest import read_manifest
from zoomnews.sources.schemas import load_kinds
from zoomnews.release.shards import ENCODING, ParquetFile

DOCUMENTS = 23


def tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=8), st.integers(1, 12))
def test_a_file_is_the_same_bytes_however_its_rows_arrive(sizes, row_group_rows):
    """Oracle: the whole table written at once, cut every row_group_rows rows."""
    folder = scratch_dir("parquet-file-")
    schema = pa.schema([("n", pa.int64()), ("s", pa.string())])
    pieces, start = [], 0
    for size in sizes:
        pieces.append(pa.table({"n": range(start, start + size), "s": [str(i) * (i % 4) for i in range(size)]}, schema=schema))
        start += size
    out = ParquetFile(folder / "pieces.parquet", schema, ENCODING, row_group_rows)
    for piece in pieces:
        out.add(piece)
    assert out.close() == start
    whole = pa.concat_tables(pieces).combine_chunks() if pieces else schema.empty_table()
    with pq.ParquetWriter(folder / "whole.parquet", schema, **ENCODING, use_dictionary=True, write_statistics=True) as writer:
        for at in range(0, whole.num_rows, row_group_rows):
            writer.write_table(whole.slice(at, row_group_rows), row_group_size=row_group_rows)
    assert (folder / "pieces.parquet").read_bytes() == (folder / "whole.parquet").read_bytes()
    groups = [pq.ParquetFile(folder / "pieces.parquet").metadata.row_group(i).num_rows
              for i in range(pq.ParquetFile(folder / "pieces.parquet").metadata.num_row_groups)]
    assert all(n == row_group_rows for n in groups[:-1]) and sum(groups) == start and 0 not in groups


def shards_of(release, config):
    entry = read_manifest(release)["configs"][config]
    return [pq.read_table(release / f["path"]) for f in entry["files"]]


@settings(max_examples=15, deadline=None)
@given(corpora(max_documents=4), st.integers(1, 3))
def test_file_k_of_every_document_config_holds_the_documents_of_file_k(spec, shard_documents):
    repo = spec.write(scratch_dir("shards-") / "repo")
    release = build_release(repo, shard_documents=shard_documents).path
    documents = [t.column("doc_id").to_pylist() for t in shards_of(release, "documents")]
    doc_ids = [d for shard in documents for d in shard]
    assert doc_ids == sorted(doc_ids)
    assert [len(shard) for shard in documents] == [min(shard_documents, len(doc_ids) - k) for k in range(0, max(len(doc_ids), 1), shard_documents)]
    for config in document_configs(config_schemas(load_kinds(repo))):
        files = shards_of(release, config)
        assert len(files) == len(documents), config
        for k, table in enumerate(files):
            assert set(table.column("doc_id").to_pylist()) <= set(documents[k]), (config, k)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return synthetic_corpus(tmp_path_factory.mktemp("shards"), DOCUMENTS)


@pytest.mark.parametrize("block_documents, jobs, shard_documents, early", [(1, 1, 5, False), (7, 1, 5, False), (4, 2, 5, False), (7, 2, 3, False),
                                                                           (7, 2, 3, True), (2000, 2, 10_000, False)])
def test_the_same_sources_build_the_same_bytes_in_blocks_and_processes(synthetic, tmp_path, monkeypatch, block_documents, jobs, shard_documents, early):
    """`early`: the workers are started before anything is read, as for a big register (_early_workers)."""
    reference = CorpusRepo(shutil.copytree(synthetic, tmp_path / "one"))
    expected = tree(build_release(reference, shard_documents=shard_documents).path)
    other = CorpusRepo(shutil.copytree(synthetic, tmp_path / "other"))
    monkeypatch.setattr(validation, "DOCUMENT_BLOCK", block_documents)
    monkeypatch.setattr(validation, "PARALLEL_FROM", 0)  # ranges in processes even for a small corpus
    monkeypatch.setattr(validation, "EARLY_FROM_BYTES", 0 if early else validation.EARLY_FROM_BYTES)
    built = build_release(other, shard_documents=shard_documents, jobs=jobs)
    assert tree(built.path) == expected
    manifest = read_manifest(built.path)
    assert list(manifest["configs"]) == list(CONFIGS)
    assert manifest["configs"]["documents"]["rows"] == DOCUMENTS
    assert len(manifest["configs"]["documents"]["files"]) == -(-DOCUMENTS // shard_documents)


def test_a_problem_in_the_second_range_builds_nothing(synthetic, tmp_path, monkeypatch):
    repo = CorpusRepo(shutil.copytree(synthetic, tmp_path / "repo"))
    path = repo.path("annotations/entities.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[-1] = lines[-1].replace('"start": ', '"start": -', 1)
    path.write_text("".join(lines), encoding="utf-8")
    monkeypatch.setattr(validation, "PARALLEL_FROM", 0)
    from zoomnews.errors import ZoomnewsError

    with pytest.raises(ZoomnewsError) as error:
        build_release(repo, shard_documents=5, jobs=2)
    assert {p.code for p in error.value.problems} >= {"ZN902"}
    left = sorted(p.name for p in repo.releases_dir.iterdir()) if repo.releases_dir.exists() else []
    assert set(left) <= {".lock"}, left  # the half-written release went with its hidden folder


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=60), st.integers(1, 7), st.integers(1, 4), st.integers(1, 60))
def test_statement_row_groups_partition_the_statements_within_their_bounds(counts, row_group_rows, shards_per, limit):
    """Oracle: the rules one by one — consecutive, covering, never crossing a shard or passing the row
    count, over the quote limit only as a statement alone, and each cut forced by one of those rules."""
    import numpy as np

    from zoomnews.release.shards import statement_groups

    shard_rows = row_group_rows * shards_per
    groups = statement_groups(np.array(counts, dtype=np.int64), shard_rows, row_group_rows, limit)
    assert groups[0][0] == 0 and groups[-1][1] == len(counts)
    assert all(a[1] == b[0] for a, b in zip(groups, groups[1:]))
    for lo, hi in groups:
        assert hi - lo <= row_group_rows and lo // shard_rows == (max(hi, lo + 1) - 1) // shard_rows
        assert sum(counts[lo:hi]) <= limit or hi - lo == 1
    for (lo, hi), (nxt, _) in zip(groups, groups[1:]):  # no needless cut
        assert hi - lo == row_group_rows or nxt % shard_rows == 0 or sum(counts[lo:hi + 1]) > limit


def test_statements_cut_by_quotes_hold_the_same_rows(tmp_path, monkeypatch):
    """The checkout's statements written with a tiny quote limit: more row groups, the same rows."""
    from conftest import ROOT
    from zoomnews.release import shards

    repo = CorpusRepo(shutil.copytree(ROOT, tmp_path / "repo", ignore=shutil.ignore_patterns(".git", ".venv", "releases", "site", "artifacts", "__pycache__", ".hypothesis")))
    monkeypatch.setattr(shards, "STATEMENT_GROUP_QUOTES", 5)
    release = build_release(repo, version="9.0.0").path
    [path] = [release / f["path"] for f in read_manifest(release)["configs"]["statements"]["files"]]
    expected = pq.read_table(ROOT / "releases" / repo.dataset_version / "statements" / path.name)
    assert pq.read_table(path).equals(expected)
    groups = pq.ParquetFile(path).metadata
    sizes = [groups.row_group(i).num_rows for i in range(groups.num_row_groups)]
    assert len(sizes) > 1 and sum(sizes) == expected.num_rows
    quotes = [len(q) for q in expected.column("quotes").to_pylist()]
    at = 0
    for size in sizes:
        assert sum(quotes[at:at + size]) <= 5 or size == 1
        at += size


@settings(max_examples=100, deadline=None)
@given(st.lists(st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True), unique=True, max_size=30), st.data())
def test_raw_digests_answer_as_a_dict_of_paths_would(names, data):
    """Oracle: a dict of every raw path's hex digest, the structure RawDigests replaces."""
    import hashlib

    import numpy as np

    from zoomnews.release.manifest import RawDigests

    names = sorted(names)
    digests = {name: hashlib.sha256(name.encode()).digest() for name in names}
    cut = data.draw(st.integers(0, len(names)))  # two ranges, as two processes would give them
    parts = [(np.array(part, dtype=bytes) if part else np.zeros(0, dtype="S1"), b"".join(digests[n] for n in part)) for part in (names[:cut], names[cut:])]
    known = RawDigests.of(parts)
    oracle = {f"corpus/raw/{name}.txt": digest.hex() for name, digest in digests.items()}
    asked = [*oracle, "corpus/raw/zz-absent.txt", "corpus/raw/é.txt", "corpus/documents.jsonl", "corpus/raw/a.json",
             *(f"corpus/raw/{name}" for name in names[:2])]
    order = data.draw(st.permutations(asked))  # asked together, in any order
    assert known.get_many(order) == [oracle.get(relative) for relative in order]


STEMS = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)


@settings(max_examples=50, deadline=None)
@given(st.lists(STEMS, unique=True, max_size=12).flatmap(  # and names that extend others: "a", "a-b", "a0"
    lambda names: st.lists(st.sampled_from(names or ["a"]).flatmap(lambda stem: st.sampled_from([f"{stem}-b", f"{stem}0"])), max_size=3)
    .map(lambda more: sorted(set(names) | set(more)))))
@example(["a", "a-b", "a0"])
def test_source_files_come_in_path_order(names):
    """Oracle: every source path sorted by its components (doc_id order is not path order: "a-b.txt"
    comes before "a.txt")."""
    from conftest import ROOT
    from zoomnews.release.manifest import source_files

    root = scratch_dir("sources-") / "repo"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns(".git", ".venv", "releases", "site", "artifacts", "__pycache__", ".hypothesis", "raw"))
    (root / "corpus" / "raw").mkdir()
    for name in names:
        (root / "corpus" / "raw" / f"{name}.txt").write_text(name, encoding="utf-8")
    listed = list(source_files(CorpusRepo(root)))
    assert listed == sorted(listed, key=lambda relative: relative.split("/"))
    assert [p for p in listed if p.startswith("corpus/raw/")] == sorted(f"corpus/raw/{n}.txt" for n in names)
    assert len(listed) == len(set(listed))
