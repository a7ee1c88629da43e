"""Offsets: code points <-> UTF-16 units <-> UTF-8 bytes <-> tokens round-trip for any text."""

import numpy as np
import pytest
from hypothesis import example, given, strategies as st

from strategies import texts
from zoomnews.sources.offsets import OffsetError, OffsetMap, char_to_token_span, token_to_char_span, tokenize
from zoomnews.checks.span_arrays import _SPACE_LIMIT

# the code points where a UTF-8 or UTF-16 width changes: random text rarely lands on them exactly
BOUNDARIES = [chr(c) for c in (0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF)]
any_text = st.one_of(st.text(), st.text(st.one_of(st.characters(), st.sampled_from(BOUNDARIES))), texts())


@given(any_text, st.data())
def test_code_points_utf16_utf8_round_trip(text, data):
    m = OffsetMap(text)
    cp = np.array(data.draw(st.lists(st.integers(0, len(text)), max_size=20)), dtype=np.int64)
    assert list(m.utf16_to_cp(m.cp_to_utf16(cp))) == list(cp)
    assert list(m.utf8_to_cp(m.cp_to_utf8(cp))) == list(cp)


@given(any_text)
@example("".join(BOUNDARIES))
def test_offsets_agree_with_the_encoders(text):
    m = OffsetMap(text)
    for i in range(len(text) + 1):
        assert m.cp_to_utf16(i) == len(text[:i].encode("utf-16-le")) // 2
        assert m.cp_to_utf8(i) == len(text[:i].encode("utf-8"))


@given(st.text(min_size=1).filter(lambda t: any(ord(c) > 0xFFFF for c in t)))
def test_an_offset_inside_a_surrogate_pair_is_an_error(text):
    m = OffsetMap(text)
    i = next(i for i, c in enumerate(text) if ord(c) > 0xFFFF)
    with pytest.raises(OffsetError):
        m.utf16_to_cp(int(m.cp_to_utf16(i)) + 1)
    with pytest.raises(OffsetError):
        m.utf8_to_cp(int(m.cp_to_utf8(i)) + 1)


@given(any_text)
def test_tokens_tile_the_non_blank_text_and_round_trip(text):
    tokens = tokenize(text)
    covered = set()
    for s, e in tokens:
        assert s < e and not text[s].isspace() and not text[e - 1].isspace()
        covered.update(range(s, e))
    assert covered == {i for i, c in enumerate(text) if not c.isspace()}
    assert all(a[1] <= b[0] for a, b in zip(tokens, tokens[1:]))
    for i in range(len(tokens)):
        for j in range(i + 1, min(len(tokens), i + 4) + 1):
            assert char_to_token_span(tokens, *token_to_char_span(tokens, i, j)) == (i, j)


def test_no_white_space_above_the_table():
    assert not any(chr(c).isspace() for c in range(_SPACE_LIMIT, 0x110000))


def test_is_space_is_str_isspace_for_every_code_point():
    from zoomnews.checks.span_arrays import is_space

    every = np.arange(0x110000, dtype=np.uint32)
    assert is_space(every).tolist() == [chr(c).isspace() for c in range(0x110000)]


def test_tokenizer_examples():
    text = "Zoom’s U.S.-founded rival, based in San Jose, Calif., said “no”. It ends at $269.82."
    assert [text[s:e] for s, e in tokenize(text)] == [
        "Zoom", "’s", "U.S.", "-", "founded", "rival", ",", "based", "in", "San", "Jose", ",", "Calif.", ",",
        "said", "“", "no", "”", ".", "It", "ends", "at", "$", "269.82", ".",
    ]


@given(st.lists(any_text, min_size=1, max_size=4), st.data(), st.sampled_from([None, 4, 16]))
def test_string_views_are_the_slices_they_point_at(texts_, data, window):
    """The ZN302 comparison lays the documents' slices out as Arrow string views over their UTF-8
    bytes (code points -> bytes through utf8_offsets): each view reads back as text[start:end], short
    ones held inline, long ones in windowed data buffers (tried here with tiny windows)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from zoomnews.checks import span_arrays

    points, base, utf8 = span_arrays.codepoints(texts_)
    joined = "".join(texts_)
    at = span_arrays.utf8_offsets(points)
    assert utf8 == joined.encode("utf-8") and list(at) == [len(joined[:i].encode("utf-8")) for i in range(len(joined) + 1)]
    pairs = data.draw(st.lists(st.tuples(st.integers(0, len(joined)), st.integers(0, len(joined))).map(sorted), max_size=30))
    if window is not None:
        pairs = [(a, b) for a, b in pairs if at[b] - at[a] <= window]
    starts = np.array([at[a] for a, _ in pairs], dtype=np.int64)
    lengths = np.array([at[b] - at[a] for a, b in pairs], dtype=np.int64)
    previous = span_arrays.STRING_VIEW_WINDOW
    try:
        span_arrays.STRING_VIEW_WINDOW = window or previous
        views = span_arrays.string_views(utf8, starts, lengths)
    finally:
        span_arrays.STRING_VIEW_WINDOW = previous
    views.validate(full=True)
    expected = [joined[a:b] for a, b in pairs]
    assert views.to_pylist() == expected
    assert pc.all(pc.equal(views, pa.array(expected, type=pa.string()).cast(pa.string_view()))).as_py() in (True, None)
