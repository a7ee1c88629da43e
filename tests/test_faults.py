"""Nothing lost, whatever happens (issue 15): every writing command of the real CLI, run as a
subprocess on a copy of the repository, killed or failed at each of its numbered write steps.

The fault hook (zoomnews.safeio.fault_point): with ZOOMNEWS_FAULT_AFTER=N the command SIGKILLs
itself at its Nth write step; with also ZOOMNEWS_FAULT_MODE=enospc it raises "no space left" there.

For each command a clean, unfaulted run on its own copy gives the "after" state and the number of
write steps (counted by safeio in that run). Then, on a fresh copy per step:
- SIGKILL at step N: every file that existed is byte-identical to before or to the clean run's
  version (never partial, never missing unless the clean run removes it too); a new file is the
  clean run's or a temporary (dot-named: safeio.TEMP_PREFIX…); an --out folder is wholly the
  earlier one or wholly the new one; `zoomnews validate` exits as on the untouched copy, or as after
  the clean run when that is the state, or reports a coded problem naming a changed file (for
  release and build, a journalled transaction: ZN508 for any half state, after which
  `zoomnews release --recover` leaves the state before or after, and validate agrees);
- ENOSPC at step N: exit 1, a ZN910 line, no traceback, every file byte-identical (nothing new
  left behind), and validate as before.
Then a real full disk (a small tmpfs filled so that the command runs out midway), a read-only mount,
and FIFOs where files are read.

Runtime: a CLI start costs ~1-2 s (pyarrow, datasets). Runs go two at a time (one per core), each on
its own copy, and the clean runs of all scenarios start in the background at once; validate runs
in-process (click's CliRunner), once per distinct repository state, while the next runs go on.
Every step runs for the commands with 2-12 steps; `release`, `build` and `docs` (3-10 s a run) run
the samples that SAMPLES lists and explains. The whole battery is marked `slow` (it runs by default).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest
from click.testing import CliRunner

from conftest import ROOT, copy_sources
from zoomnews import safeio
from zoomnews.cli import main
from zoomnews.repo import LOCK, RELEASES_DIR

ZOOMNEWS = str(Path(sys.executable).with_name("zoomnews"))
WORKERS = max(1, min(2, len(os.sched_getaffinity(0))))
SAFETY_NET = 300  # seconds: a subprocess that hangs fails its test instead of the suite (not a timing assertion)
FIFO_SAFETY_NET = 60
CODE = re.compile(r"\bZN\d{3}\b")

# Counts the write steps of a clean run: the console script `zoomnews` plus an exit hook.
COUNTING = """
import atexit, os, sys
from zoomnews import safeio
atexit.register(lambda: open(os.environ["ZOOMNEWS_TEST_STEPS"], "w").write(str(safeio.steps_taken())))
from zoomnews.cli import main
sys.argv[0] = "zoomnews"
sys.exit(main())
"""

slow = pytest.mark.slow  # the battery: runs by default and in CI; `-m "not slow"` leaves it out locally


# --- snapshots ----------------------------------------------------------------------------------

RELEASE_LOCK = f"{RELEASES_DIR}/{LOCK}"  # untracked; holds "<pid> zoomnews <command>\n" while held, else nothing
HOLDER = re.compile(rb"(\d+ zoomnews [^\n]*\n)?")


def snapshot(root: Path) -> dict[str, object]:
    """Every file under `root` by relative path: its bytes; a symbolic link or special file by kind
    (never opened: a FIFO would block). The release lock's content is not data: a whole holder line
    (a killed writer's) or nothing counts as the same lock; anything else stays as it is."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            if os.path.islink(path):
                found[rel] = ("link", os.readlink(path))
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    found[rel] = f.read()
                if rel.endswith(RELEASE_LOCK) and HOLDER.fullmatch(found[rel]):
                    found[rel] = ("lock", "free or held by a whole holder line")
            else:
                found[rel] = ("special", os.stat(path).st_mode)
    return found


def under(snap: dict, folder: str) -> dict:
    prefix = folder.rstrip("/") + "/"
    return {rel[len(prefix):]: data for rel, data in snap.items() if rel.startswith(prefix)}


def temporary(rel: str) -> bool:
    """A temporary name: safeio.TEMP_PREFIX… or another dot-name (a release's .tmp-<version>-…)."""
    return any(part.startswith(".") for part in rel.split("/"))


def describe(data) -> str:
    if data is None:
        return "missing"
    if isinstance(data, bytes):
        return f"{len(data)} bytes"
    return repr(data)


# --- running the CLI ----------------------------------------------------------------------------

def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (safeio.FAULT_AFTER, safeio.FAULT_MODE)}
    env.update(extra)
    return env


