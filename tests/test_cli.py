"""The command line's conventions: every --help ends with a runnable example whose options exist,
--version names both versions, every command takes the repository as --repo (a PATH argument, where
one was taken before, is a documented deprecated alias), fmt says what it did, stats renders for a
terminal or as Markdown."""

import re
import shlex

import pytest
from click.testing import CliRunner

from conftest import ROOT
from zoomnews import __version__
from zoomnews.cli import EXAMPLES, MAIN_EXAMPLE, main


def test_every_command_has_an_example():
    assert set(EXAMPLES) == set(main.commands)
    assert not any(hasattr(command, "commands") for command in main.commands.values())  # no subcommands to cover


def test_zoomnews_help_ends_with_an_example():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0 and "Example:" in result.output and "--repo" in result.output
    for line in MAIN_EXAMPLE.splitlines():
        assert line.split("#")[0].strip() in result.output


@pytest.mark.parametrize("name", sorted(main.commands))
def test_help_ends_with_an_example_that_uses_real_options(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    known = {opt for param in main.commands[name].params for opt in getattr(param, "opts", [])}
    for line in EXAMPLES[name].splitlines():
        words = shlex.split(line.split("#")[0])
        assert words[:2] == ["zoomnews", name] and line.split("#")[0].strip() in result.output
        assert {w for w in words if w.startswith("--")} <= known, line


def test_version_names_the_package_and_the_dataset(monkeypatch):
    monkeypatch.chdir(ROOT)
    out = CliRunner().invoke(main, ["--version"]).output
    dataset = re.search(r'dataset-version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8")).group(1)
    assert f"zoomnews package {__version__}" in out and f"dataset {dataset}" in out


def test_fmt_says_when_there_is_nothing_to_change(repo_copy):
    result = CliRunner().invoke(main, ["fmt", str(repo_copy.root)])
    assert result.exit_code == 0 and "already canonical" in result.output
    checked = CliRunner().invoke(main, ["fmt", "--check", "--repo", str(repo_copy.root)])
    assert checked.exit_code == 0 and "already canonical" in checked.output


def test_fmt_says_what_it_rewrote(repo_copy):
    timexes = repo_copy.root / "annotations" / "timexes.jsonl"
    canonical = timexes.read_text(encoding="utf-8")
    timexes.write_text("".join(reversed(canonical.splitlines(keepends=True))), encoding="utf-8")
    checked = CliRunner().invoke(main, ["fmt", "--check", "--repo", str(repo_copy.root)])
    assert checked.exit_code == 1
    assert "not canonical: annotations/timexes.jsonl" in checked.output and "1 source(s) not canonical" in checked.output
    result = CliRunner().invoke(main, ["fmt", "--repo", str(repo_copy.root)])
    assert result.exit_code == 0
    assert "formatted: annotations/timexes.jsonl" in result.output and "rewrote 1 source(s) canonically" in result.output
    assert timexes.read_text(encoding="utf-8") == canonical


def test_stats_as_markdown_and_as_a_table():
    markdown = CliRunner().invoke(main, ["stats", str(ROOT), "--format", "markdown"]).output
    table = CliRunner().invoke(main, ["stats", str(ROOT)]).output
    assert "| layer |" in markdown and "| layer |" not in table
    assert "entities" in table and "296" in table and "───" in table  # drawn as a table, not Markdown source


def test_every_command_that_reads_a_repository_takes_repo():
    takes = {name for name, command in main.commands.items() if any("--repo" in getattr(p, "opts", []) for p in command.params)}
    assert set(main.commands) - takes == {"agree"}  # agree compares two folders of layer files, no repository


@pytest.mark.parametrize("name", sorted(main.commands))
def test_a_path_argument_is_a_documented_deprecated_alias(name):
    command = main.commands[name]
    positional = [p.name for p in command.params if not getattr(p, "opts", [""])[0].startswith("-")]
    help_text = " ".join(CliRunner().invoke(main, [name, "--help"]).output.split())  # as one line, whatever the wrapping
    if "path" in positional:
        assert "deprecated alias of --repo" in help_text
    else:
        assert "deprecated" not in help_text


def test_a_missing_repository_is_a_coded_problem(tmp_path):
    for args in (["validate", "--repo", str(tmp_path)], ["build", str(tmp_path)], ["render", "--repo", str(tmp_path / "none")]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1 and "ZN904" in result.output and "Traceback" not in result.output, args


def test_path_and_repo_are_synonyms_and_must_agree(tmp_path):
    assert CliRunner().invoke(main, ["validate", "--repo", str(ROOT)]).exit_code == 0
    clash = CliRunner().invoke(main, ["validate", str(ROOT), "--repo", str(tmp_path)])
    assert clash.exit_code == 2 and "name different repositories" in clash.output


def test_score_baseline_prints_the_cards_benchmark_and_needs_one_of_pred_or_baseline():
    import json

    from zoomnews import CorpusRepo
    from zoomnews.tools.scoring import benchmark_baseline

    shown = CliRunner().invoke(main, ["score", "--baseline", "--format", "json", "--repo", str(ROOT)])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output) == json.loads(json.dumps(benchmark_baseline(CorpusRepo(ROOT))))
    for arguments in ([], ["--baseline", "--pred", str(ROOT / "annotations")]):
        refused = CliRunner().invoke(main, ["score", *arguments, "--repo", str(ROOT)])
        assert refused.exit_code == 2 and "--pred PATH" in refused.output and refused.exception.__class__ is SystemExit


@pytest.mark.parametrize("module", ["zoomnews", "zoomnews.cli"])
def test_python_dash_m_runs_the_command(repo_copy, module):
    """`python -m zoomnews.cli validate` once exited 0 without running anything (no __main__ guard),
    so a CI step written that way passed every corpus."""
    import subprocess
    import sys

    with open(repo_copy.path("annotations/entities.jsonl"), "a", encoding="utf-8") as f:
        f.write("{broken\n")
    run = subprocess.run([sys.executable, "-m", module, "validate", str(repo_copy.root)], capture_output=True, text=True)
    assert run.returncode == 1 and "ZN103" in run.stdout, (run.returncode, run.stdout[-500:], run.stderr[-500:])
