"""Exchange formats: export -> import round-trips the gold corpus and generated astral-plane corpora to
identical records; offsets are right in each tool's unit (checked by Node.js for the JavaScript tools)."""

import functools
import json
import re
import shutil
import subprocess
import unicodedata

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from conftest import ROOT
from strategies import corpora, scratch_dir
from zoomnews import CorpusRepo
from zoomnews.cli import main
from zoomnews.errors import ZoomnewsError
from zoomnews.formats import FORMATS, LOSSLESS, export_corpus, import_corpus, module, read_import
from zoomnews.formats.common import SPAN_KINDS, bundle_from_repo
from zoomnews.checks.validation import validate_repo

CARRIED = {name: module(name).CARRIES for name in FORMATS}


def round_trip(repo, fmt, tmp, units=None):
    original = bundle_from_repo(repo)
    notes = export_corpus(repo, fmt, tmp / fmt, units=units)
    imported, _ = read_import(repo, fmt, tmp / fmt, units)
    # spans the export reported it could not carry as they are (CoNLL: nested or widened ones) are the only difference
    reported = {(m[0], {"entities": "entity", "timexes": "timex"}[m[1]], m[2]) for m in
                (re.match(r"^(\S+): (entities|timexes) (\S+) ", n).groups() for n in notes if re.match(r"^\S+: (entities|timexes) ", n))}
    for layer in CARRIED[fmt]:
        key = lambda r: (r["doc_id"], r["id"])
        kept = lambda records: sorted((r for r in records if (r["doc_id"], layer, r["id"]) not in reported), key=key)
        assert kept(imported.layers[layer]) == kept(original.layers[layer]), (fmt, layer)
    return notes


@pytest.mark.parametrize("fmt", FORMATS)
def test_gold_corpus_round_trips(fmt, tmp_path):
    notes = round_trip(CorpusRepo(ROOT), fmt, tmp_path)
    assert fmt in LOSSLESS or notes  # lossy formats say what they cannot carry


@pytest.mark.parametrize("fmt, units", [("labelstudio", "utf16"), ("brat", "codepoint")])
def test_other_offset_units_round_trip(fmt, units, tmp_path):
    round_trip(CorpusRepo(ROOT), fmt, tmp_path, units)


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(corpora(max_documents=2), st.sampled_from(FORMATS))
def test_generated_corpora_round_trip(spec, fmt):
    root = scratch_dir("formats-")
    repo = spec.write(root / "repo")
    round_trip(repo, fmt, root)


def test_import_writes_canonical_sources_that_validate(repo_copy, tmp_path):
    before = {layer: repo_copy.path(f"annotations/{name}.jsonl").read_bytes() for layer, name in
              (("zone", "zones"), ("entity", "entities"), ("timex", "timexes"), ("quote", "quotes"))}
    for fmt in FORMATS:
        export_corpus(repo_copy, fmt, tmp_path / fmt)
        result = import_corpus(repo_copy, fmt, tmp_path / fmt)
        assert len(result.documents) == 5
        assert all(c.before == c.after and not (c.added or c.removed or c.changed) for c in result.counts.values()), fmt
        assert validate_repo(repo_copy).problems == [], fmt
        after = {layer: repo_copy.path(f"annotations/{name}.jsonl").read_bytes() for layer, name in
                 (("zone", "zones"), ("entity", "entities"), ("timex", "timexes"), ("quote", "quotes"))}
        assert after == before, fmt  # carried layers identical, the others untouched


