"""Every level-3 span rule against a brute-force oracle, and one report for every block size.

Each oracle is written from the rule's text (zoomnews.checks.catalogue, /work/shared/ANNOTATION_SPEC.md), in
plain Python over the files on disk, O(n²) where that is simplest; it shares no code with the
validator. The corpora start from this checkout: the span layers of one or two of its documents are
replaced and one to three small synthetic documents are added, with random spans that overlap,
touch, nest, repeat, leave the text, carry the wrong text or start and end on white space (every
character str.isspace() accepts, U+00A0 included), over texts with astral and right-to-left
characters. Only the public API is used: validate_repo and the Problems of its report.

The cascade the oracles mirror (validation.py: a record failing a check is not looked at by the
checks after it, so each mistake is reported once):
- ZN301 (offsets out of range) -> no ZN302, no ZN304, and the span is left out of ZN305, ZN405;
- ZN302 (wrong text)           -> no ZN304, and the span is left out of ZN305, ZN405;
- a zone failing ZN301 or ZN302 -> no ZN306 for its document (the zone is the gap's cause);
- ZN304 (white space at an edge) keeps the span in: it still overlaps, covers and contains.
A quote has up to three spans (content, cue, source); whether one span's failure hides another's
later one is left open (span_local_oracle). The generated records are otherwise valid (schema,
references, timex values), which every test checks first, so no earlier level takes a record out.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import example, given, settings, strategies as st

from conftest import copy_sources
from strategies import KINDS, scratch_dir, words
from zoomnews import CorpusRepo
from zoomnews.sources.canonical import canonical_text
from zoomnews.checks.validation import validate_repo

SPAN_RULES = {"ZN301", "ZN302", "ZN304", "ZN305", "ZN306", "ZN405"}
FLAT_LAYERS = ("zone", "entity", "timex")
SPAN_LAYERS = (*FLAT_LAYERS, "quote")
ID_PREFIX = {"zone": "z", "entity": "e", "timex": "t", "quote": "q"}
QUOTE_PARTS = ("cue_", "source_")
# Every character str.isspace() accepts except CR (raw texts use LF alone: ZN108).
SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace() and chr(c) != "\r"]
# Not substrings of one another nor of the checkout's doc_ids, so a ZN306 message names one of them.
SYNTHETIC_IDS = ["aa-oracle", "dd-oracle", "kk-oracle", "rr-oracle", "zz-oracle"]
BLOCK_SIZES = (1, 2, 3, 1_000_000)
PUBLISHED = "2020-08-03"
PROVENANCE = {"annotator": "a1", "method": "rule", "guideline": "1.0.0"}


# ---------------------------------------------------------------------------------------------
# The checkout, copied twice per process: a template that stays as it is, and a working copy in
# which each example rewrites every file it may change.


@functools.cache
def template() -> Path:
    root = copy_sources(scratch_dir("oracle-template-") / "repo")
    shutil.rmtree(root / "releases")  # validate_repo(releases=False) never reads them
    shutil.rmtree(root / "annotations" / "agreement")  # the oracles judge the gold layers (the passes get the same rules: test_agreement_passes)
    return root


@functools.cache
def workspace() -> Path:
    root = scratch_dir("oracle-") / "repo"
    shutil.copytree(template(), root)
    return root


def read_records(root: Path, source: str) -> list[dict]:
    # split on LF alone: str.splitlines() would also split inside strings holding U+0085 or U+2028
    return [json.loads(line) for line in (root / source).read_bytes().decode("utf-8").split("\n") if line]


@functools.cache
def checkout_records(name: str) -> tuple[dict, ...]:
    return tuple(read_records(template(), KINDS[name].source))


@functools.cache
def checkout() -> dict:
    """What the generator needs to know of the checkout: texts, articles per document, statements."""
    articles = defaultdict(int)
    for article in checkout_records("article"):
        articles[article["doc_id"]] += 1
    return {
        "texts": {d["doc_id"]: (template() / "corpus" / "raw" / f"{d['doc_id']}.txt").read_bytes().decode("utf-8") for d in checkout_records("document")},
        "articles": dict(articles),
        "statements": [(s["id"], s["speaker"]) for s in checkout_records("registry_statement")],
    }


@dataclass
class Case:
    """A corpus to write over the checkout: new documents (text, number of articles) and, for each
    document named in `layers`, span layers that replace all of its span records."""

    texts: dict[str, str] = field(default_factory=dict)
    articles: dict[str, int] = field(default_factory=dict)
    layers: dict[str, dict[str, list[dict]]] = field(default_factory=dict)

    def write(self) -> CorpusRepo:
        """The case over this process's working copy of the checkout. Every file an example may
        change is rewritten (and stale synthetic raw files removed), so examples never leak into
        each other and no example pays for a copy of the whole checkout."""
        root = workspace()
        for doc_id in SYNTHETIC_IDS:
            (root / "corpus" / "raw" / f"{doc_id}.txt").unlink(missing_ok=True)
        for doc_id, text in self.texts.items():
            (root / "corpus" / "raw" / f"{doc_id}.txt").write_bytes(text.encode("utf-8"))
        added = {
            "document": [document_record(doc_id, text) for doc_id, text in self.texts.items()],
            "article": [article_record(doc_id, n) for doc_id in self.texts for n in range(self.articles[doc_id])],
        }
        for name in SPAN_LAYERS:
            added[name] = [record for layers in self.layers.values() for record in layers.get(name, [])]
        for name, records in added.items():
            kind = KINDS[name]
            kept = [r for r in checkout_records(name) if name not in SPAN_LAYERS or r["doc_id"] not in self.layers]
            # canonical form, or every example would also be a ZN307
            (root / kind.source).write_text(canonical_text(kept + records, kind), encoding="utf-8", newline="\n")
        return CorpusRepo(root)


def document_record(doc_id: str, text: str) -> dict:
    return {
        "doc_id": doc_id, "source_file": f"{doc_id}.txt", "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "outlet": "Oracle", "outlet_evidence": "generated", "url": None, "language": "en",
        "rights": "generated", "derived_from": [],
    }


def article_record(doc_id: str, index: int) -> dict:
    return {"doc_id": doc_id, "article_index": index, "title": "Generated", "authors": [], "published": PUBLISHED,
            "published_evidence": "stated", "published_reason": "generated"}


# ---------------------------------------------------------------------------------------------
# Strategies: texts; then clean layers (zones tiling the text, flat entities and timexes, each timex
# inside a zone of its article), some of whose spans touch (a cut inside a word, as in "China" +
# "-based"); then mistakes, each aimed at a rule.


@st.composite
def texts(draw, spaces: list[str] = SPACES) -> str:
    """Words (astral, combining, right-to-left, punctuation) between runs of white space, maybe at
    the very start and end too; now and then blank or empty. NFC, as raw texts must be (ZN110)."""
    white_space = st.lists(st.sampled_from(spaces), min_size=1, max_size=3).map("".join)
    if draw(st.integers(0, 9)) == 0:
        pieces = [draw(st.one_of(st.just(""), white_space))]
    else:
        pieces = draw(st.lists(st.one_of(words, words, white_space), min_size=6, max_size=30))
    return unicodedata.normalize("NFC", "".join(pieces))  # white space too: NFC maps U+2000 to U+2002


def runs(text: str) -> list[tuple[int, int]]:
    """The maximal runs of non-white-space characters: spans made of them never touch white space."""
    found, start = [], None
    for i, ch in enumerate(text + " "):
        if ch.isspace() and start is not None:
            found.append((start, i))
            start = None
        elif not ch.isspace() and start is None:
            start = i
    return found


@st.composite
def run_span(draw, pieces: list[tuple[int, int]], max_runs: int = 3) -> tuple[int, int]:
    first = draw(st.integers(0, len(pieces) - 1))
    last = draw(st.integers(first, min(len(pieces) - 1, first + max_runs - 1)))
    return pieces[first][0], pieces[last][1]


@st.composite
def split(draw, span: tuple[int, int]) -> list[tuple[int, int]]:
    """The span, or its two halves cut inside it: two spans that touch."""
    s, e = span
    if e - s < 2 or draw(st.booleans()):
        return [span]
    cut = draw(st.integers(s + 1, e - 1))
    return [(s, cut), (cut, e)]


@st.composite
def tiling(draw, text: str) -> list[tuple[int, int]]:
    """Zones that cover every run exactly once: the runs cut into consecutive groups, some zones
    cut again inside a word."""
    pieces = runs(text)
    if not pieces:
        return []
    cuts = sorted(draw(st.sets(st.integers(1, len(pieces) - 1), max_size=min(6, len(pieces) - 1))) if len(pieces) > 1 else set())
    bounds = [0, *cuts, len(pieces)]
    return [half for a, b in zip(bounds, bounds[1:]) for half in draw(split((pieces[a][0], pieces[b - 1][1])))]


def flat(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans in order, without those that would overlap the one kept before."""
    kept, reach = [], 0
    for s, e in sorted(spans):
        if s >= reach:
            kept.append((s, e))
            reach = e
    return kept


