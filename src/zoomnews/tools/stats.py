"""Corpus figures the datasheet quotes, computed from the sources, rendered as Markdown tables.

DATASHEET.md holds the rendered blocks between `<!-- NAME:begin -->` and `<!-- NAME:end -->`
markers; `zoomnews docs` refreshes them and a test fails when they are stale.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass

from zoomnews.tools.agreement import compare_folders
from zoomnews.sources.schemas import LAYER_NAMES
from zoomnews.tools.markdown import table
from zoomnews.sources.corpus import read_corpus

LABEL = {"zone": "label", "entity": "label", "timex": "type", "quote": "type"}
AGREEMENT_DIR = "annotations/agreement"


def counts_block(corpus) -> str:
    doc_ids = sorted(corpus.texts)
    rows = []
    for kind, field in LABEL.items():
        per_doc = Counter(r.data["doc_id"] for r in corpus.records[kind])
        rows.append([LAYER_NAMES[kind], *(per_doc[d] for d in doc_ids), sum(per_doc.values())])
    registries = {
        "entity registry": len(corpus.records["registry_entity"]),
        "speaker registry": len(corpus.records["registry_speaker"]),
        "statement registry": len(corpus.records["registry_statement"]),
    }
    text = table(["layer", *doc_ids, "total"], rows)
    text += "\n\n" + table(["registry", "entries"], [[k, v] for k, v in registries.items()])
    chars = {d: len(corpus.texts[d]) for d in doc_ids}
    text += "\n\n" + table(["document", "characters", "articles"], [[d, chars[d], sum(1 for a in corpus.records["article"] if a.data["doc_id"] == d)] for d in doc_ids])
    return text


def labels_block(corpus) -> str:
    parts = []
    for kind, field in LABEL.items():
        counts = Counter(r.data[field] for r in corpus.records[kind])
        parts.append(f"**{LAYER_NAMES[kind]}** ({field}): " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))))
    methods = Counter((r.data["annotator"], r.data["method"]) for kind in LABEL for r in corpus.records[kind])
    parts.append("**provenance** (annotator/method): " + ", ".join(f"{a}/{m} {n}" for (a, m), n in sorted(methods.items())))
    return "\n\n".join(parts)


@dataclass(frozen=True)
class AgreementRound:
    """One measurement of agreement the card and DATASHEET.md report: a second pass against a reference."""

    guideline: str  # the guideline version both followed
    reference: str  # its name in the tables
    reference_dir: str
    pass_dir: str
    what: str

    @property
    def second(self) -> str:
        return self.pass_dir.rsplit("/", 1)[-1]


AGREEMENT_ROUNDS = (
    AgreementRound("1.0.0", "a1", f"{AGREEMENT_DIR}/a1", f"{AGREEMENT_DIR}/a2", "the two passes before adjudication"),
    AgreementRound("1.1.0", "gold", "annotations", f"{AGREEMENT_DIR}/a4", "the adjudicated gold against a blind second pass"),
)


def agreement_rounds(repo) -> list[tuple[AgreementRound, dict]]:
    """Each round whose pass exists, with the figures of the layers that pass annotated (a blind pass
    may cover only the layers a guideline version changed: the others are not compared)."""
    rounds = []
    for round_ in AGREEMENT_ROUNDS:
        if not os.path.isdir(repo.path(round_.pass_dir)):
            continue
        rounds.append((round_, compare_folders(repo.path(round_.reference_dir), repo.path(round_.pass_dir))))
    return rounds


def agreement_block(repo, corpus) -> str:
    parts = []
    for round_, result in agreement_rounds(repo):
        reference, second, what = round_.reference, round_.second, f"Guideline {round_.guideline}: {round_.what}"
        rows = []
        for layer, r in result.items():
            extras = {k: v for k, v in r.items() if k not in ("a", "b", "exact", "overlap", "exact_unlabelled")}
            shown = "; ".join(f"{k} {(v['f1'] if isinstance(v, dict) else v):.3f}" for k, v in extras.items() if v is not None)
            rows.append([layer, r["a"], r["b"], f"{r['exact']['f1']:.3f}", f"{r['overlap']['f1']:.3f}", f"{r['exact_unlabelled']['f1']:.3f}", shown or "–"])
        parts.append(f"*{what}* (`{reference}` as reference):\n\n"
                     + table(["layer", reference, second, "exact F1", "overlap F1", "unlabelled exact F1", "attributes (over matched spans)"], rows))
    parts.append(guideline_examples_line(repo, corpus))
    return "\n\n".join(part for part in parts if part)


GUIDELINE = "annotations/GUIDELINES.md"


def guideline_examples_line(repo, corpus) -> str:
    """How many gold spans the guideline itself quotes (their text, or its first 40 characters,
    occurs in it with the `[...]` marks removed): a blind pass that reads the guideline has seen them."""
    if not repo.path(GUIDELINE).is_file():  # a repository without a guideline (a new one from `zoomnews init`)
        return ""
    guideline = repo.path(GUIDELINE).read_text(encoding="utf-8").replace("[", "").replace("]", "")
    shares = []
    for kind in ("entity", "timex", "quote"):
        texts = [r["text"] for r in corpus.rows(kind)]
        quoted = sum(1 for text in texts if text in guideline or text[:40] in guideline)
        shares.append(f"{LAYER_NAMES[kind]} {quoted}/{len(texts)} ({quoted / max(len(texts), 1):.0%})")
    return ("Gold spans whose text (or its first 40 characters) occurs somewhere in the guideline, which a blind pass reads: "
            + ", ".join(shares) + ". A name such as \"Zoom\" counts wherever the guideline uses it, so these shares are an upper "
            "bound on the spans the guideline shows as worked examples.")


def annotators_block(corpus) -> str:
    """Records per annotator kind and per annotator (annotations/registry/annotators.jsonl), gold layers."""
    from zoomnews.sources.schemas import LAYER_NAMES

    registered = {r["id"]: r for r in corpus.rows("registry_annotator")}
    per = Counter((r.get("annotator"), r.get("method")) for kind in LAYER_NAMES for r in corpus.rows(kind))
    kinds = Counter()
    rows = []
    for annotator in sorted({a for a, _ in per}, key=str):
        entry = registered.get(annotator, {})
        total = sum(n for (a, _), n in per.items() if a == annotator)
        kinds[entry.get("kind", "unregistered")] += total
        methods = ", ".join(f"{m} {n}" for (a, m), n in sorted(per.items(), key=lambda x: str(x[0])) if a == annotator)
        rows.append([f"`{annotator}`", entry.get("kind", "unregistered"), entry.get("handle", "–"), str(total), methods])
    return kinds_line(kinds) + "\n\n" + table(["annotator", "kind", "who", "records", "by method"], rows)


def kinds_line(kinds: Counter) -> str:
    shown = [f"{kind} {kinds.get(kind, 0)}" for kind in ("person", "model", "rule")] + [f"{k} {n}" for k, n in sorted(kinds.items()) if k not in ("person", "model", "rule")]
    return f"Records of the gold layers by annotator kind: {', '.join(shown)}."


def annotator_kinds_block(corpus) -> str:
    """The card's line: records per annotator kind."""
    registered = {r["id"]: r.get("kind", "unregistered") for r in corpus.rows("registry_annotator")}
    from zoomnews.sources.schemas import LAYER_NAMES

    return kinds_line(Counter(registered.get(r.get("annotator"), "unregistered") for kind in LAYER_NAMES for r in corpus.rows(kind)))


def blocks(repo) -> dict[str, str]:
    corpus = read_corpus(repo)
    return {"counts": counts_block(corpus), "labels": labels_block(corpus), "agreement": agreement_block(repo, corpus),
            "annotators": annotators_block(corpus), "annotator-kinds": annotator_kinds_block(corpus)}
