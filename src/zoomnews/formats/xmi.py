"""UIMA CAS XMI for INCEpTION, written and read by `dkpro-cassis`: `<doc_id>.xmi` per document and
`TypeSystem.xml`. Offsets: UTF-16 code units in the XMI (UIMA's Java strings); cassis converts to
and from code points, so nothing here counts units. Lossless: one annotation type per layer
(`zoomnews.Zone`, `.Entity`, `.Timex`, `.Quote`) with a feature per schema field (`type` is named
`category`: cassis reserves `type`), the quotation's
cue and source as `zoomnews.Cue`/`zoomnews.Source` annotations it references, and
`zoomnews.Document` holding the doc_id.

Import parses defensively: each file is first read by lxml with DTDs and entities off and refused if
it has a DOCTYPE (entity expansion such as "billion laughs", external entities) or is not XML; only
then does cassis read it. The folder's TypeSystem.xml must declare the zoomnews types as export
writes them (an added feature is ZN606: it would be lost); an offset cassis cannot map to a code
point (it only warns and keeps it) is ZN601; any other error of cassis is ZN602 naming the file.
A CAS holds one sofa, the document's: a second sofa (view), or a zoomnews annotation that is not
on the document's view (cassis keeps the one apart and drops the other), is ZN602 naming it.
"""

from __future__ import annotations

import re
import warnings
from io import BytesIO
from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.repo import RAW_DIR
from zoomnews.formats.common import (CODEPOINTS, LABEL_FIELD, SPAN_KINDS, SPAN_PARTS, At, Bundle, Refusals, doc_id, label, new_id,
                                     next_ids, read_file, shown)

CARRIES = SPAN_KINDS
UNIT = "utf16"
UNITS = (UNIT,)  # cassis converts: the file's unit is UIMA's
TYPESYSTEM = "TypeSystem.xml"
TYPE = {"zone": "zoomnews.Zone", "entity": "zoomnews.Entity", "timex": "zoomnews.Timex", "quote": "zoomnews.Quote"}
PART_TYPE = {"cue": "zoomnews.Cue", "source": "zoomnews.Source"}
DOCUMENT = "zoomnews.Document"
SPAN_FIELDS = {"doc_id", "start", "end", "text"}
# what XML 1.0 cannot hold, even escaped (its Char production): C0 controls but tab, LF and CR; lone
# surrogates; U+FFFE and U+FFFF. A raw capture may hold a form feed; lxml refused it with a traceback.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
RENAMED = {"type": "category"}  # `type` is reserved by cassis (and shadows UIMA's own notion of type)


def _feature(field: str) -> str:
    return RENAMED.get(field, field)


def _range(node: dict) -> str:
    types = node.get("type", "string")
    types = [types] if isinstance(types, str) else types
    if "integer" in types:
        return "uima.cas.Integer"
    if "boolean" in types:
        return "uima.cas.Boolean"
    return "uima.cas.String"


def _fields(kind) -> list[str]:
    return [f for f in kind.fields if f not in SPAN_FIELDS and not f.startswith(tuple(f"{p}_" for p in SPAN_PARTS))]


def typesystem(repo):
    from cassis import TypeSystem

    from zoomnews.sources.schemas import load_kinds

    kinds = load_kinds(repo)
    ts = TypeSystem()
    document = ts.create_type(DOCUMENT, description="The zoomnews document this CAS holds.")
    ts.create_feature(document, "doc_id", "uima.cas.String")
    parts = {part: ts.create_type(name, description=f"A quotation's {part} span.") for part, name in PART_TYPE.items()}
    for layer in SPAN_KINDS:
        kind = kinds[layer]
        annotation = ts.create_type(TYPE[layer], description=kind.schema.get("title"))
        for name in _fields(kind):
            ts.create_feature(annotation, _feature(name), _range(kind.schema["properties"][name]))
        if layer == "quote":
            for part, part_type in parts.items():
                ts.create_feature(annotation, part, part_type)
    return ts


