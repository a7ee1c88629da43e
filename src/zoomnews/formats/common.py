"""What every exchange format shares: a Bundle (texts + the four span layers), span type names,
restoring what a lossy format cannot carry from the records it was exported from, and the rules
every importer applies to what it reads.

Offsets inside a Bundle are always code points. Each format converts at its edge (its module says
which unit it uses) and nowhere else, through `Units.into`: an offset is a JSON integer (never a
float, bool or string) inside the text in the format's unit.

Import rules, each in one function here: files are read through zoomnews.safeio (no symbolic link,
FIFO or folder); JSON strictly (zoomnews.sources.jsonl: no NaN, no repeated key); every value must be one the
sources can store (`plain`); doc_ids, ids and labels follow the schemas; a note or attribute never
sets a record's document, id, offsets or text (`settable`); and `check_records` is the last gate
before anything is written. Anything else a file holds is refused with a coded problem naming the
file (and line), never skipped.
"""

from __future__ import annotations

import json
import math
import re
import reprlib
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.sources.offsets import OffsetError, OffsetMap
from zoomnews.sources.schemas import SPAN_KINDS, load_kinds

LABEL_FIELD = {"zone": "label", "entity": "label", "timex": "type", "quote": "type"}
ID_PREFIX = {"zone": "z", "entity": "e", "timex": "t", "quote": "q"}
# span type names shared by brat, doccano and CoNLL: entities keep their OntoNotes label
TYPE_PREFIX = {"zone": "Zone_", "timex": "TIMEX3_", "quote": "Quote_"}
CUE, SOURCE = "Cue", "Source"  # a quotation's cue and source spans, linked to it by relations
SPAN_PARTS = ("cue", "source")
SPAN_FIELDS = ("doc_id", "id", "start", "end", "text")


@dataclass
class Bundle:
    texts: dict[str, str]
    layers: dict[str, list[dict]] = field(default_factory=lambda: {layer: [] for layer in SPAN_KINDS})

    def records(self, layer: str, doc_id: str) -> list[dict]:
        return [r for r in self.layers[layer] if r["doc_id"] == doc_id]

    def add_document(self, doc_id: str, text, at: At, raw: dict[str, str] | None = None) -> None:
        """A document read from an import; once only (a second copy would be merged or lost silently).
        With `raw` (the corpus's texts), a text that is not its document's raw text is refused before
        any of its spans is read: their offsets count in the changed text (ZN603 says how it changed)."""
        if not isinstance(text, str):
            raise at.refuse("ZN602", f"the text of {doc_id} is a {type(text).__name__}, not a string")
        if doc_id in self.texts:
            raise at.refuse("ZN602", f"document {doc_id} appears twice in the import")
        if raw is not None and doc_id in raw and text != raw[doc_id]:
            raise at.refuse("ZN603", text_changed(doc_id, text, raw[doc_id]))
        self.texts[doc_id] = text


def bundle_from_repo(repo, doc_ids: list[str] | None = None) -> Bundle:
    from zoomnews.sources.corpus import read_corpus

    return bundle_from_corpus(read_corpus(repo), doc_ids)


def bundle_from_corpus(corpus, doc_ids: list[str] | None = None) -> Bundle:
    from zoomnews.sources.corpus import canonical_key

    if corpus.problems:
        raise ZoomnewsError(corpus.problems)
    chosen = sorted(corpus.texts) if not doc_ids else doc_ids
    unknown = [d for d in chosen if d not in corpus.texts]
    if unknown:
        raise ZoomnewsError(Problem("corpus/documents.jsonl", None, "ZN401", f"no document {', '.join(unknown)}"))
    layers = {layer: sorted((r for r in corpus.rows(layer) if r["doc_id"] in chosen), key=canonical_key(corpus.kinds[layer]))
              for layer in SPAN_KINDS}
    return Bundle({d: corpus.texts[d] for d in chosen}, layers)


def field_order(repo) -> dict[str, list[str]]:
    kinds = load_kinds(repo)
    return {layer: list(kinds[layer].fields) for layer in SPAN_KINDS}


