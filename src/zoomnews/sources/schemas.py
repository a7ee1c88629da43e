r"""The JSON Schemas in schema/: the one source of truth for every record's shape.

Each schema names, under `x-zoomnews`, the source file it governs, the record key and the
canonical order of records, so readers, validators, `fmt` and `build` all take them from here.

Patterns end in `(?![\s\S])` ("nothing follows"), not `$`: in Python's `re` (jsonschema) `$` also
matches before a final newline, so `"e1\n"` passed `^e1$`; the lookahead means the end of the string
in Python and ECMA-262 (jsonschema-rs) alike (tests/test_reader_safety.py checks every pattern).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import jsonschema

from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.repo import AGREEMENT_DIR, ANNOTATIONS_DIR, SCHEMA_DIR, CorpusRepo

# Source kinds in data-flow order; registries before the layers that reference them.
KINDS = (
    "document",
    "article",
    "registry_entity",
    "registry_speaker",
    "registry_statement",
    "registry_annotator",
    "zone",
    "entity",
    "timex",
    "quote",
)


def _json_integer(checker, instance) -> bool:
    """An integer is a JSON integer literal: JSON Schema counts 4.0 as an integer, but `"end": 4.0`
    is a float to every reader after validate (Arrow, build), so it is refused here."""
    return isinstance(instance, int) and not isinstance(instance, bool)


StrictValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _json_integer),
)


def reference_validator(schema: dict):
    """The validator that decides and explains: jsonschema 2020-12 with formats, integers strict."""
    return StrictValidator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


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

    @property
    def from_first_article(self) -> tuple[tuple[str, ...], str | None]:
        """Released columns taken from the record's first article (article_index 0), and the column
        they follow: typed once, in corpus/articles.jsonl (documents)."""
        derived = self.schema["x-zoomnews"].get("from_first_article") or {}
        return tuple(derived.get("fields", ())), derived.get("after")

    @cached_property
    def validator(self) -> jsonschema.Draft202012Validator:
        """The reference implementation: it decides, and its messages are the ones reported."""
        return reference_validator(self.schema)

    @cached_property
    def fast_validator(self):
        """jsonschema-rs on the same schema file, about 100x faster. A record it accepts is accepted;
        one it rejects goes to the reference validator, which decides and explains. Sound because
        whatever jsonschema-rs accepts jsonschema accepts too (tests/test_schema_properties.py) —
        except a float literal such as 4.0, which jsonschema-rs counts as an integer: a record read
        from a line holding one is never given to it (sources.Record.floats)."""
        import jsonschema_rs

        return jsonschema_rs.validator_for(self.schema, validate_formats=True)

    def matches(self, name: str, value: str) -> bool:
        """`value` matches property `name`'s pattern as a whole string (re.search with `$` would also
        accept it followed by a newline)."""
        return re.fullmatch(self.schema["properties"][name]["pattern"], value) is not None


# sha256 of the schema files that passed the metaschema check in this process. The check is a pure
# function of the file's bytes and costs ~50 ms for schema/ (load_kinds runs it on every call):
# the same bytes are checked once. Files are still read, parsed and block-checked on every call.
_METASCHEMA_CHECKED: set[bytes] = set()


def load_schema(path: Path, root: Path | None = None) -> dict:
    """A schema file, checked against the 2020-12 metaschema; a broken one is a coded error, not a crash.
    Read like every source (a FIFO is ZN114, never waited on); with `root`, never through a symbolic link (ZN111)."""
    from zoomnews.sources.jsonl import unsafe_path
    from zoomnews.safeio import read_bytes

    label = f"{SCHEMA_DIR}/{path.name}"
    unsafe = unsafe_path(path, root) if root is not None else None
    if unsafe:
        raise ZoomnewsError(Problem(label, None, "ZN111", unsafe))
    try:
        data = read_bytes(path, label)
        schema = json.loads(data.decode("utf-8"))
        digest = hashlib.sha256(data).digest()
        if digest not in _METASCHEMA_CHECKED:
            jsonschema.Draft202012Validator.check_schema(schema)
            _METASCHEMA_CHECKED.add(digest)
    except FileNotFoundError:
        raise ZoomnewsError(Problem(label, None, "ZN101", "missing: every command reads this schema")) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ZoomnewsError(Problem(label, None, "ZN113", f"unreadable schema: {str(e)[:160]}")) from None
    except jsonschema.SchemaError as e:
        raise ZoomnewsError(Problem(label, None, "ZN113", f"not a valid JSON Schema 2020-12: {e.message[:160]}")) from None
    if path.name.removesuffix(".schema.json") in KINDS:  # a record schema
        problem = zoomnews_block_problem(schema) or column_problem(schema)
        if problem:
            raise ZoomnewsError(Problem(label, None, "ZN113", problem))
    return schema


# A source file: a relative path under corpus/ or annotations/ (not corpus/raw/, which holds the raw
# texts), plain names only: no `..`, no absolute path, so every reader and `fmt` stay in the repository.
SOURCE_PATH = re.compile(r"(?:corpus|annotations)(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)+\.jsonl")


def zoomnews_block_problem(schema: dict) -> str | None:
    """What is wrong with a record schema's x-zoomnews block (source, key, order), or None."""
    if not isinstance(schema, dict):  # `true` and `false` are valid JSON Schemas, but no record's
        return f"a record schema is a JSON object with properties, not {json.dumps(schema)}"
    block = schema.get("x-zoomnews")
    if not isinstance(block, dict):
        return "missing the x-zoomnews block (source, key, order)"
    source = block.get("source")
    if not isinstance(source, str) or not SOURCE_PATH.fullmatch(source) or source.startswith("corpus/raw/"):
        return f"x-zoomnews.source {source!r} is not a .jsonl file under corpus/ or annotations/ (a relative path, no `..`)"
    required = schema.get("required") if isinstance(schema.get("properties"), dict) and isinstance(schema.get("required"), list) else []
    for name in ("key", "order"):  # every valid record has them: validate and fmt index records by them
        names = block.get(name)
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n in required for n in names):
            return f"x-zoomnews.{name} must be a non-empty list of required property names"
    derived = block.get("from_first_article")
    if derived is not None and not (isinstance(derived, dict) and isinstance(derived.get("fields"), list) and derived["fields"]
                                    and all(isinstance(n, str) and n not in schema.get("properties", {}) for n in derived["fields"])
                                    and derived.get("after") in schema.get("properties", {})):
        return "x-zoomnews.from_first_article must name `fields` (not the schema's own) and `after` (one of its properties)"
    return None


