"""The one way zoomnews touches files: confined to a root, never through a symbolic link, never
waiting on a FIFO, and every write whole or not at all.

A file is written to a temporary file beside it, flushed and fsynced, then `os.replace`d over the
target (and the folder fsynced), so a failure at any point (exception, full disk, read-only,
SIGKILL) leaves the old bytes or the new ones, never a mix. Everything is encoded before the first
byte is written. A folder output (a site, an export) is built beside its target and swapped in;
it may replace only an earlier output of zoomnews (marked by MARKER) as zoomnews left it: the marker
records every file written, and a file added or changed since is refused (ZN909). An error or exception undoes
what the call already replaced (files put back from hard links to their old bytes, a swapped folder
swapped back), so a failed write changes nothing; only a kill can leave some files of a
write_files call new and others old (and temporary files named TEMP_PREFIX…).

Fault injection: with ZOOMNEWS_FAULT_AFTER=N in the environment the process kills itself with
SIGKILL at the Nth write step (`fault_point`); with ZOOMNEWS_FAULT_MODE=enospc it raises "no space
left on device" there instead. tests/test_faults.py runs every writing command that way.
"""

from __future__ import annotations

from collections.abc import Iterator

import ctypes
import errno
import fcntl
import json
import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from pathlib import Path

from zoomnews.errors import Problem, ZoomnewsError

FAULT_AFTER = "ZOOMNEWS_FAULT_AFTER"
FAULT_MODE = "ZOOMNEWS_FAULT_MODE"
MARKER = ".zoomnews-output"  # in a folder that zoomnews wrote (site, export, suggestions): it may replace it unless edited since
TEMP_PREFIX = ".zoomnews-tmp-"

_steps = 0


def fault_point(label: str) -> None:
    """A numbered step at which tests can kill the process (or fake a full disk)."""
    global _steps
    _steps += 1
    wanted = os.environ.get(FAULT_AFTER)
    if wanted is None or not wanted.isdigit() or int(wanted) != _steps:
        return
    if os.environ.get(FAULT_MODE) == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), label)
    os.kill(os.getpid(), signal.SIGKILL)


def steps_taken() -> int:
    return _steps


# --- errors -------------------------------------------------------------------------------------

_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EIO: "input/output error",
    errno.ENAMETOOLONG: "file name too long",
    errno.EMFILE: "too many open files",
}


def environment_problem(error: OSError, label: str | Path | None = None) -> Problem:
    """An operating-system failure as a coded problem (ZN910) naming the file."""
    where = str(label or error.filename or "file system")
    reason = _REASONS.get(error.errno) or error.strerror or str(error)
    return Problem(where, None, "ZN910", f"{reason}; nothing was half-written")


def unsafe(label: str | Path, message: str) -> ZoomnewsError:
    return ZoomnewsError(Problem(str(label), None, "ZN909", message))


# --- one writer at a time -----------------------------------------------------------------------

_WRITING: dict[str, int] = {}  # repository roots this process holds -> depth