def zoomnews(args, cwd: Path, timeout: int = SAFETY_NET, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([ZOOMNEWS, *args], cwd=cwd, env=clean_env(**env), capture_output=True, text=True, timeout=timeout)


def tail(proc: subprocess.CompletedProcess, lines: int = 12) -> str:
    return "\n".join((proc.stdout + proc.stderr).splitlines()[-lines:])


@dataclass
class Verdict:
    status: int
    codes: list[str]
    files: list[str]
    crash: str | None = None


def validate(repo: Path) -> Verdict:
    """`zoomnews validate` on `repo`, in-process (the same click command, without a 2 s start)."""
    result = CliRunner().invoke(main, ["validate", str(repo), "--format", "json"])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return Verdict(result.exit_code, [], [], "".join(traceback.format_exception(result.exception)))
    try:
        problems = json.loads(result.stdout)["problems"]
        codes, files = [p["code"] for p in problems], [p["file"] for p in problems]
    except (ValueError, KeyError):
        lines = (result.stdout + result.stderr).splitlines()
        codes = [m.group(0) for line in lines if (m := CODE.search(line))]
        files = [line.split(": L", 1)[0] for line in lines if CODE.search(line)]
    repo_prefix = str(repo).rstrip("/") + "/"
    files = [f[len(repo_prefix):] if f.startswith(repo_prefix) else f for f in files]
    return Verdict(result.exit_code, codes, files)


def names_any(files: list[str], changed: set[str]) -> bool:
    """Some reported file is a changed file, or a folder holding one."""
    return any(f == c or c.startswith(f.rstrip("/") + "/") for f in files for c in changed)


# --- scenarios ----------------------------------------------------------------------------------

def every(total: int) -> list[int]:
    return list(range(1, total + 1))


def spread(count: int) -> Callable[[int], list[int]]:
    """`count` steps: the first, the last, evenly spaced between (each run of these commands costs 3-5 s)."""
    def pick(total: int) -> list[int]:
        if total <= count:
            return every(total)
        return sorted({1 + round(i * (total - 1) / (count - 1)) for i in range(count)})
    return pick


def swap_first_lines(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0], lines[1] = lines[1], lines[0]
    path.write_text("".join(lines), encoding="utf-8")


def make_non_canonical(ws: Path) -> None:
    swap_first_lines(ws / "repo" / "annotations" / "entities.jsonl")
    swap_first_lines(ws / "repo" / "annotations" / "timexes.jsonl")


def export_edited_labelstudio(ws: Path) -> None:
    """A Label Studio export outside the repository, with one value edited (an entity's label; imported
    with --annotator, who made the change)."""
    done = zoomnews(["export", "ls", "--format", "labelstudio", "--repo", "repo"], ws)
    assert done.returncode == 0, tail(done)
    tasks_file = ws / "ls" / "tasks.json"
    tasks = json.loads(tasks_file.read_text(encoding="utf-8"))
    result = next(r for r in tasks[0]["annotations"][0]["result"] if r.get("from_name") == "entity" and r["type"] == "labels")
    result["value"]["labels"] = ["PRODUCT" if result["value"]["labels"] != ["PRODUCT"] else "ORG"]
    tasks_file.write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def new_capture(ws: Path) -> None:
    (ws / "capture.txt").write_text("Zoom ends direct sales in China\n\nZoom said on Monday it will sell in mainland "
                                    "China only through partners from August 23, 2020.\n", encoding="utf-8")


def earlier_export(fmt: str) -> Callable[[Path], None]:
    """An earlier output of the same command in --out, different from the new one (one document only)."""
    def prepare(ws: Path) -> None:
        done = zoomnews(["export", "out", "--format", fmt, "--repo", "repo", "--doc", "zdnet-2020-08-04"], ws)
        assert done.returncode == 0, tail(done)
    return prepare


def stale_docs(ws: Path) -> None:
    for name in ("README.md", "DATASHEET.md"):
        path = ws / "repo" / name
        text = path.read_text(encoding="utf-8")
        begin = re.search(r"<!-- [a-z]+:begin -->\n", text)
        path.write_text(text[:begin.end()] + "a stale line\n" + text[begin.end():], encoding="utf-8")


def change_one_value(ws: Path) -> None:
    """A patch-level change (an entity's annotator) for `release --bump minor`; the file stays canonical."""
    path = ws / "repo" / "annotations" / "entities.jsonl"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"annotator": "a1"', '"annotator": "a2"', 1), encoding="utf-8")


@dataclass(frozen=True)
class Scenario:
    name: str
    args: tuple[str, ...]  # run in the workspace: the repository is ./repo
    prepare: Callable[[Path], None] = lambda ws: None
    out: str | None = None  # an --out folder (workspace-relative): swapped in whole or not at all
    journal: bool = False  # a release transaction: a half state shows ZN508 and `release --recover` ends it
    marks: tuple = ()

    def __str__(self) -> str:
        return self.name


EXPORT_FORMATS = ("brat", "labelstudio", "doccano", "xmi", "conll")
SCENARIOS = [
    Scenario("fmt", ("fmt", "repo"), make_non_canonical),
    Scenario("import", ("import", "ls", "--format", "labelstudio", "--repo", "repo", "--annotator", "a2"), export_edited_labelstudio),
    Scenario("new-document", ("new-document", "capture.txt", "--outlet", "Test Outlet", "--published", "2020-08-05", "--repo", "repo"),
             new_capture),
    *[Scenario(f"export-{fmt}-new", ("export", "out", "--format", fmt, "--repo", "repo"), out="out") for fmt in EXPORT_FORMATS],
    *[Scenario(f"export-{fmt}-over-earlier", ("export", "out", "--format", fmt, "--repo", "repo"), earlier_export(fmt), out="out")
      for fmt in EXPORT_FORMATS],
    Scenario("render", ("render", "--out", "site", "--repo", "repo"), out="site"),
    Scenario("suggest", ("suggest", "zdnet-2020-08-04", "--out", "suggestions", "--repo", "repo"), out="suggestions"),
    Scenario("docs", ("docs", "repo"), stale_docs),
    Scenario("build", ("build", "repo", "--version", "9.9.9"), journal=True),
    Scenario("release", ("release", "repo", "--bump", "minor"), change_one_value, journal=True),
]
BY_NAME = {s.name: s for s in SCENARIOS}


def every_other(total: int) -> list[int]:
    """Steps 1, 3, 5, … and the last (every phase of a long transaction has several steps)."""
    return sorted(set(range(1, total + 1, 2)) | {total})


# Which steps run, by (mode, command); every step for the rest (fmt, import, new-document, export,
# render, suggest: 2 to 12 steps of 1-4 s a run). The long ones cost 3-10 s a run: a release (22
# steps) runs every other step when killed, as each phase (building in the hidden folder, journal,
# rename, finishing the files) spans two steps or more, and a spread (first, last, evenly between:
# `spread`) for ENOSPC, where every step takes the same way out (undo). `build` (13 steps) is the
# same transaction with less to write: its first, middle and last step; `docs` rewrites two files
# (6 steps) in 3-7 s a run: its first, middle and last step when killed, first and last for ENOSPC.
SAMPLES = {
    ("kill", "release"): every_other, ("enospc", "release"): spread(3),
    ("kill", "build"): spread(3), ("enospc", "build"): spread(2),  # the same transaction as release, less to write
    ("kill", "docs"): spread(3), ("enospc", "docs"): spread(2),
}

# Cases that fail because of code this battery does not own; each reason says what fails. The lead
# removes a mark when the owner's fix lands (strict: an unexpected pass fails the run).
XFAIL: dict[tuple[str, str], str] = {}


def cases(mode: str, names=None):
    chosen = [s for s in SCENARIOS if names is None or s.name in names]
    params = []
    for s in chosen:
        reason = XFAIL.get((mode, s.name))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(s.name, id=s.name, marks=marks))
    return params


