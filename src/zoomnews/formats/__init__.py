"""`zoomnews export` / `zoomnews import`: the corpus in annotators' and trainers' tools.

| format | offsets | carries |
|---|---|---|
| labelstudio | code points (`--units utf16` for old builds) | everything: spans, attributes, cue/source relations |
| brat | code points | everything: spans, relations, attributes as AnnotatorNotes JSON |
| xmi (INCEpTION) | UTF-16 in the file, converted by dkpro-cassis | everything |
| doccano | UTF-16 code units (`--units codepoint` for Python tools' files) | span types only; attributes restored from the corpus on import |
| conll | tokens | entity and timex types (OntoNotes IOB2); attributes restored on import |
| spacy (DocBin, optional extra) | code points | everything: spans in `doc.ents`/`doc.spans` (what import reads), ids and attributes in `user_data` |

Only labelstudio and doccano take `--units`; another unit for a format with one is refused (`unit`), not ignored.

Import never loses a record silently. Everything in the tool's export must be understood: a line,
field or value that is not (a float offset, an unknown label, a note that would move a record, a
DOCTYPE in XML…) refuses the whole import with a coded problem naming the file and line (ZN601,
ZN602, ZN606; ZN605 for a Label Studio task with several annotations and no --annotation choice),
and nothing is written. Every import names every refused item in one run (brat: each .ann file and
line; Label Studio: each task, region, attribute and relation; doccano: each line and label; XMI:
each file and annotation; CoNLL: each line and document; spaCy: each Doc), leaving out what only
names a refused item (a relation to a refused span, the tokens after a refused CoNLL line). Lossy formats take ids and attributes back from the corpus records with the
same layer and offsets, and report every span that needs completing. An import that would remove
existing records lists them and needs `allow_removal` (ZN604), and a record changed in the tool
needs `annotator`, who changed it (ZN608, `sign`); the result counts each layer's
records before and after, added, removed and changed. The carried layers are written together and
atomically (zoomnews.safeio.write_files).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.formats.common import At, Bundle, bundle_from_corpus, bundle_from_repo, check_records, text_changed
from zoomnews.safeio import holds_repository

FORMATS = ("labelstudio", "brat", "doccano", "xmi", "conll", "spacy")
LOSSLESS = ("labelstudio", "brat", "xmi", "spacy")


def module(name: str):
    if name not in FORMATS:
        raise ZoomnewsError(Problem("--format", None, "ZN602", f"unknown format {name!r}; formats: {', '.join(FORMATS)}"))
    return import_module(f"zoomnews.formats.{name}")


UNIT_NAMES = {"codepoint": "code points", "utf16": "UTF-16 code units", "token": "tokens"}


def unit(fmt: str, units: str | None) -> str:
    """The offset unit of an export or import: `units` when the format can count in it (Label Studio and
    doccano take either), else its own; any other unit for a fixed-unit format is refused rather than
    ignored (ZN602; the CLI makes it a usage error)."""
    own = module(fmt)
    if units is None or units in own.UNITS:
        return units or own.UNIT
    takes = [name for name in FORMATS if len(module(name).UNITS) > 1]
    raise ZoomnewsError(Problem("--units", None, "ZN602", f"{fmt} offsets are always {UNIT_NAMES[own.UNIT]} ({own.UNIT}), so --units {units} cannot apply "
                                                          f"(only {' and '.join(takes)} take --units)"))


PROTECTED = ("corpus", "annotations", "schema", "releases", ".git")  # an --out folder never goes inside these


def export_corpus(repo, fmt: str, out: Path, doc_ids: list[str] | None = None, units: str | None = None) -> list[str]:
    """Write the corpus (or some documents) in format `fmt` as folder `out`, built beside it and
    swapped in whole (zoomnews.safeio.replace_folder); returns what the format could not carry."""
    from zoomnews.safeio import replace_folder

    writer, units = module(fmt), unit(fmt, units)
    bundle = bundle_from_repo(repo, doc_ids)
    return replace_folder(Path(out), lambda folder: writer.export(bundle, folder, repo, units),
                          f"export --format {fmt}", repo.root, PROTECTED)


def read_import(repo, fmt: str, path: Path, units: str | None = None,
                annotation: str | Iterable[str] = ()) -> tuple[Bundle, list[str]]:
    """Records from a tool's export, checked against the corpus texts; the base for lossy formats is the
    corpus. `annotation` (Label Studio only) picks among a task's several annotations: "latest" or ids."""
    from zoomnews.sources.corpus import read_corpus

    return _read(repo, read_corpus(repo), fmt, Path(path), units, annotation)


