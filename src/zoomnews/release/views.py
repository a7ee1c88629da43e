"""Training views derived from the gold layers: `ner` (sentences, tokens, IOB2 tags) and `attribution`.

Deterministic and documented (docs/configs.md):
- paragraphs are the text's lines; tokens are `offsets.tokenize` (whole grapheme clusters); a sentence ends after a token
  `.`, `!` or `?` (and any closing quotes or brackets right after it) when the next token starts with
  an upper-case letter, a digit or an opening quote; a sentence never ends inside an annotated span.
- NER tags are IOB2 over the OntoNotes 18 types: the 16 entity labels plus DATE and TIME from the
  timex layer (TIMEX3 DATE, DURATION and SET -> DATE; TIME -> TIME).
- nothing is dropped silently: a span whose ends fall inside a token is widened to the tokens that
  cover it, and a span overlapping one already tagged (IOB2 cannot nest) or running over a line break
  (out of its sentence) is left out of the tags; each is listed in the `adjusted` column of the
  sentence it starts in, with the reason.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zoomnews.sources.offsets import token_bounds

ONTONOTES = ("PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "DATE", "TIME", "PERCENT", "MONEY",
             "QUANTITY", "ORDINAL", "CARDINAL", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE")
NER_TAGS = ("O", *(f"{prefix}-{label}" for label in ONTONOTES for prefix in ("B", "I")))
TIMEX_TO_ONTONOTES = {"DATE": "DATE", "DURATION": "DATE", "SET": "DATE", "TIME": "TIME"}
SENTENCE_END = {".", "!", "?"}
CLOSERS = set("”’\"')]»")
OPENERS = set("“‘\"'([«")
WIDENED, OVERLAP = "widened to token boundaries", "overlaps a span already tagged (IOB2 cannot nest)"
CROSSES = "crosses a line break (a sentence never does)"
LEFT_OUT = (OVERLAP, CROSSES)  # the reasons a span is not tagged at all

@dataclass(frozen=True)
class Span:
    layer: str
    id: str
    start: int
    end: int
    label: str


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Non-blank lines, as (start, end) code points."""
    spans, position = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((position, position + len(line)))
        position += len(line) + 1
    return spans


def _is_one_of(points: np.ndarray, starts: np.ndarray, lengths: np.ndarray, chars) -> np.ndarray:
    """Which tokens are one of `chars` (single characters), given the text's code points."""
    return (lengths == 1) & np.isin(points[starts], np.array([ord(c) for c in chars], dtype=np.uint32))


def gold_spans(entities: list[dict], timexes: list[dict]) -> list[Span]:
    spans = [Span("entities", e["id"], e["start"], e["end"], e["label"]) for e in entities]
    spans += [Span("timexes", t["id"], t["start"], t["end"], TIMEX_TO_ONTONOTES[t["type"]]) for t in timexes]
    return sorted(spans, key=lambda s: (s.start, -(s.end - s.start), s.layer, s.id))


_B_CODE = {label: NER_TAGS.index(f"B-{label}") for label in ONTONOTES}  # I- is the code after
LAYER_NAMES = ("entities", "timexes")


def _span_table(layer, doc_ids: list[str], label: str, labels: dict[str, str]) -> pa.Table:
    """A layer's spans of `doc_ids` as a table (doc_id, id, start, end, code: the B- tag's code), from
    records by document or from an Arrow table of the block's rows."""
    if isinstance(layer, pa.Table):
        table = layer.select(["doc_id", "id", "start", "end", label])
    else:
        records = [r for d in doc_ids for r in layer.get(d, [])]
        table = pa.table({"doc_id": pa.array([d for d in doc_ids for _ in layer.get(d, [])], type=pa.string()),
                          **{name: pa.array([r[name] for r in records], type=pa.int64() if name in ("start", "end") else pa.string())
                             for name in ("id", "start", "end", label)}})
    values = table.column(label).combine_chunks().dictionary_encode()
    codes = np.array([_B_CODE[labels.get(v, v)] for v in values.dictionary.to_pylist()] or [0], dtype=np.int64)
    code = codes[values.indices.to_numpy(zero_copy_only=False)] if len(values) else np.zeros(0, dtype=np.int64)
    return pa.table({"doc_id": table.column("doc_id"), "id": table.column("id"), "start": pc.cast(table.column("start"), pa.int64()),
                     "end": pc.cast(table.column("end"), pa.int64()), "code": code})