def core_fields(layer: str) -> set[str]:
    """A record's span, id and label (and a quotation's cue and source spans): what no note sets."""
    core = {*SPAN_FIELDS, LABEL_FIELD[layer]}
    if layer == "quote":
        core |= {f"{part}_{end}" for part in SPAN_PARTS for end in ("start", "end", "text")}
    return core


def attributes(layer: str, record: dict) -> dict:
    """The fields of a record beyond its span and label: what formats without attributes lose."""
    core = core_fields(layer)
    return {k: v for k, v in record.items() if k not in core}


def span_type(layer: str, label: str) -> str:
    return TYPE_PREFIX.get(layer, "") + label


def parse_span_type(name: str) -> tuple[str, str]:
    """(layer, label) of a span type name; Cue/Source give ("cue"|"source", "")."""
    if name in (CUE, SOURCE):
        return name.lower(), ""
    for layer, prefix in TYPE_PREFIX.items():
        if name.startswith(prefix):
            return layer, name[len(prefix):]
    return "entity", name


class Units:
    """Code points <-> a format's offset unit, per document text."""

    def __init__(self, unit: str):
        if unit not in ("codepoint", "utf16"):
            raise ZoomnewsError(Problem("--units", None, "ZN602", f"unknown offset unit {unit!r}: codepoint or utf16"))
        self.unit = unit
        self._maps: dict[str, OffsetMap] = {}

    def _map(self, text: str) -> OffsetMap:
        if text not in self._maps:
            self._maps[text] = OffsetMap(text)
        return self._maps[text]

    def out(self, text: str, offset: int) -> int:
        return offset if self.unit == "codepoint" else int(self._map(text).cp_to_utf16(offset))

    def length(self, text: str) -> int:
        return len(text) if self.unit == "codepoint" else int(self._map(text).utf16[-1])

    def into(self, text: str | None, offset, at: At) -> int:
        """An imported offset as a code point: the one check every format's offsets pass (ZN601).
        `text` None: a text unknown here (agree's folders), so only its start bounds the offset."""
        if type(offset) is not int:  # bool is an int; 56.7, 1e30 and "5" are not offsets (int() would round or parse them)
            raise at.refuse("ZN601", f"offset {shown(offset)} is not an integer")
        if text is None:
            if offset < 0:
                raise at.refuse("ZN601", f"offset {offset} is negative")
            return offset
        if not 0 <= offset <= self.length(text):  # checked before numpy sees it: it would overflow, not refuse
            raise at.refuse("ZN601", f"offset {offset} outside the text (0..{self.length(text)} {'code points' if self.unit == 'codepoint' else 'UTF-16 code units'})")
        if self.unit == "codepoint":
            return offset
        try:
            return int(self._map(text).utf16_to_cp(offset))
        except OffsetError as e:
            raise at.refuse("ZN601", f"UTF-16 offset {offset}: {e}") from None

    def span(self, text: str | None, start, end, at: At) -> tuple[int, int]:
        """(start, end) in code points, a non-empty span of the text (ZN601)."""
        start, end = self.into(text, start, at), self.into(text, end, at)
        if start >= end:
            raise at.refuse("ZN601", f"span {start}-{end} is empty or reversed")
        return start, end


CODEPOINTS = Units("codepoint")


def next_ids(bundle: Bundle) -> dict[tuple[str, str], int]:
    """Per (layer, doc), the next free numeric id: new spans made in a tool get z/e/t/q + number."""
    counters: dict[tuple[str, str], int] = {}
    for layer, records in bundle.layers.items():
        for r in records:
            number = re.fullmatch(f"{ID_PREFIX[layer]}([0-9]{{1,9}})", r["id"]) if isinstance(r.get("id"), str) else None
            if number and isinstance(r.get("doc_id"), str):  # ids of an invalid corpus are left to validate
                key = (layer, r["doc_id"])
                counters[key] = max(counters.get(key, 1), int(number.group(1)) + 1)
    return counters


