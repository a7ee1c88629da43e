"""JSON Schema -> `datasets.Features`: the Parquet/Arrow shape of every config is derived, not restated.
Imports `datasets`: on a large corpus, build's streaming processes never import this module (see
zoomnews.release.configs.SchemasApart).

Mapping: string -> string; integer -> int32 when the schema bounds it to 32 bits, else int64;
boolean -> bool; a closed enum of strings -> ClassLabel (names in schema order, so appending a
label keeps existing integers); an enum that admits null -> string; array -> List; object -> dict.
"""

from __future__ import annotations

from datasets import ClassLabel, Features, List, Value

from zoomnews.release.views import NER_TAGS

INT32 = (-(2**31), 2**31 - 1)


def _types(node: dict) -> list[str]:
    t = node.get("type", [])
    return [t] if isinstance(t, str) else list(t)


def feature_for(node: dict):
    if "enum" in node:
        names = node["enum"]
        if None in names or not all(isinstance(n, str) for n in names):
            return Value("string")
        return ClassLabel(names=list(names))
    types = [t for t in _types(node) if t != "null"]
    if len(types) != 1:
        raise ValueError(f"cannot map a schema node with types {types} to one Arrow type")
    kind = types[0]
    if kind == "string":
        return Value("string")
    if kind == "boolean":
        return Value("bool")
    if kind == "integer":
        lo, hi = node.get("minimum", -(2**63)), node.get("maximum", 2**63 - 1)
        return Value("int32" if INT32[0] <= lo and hi <= INT32[1] else "int64")
    if kind == "number":
        return Value("float64")
    if kind == "array":
        return List(feature_for(node["items"]))
    if kind == "object":
        return {name: feature_for(sub) for name, sub in node["properties"].items()}
    raise ValueError(f"unsupported schema type {kind!r}")


def features_for(schema: dict, drop: tuple[str, ...] = ()) -> Features:
    return Features({name: feature_for(node) for name, node in schema["properties"].items() if name not in drop})


# the training views' columns (zoomnews.release.views makes their rows)
ADJUSTED = {"layer": Value("string"), "id": Value("string"), "reason": Value("string")}
NER_FEATURES = Features({
    "doc_id": Value("string"), "sentence": Value("int32"), "start": Value("int32"), "end": Value("int32"),
    "tokens": List(Value("string")), "token_starts": List(Value("int32")), "token_ends": List(Value("int32")),
    "ner_tags": List(ClassLabel(names=list(NER_TAGS))), "adjusted": List(ADJUSTED),
})
TOKEN_SPAN = {"start_token": Value("int32"), "end_token": Value("int32"), "start": Value("int32"), "end": Value("int32")}
ATTRIBUTION_FEATURES = Features({
    "doc_id": Value("string"), "id": Value("string"), "type": Value("string"),
    "paragraph": Value("string"), "paragraph_start": Value("int32"), "paragraph_end": Value("int32"),
    "tokens": List(Value("string")), "token_starts": List(Value("int32")), "token_ends": List(Value("int32")),
    "content": TOKEN_SPAN, "source": TOKEN_SPAN, "cue": TOKEN_SPAN,
    "speaker": Value("string"), "speaker_name": Value("string"), "speaker_kind": Value("string"),
    "statement_id": Value("string"),
})
