"""Offset units: code points (ours), UTF-16 code units (doccano, UIMA/INCEpTION, CoreNLP, JavaScript),
UTF-8 bytes (Parquet/Arrow buffers, most C tools), and tokens (training views).

An OffsetMap is built once per text; conversions are array lookups, valid both ways. Converting an
offset that falls inside a character (the second half of a surrogate pair, the middle of a
multi-byte sequence) is an error, never a silent rounding.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import regex

# Deterministic tokenizer for the training views: words with inner apostrophes and dots ("won’t",
# "U.S", "Zhumu.com"), numbers with inner dots ("269.82"; a comma splits), and every other non-space character
# on its own — so hyphens split ("China-based" -> China - based) and names inside hyphenated words
# align with tokens. A possessive ’s/'s is its own token; an abbreviation ("U.S.", "Calif.") keeps its
# final dot, a number ("$269.82.") does not; two dots in a row are one token ("..").
# A word's letters include its marks (accents, Indic vowel signs and viramas, Arabic harakat,
# variation selectors) and the joiners ZWNJ/ZWJ: "नरेंद्र", "q́" and "كَتَبَ" are one word each.
#
# The whole rule is one regular expression (each match is one token, so a text is tokenized in C),
# and tokens are then made of whole grapheme clusters (_whole_clusters).
ABBREVIATIONS = frozenset(
    "Calif Aug Sept Sep Oct Nov Dec Jan Feb Mar Apr Jun Jul Inc Corp Co Ltd Mr Mrs Ms Dr St Jr Sr vs etc Gov Sen Rep Mass Wash".split()
)
JOINERS = "\u200c\u200d"  # zero-width non-joiner and joiner: inside words of Indic and Persian script


def _rule(digits: str) -> re.Pattern:
    """The rule (`digits`: the class of digits that are not decimal)."""
    letter = r"[^\W_]"  # a letter or digit
    word = rf"{letter}+(?:['’.]{letter}+)*"  # letters and digits, joined by inner apostrophes and dots
    word_end = rf"(?!['’.]?{letter})"  # the word goes no further: no letter or digit next, nor a separator and one
    abbreviation = "|".join(sorted(ABBREVIATIONS))
    return re.compile(r"(\s*)(" + "|".join([
        r"[^\W_]++(?!['’.])",  # most words: letters and digits, no apostrophe or dot after them
        r"[^\w\s.'’]|_",  # most other characters, on their own
        # a word that keeps the dot after it: one holding a dot and not ending in a digit ("U.S."), or an abbreviation
        rf"(?:(?={letter}+(?:['’]{letter}+)*\.{letter})(?>{word})(?<![{digits}])|(?:{abbreviation}){word_end})\.",
        # a word before its possessive ’s/'s (unless, holding a dot, it keeps the dot after it)
        rf"(?=(?>{word})(?<=['’]s)(?!\.)|{letter}+(?:['’]{letter}+)*(?<=['’]s){word_end}){letter}+(?:['’.]{letter}+)*?(?=['’]s{word_end})",
        rf"(?<={letter})['’]s",  # that possessive
        word,
        r"\.\.?",  # a dot, or two
        r"\S",  # any other character on its own
    ]) + ")")  # (the white space before a token is matched, not searched: that is twice as fast)


# Tokens never end inside a grapheme cluster (Unicode UAX #29 extended clusters, as the `regex` module's
# \X finds them: an emoji ZWJ sequence, an emoji with its skin tone or variation selector, a flag, a
# letter with its marks). A text with no mark, joiner or character that can join a cluster to its
# neighbour (a Grapheme_Cluster_Break other than Other and the controls) has clusters of one character
# (or CR LF, white space) and no letter a mark: it is tokenized by the rule and not segmented. Any
# other text is tokenized as the same text with each mark and joiner replaced by an "x" (a letter no
# abbreviation holds, so it reads as a letter and nothing more; a class of the marks in the rule
# instead was searched range by range by `re`, 10x as slow), then segmented.
_CLUSTER = regex.compile(r"\X")
_LETTER = ord("x")


@functools.cache
def _token_patterns() -> tuple[re.Pattern, np.ndarray, np.ndarray]:
    """The rule, which code points are marks or joiners (read as letters), and which make a text need
    segmenting into clusters (built on first use, in about 0.1 s: finding the digits that are not
    decimal, the marks, the joining characters).
    Python's own character database decides digits and marks, as it does for `re`'s \\w; `regex` (whose
    Unicode is newer, a superset) only narrows the candidates, which took 0.5 s one by one."""
    characters = np.arange(sys.maxunicode + 1, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    digits = r"\d" + re.escape("".join(c for c in regex.findall(r"\p{N}", characters) if c.isdigit() and not c.isdecimal()))
    marks = "".join(c for c in regex.findall(r"\p{M}", characters) if unicodedata.category(c)[0] == "M") + JOINERS
    joining = "".join(rf"\p{{Grapheme_Cluster_Break={value}}}" for value in
                      ("Extend", "ZWJ", "SpacingMark", "Prepend", "Regional_Indicator", "L", "V", "T", "LV", "LVT"))
    is_mark = np.zeros(len(characters), dtype=bool)  # tables: looking a text's code points up is 50x faster than searching it
    is_mark[_code_points(marks)] = True
    needs = is_mark.copy()
    needs[_code_points("".join(regex.findall(f"[{joining}]", characters)))] = True
    return _rule(digits), is_mark, needs


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


class OffsetError(ValueError):
    pass


def utf8_offsets(points: np.ndarray) -> np.ndarray:
    """utf8[i] = UTF-8 byte offset of code point offset i into the code points `points` (len + 1 entries)."""
    widths = np.ones(len(points), dtype=np.uint8)  # (bytes, not int64s: validate maps every text it checks)
    widths += points >= 0x80
    widths += points >= 0x800
    widths += points >= 0x10000
    offsets = np.zeros(len(points) + 1, dtype=np.int64)
    np.cumsum(widths, dtype=np.int64, out=offsets[1:])
    return offsets


@dataclass(frozen=True)
class OffsetMap:
    text: str

    @cached_property
    def _points(self) -> np.ndarray:
        return np.frombuffer(self.text.encode("utf-32-le"), dtype=np.uint32)

    @cached_property
    def utf16(self) -> np.ndarray:
        """utf16[i] = UTF-16 offset of code point offset i (len(text) + 1 entries)."""
        widths = np.where(self._points > 0xFFFF, 2, 1)
        return np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)

    @cached_property
    def utf8(self) -> np.ndarray:
        return utf8_offsets(self._points)

    def _to(self, table: np.ndarray, offsets):
        offsets = np.asarray(offsets, dtype=np.int64)
        if np.any((offsets < 0) | (offsets > len(self.text))):
            raise OffsetError(f"code-point offset outside 0..{len(self.text)}")
        return table[offsets]

    def _from(self, table: np.ndarray, offsets, unit: str):
        offsets = np.asarray(offsets, dtype=np.int64)
        index = np.searchsorted(table, offsets)
        if np.any(index > len(self.text)) or np.any(table[np.minimum(index, len(self.text))] != offsets):
            raise OffsetError(f"{unit} offset inside a character or outside the text")
        return index

    def cp_to_utf16(self, offsets):
        return self._to(self.utf16, offsets)

    def utf16_to_cp(self, offsets):
        return self._from(self.utf16, offsets, "UTF-16")

    def cp_to_utf8(self, offsets):
        return self._to(self.utf8, offsets)

    def utf8_to_cp(self, offsets):
        return self._from(self.utf8, offsets, "UTF-8")


def token_bounds(text: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The tokens of a whole text: starts and ends (code points, int64 arrays) and the tokens' text.
    Made in C: splitting on the pattern gives the white space before each token and the token."""
    rule, is_mark, needs = _token_patterns()
    points = None if text.isascii() else np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cut = points is not None and needs[points].any()
    read = text
    if cut and is_mark[points].any():  # the marks and joiners read as letters (same length: same offsets)
        read = np.where(is_mark[points], np.uint32(_LETTER), points).tobytes().decode("utf-32-le", "surrogatepass")
    parts = rule.split(read)  # ["", space, token, "", space, token, ..., trailing space]
    bounds = np.cumsum(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)))
    starts, ends = bounds[1::3], bounds[2::3]
    if not cut or not len(starts):
        return starts, ends, parts[2::3]
    starts, ends = _whole_clusters(text, starts, ends)
    return starts, ends, list(map(text.__getitem__, map(slice, starts.tolist(), ends.tolist())))


