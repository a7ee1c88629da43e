"""The release configs — the public data contract — and how each becomes an Arrow table.

Flat configs are the source records as they are (field names and order from the schemas), with
closed label sets encoded as ClassLabel integers; `documents` adds the raw `text`; `default` is one
row per document with every layer nested, grouped in Arrow rather than in Python.

`config_features` gives every config's `datasets.Features`; everything after works from their Arrow
schemas (`config_schemas`: `huggingface` metadata included, which declares the features), so that
on a large corpus build's streaming pass, in every process, runs without importing `datasets` (and
pandas): about 85 MiB and a second of CPU a process (zoomnews.release.building.APART_FROM).
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zoomnews.sources.schemas import Kind
from zoomnews.sources.corpus import Corpus, canonical_key
from zoomnews.release.views import LEFT_OUT, NER_TAGS, view_tables

# config name -> source kind, for configs that are one source file each
FLAT = {
    "documents": "document",
    "articles": "article",
    "zones": "zone",
    "entities": "entity",
    "timexes": "timex",
    "quotes": "quote",
    "entity_registry": "registry_entity",
    "speaker_registry": "registry_speaker",
    "statement_registry": "registry_statement",
}
# nested lists of the `default` config: column -> config it nests (without doc_id)
NESTED = {"articles": "articles", "zones": "zones", "entities": "entities", "timexes": "timexes", "quotes": "quotes"}
# `statements`: one row per registered statement with every outlet's quote of it, side by side
ALIGNED_QUOTE_FIELDS = ("doc_id", "id", "start", "end", "text", "type", "source_text", "speaker")
CONFIGS = ("default", "documents", "articles", "zones", "entities", "timexes", "quotes", "statements",
           "ner", "attribution", "entity_registry", "speaker_registry", "statement_registry")


def config_features(kinds: dict[str, Kind]) -> dict:
    """Every config's `datasets.Features` (imports `datasets`)."""
    from datasets import Features, List, Value

    from zoomnews.release.features import ATTRIBUTION_FEATURES, NER_FEATURES, features_for

    features = {name: features_for(kinds[kind].schema) for name, kind in FLAT.items()}
    derived, after = kinds["document"].from_first_article
    doc = {}
    for name, feature in features["documents"].items():
        doc[name] = feature
        if name == after:
            doc.update({field: features["articles"][field] for field in derived})
    features["documents"] = Features({"doc_id": doc.pop("doc_id"), "text": Value("string"), **doc})
    default = dict(features["documents"])
    for column, config in NESTED.items():
        default[column] = List({k: v for k, v in features[config].items() if k != "doc_id"})
    aligned = {"outlet": Value("string"), **{f: features["quotes"][f] for f in ALIGNED_QUOTE_FIELDS}}
    statements = Features({**features["statement_registry"], "outlets": Value("int32"), "quotes": List(aligned)})
    return {"default": Features(default), "statements": statements, "ner": NER_FEATURES, "attribution": ATTRIBUTION_FEATURES, **features}


def config_schemas(kinds: dict[str, Kind]) -> dict[str, pa.Schema]:
    """Every config's Arrow schema as `datasets` makes it from config_features (imports `datasets`;
    see SchemasApart)."""
    return {name: features.arrow_schema for name, features in config_features(kinds).items()}


class SchemasApart:
    """config_schemas(kinds), worked out in a Python process of its own (zoomnews.release.apart),
    started now: build needs the schemas only once its first block is written, and `datasets` only
    for them, so the process imports it while validation begins. Call it for the schemas (the first
    call waits; validate's first range and the pickling of the other ranges' consumer may ask at
    once). A context manager: leaving it stops the process if it still runs."""

    def __init__(self, kinds: dict[str, Kind]):
        import threading

        from zoomnews.release.apart import Apart

        self._kinds, self._lock, self._schemas = kinds, threading.Lock(), None
        self._process = Apart(__name__, "work out the configs' schemas")

    def __call__(self) -> dict[str, pa.Schema]:
        with self._lock:
            if self._schemas is None:
                self._schemas = self._process.result(self._kinds)
            return self._schemas

    def __enter__(self) -> SchemasApart:
        return self

    def __exit__(self, *exc) -> None:
        self._process.__exit__(*exc)


def declared_features(schema: pa.Schema) -> dict:
    """The features a config's schema declares (its `huggingface` metadata), in Features.to_dict() form."""
    return json.loads(schema.metadata[b"huggingface"])["info"]["features"]


def document_configs(schemas: dict[str, pa.Schema]) -> tuple[str, ...]:
    """The configs keyed by document (a `doc_id` column): released in shards of documents."""
    return tuple(name for name in CONFIGS if "doc_id" in schemas[name].names)


def _is_label(feature: dict) -> bool:
    return feature.get("_type") == "ClassLabel"


