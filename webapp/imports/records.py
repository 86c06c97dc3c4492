"""The data half of the check: each data file against the archive's own schema and ours.

jsonschema is the reference implementation of JSON Schema for Python (every draft, including
the 2020-12 our archives declare), maintained by the specification's own authors, and since
4.18 it never fetches remote `$ref`s, so a hostile schema cannot make the worker call out.
ijson streams the arrays item by item, so a million notes are checked in constant memory.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import ijson
import jsonschema
import orjson
from jsonschema.exceptions import SchemaError, ValidationError

from webapp.imports.refusal import ImportRefused

SCHEMA_MAX_BYTES = 1024 * 1024
TEXT = {"type": "string", "pattern": "^[^\\u0000]*$"}
ID = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}


def _record(properties: dict[str, Any]) -> dict[str, Any]:
    """A record schema: these fields required, of these types (others allowed)."""
    return {"type": "object", "properties": properties, "required": list(properties)}


# What the importer itself relies on, whatever the archive's own schema allows.
OWN_SCHEMAS: dict[str, dict[str, Any]] = {
    "notes": _record(
        {
            "id": ID,
            "title": {**TEXT, "maxLength": 200},
            "body": TEXT,
            "created_at": TEXT,
            "updated_at": TEXT,
        }
    ),
    "files": _record(
        {
            "id": ID,
            "name": {**TEXT, "minLength": 1, "maxLength": 255},
            "path": TEXT,
            "size": {"type": "integer", "minimum": 0},
            "content_type": {**TEXT, "maxLength": 255},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "created_at": TEXT,
        }
    ),
}
TIMES = ("created_at", "updated_at")


def parse_time(text: str) -> datetime:
    """Read an ISO 8601 moment that names its zone; a naive one would be guessed, so refuse."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return moment


def stream_records(archive: zipfile.ZipFile, name: str) -> Iterator[dict[str, Any]]:
    """Yield the objects of a JSON array member one at a time; anything else is refused."""
    try:
        with archive.open(name) as member:
            events = ijson.parse(member, use_float=True)
            if next(events, None) != ("", "start_array", None):
                raise ImportRefused("schema_invalid", f"{name} is not a JSON array.")
            yield from ijson.items(_prefixed(events), "item")
    except ijson.JSONError as exc:
        raise ImportRefused("schema_invalid", f"{name} is not valid JSON: {exc}") from exc


def _prefixed(events: Iterator[Any]) -> Iterator[Any]:
    """Put back the start of the array that was read to check the document's shape."""
    yield ("", "start_array", None)
    yield from events


def item_validator(archive: zipfile.ZipFile, section: str) -> jsonschema.protocols.Validator:
    """Build a validator for one record from schema/<section>.json inside the archive."""
    name = f"schema/{section}.json"
    try:
        info = archive.getinfo(name)
    except KeyError as exc:
        raise ImportRefused("schema_invalid", f"{section}.json has no schema ({name}).") from exc
    if info.file_size > SCHEMA_MAX_BYTES:
        raise ImportRefused("too_large", f"{name} is too large for a schema.")
    try:
        schema = orjson.loads(archive.read(name))
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
    except (orjson.JSONDecodeError, SchemaError, TypeError) as exc:
        raise ImportRefused("schema_invalid", f"{name} is not a valid JSON Schema.") from exc
    if not isinstance(schema, dict) or schema.get("type") != "array" or "items" not in schema:
        raise ImportRefused("schema_invalid", f"{name} does not describe an array of records.")
    # Records are checked one by one against `items`, in the document's own resource scope.
    return cls({**schema, "type": "object", **_items_only(schema["items"])})


def _items_only(items: Any) -> dict[str, Any]:
    """The item schema's keywords, to stand in for the array's own at the root."""
    if not isinstance(items, dict):
        raise ImportRefused("schema_invalid", "A data schema's items must be an object schema.")
    return items


def check_section(archive: zipfile.ZipFile, section: str) -> int:
    """Validate every record of <section>.json against both schemas; return how many there are."""
    theirs = item_validator(archive, section)
    ours = jsonschema.Draft202012Validator(OWN_SCHEMAS[section])
    count = 0
    for record in stream_records(archive, f"{section}.json"):
        for validator in (theirs, ours):
            error = jsonschema.exceptions.best_match(validator.iter_errors(record))
            if error is not None:
                raise ImportRefused("schema_invalid", _describe(section, count, error))
        for key in TIMES:
            if key in record:
                _check_time(section, count, record[key])
        count += 1
    return count


def _check_time(section: str, index: int, value: str) -> None:
    """Refuse a timestamp that cannot be kept exactly."""
    try:
        parse_time(value)
    except ValueError as exc:
        raise ImportRefused(
            "schema_invalid", f"{section}.json record {index + 1}: {value!r} is not a moment."
        ) from exc


def _describe(section: str, index: int, error: ValidationError) -> str:
    """Say which record failed and why, briefly (the value itself may be huge)."""
    where = "/".join(str(part) for part in error.absolute_path) or "record"
    return f"{section}.json record {index + 1}: {where}: {error.message[:200]}"
