"""Readers for the public research data sets used to test and benchmark the crime analytics.

Each returns a Polars frame in the analytics' vocabulary (``x``/``y`` metres, ``lat``/``lon``,
``occurred_from``/``occurred_to`` UTC or whole ``day`` numbers). They read files only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from lantern.kit.geo import LocalProjection

CHICAGO_CENTRE = (41.8781, -87.6298)


def chicago_burglary(path: Path, year: int | None = None) -> pl.DataFrame:
    """Chicago burglaries 2014-2017 (tobydavies/NearRepeat): ``x``, ``y`` (EPSG:26971 metres), ``date``, ``day``.

    The file's ``date_single`` is day-first (DD/MM/YYYY) although the data folder's README says
    MM/DD/YYYY: its first field runs to 31 and its second never passes 12.
    """
    frame = pl.read_csv(path).with_columns(pl.col("date_single").str.strptime(pl.Date, "%d/%m/%Y").alias("date"))
    if year is not None:
        frame = frame.filter(pl.col("date").dt.year() == year)
    first = frame["date"].min()
    return frame.select("x", "y", "date", (pl.col("date") - pl.lit(first)).dt.total_days().cast(pl.Int64).alias("day"))


def chicago_assaults(path: Path, projection: LocalProjection | None = None) -> pl.DataFrame:
    """Chicago aggravated assaults 2010-2019: ``occurred_from`` (local time read as given), ``premise``,
    ``lat``, ``lon``, ``district``, projected ``x``/``y`` metres; exact duplicate rows dropped."""
    frame = pl.read_csv(path, schema_overrides={"district": pl.String}).unique(maintain_order=True)
    frame = frame.with_columns(pl.col("date").str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M").alias("occurred_from"))
    proj = projection or LocalProjection(*CHICAGO_CENTRE)
    x, y = proj.to_xy(frame["latitude"].to_numpy(), frame["longitude"].to_numpy())
    return frame.select(
        "occurred_from",
        pl.col("loc_cat").alias("premise"),
        pl.col("latitude").alias("lat"),
        pl.col("longitude").alias("lon"),
        "district",
        pl.Series("x", np.asarray(x)),
        pl.Series("y", np.asarray(y)),
    )


def crimelinkage(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The crimelinkage package's synthetic crimes and offender-crime rows (fictitious data).

    Crimes: ``crime_id``, ``x``, ``y``, ``occurred_from``, ``occurred_to``, ``mo1``..``mo3``,
    ``window_swapped`` (true where the file's from/to were the wrong way round).
    """
    crimes = pl.read_csv(
        folder / "crimes.csv",
        null_values=["NA"],
        schema_overrides={"TIME_FROM": pl.String, "TIME_TO": pl.String, "MO1": pl.String},
    )
    offenders = pl.read_csv(folder / "offenders.csv")

    def stamp(date: str, time: str) -> pl.Expr:
        # Times are HHMM strings and "2400" (end of day) occurs: add minutes to the date instead of parsing.
        hhmm = pl.col(time).str.zfill(4)
        minutes = hhmm.str.slice(0, 2).cast(pl.Int64) * 60 + hhmm.str.slice(2, 2).cast(pl.Int64)
        return pl.col(date).str.to_date("%Y-%m-%d").cast(pl.Datetime("us")) + pl.duration(minutes=minutes)

    crimes = crimes.select(
        pl.col("crimeID").alias("crime_id"),
        pl.col("X").cast(pl.Float64).alias("x"),
        pl.col("Y").cast(pl.Float64).alias("y"),
        stamp("DATE_FROM", "TIME_FROM").alias("occurred_from"),
        stamp("DATE_TO", "TIME_TO").alias("occurred_to"),
        pl.col("MO1").alias("mo1"),
        pl.col("MO2").alias("mo2"),
        pl.col("MO3").alias("mo3"),
    )
    # 14 of 490 rows end before they start (e.g. C:63, 04-05 00:00 -> 04-04 09:30): the fields are
    # swapped, so the window is the same interval read the other way round. Flag and swap.
    swapped = pl.col("occurred_to") < pl.col("occurred_from")
    crimes = crimes.with_columns(
        pl.when(swapped).then(pl.col("occurred_to")).otherwise(pl.col("occurred_from")).alias("occurred_from"),
        pl.when(swapped).then(pl.col("occurred_from")).otherwise(pl.col("occurred_to")).alias("occurred_to"),
        swapped.alias("window_swapped"),
    )
    return crimes, offenders.select(pl.col("offenderID").alias("offender_id"), pl.col("crimeID").alias("crime_id"))
