"""Agreement between two annotation sets (A as reference, B as the other): span F1 and attribute agreement.

Spans are compared per layer: *exact* (same document, start, end and label) and *overlap*
(same document and label, spans share at least one character; one-to-one, greedy by largest
overlap). Attributes whose ids are private to each annotator's registry (entity_id, speaker,
statement_id) are compared as clusterings — pairwise F1 over matched mention pairs — so the
figures do not depend on how either annotator spelled an id.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

# layer -> the field that holds its label
LABEL_FIELD = {"zones": "label", "entities": "label", "timexes": "type", "quotes": "type"}


@dataclass(frozen=True)
class PRF:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": self.precision, "recall": self.recall, "f1": self.f1}


def _key(record: dict, label_field: str | None) -> tuple:
    return (record["doc_id"], record["start"], record["end"], record[label_field] if label_field else None)


def exact_pairs(a: list[dict], b: list[dict], label_field: str | None) -> list[tuple[dict, dict]]:
    """One-to-one: a span annotated twice by B matches at most two of A's, never one twice."""
    unmatched: dict[tuple, list[dict]] = {}
    for r in b:
        unmatched.setdefault(_key(r, label_field), []).append(r)
    pairs = []
    for r in a:
        candidates = unmatched.get(_key(r, label_field))
        if candidates:
            pairs.append((r, candidates.pop(0)))
    return pairs


def overlap_pairs(a: list[dict], b: list[dict], label_field: str | None) -> list[tuple[dict, dict]]:
    candidates = []
    by_doc: dict[str, list[int]] = {}
    for j, r in enumerate(b):
        by_doc.setdefault(r["doc_id"], []).append(j)
    for i, r in enumerate(a):
        for j in by_doc.get(r["doc_id"], []):
            s = b[j]
            shared = min(r["end"], s["end"]) - max(r["start"], s["start"])
            if shared > 0 and (label_field is None or r[label_field] == s[label_field]):
                candidates.append((-shared, i, j))
    used_a, used_b, pairs = set(), set(), []
    for _, i, j in sorted(candidates):
        if i not in used_a and j not in used_b:
            used_a.add(i), used_b.add(j)
            pairs.append((a[i], b[j]))
    return pairs


def prf(pairs: list, a: list, b: list) -> PRF:
    return PRF(tp=len(pairs), fp=len(b) - len(pairs), fn=len(a) - len(pairs))


def pairwise_cluster_f1(pairs: list[tuple[dict, dict]], field: str) -> PRF:
    """Do A and B put the same matched mentions together under `field`? (ids need not agree)"""
    tp = fp = fn = 0
    for (a1, b1), (a2, b2) in combinations(pairs, 2):
        same_a = a1.get(field) is not None and a1.get(field) == a2.get(field)
        same_b = b1.get(field) is not None and b1.get(field) == b2.get(field)
        tp += same_a and same_b
        fp += same_b and not same_a
        fn += same_a and not same_b
    return PRF(tp, fp, fn)


def accuracy(pairs: list[tuple[dict, dict]], fields: tuple[str, ...]) -> float | None:
    if not pairs:
        return None
    return sum(all(x.get(f) == y.get(f) for f in fields) for x, y in pairs) / len(pairs)


def compare_layer(layer: str, a: list[dict], b: list[dict]) -> dict:
    label = LABEL_FIELD[layer]
    exact, overlap = exact_pairs(a, b, label), overlap_pairs(a, b, label)
    result = {
        "a": len(a),
        "b": len(b),
        "exact": prf(exact, a, b).as_dict(),
        "overlap": prf(overlap, a, b).as_dict(),
        "exact_unlabelled": prf(exact_pairs(a, b, None), a, b).as_dict(),
    }
    if layer == "timexes":
        result["value_accuracy_exact"] = accuracy(exact, ("value",))
        result["value_mod_accuracy_exact"] = accuracy(exact, ("value", "mod"))
        result["value_accuracy_overlap"] = accuracy(overlap, ("value",))
    if layer == "zones":
        result["article_index_accuracy_exact"] = accuracy(exact, ("article_index",))
    if layer == "entities":
        result["entity_link_pairwise"] = pairwise_cluster_f1(exact, "entity_id").as_dict()
    if layer == "quotes":
        result["speaker_pairwise_overlap"] = pairwise_cluster_f1(overlap, "speaker").as_dict()
        result["statement_pairwise_overlap"] = pairwise_cluster_f1(overlap, "statement_id").as_dict()
        result["cue_exact_accuracy_overlap"] = accuracy(overlap, ("cue_start", "cue_end"))
        result["source_exact_accuracy_overlap"] = accuracy(overlap, ("source_start", "source_end"))
    return result


def compare(a: dict[str, list[dict]], b: dict[str, list[dict]]) -> dict:
    """Per-layer agreement; `a` and `b` map layer names (zones, entities, timexes, quotes) to records."""
    return {layer: compare_layer(layer, a.get(layer, []), b.get(layer, [])) for layer in LABEL_FIELD}


def compare_folders(a, b) -> dict:
    """Per-layer agreement of two folders laid out like annotations/, over the layers both hold a file
    of (a second pass may annotate only some layers: the others are not compared, rather than scored 0)."""
    from zoomnews.tools.layer_folders import read_layers, layers_in

    both = [layer for layer in layers_in(a) if layer in layers_in(b)]
    result = compare(read_layers(a, both), read_layers(b, both))
    return {layer: result[layer] for layer in both}
