"""Training views derived from the gold layers: `ner` (sentences, tokens, IOB2 tags) and `attribution`.

Deterministic and documented (README: Training views):
- paragraphs are the text's lines; tokens are `offsets.tokenize`; a sentence ends after a token
  `.`, `!` or `?` (and any closing quotes or brackets right after it) when the next token starts with
  an upper-case letter, a digit or an opening quote; a sentence never ends inside an annotated span.
- NER tags are IOB2 over the OntoNotes 18 types: the 16 entity labels plus DATE and TIME from the
  timex layer (TIMEX3 DATE, DURATION and SET -> DATE; TIME -> TIME).
- nothing is dropped silently: a span whose ends fall inside a token is widened to the tokens that
  cover it, and a span overlapping one already tagged (IOB2 cannot nest) is left out of the tags;
  both are listed in the sentence's `adjusted` column with the reason.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from datasets import ClassLabel, Features, List, Value

from zoomnews.grouped import Layer
from zoomnews.offsets import tokenize

ONTONOTES = ("PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "DATE", "TIME", "PERCENT", "MONEY",
             "QUANTITY", "ORDINAL", "CARDINAL", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE")
NER_TAGS = ("O", *(f"{prefix}-{label}" for label in ONTONOTES for prefix in ("B", "I")))
TIMEX_TO_ONTONOTES = {"DATE": "DATE", "DURATION": "DATE", "SET": "DATE", "TIME": "TIME"}
SENTENCE_END = {".", "!", "?"}
CLOSERS = set("”’\"')]»")
OPENERS = set("“‘\"'([«")
WIDENED, OVERLAP = "widened to token boundaries", "overlaps a span already tagged (IOB2 cannot nest)"

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


def sentences(text: str, start: int, end: int, spans: list[Span]) -> list[list[tuple[int, int]]]:
    """The tokens of text[start:end] grouped into sentences, never splitting inside a span."""
    tokens = tokenize(text, start, end)
    inside = {p for span in spans for p in range(max(span.start + 1, start), min(span.end, end))}  # boundaries inside a span
    groups, current = [], []
    for i, token in enumerate(tokens):
        current.append(token)
        word = text[token[0]:token[1]]
        if word in CLOSERS and len(current) > 1 and text[current[-2][0]:current[-2][1]] in SENTENCE_END:
            word = "."
        if word not in SENTENCE_END or i + 1 == len(tokens):
            continue
        following = tokens[i + 1]
        after = text[following[0]:following[1]]
        if after in CLOSERS:
            continue  # the closing quote belongs to this sentence: decide after it
        if (after[0].isupper() or after[0].isdigit() or after in OPENERS) and token[1] not in inside:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def gold_spans(entities: list[dict], timexes: list[dict]) -> list[Span]:
    spans = [Span("entities", e["id"], e["start"], e["end"], e["label"]) for e in entities]
    spans += [Span("timexes", t["id"], t["start"], t["end"], TIMEX_TO_ONTONOTES[t["type"]]) for t in timexes]
    return sorted(spans, key=lambda s: (s.start, -(s.end - s.start), s.layer, s.id))


def ner_rows(doc_id: str, text: str, entities: list[dict], timexes: list[dict]) -> list[dict]:
    spans = gold_spans(entities, timexes)
    span_starts = [span.start for span in spans]
    rows, index = [], 0
    for p_start, p_end in paragraphs(text):
        candidates = spans[bisect_left(span_starts, p_start):bisect_left(span_starts, p_end)]
        in_paragraph = [s for s in candidates if s.end <= p_end]
        for tokens in sentences(text, p_start, p_end, in_paragraph):
            s_start, s_end = tokens[0][0], tokens[-1][1]
            starts, ends = [a for a, _ in tokens], [b for _, b in tokens]
            tags, adjusted = ["O"] * len(tokens), []
            for span in (s for s in in_paragraph if s_start <= s.start and s.end <= s_end):
                first, last = bisect_right(ends, span.start), bisect_left(starts, span.end)  # tokens overlapping the span
                if first >= last:
                    continue
                if any(tags[i] != "O" for i in range(first, last)):
                    adjusted.append({"layer": span.layer, "id": span.id, "reason": OVERLAP})
                    continue
                if starts[first] != span.start or ends[last - 1] != span.end:
                    adjusted.append({"layer": span.layer, "id": span.id, "reason": WIDENED})
                tags[first:last] = [f"B-{span.label}"] + [f"I-{span.label}"] * (last - first - 1)
            rows.append({"doc_id": doc_id, "sentence": index, "start": s_start, "end": s_end,
                         "tokens": [text[a:b] for a, b in tokens], "token_starts": starts,
                         "token_ends": ends, "ner_tags": tags, "adjusted": adjusted})
            index += 1
    return rows


def _token_span(tokens: list[tuple[int, int]], start, end, origin: int) -> dict | None:
    if start is None:
        return None
    covered = [i for i, (a, b) in enumerate(tokens) if a < end and start < b] or [0]
    return {"start_token": covered[0], "end_token": covered[-1] + 1, "start": start - origin, "end": end - origin}


def attribution_rows(doc_id: str, text: str, quotes: list[dict], speakers: dict[str, dict]) -> list[dict]:
    """Per quotation: the paragraph(s) holding its content, source and cue, with those as token and character spans
    (character spans relative to the paragraph; token spans may be widened to whole tokens)."""
    lines = paragraphs(text)
    rows = []
    for quote in quotes:
        points = [p for p in (quote["start"], quote["end"], quote.get("source_start"), quote.get("source_end"),
                              quote.get("cue_start"), quote.get("cue_end")) if p is not None]
        low, high = min(points), max(points)
        first = max((a for a, b in lines if a <= low), default=0)
        last = min((b for a, b in lines if b >= high), default=len(text))
        tokens = tokenize(text, first, last)
        speaker = speakers.get(quote["speaker"], {})
        rows.append({
            "doc_id": doc_id, "id": quote["id"], "type": quote["type"],
            "paragraph": text[first:last], "paragraph_start": first, "paragraph_end": last,
            "tokens": [text[a:b] for a, b in tokens], "token_starts": [a - first for a, _ in tokens],
            "token_ends": [b - first for _, b in tokens],
            "content": _token_span(tokens, quote["start"], quote["end"], first),
            "source": _token_span(tokens, quote.get("source_start"), quote.get("source_end"), first),
            "cue": _token_span(tokens, quote.get("cue_start"), quote.get("cue_end"), first),
            "speaker": quote["speaker"], "speaker_name": speaker.get("name"), "speaker_kind": speaker.get("kind"),
            "statement_id": quote["statement_id"],
        })
    return rows


def document_views(texts: dict[str, str], entities: dict, timexes: dict, quotes: dict, speakers: list[dict]) -> tuple[list[dict], list[dict]]:
    """(ner rows, attribution rows) of the documents in `texts`, in document order; the layers map
    doc_id -> records (as Layer.of gives them)."""
    by_id = {s["id"]: s for s in speakers}
    ner, attribution = [], []
    for doc_id in sorted(texts):
        ner += ner_rows(doc_id, texts[doc_id], entities.get(doc_id, []), timexes.get(doc_id, []))
        ordered = sorted(quotes.get(doc_id, []), key=lambda q: (q["start"], q["end"], q["id"]))
        attribution += attribution_rows(doc_id, texts[doc_id], ordered, by_id)
    return ner, attribution


def view_rows(corpus) -> dict[str, list[dict]]:
    """Rows of the `ner` and `attribution` configs, in document order (all at once: for small corpora and tests)."""
    doc_ids = sorted(corpus.texts)
    layers = [Layer(corpus.rows(kind)).of(doc_ids) for kind in ("entity", "timex", "quote")]
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