def _ranges(firsts: np.ndarray, lasts: np.ndarray) -> np.ndarray:
    """Indices firsts[0]..lasts[0]-1, firsts[1]..lasts[1]-1, ... one after another."""
    firsts, lasts = np.asarray(firsts, dtype=np.int64), np.asarray(lasts, dtype=np.int64)
    widths = lasts - firsts
    return np.repeat(firsts - np.cumsum(np.concatenate([[0], widths[:-1]])).astype(np.int64), widths) + np.arange(int(widths.sum()), dtype=np.int64)


def _lists(offsets, values: pa.Array) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(np.asarray(offsets), type=pa.int32()), values)


def view_schemas() -> tuple[pa.Schema, pa.Schema]:
    """The `ner` and `attribution` configs' Arrow schemas (from their features: imports `datasets`)."""
    from zoomnews.release.features import ATTRIBUTION_FEATURES, NER_FEATURES

    return NER_FEATURES.arrow_schema, ATTRIBUTION_FEATURES.arrow_schema


def view_tables(texts: dict[str, str], entities, timexes, quotes: dict, speakers: list[dict],
                schemas: tuple[pa.Schema, pa.Schema] | None = None) -> tuple[pa.Table, pa.Table]:
    """The `ner` and `attribution` tables of the documents in `texts`, in document order. `entities`
    and `timexes`: doc_id -> records (as by_document gives them), or the block's rows as an Arrow table;
    `quotes`: doc_id -> records; `schemas`: the two configs' schemas (build passes them, so that its
    processes never import `datasets`; default: view_schemas()).

    VIEW_DOCUMENTS documents at a time are one text (joined by line breaks, which no token crosses),
    tokenized once in C; paragraphs, sentence ends and tags are worked out on every token at once
    (numpy), the spans one by one only where IOB2 needs it, and the token columns are made in Arrow.
    A document's rows depend on that document alone, so the tables are the same for any grouping."""
    schemas = schemas or view_schemas()
    doc_ids = sorted(texts)
    if len(doc_ids) <= VIEW_DOCUMENTS:
        return _view_tables(texts, entities, timexes, quotes, speakers, schemas)
    parts = []
    for lo in range(0, len(doc_ids), VIEW_DOCUMENTS):
        group = doc_ids[lo:lo + VIEW_DOCUMENTS]
        parts.append(_view_tables({d: texts[d] for d in group}, _of(entities, group), _of(timexes, group),
                                  {d: quotes[d] for d in group if d in quotes}, speakers, schemas))
    return pa.concat_tables([ner for ner, _ in parts]), pa.concat_tables([attribution for _, attribution in parts])


# Documents tokenized together. The tokens' text is made in Python (one str a token) before it
# becomes an Arrow column, and a block of 2,000 documents of news held ~1.5 million of them at once:
# with 250, both processes of `build --jobs 2` at 100k documents peaked 67 MiB lower, no slower.
VIEW_DOCUMENTS = 250


def _of(layer, doc_ids: list[str]):
    """A layer's spans of `doc_ids` (records by document, or an Arrow table of rows)."""
    if isinstance(layer, pa.Table):
        return layer.filter(pc.is_in(layer.column("doc_id"), value_set=pa.array(doc_ids, type=pa.string())))
    return {d: layer[d] for d in doc_ids if d in layer}


