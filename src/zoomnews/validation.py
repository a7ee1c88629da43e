"""Validate a corpus repository: numbered checks by level (see zoomnews.checks), all problems in one run.

Level 1 (files) happens while reading (zoomnews.sources); level 2 is jsonschema per record (with
jsonschema-rs accepting first); level 3 runs vectorised over whole layers (zoomnews.spans); level 4
resolves references and meaning; level 5 checks releases (zoomnews.release_check). A record that
fails a level is not looked at by the levels after it, so one mistake is reported once, under its
own code. The span layers first try the Arrow fast path (zoomnews.fastpath), which either proves
them clean in bulk or hands them to this per-record path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from zoomnews import spans as span_checks
from zoomnews import timeml
from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.repo import CorpusRepo
from zoomnews.sources import Corpus, Record, canonical_key, read_corpus

SPAN_KINDS = ("zone", "entity", "timex", "quote")
FLAT_LAYERS = ("zone", "entity", "timex")
# (kind, field, registry kind) for references into registries
REFERENCES = (
    ("entity", "entity_id", "registry_entity"),
    ("quote", "speaker", "registry_speaker"),
    ("quote", "statement_id", "registry_statement"),
    ("registry_statement", "speaker", "registry_speaker"),
    ("registry_speaker", "affiliation", "registry_entity"),
)
LINKED_TYPES = {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT"}
EARLIEST_PUBLISHED = dt.date(1990, 1, 1)


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # what validate read, for build to reuse: the corpus (without the span layers when the fast path
    # read those as `span_tables`)
    corpus: Corpus | None = field(default=None, repr=False, compare=False)
    span_tables: dict | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_repo(repo: CorpusRepo, releases: bool = True, fast: bool = True, jobs: int = 1, block_documents: int | None = None) -> Report:
    """Every check; the span layers go through the Arrow fast path (zoomnews.fastpath) when it can
    prove them clean, else through the per-record path that finds and explains each problem.
    `jobs`: cores to use (see fast_report); `block_documents`: documents checked together (the
    report is the same for every block size)."""
    if block_documents is not None:
        import zoomnews.fastpath

        zoomnews.fastpath.DOCUMENT_BLOCK = block_documents
    report = fast_report(repo, jobs) if fast else None
    if report is None:
        corpus = read_corpus(repo)
        report = validate_corpus(corpus)
        report.corpus = corpus
    if releases:
        from zoomnews.release_check import check_releases

        report.problems.extend(check_releases(repo))
    report.problems.sort(key=lambda p: (p.file, p.line or 0, p.code, p.message))
    return report


def fast_report(repo: CorpusRepo, jobs: int = 1) -> Report | None:
    """The fast path's report, or None when a span layer is not provably clean. With `jobs` > 1 (and
    span layers big enough to pay for it), Arrow parses the span layers on every core in a background
    thread (it releases the GIL) while this thread reads the raw texts and the other sources;
    otherwise everything runs here, on one core.
    (A worker process instead of the thread measured no faster: the tables then cross a pipe.)"""
    import pyarrow as pa

    from zoomnews.fastpath import read_layer
    from zoomnews.schemas import load_kinds

    kinds = load_kinds(repo)
    if jobs <= 1 or _layer_bytes(repo, kinds) < PARALLEL_FROM:
        tables = {name: read_layer(repo, kinds[name], threads=False) for name in SPAN_KINDS}
        if any(table is None for table in tables.values()):
            return None  # before reading the rest: the per-record path reads everything anyway
        corpus = read_corpus(repo, skip=SPAN_KINDS, kinds=kinds)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = {name: pool.submit(read_layer, repo, kinds[name]) for name in SPAN_KINDS}
            corpus = read_corpus(repo, skip=SPAN_KINDS, kinds=kinds)
            tables = {name: future.result() for name, future in pending.items()}
    pa.default_memory_pool().release_unused()  # the parser's freed blocks go back to the system before the checks
    if any(table is None for table in tables.values()):
        return None
    report = validate_corpus(corpus, tables)
    if report is not None:
        report.corpus, report.span_tables = corpus, tables
    return report


PARALLEL_FROM = 64 << 20  # bytes of span layers below which a second thread costs more than it saves (10k documents: 1.3 s on one core, 1.5 s on two)


def _layer_bytes(repo: CorpusRepo, kinds) -> int:
    paths = [repo.path(kinds[name].source) for name in SPAN_KINDS]
    return sum(path.stat().st_size for path in paths if path.is_file())


def validate_corpus(corpus: Corpus, span_tables: dict | None = None) -> Report | None:
    """All checks on a corpus read as records; with `span_tables` (the span layers as Arrow tables,
    levels 1-2 already proved clean) the span layers are checked in bulk, and None is returned when
    they are not provably clean."""
    problems = list(corpus.problems)
    valid = {name: schema_valid(corpus, name, problems) for name in corpus.kinds}
    for name, kind in corpus.kinds.items():
        mask = span_checks.duplicate_key_mask([[r.data[k] for r in valid[name]] for k in kind.key])
        problems.extend(Problem(r.file, r.line, "ZN303", f"key {({k: r.data[k] for k in kind.key})} is used more than once", field=kind.key[-1]) for r, dup in zip(valid[name], mask) if dup)
    problems.extend(document_problems(corpus, valid["document"], valid["article"]))
    doc_ids = {r.data["doc_id"] for r in valid["document"]}
    articles = {(r.data["doc_id"], r.data["article_index"]): r.data for r in valid["article"]}
    for name in ("article", *SPAN_KINDS):
        kept = []
        for record in valid[name]:
            found = reference_problems(record, doc_ids, articles)
            problems.extend(found)
            if not found:
                kept.append(record)
        valid[name] = kept
    problems.extend(registry_problems(corpus, valid))
    counts = {name: len(records) for name, records in corpus.records.items()}
    if span_tables is None:
        problems.extend(layer_problems(corpus, valid, articles))
        problems.extend(canonical_problems(corpus))
        return Report(problems, counts)
    from zoomnews.fastpath import layers_clean

    if not layers_clean(corpus, span_tables, valid, doc_ids, articles):
        return None
    problems.extend(canonical_problems(corpus, skip=SPAN_KINDS))
    return Report(problems, {**counts, **{name: table.num_rows for name, table in span_tables.items()}})


def schema_valid(corpus: Corpus, name: str, problems: list[Problem]) -> list[Record]:
    kind, kept = corpus.kinds[name], []
    fast = kind.fast_validator
    for record in corpus.records[name]:
        if not record.floats and fast.is_valid(record.data):  # jsonschema-rs counts 4.0 as an integer: floats go to the reference
            kept.append(record)
            continue
        errors = schema_problems(record, kind)
        problems.extend(errors)
        if not errors:
            kept.append(record)
    return kept


def schema_problems(record: Record, kind) -> list[Problem]:
    problems = []
    for error in sorted(kind.validator.iter_errors(record.data), key=lambda e: list(map(str, e.path))):
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            path = error.message.split("'")[1] if "'" in error.message else path
        elif error.validator == "additionalProperties":
            extra = sorted(set(record.data) - set(kind.fields))
            path = extra[0] if extra else path
        message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
        problems.append(Problem(record.file, record.line, "ZN201", f"{message} ({kind.name}.schema.json: {error.validator})", field=path or None))
    return problems


def document_problems(corpus: Corpus, documents: list[Record], articles: list[Record]) -> list[Problem]:
    problems = []
    first_article = {r.data["doc_id"]: r.data for r in articles if r.data["article_index"] == 0}
    today = dt.date.today()
    for record in documents:
        data = record.data
        actual = corpus.raw_sha256.get(data["doc_id"])
        if actual is not None and actual != data["sha256"]:
            problems.append(Problem(record.file, record.line, "ZN402", f"sha256 {data['sha256'][:12]}… but the raw file's is {actual[:12]}…", field="sha256"))
        if data["doc_id"] in first_article and first_article[data["doc_id"]]["published"] != data["published"]:
            problems.append(Problem(record.file, record.line, "ZN409", f"published {data['published']} but its first article's is {first_article[data['doc_id']]['published']}", field="published"))
    for record in [*documents, *articles]:
        published = dt.date.fromisoformat(record.data["published"])
        if not EARLIEST_PUBLISHED <= published <= today:
            problems.append(Problem(record.file, record.line, "ZN409", f"published {published} is not between {EARLIEST_PUBLISHED} and today", field="published"))
        for name, value in record.data.items():
            if isinstance(value, str) and value.startswith("TODO"):
                problems.append(Problem(record.file, record.line, "ZN411", f"provenance left to complete: {value[:80]!r}", field=name))
    return problems


def reference_problems(record: Record, doc_ids: set[str], articles: dict) -> list[Problem]:
    data = record.data
    if data["doc_id"] not in doc_ids:
        return [Problem(record.file, record.line, "ZN401", f"doc_id {data['doc_id']!r} is not registered", field="doc_id")]
    if "article_index" in data and record.file != "corpus/articles.jsonl" and (data["doc_id"], data["article_index"]) not in articles:
        return [Problem(record.file, record.line, "ZN404", f"article {data['article_index']} of {data['doc_id']} is not in corpus/articles.jsonl", field="article_index")]
    return []


def registry_problems(corpus: Corpus, valid: dict[str, list[Record]]) -> list[Problem]:
    problems = []
    for kind, fieldname, registry in REFERENCES:
        known = {r.data["id"] for r in valid[registry]}
        for record in valid[kind]:
            value = record.data.get(fieldname)
            if value is not None and value not in known:
                problems.append(Problem(record.file, record.line, "ZN403", f"{fieldname} {value!r} is not in {corpus.kinds[registry].source}", field=fieldname))
    types = {r.data["id"]: r.data["type"] for r in valid["registry_entity"]}
    for record in valid["entity"]:
        label, entity_id = record.data["label"], record.data["entity_id"]
        if (label in LINKED_TYPES) != (entity_id is not None):
            problems.append(Problem(record.file, record.line, "ZN410", f"{label} mention {'needs' if label in LINKED_TYPES else 'takes no'} entity_id", field="entity_id"))
        elif entity_id in types and types[entity_id] != label:
            problems.append(Problem(record.file, record.line, "ZN410", f"{label} mention linked to {entity_id!r}, a {types[entity_id]}", field="label"))
    speaker_of = {r.data["id"]: r.data["speaker"] for r in valid["registry_statement"]}
    for quote in valid["quote"]:
        expected = speaker_of.get(quote.data["statement_id"])
        if expected is not None and expected != quote.data["speaker"]:
            problems.append(Problem(quote.file, quote.line, "ZN406", f"speaker {quote.data['speaker']!r} but statement {quote.data['statement_id']!r} was made by {expected!r}", field="speaker"))
    return problems


def layer_problems(corpus: Corpus, valid: dict[str, list[Record]], articles: dict) -> list[Problem]:
    documents = span_checks.Documents.of(corpus.texts)
    problems, tables, good = [], {}, {}
    for name in SPAN_KINDS:
        for prefix in ("", "cue_", "source_") if name == "quote" else ("",):
            spans = span_checks.Spans.of(valid[name], documents, prefix)
            found, ok = span_checks.offset_and_text_problems(spans, documents)
            problems.extend(found)
            tables[name + prefix], good[name + prefix] = spans, ok
        if name == "quote":
            problems.extend(null_together_problems(valid[name]))
    for name in FLAT_LAYERS:
        problems.extend(span_checks.overlap_problems(tables[name], documents, good[name]))
    problems.extend(span_checks.tiling_problems(tables["zone"], documents, good["zone"], sorted(corpus.texts)))
    problems.extend(timex_problems(tables, good, documents, valid["timex"], valid["zone"], articles))
    return problems


def null_together_problems(quotes: list[Record]) -> list[Problem]:
    problems = []
    for record in quotes:
        for prefix in ("cue_", "source_"):
            values = [record.data[f"{prefix}{f}"] for f in ("start", "end", "text")]
            if any(v is None for v in values) and not all(v is None for v in values):
                problems.append(Problem(record.file, record.line, "ZN301", f"{prefix}start, {prefix}end and {prefix}text are null only together", field=f"{prefix}start"))
    return problems


def timex_problems(tables, good, documents, timexes: list[Record], zones: list[Record], articles: dict) -> list[Problem]:
    problems = []
    spans, zone_spans = tables["timex"], tables["zone"]
    timex_at = {r.line: r.data for r in timexes}
    article_of_zone = {r.line: r.data["article_index"] for r in zones}
    rows, zone_rows = span_checks.containing(spans, zone_spans, documents, good["timex"], good["zone"])
    for i, z in zip(rows, zone_rows):
        if z < 0:
            continue  # in no zone: the tiling check reports the gap
        data, zone_line = timex_at[int(spans.lines[i])], int(zone_spans.lines[z])
        if article_of_zone[zone_line] != data["article_index"]:
            problems.append(spans.problem(i, "ZN405", f"article_index {data['article_index']} but its zone {zone_spans.ids[z]} belongs to article {article_of_zone[zone_line]}", field="article_index"))
    for record in timexes:
        data = record.data
        if not timeml.well_formed(data["type"], data["value"]):
            problems.append(Problem(record.file, record.line, "ZN407", f"{data['value']!r} is not a TimeML {data['type']} value", field="value"))
            continue
        dct = articles.get((data["doc_id"], data["article_index"]), {}).get("published")
        if data["creation_time"] and data["value"] != dct:
            problems.append(Problem(record.file, record.line, "ZN408", f"flagged as creation time, but {data['value']} is not the article's date {dct}", field="value"))
        if data["type"] == "DATE":
            for message in timeml.inconsistencies(data["text"], data["value"]):
                problems.append(Problem(record.file, record.line, "ZN408", message, field="value"))
    return problems


def canonical_problems(corpus: Corpus, skip: tuple[str, ...] = ()) -> list[Problem]:
    from zoomnews.formatting import canonical_text
    from zoomnews.safeio import read_bytes

    problems = []
    unreadable = {p.file for p in corpus.problems}
    for name, kind in corpus.kinds.items():
        path = corpus.repo.path(kind.source)
        if name in skip or kind.source in unreadable or not path.is_file():
            continue
        if name in corpus.canonical_lines:  # every line already canonical: the order is all that is left
            key = canonical_key(kind)
            keys = [key(record) for record in corpus.rows(name)]
            if all(a <= b for a, b in zip(keys, keys[1:])):
                continue
        try:
            current = read_bytes(path, kind.source).decode("utf-8", errors="replace")
        except (ZoomnewsError, FileNotFoundError):
            continue  # replaced since it was read: the next run reports what it is now
        canonical = canonical_text(corpus.rows(name), kind)
        if current != canonical:
            first = next((i for i, (a, b) in enumerate(zip(current.splitlines(), canonical.splitlines()), 1) if a != b), None)
            problems.append(Problem(kind.source, first, "ZN307", "not in canonical form (record order, key order or spacing)"))
    return problems
