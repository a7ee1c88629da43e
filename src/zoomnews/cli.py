"""The `zoomnews` command: a thin shell over the library. Exit codes: 0 ok, 1 problems found, 2 usage."""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import click

from zoomnews.checks.catalogue import CHECKS, explain
from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.progress import bar
from zoomnews.repo import CorpusRepo


@functools.cache
def _rich_console():
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else 120)


class _Console:
    """rich's Console, made on first use: commands that print plain text (validate) skip importing rich."""

    def __getattr__(self, name):
        return getattr(_rich_console(), name)


def Table(*args, **kwargs):  # noqa: N802 (rich.table.Table, imported on first use)
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)


console = _Console()
MAX_SHOWN = 200
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


REPO_HELP = "Corpus repository (default: the one holding the current directory)."
PATH_ALIAS = " The PATH argument is a deprecated alias of --repo, kept so that older scripts run."


def repository(positional: bool = False):
    """Every command takes the corpus repository the same way: `--repo DIR` (default: the repository
    holding the current directory). Commands that took a PATH argument before `--repo` existed still
    accept it, as a deprecated alias (documented in --help; no warning, so their output is unchanged)."""

    def decorate(command):
        @functools.wraps(command)
        def run(*args, repo=None, path=None, **kwargs):
            if repo and path and Path(repo).resolve() != Path(path).resolve():
                raise click.UsageError(f"PATH {path} and --repo {repo} name different repositories; give one (--repo)")
            return command(*args, path=repo or path, **kwargs)

        run = click.option("--repo", "repo", type=click.Path(file_okay=False), metavar="DIR",
                           help=REPO_HELP + (PATH_ALIAS if positional else ""))(run)
        return click.argument("path", required=False, type=click.Path(file_okay=False))(run) if positional else run

    return decorate


def _streaming_process() -> None:
    """This process streams the corpus (validate, build): Arrow allocates through glibc and pyarrow's
    first look for pandas finds none (see use_system_allocator and pyarrow_without_pandas)."""
    from zoomnews.checks.validation import pyarrow_without_pandas, use_system_allocator

    use_system_allocator()
    pyarrow_without_pandas()


def _fail(error: ZoomnewsError) -> None:
    from zoomnews.checks.reporting import render_problem

    for problem in error.problems:
        click.echo(render_problem(problem), err=True)
    sys.exit(1)


class Commands(click.Group):
    """Every command behind one safety net: a refused input or an operating-system failure (full
    disk, read-only, permission denied) is a coded problem and exit 1, never a traceback."""

    def invoke(self, ctx):
        from zoomnews.safeio import environment_problem

        try:
            return super().invoke(ctx)
        except ZoomnewsError as e:
            _fail(e)
        except OSError as e:
            _fail(ZoomnewsError(environment_problem(e)))
        except RecursionError:
            _fail(ZoomnewsError(Problem("input", None, "ZN602", "input nested too deeply to read")))


def _print_version(ctx, _param, value):
    """Both versions a user may mean: the package's (code) and the dataset's (data, with every release)."""
    if not value or ctx.resilient_parsing:
        return
    from zoomnews import __version__

    click.echo(f"zoomnews package {__version__}")
    try:
        repo = CorpusRepo.find()
        released = repo.released_versions()
        click.echo(f"dataset {repo.dataset_version} at {repo.root} (releases: {', '.join(released) or 'none'})")
    except (ZoomnewsError, OSError, KeyError, ValueError):
        click.echo("dataset: no corpus repository here (run inside a checkout)")
    ctx.exit()


@click.group(cls=Commands)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Print the package and dataset versions and exit.")
def main():
    """zoomnews: build, validate and load the annotated Zoom/China news corpus.

    Every command works on the corpus repository holding the current directory, or the one given
    with --repo DIR; `zoomnews COMMAND --help` shows each command's options and an example.
    Exit codes: 0 ok, 1 problems found, 2 usage error.
    """


@main.command()
@repository(positional=True)
@click.option("--version", "version", help="Release version (default: [tool.zoomnews] dataset-version).")
@click.option("--jobs", type=click.IntRange(min=1), default=CORES, show_default="every core",
              help="Cores to use: from 20,000 documents, one process per range of whole shards, this one included (1: one core).")
