"""Label Studio tasks JSON. Offsets: code points (current Label Studio); `utf16` for builds before
1.0 that counted UTF-16 units like the browser. Lossless: every span is a `labels` region
(`from_name` = layer), every other field a per-region control named `layer.field` with the same
region id, and a quotation's cue and source are regions linked to it by `relation`s labelled
cue/source. `label_config.xml` next to the tasks sets up a matching project.

The label config is made for annotating, not only for carrying values: each layer's fields sit in a
panel shown only while a region of that layer is selected (`visibleWhen="region-selected"` with the
layer's labels as `whenLabelValue`; the layers' label sets are disjoint), each under a header naming
the field. A field with a fixed set of values is a `Choices` to pick from: the registries' ids for
`entity_id`, `speaker` and `statement_id` (each with its name as a hint), the schema's enum for
`method` and `mod`, true/false for booleans; the rest (`annotator`, `guideline`, a timex `value`,
`article_index`) are text areas.

Import reads each task's one non-cancelled annotation (a task without one is left as it is); of
several, the user chooses with `annotation` ("latest": the one updated last; or annotation ids),
else ZN605. Every result must be understood: labels regions of a layer or a cue/source, a text area
or choice only for a field of its own region's layer (ZN606, naming the task, region and field),
relations only from a quotation to its cue or source; a region's text must be the document's text
at its offsets (ZN601: wrong --units?). Text areas and choices are read alike, so exports made with
the older all-text-area config still import (a result holding both a text area's text, a list, and
choices is refused: one would be dropped; a choices result's `text` string is its region's text,
which Label Studio's editor copies into every per-region result). Every record left without a value its schema requires
(or without the `entity_id` its type requires) is reported in the notes: "complete entity_id, method".
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import quoteattr

from zoomnews.errors import ZoomnewsError
from zoomnews.formats.common import (LABEL_FIELD, SPAN_KINDS, SPAN_PARTS, At, Bundle, Refusals, Units, attributes, core_fields, doc_id,
                                     label, need, new_id, next_ids, parse_json, plain, read_text_file, record_id, settable,
                                     shown)

CARRIES = SPAN_KINDS
UNIT = "codepoint"
UNITS = ("codepoint", "utf16")  # current Label Studio, and the old builds that counted UTF-16 units
TASKS = "tasks.json"
CONFIG = "label_config.xml"
# fields whose values are a registry's ids: the annotator picks one
REGISTRY_FIELDS = {"entity_id": "registry_entity", "speaker": "registry_speaker", "statement_id": "registry_statement"}
ATTRIBUTE_RESULTS = ("textarea", "choices")  # the per-region controls import reads a field's value from


def _region(rid, layer, start, end, text, labels):
    return {"id": rid, "from_name": layer, "to_name": "text", "type": "labels", "origin": "manual",
            "value": {"start": start, "end": end, "text": text, "labels": labels}}


def task_results(bundle: Bundle, doc_id: str, convert: Units, picked=frozenset()) -> list[dict]:
    """The Label Studio results (regions, per-region text areas or choices, relations) of one
    document's records; `picked` holds the (layer, field)s that are Choices in the label config."""
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
                kind, key = ("choices", "choices") if (layer, name) in picked else ("textarea", "text")
                results.append({"id": rid, "from_name": f"{layer}.{name}", "to_name": "text", "type": kind,
                                "value": {"start": start, "end": end, key: [_as_text(value)]}})
            if layer == "quote":
                for part in SPAN_PARTS:
                    if r[f"{part}_start"] is None:
                        continue
                    pid = f"{rid}/{part}"
                    results.append(_region(pid, part, convert.out(text, r[f"{part}_start"]), convert.out(text, r[f"{part}_end"]),
                                           r[f"{part}_text"], [part]))
                    results.append({"type": "relation", "from_id": rid, "to_id": pid, "direction": "right", "labels": [part]})
    return results


