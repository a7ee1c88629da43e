"""zoomnews.safeio, the one way zoomnews touches files: confined, never through a symbolic link,
never waiting on a FIFO, every write whole or not at all; folder outputs built beside and swapped in.

In-process: the fault hook in ENOSPC mode (an exception at each numbered write step: everything as
it was, no temporary file left). In a subprocess: SIGKILL at each step (each file old or new bytes,
a leftover only under safeio.TEMP_PREFIX). tests/test_faults.py runs the real commands the same way.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from zoomnews import safeio
from zoomnews.errors import ZoomnewsError
from zoomnews.safeio import MARKER, TEMP_PREFIX

PROTECTED = ("corpus", "annotations", "schema", "releases")


# --- helpers ------------------------------------------------------------------------------------

def tree(root: Path) -> dict[str, tuple]:
    """Everything under `root` by relative path: ("file", bytes, mode), ("dir", mode), ("link", target)
    or ("other", file type). Never opens anything but regular files (a FIFO would block)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            info = os.lstat(path)
            rel = path.relative_to(root).as_posix()
            if stat.S_ISLNK(info.st_mode):
                found[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[rel] = ("dir", stat.S_IMODE(info.st_mode))
            elif stat.S_ISREG(info.st_mode):
                found[rel] = ("file", path.read_bytes(), stat.S_IMODE(info.st_mode))
            else:
                found[rel] = ("other", stat.S_IFMT(info.st_mode))
    return found


def files_of(snapshot: dict[str, tuple]) -> dict[str, bytes]:
    return {rel: entry[1] for rel, entry in snapshot.items() if entry[0] == "file"}


def leftovers(root: Path) -> list[str]:
    return sorted(rel for rel in tree(root) if TEMP_PREFIX in rel)


def codes(error: ZoomnewsError) -> list[str]:
    return [p.code for p in error.problems]


@contextlib.contextmanager
def no_hang(seconds: int = 30):
    """A safety net, not a timing assertion: a read that blocks (on a FIFO) fails the test instead
    of hanging the suite. The alarm interrupts a blocking system call (PEP 475: the handler raises)."""
    def expired(signum, frame):
        raise TimeoutError("blocked: safeio waited on a FIFO")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def enospc_at(step: int):
    """The fault hook in ENOSPC mode at the `step`th write step from now."""
    saved = {k: os.environ.get(k) for k in (safeio.FAULT_AFTER, safeio.FAULT_MODE)}
    os.environ[safeio.FAULT_AFTER] = str(safeio.steps_taken() + step)
    os.environ[safeio.FAULT_MODE] = "enospc"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def steps_of(action) -> int:
    before = safeio.steps_taken()
    action()
    return safeio.steps_taken() - before


@pytest.fixture
def repo_like(tmp_path) -> Path:
    """A folder shaped like a corpus repository (protected source folders with files in them)."""
    root = tmp_path / "repo"
    for name in PROTECTED:
        (root / name).mkdir(parents=True)
        (root / name / "kept.txt").write_text(f"{name}\n")
    return root


def make_output(folder: Path, files: dict[str, bytes], command: str = "test") -> None:
    """An earlier zoomnews output (marked)."""
    folder.mkdir(parents=True)
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    safeio.mark_output(folder, command)


def filler(files: dict[str, bytes]):
    def fill(folder: Path):
        for rel, data in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data)
        return sorted(files)
    return fill


# --- write_files: exact replacement -------------------------------------------------------------

NAMES = st.from_regex(r"(sub/|sub/deeper/)?[a-z0-9_]{1,10}(\.[a-z]{1,4})?", fullmatch=True)
TEXTS = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
CONTENTS = st.one_of(st.binary(max_size=3000), TEXTS)


@given(st.dictionaries(NAMES, st.tuples(CONTENTS, st.none() | st.binary(max_size=500)), min_size=1, max_size=6),
       st.binary(max_size=200))
