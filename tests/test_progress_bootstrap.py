"""The first set-up (scripts/bootstrap.py, behind `python3 scripts/main.py` and `scripts/test.py`)
says what it installs and how far it has got, says little when everything is installed, says
nothing when the stamp matches, and gives pip's own output and exit code when pip fails.

pip is replaced by a small program printing what pip 23 prints (a transcript) and creating the
*.dist-info folders pip would, so no test installs anything.
"""

import hashlib
import importlib.util
import io
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location("zoomnews_bootstrap", ROOT / "scripts" / "bootstrap.py")
bootstrap = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bootstrap)

FIRST_RUN = """\
Obtaining file:///work/zoomnews
  Installing build dependencies: started
  Installing build dependencies: finished with status 'done'
Collecting datasets==5.2.0 (from zoomnews==0.1.0)
  Downloading datasets-5.2.0-py3-none-any.whl (608 kB)
Collecting pyarrow==26.0.1 (from zoomnews==0.1.0)
  Downloading pyarrow-26.0.1-cp311-cp311-manylinux_2_28_x86_64.whl (55.0 MB)
Processing /opt/pypi/files/numpy-2.4.6-cp311-cp311-manylinux_2_28_x86_64.whl (from datasets==5.2.0)
Requirement already satisfied: pip in ./.venv/lib/python3.11/site-packages
Building wheels for collected packages: zoomnews
  Building editable for zoomnews (pyproject.toml): started
  Building editable for zoomnews (pyproject.toml): finished with status 'done'
Installing collected packages: numpy, pyarrow, datasets, zoomnews
Successfully installed datasets-5.2.0 numpy-2.4.6 pyarrow-26.0.1 zoomnews-0.1.0
"""

ALREADY_INSTALLED = "Obtaining file:///work/zoomnews\n" + "".join(
    f"Requirement already satisfied: {name} in ./.venv/lib/python3.11/site-packages (from zoomnews==0.1.0)\n"
    for name in ("datasets==5.2.0", "pyarrow==26.0.1", "click==8.5.1", "rich==15.0.0", "numpy", "pandas")
) + "Installing collected packages: zoomnews\nSuccessfully installed zoomnews-0.1.0\n"


def condensed(transcript: str, terminal: bool = False) -> str:
    out = io.StringIO()
    progress = bootstrap.PipProgress(bootstrap.Status(out, terminal=terminal))
    for line in transcript.splitlines(keepends=True):
        progress.feed(line)
    progress.finish(0)
    return out.getvalue()


def test_a_log_gets_each_package_and_the_counts():
    out = condensed(FIRST_RUN)
    lines = out.splitlines()
    assert "  collecting [1] zoomnews (editable, from /work/zoomnews)" in lines
    assert "  collecting [2] datasets==5.2.0" in lines and "  collecting [4] numpy==2.4.6" in lines
    assert any("downloading pyarrow-26.0.1" in line and "(55.0 MB)" in line for line in lines)  # a big download says so
    assert not any("datasets-5.2.0-py3-none-any.whl" in line for line in lines)  # a small one does not
    assert any(line.startswith("  collected 4 package(s)") and "1 already installed" in line for line in lines)
    assert "  installing 4 package(s): numpy, pyarrow, datasets, zoomnews" in lines
    assert lines[-1].startswith("  installed 4 package(s) in ")
    assert "\r" not in out and "\x1b" not in out


def test_everything_installed_says_little():
    lines = condensed(ALREADY_INSTALLED).splitlines()
    assert len(lines) <= 4
    assert any("6 already installed" in line for line in lines)
    assert lines[-1].startswith("  installed 1 package(s)")


def test_a_terminal_gets_one_line_redrawn_in_place():
    out = condensed(FIRST_RUN, terminal=True)
    assert "\r\x1b[2K" in out
    assert out.count("\n") == 3  # only collected, installing and installed stay; the steps are redrawn
    assert "collecting [4] numpy==2.4.6" in out


def test_installing_counts_the_packages_as_they_appear(tmp_path):
    site = tmp_path / "site-packages"
    site.mkdir()
    (site / "old-1.0.dist-info").mkdir()
    os.utime(site / "old-1.0.dist-info", (1_600_000_000, 1_600_000_000))  # installed long before
    progress = bootstrap.PipProgress(bootstrap.Status(io.StringIO(), terminal=False), site)
    progress.started = 0
    progress._install_phase(["a", "b", "c"])
    assert progress.installed_so_far() == 0
    (site / "a-1.0.dist-info").mkdir()
    (site / "b-2.0.dist-info").mkdir()
    assert progress.installed_so_far() == 2
    progress.finish(0)
    assert progress.watcher is None or not progress.watcher.is_alive()


