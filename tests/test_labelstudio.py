"""Label Studio an annotator can use (issue 18, item 5), checked with label-studio-sdk's own checks.

The label config: every attribute field sits under a header naming it, in a panel shown only while
a region of its own layer is selected; fixed value sets (method, mod, booleans) and the registries'
ids (entity_id, speaker, statement_id) are choices. The SDK accepts the config and every exported
task, annotation and prediction, for the gold corpus and generated ones. The importer refuses an
attribute of another layer (ZN606, naming task, region and field), a task with several annotations
unless one is chosen (ZN605), and reports every record left incomplete. The real-server round trip
is tests/test_labelstudio_server.py.
"""

import copy
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from conftest import ROOT
from strategies import corpora, scratch_dir
from zoomnews import CorpusRepo
from zoomnews.cli import main
from zoomnews.errors import ZoomnewsError
from zoomnews.formats import export_corpus, read_import
from zoomnews.formats.common import LABEL_FIELD, SPAN_KINDS, SPAN_PARTS, bundle_from_repo, core_fields
from zoomnews.formats.labelstudio import REGISTRY_FIELDS, Controls, export, incomplete, label_config
from zoomnews.sources.corpus import read_corpus
from zoomnews.sources.schemas import load_kinds

if os.environ.get("CI"):  # CI installs the labelstudio extra (scripts/test.py): its absence is a failure there
    from label_studio_sdk.label_interface import LabelInterface
else:
    LabelInterface = pytest.importorskip("label_studio_sdk.label_interface",
                                         reason="the labelstudio extra (label-studio-sdk) is not installed").LabelInterface