def export(bundle: Bundle, out: Path, repo, units: str = UNIT) -> list[str]:
    from cassis import Cas

    from zoomnews.sources.schemas import load_kinds

    unwritable = [Problem(f"{RAW_DIR}/{doc_id}.txt", text.count("\n", 0, found.start()) + 1, "ZN607",
                          f"{doc_id} holds {ascii(found.group())} at code point {found.start()}, which XML 1.0 (and so XMI) cannot carry")
                  for doc_id, text in sorted(bundle.texts.items()) if (found := NOT_XML.search(text))]
    if unwritable:
        raise ZoomnewsError(unwritable)
    kinds = load_kinds(repo)
    ts = typesystem(repo)
    out.mkdir(parents=True, exist_ok=True)
    (out / TYPESYSTEM).write_text(ts.to_xml(), encoding="utf-8")
    for doc_id, text in sorted(bundle.texts.items()):
        cas = Cas(typesystem=ts)
        cas.sofa_string = text
        cas.add(ts.get_type(DOCUMENT)(begin=0, end=len(text), doc_id=doc_id))
        for layer in SPAN_KINDS:
            annotation_type = ts.get_type(TYPE[layer])
            for r in bundle.records(layer, doc_id):
                values = {_feature(name): r[name] for name in _fields(kinds[layer]) if r[name] is not None}
                if layer == "quote":
                    for part, part_type in PART_TYPE.items():
                        if r[f"{part}_start"] is not None:
                            linked = ts.get_type(part_type)(begin=r[f"{part}_start"], end=r[f"{part}_end"])
                            cas.add(linked)
                            values[part] = linked
                cas.add(annotation_type(begin=r["start"], end=r["end"], **values))
        (out / f"{doc_id}.xmi").write_text(cas.to_xmi(pretty_print=True), encoding="utf-8")
    return []


def import_(path: Path, repo, base: Bundle | None = None, units: str = UNIT, kinds=None) -> tuple[Bundle, list[str]]:
    from cassis import load_cas_from_xmi, load_typesystem

    from zoomnews.sources.schemas import load_kinds

    kinds = kinds or load_kinds(repo)
    if not path.is_dir():
        raise At(str(path)).refuse("ZN602", f"an XMI import is a folder of <doc_id>.xmi files and {TYPESYSTEM}")
    file = path / TYPESYSTEM
    ts = _cassis(lambda: load_typesystem(BytesIO(safe_xml(file))), At(str(file)))
    _same_types(ts, typesystem(repo), At(str(file)))
    bundle, notes = Bundle({}), []
    counters = next_ids(base) if base else {}
    refusals = Refusals()
    for xmi in sorted(path.glob("*.xmi")):
        with refusals.each():
            at = At(str(xmi))
            data = safe_xml(xmi)
            cas = _cassis(lambda: load_cas_from_xmi(BytesIO(data), typesystem=ts), at)
            _one_view(cas, data, at)
            for layer, record in _records(cas, xmi, kinds, base, bundle, counters, at, refusals):
                bundle.layers[layer].append(record)
    refusals.raise_any()
    return bundle, notes


def safe_xml(file: Path) -> bytes:
    """The file's bytes if they are XML without a DOCTYPE, read by lxml with entities and DTDs off
    and no network: what cassis may then parse without expanding or fetching anything."""
    data = read_file(file)
    root = _parsed(data, At(str(file)))
    if root.getroottree().docinfo.doctype or root.getroottree().docinfo.internalDTD is not None:
        raise At(str(file)).refuse("ZN602", "a DOCTYPE (DTD or entity declarations): XMI has none, and zoomnews expands no entities")
    return data


