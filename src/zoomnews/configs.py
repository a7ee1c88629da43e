"""The release configs — the public data contract — and how each becomes an Arrow table.

Flat configs are the source records as they are (field names and order from the schemas), with
closed label sets encoded as ClassLabel integers; `documents` adds the raw `text`; `default` is one
row per document with every layer nested, grouped in Arrow rather than in Python.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from datasets import ClassLabel, Features, List, Value

from zoomnews.features import features_for
from zoomnews.schemas import Kind
from zoomnews.sources import Corpus, canonical_key
from zoomnews.grouped import Layer
from zoomnews.views import ATTRIBUTION_FEATURES, NER_FEATURES, view_tables

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


def config_features(kinds: dict[str, Kind]) -> dict[str, Features]:
    features = {name: features_for(kinds[kind].schema) for name, kind in FLAT.items()}
    doc = dict(features["documents"])
    features["documents"] = Features({"doc_id": doc.pop("doc_id"), "text": Value("string"), **doc})
    default = dict(features["documents"])
    for column, config in NESTED.items():
        default[column] = List({k: v for k, v in features[config].items() if k != "doc_id"})
    aligned = {"outlet": Value("string"), **{f: features["quotes"][f] for f in ALIGNED_QUOTE_FIELDS}}
    statements = Features({**features["statement_registry"], "outlets": Value("int32"), "quotes": List(aligned)})
    return {"default": Features(default), "statements": statements, "ner": NER_FEATURES, "attribution": ATTRIBUTION_FEATURES, **features}


def _plain(feature):
    """The Arrow type a feature has before ClassLabel strings are encoded as integers."""
    if isinstance(feature, ClassLabel):
        return pa.string()
    if isinstance(feature, dict):
        return pa.struct([pa.field(k, _plain(v)) for k, v in feature.items()])
    if isinstance(feature, List):
        return pa.list_(_plain(feature.feature))
    return Features({"x": feature}).arrow_schema.field("x").type


def _encode(array: pa.Array, feature) -> pa.Array:
    if isinstance(feature, ClassLabel):
        return pc.index_in(array, value_set=pa.array(feature.names)).cast(pa.int64())
    if isinstance(feature, dict):
        children = [_encode(array.field(k), v) for k, v in feature.items()]
        return pa.StructArray.from_arrays(children, names=list(feature), mask=array.is_null())
    if isinstance(feature, List):
        return pa.ListArray.from_arrays(array.offsets, _encode(array.flatten(), feature.feature), mask=array.is_null())
    return array


def table_from_rows(rows: list[dict], features: Features) -> pa.Table:
    plain = pa.schema([pa.field(k, _plain(v)) for k, v in features.items()])
    table = pa.Table.from_pylist(rows, schema=plain)
    columns = [_encode(table.column(k).combine_chunks(), v) for k, v in features.items()]
    return pa.Table.from_arrays(columns, schema=features.arrow_schema)


def table_from_arrow(table: pa.Table, features: Features) -> pa.Table:
    """A span layer as validate read it (plain Arrow types, canonical order) as its config's table."""
    schema = features.arrow_schema
    columns = [pc.cast(_encode(table.column(name).combine_chunks(), feature), schema.field(name).type) for name, feature in features.items()]
    return pa.Table.from_arrays(columns, schema=schema)


