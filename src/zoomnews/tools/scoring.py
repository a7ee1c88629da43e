"""`zoomnews score`: the official scorer for the corpus's three tasks.

- **NER** (entities plus DATE/TIME timexes, OntoNotes types, as in the `ner` config): the SemEval-2013
  schemas as `nervaluate` defines them — strict (boundaries and type), exact (boundaries), partial
  (overlap counts half) and type (overlap and type) — with COR/INC/PAR/MIS/SPU counts, P/R/F1 micro,
  per type, and macro (mean over the gold types). The matching is nervaluate's, run per document on
  spans sorted by offsets, so scores do not depend on record order.
- **TIMEX** (TempEval-3 style): strict span F1 (same offsets) and relaxed span F1 (overlap, one-to-one),
  type and value accuracy over the relaxed matches, and type/value F1 (accuracy x relaxed F1).
- **Attribution**: quotation content span F1 (exact and overlap), speaker accuracy over overlap
  matches, and statement clustering pairwise F1 (do matched quotes group the same way?).

Gold and predictions are Bundles (`zoomnews.formats.common`); predictions can be source records or
any import format's export (their attributes are never filled in from the gold).
"""

from __future__ import annotations

from dataclasses import dataclass

from zoomnews.tools.agreement import accuracy, exact_pairs, overlap_pairs, pairwise_cluster_f1, prf
from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.formats.common import SPAN_KINDS, Bundle, bundle_from_repo
from zoomnews.sources.schemas import LAYER_NAMES
from zoomnews.release.views import TIMEX_TO_ONTONOTES

SCHEMAS = ("strict", "exact", "partial", "type")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str


@dataclass
class Counts:
    correct: int = 0
    incorrect: int = 0
    partial: int = 0
    missed: int = 0
    spurious: int = 0

    def add(self, other: "Counts") -> None:
        for name in ("correct", "incorrect", "partial", "missed", "spurious"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def scores(self, schema: str) -> dict:
        actual = self.correct + self.incorrect + self.partial + self.spurious
        possible = self.correct + self.incorrect + self.partial + self.missed
        hits = self.correct + (0.5 * self.partial if schema in ("partial", "type") else 0)
        precision = hits / actual if actual else 0.0
        recall = hits / possible if possible else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"correct": self.correct, "incorrect": self.incorrect, "partial": self.partial, "missed": self.missed,
                "spurious": self.spurious, "possible": possible, "actual": actual, "precision": precision, "recall": recall, "f1": f1}


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def evaluate(gold: list[Span], pred: list[Span], schema: str) -> Counts:
    """One document, nervaluate's matching for `schema` (inputs sorted by offsets)."""
    counts, matched = Counts(), set()
    for p in pred:
        hit = wrong = None
        if schema == "type":
            best = None
            for i, g in enumerate(gold):
                if i in matched or not _overlaps(p, g):
                    continue
                distance = abs(p.start - g.start) + abs(p.end - g.end)
                if p.label == g.label:
                    if best is None or distance < best:
                        hit, best = i, distance
                elif wrong is None:
                    wrong = i
        else:
            for i, g in enumerate(gold):
                if i in matched:
                    continue
                same_bounds = p.start == g.start and p.end == g.end
                if schema == "strict" and same_bounds and p.label == g.label or schema in ("exact", "partial") and same_bounds:
                    hit = i
                    break
                if _overlaps(p, g) and wrong is None:
                    wrong = i
        if hit is not None:
            counts.correct += 1
            matched.add(hit)
        elif wrong is not None:
            if schema == "partial":
                counts.partial += 1
            else:
                counts.incorrect += 1
            matched.add(wrong)
        else:
            counts.spurious += 1
    counts.missed += len(gold) - len(matched)
    return counts


def ner_spans(bundle) -> dict[str, list[Span]]:
    spans: dict[str, list[Span]] = {}
    for e in bundle.layers["entity"]:
        spans.setdefault(e["doc_id"], []).append(Span(e["start"], e["end"], e["label"]))
    for t in bundle.layers["timex"]:
        spans.setdefault(t["doc_id"], []).append(Span(t["start"], t["end"], TIMEX_TO_ONTONOTES.get(t["type"], t["type"])))
    return {doc: sorted(s, key=lambda x: (x.start, x.end, x.label)) for doc, s in spans.items()}


