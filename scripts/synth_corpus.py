"""Generate a valid synthetic zoomnews source corpus of any size, deterministic from a seed.

    .venv/bin/python scripts/synth_corpus.py OUT --documents 10000 [--seed 0]

News-like short reports (title, byline, dateline, two paragraphs) with non-ASCII text (accented
names, curly quotes, no-break spaces, an emoji now and then), and every layer at about the gold
corpus's mix of layers: about 21 spans per document (5 zones, 12 entities, 3 timexes, 1 quotation), so 100k documents hold about 2M spans. The output is a complete repository
(schemas copied from this checkout) that `zoomnews validate` accepts; records are written in
canonical order, one document at a time, so memory stays flat however many documents are asked for.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORGS = [("zoom", "Zoom"), ("bizconf", "Bizconf"), ("tiktok", "TikTok"), ("bytedance", "ByteDance"), ("microsoft", "Microsoft"),
        ("citizen-lab", "Citizen Lab"), ("suirui", "Suirui"), ("systec", "Systec"), ("nasdaq", "Nasdaq"), ("cnbc", "CNBC")]
PLACES = [("china", "China"), ("united-states", "the U.S."), ("beijing", "Beijing"), ("washington", "Washington"),
          ("san-jose", "San José"), ("hong-kong", "Hong Kong"), ("zurich", "Zürich"), ("sao-paulo", "São Paulo")]
PEOPLE = [("eric-yuan", "Eric Yuan"), ("zoe-muller", "Zoë Müller"), ("jose-nunez", "José Núñez"), ("anais-leclerc", "Anaïs Leclerc"),
          ("bjorn-ostberg", "Björn Östberg"), ("li-wei", "Li Wei"), ("sabina-weston", "Sabina Weston"), ("dale-walker", "Dale Walker")]
PRODUCTS = [("zoom-meetings", "Zoom Meetings"), ("zoom-phone", "Zoom Phone"), ("umeet", "Umeet")]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
VERBS = ["said", "told reporters", "wrote", "added"]
CLAIMS = ["we are now shifting to a partner-only model", "users may continue to join meetings as participants",
          "our partners will provide better local support", "the change takes effect later this month",
          "we remain committed to our customers’ privacy", "no data is routed through servers abroad"]
PROVENANCE = {"annotator": "synth", "method": "rule", "guideline": "1.0.0"}
LAYER_FILES = {"zone": "annotations/zones.jsonl", "entity": "annotations/entities.jsonl",
               "timex": "annotations/timexes.jsonl", "quote": "annotations/quotes.jsonl"}


class Builder:
    """Text assembled piece by piece, remembering where the annotated pieces land (code points)."""

    def __init__(self):
        self.parts: list[str] = []
        self.length = 0

    def add(self, piece: str) -> tuple[int, int]:
        start = self.length
        self.parts.append(piece)
        self.length += len(piece)
        return start, self.length

    @property
    def text(self) -> str:
        return "".join(self.parts)


def registries(rng: random.Random) -> dict[str, list[dict]]:
    entities = [{"id": i, "name": n, "type": "ORG", "aliases": []} for i, n in ORGS]
    entities += [{"id": i, "name": n, "type": "GPE", "aliases": []} for i, n in PLACES]
    entities += [{"id": i, "name": n, "type": "PERSON", "aliases": []} for i, n in PEOPLE]
    entities += [{"id": i, "name": n, "type": "PRODUCT", "aliases": []} for i, n in PRODUCTS]
    speakers = [{"id": i, "name": n, "kind": "person", "affiliation": ORGS[k % len(ORGS)][0]} for k, (i, n) in enumerate(PEOPLE)]
    statements = [{"id": f"statement-{k:03d}", "speaker": PEOPLE[k % len(PEOPLE)][0], "channel": "press_statement",
                   "date": None, "description": f"Synthetic statement {k}"} for k in range(40)]
    return {"registry_entity": sorted(entities, key=lambda r: r["id"]), "registry_speaker": sorted(speakers, key=lambda r: r["id"]),
            "registry_statement": statements,
            "registry_annotator": [{"id": PROVENANCE["annotator"], "kind": "rule", "handle": "scripts/synth_corpus.py", "guidelines": [PROVENANCE["guideline"]]}]}


def document(rng: random.Random, number: int) -> tuple[dict, dict]:
    doc_id = f"synth-{number:07d}"
    published = datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(365))
    b, spans = Builder(), {"zone": [], "entity": [], "timex": [], "quote": []}

    def entity(kind_list, label):
        ident, name = rng.choice(kind_list)
        start, end = b.add(name)
        spans["entity"].append((start, end, label, ident))

    def zone(label, start):
        spans["zone"].append((start, b.length, label))

    # title
    start = b.length
    entity(ORGS, "ORG"); b.add(" moves "); entity(PRODUCTS, "PRODUCT"); b.add(" sales to partners in "); entity(PLACES, "GPE")
    zone("title", start); b.add("\n\n")
    start = b.length
    b.add("By\u00a0"); entity(PEOPLE, "PERSON"); zone("byline", start); b.add("\n")
    start = b.length
    t = b.add(f"{published.day} {MONTHS[published.month - 1][:3]}, {published.year}")
    spans["timex"].append((*t, "DATE", published.isoformat(), True))
    zone("dateline", start); b.add("\n\n")
    for paragraph in range(2):
        start = b.length
        entity(ORGS, "ORG"); b.add(" said on ")
        day = b.add(WEEKDAYS[published.weekday()])
        spans["timex"].append((*day, "DATE", published.isoformat(), False))
        b.add(" that its shares rose ")
        spans["entity"].append((*b.add(f"{rng.randrange(1, 20)}.{rng.randrange(10, 99)}%"), "PERCENT", None))
        b.add(" to ")
        spans["entity"].append((*b.add(f"${rng.randrange(100, 400)}.{rng.randrange(10, 99)}"), "MONEY", None))
        b.add(rng.choice([" 📈.", ".", "\u00a0."]))
        if paragraph == 0:
            b.add(" “")
            content = b.add(rng.choice(CLAIMS).capitalize())
            b.add(",” ")
            statement = rng.randrange(40)
            speaker_id = PEOPLE[statement % len(PEOPLE)][0]
            source = b.add(dict(PEOPLE)[speaker_id])
            spans["entity"].append((*source, "PERSON", speaker_id))
            b.add(" ")
            cue = b.add(rng.choice(VERBS))
            b.add(", speaking in ")
            entity(PLACES, "GPE")
            b.add(".")
            spans["quote"].append((content, source, cue, speaker_id, f"statement-{statement:03d}"))
        zone("body", start)
        b.add("\n\n" if paragraph == 0 else "")
    text = b.text
    records = {"zone": [], "entity": [], "timex": [], "quote": []}
    for n, (s, e, label) in enumerate(spans["zone"], start=1):
        records["zone"].append({"doc_id": doc_id, "id": f"z{n}", "start": s, "end": e, "text": text[s:e], "label": label, "article_index": 0, **PROVENANCE})
    for n, (s, e, label, ident) in enumerate(sorted(spans["entity"]), start=1):
        records["entity"].append({"doc_id": doc_id, "id": f"e{n}", "start": s, "end": e, "text": text[s:e], "label": label, "entity_id": ident, **PROVENANCE})
    for n, (s, e, kind, value, creation) in enumerate(sorted(spans["timex"]), start=1):
        records["timex"].append({"doc_id": doc_id, "id": f"t{n}", "start": s, "end": e, "text": text[s:e], "type": kind, "value": value,
                                 "mod": None, "article_index": 0, "creation_time": creation, **PROVENANCE})
    for n, ((s, e), (ss, se), (cs, ce), speaker, statement) in enumerate(spans["quote"], start=1):
        records["quote"].append({"doc_id": doc_id, "id": f"q{n}", "start": s, "end": e, "text": text[s:e], "type": "direct",
                                 "cue_start": cs, "cue_end": ce, "cue_text": text[cs:ce], "source_start": ss, "source_end": se,
                                 "source_text": text[ss:se], "speaker": speaker, "statement_id": statement, **PROVENANCE})
    raw = text.encode("utf-8")
    meta = {
        "document": {"doc_id": doc_id, "source_file": f"{doc_id}.txt", "sha256": hashlib.sha256(raw).hexdigest(), "outlet": "Synthetic Wire",
                     "outlet_evidence": "generated by scripts/synth_corpus.py", "url": None,
                     "language": "en", "rights": "synthetic text, no rights reserved", "derived_from": []},
        "article": {"doc_id": doc_id, "article_index": 0, "title": text[: text.index("\n")], "authors": [], "published": published.isoformat(),
                    "published_evidence": "stated", "published_reason": "the dateline"},
    }
    return {"text": text, "raw": raw, **meta}, records


def write_corpus(out: Path, documents: int, seed: int = 0) -> dict[str, int]:
    """Write the repository; returns record counts per kind."""
    sys.path.insert(0, str(ROOT / "src"))
    from zoomnews.sources.jsonl import iter_lines
    from zoomnews.sources.schemas import load_kinds
    from zoomnews import CorpusRepo
    from zoomnews.repo import scaffold

    kinds = load_kinds(CorpusRepo(ROOT))
    rng = random.Random(seed)
    scaffold(out, ROOT / "schema", "1.0.0", "synthetic zoomnews corpus")
    counts = {}
    for kind, records in registries(rng).items():
        (out / kinds[kind].source).write_text("".join(iter_lines(records, kinds[kind].fields)), encoding="utf-8")
        counts[kind] = len(records)
    files = {kind: open(out / kinds[kind].source, "w", encoding="utf-8", newline="\n") for kind in ("document", "article", *LAYER_FILES)}
    counts.update({kind: 0 for kind in files})
    try:
        for number in range(documents):  # doc ids ascend, so per-document order is canonical order
            doc, records = document(rng, number)
            (out / "corpus" / "raw" / f"{doc['document']['doc_id']}.txt").write_bytes(doc["raw"])
            for kind in ("document", "article"):
                files[kind].write("".join(iter_lines([doc[kind]], kinds[kind].fields)))
                counts[kind] += 1
            for kind, rows in records.items():
                files[kind].write("".join(iter_lines(rows, kinds[kind].fields)))
                counts[kind] += len(rows)
    finally:
        for f in files.values():
            f.close()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts = write_corpus(args.out, args.documents, args.seed)
    spans = sum(counts[k] for k in LAYER_FILES)
    print(json.dumps({"documents": args.documents, "spans": spans, **counts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