def test_write_files_replaces_exactly(files, bystander):
    """Any bytes or text, over existing files or new ones: each target holds exactly its new bytes,
    nothing else changes, no temporary file is left."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "bystander.bin").write_bytes(bystander)
        for rel, (_, old) in files.items():
            if old is not None and not any(other.startswith(rel + "/") for other in files):
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_bytes(old)
        writable = {rel: new for rel, (new, _) in files.items() if not any(other.startswith(rel + "/") for other in files)}
        safeio.write_files({Path(rel): data for rel, data in writable.items()}, root)
        after = files_of(tree(root))
        expected = {rel: data.encode("utf-8") if isinstance(data, str) else data for rel, data in writable.items()}
        assert {rel: after[rel] for rel in expected} == expected
        assert after["bystander.bin"] == bystander
        assert set(after) == set(expected) | {"bystander.bin"}
        assert leftovers(root) == []


def test_write_file_into_new_folders_with_absolute_path(tmp_path):
    target = tmp_path / "a" / "b" / "c.txt"
    safeio.write_file(target, "α\n", tmp_path)
    assert target.read_bytes() == "α\n".encode()


def test_write_files_refuses_what_is_not_bytes_or_text(tmp_path):
    with pytest.raises(TypeError):
        safeio.write_file(tmp_path / "n.bin", 5, tmp_path)  # bytes(5) would be five NUL bytes
    assert not (tmp_path / "n.bin").exists()


def test_short_writes_still_write_every_byte(tmp_path, monkeypatch):
    """os.write may write fewer bytes than asked (a filling disk, over 2 GiB at once): safeio loops."""
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, bytes(data[:7])))
    data = bytes(range(256)) * 3
    safeio.write_file(tmp_path / "short.bin", data, tmp_path)
    monkeypatch.undo()
    assert (tmp_path / "short.bin").read_bytes() == data


# --- encoding: a lone surrogate -----------------------------------------------------------------

@given(TEXTS, st.integers(0xD800, 0xDFFF), TEXTS, st.integers(0, 2))
def test_lone_surrogate_is_zn115_and_nothing_written(before, surrogate, after, position):
    """A str with a lone surrogate cannot be UTF-8: ZN115 with its line, and no file of the call is
    written, not even the valid ones before it."""
    bad = before + chr(surrogate) + after
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "old.txt").write_bytes(b"old bytes\n")
        names = ["old.txt", "new.txt", "bad.txt"]
        names.insert(position, names.pop())  # the bad one first, in the middle or last
        files = {Path(name): (bad if name == "bad.txt" else "fine\n") for name in names}
        with pytest.raises(ZoomnewsError) as caught:
            safeio.write_files(files, root)
        assert codes(caught.value) == ["ZN115"]
        assert caught.value.problems[0].line == before.count("\n") + 1
        assert caught.value.problems[0].file == "bad.txt"
        assert tree(root) == {"old.txt": ("file", b"old bytes\n", stat.S_IMODE(os.stat(root / "old.txt").st_mode))}


# --- confinement --------------------------------------------------------------------------------

def _outside_escape(root: Path, outside: Path):
    return Path("sub/../../outside/escaped.txt")


def _outside_absolute(root: Path, outside: Path):
    return outside / "absolute.txt"


def _through_symlinked_folder(root: Path, outside: Path):
    (root / "linked").symlink_to(outside, target_is_directory=True)
    return Path("linked/through.txt")


def _symlinked_folder_deeper(root: Path, outside: Path):
    (root / "a").mkdir()
    (root / "a" / "linked").symlink_to(outside, target_is_directory=True)
    return Path("a/linked/b/deep.txt")


def _symlink_target(root: Path, outside: Path):
    (outside / "victim.txt").write_bytes(b"victim\n")
    (root / "link.txt").symlink_to(outside / "victim.txt")
    return Path("link.txt")


def _dangling_symlink_target(root: Path, outside: Path):
    (root / "dangling.txt").symlink_to(outside / "created-through-link.txt")
    return Path("dangling.txt")


@pytest.mark.parametrize("make", [_outside_escape, _outside_absolute, _through_symlinked_folder, _symlinked_folder_deeper,
                                  _symlink_target, _dangling_symlink_target])
def test_unsafe_targets_are_zn909_and_nothing_written(tmp_path, make):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "kept.txt").write_bytes(b"kept\n")
    target = make(root, outside)
    before = tree(tmp_path)
    with pytest.raises(ZoomnewsError) as caught:
        safeio.write_files({Path("kept.txt"): b"changed\n", target: b"new\n"}, root)
    assert codes(caught.value) == ["ZN909"]
    assert tree(tmp_path) == before


def test_confined_accepts_a_root_reached_through_a_symbolic_link(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    assert safeio.confined("x/y.txt", tmp_path / "alias") == tmp_path / "real" / "x" / "y.txt"
    safeio.write_file(Path("x/y.txt"), b"ok", tmp_path / "alias")
    assert (tmp_path / "real" / "x" / "y.txt").read_bytes() == b"ok"


def test_a_folder_where_a_file_is_written_is_zn114(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "inside.txt").write_bytes(b"inside\n")
    before = tree(tmp_path)
    with pytest.raises(ZoomnewsError) as caught:
        safeio.write_files({Path("first.txt"): b"x", Path("folder"): b"y"}, tmp_path)
    assert codes(caught.value) == ["ZN114"]
    assert tree(tmp_path) == before


# --- reading ------------------------------------------------------------------------------------

@pytest.mark.parametrize("follow", [True, False])
@pytest.mark.parametrize("reader", [safeio.read_bytes, safeio.read_text])
def test_fifo_read_is_zn114_without_waiting(tmp_path, reader, follow):
    fifo = tmp_path / "entities.jsonl"
    os.mkfifo(fifo)  # no writer: a plain open() would wait forever
    with no_hang(), pytest.raises(ZoomnewsError) as caught:
        reader(fifo, "annotations/entities.jsonl", follow=follow)
    assert codes(caught.value) == ["ZN114"]
    assert caught.value.problems[0].file == "annotations/entities.jsonl"
    assert "FIFO" in caught.value.problems[0].message


@pytest.mark.parametrize("reader", [safeio.read_bytes, safeio.read_text])
def test_folder_read_is_zn114(tmp_path, reader):
    (tmp_path / "documents.jsonl").mkdir()
    with pytest.raises(ZoomnewsError) as caught:
        reader(tmp_path / "documents.jsonl", "corpus/documents.jsonl")
    assert codes(caught.value) == ["ZN114"]


def test_device_read_is_zn114():
    with no_hang(), pytest.raises(ZoomnewsError) as caught:
        safeio.read_bytes("/dev/zero", "zero")  # would never end
    assert codes(caught.value) == ["ZN114"]


def test_symbolic_link_read_without_follow_is_zn111(tmp_path):
    (tmp_path / "real.txt").write_bytes(b"real")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    assert safeio.read_bytes(tmp_path / "link.txt") == b"real"
    with pytest.raises(ZoomnewsError) as caught:
        safeio.read_bytes(tmp_path / "link.txt", follow=False)
    assert codes(caught.value) == ["ZN111"]


def test_missing_file_is_left_to_the_caller(tmp_path):
    with pytest.raises(FileNotFoundError):
        safeio.read_bytes(tmp_path / "missing.txt")


@given(st.binary(max_size=5000))
def test_read_bytes_returns_exactly_the_file(data):
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "f.bin"
        path.write_bytes(data)
        assert safeio.read_bytes(path) == data


@given(st.binary(max_size=200_000), st.integers(1, 300_000), st.data())
def test_read_chunks_gives_the_range_in_chunks_no_larger_than_asked(data, size, draw):
    start = draw.draw(st.integers(0, len(data) + 2), label="start")
    stop = draw.draw(st.none() | st.integers(start, len(data) + 2), label="stop")
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "f.bin"
        path.write_bytes(data)
        chunks = list(safeio.read_chunks(path, size=size, start=start, stop=stop))
    assert b"".join(chunks) == data[start:stop]
    assert all(0 < len(c) <= size for c in chunks)


@pytest.mark.parametrize("size", [1, 7, 1 << 16, 1 << 24])
def test_a_file_that_grows_while_read_is_read_to_its_new_end(tmp_path, size):
    # the first request is sized by fstat; what was appended after that is still read
    path = tmp_path / "growing.bin"
    path.write_bytes(b"a" * 100)
    chunks = safeio.read_chunks(path, size=size)
    with open(path, "ab") as f:
        f.write(b"b" * 200_000)
    assert b"".join(chunks) == b"a" * 100 + b"b" * 200_000


def test_read_text_refuses_invalid_utf8(tmp_path):
    """ZN102 naming the line and byte (a UnicodeDecodeError reached users as a traceback)."""
    (tmp_path / "bad.txt").write_bytes(b"fine\nalso \xff\xfe\n")
    with pytest.raises(ZoomnewsError) as error:
        safeio.read_text(tmp_path / "bad.txt", "bad.txt")
    [problem] = error.value.problems
    assert (problem.file, problem.line, problem.code) == ("bad.txt", 2, "ZN102") and "byte 5 of the line" in problem.message


# --- file modes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644, 0o755, 0o444], ids=oct)
def test_file_mode_kept_on_rewrite(tmp_path, mode):
    target = tmp_path / "kept-mode.txt"
    target.write_bytes(b"old")
    os.chmod(target, mode)
    safeio.write_file(target, b"new", tmp_path)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(os.stat(target).st_mode) == mode


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], ids=["022", "077", "002"])
def test_new_file_and_output_folder_follow_the_umask(tmp_path, umask):
    previous = os.umask(umask)
    try:
        assert safeio.umask() == umask
        assert os.umask(umask) == umask  # reading it did not change it
        safeio.write_file(tmp_path / "new.txt", b"new", tmp_path)
        safeio.replace_folder(tmp_path / "site", filler({"index.html": b"<p>"}), "render")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == 0o666 & ~umask
    assert stat.S_IMODE(os.stat(tmp_path / "site").st_mode) == 0o777 & ~umask  # not mkdtemp's private 0700


def test_output_folder_mode_kept_on_replace(tmp_path):
    make_output(tmp_path / "site", {"old.html": b"old"})
    os.chmod(tmp_path / "site", 0o750)
    safeio.replace_folder(tmp_path / "site", filler({"new.html": b"new"}), "render")
    assert stat.S_IMODE(os.stat(tmp_path / "site").st_mode) == 0o750


# --- replace_folder -----------------------------------------------------------------------------

def test_replace_folder_makes_a_new_marked_folder(tmp_path, repo_like):
    out = tmp_path / "exports" / "brat"
    result = safeio.replace_folder(out, filler({"a.txt": b"a", "sub/b.ann": b"b"}), "export --format brat", repo_like, PROTECTED)
    assert result == ["a.txt", "sub/b.ann"]
    assert files_of(tree(out)) == {"a.txt": b"a", "sub/b.ann": b"b", MARKER: (out / MARKER).read_bytes()}
    assert json.loads((out / MARKER).read_text()) == {"written_by": "zoomnews export --format brat",
                                                       "files": {"a.txt": hashlib.sha256(b"a").hexdigest(), "sub/b.ann": hashlib.sha256(b"b").hexdigest()}}
    assert leftovers(tmp_path) == []


def test_replace_folder_replaces_its_own_earlier_output(tmp_path, repo_like):
    out = tmp_path / "site"
    make_output(out, {"old.html": b"old", "docs/gone.html": b"gone"})
    safeio.replace_folder(out, filler({"index.html": b"new"}), "render", repo_like, PROTECTED)
    assert sorted(files_of(tree(out))) == [MARKER, "index.html"]
    assert (out / "index.html").read_bytes() == b"new"
    assert leftovers(tmp_path) == []


def test_replace_folder_replaces_its_output_when_files_were_only_removed(tmp_path):
    out = tmp_path / "site"
    make_output(out, {"old.html": b"old", "docs/gone.html": b"gone"})
    (out / "docs" / "gone.html").unlink()  # nothing of anyone's is lost by replacing it
    safeio.replace_folder(out, filler({"index.html": b"new"}), "render")
    assert sorted(files_of(tree(out))) == [MARKER, "index.html"]


@given(st.dictionaries(st.sampled_from(["a.txt", "b.ann", "sub/c.json"]), st.binary(max_size=20), min_size=1),
       st.sampled_from(["edit", "add", "remove", "none"]), st.data())
def test_an_output_is_replaced_exactly_when_nothing_in_it_was_added_or_changed(files, change, data):
    """Oracle: the set of paths whose bytes differ from, or are missing in, what zoomnews wrote."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        make_output(out, files)
        name = data.draw(st.sampled_from(sorted(files)))
        if change == "edit":
            (out / name).write_bytes(files[name] + data.draw(st.binary(min_size=0, max_size=3)))
        elif change == "add":
            (out / "added.txt").write_bytes(b"mine")
        elif change == "remove":
            (out / name).unlink()
        now = {rel: (out / rel).read_bytes() for rel in files_of(tree(out)) if rel != MARKER}
        lost = sorted(rel for rel, body in now.items() if files.get(rel) != body)
        assert safeio.edited_output(out) == lost
        before = tree(out)
        if lost:
            with pytest.raises(ZoomnewsError) as caught:
                safeio.replace_folder(out, filler({"x": b"x"}), "render")
            assert codes(caught.value) == ["ZN909"] and lost[0] in caught.value.problems[0].message
            assert tree(out) == before
        else:
            safeio.replace_folder(out, filler({"x": b"x"}), "render")
            assert files_of(tree(out))["x"] == b"x"


