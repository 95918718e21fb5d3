"""Kill the rule engine with SIGKILL mid-stream, restart it, and lose or duplicate no alert."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import select

from lantern.config import Settings
from lantern.db import transaction
from lantern.models import Alert, EngineCheckpoint
from lantern.monitor import service as monitor_service
from lantern.monitor.schemas import VehicleCreate
from lantern.runtime import build_runtime
from lantern.security.policy import Principal
from lantern.store import upgrade
from tests.factories.monitor import HELSINKI, positions
from tests.factories.tracks import Leg, at, track
from tests.support import databases

BATCH = 150
CLASSES = ["hazardous_goods", "coach", "school_bus", "truck"]


def _stream() -> tuple[dict[str, str], pl.DataFrame]:
    rng = random.Random(3)
    vehicles = {f"V{i}": CLASSES[i % 4] for i in range(8)}
    frames = []
    for vid in vehicles:
        legs = [Leg(rng.choice([10, 19, 20, 25, 60, 130]), rng.choice([0, 0, 40, 70, 95, 110])) for _ in range(10)]
        origin = (HELSINKI[0] + rng.uniform(-0.05, 0.05), HELSINKI[1])
        frames.append(
            track(vid, at("2026-11-02 18:00") + timedelta(minutes=rng.randint(0, 60)), legs, every_s=30, origin=origin)
        )
    return vehicles, pl.concat(frames).sort("time")


def _prepare(url: str, data_dir: Path) -> dict[str, str]:
    """A migrated database holding the whole stream as acknowledged (committed) input."""
    env = {
        "LANTERN_ENV": "test",
        "LANTERN_DATABASE_URL": url,
        "LANTERN_DATA_DIR": str(data_dir),
        "LANTERN_MONITOR_CLOCK": "event",
        "LANTERN_CITY_TIMEZONE": "Asia/Shanghai",
        "LANTERN_SCHEDULER_ENABLED": "false",
    }
    settings = Settings(
        env="test", database_url=url, data_dir=data_dir, monitor_clock="event", city_timezone="Asia/Shanghai"
    )
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    vehicles, stream = _stream()
    admin = Principal.system("tests")
    with transaction(runtime.sessions) as session:
        for vid, cls in vehicles.items():
            monitor_service.create_vehicle(session, admin, VehicleCreate(id=vid, plate=f"P-{vid}", vehicle_class=cls))
    with transaction(runtime.sessions) as session:
        monitor_service.ingest_positions(session, admin, positions(stream))
    runtime.dispose()
    return {**os.environ, **env}


def _engine(env: dict[str, str]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "lantern", "monitor", "run", "--batch-size", str(BATCH)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen[str]) -> None:
    _, stderr = process.communicate(timeout=240)
    assert process.returncode == 0, stderr


def _alerts(url: str, data_dir: Path) -> tuple[list[tuple[str, str, str]], int]:
    runtime = build_runtime(Settings(env="test", database_url=url, data_dir=data_dir))
    with transaction(runtime.sessions) as session:
        rows = [(a.dedupe_key, a.kind, a.subject_id) for a in session.scalars(select(Alert).order_by(Alert.dedupe_key))]
        checkpoint = session.get(EngineCheckpoint, "vehicles")
        done = checkpoint.position_id if checkpoint else 0
    runtime.dispose()
    return rows, done


def test_sigkill_mid_stream_loses_and_duplicates_nothing(fresh_database: str, tmp_path: Path) -> None:
    reference_url = databases.create_database(tmp_path, "reference")
    try:
        reference_env = _prepare(reference_url, tmp_path / "ref")
        _finish(_engine(reference_env))
        expected, total = _alerts(reference_url, tmp_path / "ref")
    finally:
        databases.drop_database(reference_url)
    assert len(expected) >= 10, "the stream must raise enough alerts to make the test meaningful"

    env = _prepare(fresh_database, tmp_path / "main")
    victim = _engine(env)
    assert victim.stdout is not None
    steps = 0
    while steps < 4:  # let it commit a few steps, then kill it without warning
        line = victim.stdout.readline()
        assert line, "the engine finished or died before it could be killed"
        steps += line.startswith("processed up to")
    time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    _, stopped_at = _alerts(fresh_database, tmp_path / "main")
    assert 0 < stopped_at < total, "the kill happened mid-stream"

    _finish(_engine(env))
    found, done = _alerts(fresh_database, tmp_path / "main")
    assert done == total
    assert found == expected, "the same alerts as an uninterrupted run: none lost, none twice"
