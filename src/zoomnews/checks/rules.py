"""The checks of levels 3 (spans) and 4 (references and meaning): each one a catalogue entry and one
function beside it, registered by code.

A check works on the Arrow tables of a block of documents (every doc_id-keyed kind's rows of those
documents: documents, articles, span layers) or, for the corpus-wide checks, on the registries, and
returns the rows it flags, each with its Problem; Python only touches flagged rows. validate (zoomnews.checks.validation) runs the checks in the
order listed here. A check reads only the rows whose fields it `reads` passed level 2, and skips the
rows whose fields it reads an earlier check has blamed (its `excludes`): a span whose document is
unknown has no text to compare, a span whose offsets are out of range has no text to check for white
space, a quote whose speaker is unknown is not compared with its statement's speaker. So each
mistake is reported once, under its own code, and a record's other fields are still judged in the
same run: a span with the wrong text still hears that its entity_id is unknown.

Texts are one array of code points per block (zoomnews.checks.span_arrays), so `text == doc[start:end]`, white
space at the edges, overlaps and tiling are numpy operations over every span of the block at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zoomnews.checks import timeml
from zoomnews.checks.catalogue import Check
from zoomnews.errors import Problem
from zoomnews.sources.tables import LINE, repeated_keys, usable_rows
from zoomnews.checks.span_arrays import STRING_VIEW_WINDOW, Documents, Spans, string_views

EARLIEST_PUBLISHED = dt.date(1990, 1, 1)

Flags = list[tuple[int, Problem | None]]  # (row in the check's table, or -1 for a whole document), problem (None: another flag's speaks for the row)


@dataclass
class Index:
    """What a block's checks know beyond their own rows: the registries (small, built once) and, per
    block, its registered documents, articles and raw files' sha256."""

    doc_ids: set[str]  # the block's registered documents
    articles: dict[tuple[str, int], str]  # the block's (doc_id, article_index) -> published
    registries: dict[str, dict[str, dict]]  # registry kind -> id -> record
    sources: dict[str, str]  # kind -> its source file
    keys: dict[str, tuple[str, ...]]  # kind -> its key fields
    linked_types: frozenset[str] = frozenset()  # entity labels that link to the registry: its entities' types (schema enum)
    raw_sha256: dict[str, str] = field(default_factory=dict)  # doc_id -> sha256 of its raw bytes (this block's)
    corpus_doc_ids: Container[str] = frozenset()  # every doc_id with a raw file (the raw listing itself: a document may name another)
    # an agreement pass annotates some of the documents: coverage (ZN306) is checked on those it has zones for
    partial: bool = False
    # The sources (files, and the raw folder) that could not be read at all: missing, a link, not a
    # regular file. Their records are unknown, not absent: a check that looks something up in one is
    # not run (its `needs`), and the file's own problem (ZN101, ZN111, ZN114) stands for all it would say.
    unread: frozenset[str] = frozenset()
    # registered doc_ids without a raw file -> the unregistered raw file each likely means (a typo in
    # the register: its ZN106 says so; see zoomnews.sources.corpus.misnamed_documents)
    misnamed: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Block:
    """The tables of a few consecutive documents (every kind's rows with those doc_ids), their texts,
    and the index. `excluded[kind][field]` marks the rows whose `field` a check has blamed."""

    tables: dict[str, pa.Table]
    documents: Documents
    index: Index
    doc_ids: list[str] = field(default_factory=list)  # the block's documents, sorted
    excluded: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    whole_spans: dict[tuple[str, str], Spans] = field(default_factory=dict, repr=False)  # (kind, prefix) -> every span, made once

    def problem(self, kind: str, row: int, code: str, message: str, field: str | None = None, suggestion: str | None = None) -> Problem:
        table = self.tables[kind]
        doc_id = table.column("doc_id")[row].as_py() if "doc_id" in table.column_names else None
        return Problem(self.index.sources[kind], int(table.column(LINE)[row].as_py()), code, message, field=field, suggestion=suggestion, doc_id=doc_id)

    def blamed(self, kind: str, fields) -> np.ndarray:
        """The rows of `kind` one of whose `fields` an earlier check has blamed."""
        found = np.zeros(self.tables[kind].num_rows, dtype=bool)
        for name, rows in self.excluded.get(kind, {}).items():
            if name in fields:
                found |= rows
        return found

    def blame(self, kind: str, row: int, fields) -> None:
        for name in fields:
            self.excluded.setdefault(kind, {}).setdefault(name, np.zeros(self.tables[kind].num_rows, dtype=bool))[row] = True

    def spans(self, kind: str, rows: np.ndarray, prefix: str = "") -> Spans:
        """The spans of `kind` (its cue_/source_ ones with a prefix) on the chosen `rows` (a mask)."""
        whole = self.whole_spans.get((kind, prefix))
        if whole is None:
            table = self.tables[kind]
            whole = self.whole_spans[kind, prefix] = Spans.of_table(table, np.ones(table.num_rows, dtype=bool), self.documents, prefix,
                                                                    self.index.sources[kind])
        return whole.subset(rows)


# Which kinds a check reads is told by their schemas (their tables' columns), never by a list to keep in step.

def spans(kind: str, table: pa.Table) -> bool:
    """A kind with spans: its schema has start, end and text."""
    return {"start", "end", "text"} <= set(table.column_names)


def by_document(kind: str, table: pa.Table) -> bool:
    """A kind whose records belong to a document (its schema has doc_id)."""
    return "doc_id" in table.column_names


def registry(kind: str, table: pa.Table) -> bool:
    return not by_document(kind, table)


def refers_to_a_document(kind: str, table: pa.Table) -> bool:
    """A kind whose doc_id refers to a registered document (every one but the register itself)."""
    return by_document(kind, table) and kind != "document"


# What a flagged row's problem blames: later checks that read one of these fields skip the row.
Blames = Callable[[Problem, pa.Table], tuple[str, ...]]


def blames_fields(*names: str) -> Blames:
    return lambda problem, table: names


def blames_its_field(problem: Problem, table: pa.Table) -> tuple[str, ...]:
    return (problem.field,)


def blames_its_span(problem: Problem, table: pa.Table) -> tuple[str, ...]:
    """The offsets and text of the span the problem names (a quote's content, cue or source)."""
    prefix = next(p for p in ("cue_", "source_", "") if (problem.field or "").startswith(p))
    return tuple(f"{prefix}{name}" for name in ("start", "end", "text"))