def new_id(counters: dict, layer: str, doc_id: str) -> str:
    number = counters.get((layer, doc_id), 1)
    counters[(layer, doc_id)] = number + 1
    return f"{ID_PREFIX[layer]}{number}"


def restore(spans: list[tuple[str, str, int, int, str]], parts: list[tuple[str, str, int, int]], texts: dict[str, str],
            base: Bundle | None, defaults: dict[str, dict], at: At, lines: dict[str, At] | None = None) -> tuple[Bundle, list[str]]:
    """Records from bare spans (layer, doc_id, start, end, label) and quote parts (part, doc_id, start, end),
    with ids and attributes taken from `base` where a base record has the same layer, document and
    offsets; spans with no such record get a new id and `defaults` (reported as needing completion).
    These formats keep no links: a quotation keeps its cue and source where they were. A part linked to
    no quotation is noted and left out (a new quotation's cue, or one whose quotation was deleted); but
    a part no quotation had, where a quotation of its document lost its part of that kind, was moved,
    and the import is refused (ZN602, at `at`): it used to import as the quotation losing its cue, with
    only a note about the span. `lines`: where each document was read, when the format has lines."""
    bundle = Bundle(dict(texts))
    notes: list[str] = []
    known = {}
    if base is not None:
        for layer, records in base.layers.items():
            for r in records:
                if usable_span(r, ""):  # a corpus record with broken offsets matches nothing (validate reports it)
                    known[(layer, r["doc_id"], r["start"], r["end"])] = r
    counters = next_ids(base) if base is not None else {}
    present_parts = set(parts)
    labels: dict[tuple, list[str]] = {}
    for layer, doc_id, start, end, label in spans:
        labels.setdefault((layer, doc_id, start, end), []).append(label)
    twice = Refusals()  # (each would be the same record twice: "id e1 appears twice", an id the tool never showed)
    for (layer, doc_id, start, end), given in labels.items():
        if len(given) > 1:
            with twice.each():
                raise (lines or {}).get(doc_id, at).inside(doc_id).refuse("ZN602", f"{len(given)} {layer} spans at code points {start}-{end} {shown(texts[doc_id][start:end])} "
                                                        f"({', '.join(given)}): one span, one label; delete the others")
    twice.raise_any()
    for layer, doc_id, start, end, label in spans:
        text = texts[doc_id]
        old = known.get((layer, doc_id, start, end))
        record = {"doc_id": doc_id, "id": old["id"] if old else new_id(counters, layer, doc_id),
                  "start": start, "end": end, "text": text[start:end], LABEL_FIELD[layer]: label}
        if old:
            record.update(attributes(layer, old))
        else:
            record.update(defaults[layer])
            notes.append(f"{doc_id}: new {layer} {record['id']} {text[start:end]!r}: complete {', '.join(sorted(defaults[layer]))}")
        if layer == "quote":
            for part in SPAN_PARTS:
                s, e = (old[f"{part}_start"], old[f"{part}_end"]) if old and usable_span(old, f"{part}_") else (None, None)
                still = s is not None and (part, doc_id, s, e) in present_parts
                record.update({f"{part}_start": s if still else None, f"{part}_end": e if still else None,
                               f"{part}_text": text[s:e] if still else None})
        bundle.layers[layer].append(record)
    linked = {(p, r["doc_id"], r[f"{p}_start"], r[f"{p}_end"]) for r in bundle.layers["quote"] for p in SPAN_PARTS
              if r[f"{p}_start"] is not None}
    lost: dict[tuple[str, str], list[dict]] = {}  # (part, doc_id) -> the quotations that had such a part and lost it
    for record in bundle.layers["quote"]:
        old = known.get(("quote", record["doc_id"], record["start"], record["end"]))
        for part in SPAN_PARTS:
            if old and usable_span(old, f"{part}_") and record[f"{part}_start"] is None:
                lost.setdefault((part, record["doc_id"]), []).append(old)
    owned = {(p, r["doc_id"], r[f"{p}_start"], r[f"{p}_end"]) for r in known.values() if "cue_start" in r
             for p in SPAN_PARTS if usable_span(r, f"{p}_")}  # the parts the base's quotations have
    refusals = Refusals()
    for part, doc_id, start, end in sorted(set(parts)):  # (a span given twice is one span)
        if (part, doc_id, start, end) in linked:
            continue
        text = texts[doc_id]
        if (part, doc_id) not in lost or (part, doc_id, start, end) in owned:  # (owned: its quotation was deleted)
            notes.append(f"{doc_id}: {part} span {start}-{end} {text[start:end]!r} is linked to no quotation; not imported")
            continue
        had = [f"{q['id']} (at {q[f'{part}_start']}-{q[f'{part}_end']} {shown(text[q[f'{part}_start']:q[f'{part}_end']])})" for q in lost[(part, doc_id)]]
        with refusals.each():
            raise (lines or {}).get(doc_id, at).inside(doc_id).refuse("ZN602", f"{part} span {shown(text[start:end])} at code points {start}-{end} is linked to no quotation, and "
                                                    f"{' and '.join(had)} lost {'its' if len(had) == 1 else 'their'} {part}: this format keeps no links, so a quotation's {part} stays "
                                                    f"where it was; put it back, or move it in Label Studio, brat or XMI (or in "
                                                    f"annotations/quotes.jsonl)", field=f"{part}_start")
    refusals.raise_any()
    return bundle, notes


