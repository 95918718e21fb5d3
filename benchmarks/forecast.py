"""Rolling-origin back-test of the crime forecasting methods on the real Chicago aggravated assaults.

    python benchmarks/forecast.py [--test-years 2017 2018 2019] [--cell-m 250] [--json docs/crime-backtest.json]

Weekly forecasts (Monday to Monday) for every week of the held-out test years, each made from
the data before that week only; methods with parameters are refitted at the start of each test
year on the years before it. The study area is every 250 m cell with at least one recorded
assault before the first test week. Prints hit rate, PAI and PEI at 1%, 5% and 10% of the area
for every method, per test year and overall, and how our model compares with the best
baseline at 5%.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import table
from lantern.crime import datasets
from lantern.crime.forecast.backtest import rolling_origin
from lantern.crime.forecast.boosting import GradientBoosting
from lantern.crime.forecast.methods import Naive, Prospective, RetrospectiveKDE
from lantern.crime.forecast.panel import build_panel
from lantern.crime.forecast.sepp import SEPP
from lantern.crime.grid import Grid

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LANTERN_SHARED_DIR", ROOT.parent / "shared"))
DATA = SHARED / "data" / "crime" / "chicago-aggassault-2010-2019" / "chicago_aggravated_assaults.csv.gz"
START = datetime(2010, 1, 4)  # the first Monday
OURS = "gradient boosting (ours)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--test-years", type=int, nargs="+", default=[2017, 2018, 2019])
    parser.add_argument("--cell-m", type=float, default=250.0)
    parser.add_argument("--json", type=Path, default=None, help="write the summary and parameters here")
    args = parser.parse_args()

    started = time.perf_counter()
    frame = datasets.chicago_assaults(DATA)
    grid = Grid.covering(frame["x"].to_numpy(), frame["y"].to_numpy(), args.cell_m)
    weeks = int((datetime(2020, 1, 1) - START).days // 7)
    panel = build_panel(frame, grid, START, 168.0, weeks)
    origins, labels = [], {}
    for t in range(weeks):
        year = panel.period_start(t).year
        if year in args.test_years and panel.period_start(t + 1) <= datetime(year + 1, 1, 1):
            origins.append(t)
            labels[t] = str(year)
    print(
        f"{frame.height:,} incidents (exact duplicates dropped), {grid.nx}x{grid.ny} cells of {args.cell_m:g} m, "
        f"{len(origins)} weekly origins in {', '.join(map(str, args.test_years))}"
    )
    methods = [Naive(), RetrospectiveKDE(), Prospective(), SEPP(), GradientBoosting()]
    result = rolling_origin(panel, methods, origins, labels=labels)
    print(
        f"study area {result.parameters['study_area_cells']:,} cells = {result.parameters['study_area_km2']} km²; "
        f"run took {time.perf_counter() - started:.0f} s"
    )

    for title, summary in (
        ("all test years", result.summary()),
        ("per test year", result.summary(("block", "method"))),
    ):
        print(f"\n## {title}\n")
        keys = [c for c in ("block", "method") if c in summary.columns]
        wide = []
        for key, group in summary.group_by(keys, maintain_order=True):
            cells = []
            for share in (0.01, 0.05, 0.10):
                r = group.filter(pl.col("coverage") == share).row(0, named=True)
                cells += [f"{100 * r['hit_rate']:.1f}%", f"{r['pai']:.2f}", f"{r['pei']:.2f}"]
            wide.append((*key, *cells))
        header = (*keys, "hit 1%", "PAI 1%", "PEI 1%", "hit 5%", "PAI 5%", "PEI 5%", "hit 10%", "PAI 10%", "PEI 10%")
        print(table(wide, header))

    five = result.rows.filter(pl.col("coverage") == 0.05)
    print("\n## ours against each baseline at 5% of area (mean hit rate over weekly origins)\n")
    verdict = []
    for year in [*map(str, args.test_years), "all"]:
        rows = five if year == "all" else five.filter(pl.col("block") == year)
        means = rows.group_by("method").agg(pl.col("hit_rate").mean()).to_dict(as_series=False)
        by = dict(zip(means["method"], means["hit_rate"], strict=True))
        ours = by.pop(OURS)
        best_name = max(by, key=lambda k: by[k])
        ours_weekly = rows.filter(pl.col("method") == OURS).sort("origin")["hit_rate"].to_numpy()
        best_weekly = rows.filter(pl.col("method") == best_name).sort("origin")["hit_rate"].to_numpy()
        wins = float(np.mean(ours_weekly > best_weekly))
        diff = ours_weekly - best_weekly
        # 95% interval of the mean weekly difference (paired, normal approximation)
        half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff))
        verdict.append(
            (
                year,
                f"{100 * ours:.2f}%",
                best_name,
                f"{100 * by[best_name]:.2f}%",
                f"{100 * (ours - by[best_name]):+.2f} pts",
                f"[{100 * (diff.mean() - half):+.2f}, {100 * (diff.mean() + half):+.2f}]",
                f"{100 * (ours / by[best_name] - 1):+.1f}%",
                f"{100 * wins:.0f}%",
                "yes" if ours > max(by.values()) else "NO",
            )
        )
    print(
        table(
            verdict,
            (
                "test year",
                "ours",
                "best baseline",
                "its hit rate",
                "difference",
                "95% CI",
                "relative",
                "weeks ours better",
                "beats all",
            ),
        )
    )
    print("\nrun parameters:")
    print(json.dumps(result.parameters, indent=1, default=str))
    if args.json:
        out = {
            "summary": result.summary().to_dicts(),
            "per_year": result.summary(("block", "method")).to_dicts(),
            "parameters": result.parameters,
            "command": "python benchmarks/forecast.py " + " ".join(sys.argv[1:]),
        }
        args.json.write_text(json.dumps(out, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
