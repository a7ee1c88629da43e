"""The source reader (zoomnews.sources.tables) gives one answer however the file is cut: Arrow blocks
of any size, halving around lines Arrow refuses, and the per-record reader for the rest."""

from hypothesis import given, settings, strategies as st

from conftest import ROOT
from strategies import KINDS, corpora, scratch_dir
from zoomnews import CorpusRepo
from zoomnews.sources import tables as source_tables
from zoomnews.sources.tables import parse_source

# lines a contributor's editor or tool might leave: each one goes to the per-record reader
ODD_LINES = ["{broken\n", "\n", "[1, 2]\n", '{"a": 1, "a": 2}\n', "   \n", '{"x": NaN}\n', '{"t": "\\ud800"}\n']


def reading(data: bytes, kind, block_bytes: int):
    source = parse_source(data, kind, block_bytes=block_bytes)
    return source.table.to_pylist(), source.problems, source.noncanonical, source.missing_final_newline, source.form_problems()


@settings(max_examples=max(10, settings.default.max_examples // 2))
@given(spec=corpora(), block_bytes=st.integers(1, 3_000), data=st.data())
def test_any_block_size_reads_the_same(spec, block_bytes, data):
    repo = spec.write(scratch_dir("tables-") / "repo")
    for name, kind in KINDS.items():
        lines = repo.path(kind.source).read_bytes().splitlines(keepends=True)
        for _ in range(data.draw(st.integers(0, 3), label="odd lines")):  # some lines Arrow refuses, anywhere
            lines.insert(data.draw(st.integers(0, len(lines))), data.draw(st.sampled_from(ODD_LINES)).encode())
        if lines and data.draw(st.booleans(), label="reorder"):
            i = data.draw(st.integers(0, len(lines) - 1))
            lines.append(lines.pop(i))
        content = b"".join(lines)
        assert reading(content, kind, block_bytes) == reading(content, kind, source_tables.BLOCK_BYTES), name


def test_the_checkout_is_read_by_arrow_alone(monkeypatch):
    """The clean corpus never reaches the per-record reader: every line is canonical, so Python
    builds no record of it (the fast case that makes validate scale)."""
    calls = []
    original = source_tables._python_rows
    monkeypatch.setattr(source_tables, "_python_rows", lambda *a, **k: calls.append(a) or original(*a, **k))
    repo = CorpusRepo(ROOT)
    for kind in KINDS.values():
        source = source_tables.read_source_table(repo, kind)
        assert source.problems == [] and source.form_problems() == []
    assert calls == []


@given(st.sampled_from(sorted(KINDS)), st.integers(0, 6), st.integers(1, 400))
def test_a_refused_line_is_found_by_halving_and_named(kind_name, odd, block_bytes):
    """Arrow refuses a block with one bad line: the block is halved until that line is alone, and the
    per-record reader names it (file, line, code); every other line is still read."""
    kind = KINDS[kind_name]
    lines = (ROOT / kind.source).read_bytes().splitlines(keepends=True)
    at = len(lines) // 2
    lines.insert(at, ODD_LINES[odd].encode())
    source = parse_source(b"".join(lines), kind, block_bytes=block_bytes)
    assert [(p.file, p.line) for p in source.problems] == [(kind.source, at + 1)]
    assert source.table.num_rows == len(lines) - 1  # no odd line is a record
    assert at + 1 not in source.table.column("line").to_pylist()


def test_a_non_canonical_line_is_named_once():
    kind = KINDS["entity"]
    lines = (ROOT / kind.source).read_text(encoding="utf-8").splitlines(keepends=True)
    lines[7] = lines[7].replace(", ", ",", 1)  # the same record, spaced otherwise
    [problem] = parse_source("".join(lines).encode(), kind).form_problems()
    assert (problem.code, problem.line) == ("ZN307", 8)


KEY_VALUES = st.one_of(st.none(), st.sampled_from(["a", "b", "a\x00b", "\x01", ""]))


@given(rows=st.lists(st.tuples(KEY_VALUES, KEY_VALUES, st.none() | st.integers(-2, 2)), max_size=40), data=st.data(),
       key_numbers=st.sampled_from([source_tables.KEY_NUMBERS, 2, 7]))
def test_repeated_keys_equals_the_first_seen_oracle(rows, data, key_numbers):
    """A row is repeated when an earlier line has the same key (each field compared, null a value),
    also when the key numbers must be renumbered on the way (a small limit forces it)."""
    import pyarrow as pa

    lines = data.draw(st.permutations(range(len(rows))), label="line numbers")
    table = pa.table({"doc_id": pa.array([r[0] for r in rows], pa.string()), "id": pa.array([r[1] for r in rows], pa.string()),
                      "article_index": pa.array([r[2] for r in rows], pa.int64()), "line": pa.array(lines, pa.int64())})
    seen, expected = set(), [False] * len(rows)
    for i in sorted(range(len(rows)), key=lambda i: lines[i]):
        expected[i] = rows[i] in seen
        seen.add(rows[i])
    saved, source_tables.KEY_NUMBERS = source_tables.KEY_NUMBERS, key_numbers
    try:
        assert source_tables.repeated_keys(table, ("doc_id", "id", "article_index")).tolist() == expected
        assert source_tables.repeated_keys(table, ("doc_id",)).tolist() == [
            any(lines[j] < lines[i] and rows[j][0] == rows[i][0] for j in range(len(rows))) for i in range(len(rows))]
    finally:
        source_tables.KEY_NUMBERS = saved


NAME_TEXT = st.text(st.sampled_from(["a", "b", "-", "0", "\x00", "é"]), max_size=6)


@given(names=st.lists(NAME_TEXT.filter(lambda n: n.isascii() and "\x00" not in n), max_size=12), data=st.data())
def test_raw_file_names_hold_exactly_their_own(names, data):
    """Names (the raw folder's doc_ids in a fixed-width array) answers membership as a Python set would,
    one name at a time or many together, for names longer than any held (a held name and more), cut
    short, with NULs, or not strings."""
    from zoomnews.sources.corpus import Names, RawFiles

    near = [st.sampled_from(names).map(lambda n: n + "a"), st.sampled_from(names).map(lambda n: n[:-1]),
            st.sampled_from(names).map(lambda n: n + "\x00")] if names else []
    asked = data.draw(st.lists(st.one_of(NAME_TEXT, st.none(), st.integers(), *near), max_size=12), label="asked")

    held = Names(names)
    expected = [isinstance(a, str) and a in set(names) for a in asked]
    assert held.holds(asked).tolist() == expected
    assert [a in held for a in asked] == expected
    assert RawFiles("raw", names).paths(asked) == [f"raw/{a}.txt" if e else None for a, e in zip(asked, expected)]


@given(rows=st.lists(st.tuples(st.sampled_from(["d1", "d2"]), st.integers(0, 4), st.sampled_from(["e1", "e2", "e3"])), min_size=1, max_size=16),
       sort=st.booleans(), invalid=st.sets(st.integers(0, 4), max_size=2), cuts=st.lists(st.integers(1, 16), max_size=3))
def test_order_check_skips_repeated_keys_only_when_that_changes_nothing(rows, sort, invalid, cuts):
    """FormCheck (ZN307's record order) leaves rows with a repeated key out of the order. It looks for
    repeats only when the rows are not plainly in order: its verdict, head and last row are the ones
    it gives when it always looks (the oracle), for rows fed in any pieces, with rows whose field
    failed level 2 (nulled, named in `invalid`) among them."""
    import pyarrow as pa

    from zoomnews.sources.schemas import load_kinds

    kind = load_kinds()["entity"]
    bounds = sorted({0, len(rows), *[c for c in cuts if c < len(rows)]})
    if sort:  # each piece in order (where the shortcut is taken), the pieces not always
        rows = [row for lo, hi in zip(bounds, bounds[1:]) for row in sorted(rows[lo:hi])]
    bad = [i in invalid for i in range(len(rows))]
    table = pa.table({"doc_id": [r[0] for r in rows], "start": [None if b else r[1] for r, b in zip(rows, bad)],
                      "end": [r[1] + 1 for r in rows], "id": [r[2] for r in rows],
                      source_tables.LINE: list(range(1, len(rows) + 1)),
                      source_tables.INVALID: pa.array(["start" if b else None for b in bad], pa.string())})

    def verdict():
        form = source_tables.FormCheck(kind)
        for lo, hi in zip(bounds, bounds[1:]):
            form.feed(table.slice(lo, hi - lo))
        return form.first, form.head, form.last

    fast = verdict()
    shortcut, source_tables._plainly_in_order = source_tables._plainly_in_order, lambda *a: False
    try:
        assert fast == verdict()
    finally:
        source_tables._plainly_in_order = shortcut
