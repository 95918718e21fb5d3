"""Knox test for near-repeat victimisation, following the Near Repeat Calculator's conventions.

Ratcliffe's Near Repeat Calculator (NRC, v1.3) counts every pair of incidents into spatial ×
temporal bands and compares each count with the mean of Monte Carlo runs in which the dates
are shuffled over the places. Its conventions, which this module reproduces (see
``docs/crime.md`` for the check against the calculator's own output on Chicago 2014):

- distances are Manhattan (|dx| + |dy|) by default, Euclidean on request;
- "Same location" means a distance of exactly 0;
- a band labelled "a to b" is computed on the half-open interval [a-1, b): the spatial band
  "1 to 200" holds 0 < d < 200 and the temporal band "3 to 4" holds gaps of 2 or 3 days
  (Davies & Ratcliffe's note in the NearRepeat repository); the first temporal band "0 to b"
  holds gaps 0 .. b-1, so same-day pairs are in it;
- the last row and column ("More than ...") hold every remaining pair (d >= n·bandwidth,
  gap >= m·bandwidth);
- the p-value of a cell is (1 + runs with a count >= observed) / (runs + 1), so 99 runs give
  p = 0.01 at best;
- the ratio is observed / mean of the runs' counts.

Only pairs closer than the outer spatial edge are enumerated (a k-d tree); the outer row is
the total of each time band (fixed under shuffling) minus the inner rows, so 12,334 burglaries
(76 million pairs) and 99 runs take about a second.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from lantern.crime.grid import FloatArray

IntArray = np.ndarray


@dataclass(frozen=True)
class KnoxResult:
    """Observed counts, Monte Carlo runs and the derived tables; rows are space bands, columns time bands."""

    space_labels: list[str]
    time_labels: list[str]
    observed: IntArray  # (rows, cols) int64
    simulated: IntArray  # (runs, rows, cols) int64
    expected_exact: FloatArray  # analytic mean under shuffling: row total x column total / pairs
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def mean_expected(self) -> FloatArray:
        """Mean count of the Monte Carlo runs (the calculator's "mean expected")."""
        return np.asarray(self.simulated.mean(axis=0), dtype=np.float64)

    @property
    def ratio(self) -> FloatArray:
        """Observed over mean expected (the calculator's headline table)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.mean_expected > 0, self.observed / self.mean_expected, np.nan)

    @property
    def p_values(self) -> FloatArray:
        """(1 + runs >= observed) / (runs + 1) per cell."""
        runs = self.simulated.shape[0]
        return np.asarray((1 + (self.simulated >= self.observed[None]).sum(axis=0)) / (runs + 1), dtype=np.float64)

    @property
    def ratio_standard_error(self) -> FloatArray:
        """Monte Carlo standard error of the ratio (from the spread of the runs)."""
        runs = self.simulated.shape[0]
        mean = self.mean_expected
        sd = self.simulated.std(axis=0, ddof=1) if runs > 1 else np.zeros_like(mean)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(mean > 0, self.observed * sd / np.sqrt(runs) / mean**2, np.nan)

    def table(self, values: FloatArray, decimals: int = 2) -> list[list[str]]:
        """Rows of labelled values, header first, as the calculator prints them."""
        rows = [["", *self.time_labels]]
        for label, row in zip(self.space_labels, values, strict=True):
            rows.append([label, *(f"{v:.{decimals}f}" for v in row)])
        return rows


def band_labels(bandwidth: int, bands: int, unit: str = "") -> list[str]:
    """The calculator's labels: '0 to b' (time) or '1 to b' (space) first, then 'a+1 to 2b', ..., 'More than nb'."""
    first = 0 if unit == "days" else 1
    labels = [f"{first} to {bandwidth}"] + [f"{k * bandwidth + 1} to {(k + 1) * bandwidth}" for k in range(1, bands)]
    return [*labels, f"More than {bands * bandwidth}"]


def _lag_pair_counts(days: IntArray) -> IntArray:
    """Number of unordered pairs at each day gap 0, 1, 2, ... (autocorrelation of the daily histogram)."""
    hist = np.bincount(days - days.min()).astype(np.float64)
    n = len(hist)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(hist, size)
    lags = np.rint(np.fft.irfft(spectrum * np.conj(spectrum), size)[:n]).astype(np.int64)
    lags[0] = (lags[0] - len(days)) // 2
    return lags


def knox_test(
    x: FloatArray,
    y: FloatArray,
    days: IntArray,
    *,
    spatial_bandwidth: float,
    spatial_bands: int,
    temporal_bandwidth: int,
    temporal_bands: int,
    metric: str = "manhattan",
    iterations: int = 99,
    seed: int = 0,
) -> KnoxResult:
    """Knox test over (spatial_bands + 2) x (temporal_bands + 1) bands with Monte Carlo significance.

    ``days`` are whole days (e.g. days since the first date); ``x``/``y`` in metres (or any unit
    the bandwidth is in). The same ``seed`` gives the same runs, hence the same p-values.

    Examples
    --------
    >>> # the calculator's pathological example: one pair, 100 m and 3 days apart
    >>> r = knox_test(np.array([0.0, 0.0]), np.array([0.0, 100.0]), np.array([0, 3]),
    ...               spatial_bandwidth=100, spatial_bands=2, temporal_bandwidth=3, temporal_bands=2,
    ...               iterations=9)
    >>> r.observed.tolist()  # '101 to 200' metres, '4 to 6' days
    [[0, 0, 0], [0, 0, 0], [0, 1, 0], [0, 0, 0]]
    """
    if metric not in ("manhattan", "euclidean"):
        raise ValueError(f"metric must be 'manhattan' or 'euclidean', got {metric!r}")
    if spatial_bands < 1 or temporal_bands < 1 or spatial_bandwidth <= 0 or temporal_bandwidth <= 0:
        raise ValueError("bandwidths must be positive and there must be at least one band of each kind")
    xy = np.column_stack([np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)])
    t = np.asarray(days, dtype=np.int64)
    n = len(t)
    if n < 2:
        raise ValueError("the Knox test needs at least two incidents")
    total_pairs = n * (n - 1) // 2
    outer = spatial_bandwidth * spatial_bands
    pairs = cKDTree(xy).query_pairs(outer, p=1 if metric == "manhattan" else 2, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    diff = np.abs(xy[i] - xy[j])
    d = diff.sum(axis=1) if metric == "manhattan" else np.hypot(diff[:, 0], diff[:, 1])
    inner = d < outer
    i, j, d = i[inner], j[inner], d[inner]
    # Row 0: same location; row k (1..n): [(k-1)·bw, k·bw) without zero distance.
    space_row = np.where(d == 0, 0, np.floor(d / spatial_bandwidth).astype(np.int64) + 1)
    rows, cols = spatial_bands + 2, temporal_bands + 1

    lag_pairs = _lag_pair_counts(t)
    edges = temporal_bandwidth * np.arange(temporal_bands + 1)
    column_totals = np.array(
        [lag_pairs[edges[k] : edges[k + 1]].sum() for k in range(temporal_bands)] + [lag_pairs[edges[-1] :].sum()]
    )

    def table(times: IntArray) -> IntArray:
        gap = np.abs(times[i] - times[j])
        col = np.minimum(gap // temporal_bandwidth, temporal_bands)
        counts = np.bincount(space_row * cols + col, minlength=(rows - 1) * cols).reshape(rows - 1, cols)
        return np.vstack([counts, column_totals - counts.sum(axis=0)])

    observed = table(t)
    rng = np.random.default_rng(seed)
    simulated = (
        np.stack([table(rng.permutation(t)) for _ in range(iterations)])
        if iterations
        else np.zeros((0, rows, cols), dtype=np.int64)
    )
    row_totals = observed.sum(axis=1)
    expected_exact = np.outer(row_totals, column_totals) / total_pairs
    return KnoxResult(
        space_labels=["Same location", *band_labels(int(spatial_bandwidth), spatial_bands)],
        time_labels=band_labels(temporal_bandwidth, temporal_bands, "days"),
        observed=observed,
        simulated=simulated,
        expected_exact=expected_exact,
        parameters={
            "spatial_bandwidth": spatial_bandwidth,
            "spatial_bands": spatial_bands,
            "temporal_bandwidth": temporal_bandwidth,
            "temporal_bands": temporal_bands,
            "metric": metric,
            "iterations": iterations,
            "seed": seed,
            "incidents": n,
            "pairs": total_pairs,
        },
    )


def to_nrc_csv(
    result: KnoxResult,
    *,
    source_name: str = "",
    created: str = "",
    records: list[tuple[float, float, str]] | None = None,
) -> str:
    """The result in the layout of the calculator's ``*_NRverbose.csv`` file.

    Three labelled tables (ratio, significance, observed), then one block per cell with every
    run's count, min, max, mean, p-value and ratio, then the source records when given.
    """
    width = 20
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")

    def line(*cells: Any) -> None:
        row = [str(c) for c in cells]
        out.writerow(row + [""] * max(0, width - len(row)))

    runs = result.simulated.shape[0]
    line("<<<<< Near Repeat Calculator 1.3 >>>>>")
    line("Lantern crime analysis (Knox test, Near Repeat Calculator conventions)")
    line("<<<<<<<<<<<<<<<<<<<>>>>>>>>>>>>>>>>>")
    line(f"Source data file: {source_name}")
    line(f"Source data records used: {result.parameters.get('incidents', '')}")
    line("Source data rows not used: 0")
    line(f"This file created: {created}")
    line()
    columns = list(range(1, len(result.time_labels) + 1))

    def short(v: float, decimals: int) -> str:
        return f"{v:.{decimals}f}".rstrip("0").rstrip(".")

    tables: list[tuple[str, list[list[str]]]] = [
        ("Observed over mean expected frequencies", [[short(v, 3) for v in row] for row in result.ratio]),
        ("Statistical significant table", [[short(v, 2) for v in row] for row in result.p_values]),
        ("Observed frequencies distribution", [[str(int(v)) for v in row] for row in result.observed]),
    ]
    for title, values in tables:
        line(title)
        line("", "", *result.time_labels)
        line("v Row", "Column >", *columns, " ")
        for r, (label, row) in enumerate(zip(result.space_labels, values, strict=True), start=1):
            line(r, f" {label}" if r == 1 else label, *row)
        line()
    for c in range(len(result.time_labels)):
        for r in range(len(result.space_labels)):
            line("  ")
            line(f"Row {r + 1} Column {c + 1}")
            sims = result.simulated[:, r, c]
            out.writerow(["Expected", *(int(v) for v in sims)])
            line()
            line("Observed", int(result.observed[r, c]))
            line("Min", int(sims.min()) if runs else "")
            line("Max", int(sims.max()) if runs else "")
            line("Mean", f"{sims.mean():.10g}" if runs else "")
            line("P value", f"{result.p_values[r, c]:.2f}".rstrip("0").rstrip("."))
            line("Obs over Mean Exp", f"{result.ratio[r, c]:.10g}")
    line()
    if records:
        line("SOURCE DATA:")
        line("Rec", " X", " Y", " Date")
        for k, (px, py, date) in enumerate(records, start=1):
            line(k, f"{px:.1f}", f"{py:.1f}", f" {date}")
    return buf.getvalue()


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_nrc_summary(html: str) -> list[list[list[str]]]:
    """The tables of a calculator ``*_NRsummary.htm`` file (ratio table first, then significance)."""
    parser = _TableParser()
    parser.feed(html)
    return [t for t in parser.tables if t]