@st.composite
def timex_in(draw, zone: dict, pieces: list[tuple[int, int]]) -> dict:
    """A timex inside the zone, of its article: anywhere in it, the whole zone, or ending or starting
    where it does (containment at the very edge)."""
    inside = [(max(s, zone["start"]), min(e, zone["end"])) for s, e in pieces if s < zone["end"] and zone["start"] < e]
    s, e = draw(st.one_of(run_span(inside), st.just((zone["start"], zone["end"])), run_span(inside[-1:]), run_span(inside[:1])))
    return {"start": s, "end": e, "article_index": zone["article_index"]}


@st.composite
def clean_layers(draw, text: str, articles: int, statements: list[tuple[str, str]]) -> dict[str, list[dict]]:
    pieces = runs(text)
    zones = [{"start": s, "end": e, "article_index": draw(st.integers(0, articles - 1))} for s, e in draw(tiling(text))]
    entities = flat([half for span in (draw(st.lists(run_span(pieces), max_size=5)) if pieces else []) for half in draw(split(span))])
    chosen = draw(st.lists(st.sampled_from(zones), min_size=1, max_size=3, unique_by=lambda z: z["start"])) if zones else []
    timexes = [draw(timex_in(zone, pieces)) for zone in sorted(chosen, key=lambda z: z["start"])]
    quotes = []
    for s, e in draw(st.lists(run_span(pieces, max_runs=6), max_size=3)) if pieces else []:
        statement, speaker = draw(st.sampled_from(statements))
        quote = {"start": s, "end": e, "speaker": speaker, "statement_id": statement}
        for part in QUOTE_PARTS:
            s2, e2 = draw(run_span(pieces, max_runs=2)) if draw(st.booleans()) else (None, None)
            quote.update({f"{part}start": s2, f"{part}end": e2})
        quotes.append(quote)
    return {"zone": zones, "entity": [{"start": s, "end": e} for s, e in entities], "timex": timexes, "quote": quotes}


