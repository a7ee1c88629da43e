"""How validation problems are shown: plain text for people, JSON for tools, GitHub annotations for PRs."""

from __future__ import annotations

import json
from collections import Counter

from zoomnews.checks.catalogue import CHECKS
from zoomnews.errors import Problem


def render_problem(problem: Problem) -> str:
    return f"{problem}\n    hint: {problem.hint}"


def _escape(value: str, property_: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if property_ else value


def github_annotation(problem: Problem) -> str:
    check = CHECKS[problem.code]
    props = [f"file={_escape(problem.file, True)}"]
    if problem.line:
        props.append(f"line={problem.line}")
    props.append(f"title={_escape(f'{problem.code} {check.title}', True)}")
    field = f"[{problem.field}] " if problem.field else ""
    return f"::error {','.join(props)}::{_escape(f'{field}{problem.message} — hint: {problem.hint}')}"


def render_report(report, fmt: str = "text", limit: int = 200) -> str:
    shown, rest = report.problems[:limit], max(0, len(report.problems) - limit)
    records = sum(report.counts.values())
    if fmt == "json":
        return json.dumps({"ok": report.ok, "records": report.counts, "problems": [p.as_dict() for p in shown], "not_shown": rest}, indent=2, ensure_ascii=False)
    lines = [github_annotation(p) if fmt == "github" else render_problem(p) for p in shown]
    if rest:
        lines.append(f"... and {rest} more problem(s) (raise --max to see them)")
    verdict = "OK" if report.ok else "FAILED"
    summary = f"{verdict}: {records} records, {len(report.problems)} problem(s)" + _by_code(report.problems)
    lines.append(f"::notice title=zoomnews validate::{summary}" if fmt == "github" else summary)
    return "\n".join(lines)


def _by_code(problems: list[Problem]) -> str:
    """How many problems of each code, level by level, and a word on where to start when an early
    level's problems may explain later ones."""
    if not problems:
        return ""
    counts = Counter(p.code for p in problems)
    codes = sorted(counts, key=lambda code: (CHECKS[code].level, code))
    levels = {CHECKS[code].level for code in codes}
    advice = f" (fix level {min(levels)} first: the later ones may follow from it)" if len(levels) > 1 else ""
    return ": " + ", ".join(f"{counts[code]} {code}" for code in codes) + advice
