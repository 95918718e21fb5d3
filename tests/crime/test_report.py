"""The crime briefing (HTML and PDF), the PNG exports and the `lantern crime knox` command."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
from typer.testing import CliRunner

from lantern.alerts import service as alert_service
from lantern.cli import app as cli_app
from lantern.crime import nearrepeat, render
from lantern.crime import report as crime_report
from lantern.crime import service as crime_service
from lantern.security.policy import Principal


def test_the_briefing_holds_counts_alerts_hotspots_and_near_repeats(session):
    principal = Principal.system("tests:crime-report")
    rep = crime_service.report(session, principal, datetime(2025, 10, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    total = sum(r["now"] for r in rep.by_category)
    assert total == rep.layer["meta"]["incidents"] > 0
    assert {r["category"] for r in rep.by_category} >= {"burglary", "theft"}
    assert all(0 <= r["p_value"] <= 1 for r in rep.by_category)
    assert rep.top_cells[0]["count"] >= rep.top_cells[-1]["count"]
    assert rep.knox is not None and rep.knox.parameters["metric"] == "manhattan"
    assert len(rep.weekly["weeks"]) == len(rep.weekly["observed"]) > 10
    html = crime_report.to_html(rep)
    for heading in ("Recorded incidents by type", "Trend alerts", "Hot spots", "Near repeats", "Limits"):
        assert heading in html
    assert html.count("data:image/png;base64,") == 3
    assert "what was recorded" in html
    pdf = crime_report.to_pdf(rep)
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000


def test_an_empty_window_still_renders(session):
    principal = Principal.system("tests:crime-report")
    rep = crime_service.report(session, principal, datetime(2001, 1, 1, tzinfo=UTC), datetime(2001, 2, 1, tzinfo=UTC))
    assert rep.by_category == [] and rep.knox is None and "skipped" in rep.knox_note
    assert "No type and district exceeded" in crime_report.to_html(rep)


def test_knox_heat_chart_is_a_png():
    r = nearrepeat.knox_test(
        np.array([0.0, 10.0, 500.0, 510.0]),
        np.array([0.0, 0.0, 0.0, 0.0]),
        np.array([0, 1, 30, 31]),
        spatial_bandwidth=100,
        spatial_bands=1,
        temporal_bandwidth=7,
        temporal_bands=1,
        iterations=9,
    )
    assert render.knox_png(r).startswith(b"\x89PNG")


def test_the_knox_command_prints_tables_and_writes_the_calculators_csv(crime_dir, tmp_path):
    source = crime_dir / "chicago-burglary-2014-2017" / "chicago_burglary_2014_2017.csv"
    out, png = tmp_path / "nr.csv", tmp_path / "nr.png"
    result = CliRunner().invoke(
        cli_app,
        [
            "crime",
            "knox",
            str(source),
            "--year",
            "2014",
            "--iterations",
            "19",
            "--seed",
            "5",
            "--out",
            str(out),
            "--png",
            str(png),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "12,334 incidents" in result.output and "Same location" in result.output
    rows = list(csv.reader(io.StringIO(out.read_text())))
    observed = [r[0] for r in rows].index("Observed frequencies distribution")
    assert rows[observed + 3][2:4] == ["292", "1216"]
    assert [r[0] for r in rows].count("SOURCE DATA:") == 1 and rows[-1][0] == "12334"
    assert png.read_bytes().startswith(b"\x89PNG")


def test_significant_weekly_rises_land_on_the_alert_queue_once(session):
    principal = Principal.system("tests:crime-trends")
    week = datetime(2025, 12, 1, tzinfo=UTC)
    checked = crime_service.trend_check(session, principal, week, weeks=4, alpha=0.2)
    assert checked.height > 0 and checked["alert"].sum() > 0  # a lax alpha so the demo year alerts
    monday = week + timedelta(weeks=int(checked.filter(pl.col("alert"))["week"][0]) - 156)
    first = crime_service.raise_trend_alerts(session, principal, monday, alpha=0.2)
    again = crime_service.raise_trend_alerts(session, principal, monday, alpha=0.2)
    assert first and all(a["created"] for a in first)
    assert [a["alert_id"] for a in first] == [a["alert_id"] for a in again]
    assert not any(a["created"] for a in again)
    queued = alert_service.list_alerts(session, principal, source="crime")
    assert {a.id for a in queued} >= {a["alert_id"] for a in first}
    alert = queued[0]
    assert alert.kind == "trend" and alert.subject_type == "district" and "expected" in alert.title