# --- prepared workspaces and clean runs (once per scenario, prepared ahead in the background) -----

@dataclass
class Prepared:
    scenario: Scenario
    ws: Path  # the untouched workspace (never run in)
    pre: dict
    post: dict
    total: int  # write steps of a clean run
    pre_verdict: Verdict
    post_verdict: Verdict
    scratch: Path
    verdicts: "Verdicts"

    def copy(self, label: str) -> Path:
        """A fresh copy of the untouched workspace (`label`: unique per run)."""
        dest = self.scratch / label
        shutil.copytree(self.ws, dest, symlinks=True)
        return dest


def pristine(root: Path) -> Path:
    copy_sources(root / "repo")
    shutil.copy(ROOT / "DATASHEET.md", root / "repo" / "DATASHEET.md")
    return root


def state_key(repo_state: dict) -> int:
    return hash(tuple(sorted(repo_state.items())))


class Verdicts:
    """validate's verdict per repository state (many scenarios share the untouched one): one
    in-process run per distinct state, from the main thread only (CliRunner swaps sys.stdout)."""

    def __init__(self):
        self.known: dict[int, Verdict] = {}

    def of(self, repo: Path, repo_state: dict) -> Verdict:
        key = state_key(repo_state)
        if key not in self.known:
            self.known[key] = validate(repo)
        return self.known[key]


