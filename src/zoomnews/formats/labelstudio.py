"""Label Studio tasks JSON. Offsets: code points (current Label Studio); `utf16` for builds before
1.0 that counted UTF-16 units like the browser. Lossless: every span is a `labels` region
(`from_name` = layer), every other field a per-region `textarea` with the same region id, and a
quotation's cue and source are regions linked to it by `relation`s labelled cue/source.
`label_config.xml` next to the tasks sets up a matching project.

Import reads each task's one non-cancelled annotation (a task without one is left as it is); of
several, the user chooses with `annotation` ("latest": the one updated last; or annotation ids),
else ZN605. Every result must be understood: labels regions of a layer or a cue/source, a textarea
only for a field of its own region's layer (ZN606), relations only from a quotation to its cue or
source; a region's text must be the document's text at its offsets (ZN601: wrong --units?).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import quoteattr

from zoomnews.formats.common import (LABEL_FIELD, SPAN_KINDS, SPAN_PARTS, At, Bundle, Units, attributes, doc_id, label,
                                     need, new_id, next_ids, parse_json, plain, read_text_file, record_id, settable, shown)

CARRIES = SPAN_KINDS
UNIT = "codepoint"
TASKS = "tasks.json"
CONFIG = "label_config.xml"


def _region(rid, layer, start, end, text, labels):
    return {"id": rid, "from_name": layer, "to_name": "text", "type": "labels", "origin": "manual",
            "value": {"start": start, "end": end, "text": text, "labels": labels}}


def task_results(bundle: Bundle, doc_id: str, convert: Units) -> list[dict]:
    """The Label Studio results (regions, per-region text areas, relations) of one document's records."""
    text = bundle.texts[doc_id]
    results = []
    for layer in SPAN_KINDS:
        for r in bundle.records(layer, doc_id):
            rid = f"{layer}/{r['id']}"
            start, end = convert.out(text, r["start"]), convert.out(text, r["end"])
            results.append(_region(rid, layer, start, end, r["text"], [r[LABEL_FIELD[layer]]]))
            for name, value in attributes(layer, r).items():
                if value is None:
                    continue
                shown = value if isinstance(value, str) else json.dumps(value)
                results.append({"id": rid, "from_name": f"{layer}.{name}", "to_name": "text", "type": "textarea",
                                "value": {"start": start, "end": end, "text": [shown]}})
            if layer == "quote":
                for part in SPAN_PARTS:
                    if r[f"{part}_start"] is None:
                        continue
                    pid = f"{rid}/{part}"
                    results.append(_region(pid, part, convert.out(text, r[f"{part}_start"]), convert.out(text, r[f"{part}_end"]),
                                           r[f"{part}_text"], [part]))
                    results.append({"type": "relation", "from_id": rid, "to_id": pid, "direction": "right", "labels": [part]})
    return results


def export(bundle: Bundle, out: Path, repo, units: str = UNIT, predictions: str | None = None) -> list[str]:
    """Tasks with the records as annotations, or (with `predictions` = a model version) as predictions
    for an annotator to accept."""
    convert = Units(units)
    tasks = []
    for n, doc_id in enumerate(sorted(bundle.texts), start=1):
        results = task_results(bundle, doc_id, convert)
        task = {"id": n, "data": {"doc_id": doc_id, "text": bundle.texts[doc_id]}}
        if predictions:
            task["predictions"] = [{"model_version": predictions, "result": results}]
        else:
            task["annotations"] = [{"id": n, "result": results}]
        tasks.append(task)
    out.mkdir(parents=True, exist_ok=True)
    (out / TASKS).write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / CONFIG).write_text(label_config(repo), encoding="utf-8")
    return []


def label_config(repo) -> str:
    """A Label Studio labeling config whose choices are the schemas' label sets."""
    from zoomnews.sources.schemas import load_kinds

    kinds = load_kinds(repo)
    lines = ['<View>', '  <Relations><Relation value="cue"/><Relation value="source"/></Relations>']
    for layer in SPAN_KINDS:
        names = kinds[layer].schema["properties"][LABEL_FIELD[layer]]["enum"]
        lines.append(f'  <Labels name="{layer}" toName="text">')
        lines += [f"    <Label value={quoteattr(name)}/>" for name in names]
        lines.append("  </Labels>")
    for part in SPAN_PARTS:
        lines.append(f'  <Labels name="{part}" toName="text"><Label value="{part}"/></Labels>')
    for layer in SPAN_KINDS:
        for name in kinds[layer].fields:
            if name not in ("doc_id", "id", "start", "end", "text", LABEL_FIELD[layer]) and not name.startswith(SPAN_PARTS):
                lines.append(f'  <TextArea name="{layer}.{name}" toName="text" perRegion="true" editable="true" maxSubmissions="1"/>')
    lines += ['  <Text name="text" value="$text"/>', '</View>']
    return "\n".join(lines) + "\n"


LATEST = "latest"


