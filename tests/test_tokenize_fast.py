"""The tokenizer (one regular expression, zoomnews.sources.offsets) gives exactly the tokens of the rule it
replaced, kept here as the oracle: a Python loop over a simpler expression that took abbreviations'
dots and split possessives by hand, on the text with its marks read as letters, and tokens then
made of whole grapheme clusters (the `regex` module's \\X) by a loop over the clusters. Any text, any window."""

from __future__ import annotations

import re
import sys
import unicodedata

import numpy as np
import pytest
import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from zoomnews.sources.offsets import ABBREVIATIONS, token_bounds, tokenize

_TOKEN = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*|\S", re.UNICODE)
_POSSESSIVE = re.compile(r"(?<=\w)(['’]s)$")


MARKS = frozenset(c for c in map(chr, range(sys.maxunicode + 1)) if unicodedata.category(c).startswith("M")) | {"\u200c", "\u200d"}


def oracle(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """offsets.tokenize: the rule, with marks and joiners read as letters (an "x": no abbreviation
    holds one), made of whole grapheme clusters. A window is a text of its own."""
    window = text[start:end]
    spans = rule("".join("x" if c in MARKS else c for c in window))
    return [(s + start, e + start) for s, e in whole_clusters(window, spans)]


def whole_clusters(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Tokens joined where they meet inside a grapheme cluster that holds no white space."""
    inside = {p for cluster in regex.finditer(r"\X", text) if not any(c.isspace() for c in cluster.group())
              for p in range(cluster.start() + 1, cluster.end())}
    tokens: list[tuple[int, int]] = []
    for s, e in spans:
        if tokens and tokens[-1][1] == s and s in inside:
            tokens[-1] = (tokens[-1][0], e)
        else:
            tokens.append((s, e))
    return tokens


def cluster_bounds(text: str) -> set[int]:
    return {0, *(m.end() for m in regex.finditer(r"\X", text))}


def rule(text: str) -> list[tuple[int, int]]:
    """offsets.tokenize as it was written before (the rule's reference implementation)."""
    spans = []
    start, stop = 0, len(text)
    taken = -1
    for match in _TOKEN.finditer(text, start, stop):
        s, e = match.span()
        if s < taken:
            continue
        if e - s > 1 or text[s] == ".":
            word = match.group()
            if e < stop and text[e] == "." and (("." in word and not word[-1].isdigit()) or word in ABBREVIATIONS):
                e += 1
            elif "'" in word or "’" in word:
                possessive = _POSSESSIVE.search(word)
                if possessive and possessive.start() > 0:
                    cut = s + possessive.start()
                    spans += [(s, cut), (cut, e)]
                    taken = e
                    continue
        spans.append((s, e))
        taken = e
    return spans


# the characters the rule turns on, and a sample of every kind of white space, letters, digits
# (decimal and not), marks, connectors, astral characters
SPECIAL = list(".'’\"-_ s S") + [*"²³¹⁰①௰٣", *"aZé", "\u0301", "\u00a0", "\u2028", "\u3000", "\t", "\n", "\x1c", "\x85",
                                 "𝐀", "😀", "𝟙", "𐍈", "‿", "·", "ǅ"]
ABBREVIATION_TEXT = st.sampled_from(sorted(ABBREVIATIONS) + ["U.S", "John", "it", "269.82", "s", "x", "9"])
# grapheme clusters of more than one character and their parts: combining marks, ZWJ sequences, emoji
# modifiers, variation selectors, flags, Indic and Arabic script (with ZWNJ), prepended signs, Hangul jamo
CLUSTERS = ["नरेंद्र", "मोदी", "क्‍ष", "ক্ষ", "கொ", "كَتَبَ", "مُحَمَّد", "می‌خواهم", "q́", "e\u0301\u0308", "👩‍💻", "👨‍👩‍👧", "👍🏽", "❤️", "☺︎",
            "🇨🇳", "🇺🇸🇨", "\u0600١٢", "\u0d4e", "\u1100\u1161\u11a8", "\u200d", "\u200c", "\ufe0f", "\U0001f3fd", "\u094d", "\u093f",
            "\U0001f1e8", "\u0903", "\u0e33", "\u0301", "\u064e"]
GRAPHEMES = st.lists(st.one_of(st.sampled_from(CLUSTERS), st.sampled_from(SPECIAL), ABBREVIATION_TEXT), max_size=20).map("".join)
PIECE = st.one_of(st.sampled_from(SPECIAL), st.sampled_from(CLUSTERS), ABBREVIATION_TEXT, st.characters(), st.text(max_size=3))
TEXT = st.lists(PIECE, max_size=30).map("".join)


def window(text: str, data) -> tuple[int, int | None]:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.one_of(st.none(), st.integers(start, len(text))))
    return start, end


@settings(max_examples=3000, deadline=None)
@given(TEXT)
@example("John's U.S. Calif. Sept. Sep.t a.b's. a.b's 269.82. ..... x.. '’s it’s. Mr's. Inc.com. ²³. a.²")
@example("a's's. a.b's's b'ss s's 's A.B.C.D. x.y².")
@example("नरेंद्र 👩‍💻 👍🏽 q́ كَتَبَ 🇨🇳🇺🇸 ❤️ a \u0301b")
def test_same_tokens_as_the_rule(text):
    assert tokenize(text) == oracle(text)
    starts, ends, words = token_bounds(text)
    assert list(zip(starts.tolist(), ends.tolist())) == oracle(text)
    assert words == [text[s:e] for s, e in oracle(text)]


@settings(max_examples=3000, deadline=None)
@given(st.one_of(TEXT, GRAPHEMES), st.data())
def test_same_tokens_in_any_window(text, data):
    start, end = window(text, data)
    assert tokenize(text, start, end) == oracle(text, start, end)


@settings(max_examples=1000, deadline=None)
@given(st.text(st.characters(), max_size=60), st.data())
def test_same_tokens_on_arbitrary_unicode(text, data):
    assert tokenize(text) == oracle(text)
    start, end = window(text, data)
    assert tokenize(text, start, end) == oracle(text, start, end)


def test_token_bounds_dtype():
    starts, ends, words = token_bounds("")
    assert starts.dtype == ends.dtype == np.int64 and len(starts) == len(ends) == len(words) == 0


@settings(max_examples=2000, deadline=None)
@given(st.lists(TEXT, max_size=6), st.data())
def test_lines_tokenize_as_in_the_whole_text(lines, data):
    """The training views tokenize a document once and take the tokens of a run of lines: the same
    tokens as tokenizing those lines alone (what they did before)."""
    text = "\n".join(line.replace("\n", " ") for line in lines)
    edges = [0] + [i for i, c in enumerate(text) if c == "\n"] + [len(text)]
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    first = data.draw(st.sampled_from(starts))
    last = data.draw(st.sampled_from([e for e in edges if e >= first]))
    whole = [(s, e) for s, e in oracle(text) if first <= s and e <= last]
    assert whole == oracle(text, first, last) == tokenize(text, first, last)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(GRAPHEMES, TEXT), st.data())
def test_tokens_are_whole_grapheme_clusters(text, data):
    """Oracle: the `regex` module's cluster boundaries. Tokens are code points (text == doc[start:end]),
    never end inside a cluster (but where one holding white space has it) nor hold white space, and
    with the white space between them give the text back."""
    start, end = window(text, data)
    piece = text[start:end]
    starts, ends, words = token_bounds(piece)
    spans = list(zip(starts.tolist(), ends.tolist()))
    assert tokenize(text, start, end) == [(s + start, e + start) for s, e in spans]
    assert all(words) and words == [piece[s:e] for s, e in spans]
    blank_clusters = {p for cluster in regex.finditer(r"\X", piece) if any(c.isspace() for c in cluster.group())
                      for p in range(cluster.start() + 1, cluster.end())}  # where a cluster holding white space is cut
    assert {p for span in spans for p in span} <= cluster_bounds(piece) | blank_clusters
    between = [(a, b) for a, b in zip([0, *ends.tolist()], [*starts.tolist(), len(piece)])]
    assert all(a <= b and piece[a:b].isspace() | (a == b) for a, b in between)  # what lies between tokens is white space
    assert not any(c.isspace() for w in words for c in w)
    assert "".join(piece[a:b] + w for (a, b), w in zip(between, [*words, ""])) == piece


@pytest.mark.parametrize("text, expected", [
    ("नरेंद्र मोदी", ["नरेंद्र", "मोदी"]),  # vowel signs, anusvara, virama: one word each
    ("कहा: “नरेंद्र”", ["कहा", ":", "“", "नरेंद्र", "”"]),
    ("👩‍💻 codes", ["👩‍💻", "codes"]),  # a ZWJ sequence
    ("👍🏽!", ["👍🏽", "!"]),  # an emoji modifier
    ("❤️ ☺︎", ["❤️", "☺︎"]),  # variation selectors
    ("q́ and é", ["q́", "and", "é"]),  # combining marks
    ("كَتَبَ الوَلَدُ", ["كَتَبَ", "الوَلَدُ"]),  # harakat
    ("می‌خواهم", ["می‌خواهم"]),  # ZWNJ inside a Persian word
    ("🇨🇳🇺🇸", ["🇨🇳", "🇺🇸"]),  # flags: pairs of regional indicators
    ("Zoom’s U.S. unit", ["Zoom", "’s", "U.S.", "unit"]),  # no such character: as before
    ("a \u0301b", ["a", "\u0301b"]),  # a space carrying a mark: cut at the space, the mark kept
])
def test_tokens_of_multi_character_graphemes(text, expected):
    assert [text[s:e] for s, e in tokenize(text)] == expected