def make_tables(corpus: Corpus, span_tables: dict[str, pa.Table] | None = None, jobs: int = 1,
                consume: bool = False) -> dict[str, pa.Table]:
    """Every config's table, rows in canonical order. Assumes the corpus validated. With `span_tables`
    (the span layers as validate read them) those layers never become Python records,
    except a few documents at a time for the training views, which `jobs` processes build in parallel.
    With `consume`, the corpus's document and article records are let go once they are tables (build
    needs them no more; at 100k documents they are ~0.4 GiB of Python objects)."""
    span_tables = span_tables or {}
    features = config_features(corpus.kinds)
    tables = {}
    for config, kind in FLAT.items():
        if kind in span_tables:
            tables[config] = table_from_arrow(span_tables[kind], features[config])
            continue
        rows = sorted(corpus.rows(kind), key=canonical_key(corpus.kinds[kind]))
        if config == "documents":
            rows = [{**row, "text": corpus.texts[row["doc_id"]]} for row in rows]
        tables[config] = table_from_rows(rows, features[config])
    quote_fields = list(dict.fromkeys([*corpus.kinds["quote"].order, *ALIGNED_QUOTE_FIELDS, "statement_id"]))
    quotes = span_tables["quote"].select(quote_fields).to_pylist() if "quote" in span_tables else None
    tables["statements"] = table_from_rows(align_statements(corpus, quotes), features["statements"])
    if consume:
        corpus.records["document"], corpus.records["article"] = [], []
    tables["default"] = nest_by_document(tables, features["default"])
    layers = [Layer(table=span_tables[k].select(VIEW_FIELDS[k])) if k in span_tables else Layer(corpus.rows(k)) for k in VIEW_FIELDS]
    parts = {"ner": [], "attribution": []}
    for ner, attribution in _view_tables(corpus.texts, layers, corpus.rows("registry_speaker"), jobs):
        parts["ner"].append(ner)
        parts["attribution"].append(attribution)
    for view, pieces in parts.items():
        tables[view] = pa.concat_tables(pieces) if pieces else table_from_rows([], features[view])
    return {name: tables[name] for name in CONFIGS}


def _views_of(texts: dict[str, str], entities, timexes, quotes: dict, speakers: list[dict]) -> tuple[pa.Table, pa.Table]:
    """The training views of a few documents as tables (runs in a worker process when build has jobs)."""
    return view_tables(texts, entities, timexes, quotes, speakers)


VIEW_CHUNK = 2000  # documents per unit of work for the training views
# the fields of each layer the training views read (the rest never become Python objects)
VIEW_FIELDS = {
    "entity": ["doc_id", "id", "start", "end", "label"],
    "timex": ["doc_id", "id", "start", "end", "type"],
    "quote": ["doc_id", "id", "start", "end", "type", "cue_start", "cue_end", "source_start", "source_end", "speaker", "statement_id"],
}


def _view_tables(texts: dict[str, str], layers: list, speakers: list[dict], jobs: int):
    """(ner, attribution) tables per chunk of documents, in document order; chunks go to `jobs` processes."""
    doc_ids = sorted(texts)
    entities, timexes, quotes = layers  # the span layers stay Arrow rows; the views read few quotes per document
    work = (({d: texts[d] for d in part}, entities.rows_of(part), timexes.rows_of(part), quotes.of(part), speakers)
            for part in (doc_ids[lo:lo + VIEW_CHUNK] for lo in range(0, len(doc_ids), VIEW_CHUNK)))
    if jobs <= 1 or len(doc_ids) <= VIEW_CHUNK:
        yield from (_views_of(*args) for args in work)
        return
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending = deque()  # at most 2 chunks per worker in flight: the corpus never sits in memory as records
        for texts_of, entities_of, timexes_of, *rest in work:
            # a slice of an Arrow table pickles its whole buffers: send a compact copy of the rows
            entities_of, timexes_of = (t.take(np.arange(t.num_rows)) if isinstance(t, pa.Table) else t for t in (entities_of, timexes_of))
            pending.append(pool.submit(_views_of, texts_of, entities_of, timexes_of, *rest))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def nest_by_document(tables: dict[str, pa.Table], features: Features) -> pa.Table:
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
    return pa.Table.from_arrays([columns[name] for name in features], schema=features.arrow_schema)



def align_statements(corpus: Corpus, quote_rows: list[dict] | None = None) -> list[dict]:
    """Each registered statement with its quotes from every document, in document order."""
    outlets = {r["doc_id"]: r["outlet"] for r in corpus.rows("document")}
    quotes: dict[str, list[dict]] = {}
    for quote in sorted(corpus.rows("quote") if quote_rows is None else quote_rows, key=canonical_key(corpus.kinds["quote"])):
        aligned = {"outlet": outlets[quote["doc_id"]], **{f: quote[f] for f in ALIGNED_QUOTE_FIELDS}}
        quotes.setdefault(quote["statement_id"], []).append(aligned)
    rows = []
    for statement in sorted(corpus.rows("registry_statement"), key=canonical_key(corpus.kinds["registry_statement"])):
        members = quotes.get(statement["id"], [])
        rows.append({**statement, "outlets": len({q["doc_id"] for q in members}), "quotes": members})
    return rows
