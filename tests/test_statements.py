"""Statement alignment: the viewer shows each outlet's exact words with the differences marked on
them, and the word-level view (`zoomnews statements`) is the same alignment with words re-joined."""

from hypothesis import given, strategies as st

from zoomnews.tools.statements import WORD, text_ops, word_ops

texts = st.text(alphabet=st.sampled_from(list("ab c,.-'’\n\u00a0Zé")), max_size=40)


@given(texts, texts)
def test_the_quote_is_shown_exactly(reference, quote):
    ops = text_ops(reference, quote)
    assert "".join(piece for op, piece in ops if op in ("same", "added")) == quote
    assert all(piece in reference for op, piece in ops if op == "removed")


@given(texts, texts)
def test_exact_pieces_carry_the_words_of_the_word_view(reference, quote):
    """Oracle: per kind of change, the words of the exact pieces are the words of word_ops."""
    words = lambda ops, kind: [w for op, piece in ops if op == kind for w in WORD.findall(piece)]
    exact, joined = text_ops(reference, quote), word_ops(reference, quote)
    for kind in ("same", "added", "removed"):
        assert words(exact, kind) == words(joined, kind), kind
    assert [op for op, _ in exact if op == "elided"] == [op for op, _ in joined if op == "elided"]


def test_a_real_difference_keeps_the_outlets_punctuation():
    ops = text_ops("direct sales, online subscription, and sales", "direct sales , online subscription and sales")
    assert ops == [("same", "direct sales , online subscription"), ("removed", ","), ("same", " and sales")]
