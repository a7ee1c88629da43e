"""ZN504 without `datasets` (issue 16): the rule stays "a released file's Parquet schema equals the
features its manifest declares", as datasets.Features decided it:

    Features.from_arrow_schema(schema) == features and schema.equals(features.arrow_schema, check_metadata=False)

with features = Features.from_dict(manifest features). zoomnews.checks.releases decides the case
`build` writes with pyarrow alone (columns as declared, `huggingface` metadata declaring the same
features) and leaves every other case to `datasets`. Checked here: every released file in releases/
is decided without `datasets`, and on those files and on mutations of their schema and of their
manifest features, the new check gives what the datasets rule gives (the same verdict, or the same
exception)."""

import copy
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import ClassLabel, Features, List, Value

from conftest import ROOT
from zoomnews.checks.releases import VALUE_TYPES, Declared, arrow_type, declared_schema, matches_without_datasets, schema_matches


def datasets_rule(schema: pa.Schema, features: dict) -> bool:
    """ZN504 as release_check decided it before issue 16 (True: no problem)."""
    declared = Features.from_dict(features)
    return not (Features.from_arrow_schema(schema) != declared or not schema.equals(declared.arrow_schema, check_metadata=False))


def new_rule(schema: pa.Schema, features: dict) -> bool:
    return schema_matches(schema, Declared(features))


def outcome(rule, schema, features):
    try:
        return rule(schema, features)
    except Exception as e:  # noqa: BLE001 - an exception is an outcome both must share
        return type(e)


def raised(function, *args):
    try:
        function(*args)
    except Exception as e:  # noqa: BLE001
        return type(e)
    return None


def released() -> list[tuple[str, pa.Schema, dict]]:
    """(label, Parquet schema, manifest features) of every file of every release in this checkout."""
    files = []
    for manifest_path in sorted((ROOT / "releases").glob("*/manifest.json")):
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for config in manifest["configs"].values():
            for entry in config["files"]:
                schema = pq.ParquetFile(manifest_path.parent / entry["path"]).schema_arrow
                files.append((f"{manifest['version']}/{entry['path']}", schema, config["features"]))
    return files


RELEASED = released()


def with_hf(schema: pa.Schema, hf) -> pa.Schema:
    return schema.with_metadata({b"huggingface": hf if isinstance(hf, bytes) else json.dumps(hf).encode()})


def first(features: dict, kind: str):
    """The name of the first top-level feature of `kind` (Value, ClassLabel, List), or None."""
    return next((name for name, f in features.items() if isinstance(f, dict) and f.get("_type") == kind), None)


def schema_mutations(schema: pa.Schema, features: dict):
    """Schemas that differ from a released one in each way the rule looks at (or ignores)."""
    fields = list(schema)
    meta = schema.metadata
    yield "no metadata", schema.remove_metadata()
    yield "metadata without features", with_hf(schema, {"info": {}})
    yield "metadata features null", with_hf(schema, {"info": {"features": None}})
    yield "metadata not JSON", with_hf(schema, b"{not json")
    yield "metadata not UTF-8", with_hf(schema, b"\xff\xfe")
    yield "metadata a list", with_hf(schema, [1, 2])
    yield "metadata columns reordered", with_hf(schema, {"info": {"features": dict(reversed(features.items()))}})
    yield "metadata with an id key", with_hf(schema, {"info": {"features": {n: {**f, "id": None} if isinstance(f, dict) and "_type" in f else f for n, f in features.items()}}})
    yield "metadata missing a column", with_hf(schema, {"info": {"features": dict(list(features.items())[:-1])}})
    label = first(features, "ClassLabel")
    if label:
        changed = copy.deepcopy(features)
        changed[label]["names"] = list(reversed(changed[label]["names"]))
        yield "metadata label names reordered", with_hf(schema, {"info": {"features": changed}})
        changed = copy.deepcopy(features)
        changed[label] = {"dtype": "int64", "_type": "Value"}
        yield "metadata label as int64", with_hf(schema, {"info": {"features": changed}})
    value = first(features, "Value")
    changed = copy.deepcopy(features)
    changed[value]["dtype"] = "large_string" if changed[value]["dtype"] == "string" else "string"
    yield "metadata dtype changed", with_hf(schema, {"info": {"features": changed}})
    yield "column type widened", pa.schema([fields[0].with_type(pa.large_string() if fields[0].type == pa.string() else pa.int64()), *fields[1:]], metadata=meta)
    yield "last column dropped", pa.schema(fields[:-1], metadata=meta)
    yield "first columns swapped", pa.schema([fields[1], fields[0], *fields[2:]], metadata=meta)
    yield "column renamed", pa.schema([fields[0].with_name(fields[0].name + "_x"), *fields[1:]], metadata=meta)
    yield "column not nullable", pa.schema([fields[0].with_nullable(False), *fields[1:]], metadata=meta)
    yield "extra column", pa.schema([*fields, pa.field("extra", pa.string())], metadata=meta)
    yield "field metadata", pa.schema([fields[0].with_metadata({b"k": b"v"}), *fields[1:]], metadata=meta)
    yield "schema metadata added", schema.with_metadata({**meta, b"other": b"x"})
    listed = next((i for i, f in enumerate(fields) if pa.types.is_list(f.type)), None)
    if listed is not None:
        item = fields[listed].type.value_type
        yield "list item named element", pa.schema([*fields[:listed], fields[listed].with_type(pa.list_(pa.field("element", item))), *fields[listed + 1:]], metadata=meta)
        yield "large list", pa.schema([*fields[:listed], fields[listed].with_type(pa.large_list(item)), *fields[listed + 1:]], metadata=meta)