def _value(raw: str, node: dict, at: At):
    """A textarea's text as the field's value: JSON for numbers, booleans and the like, read strictly."""
    from zoomnews.sources.jsonl import parse_line

    types = node.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "string" in types or "enum" in node and all(isinstance(v, str) or v is None for v in node["enum"]):
        return raw
    try:
        value = parse_line(raw)
    except (ValueError, RecursionError):
        return raw  # left for validate to reject with the field named
    return plain(value, at)


class Choice:
    """Which annotation of a task to import: the only one, or the one the user chose (ZN605 otherwise)."""

    def __init__(self, wanted: tuple[str, ...]):
        self.wanted, self.used = {wanted} if isinstance(wanted, str) else set(wanted), set()

    def pick(self, done: list[dict], at: At) -> dict | None:
        chosen = [a for a in done if _annotation_id(a) in self.wanted]
        self.used |= {_annotation_id(a) for a in chosen}
        if len(chosen) > 1:
            raise at.refuse("ZN605", f"--annotation names several annotations of one task: {', '.join(_annotation_id(a) for a in chosen)}")
        if chosen:
            return chosen[0]
        if len(done) <= 1:
            return done[0] if done else None
        if LATEST in self.wanted:
            return _latest(done)
        ids = ", ".join(shown(a.get("id")) for a in done)
        raise at.refuse("ZN605", f"{len(done)} annotations ({ids}): choose one with --annotation ID, or --annotation latest")

    def check(self, at: At) -> None:
        unknown = sorted(self.wanted - self.used - {LATEST})
        if unknown:
            raise at.refuse("ZN605", f"no annotation {', '.join(unknown)} in the file (--annotation)")


def _annotation_id(annotation: dict) -> str | None:
    ident = annotation.get("id")
    return str(ident) if isinstance(ident, (int, str)) and not isinstance(ident, bool) else None


def _latest(done: list[dict]) -> dict:
    """The annotation updated last (`updated_at`, else `created_at`); the last listed when they lack times."""
    def when(annotation: dict):
        stamp = annotation.get("updated_at") or annotation.get("created_at")
        try:
            moment = datetime.fromisoformat(stamp)
        except (TypeError, ValueError):
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

    times = [when(a) for a in done]
    if None in times:
        return done[-1]
    return max(zip(times, range(len(done)), done), key=lambda t: t[:2])[2]


def import_(path: Path, repo, base: Bundle | None = None, units: str = UNIT,
            annotation: tuple[str, ...] = (), kinds=None) -> tuple[Bundle, list[str]]:
    from zoomnews.sources.schemas import load_kinds

    kinds = kinds or load_kinds(repo)
    convert = Units(units)
    file = path / TASKS if path.is_dir() else path
    at = At(str(file))
    text = read_text_file(file)
    tasks = need(parse_json(text, at), list, at, "a Label Studio export")
    bundle, notes = Bundle({}), []
    counters = next_ids(base) if base else {}
    choice = Choice(annotation)
    for n, task in enumerate(tasks, start=1):
        where = at.inside(f"task {n}")
        task = need(task, dict, where, "a task")
        data = need(task.get("data"), dict, where, "its data")
        doc = doc_id(kinds, data.get("doc_id"), where.inside("data.doc_id"), base.texts if base else None)
        where = at.inside(f"task {n} ({doc})")
        annotations = need(task.get("annotations", []), list, where, "its annotations")
        done = [a for a in (need(a, dict, where, "an annotation") for a in annotations) if not a.get("was_cancelled")]
        chosen = choice.pick(done, where)
        if chosen is None:
            notes.append(f"{doc}: no annotation in the task; its records are left as they are")
            continue
        bundle.add_document(doc, data.get("text"), where)
        where = where.inside(f"annotation {shown(chosen.get('id'))}")
        results = need(chosen.get("result"), list, where, "its result")
        for layer, record in _records(results, doc, bundle.texts[doc], kinds, convert, counters, where):
            bundle.layers[layer].append(record)
    choice.check(at)
    return bundle, notes


def _records(results: list, doc: str, text: str, kinds, convert: Units, counters: dict, at: At):
    """(layer, record) of one annotation's results; every result is used or refused."""
    regions, textareas, relations = {}, [], []
    for n, r in enumerate(results, start=1):
        where = at.inside(f"result {n}")
        r = need(r, dict, where, "a result")
        kind = r.get("type")
        if kind == "labels":
            rid = need(r.get("id"), str, where, "a region id")
            if rid in regions:
                raise where.refuse("ZN602", f"region id {shown(rid)} appears twice")
            regions[rid] = _region_span(r, text, convert, where.inside(f"region {shown(rid)}"))
        elif kind == "textarea":
            textareas.append((r, where))
        elif kind == "relation":
            relations.append((r, where))
        else:
            raise where.refuse("ZN602", f"a result of type {shown(kind)}: zoomnews reads labels, textarea and relation results")
    fields = _fields(textareas, regions, kinds)
    links = _links(relations, regions, at)
    for rid, (layer, start, end, name) in regions.items():
        if layer in SPAN_PARTS:
            continue  # read through the quotation's relation (_links refused an unlinked one)
        where = at.inside(f"region {shown(rid)}")
        ident = rid.split("/", 1)[1] if rid.startswith(f"{layer}/") else new_id(counters, layer, doc)
        record = {"doc_id": doc, "id": record_id(kinds, layer, ident, where), "start": start, "end": end,
                  "text": text[start:end], LABEL_FIELD[layer]: label(kinds, layer, name, where)}
        for field in kinds[layer].fields:
            if field not in record and not field.startswith(SPAN_PARTS):
                record[field] = fields.get(rid, {}).get(field)
        if layer == "quote":
            for part in SPAN_PARTS:
                linked = regions.get(links.get((rid, part)))
                s, e = (linked[1], linked[2]) if linked else (None, None)
                record.update({f"{part}_start": s, f"{part}_end": e, f"{part}_text": text[s:e] if linked else None})
        yield layer, {name: record.get(name) for name in kinds[layer].fields}