def blames_everything(problem: Problem, table: pa.Table) -> tuple[str, ...]:
    return tuple(table.column_names)


@dataclass(frozen=True)
class Rule:
    check: Check
    kinds: tuple[str, ...] | Callable[[str, pa.Table], bool]  # the kinds it checks, by name or by what their tables hold
    reads: tuple[str, ...]
    function: Callable[[Block, str, np.ndarray], Flags]
    scope: str  # "documents": per block of documents; "corpus": once, over the registries
    excludes: Blames | None
    needs: tuple[str, ...] = ()  # the kinds whose records it looks up: not run when one's file is unread (Index.unread)


RULES: list[Rule] = []


def rule(code: str | Check, level: int = 0, title: str = "", text: str = "", hint: str = "", *, kinds, reads, scope: str = "documents",
         excludes: Blames | None = None, needs: tuple[str, ...] = ()):
    """Register the function below as check `code` (its catalogue entry is the other arguments, or
    `code` itself when it is a Check that two scopes share). `excludes`: which fields of a row it
    flags are wrong, for the checks after it; `needs`: the kinds whose records it looks up."""
    check = code if isinstance(code, Check) else Check(code, level, title, text, hint)

    def register(function):
        RULES.append(Rule(check, kinds if callable(kinds) else tuple(kinds), tuple(reads), function, scope, excludes, tuple(needs)))
        return function

    return register


# checks that run in both scopes (registries once for the corpus; the rest a block of documents at a time)
DUPLICATE_ID = Check("ZN303", 3, "duplicate-id", "Record ids (keys) are unique.", "Renumber one of the records (a pasted duplicate line: delete it).")
UNKNOWN_REFERENCE = Check("ZN403", 4, "unknown-reference", "entity_id, speaker, statement_id and annotator resolve in their registries.",
                          "Fix the reference (the registry's ids are its entries' id fields), or add the entry it means to the registry named (an annotator adds themselves to annotations/registry/annotators.jsonl).")


def run_rules(block: Block, scope: str) -> list[Problem]:
    """Every check of `scope` on the block, in order; flagged rows of excluding checks are skipped after."""
    problems = []
    for entry in RULES:
        if entry.scope != scope or any(block.index.sources[kind] in block.index.unread for kind in entry.needs):
            continue
        names = [k for k, t in block.tables.items() if entry.kinds(k, t)] if callable(entry.kinds) else entry.kinds
        for kind in names:
            table = block.tables.get(kind)
            if table is None:
                continue
            rows = usable_rows(table, entry.reads) & ~block.blamed(kind, entry.reads) if table.num_rows else np.zeros(0, dtype=bool)
            flags = entry.function(block, kind, rows)
            for row, problem in flags:  # (a row flagged with no problem is one another flag's problem speaks for)
                if problem is not None:
                    problems.append(problem)
                if entry.excludes is not None and row >= 0:
                    block.blame(kind, row, entry.excludes(problem, table))
    return problems


def _column(table: pa.Table, name: str) -> list:
    return table.column(name).to_pylist()


def _not_in(values: pa.ChunkedArray, allowed, rows: np.ndarray) -> np.ndarray:
    """Rows among `rows` whose value is not null and not in `allowed`."""
    allowed = pa.array(sorted(allowed), type=pa.string())
    missing = pc.invert(pc.is_in(values, value_set=allowed)).to_numpy(zero_copy_only=False) & pc.is_valid(values).to_numpy(zero_copy_only=False)
    return np.flatnonzero(missing & rows)


# ---------------------------------------------------------------- corpus: the registries

@rule(DUPLICATE_ID,
      kinds=registry, reads=("id",), excludes=blames_everything, scope="corpus")
def duplicate_keys_corpus(block: Block, kind: str, rows: np.ndarray) -> Flags:
    return _duplicate_keys(block, kind, rows)


def _duplicate_keys(block: Block, kind: str, rows: np.ndarray) -> Flags:
    """Every occurrence of a key after its first (in line order) is flagged, once. A line that copies
    its first occurrence (a pasted line) is left out of the checks after: they would only find the
    same mistakes again, or the two lines overlapping. A line that only shares the key is a record of
    its own (a copied line edited without renumbering it): the later checks judge it too, so what
    else is wrong with it is reported in the same run."""
    table, key = block.tables[kind], block.index.keys[kind]
    chosen = np.flatnonzero(rows)
    if len(chosen) < 2:
        return []
    candidates = table.select([*key, LINE])  # (taking every column would copy the texts)
    candidates = candidates if len(chosen) == table.num_rows else candidates.take(pa.array(chosen))
    repeated = np.flatnonzero(repeated_keys(candidates, key))
    if len(repeated) and "doc_id" in key:
        # a key naming no document repeats a doc_id typo (ZN401 names each row); its rows are held back
        # wherever they are in the file (validation.LayerStream), so they may meet in no one block
        stray = np.zeros(table.num_rows, dtype=bool)
        stray[naming_no_document(block, table.column("doc_id"), rows)] = True
        repeated = repeated[~stray[chosen[repeated]]]
    if not len(repeated):
        return []
    first = {}  # key values -> (line, row) of their first occurrence
    for i, (values, line) in enumerate(zip(zip(*[candidates.column(k).to_pylist() for k in key]), candidates.column(LINE).to_pylist())):
        if values not in first or line < first[values][0]:
            first[values] = (line, int(chosen[i]))
    fields = [name for name in table.column_names if name != LINE]
    flags = []
    for i in repeated:
        row = int(chosen[i])
        values = tuple(table.column(k)[row].as_py() for k in key)
        line, original = first[values]
        copy = all(table.column(name)[row].as_py() == table.column(name)[original].as_py() for name in fields)
        message = f"key {dict(zip(key, values))} is used more than once (first at line {line}" + ("; this line is a copy of it)" if copy else ")")
        flags.append((row if copy else -1, block.problem(kind, row, "ZN303", message, field=key[-1])))
    return flags


@rule(UNKNOWN_REFERENCE,
      kinds=("registry_statement", "registry_speaker"), reads=("speaker", "affiliation"), scope="corpus")
