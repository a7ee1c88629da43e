"""The main job behind `zoomnews all`: build, validate, load every config, summarise in one table."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager

from datasets import disable_progress_bars, load_dataset
from rich.table import Table

from zoomnews.release.building import build_release
from zoomnews.release.card import point_card_at
from zoomnews.release.configs import CONFIGS
from zoomnews.release.manifest import read_manifest
from zoomnews.tools.render import render_site
from zoomnews.checks.reporting import render_problem
from zoomnews.checks.validation import validate_repo


SITE = "site"  # the rendered viewer; not committed (see .gitignore)


@contextmanager
def _no_bar(description: str, unit: str):
    yield None


def main_job(repo, console, bar=None) -> bool:
    """`bar(description, unit)`: a context giving a progress callback or None (zoomnews.progress.bar,
    which the command line passes); None: no progress."""
    bar = bar or _no_bar
    disable_progress_bars()
    with bar("build", "documents checked and written") as progress:
        result = build_release(repo, progress=progress)
    point_card_at(repo, result.version)
    console.print(f"build: release {result.version} {result.status} at {repo.rel(result.path)}")
    with bar("validate", "documents checked") as progress:
        report = validate_repo(repo, progress=progress)
    for problem in report.problems:
        console.print(render_problem(problem), markup=False)
    console.print(f"validate: {sum(report.counts.values())} source records, {len(report.problems)} problem(s)")
    manifest = read_manifest(result.path)
    table = Table(title=f"zoomnews {result.version}: every config through datasets.load_dataset")
    for column in ("config", "manifest rows", "loaded rows", "streamed rows", "columns", "ok"):
        table.add_column(column, justify="left" if column == "config" else "right")
    ok = report.ok
    for config in CONFIGS:
        expected = manifest["configs"][config]["rows"]
        if expected == 0:  # datasets refuses an empty split ("corresponds to no data"); nothing to load
            table.add_row(config, "0", "-", "-", "-", "empty")
            continue
        loaded = load_dataset(str(repo.root), config, split="train")
        streamed = sum(1 for _ in load_dataset(str(repo.root), config, split="train", streaming=True))
        good = len(loaded) == expected == streamed
        if config == "documents":
            good &= all(hashlib.sha256(row["text"].encode()).hexdigest() == row["sha256"] for row in loaded)
        ok &= good
        table.add_row(config, str(expected), str(len(loaded)), str(streamed), str(len(loaded.column_names)), "yes" if good else "NO")
    console.print(table)
    with bar("render", "pages written") as progress:
        pages = render_site(repo, repo.root / SITE, result.version, progress=progress)
    console.print(f"viewer: {pages['documents']} documents, {pages['statements']} statements, {pages['entities']} entities, "
                  f"{pages['speakers']} speakers -> open {repo.rel(repo.root / SITE / 'index.html')} in a browser")
    console.print("all checks passed" if ok else "FAILED")
    return ok