def _view_tables(texts: dict[str, str], entities, timexes, quotes: dict, speakers: list[dict],
                 schemas: tuple[pa.Schema, pa.Schema]) -> tuple[pa.Table, pa.Table]:
    ner_schema, attribution_schema = schemas
    doc_ids = sorted(texts)
    joined = "\n".join(texts[d] for d in doc_ids)
    bases = np.cumsum([0] + [len(texts[d]) + 1 for d in doc_ids], dtype=np.int64)  # where each document starts in `joined`
    starts, ends, words = token_bounds(joined)
    n, size = len(starts), len(joined)
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    # paragraphs: the lines holding a token
    breaks = np.flatnonzero(points == 10)
    line_starts, line_ends = np.concatenate([[0], breaks + 1]).astype(np.int64), np.append(breaks, size).astype(np.int64)
    full = np.searchsorted(starts, line_ends) > np.searchsorted(starts, line_starts)
    par_starts, par_ends = line_starts[full], line_ends[full]
    firsts = np.searchsorted(starts, par_starts)  # every token is in a paragraph: they tile the tokens
    lengths = ends - starts
    closer = _is_one_of(points, starts, lengths, CLOSERS)
    final = _is_one_of(points, starts, lengths, SENTENCE_END)
    opens_paragraph = np.zeros(n, dtype=bool)
    opens_paragraph[firsts] = True
    ends_sentence = final.copy()  # a closing quote or bracket right after a final `.`, `!` or `?` ends the sentence too
    ends_sentence[1:] |= closer[1:] & ~opens_paragraph[1:] & final[:-1]
    # the gold spans of both layers, in the order they are tagged: by document, start, longest first, layer, id
    tables = [_span_table(entities, doc_ids, "label", {}), _span_table(timexes, doc_ids, "type", TIMEX_TO_ONTONOTES)]
    spans = pa.concat_tables([t.append_column("layer", pa.array(np.full(t.num_rows, i, dtype=np.int8))) for i, t in enumerate(tables)])
    doc_index = np.searchsorted(np.array(doc_ids, dtype=object), spans.column("doc_id").to_numpy(zero_copy_only=False)) if spans.num_rows else np.zeros(0, dtype=np.int64)
    span_starts = bases[doc_index] + spans.column("start").to_numpy()
    span_ends = bases[doc_index] + spans.column("end").to_numpy()
    spans = spans.append_column("g_start", pa.array(span_starts)).append_column("g_length", pa.array(span_starts - span_ends))
    order = pc.sort_indices(spans, sort_keys=[("g_start", "ascending"), ("g_length", "ascending"), ("layer", "ascending"), ("id", "ascending")]).to_numpy()
    span_starts, span_ends = span_starts[order], span_ends[order]
    span_codes, span_layers = spans.column("code").to_numpy()[order], spans.column("layer").to_numpy()[order]
    span_ids = spans.column("id").take(pa.array(order, type=pa.int64()))
    # a sentence ends after token i when token i + 1 is in the paragraph, no closer, and starts with an
    # upper-case letter, a digit or an opening quote, and no span of the paragraph goes on past token i's end
    candidates = np.flatnonzero(ends_sentence[:-1] & ~opens_paragraph[1:] & ~closer[1:])
    if len(candidates):
        opener = _is_one_of(points, starts, lengths, OPENERS)
        at = np.searchsorted(par_starts, span_starts, side="right") - 1  # the paragraph each span starts in
        home = np.maximum(at, 0)
        held = (at >= 0) & (span_starts < par_ends[home]) & (span_ends <= par_ends[home]) & (span_ends > span_starts + 1)
        depth = (np.bincount(span_starts[held] + 1, minlength=size + 2)[:size + 2]
                 - np.bincount(span_ends[held], minlength=size + 2)[:size + 2]).cumsum()
        candidates = candidates[~(depth[ends[candidates]] > 0)]
        nexts = starts[candidates + 1]
        candidates = [i for i, o, c in zip(candidates.tolist(), opener[candidates + 1].tolist(), map(joined.__getitem__, nexts.tolist()))
                      if o or c.isupper() or c.isdigit()]
    sentence_firsts = np.union1d(firsts, np.asarray(candidates, dtype=np.int64) + 1).astype(np.int64)
    sentence_lasts = np.append(sentence_firsts[1:], n).astype(np.int64) - 1
    sentence_starts, sentence_ends = starts[sentence_firsts], ends[sentence_lasts]
    tags = np.zeros(n, dtype=np.int64)
    adjusted: dict[int, list[dict]] = {}
    if len(span_starts) and n:
        # the sentence each span lies in (if any); the tokens it overlaps, [first, last)
        home = np.searchsorted(sentence_starts, span_starts, side="right") - 1
        inside = (home >= 0) & (span_ends <= sentence_ends[np.maximum(home, 0)])
        first = np.searchsorted(ends, span_starts, side="right")
        last = np.searchsorted(starts, span_ends, side="left")
        chosen = np.flatnonzero(inside & (first < last))
        for k in np.flatnonzero(~inside & (home >= 0)).tolist():  # a span over a line break: no sentence holds it
            adjusted.setdefault(int(home[k]), []).append((k, CROSSES))
        tagged_to = -1  # spans come in order of start: one overlaps a tagged span iff it starts before the last tagged one's end
        accepted = []
        for k, f, l in zip(chosen.tolist(), first[chosen].tolist(), last[chosen].tolist()):
            if f < tagged_to:
                adjusted.setdefault(int(home[k]), []).append((k, OVERLAP))
                continue
            accepted.append(k)
            tagged_to = l
        accepted = np.asarray(accepted, dtype=np.int64)
        begins, stops = first[accepted], last[accepted]
        misaligned = accepted[(starts[begins] != span_starts[accepted]) | (ends[stops - 1] != span_ends[accepted])]
        for k in misaligned.tolist():
            adjusted.setdefault(int(home[k]), []).append((k, WIDENED))
        tags[_ranges(begins + 1, stops)] = np.repeat(span_codes[accepted] + 1, stops - begins - 1)  # I-
        tags[begins] = span_codes[accepted]  # B-
    sentence_docs = np.searchsorted(bases, sentence_starts, side="right") - 1
    sentence_numbers = np.arange(len(sentence_firsts), dtype=np.int64)
    doc_first_sentence = np.searchsorted(sentence_docs, np.arange(len(doc_ids)))
    adjusted_rows = [[] for _ in range(len(sentence_firsts))]
    for sentence, entries in adjusted.items():
        entries.sort()  # the order the spans were tagged in
        adjusted_rows[sentence] = [{"layer": LAYER_NAMES[span_layers[k]], "id": span_ids[k].as_py(), "reason": reason} for k, reason in entries]
    offsets = np.append(sentence_firsts, n)
    word_array = pa.array(words, type=pa.string())
    ner_table = pa.Table.from_arrays([
        pa.array(np.array(doc_ids, dtype=object)[sentence_docs] if len(doc_ids) else [], type=pa.string()),
        pa.array(sentence_numbers - doc_first_sentence[sentence_docs], type=pa.int32()),
        pa.array(sentence_starts - bases[sentence_docs], type=pa.int32()),
        pa.array(sentence_ends - bases[sentence_docs], type=pa.int32()),
        _lists(offsets, word_array),
        _lists(offsets, pa.array(starts - bases[np.searchsorted(bases, starts, side="right") - 1], type=pa.int32())),
        _lists(offsets, pa.array(ends - bases[np.searchsorted(bases, starts, side="right") - 1], type=pa.int32())),
        _lists(offsets, pa.array(tags, type=pa.int64())),
        pa.array(adjusted_rows, type=ner_schema.field("adjusted").type),
    ], schema=ner_schema)
    return ner_table, _attribution_table(doc_ids, texts, bases, starts, ends, word_array, par_starts, par_ends, quotes, speakers, attribution_schema)