def test_replace_folder_fills_an_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    safeio.replace_folder(tmp_path / "empty", filler({"x": b"x"}), "render")
    assert (tmp_path / "empty" / "x").read_bytes() == b"x"


@given(st.dictionaries(st.from_regex(r"([a-z]{1,6}/)?[a-z0-9]{1,8}\.[a-z]{2,4}", fullmatch=True), st.binary(max_size=300), max_size=8),
       st.booleans())
def test_replace_folder_holds_exactly_what_fill_wrote(files, earlier):
    files = {rel: data for rel, data in files.items() if not any(other.startswith(rel.rsplit(".", 1)[0] + "/") for other in files)}
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        if earlier:
            make_output(out, {"earlier.txt": b"earlier"})
        safeio.replace_folder(out, filler(files), "export --format doccano")
        written = files_of(tree(out))
        assert written.pop(MARKER)
        assert written == files
        assert leftovers(Path(scratch)) == []


def _symlink_to_marked_output(tmp_path, repo_like):
    make_output(tmp_path / "real-out", {"old.txt": b"old"})
    (tmp_path / "out").symlink_to(tmp_path / "real-out", target_is_directory=True)
    return tmp_path / "out"


def _symlink_to_new_place(tmp_path, repo_like):
    (tmp_path / "out").symlink_to(tmp_path / "nowhere-yet", target_is_directory=True)
    return tmp_path / "out"


