"""Semantic diff between two states of the corpus: releases, or a release and the working sources.

Per layer, records are matched by key (doc_id + id; registries by id), then leftovers by offsets, so
a renumbered span is a change, not a removal plus an addition. A change lists the fields that
changed. Label distributions are compared per layer. This is what a reviewer reads on a pull request.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pyarrow.parquet as pq

from zoomnews.release.configs import FLAT
from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.loader.releases import decode_rows, release_files, verified_manifest
from zoomnews.sources.corpus import read_corpus

# layers compared, with their key and the field whose distribution is reported
COMPARED = {
    "documents": (("doc_id",), None),
    "articles": (("doc_id", "article_index"), None),
    "zones": (("doc_id", "id"), "label"),
    "entities": (("doc_id", "id"), "label"),
    "timexes": (("doc_id", "id"), "type"),
    "quotes": (("doc_id", "id"), "type"),
    "entity_registry": (("id",), "type"),
    "speaker_registry": (("id",), "kind"),
    "statement_registry": (("id",), "channel"),
}
IGNORED = {"documents": {"text"}}  # derived columns: a text change shows as a sha256 change
WORKING = "working"


@dataclass
class LayerDiff:
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)  # {"key", "before", "after", "fields"}
    labels: dict[str, tuple[int, int]] = field(default_factory=dict)  # label -> (before, after), only shifts

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def state(repo, version: str) -> dict[str, list[dict]]:
    """Records per layer of a release (`version`) or of the working sources (`working`)."""
    if version == WORKING:
        corpus = read_corpus(repo)
        layers = {layer: corpus.rows(kind) for layer, kind in FLAT.items()}
        if layers["documents"]:  # as released: with the fields the documents take from their first article
            import pyarrow as pa

            from zoomnews.release.configs import with_first_article

            fields = corpus.kinds["document"].from_first_article[0]
            articles = (pa.Table.from_pylist(layers["articles"]) if layers["articles"]
                        else pa.table({"doc_id": pa.array([], pa.string()), "article_index": pa.array([], pa.int64()), **{f: pa.nulls(0) for f in fields}}))
            layers["documents"] = with_first_article(pa.Table.from_pylist(layers["documents"]), articles, fields).to_pylist()
        return layers
    if version not in repo.released_versions():
        raise ZoomnewsError(Problem(f"releases/{version}", None, "ZN903", f"no release {version}; released: {', '.join(repo.released_versions()) or 'none'}"))
    # verified as zoomnews.load verifies (the manifest against the ledger, each file against the
    # manifest): score, diff, render and release read a tampered release as if it were the release
    configs = verified_manifest(repo, version)["configs"]
    layers = {}
    for layer in COMPARED:
        if layer not in configs:
            layers[layer] = []
            continue
        files, features, _ = release_files(layer, version, repo)
        layers[layer] = decode_rows([row for f in files for row in pq.read_table(f).to_pylist()], features)
    return layers


def _strip(layer: str, record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in IGNORED.get(layer, set())}


def diff_layer(layer: str, before: list[dict], after: list[dict]) -> LayerDiff:
    key_fields, label = COMPARED[layer]
    key = lambda r: tuple(r.get(k) for k in key_fields)
    old = {key(r): _strip(layer, r) for r in before}
    new = {key(r): _strip(layer, r) for r in after}
    result = LayerDiff()
    order = lambda k: (str(k[0]), (old.get(k) or new.get(k)).get("start", -1), str(k))
    for k in sorted(set(old) & set(new), key=order):
        fields = sorted(f for f in set(old[k]) | set(new[k]) if old[k].get(f) != new[k].get(f))
        if fields:
            result.changed.append({"key": dict(zip(key_fields, k)), "before": old[k], "after": new[k], "fields": fields})
    gone = [old[k] for k in sorted(set(old) - set(new), key=order)]
    came = [new[k] for k in sorted(set(new) - set(old), key=order)]
    if "start" in (gone[0] if gone else {}):  # second chance: same document and offsets, new id
        by_span = {(r["doc_id"], r["start"], r["end"]): r for r in came}
        for record in list(gone):
            twin = by_span.pop((record["doc_id"], record["start"], record["end"]), None)
            if twin is not None:
                gone.remove(record)
                came.remove(twin)
                fields = sorted(f for f in set(record) | set(twin) if record.get(f) != twin.get(f))
                result.changed.append({"key": dict(zip(key_fields, key(record))), "before": record, "after": twin, "fields": fields})
    result.removed, result.added = gone, came
    if label:
        counts_before = Counter(r.get(label) for r in before)
        counts_after = Counter(r.get(label) for r in after)
        result.labels = {str(l): (counts_before[l], counts_after[l]) for l in sorted(set(counts_before) | set(counts_after), key=str) if counts_before[l] != counts_after[l]}
    return result


def diff_states(before: dict[str, list[dict]], after: dict[str, list[dict]]) -> dict[str, LayerDiff]:
    return {layer: diff_layer(layer, before.get(layer, []), after.get(layer, [])) for layer in COMPARED}


def diff(repo, a: str, b: str) -> dict[str, LayerDiff]:
    return diff_states(state(repo, a), state(repo, b))


def as_json(result: dict[str, LayerDiff]) -> dict:
    return {layer: {"added": d.added, "removed": d.removed, "changed": d.changed, "labels": {k: list(v) for k, v in d.labels.items()}} for layer, d in result.items()}


def describe(record: dict) -> str:
    """One line naming a record: where, id, span, label."""
    where = record.get("doc_id", "")
    ident = record.get("id", record.get("article_index", ""))
    span = f" {record['start']}-{record['end']} {record.get('text', '')[:50]!r}" if "start" in record else ""
    label = next((f" {record[f]}" for f in ("label", "type", "kind", "channel") if f in record), "")
    return f"{where}{'/' if where and ident != '' else ''}{ident}{span}{label}".strip()


def render(result: dict[str, LayerDiff], a: str, b: str) -> str:
    lines = [f"zoomnews diff {a} -> {b}"]
    for layer, d in result.items():
        if d.empty:
            continue
        lines.append(f"\n## {layer}: +{len(d.added)} -{len(d.removed)} ~{len(d.changed)}")
        lines += [f"+ {describe(r)}" for r in d.added]
        lines += [f"- {describe(r)}" for r in d.removed]
        for c in d.changed:
            detail = ", ".join(f"{f}: {c['before'].get(f)!r} -> {c['after'].get(f)!r}" for f in c["fields"])
            lines.append(f"~ {describe(c['after'])}: {detail if len(detail) < 300 else detail[:297] + '...'}")
        if d.labels:
            lines.append("  labels: " + ", ".join(f"{l} {x}->{y}" for l, (x, y) in d.labels.items()))
    if len(lines) == 1:
        lines.append("no differences")
    return "\n".join(lines)