SHAPES = ("copy", "nested", "overlaps its end", "overlaps its start", "touches its end", "touches its start", "same start", "same end")


@st.composite
def span_near(draw, text: str, others: list[dict]) -> tuple[int, int]:
    """A span placed against an existing one (copy, nested, partial overlap on either side, touching,
    same start or end) or anywhere; sometimes empty, reversed or past the end of the text."""
    n = len(text)
    if not others or draw(st.integers(0, 3)) == 0:
        s = draw(st.integers(0, n + 2))
        return s, draw(st.integers(max(0, s - 2), n + 3))
    o = draw(st.sampled_from(others))
    s, e = o["start"], o["end"]
    width = max(1, e - s)  # the other span may itself be empty or reversed
    inward, outward = st.integers(0, width - 1), st.integers(1, 4)
    shape = draw(st.sampled_from(SHAPES))
    if shape == "copy":
        start, end = s, e
    elif shape == "nested":
        start, end = s + draw(inward), e - draw(inward)
    elif shape == "overlaps its end":
        start, end = s + draw(st.integers(1, width)), e + draw(outward)
    elif shape == "overlaps its start":
        start, end = s - draw(outward), s + draw(st.integers(1, width))
    elif shape == "touches its end":
        start, end = e, e + draw(outward)
    elif shape == "touches its start":
        start, end = s - draw(outward), s
    elif shape == "same start":
        start, end = s, s + draw(st.integers(1, width + 3))
    else:  # same end
        start, end = e - draw(st.integers(1, width + 3)), e
    return max(0, start), end


def new_span(layer: str, start: int, end: int, article: int) -> dict:
    span = {"start": start, "end": end, "article_index": article}
    if layer == "quote":
        statement, speaker = checkout()["statements"][0]
        span.update({"speaker": speaker, "statement_id": statement, **{f"{p}{f}": None for p in QUOTE_PARTS for f in ("start", "end")}})
    return span


# (layers, mistake), each aimed at a rule. A document gets each entry 0 to `most` times (cases), so
# a kind listed twice comes twice as often.
MISTAKES = (
    (SPAN_LAYERS, "out of range"),               # ZN301
    (SPAN_LAYERS, "wrong text"),                 # ZN302
    (SPAN_LAYERS, "stale text"),                 # ZN302: offsets moved, text kept
    (SPAN_LAYERS, "over white space"),           # ZN304: one edge moved onto the white space next to it
    (SPAN_LAYERS, "move"),                       # any of them
    (FLAT_LAYERS, "add near"),                   # ZN305: copy, nested, partial, touching
    (FLAT_LAYERS, "add near"),
    (("zone",), "drop"),                         # ZN306: a gap
    (("zone", "timex"), "article"),              # ZN405
    (("timex",), "article"),
    (("timex",), "article"),
    (("quote",), "quote part"),                  # a cue or source span anywhere
    (("quote",), "half-null part"),              # ZN301: null only together
)