def _through_symlinked_parent_into_sources(tmp_path, repo_like):
    (tmp_path / "shortcut").symlink_to(repo_like / "annotations", target_is_directory=True)
    return tmp_path / "shortcut" / "site"


@pytest.mark.parametrize("where", [
    pytest.param(lambda tmp, repo: repo, id="the-repository"),
    pytest.param(lambda tmp, repo: repo.parent, id="a-folder-holding-the-repository"),
    pytest.param(lambda tmp, repo: Path("/"), id="the-file-system-root"),
    pytest.param(lambda tmp, repo: repo / "corpus", id="a-protected-folder"),
    pytest.param(lambda tmp, repo: repo / "annotations" / "site", id="inside-a-protected-folder"),
    pytest.param(lambda tmp, repo: repo / "releases" / "9.9.9" / "deeper", id="deep-inside-a-protected-folder"),
    pytest.param(lambda tmp, repo: repo / "corpus" / ".." / "schema" / "out", id="dot-dot-into-a-protected-folder"),
    pytest.param(_symlink_to_marked_output, id="a-symlink-to-a-marked-output"),
    pytest.param(_symlink_to_new_place, id="a-symlink-to-a-new-place"),
    pytest.param(_through_symlinked_parent_into_sources, id="through-a-symlinked-parent-into-sources"),
])
def test_replace_folder_refuses_unsafe_outputs(tmp_path, repo_like, where):
    out = where(tmp_path, repo_like)
    before = tree(tmp_path)
    called = []
    with pytest.raises(ZoomnewsError) as caught:
        safeio.replace_folder(out, lambda folder: called.append(folder), "render", repo_like, PROTECTED)
    assert codes(caught.value) == ["ZN909"]
    assert called == []
    assert tree(tmp_path) == before


