"""`zoomnews export` / `zoomnews import`: the corpus in annotators' and trainers' tools.

| format | offsets | carries |
|---|---|---|
| labelstudio | code points (`--units utf16` for old builds) | everything: spans, attributes, cue/source relations |
| brat | code points | everything: spans, relations, attributes as AnnotatorNotes JSON |
| xmi (INCEpTION) | UTF-16 in the file, converted by dkpro-cassis | everything |
| doccano | UTF-16 code units | span types only; attributes restored from the corpus on import |
| conll | tokens | entity and timex types (OntoNotes IOB2); attributes restored on import |
| spacy (DocBin, optional extra) | code points | everything (records in `user_data`); `doc.ents`/`doc.spans` for training |

Import never writes a record that lost data silently: lossy formats take ids and attributes back
from the corpus records with the same layer and offsets, and report every span that needs completing.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.formats.common import Bundle, bundle_from_repo

FORMATS = ("labelstudio", "brat", "doccano", "xmi", "conll", "spacy")
LOSSLESS = ("labelstudio", "brat", "xmi", "spacy")


def module(name: str):
    if name not in FORMATS:
        raise ZoomnewsError(Problem("--format", None, "ZN602", f"unknown format {name!r}; formats: {', '.join(FORMATS)}"))
    return import_module(f"zoomnews.formats.{name}")


PROTECTED = ("corpus", "annotations", "schema", "releases")  # an --out folder never goes inside these


def export_corpus(repo, fmt: str, out: Path, doc_ids: list[str] | None = None, units: str | None = None) -> list[str]:
    """Write the corpus (or some documents) in format `fmt` as folder `out`, built beside it and
    swapped in whole (zoomnews.safeio.replace_folder); returns what the format could not carry."""
    from zoomnews.safeio import replace_folder

    writer = module(fmt)
    bundle = bundle_from_repo(repo, doc_ids)
    return replace_folder(Path(out), lambda folder: writer.export(bundle, folder, repo, units or writer.UNIT),
                          f"export --format {fmt}", repo.root, PROTECTED)


def read_import(repo, fmt: str, path: Path, units: str | None = None) -> tuple[Bundle, list[str]]:
    """Records from a tool's export, checked against the corpus texts; the base for lossy formats is the corpus."""
    reader = module(fmt)
    base = bundle_from_repo(repo)
    bundle, notes = reader.import_(Path(path), repo, base, units or reader.UNIT)
    problems = []
    for doc_id, text in bundle.texts.items():
        if doc_id not in base.texts:
            problems.append(Problem(str(path), None, "ZN401", f"document {doc_id} is not in the corpus: add it with `zoomnews new-document` first"))
        elif text != base.texts[doc_id]:
            problems.append(Problem(str(path), None, "ZN603", f"the text of {doc_id} differs from corpus/raw/{doc_id}.txt: the tool changed the document, so its offsets cannot be trusted"))
    if problems:
        raise ZoomnewsError(problems)
    return bundle, notes


@dataclass
class ImportResult:
    documents: list[str]
    counts: dict[str, tuple[int, int]]  # layer -> (records before, after) for the imported documents, carried layers only
    notes: list[str]


def import_corpus(repo, fmt: str, path: Path, units: str | None = None, write: bool = True) -> ImportResult:
    """Replace the imported documents' records in annotations/ with those of the tool's export (canonical form)."""
    from zoomnews.formatting import canonical_text
    from zoomnews.jsonl import read_jsonl
    from zoomnews.schemas import load_kinds

    bundle, notes = read_import(repo, fmt, path, units)
    kinds = load_kinds(repo)
    documents = sorted(bundle.texts)
    counts = {}
    for layer in module(fmt).CARRIES:  # a layer the format does not carry is left untouched
        kind = kinds[layer]
        source = repo.path(kind.source)
        records, bad = read_jsonl(source, kind.source)
        if bad:
            raise ZoomnewsError(bad)
        kept = [data for _, data in records if data.get("doc_id") not in documents]
        counts[layer] = (len(records) - len(kept), len(bundle.layers[layer]))
        if write:
            source.write_text(canonical_text(kept + bundle.layers[layer], kind), encoding="utf-8", newline="\n")
    return ImportResult(documents, counts, notes)
