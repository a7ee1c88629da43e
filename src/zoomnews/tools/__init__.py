"""Annotators' and maintainers' tools over the corpus: suggest, agree, score, statements, diff, stats, render, docs (step 5; formats/ holds the exchange formats)."""