def _old_marker(out: Path) -> None:  # an older zoomnews's marker, which recorded no files
    out.mkdir()
    (out / "index.html").write_bytes(b"<p>written by zoomnews, or edited since?</p>")
    (out / MARKER).write_text(json.dumps({"written_by": "zoomnews render"}) + "\n")


@pytest.mark.parametrize("make", [
    pytest.param(lambda out: make_output(out, {"a.ann": b"T1"}) or (out / "a.ann").write_bytes(b"T1 edited"), id="a-file-edited-since"),
    pytest.param(lambda out: make_output(out, {"a.ann": b"T1"}) or (out / "notes.txt").write_bytes(b"mine"), id="a-file-added-since"),
    pytest.param(lambda out: make_output(out, {"a.ann": b"T1"}) or (out / "sub").mkdir() or (out / "sub" / "x").write_bytes(b"x"),
                 id="a-file-added-in-a-new-folder"),
    pytest.param(lambda out: make_output(out, {"a.ann": b"T1"}) or (out / "a.ann").unlink() or (out / "a.ann").symlink_to("/etc/hostname"),
                 id="a-file-made-a-link"),
    pytest.param(_old_marker, id="a-marker-recording-no-files"),
    pytest.param(lambda out: (out.mkdir(), (out / "notes.txt").write_bytes(b"mine")), id="a-folder-zoomnews-did-not-write"),
    pytest.param(lambda out: (out.mkdir(), (out / MARKER).mkdir()), id="a-marker-that-is-a-folder"),
    pytest.param(lambda out: out.write_bytes(b"a file"), id="a-file"),
])
def test_replace_folder_refuses_what_it_did_not_write(tmp_path, make):
    out = tmp_path / "out"
    make(out)
    before = tree(tmp_path)
    with pytest.raises(ZoomnewsError) as caught:
        safeio.replace_folder(out, filler({"x": b"x"}), "render")
    assert codes(caught.value) == ["ZN909"]
    assert tree(tmp_path) == before


