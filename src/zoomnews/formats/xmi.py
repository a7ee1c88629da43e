"""UIMA CAS XMI for INCEpTION, written and read by `dkpro-cassis`: `<doc_id>.xmi` per document and
`TypeSystem.xml`. Offsets: UTF-16 code units in the XMI (UIMA's Java strings); cassis converts to
and from code points, so nothing here counts units. Lossless: one annotation type per layer
(`zoomnews.Zone`, `.Entity`, `.Timex`, `.Quote`) with a feature per schema field (`type` is named
`category`: cassis reserves `type`), the quotation's
cue and source as `zoomnews.Cue`/`zoomnews.Source` annotations it references, and
`zoomnews.Document` holding the doc_id.
"""

from __future__ import annotations

from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.formats.common import LAYERS, SPAN_PARTS, Bundle

CARRIES = LAYERS
UNIT = "utf16"
TYPESYSTEM = "TypeSystem.xml"
TYPE = {"zone": "zoomnews.Zone", "entity": "zoomnews.Entity", "timex": "zoomnews.Timex", "quote": "zoomnews.Quote"}
PART_TYPE = {"cue": "zoomnews.Cue", "source": "zoomnews.Source"}
DOCUMENT = "zoomnews.Document"
SPAN_FIELDS = {"doc_id", "start", "end", "text"}
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

    from zoomnews.schemas import load_kinds

    kinds = load_kinds(repo)
    ts = TypeSystem()
    document = ts.create_type(DOCUMENT, description="The zoomnews document this CAS holds.")
    ts.create_feature(document, "doc_id", "uima.cas.String")
    parts = {part: ts.create_type(name, description=f"A quotation's {part} span.") for part, name in PART_TYPE.items()}
    for layer in LAYERS:
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

    from zoomnews.schemas import load_kinds

    kinds = load_kinds(repo)
    ts = typesystem(repo)
    out.mkdir(parents=True, exist_ok=True)
    (out / TYPESYSTEM).write_text(ts.to_xml(), encoding="utf-8")
    for doc_id, text in sorted(bundle.texts.items()):
        cas = Cas(typesystem=ts)
        cas.sofa_string = text
        cas.add(ts.get_type(DOCUMENT)(begin=0, end=len(text), doc_id=doc_id))
        for layer in LAYERS:
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


def import_(path: Path, repo, base: Bundle | None = None, units: str = UNIT) -> tuple[Bundle, list[str]]:
    from cassis import load_cas_from_xmi, load_typesystem

    from zoomnews.schemas import load_kinds

    kinds = load_kinds(repo)
    file = path / TYPESYSTEM
    if not file.is_file():
        raise ZoomnewsError(Problem(str(path), None, "ZN602", f"no {TYPESYSTEM} in the folder"))
    with open(file, "rb") as f:
        ts = load_typesystem(f)
    bundle = Bundle({})
    for xmi in sorted(path.glob("*.xmi")):
        with open(xmi, "rb") as f:
            cas = load_cas_from_xmi(f, typesystem=ts)
        documents = list(cas.select(DOCUMENT))
        doc_id = documents[0].doc_id if documents else xmi.stem
        text = cas.sofa_string
        bundle.texts[doc_id] = text
        for layer in LAYERS:
            for a in cas.select(TYPE[layer]):
                record = {"doc_id": doc_id, "start": a.begin, "end": a.end, "text": text[a.begin:a.end]}
                for name in _fields(kinds[layer]):
                    record[name] = a.get(_feature(name))
                if layer == "quote":
                    for part in SPAN_PARTS:
                        linked = a.get(part)
                        record.update({f"{part}_start": linked.begin if linked else None, f"{part}_end": linked.end if linked else None,
                                       f"{part}_text": text[linked.begin:linked.end] if linked else None})
                bundle.layers[layer].append({name: record.get(name) for name in kinds[layer].fields})
    return bundle, []
