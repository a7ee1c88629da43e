"""--jobs N cuts the documents into N ranges, each checked in its own process over its own byte range
of every file (zoomnews.checks.validation.check_range): the report is the one a single pass gives, whatever
the mistakes and wherever they fall, the cut included."""

import json

import pytest
from hypothesis import example, given, settings, strategies as st

from conftest import synthetic_corpus
from zoomnews import CorpusRepo
from zoomnews.checks import validation
from zoomnews.checks.validation import cut_at, validate_repo

DOCUMENTS = 40


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return synthetic_corpus(tmp_path_factory.mktemp("ranges"), DOCUMENTS)


@pytest.fixture
def corpus(synthetic, tmp_path):
    import shutil

    return CorpusRepo(shutil.copytree(synthetic, tmp_path / "repo"))


def lines_of(repo, relative):
    return repo.path(relative).read_text(encoding="utf-8").splitlines(keepends=True)


def at_the_cut(repo, relative) -> int:
    """The index of the first line of the second range's documents."""
    names = sorted(p.name[:-4] for p in repo.raw_dir.iterdir())
    return next(i for i, line in enumerate(lines_of(repo, relative)) if json.loads(line)["doc_id"] > names[len(names) // 2 - 1])


def edit(repo, relative, index, change):
    lines = lines_of(repo, relative)
    lines[index] = change(lines[index])
    repo.path(relative).write_text("".join(lines), encoding="utf-8")


def field(name, value):
    def change(line):
        record = json.loads(line)
        record[name] = value(record[name]) if callable(value) else value
        return json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n"
    return change


MISTAKES = {
    "none": lambda repo: None,
    "a span past its end, at the cut": lambda repo: edit(repo, "annotations/entities.jsonl", at_the_cut(repo, "annotations/entities.jsonl"),
                                                          field("end", lambda end: end + 10**6)),
    "a non-canonical line at the cut": lambda repo: edit(repo, "annotations/zones.jsonl", at_the_cut(repo, "annotations/zones.jsonl"),
                                                          lambda line: line.replace(", ", ",", 1)),
    "keys reordered at the cut (the cut falls back to one pass)": lambda repo: edit(
        repo, "annotations/zones.jsonl", at_the_cut(repo, "annotations/zones.jsonl"),
        lambda line: json.dumps(dict(reversed(list(json.loads(line).items()))), ensure_ascii=False, separators=(", ", ": ")) + "\n"),
    "two rows swapped across the cut": lambda repo: swap(repo, "annotations/timexes.jsonl", at_the_cut(repo, "annotations/timexes.jsonl")),
    "a duplicate line after the cut": lambda repo: insert(repo, "annotations/entities.jsonl", at_the_cut(repo, "annotations/entities.jsonl") + 2,
                                                           lines_of(repo, "annotations/entities.jsonl")[at_the_cut(repo, "annotations/entities.jsonl")]),
    "CR in both ranges": lambda repo: (edit(repo, "annotations/quotes.jsonl", 1, lambda line: line.replace("\n", "\r\n")),
                                       edit(repo, "annotations/quotes.jsonl", -2, lambda line: line.replace("\n", "\r\n"))),
    "no final newline": lambda repo: repo.path("corpus/articles.jsonl").write_bytes(repo.path("corpus/articles.jsonl").read_bytes()[:-1]),
    # a layer annotated only for the first range's documents: the last range reads none of it (and
    # `--jobs 2` missed the missing newline, exit 0)
    "no final newline in a file the last range has no line of": lambda repo: repo.path("annotations/quotes.jsonl").write_bytes(
        b"".join(line.encode() for line in lines_of(repo, "annotations/quotes.jsonl")[:at_the_cut(repo, "annotations/quotes.jsonl")])[:-1]),
    "a document's file unsorted": lambda repo: swap(repo, "corpus/documents.jsonl", 3),
    "broken JSON at the cut": lambda repo: insert(repo, "annotations/entities.jsonl", at_the_cut(repo, "annotations/entities.jsonl"), "{broken\n"),
    # each range opens every file: what is wrong with a whole file was said once per range
    "a layer missing, another a folder": lambda repo: (repo.path("annotations/quotes.jsonl").unlink(), repo.path("annotations/timexes.jsonl").unlink(),
                                                       repo.path("annotations/timexes.jsonl").mkdir()),
}


def swap(repo, relative, index):
    lines = lines_of(repo, relative)
    lines[index - 1], lines[index] = lines[index], lines[index - 1]
    repo.path(relative).write_text("".join(lines), encoding="utf-8")


def insert(repo, relative, index, line):
    lines = lines_of(repo, relative)
    lines.insert(index, line)
    repo.path(relative).write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_ranges_in_processes_report_what_one_pass_reports(corpus, mistake, monkeypatch):
    MISTAKES[mistake](corpus)
    one = validate_repo(corpus, releases=False, jobs=1, block_documents=7)
    assert bool(one.problems) == (mistake != "none")
    monkeypatch.setattr(validation, "PARALLEL_FROM", 0)
    two = validate_repo(corpus, releases=False, jobs=2, block_documents=7)
    assert two.problems == one.problems
    assert two.counts == one.counts


@pytest.mark.parametrize("mistake", ["none", "broken JSON at the cut", "a document's file unsorted", "keys reordered at the cut (the cut falls back to one pass)"])
def test_workers_started_early_report_what_one_pass_reports(corpus, mistake, monkeypatch):
    """A big register starts the workers before anything is read (_early_workers); they get their
    ranges and this process's raw listing later. Also when the pass falls back to one process."""
    MISTAKES[mistake](corpus)
    one = validate_repo(corpus, releases=False, jobs=1, block_documents=7)
    monkeypatch.setattr(validation, "PARALLEL_FROM", 0)
    monkeypatch.setattr(validation, "EARLY_FROM_BYTES", 0)
    started = []
    early_workers = validation._early_workers
    monkeypatch.setattr(validation, "_early_workers", lambda *a: started.append(early_workers(*a)) or started[-1])
    two = validate_repo(corpus, releases=False, jobs=2, block_documents=7)
    assert started and started[0] is not None
    assert two.problems == one.problems
    assert two.counts == one.counts


def test_a_file_is_cut_before_the_first_line_past_a_document(synthetic):
    path = synthetic / "annotations" / "entities.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    doc_ids = [json.loads(line)["doc_id"] for line in lines]
    for doc_id in sorted(set(doc_ids)) + ["", "zzzz"]:
        offset = cut_at(path, doc_id)
        first = next((i for i, d in enumerate(doc_ids) if d > doc_id), len(lines))
        assert offset == sum(len(line) for line in lines[:first]), doc_id


@given(documents=st.integers(0, 5_000), jobs=st.integers(1, 6), align=st.integers(1, 700), head_start=st.integers(0, 3_000))
def test_document_ranges_tile_the_documents(documents, jobs, align, head_start):
    """The ranges tile 0..documents in order, each starts at a multiple of `align`, there are as many as
    jobs (fewer only when there are fewer units of `align`), and the head start makes the first range
    the longest without emptying any."""
    ranges = validation.document_ranges(documents, jobs, align, head_start)
    units = -(-documents // align)
    assert len(ranges) == min(jobs, units)
    assert [lo for lo, _ in ranges[1:]] == [hi for _, hi in ranges[:-1]]
    if ranges:
        assert ranges[0][0] == 0 and ranges[-1][1] == documents
    assert all(lo % align == 0 and hi > lo for lo, hi in ranges)
    even = validation.document_ranges(documents, jobs, align)
    assert len(even) == len(ranges)
    assert all(0 <= lo - before <= head_start for (lo, _), (before, _) in zip(ranges, even))  # cuts move right, by at most the head start
    if len(ranges) > 1 and head_start >= 2 * align * jobs and documents >= 4 * align * jobs * jobs:
        assert ranges[0][1] > even[0][1]  # room enough: the first range is longer than an even cut


class KilledInItsRange:
    """A consumer whose range in a worker process ends the process with SIGKILL (the kernel's
    out-of-memory killer, or a user's kill -9), the first time a block passes there."""

    align = 1

    def open(self, names, lo, hi, kinds, index):
        import os
        import signal

        if lo > 0:  # (not this process's range)
            os.kill(os.getpid(), signal.SIGKILL)
        return self

    def add(self, block):
        pass

    def close(self):
        return None


@pytest.mark.parametrize("early", [False, True])
def test_a_worker_killed_in_its_range_is_a_coded_problem_not_a_traceback(corpus, monkeypatch, early):
    """Fault injection: the worker checking the second range is killed. validate (and build, whose
    writer is the consumer) stops with ZN910 naming the documents it was checking."""
    from zoomnews.errors import ZoomnewsError

    monkeypatch.setattr(validation, "PARALLEL_FROM", 0)
    monkeypatch.setattr(validation, "EARLY_FROM_BYTES", 0 if early else validation.EARLY_FROM_BYTES)
    with pytest.raises(ZoomnewsError) as error:
        validate_repo(corpus, releases=False, jobs=2, block_documents=7, consumer=KilledInItsRange())
    [problem] = error.value.problems
    assert problem.code == "ZN910" and "stopped before it finished" in problem.message and "--jobs 1" in problem.message


STREAMED = ["corpus/articles.jsonl", "annotations/zones.jsonl", "annotations/entities.jsonl", "annotations/timexes.jsonl", "annotations/quotes.jsonl"]


@st.composite
def typos(draw):
    """1-3 rows whose doc_id got a typo (a character dropped, doubled or added: the row then sorts
    before, after or among its neighbours), maybe one typo twice, in any streamed file."""
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        relative, where = draw(st.sampled_from(STREAMED)), draw(st.floats(0, 1))
        at, how = draw(st.integers(6, 12)), draw(st.sampled_from(["drop", "double", "a", "z", "0"]))
        edits.append((relative, where, at, how))
    return edits, draw(st.booleans())


def mistype(doc_id: str, at: int, how: str) -> str:
    at = min(at, len(doc_id) - 1)
    if how == "drop":
        return doc_id[:at] + doc_id[at + 1:]
    if how == "double":
        return doc_id[:at] + doc_id[at] + doc_id[at:]
    return doc_id[:at] + how + doc_id[at:]


@settings(max_examples=12, deadline=None)
@given(typos())
# one typo on the first and the last article, in the two ranges: a repeated key of no document (ZN303) is
# not looked for across blocks, and ZN401 names each row
@example(([("corpus/articles.jsonl", 0.0, 6, "drop"), ("corpus/articles.jsonl", 1.0, 6, "drop")], True))
# a typo where cut_at's bisection looks: taken for where the file is, it cut the file in the wrong place
@example(([("corpus/articles.jsonl", 0.0, 6, "drop"), ("corpus/articles.jsonl", 0.7922391800713096, 6, "drop")], True))
def test_a_mistyped_doc_id_is_streamed_past_not_read_whole(synthetic, edits_and_repeat):
    """A row whose doc_id is no document's, out of order, made validate read every file whole (at
    100k documents: twice the time, four times the memory). It is now held back and checked with
    the next block: the report is the one the whole-file pass gives, for every block size and with
    --jobs 2, and no file is read whole."""
    import shutil

    from strategies import scratch_dir

    edits, repeat = edits_and_repeat
    repo = CorpusRepo(shutil.copytree(synthetic, scratch_dir("typo-") / "repo"))
    names = {p.name[:-4] for p in repo.raw_dir.iterdir()}
    first_typo = None
    for relative, where, at, how in edits:
        lines = lines_of(repo, relative)
        i = min(int(where * len(lines)), len(lines) - 1)
        record = json.loads(lines[i])
        typo = first_typo if repeat and first_typo else mistype(record["doc_id"], at, how)
        if typo in names:
            continue
        first_typo = first_typo or typo
        record["doc_id"] = typo
        lines[i] = json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n"
        repo.path(relative).write_text("".join(lines), encoding="utf-8")
    expected = validation.sort_problems(validation.one_per_mistake(validation._validate(repo, 1, 1000, whole=True).problems))
    whole = []
    passes = validation._validate
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validation, "_validate", lambda *a, **k: whole.append(k.get("whole", a[3] if len(a) > 3 else None)) or passes(*a, **k))
        for jobs, block in [(1, 1), (1, 7), (1, 1000)]:
            assert validate_repo(repo, releases=False, jobs=jobs, block_documents=block).problems == expected, (jobs, block)
        patch.setattr(validation, "PARALLEL_FROM", 0)
        assert validate_repo(repo, releases=False, jobs=2, block_documents=7).problems == expected
    assert not any(whole), "a file was read whole"


def test_a_stray_last_in_a_read_does_not_stop_the_stream(corpus, monkeypatch):
    """A row naming no document that sorts after every other (zzzz…), last in what one read of its
    file brought: in order there, it was kept, and being above every block's last doc_id it stopped
    the stream until the last block, which then got every later row (ZN306 and ZN404 for documents
    that were fine, with blocks of one document). Found by a tester."""
    relative, read = "annotations/zones.jsonl", 4096
    lines = lines_of(corpus, relative)
    ends = [sum(len(line.encode("utf-8")) for line in lines[:k + 1]) for k in range(len(lines))]
    k = max(i for i, end in enumerate(ends) if end <= read)
    record = json.loads(lines[k])
    record["doc_id"] = "z" * len(record["doc_id"])  # (the same length: the line still ends the read)
    lines[k] = json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n"
    corpus.path(relative).write_text("".join(lines), encoding="utf-8")
    monkeypatch.setattr(validation, "READ_BYTES", read)
    expected = [(relative, None, "ZN306"), (relative, k + 1, "ZN401")]  # (the zone's document has a gap where it was)
    for block in (1, 1000):
        assert [(p.file, p.line, p.code) for p in validate_repo(corpus, releases=False, block_documents=block).problems] == expected, block


@given(named=st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=12).map(sorted),
       strays=st.lists(st.tuples(st.integers(0, 12), st.integers(1, 5)), max_size=4),
       doc_id=st.sampled_from(["", "a", "b", "c", "d", "e"]), padding=st.integers(0, 70_000))
@example(named=["a", "c"], strays=[(1, 5)], doc_id="a", padding=70_000)  # a run of strays longer than a read
def test_a_cut_passes_over_strays_as_the_brute_force_does(tmp_path_factory, named, strays, doc_id, padding):
    """cut_at with strays (rows naming no document, held back by LayerStream) against a brute force:
    a line's place is the doc_id of the first named line at or after it; the cut is at the first line
    placed after `doc_id`. More than STRAYS_PASSED strays in a row: CannotCut (one range instead)."""
    from zoomnews.checks.validation import CannotCut

    lines = [(d, True) for d in named]
    for at, run in sorted(strays, reverse=True):
        lines[min(at, len(lines)):min(at, len(lines))] = [(f"x{k}", False) for k in range(run)]
    text = "".join(json.dumps({"doc_id": d, "pad": "p" * (padding if not known else 3)}, separators=(", ", ": ")) + "\n" for d, known in lines)
    path = tmp_path_factory.mktemp("cut") / "layer.jsonl"
    path.write_text(text, encoding="utf-8")
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line.encode()))
    place = [next((d for d, known in lines[i:] if known), None) for i in range(len(lines))]
    expected = next((starts[i] for i in range(len(lines)) if place[i] is None or place[i] > doc_id), starts[-1])
    longest, run = 0, 0
    for _, known in lines:
        run = 0 if known else run + 1
        longest = max(longest, run)
    documents = set(named)
    original = validation.STRAYS_PASSED
    validation.STRAYS_PASSED = 3
    try:
        got = cut_at(path, doc_id, documents)
    except CannotCut:
        assert longest > 3
        return
    finally:
        validation.STRAYS_PASSED = original
    assert got == expected