def ner_layer(name: str, known_type: str | None) -> tuple[str, str]:
    """(layer, label) of a span with an OntoNotes NER type (CoNLL tags, spaCy's doc.ents): DATE and TIME
    are timexes, the others entities. A timex keeps `known_type`, the type of the record already at
    its offsets, when that type is shown as `name` (DURATION and SET are exported as DATE)."""
    from zoomnews.release.views import TIMEX_TO_ONTONOTES

    if name in TIMEX_TO_ONTONOTES.values():
        return "timex", known_type if known_type and TIMEX_TO_ONTONOTES.get(known_type) == name else name
    return "entity", name


def usable_span(record: dict, prefix: str = "") -> bool:
    """Whether a corpus record's span (or its cue/source span) is a usable (doc_id, start, end) key."""
    return (isinstance(record.get("doc_id"), str) and type(record.get(f"{prefix}start")) is int
            and type(record.get(f"{prefix}end")) is int)


# --- import rules -------------------------------------------------------------------------------

_shown = reprlib.Repr()
_shown.maxstring, _shown.maxother, _shown.maxlevel = 60, 60, 3


def shown(value) -> str:
    """A value from an import file, short and printable (repr escapes lone surrogates; depth is capped)."""
    return _shown.repr(value)


@dataclass(frozen=True)
class At:
    """Where in an import something was read: the file, the line when the format has lines, and what
    (a task, a region, a record), so every refusal names it."""

    file: str
    line: int | None = None
    what: str = ""

    def on(self, line: int | None) -> At:
        return replace(self, line=line)

    def inside(self, what: str) -> At:
        return replace(self, what=f"{self.what}, {what}" if self.what else what)

    def refuse(self, code: str, message: str, field: str | None = None) -> ZoomnewsError:
        return ZoomnewsError(Problem(self.file, self.line, code, f"{self.what}: {message}" if self.what else message, field))


class Refusals:
    """An import's refusals gathered item by item (a line, a task, a region, a file), so that one run
    names every refused item, not the first alone: an item refused is left out and the rest read on;
    `raise_any` then refuses the import with them all (nothing is written)."""

    def __init__(self):
        self.problems: list[Problem] = []

    @contextmanager
    def each(self):
        try:
            yield
        except ZoomnewsError as error:
            self.problems.extend(error.problems)

    def raise_any(self) -> None:
        if self.problems:
            raise ZoomnewsError(self.problems)


