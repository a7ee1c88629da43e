"""One command writes a repository at a time (zoomnews.safeio.writing): two imports run at once kept
only one's changes (each read the layer files, then wrote back what it had read plus its own). Now a
writer that finds the repository held is refused (ZN912) before it reads anything, and writes nothing."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from zoomnews.cli import main

HOLD = """
import sys
from zoomnews import safeio
with safeio.writing(sys.argv[1], "import"):
    print("holding", flush=True)
    sys.stdin.read()  # until the test closes it
"""


def tracked(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def label_changed_export(repo, doc_id: str, out: Path) -> Path:
    """A Label Studio export of `doc_id` whose first zone is relabelled: an import that changes annotations/zones.jsonl."""
    result = CliRunner().invoke(main, ["export", "--repo", str(repo.root), "--format", "labelstudio", "--doc", doc_id, str(out)])
    assert result.exit_code == 0, result.output
    tasks = json.loads((out / "tasks.json").read_text(encoding="utf-8"))
    zone = next(r for r in tasks[0]["annotations"][0]["result"] if r["from_name"] == "zone")
    zone["value"]["labels"] = ["page_furniture" if zone["value"]["labels"] != ["page_furniture"] else "body"]
    (out / "tasks.json").write_text(json.dumps(tasks), encoding="utf-8")
    return out


@pytest.fixture
def held(repo_copy):
    """The repository held by another process for as long as the test runs."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(repo_copy.root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "holding\n"
    yield repo_copy
    holder.stdin.close()
    assert holder.wait() == 0


def commands(repo, tmp_path: Path) -> dict[str, list[str]]:
    capture = tmp_path / "capture.txt"
    capture.write_text("Zoom said on Monday that it would stop selling directly in China.\n", encoding="utf-8")
    export = label_changed_export(repo, "crn-2020-08-03", tmp_path / "export")
    root = str(repo.root)
    return {"fmt": ["fmt", "--repo", root],
            "import": ["import", "--repo", root, "--format", "labelstudio", "--annotator", "a0", str(export)],
            "new-document": ["new-document", str(capture), "--repo", root, "--outlet", "Example", "--published", "2020-08-04"],
            "docs": ["docs", "--repo", root],
            "build": ["build", root, "--version", "9.9.9"],
            "release": ["release", root, "--bump", "patch", "--allow-unchanged"],
            "release --recover": ["release", root, "--recover"]}


@pytest.mark.parametrize("command", ["fmt", "import", "new-document", "docs", "build", "release", "release --recover"])
def test_a_writer_finds_the_repository_held_and_writes_nothing(repo_copy, tmp_path, command):
    args = commands(repo_copy, tmp_path)[command]
    before = tracked(repo_copy.root)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(repo_copy.root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "holding\n"
        out = CliRunner().invoke(main, args)
        assert out.exit_code == 1 and "ZN912" in out.output and f"`zoomnews {command}` did not start" in out.output, out.output
        assert "Traceback" not in out.output
        assert tracked(repo_copy.root) == before
    finally:
        holder.stdin.close()
        assert holder.wait() == 0
    if command in ("fmt", "import", "docs"):  # let go (the holder exited): the same command runs
        out = CliRunner().invoke(main, args)
        assert out.exit_code == 0 and "ZN912" not in out.output, out.output


def test_dry_runs_read_a_held_repository(held):
    root = str(held.root)
    assert CliRunner().invoke(main, ["fmt", "--repo", root, "--check"]).exit_code == 0
    assert CliRunner().invoke(main, ["docs", "--repo", root, "--check"]).exit_code == 0
    assert CliRunner().invoke(main, ["validate", root]).exit_code == 0


def test_the_lock_is_reentrant_and_leaves_nothing(repo_copy):
    from zoomnews import safeio

    before = tracked(repo_copy.root)
    with safeio.writing(repo_copy.root, "release"), safeio.writing(repo_copy.root, "build"):
        pass
    with safeio.writing(repo_copy.root, "fmt"):  # let go: taken again
        pass
    assert tracked(repo_copy.root) == before


@pytest.mark.parametrize("run", range(3))
def test_two_imports_at_once_lose_nothing(repo_copy, tmp_path, run):
    """Whichever runs first, every import that says it wrote has its change in the file; the other,
    if refused, says so. (Before: both said written, and about half the time one change was gone.)"""
    exports = {doc_id: label_changed_export(repo_copy, doc_id, tmp_path / doc_id) for doc_id in ("cnbc-reworded-2020-08-03", "crn-2020-08-03")}
    zones = repo_copy.path("annotations/zones.jsonl")
    before = zones.read_text(encoding="utf-8").splitlines()
    imports = {doc_id: subprocess.Popen([sys.executable, "-m", "zoomnews", "import", "--repo", str(repo_copy.root), "--format", "labelstudio",
                                         "--annotator", "a0", str(export)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for doc_id, export in exports.items()}
    outcomes = {doc_id: (process.wait(), process.stdout.read()) for doc_id, process in imports.items()}
    after = zones.read_text(encoding="utf-8").splitlines()
    changed = {json.loads(line)["doc_id"] for line in set(after) - set(before)}
    for doc_id, (status, output) in outcomes.items():
        assert status in (0, 1), output
        if status == 0:
            assert doc_id in changed, (outcomes, changed)
        else:
            assert "ZN912" in output and doc_id not in changed, output
    assert any(status == 0 for status, _ in outcomes.values())