def clean_run(scenario: Scenario, scratch: Path) -> tuple[Path, Path, subprocess.CompletedProcess, int]:
    ws = pristine(scratch / "pristine")
    scenario.prepare(ws)
    clean = scratch / "clean"
    shutil.copytree(ws, clean, symlinks=True)
    steps_file = scratch / "steps"
    done = subprocess.run([sys.executable, "-c", COUNTING, *scenario.args], cwd=clean, capture_output=True, text=True,
                          timeout=SAFETY_NET, env=clean_env(ZOOMNEWS_TEST_STEPS=str(steps_file)))
    return ws, clean, done, int(steps_file.read_text()) if steps_file.exists() else 0


@pytest.fixture(scope="module")
def prepared(request, tmp_path_factory):
    """name -> Prepared. The clean runs of every scenario this session will test start at once,
    WORKERS at a time, in test order, while the first tests run."""
    wanted = []
    for item in request.session.items:
        name = getattr(item, "callspec", None) and item.callspec.params.get("name")
        if getattr(item, "module", None) is request.module and name in BY_NAME and name not in wanted:
            wanted.append(name)
    pool = ThreadPoolExecutor(WORKERS)
    futures = {name: pool.submit(clean_run, BY_NAME[name], tmp_path_factory.mktemp(name)) for name in wanted}
    cache: dict[str, Prepared] = {}
    verdicts = Verdicts()

    def get(name: str) -> Prepared:
        if name not in cache:
            scenario = BY_NAME[name]
            if name not in futures:
                futures[name] = pool.submit(clean_run, scenario, tmp_path_factory.mktemp(name))
            ws, clean, done, total = futures[name].result()
            assert done.returncode == 0, f"the clean run of {name} failed:\n{tail(done, 30)}"
            assert "Traceback" not in done.stderr
            pre, post = snapshot(ws), snapshot(clean)
            assert pre != post, f"the clean run of {name} changed nothing"
            cache[name] = Prepared(scenario, ws, pre, post, total, verdicts.of(ws / "repo", under(pre, "repo")),
                                   verdicts.of(clean / "repo", under(post, "repo")), ws.parent, verdicts)
        return cache[name]

    yield get
    pool.shutdown(cancel_futures=True)


@dataclass
class Run:
    step: int
    proc: subprocess.CompletedProcess
    ws: Path
    state: dict


def run_steps(prep: Prepared, steps: list[int], mode: str | None) -> Iterator[Run]:
    """Each step on its own fresh copy, WORKERS at a time, yielded in order as they finish (the
    caller checks one while the next ones run)."""
    def one(step: int) -> Run:
        ws = prep.copy(f"{mode or 'kill'}-{step}")
        env = {safeio.FAULT_AFTER: str(step)}
        if mode:
            env[safeio.FAULT_MODE] = mode
        return Run(step, zoomnews(prep.scenario.args, ws, **env), ws, snapshot(ws))

    with ThreadPoolExecutor(WORKERS) as pool:
        yield from pool.map(one, steps)


def steps_for(prep: Prepared, mode: str) -> list[int]:
    assert prep.total >= 1, (f"`zoomnews {' '.join(prep.scenario.args)}` wrote files without a single safeio fault point: "
                             "its writes are not atomic (or not through zoomnews.safeio)")
    return SAMPLES.get((mode, prep.scenario.name), every)(prep.total)


# --- SIGKILL at each step -----------------------------------------------------------------------

