"""The data half of the check: each data file against the archive's own schema and ours.

jsonschema-rs validates (drafts 4 to 2020-12, the one our archives declare) in Rust: 0.4 us per
note against 150 us for the pure-Python reference `jsonschema`, which made a million notes a
three-minute check. With offline=True it never fetches a remote `$ref`, so a hostile schema
cannot make the worker call out. ijson (yajl2 C backend) streams the arrays item by item, so a
million notes are checked in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import ijson
import jsonschema_rs
import orjson

from webapp.imports.bundle import Bundle
from webapp.imports.refusal import ImportRefused
from webapp.notes.forms import MAX_BODY

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
            "body": {**TEXT, "maxLength": MAX_BODY},
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
    "deleted": _record({"section": {"enum": ["notes", "files"]}, "id": ID}),
}
TIMES = ("created_at", "updated_at")


def parse_time(text: str) -> datetime:
    """Read an ISO 8601 moment that names its zone; a naive one would be guessed, so refuse."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return moment


def stream_records(archive: Bundle, name: str) -> Iterator[dict[str, Any]]:
    """Yield the objects of a JSON array member one at a time; anything else is refused."""
    if not _starts_an_array(archive, name):
        raise ImportRefused("schema_invalid", f"{name} is not a JSON array.")
    try:
        with archive.open(name) as member:
            yield from ijson.items(member, "item", use_float=True)
    except ijson.JSONError as exc:
        raise ImportRefused("schema_invalid", f"{name} is not valid JSON: {exc}") from exc


def _starts_an_array(archive: Bundle, name: str) -> bool:
    """Tell whether the document's first token opens an array (items() alone would yield none)."""
    with archive.open(name) as member:
        while chunk := member.read(4096):
            text = chunk.lstrip(b" \t\r\n")
            if text:
                return text.startswith(b"[")
    return False


def validator(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A validator that never reaches the network for a `$ref`."""
    return jsonschema_rs.validator_for(schema, offline=True)


def first_error(check: jsonschema_rs.Validator, instance: Any) -> str | None:
    """Describe the first way the instance breaks the schema, or None when it fits."""
    error = next(iter(check.iter_errors(instance)), None)
    if error is None:
        return None
    where = "/".join(str(part) for part in error.instance_path) or "record"
    return f"{where}: {error.message[:200]}"


def item_validator(archive: Bundle, section: str) -> jsonschema_rs.Validator:
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
        valid = jsonschema_rs.meta.is_valid(schema)
    except (orjson.JSONDecodeError, ValueError) as exc:
        raise ImportRefused("schema_invalid", f"{name} is not a valid JSON Schema.") from exc
    if not valid:
        raise ImportRefused("schema_invalid", f"{name} is not a valid JSON Schema.")
    if not isinstance(schema, dict) or schema.get("type") != "array" or "items" not in schema:
        raise ImportRefused("schema_invalid", f"{name} does not describe an array of records.")
    # Records are checked one by one against `items`, in the document's own resource scope.
    try:
        return validator({**schema, "type": "object", **_items_only(schema["items"])})
    except (ValueError, jsonschema_rs.ReferencingError) as exc:
        raise ImportRefused("schema_invalid", f"{name} cannot be used: {exc}"[:300]) from exc


def _items_only(items: Any) -> dict[str, Any]:
    """The item schema's keywords, to stand in for the array's own at the root."""
    if not isinstance(items, dict):
        raise ImportRefused("schema_invalid", "A data schema's items must be an object schema.")
    return items


def check_section(archive: Bundle, section: str) -> int:
    """Validate every record of <section>.json against both schemas; return how many there are."""
    checks = (item_validator(archive, section), validator(OWN_SCHEMAS[section]))
    count = 0
    for record in stream_records(archive, f"{section}.json"):
        for check in checks:
            if not check.is_valid(record):
                problem = first_error(check, record)
                raise ImportRefused(
                    "schema_invalid", f"{section}.json record {count + 1}: {problem}"
                )
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
