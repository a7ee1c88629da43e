"""`zoomnews new-document`: register a raw capture — copy it byte for byte, compute its sha256 and id,
and add a provenance stub whose open questions say TODO (validate refuses them until answered, ZN411)."""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.sources.canonical import canonical_text
from zoomnews.sources.jsonl import read_jsonl
from zoomnews.repo import RAW_DIR
from zoomnews.safeio import holds_repository, read_bytes, write_files
from zoomnews.sources.schemas import load_kinds
from zoomnews.sources.corpus import check_doc_id, decode_raw

TODO = "TODO"


@dataclass
class Registered:
    doc_id: str
    raw: Path
    sha256: str
    todo: list[str]


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:40].strip("-")


@holds_repository("new-document")
def new_document(repo, file: Path, outlet: str, url: str | None, published: str, title: str | None = None,
                 doc_id: str | None = None) -> Registered:
    """Register `file`: its bytes copied to corpus/raw/<doc_id>.txt and a record added to
    corpus/documents.jsonl and corpus/articles.jsonl, the three files written in one safeio.write_files
    call (all encoded first; an error leaves all three as they were, a kill leaves each old or new and
    validate names a half state, e.g. a raw file not registered, ZN105; the same command run again
    finishes it, see _check_new)."""
    file = Path(file)
    data = _read_capture(file)
    text, problems = decode_raw(data, str(file))
    if problems:
        raise ZoomnewsError(problems)
    kinds = load_kinds(repo)
    _check_date(kinds, published)
    doc_id = doc_id or f"{slug(outlet)}-{published}"
    check_doc_id(kinds, doc_id)
    documents = _records(repo, kinds["document"])
    articles = _records(repo, kinds["article"])
    sha256 = hashlib.sha256(data).hexdigest()
    done = _check_new(repo, doc_id, sha256, data, documents, articles)
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    document = {
        "doc_id": doc_id, "source_file": file.name if kinds["document"].matches("source_file", file.name) else f"{doc_id}.txt",
        "sha256": sha256, "outlet": outlet, "outlet_evidence": f"{TODO}: why this capture is from {outlet}",
        "url": url,
        "language": "en", "rights": f"{TODO}: News text © {outlet} and its author(s); all rights reserved (see DATASHEET.md).",
        "derived_from": [],
    }
    # the title, authors and date are typed once, in the first article; the document takes them from it
    article = {"doc_id": doc_id, "article_index": 0, "title": title or first_line, "authors": [], "published": published,
               "published_evidence": "inferred", "published_reason": f"{TODO}: the evidence for {published} (stated in the text, or inferred and how)"}
    # the records must pass their schemas as written (an empty capture gave an empty title, which the
    # next validate reported as ZN201): refused here, before anything is written
    wrong = [Problem(str(file), None, "ZN201", f"the {kind} record it would make: {'.'.join(map(str, e.absolute_path)) or 'record'}: {e.message[:160]}",
                     field=".".join(map(str, e.absolute_path)) or None)
             for kind, record in (("document", document), ("article", article)) for e in kinds[kind].validator.iter_errors(record)]
    if wrong:
        raise ZoomnewsError(wrong)
    raw = f"{RAW_DIR}/{doc_id}.txt"
    write_files({  # (all three, also those a killed run wrote already: the same bytes again, and its leftovers cleared)
        Path(raw): data,
        Path(kinds["document"].source): canonical_text(documents + ([] if "document" in done else [document]), kinds["document"]),
        Path(kinds["article"].source): canonical_text(articles + ([] if "article" in done else [article]), kinds["article"]),
    }, repo.root)
    todo = [f"{source}: {doc_id}: {k}" for source, record in (("corpus/documents.jsonl", document), ("corpus/articles.jsonl", article))
            for k, v in record.items() if isinstance(v, str) and v.startswith(TODO)]
    todo += ["corpus/articles.jsonl: authors, published_evidence (stated when the text gives the date), one record per further article",
             "annotations/: zones (every non-blank character), entities, timexes, quotes (see annotations/GUIDELINES.md)"]
    return Registered(doc_id, repo.raw_path(doc_id), sha256, todo)


def _check_date(kinds, published: str) -> None:
    """ZN201 unless `published` is a date as the schema writes it (fromisoformat alone also takes 20200805)."""
    try:
        datetime.date.fromisoformat(published)
        ok = kinds["article"].matches("published", published)
    except ValueError:
        ok = False
    if not ok:
        raise ZoomnewsError(Problem("--published", None, "ZN201", f"{published!r} is not a date YYYY-MM-DD"))


def _read_capture(file: Path) -> bytes:
    """The capture's bytes; a FIFO or device is refused (ZN114) instead of waited on."""
    try:
        return read_bytes(file, str(file))
    except FileNotFoundError:
        raise ZoomnewsError(Problem(str(file), None, "ZN101", "file is missing")) from None


def _records(repo, kind) -> list[dict]:
    """The records of a source file that is rewritten with one more: every line must be a record, or
    it would be lost in the rewrite. An absent file has none."""
    path = repo.path(kind.source)
    if not os.path.lexists(path):
        return []
    records, bad = read_jsonl(path, kind.source, repo.root)
    if bad:
        raise ZoomnewsError(bad)
    return [record for _, record in records]


def _check_new(repo, doc_id: str, sha256: str, data: bytes, documents: list[dict], articles: list[dict]) -> set[str]:
    """Refuse a doc_id or a capture already in the corpus, and a raw file already in the doc_id's place.
    What a run with these very bytes left when it was killed (its three files are each old or new) is
    not refused: the parts already there ("raw", "document", "article") are returned, and the rerun
    writes the others."""
    registered = next((record for record in documents if record.get("doc_id") == doc_id), None)
    raw = repo.raw_path(doc_id)
    done = set()
    if registered is not None:
        if registered.get("sha256") != sha256:
            raise ZoomnewsError(Problem("corpus/documents.jsonl", None, "ZN402", f"{doc_id} is already registered, with other bytes",
                                        suggestion="Pass another --doc-id."))
        done.add("document")
    if os.path.lexists(raw):
        try:
            same = read_bytes(raw, f"{RAW_DIR}/{doc_id}.txt", follow=False) == data  # (a link or FIFO is refused, not followed)
        except (OSError, ZoomnewsError):
            same = False
        if not same:
            raise ZoomnewsError(Problem(f"{RAW_DIR}/{doc_id}.txt", None, "ZN105", "a raw file is already there, not registered; remove it or pass another --doc-id"))
        done.add("raw")
    if any(record.get("doc_id") == doc_id and record.get("article_index") == 0 for record in articles):
        done.add("article")
    if done == {"document", "raw", "article"}:
        raise ZoomnewsError(Problem("corpus/documents.jsonl", None, "ZN402", f"{doc_id} is already registered, with these very bytes",
                                    suggestion="Nothing to register."))
    for record in documents:
        if record.get("sha256") == sha256 and record.get("doc_id") != doc_id:
            raise ZoomnewsError(Problem("corpus/documents.jsonl", None, "ZN402", f"this capture is already registered as {record.get('doc_id')}",
                                        suggestion="Nothing to register: the corpus has these very bytes."))
    return done