@st.composite
def mistake(draw, layers: dict[str, list[dict]], text: str, articles: int, kinds=MISTAKES) -> None:
    """One mistake of one of the `kinds`, in place, in the spans (offsets; texts are filled in by
    with_texts)."""
    names, what = draw(st.sampled_from(kinds))
    name = draw(st.sampled_from(names))
    spans = layers[name]
    if what == "add near" or not spans:
        # mostly against a span of the same layer: the overlaps ZN305 is about
        near = spans if spans and draw(st.integers(0, 3)) else [x for layer in layers.values() for x in layer]
        start, end = draw(span_near(text, near))
        spans.append(new_span(name, start, end, draw(st.integers(0, articles - 1))))
        return
    span = draw(st.sampled_from(spans))
    n, s, e = len(text), span["start"], span["end"]
    if what == "out of range":
        span["start"], span["end"] = draw(st.sampled_from([(s, s), (e, s), (s, n + 1), (n, n + draw(st.integers(1, 3)))]))
    elif what == "wrong text":
        # same length too: a text compared by its length alone would pass
        shifted, other = text[s + 1:e + 1] or "x", "".join("x" if ch != "x" else "y" for ch in text[s:e]) or "x"
        span["text"] = draw(st.sampled_from([shifted, other, "😀", "\u00a0", text[s:e] + " "]))
    elif what in ("stale text", "move"):
        if what == "stale text" and 0 <= s < e <= n:
            span.setdefault("text", text[s:e])
        edge, delta = draw(st.sampled_from(["start", "end", "both"])), draw(st.sampled_from([-2, -1, 1, 2]))
        start, end = s + (delta if edge != "end" else 0), e + (delta if edge != "start" else 0)
        span["start"], span["end"] = max(0, start), max(0, end)  # offsets below 0 are a schema error (ZN201)
    elif what == "over white space":
        if 0 <= e < n and text[e].isspace() and not (0 < s <= n and text[s - 1].isspace() and draw(st.booleans())):
            span["end"] = e + 1
        elif 0 < s <= n and text[s - 1].isspace():
            span["start"] = s - 1
    elif what == "drop":
        spans.remove(span)
    elif what == "article" and articles > 1:
        span["article_index"] = (span["article_index"] + draw(st.integers(1, articles - 1))) % articles
    elif what == "quote part":
        part = draw(st.sampled_from(QUOTE_PARTS))
        span[f"{part}start"], span[f"{part}end"] = draw(span_near(text, layers["entity"] + layers["zone"]))
    elif what == "half-null part":
        part = draw(st.sampled_from(QUOTE_PARTS))
        span[f"{part}start"], span[f"{part}end"] = None, draw(st.integers(1, max(1, n)))


def with_texts(layers: dict[str, list[dict]], text: str, doc_id: str) -> dict[str, list[dict]]:
    """The layers as records: ids, the covered text (unless a mistake set one; never empty, as the
    schema wants), provenance and the fields each layer needs to be otherwise valid."""
    def covered(s, e, stale=None):
        if stale is not None:
            return stale
        return text[s:e] if 0 <= s < e <= len(text) else "x"

    records = {}
    for name, spans in layers.items():
        records[name] = []
        for n, span in enumerate(spans, start=1):
            record = {"doc_id": doc_id, "id": f"{ID_PREFIX[name]}{n}", "start": span["start"], "end": span["end"], "text": covered(span["start"], span["end"], span.get("text"))}
            if name == "zone":
                record.update(label="body", article_index=span["article_index"])
            elif name == "entity":
                record.update(label="CARDINAL", entity_id=None)
            elif name == "timex":
                # a DURATION: no DATE value for ZN408 to compare with the text
                record.update(type="DURATION", value="P90D", mod=None, article_index=span["article_index"], creation_time=False)
            else:
                record["type"] = "indirect"
                for part in QUOTE_PARTS:
                    s, e = span[f"{part}start"], span[f"{part}end"]
                    record.update({f"{part}start": s, f"{part}end": e, f"{part}text": None if s is None else covered(s, e)})
                record.update(speaker=span["speaker"], statement_id=span["statement_id"])
            records[name].append({**record, **PROVENANCE})
    return records


