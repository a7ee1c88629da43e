"""CONTRIBUTING.md, followed to the letter: a new article is registered, its provenance completed,
annotated in Label Studio (simulated: the export edited as an annotator would), imported, checked,
diffed and ready to release. Every command run here is quoted from CONTRIBUTING.md."""

import json
import shlex

import pytest
import yaml
from click.testing import CliRunner

from conftest import ROOT
from zoomnews.cli import main

GUIDE = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
DOC = "example-news-2020-08-05"
CAPTURE = "Zoom moves to partners in China\n\nZoom said on Wednesday that it will sell in China only through partners."


def run(command: str, expect: int = 0):
    """Run a `zoomnews …` command exactly as CONTRIBUTING.md writes it."""
    assert command in GUIDE, f"not in CONTRIBUTING.md: {command}"
    args = shlex.split(command)
    assert args[0] == "zoomnews"
    result = CliRunner().invoke(main, args[1:])
    assert result.exit_code == expect, f"{command}\n{result.output}"
    return result.output


def annotate(tasks: list[dict]) -> list[dict]:
    """What an annotator does in Label Studio: regions with labels, attributes in the per-region text areas."""
    text = tasks[0]["data"]["text"]
    results = []

    def region(layer, start, end, label, **fields):
        rid = f"new{len(results)}"  # Label Studio makes up its own region ids
        results.append({"id": rid, "from_name": layer, "to_name": "text", "type": "labels",
                        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]}})
        fields = {"annotator": "a1", "method": "manual", "guideline": "1.0.0", **fields}
        for name, value in fields.items():
            results.append({"id": rid, "from_name": f"{layer}.{name}", "to_name": "text", "type": "textarea",
                            "value": {"start": start, "end": end, "text": [value]}})

    title_end = text.index("\n")
    body = text.index("Zoom said")
    region("zone", 0, title_end, "title", article_index="0")
    region("zone", body, len(text), "body", article_index="0")
    for start in (0, body):
        region("entity", start, start + 4, "ORG", entity_id="zoom")
    for start in (text.index("China"), text.rindex("China")):
        region("entity", start, start + 5, "GPE", entity_id="china")
    day = text.index("Wednesday")
    region("timex", day, day + 9, "DATE", value="2020-08-05", article_index="0", creation_time="false")
    tasks[0]["annotations"] = [{"id": 1, "result": results}]
    return tasks


def test_add_an_article_as_contributing_md_says(repo_copy, monkeypatch):
    monkeypatch.chdir(repo_copy.root)
    (repo_copy.root / "capture.txt").write_text(CAPTURE, encoding="utf-8")

    out = run('zoomnews new-document capture.txt --outlet "Example News" --published 2020-08-05 --url https://example.org/zoom-china')
    assert DOC in out and (repo_copy.root / f"corpus/raw/{DOC}.txt").read_bytes() == CAPTURE.encode()
    codes = {p["code"] for p in json.loads(CliRunner().invoke(main, ["validate", "--format", "json"]).output)["problems"]}
    assert {"ZN411", "ZN306"} <= codes  # TODOs to answer, text not yet zoned

    # the contributor answers the provenance questions
    documents = repo_copy.root / "corpus/documents.jsonl"
    answers = {"outlet_evidence": "The page header names Example News.", "published_reason": "Dateline 5 Aug 2020.",
               "rights": "News text © Example News; all rights reserved. Included for research on annotation only."}
    for path in (documents, repo_copy.root / "corpus/articles.jsonl"):
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for r in records:
            if r["doc_id"] == DOC:
                r.update({k: v for k, v in answers.items() if k in r})
                if "published_evidence" in r:  # the date is typed once, in the article
                    r["published_evidence"] = "stated"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")

    run(f"zoomnews export --format labelstudio --doc {DOC} ls")
    assert (repo_copy.root / "ls/label_config.xml").is_file()
    tasks = json.loads((repo_copy.root / "ls/tasks.json").read_text(encoding="utf-8"))
    (repo_copy.root / "export.json").write_text(json.dumps(annotate(tasks), ensure_ascii=False), encoding="utf-8")
    run("zoomnews import --format labelstudio export.json")

    run("zoomnews fmt")
    run("zoomnews docs")
    run("zoomnews validate")
    out = run("zoomnews diff 1.1.0")
    assert f"+ {DOC}" in out and "## entities: +4 -0 ~0" in out and "## timexes: +1 -0 ~0" in out
    for command in ci_commands() + hook_commands():  # what CI and the pre-commit hooks run: green after the steps above
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 0, f"{command}\n{result.output}"
    out = CliRunner().invoke(main, ["release", "--bump", "minor", "--dry-run"]).output
    major, minor, _ = map(int, repo_copy.dataset_version.split("."))
    assert f"would release {major}.{minor + 1}.0 (minor" in out, out


