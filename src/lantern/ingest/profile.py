"""Mapping profiles: small TOML files that say how a source file maps onto an incident.

A profile names the columns, date formats, time zone, coordinate reference system and
category mapping of one kind of file. Built-in profiles live in ``ingest/profiles/``; users
pass a path to their own.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pyproj import CRS
from pyproj.exceptions import CRSError

from lantern.errors import NotFound, ValidationFailed
from lantern.kit.time import zone

TimePrecision = Literal["second", "minute", "hour", "day", "month"]
FileFormat = Literal["csv", "tsv", "json", "ndjson", "parquet"]


class ColumnMap(BaseModel):
    """Which source column(s) feed each incident field. A list is joined with a space."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    occurred_at: str | list[str] | None = None
    occurred_from: str | list[str] | None = None
    occurred_to: str | list[str] | None = None
    x: str
    y: str
    category: str | None = None
    premise: str | None = None
    source_district: str | None = None
    description: str | None = None
    attributes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_time(self) -> ColumnMap:
        if (self.occurred_at is None) == (self.occurred_from is None):
            raise ValueError("give exactly one of columns.occurred_at or columns.occurred_from")
        if self.occurred_to is not None and self.occurred_from is None:
            raise ValueError("columns.occurred_to needs columns.occurred_from")
        return self


class Profile(BaseModel):
    """A validated mapping profile."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    source: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,99}$")
    format: FileFormat | None = None
    encoding: Literal["utf8", "utf8-lossy"] = "utf8"
    timezone: str = "UTC"
    crs: str = "EPSG:4326"
    time_precision: TimePrecision = "minute"
    time_formats: list[str] = Field(default_factory=lambda: ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"])
    category: str | None = None
    categories: dict[str, str] = Field(default_factory=dict)
    unknown_category: Literal["error", "keep"] = "keep"
    columns: ColumnMap
    # Source spellings of "no value" (R exports write NA), read as empty.
    null_values: list[str] = Field(default_factory=list)
    # Rows with no coordinates at all: an error (default), or skipped and counted in the report.
    missing_location: Literal["error", "skip"] = "error"
    # Coordinates outside this box (lon/lat) are errors: catches swapped axes and zero fills.
    bounds: tuple[float, float, float, float] | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("crs")
    @classmethod
    def _crs(cls, value: str) -> str:
        try:
            CRS.from_user_input(value)
        except CRSError as exc:
            raise ValueError(f"unknown coordinate reference system {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _category_source(self) -> Profile:
        if self.category is None and self.columns.category is None:
            raise ValueError("give a constant `category` or a `columns.category` column")
        return self


def builtin_names() -> list[str]:
    """Names of the profiles shipped with Lantern."""
    folder = resources.files("lantern.ingest") / "profiles"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_profile(name_or_path: str) -> Profile:
    """Load a built-in profile by name or a user profile from a TOML path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        text, origin = path.read_text(encoding="utf-8"), str(path)
    else:
        resource = resources.files("lantern.ingest") / "profiles" / f"{name_or_path}.toml"
        if not resource.is_file():
            raise NotFound(
                f"no profile {name_or_path!r}; built-in profiles: {', '.join(builtin_names())}, "
                "or pass the path of your own .toml file"
            )
        text, origin = resource.read_text(encoding="utf-8"), f"built-in profile {name_or_path}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed(f"{origin}: not valid TOML: {exc}") from exc
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'profile'}: {err['msg']}" for err in exc.errors()
        )
        raise ValidationFailed(f"{origin}: {problems}") from exc
