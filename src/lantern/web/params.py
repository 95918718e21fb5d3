"""Shared parameter types: ids and paging bounded to what the database can hold.

Ids are 32-bit on PostgreSQL (INTEGER keys); a larger number in a URL is a 422, not a driver
overflow turned into a 500 (found by schemathesis).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from lantern.kit.ids import MAX_ID

MAX_OFFSET = 10_000_000

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