@pytest.mark.parametrize("earlier", [False, True])
@pytest.mark.parametrize("error", [ValueError("bug in fill"), KeyboardInterrupt(), OSError(errno.EIO, "I/O error")])
def test_an_exception_in_fill_leaves_the_old_output(tmp_path, earlier, error):
    out = tmp_path / "out"
    if earlier:
        make_output(out, {"old.txt": b"old", "sub/older.txt": b"older"})
    before = tree(tmp_path)

    def fill(folder):
        (folder / "half.txt").write_bytes(b"half")
        raise error

    with pytest.raises(ZoomnewsError if isinstance(error, OSError) else type(error)) as caught:
        safeio.replace_folder(out, fill, "render")
    if isinstance(error, OSError):
        assert codes(caught.value) == ["ZN910"]
    assert tree(tmp_path) == before


def test_a_zoomnews_error_in_fill_passes_through(tmp_path):
    from zoomnews.errors import Problem

    with pytest.raises(ZoomnewsError) as caught:
        safeio.replace_folder(tmp_path / "out", lambda folder: (_ for _ in ()).throw(ZoomnewsError(Problem("x", None, "ZN602", "bad"))), "render")
    assert codes(caught.value) == ["ZN602"]
    assert tree(tmp_path) == {}


# --- the fault hook, in process (ENOSPC mode): a failure at any step changes nothing -------------

def _three_files(root: Path) -> dict[Path, bytes]:
    (root / "sub").mkdir(parents=True, exist_ok=True)
    (root / "a.jsonl").write_bytes(b'{"old": 1}\n' * 50)
    (root / "sub" / "b.jsonl").write_bytes(b"old b\n")
    os.chmod(root / "sub" / "b.jsonl", 0o640)
    return {Path("a.jsonl"): b'{"new": 2}\n' * 70, Path("sub/b.jsonl"): "new b ✓\n", Path("sub/c.jsonl"): b"brand new\n"}


def test_fault_hook_counts_steps_and_does_nothing_unset(tmp_path, monkeypatch):
    monkeypatch.delenv(safeio.FAULT_AFTER, raising=False)
    files = _three_files(tmp_path)
    assert steps_of(lambda: safeio.write_files(files, tmp_path)) == 3 * len(files)  # half written, complete, replaced
    assert (tmp_path / "sub" / "c.jsonl").read_bytes() == b"brand new\n"


def test_enospc_at_each_step_of_write_files_changes_nothing(tmp_path):
    scratch = tmp_path / "count"
    files = _three_files(scratch)
    total = steps_of(lambda: safeio.write_files(files, scratch))
    assert total >= 9
    for step in range(1, total + 1):
        root = tmp_path / f"step-{step}"
        files = _three_files(root)
        before = tree(root)
        with enospc_at(step), pytest.raises(ZoomnewsError) as caught:
            safeio.write_files(files, root)
        assert codes(caught.value) == ["ZN910"], step
        assert "no space left" in caught.value.problems[0].message
        assert tree(root) == before, f"step {step}: files changed or temporary files left"


