"""Limit/offset pagination parameters shared by list endpoints."""

from __future__ import annotations

from dataclasses import dataclass

MAX_PAGE_SIZE = 5_000


@dataclass(frozen=True)
class Page:
    """A validated page request."""

    limit: int = 100
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit {self.limit} is outside [1, {MAX_PAGE_SIZE}]")
        if self.offset < 0:
            raise ValueError(f"offset {self.offset} is negative")
