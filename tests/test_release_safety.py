"""Releases are transactions, tamper-evident from git, and loads are verified (issue 15).

- A release killed (SIGKILL) at every write step leaves the old state, the new state, or a state
  validate names (ZN508) that `zoomnews release --recover` finishes or rolls back.
- A full disk at a write step is ZN910 and changes nothing.
- releases/.lock lets one writer at a time (ZN911 names the holder).
- releases/RELEASES.lock records every release's manifest sha256: edits that keep a release
  self-consistent, deleted manifests, links and strays are found (ZN507).
- zoomnews.load refuses a corrupted file (ZN501) instead of returning its rows.
"""

import datetime
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner

import zoomnews
from conftest import ROOT, copy_sources
from zoomnews import CorpusRepo, safeio
from zoomnews.release.building import build_release
from zoomnews.cli import main
from zoomnews.errors import ZoomnewsError
from zoomnews.release.manifest import MANIFEST, parse_ledger, sha256_file
from zoomnews.release.releasing import bump_version, release
from zoomnews.repo import SEMVER, scaffold
from zoomnews.checks.validation import validate_repo

CLI = [sys.executable, "-c", "from zoomnews.cli import main; main()"]
COMMITTED = CorpusRepo(ROOT).released_versions()
NEW = bump_version(COMMITTED[-1], "patch")  # the template's patch release


def ignored(relative: str) -> bool:
    """What .gitignore leaves out in releases: the lock, the journal, temporary folders and files."""
    parts = relative.split("/")
    return (relative in ("releases/.lock", "releases/.journal.json") or relative.startswith("releases/.tmp-")
            or any(part.startswith(safeio.TEMP_PREFIX) for part in parts))


def tracked(root) -> dict[str, bytes]:
    """Every file git would track, with its bytes."""
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*"))
            if (path.is_file() or path.is_symlink()) and not ignored(path.relative_to(root).as_posix())}


def codes(problems) -> set[str]:
    return {p.code for p in problems}


def correct_a_zone(root) -> None:
    """A patch-level edit: one zone's method changes."""
    path = root / "annotations" / "zones.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    records[0]["method"] = "corrected" if records[0]["method"] != "corrected" else "manual"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def run_cli(*args, fault=None, mode=None):
    env = {k: v for k, v in os.environ.items() if k not in (safeio.FAULT_AFTER, safeio.FAULT_MODE)}
    if fault is not None:
        env[safeio.FAULT_AFTER] = str(fault)
    if mode:
        env[safeio.FAULT_MODE] = mode
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=300)


def copy_of(source, dest):
    shutil.copytree(source, dest, symlinks=True)
    return CorpusRepo(dest)


@pytest.fixture(scope="module")
def states(tmp_path_factory):
    """The template (old state: a corrected zone, not yet released), the state a release of it
    leaves (new), and the labels of the release's fault steps, in order."""
    base = tmp_path_factory.mktemp("release-safety")
    template = copy_sources(base / "template")
    correct_a_zone(template)
    reference = copy_of(template, base / "reference")
    labels = []
    real = safeio.fault_point

    def spy(label):
        labels.append(label)
        real(label)

    safeio.fault_point = spy
    try:
        result = release(reference, "patch", date=datetime.date.today())
    finally:
        safeio.fault_point = real
    assert result.plan.version == NEW and result.build.status == "created"
    assert validate_repo(reference).problems == []
    new = tracked(reference.root)
    # the release date croissant.json got before CHANGELOG.md said it is what a rebuild reads from it
    assert build_release(reference).status == "unchanged"
    assert tracked(reference.root) == new
    return template, tracked(template), new, labels


def step_of(labels, text: str, occurrence: int = 0) -> int:
    """The 1-based fault step whose label contains `text` (its `occurrence`th match)."""
    return [i for i, label in enumerate(labels, start=1) if text in label][occurrence]


