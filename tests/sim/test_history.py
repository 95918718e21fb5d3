"""The demo history: deterministic, and with the structure it claims to have."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
from sqlalchemy import func, select

from lantern.kit.geo import haversine_m_array
from lantern.models import Incident, SimTruth, Station, Unit
from lantern.sim.history import HistoryParams, generate_history


@pytest.fixture(scope="module")
def places():
    rng = np.random.default_rng(3)
    return rng.uniform(60.160, 60.180, 1500), rng.uniform(24.930, 24.955, 1500)


@pytest.fixture(scope="module")
def history(places):
    return generate_history(*places, HistoryParams(seed=7, end=datetime(2025, 1, 1, tzinfo=UTC)))


def test_same_seed_same_history_other_seed_other_history(places, history):
    assert generate_history(*places, HistoryParams(seed=7, end=datetime(2025, 1, 1, tzinfo=UTC))).equals(history)
    other = generate_history(*places, HistoryParams(seed=8, end=datetime(2025, 1, 1, tzinfo=UTC)))
    assert not other.equals(history)


def test_a_year_of_incidents_within_the_window(history):
    assert 3000 < history.height < 4600
    assert history["occurred_from"].min() >= datetime(2024, 1, 2, tzinfo=UTC)
    assert history["occurred_from"].max() < datetime(2025, 1, 1, tzinfo=UTC)


def test_burglary_peaks_by_day_and_disorder_by_night(history):
    zone = ZoneInfo("Europe/Helsinki")
    local = history.with_columns(pl.col("occurred_from").dt.convert_time_zone(str(zone)).dt.hour().alias("hour"))

    def share(category, start, end):
        hours = local.filter(pl.col("category") == category)["hour"]
        return float(((hours >= start) & (hours < end)).mean())

    # a flat profile would give 8/24 = 0.33 and 6/24 = 0.25
    assert share("burglary", 9, 17) > 0.45
    assert share("disorder", 18, 24) > 0.38


def test_hot_spots_concentrate_incidents(history):
    counts = history.group_by("lat", "lon").len().sort("len", descending=True)["len"].to_numpy()
    top_share = counts[: max(1, len(counts) // 20)].sum() / counts.sum()
    assert top_share > 0.2  # the top 5% of places hold over a fifth of incidents


def test_near_repeats_follow_their_parent_closely_in_space_and_time(history):
    children = history.filter(pl.col("process") == "near_repeat")
    assert children.height > 30
    joined = children.join(
        history.select(
            pl.col("natural_key").alias("parent_key"),
            pl.col("lat").alias("plat"),
            pl.col("lon").alias("plon"),
            pl.col("occurred_from").alias("pfrom"),
        ),
        on="parent_key",
    )
    assert joined.height == children.height
    distance = haversine_m_array(
        joined["lat"].to_numpy(),
        joined["lon"].to_numpy(),
        joined["plat"].to_numpy(),
        joined["plon"].to_numpy(),
    )
    assert distance.max() <= 200.5
    delay = (joined["occurred_from"] - joined["pfrom"]).dt.total_seconds().to_numpy()
    assert (delay >= 0).all() and delay.max() <= 14 * 86400
    assert set(children["category"].unique()) == {"burglary"}


def test_demo_build_stores_stations_units_incidents_and_truth(session):
    assert session.scalar(select(func.count()).select_from(Station)) == 4
    assert session.scalar(select(func.count()).select_from(Unit)) == 16
    incidents = session.scalar(select(func.count()).select_from(Incident).where(Incident.source == "sim"))
    assert incidents == session.scalar(select(func.count()).select_from(SimTruth))
    nr = session.scalars(select(SimTruth).where(SimTruth.process == "near_repeat").limit(5)).all()
    assert nr and all(t.parent_incident_id is not None for t in nr)
