"""Writes of simulator ground truth; flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from lantern.models import SimTruth


def add_truth(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 20_000):
        session.execute(insert(SimTruth), list(rows[start : start + 20_000]))
    session.flush()


def truth_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(SimTruth)) or 0)
