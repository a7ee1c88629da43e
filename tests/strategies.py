"""Hypothesis strategies for the whole data model: texts, spans, registries, corpora on disk.

Texts mix astral-plane characters, combining marks, no-break spaces and right-to-left scripts,
LF newlines only, NFC. Spans are drawn from the text's own tokens, so offsets land inside it and
never on white space; references are drawn from the generated registries, so they resolve.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from zoomnews.sources.canonical import canonical_text
from zoomnews.sources.offsets import tokenize
from zoomnews.sources.schemas import load_kinds
from zoomnews import CorpusRepo
from zoomnews.checks import timeml
from zoomnews.repo import scaffold

ROOT = Path(__file__).resolve().parents[1]
KINDS = load_kinds(CorpusRepo(ROOT))
ZONE_LABELS = KINDS["zone"].schema["properties"]["label"]["enum"]
ENTITY_LABELS = KINDS["entity"].schema["properties"]["label"]["enum"]
LINKED = KINDS["registry_entity"].schema["properties"]["type"]["enum"]
UNLINKED = [label for label in ENTITY_LABELS if label not in LINKED]
METHODS = KINDS["zone"].schema["properties"]["method"]["enum"]
PUBLISHED = "2020-08-03"

# Generated repositories live under one folder per test process, removed when it exits: hypothesis
# writes hundreds of them while it searches and shrinks.
_SCRATCH = Path(tempfile.mkdtemp(prefix="zoomnews-tests-"))
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)


def scratch_dir(prefix: str = "case-") -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix, dir=_SCRATCH))

SPECIAL_WORDS = ["😀", "𝔘𝔫𝔦", "e\u0301", "a\u0308\u0301", "שלום", "مرحبا", "中文", "Zoom", "“quoted”", "‘x’", "U.S.", "Zoom’s", "$3", "6.27%",
                 # grapheme clusters of several characters: Indic, Arabic with harakat, ZWNJ, ZWJ sequences, emoji modifiers, variation selectors, flags
                 "नरेंद्र", "कहा:", "كَتَبَ", "می‌خواهم", "q́", "👩‍💻", "👍🏽", "❤️", "🇨🇳🇺🇸"]
word_chars = st.characters(
    blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp", "Co", "Cn"),
    blacklist_characters="\r\n\x85\u2028\u2029\ufeff",
)
words = st.one_of(st.text(word_chars, min_size=1, max_size=6), st.sampled_from(SPECIAL_WORDS))
separators = st.sampled_from([" ", " ", " ", "\u00a0", "  ", " \u00a0"])


@st.composite
def lines(draw):
    tokens = draw(st.lists(words, min_size=0, max_size=8))
    body = ""
    for token in tokens:
        body += (draw(separators) if body else "") + token
    edge = draw(st.sampled_from(["", " ", "\u00a0"]))
    return edge + body + draw(st.sampled_from(["", " ", "\u00a0"])) if body else draw(st.sampled_from(["", " ", "\u00a0"]))


@st.composite
def texts(draw):
    """A document text: NFC, LF newlines, at least one non-blank character, no CR."""
    chosen = draw(st.lists(lines(), min_size=1, max_size=6))
    text = unicodedata.normalize("NFC", "\n".join(chosen))
    if not any(not ch.isspace() for ch in text):
        text += "Zoom"
    if draw(st.booleans()):
        text += "\n"
    return text


def line_extents(text: str) -> list[tuple[int, int]]:
    """Each non-blank line, trimmed of white space: the zones that tile the text."""
    extents, start = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            extents.append((start + lead, start + lead + len(stripped)))
        start += len(line) + 1
    return extents


@dataclass
class CorpusSpec:
    texts: dict[str, str]
    records: dict[str, list[dict]] = field(default_factory=dict)

    def write(self, root: Path, version: str = "1.0.0") -> CorpusRepo:
        """The corpus as a new repository on disk, canonical form, schemas from this checkout."""
        scaffold(root, ROOT / "schema", version, "generated corpus")
        return self.write_sources(root, version)

    def write_sources(self, root: Path, version: str) -> CorpusRepo:
        """(Re)write the sources and the dataset version; releases are left alone."""
        (root / "pyproject.toml").write_text(f'[tool.zoomnews]\ndataset-version = "{version}"\n', encoding="utf-8")
        for stale in (root / "corpus" / "raw").glob("*.txt"):
            stale.unlink()
        for doc_id, text in self.texts.items():
            (root / "corpus" / "raw" / f"{doc_id}.txt").write_bytes(text.encode("utf-8"))
        for name, kind in KINDS.items():
            (root / kind.source).write_text(canonical_text(self.records.get(name, []), kind), encoding="utf-8", newline="\n")
        return CorpusRepo(root)


def _provenance(draw) -> dict:
    return {"annotator": "a1", "method": draw(st.sampled_from(METHODS)), "guideline": "1.0.0"}


@st.composite
def token_spans(draw, text: str, max_spans: int, max_tokens: int = 3, disjoint: bool = True):
    """Spans made of 1..max_tokens consecutive tokens within one line; disjoint when asked."""
    tokens = [t for t in tokenize(text)]
    if not tokens:
        return []
    line_of = [text.count("\n", 0, s) for s, _ in tokens]
    picks = sorted(draw(st.lists(st.integers(0, len(tokens) - 1), max_size=max_spans, unique=True)))
    spans, reach = [], -1
    for first in picks:
        if disjoint and tokens[first][0] < reach:
            continue
        width = draw(st.integers(1, max_tokens))
        last = first
        while last + 1 < len(tokens) and last + 1 < first + width and line_of[last + 1] == line_of[first]:
            last += 1
        start, end = tokens[first][0], tokens[last][1]
        spans.append((start, end))
        reach = end
    return spans


slugs = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?\Z")


@st.composite
def corpora(draw, max_documents: int = 3):
    doc_ids = draw(st.lists(slugs, min_size=1, max_size=max_documents, unique=True))
    spec = CorpusSpec({doc_id: draw(texts()) for doc_id in sorted(doc_ids)})
    r = spec.records = {name: [] for name in KINDS}
    r["registry_annotator"] = [{"id": "a1", "kind": "model", "handle": "generated", "guidelines": ["1.0.0"]}]  # every record is a1's (_provenance)
    entity_ids = draw(st.lists(slugs, min_size=1, max_size=3, unique=True))
    for entity_id in entity_ids:
        r["registry_entity"].append({"id": entity_id, "name": draw(words), "type": draw(st.sampled_from(LINKED)), "aliases": draw(st.lists(words, max_size=2, unique=True))})
    speakers = draw(st.lists(slugs, min_size=1, max_size=2, unique=True))
    for speaker in speakers:
        r["registry_speaker"].append({"id": speaker, "name": draw(words), "kind": draw(st.sampled_from(["person", "spokesperson_role", "organisation", "group"])), "affiliation": draw(st.sampled_from([None, *entity_ids]))})
    statements = draw(st.lists(slugs, min_size=1, max_size=2, unique=True))
    for statement in statements:
        r["registry_statement"].append({"id": statement, "speaker": draw(st.sampled_from(speakers)), "channel": "press_statement", "date": draw(st.sampled_from([None, "2020", "2020-08", "2020-08-03"])), "description": draw(words)})
    speaker_of = {s["id"]: s["speaker"] for s in r["registry_statement"]}
    types = {e["id"]: e["type"] for e in r["registry_entity"]}

    for doc_id, text in spec.texts.items():
        raw = text.encode("utf-8")
        extents = line_extents(text)
        articles = draw(st.integers(1, min(2, len(extents))))
        split = draw(st.integers(1, len(extents) - 1)) if articles == 2 else len(extents)
        r["document"].append({
            "doc_id": doc_id, "source_file": f"{doc_id}.txt", "sha256": hashlib.sha256(raw).hexdigest(), "outlet": "Outlet",
            "outlet_evidence": "generated", "url": None, "language": "en", "rights": "generated", "derived_from": [],
        })
        for index in range(articles):
            r["article"].append({"doc_id": doc_id, "article_index": index, "title": f"Title {index}", "authors": draw(st.lists(words, max_size=2)),
                                 "published": PUBLISHED, "published_evidence": draw(st.sampled_from(["stated", "inferred"])), "published_reason": "generated"})
        article_at = []
        for n, (start, end) in enumerate(extents, start=1):
            article = 0 if n <= split else 1
            article_at.append((start, end, article))
            r["zone"].append({"doc_id": doc_id, "id": f"z{n}", "start": start, "end": end, "text": text[start:end],
                              "label": draw(st.sampled_from(ZONE_LABELS)), "article_index": article, **_provenance(draw)})
        for n, (start, end) in enumerate(draw(token_spans(text, 6)), start=1):
            linked = draw(st.booleans())
            entity_id = draw(st.sampled_from(entity_ids)) if linked else None
            label = types[entity_id] if linked else draw(st.sampled_from(UNLINKED))
            r["entity"].append({"doc_id": doc_id, "id": f"e{n}", "start": start, "end": end, "text": text[start:end], "label": label, "entity_id": entity_id, **_provenance(draw)})
        for n, (start, end) in enumerate(draw(token_spans(text, 3)), start=1):
            article = next(a for s, e, a in article_at if s <= start and end <= e)
            kind, value = draw(st.sampled_from([("DATE", "PRESENT_REF"), ("DATE", "2020"), ("DURATION", "P90D"), ("SET", "P1M"), ("DATE", PUBLISHED)]))
            if timeml.inconsistencies(text[start:end], value):
                kind, value = "DATE", "PAST_REF"
            r["timex"].append({"doc_id": doc_id, "id": f"t{n}", "start": start, "end": end, "text": text[start:end], "type": kind, "value": value,
                               "mod": draw(st.sampled_from([None, "START", "APPROX"])), "article_index": article,
                               "creation_time": value == PUBLISHED and draw(st.booleans()), **_provenance(draw)})
        for n, (start, end) in enumerate(draw(token_spans(text, 3, max_tokens=5, disjoint=False)), start=1):
            statement = draw(st.sampled_from(statements))
            quote = {"doc_id": doc_id, "id": f"q{n}", "start": start, "end": end, "text": text[start:end], "type": draw(st.sampled_from(["direct", "indirect", "mixed"]))}
            for prefix in ("cue_", "source_"):
                extra = draw(token_spans(text, 1, max_tokens=2))
                if extra and draw(st.booleans()):
                    s, e = extra[0]
                    quote.update({f"{prefix}start": s, f"{prefix}end": e, f"{prefix}text": text[s:e]})
                else:
                    quote.update({f"{prefix}start": None, f"{prefix}end": None, f"{prefix}text": None})
            quote.update(speaker=speaker_of[statement], statement_id=statement, **_provenance(draw))
            r["quote"].append(quote)
    return spec


def records_of(repo: CorpusRepo) -> dict[str, list[dict]]:
    return {name: [json.loads(line) for line in repo.path(kind.source).read_text(encoding="utf-8").splitlines()] for name, kind in KINDS.items()}