def _whole_clusters(text: str, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The tokens joined where they meet inside a grapheme cluster. A cluster holding white space (a
    space carrying a combining mark, a prepended sign before a space) stays cut where the rule cut it:
    tokens never hold white space, and every other character is in one."""
    bounds = np.concatenate([[0], np.cumsum(np.fromiter(map(len, _CLUSTER.findall(text)), dtype=np.int64))])
    coverage = np.zeros(len(text) + 1, dtype=np.int64)
    np.add.at(coverage, starts, 1)
    np.add.at(coverage, ends, -1)
    blank = np.concatenate([[0], np.cumsum(np.cumsum(coverage)[:-1] == 0)])  # blank[i]: characters before i in no token
    meet = ends[:-1] == starts[1:]  # token i ends where token i + 1 starts
    cluster = np.searchsorted(bounds, ends[:-1], side="right") - 1  # the cluster holding the first character after token i
    joined = meet & (bounds[cluster] != ends[:-1]) & (blank[bounds[cluster + 1]] == blank[bounds[cluster]])
    return starts[np.concatenate([[True], ~joined])], ends[np.concatenate([~joined, [True]])]


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Token spans (code points) of text[start:end]; a possessive 's/’s is its own token. A window
    is tokenized as a text of its own (what lies outside it is never looked at)."""
    stop = len(text) if end is None else end
    starts, ends, _ = token_bounds(text[start:stop] if start or stop != len(text) else text)
    return list(zip((starts + start).tolist(), (ends + start).tolist()))


def char_to_token_span(tokens: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """The token range [first, last) covering exactly code points start..end, or None if they do not align."""
    starts = [s for s, _ in tokens]
    ends = [e for _, e in tokens]
    first = np.searchsorted(starts, start)
    last = np.searchsorted(ends, end)
    if first < len(tokens) and last < len(tokens) and starts[first] == start and ends[last] == end and first <= last:
        return int(first), int(last) + 1
    return None


def token_to_char_span(tokens: list[tuple[int, int]], first: int, last: int) -> tuple[int, int]:
    return tokens[first][0], tokens[last - 1][1]
