"""Trend alerts: weekly counts per type x district against a seasonal baseline with control limits.

For each group and week the baseline is the same season in earlier years (weeks w-52y-k .. w-52y+k
for y = 1..years, after Farrington et al. 1996), or the trailing weeks when there is less
history. Baseline mean m and variance v give the distribution of the week's count: Poisson
when v <= m, else negative binomial with the method-of-moments size r = m² / (v - m). The week
alerts when the observed count is above the upper control limit (the 1 - alpha quantile) —
significance under the baseline, not a raw percent change: 2 -> 5 burglaries (+150%) in a quiet
district is not an alert, 120 -> 150 assaults (+25%) in a busy one may be.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
from scipy import stats


def weekly_counts(frame: pl.DataFrame, by: list[str], start: datetime, weeks: int) -> pl.DataFrame:
    """Counts per group and week (``week`` 0..weeks-1 from ``start``), zero weeks included.

    Weeks before the first recorded incident of the whole frame are left out rather than
    counted as zeros: a year before records began is missing data, not a quiet year, and as
    zeros it would drag the seasonal baseline down and raise false alerts.
    """
    counted = (
        frame.with_columns(
            ((pl.col("occurred_from") - pl.lit(start)).dt.total_seconds() // (7 * 86400)).cast(pl.Int64).alias("week")
        )
        .filter(pl.col("week").is_between(0, weeks - 1))
        .group_by([*by, "week"])
        .agg(pl.len().cast(pl.Int64).alias("observed"))
    )
    groups = counted.select(by).unique()
    first = int(counted["week"].to_numpy().min()) if counted.height else weeks
    full = groups.join(pl.DataFrame({"week": np.arange(first, weeks, dtype=np.int64)}), how="cross")
    return (
        full.join(counted, on=[*by, "week"], how="left")
        .with_columns(pl.col("observed").fill_null(0))
        .sort([*by, "week"])
    )


def baseline_weeks(
    week: int, available: set[int] | None = None, years: int = 3, half_window: int = 3, trailing: int = 12
) -> list[int]:
    """Weeks whose counts form the baseline of ``week``: the same season in earlier years when
    at least one season's worth of them has data (is in ``available``), else the trailing weeks.

    Examples
    --------
    >>> baseline_weeks(110, set(range(200)), years=1)
    [55, 56, 57, 58, 59, 60, 61]
    >>> baseline_weeks(110, set(range(100, 200)), years=1)[:3]  # no data a year back
    [100, 101, 102]
    """
    have = available if available is not None else set(range(week))
    seasonal = [week - 52 * y + k for y in range(1, years + 1) for k in range(-half_window, half_window + 1)]
    seasonal = [w for w in seasonal if w >= 0 and w in have]
    if len(seasonal) >= 2 * half_window + 1:
        return seasonal
    return [w for w in range(week - trailing, week) if w >= 0 and w in have]


def control_limit(baseline: np.ndarray, alpha: float) -> tuple[float, float, str, float, float]:
    """(expected, upper limit, distribution, r or 0, p-function parameter) from baseline counts."""
    m = float(np.mean(baseline))
    v = float(np.var(baseline, ddof=1)) if len(baseline) > 1 else m
    if v > m > 0:
        r = m * m / (v - m)
        p = r / (r + m)
        return m, float(stats.nbinom.ppf(1 - alpha, r, p)), "negative binomial", r, p
    return m, float(stats.poisson.ppf(1 - alpha, max(m, 1e-9))), "poisson", 0.0, 0.0


def trend_alerts(
    counts: pl.DataFrame,
    by: list[str],
    weeks: list[int] | None = None,
    *,
    alpha: float = 0.005,
    min_observed: int = 3,
    years: int = 3,
    half_window: int = 3,
) -> pl.DataFrame:
    """Control-limit check of each group's weeks; one row per group x week with ``alert``.

    Columns: the group keys, ``week``, ``observed``, ``expected``, ``upper`` (the 1 - alpha
    quantile), ``p_value`` (P[X >= observed] under the baseline), ``distribution``,
    ``baseline_weeks`` and ``alert`` (observed > upper and observed >= min_observed).

    Examples
    --------
    >>> quiet = pl.DataFrame({"district": "7", "week": range(60), "observed": [2] * 59 + [5]})
    >>> trend_alerts(quiet, ["district"], [59])["alert"].to_list()  # +150%, but not significant
    [False]
    """
    rows = []
    for key, group in counts.sort("week").group_by(by, maintain_order=True):
        series = dict(zip(group["week"].to_list(), group["observed"].to_list(), strict=True))
        for week in weeks if weeks is not None else sorted(series):
            if week not in series:
                continue
            base_idx = baseline_weeks(week, set(series), years, half_window)
            if len(base_idx) < 4:
                continue
            base = np.array([series[w] for w in base_idx], dtype=np.float64)
            expected, upper, dist, r, p = control_limit(base, alpha)
            obs = series[week]
            if dist == "poisson":
                p_value = float(stats.poisson.sf(obs - 1, max(expected, 1e-9)))
            else:
                p_value = float(stats.nbinom.sf(obs - 1, r, p))
            rows.append(
                {
                    **dict(zip(by, key, strict=True)),
                    "week": week,
                    "observed": obs,
                    "expected": expected,
                    "upper": upper,
                    "p_value": p_value,
                    "distribution": dist,
                    "baseline_weeks": len(base_idx),
                    "alert": bool(obs > upper and obs >= min_observed),
                }
            )
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        **{b: counts.schema[b] for b in by},
        "week": pl.Int64,
        "observed": pl.Int64,
        "expected": pl.Float64,
        "upper": pl.Float64,
        "p_value": pl.Float64,
        "distribution": pl.String,
        "baseline_weeks": pl.Int64,
        "alert": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema)


def describe(alert: dict[str, object], by: list[str], start: datetime) -> str:
    """One line for the alert queue: what, where, how many against how many, and the significance."""
    week_start = start + timedelta(weeks=int(str(alert["week"])))
    where = ", ".join(f"{b} {alert[b]}" for b in by)
    return (
        f"{where}: {alert['observed']} in the week of {week_start:%Y-%m-%d} against {alert['expected']:.1f} expected "
        f"(upper limit {alert['upper']:.0f}, {alert['distribution']}), p = {alert['p_value']:.2g}"
    )