def text_changed(doc_id: str, text: str, raw: str) -> str:
    """ZN603's message: an imported document's text is not its raw text (and how)."""
    return f"the text of {doc_id} differs from corpus/raw/{doc_id}.txt ({how_texts_differ(text, raw)}): the tool changed the document, so its offsets cannot be trusted"


def how_texts_differ(text: str, raw: str) -> str:
    """How an imported text differs from the raw one, said so that the fix is plain: each of the usual
    culprits it shows (a byte-order mark, CRLF line endings, Unicode normalization, newlines at the
    end; a Windows editor often adds several), else where the texts part."""
    import unicodedata

    undo = [("it starts with a byte-order mark (save it as UTF-8 without one)", lambda t: t.removeprefix("\ufeff")),
            ("its lines end in CRLF (an editor or git's core.autocrlf converted them; convert it back to LF, e.g. dos2unix)",
             lambda t: t.replace("\r\n", "\n")),
            ("it is not in Unicode NFC, as the raw text is (a tool decomposed its accents)", lambda t: unicodedata.normalize("NFC", t)),
            ("it has other newlines at its end", lambda t: t.rstrip("\n") + raw[len(raw.rstrip("\n")):])]
    causes = []
    for cause, fix in undo:
        fixed = fix(text)
        if fixed != text:
            causes.append(cause)
            text = fixed
    if text == raw and causes:
        return "; ".join(causes) + ", and nothing else"
    at = next((k for k, (a, b) in enumerate(zip(text, raw)) if a != b), min(len(text), len(raw)))
    where = f"from character {at}: {text[at:at + 20]!r} vs {raw[at:at + 20]!r}"
    return "; ".join([*causes, f"and{' then' if causes else ''} the texts differ {where}"]) if causes else f"the texts differ {where}"


def read_file(path: Path) -> bytes:
    """An import file's bytes through zoomnews.safeio: a symbolic link is refused (ZN111: it could point
    anywhere, /etc/passwd included), a FIFO or folder too (ZN114), an unreadable file is ZN910."""
    from zoomnews.safeio import read_bytes

    try:
        return read_bytes(path, str(path), follow=False)
    except FileNotFoundError:
        raise At(str(path)).refuse("ZN602", "no such file; the format's export has it") from None