def check_files_old_or_new(prep: Prepared, state: dict) -> list[str]:
    wrong = []
    for rel in sorted(set(prep.pre) | set(state)):
        now, before, after = state.get(rel), prep.pre.get(rel), prep.post.get(rel)
        if rel in prep.pre:
            if now != before and now != after:
                wrong.append(f"{rel} is neither old nor new ({describe(now)}; old {describe(before)}, new {describe(after)})")
        elif now != after and not temporary(rel):
            wrong.append(f"{rel} is new and not the clean run's ({describe(now)}, clean run: {describe(after)})")
    out = prep.scenario.out
    if out and under(state, out) not in (under(prep.pre, out), under(prep.post, out)):
        wrong.append(f"{out}/ is a mix of the earlier and the new output")
    return wrong


def lasting(repo_state: dict, pre: dict) -> dict:
    """A repository state without the temporary (dot-named) files that were not there before:
    what a user's files are, ignoring what a killed writer left (lock, journal, temporary files)."""
    return {rel: data for rel, data in repo_state.items() if rel in pre or not temporary(rel)}


def check_validate_after_kill(prep: Prepared, run: Run) -> list[str]:
    repo, pre, post = under(run.state, "repo"), under(prep.pre, "repo"), under(prep.post, "repo")
    if repo == pre or repo == post:
        return []  # validate's verdict on those states is known (computed once)
    kept = lasting(repo, pre)
    mixed = kept != pre and kept != lasting(post, pre)
    changed = {rel for rel in set(repo) | set(pre) if repo.get(rel) != pre.get(rel)}
    verdict = prep.verdicts.of(run.ws / "repo", repo)
    if verdict.crash:
        return [f"validate crashed:\n{verdict.crash}"]
    if verdict.status not in (0, 1):
        return [f"validate exited {verdict.status}"]
    if prep.scenario.journal and (mixed or "ZN508" in verdict.codes):
        return check_recover(prep, run, verdict)
    if verdict.status == prep.pre_verdict.status:
        return []
    if kept == lasting(post, pre) and verdict.status == prep.post_verdict.status:
        return []
    if verdict.status == 1 and names_any(verdict.files, changed):
        return []
    return [f"validate exits {verdict.status} ({', '.join(sorted(set(verdict.codes))) or 'no problems'}; files {sorted(set(verdict.files))[:5]}) "
            f"on a half state (changed: {sorted(changed)[:8]}); before: {prep.pre_verdict.status}, after: {prep.post_verdict.status}"]


def check_recover(prep: Prepared, run: Run, verdict: Verdict) -> list[str]:
    """A half-done release: validate says ZN508; `zoomnews release --recover` then leaves the state
    before or after the release (temporary files aside), which validates as that state does."""
    if "ZN508" not in verdict.codes:
        return [f"a release was interrupted half-way and validate does not say so (ZN508): exit {verdict.status}, {sorted(set(verdict.codes))}"]
    proc = zoomnews(["release", "repo", "--recover"], run.ws)
    state = snapshot(run.ws)
    if proc.returncode != 0 or "Traceback" in proc.stdout + proc.stderr:
        return [f"`zoomnews release --recover` failed (exit {proc.returncode}):\n{tail(proc)}"]
    pre = under(prep.pre, "repo")
    repo, before, after = lasting(under(state, "repo"), pre), pre, lasting(under(prep.post, "repo"), pre)
    if repo not in (before, after):
        mix = sorted(rel for rel in set(repo) | set(before) if repo.get(rel) not in (before.get(rel), after.get(rel)))
        half = sorted(rel for rel in set(repo) | set(before) if repo.get(rel) != before.get(rel))
        return [f"after --recover the repository is neither as before nor as after the release (neither: {mix[:8]}; changed: {half[:8]})"]
    now = prep.verdicts.of(run.ws / "repo", under(state, "repo"))
    expected = prep.pre_verdict if repo == before else prep.post_verdict
    if now.crash or now.status != expected.status or "ZN508" in now.codes:
        return [f"after --recover validate exits {now.status} ({sorted(set(now.codes))}), expected {expected.status}"]
    return []


@slow
@pytest.mark.parametrize("name", cases("kill"))
def test_sigkill_at_each_step(prepared, name):
    """Killed at any write step: each file old or new, temporaries dot-named, validate truthful."""
    prep = prepared(name)
    failures = []
    for run in run_steps(prep, steps_for(prep, "kill"), None):
        where = f"step {run.step}/{prep.total}"
        if run.proc.returncode != -signal.SIGKILL:
            failures.append(f"{where}: expected the fault hook to kill the command, got exit {run.proc.returncode}:\n{tail(run.proc)}")
            continue
        failures += [f"{where}: {w}" for w in check_files_old_or_new(prep, run.state)]
        failures += [f"{where}: {w}" for w in check_validate_after_kill(prep, run)]
        shutil.rmtree(run.ws)
    assert not failures, f"{name}:\n" + "\n".join(failures)