@st.composite
def cases(draw, new_documents=st.lists(st.sampled_from(SYNTHETIC_IDS), max_size=3, unique=True), new_texts=texts(),
          replaced_documents: int = 2, most_of_each_kind=st.sampled_from([1, 2]), mistakes_in_all=st.just(0),
          moved_records=st.just(0)) -> Case:
    """New documents and/or replaced layers of up to `replaced_documents` of the checkout's
    documents: clean layers, then mistakes, up to `most_of_each_kind` of each kind per document
    and so many more on documents drawn at random, then `moved_records` spans copied, text and
    offsets, into another document (a record whose doc_id changed: its text is another document's)."""
    known = checkout()
    new_ids = draw(new_documents)
    replaced = draw(st.lists(st.sampled_from(sorted(known["texts"])), min_size=0 if new_ids else 1, max_size=replaced_documents, unique=True))
    texts_of = {d: draw(new_texts) for d in new_ids}
    articles_of = {d: draw(st.sampled_from([2, 3, 1])) for d in new_ids}  # several: ZN405 needs two
    texts_of.update({d: known["texts"][d] for d in replaced})
    articles_of.update({d: known["articles"].get(d, 1) for d in replaced})
    layers_of = {d: draw(clean_layers(texts_of[d], articles_of[d], known["statements"])) for d in texts_of}
    for doc_id in texts_of:
        # each kind of mistake 0 to `most` times, in any order: sampled_from would mostly draw the
        # first kinds (Hypothesis favours the first choice), and some documents keep clean zones
        most = draw(most_of_each_kind)  # 1: zones mostly left tiling, so timexes decide ZN405; 2: more overlaps
        planned = draw(st.permutations([kind for kind in MISTAKES for _ in range(draw(st.integers(0, most)))]))
        for kind in planned:
            draw(mistake(layers_of[doc_id], texts_of[doc_id], articles_of[doc_id], (kind,)))
    for _ in range(draw(mistakes_in_all)):
        doc_id = draw(st.sampled_from(sorted(texts_of)))
        draw(mistake(layers_of[doc_id], texts_of[doc_id], articles_of[doc_id]))
    for _ in range(draw(moved_records) if len(texts_of) > 1 else 0):
        was, now = draw(st.lists(st.sampled_from(sorted(texts_of)), min_size=2, max_size=2, unique=True))
        name = draw(st.sampled_from(SPAN_LAYERS))
        inside = [x for x in layers_of[was][name] if 0 <= x["start"] < x["end"] <= len(texts_of[was])]
        if inside:
            span = draw(st.sampled_from(inside))
            moved = {**span, "text": texts_of[was][span["start"]:span["end"]]}
            if "article_index" in span:
                moved["article_index"] = min(span["article_index"], articles_of[now] - 1)
            layers_of[now][name].append(moved)
    return Case(texts={d: texts_of[d] for d in new_ids}, articles={d: articles_of[d] for d in new_ids},
                layers={d: with_texts(layers, texts_of[d], d) for d, layers in layers_of.items()})


# ---------------------------------------------------------------------------------------------
# The oracles: the corpus as written, and for each rule the (file, line) pairs it must flag.


@dataclass(frozen=True)
class Span:
    layer: str
    file: str
    line: int
    doc_id: str
    start: int
    end: int
    text: str
    record: dict = field(compare=False, hash=False)

    @property
    def where(self) -> tuple[str, int]:
        return self.file, self.line


@dataclass
class Written:
    """The corpus read back from disk, independently of zoomnews: texts, and every span by layer
    (a quote contributes its content span, and its cue and source spans when they are set)."""

    texts: dict[str, str]
    spans: dict[str, list[Span]]
    partial_parts: set[tuple[str, int]]  # quotes whose cue or source is null in some fields only
    _good: dict = field(default_factory=dict, repr=False)

    @classmethod
    def read(cls, root: Path) -> "Written":
        documents = read_records(root, KINDS["document"].source)
        texts = {d["doc_id"]: (root / "corpus" / "raw" / f"{d['doc_id']}.txt").read_bytes().decode("utf-8") for d in documents}
        spans, partial = {}, set()
        for name in SPAN_LAYERS:
            source = KINDS[name].source
            spans[name] = []
            for line, record in enumerate(read_records(root, source), start=1):
                for prefix in ("", *QUOTE_PARTS) if name == "quote" else ("",):
                    values = [record[f"{prefix}{f}"] for f in ("start", "end", "text")]
                    if all(v is not None for v in values):
                        spans[name].append(Span(name + prefix, source, line, record["doc_id"], *values, record))
                    elif any(v is not None for v in values):
                        partial.add((source, line))
        return cls(texts, spans, partial)

    def all_spans(self) -> list[Span]:
        return [s for spans in self.spans.values() for s in spans]

    def in_range(self, span: Span) -> bool:
        return 0 <= span.start < span.end <= len(self.texts[span.doc_id])

    def good(self, span: Span) -> bool:
        """Passed ZN301 and ZN302: the spans the later checks look at."""
        return self.in_range(span) and span.text == self.texts[span.doc_id][span.start:span.end]

    def good_spans(self, layer: str) -> dict[str, list[Span]]:
        if layer not in self._good:
            self._good[layer] = by_doc = defaultdict(list)
            for span in self.spans[layer]:
                if self.good(span):
                    by_doc[span.doc_id].append(span)
        return self._good[layer]


def overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def verdict(w: Written, span: Span) -> str | None:
    """The first of the span-local rules the span breaks: ZN301, else ZN302, else ZN304, else None."""
    if not w.in_range(span):
        return "ZN301"
    if not w.good(span):
        return "ZN302"
    if span.text[0].isspace() or span.text[-1].isspace():
        return "ZN304"
    return None


