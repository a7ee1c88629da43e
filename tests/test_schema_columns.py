"""A record schema's properties are columns (ZN113, zoomnews.sources.schemas.column_problem): each takes
one Arrow type exactly. Every property the reader accepts, the release maps to Features of that very
type; every other one is refused when the schemas load, so `validate`, `fmt` and `build` stop with one
coded problem. (A property of two types once gave ~1,200 false ZN302s, its values read as JSON text,
and a traceback from build.)"""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from click.testing import CliRunner
from hypothesis import example, given, strategies as st

from test_reader_safety import assert_refused, snapshot
from zoomnews.cli import main
from zoomnews.errors import ZoomnewsError
from zoomnews.release.configs import _plain
from zoomnews.release.features import Features, feature_for
from zoomnews.sources.schemas import column_problem, load_kinds
from zoomnews.sources.tables import arrow_type

TYPES = ["string", "integer", "boolean", "number", "null", "object", "array"]
bounds = st.fixed_dictionaries({}, optional={"minimum": st.integers(-(2**40), 0), "maximum": st.integers(0, 2**40)})
SCALARS = ["string", "integer", "boolean"]
one_type = st.one_of(st.sampled_from(SCALARS), st.sampled_from(SCALARS).map(lambda t: [t, "null"]),
                     st.sampled_from(TYPES), st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True))
mostly = st.sampled_from([True, True, True, False])  # most generated properties are columns, the rest are not
leaves = st.one_of(
    st.builds(lambda t, b: {"type": t, **b}, one_type, bounds),
    st.builds(lambda values: {"enum": values}, st.lists(st.text(max_size=3), min_size=1, max_size=4, unique=True)),
    st.builds(lambda values: {"enum": values}, st.lists(st.one_of(st.text(max_size=3), st.none(), st.integers(0, 3)), min_size=1, max_size=4, unique=True)),
    st.booleans(),  # a boolean schema
)


def _array(items, with_items: bool, nullable: bool) -> dict:
    return {"type": ["array", "null"] if nullable else "array", **({"items": items} if with_items else {})}


def _object(properties: dict, all_required: bool, closed: bool) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties) if all_required else list(properties)[:1],
            **({"additionalProperties": False} if closed else {})}


nodes = st.recursive(leaves, lambda children: st.one_of(
    st.builds(_array, children, mostly, st.booleans()),
    st.builds(_object, st.dictionaries(st.sampled_from("abc"), children, max_size=3), mostly, mostly),
), max_leaves=6)


def _wide_integers(arrow: pa.DataType) -> pa.DataType:
    """`arrow` with int32 read as int64: the reader reads every integer as int64, the release narrows a bounded one."""
    if pa.types.is_struct(arrow):
        return pa.struct([pa.field(f.name, _wide_integers(f.type)) for f in arrow])
    if pa.types.is_list(arrow):
        return pa.list_(_wide_integers(arrow.value_type))
    return pa.int64() if arrow == pa.int32() else arrow


def _nullable(node: dict, nullable: bool) -> dict:
    if not nullable:
        return node
    if "enum" in node:
        return {**node, "enum": [*node["enum"], None]}
    return {**node, "type": [node["type"], "null"]}


# properties that are columns, by construction: a scalar, a list of one, or a closed object of them
scalars = st.builds(_nullable, st.one_of(
    st.builds(lambda t, b: {"type": t, **(b if t == "integer" else {})}, st.sampled_from(SCALARS), bounds),
    st.builds(lambda values: {"enum": values}, st.lists(st.text(max_size=3), min_size=1, max_size=4, unique=True)),
), st.booleans())
columns = st.one_of(
    scalars,
    st.builds(lambda item, nullable: _nullable({"type": "array", "items": item}, nullable), scalars, st.booleans()),
    st.builds(lambda properties: _object(properties, True, True), st.dictionaries(st.sampled_from("abc"), scalars, min_size=1, max_size=3)),
)


def _record_schema(node) -> dict:
    return {"type": "object", "properties": {"x": node}, "required": ["x"], "additionalProperties": False}


@given(nodes)
def test_a_property_is_refused_exactly_when_the_reader_has_no_type_for_it(node):
    problem = column_problem(_record_schema(node))
    assert (problem is None) == (arrow_type(node) is not None)
    assert problem is None or "'x'" in problem


@example({"type": "boolean"})
@example({"type": ["integer", "null"], "minimum": 0, "maximum": 10})
@example({"type": "integer"})
@example({"enum": ["a", "b"]})
@example({"enum": ["a", None]})
@example({"type": "array", "items": {"type": "boolean"}})
@example(_object({"a": {"type": "integer", "minimum": 0, "maximum": 5}, "b": {"enum": ["x"]}}, True, True))
@given(columns)
def test_a_column_the_reader_types_is_declared_with_that_very_type(node):
    assert column_problem(_record_schema(node)) is None
    features = Features({"x": feature_for(node)})  # never raises for a property the schemas admit
    declared = features.arrow_schema.field("x").type
    assert _wide_integers(_plain(declared, features.to_dict()["x"])) == arrow_type(node)


BAD_PROPERTIES = {
    "two types": {"type": ["string", "integer"]},
    "a number": {"type": "number"},
    "only null": {"type": "null"},
    "any value": True,
    "a list without items": {"type": "array"},
    "a list of lists": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
    "an open object": {"type": "object", "properties": {"a": {"type": "string"}}},
    "an enum of numbers": {"enum": [1, 2]},
}


@pytest.mark.parametrize("case", sorted(BAD_PROPERTIES))
def test_a_property_of_no_one_column_type_stops_every_command_with_zn113(repo_copy, case):
    path = repo_copy.path("schema/entity.schema.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["text"] = BAD_PROPERTIES[case]
    path.write_text(json.dumps(schema, indent=2), encoding="utf-8")
    before = snapshot(repo_copy.root)
    with pytest.raises(ZoomnewsError) as error:
        load_kinds(repo_copy)
    [problem] = error.value.problems
    assert (problem.code, problem.file) == ("ZN113", "schema/entity.schema.json") and "'text'" in problem.message
    for command in (["validate"], ["fmt"], ["build", "--version", "9.9.9"]):
        assert_refused(CliRunner().invoke(main, [*command, "--repo", str(repo_copy.root)]), "ZN113", "schema/entity.schema.json")
    assert snapshot(repo_copy.root) == before and not repo_copy.release_dir("9.9.9").exists()


SCHEMA_EDITS = {
    "a boolean schema (true)": lambda schema: True,
    "a boolean schema (false)": lambda schema: False,
    "an open record": lambda schema: {**schema, "additionalProperties": True},  # an extra field passed, and was never released
    "no additionalProperties": lambda schema: {k: v for k, v in schema.items() if k != "additionalProperties"},
    "a required name with no property": lambda schema: {**schema, "required": [*schema["required"], "ghost"]},
}


@pytest.mark.parametrize("case", sorted(SCHEMA_EDITS))
def test_a_record_schema_that_is_not_a_closed_object_stops_every_command_with_zn113(repo_copy, case):
    path = repo_copy.path("schema/entity.schema.json")
    path.write_text(json.dumps(SCHEMA_EDITS[case](json.loads(path.read_text(encoding="utf-8"))), indent=2), encoding="utf-8")
    before = snapshot(repo_copy.root)
    for command in (["validate"], ["fmt"], ["build", "--version", "9.9.9"]):
        assert_refused(CliRunner().invoke(main, [*command, "--repo", str(repo_copy.root)]), "ZN113", "schema/entity.schema.json")
    assert snapshot(repo_copy.root) == before and not repo_copy.release_dir("9.9.9").exists()
