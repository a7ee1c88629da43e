"""Set up (once) and enter the project's virtual environment, so the README's two commands need only python3.

The environment lives in .venv/ and is reinstalled whenever pyproject.toml changes (its sha256 is
stamped inside). Versions are pinned in pyproject.toml, so every machine gets the same packages.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
STAMP = VENV / "zoomnews-installed.sha256"


def venv_bin(name: str) -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin") / name


def ensure_environment(extras: tuple[str, ...] = ("test",)) -> None:
    """The virtual environment with the package and `extras` installed, unless it already has them
    for this pyproject.toml (the stamp records its sha256 and the extras installed)."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = STAMP.read_text().split() if STAMP.exists() else []
    if stamp[:1] == [wanted] and set(extras) <= set(stamp[1:]) and venv_bin("zoomnews").exists():
        return
    installed = sorted(set(extras) | (set(stamp[1:]) if stamp[:1] == [wanted] else set()))
    print(f"setting up {VENV} with the versions pinned in pyproject.toml, extras {', '.join(installed)} (the first run takes"
          " a few minutes; pip shows each package as it goes)", flush=True)
    if not venv_bin("python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(venv_bin("python")), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "on"]
    subprocess.run([*pip, "--editable", f"{ROOT}[{','.join(installed)}]"], check=True)
    print(f"{VENV} is ready", flush=True)
    STAMP.write_text(" ".join([wanted, *installed]) + "\n")


BROWSER = ("/usr/bin/chromium", "/usr/bin/chromedriver")


def ensure_browser() -> None:
    """Debian's Chromium and ChromeDriver for the viewer's browser test (tests/test_render_browser.py)."""
    if all(Path(p).exists() for p in BROWSER):
        return
    if not Path("/usr/bin/apt-get").exists() or os.geteuid() != 0:
        print("note: Chromium is not installed and cannot be installed here (needs apt-get as root); the browser test will fail", flush=True)
        return
    print("installing Debian's chromium and chromium-driver for the browser test...", flush=True)
    quiet = {"stdout": subprocess.DEVNULL, "env": {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}}
    subprocess.run(["apt-get", "update", "-qq"], check=True, **quiet)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"], check=True, **quiet)


def run(argv: list[str], env: dict | None = None, extras: tuple[str, ...] = ("test",)) -> int:
    ensure_environment(extras)
    environment = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", **(env or {})}
    environment["PATH"] = f"{venv_bin('python').parent}{os.pathsep}{environment.get('PATH', '')}"
    return subprocess.run(argv, cwd=ROOT, env=environment).returncode


if __name__ == "__main__":
    ensure_environment()