def build(path, version, jobs):
    """Build releases/<version>/ from the repository's sources (checked as they are written).

    A new release is written as one transaction under releases/.lock, with the README card (for the
    dataset-version) and releases/RELEASES.lock; see `zoomnews release --help` for --recover.
    """
    from zoomnews.release.building import build_release

    _streaming_process()
    try:
        repo = CorpusRepo.find(path)
        card = (version or repo.dataset_version) == repo.dataset_version
        with bar("build", "documents checked and written") as progress:
            result = build_release(repo, version, jobs=jobs, card=card, progress=progress)
    except ZoomnewsError as e:
        _fail(e)
    click.echo(f"release {result.version}: {result.status} at {repo.rel(result.path)}")


@main.command()
@repository(positional=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
              help="github: workflow-command annotations for pull requests.")
@click.option("--max", "limit", type=click.IntRange(min=1), default=MAX_SHOWN, show_default=True, help="Show at most this many problems (the rest are counted).")
@click.option("--explain", "code", help="Explain one check code and exit.")
@click.option("--jobs", type=click.IntRange(min=1), default=CORES, show_default="every core",
              help="Cores to use: from 20,000 documents, one process per range of documents, this one included; below, Arrow parses on every core (1: one core).")
def validate(path, fmt, limit, code, jobs):
    """Validate the corpus repository: every check, every problem in one run.

    Exit status: 0 valid, 1 problems found, 2 usage error. On a terminal, a progress bar on standard
    error counts the documents checked (ZOOMNEWS_PROGRESS=never hides it).
    """
    from zoomnews.checks.reporting import render_report
    from zoomnews.checks.validation import validate_repo

    if code is not None:  # --explain "" is an unknown code, not a validation
        if code.upper() not in CHECKS:
            raise click.BadParameter(f"unknown code {code}; codes are listed in docs/validation.md", param_hint="--explain")
        click.echo(explain(code))
        return
    _streaming_process()
    try:
        repo = CorpusRepo.find(path)
        with bar("validate", "documents checked") as progress:
            report = validate_repo(repo, jobs=jobs, progress=progress)
    except ZoomnewsError as e:
        _fail(e)
    click.echo(render_report(report, fmt, limit))
    sys.exit(0 if report.ok else 1)


@main.command()
@repository(positional=True)
def info(path):
    """Rows per config and release, as a table."""
    from zoomnews.loader.info import release_rows

    try:
        repo = CorpusRepo.find(path)
    except ZoomnewsError as e:
        _fail(e)
    versions, rows = release_rows(repo)
    table = Table(title=f"zoomnews releases in {repo.root}")
    table.add_column("config")
    for version in versions:
        table.add_column(version, justify="right")
    for config, counts in rows.items():
        table.add_row(config, *(str(counts.get(v, "")) for v in versions))
    console.print(table)


@main.command(name="all")
@repository(positional=True)
def run_all(path):
    """The main job: build, validate, load every config through load_dataset, print a summary."""
    from zoomnews.tools.summary import main_job

    try:
        ok = main_job(CorpusRepo.find(path), console, bar)
    except ZoomnewsError as e:
        _fail(e)
    sys.exit(0 if ok else 1)


@main.command()
@repository(positional=True)
@click.option("--check", is_flag=True, help="Only report files that are not canonical (exit 1 if any).")
def fmt(path, check):
    """Rewrite the sources canonically (sorted records, schema key order, one per line); says what it did."""
    from zoomnews.sources.canonical import format_repo

    try:
        changed = format_repo(CorpusRepo.find(path), check=check)
    except ZoomnewsError as e:
        _fail(e)
    for name in changed:
        click.echo(f"{'not canonical' if check else 'formatted'}: {name}")
    if not changed:
        click.echo("every source is already canonical; nothing to change")
    elif check:
        click.echo(f"{len(changed)} source(s) not canonical; `zoomnews fmt` rewrites them")
    else:
        click.echo(f"rewrote {len(changed)} source(s) canonically")
    sys.exit(1 if check and changed else 0)


