"""Every config loads with its contract columns: load_dataset (streamed and not), zoomnews.load, pyarrow."""

import pyarrow.parquet as pq
import pytest
from datasets import ClassLabel, Features, load_dataset

import zoomnews
from conftest import ROOT
from zoomnews.release.configs import CONFIGS
from zoomnews.errors import ZoomnewsError
from zoomnews.release.manifest import read_manifest

CONTRACT = {
    "documents": "doc_id text sha256 source_file outlet title authors published published_evidence derived_from rights",
    "zones": "doc_id id start end label article_index",
    "entities": "doc_id id start end text label entity_id",
    "timexes": "doc_id id start end text type value mod article_index",
    "quotes": "doc_id id start end text type cue_start cue_end source_start source_end speaker statement_id",
    "default": "doc_id text zones entities timexes quotes",
}
CLASS_LABELS = {"zones": "label", "entities": "label", "timexes": "type", "quotes": "type", "documents": "published_evidence"}


def manifest_of(repo):
    return read_manifest(repo.release_dir(repo.dataset_version))


@pytest.mark.parametrize("config", CONFIGS)
def test_parquet_schema_equals_declared_features(built_copy, config):
    entry = manifest_of(built_copy)["configs"][config]
    declared = Features.from_dict(entry["features"])
    for f in entry["files"]:
        schema = pq.read_schema(built_copy.release_dir(built_copy.dataset_version) / f["path"])
        assert Features.from_arrow_schema(schema) == declared
        assert schema.equals(declared.arrow_schema, check_metadata=False)
    for column in CONTRACT.get(config, "").split():
        assert column in declared


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("streaming", [False, True])
def test_every_config_loads_through_load_dataset(built_copy, config, streaming):
    rows = manifest_of(built_copy)["configs"][config]["rows"]
    if rows == 0 and not streaming:
        pytest.skip("datasets cannot load an empty split non-streamed; the layer is empty in this release")
    dataset = load_dataset(str(built_copy.root), config, split="train", streaming=streaming)
    assert dataset.features == Features.from_dict(manifest_of(built_copy)["configs"][config]["features"])
    assert sum(1 for _ in dataset) == rows
    if config in CLASS_LABELS:
        assert isinstance(dataset.features[CLASS_LABELS[config]], ClassLabel), "ClassLabel survives the Parquet round trip"


def test_streaming_equals_non_streaming(built_copy):
    for config in CONFIGS:
        if manifest_of(built_copy)["configs"][config]["rows"]:
            eager = list(load_dataset(str(built_copy.root), config, split="train"))
            streamed = list(load_dataset(str(built_copy.root), config, split="train", streaming=True))
            assert eager == streamed
            assert list(zoomnews.iter_rows(load_dataset(str(built_copy.root), config, split="train", streaming=True), batch_size=2)) == streamed


def released_empty() -> list[tuple[str, str]]:
    """(version, config) of every config a committed release holds with no rows."""
    repo = zoomnews.CorpusRepo(ROOT)
    return [(version, config) for version in repo.released_versions()
            for config, entry in read_manifest(repo.release_dir(version))["configs"].items() if entry["rows"] == 0]


@pytest.mark.parametrize("version, config", released_empty())
@pytest.mark.parametrize("streaming", [False, True])
def test_a_config_released_empty_loads_as_an_empty_split_with_its_features(version, config, streaming):
    """datasets refuses to materialise an empty split (ValueError 'Instruction "train" corresponds to no data!')."""
    features = Features.from_dict(read_manifest(ROOT / "releases" / version)["configs"][config]["features"])
    dataset = zoomnews.load(config, version=version, repo=ROOT, streaming=streaming)
    assert dataset.features == features
    assert dataset.split == "train"
    assert list(dataset) == [] and list(zoomnews.iter_rows(dataset)) == []
    if not streaming:
        assert len(dataset) == 0 and dataset.column_names == list(features)
        assert dataset.data.schema.equals(features.arrow_schema, check_metadata=False)  # the columns a non-empty load holds


def test_the_first_release_holds_empty_configs():
    """The test above runs: release 0.1.0 held the layers and registries with no rows."""
    assert {config for version, config in released_empty() if version == "0.1.0"} >= {"zones", "entities", "timexes", "quotes"}


def test_zoomnews_load_by_version(built_copy):
    version = built_copy.dataset_version
    documents = zoomnews.load("documents", version=version, repo=built_copy.root)
    assert len(documents) == manifest_of(built_copy)["configs"]["documents"]["rows"]
    streamed = zoomnews.load("articles", repo=built_copy.root, streaming=True)
    assert sum(1 for _ in streamed) == manifest_of(built_copy)["configs"]["articles"]["rows"]


def test_zoomnews_load_takes_the_split_as_datasets_does(built_copy):
    """(`split` was passed twice: a TypeError.)"""
    whole = zoomnews.load("ner", repo=built_copy.root)
    assert zoomnews.load("ner", repo=built_copy.root, split="train")["tokens"] == whole["tokens"]
    assert zoomnews.load("ner", repo=built_copy.root, split="train[:10]")["tokens"] == whole["tokens"][:10]
    with pytest.raises(ValueError, match="Unknown split"):
        zoomnews.load("ner", repo=built_copy.root, split="test")
    with pytest.raises(ValueError, match="Unknown split"):  # a config released empty too
        zoomnews.load("zones", version="0.1.0", repo=ROOT, split="test")
    assert len(zoomnews.load("zones", version="0.1.0", repo=ROOT, split="train[:10]")) == 0


@pytest.mark.parametrize("config, version", [("nope", None), ("documents", "9.9.9")])
def test_unknown_config_or_version_is_a_coded_error(built_copy, config, version):
    with pytest.raises(ZoomnewsError) as error:
        zoomnews.load(config, version=version, repo=built_copy.root)
    assert error.value.problems[0].code == "ZN903"
