"""The engine runner every monitoring stream shares: vehicles, drone telemetry, crowd counts.

A stream is an input log (a table read in id order), a pure step over a batch with explicit state
(bytes), and a way to turn the step's alert rows into queue alerts. ``run_once`` is what makes
processing exactly-once for all of them: in one transaction it reads the rows after the
stream's checkpoint, raises the alerts, and moves the checkpoint with the new state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.models import EngineCheckpoint
from lantern.monitor import repository
from lantern.security import context


@dataclass
class EngineRun:
    positions: int = 0  # input rows processed (positions, telemetry points, counts)
    alerts: int = 0  # alerts newly raised
    last_position_id: int = 0
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Applied:
    """What a stream's step returns: new state, alerts to raise, counters."""

    state: bytes
    alerts: list[alert_service.AlertIn]
    counts: dict[str, int] = field(default_factory=dict)


class Stream(Protocol):
    name: str  # checkpoint name

    def fetch(self, session: Session, after_id: int, limit: int) -> Sequence[Any]:
        """Input rows with id > after_id, in id order; each row's first field is its id."""
        ...

    def apply(self, session: Session, state: bytes, rows: Sequence[Any]) -> Applied:
        """Run the rules over ``rows`` (possibly none: time-based rules still run)."""
        ...


def _checkpoint(session: Session, name: str) -> EngineCheckpoint:
    found = repository.checkpoint(session, name, lock=True)
    if found is None:
        found = repository.add(
            session, EngineCheckpoint(name=name, position_id=0, state=b"", counts={}, updated_at=context.now(session))
        )
    return found


def run_once(session: Session, stream: Stream, limit: int) -> EngineRun:
    """One committed-by-the-caller step of ``stream``."""
    checkpoint = _checkpoint(session, stream.name)
    rows = stream.fetch(session, checkpoint.position_id, limit)
    applied = stream.apply(session, checkpoint.state, rows)
    run = EngineRun(
        positions=len(rows), last_position_id=rows[-1][0] if rows else checkpoint.position_id, counts=applied.counts
    )
    for alert_in in applied.alerts:
        _, created = alert_service.raise_alert(session, alert_in)
        run.alerts += int(created)
    checkpoint.position_id = run.last_position_id
    checkpoint.state = applied.state
    checkpoint.counts = {
        **checkpoint.counts,
        **{k: int(checkpoint.counts.get(k, 0)) + v for k, v in applied.counts.items()},
    }
    checkpoint.updated_at = context.now(session)
    return run


def state_of(session: Session, name: str) -> bytes:
    checkpoint = repository.checkpoint(session, name)
    return checkpoint.state if checkpoint else b""