@main.command()
@click.argument("a", type=click.Path(exists=True, file_okay=False))
@click.argument("b", type=click.Path(exists=True, file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def agree(a, b, fmt):
    """Inter-annotator agreement between two folders of layer files (zones/entities/timexes/quotes.jsonl); A is the reference.
    Only the layers both folders have a file of are compared."""
    from zoomnews.tools.agreement import compare_folders

    try:
        result = compare_folders(a, b)
    except ZoomnewsError as e:
        _fail(e)
    if not result:
        raise click.UsageError(f"{a} and {b} have no layer file in common (zones/entities/timexes/quotes.jsonl)")
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
        return
    table = Table(title=f"agreement: A={a}  B={b}")
    for column in ("layer", "A", "B", "exact F1", "overlap F1", "unlabelled exact F1", "attributes"):
        table.add_column(column, justify="left" if column in ("layer", "attributes") else "right")
    for layer, r in result.items():
        extras = {k: v for k, v in r.items() if k not in ("a", "b", "exact", "overlap", "exact_unlabelled")}
        shown = ", ".join(f"{k}={v['f1'] if isinstance(v, dict) else v:.3f}" for k, v in extras.items() if v is not None)
        table.add_row(layer, str(r["a"]), str(r["b"]), f"{r['exact']['f1']:.3f}", f"{r['overlap']['f1']:.3f}", f"{r['exact_unlabelled']['f1']:.3f}", shown)
    console.print(table)


@main.command()
@repository(positional=True)
@click.option("--id", "statement_id", help="Only this statement.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def statements(path, statement_id, fmt):
    """Each statement with every outlet's quote of it; word differences against the fullest version."""
    from zoomnews.tools.statements import render_alignment, statement_alignment

    try:
        rows = statement_alignment(CorpusRepo.find(path), statement_id)
    except ZoomnewsError as e:
        _fail(e)
    if statement_id and not rows:
        _fail(ZoomnewsError(Problem("annotations/registry/statements.jsonl", None, "ZN403", f"no statement {statement_id!r}")))
    click.echo(json.dumps(rows, indent=2, ensure_ascii=False) if fmt == "json" else render_alignment(rows))


@main.command()
@repository(positional=True)
@click.option("--format", "fmt", type=click.Choice(["table", "markdown"]), default="table", show_default=True,
              help="table: rendered for the terminal; markdown: the source DATASHEET.md quotes.")
def stats(path, fmt):
    """The figures DATASHEET.md quotes: counts per layer, document and label; agreement.

    Tables drawn for the terminal by default; --format markdown prints the Markdown source instead.
    """
    from zoomnews.tools.stats import blocks

    try:
        rendered = blocks(CorpusRepo.find(path))
    except ZoomnewsError as e:
        _fail(e)
    text = "\n".join(f"## {name}\n\n{body}\n" for name, body in rendered.items())
    if fmt == "markdown":
        click.echo(text)
    else:
        from rich.markdown import Markdown

        console.print(Markdown(text))


@main.command()
@repository(positional=True)
@click.option("--check", is_flag=True, help="Only report stale files (exit 1 if any).")
def docs(path, check):
    """Refresh the generated blocks of README.md (instances, benchmark, agreement), docs/ (checks table, suggest figures) and DATASHEET.md (figures)."""
    from zoomnews.tools.docs import refresh_docs

    try:
        stale = refresh_docs(CorpusRepo.find(path), write=not check)
    except ZoomnewsError as e:
        _fail(e)
    for name in stale:
        click.echo(f"{'stale' if check else 'updated'}: {name}")
    sys.exit(1 if check and stale else 0)


@main.command(name="diff")
@click.argument("a")
@click.argument("b", default="working")
@repository()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def diff_command(a, b, path, fmt):
    """Semantic diff from release A to release B (or `working`, the sources): per layer added, removed, changed."""
    from zoomnews.tools.diff import as_json, diff, render

    try:
        result = diff(CorpusRepo.find(path), a, b)
    except ZoomnewsError as e:
        _fail(e)
    click.echo(json.dumps(as_json(result), indent=2, ensure_ascii=False) if fmt == "json" else render(result, a, b))


@main.command()
@repository(positional=True)
@click.option("--bump", "target", metavar="patch|minor|major|X.Y.Z",
              help="How far to move from the latest release, or an explicit version.")
@click.option("--allow-unchanged", is_flag=True, help="Release even when nothing changed (e.g. to declare 1.0.0 stable).")
@click.option("--dry-run", is_flag=True, help="Only say what the release would be and why.")
@click.option("--recover", is_flag=True,
              help="Finish or roll back a release that was interrupted (validate reports ZN508), then exit.")
def release(path, target, allow_unchanged, dry_run, recover):
    """Cut a new immutable release from the sources: refuses to overwrite a version or to bump less than the change needs.

    A release is one transaction: under releases/.lock (a second release is refused, ZN911) it builds
    releases/<version>/ in a hidden folder, journals what it will change in releases/.journal.json,
    renames the folder into place, writes releases/RELEASES.lock, the README card, pyproject.toml and
    CHANGELOG.md, and removes the journal. Killed or crashed half-way, it leaves the journal:
    `zoomnews validate` says ZN508 and `zoomnews release --recover` finishes the release when its
    files are complete, else rolls everything back to the previous release.
    """
    from zoomnews.release.releasing import plan_release, recover as recover_release, release as cut_release

    if not recover and not target:
        raise click.UsageError("give --bump patch|minor|major|X.Y.Z (or --recover)")
    try:
        repo = CorpusRepo.find(path)
        if recover:
            outcome = recover_release(repo)
            click.echo(f"release {outcome.version}: {outcome.outcome}" if outcome.version else outcome.outcome)
            return
        if dry_run:
            plan = plan_release(repo, target, allow_unchanged)
            click.echo(f"would release {plan.version} ({plan.bump}; changes require: {plan.required or 'none'})")
            for change in plan.changes:
                click.echo(f"  {change.level:5}  {change.what}")
            return
        with bar("release", "documents checked and written") as progress:
            result = cut_release(repo, target, allow_unchanged, progress=progress)
    except ZoomnewsError as e:
        _fail(e)
    click.echo(f"release {result.plan.version}: {result.build.status} at {repo.rel(result.build.path)}")
    click.echo(result.changelog_entry)


FORMAT_NAMES = ("labelstudio", "brat", "doccano", "xmi", "conll", "spacy")


def _units(fmt: str, units: str | None) -> str:
    """--units checked against --format before anything is read or written: one the format cannot
    count in is a usage error (exit 2), not ignored."""
    from zoomnews.formats import unit

    try:
        return unit(fmt, units)
    except ZoomnewsError as e:
        raise click.UsageError(e.problems[0].message) from None


@main.command(name="export")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), required=True)
@repository()
@click.option("--doc", "doc_ids", multiple=True, help="Only this document (repeatable).")
@click.option("--units", type=click.Choice(["codepoint", "utf16"]), help="Offset unit (default: the format's own; see docs/annotation-tools.md).")
def export_command(out, fmt, path, doc_ids, units):
    """Write the corpus for an annotation or training tool into folder OUT."""
    from zoomnews.formats import export_corpus

    units = _units(fmt, units)
    try:
        notes = export_corpus(CorpusRepo.find(path), fmt, Path(out), list(doc_ids) or None, units)
    except ZoomnewsError as e:
        _fail(e)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"exported {fmt} to {out}")


