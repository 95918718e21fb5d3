"""Column layouts shared by the rules: what a rule emits when it fires."""

from __future__ import annotations

import polars as pl

from lantern.monitor.rules.state import TIME

# One row per alert. ``key_time`` (with ``ref``) names the condition, so the alert's dedupe key is
# the same however the stream was batched and however often it is replayed.
ALERT_SCHEMA: dict[str, pl.DataType] = {
    "vehicle_id": pl.String(),
    "kind": pl.String(),
    "time": TIME,
    "key_time": TIME,
    "ref": pl.String(),
    "lat": pl.Float64(),
    "lon": pl.Float64(),
    "value": pl.Float64(),
    "detail": pl.String(),
}


def no_alerts() -> pl.DataFrame:
    return pl.DataFrame(schema=ALERT_SCHEMA)


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Fill missing columns and order them, so rule outputs concatenate."""
    for name, dtype in ALERT_SCHEMA.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None if name != "ref" else "", dtype=dtype).alias(name))
    return frame.select([pl.col(name).cast(dtype) for name, dtype in ALERT_SCHEMA.items()])