def test_enospc_without_hard_links_loses_nothing(tmp_path, monkeypatch):
    """On a file system without hard links a replaced file cannot be put back: it stays new, but
    nothing is lost, half-written or left behind."""
    def no_links(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    scratch = tmp_path / "count"
    files = _three_files(scratch)
    total = steps_of(lambda: safeio.write_files(files, scratch))
    for step in range(1, total + 1):
        root = tmp_path / f"step-{step}"
        files = _three_files(root)
        before = files_of(tree(root))
        with enospc_at(step), pytest.raises(ZoomnewsError):
            safeio.write_files(files, root)
        after = files_of(tree(root))
        new = {rel.as_posix(): data.encode() if isinstance(data, str) else data for rel, data in files.items()}
        assert set(before) <= set(after) <= set(before) | set(new), step
        for rel, data in after.items():
            assert data in (before.get(rel), new.get(rel)), (step, rel)


def _folder_case(root: Path, earlier: bool) -> Path:
    out = root / "out"
    root.mkdir(parents=True)
    (root / "bystander.txt").write_bytes(b"bystander")
    if earlier:
        make_output(out, {"old.txt": b"old", "docs/old.html": b"<p>old"})
    return out


NEW_TREE = {"index.html": b"<p>new", "docs/a.html": b"<p>a", "style.css": b"p{}"}


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "move-aside"])
@pytest.mark.parametrize("earlier", [False, True], ids=["new-folder", "over-earlier-output"])
def test_enospc_at_each_step_of_replace_folder_changes_nothing(tmp_path, monkeypatch, earlier, exchange):
    if not exchange:  # a system without RENAME_EXCHANGE: the earlier output is moved aside, then put back
        monkeypatch.setattr(safeio, "_renameat2_exchange", lambda a, b: False)
    out = _folder_case(tmp_path / "count", earlier)
    total = steps_of(lambda: safeio.replace_folder(out, filler(NEW_TREE), "render"))
    assert total >= 2
    for step in range(1, total + 1):
        root = tmp_path / f"step-{step}"
        out = _folder_case(root, earlier)
        before = tree(root)
        with enospc_at(step), pytest.raises(ZoomnewsError) as caught:
            safeio.replace_folder(out, filler(NEW_TREE), "render")
        assert codes(caught.value) == ["ZN910"], step
        assert tree(root) == before, f"step {step}: output changed or temporary folders left"


def test_environment_problem_names_the_file_and_reason():
    problem = safeio.environment_problem(OSError(errno.EROFS, "Read-only file system", "/x/y"))
    assert (problem.code, problem.file) == ("ZN910", "/x/y")
    assert "read-only" in problem.message
    assert safeio.environment_problem(OSError(errno.ENOSPC, "No space"), "README.md").file == "README.md"


# --- the fault hook in a subprocess (SIGKILL): each file old or new, leftovers only TEMP_PREFIX ---

KILL_SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from zoomnews import safeio

    spec = json.loads(Path(sys.argv[1]).read_text())
    root = Path(spec["root"])
    if spec["kind"] == "files":
        safeio.write_files({Path(rel): bytes.fromhex(data) for rel, data in spec["files"].items()}, root)
    else:
        def fill(folder):
            for rel, data in spec["files"].items():
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                (folder / rel).write_bytes(bytes.fromhex(data))
        safeio.replace_folder(root / "out", fill, "render")
    print(safeio.steps_taken())
