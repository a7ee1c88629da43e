"""`zoomnews new-document`: register a raw capture — copy it byte for byte, compute its sha256 and id,
and add a provenance stub whose open questions say TODO (validate refuses them until answered, ZN411)."""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.formatting import canonical_text
from zoomnews.jsonl import read_jsonl
from zoomnews.schemas import load_kinds
from zoomnews.sources import decode_raw

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


def new_document(repo, file: Path, outlet: str, url: str | None, published: str, title: str | None = None,
                 doc_id: str | None = None) -> Registered:
    file = Path(file)
    data = file.read_bytes()
    label = str(file)
    text, problems = decode_raw(data, label)
    if problems:
        raise ZoomnewsError(problems)
    try:
        datetime.date.fromisoformat(published)
    except ValueError:
        raise ZoomnewsError(Problem("--published", None, "ZN201", f"{published!r} is not a date YYYY-MM-DD")) from None
    doc_id = doc_id or f"{slug(outlet)}-{published}"
    kinds = load_kinds(repo)
    pattern = kinds["document"].schema["properties"]["doc_id"]["pattern"]
    if not re.match(pattern, doc_id):
        raise ZoomnewsError(Problem("--doc-id", None, "ZN112", f"{doc_id!r} is not a doc_id (lower-case letters, digits, inner hyphens); pass --doc-id"))
    documents, bad = read_jsonl(repo.path(kinds["document"].source), kinds["document"].source)
    if bad:
        raise ZoomnewsError(bad)
    sha256 = hashlib.sha256(data).hexdigest()
    if repo.raw_path(doc_id).exists() or any(record.get("doc_id") == doc_id for _, record in documents):
        raise ZoomnewsError(Problem("corpus/documents.jsonl", None, "ZN402", f"{doc_id} is already registered; pass another --doc-id"))
    for _, record in documents:
        if record.get("sha256") == sha256:
            raise ZoomnewsError(Problem("corpus/documents.jsonl", None, "ZN402", f"this capture is already registered as {record['doc_id']}"))
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    document = {
        "doc_id": doc_id, "source_file": file.name if re.match(r"^[A-Za-z0-9._-]{1,128}$", file.name) else f"{doc_id}.txt",
        "sha256": sha256, "outlet": outlet, "outlet_evidence": f"{TODO}: why this capture is from {outlet}",
        "url": url, "title": title or first_line, "authors": [], "published": published, "published_evidence": "inferred",
        "published_reason": f"{TODO}: the evidence for {published} (stated in the text, or inferred and how)",
        "language": "en", "rights": f"{TODO}: News text © {outlet} and its author(s); all rights reserved (see DATASHEET.md).",
        "derived_from": [],
    }
    article = {"doc_id": doc_id, "article_index": 0, "title": document["title"], "authors": [], "published": published,
               "published_evidence": "inferred", "published_reason": document["published_reason"]}
    repo.raw_dir.mkdir(parents=True, exist_ok=True)
    repo.raw_path(doc_id).write_bytes(data)
    for kind, record in (("document", document), ("article", article)):
        path = repo.path(kinds[kind].source)
        existing = [r for _, r in read_jsonl(path, kinds[kind].source)[0]] if path.exists() else []
        path.write_text(canonical_text(existing + [record], kinds[kind]), encoding="utf-8", newline="\n")
    todo = [f"corpus/documents.jsonl: {doc_id}: {k}" for k, v in document.items() if isinstance(v, str) and v.startswith(TODO)]
    todo += ["corpus/documents.jsonl / corpus/articles.jsonl: authors, published_evidence (stated when the text gives the date)",
             "annotations/: zones (every non-blank character), entities, timexes, quotes (see annotations/GUIDELINES.md)"]
    return Registered(doc_id, repo.raw_path(doc_id), sha256, todo)
