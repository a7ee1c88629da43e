"""The catalogue of checks: stable codes grouped by level, each with a rule and a hint.

Codes never change meaning once released; retired codes stay listed. Level 1 is files, 2 schema,
3 spans, 4 references and meaning, 5 releases; level 6 is for imports from annotation tools; level 9
is for refused operations (build, release, load).
`zoomnews validate --explain CODE` prints an entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    code: str
    level: int
    title: str
    rule: str
    hint: str


_CHECKS = [
    # Level 1: files
    Check("ZN101", 1, "file-missing", "Every source file and schema of the repository layout exists, and so does corpus/raw/ once a document is registered.",
          "Create the source file (an empty file is a valid, empty layer); restore a schema from git."),
    Check("ZN102", 1, "not-utf8", "Source files are UTF-8 without a byte-order mark.",
          "Re-save the file as UTF-8 without BOM."),
    Check("ZN103", 1, "bad-json-line", "Each line of a JSONL file is exactly one JSON object.",
          "Fix the JSON syntax; one record per line, no blank lines."),
    Check("ZN104", 1, "duplicate-key", "A JSON object never repeats a key.",
          "Remove the repeated key."),
    Check("ZN105", 1, "raw-unregistered", "Every file in corpus/raw/ is registered in corpus/documents.jsonl.",
          "Register the file with a documents.jsonl record, or remove it."),
    Check("ZN106", 1, "raw-missing", "Every document in corpus/documents.jsonl has its raw file corpus/raw/<doc_id>.txt.",
          "Add the raw capture, fix the doc_id (a mistyped one is named) or remove the record."),
    Check("ZN107", 1, "raw-not-utf8", "Raw texts are UTF-8 without a byte-order mark.",
          "Store the capture as UTF-8; keep every other byte as collected."),
    Check("ZN108", 1, "crlf", "Lines end with LF alone (no CR), in sources and raw texts.",
          "Convert the file's line endings to LF (git: core.autocrlf=false)."),
    Check("ZN109", 1, "not-finite", "Numbers are finite: no NaN, Infinity, or literals too large for a 64-bit float.",
          "Write a real number; offsets are integers."),
    Check("ZN110", 1, "not-nfc", "Raw texts are in Unicode NFC.",
          "Normalise the capture to NFC before registering it (offsets are code points of the stored text)."),
    Check("ZN111", 1, "unsafe-path", "No symbolic links or paths leaving the repository among the files read.",
          "Replace the link with the real file inside the repository."),
    Check("ZN112", 1, "unsafe-name", "Raw file names are <doc_id>.txt with a safe doc_id (a-z, 0-9, inner hyphens, at most 64 characters).",
          "Rename the file (and its doc_id) to a safe slug such as outlet-2020-08-03."),
    Check("ZN114", 1, "not-regular-file", "Every file read is a regular file: not a FIFO, socket, device or folder (and corpus/raw/ is a folder).",
          "Put the real file in place (a FIFO or device would make every reader wait forever)."),
    Check("ZN115", 1, "lone-surrogate", "Strings are Unicode text: no lone surrogate escapes (\\ud800-\\udfff), which UTF-8 cannot store.",
          "Write the intended character, or a proper surrogate pair (\\ud83d\\ude00) for one outside the BMP."),
    Check("ZN116", 1, "stray-source", "Every .jsonl file under corpus/ and annotations/ is the source of a schema in schema/ (in an agreement pass, annotations/agreement/<pass>/, its copy of such a file), and every .json file in schema/ is a schema the library reads (schema/<kind>.schema.json of a known kind, or the manifest's): no other is ever read.",
          "Rename it to the name it is read by (annotations/entities.jsonl, not entity.jsonl; schema/entity.schema.json), or move it out of corpus/, annotations/ and schema/: a new kind of record needs the library to know it."),
    Check("ZN113", 1, "schema-file", "Every file in schema/ is a readable, valid JSON Schema 2020-12; a record schema is a closed object (additionalProperties false, every required name a property) carrying x-zoomnews, and each of its properties takes one column type (a string, integer or boolean, a closed enum of strings, a list of one of those, or a closed object of them).",
          "Fix the schema file; `python -m jsonschema` or an editor with JSON Schema support shows where."),
    # Level 2: schema
    Check("ZN201", 2, "schema", "Every record validates against its JSON Schema in schema/.",
          "Compare the record with the schema named in the message."),
    # Levels 3 (spans) and 4 (references and meaning): zoomnews.checks.rules, each beside its function
    Check("ZN307", 3, "non-canonical", "Source files are in canonical form (sorted records, schema key order, one per line).",
          "Run `zoomnews fmt`."),
    # Level 5: releases
    Check("ZN501", 5, "release-checksum", "Released files exist and match their manifest's sha256 and size.",
          "Released versions are immutable: restore the files from version control."),
    Check("ZN502", 5, "card-release", "README configs point at an existing release.",
          "Run `zoomnews build` (or fix the README YAML)."),
    Check("ZN503", 5, "release-rows", "A released file has the row count its manifest states.",
          "Released versions are immutable: restore the files from version control."),
    Check("ZN504", 5, "release-schema", "A released file's Parquet schema equals the features its manifest declares.",
          "Released versions are immutable: restore the files from version control."),
    Check("ZN505", 5, "release-extra-file", "A release holds only the files its manifest lists.",
          "Remove the stray file; releases are written only by `zoomnews build`."),
    Check("ZN506", 5, "release-manifest", "A release's manifest.json is readable, matches schema/manifest.schema.json and names its folder's version.",
          "Released versions are immutable: restore the manifest from version control."),
    Check("ZN507", 5, "release-ledger", "releases/RELEASES.lock (tracked in git) lists every release with its manifest's sha256, and every listed release exists with that manifest.",
          "Released versions are immutable: restore the release (or the ledger) from version control."),
    Check("ZN508", 5, "release-interrupted", "No release is half-done: an interrupted `zoomnews release` leaves a journal that names its step.",
          "Run `zoomnews release --recover`: it finishes the release when its files are complete, else rolls back to the previous state (a journal it cannot read or trust is removed by hand, after restoring what `git status` shows)."),
    Check("ZN509", 5, "dataset-version", "pyproject.toml is TOML whose [tool.zoomnews] dataset-version is MAJOR.MINOR.PATCH: the version `zoomnews build` writes.",
          "Fix pyproject.toml (`zoomnews release` sets the version; restore the file from git if unsure)."),
    # Level 9: refused operations
    Check("ZN901", 9, "release-exists", "An existing release version is never overwritten with different content.",
          "Cut a new version with `zoomnews release --bump patch|minor|major`."),
    Check("ZN902", 9, "invalid-sources", "A release is only built from sources that validate.",
          "Run `zoomnews validate` and fix what it reports."),
    Check("ZN903", 9, "unknown-config-or-version", "load() asks for an existing config and release.",
          "`zoomnews info` lists configs and versions."),
    Check("ZN904", 9, "not-a-repository", "The path is a zoomnews corpus repository (has schema/ and corpus/).",
          "Run from a checkout, or pass it with --repo DIR."),
    Check("ZN909", 9, "unsafe-output", "A command writes only inside its root, never through a symbolic link, and never over files it did not create: an --out folder is new, empty or its own earlier output with no file added or changed since, and never a source folder or the repository itself.",
          "For --out, choose a new folder outside corpus/, annotations/, schema/ and releases/; in the repository, put the real folder or file where the symbolic link is."),
    Check("ZN910", 9, "environment", "The file system lets the command read and write (space left, writable, permitted), and a process it starts runs to its end; a failure leaves every file as it was.",
          "Free disk space, or fix permissions or the read-only mount (or what stopped the process it names), and run the command again: nothing was half-written."),
    Check("ZN911", 9, "release-locked", "One release at a time: `zoomnews release` holds releases/.lock while it writes.",
          "Wait for the other release to finish (the message names its process)."),
    Check("ZN912", 9, "repository-busy", "One command writes a repository at a time: import, accept, fmt, new-document, docs, build and release hold it while they read and rewrite it.",
          "Wait for the other command to finish and run this one again: it wrote nothing."),
    Check("ZN601", 6, "import-offset", "An imported offset lies inside the document text and on a character boundary in the format's unit.",
          "Check the format's offset unit (docs/annotation-tools.md); re-export from the tool without editing the text."),
    Check("ZN602", 6, "import-unreadable", "An import file is in the format named by --format, and what it holds is what the corpus can take (known labels, ids once, a quotation's cue and source linked to it).",
          "Fix what the message names in the tool and export again; a file the tool wrote is read as it is, so check that --format names that tool."),
    Check("ZN603", 6, "import-text-changed", "An imported document's text is byte-identical to corpus/raw/<doc_id>.txt.",
          "Annotation tools must not edit the text: re-import the raw file into the tool, or fix the text through a provenance change."),
    Check("ZN604", 6, "import-removes", "An import that would remove existing records lists them and needs --allow-removal.",
          "Check the listed records; pass --allow-removal if removing them is intended."),
    Check("ZN605", 6, "import-ambiguous", "A Label Studio task with several annotations is imported only when the user chooses which (--annotation latest|ID).",
          "Pick the annotation to import with --annotation, or delete the others in Label Studio."),
    Check("ZN606", 6, "import-attribute", "An imported attribute belongs to its record's layer and never sets doc_id, id offsets or text (those come from the span).",
          "Remove the attribute from the note/field; move the span in the tool instead."),
    Check("ZN607", 6, "export-unwritable", "A document exported to XMI holds only characters XML 1.0 can carry (no C0 control but tab, LF and CR).",
          "Export that document in another format (brat, Label Studio, doccano, CoNLL and spaCy carry any text), or leave it out with --doc."),
    Check("ZN608", 6, "import-provenance", "A record changed in a tool says who changed it (`import --annotator`): its annotator, method and guideline are not left as the old record's, nor taken from what the tool held.",
          "Pass --annotator with your id from annotations/registry/annotators.jsonl (the changed records get it, your newest guideline, and method manual, or corrected where code proposed the record)."),
    Check("ZN905", 9, "version-released", "`release` never reuses a released version: releases are immutable.",
          "Choose the next version (`--bump patch|minor|major`)."),
    Check("ZN906", 9, "bump-too-small", "A release bumps at least as far as its changes need (policy: docs/releases.md).",
          "Use the bump the message names; `zoomnews release --dry-run` lists each change and its level."),
    Check("ZN907", 9, "bad-version", "A release version is MAJOR.MINOR.PATCH and later than the latest release.",
          "`zoomnews info` lists the releases."),
    Check("ZN908", 9, "nothing-to-release", "A release changes something (data or schema) unless --allow-unchanged.",
          "Make the change first, or pass --allow-unchanged to re-declare the same data."),
]

class _Catalogue(Mapping):
    """Every check by code: the entries above, and the level 3-4 checks that live beside their
    functions in zoomnews.checks.rules (imported on first use: it needs numpy and pyarrow, which plain CLI
    commands never load)."""

    def __init__(self):
        self._checks: dict[str, Check] | None = None

    def _all(self) -> dict[str, Check]:
        if self._checks is None:
            from zoomnews.checks.rules import RULE_CHECKS

            self._checks = {c.code: c for c in [*_CHECKS, *RULE_CHECKS.values()]}
        return self._checks

    def __getitem__(self, code: str) -> Check:
        return self._all()[code]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


CHECKS: Mapping[str, Check] = _Catalogue()


def explain(code: str) -> str:
    check = CHECKS[code.upper()]
    return f"{check.code} (level {check.level}, {check.title})\n  rule: {check.rule}\n  hint: {check.hint}"


LEVELS = {1: "files", 2: "schema", 3: "spans", 4: "references and meaning", 5: "releases", 6: "imports", 9: "refused operations"}


def checks_table() -> str:
    from zoomnews.tools.markdown import table

    return table(["code", "level", "name", "rule", "hint"], [[c.code, f"{c.level} {LEVELS[c.level]}", c.title, c.rule, c.hint] for c in sorted(CHECKS.values(), key=lambda c: c.code)])
