"""The JSON Schemas in schema/: the one source of truth for every record's shape.

Each schema names, under `x-zoomnews`, the source file it governs, the record key and the
canonical order of records, so readers, validators, `fmt` and `build` all take them from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import jsonschema

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.repo import SCHEMA_DIR, CorpusRepo

# Source kinds in data-flow order; registries before the layers that reference them.
KINDS = (
    "document",
    "article",
    "registry_entity",
    "registry_speaker",
    "registry_statement",
    "zone",
    "entity",
    "timex",
    "quote",
)


@dataclass(frozen=True)
class Kind:
    name: str
    schema: dict

    @property
    def source(self) -> str:
        return self.schema["x-zoomnews"]["source"]

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(self.schema["x-zoomnews"]["key"])

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(self.schema["x-zoomnews"]["order"])

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.schema["properties"])

    @cached_property
    def validator(self) -> jsonschema.Draft202012Validator:
        """The reference implementation: it decides, and its messages are the ones reported."""
        return jsonschema.Draft202012Validator(
            self.schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )

    @cached_property
    def fast_validator(self):
        """jsonschema-rs on the same schema file, about 100x faster. A record it accepts is accepted;
        one it rejects goes to the reference validator, which decides and explains. Sound because
        whatever jsonschema-rs accepts jsonschema accepts too (tests/test_schema_properties.py)."""
        import jsonschema_rs

        return jsonschema_rs.validator_for(self.schema, validate_formats=True)


def load_schema(path: Path) -> dict:
    """A schema file, checked against the 2020-12 metaschema; a broken one is a coded error, not a crash."""
    label = f"{SCHEMA_DIR}/{path.name}"
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ZoomnewsError(Problem(label, None, "ZN113", f"unreadable schema: {str(e)[:160]}")) from None
    except jsonschema.SchemaError as e:
        raise ZoomnewsError(Problem(label, None, "ZN113", f"not a valid JSON Schema 2020-12: {e.message[:160]}")) from None
    if path.stem in KINDS and not isinstance(schema.get("x-zoomnews"), dict):
        raise ZoomnewsError(Problem(label, None, "ZN113", "missing the x-zoomnews block (source, key, order)"))
    return schema


def load_kinds(repo: CorpusRepo | None = None) -> dict[str, Kind]:
    """Every source kind with its schema, read from the repository's schema/ folder."""
    folder = (repo.root if repo else package_root()) / SCHEMA_DIR
    return {name: Kind(name, load_schema(folder / f"{name}.schema.json")) for name in KINDS}


def package_root() -> Path:
    """The checkout this package was installed from (editable install) — the default repository."""
    return Path(__file__).resolve().parents[2]
