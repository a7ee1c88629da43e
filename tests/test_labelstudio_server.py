"""A real Label Studio server round trip: the gold corpus exported for Label Studio, imported into a
real server through its REST API, exported back through the API, imported into zoomnews: zero
difference, and nothing reported incomplete.

Label Studio (pinned: LABEL_STUDIO) lives in its own virtual environment, never the project's (it
pins a pyarrow and numpy of its own): under ~/.cache/zoomnews (or $XDG_CACHE_HOME/zoomnews, or
$ZOOMNEWS_CACHE), installed by the first run (a few minutes) and reused after. That first run also
keeps a migrated empty database there, so each server starts from a copy of it instead of running
Label Studio's migrations again. The server listens on 127.0.0.1 on a free port with a temporary
data folder, with telemetry, error reporting and version checks off; it is stopped at the end of the
module, failed or not. Waiting is by polling /health against a deadline, never by sleeping.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import venv
from contextlib import contextmanager
from pathlib import Path

import pytest

from browsers import headless_chrome
from conftest import ROOT, copy_sources
from zoomnews import CorpusRepo
from zoomnews.formats import export_corpus, import_corpus, read_import
from zoomnews.formats.common import bundle_from_repo

pytestmark = pytest.mark.slow  # `-m "not slow"` skips it while iterating; the suite runs it

LABEL_STUDIO = "1.23.2"
INSTALL_SECONDS = 1800  # pip on a new machine: ~100 packages
START_SECONDS = 180  # a started server answers /health (it applies no migrations: the database is a copy of a migrated one)
USER, PASSWORD = "zoomnews-test@example.invalid", "zoomnews-test-password"
TOKEN = "zoomnews0test0token0for0a0loopback0server"  # a legacy API token of a throw-away server on 127.0.0.1


def cache_root() -> Path:
    if os.environ.get("ZOOMNEWS_CACHE"):
        return Path(os.environ["ZOOMNEWS_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "zoomnews"


def server_environment(data_dir: Path) -> dict[str, str]:
    """Label Studio's settings for a quiet server on loopback that reaches nothing outside."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE")}
    return {**keep,
            "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
            "LABEL_STUDIO_USERNAME": USER, "LABEL_STUDIO_PASSWORD": PASSWORD, "LABEL_STUDIO_USER_TOKEN": TOKEN,
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "",
            "LATEST_VERSION_CHECK": "false", "COLLECT_ANALYTICS": "false", "FEATURE_FLAGS_OFFLINE": "true",
            "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}


@contextmanager
def locked(path: Path):
    """One installer at a time on this machine (two test runs may start together)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def installed() -> tuple[Path, Path]:
    """(label-studio program, migrated empty data folder), installed once per machine. A folder
    without its `ready` stamp (an install that was interrupted) is removed and made again."""
    home = cache_root() / f"labelstudio-{LABEL_STUDIO}"
    program, template, ready = home / "venv" / "bin" / "label-studio", home / "data-template", home / "ready"
    with locked(cache_root() / f"labelstudio-{LABEL_STUDIO}.lock"):
        if ready.exists():
            return program, template
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        venv.EnvBuilder(with_pip=True).create(home / "venv")
        log = home / "install.log"
        with open(log, "w") as out:
            done = subprocess.run([str(home / "venv" / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check",
                                   f"label-studio=={LABEL_STUDIO}"], stdout=out, stderr=subprocess.STDOUT, timeout=INSTALL_SECONDS)
        assert done.returncode == 0, f"pip install label-studio=={LABEL_STUDIO} failed: see {log}"
        template.mkdir()
        with open(log, "a") as out:  # any command migrates the database first; `version` then only prints
            done = subprocess.run([str(program), "version"], env=server_environment(template), stdout=out,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=INSTALL_SECONDS)
        assert done.returncode == 0 and (template / "label_studio.sqlite3").is_file(), f"label-studio could not migrate: see {log}"
        ready.write_text(f"{LABEL_STUDIO}\n", encoding="utf-8")
    return program, template


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A Label Studio server's REST API, with the legacy token of its one user."""

    def __init__(self, url: str):
        self.url = url

    def call(self, method: str, path: str, body=None, timeout: float = 120):
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={"Authorization": f"Token {TOKEN}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read().decode("utf-8") or "null")
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{method} {path}: HTTP {e.code}: {e.read().decode('utf-8', 'replace')[:2000]}") from None


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            return json.loads(response.read()).get("status") == "UP"
    except (OSError, ValueError):
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    started = time.monotonic()
    program, template = installed()
    installing = time.monotonic() - started
    data = tmp_path_factory.mktemp("label-studio-data")
    shutil.copytree(template, data, dirs_exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(data / "server.log", "w")
    process = subprocess.Popen([str(program), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port),
                                "--enable-legacy-api-token"], env=server_environment(data), stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not answers(url):
            try:  # waits on the process itself: returns at once if it died
                process.wait(timeout=0.25)
            except subprocess.TimeoutExpired:
                pass
            else:
                pytest.fail(f"Label Studio exited with {process.returncode}: {(data / 'server.log').read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"Label Studio did not answer /health within {START_SECONDS} s: {(data / 'server.log').read_text()[-3000:]}")
        print(f"\nLabel Studio {LABEL_STUDIO}: install {installing:.1f} s, start {time.monotonic() - started - installing:.1f} s")
        yield Server(url)
    finally:
        stop(process)
        log.close()


def die_with_parent() -> None:
    """In the server's process, before it runs: SIGTERM when the test process dies, even by SIGKILL
    (Linux's PR_SET_PDEATHSIG), so no server outlives its test run."""
    import ctypes

    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, then SIGKILL if it has not gone within 20 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)
    except ProcessLookupError:
        pass


def for_upload(tasks: list[dict]) -> list[dict]:
    """Tasks as a user uploads them: Label Studio numbers tasks and annotations itself."""
    return [{**{k: v for k, v in task.items() if k != "id"},
             **{kind: [{k: v for k, v in obj.items() if k != "id"} for obj in task[kind]]
                for kind in ("annotations", "predictions") if kind in task}} for task in tasks]


def project_with(server: Server, folder: Path, title: str) -> tuple[int, list[dict]]:
    config = (folder / "label_config.xml").read_text(encoding="utf-8")
    server.call("POST", "/api/projects/validate/", {"label_config": config})  # Label Studio's own config check
    project = server.call("POST", "/api/projects/", {"title": title, "label_config": config})
    tasks = json.loads((folder / "tasks.json").read_text(encoding="utf-8"))
    imported = server.call("POST", f"/api/projects/{project['id']}/import", for_upload(tasks))
    assert imported["task_count"] == len(tasks), imported
    stored = server.call("GET", f"/api/projects/{project['id']}/")
    assert stored["label_config"].strip() == config.strip()  # kept as written (less the final newline)
    exported = server.call("GET", f"/api/projects/{project['id']}/export?exportType=JSON&download_all_tasks=true")
    return project["id"], exported


def test_gold_round_trip_through_a_real_label_studio_server(server, tmp_path):
    repo = CorpusRepo(copy_sources(tmp_path / "repo"))
    sources = {p: repo.path(p).read_bytes() for p in ("annotations/zones.jsonl", "annotations/entities.jsonl",
                                                        "annotations/timexes.jsonl", "annotations/quotes.jsonl")}
    export_corpus(repo, "labelstudio", tmp_path / "ls")
    _, tasks = project_with(server, tmp_path / "ls", "zoomnews gold")
    assert len(tasks) == 5 and all(len(t["annotations"]) == 1 for t in tasks)
    back = tmp_path / "from-label-studio.json"
    back.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")

    imported, notes = read_import(repo, "labelstudio", back)
    assert notes == []  # nothing incomplete
    assert imported.texts == bundle_from_repo(repo).texts
    assert imported.layers == bundle_from_repo(repo).layers  # zero diff against the gold
    result = import_corpus(repo, "labelstudio", back)
    assert all(not (c.added or c.removed or c.changed) for c in result.counts.values()), result.counts
    assert {p: repo.path(p).read_bytes() for p in sources} == sources  # written back byte for byte


def test_predictions_survive_the_server_for_an_annotator_to_accept(server, tmp_path):
    """`zoomnews suggest`'s shape: records as predictions. The server keeps every result as sent."""
    from zoomnews.formats.labelstudio import export

    repo = CorpusRepo(ROOT)
    export(bundle_from_repo(repo, ["crn-2020-08-03"]), tmp_path / "ls", repo, predictions="zoomnews-test")
    sent = json.loads((tmp_path / "ls/tasks.json").read_text(encoding="utf-8"))
    _, tasks = project_with(server, tmp_path / "ls", "zoomnews predictions")
    assert len(tasks) == 1 and tasks[0]["annotations"] == []
    (prediction,) = server.call("GET", f"/api/tasks/{tasks[0]['id']}/")["predictions"]  # the export lists only their ids
    assert prediction["model_version"] == "zoomnews-test"
    key = lambda r: json.dumps(r, sort_keys=True)
    strip = lambda r: {k: r[k] for k in ("id", "from_name", "to_name", "type", "value", "from_id", "to_id", "labels", "direction") if k in r}
    assert sorted(map(key, map(strip, prediction["result"]))) == sorted(map(key, map(strip, sent[0]["predictions"][0]["result"])))


# --- the labeling page an annotator sees ------------------------------------------------------

SHOTS = ROOT / "artifacts" / "screenshots"
VISIBLE_HEADERS = "return [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].filter(e => e.offsetParent !== null).map(e => e.textContent)"
CONTROL_UNDER_EACH_HEADER = """const visible = e => e.offsetParent !== null;
return [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].filter(visible).slice(1).map(h => {
  const control = h.nextElementSibling;  // Label Studio 1.23's text area or choices block
  return Boolean(control && visible(control) && /(^| )lsf-(text-area|choices)( |$)/.test(control.className));
});"""
REGION_SPAN = """const prefix = 'htx-highlight-' + arguments[0] + '-';
return [...document.querySelectorAll('span')]
  .find(e => [...e.classList].some(c => c.startsWith(prefix) && /^[0-9]+$/.test(c.slice(prefix.length))));"""


@pytest.fixture(scope="module")
def browser():
    driver = headless_chrome("1600,1200")
    try:
        yield driver
    finally:
        driver.quit()


def test_an_annotator_sees_only_the_selected_regions_fields_each_named(server, browser, tmp_path):
    """In the real labeling page: with no region selected, only the prompt; selecting a region of a
    layer shows that layer's panel alone, a header naming each field; a cue shows its note."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from zoomnews.formats.labelstudio import Controls

    repo = CorpusRepo(ROOT)
    export_corpus(repo, "labelstudio", tmp_path / "ls", ["crn-2020-08-03"])
    project, tasks = project_with(server, tmp_path / "ls", "zoomnews labeling page")
    fields = Controls.read(repo).fields
    wait = lambda what, condition: WebDriverWait(browser, 120).until(lambda _: condition(), message=what)

    browser.get(f"{server.url}/user/login/")
    browser.find_element(By.NAME, "email").send_keys(USER)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
    wait("logged in", lambda: "/user/login" not in browser.current_url)
    browser.get(f"{server.url}/projects/{project}/data?task={tasks[0]['id']}")
    wait("the labeling page shows the regions", lambda: browser.execute_script(REGION_SPAN, "zone/z1") is not None)

    headers = lambda: browser.execute_script(VISIBLE_HEADERS)
    wait("only the prompt before a region is selected", lambda: headers() == ["Select a region to see its fields"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    expected = {layer: [f"{layer} fields", *names] for layer, names in fields.items()}
    for rid, layer in (("entity/e1", "entity"), ("timex/t1", "timex"), ("quote/q1", "quote"), ("zone/z1", "zone"),
                       ("quote/q1/cue", "cue")):
        span = browser.execute_script(REGION_SPAN, rid)
        assert span is not None, rid
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});"
                               "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", span)
        want = expected.get(layer) or ["A quotation's cue or source: no fields of its own; link the quotation to it with a cue "
                                       "or source relation"]
        try:
            wait(f"{rid}: {want}", lambda: headers() == want)
        finally:
            browser.save_screenshot(str(SHOTS / f"labelstudio-{layer}.png"))
        assert all(browser.execute_script(CONTROL_UNDER_EACH_HEADER)), rid  # a box or choice under each field's name
