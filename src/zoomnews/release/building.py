"""Build a release: sources -> validated corpus -> Arrow tables -> Parquet + manifest, as a transaction.

Building is deterministic: the same sources give byte-identical files, so rebuilding an existing
version is a no-op, and building different content under an existing version is refused (released
versions are immutable).

Writing a release (`build` of a new version, and `zoomnews release`, which adds its CHANGELOG and
pyproject.toml edits) is a transaction, in this order:

1. take releases/.lock (flock, never waiting: a second writer is refused with ZN911 naming the
   holder's pid), refuse while an interrupted release's journal is present (ZN508), remove what a
   killed writer left (hidden temporary folders and files in releases/);
2. validate the sources and build the release in a hidden folder releases/.tmp-<version>-*: Parquet,
   croissant.json and manifest.json, every file fsynced. A kill here leaves the old state plus that
   hidden folder (ignored by git, never listed as a release, removed by the next writer);
3. compute every file the release changes, old text and new (releases/RELEASES.lock, the README
   card, and for `release` CHANGELOG.md and pyproject.toml), and write them all, with the new
   manifest's sha256, to the journal releases/.journal.json (atomically);
4. rename the hidden folder to releases/<version>;
5. write the files of step 3, each atomically (zoomnews.safeio);
6. remove the journal: the release is done.

A kill between 3 and 6 leaves the journal, which validate reports (ZN508), and `zoomnews release
--recover` (`recover`) finishes the release when releases/<version> is in place and verifies against
the journal's manifest sha256, else rolls back: removes only that folder and puts back the old text
of every file the journal lists. An error (full disk, read-only, …) rolls back at once (ZN910).
`safeio.fault_point` marks the steps, so tests kill the process at each one.
"""

from __future__ import annotations

import datetime
import errno
import fcntl
import filecmp
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from zoomnews import safeio
from zoomnews.release.apart import Apart
from zoomnews.release.croissant import CROISSANT, croissant_text
from zoomnews.release.configs import CONFIGS, FLAT, SchemasApart, config_schemas, declared_features, document_configs, table_from_arrow
from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.release.manifest import MANIFEST, RawDigests, ledger_with, make_manifest, manifest_text, release_encoding, sha256_bytes
from zoomnews.repo import JOURNAL, LEDGER, LOCK, RELEASE_TEMP_PREFIX, RELEASES_DIR, SEMVER, CorpusRepo
from zoomnews.sources.schemas import load_kinds
from zoomnews.release.shards import ENCODING, SHARD_DOCUMENTS, ShardWriter, shard_count, shard_name, write_statements, write_table_shards
from zoomnews.sources.tables import read_source_table
from zoomnews.checks.releases import check_release, ledger_entries, manifest_validator, verified_manifest
from zoomnews.checks.validation import registry_kinds, validate_repo

JOURNAL_FORMAT = 1
LOCK_LABEL = f"{RELEASES_DIR}/{LOCK}"
JOURNAL_LABEL = f"{RELEASES_DIR}/{JOURNAL}"
LEDGER_LABEL = f"{RELEASES_DIR}/{LEDGER}"
# The files outside its folder a release writes (`zoomnews release`: the changelog and the version in
# pyproject.toml too), and so the only ones --recover ever restores or removes: a journal naming any
# other file (hand-made, or from another tool) is refused, never obeyed.
JOURNALLED_FILES = frozenset({LEDGER_LABEL, "README.md", "CHANGELOG.md", "pyproject.toml"})
RECOVER = "run `zoomnews release --recover`"


@dataclass(frozen=True)
class BuildResult:
    version: str
    path: Path
    status: str  # "created" or "unchanged"
    rows: dict[str, int]


@dataclass(frozen=True)
class RecoverResult:
    version: str | None
    outcome: str  # "finished", "rolled back" or "nothing to recover"


# --- one writer at a time -----------------------------------------------------------------------

_HELD: dict[str, int] = {}  # lock files this process holds -> depth (release holds it around build)


