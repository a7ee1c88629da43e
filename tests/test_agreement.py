"""Agreement figures: identical sets agree perfectly; each kind of disagreement costs what it should."""

from hypothesis import given, strategies as st

from zoomnews.tools.agreement import compare, compare_layer, pairwise_cluster_f1

ENTS = [
    {"doc_id": "d", "start": 0, "end": 4, "label": "ORG", "entity_id": "zoom"},
    {"doc_id": "d", "start": 10, "end": 15, "label": "GPE", "entity_id": "china"},
    {"doc_id": "d", "start": 20, "end": 24, "label": "ORG", "entity_id": "zoom"},
]


def test_identical_sets_agree_perfectly():
    result = compare_layer("entities", ENTS, ENTS)
    assert result["exact"]["f1"] == result["overlap"]["f1"] == result["entity_link_pairwise"]["f1"] == 1.0


def test_a_shifted_span_counts_for_overlap_not_exact():
    other = [dict(ENTS[0], end=3), *ENTS[1:]]
    result = compare_layer("entities", ENTS, other)
    assert result["exact"]["tp"] == 2 and result["exact"]["fp"] == result["exact"]["fn"] == 1
    assert result["overlap"]["f1"] == 1.0


def test_a_different_label_is_a_miss_but_not_unlabelled():
    other = [dict(ENTS[0], label="PRODUCT"), *ENTS[1:]]
    result = compare_layer("entities", ENTS, other)
    assert result["exact"]["tp"] == 2 and result["exact_unlabelled"]["tp"] == 3


def test_links_compare_as_clusterings_whatever_the_ids():
    renamed = [dict(e, entity_id={"zoom": "z", "china": "c"}[e["entity_id"]]) for e in ENTS]
    assert compare_layer("entities", ENTS, renamed)["entity_link_pairwise"]["f1"] == 1.0
    split = [dict(ENTS[0]), dict(ENTS[1]), dict(ENTS[2], entity_id="other")]
    assert compare_layer("entities", ENTS, split)["entity_link_pairwise"]["recall"] == 0.0


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 5)), max_size=12, unique_by=lambda t: t[0]))
def test_agreement_is_symmetric_in_f1(spans):
    a = [{"doc_id": "d", "start": s, "end": s + n, "label": "ORG"} for s, n in spans]
    b = a[: len(a) // 2] + [dict(r, start=r["start"] + 1, end=r["end"] + 1) for r in a[len(a) // 2 :]]
    ab, ba = compare_layer("entities", a, b), compare_layer("entities", b, a)
    assert ab["exact"]["f1"] == ba["exact"]["f1"]
    assert ab["overlap"]["f1"] == ba["overlap"]["f1"]


def test_every_layer_is_reported_even_when_empty():
    assert set(compare({}, {})) == {"zones", "entities", "timexes", "quotes"}
    assert pairwise_cluster_f1([], "speaker").f1 == 1.0


def test_folders_compare_only_the_layers_both_hold(tmp_path):
    """A second pass of some layers is compared on those alone (not scored 0 on the others), and
    `zoomnews agree` refuses two folders with no layer in common."""
    import json

    from click.testing import CliRunner

    from zoomnews.cli import main
    from zoomnews.tools.agreement import compare_folders

    full, partial, other = tmp_path / "full", tmp_path / "partial", tmp_path / "other"
    for folder in (full, partial, other):
        folder.mkdir()
    lines = "".join(json.dumps(r) + "\n" for r in ENTS)
    for layer in ("zones", "entities", "timexes", "quotes"):
        (full / f"{layer}.jsonl").write_text(lines if layer == "entities" else "", encoding="utf-8")
    (partial / "entities.jsonl").write_text(lines, encoding="utf-8")
    (other / "notes.txt").write_text("", encoding="utf-8")
    result = compare_folders(full, partial)
    assert list(result) == ["entities"] and result["entities"]["exact"]["f1"] == 1.0
    shown = CliRunner().invoke(main, ["agree", str(full), str(partial)])
    assert shown.exit_code == 0 and "entities" in shown.output and "zones" not in shown.output
    refused = CliRunner().invoke(main, ["agree", str(full), str(other)])
    assert refused.exit_code == 2 and "no layer file in common" in refused.output


def test_a_repository_without_passes_or_guideline_has_figures_still(tmp_path):
    """`zoomnews stats` and `docs` on a corpus that has no agreement pass and no guideline (a new one):
    no round, no guideline line, no traceback."""
    from hypothesis import given, settings

    from strategies import corpora
    from zoomnews.tools.stats import agreement_rounds, blocks

    @settings(max_examples=3, deadline=None)
    @given(corpora(max_documents=2))
    def check(spec):
        import shutil

        root = tmp_path / "repo"
        shutil.rmtree(root, ignore_errors=True)
        repo = spec.write(root)
        assert not repo.path("annotations/GUIDELINES.md").exists()
        assert agreement_rounds(repo) == [] and blocks(repo)["agreement"] == ""

    check()