@main.command(name="import")
@click.argument("source", type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), required=True)
@repository()
@click.option("--units", type=click.Choice(["codepoint", "utf16"]), help="Offset unit (default: the format's own; see docs/annotation-tools.md).")
@click.option("--dry-run", is_flag=True, help="Only report what would change (the same checks and list of removals).")
@click.option("--annotation", "annotation", multiple=True, metavar="latest|ID",
              help="Label Studio: which of a task's several annotations to import (repeatable); else such a task is refused (ZN605).")
@click.option("--allow-removal", is_flag=True, help="Let the import remove the listed records its export lacks (else ZN604).")
@click.option("--annotator", metavar="ID", help="Who made the changes (an id in annotations/registry/annotators.jsonl): records changed "
                                               "or added in the tool get it as their provenance (else a changed record is refused, ZN608).")
def import_command(source, fmt, path, units, dry_run, annotation, allow_removal, annotator):
    """Replace the annotations of the documents in SOURCE (a tool's export) with the tool's; then run validate."""
    from zoomnews.formats import import_corpus

    units = _units(fmt, units)
    try:
        result = import_corpus(CorpusRepo.find(path), fmt, Path(source), units, write=not dry_run,
                               annotation=annotation, allow_removal=allow_removal, annotator=annotator)
    except ZoomnewsError as e:
        _fail(e)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    for layer, c in result.counts.items():
        click.echo(f"{layer}: {c.before} -> {c.after} record(s) in {len(result.documents)} document(s): "
                   f"{c.added} added, {c.removed} removed, {c.changed} changed")
    for r in result.removed:
        click.echo(f"{'would remove' if dry_run else 'removed'}: {r['layer']} {r['doc_id']}/{r['id']} {r['text']!r}")
    click.echo("dry run: nothing written" if dry_run else "written; run `zoomnews validate` and `zoomnews diff <latest release>`")


