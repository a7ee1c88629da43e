"""croissant.json: MLCommons Croissant metadata of one release, with the Responsible-AI fields that apply.

Written into every release by `build`, from the manifest (files, checksums, features), so it is as
deterministic as the Parquet it describes. Built with `mlcroissant`'s own classes, and `mlcroissant`
validates and loads it offline (tests/test_croissant.py). Every file is a FileObject with its sha256;
every flat config is a RecordSet whose scalar columns are Fields; list-valued columns and the nested
`default`/`statements` configs are in the Parquet files and described by the manifest's features.
"""

from __future__ import annotations

import datetime
import json
import re

from zoomnews.release.card import split_card

CROISSANT = "croissant.json"
HOMEPAGE = "https://huggingface.co/datasets/zoomnews/zoomnews"
SCALARS = {"string": "TEXT", "int8": "INTEGER", "int16": "INTEGER", "int32": "INTEGER", "int64": "INTEGER",
           "bool": "BOOL", "float32": "FLOAT", "float64": "FLOAT"}  # datasets dtype -> mlcroissant DataType

# Responsible-AI fields (Croissant RAI vocabulary); DATASHEET.md says the same at length.
RAI = {
    "data_collection": "Five web captures of news reports (four outlets and one machine-reworded copy of CNBC's report) "
                       "about Zoom's August 2020 move to partner-only sales in mainland China, stored byte-for-byte as captured.",
    "data_collection_type": ["Web Scraping"],
    "data_collection_timeframe": [datetime.datetime(2020, 8, 3), datetime.datetime(2020, 8, 14)],
    "data_collection_raw_data": "corpus/raw/<doc_id>.txt, byte-identical to the captures; sha256 in the documents config.",
    "data_preprocessing_protocol": ["None: texts are stored exactly as captured (non-breaking spaces, curly quotes, "
                                    "page furniture kept); offsets are Unicode code points into that text."],
    "data_annotation_protocol": ["The annotation guideline, annotations/GUIDELINES.md (its version is in every record's "
                                 "`guideline` field): zones, OntoNotes entity types linked to a registry, TIMEX3, "
                                 "quotations with speaker and statement links."],
    "data_annotation_platform": ["Source JSONL edited through pull requests, checked by `zoomnews validate`."],
    "data_annotation_analysis": ["Two independent passes (a1, a2) compared with `zoomnews agree`; disagreements "
                                 "adjudicated (a0). Both passes came from the same model, so agreement is an upper bound "
                                 "on what two people would reach. Figures in DATASHEET.md (Agreement)."],
    "annotations_per_item": "One adjudicated annotation per span; two independent passes were compared.",
    "annotator_demographics": ["No person annotated: every annotator (a1, a2 and the adjudicator a0) is an instance of "
                               "one AI language model instructed with the guideline; see DATASHEET.md (Annotators)."],
    "machine_annotation_tools": ["Language-model annotators working from the guidelines; every record's `annotator` "
                                 "and `method` fields say who and how."],
    "data_biases": ["Five reports of one event from four English-language outlets, all within two weeks of August 2020; "
                    "one document is a machine-reworded copy of another; the statements quoted are corporate statements."],
    "data_use_cases": ["Evaluating and teaching span annotation, NER, temporal tagging and quotation attribution; "
                       "studying how one statement is reproduced across outlets. Too small to train models on alone."],
    "data_limitations": ["Tiny (five documents); single event; English only; news text is copyrighted and included "
                         "for research on annotation only."],
    "data_social_impact": "Low: public news reports about a company's sales policy.",
    "personal_sensitive_information": ["Names of public figures and journalists as they appear in published news; "
                                       "no private individuals' data."],
    "data_release_maintenance_plan": "Semantic-versioned immutable releases; every change is a reviewed pull request "
                                     "with a semantic diff and a CHANGELOG entry (docs/releases.md).",
}


def _card(repo) -> dict:
    from zoomnews.release.card import read_readme

    header, _ = split_card(read_readme(repo))
    return header


def _fields(mlc, config: str, features: dict) -> tuple[list, list[str]]:
    fields, skipped = [], []
    for column, feature in features.items():
        kind = feature.get("_type")
        if kind == "ClassLabel":
            data_type = mlc.DataType.INTEGER
            description = "Class label index into: " + ", ".join(f"{i}={name}" for i, name in enumerate(feature["names"]))
        elif kind == "Value" and feature["dtype"] in SCALARS:
            data_type, description = getattr(mlc.DataType, SCALARS[feature["dtype"]]), None
        else:
            skipped.append(column)
            continue
        fields.append(mlc.Field(id=f"{config}/{column}", name=column, description=description, data_types=[data_type],
                                source=mlc.Source(file_set=f"{config}-files", extract=mlc.Extract(column=column))))
    return fields, skipped


