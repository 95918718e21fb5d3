"""``lantern crime``: near-repeat (Knox) tests on files; ``lantern report crime``: the briefing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import numpy as np
import polars as pl
import typer

from lantern.cli.common import console, fail, make_runtime
from lantern.crime import nearrepeat, render
from lantern.crime import report as crime_report
from lantern.crime import service as crime_service
from lantern.db import transaction
from lantern.errors import DomainError
from lantern.security.policy import Principal

crime_app = typer.Typer(help="Crime analysis on files: near-repeat (Knox) tests.", no_args_is_help=True)
report_app = typer.Typer(help="Reports for briefings.", no_args_is_help=True)
OPERATOR = Principal.system("cli:crime")


@crime_app.command("knox")
def knox(
    file: Annotated[Path, typer.Argument(help="CSV with x, y (metres) and a date column", exists=True, dir_okay=False)],
    x: Annotated[str, typer.Option(help="x column (metres)")] = "x",
    y: Annotated[str, typer.Option(help="y column (metres)")] = "y",
    date: Annotated[str, typer.Option(help="date column")] = "date_single",
    date_format: Annotated[str, typer.Option(help="strftime format of the dates; check against the data")] = "%d/%m/%Y",
    year: Annotated[int | None, typer.Option(help="keep only this calendar year")] = None,
    spatial_bandwidth: Annotated[float, typer.Option(help="metres per spatial band")] = 200,
    spatial_bands: Annotated[int, typer.Option(min=1)] = 1,
    temporal_bandwidth: Annotated[int, typer.Option(help="days per temporal band")] = 7,
    temporal_bands: Annotated[int, typer.Option(min=1)] = 1,
    metric: Annotated[str, typer.Option(help="manhattan (the calculator's default) or euclidean")] = "manhattan",
    iterations: Annotated[int, typer.Option(min=0, help="Monte Carlo runs (99 -> p = 0.01 at best)")] = 99,
    seed: Annotated[int, typer.Option(help="same seed, same runs, same p-values")] = 0,
    out: Annotated[
        Path | None, typer.Option(help="write the result in the Near Repeat Calculator's CSV layout")
    ] = None,
    png: Annotated[Path | None, typer.Option(help="write the heat chart")] = None,
) -> None:
    """Knox test with the Near Repeat Calculator's conventions; prints ratio and significance tables."""
    frame = pl.read_csv(file).with_columns(pl.col(date).cast(pl.String).str.strptime(pl.Date, date_format).alias("_d"))
    if year is not None:
        frame = frame.filter(pl.col("_d").dt.year() == year)
    if frame.height < 2:
        console.print("fewer than two incidents: nothing to test")
        raise typer.Exit(code=2)
    first = frame["_d"].min()
    days = frame.select((pl.col("_d") - pl.lit(first)).dt.total_days())["_d"].to_numpy().astype(np.int64)
    result = nearrepeat.knox_test(
        frame[x].to_numpy(),
        frame[y].to_numpy(),
        days,
        spatial_bandwidth=spatial_bandwidth,
        spatial_bands=spatial_bands,
        temporal_bandwidth=temporal_bandwidth,
        temporal_bands=temporal_bands,
        metric=metric,
        iterations=iterations,
        seed=seed,
    )
    console.print(f"{frame.height:,} incidents, {result.parameters['pairs']:,} pairs, {metric} distance, seed {seed}")
    for title, values, decimals in (
        ("Observed", result.observed.astype(float), 0),
        ("Observed over mean expected", result.ratio, 2),
        ("Significance (p)", result.p_values, 2),
    ):
        console.print(f"\n{title}")
        for row in result.table(values, decimals):
            console.print("  ".join(f"{cell:>22}" for cell in row), highlight=False)
    if out:
        records = [
            (float(a), float(b), d.strftime("%d/%m/%Y"))
            for a, b, d in zip(frame[x].to_list(), frame[y].to_list(), frame["_d"].to_list(), strict=True)
        ]
        created = datetime.now(UTC).strftime("%d/%m/%Y %H:%M")
        out.write_text(nearrepeat.to_nrc_csv(result, source_name=file.name, created=created, records=records))
        console.print(f"wrote {out}")
    if png:
        png.write_bytes(render.knox_png(result))
        console.print(f"wrote {png}")


@crime_app.command("trend-alerts")
def trend_alerts(
    week: Annotated[str, typer.Option(help="Monday the week starts (UTC), e.g. 2026-11-16")],
) -> None:
    """Check the week's counts per type and district and raise alerts for significant rises (idempotent)."""
    runtime = make_runtime()
    try:
        with transaction(runtime.sessions) as session:
            raised = crime_service.raise_trend_alerts(session, OPERATOR, _moment(week))
    except DomainError as exc:
        raise fail(exc) from exc
    finally:
        runtime.dispose()
    for item in raised:
        console.print(("new  " if item["created"] else "seen ") + item["text"], highlight=False)
    console.print(f"{sum(1 for i in raised if i['created'])} new alerts, {len(raised)} in all")


def _moment(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@report_app.command("crime")
def crime(
    since: Annotated[str, typer.Option("--from", help="window start, e.g. 2025-12-01 (UTC)")],
    until: Annotated[str, typer.Option("--to", help="window end, exclusive")],
    district: Annotated[str | None, typer.Option(help="district code; all districts when omitted")] = None,
    out: Annotated[Path, typer.Option(help="folder for crime-report.html and crime-report.pdf")] = Path(),
) -> None:
    """Render the crime briefing for a window (and district) as HTML and PDF."""
    runtime = make_runtime()
    try:
        with transaction(runtime.sessions) as session:
            district_id = crime_service.district_id_for(session, district) if district else None
            rep = crime_service.report(session, OPERATOR, _moment(since), _moment(until), district_id)
    except DomainError as exc:
        raise fail(exc) from exc
    finally:
        runtime.dispose()
    out.mkdir(parents=True, exist_ok=True)
    (out / "crime-report.html").write_text(crime_report.to_html(rep), encoding="utf-8")
    (out / "crime-report.pdf").write_bytes(crime_report.to_pdf(rep))
    console.print(f"wrote {out / 'crime-report.html'} and {out / 'crime-report.pdf'}")
    console.print(
        f"{sum(r['now'] for r in rep.by_category)} incidents, {len(rep.alerts)} trend alerts, "
        f"{rep.layer['meta']['hot_cells']} hot spot cells"
    )