# --- ENOSPC at each step ------------------------------------------------------------------------

def check_failed_cleanly(prep: Prepared, proc: subprocess.CompletedProcess, state: dict, code: str = "ZN910") -> list[str]:
    """A failed command: exit 1 with a coded line, no traceback, every file byte-identical and
    nothing new left behind (a dot-file the clean run leaves too, such as a lock, is allowed)."""
    wrong = []
    if proc.returncode != 1:
        wrong.append(f"exit {proc.returncode}, expected 1:\n{tail(proc)}")
    if code not in proc.stderr:
        wrong.append(f"no {code} line on stderr:\n{tail(proc)}")
    if "Traceback" in proc.stdout + proc.stderr:
        wrong.append(f"a traceback:\n{tail(proc, 30)}")
    for rel in sorted(set(prep.pre) | set(state)):
        now, before = state.get(rel), prep.pre.get(rel)
        if rel in prep.pre and now != before:
            wrong.append(f"{rel} changed ({describe(now)}, was {describe(before)})")
        elif rel not in prep.pre and not (temporary(rel) and now == prep.post.get(rel)):
            wrong.append(f"{rel} left behind ({describe(now)})")
    return wrong


@slow
@pytest.mark.parametrize("name", cases("enospc"))
def test_enospc_at_each_step(prepared, name):
    """"No space left" at any write step: ZN910, no traceback, nothing changed, validate as before."""
    prep = prepared(name)
    failures = []
    for run in run_steps(prep, steps_for(prep, "enospc"), "enospc"):
        wrong = check_failed_cleanly(prep, run.proc, run.state)
        repo = under(run.state, "repo")
        if repo != under(prep.pre, "repo"):
            verdict = prep.verdicts.of(run.ws / "repo", repo)
            if verdict.crash or verdict.status != prep.pre_verdict.status:
                wrong.append(f"validate exits {verdict.status} ({sorted(set(verdict.codes))}), before it exited {prep.pre_verdict.status}")
        failures += [f"step {run.step}/{prep.total}: {w}" for w in wrong]
        shutil.rmtree(run.ws)
    assert not failures, f"{name}:\n" + "\n".join(failures)


def test_building_an_existing_version_writes_nothing(tmp_path):
    """`build` of the version already released writes nothing: a no-op when the sources build the
    same files, else refused (ZN901). (The battery builds a new version, 9.9.9, instead.)"""
    ws = pristine(tmp_path)
    before = snapshot(ws)
    done = zoomnews(["build", "repo"], ws)
    assert "Traceback" not in done.stdout + done.stderr, tail(done, 30)
    if done.returncode == 0:
        assert "unchanged" in done.stdout
    else:
        assert done.returncode == 1 and "ZN901" in done.stderr, tail(done)
    assert {rel: data for rel, data in snapshot(ws).items() if not temporary(rel) or rel in before} == before


# --- a real full disk, a read-only file system --------------------------------------------------