def release_date(repo, version: str) -> datetime.datetime | None:
    """The date CHANGELOG.md gives the release (`## 1.0.0 — 2026-11-24`): a source, so rebuilds agree."""
    from zoomnews import safeio

    try:
        text = safeio.read_text(repo.root / "CHANGELOG.md", "CHANGELOG.md")
    except FileNotFoundError:
        text = ""
    match = re.search(rf"^## {re.escape(version)} — (\d{{4}}-\d{{2}}-\d{{2}})\s*$", text, re.MULTILINE)
    return datetime.datetime.fromisoformat(match.group(1)) if match else None


def croissant_metadata(repo, manifest: dict, published: datetime.date | None = None) -> dict:
    """The Croissant JSON-LD of a release, as a dict (deterministic: no clock, no paths of this machine).
    `published`: the release date, when CHANGELOG.md does not give it yet (`release` writes the
    CHANGELOG entry only once the release is built)."""
    import mlcroissant as mlc

    card = _card(repo)
    distribution, record_sets = [], []
    for config, entry in manifest["configs"].items():
        for file in entry["files"]:
            distribution.append(mlc.FileObject(
                id=file["path"], name=file["path"], content_url=file["path"], content_size=f"{file['bytes']} B",
                encoding_formats=[mlc.EncodingFormat.PARQUET], sha256=file["sha256"]))
        distribution.append(mlc.FileSet(id=f"{config}-files", name=f"{config}-files", includes=[f"{config}/*.parquet"],
                                        encoding_formats=[mlc.EncodingFormat.PARQUET]))
        fields, skipped = _fields(mlc, config, entry["features"])
        if not fields:
            continue
        note = f" List-valued or nested columns not described as fields: {', '.join(skipped)}." if skipped else ""
        record_sets.append(mlc.RecordSet(id=config, name=config, fields=fields,
                                         description=f"The `{config}` config: {entry['rows']} rows.{note}"))
    metadata = mlc.Metadata(
        name=card.get("pretty_name", "zoomnews"),
        description=("An annotated news corpus about Zoom's August 2020 move to partner-only sales in mainland China: "
                     "five reports with zones, named entities linked to a registry, TIMEX3 expressions, and quotations "
                     "attributed to speakers and to the statements they reproduce, annotated by AI language-model "
                     "instances and adjudicated. Offsets are Unicode code points."),
        version=manifest["version"],
        date_published=(datetime.datetime(published.year, published.month, published.day) if published
                        else release_date(repo, manifest["version"])),
        url=HOMEPAGE,
        license=[card.get("license_details", "other")],
        cite_as=f"zoomnews {manifest['version']}: an annotated news corpus of one event ({HOMEPAGE})",
        keywords=["named entity recognition", "TIMEX3", "quotation attribution", "news", "provenance"],
        in_language=card.get("language", ["en"]),
        distribution=distribution,
        record_sets=record_sets,
        **RAI,
    )
    issues = metadata.ctx.issues
    if issues.errors:
        raise ValueError(f"croissant metadata does not validate: {issues.report()}")
    return metadata.to_json()


def croissant_text(repo, manifest: dict, published: datetime.date | None = None) -> str:
    return json.dumps(croissant_metadata(repo, manifest, published), indent=2, ensure_ascii=False, sort_keys=False, default=str) + "\n"


def _croissant_text_of(root: str, manifest: dict, published: datetime.date | None, folder: str | None) -> tuple[str, list | None]:
    """croissant.json's text, and (with the release's `folder`) the card's dataset_info: both need
    a heavy import (mlcroissant, `datasets`), which this process makes while build still writes."""
    from pathlib import Path

    from zoomnews.release.card import dataset_info_block
    from zoomnews.repo import CorpusRepo

    return croissant_text(CorpusRepo(Path(root)), manifest, published), dataset_info_block(Path(folder), manifest) if folder else None


def _import_mlcroissant() -> None:
    import datasets  # noqa: F401  (for the card's dataset_info)
    import mlcroissant  # noqa: F401


if __name__ == "__main__":  # build's croissant process (zoomnews.release.apart): mlcroissant and datasets import before the manifest comes
    from zoomnews.release.apart import serve

    serve(_croissant_text_of, prepare=_import_mlcroissant)
