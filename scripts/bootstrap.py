"""Set up (once) and enter the project's virtual environment, so the README's two commands need only python3.

The environment lives in .venv/ and is reinstalled whenever pyproject.toml changes (its sha256 is
stamped inside, with the extras installed). Versions are pinned in pyproject.toml, so every machine
gets the same packages. When the stamp matches, nothing is printed.

The first set-up takes a few minutes, so it says what it installs and how far it has got: pip's
output is read as it comes and condensed (pip_progress) into what is being collected, downloaded
or built (with a count), then the packages installed out of the total (counted as their
*.dist-info folders appear). On a terminal that is one line redrawn in place; in a log (CI) it is a
line per step, and a few lines only when everything is already installed. If pip fails, its whole
output is printed, then the exit code, never a traceback.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
STAMP = VENV / "zoomnews-installed.sha256"
# what the test suite needs: tests/test_distributed.py runs validate on a local Spark (Java 17+), and
# tests/test_labelstudio.py checks every export with label-studio-sdk's own checks
TEST_EXTRAS = ("test", "spark", "labelstudio")


def venv_bin(name: str) -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin") / name


def pinned(extras: list[str]) -> list[str]:
    """The requirements pyproject.toml pins for the package and `extras` (what the set-up installs
    directly; pip adds what they depend on)."""
    try:
        import tomllib

        project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    except (ImportError, OSError, ValueError, KeyError):
        return []
    wanted = list(project.get("dependencies", []))
    for extra in extras:
        wanted += [r for r in project.get("optional-dependencies", {}).get(extra, []) if r not in wanted]
    return wanted


def pip_command(extras: list[str]) -> list[str]:
    return [str(venv_bin("python")), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off",
            "--editable", f"{ROOT}[{','.join(extras)}]"]


def ensure_environment(extras: tuple[str, ...] = ("test",)) -> None:
    """The virtual environment with the package and `extras` installed, unless it already has them
    for this pyproject.toml (the stamp records its sha256 and the extras installed)."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = STAMP.read_text().split() if STAMP.exists() else []
    if stamp[:1] == [wanted] and set(extras) <= set(stamp[1:]) and venv_bin("zoomnews").exists():
        return
    installed = sorted(set(extras) | (set(stamp[1:]) if stamp[:1] == [wanted] else set()))
    requirements = pinned(installed)
    if venv_bin("python").exists():
        print(f"updating {VENV} (pyproject.toml or the extras asked for changed): zoomnews with extras {', '.join(installed)},"
              " at the versions pinned in pyproject.toml", flush=True)
    else:
        print(f"setting up {VENV}: zoomnews with extras {', '.join(installed)}, at the versions pinned in pyproject.toml"
              " (the first run takes a few minutes)", flush=True)
    if requirements:
        print(f"  pinned ({len(requirements)}): {shorten(', '.join(requirements), 400)}; pip adds what they depend on", flush=True)
    if not venv_bin("python").exists():
        print("  creating the virtual environment", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    code, transcript = pip_progress(pip_command(installed), site_packages())
    if code != 0:
        sys.stdout.write("".join(transcript))
        sys.stdout.flush()
        print(f"error: setting up {VENV} failed: pip exited with code {code} (its output is above); fix that and run again",
              file=sys.stderr, flush=True)
        sys.exit(code)
    print(f"{VENV} is ready", flush=True)
    STAMP.write_text(" ".join([wanted, *installed]) + "\n")


def site_packages() -> Path | None:
    """The environment's site-packages folder (where pip puts each package's *.dist-info)."""
    found = sorted(VENV.glob("Lib/site-packages" if os.name == "nt" else "lib/python*/site-packages"))
    return found[-1] if found else None


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


def duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


COLLECTING = re.compile(r"^Collecting (\S+)")
PROCESSING = re.compile(r"^Processing (\S+)")  # a wheel from a local folder (find-links, a file index)
EDITABLE = re.compile(r"^Obtaining (\S+)")  # the package itself
SATISFIED = re.compile(r"^Requirement already satisfied: (\S+)")
DOWNLOADING = re.compile(r"^\s*Downloading (\S+)(?: \(([^)]+)\))?")
BUILDING = re.compile(r"^\s*Building (?:wheel|editable) for (\S+) \(.*\): started")
INSTALLING = re.compile(r"^Installing collected packages: (.*)")
SUCCESS = re.compile(r"^Successfully installed (.*)")


class Status:
    """What the set-up shows: permanent lines (`say`), and the current step (`show`), redrawn in
    place on a terminal and printed as a line of its own in a log when `log` asks for it."""

    def __init__(self, stream=None, terminal: bool | None = None):
        self.stream = sys.stdout if stream is None else stream
        self.terminal = _is_terminal(self.stream) if terminal is None else terminal
        self.lock = threading.Lock()
        self.shown = False

    def _clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K")
            self.shown = False

    def say(self, text: str) -> None:
        with self.lock:
            self._clear()
            self.stream.write(text + "\n")
            self.stream.flush()

    def show(self, text: str, log: bool = True) -> None:
        with self.lock:
            if self.terminal:
                self._clear()
                self.stream.write(shorten(text, shutil.get_terminal_size((100, 24)).columns - 1))
                self.shown = True
            elif log:
                self.stream.write(text + "\n")
            self.stream.flush()

    def done(self) -> None:
        with self.lock:
            self._clear()
            self.stream.flush()


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError, OSError):
        return False


