"""schema/ is the one source of truth: features are derived from it and every record satisfies it."""

import jsonschema
import pytest
from datasets import ClassLabel, List, Value

from conftest import ROOT
from zoomnews.release.configs import FLAT, config_features
from zoomnews.release.features import feature_for
from zoomnews.sources.schemas import KINDS, load_kinds
from zoomnews.sources.corpus import read_corpus
from zoomnews import CorpusRepo


def test_every_schema_is_valid_draft_2020_12():
    for kind in load_kinds(CorpusRepo(ROOT)).values():
        assert kind.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(kind.schema)
        assert kind.schema["additionalProperties"] is False


@pytest.mark.parametrize(
    "node, feature",
    [
        ({"type": "string"}, Value("string")),
        ({"type": "integer", "minimum": 0, "maximum": 2147483647}, Value("int32")),
        ({"type": "integer"}, Value("int64")),
        ({"type": ["integer", "null"], "minimum": 0, "maximum": 10}, Value("int32")),
        ({"type": "boolean"}, Value("bool")),
        ({"enum": ["a", "b"]}, ClassLabel(names=["a", "b"])),
        ({"enum": [None, "a"]}, Value("string")),
        ({"type": "array", "items": {"type": "string"}}, List(Value("string"))),
    ],
)
def test_schema_nodes_map_to_features(node, feature):
    assert feature_for(node) == feature


def test_config_columns_are_the_schema_properties_in_order():
    kinds = load_kinds(CorpusRepo(ROOT))
    features = config_features(kinds)
    for config, kind in FLAT.items():
        columns = [c for c in features[config] if not (config == "documents" and c == "text")]
        expected = list(kinds[kind].schema["properties"])
        derived, after = kinds[kind].from_first_article
        if derived:  # the documents' columns typed in their first article, released after `after`
            expected[expected.index(after) + 1:expected.index(after) + 1] = derived
        assert columns == expected


def test_the_documents_columns_are_those_of_release_1_1_2():
    """Typing provenance once (1.1.3) kept the released columns and their order."""
    from zoomnews.release.manifest import read_manifest

    before = read_manifest(ROOT / "releases" / "1.1.2")["configs"]["documents"]["features"]
    assert list(config_features(load_kinds(CorpusRepo(ROOT)))["documents"].to_dict()) == list(before)


def test_every_source_record_validates_against_its_schema():
    corpus = read_corpus(CorpusRepo(ROOT))
    for name in KINDS:
        for record in corpus.records[name]:
            corpus.kinds[name].validator.validate(record.data)


def test_the_named_span_layers_are_the_schemas_span_kinds():
    """SPAN_KINDS and LAYER_NAMES are module constants for the exchange formats: held to the schemas."""
    from pathlib import PurePosixPath

    from zoomnews.checks.validation import span_kinds
    from zoomnews.release.configs import FLAT
    from zoomnews.sources.schemas import LAYER_NAMES, SPAN_KINDS, load_kinds

    kinds = load_kinds(CorpusRepo(ROOT))
    assert SPAN_KINDS == span_kinds(kinds)
    assert {kind: PurePosixPath(kinds[kind].source).stem for kind in SPAN_KINDS} == LAYER_NAMES
    assert all(FLAT[LAYER_NAMES[kind]] == kind for kind in SPAN_KINDS)


def test_schemas_worked_out_apart_are_those_datasets_makes_here():
    """build's schemas come from a process of their own when its process has not imported `datasets`
    (configs.SchemasApart); they are the very schemas, `huggingface` metadata included."""
    import pickle
    import subprocess
    import sys

    from zoomnews.release.configs import config_schemas, declared_features

    program = ("import pickle, sys\n"
               "from pathlib import Path\n"
               "from zoomnews import CorpusRepo\n"
               "from zoomnews.release.configs import SchemasApart\n"
               "from zoomnews.sources.schemas import load_kinds\n"
               "if __name__ == '__main__':\n"
               "    with SchemasApart(load_kinds(CorpusRepo(Path(sys.argv[1])))) as later:\n"
               "        schemas = later()\n"
               "        assert later() is schemas\n"
               "    assert 'datasets' not in sys.modules\n"
               "    sys.stdout.buffer.write(pickle.dumps(schemas))\n")
    done = subprocess.run([sys.executable, "-c", program, str(ROOT)], capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    apart = pickle.loads(done.stdout)
    here = config_schemas(load_kinds(CorpusRepo(ROOT)))
    assert sorted(apart) == sorted(here)
    for config, schema in here.items():
        assert apart[config].equals(schema, check_metadata=True), config
        assert declared_features(schema) == config_features(load_kinds(CorpusRepo(ROOT)))[config].to_dict()