@contextmanager
def writing(root: str | Path, command: str) -> Iterator[None]:
    """Hold the repository while `command` reads and rewrites it: a second zoomnews command that
    would write it meanwhile (import, accept, fmt, new-document, docs, build, release) is refused
    (ZN912) instead of overwriting the first one's changes with what it read before them (two imports
    at once kept only one's). The lock is flock(2) on the repository folder itself: nothing is
    created, a killed holder lets go, and nobody waits. Re-entrant within a process."""
    key = os.path.realpath(root)
    if key in _WRITING:
        _WRITING[key] += 1
        try:
            yield
        finally:
            _WRITING[key] -= 1
        return
    try:
        fd = os.open(key, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise ZoomnewsError(environment_problem(e, root)) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ZoomnewsError(Problem(str(root), None, "ZN912", f"another zoomnews command is writing this repository: `zoomnews {command}` did not start")) from None
        _WRITING[key] = 1
        try:
            yield
        finally:
            del _WRITING[key]
    finally:
        os.close(fd)  # lets go of the lock


def holds_repository(command: str):
    """Run the function below (whose first argument is the repository) under `writing`, unless it is
    called with write=False or check=True (a dry run reads only)."""
    def decorate(function):
        import functools
        import inspect

        signature = inspect.signature(function)

        @functools.wraps(function)
        def held(*args, **kwargs):
            arguments = signature.bind(*args, **kwargs)
            if not arguments.arguments.get("write", True) or arguments.arguments.get("check", False):
                return function(*args, **kwargs)
            repo = arguments.arguments[next(iter(signature.parameters))]
            with writing(repo.root, command):
                return function(*args, **kwargs)

        return held

    return decorate


# --- confinement --------------------------------------------------------------------------------

def confined(path: str | Path, root: str | Path, label: str | None = None) -> Path:
    """`path` as an absolute path inside `root`, checked: no `..` escape, no symbolic link on the way
    from `root` down (the target itself included). Raises ZN909 otherwise."""
    root = Path(os.path.realpath(root))
    target = Path(os.path.abspath(Path(root, path)))
    shown = label or str(path)
    try:
        relative = target.relative_to(root)
    except ValueError:
        raise unsafe(shown, f"{target} lies outside {root}") from None
    current = root
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise unsafe(shown, f"{current} is a symbolic link; zoomnews never writes through one")
    return target


def inside(path: Path, folder: Path) -> bool:
    try:
        Path(path).relative_to(folder)
        return True
    except ValueError:
        return False


# --- reading ------------------------------------------------------------------------------------

def read_bytes(path: str | Path, label: str | None = None, follow: bool = True) -> bytes:
    """A regular file's bytes. A FIFO, socket or device is refused (ZN114) instead of waited on; a
    symbolic link too unless `follow`; an unreadable file is ZN910. A missing file raises
    FileNotFoundError, for the caller to say what it means."""
    shown = label or str(path)
    fd, info = _open_regular(path, shown, follow)
    # validate reads every raw file: a plain loop, not the chunked reader's generator. It reads on to
    # an empty read, whatever fstat said: a read can fall short before the end, and the file can grow.
    parts, want = [], max(1, info.st_size + 1)
    try:
        while chunk := os.read(fd, want):
            parts.append(chunk)
            want = max(MIN_READ, min(want, 1 << 24))
    except OSError as e:
        raise ZoomnewsError(environment_problem(e, shown)) from None
    finally:
        os.close(fd)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_chunks(path: str | Path, label: str | None = None, size: int = 1 << 23, start: int = 0, stop: int | None = None,
                follow: bool = True) -> Iterator[bytes]:
    """A regular file's bytes from `start` to `stop` (None: the end) in chunks of `size`, with
    read_bytes's refusals (ZN111 for a link unless `follow`, ZN114, ZN910). The file is opened (and
    refused) before the first chunk is asked for; it is closed when the chunks end or are abandoned.
    A missing file raises FileNotFoundError."""
    shown = label or str(path)
    fd, info = _open_regular(path, shown, follow)
    # os.read allocates the whole buffer it is asked for: a small file read with a 16 MiB request
    # costs a 16 MiB allocation (and its release) per call. Ask for what the file holds (one byte
    # more, to see its end) unless that is more than `size`; a file still growing is read on.
    first = max(1, min(size, info.st_size - start + 1 if info.st_size > start else MIN_READ))
    return _chunks(fd, shown, first, size, start, stop)


def _open_regular(path: str | Path, shown: str, follow: bool) -> tuple[int, os.stat_result]:
    """A descriptor of the regular file at `path` and its status, or the refusal (see read_chunks)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise ZoomnewsError(Problem(shown, None, "ZN111", "a symbolic link; zoomnews reads the real file only")) from None
        if e.errno == errno.EISDIR:
            raise ZoomnewsError(Problem(shown, None, "ZN114", "a folder where a file belongs")) from None
        raise ZoomnewsError(environment_problem(e, shown)) from None
    try:
        info = os.fstat(fd)
    except OSError as e:
        os.close(fd)
        raise ZoomnewsError(environment_problem(e, shown)) from None
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a FIFO" if stat.S_ISFIFO(info.st_mode) else "not a regular file"
        raise ZoomnewsError(Problem(shown, None, "ZN114", f"{kind} where a file belongs"))
    return fd, info


MIN_READ = 1 << 16  # bytes asked for when the size said nothing (an empty file, or one that shrank)


def _chunks(fd: int, shown: str, size: int, most: int, start: int, stop: int | None) -> Iterator[bytes]:
    try:
        position = os.lseek(fd, start, os.SEEK_SET) if start else 0
        while (stop is None or position < stop) and (chunk := os.read(fd, size if stop is None else min(size, stop - position))):
            position += len(chunk)
            yield chunk
            size = min(most, max(size, MIN_READ))  # the end is usually next; a file that grew is read on
    except OSError as e:
        raise ZoomnewsError(environment_problem(e, shown)) from None
    finally:
        os.close(fd)


def read_text(path: str | Path, label: str | None = None, follow: bool = True) -> str:
    """read_bytes, decoded as UTF-8 (invalid UTF-8 is ZN102, naming the line and byte)."""
    data = read_bytes(path, label, follow)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line_start = data.rfind(b"\n", 0, e.start) + 1
        raise ZoomnewsError(Problem(str(label or path), data.count(b"\n", 0, e.start) + 1, "ZN102",
                                    f"not UTF-8: invalid byte at byte {e.start - line_start} of the line")) from None


# --- writing ------------------------------------------------------------------------------------

def encode(text: str, label: str | Path) -> bytes:
    """UTF-8 bytes of `text`, or ZN115 naming where a lone surrogate stands: checked before writing."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        line = text.count("\n", 0, e.start) + 1
        raise ZoomnewsError(Problem(str(label), line, "ZN115",
                                    f"lone surrogate U+{ord(text[e.start]):04X} cannot be written as UTF-8; nothing was written")) from None


def fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename itself is still atomic
    finally:
        os.close(fd)


def _temp_beside(target: Path) -> tuple[int, str]:
    return tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{target.name[:40]}-", dir=target.parent)


def _write_temp(target: Path, data: bytes) -> str:
    """A fully written, fsynced temporary file beside `target`, with the target's mode when it exists."""
    fd, temp = _temp_beside(target)
    try:
        try:
            os.fchmod(fd, stat.S_IMODE(os.stat(target).st_mode))
        except FileNotFoundError:
            os.fchmod(fd, 0o666 & ~umask())
        half = len(data) // 2
        _write_all(fd, memoryview(data)[:half])
        fault_point(f"{target}: half written")
        _write_all(fd, memoryview(data)[half:])
        os.fsync(fd)
        os.close(fd)
        fd = None
        fault_point(f"{target}: temporary file complete")
    except BaseException:
        if fd is not None:
            os.close(fd)
        _remove_quietly(temp)  # never left behind by an error, only by a kill
        raise
    return temp


def _write_all(fd: int, view: memoryview) -> None:
    """Every byte of `view`: os.write may write fewer (a filling disk, a write over 2 GiB)."""
    while view:
        view = view[os.write(fd, view):]


def umask() -> int:
    """The process umask, read without changing it where Linux allows (setting it, even for an
    instant, would give files another thread creates meanwhile the wrong mode)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _remove_quietly(path: str | Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def write_files(files: Mapping[Path, bytes | str], root: str | Path) -> None:
    """Write several files, each atomically: every one is encoded and written to a temporary file
    first, then each replaces its target. An error (or an exception) at any point changes nothing:
    files already replaced are put back (from a hard link to their old bytes); a kill between the
    replacements leaves each file old or new, never partial. Paths must lie inside `root`."""
    targets = {}
    for path, data in files.items():
        target = confined(path, root)
        if target.is_dir():
            raise ZoomnewsError(Problem(str(path), None, "ZN114", "a folder where a file belongs"))
        if isinstance(data, str):
            targets[target] = encode(data, path)
        elif isinstance(data, (bytes, bytearray, memoryview)):
            targets[target] = bytes(data)
        else:  # bytes(5) would be five NUL bytes
            raise TypeError(f"{path}: write_files takes bytes or str, not {type(data).__name__}")
    temps: dict[Path, str] = {}
    backups: dict[Path, Path | str | None] = {}  # target -> a hard link to its old bytes, _NEW, or None (cannot put back)
    current = None
    try:
        for current, data in targets.items():
            current.parent.mkdir(parents=True, exist_ok=True)
            temps[current] = _write_temp(current, data)
        for current, temp in temps.items():
            backups[current] = _backup(current)
            os.replace(temp, current)
            fault_point(f"{current}: replaced")
        for folder in {target.parent for target in targets}:
            fsync_folder(folder)
        if os.path.realpath(root) in _WRITING:
            _clear_leftovers(targets)
    except BaseException as e:
        _put_back(backups)
        if isinstance(e, OSError):
            raise ZoomnewsError(environment_problem(e, current)) from None
        raise
    finally:
        for leftover in [*temps.values(), *(b for b in backups.values() if isinstance(b, Path))]:
            if os.path.lexists(leftover):
                _remove_quietly(leftover)


_NEW = "new"  # _backup: there was no file to keep


def _clear_leftovers(targets) -> None:
    """Remove the temporary files (and hard-linked old bytes) that a killed write of these targets
    left beside them. Only while this process holds the repository (`writing`): no other zoomnews
    writer is at work there, so such a file is a leftover, never another's write in progress, and
    the targets it belonged to are whole (old or new) already."""
    for folder in {target.parent for target in targets}:
        prefixes = tuple(f"{TEMP_PREFIX}{target.name[:40]}-" for target in targets if target.parent == folder)
        try:
            names = [entry.name for entry in os.scandir(folder) if entry.name.startswith(prefixes) and not entry.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        for name in names:
            _remove_quietly(folder / name)


def _backup(target: Path) -> Path | str | None:
    """A hard link to `target`'s current bytes beside it, to put back if a later step fails; _NEW
    when there is no file; None when it cannot be kept (a file system without hard links)."""
    for _ in range(100):
        backup = target.parent / f"{TEMP_PREFIX}{target.name[:40]}-old-{os.urandom(6).hex()}"
        try:
            os.link(target, backup, follow_symlinks=False)
            return backup
        except FileExistsError:
            continue
        except FileNotFoundError:
            return _NEW if not os.path.lexists(target) else None
        except OSError:
            return None
    return None


def _put_back(backups: Mapping[Path, Path | str | None]) -> None:
    """Undo the replacements made so far, newest first (best effort: it runs while failing)."""
    for target, backup in reversed(list(backups.items())):
        try:
            if isinstance(backup, Path):
                os.replace(backup, target)
            elif backup == _NEW and os.path.isfile(target) and not os.path.islink(target):
                os.unlink(target)
        except OSError:
            pass
    for folder in {target.parent for target in backups}:
        fsync_folder(folder)


def write_file(path: Path, data: bytes | str, root: str | Path) -> None:
    """Write one file atomically (see write_files)."""
    write_files({Path(path): data}, root)


# --- folder outputs -----------------------------------------------------------------------------

def check_output_folder(out: Path, repo_root: Path | None = None, protected: tuple[str, ...] = ()) -> Path:
    """The absolute `out` if a command may (re)write it: not a symbolic link, not the repository, a
    folder holding it, or anything inside its `protected` folders; new, empty, or marked as an
    earlier zoomnews output. Raises ZN909 otherwise."""
    given = Path(os.path.abspath(out))
    if given.is_symlink():
        raise unsafe(out, f"{given} is a symbolic link; zoomnews never writes through one")
    target = Path(os.path.realpath(given.parent)) / given.name  # where it really is, to compare with the repository
    if repo_root is not None:
        root = Path(os.path.realpath(repo_root))
        if inside(root, target):
            raise unsafe(out, f"{target} is the repository {root} or holds it; choose a folder of its own")
        for name in protected:
            if inside(target, root / name):
                raise unsafe(out, f"{target} is inside {name}/, which only its own commands write")
    if target.exists():
        if not target.is_dir():
            raise unsafe(out, f"{target} exists and is not a folder")
        if any(True for _ in target.iterdir()):
            if not (target / MARKER).is_file():
                raise unsafe(out, f"{target} is not empty and was not written by zoomnews (no {MARKER}); choose a new folder")
            edited = edited_output(target)
            if edited:
                shown = ", ".join(edited[:5]) + (f" and {len(edited) - 5} more" if len(edited) > 5 else "")
                raise unsafe(out, f"{target} holds files added or changed since zoomnews wrote it ({shown}); "
                                  "move them out, or choose a new folder")
    return target


def output_files(folder: Path) -> dict[str, str]:
    """Every file under `folder` but the marker (relative POSIX path -> sha256); anything that is not
    a regular file (a link, a FIFO) as its kind, which no checksum equals."""
    import hashlib

    files = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = Path(dirpath, name)
            relative = path.relative_to(folder).as_posix()
            if relative == MARKER:
                continue
            info = os.lstat(path)
            files[relative] = hashlib.sha256(read_bytes(path, relative, follow=False)).hexdigest() if stat.S_ISREG(info.st_mode) else "not a regular file"
    return files


def edited_output(folder: Path) -> list[str]:
    """The files of an earlier zoomnews output that someone added or changed since (its marker
    records what zoomnews wrote): replacing the folder would lose them. A file removed loses
    nothing. A marker that records no files (an older zoomnews's) cannot tell: every file counts."""
    try:
        recorded = json.loads(read_bytes(folder / MARKER, MARKER, follow=False)).get("files")
    except (ValueError, AttributeError, ZoomnewsError):
        recorded = None
    current = output_files(folder)
    if not isinstance(recorded, dict):
        return sorted(current)
    return sorted(relative for relative, digest in current.items() if recorded.get(relative) != digest)


def mark_output(folder: Path, command: str) -> None:
    """Mark `folder` as `command`'s output, recording every file in it (see edited_output)."""
    marker = {"written_by": f"zoomnews {command}", "files": output_files(folder)}
    (folder / MARKER).write_text(json.dumps(marker, indent=0, sort_keys=True) + "\n", encoding="utf-8")


def _renameat2_exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def fsync_tree(folder: Path) -> None:
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_folder(Path(dirpath))


def replace_folder(out: Path, fill: Callable[[Path], object], command: str, repo_root: Path | None = None,
                   protected: tuple[str, ...] = ()):
    """Build a folder output with `fill(temporary folder)` beside `out`, then swap it in whole.
    `out` must pass check_output_folder; the new folder is marked as `command`'s output. Returns
    what `fill` returns."""
    target = check_output_folder(out, repo_root, protected)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{target.name[:40]}-", dir=target.parent))
        try:  # mkdtemp makes it private (0700): give it the earlier output's mode, or the usual one
            os.chmod(temp, stat.S_IMODE(os.stat(target).st_mode))
        except FileNotFoundError:
            os.chmod(temp, 0o777 & ~umask())
    except OSError as e:
        raise ZoomnewsError(environment_problem(e, out)) from None
    old = None
    swapped = None  # how the new folder went in: "renamed" (no earlier output), "exchanged", "moved"
    try:
        result = fill(temp)
        mark_output(temp, command)
        fsync_tree(temp)
        fault_point(f"{target}: new folder complete")
        if not target.exists():
            os.rename(temp, target)
            swapped = "renamed"
        elif _renameat2_exchange(temp, target):
            old, swapped = temp, "exchanged"  # temp holds the earlier output now
        else:
            old = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{target.name[:40]}-old-", dir=target.parent))
            os.rename(target, old / "folder")
            fault_point(f"{target}: old folder moved aside")
            os.rename(temp, target)
            swapped = "moved"
        fsync_folder(target.parent)
        fault_point(f"{target}: swapped in")
        return result
    except BaseException as e:
        _swap_back(target, temp, old, swapped)
        if isinstance(e, OSError):
            raise ZoomnewsError(environment_problem(e, out)) from None
        raise
    finally:
        for leftover in (temp, old):
            if leftover is not None and leftover != target and os.path.isdir(leftover):
                shutil.rmtree(leftover, ignore_errors=True)


def _swap_back(target: Path, temp: Path, old: Path | None, swapped: str | None) -> None:
    """After a failure, put the earlier output (or no folder) back at `target`, the new one at `temp`
    (best effort: it runs while failing)."""
    try:
        if swapped == "exchanged":
            _renameat2_exchange(temp, target)
        elif swapped in ("renamed", "moved"):
            os.rename(target, temp)
        aside = old / "folder" if old is not None and old != temp else None
        if aside is not None and aside.is_dir() and not target.exists():
            os.rename(aside, target)
        fsync_folder(target.parent)
    except OSError:
        pass