def _as_text(value) -> str:
    """A field's value as Label Studio holds it: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def export(bundle: Bundle, out: Path, repo, units: str = UNIT, predictions: str | None = None) -> list[str]:
    """Tasks with the records as annotations, or (with `predictions` = a model version) as predictions
    for an annotator to accept. Returns notes: values the records hold that a registry lacks (they
    are offered as choices too, so nothing is lost; validate reports them)."""
    convert = Units(units)
    controls = Controls.read(repo, bundle)
    tasks = []
    for n, doc_id in enumerate(sorted(bundle.texts), start=1):
        results = task_results(bundle, doc_id, convert, controls.picked)
        task = {"id": n, "data": {"doc_id": doc_id, "text": bundle.texts[doc_id]}}
        if predictions:
            task["predictions"] = [{"model_version": predictions, "result": results}]
        else:
            task["annotations"] = [{"id": n, "result": results}]
        tasks.append(task)
    out.mkdir(parents=True, exist_ok=True)
    (out / TASKS).write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / CONFIG).write_text(controls.config(), encoding="utf-8")
    return controls.notes


class Controls:
    """What the label config offers for each layer's fields: the label sets, and for each attribute
    field either choices (value, hint) or None for a text area."""

    def __init__(self, kinds, registries: dict[str, list[dict]], bundle: Bundle | None = None):
        self.kinds = kinds
        self.labels = {layer: list(kinds[layer].schema["properties"][LABEL_FIELD[layer]]["enum"]) for layer in SPAN_KINDS}
        owners = dict.fromkeys(SPAN_PARTS, "cue/source")
        for layer in SPAN_KINDS:  # the schemas keep them apart; a panel is shown by its layer's labels alone
            for name in self.labels[layer]:
                if name in owners:
                    raise ValueError(f"label {name!r} is in both the {owners[name]} and the {layer} layer: Label Studio "
                                     "could not tell which fields to show for its regions (whenLabelValue)")
                owners[name] = layer
        self.fields = {layer: [n for n in kinds[layer].fields if n not in core_fields(layer)] for layer in SPAN_KINDS}
        self.choices: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
        self.notes: list[str] = []
        for layer in SPAN_KINDS:
            for name in self.fields[layer]:
                offered = self._offered(layer, name, registries)
                if offered is None:
                    continue
                known = {value for value, _ in offered}
                extra = sorted({_as_text(r[name]) for r in (bundle.layers[layer] if bundle else []) if r.get(name) is not None} - known)
                for value in extra:
                    self.notes.append(f"{layer}.{name} {value!r} is in no registry or schema choice; offered as a choice all the same")
                self.choices[(layer, name)] = offered + [(value, None) for value in extra]
        self.picked = frozenset(self.choices)

    @classmethod
    def read(cls, repo, bundle: Bundle | None = None) -> Controls:
        from zoomnews.sources.jsonl import read_jsonl
        from zoomnews.sources.schemas import load_kinds

        kinds = load_kinds(repo)
        registries = {}
        for name in set(REGISTRY_FIELDS.values()):
            records, problems = read_jsonl(repo.path(kinds[name].source), kinds[name].source, repo.root)
            if problems:
                raise ZoomnewsError(problems)
            registries[name] = [data for _, data in records]
        return cls(kinds, registries, bundle)

    def _offered(self, layer: str, name: str, registries: dict) -> list[tuple[str, str | None]] | None:
        """The values to pick from for a field, each with a hint, or None when it is typed."""
        if name in REGISTRY_FIELDS:
            return [(r["id"], _hint(name, r)) for r in sorted(registries[REGISTRY_FIELDS[name]], key=lambda r: str(r.get("id")))
                    if isinstance(r.get("id"), str)]
        node = self.kinds[layer].schema["properties"][name]
        if "enum" in node:
            return [(_as_text(value), None) for value in node["enum"] if value is not None]
        types = node.get("type", [])
        if (types if isinstance(types, list) else [types]) in (["boolean"], ["boolean", "null"], ["null", "boolean"]):
            return [("true", None), ("false", None)]
        return None

    def config(self) -> str:
        """The label config: the layers' labels, the text, and per layer a panel of its fields shown only
        while one of its regions is selected."""
        lines = ['<View>', '  <Relations><Relation value="cue"/><Relation value="source"/></Relations>']
        for layer in SPAN_KINDS:
            lines.append(f'  <Labels name="{layer}" toName="text">')
            lines += [f"    <Label value={quoteattr(name)}/>" for name in self.labels[layer]]
            lines.append("  </Labels>")
        for part in SPAN_PARTS:
            lines.append(f'  <Labels name="{part}" toName="text"><Label value="{part}"/></Labels>')
        lines.append('  <View style="display: flex; gap: 1em; align-items: flex-start">')
        lines.append('    <View style="flex: 3"><Text name="text" value="$text"/></View>')
        lines.append('    <View style="flex: 2; position: sticky; top: 0">')
        lines.append('      <View visibleWhen="no-region-selected"><Header value="Select a region to see its fields" size="6"/></View>')
        for layer in SPAN_KINDS:
            when = quoteattr(",".join(self.labels[layer]))
            lines.append(f'      <View visibleWhen="region-selected" whenLabelValue={when}>')
            lines.append(f'        <Header value="{layer} fields" size="5"/>')
            for name in self.fields[layer]:
                description = self.kinds[layer].schema["properties"][name].get("description")
                lines.append(f"        <Header value={quoteattr(name)} size=\"6\"/>")
                offered = self.choices.get((layer, name))
                if offered is None:
                    placeholder = f" placeholder={quoteattr(description)}" if description else ""
                    lines.append(f'        <TextArea name="{layer}.{name}" toName="text" perRegion="true" editable="true" '
                                 f'maxSubmissions="1" rows="1"{placeholder}/>')
                    continue
                kind = 'choice="single" layout="select"' if name in REGISTRY_FIELDS else 'choice="single-radio" layout="inline"'
                lines.append(f'        <Choices name="{layer}.{name}" toName="text" perRegion="true" {kind}>')
                for value, hint in offered:
                    lines.append(f"          <Choice value={quoteattr(value)}" + (f" hint={quoteattr(hint)}" if hint else "") + "/>")
                lines.append("        </Choices>")
            lines.append("      </View>")
        parts = ",".join(SPAN_PARTS)
        lines.append(f'      <View visibleWhen="region-selected" whenLabelValue="{parts}">')
        lines.append('        <Header value="A quotation\'s cue or source: no fields of its own; link the quotation to it with a '
                     'cue or source relation" size="6"/>')
        lines.append("      </View>")
        lines += ["    </View>", "  </View>", "</View>"]
        return "\n".join(lines) + "\n"


def _hint(field: str, record: dict) -> str:
    """What an annotator sees beside a registry id: the name and type, or a statement's speaker,
    channel, date and the start of its description."""
    if field == "statement_id":
        about = str(record.get("description", ""))
        about = about if len(about) <= 140 else about[:139] + "…"
        return f"{record.get('speaker')}, {record.get('channel')}, {record.get('date') or 'undated'}: {about}"
    return f"{record.get('name')} ({record.get('type') or record.get('kind')})"


def label_config(repo, bundle: Bundle | None = None) -> str:
    """A Label Studio labeling config whose choices are the schemas' label sets and the registries' ids."""
    return Controls.read(repo, bundle).config()


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
    refusals = Refusals()  # every refused task and result is named in one run
    for n, task in enumerate(tasks, start=1):
        with refusals.each():
            _read_task(n, task, at, kinds, convert, counters, choice, bundle, notes, base)
    refusals.raise_any()
    choice.check(at)  # (after: an --annotation ID of a refused task is not also "not in the file")
    return bundle, notes


def _read_task(n: int, task, at: At, kinds, convert: Units, counters: dict, choice: Choice, bundle: Bundle, notes: list[str], base: Bundle | None) -> None:
    where = at.inside(f"task {n}")
    task = need(task, dict, where, "a task")
    data = need(task.get("data"), dict, where, "its data")
    doc = doc_id(kinds, data.get("doc_id"), where.inside("data.doc_id"), base.texts if base else None)
    where = at.inside(f"task {n} ({doc})")
    annotations = need(task.get("annotations", []), list, where, "its annotations")
    done = [a for a in (need(a, dict, where, "an annotation") for a in annotations) if not a.get("was_cancelled")]
    chosen = choice.pick(done, where)
    if chosen is None:
        notes.append(f"{doc}: no annotation in the task{_unreviewed(task)}; its records are left as they are")
        return
    bundle.add_document(doc, data.get("text"), where, base.texts if base else None)
    where = where.inside(f"annotation {shown(chosen.get('id'))}")
    results = need(chosen.get("result"), list, where, "its result")
    for layer, record, rid in _records(results, doc, bundle.texts[doc], kinds, convert, counters, where):
        bundle.layers[layer].append(record)
        missing = incomplete(kinds, layer, record)
        if missing:
            notes.append(f"{doc}: {layer} {record['id']} {shown(record['text'])} (task {n}, region {shown(rid)}): "
                         f"complete {', '.join(missing)}")


def _unreviewed(task: dict) -> str:
    """What a task without an annotation holds instead, and what to do: drafts are submitted, and
    predictions (`zoomnews suggest --format labelstudio`) reviewed, in Label Studio before an export."""
    drafts, predictions = task.get("drafts"), task.get("predictions")
    if isinstance(drafts, list) and drafts:
        return f" ({len(drafts)} draft(s) not submitted: submit them in Label Studio, then export again)"
    if isinstance(predictions, list) and predictions:
        return (f" ({len(predictions)} prediction(s), not reviewed: review them in Label Studio first — accept or correct "
                f"them and submit the annotation — then export again)")
    return ""


def _records(results: list, doc: str, text: str, kinds, convert: Units, counters: dict, at: At):
    """(layer, record, region id) of one annotation's results; every result is used or refused. A
    refused region is left out, and so are the attributes and relations that name it (its refusal
    says what is wrong; they would only say it is missing); then every refusal is raised together."""
    regions, attributes_, relations = {}, [], []
    refusals, refused = Refusals(), set()
    for n, r in enumerate(results, start=1):
        where = at.inside(f"result {n}")
        with refusals.each():
            r = need(r, dict, where, "a result")
            kind = r.get("type")
            if kind == "labels":
                rid = need(r.get("id"), str, where, "a region id")
                if rid in regions:
                    raise where.refuse("ZN602", f"region id {shown(rid)} appears twice")
                refused.add(rid)
                regions[rid] = _region_span(r, text, convert, where.inside(f"region {shown(rid)}"))
                refused.discard(rid)
            elif kind in ATTRIBUTE_RESULTS:
                attributes_.append((r, where))
            elif kind == "relation":
                relations.append((r, where))
            else:
                raise where.refuse("ZN602", f"a result of type {shown(kind)}: zoomnews reads labels, {', '.join(ATTRIBUTE_RESULTS)} "
                                            "and relation results")
    fields = _fields(attributes_, regions, kinds, refused, refusals)
    links = _links(relations, regions, at, refused, refusals)
    for rid, (layer, start, end, name) in regions.items():
        if layer in SPAN_PARTS:
            continue  # read through the quotation's relation (_links refused an unlinked one)
        where = at.inside(f"region {shown(rid)}")
        with refusals.each():
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
            yield layer, {name: record.get(name) for name in kinds[layer].fields}, rid
    refusals.raise_any()


def incomplete(kinds, layer: str, record: dict) -> list[str]:
    """The fields of an imported record still to fill in: each attribute its schema requires and does
    not allow to be null, and an entity's `entity_id` when its type links to the registry."""
    schema = kinds[layer].schema
    linked = kinds["registry_entity"].schema["properties"]["type"].get("enum", [])  # rule ZN410: these types link
    missing = []
    for name in kinds[layer].fields:
        if name in core_fields(layer) or record.get(name) is not None:
            continue
        node = schema["properties"].get(name, {})
        types = node.get("type", [])
        nullable = "null" in (types if isinstance(types, list) else [types]) or None in node.get("enum", [])
        if (name in schema.get("required", []) and not nullable) or (name == "entity_id" and record.get(LABEL_FIELD[layer]) in linked):
            missing.append(name)
    return missing


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