def registry_references(block: Block, kind: str, rows: np.ndarray) -> Flags:
    name, registry = {"registry_statement": ("speaker", "registry_speaker"), "registry_speaker": ("affiliation", "registry_entity")}[kind]
    return _references(block, kind, rows, name, registry)


def _references(block: Block, kind: str, rows: np.ndarray, name: str, registry: str) -> Flags:
    if block.index.sources[registry] in block.index.unread:
        return []  # (its ZN101, ZN111 or ZN114 says it: not one ZN403 per reference)
    table = block.tables[kind]
    known = block.index.registries[registry]
    return [(int(i), block.problem(kind, int(i), "ZN403", f"{name} {table.column(name)[int(i)].as_py()!r} is not in {block.index.sources[registry]}", field=name))
            for i in _not_in(table.column(name), known, rows)]


# ---------------------------------------------------------------- documents: keys, provenance, references (a span needs its text)

@rule(DUPLICATE_ID,
      kinds=by_document, reads=("doc_id", "id", "article_index"), excludes=blames_everything)
def duplicate_keys(block: Block, kind: str, rows: np.ndarray) -> Flags:
    return _duplicate_keys(block, kind, rows)


@rule("ZN409", 4, "published-date", "Publication dates are plausible (1990 to today).",
      "Check the date and its evidence in corpus/articles.jsonl.",
      kinds=("article",), reads=("doc_id", "published"))
def published_dates(block: Block, kind: str, rows: np.ndarray) -> Flags:
    table, flags = block.tables[kind], []
    published = table.column("published")
    today = dt.date.today().isoformat()
    implausible = pc.or_(pc.less(published, EARLIEST_PUBLISHED.isoformat()), pc.greater(published, today))
    for i in np.flatnonzero(pc.fill_null(implausible, False).to_numpy(zero_copy_only=False) & rows):
        flags.append((int(i), block.problem(kind, int(i), "ZN409", f"published {published[int(i)].as_py()} is not between {EARLIEST_PUBLISHED} and today", field="published")))
    return flags


@rule("ZN413", 4, "first-article", "Every document has its first article (article_index 0) in corpus/articles.jsonl: its title, authors and date are the document's.",
      "Add the article record with article_index 0 (zoomnews new-document writes a stub).",
      kinds=("document",), reads=("doc_id",), needs=("article",))
def first_articles(block: Block, kind: str, rows: np.ndarray) -> Flags:
    """Not for a doc_id mistyped in the register (Index.misnamed): its articles are under the doc_id it meant, and its ZN106 says so."""
    table = block.tables[kind]
    known = {d for (d, a) in block.index.articles if a == 0}
    missing = [(int(i), table.column("doc_id")[int(i)].as_py()) for i in _not_in(table.column("doc_id"), known, rows)]
    return [(i, block.problem(kind, i, "ZN413", f"{doc_id} has no article 0 in corpus/articles.jsonl", field="doc_id"))
            for i, doc_id in missing if doc_id in block.index.corpus_doc_ids or doc_id not in block.index.misnamed]


@rule("ZN411", 4, "provenance-todo", "No provenance field still says TODO (the stub `zoomnews new-document` writes).",
      "Answer the question in the field: evidence for the outlet and date, the rights statement.",
      kinds=("document", "article"), reads=())
def provenance_todo(block: Block, kind: str, rows: np.ndarray) -> Flags:
    table, flags = block.tables[kind], []
    for name in table.column_names:
        column = table.column(name)
        if name == LINE or not pa.types.is_string(column.type):
            continue
        todo = pc.fill_null(pc.starts_with(column, "TODO"), False).to_numpy(zero_copy_only=False) & rows
        for i in np.flatnonzero(todo):
            flags.append((int(i), block.problem(kind, int(i), "ZN411", f"provenance left to complete: {column[int(i)].as_py()[:80]!r}", field=name)))
    return flags


@rule("ZN401", 4, "unknown-doc", "A record's doc_id is registered in corpus/documents.jsonl.", "Fix the doc_id or register the document.",
      kinds=refers_to_a_document, reads=("doc_id",), excludes=blames_fields("doc_id"), needs=("document",))
def unknown_documents(block: Block, kind: str, rows: np.ndarray) -> Flags:
    """Not for a document whose raw file is there: its missing registration is one problem (ZN105 on
    the raw file), not one per record (a doc_id mistyped in corpus/documents.jsonl gave 278)."""
    doc_ids = block.tables[kind].column("doc_id")
    return [(i, block.problem(kind, i, "ZN401", f"doc_id {doc_ids[i].as_py()!r} is not registered", field="doc_id"))
            for i in naming_no_document(block, doc_ids, rows)]


def naming_no_document(block: Block, doc_ids, rows: np.ndarray) -> list[int]:
    """The chosen rows whose doc_id is no document's: not registered (in this block, which holds the
    registration of every document its rows name) and without a raw file."""
    return [int(i) for i in _not_in(doc_ids, block.index.doc_ids, rows) if doc_ids[int(i)].as_py() not in block.index.corpus_doc_ids]


@rule("ZN414", 4, "unknown-source-document", "A document's derived_from doc_id names another document of the corpus (null: its source is not in it).",
      "Fix the doc_id, or set it to null when the report it was derived from is not in the corpus.",
      kinds=("document",), reads=("doc_id", "derived_from"))
def derived_from_documents(block: Block, kind: str, rows: np.ndarray) -> Flags:
    table = block.tables[kind]
    lists = table.column("derived_from").combine_chunks()
    sources = pc.list_flatten(lists)
    if not len(sources):
        return []
    own = table.column("doc_id").to_pylist()
    flags, seen = [], set()
    for row, source in zip(pc.list_parent_indices(lists).to_pylist(), sources.field("doc_id").to_pylist()):
        if not rows[row] or source is None or row in seen:
            continue
        if source == own[row]:
            message = f"derived_from names the document itself ({source!r})"
        elif source not in block.index.corpus_doc_ids:
            message = f"derived_from doc_id {source!r} is not a document of the corpus (no corpus/raw/{source}.txt)"
        else:
            continue
        seen.add(row)  # one problem a document: each mistake once
        flags.append((row, block.problem(kind, row, "ZN414", message, field="derived_from")))
    return flags


@rule("ZN404", 4, "unknown-article", "A record's article_index names an article in corpus/articles.jsonl.", "Add the article record or fix the index.",
      kinds=("zone", "timex"), reads=("doc_id", "article_index"), excludes=blames_fields("article_index"), needs=("article",))