""")


def _run_killable(spec: dict, workdir: Path, step: int | None) -> subprocess.CompletedProcess:
    spec_file = workdir / "spec.json"
    spec_file.write_text(json.dumps(spec))
    env = {k: v for k, v in os.environ.items() if k not in (safeio.FAULT_AFTER, safeio.FAULT_MODE)}
    if step is not None:
        env[safeio.FAULT_AFTER] = str(step)
    return subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(spec_file)], env=env, capture_output=True, text=True, timeout=120)


def _old_files(root: Path) -> None:
    (root / "sub").mkdir(parents=True)
    (root / "a.jsonl").write_bytes(b"old a\n" * 100)
    (root / "sub" / "b.jsonl").write_bytes(b"old b\n")
    (root / "bystander").write_bytes(b"untouched")


NEW_FILES = {"a.jsonl": b"new a\n" * 300, "sub/b.jsonl": b"new b\n" * 3, "sub/c.jsonl": b"new c\n"}


def test_sigkill_at_each_step_of_write_files(tmp_path):
    count = tmp_path / "count"
    _old_files(count)
    spec = {"kind": "files", "root": str(count), "files": {rel: data.hex() for rel, data in NEW_FILES.items()}}
    done = _run_killable(spec, tmp_path, None)
    assert done.returncode == 0, done.stderr
    total = int(done.stdout)
    assert total == 3 * len(NEW_FILES)
    killed_with_leftovers = 0
    for step in range(1, total + 2):
        root = tmp_path / f"step-{step}"
        _old_files(root)
        old = files_of(tree(root))
        run = _run_killable({**spec, "root": str(root)}, tmp_path, step)
        after = files_of(tree(root))
        if step <= total:
            assert run.returncode == -signal.SIGKILL, (step, run.stderr)
        else:
            assert run.returncode == 0, run.stderr
            assert leftovers(root) == []
        for rel in set(old) | set(NEW_FILES) | set(after):
            if rel.split("/")[-1].startswith(TEMP_PREFIX):
                killed_with_leftovers += 1
                continue
            assert after.get(rel) in (old.get(rel), NEW_FILES.get(rel)), f"step {step}: {rel} is neither old nor new"
        if step > total:
            assert after == {**old, **NEW_FILES}
    assert killed_with_leftovers  # some kills did leave temporary files: they are named TEMP_PREFIX…


@pytest.mark.parametrize("earlier", [False, True], ids=["new-folder", "over-earlier-output"])
def test_sigkill_at_each_step_of_replace_folder(tmp_path, earlier):
    """After a kill the output folder is wholly the earlier one (or absent) or wholly the new one."""
    def prepare(root: Path) -> None:
        root.mkdir()
        if earlier:
            make_output(root / "out", {"old.txt": b"old", "docs/old.html": b"<p>old"})

    spec = {"kind": "folder", "files": {rel: data.hex() for rel, data in NEW_TREE.items()}}
    prepare(tmp_path / "count")
    done = _run_killable({**spec, "root": str(tmp_path / "count")}, tmp_path, None)
    assert done.returncode == 0, done.stderr
    total = int(done.stdout)
    new_out = {rel: entry for rel, entry in tree(tmp_path / "count" / "out").items()}
    for step in range(1, total + 2):
        root = tmp_path / f"step-{step}"
        prepare(root)
        old_out = tree(root / "out") if earlier else None
        run = _run_killable({**spec, "root": str(root)}, tmp_path, step)
        assert run.returncode == (-signal.SIGKILL if step <= total else 0), (step, run.stderr)
        out = tree(root / "out") if (root / "out").exists() else None
        assert out in (old_out, new_out), f"step {step}: the output folder is a mix"
        assert all(name.startswith(TEMP_PREFIX) for name in os.listdir(root) if name != "out"), os.listdir(root)
        if step > total:
            assert os.listdir(root) == ["out"]


@pytest.mark.parametrize("first, edit", [
    (["suggest", "crn-2020-08-03"], lambda out: (out / "entities.jsonl").write_text(
        (out / "entities.jsonl").read_text(encoding="utf-8") + '{"reviewed": "by a person"}\n', encoding="utf-8")),
    (["export", "--format", "brat"], lambda out: (out / "notes.txt").write_text("mine\n", encoding="utf-8")),
])
def test_running_a_command_again_never_loses_what_was_done_in_its_output(repo_copy, tmp_path, first, edit):
    """`suggest` writes a folder that is reviewed in place, an export one that a tool may add to:
    running the command again refuses (ZN909) instead of replacing the work done there since."""
    from click.testing import CliRunner

    from zoomnews.cli import main

    out = tmp_path / "out"
    command = [*first, "--out", str(out)] if first[0] == "suggest" else [*first, str(out)]
    done = CliRunner().invoke(main, [*command, "--repo", str(repo_copy.root)])
    assert done.exit_code == 0, done.output
    again = CliRunner().invoke(main, [*command, "--repo", str(repo_copy.root)])
    assert again.exit_code == 0, again.output  # as written, the output may be replaced
    edit(out)
    before = tree(out)
    refused = CliRunner().invoke(main, [*command, "--repo", str(repo_copy.root)])
    assert refused.exit_code == 1 and "ZN909" in refused.output and "Traceback" not in refused.output, refused.output
    assert tree(out) == before


@given(st.binary(max_size=3 * safeio.MIN_READ + 7), st.sampled_from([None, 0, -1, +1, -5000, +5000]), st.sampled_from([None, 1, 3, 4096]))
def test_read_bytes_reads_the_whole_file_whatever_fstat_and_read_say(data, size_off_by, read_at_most):
    """read_bytes asks for what fstat counted (and a byte more) and reads on to an empty read: a file
    that grew or shrank since fstat (its size told too small or too large), or reads that return
    less than asked (as a signal can make them), still give every byte."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "raw.txt"
        path.write_bytes(data)
        real_fstat, real_read = os.fstat, os.read

        def fstat(fd):
            info = real_fstat(fd)
            if size_off_by is None:
                return info
            fields = list(info)
            fields[stat.ST_SIZE] = max(0, info.st_size + size_off_by)
            return os.stat_result(fields)

        def read(fd, n):
            return real_read(fd, n if read_at_most is None else min(n, read_at_most))

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(safeio.os, "fstat", fstat)
            patch.setattr(safeio.os, "read", read)
            assert safeio.read_bytes(path) == data
