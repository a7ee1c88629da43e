"""Problems found in a corpus repository, and the one exception the library raises for bad input."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One violated rule, located as precisely as we can: file, line, field."""

    file: str
    line: int | None
    code: str
    message: str
    field: str | None = None
    # this problem's own advice (e.g. the nearest allowed value), shown before the check's hint
    suggestion: str | None = None
    # the document of the record it is about (not shown: for pairing one mistake's problems, see
    # zoomnews.checks.validation.one_per_mistake)
    doc_id: str | None = dataclasses.field(default=None, compare=False)

    @property
    def level(self) -> int:
        from zoomnews.checks.catalogue import CHECKS

        return CHECKS[self.code].level

    @property
    def hint(self) -> str:
        """What to do: this problem's suggestion, then its check's hint."""
        from zoomnews.checks.catalogue import CHECKS

        general = CHECKS[self.code].hint
        return f"{self.suggestion} {general}" if self.suggestion else general

    def as_dict(self) -> dict:
        fields = asdict(self)
        del fields["doc_id"]
        return {**fields, "level": self.level, "hint": self.hint}

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" [{self.field}]" if self.field else ""
        return f"{where}: L{self.level} {self.code}{field} {self.message}"


class ZoomnewsError(Exception):
    """Bad input or a refused operation. Carries the problems; the CLI prints them, never a traceback."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