class PipProgress:
    """pip's output, line by line, condensed into what the set-up is doing and how far it has got."""

    def __init__(self, status: Status, site: Path | None = None):
        self.status, self.site = status, site
        self.collected: list[str] = []
        self.satisfied = 0
        self.to_install: list[str] = []
        self.installed: list[str] = []
        self.started = time.monotonic()
        self.install_started = 0.0
        self.before: dict[str, float] = {}
        self.watcher: threading.Thread | None = None
        self.stop = threading.Event()

    def feed(self, line: str) -> None:
        line = line.rstrip("\n")
        if m := COLLECTING.match(line) or PROCESSING.match(line) or EDITABLE.match(line):
            name = m.group(1)
            if m.re is EDITABLE:
                name = f"zoomnews (editable, from {name.removeprefix('file://')})"
            elif m.re is PROCESSING and (wheel := re.match(r"([^-/]+)-([^-]+)-", name.rsplit("/", 1)[-1])):
                name = f"{wheel.group(1)}=={wheel.group(2)}"
            self.collected.append(name)
            self.status.show(f"  collecting [{len(self.collected)}] {name}")
        elif SATISFIED.match(line):
            self.satisfied += 1
            self.status.show(f"  {self.satisfied} requirement(s) already installed", log=False)
        elif m := DOWNLOADING.match(line):
            name, size = m.group(1).rsplit("/", 1)[-1], m.group(2)
            big = size is not None and size.endswith((" MB", " GB"))
            self.status.show(f"  collecting [{len(self.collected)}] downloading {name}" + (f" ({size})" if size else ""), log=big)
        elif m := BUILDING.match(line):
            self.status.show(f"  building {m.group(1)} from its source")
        elif m := INSTALLING.match(line):
            self._install_phase([name.strip() for name in m.group(1).split(",") if name.strip()])
        elif m := SUCCESS.match(line):
            self.installed = m.group(1).split()
        elif line.startswith("ERROR:"):  # e.g. the resolver's note on conflicting pins, printed even on success
            self.status.say(line)

    def _install_phase(self, names: list[str]) -> None:
        self.to_install = names
        self.status.say(f"  collected {len(self.collected)} package(s) in {duration(time.monotonic() - self.started)}"
                        + (f"; {self.satisfied} already installed" if self.satisfied else ""))
        self.status.say(f"  installing {len(names)} package(s): {shorten(', '.join(names), 300)}")
        self.install_started = time.time()
        self.before = self._dist_infos()
        if self.site is not None and len(names) > 1:
            self.watcher = threading.Thread(target=self._watch, daemon=True)
            self.watcher.start()

    def _dist_infos(self) -> dict[str, float]:
        if self.site is None:
            return {}
        try:
            return {entry.name: entry.stat().st_mtime for entry in os.scandir(self.site) if entry.name.endswith(".dist-info")}
        except OSError:
            return {}

    def installed_so_far(self) -> int:
        """Packages installed since the install step began: *.dist-info folders new or made since."""
        now = self._dist_infos()
        fresh = [name for name, mtime in now.items() if name not in self.before or mtime >= self.install_started - 1]
        return min(len(fresh), len(self.to_install))

    def _watch(self) -> None:
        total, step, last = len(self.to_install), max(1, len(self.to_install) // 10), -1
        while not self.stop.wait(0.5):
            done = self.installed_so_far()
            if done == last:
                continue
            now = self.to_install[done] if done < total else "finishing"
            width = 20
            filled = width * done // total
            self.status.show(f"  installing [{'#' * filled}{'.' * (width - filled)}] {done}/{total}, now {now}",
                             log=done // step != last // step)
            last = done

    def finish(self, code: int) -> None:
        self.stop.set()
        if self.watcher is not None:
            self.watcher.join()
        self.status.done()
        if code != 0:
            return
        took = duration(time.monotonic() - self.started)
        if self.to_install:
            self.status.say(f"  installed {len(self.installed) or len(self.to_install)} package(s) in {took}")
        else:
            self.status.say(f"  everything was already installed ({self.satisfied} requirement(s), {took})")


def pip_progress(command: list[str], site: Path | None = None, stream=None) -> tuple[int, list[str]]:
    """Run pip `command`, showing its progress (PipProgress); its exit code and its whole output."""
    progress = PipProgress(Status(stream), site)
    transcript: list[str] = []
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "PIP_NO_COLOR": "1", "PIP_PROGRESS_BAR": "off"}
    try:
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                              encoding="utf-8", errors="replace", bufsize=1, env=environment) as pip:
            for line in pip.stdout:
                transcript.append(line)
                progress.feed(line)
            code = pip.wait()
    except OSError as e:
        transcript.append(f"cannot run {command[0]}: {e}\n")
        code = 127
    progress.finish(code)
    return code, transcript


