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
