"""Validate a corpus repository: numbered checks by level (see zoomnews.checks), all problems in one run.

1. Every source file is read into an Arrow table (zoomnews.source_tables): levels 1 (files, lines)
   and 2 (schema), and whether each line is in canonical form.
2. The raw folder is listed (level 1: names, links, unregistered and missing files).
3. The corpus-wide checks (zoomnews.rules, scope "corpus") run over the small tables: documents,
   articles, registries. A small index (registered documents, articles, registries) is built.
4. The documents are walked in doc_id order, a block of documents at a time: their raw texts are
   read and hashed, and the checks of scope "documents" run over the block's rows of every layer.
   Memory for texts and span arrays is set by the block size, not the corpus size.
5. Canonical form (ZN307) per file, and the releases (level 5, zoomnews.release_check).
A check never sees a row whose fields it reads failed level 2, nor one an earlier excluding check
flagged: one mistake, one problem. The report is the same for every block size (tests).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.repo import RAW_DIR, CorpusRepo

SPAN_KINDS = ("zone", "entity", "timex", "quote")
DOCUMENT_BLOCK = 2_000  # documents whose texts and spans are checked together
REGISTRIES = ("registry_entity", "registry_speaker", "registry_statement")


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # with keep=True: the span layers as Arrow tables (schema columns, canonical order), for build
    span_tables: dict | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_repo(repo: CorpusRepo, releases: bool = True, jobs: int = 1, block_documents: int | None = None, keep: bool = False) -> Report:
    """Every check on the repository's sources (and, with `releases`, its releases). `block_documents`:
    documents checked together (the report is the same for every size); `keep`: hand the span tables
    to the caller (build); `jobs` > 1: Arrow parses on every core."""
    from zoomnews.schemas import load_kinds
    from zoomnews.source_tables import read_source_table

    kinds = load_kinds(repo)
    sources = {name: read_source_table(repo, kind, threads=jobs > 1) for name, kind in kinds.items()}
    problems = [p for source in sources.values() for p in [*source.problems, *source.form_problems()]]
    tables = {name: source.table for name, source in sources.items()}
    present, raw_problems = raw_listing(repo)
    problems.extend(raw_problems)
    index = build_index(kinds, tables)
    problems.extend(corpus_problems(kinds, tables, index, present, {p.file for p in raw_problems}))
    grouped = {name: _by_document(tables[name]) for name in (*SPAN_KINDS, "document")}
    doc_ids = sorted(set(index.doc_ids) | {d for name in SPAN_KINDS for d in _distinct(grouped[name])})
    runs = {name: _runs(table) for name, table in grouped.items()}
    block_size = block_documents or DOCUMENT_BLOCK
    for lo in range(0, len(doc_ids), block_size):
        block_ids = doc_ids[lo:lo + block_size]
        raws, found = read_raws(block_ids, present)
        problems.extend(found)
        problems.extend(check_documents({name: _slice(table, runs[name], block_ids) for name, table in grouped.items()}, raws, index))
    if releases:
        from zoomnews.release_check import check_releases

        problems.extend(check_releases(repo))
    report = Report(sort_problems(problems), {name: table.num_rows for name, table in tables.items()})
    if keep and not report.problems:
        report.span_tables = {name: tables[name].select(list(kinds[name].fields)) for name in SPAN_KINDS}
    return report


def sort_problems(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.code, p.message, p.field or ""))


def build_index(kinds, tables: dict[str, pa.Table]):
    """The small index every block's checks consult: registered documents, articles (with their
    dates) and the registries, from their rows that passed level 2 (the first of a repeated key)."""
    from zoomnews.rules import Index

    index = Index(doc_ids=set(), articles={}, registries={}, sources={name: kind.source for name, kind in kinds.items()},
                  keys={name: kind.key for name, kind in kinds.items()})
    for name in REGISTRIES:
        index.registries[name] = {}
        for row in _usable(tables[name], kinds[name].fields).to_pylist():
            index.registries[name].setdefault(row["id"], row)
    index.doc_ids = set(_usable(tables["document"], ("doc_id",)).column("doc_id").to_pylist())
    for row in _usable(tables["article"], ("doc_id", "article_index", "published")).select(["doc_id", "article_index", "published"]).to_pylist():
        index.articles.setdefault((row["doc_id"], row["article_index"]), row["published"])
    return index


def _usable(table: pa.Table, fields) -> pa.Table:
    from zoomnews.source_tables import usable_rows

    return table.filter(pa.array(usable_rows(table, fields))) if table.num_rows else table


def corpus_problems(kinds, tables: dict[str, pa.Table], index, present: dict[str, str], raw_reported: set[str]) -> list[Problem]:
    """The corpus-wide checks (documents, articles, registries) and the raw files' registration."""
    from zoomnews.rules import Block, run_rules
    from zoomnews.spans import Documents

    block = Block({name: tables[name] for name in ("document", "article", *REGISTRIES)}, Documents.of({}), index)
    problems = run_rules(block, "corpus")
    documents = _usable(tables["document"], ("doc_id",))
    registered: dict[str, int] = {}
    for doc_id, line in zip(documents.column("doc_id").to_pylist(), documents.column("line").to_pylist()):
        registered.setdefault(doc_id, line)
    return problems + _raw_registration(kinds, registered, present, raw_reported)