def test_an_edit_made_in_label_studio_comes_back_as_that_edit(repo_copy, tmp_path):
    out_dir = tmp_path / "out"
    export_corpus(repo_copy, "labelstudio", out_dir, doc_ids=["crn-2020-08-03"])
    tasks = json.loads((out_dir / "tasks.json").read_text(encoding="utf-8"))
    region = next(r for r in tasks[0]["annotations"][0]["result"] if r["type"] == "labels" and r["from_name"] == "timex")
    assert not any(r.get("from_name") == "timex.mod" and r.get("id") == region["id"] for r in tasks[0]["annotations"][0]["result"])  # (no mod: none shown)
    tasks[0]["annotations"][0]["result"].append({"id": region["id"], "from_name": "timex.mod", "to_name": "text", "type": "choices",
                                                 "value": {"start": region["value"]["start"], "end": region["value"]["end"], "choices": ["APPROX"]}})
    (out_dir / "tasks.json").write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    out = CliRunner().invoke(main, ["import", str(out_dir), "--format", "labelstudio", "--repo", str(repo_copy.root), "--annotator", "a3"])
    assert out.exit_code == 0, out.output
    assert validate_repo(repo_copy).problems == []
    from zoomnews.tools.diff import WORKING, diff

    result = diff(repo_copy, repo_copy.released_versions()[-1], WORKING)
    changed = [(c["key"]["id"], c["fields"]) for c in result["timexes"].changed]
    assert [(ident, sorted(set(fields) - {"method"})) for ident, fields in changed] == [(region["id"].split("/", 1)[1], ["annotator", "guideline", "mod"])]
    assert all(d.empty for layer, d in result.items() if layer != "timexes")


@pytest.mark.parametrize("change, said", [
    (lambda t: t.replace("\n", "\r\n"), "its lines end in CRLF"),  # git's core.autocrlf on Windows
    (lambda t: "\ufeff" + t, "byte-order mark"),
    (lambda t: unicodedata.normalize("NFD", t.replace("Zoom", "Zoom café", 1)), None),  # other text too: where
    (lambda t: t + "\n\n", "other newlines at its end, and nothing else"),
    (lambda t: "\ufeff" + t.replace("\n", "\r\n") + "\r\n", "byte-order mark (save it as UTF-8 without one); its lines end in CRLF"),  # a Windows editor: all at once
    (lambda t: t.replace("Zoom", "Zoon", 1), "from character"),
])
def test_a_brat_text_changed_on_its_way_says_how(repo_copy, tmp_path, change, said):
    """A brat .txt with CRLF line endings was refused as "the tool changed the document" with no
    word of what changed; the usual culprits are now named."""
    out_dir = tmp_path / "out"
    export_corpus(repo_copy, "brat", out_dir)
    txt = out_dir / "crn-2020-08-03.txt"
    txt.write_bytes(change(txt.read_bytes().decode("utf-8")).encode("utf-8"))
    with pytest.raises(ZoomnewsError) as e:
        read_import(repo_copy, "brat", out_dir)
    [problem] = [p for p in e.value.problems if p.code == "ZN603"]
    assert "crn-2020-08-03" in problem.message and (said or "from character") in problem.message, problem.message


def test_a_text_in_nfd_is_said_to_be():
    from zoomnews.formats.common import how_texts_differ

    assert "NFC" in how_texts_differ(unicodedata.normalize("NFD", "café ü"), "café ü")


def test_a_changed_text_or_a_split_character_is_refused(repo_copy, tmp_path):
    out_dir = tmp_path / "out"
    export_corpus(repo_copy, "doccano", out_dir)
    lines = (out_dir / "doccano.jsonl").read_text(encoding="utf-8").splitlines()
    edited = json.loads(lines[0])
    edited["text"] = edited["text"].replace("Zoom", "Zoom Inc.", 1)
    (out_dir / "doccano.jsonl").write_text("\n".join([json.dumps(edited), *lines[1:]]), encoding="utf-8")
    with pytest.raises(ZoomnewsError) as e:
        read_import(repo_copy, "doccano", out_dir)
    assert "ZN603" in {p.code for p in e.value.problems}


def test_utf16_offsets_inside_a_surrogate_pair_are_refused(tmp_path):
    spec_repo = _emoji_repo(tmp_path)
    export_corpus(spec_repo, "doccano", tmp_path / "d")
    line = json.loads((tmp_path / "d" / "doccano.jsonl").read_text(encoding="utf-8").splitlines()[0])
    line["label"][0][0] = 1  # the second unit of the leading emoji
    (tmp_path / "d" / "doccano.jsonl").write_text(json.dumps(line), encoding="utf-8")
    with pytest.raises(ZoomnewsError) as e:
        read_import(spec_repo, "doccano", tmp_path / "d")
    assert {p.code for p in e.value.problems} == {"ZN601"}


