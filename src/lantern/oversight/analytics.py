"""Columnar oversight computations: frame in, frame out, no session.

- ``deadline_frame``: due times and status of many case steps at once (the same rules as
  ``deadlines.due_at``, vectorised; a test checks they agree).
- ``indicator_counts`` and ``peer_flags``: early intervention as transparent per-indicator
  comparisons with peers in the same unit and shift. There is no model, no composite score and
  no prediction: each indicator is compared with its own threshold, a flag lists the indicators
  that crossed theirs, and a supervisor decides what, if anything, follows.
- ``completeness``: enforcement actions without body-worn-camera footage or an evidence log entry.
- ``audit_findings``: review findings over audit entries read through the audit service.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from lantern.oversight.rules import RuleTable

UTC_DT = pl.Datetime("us", "UTC")
LEVELS = ("none", "yellow", "red")


def rules_frame(table: RuleTable) -> pl.DataFrame:
    """One row per rule: its jurisdiction, unit, base period, roll-over and yellow window."""
    rows = [
        {
            "rule_id": r.id,
            "jurisdiction": j.key,
            "timezone": j.timezone,
            "in_days": r.days is not None,
            "base": float(r.hours if r.hours is not None else r.days or 0),
            "roll_over": r.roll_over,
            "yellow_hours": None if r.yellow_hours is None else float(r.yellow_hours),
        }
        for j in table.jurisdictions
        for r in j.rules
    ]
    return pl.DataFrame(rows, schema_overrides={"yellow_hours": pl.Float64})


def deadline_frame(steps: pl.DataFrame, table: RuleTable, now: datetime) -> pl.DataFrame:
    """Add ``due_at`` and ``status`` to steps (step_id, rule_id, started_at, done_at, period).

    ``period`` is the allowed period after extensions in the rule's unit (null: the rule's own);
    ``deadlines.period_total`` computes it from the grants.
    """
    rules = rules_frame(table)
    joined = steps.join(rules, on="rule_id", how="left")
    unknown = joined.filter(pl.col("base").is_null())
    if unknown.height:
        raise ValueError(f"steps refer to unknown rules: {sorted(set(unknown['rule_id'].to_list()))[:5]}")
    joined = joined.with_columns(pl.coalesce("period", "base").alias("total"))
    hours = joined.filter(~pl.col("in_days")).with_columns(
        (pl.col("started_at") + pl.duration(microseconds=(pl.col("total") * 3_600e6).cast(pl.Int64))).alias("due_at")
    )
    parts = [hours]
    for jurisdiction in table.jurisdictions:
        part = joined.filter(pl.col("in_days") & (pl.col("jurisdiction") == jurisdiction.key))
        if part.height:
            parts.append(_due_in_days(part, jurisdiction.timezone, jurisdiction.holidays, jurisdiction.workdays))
    due = pl.concat(parts, how="vertical") if len(parts) > 1 else hours
    yellow = pl.coalesce(
        pl.duration(microseconds=(pl.col("yellow_hours") * 3_600e6).cast(pl.Int64)),
        (pl.col("due_at") - pl.col("started_at")) / 4,
    )
    now_lit = pl.lit(now).cast(UTC_DT)
    status = (
        pl.when(pl.col("done_at").is_not_null() & (pl.col("done_at") <= pl.col("due_at")))
        .then(pl.lit("done"))
        .when(pl.col("done_at").is_not_null())
        .then(pl.lit("done_late"))
        .when(now_lit > pl.col("due_at"))
        .then(pl.lit("red"))
        .when(now_lit >= pl.col("due_at") - yellow)
        .then(pl.lit("yellow"))
        .otherwise(pl.lit("green"))
    )
    return due.with_columns(status.alias("status")).select(*steps.columns, "due_at", "status")


def _due_in_days(part: pl.DataFrame, tz: str, holidays: Iterable[object], workdays: Iterable[object]) -> pl.DataFrame:
    holiday_list, workday_list = list(holidays), list(workdays)
    last = pl.col("started_at").dt.convert_time_zone(tz).dt.date() + pl.duration(days=pl.col("total").cast(pl.Int64))
    part = part.with_columns(last.alias("last_day"))
    # A roll-over moves past at most a long holiday plus its weekends; 15 passes cover the
    # longest PRC holiday (8 days) with margin, and each pass touches only rolling rows.
    for _ in range(15):
        weekend = pl.col("last_day").dt.weekday() >= 6
        idle = (weekend & ~pl.col("last_day").is_in(workday_list)) | pl.col("last_day").is_in(holiday_list)
        moving = pl.col("roll_over") & idle
        if not part.select(moving.any()).item():
            break
        part = part.with_columns(
            pl.when(moving).then(pl.col("last_day") + pl.duration(days=1)).otherwise(pl.col("last_day"))
        )
    end = (
        (pl.col("last_day") + pl.duration(days=1))
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )
    return part.with_columns(end.alias("due_at")).drop("last_day")


# --- early intervention -------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorThreshold:
    """When one indicator flags: leave-one-out z-score against peers and a floor on the count."""

    indicator: str
    window_days: int
    yellow_z: float
    red_z: float
    min_count: int
    min_peers: int = 4


def _windows(thresholds: Iterable[IndicatorThreshold]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"indicator": t.indicator, "window_days": t.window_days} for t in thresholds],
        schema={"indicator": pl.String, "window_days": pl.Int64},
    )


def indicator_counts(
    events: pl.DataFrame, roster: pl.DataFrame, thresholds: Iterable[IndicatorThreshold], as_of: datetime
) -> pl.DataFrame:
    """Per officer and indicator, events in the indicator's rolling window ending at ``as_of``.

    ``events``: officer, indicator, at. ``roster``: officer, unit, shift. Officers with no events
    get zero counts, so peer averages include the officers who had nothing to report.
    """
    thresholds = list(thresholds)
    as_of_lit = pl.lit(as_of).cast(UTC_DT)
    counted = (
        events.join(_windows(thresholds), on="indicator", how="inner")
        .filter((pl.col("at") <= as_of_lit) & (pl.col("at") > as_of_lit - pl.duration(days=pl.col("window_days"))))
        .group_by("officer", "indicator")
        .agg(pl.len().cast(pl.Int64).alias("value"))
    )
    return indicator_grid(counted, roster, thresholds)


def indicator_grid(
    counted: pl.DataFrame, roster: pl.DataFrame, thresholds: Iterable[IndicatorThreshold]
) -> pl.DataFrame:
    """Every rostered officer and indicator with its count in the window, zero where none.

    ``counted``: officer, indicator, value (events already counted per window, e.g. in SQL).
    ``roster``: officer, unit, shift. Returns officer, unit, shift, indicator, window_days, value.
    """
    grid = roster.select("officer", "unit", "shift").join(_windows(thresholds), how="cross")
    return (
        grid.join(counted.select("officer", "indicator", "value"), on=["officer", "indicator"], how="left")
        .with_columns(pl.col("value").cast(pl.Int64).fill_null(0))
        .select("officer", "unit", "shift", "indicator", "window_days", "value")
    )


def peer_comparison(counts: pl.DataFrame, thresholds: Iterable[IndicatorThreshold]) -> pl.DataFrame:
    """Each officer's indicator against peers in the same unit and shift (the officer left out).

    Adds peers, peer_mean, peer_std, z, percentile (share of peers with a lower value) and level
    (none / yellow / red) per indicator. No indicator is combined with another.
    """
    limits = pl.DataFrame(
        [
            {"indicator": t.indicator, "yellow_z": t.yellow_z, "red_z": t.red_z, "min_count": t.min_count,
             "min_peers": t.min_peers}
            for t in thresholds
        ]
    )  # fmt: skip
    group = ["unit", "shift", "indicator"]
    v = pl.col("value").cast(pl.Float64)
    frame = counts.with_columns(
        pl.len().over(group).alias("n"),
        v.sum().over(group).alias("s"),
        (v * v).sum().over(group).alias("ss"),
        v.rank("min").over(group).alias("rank_min"),
    ).join(limits, on="indicator", how="left")
    peers = pl.col("n") - 1
    peer_mean = (pl.col("s") - v) / peers
    peer_var = ((pl.col("ss") - v * v) - peers * peer_mean * peer_mean) / (peers - 1)
    frame = frame.with_columns(
        peers.alias("peers"),
        peer_mean.alias("peer_mean"),
        peer_var.clip(lower_bound=0.0).sqrt().alias("peer_std"),
        ((pl.col("rank_min") - 1) / peers.clip(lower_bound=1)).alias("percentile"),
    )
    # The spread used is the larger of the peers' standard deviation, the square root of their
    # mean (the spread expected of counts) and 0.5 events. Nine peers give a noisy standard
    # deviation: on uniform noise (benchmarks/oversight.py) the sample deviation alone flagged
    # 29.6 % of 10,000 officers at z >= 2; with this floor and the default thresholds, 3.9 %.
    z = (v - pl.col("peer_mean")) / pl.max_horizontal(
        pl.col("peer_std"), pl.col("peer_mean").clip(lower_bound=0).sqrt(), pl.lit(0.5)
    )
    enough = (pl.col("peers") >= pl.col("min_peers")) & (pl.col("value") >= pl.col("min_count"))
    level = (
        pl.when(enough & (z >= pl.col("red_z")))
        .then(pl.lit("red"))
        .when(enough & (z >= pl.col("yellow_z")))
        .then(pl.lit("yellow"))
        .otherwise(pl.lit("none"))
    )
    return frame.with_columns(z.alias("z"), level.alias("level")).select(
        "officer", "unit", "shift", "indicator", "window_days", "value", "peers", "peer_mean", "peer_std", "z",
        "percentile", "yellow_z", "red_z", "min_count", "level",
    )  # fmt: skip


def peer_flags(compared: pl.DataFrame) -> pl.DataFrame:
    """One row per officer with at least one indicator over its threshold: level and drivers.

    The level is the highest level among the officer's own indicators (no sum, no weighting);
    ``drivers`` lists exactly those indicators.
    """
    over = compared.filter(pl.col("level") != "none")
    return (
        over.with_columns(pl.col("level").replace_strict({"yellow": 1, "red": 2}, return_dtype=pl.Int8).alias("rank"))
        .group_by("officer", "unit", "shift")
        .agg(
            pl.col("rank").max().alias("rank"),
            pl.struct("indicator", "value", "peer_mean", "peer_std", "z", "percentile", "level", "window_days")
            .sort_by("indicator")
            .alias("drivers"),
        )
        .with_columns(pl.col("rank").replace_strict({1: "yellow", 2: "red"}, return_dtype=pl.String).alias("level"))
        .drop("rank")
        .sort("officer")
    )


# --- enforcement completeness -------------------------------------------------------------


def completeness(actions: pl.DataFrame, now: datetime, within_hours: float) -> pl.DataFrame:
    """Status per enforcement action: complete, pending (still within N hours) or incomplete.

    ``actions``: action_id, officer, kind, at, has_footage (reference, hash and a positive duration
    all present), evidence_logged_at (null when none). Adds ``missing`` (list of what is absent)
    and ``due_at``.
    """
    due = pl.col("at") + pl.duration(microseconds=int(within_hours * 3_600e6))
    logged_in_time = pl.col("evidence_logged_at").is_not_null() & (pl.col("evidence_logged_at") <= due)
    missing = pl.concat_list(
        pl.when(pl.col("has_footage")).then(pl.lit(None, pl.String)).otherwise(pl.lit("body-worn camera footage")),
        pl.when(logged_in_time).then(pl.lit(None, pl.String)).otherwise(pl.lit("evidence log entry")),
    ).list.drop_nulls()
    frame = actions.with_columns(due.alias("due_at"), missing.alias("missing"))
    status = (
        pl.when(pl.col("missing").list.len() == 0)
        .then(pl.lit("complete"))
        .when(pl.lit(now).cast(UTC_DT) <= pl.col("due_at"))
        .then(pl.lit("pending"))
        .otherwise(pl.lit("incomplete"))
    )
    return frame.with_columns(status.alias("status"))


# --- audit review --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditReviewParams:
    """Thresholds of the audit-review findings (see docs/oversight.md)."""

    timezone: str = "Europe/Helsinki"
    work_start_hour: int = 7
    work_end_hour: int = 19
    bulk_rows: int = 100
    peer_z: float = 3.0
    peer_min_reads: int = 20
    # Reads that are bound to a role rather than a case (a supervisor reviewing an officer's
    # early-intervention flag) are not "reads without a linked case".
    exempt_object_types: tuple[str, ...] = ("eis_flag", "officer_indicators")


def audit_findings(entries: pl.DataFrame, linked_refs: Iterable[str], params: AuditReviewParams) -> pl.DataFrame:
    """Findings over audit entries: finding, actor, seqs (the entries), detail.

    ``entries``: seq, at, actor, actor_role, action, object_type, purpose_ref, rows (exported rows,
    null when not an export). A personal-data read is an entry with action ``consult``;
    ``linked_refs`` are the purpose references that belong to a case (``case:…`` of existing cases
    and ``incident:…`` of incidents linked to one).
    """
    linked = list(set(linked_refs))
    schema = {"finding": pl.String, "actor": pl.String, "seqs": pl.List(pl.Int64), "detail": pl.String}
    reads = entries.filter(pl.col("action") == "consult")
    found: list[pl.DataFrame] = []

    unlinked = reads.filter(
        ~pl.col("purpose_ref").is_in(linked) & ~pl.col("object_type").is_in(list(params.exempt_object_types))
    )
    found.append(
        unlinked.group_by("actor")
        .agg(pl.col("seq").sort().alias("seqs"))
        .with_columns(
            pl.lit("read_without_case").alias("finding"),
            pl.format("{} personal-data reads without a linked case", pl.col("seqs").list.len()).alias("detail"),
        )
    )

    exports = entries.filter(
        pl.col("action").is_in(["audit_export", "disclose"]) & (pl.col("rows").fill_null(0) >= params.bulk_rows)
    )
    found.append(
        exports.group_by("actor")
        .agg(pl.col("seq").sort().alias("seqs"), pl.col("rows").sum().alias("total"))
        .with_columns(
            pl.lit("bulk_export").alias("finding"),
            pl.format("{} bulk export(s), {} rows in all", pl.col("seqs").list.len(), pl.col("total")).alias("detail"),
        )
        .drop("total")
    )

    local = reads.with_columns(pl.col("at").dt.convert_time_zone(params.timezone).alias("local"))
    after = local.filter(
        (pl.col("local").dt.hour() < params.work_start_hour)
        | (pl.col("local").dt.hour() >= params.work_end_hour)
        | (pl.col("local").dt.weekday() >= 6)
    )
    found.append(
        after.group_by("actor")
        .agg(pl.col("seq").sort().alias("seqs"))
        .with_columns(
            pl.lit("after_hours").alias("finding"),
            pl.format(
                "{} personal-data reads outside {}:00-{}:00 on working days ({})",
                pl.col("seqs").list.len(),
                pl.lit(params.work_start_hour),
                pl.lit(params.work_end_hour),
                pl.lit(params.timezone),
            ).alias("detail"),
        )
    )

    per_actor = reads.group_by("actor", "actor_role").agg(pl.len().alias("reads"), pl.col("seq").sort().alias("seqs"))
    n = pl.len().over("actor_role")
    v = pl.col("reads").cast(pl.Float64)
    s, ss = v.sum().over("actor_role"), (v * v).sum().over("actor_role")
    mean = (s - v) / (n - 1)
    std = (((ss - v * v) - (n - 1) * mean * mean) / (n - 2)).clip(lower_bound=0.0).sqrt()
    z = (v - mean) / pl.max_horizontal(std, pl.lit(1.0))
    heavy = per_actor.with_columns(n.alias("n"), mean.alias("mean"), z.alias("z")).filter(
        (pl.col("n") >= 3) & (pl.col("reads") >= params.peer_min_reads) & (pl.col("z") >= params.peer_z)
    )
    found.append(
        heavy.with_columns(
            pl.lit("reads_far_above_peers").alias("finding"),
            pl.format(
                "{} personal-data reads; peers in role {} average {} (z = {})",
                pl.col("reads"),
                pl.col("actor_role"),
                pl.col("mean").round(1),
                pl.col("z").round(1),
            ).alias("detail"),
        )
    )
    frames = [f.select(list(schema)).cast(schema) for f in found]  # type: ignore[arg-type]
    return pl.concat(frames).sort("finding", "actor")