def check_documents(tables: dict[str, pa.Table], raws: dict[str, bytes], index) -> list[Problem]:
    """The checks of a block of documents: `tables` holds every span layer's and the documents' rows
    of those documents, `raws` their raw files' bytes. The one function validate runs a block at a
    time and Spark runs per group of rows (zoomnews.distributed)."""
    from dataclasses import replace

    from zoomnews.rules import Block, run_rules
    from zoomnews.spans import Documents

    texts, sha256, problems = decode_raws(raws)
    block = Block(tables, Documents.of(texts), replace(index, raw_sha256=sha256), sorted(raws))
    return problems + run_rules(block, "documents")


def _by_document(table: pa.Table) -> pa.Table:
    """The rows with a doc_id, grouped by document (file order kept within one): a sorted file is
    returned as it is."""
    if not table.num_rows:
        return table
    doc_id = table.column("doc_id")
    if doc_id.null_count:
        table = table.filter(pc.is_valid(doc_id))
        doc_id = table.column("doc_id")
    if table.num_rows > 1 and pc.any(pc.less(doc_id.slice(1), doc_id.slice(0, table.num_rows - 1))).as_py():
        table = table.take(pc.sort_indices(table, sort_keys=[("doc_id", "ascending"), ("line", "ascending")]))
    return table


def _distinct(table: pa.Table) -> list[str]:
    return pc.unique(table.column("doc_id")).to_pylist() if table.num_rows else []


def _runs(table: pa.Table) -> tuple[list[str], np.ndarray]:
    """The table's documents in order and where each one's rows start (one more entry: the end)."""
    if not table.num_rows:
        return [], np.zeros(1, dtype=np.int64)
    encoded = pc.dictionary_encode(table.column("doc_id")).combine_chunks()
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    cuts = np.concatenate([[0], np.flatnonzero(np.diff(indices)) + 1, [len(indices)]]).astype(np.int64)
    names = encoded.dictionary.to_pylist()
    return [names[indices[c]] for c in cuts[:-1]], cuts


def _slice(table: pa.Table, runs, block_ids: list[str]) -> pa.Table:
    """The rows of the documents `block_ids` (consecutive in sorted order, so one run of rows)."""
    names, cuts = runs
    lo = np.searchsorted(np.array(names, dtype=object), block_ids[0]) if names else 0
    hi = np.searchsorted(np.array(names, dtype=object), block_ids[-1], side="right") if names else 0
    return table.slice(int(cuts[lo]), int(cuts[hi] - cuts[lo])) if hi > lo else table.slice(0, 0)


def raw_listing(repo: CorpusRepo) -> tuple[dict[str, str], list[Problem]]:
    from zoomnews.sources import raw_files

    return raw_files(repo)


def _raw_registration(kinds, registered: dict[str, int], present: dict[str, str], raw_reported: set[str]) -> list[Problem]:
    """ZN105 (a raw file nobody registered) and ZN106 (a registered document without its raw file)."""
    problems = [Problem(f"{RAW_DIR}/{stem}.txt", None, "ZN105", "raw file is not registered in corpus/documents.jsonl")
                for stem in sorted(set(present) - set(registered))]
    for doc_id, line in registered.items():
        if doc_id not in present and f"{RAW_DIR}/{doc_id}.txt" not in raw_reported:
            problems.append(Problem(kinds["document"].source, line, "ZN106", f"no raw file {RAW_DIR}/{doc_id}.txt", field="doc_id"))
    return problems


def read_raws(doc_ids: list[str], present: dict[str, str]) -> tuple[dict[str, bytes], list[Problem]]:
    """The raw files' bytes of `doc_ids` that have one, and the problems of reading them."""
    from zoomnews.safeio import read_bytes

    raws, problems = {}, []
    for doc_id in doc_ids:
        path = present.get(doc_id)
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
    from zoomnews.sources import decode_raw

    texts, sha256, problems = {}, {}, []
    for doc_id, data in sorted(raws.items()):
        sha256[doc_id] = hashlib.sha256(data).hexdigest()
        text, found = decode_raw(data, f"{RAW_DIR}/{doc_id}.txt")
        problems.extend(found)
        if text is not None:
            texts[doc_id] = text
    return texts, sha256, problems