def _parsed(data: bytes, at: At):
    """The root element of XML bytes, read by lxml with entities and DTDs off and no network."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        raise at.on(e.lineno).refuse("ZN602", f"not XML: {shown(e.msg)}") from None


INITIAL_VIEW = "_InitialView"
XMI_ID = "{http://www.omg.org/XMI}id"


def _one_view(cas, data: bytes, at: At) -> None:
    """The CAS holds one sofa, the document's (INCEpTION's _InitialView), and every zoomnews annotation
    in the file is one of that view's: cassis keeps another view's annotations apart and drops one
    listed in no view, so each would be lost without a word."""
    others = [view.sofa.sofaID for view in cas.views if view.sofa.sofaID != INITIAL_VIEW]
    if others:
        raise at.refuse("ZN602", f"a second sofa (view) {', '.join(map(shown, others))}: zoomnews reads the document's one view, "
                                 f"{INITIAL_VIEW}, and would lose the annotations of the others")
    read = {str(fs.xmiID) for name in [DOCUMENT, *PART_TYPE.values(), *TYPE.values()] for fs in cas.select(name)}
    for element in _parsed(data, at).iter():
        name = _type_name(element.tag) if isinstance(element.tag, str) else None  # comments have no tag name
        if name and name.startswith("zoomnews.") and element.get(XMI_ID) not in read:
            raise at.on(element.sourceline).refuse(
                "ZN602", f"annotation {name} xmi:id={shown(element.get(XMI_ID))} (sofa {shown(element.get('sofa'))}) is not on "
                         f"the view zoomnews reads ({INITIAL_VIEW}): it would be lost")


def _type_name(tag: str) -> str | None:
    """The UIMA type of an XMI element: {http:///zoomnews.ecore}Entity is zoomnews.Entity."""
    found = re.fullmatch(r"\{http:///(.+)\.ecore\}(.+)", tag)
    return f"{found.group(1).replace('/', '.')}.{found.group(2)}" if found else None


def _cassis(load, at: At):
    """What `load` returns; whatever cassis (or lxml under it) raises on a malformed file is ZN602."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Not mapping")  # cassis keeps an offset it cannot convert, warning only
        try:
            return load()
        except ZoomnewsError:
            raise
        except UserWarning as e:
            raise at.refuse("ZN601", f"an offset that is no UTF-16 character boundary of the text: {shown(str(e))}") from None
        except Exception as e:  # a malformed file can make a third-party parser raise anything
            raise at.refuse("ZN602", f"not readable as XMI by dkpro-cassis: {type(e).__name__}: {shown(str(e))}") from None


def _same_types(theirs, ours, at: At) -> None:
    """The file's zoomnews types are annotations with exactly our features and ranges."""
    for name in [DOCUMENT, *PART_TYPE.values(), *TYPE.values()]:
        if not theirs.contains_type(name) or not theirs.subsumes("uima.tcas.Annotation", name):
            raise at.refuse("ZN602", f"no annotation type {name}")
        features = {t: {f.name: getattr(f.rangeType, "name", f.rangeType) for f in ts.get_type(name).all_features} for t, ts in
                    (("theirs", theirs), ("ours", ours))}
        extra = sorted(set(features["theirs"]) - set(features["ours"]))
        if extra:
            raise at.refuse("ZN606", f"{name} has features zoomnews does not know (they would be lost): {', '.join(extra)}")
        for feature, range_name in features["ours"].items():
            if features["theirs"].get(feature) != range_name:
                raise at.refuse("ZN602", f"{name}.{feature} is not a {range_name} feature")


def _records(cas, xmi: Path, kinds, base, bundle: Bundle, counters: dict, at: At, refusals: Refusals) -> list[tuple[str, dict]]:
    """(layer, record) of one CAS's annotations; each refused annotation goes to `refusals` and the
    rest are read on (a refused document refuses the file)."""
    documents = list(cas.select(DOCUMENT))
    if len(documents) > 1:
        raise at.refuse("ZN602", f"{len(documents)} {DOCUMENT} annotations; a CAS holds one document")
    doc = doc_id(kinds, documents[0].doc_id if documents else xmi.stem, at.inside("doc_id"), base.texts if base else None)
    bundle.add_document(doc, cas.sofa_string, at, base.texts if base else None)
    text = bundle.texts[doc]
    members = {part: {id(a) for a in cas.select(name)} for part, name in PART_TYPE.items()}
    records = []
    for layer in SPAN_KINDS:
        for a in cas.select(TYPE[layer]):
            with refusals.each():
                records.append((layer, _record(a, layer, doc, text, kinds, members, counters, at)))
    return records


def _record(a, layer: str, doc: str, text: str, kinds, members: dict, counters: dict, at: At) -> dict:
    """One annotation's record, or its refusal."""
    where = at.inside(f"{TYPE[layer]} {shown(a.get('id'))}")
    start, end = CODEPOINTS.span(text, a.begin, a.end, where)
    record = {"doc_id": doc, "start": start, "end": end, "text": text[start:end]}
    for name in _fields(kinds[layer]):
        record[name] = a.get(_feature(name))
    label(kinds, layer, record[LABEL_FIELD[layer]], where)
    if record["id"] is None:  # drawn in INCEpTION: a new record
        record["id"] = new_id(counters, layer, doc)
    if layer == "quote":
        for part in SPAN_PARTS:
            linked = a.get(part)
            if linked is not None and id(linked) not in members[part]:  # cassis converts the offsets of view members only
                raise where.refuse("ZN602", f"its {part} is not a {PART_TYPE[part]} annotation of the document")
            s, e = CODEPOINTS.span(text, linked.begin, linked.end, where.inside(part)) if linked is not None else (None, None)
            record.update({f"{part}_start": s, f"{part}_end": e, f"{part}_text": text[s:e] if linked is not None else None})
    return {name: record.get(name) for name in kinds[layer].fields}
