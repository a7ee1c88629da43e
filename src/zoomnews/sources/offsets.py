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
from dataclasses import dataclass
from functools import cached_property

import numpy as np

# Deterministic tokenizer for the training views: words with inner apostrophes and dots ("won’t",
# "U.S", "Zhumu.com"), numbers with inner separators ("269.82"), and every other non-space character
# on its own — so hyphens split ("China-based" -> China - based) and names inside hyphenated words
# align with tokens. A possessive ’s/'s is its own token; an abbreviation ("U.S.", "Calif.") keeps its
# final dot, a number ("$269.82.") does not; two dots in a row are one token ("..").
#
# The whole rule is one regular expression (each match is one token, so a text is tokenized in C):
WORD = r"[^\W_]+(?:['’.][^\W_]+)*"  # letters and digits, joined by inner apostrophes and dots
ABBREVIATIONS = frozenset(
    "Calif Aug Sept Sep Oct Nov Dec Jan Feb Mar Apr Jun Jul Inc Corp Co Ltd Mr Mrs Ms Dr St Jr Sr vs etc Gov Sen Rep Mass Wash".split()
)
_WORD_END = r"(?!['’.]?[^\W_])"  # the word goes no further: no letter or digit next, nor a separator and one


@functools.cache
def _token_pattern() -> re.Pattern:
    """Built on first use (finding the digits that are not decimal takes 0.07 s)."""
    digits = r"\d" + re.escape("".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isdigit() and not c.isdecimal()))
    abbreviation = "|".join(sorted(ABBREVIATIONS))
    return re.compile(r"(\s*)(" + "|".join([
        r"[^\W_]++(?!['’.])",  # most words: letters and digits, no apostrophe or dot after them
        r"[^\w\s.'’]|_",  # most other characters, on their own
        # a word that keeps the dot after it: one holding a dot and not ending in a digit ("U.S."), or an abbreviation
        rf"(?:(?=[^\W_]+(?:['’][^\W_]+)*\.[^\W_])(?>{WORD})(?<![{digits}])|(?:{abbreviation}){_WORD_END})\.",
        # a word before its possessive ’s/'s (unless, holding a dot, it keeps the dot after it)
        rf"(?=(?>{WORD})(?<=['’]s)(?!\.)|[^\W_]+(?:['’][^\W_]+)*(?<=['’]s){_WORD_END})[^\W_]+(?:['’.][^\W_]+)*?(?=['’]s{_WORD_END})",
        r"(?<=[^\W_])['’]s",  # that possessive
        WORD,
        r"\.\.?",  # a dot, or two
        r"\S",  # any other character on its own
    ]) + ")")  # (the white space before a token is matched, not searched: that is twice as fast)


class OffsetError(ValueError):
    pass


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
        p = self._points
        widths = np.select([p < 0x80, p < 0x800, p < 0x10000], [1, 2, 3], 4)
        return np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)

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
    parts = _token_pattern().split(text)  # ["", space, token, "", space, token, ..., trailing space]
    bounds = np.cumsum(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)))
    return bounds[1::3], bounds[2::3], parts[2::3]


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
