"""Request bodies of records: a JSON array (or one object) or NDJSON lines, validated record by
record so an error names the line or record and the field (shared by every intake API)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from pydantic import BaseModel, TypeAdapter, ValidationError

from lantern.errors import ValidationFailed

MAX_BATCH = 50_000


async def _raw_body(request: Request) -> bytes:
    return await request.body()


# The body is read in an async dependency so intake handlers stay sync (they block on the database).
RawBody = Annotated[bytes, Depends(_raw_body)]
ContentType = Annotated[str, Header(alias="content-type")]


class Accepted(BaseModel):
    """How many records an intake endpoint committed."""

    accepted: int


def _error_text(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "record"
    return f"field `{where}`: {first['msg']}"


def parse_records(body: bytes, content_type: str, adapter: TypeAdapter[Any] | None = None) -> list[Any]:
    """A JSON array (or one object) or NDJSON lines, validated; errors name the record and field."""
    try:
        text = body.decode("utf-8") if body else ""
    except UnicodeDecodeError as exc:
        raise ValidationFailed(f"body is not UTF-8 (byte {exc.start})") from exc
    if "ndjson" in content_type or "jsonl" in content_type:
        records = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
        label = "line"
        try:
            raw = [(n, json.loads(line)) for n, line in records]
        except json.JSONDecodeError as exc:
            bad = next(n for n, line in records if not _parses(line))
            raise ValidationFailed(f"line {bad}: not JSON ({exc.msg})") from exc
    else:
        label = "record"
        try:
            data = json.loads(text or "null")
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
        data = [data] if isinstance(data, dict) else data
        if not isinstance(data, list):
            raise ValidationFailed("body must be a JSON object, an array of objects, or NDJSON")
        raw = list(enumerate(data, start=1))
    if not raw:
        raise ValidationFailed("no records in the body")
    if len(raw) > MAX_BATCH:
        raise ValidationFailed(f"{len(raw)} records in one request; send at most {MAX_BATCH}")
    if adapter is None:  # the caller validates (e.g. to give identity fields their own message)
        return [item for _, item in raw]
    out = []
    for number, item in raw:
        try:
            out.append(adapter.validate_python(item))
        except ValidationError as exc:
            raise ValidationFailed(f"{label} {number}: {_error_text(exc)}") from exc
    return out


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True
