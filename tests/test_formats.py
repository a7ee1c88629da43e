"""Exchange formats: export -> import round-trips the gold corpus and generated astral-plane corpora to
identical records; offsets are right in each tool's unit (checked by Node.js for the JavaScript tools)."""

import json
import re
import shutil
import subprocess

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
    note = next(r for r in tasks[0]["annotations"][0]["result"] if r["type"] == "choices" and r["id"] == region["id"] and r["from_name"] == "timex.method")
    note["value"]["choices"] = ["corrected" if note["value"]["choices"][0] != "corrected" else "manual"]
    (out_dir / "tasks.json").write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    out = CliRunner().invoke(main, ["import", str(out_dir), "--format", "labelstudio", "--repo", str(repo_copy.root)])
    assert out.exit_code == 0, out.output
    assert validate_repo(repo_copy).problems == []
    from zoomnews.tools.diff import WORKING, diff

    result = diff(repo_copy, repo_copy.released_versions()[-1], WORKING)
    changed = [(c["key"]["id"], c["fields"]) for c in result["timexes"].changed]
    assert changed == [(region["id"].split("/", 1)[1], ["method"])]
    assert all(d.empty for layer, d in result.items() if layer != "timexes")


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