def read_text_file(path: Path) -> str:
    """read_file decoded as UTF-8 (ZN602 with the line of the first bad byte)."""
    data = read_file(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise At(str(path), data.count(b"\n", 0, e.start) + 1).refuse("ZN602", f"not UTF-8 (byte {e.start})") from None


def plain_lines(path: Path, writes: str) -> list[tuple[int, str]]:
    """The numbered lines of a line-based export (brat's .ann, CoNLL), refused whole (ZN602, once) when
    its lines end in CRLF or it starts with a byte-order mark: else every line would be refused for
    its last field (`O\r` is no tag) or its first (a BOM before `# doc_id`). `writes`: what the
    tool writes, for the message."""
    text = read_text_file(path)
    at = At(str(path))
    if text.startswith("\ufeff"):
        raise at.on(1).refuse("ZN602", f"starts with a byte-order mark, which {writes} never writes: save it as UTF-8 without one and import again")
    lines = list(numbered_lines(text))
    crlf = next((number for number, line in lines if line.endswith("\r")), None)
    if crlf is not None:
        raise at.on(crlf).refuse("ZN602", f"CRLF line endings: {writes} lines end in LF alone; convert the file (dos2unix) and import again")
    return lines


def numbered_lines(text: str):
    """(line number, line) split at LF only: U+2028 and friends are characters inside a line (JSON
    strings may hold them raw), not line breaks as str.splitlines() would make them."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline
    return enumerate(lines, start=1)


def parse_json(text: str, at: At):
    """A JSON value read the way the sources are (zoomnews.sources.jsonl): no NaN or Infinity, no number beyond
    a float, no repeated key; malformed or nested too deeply is ZN602, a lone surrogate ZN115."""
    from zoomnews.sources.jsonl import parse_line

    if text.startswith("\ufeff"):  # (JSON forbids it; the parser said only "Expecting value at column 1")
        raise at.on(at.line or 1).refuse("ZN602", "starts with a byte-order mark, which JSON does not allow: save it as UTF-8 without one and import again")
    try:
        value = parse_line(text)
    except RecursionError:
        raise at.refuse("ZN602", "JSON nested too deeply to read") from None
    except json.JSONDecodeError as e:  # a syntax error knows its line (in a one-line format, the file's line is `at`'s)
        raise at.on(at.line or e.lineno).refuse("ZN602", f"not valid JSON: {shown(e.msg)} at column {e.colno}") from None
    except ValueError as e:  # a repeated key, NaN, a number beyond a float
        raise at.refuse("ZN602", f"not valid JSON: {shown(str(e))}") from None
    return plain(value, at, text)


_SURROGATE = re.compile("[\ud800-\udfff]")  # in a Python str every one of these is lone: pairs decode to one character


def plain(value, at: At, source: str | None = None):
    """`value` as plain JSON the sources can store, or a refusal: text without lone surrogates (ZN115,
    placed on its line in `source` when given), finite numbers, objects with string keys, lists
    (a tuple, as msgpack gives, becomes a list); anything else is ZN602. Iterative, so no input is
    too deep for it."""
    root = [value]
    stack = [(root, 0)]
    while stack:
        container, key = stack.pop()
        item = container[key]
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise _lone_surrogate(item, at, source)
        elif item is None or isinstance(item, (bool, int)):
            pass
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise at.refuse("ZN602", f"{item} is not a number the sources can store")
        elif isinstance(item, (list, tuple)):
            container[key] = copy = list(item)
            stack.extend((copy, i) for i in range(len(copy)))
        elif isinstance(item, dict):
            for name in item:
                if not isinstance(name, str):
                    raise at.refuse("ZN602", f"an object key {shown(name)} that is not a string")
                if _SURROGATE.search(name):
                    raise _lone_surrogate(name, at, source)
            container[key] = copy = dict(item)
            stack.extend((copy, name) for name in copy)
        else:
            raise at.refuse("ZN602", f"a {type(item).__name__} is not a JSON value")
    return root[0]


def _lone_surrogate(text: str, at: At, source: str | None) -> ZoomnewsError:
    char = _SURROGATE.search(text).group()
    line = at.line
    if line is None and source is not None:  # the file holds it as an escape such as \udc00
        found = re.search(re.escape(f"\\u{ord(char):04x}"), source, re.IGNORECASE)
        line = source.count("\n", 0, found.start()) + 1 if found else None
    return at.on(line).refuse("ZN115", f"lone surrogate U+{ord(char):04X} in {shown(text)}: UTF-8 cannot store it; nothing was written")


def need(value, kind: type | tuple[type, ...], at: At, what: str):
    """`value` if it is a `kind` (dict, list, str…), else ZN602 naming what was expected."""
    if not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise at.refuse("ZN602", f"{what} must be a {names}, not {shown(value)}")
    return value


def doc_id(kinds, value, at: At, known=None) -> str:
    """A doc_id from an import: a whole-string match of the schema's pattern (Kind.matches: `$` alone
    would let "x\\n" through), and a document of the corpus when `known` is given (ZN401)."""
    if not isinstance(value, str) or not kinds["document"].matches("doc_id", value):
        raise at.refuse("ZN602", f"{shown(value)} is not a doc_id (lower-case letters, digits, inner hyphens)")
    if known is not None and value not in known:
        raise at.refuse("ZN401", f"document {value} is not in the corpus: add it with `zoomnews new-document` first")
    return value


def record_id(kinds, layer: str, value, at: At, code: str = "ZN602") -> str:
    """A record id from an import, whole-string matched against the layer schema's pattern."""
    if not isinstance(value, str) or not kinds[layer].matches("id", value):
        raise at.refuse(code, f"{shown(value)} is not {'an' if layer[0] in 'aeiou' else 'a'} {layer} id ({ID_PREFIX[layer]} and a number)")
    return value