def _emoji_repo(tmp_path) -> CorpusRepo:
    """A one-document corpus whose text has astral-plane characters before and inside spans."""
    from strategies import CorpusSpec

    text = "😀 Zoom’s 𝔘𝔫𝔦 unit met 👩‍💻 Eric Yuan on Monday."
    spec = CorpusSpec({"emoji": text})
    spec.records = {name: [] for name in ("document", "article", "registry_entity", "registry_speaker", "registry_statement", "zone", "entity", "timex", "quote")}
    import hashlib

    spec.records["document"].append({"doc_id": "emoji", "source_file": "emoji.txt", "sha256": hashlib.sha256(text.encode()).hexdigest(), "outlet": "Outlet",
                                     "outlet_evidence": "test", "url": None, "language": "en", "rights": "test", "derived_from": []})
    spec.records["article"].append({"doc_id": "emoji", "article_index": 0, "title": "T", "authors": [], "published": "2020-08-03",
                                    "published_evidence": "stated", "published_reason": "test"})
    prov = {"annotator": "a1", "method": "manual", "guideline": "1.0.0"}
    spec.records["zone"].append({"doc_id": "emoji", "id": "z1", "start": 0, "end": len(text), "text": text, "label": "body", "article_index": 0, **prov})
    for n, word in enumerate(["𝔘𝔫𝔦", "Eric Yuan"], start=1):
        s = text.index(word)
        spec.records["entity"].append({"doc_id": "emoji", "id": f"e{n}", "start": s, "end": s + len(word), "text": word,
                                       "label": "CARDINAL" if n == 1 else "PERSON", "entity_id": None, **prov})
    s = text.index("Monday")
    spec.records["timex"].append({"doc_id": "emoji", "id": "t1", "start": s, "end": s + 6, "text": "Monday", "type": "DATE", "value": "2020-08-03",
                                  "mod": None, "article_index": 0, "creation_time": False, **prov})
    return spec.write(tmp_path / "repo")


NODE_CHECK = r"""
const fs = require("fs");
const [ls, dc] = [JSON.parse(fs.readFileSync(process.argv[2], "utf8")), fs.readFileSync(process.argv[3], "utf8").trim().split("\n").map(JSON.parse)];
const out = {labelstudio: [], doccano: []};
for (const task of ls) {
  const points = Array.from(task.data.text);  // current Label Studio: code points
  for (const r of task.annotations[0].result.filter(r => r.type === "labels"))
    out.labelstudio.push([points.slice(r.value.start, r.value.end).join(""), r.value.text]);
}
for (const line of dc)  // doccano's frontend: JavaScript string indices (UTF-16 units)
  for (const [s, e] of line.label) out.doccano.push(line.text.slice(s, e));
console.log(JSON.stringify(out));
"""


