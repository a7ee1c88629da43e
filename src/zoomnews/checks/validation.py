"""Validate a corpus repository: numbered checks by level (see zoomnews.checks.catalogue), all problems in one run.

Every source but the registries is keyed by doc_id and sorted by it, so validate is one streaming
merge over them:
1. The registries (small) are read whole; their checks run once (zoomnews.checks.rules, scope "corpus")
   and they form the small index every block consults.
2. The raw folder is listed (level 1: names, links, FIFOs); its sorted names cut the doc_id range
   into blocks of `block_documents` documents.
3. Block by block, each doc_id-keyed file (documents, articles, the four span layers) hands over its
   rows up to the block's last doc_id, read and parsed a block of lines at a time
   (zoomnews.sources.tables: levels 1-2); the block's raw texts are read and hashed; the checks of
   scope "documents" run over the block (check_documents). Memory is set by the block size, not by
   the corpus.
4. Canonical form (ZN307) per file, from what each reader saw; the agreement passes
   (annotations/agreement/<pass>/) by the same rules (agreement_problems); then the releases (level 5).
A file that is not sorted by doc_id cannot be merged as it streams: validate then reads every file
whole and sorts the rows by doc_id (reporting the order, ZN307), with the same report. Not for a row
whose doc_id is no document's (a typo): it is held back and checked with the next block (LayerStream).
A check never sees a row whose fields it reads failed level 2, nor one an earlier excluding check
flagged: one mistake, one problem. The report is the same for every block size (tests).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.repo import AGREEMENT_DIR, RAW_DIR, CorpusRepo

def document_kinds(kinds) -> tuple[str, ...]:
    """The kinds whose records belong to a document (their schema has doc_id): streamed by doc_id."""
    return tuple(name for name, kind in kinds.items() if "doc_id" in kind.fields)


def span_kinds(kinds) -> tuple[str, ...]:
    """The kinds with spans (their schema has start, end and text)."""
    return tuple(name for name, kind in kinds.items() if {"start", "end", "text"} <= set(kind.fields))


def registry_kinds(kinds) -> tuple[str, ...]:
    """The rest: read whole, checked once for the corpus."""
    return tuple(name for name in kinds if name not in document_kinds(kinds))


DOCUMENT_BLOCK = 2_000  # documents whose texts and rows are checked together
READ_BYTES = 1 << 21  # bytes of a source file read (and parsed) at a time


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # with a consumer: what its ranges returned, in document order (see validate_repo)
    outputs: list = field(default_factory=list, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class DocumentBlock:
    """A block of consecutive documents that passed every check, as a consumer gets it. `tables`:
    the block's rows of every doc_id-keyed kind (schema columns, plus `line` and `invalid`), in
    canonical order; `texts` and `sha256`: the raw texts and their digests, by doc_id."""

    tables: dict[str, pa.Table]
    texts: dict[str, str]
    sha256: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.problems


class NotSorted(Exception):
    """A doc_id-keyed file is not sorted by doc_id: it cannot be merged as it streams."""


class CannotCut(Exception):
    """A file cannot be cut at a document boundary (the lines there are not canonical)."""


def validate_repo(repo: CorpusRepo, releases: bool = True, jobs: int = 1, block_documents: int | None = None,
                  consumer=None, progress=None) -> Report:
    """Every check on the repository's sources (and, with `releases`, its releases). `block_documents`:
    documents checked together (the report is the same for every size); `jobs` > 1: N processes each
    check a range of documents (from PARALLEL_FROM documents), Arrow parses on every core.

    `consumer` (build's streaming writer) gets the blocks as they pass: a picklable object with
    `align` (ranges start at a multiple of that many documents) and `open(names, lo, hi, kinds,
    index)`, called in the process that checks documents names[lo:hi]; what it returns gets each
    DocumentBlock of the range that passed, in doc_id order (`add`), until the range has a problem,
    then `close()`, whose value (picklable) is in `report.outputs`, one per range in document order.
    A file that is not sorted by doc_id (ZN307: the report has problems) is checked again whole,
    without the consumer.

    `progress`, when given, is called as progress(documents checked, documents) as the sources'
    documents are checked (a block at a time; with processes, a range at a time; see zoomnews.progress).

    The agreement passes (annotations/agreement/<pass>/, see agreement_passes) are checked by the
    same rules, each as the corpus would be with its files in place of the gold's."""
    report = _validate_sorted_or_whole(repo, jobs, block_documents or DOCUMENT_BLOCK, consumer, progress=progress)
    report.problems = sort_problems(one_per_mistake([*report.problems, *agreement_problems(repo, block_documents or DOCUMENT_BLOCK)]))
    if releases:
        from zoomnews.checks.releases import check_releases

        report.problems = sort_problems([*report.problems, *check_releases(repo)])
    return report


def agreement_problems(repo: CorpusRepo, block_size: int = DOCUMENT_BLOCK) -> list[Problem]:
    """The agreement passes checked by the same rules as the gold, each as the corpus would be with
    its files in place of the gold's (only the problems in its own files), and a link among them
    (ZN111). Run by validate and by its Spark twin alike (the passes are small)."""
    from zoomnews.sources.schemas import agreement_passes, pass_kinds

    problems = []
    for name in agreement_passes(repo):
        folder = f"{AGREEMENT_DIR}/{name}/"
        seen = _validate_sorted_or_whole(repo, 1, block_size, None, pass_kinds(repo, name), partial=True)
        problems += [p for p in seen.problems if p.file.startswith(folder)]
    return problems + [Problem(f"{AGREEMENT_DIR}/{name}", None, "ZN111", "a symbolic link; validate never reads through one")
                       for name in agreement_passes(repo, links=True)]


def _validate_sorted_or_whole(repo: CorpusRepo, jobs: int, block_size: int, consumer=None, kinds=None, progress=None, partial: bool = False) -> Report:
    try:
        return _validate(repo, jobs, block_size, whole=False, consumer=consumer, kinds=kinds, progress=progress, partial=partial)
    except NotSorted:
        return _validate(repo, jobs, block_size, whole=True, kinds=kinds, progress=progress, partial=partial)


def _validate(repo: CorpusRepo, jobs: int, block_size: int, whole: bool, consumer=None, kinds=None, progress=None, partial: bool = False) -> Report:
    pool = _early_workers(repo, jobs) if jobs > 1 and not whole else None
    try:
        return _validate_with(repo, jobs, block_size, whole, consumer, kinds, progress, partial, pool)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _validate_with(repo: CorpusRepo, jobs: int, block_size: int, whole: bool, consumer, kinds, progress, partial: bool, pool) -> Report:
    from zoomnews.checks.rules import Block, run_rules
    from zoomnews.sources.schemas import load_kinds
    from zoomnews.checks.span_arrays import Documents

    kinds = kinds or load_kinds(repo)
    registries, index = read_registries(repo, kinds)
    index.partial = partial  # an agreement pass (see Index)
    problems: list[Problem] = []
    for source in registries.values():
        problems.extend([*source.problems, *source.form_problems()])
    problems.extend(run_rules(Block({name: source.table for name, source in registries.items()}, Documents.of({}), index), "corpus"))
    present, raw_problems = raw_listing(repo, kinds)
    problems.extend(raw_problems)
    if not partial:  # an agreement pass's folder is its own layout (agreement_problems)
        problems.extend(stray_sources(repo, kinds))
    know_raw_files(index, present)
    names = present.doc_ids  # sorted
    ranges = [(0, len(names))]
    if jobs > 1 and not whole and len(names) >= PARALLEL_FROM:
        ranges = document_ranges(len(names), jobs, consumer.align if consumer is not None else 1, HEAD_START if pool is None else READY_HEAD_START)
    unreadable = {p.file for p in raw_problems}
    if len(ranges) > 1:
        def here(lo: int, hi: int) -> RangePart:  # the first range, in this process (its registries and listing are read)
            return check_range(repo, kinds, index, present, unreadable, lo, hi, block_size, False, False, consumer, progress)

        parts = _in_processes(repo, ranges, block_size, here, consumer, progress, pool, present, unreadable)
        if parts is None:  # a file could not be cut at a document (a line there is not canonical)
            ranges = [(0, len(names))]
    if len(ranges) == 1:
        parts = [check_range(repo, kinds, index, present, unreadable, 0, len(names), block_size, jobs > 1, whole, consumer, progress)]
    problems.extend(p for part in parts for p in part.problems)
    for name in document_kinds(kinds):
        problems.extend(_file_problems(kinds[name], [part.files[name] for part in parts]))
    counts = {**{name: source.table.num_rows for name, source in registries.items()},
              **{name: sum(part.counts[name] for part in parts) for name in document_kinds(kinds)}}
    return Report(sort_problems(problems), {name: counts[name] for name in kinds}, [part.output for part in parts])


def document_ranges(documents: int, jobs: int, align: int, head_start: int = 0) -> list[tuple[int, int]]:
    """`jobs` ranges of about as many documents, each starting at a multiple of `align` (fewer when
    there are fewer units of `align` documents than jobs); the first is longer by about `head_start`
    documents and the others shorter by their share of it, as far as `align` allows and never by
    more than half of a range."""
    units = -(-documents // align)
    cuts = sorted({min(documents, units * k // jobs * align) for k in range(jobs + 1)})
    for k in range(1, len(cuts) - 1):
        share = head_start * (len(cuts) - 1 - k) // (len(cuts) - 1)
        cuts[k] += min(share, (cuts[k + 1] - cuts[k]) // 2) // align * align
    return list(zip(cuts[:-1], cuts[1:]))


# This process checks the first range while the others start (a spawned worker imports the library
# and reads the schemas and registries again: about 0.7 s on the 2-core VM, where a process checks
# about 7,500 documents a second), so the first range is longer by about what it checks meanwhile.
HEAD_START = 5_000
READY_HEAD_START = 2_500  # the same for workers started early (_early_workers): at 100k documents they began 0.02-0.16 s after this process, and with HEAD_START it finished 0.2-0.45 s after them
PARALLEL_FROM = 20_000  # documents from which --jobs N checks N ranges of documents, here and in N - 1 workers (below, starting them costs more)


def read_registries(repo: CorpusRepo, kinds):
    from zoomnews.sources.tables import read_source_table

    registries = {name: read_source_table(repo, kinds[name]) for name in registry_kinds(kinds)}
    index = registry_index(kinds, {name: source.table for name, source in registries.items()})
    index.unread = frozenset(source.kind.source for source in registries.values() if source.unread)
    return registries, index


@dataclass
class FileSummary:
    """What one range of a doc_id-keyed file showed: its reader's problems and form, for ZN307."""

    problems: list[Problem]
    noncanonical: list[int]
    missing_final_newline: bool
    lines: int  # the number of the range's last line (lines are numbered in the whole file)
    first: int | None  # the first row out of order within the range
    head: tuple | None  # (order values, line) of the range's first row kept
    last: tuple | None  # order values of the range's last row kept


@dataclass
class RangePart:
    problems: list[Problem]
    counts: dict[str, int]
    files: dict[str, FileSummary]
    output: object = None  # what the consumer's close() returned


def check_range(repo, kinds, index, present, unreadable_raw: set[str], lo: int, hi: int, block_size: int, threads: bool, whole: bool,
                consumer=None, progress=None) -> RangePart:
    """The documents of raw names[lo:hi] (with, at either end, the doc_ids before the first name or
    after the last), a block at a time: every doc_id-keyed file is read only over the byte range of
    these documents. `progress(lo + documents checked, all documents)` after each block."""
    names = present.doc_ids
    after = names[lo - 1] if lo > 0 else None  # the range holds doc_ids above this one...
    upto = names[hi - 1] if hi < len(names) else None  # ...up to this one (None: no limit)
    streams = {"document": LayerStream(repo, kinds["document"], threads, whole, after, upto)}  # the register first: the others' order needs it
    registered = pc.drop_null(streams["document"].buffer.column("doc_id")) if whole else None  # (whole: every row is at hand)
    known = KnownDocuments(repo, kinds["document"], present)
    streams.update({name: LayerStream(repo, kinds[name], threads, whole, after, upto, registered, known)
                    for name in document_kinds(kinds) if name != "document"})
    index = replace(index, unread=index.unread | {stream.kind.source for stream in streams.values() if stream.unread},
                    misnamed=Misnamed(known, unreadable_raw))
    sink = None  # opened at the first block that passes (build's first one waits there for its schemas, not before checking)
    problems: list[Problem] = []

    def fetch(start: int):
        """Block `start`'s rows of every stream and its raw files (the streams are only ever read here)."""
        in_block = set(names[start:min(start + block_size, hi)])
        boundary = names[start + block_size - 1] if start + block_size < hi else upto  # the block's last doc_id; None: the rest
        tables = {"document": streams["document"].take_until(boundary)}
        registered = pc.drop_null(tables["document"].column("doc_id"))  # the documents up to `boundary` (for ZN307, see FormCheck)
        tables.update({name: stream.take_until(boundary, registered) for name, stream in streams.items() if name != "document"})
        needed = _needed(tables, in_block, index)
        raws, found = read_raws(sorted(needed), present)
        return in_block, tables, raws, found, needed

    starts = list(range(lo, hi, block_size)) or [lo]
    done = lo
    for in_block, tables, raws, found, needed in _prefetched(fetch, starts, threads):
        problems.extend(found)
        checked, texts, sha256 = _checked_documents(tables, raws, in_block, unreadable_raw, index, needed)
        problems.extend(checked)
        if consumer is not None and not problems and not any(stream.reader.problems for stream in streams.values()):
            sink = sink or consumer.open(names, lo, hi, kinds, index)
            sink.add(DocumentBlock(tables, texts, sha256))
        done += len(in_block)
        if progress is not None:
            progress(done, len(names))
    files = {name: FileSummary(stream.reader.problems, stream.reader.noncanonical, stream.reader.missing_final_newline, stream.reader.lines,
                               stream.form.first, stream.form.head, stream.form.last) for name, stream in streams.items()}
    if consumer is not None:
        sink = sink or consumer.open(names, lo, hi, kinds, index)
    return RangePart(problems, {name: stream.count for name, stream in streams.items()}, files, sink.close() if sink is not None else None)


def _file_problems(kind, parts: list[FileSummary]) -> list[Problem]:
    """A file's reading problems and its ZN307, from the summaries of its ranges (in file order)."""
    from zoomnews.sources.tables import form_problem

    problems = list({(p.code, p.message): p for part in parts for p in part.problems if p.line is None}.values())  # (each range opened the file)
    problems += [p for part in parts for p in part.problems if p.line is not None]
    carriage = [p for p in problems if p.code == "ZN108"]
    problems = [p for p in problems if p.code != "ZN108"] + sorted(carriage, key=lambda p: p.line or 0)[:1]  # once per file
    lines = [n for part in parts for n in part.noncanonical] + [part.first for part in parts if part.first is not None]
    for above, below in zip(parts, parts[1:]):
        if above.last is not None and below.head is not None and below.head[0] < above.last:
            lines.append(below.head[1])
    # the range that read the file's last line (not always the last range: when every row belongs to
    # earlier documents, the last range reads nothing and `--jobs 2` missed the missing newline)
    unended = next((part.lines for part in parts if part.missing_final_newline), None)
    return problems + form_problem(kind, lines, unended, problems)


def _in_processes(repo: CorpusRepo, ranges: list[tuple[int, int]], block_size: int, here, consumer=None, progress=None, pool=None,
                  present=None, unreadable: set[str] = frozenset()) -> list[RangePart] | None:
    """check_range for the first range in this process (`here`) and for each other range in a process
    of its own (spawned: a fork would copy Arrow's threads), the `pool` started early or a new one.
    The workers get this process's raw listing (`present`): every range is cut from the same one."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    owned = pool is None
    pool = pool or ProcessPoolExecutor(len(ranges) - 1, mp_context=multiprocessing.get_context("spawn"))
    try:
        others = pool.map(_check_range_in_process, [(str(repo.root), lo, hi, block_size, consumer, present, unreadable) for lo, hi in ranges[1:]])
        try:
            parts = [here(*ranges[0])]
        except CannotCut:
            parts = [None]
        try:
            for (_, hi), part in zip(ranges[1:], others):
                parts.append(part)
                if progress is not None:  # workers cannot call back: a range at a time, in document order
                    progress(hi, ranges[-1][1])
        except BrokenProcessPool:  # a worker killed (by a signal, or the kernel out of memory)
            lo, hi = ranges[len(parts)]
            raise ZoomnewsError(Problem("validate", None, "ZN910", f"the process checking documents {lo + 1}-{hi} of {ranges[-1][1]} stopped "
                                                                   "before it finished (killed, or out of memory?); nothing was written: run again, "
                                                                   "or with --jobs 1")) from None
    finally:
        if owned:
            pool.shutdown(cancel_futures=True)
    return None if any(part is None for part in parts) else parts


# A corpus whose register (corpus/documents.jsonl) is this large has enough documents for ranges in
# processes (PARALLEL_FROM, at 300 bytes a registration; the bench's are 328): its workers are
# started before anything is read, so a worker imports the library and reads the registries while
# this process does too (0.6 s of --jobs 2's 8.8 s at 100k documents). A smaller register starts
# them once the listing has counted the documents; a wrong guess costs a worker that does nothing.
EARLY_FROM_BYTES = PARALLEL_FROM * 300


def _early_workers(repo: CorpusRepo, jobs: int):
    """A pool of jobs - 1 spawned workers, each already getting ready for a range, when the corpus
    looks big enough to need them (see EARLY_FROM_BYTES); else None."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from zoomnews.sources.schemas import declared_source

    source = declared_source(repo.root, "document")
    try:  # (whatever is wrong here, reading it later says so)
        if source is None or os.stat(repo.root / source, follow_symlinks=False).st_size < EARLY_FROM_BYTES:
            return None
    except OSError:
        return None
    pool = ProcessPoolExecutor(jobs - 1, mp_context=multiprocessing.get_context("spawn"))
    for _ in range(jobs - 1):
        pool.submit(_get_ready, str(repo.root))
    return pool


_READY: dict[str, tuple] = {}  # in a worker: what _get_ready read, for its first range


def _get_ready(root: str) -> None:
    _READY[root] = _range_setting(root)


def _range_setting(root: str) -> tuple:
    """What a worker reads before its range: the schemas and the registries' index."""
    from zoomnews.sources.schemas import load_kinds

    use_system_allocator()
    pyarrow_without_pandas()
    repo = CorpusRepo(Path(root))
    kinds = load_kinds(repo)
    _, index = read_registries(repo, kinds)
    return repo, kinds, index


def use_system_allocator() -> None:
    """Arrow allocates through glibc in this process. Arrow's default (mimalloc) keeps the blocks a
    streaming pass frees, so its resident memory grew with every block: at 100k documents validate
    peaked at 307 MiB with it and 243 MiB without, and ran no slower. Called by the CLI and by range
    workers, never by the library on a user's process (the pool is process-wide)."""
    pa.set_memory_pool(pa.system_memory_pool())


def pyarrow_without_pandas() -> None:
    """The first time pyarrow converts a Python value it imports pandas (about half a second, in
    every process) only to ask whether the value is a pandas object; validate and build never hand
    it one. Let that one attempt find no pandas. Nothing else changes: `import pandas` works as
    before, and pyarrow's pandas conversions (to_pandas) import it when first asked. Called by the
    CLI and by range workers, never by the library on a user's process."""
    if "pandas" in sys.modules:
        return

    class NoPandas:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] == "pandas":
                raise ImportError("pyarrow's first look for pandas is skipped")
            return None

    finder = NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(finder)


def _check_range_in_process(arguments) -> RangePart | None:
    root, lo, hi, block_size, consumer, present, unreadable = arguments
    repo, kinds, index = _READY.pop(root, None) or _range_setting(root)
    know_raw_files(index, present)
    try:
        return check_range(repo, kinds, index, present, unreadable, lo, hi, block_size, False, False, consumer)
    except CannotCut:
        return None


def _prefetched(fetch, starts: list[int], ahead: bool):
    """fetch(start) for each start, in order; with `ahead`, a thread reads and parses the next block
    while the caller checks this one (Arrow's parser, hashing and file reads release the GIL)."""
    if not ahead:
        yield from (fetch(start) for start in starts)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(fetch, starts[0])
        for following in [*starts[1:], None]:
            block = pending.result()
            if following is not None:
                pending = pool.submit(fetch, following)
            yield block


def _needed(tables: dict[str, pa.Table], present: set[str], index) -> set[str]:
    """The block's raw files to read: those of documents that are registered or have spans."""
    wanted = set(_usable_doc_ids(tables["document"]))
    for name, table in tables.items():
        if {"start", "end", "text"} <= set(table.column_names) and table.num_rows:
            wanted.update(pc.unique(tables[name].column("doc_id")).to_pylist())
    return wanted & present


def _usable_doc_ids(table: pa.Table) -> list[str]:
    from zoomnews.sources.tables import usable_rows

    if not table.num_rows:
        return []
    return table.filter(pa.array(usable_rows(table, ("doc_id",)))).column("doc_id").to_pylist()


class KnownDocuments:
    """The doc_ids registered anywhere in the corpus or with a raw file, read (the whole register)
    only when first asked: only a file out of order asks (see LayerStream.strays)."""

    def __init__(self, repo: CorpusRepo, register_kind, present):
        self.repo, self.register_kind, self.present = repo, register_kind, present
        self.doc_ids: pa.Array | None = None
        self.registered: set[str] | None = None

    def __call__(self) -> pa.Array:
        if self.doc_ids is None:
            from zoomnews.sources.tables import read_source_table

            register = pc.drop_null(read_source_table(self.repo, self.register_kind).table.column("doc_id"))
            self.registered = set(register.to_pylist())
            self.doc_ids = pc.unique(pa.chunked_array([*register.chunks, pa.array(list(self.present.doc_ids), type=pa.string())]))
        return self.doc_ids

    def __contains__(self, doc_id: str) -> bool:
        if doc_id in self.present:
            return True
        self()
        return doc_id in self.registered


class Misnamed(Mapping):
    """misnamed_documents over the whole corpus, worked out when first asked: only a block with a
    registered document that has no raw file, or a raw file nobody registered, asks (and its process
    then reads the whole register once, see KnownDocuments)."""

    def __init__(self, known: KnownDocuments, unreadable_raw: set[str]):
        self.known, self.unreadable_raw = known, unreadable_raw
        self.pairs: dict[str, str] | None = None

    def _pairs(self) -> dict[str, str]:
        if self.pairs is None:
            from zoomnews.sources.corpus import misnamed_documents

            self.known()
            self.pairs = misnamed_documents(self.known.registered, self.known.present, self.unreadable_raw)
        return self.pairs

    def __getitem__(self, doc_id: str) -> str:
        return self._pairs()[doc_id]

    def __iter__(self):
        return iter(self._pairs())

    def __len__(self) -> int:
        return len(self._pairs())


class LayerStream:
    """A doc_id-keyed source file, handed over a range of doc_ids at a time (sorted: the file is read
    only as far as the range needs). With `after`/`upto`, only the lines of doc_ids in (after, upto]
    are read (the file is cut at those documents, see cut_at). With `whole`, the file is read at once
    and its rows sorted by doc_id (then line), for a file that is not sorted.

    A row out of order whose doc_id is no document's (not registered, no raw file: a mistyped doc_id)
    is a stray: it is held back and handed over with the next rows (it can only be ZN401 and the
    checks of its own fields, in whichever block), so one typo does not make the whole corpus be read
    at once (at 100k documents: twice the time and four times the memory). `known` gives the doc_ids
    that are some document's (KnownDocuments); without it, any row out of order is NotSorted."""

    def __init__(self, repo: CorpusRepo, kind, threads: bool, whole: bool, after: str | None = None, upto: str | None = None,
                 known: pa.Array | None = None, documents: KnownDocuments | None = None):
        from zoomnews.sources.jsonl import open_source
        from zoomnews.sources.tables import FormCheck, Schema, SourceReader

        self.kind, self.whole = kind, whole
        self.after, self.upto, self.documents = after, upto, documents
        self.strays: list[pa.Table] = []
        self.handed: pa.Array | None = None  # the doc_ids of the rows last handed over
        self.reader = SourceReader(kind, Schema(kind, threads))
        self.form = FormCheck(kind)
        self.empty = self.reader.schema.empty()
        self.buffer = self.empty
        self.count = 0
        self.last_doc: str | None = None
        path = repo.path(kind.source)
        start, stop = 0, None
        if (after is not None or upto is not None) and path.is_file():
            start = cut_at(path, after, documents) if after is not None else 0
            stop = cut_at(path, upto, documents) if upto is not None else None
            self.reader.lines = count_lines(path, start)
            self.reader.at_start = start == 0
        chunks, problems = open_source(path, kind.source, repo.root, READ_BYTES, start, stop)
        self.reader.problems.extend(problems)
        self.unread = chunks is None  # (see Index.unread)
        self.tables = self.reader.tables(chunks) if chunks is not None else iter(())
        self.done = False
        if whole:
            parts = list(self.tables)
            table = pa.concat_tables(parts) if parts else self.empty
            self.count = table.num_rows
            self.form.feed(table, known)
            table = table.filter(pc.is_valid(table.column("doc_id")))
            self.buffer = table.take(pc.sort_indices(table, sort_keys=[("doc_id", "ascending"), ("line", "ascending")])) if table.num_rows else table
            self.done = True

    def _pull(self) -> None:
        table = next(self.tables, None)
        if table is None:
            self.done = True
            return
        self.count += table.num_rows
        table = table.filter(pc.is_valid(table.column("doc_id")))
        if not table.num_rows:
            return
        doc_ids = table.column("doc_id")
        # (a stray last in what was read would stop take_until early: above every boundary, it looks
        # like the next range of documents, so it is held back even when it is in order)
        if not self._fits(doc_ids, self.last_doc) or (self.documents is not None and doc_ids[len(doc_ids) - 1].as_py() not in self.documents):
            table = self._hold_strays(table)
            if not table.num_rows:
                return
        self.last_doc = table.column("doc_id")[table.num_rows - 1].as_py()
        self.buffer = pa.concat_tables([self.buffer, table]) if self.buffer.num_rows else table

    def _fits(self, doc_ids, last: str | None) -> bool:
        """Whether rows with these doc_ids (in file order) may follow `last`: in order, and inside the
        range (a row outside it means the file is out of order where it was cut)."""
        return _in_order(doc_ids, last) and (self.after is None or doc_ids[0].as_py() > self.after) and (
            self.upto is None or doc_ids[len(doc_ids) - 1].as_py() <= self.upto)

    def _hold_strays(self, table: pa.Table) -> pa.Table:
        """`table` (which breaks the order) without its strays, held back with those of the rows
        not yet handed over; NotSorted when what is left is still out of order."""
        if self.documents is None:
            raise NotSorted(self.kind.source)
        known = self.documents()

        def apart(rows: pa.Table) -> pa.Table:
            some = pc.is_in(rows.column("doc_id"), value_set=known)
            if pc.all(some).as_py():
                return rows
            self.strays.append(rows.filter(pc.invert(some)))
            return rows.filter(some)

        self.buffer = apart(self.buffer)
        table = apart(table)
        if self.buffer.num_rows:
            last = self.buffer.column("doc_id")[self.buffer.num_rows - 1].as_py()
        else:  # (the row that set the order may have been a stray handed over already)
            handed = pc.filter(self.handed, pc.is_in(self.handed, value_set=known)) if self.handed is not None else None
            if handed is not None and not len(handed) and self.last_doc is not None:
                raise NotSorted(self.kind.source)
            last = handed[len(handed) - 1].as_py() if handed is not None else self.last_doc
        if table.num_rows and not self._fits(table.column("doc_id"), last):
            raise NotSorted(self.kind.source)
        self.last_doc = last
        return table

    def take_until(self, boundary: str | None, known: pa.Array | None = None) -> pa.Table:
        """The rows whose doc_id is at most `boundary` (None: every row left), in file order; `known`:
        the documents registered up to `boundary` (rows naming another are left out of the order, see FormCheck)."""
        while not self.done and (boundary is None or not self.buffer.num_rows or self.buffer.column("doc_id")[self.buffer.num_rows - 1].as_py() <= boundary):
            self._pull()
        if boundary is None:
            head, self.buffer = self.buffer, self.empty
        else:
            n = int(pc.sum(pc.less_equal(self.buffer.column("doc_id"), boundary)).as_py() or 0) if self.buffer.num_rows else 0
            head, self.buffer = self.buffer.slice(0, n), self.buffer.slice(n)
        if head.num_rows:
            self.handed = head.column("doc_id").combine_chunks()
        if self.strays:  # (in file order among the block's rows)
            from zoomnews.sources.tables import LINE

            head = pa.concat_tables([head, *self.strays])
            head, self.strays = head.take(pc.sort_indices(head.column(LINE))), []
        if not self.whole:
            self.form.feed(head, known)
        return head.combine_chunks()


def _in_order(doc_ids, last: str | None) -> bool:
    """Whether doc_ids (in file order) never decrease, from `last` on."""
    n = len(doc_ids)
    if last is not None and doc_ids[0].as_py() < last:
        return False
    return n < 2 or not pc.any(pc.less(doc_ids.slice(1), doc_ids.slice(0, n - 1))).as_py()


_DOC_ID = re.compile(rb'\{"doc_id": ("(?:[^"\\]|\\.)*")')


def _line_doc_id(f, offset: int, size: int) -> tuple[int, str | None]:
    """The first line starting at or after `offset`: its start and doc_id (None at the end of the
    file). CannotCut when the line does not start the canonical way."""
    if offset:
        f.seek(offset - 1)
        while True:
            piece = f.read(1 << 16)
            if not piece:
                return size, None
            newline = piece.find(b"\n")
            if newline >= 0:
                offset = f.tell() - len(piece) + newline + 1
                break
    if offset >= size:
        return size, None
    f.seek(offset)
    match = _DOC_ID.match(f.read(1 << 12))
    if match is None:
        raise CannotCut(offset)
    try:
        return offset, json.loads(match.group(1))
    except ValueError:
        raise CannotCut(offset) from None


def cut_at(path, doc_id: str, documents=None) -> int:
    """The byte offset of the first line whose doc_id sorts after `doc_id` (the file is sorted by
    doc_id): a bisection over byte positions, a few kilobytes read per step. With `documents` (the
    doc_ids that are some document's), a line naming no document (a stray: see LayerStream) is
    passed over, not taken for where the file is."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        lo, hi = 0, size
        while lo < hi:  # the smallest position whose next line is past doc_id
            mid = (lo + hi) // 2
            at, found = _line_doc_id(f, mid, size)
            if found is not None and documents is not None and found not in documents:
                at, found = _past_strays(f, at, size, documents)
            if found is None or found > doc_id:
                hi = mid
            else:
                lo = mid + 1
        return _line_doc_id(f, lo, size)[0]


def _past_strays(f, at: int, size: int, documents) -> tuple[int, str | None]:
    """The first line from `at` on whose doc_id is some document's (its start and doc_id; None at the
    end of the file), read a buffer at a time. CannotCut after STRAYS_PASSED strays in a row (then
    the documents are checked in one range): a run of 96,000 mistyped rows made each probe walk them
    line by line, and `--jobs 2` took 15 times as long as on the clean corpus."""
    passed = 0
    f.seek(at)
    buffer, start = b"", at  # `buffer` holds the file's bytes from `start`
    while True:
        end = buffer.find(b"\n", at - start)
        while end < 0 and start + len(buffer) < size:
            piece = f.read(1 << 16)
            buffer, start = buffer[at - start:] + piece, at
            end = buffer.find(b"\n")
        match = _DOC_ID.match(buffer, at - start)
        if match is None:
            raise CannotCut(at)
        try:
            found = json.loads(match.group(1))
        except ValueError:
            raise CannotCut(at) from None
        if found in documents:
            return at, found
        passed += 1
        if passed > STRAYS_PASSED:
            raise CannotCut(at)
        if end < 0:
            return size, None
        at = start + end + 1
        if at >= size:
            return size, None


STRAYS_PASSED = 1_000  # strays in a row a cut passes over before it gives up cutting the file there


def count_lines(path, stop: int) -> int:
    """Newlines in the file's first `stop` bytes (the line number a range starting there continues from)."""
    count, left = 0, stop
    with open(path, "rb") as f:
        while left > 0:
            piece = f.read(min(left, 1 << 24))
            if not piece:
                break
            count += piece.count(b"\n")
            left -= len(piece)
    return count


# Problems that name the same missing thing on every record that refers to it: one mistake (a registry
# entry deleted or misspelt, a document's doc_id mistyped), said once per file.
SAID_ONCE_PER_FILE = ("ZN401", "ZN403")


def one_per_mistake(problems: list[Problem]) -> list[Problem]:
    """Each problem of SAID_ONCE_PER_FILE once per file and message, on its first line, naming the
    others: a deleted registry entity was 8,974 ZN403s (one per mention), a doc_id mistyped on a
    document's rows one ZN401 per row. And a doc_id mistyped on a document's first article is its
    ZN401, which names the document meant, not also that document's ZN413 (mistyped_first_articles).
    Over the whole report (every block and range, and Spark's groups alike), so it is the same
    whatever the block size or --jobs."""
    from zoomnews.checks.rules import LINES_SHOWN, so_do_lines

    problems = mistyped_first_articles(problems)
    groups: dict[tuple, list[Problem]] = {}
    kept: list[Problem] = []
    for problem in problems:
        if problem.code in SAID_ONCE_PER_FILE and problem.line is not None:
            groups.setdefault((problem.file, problem.code, problem.field, problem.message, problem.suggestion), []).append(problem)
        else:
            kept.append(problem)
    for group in groups.values():
        group.sort(key=lambda p: p.line)
        also = so_do_lines([p.line for p in group[1:LINES_SHOWN + 1]], len(group) - 1)
        kept.append(replace(group[0], message=group[0].message + also))
    return kept


def mistyped_first_articles(problems: list[Problem]) -> list[Problem]:
    """A document without its first article (ZN413) and an article whose doc_id is no document's
    (ZN401 in corpus/articles.jsonl) a typo apart are one mistake: the ZN401 says which document it
    meant and the ZN413 goes."""
    from zoomnews.sources.corpus import nearest_names

    lacking = sorted({p.doc_id for p in problems if p.code == "ZN413" and p.doc_id})
    strays = sorted({p.doc_id for p in problems if p.code == "ZN401" and p.file == ARTICLES and p.doc_id})
    pairs = {stray: doc_id for doc_id, stray in nearest_names(lacking, strays).items()}
    if not pairs:
        return problems
    return [replace(p, suggestion=f"Did you mean {pairs[p.doc_id]!r}? It has no article 0.") if p.code == "ZN401" and p.file == ARTICLES and p.doc_id in pairs
            else p for p in problems if not (p.code == "ZN413" and p.doc_id in pairs.values())]


ARTICLES = "corpus/articles.jsonl"


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Level by level, then by file and line: a file that cannot be read, or a raw file that changed,
    comes before the problems that may only follow from it (one broken line of documents.jsonl left
    its 436 ZN401s ahead of it, past what validate shows)."""
    from zoomnews.checks.catalogue import CHECKS

    return sorted(problems, key=lambda p: (CHECKS[p.code].level, p.file, p.line or 0, p.code, p.message, p.field or ""))


def registry_index(kinds, tables: dict[str, pa.Table]):
    """The index every block's checks consult: the registries' rows whose id passed level 2 (the
    first of a repeated id), a field that failed it None: an entry whose type is misspelt is still
    there, so its mentions do not each hear that it is missing. The documents and articles a block
    needs are its own (check_documents)."""
    from zoomnews.checks.rules import Index

    index = Index(doc_ids=set(), articles={}, registries={}, sources={name: kind.source for name, kind in kinds.items()},
                  keys={name: kind.key for name, kind in kinds.items()},
                  linked_types=frozenset(kinds["registry_entity"].schema["properties"]["type"]["enum"]))  # what a registry entity can be
    for name in registry_kinds(kinds):
        index.registries[name] = {}
        for row in _usable(tables[name], ("id",)).to_pylist():
            index.registries[name].setdefault(row["id"], row)
    return index


def _usable(table: pa.Table, fields) -> pa.Table:
    from zoomnews.sources.tables import usable_rows

    return table.filter(pa.array(usable_rows(table, fields))) if table.num_rows else table


def check_documents(tables: dict[str, pa.Table], raws: dict[str, bytes], present: set[str], unreadable_raw: set[str], index) -> list[Problem]:
    """The checks of a block of documents. `tables`: the block's rows of every doc_id-keyed kind
    (documents, articles, span layers); `raws`: the raw bytes of (at least) the block's registered or
    annotated documents; `present`: the block's doc_ids with a raw file; `unreadable_raw`: raw paths
    already reported. The one function validate runs a block at a time and Spark runs per group of
    rows (zoomnews.checks.spark)."""
    return _checked_documents(tables, raws, present, unreadable_raw, index)[0]


def _checked_documents(tables, raws, present, unreadable_raw, index, needed: set[str] | None = None) -> tuple[list[Problem], dict[str, str], dict[str, str]]:
    """check_documents, and the texts and sha256 of the raw files it decoded. `needed`: _needed's
    answer for these tables, when the caller has it already."""
    from zoomnews.checks.rules import Block, raw_changed, run_rules
    from zoomnews.checks.span_arrays import Documents
    from zoomnews.sources.corpus import raw_registration

    documents = _usable(tables["document"], ("doc_id",))
    registered: dict[str, int] = {}  # doc_id -> the line of its (first) registration
    for doc_id, line in zip(documents.column("doc_id").to_pylist(), documents.column("line").to_pylist()):
        registered.setdefault(doc_id, line)
    articles = {}
    # every article that names its document and index (its date None when that failed level 2: one mistake, one problem)
    usable = _usable(tables["article"], ("doc_id", "article_index"))
    for doc_id, article_index, published in zip(*(usable.column(name).to_pylist() for name in ("doc_id", "article_index", "published"))):
        articles.setdefault((doc_id, article_index), published)
    problems = raw_registration(index.sources["document"], registered, present, unreadable_raw, index.unread, index.misnamed)
    needed = _needed(tables, present, index) if needed is None else needed
    texts, sha256, found = decode_raws({doc_id: data for doc_id, data in raws.items() if doc_id in needed})
    problems.extend(found)
    # A raw file that is not the one registered (ZN402) is not the text the spans were made on: they
    # are not checked against it, or one edited file would bury its ZN402 under a ZN302 per span.
    changed = set(pc.filter(documents.column("doc_id"), pa.array(raw_changed(documents, sha256)[0])).to_pylist()) if sha256 else set()
    checked_texts = {doc_id: text for doc_id, text in texts.items() if doc_id not in changed} if changed else texts
    block = Block(tables, Documents.of(checked_texts), replace(index, doc_ids=set(registered), articles=articles, raw_sha256=sha256), sorted(needed))
    problems += run_rules(block, "documents")
    return problems, texts, sha256


def raw_listing(repo: CorpusRepo, kinds):
    """The raw files and the problems of listing them (see raw_files; a document may be registered
    when its register has a byte)."""
    from zoomnews.sources.corpus import raw_files

    register = repo.path(kinds["document"].source)
    return raw_files(repo, registered=not register.is_file() or register.stat().st_size > 0)


def know_raw_files(index, present) -> None:
    """Give the index the raw listing (the listing itself, not a copy: a set of 100k doc_ids was 8 MiB
    a process), and the raw folder as unread when it could not be listed."""
    index.corpus_doc_ids = present
    index.unread = index.unread | ({RAW_DIR} if not present.listed else frozenset())


def stray_sources(repo: CorpusRepo, kinds) -> list[Problem]:
    from zoomnews.sources.corpus import stray_sources as strays

    return strays(repo, kinds)


def read_raws(doc_ids: list[str], present: dict[str, str]) -> tuple[dict[str, bytes], list[Problem]]:
    """The raw files' bytes of `doc_ids` that have one, and the problems of reading them."""
    from zoomnews.safeio import read_bytes

    raws, problems = {}, []
    for doc_id, path in zip(doc_ids, present.paths(doc_ids)):
        if path is None:
            continue
        label = f"{RAW_DIR}/{doc_id}.txt"
        try:
            raws[doc_id] = read_bytes(path, label, follow=False)  # refuses a FIFO or link swapped in since the listing
        except (ZoomnewsError, FileNotFoundError) as e:
            problems.extend(e.problems if isinstance(e, ZoomnewsError) else [Problem(label, None, "ZN106", "raw file vanished while reading")])
    return raws, problems


def decode_raws(raws: dict[str, bytes]) -> tuple[dict[str, str], dict[str, str], list[Problem]]:
    """Texts, sha256 and level-1 problems (BOM, UTF-8, CR, NFC) of raw files' bytes."""
    from zoomnews.sources.corpus import decode_raw

    texts, sha256, problems = {}, {}, []
    for doc_id, data in sorted(raws.items()):
        sha256[doc_id] = hashlib.sha256(data).hexdigest()
        text, found = decode_raw(data, f"{RAW_DIR}/{doc_id}.txt")
        problems.extend(found)
        if text is not None:
            texts[doc_id] = text
    return texts, sha256, problems