def unknown_articles(block: Block, kind: str, rows: np.ndarray) -> Flags:
    """Once for each missing article a file names, on its first line: an article record lost or with a
    mistyped doc_id is one mistake, not one per span of the article (it was 66-90), and a registered
    document's missing first article is its ZN413's. Every such span is still left out of the checks
    that read its article_index."""
    table = block.tables[kind]
    keys = pc.binary_join_element_wise(table.column("doc_id"), pc.cast(table.column("article_index"), pa.string()), "\x00")
    known = {f"{d}\x00{a}" for d, a in block.index.articles}
    flags, named = [], {}
    for i in _not_in(keys, known, rows):
        named.setdefault(keys[int(i)].as_py(), []).append(int(i))
    for key, found in named.items():
        doc_id, index = key.split("\x00")
        told = index == "0" and doc_id in block.index.doc_ids  # ZN413 names it, on the document
        also = so_do_lines([int(table.column(LINE)[j].as_py()) for j in found[1:LINES_SHOWN + 1]], len(found) - 1)
        flags.extend((j, None if told or j != found[0] else block.problem(
            kind, j, "ZN404", f"article {index} of {doc_id} is not in corpus/articles.jsonl{also}", field="article_index")) for j in found)
    return flags


LINES_SHOWN = 5  # other lines a problem said once for several names (it counts the rest)


def so_do_lines(shown: list[int], others: int) -> str:
    """" (so do lines 39, 40 and 3 more)": the other lines a problem speaks for, the first few by number."""
    rest = f" and {others - len(shown)} more" if others > len(shown) else ""
    return f" (so do line{'s' if others > 1 else ''} {', '.join(map(str, shown))}{rest})" if shown else ""


# ---------------------------------------------------------------- level 3: spans

def _prefixes(kind: str) -> tuple[str, ...]:
    return ("", "cue_", "source_") if kind == "quote" else ("",)


@rule("ZN301", 3, "offset-range", "0 <= start < end <= len(document text); a quote's cue_ and source_ start, end and text are null only together.",
      "Offsets are code points into the raw text; recompute them.",
      kinds=spans, reads=("doc_id", "start", "end", "text", "cue_start", "cue_end", "cue_text", "source_start", "source_end", "source_text"), excludes=blames_its_span)
def offset_range(block: Block, kind: str, rows: np.ndarray) -> Flags:
    table, flags = block.tables[kind], []
    for prefix in ("cue_", "source_") if kind == "quote" else ():
        nulls = [pc.is_null(table.column(f"{prefix}{f}")).to_numpy(zero_copy_only=False) for f in ("start", "end", "text")]
        mixed = (nulls[0] | nulls[1] | nulls[2]) & ~(nulls[0] & nulls[1] & nulls[2])
        for i in np.flatnonzero(mixed & rows):
            flags.append((int(i), block.problem(kind, int(i), "ZN301", f"{prefix}start, {prefix}end and {prefix}text are null only together", field=f"{prefix}start")))
    flagged = {(row, problem.field.removesuffix("start")) for row, problem in flags}
    for prefix in _prefixes(kind):
        spans = block.spans(kind, rows, prefix)
        length = block.documents.length(spans.doc)
        bad = (spans.doc >= 0) & ~((spans.start >= 0) & (spans.start < spans.end) & (spans.end <= length))
        for i in np.flatnonzero(bad):
            row = int(spans.rows[i])
            if (row, prefix) not in flagged:
                flags.append((row, spans.problem(i, "ZN301", f"{prefix}start={spans.start[i]}, {prefix}end={spans.end[i]}: need 0 <= start < end <= {length[i]}")))
    return flags


def text_matches(spans: Spans, documents: Documents) -> np.ndarray:
    """For each span, whether its stored text equals the document's text[start:end] (False for a span
    out of its document's range): the slices' UTF-8 bytes, as Arrow views into the block's texts,
    compared with the stored texts by Arrow (two strings of code points are equal just when their
    UTF-8 bytes are)."""
    matches = np.zeros(len(spans.start), dtype=bool)
    inside = np.flatnonzero((spans.doc >= 0) & (spans.start >= 0) & (spans.start <= spans.end) & (spans.end <= documents.length(spans.doc)))
    first = documents.utf8_at[documents.base[spans.doc[inside]] + spans.start[inside]]
    lengths = documents.utf8_at[documents.base[spans.doc[inside]] + spans.end[inside]] - first
    huge = lengths > STRING_VIEW_WINDOW  # (a text of more than a GiB: compared in Python)
    if huge.any():
        matches[inside[huge]] = [spans.texts[i] == documents.text(spans.doc[i], spans.start[i], spans.end[i]) for i in inside[huge]]
        inside, first, lengths = inside[~huge], first[~huge], lengths[~huge]
    if len(inside):
        in_documents = string_views(documents.utf8, first, lengths)
        stored = spans.texts.pick(inside).arrow.cast(pa.string_view())
        matches[inside] = pc.fill_null(pc.equal(in_documents, stored), False).to_numpy(zero_copy_only=False)
    return matches


@rule("ZN302", 3, "text-mismatch", "A span's stored text equals document text[start:end].",
      "Recompute the offsets from the text (code points, not bytes or UTF-16 units).",
      kinds=spans, reads=("doc_id", "start", "end", "text", "cue_start", "cue_end", "cue_text", "source_start", "source_end", "source_text"), excludes=blames_its_span)
def text_mismatch(block: Block, kind: str, rows: np.ndarray) -> Flags:
    flags, wholes = [], {}
    for prefix in _prefixes(kind):
        spans = block.spans(kind, rows, prefix)
        matches = text_matches(spans, block.documents)
        for i in np.flatnonzero((spans.doc >= 0) & ~matches):
            row = int(spans.rows[i])
            stored, actual = spans.texts[i], block.documents.text(spans.doc[i], spans.start[i], spans.end[i])
            problem = spans.problem(i, "ZN302", f"{prefix}text {_shown(stored)} but text[{spans.start[i]}:{spans.end[i]}] is {_shown(actual)}"
                                                + _first_difference(stored, actual), field=f"{prefix}text")
            doc, start, end = int(spans.doc[i]), int(spans.start[i]), int(spans.end[i])
            if doc not in wholes:  # (a shifted document has every span flagged: its text is made once)
                wholes[doc] = block.documents.text(doc, 0, int(block.documents.lengths[doc]))
            suggestion = _where_the_text_is(wholes[doc], stored, start, end, prefix)
            flags.append((row, replace(problem, suggestion=suggestion)))
    return flags


