"""Regulated vehicles, readers and hotlist entries for monitoring tests."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from sqlalchemy.orm import Session

from lantern.monitor import hotlist_service
from lantern.monitor import service as monitor_service
from lantern.monitor.schemas import HotlistEntryIn, PositionIn, ReaderIn, VehicleCreate
from lantern.security import context
from lantern.security.policy import Principal
from tests.factories.security import principal_for

SUPERVISOR = principal_for("supervisor", "sup-1")
FEED = Principal(kind="token", name="feed", permissions=frozenset({"monitor:ingest", "hotlist:report"}))
HELSINKI = (60.1699, 24.9384)


def vehicle(
    session: Session, vehicle_id: str = "HG-1", vehicle_class: str = "hazardous_goods", phone: str | None = None
) -> str:
    monitor_service.create_vehicle(
        session,
        SUPERVISOR,
        VehicleCreate(
            id=vehicle_id,
            plate=f"P-{vehicle_id}",
            vehicle_class=vehicle_class,
            operator="Test Haulage",
            terminal_phone=phone,
        ),
    )
    return vehicle_id


def positions(frame: pl.DataFrame) -> list[PositionIn]:
    """A track frame (tests.factories.tracks) as API position models."""
    return [
        PositionIn(vehicle_id=r["vehicle_id"], time=r["time"], lat=r["lat"], lon=r["lon"], speed_kmh=r["speed_kmh"])
        for r in frame.to_dicts()
    ]


def reader(session: Session, reader_id: str = "R-1", kind: str = "plate") -> str:
    hotlist_service.save_reader(
        session, SUPERVISOR, ReaderIn(id=reader_id, name=f"Reader {reader_id}", kind=kind, lat=60.17, lon=24.94)
    )  # type: ignore[arg-type]
    return reader_id


def entry(session: Session, value: str, kind: str = "plate", case_ref: str = "CASE-2026-0042", days: int = 30) -> int:
    expires = context.now(session) + timedelta(days=days)
    made = hotlist_service.add_entry(
        session, SUPERVISOR, HotlistEntryIn(kind=kind, value=value, case_ref=case_ref, expires_at=expires)
    )  # type: ignore[arg-type]
    return made.id
