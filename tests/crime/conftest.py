"""Fixtures for the crime analytics: the real data sets in ../shared, read once per session."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from lantern.crime import datasets


@pytest.fixture(scope="session")
def crime_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "crime"


@pytest.fixture(scope="session")
def burglary_2014(crime_dir: Path) -> pl.DataFrame:
    return datasets.chicago_burglary(crime_dir / "chicago-burglary-2014-2017" / "chicago_burglary_2014_2017.csv", 2014)


@pytest.fixture(scope="session")
def assaults(crime_dir: Path) -> pl.DataFrame:
    return datasets.chicago_assaults(crime_dir / "chicago-aggassault-2010-2019" / "chicago_aggravated_assaults.csv.gz")