def declared_source(root: Path, kind_name: str) -> str | None:
    """The source file `kind_name`'s schema declares, for a guess made before the schemas load (how
    big the corpus is): read like load_schema reads it (never a FIFO waited on, never through a
    link), but not checked against the metaschema. None when it cannot be read or its x-zoomnews
    block is wrong: loading it later reports why."""
    from zoomnews.safeio import read_bytes
    from zoomnews.sources.jsonl import unsafe_path

    path = root / SCHEMA_DIR / f"{kind_name}.schema.json"
    try:
        if unsafe_path(path, root):
            return None
        schema = json.loads(read_bytes(path, follow=False).decode("utf-8"))
    except (OSError, ValueError, RecursionError, ZoomnewsError):
        return None
    return None if zoomnews_block_problem(schema) else schema["x-zoomnews"]["source"]


def column_problem(schema: dict) -> str | None:
    """What keeps a record schema's properties from being columns, or None: the record is closed
    (additionalProperties false, every required name a property), and each property's values take
    one Arrow type exactly (zoomnews.sources.tables.arrow_type: a string, integer or boolean, a closed
    enum of strings, a list of one of those, or an object of them with every property required and
    no other), which every rule reads and the release's Features declare."""
    from zoomnews.sources.tables import arrow_type

    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return "a record schema needs `properties`"
    if schema.get("additionalProperties") is not False:  # a field outside the columns would pass validate and never be released
        return "a record schema is closed: set \"additionalProperties\": false (fields it does not name would be dropped from the release)"
    unnamed = [name for name in schema.get("required", []) if name not in properties]
    if unnamed:
        return f"`required` names {', '.join(map(repr, unnamed))}, which `properties` does not define"
    for name, node in properties.items():
        if arrow_type(node) is None:
            shown = json.dumps(node, ensure_ascii=False)
            return (f"property {name!r} ({shown[:80]}{'…' if len(shown) > 80 else ''}) has no one column type: use a string, "
                    "integer or boolean (or null too), a closed enum of strings, a list of one of those, "
                    "or an object of them with every property required and additionalProperties false")
    return None


def load_kinds(repo: CorpusRepo | None = None) -> dict[str, Kind]:
    """Every source kind with its schema, read from the repository's schema/ folder."""
    root = repo.root if repo else package_root()
    kinds = {name: Kind(name, load_schema(root / SCHEMA_DIR / f"{name}.schema.json", root)) for name in KINDS}
    governed: dict[str, str] = {}
    for name, kind in kinds.items():  # two kinds in one file: fmt would write it twice, each dropping the other's records
        if kind.source in governed:
            raise ZoomnewsError(Problem(f"{SCHEMA_DIR}/{name}.schema.json", None, "ZN113", f"x-zoomnews.source {kind.source} is already {governed[kind.source]}'s"))
        governed[kind.source] = name
    return kinds


# The span layers (kinds whose schema has start, end and text), in data order, and each one's name
# (annotations/<name>.jsonl, the config <name>). Module constants for the exchange formats; a test
# holds them to the schemas (zoomnews.checks.validation.span_kinds).
SPAN_KINDS = ("zone", "entity", "timex", "quote")
LAYER_NAMES = {"zone": "zones", "entity": "entities", "timex": "timexes", "quote": "quotes"}


def agreement_passes(repo: CorpusRepo, links: bool = False) -> list[str]:
    """The names of the agreement passes: the folders of annotations/agreement/, each a second
    annotation of (some of) the layers laid out like annotations/, registry/ included when the pass
    has its own registries. With `links`: the entries there that are symbolic links instead (never
    followed: validate reports them, ZN111)."""
    try:
        entries = list(os.scandir(repo.path(AGREEMENT_DIR)))
    except (FileNotFoundError, NotADirectoryError):
        return []
    if links:
        return sorted(entry.name for entry in entries if entry.is_symlink())
    return sorted(entry.name for entry in entries if entry.is_dir(follow_symlinks=False))


def pass_kinds(repo: CorpusRepo, name: str) -> dict[str, Kind]:
    """The kinds with an agreement pass's files as sources: annotations/<path> becomes
    annotations/agreement/<name>/<path> where the pass has that file (a link or a FIFO there is read,
    and so refused, like any source); the rest stay the gold's."""
    kinds = {}
    for kind_name, kind in load_kinds(repo).items():
        inside = kind.source.removeprefix(f"{ANNOTATIONS_DIR}/")
        own = f"{AGREEMENT_DIR}/{name}/{inside}"
        if inside != kind.source and os.path.lexists(repo.path(own)):
            kind = Kind(kind_name, {**kind.schema, "x-zoomnews": {**kind.schema["x-zoomnews"], "source": own}})
        kinds[kind_name] = kind
    return kinds


def package_root() -> Path:
    """The checkout this package was installed from (editable install) — the default repository."""
    return Path(__file__).resolve().parents[3]  # src/zoomnews/sources/schemas.py -> the checkout
