"""The scorer: perfect predictions score 1.0, removing k of n gold spans gives recall (n-k)/n exactly,
scores do not depend on record order, and NER scores agree with seqeval and nervaluate on the same data."""

import json
import math
import random

import pytest
from hypothesis import assume, given, settings, strategies as st

from conftest import ROOT
from strategies import corpora, scratch_dir
from zoomnews import CorpusRepo
from zoomnews.errors import ZoomnewsError
from zoomnews.formats.common import Bundle, bundle_from_repo
from zoomnews.tools.scoring import SCHEMAS, Span, ner_spans, score, score_ner
from zoomnews.release.views import ONTONOTES, iob2_spans, ner_rows

GOLD = bundle_from_repo(CorpusRepo(ROOT))


def copy_of(bundle: Bundle) -> Bundle:
    return Bundle(dict(bundle.texts), {layer: [dict(r) for r in records] for layer, records in bundle.layers.items()})


def bundle_of(spec) -> Bundle:
    return bundle_from_repo(spec.write(scratch_dir("score-") / "repo"))


def all_scores(result: dict) -> list[float]:
    ner = [result["ner"]["micro"][s][m] for s in SCHEMAS for m in ("precision", "recall", "f1")]
    t, a = result["timex"], result["attribution"]
    return ner + [t["strict"]["f1"], t["relaxed"]["f1"], t["type_accuracy"] or 1.0, t["value_accuracy"] or 1.0,
                  a["content_exact"]["f1"], a["content_overlap"]["f1"], a["speaker_accuracy"] or 1.0,
                  1.0 if a["statement_pairwise"]["f1"] is None else a["statement_pairwise"]["f1"]]


def test_perfect_predictions_score_one_on_the_gold_corpus():
    assert set(all_scores(score(GOLD, copy_of(GOLD)))) == {1.0}