def test_a_release_killed_at_every_step_is_old_new_or_recovered(states, tmp_path):
    template, old, new, labels = states
    outcomes = []
    for step in range(1, len(labels) + 2):
        work = copy_of(template, tmp_path / f"kill-{step}")
        process = run_cli("release", str(work.root), "--bump", "patch", fault=step)
        if process.returncode == 0:
            assert tracked(work.root) == new
            outcomes.append("completed")
            break
        assert process.returncode == -signal.SIGKILL, process.stderr[-2000:]
        interrupted = work.journal_path.exists()
        if interrupted:
            assert "ZN508" in codes(validate_repo(work).problems)
            if outcomes.count("recovered-new") + outcomes.count("recovered-old") == 0:  # once: nothing is released on top of it
                refused = CliRunner().invoke(main, ["release", str(work.root), "--bump", "patch"])
                assert refused.exit_code == 1 and "ZN508" in refused.output and "--recover" in refused.output
            recovered = CliRunner().invoke(main, ["release", str(work.root), "--recover"])
            assert recovered.exit_code == 0, recovered.output
            assert not work.journal_path.exists()
            assert not [p for p in work.releases_dir.iterdir() if p.name.startswith(".tmp-")], "recover leaves no temporary folder"
        assert validate_repo(work).problems == [], f"step {step} ({labels[step - 1]})"
        state = tracked(work.root)
        assert state in (old, new), f"step {step} ({labels[step - 1]}): neither the old nor the new state"
        outcomes.append(("recovered-" if interrupted else "") + ("new" if state == new else "old"))
        info = CliRunner().invoke(main, ["info", str(work.root)])
        assert info.exit_code == 0 and ".tmp" not in info.output and (NEW in info.output) == (state == new), info.output
        assert all(SEMVER.match(v) for v in work.released_versions())
        if step == step_of(labels, "manifest.json: replaced"):  # killed with a complete manifest in the hidden folder
            assert any((p / MANIFEST).is_file() for p in work.releases_dir.glob(".tmp-*")) and NEW not in work.released_versions()
            release(work, "patch", date=datetime.date.today())  # the next writer clears what the killed one left
            assert tracked(work.root) == new
            assert {p.name for p in work.releases_dir.iterdir() if p.name.startswith(".")} == {".lock"}
        shutil.rmtree(work.root)
    assert outcomes[-1] == "completed", "the release completes once the fault step lies beyond its last step"
    assert len(outcomes) == len(labels) + 1
    journal = step_of(labels, ".journal.json: replaced")
    renamed = step_of(labels, "renamed into place")
    # before the journal: old; journal written, release not in place: rolled back; in place: finished
    assert set(outcomes[: journal - 1]) == {"old"}
    assert set(outcomes[journal - 1: renamed - 1]) == {"recovered-old"}
    assert set(outcomes[renamed - 1: len(labels)]) == {"recovered-new"}


@pytest.mark.parametrize("where", [  # one step of each phase (tests/test_faults.py runs a spread of them too)
    ("croissant.json: half written", 0),  # building the hidden folder
    (".journal.json: replaced", 0),  # the journal written, nothing else
    ("renamed into place", 0),  # the release in place, no file written yet
    ("README.md: replaced", 0),  # the ledger and the card written, CHANGELOG and pyproject not
    ("pyproject.toml: replaced", 0),  # the last step: everything written, the journal still there
])
def test_a_full_disk_at_any_step_is_zn910_and_changes_nothing(states, tmp_path, monkeypatch, where):
    template, old, new, labels = states
    step = step_of(labels, *where)
    work = copy_of(template, tmp_path / "repo")
    monkeypatch.setattr(safeio, "_steps", 0)
    monkeypatch.setenv(safeio.FAULT_AFTER, str(step))
    monkeypatch.setenv(safeio.FAULT_MODE, "enospc")
    out = CliRunner().invoke(main, ["release", str(work.root), "--bump", "patch"])
    monkeypatch.delenv(safeio.FAULT_AFTER)
    assert out.exit_code == 1 and isinstance(out.exception, SystemExit), out.output
    assert "ZN910" in out.output and "no space left" in out.output and "Traceback" not in out.output
    assert tracked(work.root) == old
    assert not work.journal_path.exists()
    assert {p.name for p in work.releases_dir.iterdir() if p.name.startswith(".")} <= {".lock"}
    assert validate_repo(work).problems == []