def score_ner(gold: dict[str, list[Span]], pred: dict[str, list[Span]]) -> dict:
    documents = sorted(set(gold) | set(pred))
    result = {}
    for schema in SCHEMAS:
        total = Counts()
        for doc in documents:
            total.add(evaluate(gold.get(doc, []), pred.get(doc, []), schema))
        result[schema] = total.scores(schema)
    labels = sorted({s.label for spans in gold.values() for s in spans} | {s.label for spans in pred.values() for s in spans})
    per_type = {}
    for label in labels:
        per_type[label] = {}
        for schema in SCHEMAS:
            total = Counts()
            for doc in documents:
                total.add(evaluate([s for s in gold.get(doc, []) if s.label == label], [s for s in pred.get(doc, []) if s.label == label], schema))
            per_type[label][schema] = total.scores(schema)
    gold_labels = sorted({s.label for spans in gold.values() for s in spans})
    macro = {schema: {m: sum(per_type[l][schema][m] for l in gold_labels) / len(gold_labels) if gold_labels else 0.0
                      for m in ("precision", "recall", "f1")} for schema in SCHEMAS}
    return {"micro": result, "macro": macro, "per_type": per_type}


def _sorted(records: list[dict], label: str) -> list[dict]:
    return sorted(records, key=lambda r: (r["doc_id"], r["start"], r["end"], str(r.get(label)), str(r.get("id"))))


def score_timex(gold: list[dict], pred: list[dict]) -> dict:
    gold, pred = _sorted(gold, "type"), _sorted(pred, "type")
    strict = exact_pairs(gold, pred, None)
    relaxed = overlap_pairs(gold, pred, None)
    relaxed_prf = prf(relaxed, gold, pred)
    type_accuracy, value_accuracy = accuracy(relaxed, ("type",)), accuracy(relaxed, ("value",))
    return {"strict": prf(strict, gold, pred).as_dict(), "relaxed": relaxed_prf.as_dict(),
            "type_accuracy": type_accuracy, "value_accuracy": value_accuracy,
            "type_f1": (type_accuracy or 0.0) * relaxed_prf.f1, "value_f1": (value_accuracy or 0.0) * relaxed_prf.f1}


def score_attribution(gold: list[dict], pred: list[dict]) -> dict:
    gold, pred = _sorted(gold, "type"), _sorted(pred, "type")
    exact, overlap = exact_pairs(gold, pred, None), overlap_pairs(gold, pred, None)
    return {"content_exact": prf(exact, gold, pred).as_dict(), "content_overlap": prf(overlap, gold, pred).as_dict(),
            "speaker_accuracy": accuracy(overlap, ("speaker",)),
            "statement_pairwise": _undefined_when_empty(pairwise_cluster_f1(overlap, "statement_id").as_dict())}


def _undefined_when_empty(counts: dict) -> dict:
    """A pairwise score with nothing to count (no pair of matched quotes shares a statement in the
    gold or the predictions) has no precision, recall or F1: None, not 1 (a system predicting no
    statement once scored 1.000)."""
    return counts if counts["tp"] + counts["fp"] + counts["fn"] else {**counts, "precision": None, "recall": None, "f1": None}


def documents_of(bundle) -> set[str]:
    """The documents a Bundle speaks of: its texts, or (records without texts) its records' doc_ids."""
    return set(bundle.texts) | {r["doc_id"] for records in bundle.layers.values() for r in records}


def score(gold, pred, documents: list[str] | None = None) -> dict:
    """All three tasks over every gold document, or over `documents` when the user restricts the
    scoring explicitly. A gold document without predictions counts as missed (and is named in
    `missing_documents`); predictions for documents the gold does not have cannot be scored and are
    named in `unknown_documents`; predictions for gold documents that `documents` leaves out are
    named in `excluded_documents`. Nothing is left out silently."""
    gold_documents, predicted = documents_of(gold), documents_of(pred)
    if documents:
        absent = sorted(set(documents) - gold_documents)
        if absent:
            raise ZoomnewsError(Problem("--documents", None, "ZN401", f"not in the gold: {', '.join(absent)}"))
        chosen = set(documents)
    else:
        chosen = gold_documents
    keep = lambda records: [r for r in records if r["doc_id"] in chosen]
    g = Bundle({}, {layer: keep(records) for layer, records in gold.layers.items()})
    p = Bundle({}, {layer: keep(records) for layer, records in pred.layers.items()})
    return {
        "documents": sorted(chosen),
        "missing_documents": sorted(chosen - predicted),
        "unknown_documents": sorted(predicted - gold_documents),
        "excluded_documents": sorted((predicted & gold_documents) - chosen),
        "ner": score_ner(ner_spans(g), ner_spans(p)),
        "timex": score_timex(g.layers["timex"], p.layers["timex"]),
        "attribution": score_attribution(g.layers["quote"], p.layers["quote"]),
    }


