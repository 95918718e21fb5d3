"""Deconfliction of declarations and live conformance, on hand-made volumes and telemetry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from shapely.geometry import LineString, Polygon

from lantern.drones.airspace import Volume, Zone, conflicts, problems
from lantern.drones.conformance import Airspace, FlightState, check, lost
from lantern.kit.geo import LocalProjection

CENTRE = (60.17, 24.94)
T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
PROJECTION = LocalProjection(*CENTRE)


def square(x0: float, y0: float, size: float) -> Polygon:
    """A square in local metres, returned in WGS84 (x = lon, y = lat)."""
    xs, ys = [x0, x0 + size, x0 + size, x0], [y0, y0, y0 + size, y0 + size]
    lat, lon = PROJECTION.to_latlon(xs, ys)
    return Polygon(list(zip(lon, lat, strict=True)))


def volume(
    area: Polygon,
    floor: float = 0,
    ceiling: float = 100,
    start: int = 0,
    end: int = 60,
    shape: str = "polygon",
    width: float = 0,
) -> Volume:
    return Volume(shape, area, width, floor, ceiling, T0 + timedelta(minutes=start), T0 + timedelta(minutes=end))


AIRPORT = Zone("efhf", "Malmi airport", "prohibited", square(1000, 0, 500), 0, 150, None, None)
PRISON = Zone("prison", "Prison", "authorisation", square(-1000, 0, 300), 0, 120, None, None)


@pytest.mark.parametrize(
    ("candidate", "approved", "police", "expected"),
    [
        (volume(square(0, 0, 400)), [], False, []),
        (volume(square(900, 100, 300)), [], False, ["crosses geozone Malmi airport"]),
        (volume(square(900, 100, 300), floor=150, ceiling=200), [], False, []),  # above the zone: separated
        (volume(square(-1100, 50, 200)), [], False, ["crosses geozone Prison"]),
        (volume(square(-1100, 50, 200)), [], True, []),  # police may enter an authorisation zone
        (volume(square(900, 100, 300)), [], True, ["crosses geozone Malmi airport"]),  # never a prohibited one
        (
            volume(square(0, 0, 400)),
            [("FD-1", volume(square(200, 200, 400), start=30, end=90))],
            False,
            ["overlaps approved flight FD-1"],
        ),
        (
            volume(square(0, 0, 400)),
            [("FD-1", volume(square(200, 200, 400), start=60, end=90))],
            False,
            [],
        ),  # same place, later
        (
            volume(square(0, 0, 400), floor=0, ceiling=60),
            [("FD-1", volume(square(200, 200, 400), floor=60, ceiling=100))],
            False,
            [],
        ),
        (
            volume(square(0, 0, 400), floor=0, ceiling=61),
            [("FD-1", volume(square(200, 200, 400), floor=60, ceiling=100))],
            False,
            ["overlaps approved flight FD-1"],
        ),
    ],
    ids=[
        "clear",
        "geozone",
        "above-zone",
        "authorisation-zone",
        "police-authorised",
        "police-prohibited",
        "overlap",
        "space-not-time",
        "altitude-separated",
        "altitude-overlap",
    ],
)
def test_declaration_conflicts(candidate: Volume, approved: list, police: bool, expected: list[str]) -> None:
    reasons = conflicts(candidate, [AIRPORT, PRISON], approved, PROJECTION, police)
    assert [r.split(" (")[0] for r in reasons] == expected


def test_a_corridor_is_as_wide_as_declared() -> None:
    lat, lon = PROJECTION.to_latlon([0, 900], [250, 250])
    line = LineString(list(zip(lon, lat, strict=True)))
    narrow = Volume("corridor", line, 100, 0, 100, T0, T0 + timedelta(hours=1))
    wide = Volume("corridor", line, 600, 0, 100, T0, T0 + timedelta(hours=1))
    assert conflicts(narrow, [AIRPORT], [], PROJECTION, False) == []
    assert conflicts(wide, [AIRPORT], [], PROJECTION, False) != [], (
        "300 m around the line reaches the airport at x = 1000"
    )


def test_a_volume_that_makes_no_sense_is_refused() -> None:
    bad = volume(square(0, 0, 100), floor=100, ceiling=50, start=10, end=5)
    assert problems(bad) == ["floor 100 m must be below ceiling 50 m", "the flight must end after it starts"]


def telemetry(points: list[tuple[int, float, float, float]], flight: str = "FD-1") -> pl.DataFrame:
    """(second, x, y, altitude) in local metres -> telemetry rows."""
    lat, lon = PROJECTION.to_latlon([p[1] for p in points], [p[2] for p in points])
    return pl.DataFrame(
        {
            "flight_id": [flight] * len(points),
            "time": [T0 + timedelta(seconds=p[0]) for p in points],
            "lat": list(lat),
            "lon": list(lon),
            "alt_m": [p[3] for p in points],
        }
    )


def airspace(**kwargs: object) -> Airspace:
    return Airspace({"FD-1": volume(square(0, 0, 400), floor=20, ceiling=80)}, [AIRPORT], CENTRE, **kwargs)  # type: ignore[arg-type]


def test_a_point_inside_the_footprint_but_above_the_ceiling_is_not_conforming() -> None:
    state, alerts, counts = check(
        FlightState(), telemetry([(0, 100, 100, 50), (1, 110, 100, 95), (2, 120, 100, 60)]), airspace()
    )
    assert alerts["kind"].to_list() == ["drone_outside_volume"]
    assert "above the ceiling (95 m > 80 m)" in alerts["detail"][0]
    assert counts["checked"] == 3 and state.flights["out_start"][0] is None, "back inside: the episode ended"


def test_non_conformance_over_60_s_escalates_once_even_across_batches() -> None:
    space = airspace()
    track = telemetry([(s, 450, 100, 50) for s in range(0, 91)])  # 50 m east of the area for 90 s
    state, first, _ = check(FlightState(), track.head(40), space)
    state = FlightState.from_bytes(state.to_bytes())
    state, second, _ = check(state, track.tail(-40), space)
    alerts = pl.concat([first, second])
    assert alerts["kind"].to_list() == ["drone_outside_volume", "drone_nonconformance"]
    assert alerts["time"][1] == T0 + timedelta(seconds=60)


def test_entering_a_geozone_alerts_and_telemetry_loss_alerts_once() -> None:
    space = Airspace({"FD-1": volume(square(800, 0, 400))}, [AIRPORT], CENTRE)
    state, alerts, _ = check(
        FlightState(), telemetry([(0, 900, 100, 50), (1, 1100, 100, 50), (2, 1110, 100, 50)]), space
    )
    assert alerts.filter(pl.col("kind") == "drone_in_geozone")["detail"].to_list() == [
        "inside geozone Malmi airport at 50 m"
    ]
    state, silent = lost(state, space, T0 + timedelta(seconds=10))
    assert silent.is_empty()
    state, silent = lost(state, space, T0 + timedelta(seconds=20))
    state, again = lost(state, space, T0 + timedelta(seconds=30))
    assert silent["kind"].to_list() == ["drone_telemetry_lost"] and again.is_empty()