def test_a_build_killed_after_the_rename_is_finished_by_recover(states, tmp_path):
    template, old, new, labels = states
    work = copy_of(template, tmp_path / "repo")
    process = run_cli("build", str(work.root), "--version", "9.9.9", "--jobs", "1", fault=step_of(labels, "renamed into place"))
    assert process.returncode == -signal.SIGKILL, process.stderr[-2000:]
    problems = codes(validate_repo(work).problems)
    assert "ZN508" in problems and "ZN507" in problems  # 9.9.9 is in place, not yet in the ledger
    out = CliRunner().invoke(main, ["release", str(work.root), "--recover"])
    assert out.exit_code == 0 and "9.9.9: finished" in out.output, out.output
    assert validate_repo(work).problems == []
    ledger, _ = parse_ledger(work.ledger_path.read_text(encoding="utf-8"))
    assert ledger["9.9.9"] == sha256_file(work.release_dir("9.9.9") / MANIFEST)
    assert {k: v for k, v in tracked(work.root).items() if not k.startswith(("releases/9.9.9/", "releases/RELEASES.lock"))} == \
        {k: v for k, v in old.items() if k != "releases/RELEASES.lock"}


def test_a_release_is_refused_while_another_holds_the_lock(states, tmp_path):
    template, old, new, labels = states
    work = copy_of(template, tmp_path / "repo")
    with open(work.lock_path, "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.truncate(0)
        held.write(f"{os.getpid()} zoomnews release\n".encode())
        held.flush()
        process = run_cli("release", str(work.root), "--bump", "patch")
        built = CliRunner().invoke(main, ["build", str(work.root), "--version", "9.9.9"])  # another open file: refused too
    assert process.returncode == built.exit_code == 1
    for refused in (process.stderr, built.output):
        assert "ZN911" in refused and f"process {os.getpid()} (`zoomnews release`)" in refused and "Traceback" not in refused
    assert tracked(work.root) == old


def test_two_releases_started_together_make_one_release(states, tmp_path):
    template, old, new, labels = states
    work = copy_of(template, tmp_path / "repo")
    env = {k: v for k, v in os.environ.items() if k not in (safeio.FAULT_AFTER, safeio.FAULT_MODE)}
    processes = [subprocess.Popen([*CLI, "release", str(work.root), "--bump", "patch"], env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in processes]
    assert sorted(code for code, _, _ in results) == [0, 1], results
    loser = next(err for code, _, err in results if code == 1)
    # refused while the winner writes (it holds the repository, ZN912, and releases/.lock, ZN911), or
    # (if it started after the winner finished) nothing left to release
    assert ("ZN912" in loser or "ZN911" in loser or "ZN908" in loser) and "Traceback" not in loser, loser
    assert tracked(work.root) == new
    assert (work.root / "CHANGELOG.md").read_text(encoding="utf-8").count(f"## {NEW} ") == 1
    assert validate_repo(work).problems == []


# --- tamper-evident from git ----------------------------------------------------------------------

def test_the_committed_ledger_records_every_committed_release():
    repo = CorpusRepo(ROOT)
    text = repo.ledger_path.read_text(encoding="utf-8")
    entries, wrong = parse_ledger(text)
    assert wrong == [] and text.startswith("# ") and "zoomnews release" in text.splitlines()[0] + text.splitlines()[1]
    assert list(entries) == repo.released_versions() == sorted(entries, key=lambda v: tuple(map(int, v.split("."))))
    assert entries == {v: sha256_file(repo.release_dir(v) / MANIFEST) for v in entries}


def test_a_file_and_its_manifest_edited_together_are_caught(repo_copy):
    folder = repo_copy.release_dir("1.1.0")
    parquet = folder / "zones" / "train-00000-of-00001.parquet"
    parquet.write_bytes(parquet.read_bytes() + b"x")
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    entry = manifest["configs"]["zones"]["files"][0]
    entry.update(sha256=sha256_file(parquet), bytes=parquet.stat().st_size)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    problems = validate_repo(repo_copy).problems
    assert [(p.code, p.file) for p in problems if p.code == "ZN507"] == [("ZN507", "releases/1.1.0/manifest.json")]
    with pytest.raises(ZoomnewsError) as error:
        zoomnews.load("zones", version="1.1.0", repo=repo_copy.root)
    assert codes(error.value.problems) == {"ZN507"}


def test_a_deleted_manifest_is_caught(repo_copy):
    (repo_copy.release_dir("1.0.0") / MANIFEST).unlink()
    assert "1.0.0" not in repo_copy.released_versions()
    problems = validate_repo(repo_copy).problems
    assert any(p.code == "ZN507" and "1.0.0" in p.file and "missing" in p.message for p in problems), problems
    with pytest.raises(ZoomnewsError) as error:
        zoomnews.load("zones", version="1.0.0", repo=repo_copy.root)
    assert "ZN507" in codes(error.value.problems)


def test_links_in_place_of_a_manifest_or_a_release_are_refused(repo_copy, tmp_path):
    manifest = repo_copy.release_dir("1.0.0") / MANIFEST
    shutil.copy(manifest, tmp_path / "manifest.json")  # the same bytes, elsewhere
    manifest.unlink()
    manifest.symlink_to(tmp_path / "manifest.json")
    folder = repo_copy.release_dir("0.2.0")
    shutil.copytree(folder, tmp_path / "0.2.0")
    shutil.rmtree(folder)
    folder.symlink_to(tmp_path / "0.2.0", target_is_directory=True)
    assert repo_copy.released_versions() == [v for v in COMMITTED if v not in ("1.0.0", "0.2.0")]
    problems = [p for p in validate_repo(repo_copy).problems if p.code == "ZN507"]
    assert any("1.0.0" in p.file and "symbolic link" in p.message for p in problems), problems
    assert any("0.2.0" in p.file and "symbolic link" in p.message for p in problems), problems
    for version in ("1.0.0", "0.2.0"):
        with pytest.raises(ZoomnewsError) as error:
            zoomnews.load("zones", version=version, repo=repo_copy.root)
        assert "ZN507" in codes(error.value.problems)


def test_a_release_missing_from_the_ledger_and_a_bad_ledger_line_are_caught(repo_copy):
    lines = repo_copy.ledger_path.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith("0.2.0 ")] + ["1.2.0 sha256:nothex"]
    repo_copy.ledger_path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    problems = [(p.code, p.file) for p in validate_repo(repo_copy).problems]
    assert ("ZN507", "releases/0.2.0") in problems and ("ZN507", "releases/RELEASES.lock") in problems
    repo_copy.ledger_path.unlink()
    assert {p.code for p in validate_repo(repo_copy).problems} == {"ZN507"}


def test_a_leftover_temporary_folder_is_not_a_version(repo_copy):
    shutil.copytree(repo_copy.release_dir("1.1.0"), repo_copy.releases_dir / ".tmp-9.9.9-abcdef")
    shutil.copytree(repo_copy.release_dir("1.1.0"), repo_copy.releases_dir / ".9.9.9")
    assert repo_copy.released_versions() == COMMITTED
    info = CliRunner().invoke(main, ["info", str(repo_copy.root)])
    assert info.exit_code == 0 and "9.9.9" not in info.output and ".tmp" not in info.output
    assert validate_repo(repo_copy).problems == []


def test_a_journal_is_reported_and_blocks_writers(repo_copy):
    repo_copy.journal_path.write_text("{not json", encoding="utf-8")
    problems = validate_repo(repo_copy).problems
    assert [(p.code, p.file) for p in problems] == [("ZN508", "releases/.journal.json")]
    for args in (["build", str(repo_copy.root), "--version", "9.9.9"], ["release", str(repo_copy.root), "--bump", "major", "--allow-unchanged"],
                 ["release", str(repo_copy.root), "--recover"]):
        out = CliRunner().invoke(main, args)
        assert out.exit_code == 1 and "ZN508" in out.output and "Traceback" not in out.output, out.output
    assert (repo_copy.releases_dir / ".journal.json").exists() and "9.9.9" not in repo_copy.released_versions()


@pytest.mark.parametrize("named", ["annotations/quotes.jsonl", "corpus/raw/crn-2020-08-03.txt", "schema/entity.schema.json", "releases/1.1.0/manifest.json", "src/x.py"])
@pytest.mark.parametrize("before", [None, "replaced\n"])
def test_recover_touches_only_the_files_a_release_writes(repo_copy, named, before):
    """A journal naming any other file (hand-made, or from another tool) is refused: --recover once
    deleted annotations/quotes.jsonl for a journal that named it with no text before."""
    path = repo_copy.path(named)
    existed = path.exists()
    original = path.read_bytes() if existed else None
    entry = {"before_sha256": None, "before": before, "after": original.decode("utf-8") if existed else "x"}
    journal = {"journal": 1, "command": "release", "pid": 1, "started": "2026-01-01T00:00:00+00:00", "version": "9.9.9",
               "release_dir": "releases/9.9.9", "manifest_sha256": "0" * 64, "files": {named: entry}}
    repo_copy.journal_path.write_text(json.dumps(journal), encoding="utf-8")
    out = CliRunner().invoke(main, ["release", str(repo_copy.root), "--recover"])
    assert out.exit_code == 1 and "ZN508" in out.output and "no release writes" in out.output and "Traceback" not in out.output, out.output
    assert (path.read_bytes() if path.exists() else None) == original
    [problem] = validate_repo(repo_copy).problems
    assert problem.code == "ZN508" and "by hand" in problem.message and "--recover" not in problem.message


# --- verified loads ---------------------------------------------------------------------------------

def test_a_flipped_bit_is_refused_by_load_and_restoring_it_loads_again(repo_copy, monkeypatch):
    from zoomnews.release import manifest

    monkeypatch.setattr(manifest, "RACY_SECONDS", -1)  # cache every verified file at once: the cache must not hide the flip
    rows = len(zoomnews.load("entities", version="1.1.0", repo=repo_copy.root))
    path = repo_copy.release_dir("1.1.0") / "entities" / "train-00000-of-00001.parquet"
    original = path.read_bytes()
    flipped = bytearray(original)
    flipped[len(flipped) // 2] ^= 0x01
    path.write_bytes(bytes(flipped))
    assert "ZN501" in codes(validate_repo(repo_copy).problems)
    with pytest.raises(ZoomnewsError) as error:
        zoomnews.load("entities", version="1.1.0", repo=repo_copy.root)
    assert [(p.code, p.file) for p in error.value.problems] == [("ZN501", "releases/1.1.0/entities/train-00000-of-00001.parquet")]
    path.write_bytes(original)
    assert len(zoomnews.load("entities", version="1.1.0", repo=repo_copy.root)) == rows


# --- files zoomnews did not write -------------------------------------------------------------------

def test_scaffold_replaces_only_what_it_made(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work", encoding="utf-8")
    with pytest.raises(ZoomnewsError) as error:
        scaffold(precious, ROOT / "schema")
    assert codes(error.value.problems) == {"ZN909"} and (precious / "thesis.tex").read_text(encoding="utf-8") == "years of work"
    made = scaffold(tmp_path / "new", ROOT / "schema")
    assert (made.root / safeio.MARKER).is_file()
    (made.root / "corpus" / "scratch.txt").write_text("x", encoding="utf-8")
    again = scaffold(made.root, ROOT / "schema", version="2.0.0")
    assert again.dataset_version == "2.0.0" and not (made.root / "corpus" / "scratch.txt").exists()


def _append(relative: str, data: bytes):
    return lambda root: (root / relative).write_bytes((root / relative).read_bytes() + data)


def _drop_version(root):
    path = root / "pyproject.toml"
    path.write_text("".join(line for line in path.read_text(encoding="utf-8").splitlines(keepends=True) if "dataset-version" not in line), encoding="utf-8")


PROJECT_FILE_BREAKS = {  # name: (change, the problem, the commands that read the file and refuse)
    "README not UTF-8": (_append("README.md", b"\xff"), ("README.md", "ZN102"), ("build", "release", "docs")),
    "CHANGELOG not UTF-8": (_append("CHANGELOG.md", b"\xff"), ("CHANGELOG.md", "ZN102"), ("release",)),
    "pyproject not TOML": (_append("pyproject.toml", b"garbage = = =\n"), ("pyproject.toml", "ZN509"), ("build", "release")),
    "pyproject without dataset-version": (_drop_version, ("pyproject.toml", "ZN509"), ("build",)),  # (release sets it)
    "card header not YAML": (lambda root: (root / "README.md").write_text("---\nconfigs: [\n---\n", encoding="utf-8"), ("README.md", "ZN502"),
                             ("build", "release")),
}


@pytest.mark.parametrize("name", sorted(PROJECT_FILE_BREAKS))
def test_a_broken_project_file_is_a_coded_problem_for_every_command(repo_copy, name):
    """The card, changelog and pyproject.toml are read by build, release and docs: each broken one
    was a traceback (UnicodeDecodeError, TOMLDecodeError, KeyError); now a coded problem naming the
    file, and nothing written."""
    change, (file, code), refusing = PROJECT_FILE_BREAKS[name]
    (repo_copy.root / "annotations/entities.jsonl").write_text(  # a change, so that release has something to release
        "".join((repo_copy.root / "annotations/entities.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")
    change(repo_copy.root)
    if file != "CHANGELOG.md":  # validate reads the card and pyproject.toml too
        assert (file, code) in {(p.file, p.code) for p in validate_repo(repo_copy).problems}
    before = tracked(repo_copy.root)
    root = str(repo_copy.root)
    for args in (["build", root, "--version", "9.9.9"], ["release", root, "--bump", "patch"], ["docs", "--repo", root]):
        out = CliRunner().invoke(main, args)
        assert "Traceback" not in out.output and (out.exception is None or isinstance(out.exception, SystemExit)), (args, out.output, out.exception)
        if args[0] in refusing:
            assert out.exit_code == 1 and code in out.output and file in out.output, (args, out.output)
            assert tracked(repo_copy.root) == before, args


def _tampered(repo_copy, config="quotes"):
    """The card's release with one byte of a config's Parquet flipped (its size unchanged)."""
    version = repo_copy.dataset_version
    path = next((repo_copy.release_dir(version) / config).glob("*.parquet"))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    return version, repo_copy.rel(path)


@pytest.mark.parametrize("command", [
    ["score", "--pred", "annotations"], ["diff", "{version}"], ["render", "--release", "{version}", "--out", "{tmp}/site"],
    ["build"], ["release", "--bump", "patch"], ["release", "--bump", "patch", "--dry-run"]])
def test_a_tampered_release_is_read_by_no_command(repo_copy, tmp_path, command):
    """score scored the gold against itself at 0.963 speaker accuracy, diff showed a change nobody made,
    render built the site, release wrote that change into CHANGELOG.md, and build advised a new version."""
    version, tampered = _tampered(repo_copy)
    files = lambda: {p: p.read_bytes() for p in repo_copy.root.rglob("*") if p.is_file() and ".git" not in p.parts and p.name != ".lock"}  # (flock's file)
    before = files()
    args = [a.format(version=version, tmp=tmp_path) for a in command]
    out = CliRunner().invoke(main, [*args[:1], "--repo", str(repo_copy.root), *args[1:]])
    assert out.exit_code == 1 and "Traceback" not in out.output, out.output
    assert f"{tampered}: L5 ZN501 released file changed since release" in out.output, out.output
    assert files() == before
    assert not (tmp_path / "site").exists()


def test_a_load_without_the_ledger_says_the_ledger_is_missing(repo_copy):
    """(It said that the release "is not recorded" in a ledger that was not there.)"""
    repo_copy.ledger_path.unlink()
    with pytest.raises(ZoomnewsError) as error:
        zoomnews.load("entities", repo=repo_copy.root)
    assert [p.code for p in error.value.problems] == ["ZN507"]
    assert "there is no releases/RELEASES.lock" in error.value.problems[0].message