def span_local_oracle(w: Written) -> dict[str, tuple[set, set]]:
    """ZN301 (0 <= start < end <= len(text); a quote's cue or source null in some fields only is one
    too), ZN302 (text == doc[start:end]) and ZN304 (no white space at either edge): for each rule,
    the (file, line) pairs it must flag and those left undecided.

    Undecided: a quote whose content, cue and source spans fail different rules. Per span, each
    part's first failure is reported (the record path did that); per record, only the record's
    first failure, since a check skips the records an earlier check flagged (the block engine
    does that). Either is "each mistake reported once"; the oracle takes no side."""
    by_record = defaultdict(list)
    for span in w.all_spans():
        by_record[span.where].append(verdict(w, span))
    for where in w.partial_parts:
        by_record[where].append("ZN301")
    per_span = {code: {where for where, found in by_record.items() if code in found} for code in ("ZN301", "ZN302", "ZN304")}
    per_record = {code: {where for where, found in by_record.items() if min(filter(None, found), default=None) == code} for code in per_span}
    return {code: (per_span[code] & per_record[code], per_span[code] ^ per_record[code]) for code in per_span}


def overlapping_pairs(w: Written, layer: str) -> list[tuple[Span, Span]]:
    return [(a, b) for spans in w.good_spans(layer).values() for a, b in combinations(spans, 2) if overlap(a, b)]


def expected_overlaps(w: Written) -> set:
    """ZN305 as the library reports it. Spans are taken in order of start, the longer first, then
    id in number order, then line (so a span too long that shares its start with a span it covers
    comes first); a span clashes when it starts before an earlier good span of its document ends,
    and is named against the earlier span ending last (the later of two ending together). An earlier
    span named against by two or more clashing spans is the one flagged (too long), and the rest are
    looked at again without it; once there is none, each clashing span is flagged (identical spans:
    the later id, a copy pasted with a new id, wherever its line)."""
    flagged = set()
    for layer in FLAT_LAYERS:
        for spans in w.good_spans(layer).values():
            left = sorted(spans, key=lambda s: (s.start, -s.end, int(s.record["id"][1:]), s.line))
            while True:
                against = {}  # position of a clashing span -> position of the earlier span it is named against
                for i, later in enumerate(left):
                    if any(later.start < earlier.end for earlier in left[:i]):
                        against[i] = max(range(i), key=lambda e: (left[e].end, e))
                named = list(against.values())
                covering = {e for e in named if named.count(e) > 1}
                if not covering:
                    break
                flagged |= {left[e].where for e in covering}
                left = [s for e, s in enumerate(left) if e not in covering]
            flagged |= {left[i].where for i in against}
    return flagged


def uncovered_documents(w: Written) -> set[str]:
    """ZN306: documents with a non-blank character in no good zone, among those none of whose zones
    failed ZN301 or ZN302 (that zone is the gap's cause: it is reported, the gap is not). Double
    cover is an overlap (ZN305), not a tiling problem."""
    zones = w.good_spans("zone")
    with_a_bad_zone = {z.doc_id for z in w.spans["zone"] if not w.good(z)}
    found = set()
    for doc_id, text in w.texts.items():
        if doc_id in with_a_bad_zone:
            continue
        covered = {i for z in zones.get(doc_id, []) for i in range(z.start, z.end)}
        if any(not ch.isspace() and i not in covered for i, ch in enumerate(text)):
            found.add(doc_id)
    return found


def article_oracle(w: Written) -> tuple[set, set]:
    """ZN405: the good timexes the oracle decides, and those of them that must be flagged. The rule:
    a timex lies inside a good zone of its document whose article_index it has.
    - meets no zone: not flagged (it lies wholly in a gap, which is ZN306's);
    - inside a zone: flagged iff no zone around it has its article_index;
    - crosses from one zone into the next, every non-blank character of it in some zone: flagged.
    Undecided: a timex meeting a zone that overlaps another (which zone is then the timex's own is
    not defined; the overlap is ZN305), and one that crosses from a zone into a gap (ZN306 reports
    the gap; whether ZN405 reports the timex too is left open)."""
    zones = w.good_spans("zone")
    decided, flagged = set(), set()
    for doc_id, timexes in w.good_spans("timex").items():
        own = zones.get(doc_id, [])
        for t in timexes:
            met = [z for z in own if overlap(z, t)]
            around = [z for z in met if z.start <= t.start and t.end <= z.end]
            covered = {i for z in met for i in range(z.start, z.end)}
            if any(overlap(z, other) for z in met for other in own if other is not z):
                continue
            if not met:
                decided.add(t.where)
            elif around:
                decided.add(t.where)
                if all(z.record["article_index"] != t.record["article_index"] for z in around):
                    flagged.add(t.where)
            elif all(ch.isspace() or i in covered for i, ch in enumerate(t.text, start=t.start)):
                decided.add(t.where)
                flagged.add(t.where)
    return decided, flagged


# ---------------------------------------------------------------------------------------------
# Running the validator.