GOLD = CorpusRepo(ROOT)
KINDS = load_kinds(GOLD)
FEW = settings(max_examples=max(8, settings.default.max_examples // 4))


def fields_of(layer: str) -> list[str]:
    return [name for name in KINDS[layer].fields if name not in core_fields(layer)]


def exported(repo, tmp: Path, predictions: str | None = None, doc_ids=None) -> tuple[list[dict], str]:
    """(tasks, label config) of an export of `repo`."""
    out = tmp / ("ls-predictions" if predictions else "ls")
    if predictions:
        export(bundle_from_repo(repo, doc_ids), out, repo, predictions=predictions)
    else:
        export_corpus(repo, "labelstudio", out, doc_ids)
    return json.loads((out / "tasks.json").read_text(encoding="utf-8")), (out / "label_config.xml").read_text(encoding="utf-8")


def sdk_problems(config: str, tasks: list[dict]) -> list[str]:
    """Everything label-studio-sdk finds wrong with the config and the tasks: its config checks
    (schema, unique names, toName targets), its task check (the data the config reads), and its
    region and relation checks on every annotation and prediction."""
    interface = LabelInterface(config)
    interface.validate()  # raises on an invalid config
    problems = []
    for n, task in enumerate(tasks, start=1):
        bare = {"data": task["data"]}  # validate_task calls validate_annotation() without its argument when annotations are present
        if not interface.validate_task(bare):
            problems.append(f"task {n}: its data does not have what the config reads")
        for kind in ("annotations", "predictions"):
            for obj in task.get(kind, []):
                problems += [f"task {n} {kind[:-1]} {obj.get('id', obj.get('model_version'))}: {e}"
                             for e in interface.validate_prediction(obj, return_errors=True)]
    return problems


# --- the label config -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gold_config() -> ElementTree.Element:
    return ElementTree.fromstring(label_config(GOLD))


def panels(config: ElementTree.Element) -> dict[str, ElementTree.Element]:
    """Layer -> the View holding its fields (found by the controls' names, not by position)."""
    found = {}
    for view in config.iter("View"):
        names = {c.get("name", "").partition(".")[0] for c in view if c.get("perRegion") == "true"}
        if len(names) == 1:
            found[names.pop()] = view
    return found


def test_the_config_passes_the_sdk_config_checks(gold_config):
    config = label_config(GOLD)
    LabelInterface(config).validate()
    assert LabelInterface(config).is_valid


def test_each_field_is_labelled_and_shown_only_for_a_region_of_its_layer(gold_config):
    found = panels(gold_config)
    assert set(found) == set(SPAN_KINDS)
    for layer, view in found.items():
        labels = KINDS[layer].schema["properties"][LABEL_FIELD[layer]]["enum"]
        assert view.get("visibleWhen") == "region-selected"
        assert view.get("whenLabelValue").split(",") == labels  # Label Studio shows it for these labels' regions only
        children = list(view)
        controls = [c for c in children if c.get("perRegion") == "true"]
        assert [c.get("name") for c in controls] == [f"{layer}.{name}" for name in fields_of(layer)]
        for control in controls:
            header = children[children.index(control) - 1]
            assert header.tag == "Header" and header.get("value") == control.get("name").partition(".")[2]
    # no other layer's labels show a panel: the label sets (and cue/source) are disjoint
    every = [label for layer in SPAN_KINDS for label in KINDS[layer].schema["properties"][LABEL_FIELD[layer]]["enum"]]
    assert len(every + list(SPAN_PARTS)) == len(set(every) | set(SPAN_PARTS))
    # no attribute control lies outside a panel
    inside = {c.get("name") for view in found.values() for c in view}
    assert {c.get("name") for c in gold_config.iter() if c.get("perRegion") == "true"} <= inside


def test_method_mod_and_booleans_are_choices_and_registry_fields_pick_registry_ids(gold_config):
    corpus = read_corpus(GOLD)
    controls = {c.get("name"): c for c in gold_config.iter() if c.get("perRegion") == "true"}
    for layer in SPAN_KINDS:
        assert controls[f"{layer}.method"].tag == "Choices"
        assert [c.get("value") for c in controls[f"{layer}.method"]] == KINDS[layer].schema["properties"]["method"]["enum"]
    assert [c.get("value") for c in controls["timex.mod"]] == [v for v in KINDS["timex"].schema["properties"]["mod"]["enum"] if v]
    assert [c.get("value") for c in controls["timex.creation_time"]] == ["true", "false"]
    for name, registry in REGISTRY_FIELDS.items():
        layer = "entity" if name == "entity_id" else "quote"
        control = controls[f"{layer}.{name}"]
        assert control.tag == "Choices" and control.get("layout") == "select" and control.get("choice") == "single"
        assert controls["entity.method"].get("choice") == "single-radio"
        assert [c.get("value") for c in control] == sorted(r["id"] for r in corpus.rows(registry))
        assert all(c.get("hint") for c in control)  # the name (or the statement) beside each id
    typed = {name for name, c in controls.items() if c.tag == "TextArea"}
    assert typed == {"zone.article_index", "timex.article_index", "timex.value",
                     *(f"{layer}.{name}" for layer in SPAN_KINDS for name in ("annotator", "guideline"))}


def test_a_value_no_registry_has_is_offered_and_reported(repo_copy, tmp_path):
    """Nothing is lost on the way out: an entity_id missing from the registry is still a choice, and said."""
    path = repo_copy.path("annotations/registry/entities.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    gone = "zoom"
    path.write_text("".join(line for line in lines if json.loads(line)["id"] != gone), encoding="utf-8")
    notes = export_corpus(repo_copy, "labelstudio", tmp_path / "ls")
    assert any(f"entity.entity_id '{gone}'" in note for note in notes)
    tasks = json.loads((tmp_path / "ls/tasks.json").read_text(encoding="utf-8"))
    assert sdk_problems((tmp_path / "ls/label_config.xml").read_text(encoding="utf-8"), tasks) == []
    imported, _ = read_import(repo_copy, "labelstudio", tmp_path / "ls")
    assert imported.layers == bundle_from_repo(repo_copy).layers


def test_layers_sharing_a_label_cannot_be_told_apart():
    kinds = copy.deepcopy(KINDS)
    kinds["quote"].schema["properties"]["type"]["enum"].append("body")  # a zone label
    with pytest.raises(ValueError, match="'body' is in both the zone and the quote layer"):
        Controls(kinds, {name: [] for name in REGISTRY_FIELDS.values()})


# --- the SDK accepts every exported task, annotation and prediction ----------------------------

def test_every_gold_task_annotation_and_prediction_passes_the_sdk_checks(tmp_path):
    tasks, config = exported(GOLD, tmp_path)
    assert len(tasks) == 5 and all(t["annotations"][0]["result"] for t in tasks)
    assert sdk_problems(config, tasks) == []
    tasks, config = exported(GOLD, tmp_path, predictions="zoomnews-test")
    assert all(t["predictions"][0]["model_version"] == "zoomnews-test" for t in tasks)
    assert sdk_problems(config, tasks) == []


def test_the_sdk_checks_catch_what_they_should(tmp_path):
    """The checks above are not vacuous: a choice the config lacks and a control it lacks both fail."""
    tasks, config = exported(GOLD, tmp_path, doc_ids=["crn-2020-08-03"])
    result = tasks[0]["annotations"][0]["result"]
    method = next(r for r in result if r["from_name"] == "entity.method")
    bad = copy.deepcopy(tasks)
    next(r for r in bad[0]["annotations"][0]["result"] if r == method)["value"]["choices"] = ["guessed"]
    assert sdk_problems(config, bad)
    bad = copy.deepcopy(tasks)
    bad[0]["annotations"][0]["result"].append({**method, "from_name": "entity.no_such_field"})
    assert sdk_problems(config, bad)
    bad = copy.deepcopy(tasks)
    del bad[0]["data"]["text"]
    assert sdk_problems(config, bad)


def test_suggestions_for_label_studio_pass_the_sdk_checks(repo_copy, tmp_path):
    """`zoomnews suggest --format labelstudio`: the predictions an annotator accepts."""
    out = CliRunner().invoke(main, ["suggest", "crn-2020-08-03", "--repo", str(repo_copy.root), "--out", str(tmp_path / "s"),
                                    "--format", "labelstudio"])
    assert out.exit_code == 0, out.output
    tasks = json.loads((tmp_path / "s/tasks.json").read_text(encoding="utf-8"))
    assert tasks[0]["predictions"][0]["result"]
    assert sdk_problems((tmp_path / "s/label_config.xml").read_text(encoding="utf-8"), tasks) == []


@FEW
@given(corpora(max_documents=2), st.booleans())
def test_generated_corpora_export_tasks_the_sdk_accepts_and_import_back_unchanged(spec, as_predictions):
    root = scratch_dir("labelstudio-")
    repo = spec.write(root / "repo")
    tasks, config = exported(repo, root, predictions="zoomnews-test" if as_predictions else None)
    assert sdk_problems(config, tasks) == []
    controls = {c.get("name"): [x.get("value") for x in c] for c in ElementTree.fromstring(config).iter("Choices")}
    assert controls["entity.entity_id"] == sorted(r["id"] for r in spec.records["registry_entity"])
    assert controls["quote.speaker"] == sorted(r["id"] for r in spec.records["registry_speaker"])
    assert controls["quote.statement_id"] == sorted(r["id"] for r in spec.records["registry_statement"])
    if not as_predictions:
        imported, notes = read_import(repo, "labelstudio", root / "ls")
        assert imported.layers == bundle_from_repo(repo).layers and notes == []


def test_an_export_made_with_text_areas_only_still_imports(tmp_path):
    """Exports made with the earlier config (every field a text area) read the same."""
    tasks, _ = exported(GOLD, tmp_path)
    for task in tasks:
        for r in task["annotations"][0]["result"]:
            if r["type"] == "choices":
                r["type"], r["value"]["text"] = "textarea", r["value"].pop("choices")
    (tmp_path / "ls/tasks.json").write_text(json.dumps(tasks), encoding="utf-8")
    imported, notes = read_import(GOLD, "labelstudio", tmp_path / "ls")
    assert imported.layers == bundle_from_repo(GOLD).layers and notes == []


def test_an_export_as_label_studios_editor_saves_it_imports_unchanged(tmp_path):
    """Label Studio's editor writes each per-region result from its region's own value (start, end and,
    for text, the region's text) with the control's value added: a choices result holds the region's
    text as a string beside its choices. Every such result of the gold export, so saved, reads the same."""
    tasks, _ = exported(GOLD, tmp_path)
    saved = 0
    for task in tasks:
        region_text = {r["id"]: r["value"]["text"] for r in task["annotations"][0]["result"] if r["type"] == "labels"}
        for r in task["annotations"][0]["result"]:
            if r["type"] == "choices":
                r["value"] = {**r["value"], "text": region_text[r["id"]]}
                saved += 1
    assert saved
    (tmp_path / "ls/tasks.json").write_text(json.dumps(tasks), encoding="utf-8")
    imported, notes = read_import(GOLD, "labelstudio", tmp_path / "ls")
    assert imported.layers == bundle_from_repo(GOLD).layers and notes == []


def test_a_choice_changed_in_label_studio_comes_back_as_that_change(tmp_path):
    tasks, _ = exported(GOLD, tmp_path, doc_ids=["crn-2020-08-03"])
    result = tasks[0]["annotations"][0]["result"]
    entity = next(r for r in result if r["type"] == "labels" and r["from_name"] == "entity" and r["value"]["labels"] == ["ORG"])
    link = next(r for r in result if r["id"] == entity["id"] and r["from_name"] == "entity.entity_id")
    link["value"]["choices"] = ["tencent" if link["value"]["choices"] != ["tencent"] else "zoom"]
    timex = next(r for r in result if r["type"] == "choices" and r["from_name"] == "timex.creation_time")
    timex["value"]["choices"] = ["true" if timex["value"]["choices"] == ["false"] else "false"]
    (tmp_path / "ls/tasks.json").write_text(json.dumps(tasks), encoding="utf-8")
    imported, _ = read_import(GOLD, "labelstudio", tmp_path / "ls")
    by_id = lambda layer, rid: next(r for r in imported.layers[layer] if r["id"] == rid.split("/", 1)[1])
    assert by_id("entity", entity["id"])["entity_id"] == link["value"]["choices"][0]
    assert by_id("timex", timex["id"])["creation_time"] is (timex["value"]["choices"] == ["true"])


# --- refusals -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def one_task(tmp_path_factory) -> tuple[Path, list[dict]]:
    """The export of one document with every layer (its tasks, to copy and change)."""
    folder = tmp_path_factory.mktemp("one")
    tasks, _ = exported(GOLD, folder, doc_ids=["crn-2020-08-03"])
    return folder, tasks


def import_changed(tasks: list[dict], tmp: Path, **options):
    file = tmp / "changed.json"
    file.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return read_import(GOLD, "labelstudio", file, **options)


def regions(tasks: list[dict]) -> list[dict]:
    return [r for r in tasks[0]["annotations"][0]["result"] if r["type"] == "labels"]


@FEW
@given(data=st.data(), control=st.sampled_from(["textarea", "choices"]))
def test_an_attribute_of_another_layer_is_refused_naming_task_region_and_field(one_task, data, control):
    _, tasks = one_task
    tasks = copy.deepcopy(tasks)
    region = data.draw(st.sampled_from(regions(tasks)))
    layer = region["from_name"]
    other = data.draw(st.sampled_from([x for x in SPAN_KINDS if x != layer]))
    field = data.draw(st.sampled_from(fields_of(other)))
    key = "text" if control == "textarea" else "choices"
    tasks[0]["annotations"][0]["result"].insert(data.draw(st.integers(0, len(tasks[0]["annotations"][0]["result"]))), {
        "id": region["id"], "from_name": f"{other}.{field}", "to_name": "text", "type": control,
        "value": {"start": region["value"]["start"], "end": region["value"]["end"], key: ["a1"]}})
    with pytest.raises(ZoomnewsError) as error:
        import_changed(tasks, scratch_dir())
    problem = error.value.problems[0]
    assert problem.code == "ZN606", problem
    assert "task 1 (crn-2020-08-03)" in problem.message and repr(region["id"]) in problem.message
    assert f"{other}.{field}" in problem.message and problem.field == field


def test_the_issue_a_zone_annotator_box_on_an_entity_region(one_task, tmp_path):
    _, tasks = one_task
    tasks = copy.deepcopy(tasks)
    entity = next(r for r in regions(tasks) if r["from_name"] == "entity")
    tasks[0]["annotations"][0]["result"].append({"id": entity["id"], "from_name": "zone.annotator", "to_name": "text",
                                                 "type": "textarea", "value": {"text": ["a1"]}})
    with pytest.raises(ZoomnewsError) as error:
        import_changed(tasks, tmp_path)
    message = str(error.value)
    assert "ZN606" in message and "zone.annotator" in message and "entity" in message and entity["id"] in message


@pytest.mark.parametrize("value", [[], ["manual", "rule"], [3], "manual", None])
def test_a_choice_holds_exactly_one_string(one_task, tmp_path, value):
    _, tasks = one_task
    tasks = copy.deepcopy(tasks)
    method = next(r for r in tasks[0]["annotations"][0]["result"] if r["from_name"] == "entity.method")
    method["value"]["choices"] = value
    with pytest.raises(ZoomnewsError) as error:
        import_changed(tasks, tmp_path)
    assert error.value.problems[0].code == "ZN602"


stamps = st.datetimes(timezones=st.just(timezone.utc)).map(lambda d: d.isoformat())


def first_entity(result: list[dict]) -> dict:
    return next(r for r in result if r["type"] == "labels" and r["from_name"] == "entity")


@FEW
@given(data=st.data(), live=st.integers(0, 4), cancelled=st.integers(0, 2))
def test_several_annotations_are_refused_unless_one_is_chosen(one_task, data, live, cancelled):
    """k live (not cancelled) annotations: none or one import without a choice, two or more are ZN605
    until `annotation` names one (by id, or "latest": the one updated last, the later listed on a tie)."""
    _, tasks = one_task
    tasks = copy.deepcopy(tasks)
    base = tasks[0]["annotations"][0]
    versions = []
    for n in range(live):
        version = copy.deepcopy(base)
        first_entity(version["result"])["value"]["labels"] = [["ORG", "PERSON", "GPE", "NORP"][n]]
        version.update(id=100 + n, updated_at=data.draw(stamps, label=f"updated_at {n}"))
        versions.append(version)
    dead = [{"id": 200 + n, "was_cancelled": True, "result": []} for n in range(cancelled)]
    listed = tasks[0]["annotations"] = data.draw(st.permutations(versions + dead))
    ident = first_entity(base["result"])["id"].split("/")[1]
    label_in = lambda bundle: next(r["label"] for r in bundle.layers["entity"] if r["id"] == ident)
    label_of = lambda version: first_entity(version["result"])["value"]["labels"][0]
    folder = scratch_dir()
    if live >= 2:
        with pytest.raises(ZoomnewsError) as error:
            import_changed(tasks, folder)
        problem = error.value.problems[0]
        assert problem.code == "ZN605" and "task 1 (crn-2020-08-03)" in problem.message and f"{live} annotations" in problem.message
        pick = data.draw(st.sampled_from(versions))
        assert label_in(import_changed(tasks, folder, annotation=str(pick["id"]))[0]) == label_of(pick)
        newest = max(versions, key=lambda v: (datetime.fromisoformat(v["updated_at"]), listed.index(v)))
        assert label_in(import_changed(tasks, folder, annotation="latest")[0]) == label_of(newest)
    elif live == 1:
        assert label_in(import_changed(tasks, folder)[0]) == "ORG"
    else:
        bundle, notes = import_changed(tasks, folder)
        assert bundle.texts == {} and any("no annotation" in note for note in notes)


# --- every span that could not be completed is reported ---------------------------------------

def required_and_missing(layer: str, record: dict) -> set[str]:
    """An oracle independent of the importer: the schema's own validator, plus rule ZN410's link."""
    errors = KINDS[layer].validator.iter_errors(record)
    missing = {e.path[0] for e in errors if e.path and e.path[0] in fields_of(layer) and record[e.path[0]] is None}
    linked = KINDS["registry_entity"].schema["properties"]["type"]["enum"]
    if layer == "entity" and record["label"] in linked and record["entity_id"] is None:
        missing.add("entity_id")
    return missing


@FEW
@given(data=st.data())
def test_every_record_left_incomplete_is_reported(one_task, data):
    _, tasks = one_task
    tasks = copy.deepcopy(tasks)
    result = tasks[0]["annotations"][0]["result"]
    attributes = [r for r in result if r["type"] in ("textarea", "choices")]
    dropped = data.draw(st.lists(st.sampled_from(attributes), unique_by=lambda r: (r["id"], r["from_name"]), max_size=12))
    for r in dropped:
        result.remove(r)
    bundle, notes = import_changed(tasks, scratch_dir())
    expected = {}
    for layer in SPAN_KINDS:
        for record in bundle.layers[layer]:
            missing = required_and_missing(layer, record)
            if missing:
                expected[(layer, record["id"])] = missing
    reported = {}
    for note in notes:
        found = re.fullmatch(r"crn-2020-08-03: (\w+) (\w+) .* \(task 1, region '[^']+'\): complete ([\w, ]+)", note)
        assert found, note
        reported[(found[1], found[2])] = set(found[3].split(", "))
    assert reported == expected
    assert all((r["id"].partition("/")[0], r["id"].partition("/")[2]) in reported for r in dropped
               if r["from_name"].partition(".")[2] in ("method", "annotator", "guideline"))  # always required


def test_a_new_region_without_fields_is_reported_and_the_cli_prints_it(repo_copy, tmp_path):
    tasks, _ = exported(repo_copy, tmp_path, doc_ids=["crn-2020-08-03"])
    text = tasks[0]["data"]["text"]
    start = text.index("Zoom")
    tasks[0]["annotations"][0]["result"].append({"id": "new1", "from_name": "entity", "to_name": "text", "type": "labels",
                                                 "value": {"start": start, "end": start + 4, "text": "Zoom", "labels": ["ORG"]}})
    (tmp_path / "ls/tasks.json").write_text(json.dumps(tasks), encoding="utf-8")
    _, notes = read_import(repo_copy, "labelstudio", tmp_path / "ls")
    assert len(notes) == 1 and re.fullmatch(r"crn-2020-08-03: entity e\d+ 'Zoom' \(task 1, region 'new1'\): "
                                            r"complete entity_id, annotator, method, guideline", notes[0]), notes
    out = CliRunner().invoke(main, ["import", str(tmp_path / "ls"), "--format", "labelstudio", "--repo", str(repo_copy.root), "--dry-run"])
    assert out.exit_code == 0, out.output
    assert f"note: {notes[0]}" in out.output and "1 added" in out.output


def test_a_task_with_only_a_draft_says_so(one_task, tmp_path):
    _, tasks = one_task
    tasks = copy.deepcopy(tasks)
    tasks[0]["drafts"] = [{"id": 7, "result": tasks[0]["annotations"].pop()["result"]}]
    bundle, notes = import_changed(tasks, tmp_path)
    assert bundle.texts == {} and notes == ["crn-2020-08-03: no annotation in the task (1 draft(s) not submitted: submit them in "
                                            "Label Studio, then export again); its records are left as they are"]


def test_incomplete_names_required_non_null_fields_and_the_entity_link():
    record = {"doc_id": "d", "id": "e1", "start": 0, "end": 1, "text": "x", "label": "CARDINAL", "entity_id": None,
              "annotator": "a1", "method": None, "guideline": "1.1.0"}
    assert incomplete(KINDS, "entity", record) == ["method"]
    assert incomplete(KINDS, "entity", {**record, "label": "ORG"}) == ["entity_id", "method"]
    timex = {"doc_id": "d", "id": "t1", "start": 0, "end": 1, "text": "x", "type": "DATE", "value": "2020", "mod": None,
             "article_index": 0, "creation_time": None, "annotator": "a1", "method": "manual", "guideline": "1.1.0"}
    assert incomplete(KINDS, "timex", timex) == ["creation_time"]  # mod may be null