def coverage_notes(result: dict) -> list[str]:
    """What the user must know about which documents were scored."""
    notes = []
    if result["missing_documents"]:
        notes.append(f"{len(result['missing_documents'])} gold document(s) have no prediction and count as missed: "
                     + ", ".join(result["missing_documents"]))
    if result["unknown_documents"]:
        notes.append(f"predictions for {len(result['unknown_documents'])} document(s) not in the gold were not scored: "
                     + ", ".join(result["unknown_documents"]))
    if result.get("excluded_documents"):
        notes.append(f"predictions for {len(result['excluded_documents'])} gold document(s) left out by --documents were not scored: "
                     + ", ".join(result["excluded_documents"]))
    return notes


def gold_bundle(repo, gold: str) -> Bundle:
    """A release (`1.1.0`) or `working` (the sources) as a Bundle."""
    from zoomnews.tools.diff import WORKING, state

    if gold == WORKING:
        return bundle_from_repo(repo)
    layers = state(repo, gold)
    return Bundle({d["doc_id"]: d["text"] for d in layers["documents"]}, {kind: layers[name] for kind, name in LAYER_NAMES.items()})


def prediction_bundle(repo, path, fmt: str, texts: dict[str, str]) -> tuple[Bundle, list[str]]:
    """Predictions as source records (a folder of zones/entities/timexes/quotes.jsonl) or a tool's export.
    Lossy formats get only the texts as their base: nothing is filled in from the gold."""
    from pathlib import Path

    if fmt == "records":
        from zoomnews.sources.schemas import load_kinds
        from zoomnews.tools.layer_folders import read_layers

        layers = read_layers(Path(path), kinds=load_kinds(repo), texts=texts)
        return Bundle({}, {kind: layers.get(name, []) for kind, name in LAYER_NAMES.items()}), []
    from zoomnews.formats import module

    reader = module(fmt)
    return reader.import_(Path(path), repo, Bundle(dict(texts), {layer: [] for layer in SPAN_KINDS}), reader.UNIT)


# ---- the benchmark protocol: leave-one-document-out ------------------------------------------------
#
# Five documents cannot be split into train, validation and test sets that mean anything, so the
# benchmark is k-fold over documents with k = the number of documents: fold k holds document k out
# as its test set and the other documents are its training set. A system may learn from the
# training documents' text and gold (and the registries' entries attested in them), never from the
# test document's gold. Each document is predicted once, by the fold that holds it out; the official
# figure is `score` over all predictions together (the counts pooled over folds), and each fold's
# figure is `score` restricted to its document (`--documents DOC_ID`).

BENCHMARK_COLUMNS = {  # column (F1 unless it says accuracy) -> how to read it from a `score` result
    "NER strict": lambda r: r["ner"]["micro"]["strict"]["f1"],
    "NER partial": lambda r: r["ner"]["micro"]["partial"]["f1"],
    "TIMEX relaxed span": lambda r: r["timex"]["relaxed"]["f1"],
    "TIMEX value": lambda r: r["timex"]["value_f1"],
    "quote content (overlap)": lambda r: r["attribution"]["content_overlap"]["f1"],
    "speaker accuracy": lambda r: r["attribution"]["speaker_accuracy"],
    "statement pairwise": lambda r: r["attribution"]["statement_pairwise"]["f1"],
}


def loo_folds(doc_ids) -> list[tuple[list[str], str]]:
    """(training documents, test document) per fold, in doc_id order."""
    ordered = sorted(doc_ids)
    return [([d for d in ordered if d != test], test) for test in ordered]


