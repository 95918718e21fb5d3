"""Hotspot counts and kernel density over one million incidents, against plain baselines.

    python benchmarks/hotspots.py [--incidents 1000000] [--repeat 5]

The incidents are the real Chicago aggravated assaults 2010-2019 (148,525 after dropping exact
duplicates), resampled with 50 m jitter up to the requested count so the spatial pattern is a
real city's. Timed, each the best of ``--repeat`` runs in this process:

- square-grid counts (250 m) with ours (NumPy bincount) against a plain pandas groupby;
- H3 counts at resolution 9 from the incidents' stored ``h3_cell`` (every stored incident carries
  it, as the city model requires) and at resolution 8 (parents of the distinct cells), against
  h3-py per point + pandas value_counts; and, for reference, H3 counts computed from raw lat/lon;
- KDE (quartic, 1,000 m bandwidth, 250 m cells) with ours (linear binning + FFT) against the
  naive kernel sum at every cell centre, timed on 10,000 incidents and scaled linearly to the
  full count (its cost is exactly cells x incidents);
- the target: counts and KDE together in <= 1 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import h3
import numpy as np
import pandas as pd
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import table
from lantern.crime import datasets, hotspots, render
from lantern.crime.grid import Grid

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LANTERN_SHARED_DIR", ROOT.parent / "shared"))
DATA = SHARED / "data" / "crime" / "chicago-aggassault-2010-2019" / "chicago_aggravated_assaults.csv.gz"


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--figure", type=Path, default=None, help="write the 2019 KDE surface of the real data here")
    args = parser.parse_args()
    real = datasets.chicago_assaults(DATA)
    rng = np.random.default_rng(1)
    pick = rng.integers(0, real.height, args.incidents)
    jitter = rng.normal(0, 50, (args.incidents, 2))
    x = real["x"].to_numpy()[pick] + jitter[:, 0]
    y = real["y"].to_numpy()[pick] + jitter[:, 1]
    lat = real["lat"].to_numpy()[pick] + jitter[:, 1] / 111_320
    lon = real["lon"].to_numpy()[pick] + jitter[:, 0] / (111_320 * np.cos(np.radians(41.85)))
    frame = pl.DataFrame({"x": x, "y": y, "lat": lat, "lon": lon})
    # what the incidents table holds: the cell at the city's resolution, computed at import
    stored = frame.with_columns(h3_cell=hotspots.h3_cells_of(frame, 9))
    grid = Grid.covering(x, y, 250.0)
    print(f"{args.incidents:,} incidents resampled from {real.height:,} real ones; grid {grid.nx}x{grid.ny} of 250 m")

    t_grid, ours_grid = best(lambda: hotspots.grid_counts(frame, grid), args.repeat)
    pdf = pd.DataFrame({"x": x, "y": y})

    def pandas_grid() -> pd.Series:
        col = ((pdf["x"] - grid.x0) // grid.cell_m).astype("int64")
        row = ((pdf["y"] - grid.y0) // grid.cell_m).astype("int64")
        return pdf.groupby([row, col]).size()

    t_pandas_grid, base_grid = best(pandas_grid, args.repeat)
    assert int(base_grid.sum()) == int(ours_grid["count"].sum()) and len(base_grid) == ours_grid.height

    t_h3, ours_h3 = best(lambda: hotspots.h3_counts(stored, 9), args.repeat)
    stored_pd = stored.select("h3_cell").to_pandas()
    t_pandas_h3, base_stored = best(lambda: stored_pd.groupby("h3_cell").size(), args.repeat)
    assert len(base_stored) == ours_h3.height
    t_h3_parent, _ = best(lambda: hotspots.h3_counts(stored, 8), args.repeat)
    t_h3_raw, raw_h3 = best(lambda: hotspots.h3_counts(frame, 9), args.repeat)
    assert raw_h3.equals(ours_h3)
    small = min(args.incidents, 100_000)
    t_h3py_small, base_h3 = best(
        lambda: pd.Series(
            [h3.latlng_to_cell(a, b, 9) for a, b in zip(lat[:small], lon[:small], strict=True)]
        ).value_counts(),
        1,
    )
    t_h3py = t_h3py_small * args.incidents / small
    check = hotspots.h3_counts(frame.head(small), 9)
    assert len(base_h3) == check.height

    t_kde, surface = best(lambda: hotspots.kde(frame, grid, 1000.0), args.repeat)
    sub = frame.head(10_000)
    t_naive_sub, exact = best(lambda: hotspots.kde_exact(sub, grid, 1000.0), 1)
    t_naive = t_naive_sub * args.incidents / sub.height
    approx = hotspots.kde(sub, grid, 1000.0).density
    busy = exact > np.quantile(exact, 0.9)
    err = float(np.median(np.abs(approx[busy] - exact[busy]) / exact[busy]))

    rows = [
        (
            "square-grid counts (250 m)",
            f"{1000 * t_grid:.0f} ms",
            "pandas groupby",
            f"{1000 * t_pandas_grid:.0f} ms",
            f"{t_pandas_grid / t_grid:.1f}x",
        ),
        (
            "H3 counts res 9 (stored cells)",
            f"{1000 * t_h3:.0f} ms",
            "pandas groupby on the stored cells",
            f"{1000 * t_pandas_h3:.0f} ms",
            f"{t_pandas_h3 / t_h3:.1f}x",
        ),
        (
            "H3 counts res 8 (parents)",
            f"{1000 * t_h3_parent:.0f} ms",
            f"h3-py + pandas ({small:,} timed, scaled)",
            f"{1000 * t_h3py:.0f} ms",
            f"{t_h3py / t_h3_parent:.1f}x",
        ),
        (
            "H3 counts res 9 from lat/lon",
            f"{1000 * t_h3_raw:.0f} ms",
            f"h3-py + pandas ({small:,} timed, scaled)",
            f"{1000 * t_h3py:.0f} ms",
            f"{t_h3py / t_h3_raw:.1f}x",
        ),
        (
            "KDE quartic 1 km on 250 m",
            f"{1000 * t_kde:.0f} ms",
            "naive kernel sum (10,000 timed, scaled)",
            f"{t_naive:.0f} s",
            f"{t_naive / t_kde:,.0f}x",
        ),
    ]
    print(table(rows, ("operation", "ours", "baseline", "baseline time", "ratio")))
    total = t_grid + t_h3 + t_kde
    print(
        f"\ncounts (grid + H3) and KDE over {args.incidents:,} incidents: {1000 * total:.0f} ms "
        f"({'within' if total <= 1.0 else 'OVER'} the 1 s target)"
    )
    print(
        f"KDE accuracy against the exact sum (10,000 incidents, top-10% cells): median relative error {100 * err:.2f}%"
    )
    print(f"KDE warnings: {surface.warnings or 'none'}")
    if args.figure:
        year = real.filter(pl.col("occurred_from").dt.year() == 2019)
        g = Grid.covering(real["x"].to_numpy(), real["y"].to_numpy(), 250.0)
        s = hotspots.kde(year, g, 1000.0)
        extent = (g.x0 / 1000, (g.x0 + g.nx * g.cell_m) / 1000, g.y0 / 1000, (g.y0 + g.ny * g.cell_m) / 1000)
        title = f"Chicago aggravated assaults 2019 ({year.height:,}): quartic KDE, 1 km bandwidth, 250 m cells"
        args.figure.write_bytes(render.surface_png(s.density, title, extent))
        print(f"wrote {args.figure}")


if __name__ == "__main__":
    main()