@main.command()
@click.argument("source", type=click.Path(exists=True))
@click.option("--annotator", required=True, help="Your id in annotations/registry/annotators.jsonl (add yourself there first).")
@click.option("--format", "fmt", type=click.Choice(["records", "labelstudio"]), default="records", show_default=True,
              help="records: the folder `zoomnews suggest` wrote, reviewed in place; labelstudio: an export of the reviewed predictions.")
@repository()
@click.option("--dry-run", is_flag=True, help="Only report what would change.")
@click.option("--annotation", "annotation", multiple=True, metavar="latest|ID", help="Label Studio: which of a task's annotations to take.")
@click.option("--allow-removal", is_flag=True, help="Let the accepted records replace records they lack (else ZN604).")
def accept(source, annotator, fmt, path, dry_run, annotation, allow_removal):
    """Take reviewed suggestions into annotations/ as your work: method rule (kept as suggested), corrected or manual; then list what is incomplete."""
    from zoomnews.tools.accept import accept_suggestions

    try:
        result = accept_suggestions(CorpusRepo.find(path), Path(source), annotator, fmt, write=not dry_run,
                                    allow_removal=allow_removal, annotation=annotation)
    except ZoomnewsError as e:
        _fail(e)
    for kind, counts in result.methods.items():
        click.echo(f"{kind}: " + (", ".join(f"{n} {method}" for method, n in sorted(counts.items())) or "none"))
    for r in result.imported.removed:
        click.echo(f"{'would remove' if dry_run else 'removed'}: {r['layer']} {r['doc_id']}/{r['id']} {r['text']!r}")
    if dry_run:
        click.echo("dry run: nothing written")
        return
    for problem in result.incomplete:
        click.echo(f"incomplete: {problem}")
    click.echo(f"accepted {', '.join(result.documents)} as {annotator}; "
               + (f"{len(result.incomplete)} thing(s) to complete (above)" if result.incomplete else "nothing left to complete"))
    sys.exit(1 if result.incomplete else 0)


@main.command(name="new-document")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--outlet", required=True, help="Who published the capture.")
@click.option("--url", help="Where it was captured from.")
@click.option("--published", required=True, help="Publication date, YYYY-MM-DD.")
@click.option("--title", help="Headline (default: the first non-blank line).")
@click.option("--doc-id", "doc_id", help="The document id (default: <outlet slug>-<published>).")
@repository()
def new_document_command(file, outlet, url, published, title, doc_id, path):
    """Register a raw capture: copy it byte for byte, compute its sha256 and id, add a provenance stub to complete."""
    from zoomnews.tools.registering import new_document

    try:
        repo = CorpusRepo.find(path)
        result = new_document(repo, Path(file), outlet, url, published, title, doc_id)
    except ZoomnewsError as e:
        _fail(e)
    click.echo(f"registered {result.doc_id} at {repo.rel(result.raw)} (sha256 {result.sha256[:12]}…); to complete:")
    for item in result.todo:
        click.echo(f"  - {item}")