def _where_the_text_is(document: str, stored: str, start: int, end: int, prefix: str) -> str | None:
    """Where the stored text is in its document, nearest the span's own offsets: one mistaken offset
    (the text begins at start, or ends at end) is named alone, else the text's nearest occurrence. A
    contributor then fixes the offsets, not the text (which would leave the span too long). Other
    documents are not searched: a block holds only some of them, and the report must not depend on
    the block size or on --jobs (a record moved to another document is told by its other problems,
    such as a ZN303 on its id, or by its text's nearest place)."""
    if not stored:
        return None
    if document.startswith(stored, start):
        return f"The text is at text[{start}:{start + len(stored)}]: did you mean {prefix}end={start + len(stored)}?"
    if end - len(stored) >= 0 and document.startswith(stored, end - len(stored)):
        return f"The text is at text[{end - len(stored)}:{end}]: did you mean {prefix}start={end - len(stored)}?"
    # the last occurrence at or before start and the first after it: the nearest is one of them (a
    # tie goes to the earlier); searched outward, not from the document's beginning every time
    at = max(start, 0)
    places = [p for p in (document.rfind(stored, 0, at + len(stored)), document.find(stored, at + 1)) if p >= 0]
    if not places:
        return None
    found = min(places, key=lambda p: (abs(p - start), p))
    return f"The text is at text[{found}:{found + len(stored)}], the nearest place: did you mean {prefix}start={found}, {prefix}end={found + len(stored)}?"


def _shown(text: str, width: int = 40) -> str:
    return repr(text) if len(text) <= width else repr(text[:width - 1]) + "…"


def _first_difference(stored: str, actual: str) -> str:
    """Where two texts of a span part, when the shown beginnings would not tell (a long quote with its
    last word changed looked the same on both sides)."""
    at = next((k for k, (a, b) in enumerate(zip(stored, actual)) if a != b), min(len(stored), len(actual)))
    if at < 39:
        return ""
    return f"; they differ from character {at}: {_shown(stored[at:at + 20], 20)} vs {_shown(actual[at:at + 20], 20)}"


@rule("ZN304", 3, "space-at-edge", "No span starts or ends on white space (U+00A0 included).", "Move the offset inward past the white space.",
      kinds=spans, reads=("doc_id", "start", "end", "text", "cue_start", "cue_end", "cue_text", "source_start", "source_end", "source_text"))
def space_at_edge(block: Block, kind: str, rows: np.ndarray) -> Flags:
    flags = []
    for prefix in _prefixes(kind):
        spans = block.spans(kind, rows, prefix)
        known = spans.doc >= 0
        first, last = spans.global_start(block.documents), spans.global_end(block.documents) - 1
        at_start, at_end = np.zeros(len(spans.start), dtype=bool), np.zeros(len(spans.start), dtype=bool)
        at_start[known], at_end[known] = block.documents.space[first[known]], block.documents.space[last[known]]
        for i in np.flatnonzero(at_start | at_end):
            edge = "starts and ends" if at_start[i] and at_end[i] else "starts" if at_start[i] else "ends"
            flags.append((int(spans.rows[i]), spans.problem(i, "ZN304", f"{prefix}span {_shown(spans.texts[i])} {edge} on white space",
                                                             field=f"{prefix}{'start' if at_start[i] else 'end'}")))
    return flags


@rule("ZN305", 3, "overlap", "Spans of a flat layer (zones, entities, timexes) do not overlap.", "One of the two spans is wrong (too long, or one mention annotated twice): fix or delete that one; the layers are flat.",
      kinds=("zone", "entity", "timex"), reads=("doc_id", "id", "start", "end", "text"))
def overlaps(block: Block, kind: str, rows: np.ndarray) -> Flags:
    """A span starting before an earlier span of its document (in order of start, the longer first)
    has ended, named against the earlier span reaching furthest. When two or more spans start inside
    one earlier span, that span is the likelier mistake (too long, it covers its neighbours): it is
    named once, with them (and with the span it starts inside, if any), and left out while the rest
    are looked at again (one mistake, one problem). Of two identical spans, the one with the later id
    (in number order: the newer) is named, wherever its line is: a copy pasted above its original
    with a new id is the one to delete, not the original."""
    spans = block.spans(kind, rows)
    keep = np.flatnonzero(spans.doc >= 0)
    gstart, gend = spans.global_start(block.documents)[keep], spans.global_end(block.documents)[keep]
    order = np.lexsort((-gend, gstart))
    same = (gstart[order][1:] == gstart[order][:-1]) & (gend[order][1:] == gend[order][:-1])
    if same.any():
        order = np.lexsort((_id_ranks(spans.ids.pick(keep).arrow), -gend, gstart))
    keep, gstart, gend = keep[order], gstart[order], gend[order]
    flags = []
    while True:
        later, earlier = _clashes(gstart, gend)
        reached, count = np.unique(earlier, return_counts=True)
        covering = reached[count > 1]
        if not len(covering):
            break
        for k in covering:
            i, covered = keep[k], keep[later[earlier == k]]
            names = ", ".join(f"{spans.ids[j]} ({spans.start[j]}-{spans.end[j]})" for j in covered[:COVERED_SHOWN])
            more = f" and {len(covered) - COVERED_SHOWN} more" if len(covered) > COVERED_SHOWN else ""
            inside = "".join(f"; it starts inside {spans.ids[j]} ({spans.start[j]}-{spans.end[j]}) too" for j in keep[earlier[later == k]])
            flags.append((int(spans.rows[i]), spans.problem(i, "ZN305", f"{spans.ids[i]} ({spans.start[i]}-{spans.end[i]}) overlaps {len(covered)} later spans, "
                                                                       f"which start inside it: {names}{more}{inside}; is it too long?", field=f"{spans.prefix}end")))
        left = ~np.isin(np.arange(len(keep)), covering)
        keep, gstart, gend = keep[left], gstart[left], gend[left]
    for k, e in zip(later, earlier):
        i, j = keep[k], keep[e]
        flags.append((int(spans.rows[i]), spans.problem(i, "ZN305", f"{spans.ids[i]} ({spans.start[i]}-{spans.end[i]}) overlaps {spans.ids[j]} ({spans.start[j]}-{spans.end[j]})")))
    return flags