def _plain(arrow_type: pa.DataType, feature: dict) -> pa.DataType:
    """The Arrow type a column of `arrow_type` (declared as `feature`, to_dict() form) has before
    ClassLabel strings are encoded as integers."""
    if _is_label(feature):
        return pa.string()
    if pa.types.is_struct(arrow_type):
        return pa.struct([pa.field(field.name, _plain(field.type, feature[field.name])) for field in arrow_type])
    if pa.types.is_list(arrow_type):
        return pa.list_(_plain(arrow_type.value_type, feature["feature"]))
    return arrow_type


def plain_schema(schema: pa.Schema) -> pa.Schema:
    """`schema` with ClassLabel columns as their strings (the shape of the sources' rows)."""
    features = declared_features(schema)
    return pa.schema([pa.field(field.name, _plain(field.type, features[field.name])) for field in schema])


def _encode(array: pa.Array, feature: dict) -> pa.Array:
    if _is_label(feature):
        return pc.index_in(array, value_set=pa.array(feature["names"], type=pa.string())).cast(pa.int64())
    if "_type" not in feature:  # a dict of features: a struct
        children = [_encode(array.field(k), v) for k, v in feature.items()]
        return pa.StructArray.from_arrays(children, names=list(feature), mask=array.is_null())
    if feature["_type"] == "List":
        return pa.ListArray.from_arrays(array.offsets, _encode(array.flatten(), feature["feature"]), mask=array.is_null())
    return array


def table_from_rows(rows: list[dict], schema: pa.Schema) -> pa.Table:
    """Records (ClassLabel values as their names) as a config's table."""
    return table_from_arrow(pa.Table.from_pylist(rows, schema=plain_schema(schema)), schema)


def table_from_arrow(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A span layer as validate read it (plain Arrow types, canonical order) as its config's table."""
    features = declared_features(schema)
    columns = [pc.cast(_encode(table.column(name).combine_chunks(), feature), schema.field(name).type) for name, feature in features.items()]
    return pa.Table.from_arrays(columns, schema=schema)


def block_tables(tables: dict[str, pa.Table], texts: dict[str, str], kinds: dict[str, Kind], schemas: dict[str, pa.Schema],
                 speakers: list[dict]) -> dict[str, pa.Table]:
    """The rows of a block of consecutive documents in every document-keyed config, in canonical
    order, and `aligned_quotes` (the block's quotes as `statements` aligns them, with `statement_id`).
    `tables`: the block's rows of each document-keyed source kind as validate read them (canonical
    order); `texts`: the documents' texts. Assumes the block validated."""
    out = {}
    for config, kind in FLAT.items():
        if kind not in tables:
            continue
        table = tables[kind]
        if config == "documents":
            table = with_first_article(table, tables["article"], kinds["document"].from_first_article[0])
            table = table.append_column("text", pa.array([texts[d] for d in table.column("doc_id").to_pylist()], type=pa.string()))
        out[config] = table_from_arrow(table, schemas[config])
    out["default"] = nest_by_document(out, schemas["default"])
    doc_ids = out["documents"].column("doc_id").to_pylist()
    quotes: dict[str, list[dict]] = {d: [] for d in doc_ids}
    for row in tables["quote"].select(VIEW_FIELDS["quote"]).to_pylist():
        quotes[row["doc_id"]].append(row)
    view_of = {kind: tables[kind].select(VIEW_FIELDS[kind]) for kind in ("entity", "timex")}
    out["ner"], out["attribution"] = view_tables({d: texts[d] for d in doc_ids}, view_of["entity"], view_of["timex"], quotes, speakers,
                                                 (schemas["ner"], schemas["attribution"]))
    outlets = dict(zip(doc_ids, tables["document"].column("outlet").to_pylist()))
    aligned = tables["quote"].select([*ALIGNED_QUOTE_FIELDS, "statement_id"])
    out["aligned_quotes"] = aligned.append_column("outlet", pa.array([outlets[d] for d in aligned.column("doc_id").to_pylist()], type=pa.string()))
    return out


def with_first_article(documents: pa.Table, articles: pa.Table, fields: tuple[str, ...]) -> pa.Table:
    """`documents` with `fields` of each one's first article (article_index 0) appended: the
    provenance typed once, in corpus/articles.jsonl, released in both configs. A document without
    its first article (ZN413) gets nulls."""
    first = articles.filter(pc.equal(articles.column("article_index"), 0))
    where = pc.index_in(documents.column("doc_id"), value_set=first.column("doc_id"))
    for field in fields:
        documents = documents.append_column(field, first.column(field).take(where))
    return documents


def aligned(statements: pa.Table, aligned_quotes: pa.Table | None, schema: pa.Schema) -> pa.Table:
    """Each registered statement (`statements`: the registry's rows, canonical order) with its quotes
    from every document (`aligned_quotes`: outlet, ALIGNED_QUOTE_FIELDS and statement_id, canonical
    order, kept: the sort is stable) and the number of documents quoting it; in Arrow, plain types.
    `aligned_quotes` None: no quotes. `schema`: the `statements` config's."""
    fields = ["outlet", *ALIGNED_QUOTE_FIELDS]
    if aligned_quotes is None:
        struct = plain_schema(schema).field("quotes").type.value_type
        aligned_quotes = pa.table({**{name: pa.array([], type=struct.field(name).type) for name in fields}, "statement_id": pa.array([], type=pa.string())})
    owner = pc.index_in(aligned_quotes.column("statement_id"), value_set=statements.column("id")).to_numpy(zero_copy_only=False)
    counts = np.bincount(owner, minlength=statements.num_rows)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]), type=pa.int32())
    members = aligned_quotes.take(pa.array(np.argsort(owner, kind="stable"), type=pa.int64()))
    quotes = pa.ListArray.from_arrays(offsets, pa.StructArray.from_arrays([members.column(f).combine_chunks() for f in fields], names=fields))
    pairs = pa.table({"owner": owner, "doc_id": aligned_quotes.column("doc_id")}).group_by(["owner", "doc_id"]).aggregate([])
    outlets = np.bincount(pairs.column("owner").to_numpy(), minlength=statements.num_rows)
    return statements.append_column("outlets", pa.array(outlets, type=pa.int32())).append_column("quotes", quotes)


