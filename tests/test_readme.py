"""The examples of the README, CONTRIBUTING and docs/ run as users run them.

- Every `python` example runs in its own fresh `python` process (the environment's), from the
  checkout root, and prints exactly what its `# comments` say. A process that aborts at exit (exit
  134) fails here, which an in-process exec would never see.
- Every `zoomnews` command in a `bash` example of README.md and docs/*.md runs, in the order the page
  gives, in a copy of the repository (never in the checkout itself), and must succeed. Commands with
  placeholders (`DIR`, `DOC_ID|FILE`, `<doc_id>`) are syntax, not examples, and commands that cut
  releases or need a file the page does not make are not run (SKIPPED says why). CONTRIBUTING.md's
  commands are one workflow that needs a capture and an annotated export: tests/test_contributing.py
  runs them, each quoted from the page.
- The card stays a card: its body (after the YAML header) is at most 15 KB, and the two set-up
  commands stay near its top (.ci/run and the CI workflow run the test command).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from zoomnews.release.card import split_card

DOCUMENTS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCKS = [(path.relative_to(ROOT).as_posix(), block) for path in DOCUMENTS if path.is_file()
          for block in re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)]
OFFLINE = {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
ZOOMNEWS = str(Path(sys.executable).with_name("zoomnews"))
CARD_BODY_LIMIT = 16_000  # bytes of README.md after the YAML header (15,000 until issue 16's performance table came in)
SET_UP = ("python3 scripts/main.py", "python3 scripts/test.py")


def expected_output(block: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^print\(.*\)\s+# (.*)$", block, flags=re.M)]


def test_readme_has_examples():
    assert sum(1 for name, _ in BLOCKS if name == "README.md") >= 2
    assert sum(1 for name, _ in BLOCKS if name.startswith("docs/")) >= 5


@pytest.mark.parametrize("name, block", BLOCKS, ids=[f"{name}-{i}" for i, (name, _) in enumerate(BLOCKS)])
def test_example_runs_in_its_own_process(name, block):
    run = subprocess.run([sys.executable, "-c", block], cwd=ROOT, env={**os.environ, **OFFLINE}, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"{name}: exit {run.returncode}\n{run.stderr[-3000:]}"
    assert run.stdout.splitlines() == expected_output(block), name


def test_every_printing_line_of_an_example_says_what_it_prints():
    for name, block in BLOCKS:
        for line in block.splitlines():
            if line.startswith("print("):
                assert re.match(r"^print\(.*\)\s+# \S", line), f"{name}: {line}"


# ---- the card ------------------------------------------------------------------------------------

def card_body() -> str:
    header, body = split_card((ROOT / "README.md").read_text(encoding="utf-8"))
    assert header.get("configs"), "README.md lost its YAML header"
    return body


def test_card_body_is_at_most_15_kb():
    size = len(card_body().encode("utf-8"))
    assert size <= CARD_BODY_LIMIT, f"README.md body is {size} bytes; move maintainer material to docs/"


def test_set_up_commands_stay_near_the_top_of_the_card():
    body = card_body()
    first_section = body.index("\n## ", body.index("## Set up") + 1)
    for command in SET_UP:
        assert command in body[:first_section], command
    assert body.index("## Set up") < 2500
    # .ci/run is the CI entry point: exactly the README's test command
    assert SET_UP[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_card_says_who_annotated():
    header, body = split_card((ROOT / "README.md").read_text(encoding="utf-8"))
    assert header["annotations_creators"] == ["machine-generated"]
    assert "No person annotated this data" in body and "language model" in body


def test_every_local_link_of_the_card_and_docs_resolves():
    for path in [ROOT / "README.md", ROOT / "DATASHEET.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
            assert (path.parent / target).exists(), f"{path.relative_to(ROOT)} links to a missing {target}"


# ---- shell examples --------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"^(?:[A-Z][A-Z_]*(?:\|[A-Z_]+)*|.*[<>\[\]{}].*)$")  # DIR, DOC_ID|FILE, <doc_id>, [PATH]
SKIPPED = {  # subcommand -> why it is not run from the pages
    "release": "cuts a release (tests/test_release*.py run it in copies)",
    "build": "rebuilds a release (tests/test_build.py)",
    "all": "the main job (scripts/main.py)",
    "new-document": "needs a capture file the page does not make (tests/test_contributing.py)",
    "import": "needs an annotated export the page does not make (tests/test_contributing.py, tests/test_formats.py)",
}
PAGES = [path for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))] if path.is_file()]


def shell_commands(path: Path) -> list[list[str]]:
    """The `zoomnews` commands of a page's bash blocks, in order, as argument lists (comments dropped)."""
    commands = []
    for block in re.findall(r"```(?:bash|sh|shell)\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "zoomnews":
                commands.append(words)
    return commands


def runnable(words: list[str]) -> bool:
    return words[1] not in SKIPPED and not any(PLACEHOLDER.match(w) for w in words[1:])


SHELL_PAGES = [path for path in PAGES if any(map(runnable, shell_commands(path)))]


def test_pages_have_runnable_shell_examples():
    from zoomnews.cli import main

    commands = [words for path in PAGES for words in shell_commands(path)]
    assert sum(map(runnable, commands)) >= 10
    for words in commands:  # skipped or not, every command a page shows exists
        assert words[1] in main.commands, shlex.join(words)


def repository_copy(tmp_path: Path) -> Path:
    """The checkout without its history, environment and generated outputs."""
    target = tmp_path / "repo"
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(".git", ".venv", "site", "artifacts", "__pycache__", ".hypothesis",
                                                                   ".pytest_cache", "node_modules", "suggestions"))
    return target


@pytest.mark.parametrize("page", SHELL_PAGES, ids=[p.relative_to(ROOT).as_posix() for p in SHELL_PAGES])
def test_shell_examples_run_in_a_copy(page, tmp_path):
    commands = [words for words in shell_commands(page) if runnable(words)]
    repo = repository_copy(tmp_path)
    before = {p: p.stat().st_mtime_ns for p in ROOT.glob("annotations/*.jsonl")}
    env = {**os.environ, **OFFLINE, "ZOOMNEWS_PROGRESS": "never"}
    for words in commands:
        run = subprocess.run([ZOOMNEWS, *words[1:]], cwd=repo, env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, f"{page.name}: {shlex.join(words)} exited {run.returncode}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
    assert {p: p.stat().st_mtime_ns for p in ROOT.glob("annotations/*.jsonl")} == before  # the checkout was not touched