COVERED_SHOWN = 5  # spans a too-long span's ZN305 names (it counts the rest)


def _id_ranks(ids: pa.Array) -> np.ndarray:
    """Each id's rank in number order (a letter, then a number without leading zeros, as the schemas
    have them: shorter first, then as strings, so z9 before z10)."""
    by_number = pc.sort_indices(pa.table({"length": pc.utf8_length(ids), "id": ids}), sort_keys=[("length", "ascending"), ("id", "ascending")])
    ranks = np.empty(len(ids), dtype=np.int64)
    ranks[by_number.to_numpy()] = np.arange(len(ids))
    return ranks


def _clashes(gstart: np.ndarray, gend: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spans in order of start (the longer first): the positions of those starting before an earlier one has ended,
    and for each, the earlier one reaching furthest (the latest such). Documents are disjoint ranges
    of the global offsets, so the reach never leaks from one into the next."""
    if not len(gend):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    reach = np.maximum.accumulate(gend)
    reacher = np.maximum.accumulate(np.where(gend == reach, np.arange(len(gend)), 0))
    later = np.flatnonzero(gstart[1:] < reach[:-1]) + 1
    return later, reacher[later - 1]


@rule("ZN306", 3, "zones-tiling", "Zones cover every non-blank character of a document.",
      "Add a zone for the uncovered text (page_furniture if nothing else fits).",
      kinds=("zone",), reads=("doc_id", "start", "end", "text"), needs=("zone",))
def tiling(block: Block, kind: str, rows: np.ndarray) -> Flags:
    """Every non-blank character of every document of the block lies in a zone (overlaps are ZN305's).
    A document with a zone whose offsets or text failed an earlier check is not judged: that zone's
    problem is the gap's cause, and a zone added for the gap would overlap it once it is fixed."""
    spans = block.spans(kind, rows)
    documents = block.documents
    known = spans.doc >= 0
    depth = np.zeros(len(documents.points) + 1, dtype=np.int64)
    np.add.at(depth, spans.global_start(documents)[known], 1)
    np.add.at(depth, spans.global_end(documents)[known], -1)
    outside = ~(np.cumsum(depth)[:-1] > 0)
    uncovered = outside & ~documents.space
    flags = []
    starts = np.minimum(documents.base[:-1], max(len(documents.points) - 1, 0))
    counts = np.add.reduceat(uncovered, starts) if len(documents.points) else np.zeros(len(documents.index), dtype=int)
    names = {doc: doc_id for doc_id, doc in documents.index.items()}
    table = block.tables[kind]
    annotated = set(table.column("doc_id").to_pylist()) if block.index.partial else None
    unjudged = rows | block.blamed(kind, ("id",))  # (a pasted copy of a zone leaves its original to cover the text)
    unjudged = set(pc.filter(table.column("doc_id"), pa.array(~unjudged)).to_pylist()) if not unjudged.all() else set()
    for doc in np.flatnonzero((counts > 0) & (np.diff(documents.base) > 0)):  # (reduceat gives an empty document its next one's first value)
        doc_id = names[int(doc)]
        if annotated is not None and doc_id not in annotated or doc_id in unjudged:
            continue
        lo, hi = documents.base[doc], documents.base[doc + 1]
        gaps = _gaps(outside[lo:hi], uncovered[lo:hi])
        shown = ", ".join(f"{a}-{b} {documents.text(doc, a, min(b, a + 30)) + ('…' if b - a > 30 else '')!r}" for a, b in gaps[:GAPS_SHOWN])
        more = f" and {len(gaps) - GAPS_SHOWN} more" if len(gaps) > GAPS_SHOWN else ""
        flags.append((-1, Problem(block.index.sources[kind], None, "ZN306",
                                  f"{doc_id}: {int(counts[doc])} non-blank character(s) in no zone, in {len(gaps)} gap(s): {shown}{more}")))
    return flags


GAPS_SHOWN = 5  # gaps a ZN306 message names by offsets (it counts the rest)


def _gaps(outside: np.ndarray, uncovered: np.ndarray) -> list[tuple[int, int]]:
    """The stretches of a document outside every zone that hold a non-blank character, as (start,
    end) offsets trimmed to their first and last non-blank characters."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], outside, [False]]).astype(np.int8)))
    gaps = []
    for a, b in zip(edges[::2], edges[1::2]):
        blank_free = np.flatnonzero(uncovered[a:b])
        if len(blank_free):
            gaps.append((int(a + blank_free[0]), int(a + blank_free[-1] + 1)))
    return gaps


@rule("ZN405", 4, "article-mismatch", "A timex lies inside a zone of the same article_index.",
      "Fix the timex's article_index (it is resolved against that article's creation time).",
      kinds=("timex",), reads=("doc_id", "id", "start", "end", "text", "article_index"), excludes=lambda problem, table: (problem.field,) if problem.field == "article_index" else (),
      needs=("zone",))
def timex_article(block: Block, kind: str, rows: np.ndarray) -> Flags:
    zones_table = block.tables["zone"]
    zone_fields = ("doc_id", "start", "end", "text", "article_index")
    zone_rows = usable_rows(zones_table, zone_fields) & ~block.blamed("zone", zone_fields)
    inner, outer = block.spans(kind, rows), block.spans("zone", zone_rows)
    keep = np.flatnonzero(inner.doc >= 0)
    zkeep = np.flatnonzero(outer.doc >= 0)
    if not len(keep) or not len(zkeep):
        return []
    gstart, gend = inner.global_start(block.documents)[keep], inner.global_end(block.documents)[keep]
    ostart, oend = outer.global_start(block.documents)[zkeep], outer.global_end(block.documents)[zkeep]
    order = np.argsort(ostart, kind="stable")
    zkeep, ostart, oend = zkeep[order], ostart[order], oend[order]
    k = np.searchsorted(ostart, gstart, side="right") - 1
    inside = (k >= 0) & (oend[np.maximum(k, 0)] >= gend)
    # partly in a zone but in none wholly: it crosses a zone's edge (wholly in a gap: the tiling check reports the gap)
    starts_in_zone = (k >= 0) & (oend[np.maximum(k, 0)] > gstart)
    next_zone = np.minimum(k + 1, len(ostart) - 1)
    reaches_next = (k + 1 < len(ostart)) & (ostart[next_zone] < gend)
    crossing = ~inside & (starts_in_zone | reaches_next)
    zone_of = outer.rows[zkeep[np.maximum(k, 0)]]
    timex_article_index = block.tables[kind].column("article_index").to_numpy(zero_copy_only=False)[inner.rows[keep]]
    zone_article_index = zones_table.column("article_index").to_numpy(zero_copy_only=False)[zone_of]
    flags = []
    for j in np.flatnonzero(crossing):
        i = keep[j]
        flags.append((int(inner.rows[i]), inner.problem(i, "ZN405", f"{inner.ids[i]} ({inner.start[i]}-{inner.end[i]}) crosses a zone's edge: a timex lies inside one zone")))
    for j in np.flatnonzero(inside & (timex_article_index != zone_article_index)):
        i, z = keep[j], int(zone_of[j])
        flags.append((int(inner.rows[i]), inner.problem(i, "ZN405", f"article_index {timex_article_index[j]} but its zone {zones_table.column('id')[z].as_py()} belongs to article {zone_article_index[j]}", field="article_index")))
    return flags


# ---------------------------------------------------------------- level 4: registries and meaning

@rule(UNKNOWN_REFERENCE,
      kinds=("entity", "quote"), reads=("entity_id", "speaker", "statement_id"), excludes=blames_its_field)
def references(block: Block, kind: str, rows: np.ndarray) -> Flags:
    if kind == "entity":  # a mention of a type that links to nothing is ZN410's (no registry entry could make it right)
        label = block.tables[kind].column("label")
        linkable = pc.or_(pc.is_in(label, value_set=pa.array(sorted(block.index.linked_types), type=pa.string())), pc.is_null(label))  # (a label that failed level 2 may be either)
        return _references(block, kind, rows & linkable.to_numpy(zero_copy_only=False), "entity_id", "registry_entity")
    flags = _references(block, kind, rows, "speaker", "registry_speaker")
    return flags + _references(block, kind, rows, "statement_id", "registry_statement")


@rule(UNKNOWN_REFERENCE,
      kinds=spans, reads=("annotator",), excludes=blames_fields("annotator"))
def annotators(block: Block, kind: str, rows: np.ndarray) -> Flags:
    return _references(block, kind, rows, "annotator", "registry_annotator")


@rule("ZN412", 4, "annotator-guideline", "A record's guideline version is one its annotator's registry entry lists.",
      "Annotate to a guideline version you have worked to, or add the version to your entry in annotations/registry/annotators.jsonl.",
      kinds=spans, reads=("annotator", "guideline"))
def annotator_guidelines(block: Block, kind: str, rows: np.ndarray) -> Flags:
    table = block.tables[kind]
    worked_to = {k: set(v["guidelines"]) for k, v in block.index.registries["registry_annotator"].items() if v["guidelines"] is not None}  # (None: failed level 2, unknown)
    pairs = pc.binary_join_element_wise(table.column("annotator"), table.column("guideline"), "\x00")
    bad = sorted(p for p in pc.unique(pc.filter(pairs, pa.array(rows))).to_pylist()
                 if p.split("\x00")[0] in worked_to and p.split("\x00")[1] not in worked_to[p.split("\x00")[0]])
    if not bad:
        return []
    flagged = pc.is_in(pairs, value_set=pa.array(bad, type=pa.string())).to_numpy(zero_copy_only=False) & rows
    return [(int(i), block.problem(kind, int(i), "ZN412", f"guideline {table.column('guideline')[int(i)].as_py()} is not one annotator "
                                   f"{table.column('annotator')[int(i)].as_py()!r} lists in {block.index.sources['registry_annotator']}", field="guideline"))
            for i in np.flatnonzero(flagged)]


@rule("ZN410", 4, "entity-link", "PERSON/NORP/FAC/ORG/GPE/LOC/PRODUCT mentions link to a registry entity of the same type; other types take no entity_id.",
      "Fix the label, the entity_id or the registry entry's type.",
      kinds=("entity",), reads=("label", "entity_id"))
def entity_links(block: Block, kind: str, rows: np.ndarray) -> Flags:
    table, flags = block.tables[kind], []
    types = {k: v["type"] for k, v in block.index.registries["registry_entity"].items()}
    pairs = pc.binary_join_element_wise(table.column("label"), pc.fill_null(table.column("entity_id"), "\x01"), "\x00")
    verdicts = {}
    for pair in pc.unique(pc.filter(pairs, pa.array(rows))).to_pylist():  # distinct (label, entity_id) pairs only
        label, entity_id = pair.split("\x00")
        entity_id = None if entity_id == "\x01" else entity_id
        linked = label in block.index.linked_types
        if linked != (entity_id is not None):
            verdicts[pair] = (f"{label} mention {'needs' if linked else 'takes no'} entity_id", "entity_id")
        elif types.get(entity_id) is not None and types[entity_id] != label:  # (None: the entry's type failed level 2, reported there)
            verdicts[pair] = (f"{label} mention linked to {entity_id!r}, a {types[entity_id]}", "label")
    if not verdicts:
        return []
    flagged = pc.is_in(pairs, value_set=pa.array(sorted(verdicts), type=pa.string())).to_numpy(zero_copy_only=False) & rows
    for i in np.flatnonzero(flagged):
        message, name = verdicts[pairs[int(i)].as_py()]
        flags.append((int(i), block.problem(kind, int(i), "ZN410", message, field=name)))
    return flags


@rule("ZN406", 4, "speaker-statement", "A quote's speaker is the speaker of its statement.",
      "The speaker is whoever made the original communication: take it from the statement registry.",
      kinds=("quote",), reads=("speaker", "statement_id"))
def speaker_statement(block: Block, kind: str, rows: np.ndarray) -> Flags:
    table = block.tables[kind]
    speaker_of = {k: v["speaker"] for k, v in block.index.registries["registry_statement"].items()}
    expected = pa.array([speaker_of.get(s) for s in _column(table, "statement_id")], type=pa.string())
    differs = pc.fill_null(pc.not_equal(expected, table.column("speaker")), False).to_numpy(zero_copy_only=False) & rows
    return [(int(i), block.problem(kind, int(i), "ZN406", f"speaker {table.column('speaker')[int(i)].as_py()!r} but statement {table.column('statement_id')[int(i)].as_py()!r} was made by {expected[int(i)].as_py()!r}", field="speaker"))
            for i in np.flatnonzero(differs)]


@rule("ZN407", 4, "timex-value", "A TIMEX3 value is well-formed TimeML for its type (DATE 2020-08-03, DURATION P90D, SET P1M, …).",
      "See annotations/GUIDELINES.md §3 for the value forms.",
      kinds=("timex",), reads=("type", "value"), excludes=blames_its_field)
def timex_values(block: Block, kind: str, rows: np.ndarray) -> Flags:
    table = block.tables[kind]
    pairs = pc.binary_join_element_wise(table.column("type"), table.column("value"), "\x00")
    bad = [p for p in pc.unique(pc.filter(pairs, pa.array(rows))).to_pylist() if not timeml.well_formed(*p.split("\x00", 1))]
    if not bad:
        return []
    flagged = pc.is_in(pairs, value_set=pa.array(bad, type=pa.string())).to_numpy(zero_copy_only=False) & rows
    return [(int(i), _timex_value_problem(block, kind, int(i))) for i in np.flatnonzero(flagged)]


def _timex_value_problem(block: Block, kind: str, i: int) -> Problem:
    """ZN407 on the value, or on the type when the value is well formed for another type (SET, which
    takes dates and durations too, named last): the type is then the likelier slip."""
    table = block.tables[kind]
    timex_type, value = table.column("type")[i].as_py(), table.column("value")[i].as_py()
    fits = sorted((t for t in timeml.GRAMMAR if timeml.well_formed(t, value)), key=lambda t: t == "SET")
    if not fits:
        return block.problem(kind, i, "ZN407", f"{value!r} is not a TimeML {timex_type} value", field="value")
    return block.problem(kind, i, "ZN407", f"type {timex_type}, but {value!r} is a TimeML {' or '.join(fits)} value, not a {timex_type} one",
                         field="type", suggestion=f"Did you mean type {fits[0]} (or another value)?")


TIMEX_INCONSISTENT = Check("ZN408", 4, "timex-inconsistent",
                           "A DATE or TIME value agrees with its text (named weekday, month, year) and a creation-time dateline equals its article's date.",
                           "Resolve the expression again against the article's creation time (corpus/articles.jsonl).")


# ZN408 is two functions: the dateline's date reads no type, so a type ZN407 blamed does not hold it back
@rule(TIMEX_INCONSISTENT, kinds=("timex",), reads=("doc_id", "value", "article_index", "creation_time"))
def dateline_dates(block: Block, kind: str, rows: np.ndarray) -> Flags:
    table, flags = block.tables[kind], []
    created = np.flatnonzero(pc.fill_null(table.column("creation_time"), False).to_numpy(zero_copy_only=False) & rows)
    datelines = table.take(pa.array(created, type=pa.int64())).select(["doc_id", "article_index", "value"]).to_pylist()
    for i, row in zip(created, datelines):
        dct = block.index.articles.get((row["doc_id"], row["article_index"]))
        if dct is not None and row["value"] != dct:  # no article (ZN404) or no valid date (ZN201): reported there
            flags.append((int(i), block.problem(kind, int(i), "ZN408", f"flagged as creation time, but {row['value']} is not the article's date {dct}", field="value")))
    return flags


@rule(TIMEX_INCONSISTENT, kinds=("timex",), reads=("text", "type", "value"))
def date_texts(block: Block, kind: str, rows: np.ndarray) -> Flags:
    table, flags = block.tables[kind], []
    dates = pc.fill_null(pc.is_in(table.column("type"), value_set=pa.array(["DATE", "TIME"])), False).to_numpy(zero_copy_only=False) & rows  # (a TIME value holds its date)
    pairs = pc.binary_join_element_wise(table.column("text"), table.column("value"), "\x00")
    messages = {p: timeml.inconsistencies(*p.split("\x00", 1)) for p in pc.unique(pc.filter(pairs, pa.array(dates))).to_pylist()}
    bad = [p for p, found in messages.items() if found]
    if bad:
        for i in np.flatnonzero(pc.is_in(pairs, value_set=pa.array(bad, type=pa.string())).to_numpy(zero_copy_only=False) & dates):
            for message in messages[pairs[int(i)].as_py()]:
                flags.append((int(i), block.problem(kind, int(i), "ZN408", message, field="value")))
    return flags


def raw_changed(documents: pa.Table, raw_sha256: dict[str, str]) -> tuple[np.ndarray, pa.Array]:
    """ZN402's comparison: the registrations whose sha256 is not their raw file's (one whose raw file
    was not read, or whose doc_id or sha256 failed level 2, is not judged), and each raw file's sha256.
    Validate also leaves those documents' texts out of the span checks (see _checked_documents)."""
    actual = pa.array([raw_sha256.get(d) for d in _column(documents, "doc_id")], type=pa.string())
    return pc.fill_null(pc.not_equal(actual, documents.column("sha256")), False).to_numpy(zero_copy_only=False), actual


def sha256_mismatch(block: Block, kind: str, rows: np.ndarray) -> Flags:
    table = block.tables[kind]
    differs, actual = raw_changed(table, block.index.raw_sha256)
    differs &= rows
    return [(int(i), block.problem(kind, int(i), "ZN402", f"sha256 {table.column('sha256')[int(i)].as_py()[:12]}… but corpus/raw/{table.column('doc_id')[int(i)].as_py()}.txt's is {actual[int(i)].as_py()[:12]}… (its spans are checked once they agree)", field="sha256"))
            for i in np.flatnonzero(differs)]


rule("ZN402", 4, "sha256-mismatch", "A document's sha256 is the sha256 of its raw file's bytes (until it is, the document's spans are not checked against the file).",
     "The raw file changed since it was registered: restore it, or re-register it on purpose (its spans are then checked against the new text).",
     kinds=("document",), reads=("doc_id", "sha256"))(sha256_mismatch)


RULE_CHECKS: dict[str, Check] = {}
for _entry in RULES:
    if RULE_CHECKS.setdefault(_entry.check.code, _entry.check) is not _entry.check:  # a code's entry is written once
        raise RuntimeError(f"{_entry.check.code} has two catalogue entries")
