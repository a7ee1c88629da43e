"""The tokenizer (one regular expression, zoomnews.sources.offsets) gives exactly the tokens of the rule it
replaced, kept here as the oracle: a Python loop over a simpler expression that took abbreviations'
dots and split possessives by hand. Any text, any window."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from zoomnews.sources.offsets import ABBREVIATIONS, token_bounds, tokenize

_TOKEN = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*|\S", re.UNICODE)
_POSSESSIVE = re.compile(r"(?<=\w)(['’]s)$")


def oracle(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """offsets.tokenize as it was written before (the rule's reference implementation)."""
    spans = []
    stop = len(text) if end is None else end
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
PIECE = st.one_of(st.sampled_from(SPECIAL), ABBREVIATION_TEXT, st.characters(), st.text(max_size=3))
TEXT = st.lists(PIECE, max_size=30).map("".join)


def window(text: str, data) -> tuple[int, int | None]:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.one_of(st.none(), st.integers(start, len(text))))
    return start, end


@settings(max_examples=3000, deadline=None)
@given(TEXT)
@example("John's U.S. Calif. Sept. Sep.t a.b's. a.b's 269.82. ..... x.. '’s it’s. Mr's. Inc.com. ²³. a.²")
@example("a's's. a.b's's b'ss s's 's A.B.C.D. x.y².")
def test_same_tokens_as_the_rule(text):
    assert tokenize(text) == oracle(text)
    starts, ends, words = token_bounds(text)
    assert list(zip(starts.tolist(), ends.tolist())) == oracle(text)
    assert words == [text[s:e] for s, e in oracle(text)]


@settings(max_examples=3000, deadline=None)
@given(TEXT, st.data())
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
