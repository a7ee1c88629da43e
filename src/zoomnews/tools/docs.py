"""Refresh every generated block in the repository's documents (README checks table, DATASHEET figures)."""

from __future__ import annotations

from zoomnews import safeio
from zoomnews.checks.catalogue import checks_table
from zoomnews.tools.markdown import refresh
from zoomnews.tools.stats import blocks


def generated(repo) -> dict[str, dict[str, str]]:
    from zoomnews.sources.corpus import read_corpus
    from zoomnews.tools.suggest import evaluate_suggestions, evaluation_table

    readme = {"checks": checks_table(), "suggest": evaluation_table(evaluate_suggestions(read_corpus(repo)))}
    return {"README.md": readme, "DATASHEET.md": blocks(repo)}


def refresh_docs(repo, write: bool = True) -> list[str]:
    """The documents whose generated blocks were (or, without write, would be) changed."""
    changed = {}
    for name, rendered in generated(repo).items():
        path = repo.path(name)
        text = safeio.read_text(path, name)
        new = refresh(text, rendered)
        if new != text:
            changed[path] = new
    if write and changed:
        safeio.write_files(changed, repo.root)  # together: after a failure both are old, never one of each
    return [repo.rel(path) for path in changed]