def report_of(case: Case):
    repo = case.write()
    problems = validate_repo(repo, releases=False).problems
    unexpected = sorted({p.code for p in problems} - SPAN_RULES)
    # the generator writes records valid but for the span rules: anything else means the oracles'
    # cascade assumptions do not hold for this example
    assert not unexpected, [str(p) for p in problems if p.code in unexpected]
    return Written.read(repo.root), problems


def flagged(problems, code: str) -> set:
    return {(p.file, p.line) for p in problems if p.code == code}


def line_of(w: Written, where: tuple[str, int]) -> str:
    """A flagged record, for assertion messages."""
    return next((json.dumps(s.record, ensure_ascii=False) for s in w.all_spans() if s.where == where), str(where))


def assert_same(w: Written, reported: set, expected: set, rule: str) -> None:
    missed = sorted(expected - reported)
    extra = sorted(reported - expected)
    assert not missed and not extra, f"{rule}: not reported {[line_of(w, x) for x in missed]}; reported, not expected {[line_of(w, x) for x in extra]}"


# ---------------------------------------------------------------------------------------------
# The properties. Every span rule is checked on each generated corpus in one test: a validation per
# example is most of the cost. The explicit examples are the edge of each rule, run first, always.


def handmade(text: str, articles: int = 1, zones=(), entities=(), timexes=(), doc_id: str = "aa-oracle") -> Case:
    """A new document with the given spans: zones and timexes (start, end, article_index), entities
    (start, end[, text]); zones default to one zone per run of non-blank characters."""
    layers = {
        "zone": [{"start": s, "end": e, "article_index": a} for s, e, a in zones or [(s, e, 0) for s, e in runs(text)]],
        "entity": [{"start": s, "end": e} | ({"text": t[0]} if t else {}) for s, e, *t in entities],
        "timex": [{"start": s, "end": e, "article_index": a} for s, e, a in timexes],
        "quote": [],
    }
    return Case(texts={doc_id: text}, articles={doc_id: articles}, layers={doc_id: with_texts(layers, text, doc_id)})


EDGES = {
    "partial overlap, different starts": handmade("Zoom Video Communications", entities=[(0, 10), (5, 25)]),
    "same start, nested, identical": handmade("Zoom Video Communications", entities=[(0, 4), (0, 10), (5, 10), (5, 10)]),
    "touching spans do not overlap": handmade("China-based", zones=[(0, 5, 0), (5, 11, 0)], entities=[(0, 5), (5, 11)]),
    "too long, sharing its start with a span it covers": handmade("Zoom will stop selling now", entities=[(0, 4), (0, 22), (5, 9)]),
    "too long, starting inside an earlier span": handmade("Zoom Video will stop selling now", entities=[(0, 10), (5, 28), (11, 15), (16, 20)]),
    "ends on a no-break space": handmade("Zoom\u00a0said\u2003it", entities=[(0, 5), (5, 10), (10, 12)]),
    "starts on white space": handmade("Zoom\u3000said", entities=[(4, 9)]),
    "a gap between zones": handmade("one two", zones=[(0, 3, 0)]),
    "only white space uncovered": handmade(" one\u00a0\n", zones=[(1, 4, 0)]),
    "timex is its zone, of another article": handmade("Monday morning", articles=2, zones=[(0, 6, 0), (7, 14, 1)], timexes=[(7, 14, 0)]),
    "timex across two zones": handmade("Monday morning", zones=[(0, 6, 0), (7, 14, 0)], timexes=[(4, 9, 0)]),
    "astral offsets in code points": handmade("😀 𝔘𝔫𝔦 x", entities=[(2, 5), (6, 7), (6, 8)]),
    "UTF-16 offsets: same length, other text": handmade("😀 Zoom said", entities=[(3, 7, "Zoom")]),
}


