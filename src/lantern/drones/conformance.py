"""Live conformance of drone telemetry: a pure step over a columnar batch with explicit state.

Per telemetry point: is it inside its flight's declared 4D volume (footprint, altitude band and
time window, the same volume the declaration was approved for), and is it inside an active
geozone? Outside the volume alerts at once and escalates after ``escalate_s`` (60 s) of continuous
non-conformance; a geozone entry alerts once per episode; telemetry silent for ``lost_s`` (15 s)
during the flight's window alerts once per silence. The episode logic is the vehicle engine's
(``lantern.monitor.rules.episodes``) and so is the runner that checkpoints it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import numpy as np
import polars as pl
import shapely
from shapely.geometry.base import BaseGeometry

from lantern.drones.airspace import Volume, Zone
from lantern.kit.geo import LocalProjection
from lantern.monitor.rules import segments as seg
from lantern.monitor.rules.episodes import episodes
from lantern.monitor.rules.schema import conform, no_alerts
from lantern.monitor.rules.zones import project

TIME = pl.Datetime("us", "UTC")
FLIGHT_SCHEMA: dict[str, pl.DataType] = {
    "flight_id": pl.String(),
    "last_time": TIME,
    "last_lat": pl.Float64(),
    "last_lon": pl.Float64(),
    "out_start": TIME,
    "out_alerted": pl.Boolean(),
    "esc_start": TIME,
    "esc_alerted": pl.Boolean(),
    "zone_start": TIME,
    "zone_alerted": pl.Boolean(),
    "lost_alerted": pl.Boolean(),
}
BATCH_SCHEMA: dict[str, pl.DataType] = {
    "flight_id": pl.String(),
    "time": TIME,
    "lat": pl.Float64(),
    "lon": pl.Float64(),
    "alt_m": pl.Float64(),
}


@dataclass
class Airspace:
    """The approved flights being watched and the geozones, projected once."""

    flights: dict[str, Volume]
    zones: list[Zone]
    centre: tuple[float, float]
    authorised: dict[str, set[str]] = field(default_factory=dict)  # flight -> zones it may enter
    escalate_s: float = 60.0
    lost_s: float = 15.0

    @cached_property
    def projection(self) -> LocalProjection:
        return LocalProjection(*self.centre)

    @cached_property
    def ids(self) -> list[str]:
        return list(self.flights)

    @cached_property
    def enum(self) -> pl.Enum:
        return pl.Enum(self.ids)

    @cached_property
    def footprints(self) -> np.ndarray:
        shapes = [v.footprint(self.projection) for v in self.flights.values()]
        for shape in shapes:
            shapely.prepare(shape)
        return np.array(shapes, dtype=object)

    @cached_property
    def table(self) -> pl.DataFrame:
        """Per flight (by index): altitude band and time window."""
        return pl.DataFrame(
            {
                "floor_m": [v.floor_m for v in self.flights.values()],
                "ceiling_m": [v.ceiling_m for v in self.flights.values()],
                "starts_at": [v.starts_at for v in self.flights.values()],
                "ends_at": [v.ends_at for v in self.flights.values()],
            },
            schema={"floor_m": pl.Float64, "ceiling_m": pl.Float64, "starts_at": TIME, "ends_at": TIME},
        )

    def allowed_in(self, zone_id: str) -> np.ndarray:
        """Per flight index: may this flight enter the zone (a police mission in an authorisation zone)."""
        cache = self.__dict__.setdefault("_allowed", {})
        if zone_id not in cache:
            cache[zone_id] = np.array([zone_id in self.authorised.get(f, set()) for f in self.ids], dtype=bool)
        return cache[zone_id]

    @cached_property
    def local_zones(self) -> list[tuple[Zone, BaseGeometry]]:
        out = []
        for zone in self.zones:
            local = project(zone.geometry, self.projection)
            shapely.prepare(local)
            out.append((zone, local))
        return out


@dataclass
class FlightState:
    flights: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=FLIGHT_SCHEMA))

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.flights.write_ipc(buffer)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes | None) -> FlightState:
        if not data:
            return cls()
        return cls(pl.read_ipc(io.BytesIO(data)).cast(FLIGHT_SCHEMA))  # type: ignore[arg-type]


def _m(column: str) -> pl.Expr:
    """Whole metres for messages."""
    return pl.col(column).round(0).cast(pl.Int64)


def check(
    state: FlightState, batch: pl.DataFrame, airspace: Airspace
) -> tuple[FlightState, pl.DataFrame, dict[str, int]]:
    """Conformance of one batch of telemetry; returns (state, alerts, counts)."""
    counts = {"received": batch.height}
    batch = batch.select([pl.col(n).cast(t) for n, t in BATCH_SCHEMA.items()])
    fix = batch["flight_id"].cast(airspace.enum, strict=False).to_physical().cast(pl.Int64)
    known = fix.is_not_null()
    counts["unknown_flight"] = int((~known).sum())
    x = batch.filter(known).with_columns(vix=fix.filter(known))
    if x.is_empty():
        return state, no_alerts(), counts
    carried = state.flights.rename({"flight_id": "flight_key"})
    x = x.join(carried, left_on="flight_id", right_on="flight_key", how="left")
    x = x.with_columns(airspace.table[x["vix"].to_numpy()])
    x = x.sort("vix", "time").with_columns(start=seg.starts())
    fresh = x.filter(
        ~((~pl.col("start")) & (pl.col("time") == pl.col("time").shift(1))).fill_null(False)
        & (pl.col("last_time").is_null() | (pl.col("time") > pl.col("last_time")))
    )
    counts["late"] = x.height - fresh.height
    x = fresh.with_columns(start=seg.starts(), end=seg.ends())
    px, py = airspace.projection.to_xy(x["lat"].to_numpy(), x["lon"].to_numpy())
    footprint = shapely.intersects_xy(airspace.footprints[x["vix"].to_numpy()], px, py)
    in_zone = np.zeros(x.height, dtype=bool)
    zone_name = np.full(x.height, None, dtype=object)
    alt = x["alt_m"].to_numpy()
    times = x["time"].to_numpy()
    for zone, local in airspace.local_zones:
        active = np.ones(x.height, dtype=bool)
        if zone.starts_at is not None:
            active &= times >= np.datetime64(zone.starts_at.replace(tzinfo=None), "us")
        if zone.ends_at is not None:
            active &= times < np.datetime64(zone.ends_at.replace(tzinfo=None), "us")
        allowed = np.array([zone.id in airspace.authorised.get(f, set()) for f in airspace.ids], dtype=bool)[
            x["vix"].to_numpy()
        ]
        hit = active & ~allowed & (alt >= zone.lower_m) & (alt <= zone.upper_m) & shapely.intersects_xy(local, px, py)
        zone_name[hit & ~in_zone] = zone.name
        in_zone |= hit
    x = x.with_columns(
        pl.Series("footprint", footprint),
        pl.Series("in_zone", in_zone),
        pl.Series("zone_name", zone_name.tolist(), dtype=pl.String),
    ).with_columns(
        outside=~(
            pl.col("footprint")
            & pl.col("alt_m").is_between(pl.col("floor_m"), pl.col("ceiling_m"))
            & (pl.col("time") >= pl.col("starts_at"))
            & (pl.col("time") <= pl.col("ends_at"))
        ),
    )
    why = (
        pl.when(~pl.col("footprint"))
        .then(pl.lit("outside the declared area"))
        .when(pl.col("alt_m") > pl.col("ceiling_m"))
        .then(pl.format("above the ceiling ({} m > {} m)", _m("alt_m"), _m("ceiling_m")))
        .when(pl.col("alt_m") < pl.col("floor_m"))
        .then(pl.format("below the floor ({} m < {} m)", _m("alt_m"), _m("floor_m")))
        .otherwise(pl.lit("outside the declared time"))
    )
    out_hits, out_state = episodes(x, "outside", "out_start", "out_alerted", pl.lit(0.0))
    esc_hits, esc_state = episodes(x, "outside", "esc_start", "esc_alerted", pl.lit(airspace.escalate_s))
    zone_hits, zone_state = episodes(x, "in_zone", "zone_start", "zone_alerted", pl.lit(0.0))
    alerts = pl.concat(
        [
            conform(
                out_hits.select(
                    pl.col("flight_id").alias("vehicle_id"),
                    kind=pl.lit("drone_outside_volume"),
                    time="time",
                    key_time="ep_start",
                    lat="lat",
                    lon="lon",
                    value="alt_m",
                    detail=why,
                )
            ),
            conform(
                esc_hits.select(
                    pl.col("flight_id").alias("vehicle_id"),
                    kind=pl.lit("drone_nonconformance"),
                    time="time",
                    key_time="ep_start",
                    lat="lat",
                    lon="lon",
                    value="alt_m",
                    detail=pl.format(
                        "not conforming for {} s: {}", (pl.col("time") - pl.col("ep_start")).dt.total_seconds(), why
                    ),
                )
            ),
            conform(
                zone_hits.select(
                    pl.col("flight_id").alias("vehicle_id"),
                    kind=pl.lit("drone_in_geozone"),
                    time="time",
                    key_time="ep_start",
                    lat="lat",
                    lon="lon",
                    value="alt_m",
                    detail=pl.format("inside geozone {} at {} m", pl.col("zone_name"), _m("alt_m")),
                )
            ),
        ]
    ).sort("time", "vehicle_id", "kind")
    last = x.filter(pl.col("end")).select(
        "vix", "flight_id", last_time="time", last_lat="lat", last_lon="lon", lost_alerted=pl.lit(False)
    )
    for partial in (
        out_state.rename({"ep_start": "out_start", "ep_alerted": "out_alerted"}),
        esc_state.rename({"ep_start": "esc_start", "ep_alerted": "esc_alerted"}),
        zone_state.rename({"ep_start": "zone_start", "ep_alerted": "zone_alerted"}),
    ):
        last = last.join(partial, on="vix", how="left")
    flights = pl.concat(
        [
            state.flights.join(last.select("flight_id"), on="flight_id", how="anti"),
            last.select(list(FLIGHT_SCHEMA)).cast(FLIGHT_SCHEMA),  # type: ignore[arg-type]
        ]
    )
    counts["checked"] = x.height
    return FlightState(flights), alerts, counts


def lost(state: FlightState, airspace: Airspace, now: datetime) -> tuple[FlightState, pl.DataFrame]:
    """Flights inside their window whose telemetry stopped for longer than ``lost_s``."""
    rows = []
    flights = state.flights
    seen = {r["flight_id"]: r for r in flights.to_dicts()}
    silent_ids = []
    for flight_id, volume in airspace.flights.items():
        if not volume.starts_at <= now <= volume.ends_at:
            continue
        record = seen.get(flight_id)
        if record is None or record["lost_alerted"]:
            continue  # never reported: the flight may not have taken off yet
        if (now - record["last_time"]).total_seconds() > airspace.lost_s:
            silent_ids.append(flight_id)
            rows.append(
                {
                    "vehicle_id": flight_id,
                    "kind": "drone_telemetry_lost",
                    "time": now,
                    "key_time": record["last_time"],
                    "lat": record["last_lat"],
                    "lon": record["last_lon"],
                    "value": (now - record["last_time"]).total_seconds(),
                    "detail": f"no telemetry since {record['last_time']:%H:%M:%S} UTC",
                }
            )
    if silent_ids:
        flights = flights.with_columns(lost_alerted=pl.col("lost_alerted") | pl.col("flight_id").is_in(silent_ids))
    alerts = conform(pl.DataFrame(rows, schema_overrides={"time": TIME, "key_time": TIME})) if rows else no_alerts()
    return FlightState(flights), alerts