def feature_mutations(features: dict):
    """Manifest features that differ from a released one."""
    value, label, listed = first(features, "Value"), first(features, "ClassLabel"), first(features, "List")

    def changed(name, new):
        out = copy.deepcopy(features)
        out[name] = new
        return out

    yield "dtype widened", changed(value, {"dtype": "int64" if features[value]["dtype"] == "int32" else "large_string", "_type": "Value"})
    yield "dtype alias", changed(value, {"dtype": "double", "_type": "Value"})
    yield "id key", changed(value, {**features[value], "id": None})
    yield "unknown key", changed(value, {**features[value], "colour": "red"})
    yield "unknown type", changed(value, {"dtype": "string", "_type": "Bogus"})
    yield "unknown dtype", changed(value, {"dtype": "text", "_type": "Value"})
    yield "column dropped", dict(list(features.items())[:-1])
    yield "columns reordered", dict(reversed(features.items()))
    if label:
        yield "label names duplicated", changed(label, {"names": features[label]["names"] * 2, "_type": "ClassLabel"})
        yield "label by num_classes", changed(label, {"num_classes": len(features[label]["names"]), "_type": "ClassLabel"})
        yield "label names reordered", changed(label, {"names": list(reversed(features[label]["names"])), "_type": "ClassLabel"})
    if listed:
        yield "Sequence for List", changed(listed, {**features[listed], "_type": "Sequence"})
        yield "LargeList for List", changed(listed, {**features[listed], "_type": "LargeList"})
        yield "old-style list", changed(listed, [features[listed]["feature"]])


def test_every_released_file_is_decided_without_datasets():
    assert len(RELEASED) >= 50, "releases/ holds fewer files than expected"
    undecided = [label for label, schema, features in RELEASED if not matches_without_datasets(schema, Declared(features))]
    assert undecided == [], "validate would import datasets for these released files"
    assert all(datasets_rule(schema, features) for _, schema, features in RELEASED)


def distinct(items):
    seen, out = set(), []
    for label, schema, features in items:
        key = (schema.to_string(show_schema_metadata=True), json.dumps(features))
        if key not in seen:
            seen.add(key)
            out.append((label, schema, features))
    return out


@pytest.mark.parametrize("label,schema,features", distinct(RELEASED), ids=lambda v: v if isinstance(v, str) else "")
def test_mutated_schemas_and_features_get_the_datasets_verdict(label, schema, features):
    cases = [("released", schema, features)]
    cases += [(f"schema: {what}", mutated, features) for what, mutated in schema_mutations(schema, features)]
    cases += [(f"features: {what}", schema, mutated) for what, mutated in feature_mutations(features)]
    verdicts = {}
    for what, s, f in cases:
        old, new = outcome(datasets_rule, s, f), outcome(new_rule, s, f)
        assert new == old, f"{label}, {what}: datasets says {old}, release_check says {new}"
        # manifest features datasets refuses raise where they did: before any file is looked at
        assert raised(Declared, f) == raised(Features.from_dict, f), f"{label}, {what}"
        fast = outcome(lambda s_, f_: matches_without_datasets(s_, Declared(f_)), s, f)
        assert fast is not True or old is True, f"{label}, {what}: decided without datasets, wrongly"
        verdicts[what] = old
    # the mutations do reach both verdicts and the exceptions, or they prove little
    assert True in verdicts.values() and False in verdicts.values()
    assert any(isinstance(v, type) for v in verdicts.values())


DATASETS_FEATURES = [
    *[Value(dtype) for dtype in VALUE_TYPES],
    ClassLabel(names=["a", "b"]),
    ClassLabel(names=[]),
    List(Value("string")),
    List(List(Value("int32"))),
    List(ClassLabel(names=["x"])),
    {"start": Value("int32"), "labels": List(ClassLabel(names=["p", "q"]))},
    List({"text": Value("string"), "inner": {"flag": Value("bool")}}),
    {},
]


@pytest.mark.parametrize("feature", DATASETS_FEATURES, ids=repr)
def test_arrow_type_is_what_datasets_gives(feature):
    features = Features({"column": feature})
    as_dict = features.to_dict()
    assert declared_schema(as_dict) is not None, f"{as_dict} left to datasets"
    assert declared_schema(as_dict).equals(features.arrow_schema, check_metadata=False)
    assert arrow_type(as_dict["column"]) == features.arrow_schema.field("column").type