# the fields of each layer the training views read (the rest never become Python objects)
VIEW_FIELDS = {
    "entity": ["doc_id", "id", "start", "end", "label"],
    "timex": ["doc_id", "id", "start", "end", "type"],
    "quote": ["doc_id", "id", "start", "end", "type", "cue_start", "cue_end", "source_start", "source_end", "speaker", "statement_id"],
}


def ner_tally(ner: pa.Table) -> tuple[int, int]:
    """(spans tagged, spans left out: overlapping, or over a line break) in `ner` rows: counted in Arrow, for build's
    counts-in = counts-out check (at scale the view holds millions of tags)."""
    beginnings = pa.array([i for i, tag in enumerate(NER_TAGS) if tag.startswith("B-")], type=pa.int64())
    tags = pc.list_flatten(ner.column("ner_tags"))
    begun = pc.sum(pc.is_in(tags, value_set=beginnings)).as_py() or 0
    reasons = pc.struct_field(pc.list_flatten(ner.column("adjusted")), "reason")
    return begun, pc.sum(pc.is_in(reasons, value_set=pa.array(LEFT_OUT))).as_py() or 0


def nest_by_document(tables: dict[str, pa.Table], schema: pa.Schema) -> pa.Table:
    documents = tables["documents"]
    doc_ids = documents.column("doc_id")
    columns = {name: documents.column(name) for name in documents.column_names}
    for column, config in NESTED.items():
        layer = tables[config]  # already sorted by doc_id first
        positions = pc.index_in(layer.column("doc_id"), value_set=doc_ids).to_numpy(zero_copy_only=False)
        offsets = np.concatenate([[0], np.cumsum(np.bincount(positions, minlength=len(doc_ids)))]).astype(np.int32)
        fields = [name for name in layer.column_names if name != "doc_id"]
        struct = pa.StructArray.from_arrays([layer.column(f).combine_chunks() for f in fields], names=fields)
        columns[column] = pa.ListArray.from_arrays(pa.array(offsets), struct)
    return pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)



def align_statements(corpus: Corpus) -> list[dict]:
    """Each registered statement with its quotes from every document, in document order (as records)."""
    schemas = config_schemas(corpus.kinds)
    outlets = {r["doc_id"]: r["outlet"] for r in corpus.rows("document")}
    quotes = sorted(corpus.rows("quote"), key=canonical_key(corpus.kinds["quote"]))
    struct = plain_schema(schemas["statements"]).field("quotes").type.value_type
    quote_table = pa.table({**{field.name: pa.array([outlets[q["doc_id"]] if field.name == "outlet" else q[field.name] for q in quotes], type=field.type)
                               for field in struct}, "statement_id": pa.array([q["statement_id"] for q in quotes], type=pa.string())})
    statements = sorted(corpus.rows("registry_statement"), key=canonical_key(corpus.kinds["registry_statement"]))
    statement_table = pa.Table.from_pylist(statements, schema=plain_schema(schemas["statement_registry"]))
    return aligned(statement_table, quote_table, schemas["statements"]).to_pylist()


def _import_datasets() -> None:
    import datasets  # noqa: F401


if __name__ == "__main__":  # SchemasApart's process: `datasets` imports before the kinds come, then their configs' schemas go out
    from zoomnews.release.apart import serve

    serve(config_schemas, prepare=_import_datasets)