def _token_spans(starts: np.ndarray, ends: np.ndarray, lo: np.ndarray, hi: np.ndarray, start: list, end: list, base: np.ndarray,
                 origin: np.ndarray) -> list[dict | None]:
    """For each span (None where it has no start): the tokens (of lo..hi) it overlaps, counted from lo
    (the first token when none does), and its code points from `origin`."""
    present = np.array([s is not None for s in start], dtype=bool)
    start_at = np.array([s if s is not None else 0 for s in start], dtype=np.int64)
    end_at = np.array([e if e is not None else 0 for e in end], dtype=np.int64)
    first = np.maximum(np.searchsorted(ends, base + start_at, side="right"), lo)
    last = np.minimum(np.searchsorted(starts, base + end_at, side="left"), hi)
    empty = first >= last
    first, last = np.where(empty, lo, first), np.where(empty, lo + 1, last)
    return [{"start_token": f, "end_token": l, "start": s, "end": e} if p else None
            for p, f, l, s, e in zip(present.tolist(), (first - lo).tolist(), (last - lo).tolist(), (start_at - origin).tolist(), (end_at - origin).tolist())]


def _attribution_table(doc_ids, texts, bases, starts, ends, word_array, par_starts, par_ends, quotes, speakers, schema: pa.Schema) -> pa.Table:
    """Per quotation: the paragraph(s) holding its content, source and cue, with those as token and character spans
    (character spans relative to the paragraph; token spans may be widened to whole tokens)."""
    by_id = {s["id"]: s for s in speakers}
    columns = {name: [] for name in schema.names}
    parts = {part: ([], []) for part in ("content", "source", "cue")}
    firsts, lasts, quote_bases = [], [], []
    line_starts, line_ends = par_starts.tolist(), par_ends.tolist()
    for d, doc_id in enumerate(doc_ids):
        base, text = int(bases[d]), texts[doc_id]
        lo_line, hi_line = bisect_left(line_starts, base), bisect_left(line_starts, base + len(text) + 1)  # this document's lines
        for quote in sorted(quotes.get(doc_id, []), key=lambda q: (q["start"], q["end"], q["id"])):
            points = [p for p in (quote["start"], quote["end"], quote.get("source_start"), quote.get("source_end"),
                                  quote.get("cue_start"), quote.get("cue_end")) if p is not None]
            low, high = base + min(points), base + max(points)
            at = bisect_right(line_starts, low, lo_line, hi_line)
            first = line_starts[at - 1] if at > lo_line else base
            at = bisect_left(line_ends, high, lo_line, hi_line)
            last = line_ends[at] if at < hi_line else base + len(text)
            speaker = by_id.get(quote["speaker"], {})
            row = {"doc_id": doc_id, "id": quote["id"], "type": quote["type"],
                   "paragraph": text[first - base:last - base], "paragraph_start": first - base, "paragraph_end": last - base,
                   "speaker": quote["speaker"], "speaker_name": speaker.get("name"), "speaker_kind": speaker.get("kind"),
                   "statement_id": quote["statement_id"]}
            for name, value in row.items():
                columns[name].append(value)
            for part, prefix in (("content", ""), ("source", "source_"), ("cue", "cue_")):
                parts[part][0].append(quote.get(f"{prefix}start"))
                parts[part][1].append(quote.get(f"{prefix}end"))
            firsts.append(first)
            lasts.append(last)
            quote_bases.append(base)
    origins = np.asarray(firsts, dtype=np.int64)
    lo = np.searchsorted(starts, origins).astype(np.int64)  # the lines' tokens
    hi = np.searchsorted(ends, np.asarray(lasts, dtype=np.int64), side="right").astype(np.int64)
    quote_base = np.asarray(quote_bases, dtype=np.int64)
    for part, (part_starts, part_ends) in parts.items():
        columns[part] = _token_spans(starts, ends, lo, hi, part_starts, part_ends, quote_base, origins - quote_base)
    where = _ranges(lo, hi)
    widths = hi - lo
    offsets = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
    origin = np.repeat(origins, widths)
    columns["tokens"] = _lists(offsets, word_array.take(pa.array(where, type=pa.int64())))
    columns["token_starts"] = _lists(offsets, pa.array(starts[where] - origin, type=pa.int32()))
    columns["token_ends"] = _lists(offsets, pa.array(ends[where] - origin, type=pa.int32()))
    return pa.Table.from_arrays([columns[name] if isinstance(columns[name], pa.Array) else pa.array(columns[name], type=schema.field(name).type)
                                 for name in schema.names], schema=schema)


