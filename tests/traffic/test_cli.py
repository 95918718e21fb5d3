"""``lantern traffic import`` and ``profiles`` through Typer, on a fresh migrated database."""

from __future__ import annotations

from typer.testing import CliRunner

from lantern.cli.traffic import traffic_app
from lantern.config import get_settings

READINGS = "sensor_id,time,speed_kmh\nL1,2026-03-02T07:00:00+02:00,70.0\nL1,2026-03-02T07:05:00+02:00,35.5\n"


def test_import_twice_adds_the_readings_once_and_names_the_profile(fresh_runtime, tmp_path, monkeypatch):
    monkeypatch.setenv("LANTERN_DATABASE_URL", fresh_runtime.settings.database_url)
    monkeypatch.setenv("LANTERN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    path = tmp_path / "loops.csv"
    path.write_text(READINGS)
    runner = CliRunner()
    try:
        first = runner.invoke(traffic_app, ["import", str(path), "--profile", "lantern-detectors"])
        assert first.exit_code == 0, first.output
        assert "2 readings read, 2 added, 0 already present; 1 new detectors" in first.output
        second = runner.invoke(traffic_app, ["import", str(path), "--profile", "lantern-detectors"])
        assert "2 readings read, 0 added, 2 already present; 0 new detectors" in second.output
        bad = runner.invoke(traffic_app, ["import", str(path), "--profile", "metr-la"])
        assert bad.exit_code == 2 and "error:" in bad.output
        listed = runner.invoke(traffic_app, ["profiles"])
        assert "metr-la: METR-LA freeway loops" in listed.output
    finally:
        get_settings.cache_clear()