def test_label_studio_and_doccano_offsets_under_javascript_string_semantics(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    repo = _emoji_repo(tmp_path)
    export_corpus(repo, "labelstudio", tmp_path / "ls")
    export_corpus(repo, "doccano", tmp_path / "dc")
    script = tmp_path / "check.js"
    script.write_text(NODE_CHECK, encoding="utf-8")
    result = subprocess.run([node, str(script), str(tmp_path / "ls" / "tasks.json"), str(tmp_path / "dc" / "doccano.jsonl")],
                            capture_output=True, text=True, check=True)
    seen = json.loads(result.stdout)
    assert seen["labelstudio"] and all(sliced == stored for sliced, stored in seen["labelstudio"])
    bundle = bundle_from_repo(repo)
    expected = sorted(r["text"] for layer in SPAN_KINDS for r in bundle.layers[layer])
    assert sorted(seen["doccano"]) == expected
    assert "𝔘𝔫𝔦" in seen["doccano"] and "Eric Yuan" in seen["doccano"]


# --- spaCy: what a model or annotator changes is doc.ents and doc.spans, not user_data ----------------

def spacy_docs(file):
    from spacy.tokens import DocBin

    from zoomnews.formats.spacy import _vocab

    return list(DocBin().from_disk(file).get_docs(_vocab()))


def save_docs(docs, file, user_data=True):
    from spacy.tokens import DocBin

    out = DocBin(store_user_data=user_data)
    for doc in docs:
        out.add(doc)
    out.to_disk(file)


@pytest.fixture(scope="module")
def spacy_export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spacy") / "export"
    export_corpus(CorpusRepo(ROOT), "spacy", folder)
    return folder / "corpus.spacy"


def score_json(repo_root, pred):
    out = CliRunner().invoke(main, ["score", "--pred", str(pred), "--pred-format", "spacy", "--gold", "working",
                                    "--format", "json", "--repo", str(repo_root)])
    return out


def test_spacy_predictions_with_no_spans_score_nothing_even_with_user_data(spacy_export, tmp_path):
    docs = spacy_docs(spacy_export)
    for doc in docs:  # what a model that finds nothing leaves; the gold copy in user_data stays
        doc.ents = []
        for group in list(doc.spans):
            doc.spans[group] = []
    save_docs(docs, tmp_path / "empty.spacy")
    out = score_json(ROOT, tmp_path / "empty.spacy")
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert result["ner"]["micro"]["strict"]["recall"] == 0 and result["ner"]["micro"]["strict"]["correct"] == 0
    assert result["timex"]["relaxed"]["recall"] == 0 and result["attribution"]["content_overlap"]["recall"] == 0


def test_a_model_docbin_without_user_data_is_scored_by_its_documents_texts(spacy_export, tmp_path):
    import spacy

    nlp, gold = spacy.blank("en"), bundle_from_repo(CorpusRepo(ROOT))
    docs, expected = [], 0
    for doc_id, text in sorted(gold.texts.items()):
        doc = nlp.make_doc(text)  # a model's output: the text and doc.ents, nothing else
        people = [doc.char_span(r["start"], r["end"], label="PERSON") for r in gold.records("entity", doc_id) if r["label"] == "PERSON"]
        doc.ents = [s for s in spacy.util.filter_spans([s for s in people if s is not None])]
        expected += len(doc.ents)
        docs.append(doc)
    save_docs(docs, tmp_path / "model.spacy", user_data=False)
    out = score_json(ROOT, tmp_path / "model.spacy")
    assert out.exit_code == 0, out.output
    strict = json.loads(out.stdout)["ner"]["micro"]["strict"]
    assert expected and strict["correct"] == expected and strict["spurious"] == 0 and strict["precision"] == 1
    docs[0] = nlp.make_doc(docs[0].text + " (updated)")  # a text no corpus document has cannot be placed
    save_docs(docs, tmp_path / "other.spacy", user_data=False)
    out = score_json(ROOT, tmp_path / "other.spacy")
    assert out.exit_code == 1 and "ZN603" in out.output and "text of no corpus document" in out.output
    assert "Traceback" not in out.output


def test_an_edit_of_doc_ents_is_imported_as_that_edit(repo_copy, tmp_path):
    export_corpus(repo_copy, "spacy", tmp_path / "sp")
    docs = spacy_docs(tmp_path / "sp" / "corpus.spacy")
    ents = list(docs[0].ents)
    person = next(i for i, s in enumerate(ents) if s.label_ == "PERSON")
    ents[person] = docs[0].char_span(ents[person].start_char, ents[person].end_char, label="ORG")
    docs[0].ents = ents
    save_docs(docs, tmp_path / "sp" / "corpus.spacy")
    before = repo_copy.path("annotations/entities.jsonl").read_bytes()
    command = ["import", str(tmp_path / "sp"), "--format", "spacy", "--repo", str(repo_copy.root)]
    unsigned = CliRunner().invoke(main, command)  # who relabelled it? not the old record's annotator
    assert unsigned.exit_code == 1 and "ZN608" in unsigned.output and "1 entity record(s) changed in the tool" in unsigned.output, unsigned.output
    assert repo_copy.path("annotations/entities.jsonl").read_bytes() == before
    out = CliRunner().invoke(main, [*command, "--annotator", "a0"])
    assert out.exit_code == 0, out.output
    assert re.search(r"entity: \d+ -> \d+ record\(s\) in 5 document\(s\): 0 added, 0 removed, 1 changed", out.output), out.output
    old = {(r["doc_id"], r["id"]): r for r in map(json.loads, before.decode("utf-8").splitlines())}
    now = [r for r in map(json.loads, repo_copy.path("annotations/entities.jsonl").read_text(encoding="utf-8").splitlines())
           if r != old[(r["doc_id"], r["id"])]]
    was = old[(now[0]["doc_id"], now[0]["id"])]["method"]  # a record code proposed stays `corrected`
    assert [(r["label"], r["annotator"], r["method"], r["guideline"]) for r in now] == [("ORG", "a0", "manual" if was == "manual" else "corrected", "1.0.0")]


SPACY_EDITS = st.lists(st.tuples(st.sampled_from(["drop", "relabel", "add"]), st.sampled_from(["ents", "zones", "entities", "timexes", "quotes", "cues"]),
                                 st.integers(0, 10_000), st.integers(0, 10_000)), max_size=8)
GROUP_LAYER = {"zones": "zone", "entities": "entity", "timexes": "timex", "quotes": "quote"}


@functools.cache
def spacy_original():
    """The checkout's repository, schemas and records, read once (a function, not a fixture: hypothesis
    prints a failing example's arguments)."""
    from zoomnews.sources.schemas import load_kinds

    repo = CorpusRepo(ROOT)
    return repo, load_kinds(repo), bundle_from_repo(repo)


@settings(max_examples=max(10, settings.default.max_examples // 2))
@given(doc_index=st.integers(0, 4), edits=SPACY_EDITS)
def test_spacy_edits_of_ents_and_span_groups_come_back_as_exactly_those_edits(spacy_export, doc_index, edits):
    """Export, then remove, relabel or add spans in doc.ents and the span groups (user_data untouched):
    the import holds the exported records with exactly those edits, the other documents' unchanged."""
    from zoomnews.formats.common import LABEL_FIELD
    from zoomnews.formats.doccano import NEW_DEFAULTS
    from zoomnews.release.views import TIMEX_TO_ONTONOTES

    repo, kinds, original = spacy_original()
    choices = {layer: kinds[layer].schema["properties"][LABEL_FIELD[layer]]["enum"] for layer in SPAN_KINDS}
    docs = spacy_docs(spacy_export)
    doc = docs[doc_index % len(docs)]
    stored = doc.user_data["zoomnews"]
    name = stored["doc_id"]
    # the oracle: the exported records by (layer, start, end), edited as the Doc is
    records = {(layer, r["start"], r["end"]): dict(r) for layer in SPAN_KINDS for r in stored[layer]}
    assert len(records) == sum(len(stored[layer]) for layer in SPAN_KINDS)
    cued = [q for q in stored["quote"] if q["cue_start"] is not None]
    # each view's spans with the record behind them (the groups keep the records' order; None: added here)
    views = {"ents": [(s, next(k for k in records if k[0] in ("entity", "timex") and k[1:] == (s.start_char, s.end_char))) for s in doc.ents],
             **{g: [(s, (layer, r["start"], r["end"])) for s, r in zip(doc.spans[g], stored[layer])] for g, layer in GROUP_LAYER.items()},
             "cues": [(s, ("cue", q["id"])) for s, q in zip(doc.spans["cues"], cued)]}
    touched, added = set(), {}
    for op, view, a, b in edits:
        spans = views[view]
        if op == "add":
            if view == "cues":
                continue
            start = a % len(doc)
            span = doc[start: start + 1 + b % 3]
            layer = "entity" if view == "ents" else GROUP_LAYER[view]
            key = (layer, span.start_char, span.end_char)
            # (a span added where one was removed is that record relabelled: spaCy keeps no ids to tell them apart)
            if key in records or key in added or key in touched or (view == "ents" and any(s.start < span.end and span.start < s.end for s, _ in spans)):
                continue
            added[key] = choices[layer][b % len(choices[layer])]
            spans.append((doc.char_span(span.start_char, span.end_char, label=added[key]), None))
            continue
        if not spans:
            continue
        i = a % len(spans)
        span, key = spans[i]
        if key is None or key in touched:
            continue
        if view == "cues" and sum(q["cue_start"] == span.start_char for q in cued) > 1:
            continue  # a cue two quotations share is one span to spaCy: either link cannot be removed alone
        touched.add(key)
        if op == "drop" or view == "cues":
            del spans[i]
            if view == "cues":
                for r in (r for k, r in records.items() if k[0] == "quote" and r["id"] == key[1]):  # none if the quotation went too
                    r.update(cue_start=None, cue_end=None, cue_text=None)
            else:
                records.pop(key)
            continue
        layer, old = key[0], records[key][LABEL_FIELD[key[0]]]
        shown = lambda label: TIMEX_TO_ONTONOTES[label] if view == "ents" and layer == "timex" else label
        options = [l for l in choices[layer] if shown(l) != shown(old) and (view != "ents" or layer == "entity" or l in ("DATE", "TIME"))]
        new = options[b % len(options)]
        spans[i] = (doc.char_span(span.start_char, span.end_char, label=shown(new)), key)
        records[key][LABEL_FIELD[layer]] = new
    doc.ents = [s for s, _ in views["ents"]]
    for group in [*GROUP_LAYER, "cues"]:
        doc.spans[group] = [s for s, _ in views[group]]
    folder = scratch_dir("spacy-edits-")
    save_docs(docs, folder / "corpus.spacy")
    imported, _ = read_import(repo, "spacy", folder)

    for layer in SPAN_KINDS:
        got = {(r["start"], r["end"]): r for r in imported.records(layer, name)}
        want = {k[1:]: r for k, r in records.items() if k[0] == layer}
        new = {k[1:]: label for k, label in added.items() if k[0] == layer}
        assert set(got) == set(want) | set(new), layer
        for span, r in got.items():
            if span in want:
                assert r == want[span], (layer, span)
            else:
                assert r[LABEL_FIELD[layer]] == new[span] and {k: r[k] for k in NEW_DEFAULTS[layer]} == NEW_DEFAULTS[layer]
                assert r["id"] not in {o["id"] for o in original.records(layer, name)}
        for other in set(original.texts) - {name}:  # the other documents are untouched
            assert imported.records(layer, other) == original.records(layer, other)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("units", ["codepoint", "utf16"])
def test_units_a_format_cannot_count_in_are_a_usage_error_for_export_and_import(fmt, units, tmp_path):
    """--units was accepted and ignored by brat, xmi, conll and spacy: now it is honoured (Label Studio,
    doccano, or the format's own unit) or refused with exit 2 naming the format's unit, nothing written."""
    from zoomnews.formats import UNIT_NAMES

    own = module(fmt)
    exported = CliRunner().invoke(main, ["export", str(tmp_path / "out"), "--format", fmt, "--units", units,
                                         "--doc", "crn-2020-08-03", "--repo", str(ROOT)])
    if units in own.UNITS:
        assert exported.exit_code == 0, exported.output
    else:
        assert exported.exit_code == 2 and f"{fmt} offsets are always {UNIT_NAMES[own.UNIT]} ({own.UNIT})" in exported.output, exported.output
        assert not (tmp_path / "out").exists()
        export_corpus(CorpusRepo(ROOT), fmt, tmp_path / "out", doc_ids=["crn-2020-08-03"])  # in its own unit, to import
    imported = CliRunner().invoke(main, ["import", str(tmp_path / "out"), "--format", fmt, "--units", units, "--dry-run", "--repo", str(ROOT)])
    if units in own.UNITS:
        assert imported.exit_code == 0 and "0 added, 0 removed, 0 changed" in imported.output, imported.output
    else:
        assert imported.exit_code == 2 and f"{fmt} offsets are always" in imported.output and "--units" in imported.output, imported.output
    assert ("utf16" in own.UNITS) == (fmt in ("labelstudio", "doccano", "xmi")) and own.UNIT in own.UNITS


@pytest.mark.parametrize("fmt, file", [("labelstudio", "tasks.json"), ("doccano", "doccano.jsonl")])
def test_a_changed_text_is_refused_as_such_before_its_spans(repo_copy, tmp_path, fmt, file):
    """A Label Studio task whose text had changed was refused with a ZN601 on its first region ("are
    the offsets in another unit?"), which sent the contributor after the wrong fix."""
    out_dir = tmp_path / "out"
    export_corpus(repo_copy, fmt, out_dir)
    path = out_dir / file
    path.write_text(path.read_text(encoding="utf-8").replace("Zoom", "Zoom Inc.", 1), encoding="utf-8")
    with pytest.raises(ZoomnewsError) as e:
        read_import(repo_copy, fmt, out_dir)
    assert [p.code for p in e.value.problems] == ["ZN603"] and "from character" in e.value.problems[0].message, [str(p) for p in e.value.problems]


# --- formats that keep no links: a quotation's cue and source stay where they were ---------------

def _moved_cue_doccano(folder, cue):
    """Every doccano label of `cue` (code points = UTF-16 units in this document) starts one character later."""
    file = folder / "doccano.jsonl"
    lines = [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        for label in line["label"]:
            if label[2] == "Cue" and (label[0], label[1]) == cue:
                label[0] += 1
    file.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")


def _moved_cue_spacy(folder, cue):
    docs = spacy_docs(folder / "corpus.spacy")
    for doc in docs:
        if doc.user_data["zoomnews"]["doc_id"] == DOC:
            moved = lambda s: s[1:] if len(s) > 1 else doc[s.start:s.end + 1]  # a token less, or one more
            doc.spans["cues"] = [doc.char_span(moved(s).start_char, moved(s).end_char, label=s.label_)
                                 if (s.start_char, s.end_char) == cue else s for s in doc.spans["cues"]]
    save_docs(docs, folder / "corpus.spacy")


DOC = "crn-2020-08-03"


@pytest.mark.parametrize("fmt, move", [("doccano", _moved_cue_doccano), ("spacy", _moved_cue_spacy)])
def test_a_cue_moved_in_a_format_without_links_is_refused_naming_the_quotations(repo_copy, tmp_path, fmt, move):
    """The quotation would lose its cue and the moved span be left out with only a note (exit 0)."""
    quotes = [q for q in bundle_from_repo(repo_copy).records("quote", DOC) if q["cue_start"] is not None and q["text"].isascii()]
    quote = quotes[0]
    cue = (quote["cue_start"], quote["cue_end"])
    sharing = sorted(q["id"] for q in quotes if (q["cue_start"], q["cue_end"]) == cue)
    export_corpus(repo_copy, fmt, tmp_path / fmt, doc_ids=[DOC])
    move(tmp_path / fmt, cue)
    before = {p: p.read_bytes() for p in repo_copy.path("annotations").glob("*.jsonl")}
    out = CliRunner().invoke(main, ["import", "--format", fmt, "--repo", str(repo_copy.root), str(tmp_path / fmt)])
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "ZN602" in out.output and "is linked to no quotation" in out.output, out.output
    assert all(f"{rid} (at {cue[0]}-{cue[1]}" in out.output for rid in sharing), out.output
    assert {p: p.read_bytes() for p in before} == before


def _cues_changed(folder, fmt, cue, added):
    """The export with the cue spans at `cue` deleted, and a cue span added at `added` (None: none)."""
    if fmt == "doccano":
        file = folder / "doccano.jsonl"
        line = json.loads(file.read_text(encoding="utf-8"))
        line["label"] = [l for l in line["label"] if not (l[2] == "Cue" and (l[0], l[1]) == cue)] + ([[*added, "Cue"]] if added else [])
        file.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        docs = spacy_docs(folder / "corpus.spacy")
        doc = docs[0]
        doc.spans["cues"] = ([s for s in doc.spans["cues"] if (s.start_char, s.end_char) != cue]
                             + ([doc.char_span(*added, label="cue", alignment_mode="expand")] if added else []))
        save_docs(docs, folder / "corpus.spacy")


@pytest.mark.parametrize("fmt", ["doccano", "spacy"])
def test_a_cue_deleted_in_a_format_without_links_is_that_edit(repo_copy, tmp_path, fmt):
    quote = next(q for q in bundle_from_repo(repo_copy).records("quote", DOC) if q["cue_start"] is not None)
    export_corpus(repo_copy, fmt, tmp_path / fmt, doc_ids=[DOC])
    _cues_changed(tmp_path / fmt, fmt, (quote["cue_start"], quote["cue_end"]), None)
    imported, notes = read_import(repo_copy, fmt, tmp_path / fmt)
    assert [(q["cue_start"], q["cue_end"], q["cue_text"]) for q in imported.records("quote", DOC) if q["id"] == quote["id"]] == [(None, None, None)]
    assert notes == []


@pytest.mark.parametrize("fmt", ["doccano", "spacy"])
def test_a_cue_of_no_quotation_is_noted_where_no_quotation_lost_one(repo_copy, tmp_path, fmt):
    """(A cue drawn for a new quotation: these formats cannot link it.)"""
    export_corpus(repo_copy, fmt, tmp_path / fmt, doc_ids=[DOC])
    _cues_changed(tmp_path / fmt, fmt, None, (0, 4))
    imported, notes = read_import(repo_copy, fmt, tmp_path / fmt)
    assert imported.records("quote", DOC) == bundle_from_repo(repo_copy).records("quote", DOC)
    assert any("cue span 0-4 'Zoom' is linked to no quotation; not imported" in note for note in notes), notes


@pytest.mark.parametrize("character", ["\x0c", "\x0b", "\x1f", "\x00"])
def test_a_text_xml_cannot_carry_is_refused_by_the_xmi_export_alone(repo_copy, tmp_path, character):
    """A raw capture may hold a form feed; XML 1.0 cannot, even escaped (lxml raised a traceback)."""
    capture = tmp_path / "capture.txt"
    capture.write_text(f"Zoom said\n{character} it would halt sales in China.", encoding="utf-8")
    added = CliRunner().invoke(main, ["new-document", "--repo", str(repo_copy.root), str(capture), "--outlet", "FF News", "--published", "2020-08-09"])
    assert added.exit_code == 0, added.output
    out = CliRunner().invoke(main, ["export", "--format", "xmi", "--repo", str(repo_copy.root), str(tmp_path / "xmi")])
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert f"corpus/raw/ff-news-2020-08-09.txt:2: L6 ZN607 ff-news-2020-08-09 holds {ascii(character)} at code point 10" in out.output, out.output
    assert not (tmp_path / "xmi").exists()
    for fmt in ("brat", "labelstudio", "doccano"):
        assert CliRunner().invoke(main, ["export", "--format", fmt, "--repo", str(repo_copy.root), str(tmp_path / fmt)]).exit_code == 0
    assert CliRunner().invoke(main, ["export", "--format", "xmi", "--repo", str(repo_copy.root), "--doc", "crn-2020-08-03", str(tmp_path / "xmi")]).exit_code == 0


def test_the_brat_configuration_offers_every_label_the_schemas_allow(repo_copy, tmp_path):
    """Not only those the exported documents use: a new document is annotated from the start in brat."""
    from zoomnews.formats.common import LABEL_FIELD, span_type
    from zoomnews.sources.schemas import load_kinds

    kinds = load_kinds(repo_copy)
    export_corpus(repo_copy, "brat", tmp_path / "brat", doc_ids=["itpro-2020-08-04"])
    conf = (tmp_path / "brat" / "annotation.conf").read_text(encoding="utf-8")
    entities = conf.split("[entities]\n", 1)[1].split("\n\n", 1)[0].split("\n")
    assert set(entities) == {span_type(layer, label) for layer in SPAN_KINDS for label in kinds[layer].schema["properties"][LABEL_FIELD[layer]]["enum"]} | {"Cue", "Source"}