def _region_span(r: dict, text: str, convert: Units, at: At) -> tuple[str, int, int, str]:
    """(layer or part, start, end, label) of a labels region, its offsets converted and its text checked."""
    layer = r.get("from_name")
    if layer not in SPAN_KINDS and layer not in SPAN_PARTS:
        raise at.refuse("ZN602", f"from_name {shown(layer)} is none of {', '.join(SPAN_KINDS + SPAN_PARTS)}")
    value = need(r.get("value"), dict, at, "its value")
    start, end = convert.span(text, value.get("start"), value.get("end"), at)
    if "text" in value and value["text"] != text[start:end]:
        raise at.refuse("ZN601", f"region text {shown(value['text'])} is not the document's text at its offsets, "
                                 f"{shown(text[start:end])}: are the offsets in another unit (--units)?")
    labels = need(value.get("labels"), list, at, "its labels")
    if len(labels) != 1:
        raise at.refuse("ZN602", f"a region has one label, not {shown(labels)}")
    if layer in SPAN_PARTS and labels != [layer]:
        raise at.refuse("ZN602", f"a {layer} region is labelled {layer}, not {shown(labels[0])}")
    return layer, start, end, labels[0]


def _fields(textareas: list, regions: dict, kinds) -> dict[str, dict]:
    """Region id -> {field: value} from the per-region text areas: each for a region of its own layer
    and a field that layer has and a note may set (ZN606), once."""
    fields: dict[str, dict] = {}
    for r, where in textareas:
        rid = r.get("id")
        if not isinstance(rid, str) or rid not in regions:
            raise where.refuse("ZN606", f"a text area for region {shown(rid)}, which is not in the annotation")
        layer = regions[rid][0]
        owner, _, name = need(r.get("from_name"), str, where, "its from_name").partition(".")
        if layer in SPAN_PARTS:
            raise where.refuse("ZN606", f"a text area ({shown(r['from_name'])}) on a {layer} region: a quotation's {layer} carries no attributes")
        if owner != layer:
            raise where.refuse("ZN606", f"a {shown(owner)} text area ({r['from_name']}) on a {layer} region: attributes belong to their record's layer")
        name = settable(kinds, layer, name, where)
        texts = need(need(r.get("value"), dict, where, "its value").get("text"), list, where, "its text")
        if len(texts) != 1 or not isinstance(texts[0], str):
            raise where.refuse("ZN602", f"a text area holds one string, not {shown(texts)}")
        if name in fields.get(rid, {}):
            raise where.refuse("ZN602", f"{layer}.{name} appears twice for region {shown(rid)}")
        fields.setdefault(rid, {})[name] = _value(texts[0], kinds[layer].schema["properties"][name], where)
    return fields


def _links(relations: list, regions: dict, at: At) -> dict[tuple[str, str], str]:
    """(quotation region id, "cue"|"source") -> the linked region id; every cue/source region is linked."""
    links = {}
    for r, where in relations:
        kind = need(r.get("labels"), list, where, "its labels")
        source, target = r.get("from_id"), r.get("to_id")
        if len(kind) != 1 or kind[0] not in SPAN_PARTS:
            raise where.refuse("ZN602", f"a relation labelled {shown(kind)}: zoomnews reads cue and source relations")
        if not isinstance(source, str) or regions.get(source, ("",))[0] != "quote":
            raise where.refuse("ZN602", f"a {kind[0]} relation from {shown(source)}, which is not a quote region")
        if not isinstance(target, str) or regions.get(target, ("",))[0] != kind[0]:
            raise where.refuse("ZN602", f"a {kind[0]} relation to {shown(target)}, which is not a {kind[0]} region")
        if (source, kind[0]) in links:
            raise where.refuse("ZN602", f"quotation {shown(source)} has two {kind[0]} relations")
        links[(source, kind[0])] = target
    unlinked = sorted(set(rid for rid, region in regions.items() if region[0] in SPAN_PARTS) - set(links.values()))
    if unlinked:
        part = regions[unlinked[0]][0]
        raise at.inside(f"region {shown(unlinked[0])}").refuse("ZN602", f"a {part} region linked to no quotation by a {part} relation")
    return links