BROWSER = ("/usr/bin/chromium", "/usr/bin/chromedriver")


def ensure_browser() -> None:
    """Debian's Chromium and ChromeDriver for the viewer's browser test (tests/test_render_browser.py)."""
    if all(Path(p).exists() for p in BROWSER):
        return
    if not Path("/usr/bin/apt-get").exists() or os.geteuid() != 0:
        print("note: Chromium is not installed and cannot be installed here (needs apt-get as root); the browser test will fail", flush=True)
        return
    print("installing Debian's chromium and chromium-driver for the browser test (apt-get, a minute or two)...", flush=True)
    quiet = {"stdout": subprocess.DEVNULL, "env": {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}}
    for step, command in (("updating the package lists", ["apt-get", "update", "-qq"]),
                          ("installing chromium and chromium-driver", ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"])):
        print(f"  {step}", flush=True)
        code = subprocess.run(command, **quiet).returncode
        if code != 0:
            print(f"error: `{' '.join(command)}` failed with exit code {code}", file=sys.stderr, flush=True)
            sys.exit(code)


def run(argv: list[str], env: dict | None = None, extras: tuple[str, ...] = ("test",)) -> int:
    ensure_environment(extras)
    environment = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", **(env or {})}
    environment["PATH"] = f"{venv_bin('python').parent}{os.pathsep}{environment.get('PATH', '')}"
    return subprocess.run(argv, cwd=ROOT, env=environment).returncode


if __name__ == "__main__":
    ensure_environment()
