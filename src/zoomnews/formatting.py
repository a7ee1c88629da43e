"""`fmt`: rewrite sources canonically — records in canonical order, keys in schema order, one per line."""

from __future__ import annotations

from zoomnews.errors import ZoomnewsError
from zoomnews.jsonl import iter_lines, read_jsonl
from zoomnews.schemas import load_kinds
from zoomnews.sources import canonical_key


def canonical_text(records: list[dict], kind) -> str:
    return "".join(iter_lines(sorted(records, key=canonical_key(kind)), kind.fields))


def format_repo(repo, check: bool = False) -> list[str]:
    """Rewrite every source file canonically; returns the files that were (or, with check, would be) changed.

    A file with lines that are not records is left untouched and reported, so nothing is lost.
    """
    changed, problems = [], []
    for kind in load_kinds(repo).values():
        path = repo.path(kind.source)
        if not path.exists():
            continue
        records, bad = read_jsonl(path, kind.source)
        if bad:
            problems.extend(bad)
            continue
        text = canonical_text([data for _, data in records], kind)
        if text != path.read_text(encoding="utf-8"):
            changed.append(kind.source)
            if not check:
                path.write_text(text, encoding="utf-8", newline="\n")
    if problems:
        raise ZoomnewsError(problems)
    return changed