@main.command()
@click.option("--out", type=click.Path(file_okay=False), default="site", show_default=True, help="Folder to write the site into.")
@click.option("--release", "version", help="Release to render (default: the one the README card points at).")
@repository()
def render(out, version, path):
    """Write a release as a static HTML site (works offline, from file://)."""
    from zoomnews.release.card import card_version
    from zoomnews.tools.render import render_site

    try:
        repo = CorpusRepo.find(path)
        version = version or card_version(repo) or repo.dataset_version
        with bar("render", "pages written") as progress:
            pages = render_site(repo, Path(out), version, progress=progress)
    except ZoomnewsError as e:
        _fail(e)
    click.echo(f"rendered release {version}: " + ", ".join(f"{n} {kind}" for kind, n in pages.items()) + f" -> {Path(out) / 'index.html'}")


@main.command()
@click.option("--gold", default=None, help="Gold: a release version, or `working` (default: the current release).")
@click.option("--pred", "pred", type=click.Path(exists=True), help="Predictions: a folder of layer files, or a tool's export (required unless --baseline).")
@click.option("--baseline", is_flag=True, help="Score the `suggest` baseline under the leave-one-document-out protocol (docs/scoring.md) instead.")
@click.option("--pred-format", "pred_format", type=click.Choice(["records", *FORMAT_NAMES]), default="records", show_default=True)
@repository()
@click.option("--documents", "documents", multiple=True, metavar="DOC_ID",
              help="Score only these gold documents (repeatable); by default every gold document counts, predicted or not.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def score(gold, pred, baseline, pred_format, path, documents, fmt):
    """Score predictions against the gold: NER (SemEval-2013 schemas), TIMEX (TempEval-3), attribution.

    Every gold document is scored: one without predictions counts as missed, and is named.
    """
    from zoomnews.release.card import card_version
    from zoomnews.tools.scoring import SCHEMAS, coverage_notes, gold_bundle, prediction_bundle, score as run_score

    if baseline == bool(pred):
        raise click.UsageError("give --pred PATH (predictions to score) or --baseline (the suggest baseline's folds), one of them")
    try:
        repo = CorpusRepo.find(path)
        if baseline:
            from zoomnews.tools.scoring import benchmark_baseline, benchmark_table

            result = benchmark_baseline(repo, gold)
            click.echo(json.dumps(result, indent=2) if fmt == "json" else benchmark_table(result))
            return
        gold_set = gold_bundle(repo, gold or card_version(repo) or repo.dataset_version)
        predictions, notes = prediction_bundle(repo, pred, pred_format, gold_set.texts)
        result = run_score(gold_set, predictions, list(documents) or None)
    except ZoomnewsError as e:
        _fail(e)
    for note in [*notes, *coverage_notes(result)]:
        click.echo(f"note: {note}", err=True)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
        return
    table = Table(title=f"NER on {len(result['documents'])} document(s) (micro)")
    for column in ("schema", "COR", "INC", "PAR", "MIS", "SPU", "P", "R", "F1", "macro F1"):
        table.add_column(column, justify="left" if column == "schema" else "right")
    for schema in SCHEMAS:
        m = result["ner"]["micro"][schema]
        table.add_row(schema, *(str(m[k]) for k in ("correct", "incorrect", "partial", "missed", "spurious")),
                      *(f"{m[k]:.3f}" for k in ("precision", "recall", "f1")), f"{result['ner']['macro'][schema]['f1']:.3f}")
    console.print(table)
    t, a = result["timex"], result["attribution"]
    def shown(value) -> str:  # None: undefined (nothing to count), never shown as a score
        return "–" if value is None else f"{value:.3f}"

    console.print(f"TIMEX: strict F1 {t['strict']['f1']:.3f}, relaxed F1 {t['relaxed']['f1']:.3f}, "
                  f"type accuracy {shown(t['type_accuracy'])}, value accuracy {shown(t['value_accuracy'])}")
    console.print(f"attribution: content F1 exact {a['content_exact']['f1']:.3f}, overlap {a['content_overlap']['f1']:.3f}; "
                  f"speaker accuracy {shown(a['speaker_accuracy'])}; statement pairwise F1 {shown(a['statement_pairwise']['f1'])}")


@main.command(name="suggest")
@click.argument("target", required=False)
@click.option("--published", help="Creation time for a file (YYYY-MM-DD); a corpus document uses its article's date.")
@click.option("--doc-id", "doc_id", help="doc_id for a file's suggestions (default: from its name).")
@click.option("--out", type=click.Path(file_okay=False), help="Folder for the suggestions (default: suggestions/<doc_id>).")
@click.option("--format", "fmt", type=click.Choice(["records", "labelstudio"]), default="records", show_default=True)
@click.option("--evaluate", is_flag=True, help="Score suggest against the gold (entities leave-one-document-out) and exit.")
@repository()
def suggest_command(target, published, doc_id, out, fmt, evaluate, path):
    """Rule-based pre-annotation of a document (DOC_ID or FILE): suggestions to accept, never gold."""
    from zoomnews.tools.suggest import evaluate_suggestions, evaluation_table, suggest_for, write_suggestions

    try:
        repo = CorpusRepo.find(path)
        if evaluate:
            from zoomnews.sources.corpus import read_corpus

            click.echo(evaluation_table(evaluate_suggestions(read_corpus(repo))))
            return
        if not target:
            raise click.UsageError("give a DOC_ID or FILE (or --evaluate)")
        result = suggest_for(repo, target, published, doc_id)
        written = write_suggestions(repo, result, out or f"suggestions/{result.doc_id}", fmt)
    except ZoomnewsError as e:
        _fail(e)
    counts = ", ".join(f"{len(records)} {layer}" for layer, records in result.layers.items())
    click.echo(f"suggested for {result.doc_id}: {counts} (method: rule) -> {', '.join(written)}")


# One runnable example per command, shown at the end of its --help (tests/test_cli.py runs each
# command's --help and checks the example is there).
EXAMPLES = {
    "all": "zoomnews all                      # build, validate, load every config, summary",
    "build": "zoomnews build --jobs 2           # releases/<dataset-version>/ from the sources",
    "validate": "zoomnews validate --format github  # every check, as pull-request annotations\nzoomnews validate --explain ZN305  # what one code means\nzoomnews validate --repo ../other-checkout --format json",
    "info": "zoomnews info                     # rows per config and release",
    "fmt": "zoomnews fmt --check               # list sources that are not canonical (exit 1 if any)",
    "agree": "zoomnews agree annotations/agreement/a1 annotations/agreement/a2",
    "statements": "zoomnews statements --id zoom-spokesperson-2020-08-03",
    "stats": "zoomnews stats --format markdown  # the tables DATASHEET.md quotes",
    "docs": "zoomnews docs --check             # exit 1 if a generated block is stale",
    "diff": "zoomnews diff 1.1.0 working       # what changed in the sources since 1.1.0",
    "release": "zoomnews release --bump patch --dry-run   # the version it would cut, and why\nzoomnews release --recover                # finish or roll back an interrupted release",
    "export": "zoomnews export --format labelstudio --doc crn-2020-08-03 ls-task/",
    "import": "zoomnews import --format labelstudio ls-export.json --dry-run",
    "accept": "zoomnews accept suggestions/crn-2020-08-03 --annotator jdoe",
    "new-document": "zoomnews new-document capture.txt --outlet CRN --published 2020-08-03 --url https://example.org/a",
    "render": "zoomnews render --out site         # then open site/index.html",
    "score": "zoomnews score --pred predictions/ --gold 1.1.1 --format json",
    "suggest": "zoomnews suggest crn-2020-08-03 --format labelstudio --out suggestions/crn",
}
# and for `zoomnews --help`
MAIN_EXAMPLE = ("zoomnews validate                  # check the checkout you are in\n"
                "zoomnews build --repo ~/zoomnews   # build another checkout's release\n"
                "zoomnews COMMAND --help            # a command's options and example")


def _epilog(example: str) -> str:
    return "\b\nExample:\n" + "\n".join(f"  {line}" for line in example.split("\n"))


main.epilog = _epilog(MAIN_EXAMPLE)
for _name, _example in EXAMPLES.items():
    main.commands[_name].epilog = _epilog(_example)

if __name__ == "__main__":  # `python -m zoomnews.cli` once exited 0 having run nothing: a validator that passes everything
    main(prog_name="zoomnews")