def _read(repo, corpus, fmt: str, path: Path, units: str | None, annotation) -> tuple[Bundle, list[str]]:
    reader, units = module(fmt), unit(fmt, units)
    choices = (annotation,) if isinstance(annotation, str) else tuple(annotation or ())
    options = {"annotation": choices} if choices else {}
    if choices and fmt != "labelstudio":
        raise ZoomnewsError(Problem("--annotation", None, "ZN602", "--annotation chooses among a Label Studio task's annotations; other formats have one"))
    base = bundle_from_corpus(corpus)
    at = At(str(path))
    try:
        bundle, notes = reader.import_(path, repo, base, units, kinds=corpus.kinds, **options)
    except RecursionError:  # deep input that a parser recursed into: a coded problem, not a traceback
        raise at.refuse("ZN602", "nested too deeply to read") from None
    except MemoryError:
        raise at.refuse("ZN602", "too large to read in memory") from None
    problems = []
    for doc_id, text in bundle.texts.items():
        if doc_id not in base.texts:
            problems.append(Problem(str(path), None, "ZN401", f"document {doc_id} is not in the corpus: add it with `zoomnews new-document` first"))
        elif text != base.texts[doc_id]:
            problems.append(Problem(str(path), None, "ZN603", text_changed(doc_id, text, base.texts[doc_id])))
    if problems:
        raise ZoomnewsError(problems)
    check_records(bundle, corpus.kinds, at)
    return bundle, notes


@dataclass(frozen=True)
class LayerCount:
    """One carried layer's records in the imported documents: before + added - removed = after."""

    before: int
    after: int
    added: int
    removed: int
    changed: int


@dataclass
class ImportResult:
    documents: list[str]
    counts: dict[str, LayerCount]  # carried layers only, for the imported documents
    notes: list[str]
    removed: list[dict] = field(default_factory=list)  # {"layer", "doc_id", "id", "text"} of each record the import removes


@holds_repository("import")
def import_corpus(repo, fmt: str, path: Path, units: str | None = None, write: bool = True,
                  annotation: str | Iterable[str] = (), allow_removal: bool = False, annotator: str | None = None) -> ImportResult:
    """Replace the imported documents' records in annotations/ with those of the tool's export
    (canonical form). Removing a record the export lacks needs `allow_removal` (ZN604, listing each
    one, also when not writing); a record changed in the tool needs `annotator`, who made the change
    (ZN608; see `sign`); nothing is written unless
    every check passed, and then every carried layer at once (zoomnews.safeio.write_files)."""
    from zoomnews.sources.corpus import read_corpus

    corpus = read_corpus(repo)
    bundle, notes = _read(repo, corpus, fmt, Path(path), units, annotation)
    unsigned = sign(corpus, bundle, module(fmt).CARRIES, annotator, notes)
    try:  # (its removals are listed in the same run)
        result = replace_documents(repo, corpus, bundle, module(fmt).CARRIES, notes, write and not unsigned, allow_removal)
    except ZoomnewsError as e:
        raise ZoomnewsError(unsigned + e.problems) from None
    if unsigned:
        raise ZoomnewsError(unsigned)
    return result


PROVENANCE = ("annotator", "method", "guideline")
SHOWN_STALE = 5  # records a ZN608 names (it counts the rest)


def newest_guideline(corpus, annotator: str) -> str:
    """The newest guideline version `annotator` lists in annotations/registry/annotators.jsonl: what
    they annotate by (`accept`, `import --annotator`); ZN403 when they are not registered, ZN201 when
    their entry lists no version (validate says the same of the entry)."""
    from zoomnews.repo import SEMVER, version_key

    found = next((r for r in corpus.records["registry_annotator"] if r.data.get("id") == annotator), None)
    if found is None:
        raise ZoomnewsError(Problem("--annotator", None, "ZN403", f"annotator {annotator!r} is not in annotations/registry/annotators.jsonl: "
                                                                   "add yourself there first (CONTRIBUTING.md)"))
    versions = found.data.get("guidelines")
    if not isinstance(versions, list) or not versions or not all(isinstance(v, str) and SEMVER.match(v) for v in versions):
        raise ZoomnewsError(Problem(found.file, found.line, "ZN201", f"annotator {annotator!r} lists no guideline version they annotate by "
                                                                     f"(\"guidelines\": [\"1.1.0\"]), not {versions!r}", field="guidelines"))
    return max(versions, key=version_key)