def ner_rows(doc_id: str, text: str, entities: list[dict], timexes: list[dict]) -> list[dict]:
    """The `ner` rows of one document, tags as names (for tests and tools; build uses view_tables)."""
    ner, _ = view_tables({doc_id: text}, {doc_id: entities}, {doc_id: timexes}, {}, [])
    return _named_tags(ner.to_pylist())


def _named_tags(rows: list[dict]) -> list[dict]:
    for row in rows:
        row["ner_tags"] = [NER_TAGS[code] for code in row["ner_tags"]]
    return rows


def document_views(texts: dict[str, str], entities: dict, timexes: dict, quotes: dict, speakers: list[dict]) -> tuple[list[dict], list[dict]]:
    """(ner rows, attribution rows) of the documents in `texts`, in document order, as records (tags as names)."""
    ner, attribution = view_tables(texts, entities, timexes, quotes, speakers)
    return _named_tags(ner.to_pylist()), attribution.to_pylist()


def by_document(records: list[dict], doc_ids: list[str]) -> dict[str, list[dict]]:
    """doc_id -> its records (in their order), for every doc_id of `doc_ids`."""
    grouped: dict[str, list[dict]] = {d: [] for d in doc_ids}
    for record in records:
        grouped.setdefault(record["doc_id"], []).append(record)
    return grouped


def view_rows(corpus) -> dict[str, list[dict]]:
    """Rows of the `ner` and `attribution` configs, in document order (all at once: for small corpora and tests)."""
    doc_ids = sorted(corpus.texts)
    layers = [by_document(corpus.rows(kind), doc_ids) for kind in ("entity", "timex", "quote")]
    ner, attribution = document_views(corpus.texts, *layers, corpus.rows("registry_speaker"))
    return {"ner": ner, "attribution": attribution}


def iob2_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """(first, last, label) token ranges of an IOB2 sequence; an I- without its B- starts a span (as seqeval does)."""
    spans, current = [], None
    for i, tag in enumerate([*tags, "O"]):
        inside = tag.startswith("I-") and current is not None and current[2] == tag[2:]
        if current is not None and not inside:
            spans.append((current[0], i, current[2]))
            current = None
        if tag != "O" and not inside:
            current = (i, None, tag[2:])
    return spans