def label(kinds, layer: str, value, at: At) -> str:
    """A span's label (or type), one of the layer schema's choices: an unknown one would land in the
    wrong layer or nowhere."""
    choices = kinds[layer].schema["properties"][LABEL_FIELD[layer]].get("enum", [])
    if not isinstance(value, str) or value not in choices:
        raise at.refuse("ZN602", f"{shown(value)} is not {'an' if layer[0] in 'aeiou' else 'a'} {layer} {LABEL_FIELD[layer]} ({', '.join(map(str, choices))})")
    return value


def settable(kinds, layer: str, name, at: At) -> str:
    """A field a note or attribute may set: one of the layer's own, never its document, id, span or
    label, which come from the span itself (ZN606)."""
    if not isinstance(name, str) or name not in kinds[layer].fields:
        raise at.refuse("ZN606", f"{shown(name)} is not a field of the {layer} layer", field=name if isinstance(name, str) else None)
    if name in core_fields(layer):
        raise at.refuse("ZN606", f"{name} cannot be set by a note or attribute: doc_id, id, offsets and text come from the span", field=name)
    return name


def check_records(bundle: Bundle, kinds, at: At) -> None:
    """The last gate before records are written, whatever the format: every record is plain JSON with
    exactly its layer's fields, belongs to a document of the import, has a valid id unique in its
    document and layer, a known label, and its spans (a quotation's cue and source too) are non-empty
    integer code-point ranges whose stored text is the document's text there; and every value given
    validates against its layer's JSON Schema (ZN201: an article_index "abc", a method "yolo" or an
    entity_id "../../x" from a tool's note was written, and only validate said so)."""
    from zoomnews.sources.tables import schema_problems

    failing = []
    for layer in SPAN_KINDS:
        seen = set()
        for n, record in enumerate(bundle.layers[layer]):
            where = at.inside(f"{layer} record {n + 1}")
            record = bundle.layers[layer][n] = plain(need(record, dict, where, "a record"), where)
            if set(record) != set(kinds[layer].fields):
                odd = sorted(set(record) ^ set(kinds[layer].fields))
                raise where.refuse("ZN602", f"fields do not match the {layer} schema: {', '.join(odd)}")
            doc = record["doc_id"]
            if not isinstance(doc, str) or doc not in bundle.texts:
                raise where.refuse("ZN602", f"belongs to {shown(doc)}, which is not a document of the import")
            where = at.inside(f"{layer} {doc}/{shown(record['id'])}")
            record_id(kinds, layer, record["id"], where)
            if (doc, record["id"]) in seen:
                raise where.refuse("ZN602", f"id {record['id']} appears twice in {doc}")
            seen.add((doc, record["id"]))
            label(kinds, layer, record[LABEL_FIELD[layer]], where)
            stored_span(record, "", bundle.texts[doc], where)
            if layer == "quote":
                for part in SPAN_PARTS:
                    stored_span(record, f"{part}_", bundle.texts[doc], where.inside(part))
            # (a value left empty, null, is not refused: a region drawn in the tool has no annotator or
            # method yet; it is written, and validate and accept name what it lacks)
            failing += [replace(p, file=where.file, line=where.line, message=f"{where.what}: {p.message}" if where.what else p.message)
                        for p in schema_problems(kinds[layer], where.file, where.line, record)[0] if record.get(p.field) is not None]
    if failing:
        raise ZoomnewsError(failing)


def stored_span(record: dict, prefix: str, text: str, at: At) -> None:
    """A record's span (prefix "") or a quotation's cue/source span ("cue_", "source_", which may be all
    null): integer code points in range, and the stored text equal to the text there (ZN601)."""
    start, end, stored = record[f"{prefix}start"], record[f"{prefix}end"], record[f"{prefix}text"]
    if prefix and start is None and end is None and stored is None:
        return
    start, end = CODEPOINTS.span(text, start, end, at)
    if stored != text[start:end]:
        raise at.refuse("ZN601", f"stored text {shown(stored)} is not the document's text at {start}-{end}, {shown(text[start:end])}")
