"""Explicit engine state: one row per vehicle (Polars), a ring of driving buckets (NumPy), and
geofence membership.

State is data, not objects, so the same rules run in-process, behind a broker or on a cluster,
and a checkpoint is just the state serialised (Arrow IPC and raw arrays) next to the stream offset.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import numpy as np
import polars as pl

TIME = pl.Datetime("us", "UTC")
RING_SLOTS = 97  # 96 fifteen-minute buckets of 24 h, plus the one being filled
VEHICLE_SCHEMA: dict[str, pl.DataType] = {
    "vehicle_id": pl.String(),
    # last accepted fix
    "last_time": TIME,
    "last_lat": pl.Float64(),
    "last_lon": pl.Float64(),
    "last_speed": pl.Float64(),
    # driving and rest accumulators (continuous-driving rule)
    "last_driving": pl.Boolean(),
    "stop_run_s": pl.Float64(),  # length of the stop run in progress
    "cont_drive_s": pl.Float64(),  # driving since the last rest of at least rest_min_s
    "stretch_start": TIME,
    "drive_alerted": pl.Boolean(),
    # episodes in progress (null when none)
    "over_start": TIME,
    "over_alerted": pl.Boolean(),
    "off_start": TIME,
    "off_alerted": pl.Boolean(),
    "offline_alerted": pl.Boolean(),
    # alerts already raised, so a later batch does not raise them again
    "ban_night": pl.Date(),  # the last night a night-ban alert was raised for
    "daily_over": pl.Boolean(),  # the last evaluated 24 h window was over the limit
}
INSIDE_SCHEMA: dict[str, pl.DataType] = {"vehicle_id": pl.String(), "fence_id": pl.String()}


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


@dataclass
class DailyRing:
    """Driving seconds per vehicle in the last 97 fifteen-minute buckets (slot = bucket % 97)."""

    ids: list[str] = field(default_factory=list)
    drive: np.ndarray = field(default_factory=lambda: np.zeros((0, RING_SLOTS), dtype=np.float32))
    bucket: np.ndarray = field(default_factory=lambda: np.full((0, RING_SLOTS), -1, dtype=np.int32))

    def rows_for(self, vehicle_ids: np.ndarray) -> np.ndarray:
        """Ring rows of these vehicles, adding rows for vehicles seen for the first time."""
        wanted = vehicle_ids.tolist()
        if wanted == self.ids:  # the steady state: the engine asks for the registry, in its order
            return np.arange(len(wanted), dtype=np.int64)
        index = {vid: i for i, vid in enumerate(self.ids)}
        new = [vid for vid in dict.fromkeys(wanted) if vid not in index]
        if new:
            for vid in new:
                index[vid] = len(self.ids)
                self.ids.append(vid)
            self.drive = np.vstack([self.drive, np.zeros((len(new), RING_SLOTS), dtype=np.float32)])
            self.bucket = np.vstack([self.bucket, np.full((len(new), RING_SLOTS), -1, dtype=np.int32)])
        return np.fromiter((index[v] for v in wanted), dtype=np.int64, count=len(wanted))

    def copy(self) -> DailyRing:
        return DailyRing(list(self.ids), self.drive.copy(), self.bucket.copy())

    def to_bytes(self) -> bytes:
        head = json.dumps(self.ids).encode()
        return len(head).to_bytes(8, "big") + head + self.drive.tobytes() + self.bucket.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> DailyRing:
        size = int.from_bytes(data[:8], "big")
        ids = json.loads(data[8 : 8 + size])
        n = len(ids)
        offset = 8 + size
        drive = np.frombuffer(data, dtype=np.float32, count=n * RING_SLOTS, offset=offset).reshape(n, RING_SLOTS).copy()
        offset += drive.nbytes
        bucket = np.frombuffer(data, dtype=np.int32, count=n * RING_SLOTS, offset=offset).reshape(n, RING_SLOTS).copy()
        return cls(ids, drive, bucket)


@dataclass
class EngineState:
    """Per-vehicle state, the 24 h driving ring, and which fences each vehicle is in."""

    vehicles: pl.DataFrame = field(default_factory=lambda: empty(VEHICLE_SCHEMA))
    ring: DailyRing = field(default_factory=DailyRing)
    inside: pl.DataFrame = field(default_factory=lambda: empty(INSIDE_SCHEMA))

    def to_bytes(self) -> bytes:
        """What a checkpoint stores: three length-prefixed parts."""
        parts = []
        for frame in (self.vehicles, self.inside):
            buffer = io.BytesIO()
            frame.write_ipc(buffer)
            parts.append(buffer.getvalue())
        parts.append(self.ring.to_bytes())
        return b"".join(len(p).to_bytes(8, "big") + p for p in parts)

    @classmethod
    def from_bytes(cls, data: bytes | None) -> EngineState:
        if not data:
            return cls()
        parts = []
        offset = 0
        for _ in range(3):
            size = int.from_bytes(data[offset : offset + 8], "big")
            parts.append(data[offset + 8 : offset + 8 + size])
            offset += 8 + size
        return cls(
            vehicles=pl.read_ipc(io.BytesIO(parts[0])).cast(VEHICLE_SCHEMA),  # type: ignore[arg-type]
            inside=pl.read_ipc(io.BytesIO(parts[1])).cast(INSIDE_SCHEMA),  # type: ignore[arg-type]
            ring=DailyRing.from_bytes(parts[2]),
        )

    def vehicle(self, vehicle_id: str) -> dict[str, object] | None:
        """One vehicle's state as a dict (pages, tests)."""
        rows = self.vehicles.filter(pl.col("vehicle_id") == vehicle_id).to_dicts()
        return rows[0] if rows else None