@pytest.fixture(scope="module")
def mounts(tmp_path_factory):
    """tmpfs mounts (root only), each unmounted when the test is done; skips when mounting is not permitted."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs (a real full disk, a read-only file system)")
    probe = tmp_path_factory.mktemp("mount-probe")
    tried = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)], capture_output=True, text=True)
    if tried.returncode != 0:
        pytest.skip(f"mount is not permitted here: {tried.stderr.strip()}")
    subprocess.run(["umount", str(probe)], check=True)
    return tmp_path_factory


class Mount:
    def __init__(self, factory, size: int):
        self.path = factory.mktemp("tmpfs")
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(self.path)], check=True)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc):
        if subprocess.run(["umount", str(self.path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(self.path)], check=False)


def size_of(state: dict) -> int:
    return sum(len(data) for data in state.values() if isinstance(data, bytes))


def bytes_written(prep: Prepared) -> int:
    """What the clean run wrote: the files it changed or created."""
    return sum(len(data) for rel, data in prep.post.items() if isinstance(data, bytes) and prep.pre.get(rel) != data)


FILLER = "filler.bin"
ON_DISK = ["fmt", "import", "new-document", "export-brat-new", "render", "release"]


@slow
@pytest.mark.parametrize("name", cases("full-disk", ON_DISK))
def test_real_full_disk(prepared, mounts, name):
    """A tmpfs filled so that half of what the command writes fits: it runs out of space midway."""
    prep = prepared(name)
    need = bytes_written(prep)
    with Mount(mounts, size_of(prep.pre) + need + (16 << 20)) as mount:
        ws = mount / "ws"
        shutil.copytree(prep.ws, ws, symlinks=True)
        free = os.statvfs(mount)
        room = free.f_bavail * free.f_frsize
        with open(mount / FILLER, "wb") as filler:
            os.posix_fallocate(filler.fileno(), 0, max(0, room - need // 2))
        proc = zoomnews(prep.scenario.args, ws)
        state = snapshot(ws)
    wrong = check_failed_cleanly(prep, proc, state)
    assert not wrong, f"{name} on a full disk ({need // 2} of {need} bytes free):\n" + "\n".join(wrong)


@slow
@pytest.mark.parametrize("name", cases("read-only", ON_DISK))
def test_read_only_file_system(prepared, mounts, name):
    """As root, chmod stops nothing: the copy is on a tmpfs remounted read-only."""
    prep = prepared(name)
    with Mount(mounts, size_of(prep.pre) + (16 << 20)) as mount:
        ws = mount / "ws"
        shutil.copytree(prep.ws, ws, symlinks=True)
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        with pytest.raises(OSError) as refused:
            (ws / "probe").write_bytes(b"")
        assert refused.value.errno == errno.EROFS
        proc = zoomnews(prep.scenario.args, ws)
        state = snapshot(ws)
    wrong = check_failed_cleanly(prep, proc, state)
    assert not wrong, f"{name} on a read-only file system:\n" + "\n".join(wrong)


# --- FIFOs where files are read -----------------------------------------------------------------

def fifo_instead(rel: str) -> Callable[[Path], Path]:
    def make(ws: Path) -> Path:
        path = ws / "repo" / rel
        path.unlink()
        os.mkfifo(path)
        return path
    return make


def fifo_beside(name: str) -> Callable[[Path], Path]:
    def make(ws: Path) -> Path:
        os.mkfifo(ws / name)
        return ws / name
    return make


FIFO_CASES = {
    "source-validate": (fifo_instead("annotations/entities.jsonl"), ("validate", "repo")),
    "source-fmt": (fifo_instead("annotations/entities.jsonl"), ("fmt", "repo")),
    "schema-validate": (fifo_instead("schema/entity.schema.json"), ("validate", "repo")),
    "raw-validate": (fifo_instead("corpus/raw/zdnet-2020-08-04.txt"), ("validate", "repo")),
    "raw-export": (fifo_instead("corpus/raw/zdnet-2020-08-04.txt"), ("export", "out", "--format", "brat", "--repo", "repo")),
    "new-document-file": (fifo_beside("capture.txt"), ("new-document", "capture.txt", "--outlet", "Test", "--published", "2020-08-05", "--repo", "repo")),
    "import-file": (fifo_beside("tasks.json"), ("import", "tasks.json", "--format", "labelstudio", "--repo", "repo")),
}
XFAIL_FIFO: dict[str, str] = {}


@pytest.mark.parametrize("case", [pytest.param(c, id=c, marks=[pytest.mark.xfail(strict=True, reason=XFAIL_FIFO[c])] if c in XFAIL_FIFO else [])
                                  for c in FIFO_CASES])
def test_fifo_is_refused_not_waited_on(tmp_path, case):
    """A FIFO where a file is read: exit 1 with ZN114 (the subprocess timeout is only a safety net)."""
    make, args = FIFO_CASES[case]
    ws = pristine(tmp_path)
    fifo = make(ws)
    before = snapshot(ws)
    try:
        proc = zoomnews(args, ws, timeout=FIFO_SAFETY_NET)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`zoomnews {' '.join(args)}` waited on the FIFO {fifo.relative_to(ws)}")
    assert proc.returncode == 1, tail(proc)
    assert "ZN114" in proc.stdout + proc.stderr, tail(proc)
    assert "Traceback" not in proc.stdout + proc.stderr, tail(proc, 30)
    assert snapshot(ws) == before  # nothing written, the FIFO still a FIFO