def sign(corpus, bundle: Bundle, layers, annotator: str | None, notes: list[str]) -> list[Problem]:
    """Provenance is the import's to decide, not the tool's: a tool holds the provenance it was
    exported with, which a later import may have replaced. A record the tool left as it was keeps
    the corpus's provenance. A record changed in the tool (same id, another span or value) gets
    `annotator` (a registered id), their newest guideline, and method `manual` (`corrected` when code
    had proposed it: method rule, model or corrected); without `annotator` it is refused (the ZN608
    problems returned name the records, on their lines in annotations/), else it would say that the
    old record's annotator made the change. A new record with no annotator gets `annotator` and their
    guideline too (its method, when it has none, `manual`), and `notes` stop asking for them."""
    try:
        guideline = newest_guideline(corpus, annotator) if annotator is not None else None
    except ZoomnewsError as error:  # (the run's other refusals are listed with it)
        return error.problems
    problems = []
    for layer in layers:
        old = {(r.data.get("doc_id"), r.data.get("id")): r for r in corpus.records[layer]}
        stale = []
        for record in bundle.layers[layer]:
            before = old.get((record["doc_id"], record["id"]))
            if before is None:
                if guideline and record.get("annotator") is None:
                    record.update(annotator=annotator, guideline=guideline, method=record.get("method") or "manual")
                continue
            if all(record.get(k) == v for k, v in before.data.items() if k not in PROVENANCE):
                record.update({k: before.data.get(k) for k in PROVENANCE})
            elif guideline:
                record.update(annotator=annotator, guideline=guideline, method="manual" if before.data.get("method") == "manual" else "corrected")
            else:
                stale.append(before)
        if stale:
            named = ", ".join(f"{r.data['doc_id']}/{r.data['id']} {r.data.get('text')!r} (line {r.line})" for r in stale[:SHOWN_STALE])
            more = f" and {len(stale) - SHOWN_STALE} more" if len(stale) > SHOWN_STALE else ""
            problems.append(Problem(stale[0].file, stale[0].line, "ZN608", f"{len(stale)} {layer} record(s) changed in the tool would keep the old "
                                                                           f"record's annotator, method and guideline: {named}{more}", field="annotator"))
    if guideline:
        notes[:] = [n for n in (_signed(note) for note in notes) if n]
    return problems


def _signed(note: str) -> str | None:
    """An import note with the provenance fields `--annotator` filled dropped from its "complete …" list
    (None: nothing is left to complete)."""
    head, found, wanted = note.rpartition(": complete ")
    if not found:
        return note
    left = [name for name in wanted.split(", ") if name not in PROVENANCE]
    return f"{head}: complete {', '.join(left)}" if left else None


def replace_documents(repo, corpus, bundle: Bundle, layers, notes: list[str], write: bool = True, allow_removal: bool = False) -> ImportResult:
    """Replace the records of `layers` of the documents in `bundle` in annotations/ with the bundle's
    (canonical form): import_corpus's second half, and `zoomnews accept`'s."""
    from zoomnews.sources.canonical import canonical_text
    from zoomnews.safeio import write_files

    counts, removed, problems, files = {}, [], [], {}
    imported = lambda record: isinstance(record.data.get("doc_id"), str) and record.data["doc_id"] in bundle.texts
    for layer in layers:  # a layer not carried is left untouched
        kind = corpus.kinds[layer]
        before = [r for r in corpus.records[layer] if imported(r)]
        counts[layer], gone = _compare(before, bundle.layers[layer])
        for r in gone:
            removed.append({"layer": layer, "doc_id": r.data.get("doc_id"), "id": r.data.get("id"), "text": r.data.get("text")})
            problems.append(Problem(r.file, r.line, "ZN604", f"the import would remove {layer} {r.data.get('doc_id')}/{r.data.get('id')} "
                                                             f"{r.data.get('text')!r}: the export does not have it"))
        kept = [r.data for r in corpus.records[layer] if not imported(r)]
        files[Path(kind.source)] = canonical_text(kept + bundle.layers[layer], kind)
    if problems and not allow_removal:
        raise ZoomnewsError(problems)
    if write:
        write_files(files, repo.root)
    return ImportResult(sorted(bundle.texts), counts, notes, removed)


def _compare(before: list, after: list[dict]) -> tuple[LayerCount, list]:
    """Counts of one layer, by record key (doc_id, id), and the source records the import removes."""
    def key(data: dict):
        doc, ident = data.get("doc_id"), data.get("id")
        return (doc, ident) if isinstance(doc, str) and isinstance(ident, str) else None

    new = {key(data): data for data in after}
    old_keys = {key(r.data) for r in before if key(r.data) is not None}
    gone = [r for r in before if key(r.data) is None or key(r.data) not in new]  # a record without a key cannot be kept
    changed = sum(1 for r in before if key(r.data) in new and new[key(r.data)] != r.data)
    added = sum(1 for k in new if k not in old_keys)
    return LayerCount(len(before), len(after), added, len(gone), changed), gone
