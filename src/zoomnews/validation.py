"""Validate a corpus repository: numbered checks by level (see zoomnews.checks), all problems in one run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from zoomnews.errors import Problem
from zoomnews.repo import CorpusRepo
from zoomnews.sources import Corpus, Record, read_corpus

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


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_repo(repo: CorpusRepo, releases: bool = True) -> Report:
    corpus = read_corpus(repo)
    report = validate_corpus(corpus)
    if releases:
        from zoomnews.release_check import check_releases

        report.problems.extend(check_releases(repo))
    report.problems.sort(key=lambda p: (p.file, p.line or 0, p.code))
    return report


def validate_corpus(corpus: Corpus) -> Report:
    problems = list(corpus.problems)
    valid: dict[str, list[Record]] = {}
    for name, kind in corpus.kinds.items():
        valid[name] = []
        for record in corpus.records[name]:
            errors = schema_problems(record, kind)
            problems.extend(errors)
            if not errors:
                valid[name].append(record)
    for name, kind in corpus.kinds.items():
        problems.extend(duplicate_keys(valid[name], kind.key))
    problems.extend(document_problems(corpus, valid["document"]))
    doc_ids = {r.data["doc_id"] for r in valid["document"]}
    articles = {(r.data["doc_id"], r.data["article_index"]) for r in valid["article"]}
    for name in ("article", *SPAN_KINDS):
        for record in valid[name]:
            problems.extend(reference_problems(record, doc_ids, articles))
            if name in SPAN_KINDS and record.data["doc_id"] in corpus.texts:
                problems.extend(span_problems(record, corpus.texts[record.data["doc_id"]]))
    for kind, fieldname, registry in REFERENCES:
        known = {r.data["id"] for r in valid[registry]}
        for record in valid[kind]:
            value = record.data.get(fieldname)
            if value is not None and value not in known:
                problems.append(Problem(record.file, record.line, "ZN403", f"{fieldname} {value!r} is not in {corpus.kinds[registry].source}", field=fieldname))
    problems.extend(speaker_problems(valid["quote"], valid["registry_statement"]))
    for name in FLAT_LAYERS:
        problems.extend(overlap_problems(valid[name]))
    problems.extend(tiling_problems(corpus.texts, valid["zone"]))
    problems.extend(article_problems(valid["zone"], valid["timex"]))
    problems.extend(canonical_problems(corpus))
    counts = {name: len(records) for name, records in corpus.records.items()}
    return Report(problems, counts)


def schema_problems(record: Record, kind) -> list[Problem]:
    problems = []
    for error in sorted(kind.validator.iter_errors(record.data), key=lambda e: list(map(str, e.path))):
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            path = error.message.split("'")[1] if "'" in error.message else path
        message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
        problems.append(Problem(record.file, record.line, "ZN201", f"{message} ({kind.name}.schema.json: {error.validator})", field=path or None))
    return problems


def duplicate_keys(records: list[Record], key: tuple[str, ...]) -> list[Problem]:
    seen = Counter(tuple(r.data[k] for k in key) for r in records)
    return [
        Problem(r.file, r.line, "ZN303", f"key {dict(zip(key, k))} is used {seen[k]} times", field=key[-1])
        for r in records
        if seen[k := tuple(r.data[f] for f in key)] > 1
    ]


def document_problems(corpus: Corpus, documents: list[Record]) -> list[Problem]:
    problems = []
    for record in documents:
        doc_id = record.data["doc_id"]
        actual = corpus.raw_sha256.get(doc_id)
        if actual is not None and actual != record.data["sha256"]:
            problems.append(Problem(record.file, record.line, "ZN402", f"sha256 {record.data['sha256'][:12]}… but the raw file's is {actual[:12]}…", field="sha256"))
    return problems


def reference_problems(record: Record, doc_ids: set[str], articles: set[tuple[str, int]]) -> list[Problem]:
    data = record.data
    if data["doc_id"] not in doc_ids:
        return [Problem(record.file, record.line, "ZN401", f"doc_id {data['doc_id']!r} is not registered", field="doc_id")]
    if "article_index" in data and record.file != "corpus/articles.jsonl" and (data["doc_id"], data["article_index"]) not in articles:
        return [Problem(record.file, record.line, "ZN404", f"article {data['article_index']} of {data['doc_id']} is not in corpus/articles.jsonl", field="article_index")]
    return []


def span_problems(record: Record, text: str) -> list[Problem]:
    problems = []
    for prefix in ("", "cue_", "source_"):
        start_field = f"{prefix}start" if prefix else "start"
        if start_field not in record.data:
            continue
        start, end = record.data[start_field], record.data[f"{prefix}end" if prefix else "end"]
        covered = record.data.get(f"{prefix}text" if prefix else "text")
        if start is None and end is None and covered is None:
            continue
        if start is None or end is None or covered is None:
            problems.append(Problem(record.file, record.line, "ZN301", f"{prefix}start, {prefix}end and {prefix}text are null only together", field=start_field))
            continue
        if not 0 <= start < end <= len(text):
            problems.append(Problem(record.file, record.line, "ZN301", f"{start_field}={start}, end={end} outside 0..{len(text)} or not start < end", field=start_field))
            continue
        if text[start:end] != covered:
            problems.append(Problem(record.file, record.line, "ZN302", f"{prefix or ''}text {covered[:40]!r} but text[{start}:{end}] is {text[start:end][:40]!r}", field=f"{prefix}text"))
        elif covered[0].isspace() or covered[-1].isspace():
            problems.append(Problem(record.file, record.line, "ZN304", f"{prefix}span {covered[:40]!r} starts or ends on white space", field=start_field))
    return problems


def _by_document(records: list[Record]) -> dict[str, list[Record]]:
    grouped: dict[str, list[Record]] = {}
    for record in sorted(records, key=lambda r: (r.data["doc_id"], r.data["start"], r.data["end"])):
        grouped.setdefault(record.data["doc_id"], []).append(record)
    return grouped


def overlap_problems(records: list[Record]) -> list[Problem]:
    problems = []
    for spans in _by_document(records).values():
        reach = None  # the span reaching furthest right so far
        for record in spans:
            if reach is not None and record.data["start"] < reach.data["end"]:
                problems.append(Problem(record.file, record.line, "ZN305", f"{record.data['id']} overlaps {reach.data['id']} ({reach.data['start']}-{reach.data['end']})", field="start"))
            if reach is None or record.data["end"] > reach.data["end"]:
                reach = record
    return problems


def tiling_problems(texts: dict[str, str], zones: list[Record]) -> list[Problem]:
    problems = []
    grouped = _by_document(zones)
    for doc_id, text in texts.items():
        covered = bytearray(len(text))
        for zone in grouped.get(doc_id, []):
            covered[zone.data["start"] : zone.data["end"]] = b"\x01" * (zone.data["end"] - zone.data["start"])
        uncovered = [i for i, ch in enumerate(text) if not covered[i] and not ch.isspace()]
        if uncovered:
            first = uncovered[0]
            line = text.count("\n", 0, first) + 1
            problems.append(Problem("annotations/zones.jsonl", None, "ZN306", f"{doc_id}: {len(uncovered)} non-blank character(s) in no zone, first at offset {first} (raw line {line}: {text[first:first + 30]!r})"))
    return problems


def article_problems(zones: list[Record], timexes: list[Record]) -> list[Problem]:
    problems = []
    grouped = _by_document(zones)
    for timex in timexes:
        data = timex.data
        inside = [z for z in grouped.get(data["doc_id"], []) if z.data["start"] <= data["start"] and data["end"] <= z.data["end"]]
        if inside and inside[0].data["article_index"] != data["article_index"]:
            problems.append(Problem(timex.file, timex.line, "ZN405", f"article_index {data['article_index']} but its zone {inside[0].data['id']} belongs to article {inside[0].data['article_index']}", field="article_index"))
    return problems


def speaker_problems(quotes: list[Record], statements: list[Record]) -> list[Problem]:
    speaker_of = {r.data["id"]: r.data["speaker"] for r in statements}
    return [
        Problem(q.file, q.line, "ZN406", f"speaker {q.data['speaker']!r} but statement {q.data['statement_id']!r} was made by {speaker_of[q.data['statement_id']]!r}", field="speaker")
        for q in quotes
        if q.data["statement_id"] in speaker_of and speaker_of[q.data["statement_id"]] != q.data["speaker"]
    ]


def canonical_problems(corpus: Corpus) -> list[Problem]:
    from zoomnews.formatting import canonical_text

    problems = []
    for name, kind in corpus.kinds.items():
        path = corpus.repo.path(kind.source)
        if not path.exists() or any(p.file == kind.source for p in corpus.problems):
            continue
        current = path.read_text(encoding="utf-8", errors="replace")
        if current != canonical_text(corpus.rows(name), kind):
            first = next((i for i, (a, b) in enumerate(zip(current.splitlines(), canonical_text(corpus.rows(name), kind).splitlines()), 1) if a != b), None)
            problems.append(Problem(kind.source, first, "ZN307", "not in canonical form (record order, key order or spacing)"))
    return problems
