"""Training views: the `ner` and `attribution` configs keep every span, on any generated corpus and on the gold one."""

from collections import Counter

import pytest
from hypothesis import given, settings, strategies as st

from strategies import corpora, scratch_dir
from test_tokenize_fast import CLUSTERS, cluster_bounds
from zoomnews.sources.offsets import tokenize
from zoomnews.sources.corpus import read_corpus
from zoomnews.release.views import LEFT_OUT, NER_TAGS, ONTONOTES, OVERLAP, TIMEX_TO_ONTONOTES, WIDENED, iob2_spans, ner_rows, view_rows


def check_ner(corpus, rows):
    by_doc = {}
    for row in rows:
        by_doc.setdefault(row["doc_id"], []).append(row)
    gold = {(e["doc_id"], "entities", e["id"]): (e["start"], e["end"], e["label"]) for e in corpus.rows("entity")}
    gold |= {(t["doc_id"], "timexes", t["id"]): (t["start"], t["end"], TIMEX_TO_ONTONOTES[t["type"]]) for t in corpus.rows("timex")}
    tagged, left_out, widened = [], set(), set()
    for doc_id, sentences in by_doc.items():
        text = corpus.texts[doc_id]
        assert [s["sentence"] for s in sentences] == list(range(len(sentences)))
        assert all(a["end"] <= b["start"] for a, b in zip(sentences, sentences[1:]))
        for s in sentences:
            assert s["tokens"] and s["tokens"] == [text[a:b] for a, b in zip(s["token_starts"], s["token_ends"])]
            assert (s["token_starts"][0], s["token_ends"][-1]) == (s["start"], s["end"])
            assert all(set(tag) and (tag == "O" or tag[2:] in ONTONOTES) for tag in s["ner_tags"])
            for i, tag in enumerate(s["ner_tags"]):  # IOB2: an I- continues a span of its own type
                if tag.startswith("I-"):
                    assert i > 0 and s["ner_tags"][i - 1][2:] == tag[2:] and s["ner_tags"][i - 1] != "O"
            for first, last, label in iob2_spans(s["ner_tags"]):
                tagged.append((doc_id, s["token_starts"][first], s["token_ends"][last - 1], label))
            for a in s["adjusted"]:
                (left_out if a["reason"] in LEFT_OUT else widened).add((doc_id, a["layer"], a["id"]))
    # every gold span is tagged exactly where it is (or on the tokens covering it), or reported
    expected = Counter()
    for key, (start, end, label) in gold.items():
        if key in left_out:
            continue
        if key not in widened:
            expected[(key[0], start, end, label)] += 1
    found = Counter(t for t in tagged)
    assert sum(found.values()) + len(left_out) == len(gold)
    assert expected - found == Counter()


def check_attribution(corpus, rows):
    quotes = {(q["doc_id"], q["id"]): q for q in corpus.rows("quote")}
    assert sorted((r["doc_id"], r["id"]) for r in rows) == sorted(quotes)
    for row in rows:
        quote, text = quotes[(row["doc_id"], row["id"])], corpus.texts[row["doc_id"]]
        assert row["paragraph"] == text[row["paragraph_start"]:row["paragraph_end"]]
        for part, prefix in (("content", ""), ("source", "source_"), ("cue", "cue_")):
            span = row[part]
            if quote[f"{prefix}start"] is None:
                assert span is None
                continue
            assert row["paragraph"][span["start"]:span["end"]] == text[quote[f"{prefix}start"]:quote[f"{prefix}end"]]
            assert row["token_starts"][span["start_token"]] <= span["start"] and span["end"] <= row["token_ends"][span["end_token"] - 1]