@settings(max_examples=max(15, settings.default.max_examples // 3))
@given(corpora())
def test_perfect_predictions_score_one(spec):
    gold = bundle_of(spec)
    assume(gold.layers["entity"] or gold.layers["timex"])
    result = score(gold, copy_of(gold))
    assert all(result["ner"]["micro"][s]["f1"] == 1.0 for s in SCHEMAS)


@given(st.data())
def test_removing_k_of_n_gold_spans_gives_recall_exactly(data):
    pred = copy_of(GOLD)
    n = len(GOLD.layers["entity"]) + len(GOLD.layers["timex"])
    k = data.draw(st.integers(0, n))
    dropped = set(data.draw(st.permutations(range(n)))[:k])
    spans = [("entity", r) for r in pred.layers["entity"]] + [("timex", r) for r in pred.layers["timex"]]
    for layer in ("entity", "timex"):
        pred.layers[layer] = [r for i, (l, r) in enumerate(spans) if l == layer and i not in dropped]
    micro = score(GOLD, pred)["ner"]["micro"]
    for schema in SCHEMAS:
        assert micro[schema]["recall"] == (n - k) / n
        assert micro[schema]["precision"] == (1.0 if k < n else 0.0)


@given(st.integers(0, 2**32))
def test_scores_do_not_depend_on_record_order(seed):
    rng = random.Random(seed)  # one seed, many draws: shuffling hundreds of records
    pred = perturbed(GOLD, rng)
    shuffled_pred, shuffled_gold = copy_of(pred), copy_of(GOLD)
    for bundle in (shuffled_pred, shuffled_gold):
        for records in bundle.layers.values():
            rng.shuffle(records)
    assert score(shuffled_gold, shuffled_pred) == score(GOLD, pred)


def perturbed(gold: Bundle, rng: random.Random) -> Bundle:
    """Predictions a model might make: spans dropped, relabelled, moved to neighbouring tokens, invented."""
    pred = copy_of(gold)
    for layer in ("entity", "timex", "quote"):
        kept = []
        for r in pred.layers[layer]:
            roll = rng.random()
            if roll < 0.1:
                continue
            if roll < 0.2 and layer == "entity":
                r["label"] = rng.choice(ONTONOTES[:7])
            if roll < 0.3 and layer == "quote":
                r["speaker"] = "someone-else"
            kept.append(r)
        pred.layers[layer] = kept
    return pred


# ---- agreement with seqeval and nervaluate ---------------------------------------------------------

def tagged_sentences(bundle: Bundle, sentences_of: dict[str, list[dict]]) -> list[list[str]]:
    """IOB2 tags of `bundle`'s spans on fixed token sequences (the gold sentences)."""
    out = []
    for doc_id, sentences in sentences_of.items():
        spans = sorted([(e["start"], e["end"], e["label"]) for e in bundle.records("entity", doc_id)] +
                       [(t["start"], t["end"], {"TIME": "TIME"}.get(t["type"], "DATE")) for t in bundle.records("timex", doc_id)])
        for sentence in sentences:
            tags = ["O"] * len(sentence["tokens"])
            for start, end, label in spans:
                covered = [i for i, (a, b) in enumerate(zip(sentence["token_starts"], sentence["token_ends"])) if start <= a and b <= end]
                if covered and all(tags[i] == "O" for i in covered):
                    tags[covered[0]] = f"B-{label}"
                    for i in covered[1:]:
                        tags[i] = f"I-{label}"
            out.append(tags)
    return out


def spans_from_tags(all_tags: list[list[str]]) -> dict[str, list[Span]]:
    return {f"s{i}": [Span(a, b, label) for a, b, label in iob2_spans(tags)] for i, tags in enumerate(all_tags)}


def moved(gold: Bundle, rng: random.Random) -> Bundle:
    """Perturbed predictions whose spans still sit on the gold sentences' tokens: some boundaries move by a token."""
    pred = perturbed(gold, rng)
    for e in pred.layers["entity"]:
        if rng.random() < 0.15:
            e["end"] = e["end"] + 1 + pred.texts[e["doc_id"]][e["end"]:].find(" ") if " " in pred.texts[e["doc_id"]][e["end"]:e["end"] + 12] else e["end"]
    return pred


@given(st.integers(0, 2**32))
@settings(max_examples=max(10, settings.default.max_examples // 4))
def test_ner_scores_agree_with_seqeval_and_nervaluate(seed):
    rng = random.Random(seed)
    from nervaluate import Evaluator
    from seqeval.metrics import f1_score, precision_score, recall_score

    sentences = {doc: ner_rows(doc, GOLD.texts[doc], GOLD.records("entity", doc), GOLD.records("timex", doc)) for doc in sorted(GOLD.texts)}
    pred = moved(GOLD, rng)
    true_tags, pred_tags = tagged_sentences(GOLD, sentences), tagged_sentences(pred, sentences)
    ours = score_ner(spans_from_tags(true_tags), spans_from_tags(pred_tags))
    strict = ours["micro"]["strict"]
    assert strict["precision"] == pytest.approx(precision_score(true_tags, pred_tags))
    assert strict["recall"] == pytest.approx(recall_score(true_tags, pred_tags))
    assert strict["f1"] == pytest.approx(f1_score(true_tags, pred_tags))
    theirs = Evaluator(true_tags, pred_tags, tags=list(ONTONOTES), loader="list").evaluate()
    overall = theirs["overall"]
    for schema, name in (("strict", "strict"), ("exact", "exact"), ("partial", "partial"), ("type", "ent_type")):
        mine, other = ours["micro"][schema], overall[name]
        assert [mine[k] for k in ("correct", "incorrect", "partial", "missed", "spurious")] == \
               [other.correct, other.incorrect, other.partial, other.missed, other.spurious], schema
        assert (mine["precision"], mine["recall"], mine["f1"]) == pytest.approx((other.precision, other.recall, other.f1)), schema


def test_cli_score_json_on_the_gold(tmp_path):
    import json

    from click.testing import CliRunner

    from zoomnews.cli import main

    for gold in ([], ["--gold", "working"], ["--gold", "1.1.0"]):
        out = CliRunner().invoke(main, ["score", "--pred", str(ROOT / "annotations"), "--repo", str(ROOT), "--format", "json", *gold])
        assert out.exit_code == 0, out.output
        assert json.loads(out.output)["ner"]["micro"]["strict"]["f1"] == 1.0, gold


def only(bundle: Bundle, doc_ids: set[str]) -> Bundle:
    return Bundle({d: t for d, t in bundle.texts.items() if d in doc_ids},
                  {layer: [dict(r) for r in records if r["doc_id"] in doc_ids] for layer, records in bundle.layers.items()})


@settings(max_examples=10)
@given(st.sets(st.sampled_from(sorted(GOLD.texts)), min_size=1))
def test_every_gold_document_is_scored_and_unpredicted_ones_count_as_missed(predicted):
    """The brute-force oracle: recall is the share of gold spans in the predicted documents."""
    result = score(GOLD, only(GOLD, predicted))
    assert result["documents"] == sorted(GOLD.texts)
    assert result["missing_documents"] == sorted(set(GOLD.texts) - predicted)
    strict = result["ner"]["micro"]["strict"]
    spans = {d: len(s) for d, s in ner_spans(GOLD).items()}
    assert strict["missed"] == sum(n for d, n in spans.items() if d not in predicted)
    assert strict["recall"] == pytest.approx(sum(n for d, n in spans.items() if d in predicted) / sum(spans.values()))
    assert strict["precision"] == 1.0


def test_documents_restricts_the_scoring_explicitly_and_unknown_ones_are_refused():
    from zoomnews.errors import ZoomnewsError

    one = "crn-2020-08-03"
    result = score(GOLD, only(GOLD, {one}), documents=[one])
    assert result["documents"] == [one] and result["missing_documents"] == []
    assert result["ner"]["micro"]["strict"]["f1"] == 1.0
    with pytest.raises(ZoomnewsError) as refused:
        score(GOLD, GOLD, documents=["no-such-document"])
    assert refused.value.problems[0].code == "ZN401"


def test_predictions_for_documents_outside_the_gold_are_named_not_scored():
    extra = copy_of(GOLD)
    stray = dict(extra.layers["entity"][0], doc_id="not-in-gold")
    extra.layers["entity"].append(stray)
    result = score(GOLD, extra)
    assert result["unknown_documents"] == ["not-in-gold"]
    assert result["ner"]["micro"]["strict"]["spurious"] == 0


def test_cli_names_the_documents_it_counted_as_missed(tmp_path):
    from click.testing import CliRunner

    from zoomnews.cli import main

    pred = tmp_path / "pred"
    pred.mkdir()
    for name in ("zones", "entities", "timexes", "quotes"):
        lines = (ROOT / "annotations" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
        (pred / f"{name}.jsonl").write_text("".join(l for l in lines if '"doc_id": "crn-2020-08-03"' in l), encoding="utf-8")
    out = CliRunner().invoke(main, ["score", "--pred", str(pred), "--repo", str(ROOT)])
    assert out.exit_code == 0, out.output
    assert "4 gold document(s) have no prediction and count as missed: cnbc-reworded-2020-08-03, itpro-2020-08-04" in out.output
    assert "NER on 5 document(s)" in out.output
    restricted = CliRunner().invoke(main, ["score", "--pred", str(pred), "--repo", str(ROOT), "--documents", "crn-2020-08-03"])
    assert "no prediction" not in restricted.output and "NER on 1 document(s)" in restricted.output


def test_predictions_that_documents_leaves_out_are_named():
    from zoomnews.tools.scoring import coverage_notes

    one = "crn-2020-08-03"
    result = score(GOLD, copy_of(GOLD), documents=[one])
    assert result["documents"] == [one] and result["excluded_documents"] == sorted(set(GOLD.texts) - {one})
    assert any("left out by --documents were not scored: cnbc-reworded-2020-08-03" in n for n in coverage_notes(result))
    assert score(GOLD, copy_of(GOLD))["excluded_documents"] == []


def test_cli_names_predicted_documents_the_gold_does_not_have(tmp_path):
    import json

    from click.testing import CliRunner

    from zoomnews.cli import main

    pred = tmp_path / "pred"
    pred.mkdir()
    for name in ("zones", "entities", "timexes", "quotes"):
        lines = (ROOT / "annotations" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
        stray = [json.dumps({**json.loads(l), "doc_id": "not-in-gold"}, ensure_ascii=False) + "\n" for l in lines[:1]]
        (pred / f"{name}.jsonl").write_text("".join(lines + stray), encoding="utf-8")
    out = CliRunner().invoke(main, ["score", "--pred", str(pred), "--repo", str(ROOT), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert "predictions for 1 document(s) not in the gold were not scored: not-in-gold" in out.stderr
    result = json.loads(out.stdout)
    assert result["unknown_documents"] == ["not-in-gold"] and result["ner"]["micro"]["strict"]["f1"] == 1.0


# ---- the benchmark protocol: leave one document out -----------------------------------------------------

@pytest.fixture(scope="module")
def release_layers():
    from zoomnews.release.card import card_version
    from zoomnews.tools.diff import state

    repo = CorpusRepo(ROOT)
    return state(repo, card_version(repo))


def test_every_document_is_the_test_set_of_exactly_one_fold():
    from zoomnews.tools.scoring import loo_folds

    folds = loo_folds(GOLD.texts)
    assert sorted(test for _, test in folds) == sorted(GOLD.texts) and len(folds) == len(GOLD.texts)
    for training, test in folds:
        assert test not in training and set(training) | {test} == set(GOLD.texts)


def test_a_fold_knows_only_what_its_training_documents_attest(release_layers):
    from zoomnews.tools.scoring import fold_registries, loo_folds

    layers = release_layers
    for training, test in loo_folds(GOLD.texts):
        entities, speakers = fold_registries(layers, training)
        written = {(e["entity_id"], e["text"]) for e in layers["entities"] if e["doc_id"] in training}
        assert entities and all((entry["id"], form) in written for entry in entities for form in [entry["name"], *entry["aliases"]]), test
        quoted = {q["speaker"] for q in layers["quotes"] if q["doc_id"] in training}
        assert speakers and {s["id"] for s in speakers} <= quoted, test
    # a surface form written only in the held-out document is unknown to its fold ("Calif." only in crn)
    entities, _ = fold_registries(layers, [d for d in GOLD.texts if d != "crn-2020-08-03"])
    assert not any("Calif." in [e["name"], *e["aliases"]] for e in entities)


def blind_to(layers: dict, test: str) -> dict:
    """The release as fold `test` must see it: the document's annotations gone, every registry name and
    alias gone, and the speakers only that document quotes gone."""
    blind = dict(layers)
    for name in ("zones", "entities", "timexes", "quotes"):
        blind[name] = [r for r in layers[name] if r["doc_id"] != test]
    blind["entity_registry"] = [{**e, "name": "?", "aliases": []} for e in layers["entity_registry"]]
    elsewhere = {q["speaker"] for q in blind["quotes"]}
    blind["speaker_registry"] = [s for s in layers["speaker_registry"] if s["id"] in elsewhere]
    return blind


def test_the_baseline_never_sees_the_held_out_documents_gold(release_layers):
    """Oracle: each fold predicts exactly the same when everything about its test document's gold is removed."""
    from zoomnews.tools.scoring import suggest_baseline

    _, _, folds = suggest_baseline(release_layers)
    for test, predicted in folds:
        _, _, blind_folds = suggest_baseline(blind_to(release_layers, test))
        assert dict(blind_folds)[test].layers == predicted.layers, test
        assert any(predicted.layers.values()), test


def test_pooled_benchmark_counts_are_the_sum_of_the_folds():
    from zoomnews.tools.scoring import benchmark_baseline

    result = benchmark_baseline(CorpusRepo(ROOT))
    assert [f["test"] for f in result["folds"]] == sorted(GOLD.texts)
    for schema in SCHEMAS:
        for count in ("correct", "incorrect", "partial", "missed", "spurious"):
            assert result["pooled"]["ner"]["micro"][schema][count] == sum(f["scores"]["ner"]["micro"][schema][count] for f in result["folds"])
    for fold in result["folds"]:
        assert fold["scores"]["documents"] == [fold["test"]] and fold["scores"]["missing_documents"] == []
    assert result["pooled"]["missing_documents"] == [] and result["pooled"]["unknown_documents"] == []


# ---- predictions the scorer cannot compare are refused, by file and line ------------------------------

GOLD_ENTITY = {"doc_id": "crn-2020-08-03", "id": "e1", "start": 0, "end": 4, "text": "Zoom", "label": "ORG"}
bad_values = {
    "doc_id": st.one_of(st.none(), st.integers(), st.lists(st.text(max_size=2), max_size=1)),
    "start": st.one_of(st.none(), st.text(max_size=3), st.floats(allow_nan=False), st.booleans(), st.integers(max_value=-1), st.integers(min_value=4)),
    "end": st.one_of(st.none(), st.text(max_size=3), st.floats(allow_nan=False), st.booleans(), st.integers(max_value=0), st.integers(min_value=2953)),
    "label": st.one_of(st.none(), st.integers(), st.text(max_size=8).filter(lambda t: t not in ONTONOTES)),
}


@given(st.sampled_from(sorted(bad_values)), st.data(), st.booleans())
def test_a_prediction_the_scorer_cannot_compare_is_refused_with_its_file_and_line(field, data, drop):
    """Oracle: a record whose doc_id is not a string, whose offsets are not integers 0 <= start < end
    <= the gold text's length, or whose label is not one of the layer's, is refused (ZN601/ZN602) on
    its own line; every other record is read. (A missing label once raised KeyError, a string offset
    TypeError, and an offset past the text was counted.)"""
    from zoomnews.sources.jsonl import dumps
    from zoomnews.tools.scoring import gold_bundle, prediction_bundle

    repo = CorpusRepo(ROOT)
    gold = gold_bundle(repo, "working")
    bad = {k: v for k, v in GOLD_ENTITY.items() if k != field} if drop else {**GOLD_ENTITY, field: data.draw(bad_values[field])}
    folder = scratch_dir()
    (folder / "entities.jsonl").write_text(json.dumps(GOLD_ENTITY) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(ZoomnewsError) as refused:
        prediction_bundle(repo, folder, "records", gold.texts)
    [problem] = refused.value.problems
    infinite = isinstance(bad.get(field), float) and math.isinf(bad[field])  # (written Infinity: not JSON, refused by the reader)
    assert problem.code in (("ZN109",) if infinite else ("ZN601", "ZN602")) and problem.file.endswith("entities.jsonl") and problem.line == 2


def test_the_score_and_agree_commands_refuse_such_a_prediction_without_a_traceback(tmp_path):
    from click.testing import CliRunner

    from zoomnews.cli import main

    (tmp_path / "entities.jsonl").write_text(json.dumps({**GOLD_ENTITY, "start": "zero"}) + "\n", encoding="utf-8")
    for command in (["score", "--pred", str(tmp_path), "--repo", str(ROOT)], ["agree", str(ROOT / "annotations"), str(tmp_path)]):
        done = CliRunner().invoke(main, command)
        assert done.exit_code == 1 and "ZN601" in done.output and "entities.jsonl:1" in done.output, done.output
        assert done.exception is None or isinstance(done.exception, SystemExit), repr(done.exception)


def test_a_score_with_nothing_to_count_is_undefined_not_perfect(tmp_path):
    """No quote predicted: no pair of matched quotes, so speaker accuracy and statement pairwise F1
    are undefined (None in JSON, – in text), never 1.000 or 0.000."""
    from click.testing import CliRunner

    from zoomnews.cli import main

    for layer in ("entities", "timexes", "quotes"):
        (tmp_path / f"{layer}.jsonl").write_text("", encoding="utf-8")
    done = CliRunner().invoke(main, ["score", "--pred", str(tmp_path), "--repo", str(ROOT), "--format", "json"])
    assert done.exit_code == 0, done.output
    attribution = json.loads(done.output[done.output.index("{"):])["attribution"]
    assert attribution["speaker_accuracy"] is None and attribution["statement_pairwise"]["f1"] is None
    text = CliRunner().invoke(main, ["score", "--pred", str(tmp_path), "--repo", str(ROOT)]).output
    assert "speaker accuracy –; statement pairwise F1 –" in text, text