@given(cases())
@example(EDGES["partial overlap, different starts"])
@example(EDGES["same start, nested, identical"])
@example(EDGES["touching spans do not overlap"])
@example(EDGES["too long, sharing its start with a span it covers"])
@example(EDGES["too long, starting inside an earlier span"])
@example(EDGES["ends on a no-break space"])
@example(EDGES["starts on white space"])
@example(EDGES["a gap between zones"])
@example(EDGES["only white space uncovered"])
@example(EDGES["timex is its zone, of another article"])
@example(EDGES["timex across two zones"])
@example(EDGES["astral offsets in code points"])
@example(EDGES["UTF-16 offsets: same length, other text"])
def test_every_span_rule_matches_its_oracle(case):
    """ZN301, ZN302, ZN304: exactly the spans the oracle says, each under its first broken rule.
    ZN305: first whichever span of a pair a validator names (the documents with a ZN305 in a layer
    are those with an overlapping pair of good spans there; every such pair has a flagged member;
    every flagged span overlaps another), then exactly the library's choice.
    ZN306: one problem for each document with a non-blank character in no good zone, naming it.
    ZN405: exactly the timexes article_oracle decides to flag, among those it decides."""
    w, problems = report_of(case)
    for code, (expected, undecided) in span_local_oracle(w).items():
        assert_same(w, flagged(problems, code) - undecided, expected, code)

    overlaps_reported = flagged(problems, "ZN305")
    for layer in FLAT_LAYERS:
        pairs = overlapping_pairs(w, layer)
        spans = {s.where: s for s in w.spans[layer]}
        in_layer = {spans[x] for x in overlaps_reported if x in spans}
        assert {s.doc_id for s in in_layer} == {a.doc_id for a, _ in pairs}, f"ZN305: documents with overlapping {layer} spans"
        assert all(a.where in overlaps_reported or b.where in overlaps_reported for a, b in pairs), f"ZN305: an overlapping {layer} pair with neither flagged"
        assert all(any(s in pair for pair in pairs) for s in in_layer), f"ZN305: a flagged {layer} span overlapping none"

    messages = [p.message for p in problems if p.code == "ZN306"]
    uncovered = uncovered_documents(w)
    named = {doc_id for doc_id in w.texts if any(doc_id in m for m in messages)}
    assert named == uncovered and len(messages) == len(uncovered), f"ZN306: {messages} but expected {sorted(uncovered)}"

    decided, expected = article_oracle(w)
    assert_same(w, flagged(problems, "ZN405") & decided, expected, "ZN405")

    assert_same(w, overlaps_reported, expected_overlaps(w), "ZN305")  # last: the one choice an engine may change


def test_a_timex_across_two_zones_is_reported():
    """ZN405's rule: a timex lies inside a zone. One that starts in a zone and ends in the next (both
    of its article, no gap between them) lies in none, and ZN405 says so (the tiling check sees no
    gap there; found by this file's oracles)."""
    case = handmade("Monday morning", zones=[(0, 6, 0), (7, 14, 0)], timexes=[(4, 9, 0)])
    problems = validate_repo(case.write(), releases=False).problems
    assert [p for p in problems if p.file == KINDS["timex"].source], [str(p) for p in problems]


# Three or four new documents (eight or more in all, so blocks of 1-3 documents split the corpus in
# different places), and at most three mistakes in all (mostly one, sometimes none): the mistake of
# one document must be found whichever block it falls in. No C0 control characters (tab, newline,
# ...) in the texts: a span text holding one is written escaped, and an engine may then take another
# path (the Arrow fast path did), where the block size would not be tested at all.
nearly_clean_cases = cases(new_documents=st.lists(st.sampled_from(SYNTHETIC_IDS), min_size=3, max_size=4, unique=True),
                           new_texts=texts([c for c in SPACES if c >= " "]), replaced_documents=0,
                           most_of_each_kind=st.just(0), mistakes_in_all=st.sampled_from([1, 2, 3, 0]),
                           moved_records=st.sampled_from([0, 1]))


def last_document_has_a_gap() -> Case:
    """Five new documents, ten in all; only the last in doc_id order has a mistake (a gap)."""
    cases_ = [handmade(text, doc_id=doc_id) for doc_id, text in zip(SYNTHETIC_IDS, ["one", "two words", "three 😀", "four"])]
    cases_.append(handmade("gap here", zones=[(0, 3, 0)], doc_id=SYNTHETIC_IDS[-1]))
    return Case(texts={d: t for c in cases_ for d, t in c.texts.items()}, articles={d: 1 for c in cases_ for d in c.texts},
                layers={d: l for c in cases_ for d, l in c.layers.items()})


@settings(max_examples=max(10, settings.default.max_examples // 2))  # four validations per example
@given(nearly_clean_cases)
@example(last_document_has_a_gap())
def test_report_is_the_same_for_every_block_size(case):
    """Span checks run a block of documents at a time: no block size may change the report."""
    repo = case.write()
    first, *others = BLOCK_SIZES
    expected = validate_repo(repo, releases=False, block_documents=first).problems
    for size in others:
        assert validate_repo(repo, releases=False, block_documents=size).problems == expected, f"block_documents={size} vs {first}"


@settings(max_examples=max(10, settings.default.max_examples // 2))
@given(cases())
@example(EDGES["astral offsets in code points"])
def test_report_is_the_same_with_tiny_string_view_windows(case):
    """ZN302 compares a span's text with its document's slice as Arrow string views into windows of
    the block's UTF-8 bytes; a slice longer than a window is compared in Python. With windows of a
    few bytes (both paths, many buffers) the report is the one of the real window (a GiB)."""
    from zoomnews.checks import rules, span_arrays

    repo = case.write()
    expected = validate_repo(repo, releases=False).problems
    previous = span_arrays.STRING_VIEW_WINDOW
    try:
        rules.STRING_VIEW_WINDOW = span_arrays.STRING_VIEW_WINDOW = 3
        assert validate_repo(repo, releases=False).problems == expected
    finally:
        rules.STRING_VIEW_WINDOW = span_arrays.STRING_VIEW_WINDOW = previous
