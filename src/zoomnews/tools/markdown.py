"""Generated Markdown: tables, and blocks between `<!-- NAME:begin -->` / `<!-- NAME:end -->` markers
that `zoomnews docs` refreshes in README.md, DATASHEET.md and docs/ (zoomnews.tools.docs says which
blocks live where; `zoomnews docs --check` and the tests fail when a block is stale)."""

from __future__ import annotations

import re


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def refresh(text: str, rendered: dict[str, str]) -> str:
    for name, body in rendered.items():
        pattern = re.compile(rf"(<!-- {name}:begin -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.S)
        text = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    return text
