"""Properties of the whole model, for any valid generated corpus."""

import json
from pathlib import Path

import pyarrow.parquet as pq
from datasets import Features, load_dataset
from datasets.distributed import split_dataset_by_node
import pytest
from hypothesis import assume, given, settings, strategies as st

import zoomnews
from strategies import KINDS, corpora, records_of, scratch_dir
from zoomnews.release.building import build_release
from zoomnews.release.configs import FLAT, NESTED, config_features
from zoomnews.sources.canonical import format_repo
from zoomnews.loader.releases import decode_rows, iter_rows
from zoomnews.release.manifest import read_manifest, sha256_file
from zoomnews.sources.corpus import canonical_key, read_corpus
from zoomnews.checks.validation import validate_repo

HEAVY = settings(max_examples=max(8, settings.default.max_examples // 5))  # builds and loads per example


def fresh_dir() -> Path:
    return scratch_dir("prop-")


def expected_rows(repo, config: str) -> list[dict]:
    corpus = read_corpus(repo)
    kind = FLAT[config]
    rows = sorted(corpus.rows(kind), key=canonical_key(corpus.kinds[kind]))
    if config == "documents":  # oracle: each document with its first article's fields (typed once, there) and its text
        first = {a["doc_id"]: a for a in corpus.rows("article") if a["article_index"] == 0}
        fields = corpus.kinds["document"].from_first_article[0]
        rows = [{**row, **{f: first[row["doc_id"]][f] for f in fields}, "text": corpus.texts[row["doc_id"]]} for row in rows]
    return rows


def released(repo, config: str) -> tuple[list[str], Features]:
    folder = repo.release_dir(repo.dataset_version)
    entry = read_manifest(folder)["configs"][config]
    return [str(folder / f["path"]) for f in entry["files"]], Features.from_dict(entry["features"])


@HEAVY
@given(corpora(), st.integers(1, 4))
def test_round_trip_sources_build_load(spec, shard_documents):
    repo = spec.write(fresh_dir() / "repo")
    build_release(repo, shard_documents=shard_documents)
    for config in FLAT:
        expected = expected_rows(repo, config)
        files, features = released(repo, config)
        via_pyarrow = decode_rows([row for f in files for row in pq.read_table(f).to_pylist()], features)
        streamed = load_dataset("parquet", data_files={"train": files}, split="train", streaming=True, features=features)
        assert via_pyarrow == expected, config
        assert decode_rows(list(streamed), features) == expected, config
        assert decode_rows(list(iter_rows(streamed, batch_size=shard_documents)), features) == expected, config
        eager = zoomnews.load(config, version=repo.dataset_version, repo=repo.root)  # empty too: datasets alone refuses an empty split
        assert eager.features == features and decode_rows(list(eager), features) == expected, config
    files, features = released(repo, "default")
    nested = decode_rows([row for f in files for row in pq.read_table(f).to_pylist()], features)
    assert [d["doc_id"] for d in nested] == [d["doc_id"] for d in expected_rows(repo, "documents")]
    for column, config in NESTED.items():
        flattened = [{"doc_id": d["doc_id"], **item} for d in nested for item in d[column]]
        assert flattened == [{"doc_id": r["doc_id"], **{k: v for k, v in r.items() if k != "doc_id"}} for r in expected_rows(repo, config)], column


@settings(max_examples=max(25, settings.default.max_examples // 2))
@given(corpora())
def test_every_valid_generated_corpus_passes(spec):
    repo = spec.write(fresh_dir() / "repo")
    assert validate_repo(repo).problems == []


def _mutate(spec, kind, rng, change):
    records = spec.records[kind]
    if not records:
        return False
    i = rng.randrange(len(records))
    records[i] = change(dict(records[i]), spec)
    return True


def _shift(record, spec):
    return {**record, "start": record["start"] + 1}


def _move(record, spec):
    """Same length, one code point later: only comparing the characters can tell."""
    moved = {**record, "start": record["start"] + 1, "end": record["end"] + 1}
    if spec.texts[record["doc_id"]][moved["start"]:moved["end"]] == record["text"]:  # "aaa": moving changes nothing
        return _retext(moved, spec)
    return moved


def _retext(record, spec):
    text = record["text"]
    return {**record, "text": ("x" if text[0] != "x" else "y") + text[1:]}


def _swap(record, spec):
    return {**record, "start": record["end"], "end": record["start"]}


def _drop(field):
    return lambda record, spec: {k: v for k, v in record.items() if k != field}


MUTATIONS = {
    "shift an offset": ("entity", _shift, {"ZN301", "ZN302"}),
    "move a span": ("entity", _move, {"ZN301", "ZN302", "ZN304"}),
    "edit a span's text": ("timex", _retext, {"ZN302"}),
    "swap start and end": ("zone", _swap, {"ZN301"}),
    "unknown label": ("entity", lambda r, s: {**r, "label": "DISEASE"}, {"ZN201"}),
    "unknown type": ("timex", lambda r, s: {**r, "type": "INSTANT"}, {"ZN201"}),
    "broken statement reference": ("quote", lambda r, s: {**r, "statement_id": "no-such-statement"}, {"ZN403"}),
    "broken registry reference": ("registry_statement", lambda r, s: {**r, "speaker": "no-such-speaker"}, {"ZN403"}),
    "unregistered document": ("entity", lambda r, s: {**r, "doc_id": "unregistered"}, {"ZN401"}),
    "drop a required field": ("quote", _drop("speaker"), {"ZN201"}),
    "unknown field": ("zone", lambda r, s: {**r, "lable": "x"}, {"ZN201"}),
    "bad timex value": ("timex", lambda r, s: {**r, "type": "DURATION", "value": "2020-08"}, {"ZN407"}),
    "unknown article": ("zone", lambda r, s: {**r, "article_index": 9}, {"ZN404"}),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
@settings(max_examples=max(6, settings.default.max_examples // 5))
@given(spec=corpora(), rng=st.randoms(use_true_random=False))
def test_every_single_mutation_is_rejected_with_its_code(name, spec, rng):
    kind, change, codes = MUTATIONS[name]
    assume(spec.records[kind])
    _mutate(spec, kind, rng, change)
    repo = spec.write(fresh_dir() / "repo")
    found = {p.code for p in validate_repo(repo).problems}
    assert found & codes, f"{name}: expected one of {codes}, got {found}"


@settings(max_examples=max(25, settings.default.max_examples // 2))
@given(corpora(), st.sampled_from(["duplicate id", "edit raw text", "overlap", "stray raw file"]))
def test_file_level_mutations_are_rejected(spec, name):
    repo = spec.write(fresh_dir() / "repo")
    if name == "duplicate id":
        path = repo.path("annotations/zones.jsonl")
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(lines + lines[:1]), encoding="utf-8")
        expected = "ZN303"
    elif name == "edit raw text":
        doc_id = next(iter(spec.texts))
        path = repo.raw_path(doc_id)
        path.write_bytes(path.read_bytes() + b"x")
        expected = "ZN402"
    elif name == "overlap":
        path = repo.path("annotations/zones.jsonl")
        first = spec.records["zone"][0]
        extra = {**first, "id": "z999"}
        spec.records["zone"].append(extra)
        repo = spec.write(repo.root)
        expected = "ZN305"
    else:
        repo.raw_path("stray").write_text("x", encoding="utf-8")
        expected = "ZN105"
    assert expected in {p.code for p in validate_repo(repo).problems}


@HEAVY
@given(corpora())
def test_building_twice_gives_identical_bytes(spec):
    first = spec.write(fresh_dir() / "a")
    second = spec.write(fresh_dir() / "b")
    one, two = build_release(first, shard_documents=2), build_release(second, shard_documents=2)
    digest = lambda folder: {p.relative_to(folder).as_posix(): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}
    assert digest(one.path) == digest(two.path)


@settings(max_examples=max(25, settings.default.max_examples // 2))
@given(corpora(), st.randoms(use_true_random=False))
def test_shuffled_sources_format_back_to_the_same_bytes(spec, rng):
    repo = spec.write(fresh_dir() / "repo")
    before = {kind.source: repo.path(kind.source).read_bytes() for kind in KINDS.values()}
    for relative in before:
        lines = repo.path(relative).read_text(encoding="utf-8").splitlines(keepends=True)
        rng.shuffle(lines)
        repo.path(relative).write_text("".join(lines), encoding="utf-8")
    format_repo(repo)
    assert {relative: repo.path(relative).read_bytes() for relative in before} == before


NUMBERED = [(kind, f) for kind in KINDS.values() for f in kind.order if kind.schema["properties"][f].get("type") == "integer"]


@settings(max_examples=max(25, settings.default.max_examples // 2))
@given(corpora(), st.sampled_from(NUMBERED), st.integers(0, 10**6))
def test_fmt_leaves_a_number_written_as_a_string_where_it_was(spec, numbered, which):
    """fmt sorted a record whose start was "5" (a string: ZN201) to its document's end, where it was
    out of order once the quotes were taken off. Oracle: the file is as it was, that line included."""
    from zoomnews.sources.jsonl import dumps

    kind, name = numbered
    repo = spec.write(fresh_dir() / "repo")
    path = repo.path(kind.source)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assume(lines)
    i = which % len(lines)
    record = json.loads(lines[i])
    record[name] = str(record[name])
    lines[i] = dumps(record, kind.fields) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    format_repo(repo)
    assert path.read_text(encoding="utf-8").splitlines(keepends=True) == lines


@HEAVY
@given(corpora(max_documents=3), st.integers(1, 3), st.integers(1, 4))
def test_streaming_shards_split_by_node_yield_every_row_once(spec, shard_documents, world_size):
    repo = spec.write(fresh_dir() / "repo")
    build_release(repo, shard_documents=shard_documents)
    files, features = released(repo, "entities")
    full = list(load_dataset("parquet", data_files={"train": files}, split="train", streaming=True, features=features))
    seen = []
    for rank in range(world_size):
        stream = load_dataset("parquet", data_files={"train": files}, split="train", streaming=True, features=features)
        seen += [(r["doc_id"], r["id"]) for r in split_dataset_by_node(stream, rank=rank, world_size=world_size)]
    assert sorted(seen) == sorted((r["doc_id"], r["id"]) for r in full)
    assert len(seen) == len(set(seen)) == len(expected_rows(repo, "entities"))


@HEAVY
@given(corpora())
def test_parquet_schemas_equal_declared_features_and_records_their_schemas(spec):
    repo = spec.write(fresh_dir() / "repo")
    build_release(repo)
    declared = config_features(KINDS)
    for config, features in declared.items():
        files, manifest_features = released(repo, config)
        assert manifest_features == features
        for f in files:
            assert Features.from_arrow_schema(pq.read_schema(f)) == features
    for name, records in records_of(repo).items():
        for record in records:
            KINDS[name].validator.validate(record)


@given(corpora(), st.data())
def test_diff_reports_exactly_the_edit_made(spec, data):
    from zoomnews.tools.diff import diff_states

    before = {config: [dict(r) for r in spec.records[kind]] for config, kind in FLAT.items()}
    after = {config: [dict(r) for r in records] for config, records in before.items()}
    layer = data.draw(st.sampled_from(sorted(c for c in ("zones", "entities", "timexes", "quotes") if after[c])))
    record = data.draw(st.sampled_from(after[layer]))
    field = data.draw(st.sampled_from(["method", "annotator", "guideline"]))
    record[field] = {"method": "rule", "annotator": "a9", "guideline": "9.9.9"}[field] if record[field] != "rule" else "manual"
    result = diff_states(before, after)
    assert [(c["key"], c["fields"]) for c in result[layer].changed] == [({"doc_id": record["doc_id"], "id": record["id"]}, [field])]
    assert all(d.empty for name, d in result.items() if name != layer)
    assert diff_states(before, before)[layer].empty