# --- ensure_environment, with pip replaced --------------------------------------------------------

FAKE_PIP = textwrap.dedent("""\
    import os, sys
    site, code = sys.argv[1], int(sys.argv[2])
    sys.stdout.write(sys.argv[3])
    for name in sys.argv[4:]:
        os.makedirs(os.path.join(site, name + "-1.0.dist-info"))
    sys.exit(code)
""")


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A checkout with a pyproject.toml and a virtual environment (its python never runs)."""
    root = tmp_path / "checkout"
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (root / ".venv" / "bin" / "python").write_text("")
    (root / "pyproject.toml").write_text('[project]\nname = "zoomnews"\ndependencies = ["click==8.5.1"]\n'
                                         '[project.optional-dependencies]\ntest = ["pytest==9.2.0"]\n')
    monkeypatch.setattr(bootstrap, "ROOT", root)
    monkeypatch.setattr(bootstrap, "VENV", root / ".venv")
    monkeypatch.setattr(bootstrap, "STAMP", root / ".venv" / "zoomnews-installed.sha256")
    return root


def fake_pip(monkeypatch, checkout, transcript: str, code: int = 0, packages: tuple[str, ...] = ()):
    site = checkout / ".venv" / "lib" / "python3.11" / "site-packages"
    monkeypatch.setattr(bootstrap, "pip_command", lambda extras: [sys.executable, "-c", FAKE_PIP, str(site), str(code), transcript, *packages])


def test_a_matching_stamp_prints_nothing_and_runs_no_pip(checkout, monkeypatch, capsys):
    (checkout / ".venv" / "bin" / "zoomnews").write_text("")
    wanted = hashlib.sha256((checkout / "pyproject.toml").read_bytes()).hexdigest()
    bootstrap.STAMP.write_text(f"{wanted} test\n")

    def no_pip(*args, **kwargs):
        raise AssertionError("pip ran although the stamp matches")

    monkeypatch.setattr(subprocess, "Popen", no_pip)
    bootstrap.ensure_environment(("test",))
    assert capsys.readouterr() == ("", "")


def test_a_first_run_says_what_it_installs_and_stamps(checkout, monkeypatch, capsys):
    fake_pip(monkeypatch, checkout, FIRST_RUN, packages=("numpy", "pyarrow", "datasets", "zoomnews"))
    bootstrap.ensure_environment(("test",))
    out = capsys.readouterr().out
    assert "extras test" in out and "pinned (2): click==8.5.1, pytest==9.2.0" in out
    assert "collecting [3] pyarrow==26.0.1" in out and "installing 4 package(s)" in out and "installed 4 package(s)" in out
    assert out.rstrip().endswith("is ready")
    wanted = hashlib.sha256((checkout / "pyproject.toml").read_bytes()).hexdigest()
    assert bootstrap.STAMP.read_text().split() == [wanted, "test"]


def test_a_new_extra_reinstalls_and_keeps_the_old_ones(checkout, monkeypatch, capsys):
    wanted = hashlib.sha256((checkout / "pyproject.toml").read_bytes()).hexdigest()
    bootstrap.STAMP.write_text(f"{wanted} test\n")
    (checkout / ".venv" / "bin" / "zoomnews").write_text("")
    fake_pip(monkeypatch, checkout, ALREADY_INSTALLED)
    bootstrap.ensure_environment(("spark",))
    assert "extras spark, test" in capsys.readouterr().out
    assert bootstrap.STAMP.read_text().split() == [wanted, "spark", "test"]


def test_pip_failing_gives_its_output_and_exit_code(checkout, monkeypatch, capsys):
    fake_pip(monkeypatch, checkout, "Collecting nosuchpackage==1.0\nERROR: No matching distribution found for nosuchpackage==1.0\n", code=3)
    with pytest.raises(SystemExit) as stopped:
        bootstrap.ensure_environment(("test",))
    out, err = capsys.readouterr()
    assert stopped.value.code == 3
    assert "ERROR: No matching distribution found for nosuchpackage==1.0" in out
    assert "pip exited with code 3" in err and "Traceback" not in err
    assert not bootstrap.STAMP.exists()


def test_an_error_pip_prints_on_success_is_shown():
    note = "ERROR: pip's dependency resolver does not currently take into account all the packages that are installed."
    assert note in condensed(ALREADY_INSTALLED + note + "\n").splitlines()