@settings(max_examples=max(20, settings.default.max_examples // 2))
@given(corpora())
def test_views_keep_every_span_of_any_corpus(spec):
    corpus = read_corpus(spec.write(scratch_dir("views-") / "repo"))
    rows = view_rows(corpus)
    check_ner(corpus, rows["ner"])
    check_attribution(corpus, rows["attribution"])


def test_views_of_the_gold_corpus(gold_corpus):
    rows = view_rows(gold_corpus)
    check_ner(gold_corpus, rows["ner"])
    check_attribution(gold_corpus, rows["attribution"])
    adjusted = [a for s in rows["ner"] for a in s["adjusted"]]
    assert all(a["reason"] == WIDENED for a in adjusted) and len(adjusted) <= 2


def test_misaligned_and_overlapping_spans_are_reported_not_dropped():
    text = "Zoom’s shares rose at ZoomInfo on Monday. Then they fell."
    entities = [{"id": "e1", "start": 0, "end": 4, "label": "ORG"},   # "Zoom" before ’s: aligned
                {"id": "e2", "start": 22, "end": 26, "label": "ORG"},  # "Zoom" inside "ZoomInfo": widened
                {"id": "e3", "start": 34, "end": 40, "label": "DATE"}]  # overlaps the timex below
    timexes = [{"id": "t1", "start": 34, "end": 40, "type": "DATE"}]
    rows = ner_rows("d", text, entities, timexes)
    assert [r["tokens"] for r in rows] == [["Zoom", "’s", "shares", "rose", "at", "ZoomInfo", "on", "Monday", "."], ["Then", "they", "fell", "."]]
    assert rows[0]["ner_tags"] == ["B-ORG", "O", "O", "O", "O", "B-ORG", "O", "B-DATE", "O"]
    assert rows[0]["adjusted"] == [{"layer": "entities", "id": "e2", "reason": WIDENED}, {"layer": "timexes", "id": "t1", "reason": OVERLAP}]


def test_a_span_over_a_line_break_is_left_out_and_reported_with_the_sentence_it_starts_in():
    """Sentences never cross a line (a paragraph); the span was dropped without a word, and build then
    stopped with a traceback (its counts-in = counts-out check)."""
    from zoomnews.release.configs import ner_tally
    from zoomnews.release.views import CROSSES, view_tables

    text = "Zoom met partners.\n\nRemoving them. Then China."
    entities = [{"id": "e1", "start": 9, "end": 28, "label": "WORK_OF_ART"},  # "partners.\n\nRemoving"
                {"id": "e2", "start": 0, "end": 4, "label": "ORG"}, {"id": "e3", "start": 40, "end": 45, "label": "GPE"}]
    rows = ner_rows("d", text, entities, [])
    assert [r["tokens"] for r in rows] == [["Zoom", "met", "partners", "."], ["Removing", "them", "."], ["Then", "China", "."]]
    assert [r["adjusted"] for r in rows] == [[{"layer": "entities", "id": "e1", "reason": CROSSES}], [], []]
    assert [r["ner_tags"] for r in rows] == [["B-ORG", "O", "O", "O"], ["O", "O", "O"], ["O", "B-GPE", "O"]]
    ner, _ = view_tables({"d": text}, {"d": entities}, {"d": []}, {}, [])
    assert ner_tally(ner) == (2, 1)


@pytest.mark.parametrize("text, expected", [
    ("He said “it ends.” Then more.", ["He said “ it ends . ”", "Then more ."]),
    ("Shares rose 6.27 percent. Zoom’s U.S. unit grew.", ["Shares rose 6.27 percent .", "Zoom ’s U.S. unit grew ."]),
    ("It rose. and fell.", ["It rose . and fell ."]),
])
def test_sentence_splitter(text, expected):
    assert [" ".join(r["tokens"]) for r in ner_rows("d", text, [], [])] == expected


def test_tag_names_are_ontonotes_iob2():
    assert NER_TAGS[0] == "O" and len(NER_TAGS) == 37
    assert NER_TAGS[1:5] == ("B-PERSON", "I-PERSON", "B-NORP", "I-NORP")


@pytest.fixture(scope="module")
def gold_corpus():
    from conftest import ROOT
    from zoomnews import CorpusRepo

    return read_corpus(CorpusRepo(ROOT))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*CLUSTERS, "Zoom", "said", "U.S.", "."]), min_size=1, max_size=10), st.data())
def test_tags_reproduce_spans_on_grapheme_cluster_boundaries(words, data):
    """A span on cluster boundaries is tagged exactly when it starts and ends on tokens (tokens end only
    there), and reported (widened, or left out when it shares a token with one widened) when not."""
    text = " ".join(words)
    bounds = sorted(b for b in cluster_bounds(text) if b == len(text) or not text[b].isspace())
    cuts = sorted(set(data.draw(st.lists(st.sampled_from(bounds), min_size=2, max_size=8))))
    entities = [{"id": f"e{i}", "start": a, "end": b, "label": "ORG"} for i, (a, b) in enumerate(zip(cuts[::2], cuts[1::2]))
                if text[a:b].strip() == text[a:b] and text[a:b]]
    rows = ner_rows("d", text, entities, [])
    tokens = tokenize(text)
    starts, ends = {s for s, _ in tokens}, {e for _, e in tokens}
    tagged = {(r["token_starts"][f], r["token_ends"][l - 1]) for r in rows for f, l, _ in iob2_spans(r["ner_tags"])}
    reported = {a["id"] for r in rows for a in r["adjusted"]}
    for e in entities:
        if e["start"] in starts and e["end"] in ends:
            assert (e["start"], e["end"]) in tagged and e["id"] not in reported
        else:
            assert e["id"] in reported
    assert {p for span in tagged for p in span} <= cluster_bounds(text) | {p for p, c in enumerate(text) if c.isspace()} | {p + 1 for p, c in enumerate(text) if c.isspace()}


def test_a_span_inside_a_grapheme_cluster_is_widened_to_its_token_and_reported():
    text = "नरेंद्र मोदी 👩‍💻"
    entities = [{"id": "e1", "start": 0, "end": 2, "label": "PERSON"},  # "नर": ends inside the cluster "रें"
                {"id": "e2", "start": 14, "end": 15, "label": "PRODUCT"}]  # "👩" of the ZWJ sequence
    [row] = ner_rows("d", text, entities, [])
    assert row["tokens"] == ["नरेंद्र", "मोदी", "👩‍💻"]
    assert row["ner_tags"] == ["B-PERSON", "O", "B-PRODUCT"]
    assert row["adjusted"] == [{"layer": "entities", "id": "e1", "reason": WIDENED}, {"layer": "entities", "id": "e2", "reason": WIDENED}]
