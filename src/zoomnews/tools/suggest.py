"""`zoomnews suggest`: a rule-based pre-annotator for a new article. Its output is suggestions for an
annotator to accept — source records marked `method: rule` and Label Studio predictions — never gold.

- zones: every non-blank line; the first is the title, the rest body (the annotator refines labels);
- entities: the registry's names and aliases, longest match first, whole words, no overlaps;
- timexes: weekdays, dates, months, years and relative expressions, resolved against the creation
  time (the article's date): a bare weekday is the latest such day on or before it, a bare month the
  latest such month;
- quotations: text between quotation marks of any style (“…”, "…", ‘…’, and mismatched pairs such as
  “…"), with the cue verb and the source mention next to it ("…,” Zoom said / said a spokesperson),
  and the speaker looked up in the speaker registry by the source's words.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

GUIDELINE = "1.0.0"
PROVENANCE = {"annotator": "suggest", "method": "rule", "guideline": GUIDELINE}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
MONTH = r"(?P<month>Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|Aug(?:ust|\.)?|Sept?(?:ember|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)"
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a": 1}
UNITS = {"day": "D", "week": "W", "month": "M", "year": "Y"}
TIMEX_PATTERNS = [  # most specific first; each gives (type, value) from the match and the creation time
    ("full", re.compile(rf"\b{MONTH}\s+(?P<day>\d{{1,2}}),?\s+(?P<year>(?:19|20)\d\d)\b")),
    ("dayfirst", re.compile(rf"\b(?P<day>\d{{1,2}})\s+{MONTH},?\s+(?P<year>(?:19|20)\d\d)\b")),
    ("monthday", re.compile(rf"\b{MONTH}\s+(?P<day>\d{{1,2}})\b(?!,?\s*(?:19|20)\d\d)")),
    ("monthyear", re.compile(rf"\b{MONTH}\s+(?P<year>(?:19|20)\d\d)\b")),
    ("weekday", re.compile(r"\b(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")),
    ("duration", re.compile(r"\b(?P<number>\d+|one|two|three|four|five|six|seven|eight|nine|ten|a)\s+(?P<unit>day|week|month|year)s?\b(?!\s+ago)", re.I)),
    ("relative", re.compile(r"\b(?P<phrase>today|yesterday|tomorrow|this year|last year|next year|this month|last month|this week|last week|recently|now|currently)\b", re.I)),
    ("month", re.compile(r"\b(?:in|In|since|Since|by|By|until|Until)\s+(?P<month>January|February|March|April|May|June|July|August|September|October|November|December)\b")),
    ("year", re.compile(r"\b(?P<year>(?:19|20)\d\d)\b")),
]
CUE_VERBS = r"said|says|told|added|wrote|stated|confirmed|explained|noted|announced|according to"
AFTER = re.compile(rf"^[,.]?\s*(?P<source>[^,.;“”\"\n]{{1,60}}?)\s+(?P<cue>{CUE_VERBS})\b|^[,.]?\s*(?P<cue2>{CUE_VERBS})\s+(?P<source2>[^,.;“”\"\n]{{1,60}}?)(?=[,.;]|$)")
BEFORE = re.compile(rf"(?P<source>[A-Z][^,.;“”\"\n]{{0,60}}?)\s+(?P<cue>{CUE_VERBS})\s*[:,]?\s*$")


@dataclass
class Suggestions:
    doc_id: str
    text: str
    layers: dict[str, list[dict]]


def _month(name: str) -> int:
    return next(i for i, m in enumerate(MONTHS, start=1) if m.startswith(name.lower().rstrip(".")[:3]))


def resolve(kind: str, m: re.Match, dct: dt.date) -> tuple[str, str] | None:
    """(TIMEX3 type, value) of a matched expression, against the creation time `dct`."""
    if kind in ("full", "dayfirst"):
        try:
            return "DATE", dt.date(int(m["year"]), _month(m["month"]), int(m["day"])).isoformat()
        except ValueError:
            return None
    if kind == "monthday":
        try:
            return "DATE", dt.date(dct.year, _month(m["month"]), int(m["day"])).isoformat()
        except ValueError:
            return None
    if kind == "monthyear":
        return "DATE", f"{int(m['year']):04d}-{_month(m['month']):02d}"
    if kind == "weekday":
        back = (dct.weekday() - WEEKDAYS.index(m["weekday"].lower())) % 7
        return "DATE", (dct - dt.timedelta(days=back)).isoformat()
    if kind == "month":
        month = _month(m["month"])
        return "DATE", f"{dct.year if month <= dct.month else dct.year - 1:04d}-{month:02d}"
    if kind == "year":
        return "DATE", m["year"]
    if kind == "duration":
        number = m["number"].lower()
        return "DURATION", f"P{NUMBERS.get(number, number)}{UNITS[m['unit'].lower()]}"
    phrase = m["phrase"].lower()
    fixed = {"today": dct.isoformat(), "yesterday": (dct - dt.timedelta(days=1)).isoformat(),
             "tomorrow": (dct + dt.timedelta(days=1)).isoformat(), "this year": str(dct.year), "last year": str(dct.year - 1),
             "next year": str(dct.year + 1), "this month": f"{dct.year}-{dct.month:02d}",
             "last month": f"{(dct.replace(day=1) - dt.timedelta(days=1)):%Y-%m}",
             "this week": f"{dct.isocalendar().year}-W{dct.isocalendar().week:02d}",
             "last week": f"{(dct - dt.timedelta(days=7)).isocalendar().year}-W{(dct - dt.timedelta(days=7)).isocalendar().week:02d}",
             "recently": "PAST_REF", "now": "PRESENT_REF", "currently": "PRESENT_REF"}
    return "DATE", fixed[phrase]


def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= a or b <= start for a, b in taken)


def suggest_timexes(doc_id: str, text: str, dct: dt.date) -> list[dict]:
    found, taken = [], []
    for kind, pattern in TIMEX_PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span()
            if kind == "month":
                start = m.start("month")
            if not _free(taken, start, end):
                continue
            resolved = resolve(kind, m, dct)
            if resolved is None:
                continue
            taken.append((start, end))
            found.append((start, end, *resolved))
    return [{"doc_id": doc_id, "id": f"t{n}", "start": s, "end": e, "text": text[s:e], "type": kind, "value": value, "mod": None,
             "article_index": 0, "creation_time": False, **PROVENANCE} for n, (s, e, kind, value) in enumerate(sorted(found), start=1)]


def suggest_entities(doc_id: str, text: str, registry: list[dict]) -> list[dict]:
    names = sorted({(name, e["id"], e["type"]) for e in registry for name in [e["name"], *e.get("aliases", [])] if len(name) > 1},
                   key=lambda n: -len(n[0]))
    found, taken = [], []
    for name, entity_id, label in names:
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            if _free(taken, *m.span()):
                taken.append(m.span())
                found.append((m.start(), m.end(), label, entity_id))
    return [{"doc_id": doc_id, "id": f"e{n}", "start": s, "end": e, "text": text[s:e], "label": label, "entity_id": entity_id, **PROVENANCE}
            for n, (s, e, label, entity_id) in enumerate(sorted(found), start=1)]


def _speaker(source: str, speakers: list[dict], entities: list[dict]) -> str | None:
    words = source.lower()
    for speaker in sorted(speakers, key=lambda s: -len(s["name"])):
        name = speaker["name"].lower()
        if name in words or (len(name.split()) > 1 and name.split()[-1] in words.split()):
            return speaker["id"]
    for entity in entities:  # "a Zoom spokesperson": the organisation's spokesperson role, or the organisation
        for name in [entity["name"], *entity.get("aliases", [])]:
            if re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", words):
                roles = [s for s in speakers if s["affiliation"] == entity["id"]]
                if "spokes" in words or "representative" in words:
                    role = next((s for s in roles if s["kind"] == "spokesperson_role"), None)
                    if role:
                        return role["id"]
                org = next((s for s in speakers if s["id"] == entity["id"]), None)
                return org["id"] if org else (roles[0]["id"] if roles else None)
    return None


DOUBLE_MARKS = re.compile(r"[“”\"]")
SINGLE_PAIR = re.compile(r"(?<![\w])‘(?P<content>[^‘’\n]{8,}?)’(?!\w)")


def quote_spans(text: str) -> list[tuple[int, int, int, int]]:
    """(open mark, content start, content end, close mark) of every quotation. Double marks of any style
    pair up in order within a line, so mismatched pairs (“…“, "…”) still delimit a quotation; single
    curly quotes pair only as ‘…’ (a ’ inside or after a word is an apostrophe)."""
    found, position = [], 0
    for line in text.split("\n"):
        marks = [m.start() for m in DOUBLE_MARKS.finditer(line)]
        for a, b in zip(marks[::2], marks[1::2]):
            if b - a > 8:
                found.append((position + a, position + a + 1, position + b, position + b + 1))
        for m in SINGLE_PAIR.finditer(line):
            found.append((position + m.start(), position + m.start("content"), position + m.end("content"), position + m.end()))
        position += len(line) + 1
    return sorted(found)


ANAPHORS = re.compile(r"^(?:the|The) (?:company|business|firm|organisation|organization|group)$")


def suggest_quotes(doc_id: str, text: str, speakers: list[dict], entities: list[dict], mentions: list[dict] = ()) -> list[dict]:
    """Quotations; `mentions` (suggested entity mentions) resolve "the company" to the organisation named last before it."""
    speaker_ids = {s["id"] for s in speakers}
    quotes = []
    for opening, start, end, closing in quote_spans(text):
        content_end = end - 1 if text[end - 1] in ",." else end  # “…,” said: the comma is the writer's
        record = {"doc_id": doc_id, "id": f"q{len(quotes) + 1}", "start": start, "end": content_end, "text": text[start:content_end],
                  "type": "direct", "cue_start": None, "cue_end": None, "cue_text": None, "source_start": None, "source_end": None,
                  "source_text": None, "speaker": None, "statement_id": None, **PROVENANCE}
        line_end = text.find("\n", closing)
        after = text[closing:line_end if line_end >= 0 else len(text)]
        hit = AFTER.search(after)
        source = cue = None
        if hit:
            if hit["cue"]:
                source, cue = (closing + hit.start("source"), closing + hit.end("source")), (closing + hit.start("cue"), closing + hit.end("cue"))
            else:
                cue, source = (closing + hit.start("cue2"), closing + hit.end("cue2")), (closing + hit.start("source2"), closing + hit.end("source2"))
        else:
            line_start = text.rfind("\n", 0, opening) + 1
            before = BEFORE.search(text[line_start:opening])
            if before:
                source = (line_start + before.start("source"), line_start + before.end("source"))
                cue = (line_start + before.start("cue"), line_start + before.end("cue"))
        if cue:
            record.update(cue_start=cue[0], cue_end=cue[1], cue_text=text[cue[0]:cue[1]])
        if source:
            words = text[source[0]:source[1]]
            speaker = _speaker(words, speakers, entities)
            if speaker is None and ANAPHORS.match(words):
                named = [m for m in mentions if m["end"] <= source[0] and m["label"] == "ORG" and m["entity_id"] in speaker_ids]
                speaker = named[-1]["entity_id"] if named else None
            record.update(source_start=source[0], source_end=source[1], source_text=words, speaker=speaker)
        quotes.append(record)
    return quotes


def suggest_zones(doc_id: str, text: str) -> list[dict]:
    zones, position = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = position + len(line) - len(line.lstrip())
            zones.append({"doc_id": doc_id, "id": f"z{len(zones) + 1}", "start": start, "end": start + len(stripped), "text": stripped,
                          "label": "title" if not zones else "body", "article_index": 0, **PROVENANCE})
        position += len(line) + 1
    return zones


def suggest(doc_id: str, text: str, dct: dt.date, registry: list[dict], speakers: list[dict]) -> Suggestions:
    entities = suggest_entities(doc_id, text, registry)
    return Suggestions(doc_id, text, {
        "zone": suggest_zones(doc_id, text),
        "entity": entities,
        "timex": suggest_timexes(doc_id, text, dct),
        "quote": suggest_quotes(doc_id, text, speakers, registry, entities),
    })


def evaluate_suggestions(corpus) -> dict[str, dict]:
    """suggest against the gold, every document leave-one-document-out (registries as the other documents attest them, scoring.fold_registries), micro-averaged per layer."""
    from zoomnews.tools.agreement import exact_pairs, prf
    from zoomnews.formats.common import Bundle
    from zoomnews.sources.schemas import LAYER_NAMES
    from zoomnews.tools.scoring import fold_registries, ner_spans, score_attribution, score_ner, score_timex

    published = {a["doc_id"]: a["published"] for a in corpus.rows("article") if a["article_index"] == 0}
    layers = {**{name: corpus.rows(kind) for kind, name in LAYER_NAMES.items()},
              "entity_registry": corpus.rows("registry_entity"), "speaker_registry": corpus.rows("registry_speaker")}
    predicted = {layer: [] for layer in ("zone", "entity", "timex", "quote")}
    for doc_id, text in sorted(corpus.texts.items()):
        entities, speakers = fold_registries(layers, [d for d in corpus.texts if d != doc_id])  # what the other documents attest
        result = suggest(doc_id, text, dt.date.fromisoformat(published[doc_id]), entities, speakers)
        for layer, records in result.layers.items():
            predicted[layer] += records
    gold = {layer: corpus.rows(layer) for layer in predicted}
    zones = prf(exact_pairs(gold["zone"], predicted["zone"], None), gold["zone"], predicted["zone"]).as_dict()
    entities = score_ner(ner_spans(Bundle({}, {"entity": gold["entity"], "timex": []})),
                         ner_spans(Bundle({}, {"entity": predicted["entity"], "timex": []})))["micro"]
    timex = score_timex(gold["timex"], predicted["timex"])
    quotes = score_attribution(gold["quote"], predicted["quote"])
    return {
        "zones (exact span)": {k: zones[k] for k in ("precision", "recall", "f1")},
        "entities (strict)": {k: entities["strict"][k] for k in ("precision", "recall", "f1")},
        "entities (partial)": {k: entities["partial"][k] for k in ("precision", "recall", "f1")},
        "timexes (strict span)": {k: timex["strict"][k] for k in ("precision", "recall", "f1")},
        "timexes (relaxed span)": {k: timex["relaxed"][k] for k in ("precision", "recall", "f1")},
        "timexes (value F1)": {"precision": None, "recall": None, "f1": timex["value_f1"]},
        "quotes (content overlap)": {k: quotes["content_overlap"][k] for k in ("precision", "recall", "f1")},
        "quotes (speaker accuracy)": {"precision": None, "recall": None, "f1": quotes["speaker_accuracy"]},
    }


def evaluation_table(figures: dict[str, dict]) -> str:
    from zoomnews.tools.markdown import table

    show = lambda v: "–" if v is None else f"{v:.3f}"
    return table(["layer", "precision", "recall", "F1"], [[name, show(f["precision"]), show(f["recall"]), show(f["f1"])] for name, f in figures.items()])


def suggest_for(repo, target: str, published: str | None = None, doc_id: str | None = None) -> Suggestions:
    """Suggestions for a document of the corpus (by doc_id) or a raw file, with the corpus's registries.
    A file's doc_id (given, or made from its name) must be a doc_id (ZN112): it names the output folder."""
    from pathlib import Path

    from zoomnews.errors import Problem, ZoomnewsError
    from zoomnews.safeio import read_bytes
    from zoomnews.sources.corpus import check_doc_id, decode_raw, read_corpus

    corpus = read_corpus(repo)
    if target in corpus.texts:
        doc_id, text = target, corpus.texts[target]
        published = published or _first_published(corpus, target)
    else:
        try:
            data = read_bytes(target, target)  # a FIFO is refused (ZN114), never waited on
        except FileNotFoundError:
            raise ZoomnewsError(Problem(target, None, "ZN401", "neither a doc_id of the corpus nor a file")) from None
        text, problems = decode_raw(data, target)
        if text is None:
            raise ZoomnewsError(problems)
        doc_id = doc_id or re.sub(r"[^a-z0-9-]+", "-", Path(target).stem.lower())[:64].strip("-") or "new-document"
        check_doc_id(corpus.kinds, doc_id)
        if published is None:
            raise ZoomnewsError(Problem("--published", None, "ZN201", "a file needs --published YYYY-MM-DD (the creation time timexes resolve against)"))
    try:
        dct = dt.date.fromisoformat(published)
    except (TypeError, ValueError):
        raise ZoomnewsError(Problem("--published", None, "ZN201", f"{published!r} is not a date YYYY-MM-DD")) from None
    return suggest(doc_id, text, dct, corpus.rows("registry_entity"), corpus.rows("registry_speaker"))


def suggestion_inputs(corpus, doc_id: str) -> tuple[dt.date, list[dict], list[dict]]:
    """What suggest takes for a corpus document besides its text: the creation time (its first
    article's date) and the corpus's entity and speaker registries."""
    return dt.date.fromisoformat(_first_published(corpus, doc_id)), corpus.rows("registry_entity"), corpus.rows("registry_speaker")


def _first_published(corpus, doc_id: str) -> str:
    """The date of a corpus document's first article (its creation time), or a coded refusal."""
    for article in corpus.rows("article"):
        if article.get("doc_id") == doc_id and article.get("article_index") == 0:
            return article.get("published")
    from zoomnews.errors import Problem, ZoomnewsError

    raise ZoomnewsError(Problem("corpus/articles.jsonl", None, "ZN404", f"{doc_id} has no article 0 to take the date from; pass --published"))


def write_suggestions(repo, result: Suggestions, out, fmt: str) -> list[str]:
    """Write suggestions as source records (a folder like annotations/) or Label Studio predictions,
    as folder `out`, built beside it and swapped in whole; never into annotations/ or another source folder."""
    from pathlib import Path

    from zoomnews import __version__
    from zoomnews.sources.canonical import canonical_text
    from zoomnews.formats import PROTECTED
    from zoomnews.formats.common import Bundle
    from zoomnews.sources.schemas import LAYER_NAMES
    from zoomnews.safeio import replace_folder
    from zoomnews.sources.schemas import load_kinds

    out = Path(out)
    kinds = load_kinds(repo)

    def fill(folder: Path) -> list[str]:
        if fmt == "labelstudio":
            from zoomnews.formats.labelstudio import export

            export(Bundle({result.doc_id: result.text}, result.layers), folder, repo, predictions=f"zoomnews-suggest-{__version__}")
            return [str(out / "tasks.json")]
        written = []
        for layer, records in result.layers.items():
            name = f"{LAYER_NAMES[layer]}.jsonl"
            (folder / name).write_text(canonical_text(records, kinds[layer]), encoding="utf-8", newline="\n")
            written.append(str(out / name))
        return written

    return replace_folder(out, fill, f"suggest --format {fmt}", repo.root, PROTECTED)