def fold_registries(layers: dict[str, list[dict]], training: list[str]) -> tuple[list[dict], list[dict]]:
    """What a system may know in a fold: the entity registry as the training documents attest it (an
    entry for each entity mentioned there, its names exactly the surface forms written there, the
    longest as `name`: none of the registry's own names or aliases, which were written with every
    document in view) and the speaker registry's entries for the speakers quoted there."""
    train = set(training)
    seen: dict[str, set[str]] = {}
    for e in layers["entities"]:
        if e["doc_id"] in train and e.get("entity_id"):
            seen.setdefault(e["entity_id"], set()).add(e["text"])
    entities = []
    for entry in layers["entity_registry"]:
        if entry["id"] in seen:
            forms = sorted(seen[entry["id"]], key=lambda f: (-len(f), f))
            entities.append({"id": entry["id"], "name": forms[0], "type": entry["type"], "aliases": forms[1:]})
    quoted = {q["speaker"] for q in layers["quotes"] if q["doc_id"] in train and q.get("speaker")}
    speakers = [dict(s) for s in layers["speaker_registry"] if s["id"] in quoted]
    return entities, speakers


def suggest_baseline(layers: dict[str, list[dict]]) -> tuple[Bundle, Bundle, list[tuple[str, Bundle]]]:
    """The gold, every fold's predictions by `zoomnews suggest` (a rule-based pre-annotator: it learns
    nothing but the registries, restricted per fold by `fold_registries`) and all predictions together.
    Its input per document is the text and the creation time of its first article (given, as in TempEval)."""
    import datetime as dt

    from zoomnews.tools.suggest import suggest

    texts = {d["doc_id"]: d["text"] for d in layers["documents"]}
    gold = Bundle(texts, {kind: layers[name] for kind, name in LAYER_NAMES.items()})
    created = {a["doc_id"]: a["published"] for a in layers["articles"] if a["article_index"] == 0}
    folds, pooled = [], {kind: [] for kind in SPAN_KINDS}
    for training, test in loo_folds(texts):
        entities, speakers = fold_registries(layers, training)
        predicted = suggest(test, texts[test], dt.date.fromisoformat(created[test]), entities, speakers)
        folds.append((test, Bundle({}, {kind: predicted.layers.get(kind, []) for kind in SPAN_KINDS})))
        for kind in SPAN_KINDS:
            pooled[kind] += predicted.layers.get(kind, [])
    return gold, Bundle({}, pooled), folds


def benchmark_baseline(repo, version: str | None = None) -> dict:
    """The suggest baseline under the leave-one-document-out protocol, on release `version` (default:
    the release the card points at; `working`: the sources): every fold's scores and the pooled scores."""
    from zoomnews.release.card import card_version
    from zoomnews.tools.diff import WORKING, state

    version = version or card_version(repo) or repo.dataset_version
    layers = state(repo, version)
    if version == WORKING:  # the sources' document records hold no text: it is in corpus/raw/
        from zoomnews.sources.corpus import read_corpus

        texts = read_corpus(repo).texts
        layers["documents"] = [{**d, "text": texts[d["doc_id"]]} for d in layers["documents"]]
    gold, pooled, folds = suggest_baseline(layers)
    per_fold = [{"test": test, "scores": score(gold, predicted, documents=[test])} for test, predicted in folds]
    return {"version": version, "folds": per_fold, "pooled": score(gold, pooled)}


def benchmark_table(result: dict) -> str:
    """The card's benchmark table: one row per fold, then pooled and mean over folds."""
    from zoomnews.tools.markdown import table

    show = lambda v: "–" if v is None else f"{v:.3f}"
    rows = []
    for fold in result["folds"]:
        rows.append([fold["test"], *(show(get(fold["scores"])) for get in BENCHMARK_COLUMNS.values())])
    rows.append([f"**pooled ({len(result['folds'])} folds)**", *(f"**{show(get(result['pooled']))}**" for get in BENCHMARK_COLUMNS.values())])
    means = []
    for get in BENCHMARK_COLUMNS.values():
        values = [get(f["scores"]) for f in result["folds"] if get(f["scores"]) is not None]
        means.append(show(sum(values) / len(values) if values else None))
    rows.append(["mean over folds", *means])
    return table(["held-out document", *BENCHMARK_COLUMNS], rows)
