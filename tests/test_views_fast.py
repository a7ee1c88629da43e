"""The training views (zoomnews.release.views.view_tables: every token of a group of documents at once, for any
group size) give exactly the tables of the per-token rules they replaced, kept here as the oracle, on any generated
corpus and on the checkout's; and build reproduces the released bytes."""

from __future__ import annotations

import filecmp
import shutil
from bisect import bisect_left, bisect_right

from hypothesis import given, settings

from conftest import ROOT, copy_sources
from strategies import corpora, scratch_dir
from test_tokenize_fast import oracle as oracle_tokenize
from zoomnews import CorpusRepo
from zoomnews.release.building import build_release
from zoomnews.release.configs import table_from_rows
from zoomnews.sources.corpus import read_corpus
from zoomnews.release import views
from zoomnews.release.features import ATTRIBUTION_FEATURES, NER_FEATURES
from zoomnews.release.views import (CLOSERS, CROSSES, OPENERS, OVERLAP, SENTENCE_END, TIMEX_TO_ONTONOTES, WIDENED, Span,
                            by_document, paragraphs, view_tables)


# --- the rules as they were written before: a Python loop per token -----------------------------

def sentences(text: str, start: int, end: int, spans: list[Span]) -> list[list[tuple[int, int]]]:
    """The tokens of text[start:end] grouped into sentences, never splitting inside a span."""
    tokens = oracle_tokenize(text, start, end)
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
            for span in (s for s in candidates if s_start <= s.start < s_end):
                if span.end > p_end:  # over the line break: in no sentence
                    adjusted.append({"layer": span.layer, "id": span.id, "reason": CROSSES})
                    continue
                if span.end > s_end:
                    continue
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
        tokens = oracle_tokenize(text, first, last)
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
    doc_id -> records (as by_document gives them)."""
    by_id = {s["id"]: s for s in speakers}
    ner, attribution = [], []
    for doc_id in sorted(texts):
        ner += ner_rows(doc_id, texts[doc_id], entities.get(doc_id, []), timexes.get(doc_id, []))
        ordered = sorted(quotes.get(doc_id, []), key=lambda q: (q["start"], q["end"], q["id"]))
        attribution += attribution_rows(doc_id, texts[doc_id], ordered, by_id)
    return ner, attribution




# --- the comparisons ----------------------------------------------------------------------------

def same_views(corpus) -> None:
    doc_ids = sorted(corpus.texts)
    layers = [by_document(corpus.rows(kind), doc_ids) for kind in ("entity", "timex", "quote")]
    speakers = corpus.rows("registry_speaker")
    ner, attribution = document_views(corpus.texts, *layers, speakers)
    expected = table_from_rows(ner, NER_FEATURES.arrow_schema), table_from_rows(attribution, ATTRIBUTION_FEATURES.arrow_schema)
    tables = [table_from_rows([dict(r, doc_id=d) for d in doc_ids for r in layers[i][d]], features).select(["doc_id", "id", "start", "end", field])
              for i, (features, field) in enumerate(((_span_features("label"), "label"), (_span_features("type"), "type")))]
    for group in (views.VIEW_DOCUMENTS, 1, 2):  # however many documents are tokenized together
        saved, views.VIEW_DOCUMENTS = views.VIEW_DOCUMENTS, group
        try:
            for got in (view_tables(corpus.texts, *layers, speakers),  # records by document
                        view_tables(corpus.texts, tables[0], tables[1], layers[2], speakers)):  # Arrow rows, as build hands them over
                for table, want in zip(got, expected):
                    assert table.combine_chunks().equals(want, check_metadata=True), group
        finally:
            views.VIEW_DOCUMENTS = saved


def _span_features(field: str):
    from datasets import Features, Value

    return Features({"doc_id": Value("string"), "id": Value("string"), "start": Value("int64"), "end": Value("int64"), field: Value("string")}).arrow_schema


@settings(max_examples=max(20, settings.default.max_examples // 2), deadline=None)
@given(corpora())
def test_views_are_the_rules_tables_on_any_corpus(spec):
    same_views(read_corpus(spec.write(scratch_dir("views-fast-") / "repo")))


def test_views_are_the_rules_tables_on_the_checkout():
    same_views(read_corpus(CorpusRepo(ROOT)))


def test_build_reproduces_the_released_bytes(tmp_path):
    """The checkout's current release, built again from its sources, is the same bytes, file for file."""
    repo = CorpusRepo(copy_sources(tmp_path / "repo"))
    version = repo.dataset_version
    shutil.rmtree(repo.release_dir(version))
    assert build_release(repo).status == "created"
    built, released = repo.release_dir(version), ROOT / "releases" / version
    files = sorted(p.relative_to(released) for p in released.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(built) for p in built.rglob("*") if p.is_file())
    assert [f for f in files if not filecmp.cmp(built / f, released / f, shallow=False)] == []
