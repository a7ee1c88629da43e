"""The command line's conventions: every --help ends with a runnable example whose options exist,
--version names both versions, fmt says what it did, stats renders for a terminal or as Markdown."""

import re
import shlex

import pytest
from click.testing import CliRunner

from conftest import ROOT
from zoomnews import __version__
from zoomnews.cli import EXAMPLES, main


def test_every_command_has_an_example():
    assert set(EXAMPLES) == set(main.commands)


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


def test_stats_as_markdown_and_as_a_table():
    markdown = CliRunner().invoke(main, ["stats", str(ROOT), "--format", "markdown"]).output
    table = CliRunner().invoke(main, ["stats", str(ROOT)]).output
    assert "| layer |" in markdown and "| layer |" not in table
    assert "entities" in table and "296" in table


def test_every_command_that_reads_a_repository_takes_repo():
    takes = {name for name, command in main.commands.items() if any("--repo" in getattr(p, "opts", []) for p in command.params)}
    assert set(main.commands) - takes == {"agree"}  # agree compares two folders of layer files, no repository


def test_path_and_repo_are_synonyms_and_must_agree(tmp_path):
    assert CliRunner().invoke(main, ["validate", "--repo", str(ROOT)]).exit_code == 0
    clash = CliRunner().invoke(main, ["validate", str(ROOT), "--repo", str(tmp_path)])
    assert clash.exit_code == 2 and "name different repositories" in clash.output