@contextmanager
def release_lock(repo: CorpusRepo, command: str) -> Iterator[None]:
    """Hold releases/.lock (an untracked file) while writing releases. Never waits: when another
    process holds it, ZN911 names that process. Re-entrant within a process."""
    key = str(repo.lock_path)
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    try:
        repo.releases_dir.mkdir(parents=True, exist_ok=True)
        safeio.confined(repo.lock_path, repo.root, LOCK_LABEL)
        fd = os.open(repo.lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise safeio.unsafe(LOCK_LABEL, "a symbolic link; zoomnews never writes through one") from None
        raise ZoomnewsError(safeio.environment_problem(e, LOCK_LABEL)) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            who = f"process {holder.split(' ', 1)[0]} (`{holder.split(' ', 1)[1]}`)" if " " in holder else "another process (it has just started)"
            raise ZoomnewsError(Problem(LOCK_LABEL, None, "ZN911",
                                        f"{who} is writing releases; one at a time: wait for it to finish")) from None
        _say_holder(fd, f"{os.getpid()} zoomnews {command}\n")  # who holds it, for the loser's message
        _HELD[key] = 1
        try:
            yield
        finally:
            del _HELD[key]
            _say_holder(fd, "")
    finally:
        os.close(fd)  # lets go of the lock


def _say_holder(fd: int, text: str) -> None:
    """The lock file's text: the holder's pid and command (a courtesy for the refused; the flock is
    the lock, so a full disk here costs only the message)."""
    try:
        os.ftruncate(fd, 0)
        if text:
            os.pwrite(fd, text.encode(), 0)
    except OSError:
        pass


def lock_holder(repo: CorpusRepo) -> str | None:
    """Who holds releases/.lock right now ("pid command"), None when nobody does. Writes nothing."""
    try:
        fd = os.open(repo.lock_path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
        except OSError:
            return None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def refuse_interrupted(repo: CorpusRepo) -> None:
    """ZN508 when an interrupted release's journal is present: nothing may be released on top of it."""
    if os.path.lexists(repo.journal_path):
        raise ZoomnewsError(Problem(JOURNAL_LABEL, None, "ZN508", journal_summary(repo, "first")))


def journal_summary(repo: CorpusRepo, then: str = "to finish it or roll it back") -> str:
    """What to say of a journal left by a release: to run --recover (`then`), or, for one --recover
    refuses, what to do by hand."""
    try:
        journal = read_journal(repo)
    except ZoomnewsError as e:
        return e.problems[0].message
    return (f"release {journal['version']} (`zoomnews {journal['command']}`, pid {journal['pid']}, started {journal['started']}) "
            f"was interrupted; {RECOVER} {then}")


def clean_leftovers(repo: CorpusRepo, names: tuple[str, ...] = ()) -> None:
    """Remove what a killed writer left: hidden temporary release folders and temporary files in
    releases/, and the temporary files beside `names` (files a journal lists). Only while holding
    the lock (nobody else is writing there) and with no journal left (or while recovering it)."""
    try:
        entries = list(os.scandir(repo.releases_dir))
    except OSError:
        entries = []
    for entry in entries:
        if entry.name.startswith(RELEASE_TEMP_PREFIX) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        elif entry.name.startswith((RELEASE_TEMP_PREFIX, safeio.TEMP_PREFIX)) and not entry.is_dir(follow_symlinks=False):
            _unlink(entry.path)
    for relative in names:
        path = repo.path(relative)
        for leftover in path.parent.glob(f"{safeio.TEMP_PREFIX}{path.name[:40]}-*"):
            if leftover.is_file() and not leftover.is_symlink():
                _unlink(leftover)


def _unlink(path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


# --- building -----------------------------------------------------------------------------------

@safeio.holds_repository("build")
def build_release(repo: CorpusRepo, version: str | None = None, shard_documents: int = SHARD_DOCUMENTS, jobs: int = 1, *,
                  card: bool = False, published: datetime.date | None = None,
                  changes: dict[str, Callable[[str | None], str]] | None = None, command: str = "build",
                  progress=None) -> BuildResult:
    """Build releases/<version> (default: [tool.zoomnews] dataset-version) as a transaction (see the
    module's docstring). `card`: also point the README card at it; `published`: the release date for
    croissant.json when CHANGELOG.md does not give it yet; `changes`: more files the transaction
    writes (repository-relative path -> function of the old text giving the new), for `release`;
    `progress`: called as progress(documents checked and written, documents) (see zoomnews.progress)."""
    version = version or repo.dataset_version
    if not SEMVER.match(version):
        raise ZoomnewsError(Problem("build", None, "ZN907", f"{version!r} is not a semantic version MAJOR.MINOR.PATCH"))
    with release_lock(repo, command):
        refuse_interrupted(repo)
        clean_leftovers(repo)
        final = repo.release_dir(version)
        exists = version in repo.released_versions()
        if not exists and os.path.lexists(final):
            raise ZoomnewsError(Problem(repo.rel(final), None, "ZN901",
                                        f"releases/{version} exists and is not a release (a symbolic link, or no regular manifest.json); "
                                        "remove it, or restore the release from version control"))
        if exists and changes:
            raise ZoomnewsError(Problem(repo.rel(final), None, "ZN905", f"release {version} exists; releases are immutable"))
        if exists:  # a tampered release is said to be one (the rebuild would only say it differs, and advise a new version)
            released = verified_manifest(repo, version)
            if tampered := check_release(repo, version, manifest_validator(repo)):
                raise ZoomnewsError(tampered)
        # a version the ledger lists whose folder is gone is built again only as the ledger recorded it
        recorded = None if exists else (ledger_entries(repo)[0] or {}).get(version)
        for encoding in [release_encoding(released)] if exists else [ENCODING] if recorded is None else [ENCODING, None]:
            try:
                return _build(repo, version, final, exists, encoding, recorded, shard_documents, jobs, card, published, changes or {}, command, progress)
            except NotAsRecorded:
                continue  # (compressed as the releases were before their manifests recorded it?)
            except OSError as e:
                raise ZoomnewsError(safeio.environment_problem(e, e.filename or repo.rel(final))) from None
        raise ZoomnewsError(Problem(repo.rel(final), None, "ZN901",
                                    f"release {version} is listed in releases/{LEDGER} and the sources now build another release; "
                                    f"restore releases/{version} from version control"))


class NotAsRecorded(Exception):
    """The release built is not the one the ledger lists under its version."""


# From this many bytes of source files, build does its heavy imports in processes of their own
# (zoomnews.release.apart): its streaming processes never import `datasets` (about 85 MiB and a second
# of CPU each), and mlcroissant imports while build writes its last files. Below it memory is no
# concern, and importing them here once (the card needs `datasets` too) is the quicker way.
APART_FROM = 32 << 20


def large(repo: CorpusRepo, kinds) -> bool:
    """Whether the sources pass APART_FROM bytes."""
    size = 0
    for kind in kinds.values():
        try:
            size += os.stat(repo.path(kind.source)).st_size
        except OSError:  # a missing or unreadable source: validate reports it
            pass
    return size >= APART_FROM


def _build(repo, version, final, exists, encoding, recorded, shard_documents, jobs, card, published, changes, command, progress=None) -> BuildResult:
    tmp = Path(tempfile.mkdtemp(prefix=f"{RELEASE_TEMP_PREFIX}{version}-", dir=repo.releases_dir))  # hidden: never a release
    stack = ExitStack()  # a process build started is stopped when build stops
    try:
        os.chmod(tmp, 0o777 & ~safeio.umask())  # the release folder's mode, not mkdtemp's owner-only one
        # one streaming pass: each block of documents is checked, then written (the files are thrown
        # away with `tmp` unless every check passes)
        kinds = load_kinds(repo)
        apart = large(repo, kinds)
        writer = ShardWriter(tmp, stack.enter_context(SchemasApart(kinds)) if apart and "datasets" not in sys.modules else config_schemas(kinds),
                             encoding, shard_documents)
        report = validate_repo(repo, releases=False, jobs=jobs, consumer=writer, progress=progress)
        schemas = writer.config_schemas()
        if report.problems:
            summary = Problem("sources", None, "ZN902", f"{len(report.problems)} problem(s); release {version} not built")
            raise ZoomnewsError([*report.problems, summary])
        croissant_process = stack.enter_context(Apart("zoomnews.release.croissant", f"write {CROISSANT} and the card's dataset_info")) if apart else None
        registries = {name: read_source_table(repo, kinds[name]).table.select(list(kinds[name].fields)) for name in registry_kinds(kinds)}
        outputs = report.outputs
        tables = {config: table_from_arrow(registries[kind], schemas[config]) for config, kind in FLAT.items() if kind in registries}
        rows = {config: sum(o.rows[config] for o in outputs) for config in document_configs(schemas)}
        files = {config: [f"{config}/{shard_name(k, shard_count(report.counts['document'], shard_documents))}"
                          for k in range(shard_count(report.counts["document"], shard_documents))] for config in rows}
        for config, table in tables.items():
            files[config] = write_table_shards(table, tmp, config, encoding)
            rows[config] = table.num_rows
        spills = [o.aligned_quotes for o in outputs if o.aligned_quotes is not None]
        files["statements"], aligned = write_statements(registries["registry_statement"], spills, schemas["statements"], tmp, encoding)
        rows["statements"] = registries["registry_statement"].num_rows
        for spill in spills:
            os.unlink(spill)  # build's own scratch files, inside its temporary folder
        files = {config: files[config] for config in CONFIGS}
        _check_counts(report.counts, rows, aligned, (sum(o.ner_tally[0] for o in outputs), sum(o.ner_tally[1] for o in outputs)))
        raw_digests = RawDigests.of([o.raw_digests for o in outputs])
        del report, outputs, tables
        manifest = make_manifest(repo, version, tmp, files, {config: declared_features(schemas[config]) for config in CONFIGS},
                                 encoding, known=raw_digests)
        text, dataset_info = (croissant_process.result(str(repo.root), manifest, published, str(tmp) if card and not exists else None) if croissant_process
                              else (croissant_text(repo, manifest, published), None))
        croissant = safeio.encode(text, CROISSANT)
        manifest["metadata_files"] = [{"path": CROISSANT, "sha256": sha256_bytes(croissant), "bytes": len(croissant)}]
        manifest_bytes = safeio.encode(manifest_text(manifest), MANIFEST)
        if recorded is not None and sha256_bytes(manifest_bytes) != recorded:
            raise NotAsRecorded
        safeio.write_files({tmp / CROISSANT: croissant, tmp / MANIFEST: manifest_bytes}, repo.root)
        rows = {name: rows[name] for name in CONFIGS}
        if exists:
            if not _same_tree(tmp, final):
                raise ZoomnewsError(Problem(repo.rel(final), None, "ZN901", f"release {version} exists and the sources now build different files"))
            if card:
                from zoomnews.release.card import point_card_at

                point_card_at(repo, version)
            return BuildResult(version, final, "unchanged", rows)
        safeio.fsync_tree(tmp)  # every byte on disk before the folder becomes the release
        journal = _journal(repo, command, version, tmp, sha256_bytes(manifest_bytes), card, changes, dataset_info)
        renamed = False
        try:
            safeio.write_file(repo.journal_path, json.dumps(journal, indent=1, ensure_ascii=False) + "\n", repo.root)
            os.rename(tmp, final)
            renamed = True
            safeio.fsync_folder(repo.releases_dir)
            safeio.fault_point(f"releases/{version}: renamed into place")
            _finish(repo, journal)
        except BaseException as error:
            _undo(repo, journal, error, renamed)
        return BuildResult(version, final, "created", rows)
    finally:
        stack.close()
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


# --- the journal --------------------------------------------------------------------------------

def _current(repo: CorpusRepo, relative: str) -> str | None:
    try:
        return safeio.read_text(repo.path(relative), relative, follow=False)
    except FileNotFoundError:
        return None


def _journal(repo, command: str, version: str, tmp: Path, manifest_sha256: str, card: bool,
             changes: dict[str, Callable[[str | None], str]], dataset_info: list | None = None) -> dict:
    """Everything the transaction will write, old text and new: enough to finish it or undo it."""
    files = {}
    before = _current(repo, LEDGER_LABEL)
    files[LEDGER_LABEL] = (before, ledger_with(before, version, manifest_sha256))
    if card:
        from zoomnews.release.card import card_text

        before = _current(repo, "README.md")
        files["README.md"] = (before, card_text(before or "", version, tmp, dataset_info))
    for relative, change in changes.items():
        before = _current(repo, relative)
        files[relative] = (before, change(before))
    if not set(files) <= JOURNALLED_FILES:
        raise ValueError(f"a release writes only {sorted(JOURNALLED_FILES)}, not {sorted(set(files) - JOURNALLED_FILES)}")
    return {
        "journal": JOURNAL_FORMAT,
        "command": command,
        "pid": os.getpid(),
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "version": version,
        "release_dir": f"{RELEASES_DIR}/{version}",
        "manifest_sha256": manifest_sha256,
        "files": {relative: {"before_sha256": None if old is None else sha256_bytes(old.encode("utf-8")), "before": old, "after": new}
                  for relative, (old, new) in files.items() if old != new},
    }


def read_journal(repo: CorpusRepo) -> dict | None:
    """The journal of an interrupted release, None when there is none; ZN508 when unreadable."""
    try:
        data = safeio.read_bytes(repo.journal_path, JOURNAL_LABEL, follow=False)
    except FileNotFoundError:
        return None
    try:
        journal = json.loads(data.decode("utf-8"))
        ok = (journal["journal"] == JOURNAL_FORMAT and SEMVER.match(journal["version"]) and isinstance(journal["files"], dict)
              and all(isinstance(e["after"], str) and (e["before"] is None or isinstance(e["before"], str)) for e in journal["files"].values()))
    except (ValueError, KeyError, TypeError, AttributeError):
        ok = False
    foreign = sorted(r for r in journal["files"] if r not in JOURNALLED_FILES) if ok else []
    if foreign:
        raise ZoomnewsError(Problem(JOURNAL_LABEL, None, "ZN508",
                                    f"the journal names {', '.join(map(repr, foreign[:3]))}, which no release writes: zoomnews will not "
                                    "touch it; check `git status`, restore the changed files and remove the journal by hand"))
    if not ok:
        raise ZoomnewsError(Problem(JOURNAL_LABEL, None, "ZN508",
                                    "an interrupted release left a journal zoomnews cannot read; check `git status`, "
                                    "restore the changed files and remove the journal by hand"))
    return journal


def _finish(repo: CorpusRepo, journal: dict) -> None:
    """Write every file's new text (those not written yet), then remove the journal."""
    writes = {repo.path(relative): entry["after"] for relative, entry in journal["files"].items()
              if _current(repo, relative) != entry["after"]}
    safeio.write_files(writes, repo.root)
    _remove_journal(repo)


def _roll_back(repo: CorpusRepo, journal: dict, remove_folder: bool) -> None:
    """Remove the release folder the journal created (when `remove_folder`), put back every file's
    old text, then remove the journal. Killed half-way, the journal is still there to finish this."""
    folder = repo.release_dir(journal["version"])
    if remove_folder and folder.is_dir() and not folder.is_symlink():
        aside = Path(tempfile.mkdtemp(prefix=f"{RELEASE_TEMP_PREFIX}{journal['version']}-rollback-", dir=repo.releases_dir))
        os.rename(folder, aside / "release")  # gone from releases/ in one step
        safeio.fsync_folder(repo.releases_dir)
        shutil.rmtree(aside, ignore_errors=True)
    restores, removals = {}, []
    for relative, entry in journal["files"].items():
        if _current(repo, relative) == entry["before"]:
            continue
        if entry["before"] is None:
            removals.append(repo.path(relative))
        else:
            restores[repo.path(relative)] = entry["before"]
    safeio.write_files(restores, repo.root)
    for path in removals:
        _unlink(path)
    _remove_journal(repo)


def _remove_journal(repo: CorpusRepo) -> None:
    _unlink(repo.journal_path)
    safeio.fsync_folder(repo.releases_dir)


def _undo(repo: CorpusRepo, journal: dict, error: BaseException, renamed: bool):
    """After an error between the journal and its removal: roll back at once, then raise the error
    (an operating-system failure as ZN910). If even that fails the journal stays, for --recover."""
    try:
        _roll_back(repo, journal, remove_folder=renamed)
    except BaseException:
        problems = error.problems if isinstance(error, ZoomnewsError) else [safeio.environment_problem(error)] if isinstance(error, OSError) else []
        raise ZoomnewsError([*problems, Problem(JOURNAL_LABEL, None, "ZN508",
                                                f"release {journal['version']} failed and could not be rolled back; {RECOVER}")]) from None
    if isinstance(error, OSError):
        raise ZoomnewsError(safeio.environment_problem(error, error.filename or journal["release_dir"])) from None
    raise error


def release_complete(repo: CorpusRepo, journal: dict) -> bool:
    """The journal's release folder is in place, a real folder, with the manifest the journal names,
    and every file in it verifies against that manifest."""
    from zoomnews.checks.releases import check_release, manifest_validator

    version = journal["version"]
    folder = repo.release_dir(version)
    if folder.is_symlink() or not folder.is_dir():
        return False
    try:
        data = safeio.read_bytes(folder / MANIFEST, f"{journal['release_dir']}/{MANIFEST}", follow=False)
    except (OSError, ZoomnewsError):
        return False
    return sha256_bytes(data) == journal["manifest_sha256"] and not check_release(repo, version, manifest_validator(repo))


@safeio.holds_repository("release --recover")
def recover(repo: CorpusRepo) -> RecoverResult:
    """Finish or roll back an interrupted release (see the module's docstring)."""
    with release_lock(repo, "release --recover"):
        journal = read_journal(repo)
        if journal is None:
            clean_leftovers(repo)
            return RecoverResult(None, "nothing to recover")
        complete = release_complete(repo, journal)
        changed = [relative for relative, entry in journal["files"].items()
                   if _current(repo, relative) not in (entry["before"], entry["after"])]
        if changed:
            raise ZoomnewsError(Problem(JOURNAL_LABEL, None, "ZN508",
                                        f"release {journal['version']} was interrupted and since then {', '.join(changed)} changed by hand; "
                                        "put them back (`git diff`) and run `zoomnews release --recover` again"))
        try:
            if complete:
                _finish(repo, journal)
            else:
                _roll_back(repo, journal, remove_folder=True)
        except OSError as e:
            raise ZoomnewsError(safeio.environment_problem(e)) from None
        clean_leftovers(repo, tuple(journal["files"]))
        return RecoverResult(journal["version"], "finished" if complete else "rolled back")


def _check_counts(counts: dict[str, int], rows: dict[str, int], aligned: int, ner_tally: tuple[int, int]) -> None:
    """Counts in = counts out: every source record is one row, every document one default row."""
    for config, kind in FLAT.items():
        if rows[config] != counts[kind]:
            raise AssertionError(f"{config}: {counts[kind]} records in, {rows[config]} rows out")
    if rows["default"] != rows["documents"]:
        raise AssertionError("default: one row per document")
    if rows["statements"] != rows["statement_registry"]:
        raise AssertionError("statements: one row per registered statement")
    if aligned != rows["quotes"]:
        raise AssertionError(f"statements: {aligned} quotes aligned, {rows['quotes']} quotes")
    if rows["attribution"] != rows["quotes"]:
        raise AssertionError("attribution: one row per quotation")
    begun, left_out = ner_tally
    if begun + left_out != rows["entities"] + rows["timexes"]:
        raise AssertionError(f"ner: {begun} spans tagged + {left_out} left out != {rows['entities']} entities + {rows['timexes']} timexes")


def _same_tree(a: Path, b: Path) -> bool:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all(filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)
