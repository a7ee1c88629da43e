"""Label Studio tasks JSON. Offsets: code points (current Label Studio); `utf16` for builds before
1.0 that counted UTF-16 units like the browser. Lossless: every span is a `labels` region
(`from_name` = layer), every other field a per-region `textarea` with the same region id, and a
quotation's cue and source are regions linked to it by `relation`s labelled cue/source.
`label_config.xml` next to the tasks sets up a matching project.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import quoteattr

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.formats.common import LABEL_FIELD, LAYERS, SPAN_PARTS, Bundle, Units, attributes, new_id, next_ids

CARRIES = LAYERS
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
    for layer in LAYERS:
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
    from zoomnews.schemas import load_kinds

    kinds = load_kinds(repo)
    lines = ['<View>', '  <Relations><Relation value="cue"/><Relation value="source"/></Relations>']
    for layer in LAYERS:
        names = kinds[layer].schema["properties"][LABEL_FIELD[layer]]["enum"]
        lines.append(f'  <Labels name="{layer}" toName="text">')
        lines += [f"    <Label value={quoteattr(name)}/>" for name in names]
        lines.append("  </Labels>")
    for part in SPAN_PARTS:
        lines.append(f'  <Labels name="{part}" toName="text"><Label value="{part}"/></Labels>')
    for layer in LAYERS:
        for name in kinds[layer].fields:
            if name not in ("doc_id", "id", "start", "end", "text", LABEL_FIELD[layer]) and not name.startswith(SPAN_PARTS):
                lines.append(f'  <TextArea name="{layer}.{name}" toName="text" perRegion="true" editable="true" maxSubmissions="1"/>')
    lines += ['  <Text name="text" value="$text"/>', '</View>']
    return "\n".join(lines) + "\n"


def _value(raw: str, node: dict):
    types = node.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "string" in types or "enum" in node and all(isinstance(v, str) or v is None for v in node["enum"]):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw  # left for validate to reject with the field named


def import_(path: Path, repo, base: Bundle | None = None, units: str = UNIT) -> tuple[Bundle, list[str]]:
    from zoomnews.schemas import load_kinds

    kinds = load_kinds(repo)
    convert = Units(units)
    file = path / TASKS if path.is_dir() else path
    try:
        tasks = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ZoomnewsError(Problem(str(file), None, "ZN602", f"not a Label Studio tasks file: {str(e)[:120]}")) from None
    bundle, notes = Bundle({}), []
    counters = next_ids(base) if base else {}
    for task in tasks:
        doc_id, text = task["data"]["doc_id"], task["data"]["text"]
        bundle.texts[doc_id] = text
        done = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
        if not done:
            notes.append(f"{doc_id}: no annotation in the task; nothing imported")
            continue
        results = done[-1]["result"]
        where = f"{file}: task {task.get('id')} ({doc_id})"
        spans = {r["id"]: r for r in results if r.get("type") == "labels"}
        fields: dict[str, dict] = {}
        for r in results:
            if r.get("type") == "textarea" and "." in r["from_name"]:
                layer, name = r["from_name"].split(".", 1)
                fields.setdefault(r["id"], {})[name] = _value(r["value"]["text"][0], kinds[layer].schema["properties"][name])
        links = {(r["from_id"], (r.get("labels") or [""])[0]): r["to_id"] for r in results if r.get("type") == "relation"}
        for rid, region in spans.items():
            layer = region["from_name"]
            if layer not in LAYERS:
                continue
            start = convert.into(text, region["value"]["start"], where)
            end = convert.into(text, region["value"]["end"], where)
            ident = rid.split("/", 1)[1] if rid.startswith(f"{layer}/") else new_id(counters, layer, doc_id)
            record = {"doc_id": doc_id, "id": ident, "start": start, "end": end, "text": text[start:end],
                      LABEL_FIELD[layer]: region["value"]["labels"][0]}
            for name in kinds[layer].fields:
                if name not in record and not name.startswith(SPAN_PARTS):
                    record[name] = fields.get(rid, {}).get(name)
            if layer == "quote":
                for part in SPAN_PARTS:
                    linked = spans.get(links.get((rid, part)))
                    s = convert.into(text, linked["value"]["start"], where) if linked else None
                    e = convert.into(text, linked["value"]["end"], where) if linked else None
                    record.update({f"{part}_start": s, f"{part}_end": e, f"{part}_text": text[s:e] if linked else None})
            bundle.layers[layer].append({name: record.get(name) for name in kinds[layer].fields})
    return bundle, notes
