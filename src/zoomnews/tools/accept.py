"""`zoomnews accept`: reviewed suggestions into annotations/, as the reviewer's work.

The reviewer runs `zoomnews suggest` on a registered document, reviews the suggestions (edits the
record files it wrote, or accepts and corrects the predictions in Label Studio and exports them),
and accepts them. Each record gets the reviewer's `annotator` id (registered in
annotations/registry/annotators.jsonl) and the newest guideline version listed there, and a `method`
that says what the review did, judged against what `suggest` proposes for the document now:

- `rule`: the record is a suggestion as it was proposed (the reviewer kept it unchanged);
- `corrected`: a suggestion at the same span of the same layer, changed in any other field (its id
  aside: suggest numbers its records in text order);
- `manual`: no suggestion at that span (the reviewer added it, or moved a suggestion's span).

The documents' records of every layer are then replaced (as `zoomnews import` does: a record the
corpus has and the accepted set lacks is listed and needs `allow_removal`, ZN604), and what is still
incomplete — the validate problems of those documents — is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.formats import PROVENANCE
from zoomnews.safeio import holds_repository

# what the review's method is not judged by: provenance, and the id (suggest numbers its records in
# text order, so one more entity registered since the suggestions were made renumbers those after it)
NOT_JUDGED = frozenset(PROVENANCE) | {"id"}


@dataclass
class AcceptResult:
    documents: list[str]
    methods: dict[str, dict[str, int]]  # layer -> method -> records
    imported: object  # formats.ImportResult: counts before/after, removals
    incomplete: list[Problem] = field(default_factory=list)  # validate's problems in the accepted documents' records


def method_of(record: dict, proposed: dict[tuple, dict]) -> str:
    """The review's method for one accepted record, given the suggestions by (start, end)."""
    suggestion = proposed.get((record.get("start"), record.get("end")))
    if suggestion is None:
        return "manual"
    same = all(record.get(k) == v for k, v in suggestion.items() if k not in NOT_JUDGED) and set(record) - NOT_JUDGED == set(suggestion) - NOT_JUDGED
    return "rule" if same else "corrected"


@holds_repository("accept")
def accept_suggestions(repo, path, annotator: str, fmt: str = "records", write: bool = True, allow_removal: bool = False,
                       annotation=()) -> AcceptResult:
    """Accept reviewed suggestions (`fmt` "records": a folder of layer files as `suggest` writes them;
    "labelstudio": a Label Studio export) for their documents, as `annotator`'s (see the module)."""
    from zoomnews.formats import newest_guideline, read_import, replace_documents
    from zoomnews.formats.common import At, Bundle, check_records
    from zoomnews.sources.corpus import read_corpus
    from zoomnews.sources.schemas import LAYER_NAMES, SPAN_KINDS
    from zoomnews.tools.layer_folders import read_layers
    from zoomnews.tools.suggest import suggest, suggestion_inputs

    corpus = read_corpus(repo)
    guideline = newest_guideline(corpus, annotator)
    if fmt == "labelstudio":
        bundle, notes = read_import(repo, "labelstudio", Path(path), annotation=annotation)
        if not bundle.texts:  # nothing accepted is not a success to report; the notes say what each task holds instead
            raise ZoomnewsError(Problem(str(path), None, "ZN602", "no annotation to accept: "
                                        + ("; ".join(notes) if notes else "the export has no task")))
    elif fmt == "records":
        layers = read_layers(path, kinds=corpus.kinds)
        doc_ids = sorted({r.get("doc_id") for records in layers.values() for r in records})
        if not doc_ids:  # nothing accepted is not a success to report
            raise ZoomnewsError(Problem(str(path), None, "ZN602", "no record to accept: its layer files are empty or missing"))
        unknown = [d for d in doc_ids if d not in corpus.texts]
        if unknown:
            raise ZoomnewsError([Problem(str(path), None, "ZN401", f"document {d!r} is not in the corpus: add it with `zoomnews new-document` first")
                                 for d in unknown])
        bundle, notes = Bundle({d: corpus.texts[d] for d in doc_ids}, {kind: layers[LAYER_NAMES[kind]] for kind in SPAN_KINDS}), []
    else:
        raise ZoomnewsError(Problem("--format", None, "ZN602", f"unknown format {fmt!r}; accept reads records or labelstudio"))
    methods = {kind: {} for kind in SPAN_KINDS}
    for doc_id in sorted(bundle.texts):
        dct, entities, speakers = suggestion_inputs(corpus, doc_id)
        proposed = suggest(doc_id, bundle.texts[doc_id], dct, entities, speakers).layers
        for kind in SPAN_KINDS:
            by_span = {(s["start"], s["end"]): s for s in proposed[kind]}
            for record in bundle.layers[kind]:
                if record.get("doc_id") != doc_id:
                    continue
                method = method_of(record, by_span)
                record.update(annotator=annotator, method=method, guideline=guideline)
                methods[kind][method] = methods[kind].get(method, 0) + 1
    check_records(bundle, corpus.kinds, At(str(path)))
    imported = replace_documents(repo, corpus, bundle, SPAN_KINDS, notes, write, allow_removal)
    incomplete = []
    if write:
        from zoomnews.checks.validation import validate_repo

        written = read_corpus(repo)  # the records as written now, each with its file and line (read through safeio)
        doc_of = {(r.file, r.line): r.data.get("doc_id") for kind in SPAN_KINDS for r in written.records[kind]}
        sources = {corpus.kinds[kind].source for kind in SPAN_KINDS}
        incomplete = [p for p in validate_repo(repo, releases=False).problems
                      if p.file in sources and (doc_of.get((p.file, p.line)) in bundle.texts or any(d in p.message for d in bundle.texts))]
    return AcceptResult(sorted(bundle.texts), methods, imported, incomplete)
