"""Refresh every generated block in the repository's documents: the card's agreement figures, data
instances and benchmark (README.md), the checks table (docs/validation.md), suggest's measured quality
(docs/annotation-tools.md) and the datasheet's figures (DATASHEET.md).

A block is computed only where a document has its markers, and a document the repository does not
have is skipped (a new corpus made by `zoomnews scaffold` has a README and nothing else);
tests/test_docs.py checks that this checkout has every block below in its place.
"""

from __future__ import annotations

from collections.abc import Callable

from zoomnews import safeio
from zoomnews.tools.markdown import refresh


def _instances(repo, cache: dict) -> str:
    from zoomnews.release.card import instances_block

    return instances_block(repo)


def _benchmark(repo, cache: dict) -> str:
    from zoomnews.tools.scoring import benchmark_baseline, benchmark_table

    return benchmark_table(benchmark_baseline(repo))


AGREEMENT_SHOWN = {  # layer -> the attribute agreements the card quotes (DATASHEET.md has them all)
    "zones": (), "entities": ("entity_link_pairwise",), "timexes": ("value_accuracy_exact",),
    "quotes": ("speaker_pairwise_overlap", "statement_pairwise_overlap"),
}
AGREEMENT_NAMES = {"entity_link_pairwise": "linking pairwise F1", "value_accuracy_exact": "value accuracy",
                   "speaker_pairwise_overlap": "speaker pairwise F1", "statement_pairwise_overlap": "statement pairwise F1"}


def _agreement(repo, cache: dict) -> str:
    """Every agreement round (the figures DATASHEET.md gives in full), in short, oldest to newest:
    spans, exact F1 and the attribute agreements the card quotes ("–": the round left the layer out)."""
    from zoomnews.tools.layer_folders import LAYER_FILES
    from zoomnews.tools.markdown import table
    from zoomnews.tools.stats import agreement_rounds

    rounds = agreement_rounds(repo)
    value = lambda v: v["f1"] if isinstance(v, dict) else v
    rows = []
    for layer in LAYER_FILES:
        results = [result.get(layer) for _, result in rounds]
        spans = "; ".join(f"{r['a']} / {r['b']}" if r else "–" for r in results)
        exact = " → ".join(f"{r['exact']['f1']:.3f}" if r else "–" for r in results)
        attributes = "; ".join(f"{AGREEMENT_NAMES[k]} " + " → ".join(f"{value(r[k]):.3f}" if r and r.get(k) is not None else "–" for r in results)
                               for k in AGREEMENT_SHOWN[layer])
        rows.append([layer, spans, exact, attributes or "–"])
    versions = " → ".join(r.guideline for r, _ in rounds)
    passes = "; ".join(f"{r.reference} / {r.second}" for r, _ in rounds)
    return table(["layer", f"spans ({passes})", f"exact F1 ({versions})", f"attributes ({versions})"], rows)


def _checks(repo, cache: dict) -> str:
    from zoomnews.checks.catalogue import checks_table

    return checks_table()


def _suggest(repo, cache: dict) -> str:
    from zoomnews.sources.corpus import read_corpus
    from zoomnews.tools.suggest import evaluate_suggestions, evaluation_table

    return evaluation_table(evaluate_suggestions(read_corpus(repo)))


def _datasheet(name: str) -> Callable:
    def block(repo, cache: dict) -> str:
        if "datasheet" not in cache:  # one pass over the corpus gives all three
            from zoomnews.tools.stats import blocks

            cache["datasheet"] = blocks(repo)
        return cache["datasheet"][name]
    return block


# document -> block name -> the function that renders it
BLOCKS: dict[str, dict[str, Callable]] = {
    "README.md": {"agreement": _agreement, "instances": _instances, "benchmark": _benchmark, "annotator-kinds": _datasheet("annotator-kinds")},
    "docs/validation.md": {"checks": _checks},
    "docs/annotation-tools.md": {"suggest": _suggest},
    "DATASHEET.md": {name: _datasheet(name) for name in ("counts", "labels", "agreement", "annotators")},
}


def has_block(text: str, name: str) -> bool:
    return f"<!-- {name}:begin -->\n" in text and f"<!-- {name}:end -->" in text


def generated(repo, texts: dict[str, str] | None = None) -> dict[str, dict[str, str]]:
    """The rendered blocks per document, for the documents present (or given in `texts`) and the
    blocks whose markers they hold."""
    texts = texts if texts is not None else _texts(repo)
    cache: dict = {}
    return {name: {block: render(repo, cache) for block, render in blocks.items() if has_block(texts[name], block)}
            for name, blocks in BLOCKS.items() if name in texts}


def _texts(repo) -> dict[str, str]:
    texts = {}
    for name in BLOCKS:
        try:
            texts[name] = safeio.read_text(repo.path(name), name)
        except FileNotFoundError:
            continue
    return texts


@safeio.holds_repository("docs")
def refresh_docs(repo, write: bool = True) -> list[str]:
    """The documents whose generated blocks were (or, without write, would be) changed."""
    texts = _texts(repo)
    changed = {}
    for name, rendered in generated(repo, texts).items():
        new = refresh(texts[name], rendered)
        if new != texts[name]:
            changed[repo.path(name)] = new
    if write and changed:
        safeio.write_files(changed, repo.root)  # together: after a failure all are old, never some of each
    return [repo.rel(path) for path in changed]