def _fields(results: list, regions: dict, kinds, refused: set[str], refusals: Refusals) -> dict[str, dict]:
    """Region id -> {field: value} from the per-region text areas and choices (`layer.field`): each for
    a region of the annotation, of its own layer (ZN606, naming the region and field), for a field
    that layer has and a note may set, once, with one value. Those of a `refused` region are left out."""
    fields: dict[str, dict] = {}
    for r, where in results:
        if _names(r.get("id"), refused):
            continue
        with refusals.each():
            _field(r, where, regions, kinds, fields)
    return fields


def _field(r: dict, where: At, regions: dict, kinds, fields: dict[str, dict]) -> None:
    """One attribute result into `fields` (see _fields), or its refusal."""
    from_name = need(r.get("from_name"), str, where, "its from_name")
    rid = r.get("id")
    if not isinstance(rid, str) or rid not in regions:
        raise where.refuse("ZN606", f"a {r['type']} {shown(from_name)} for region {shown(rid)}, which is not in the annotation")
    where = where.inside(f"region {shown(rid)}")
    layer = regions[rid][0]
    owner, _, name = from_name.partition(".")
    if layer in SPAN_PARTS:
        raise where.refuse("ZN606", f"field {shown(from_name)} on a {layer} region: a quotation's {layer} carries no attributes",
                           field=name or None)
    if owner != layer:
        raise where.refuse("ZN606", f"field {shown(from_name)} belongs to the {shown(owner)} layer, not to this {layer} region "
                                    f"({regions[rid][3]}): attributes belong to their record's layer", field=name or None)
    name = settable(kinds, layer, name, where)
    value = need(r.get("value"), dict, where, "its value")
    key, other = ("text", "choices") if r["type"] == "textarea" else ("choices", "text")
    if r["type"] == "choices" and isinstance(value.get("text"), str):
        pass  # the region's own text: Label Studio's editor copies the region's start, end and text into its per-region results
    elif other in value:  # one of the two would be dropped without a word
        raise where.refuse("ZN602", f"{from_name} is a {r['type']} result holding both {key} and {other}: one value per field", field=name)
    texts = need(value.get(key), list, where, f"its {key}")
    if len(texts) != 1 or not isinstance(texts[0], str):
        raise where.refuse("ZN602", f"{from_name} holds one string, not {shown(texts)}", field=name)
    if name in fields.get(rid, {}):
        raise where.refuse("ZN602", f"{layer}.{name} appears twice for region {shown(rid)}", field=name)
    fields.setdefault(rid, {})[name] = _value(texts[0], kinds[layer].schema["properties"][name], where)


def _names(rid, refused: set[str]) -> bool:
    """Whether a result names a refused region (a region id is a string; anything else names none)."""
    return isinstance(rid, str) and rid in refused


def _links(relations: list, regions: dict, at: At, refused: set[str], refusals: Refusals) -> dict[tuple[str, str], str]:
    """(quotation region id, "cue"|"source") -> the linked region id; every cue/source region is
    linked (by a relation read, or by one refused: its refusal speaks for the region too). A relation
    to or from a `refused` region is left out."""
    links, meant = {}, set()
    for r, where in relations:
        if _names(r.get("from_id"), refused) or _names(r.get("to_id"), refused):
            continue
        if isinstance(r.get("to_id"), str):
            meant.add(r["to_id"])
        with refusals.each():
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
    for rid in sorted(set(rid for rid, region in regions.items() if region[0] in SPAN_PARTS) - meant):
        part = regions[rid][0]
        with refusals.each():
            raise at.inside(f"region {shown(rid)}").refuse("ZN602", f"a {part} region linked to no quotation by a {part} relation (its quotation deleted? delete "
                                                                   f"the region too; else draw the {part} relation from its quotation)")
    return links