def ci_commands() -> list[list[str]]:
    """The zoomnews commands of the CI workflow's steps, as CI runs them (the latest release for $(…))."""
    latest = sorted((p.name for p in (ROOT / "releases").iterdir() if p.is_dir()), key=lambda v: tuple(map(int, v.split("."))))[-1]
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text(encoding="utf-8"))
    commands = []
    for step in workflow["jobs"]["validate-and-test"]["steps"]:
        for line in step.get("run", "").splitlines():
            line = line.strip().replace('"$(ls releases | sort -V | tail -n 1)"', latest)
            if line.startswith(".venv/bin/zoomnews "):
                commands.append(shlex.split(line)[1:])
    assert len(commands) >= 4, commands  # validate, fmt --check, docs --check, diff
    return commands


def hook_commands() -> list[list[str]]:
    hooks = [h for repo in yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"] for h in repo["hooks"]]
    return [shlex.split(h["entry"])[1:] for h in hooks]


def test_set_up_only_sets_up():
    """CONTRIBUTING's set-up command installs the environment (with the dev extra: pre-commit) and the hooks, and runs no tests."""
    setup = (ROOT / "scripts/setup.py").read_text(encoding="utf-8")
    assert "python3 scripts/setup.py" in GUIDE and "pytest" not in setup and '"pre-commit")), "install"' in setup
    import tomllib

    dev = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]["dev"]
    assert any(d.startswith("pre-commit==") for d in dev)


def test_ci_workflow_and_hooks_run_real_commands():
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text(encoding="utf-8"))
    steps = [s.get("run", "") for s in workflow["jobs"]["validate-and-test"]["steps"]]
    assert any("zoomnews validate --format github" in s for s in steps) and any("scripts/test.py" in s for s in steps)
    hooks = [h for repo in yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"] for h in repo["hooks"]]
    hooks += yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    commands = {name for name in main.commands}
    for hook in hooks:
        words = shlex.split(hook["entry"])
        assert words[0].endswith("zoomnews") and words[1] in commands, hook["id"]
    assert "Review checklist" in (ROOT / ".github/pull_request_template.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["zoomnews fmt", "zoomnews validate", "zoomnews diff 1.1.0"])
def test_every_quoted_check_command_exists(command):
    assert command in GUIDE and shlex.split(command)[1] in main.commands


@pytest.mark.parametrize("content, args, code", [
    (b"Zoom news\r\nline two", ["--published", "2020-08-05"], "ZN108"),                 # CRLF capture
    (b"\xef\xbb\xbfZoom news", ["--published", "2020-08-05"], "ZN107"),                 # byte-order mark
    ("Zoom news".encode(), ["--published", "5 Aug 2020"], "ZN201"),                     # not a date
    (None, ["--published", "2020-08-03"], "ZN402"),                                     # the same capture again
    (b"", ["--published", "2020-08-05"], "ZN201"),                                      # empty: its article would have no title
    (b"  \n\n \n", ["--published", "2020-08-05"], "ZN201"),                            # white space alone, likewise
])
def test_new_document_refuses_bad_input_with_a_code(repo_copy, tmp_path, content, args, code):
    capture = tmp_path / "capture.txt"
    capture.write_bytes(content if content is not None else repo_copy.raw_path("crn-2020-08-03").read_bytes())
    before = (repo_copy.root / "corpus/documents.jsonl").read_bytes()
    out = CliRunner().invoke(main, ["new-document", str(capture), "--outlet", "CRN", "--repo", str(repo_copy.root), *args])
    assert out.exit_code == 1 and code in out.output and "Traceback" not in out.output
    assert (repo_copy.root / "corpus/documents.jsonl").read_bytes() == before
    assert sorted(p.name for p in repo_copy.raw_dir.iterdir()) == sorted(p.name for p in (ROOT / "corpus/raw").iterdir())


def test_explaining_an_empty_code_is_a_usage_error_not_a_validation():
    out = CliRunner().invoke(main, ["validate", "--explain", ""])
    assert out.exit_code == 2 and "unknown code" in out.output
