"""`fmt`: rewrite sources canonically — records in canonical order, keys in schema order, one per line."""

from __future__ import annotations

import os

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.sources.jsonl import iter_lines, parse_jsonl, read_source
from zoomnews.safeio import encode, holds_repository, write_files
from zoomnews.sources.schemas import agreement_passes, load_kinds, pass_kinds
from zoomnews.sources.corpus import canonical_key


def canonical_text(records: list[dict], kind) -> str:
    return "".join(iter_lines(sorted(records, key=canonical_key(kind)), kind.fields))


@holds_repository("fmt")
def format_repo(repo, check: bool = False) -> list[str]:
    """Rewrite every source file (the agreement passes' included) canonically; returns the files that were (or, with check, would be) changed.

    All or nothing: a file with lines that are not records (or one that is not a regular file inside
    the repository) is reported and nothing at all is written, so nothing is lost. The files are read
    and written through zoomnews.safeio: never through a symbolic link, never waiting on a FIFO, every
    new text encoded before the first byte is written, each file replaced whole.
    """
    changed: dict[str, bytes] = {}
    problems: list[Problem] = []
    kinds = {kind.source: kind for kind in load_kinds(repo).values()}
    for name in agreement_passes(repo):  # the agreement passes' own files too
        kinds.update({kind.source: kind for kind in pass_kinds(repo, name).values()})
    for kind in kinds.values():
        try:
            formatted = _formatted(repo, kind)
        except ZoomnewsError as e:
            problems.extend(e.problems)
            continue
        if formatted is not None:
            changed[kind.source] = formatted
    if problems:
        raise ZoomnewsError(problems)
    if changed and not check:
        write_files(changed, repo.root)
    return list(changed)


def _formatted(repo, kind) -> bytes | None:
    """The source file's canonical bytes if they differ from its bytes; None if it is canonical or absent
    (fmt creates no file). Raises ZoomnewsError with the file's problems."""
    path = repo.path(kind.source)
    if not os.path.lexists(path):
        return None
    data, problems = read_source(path, kind.source, repo.root)
    if data is None:
        raise ZoomnewsError(problems)
    reading = parse_jsonl(data, kind.source)
    if reading.problems:
        raise ZoomnewsError(reading.problems)
    try:
        text = canonical_text([record for _, record in reading.records], kind)
    except RecursionError:  # parsed at the parser's depth limit, too deep to write back
        raise ZoomnewsError(Problem(kind.source, None, "ZN103", "a record nested too deeply to rewrite")) from None
    formatted = encode(text, kind.source)
    return formatted if formatted != data else None
