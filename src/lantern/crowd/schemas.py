"""Pydantic shapes of the crowd API."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


class CountIn(BaseModel):
    """An anonymous count: how many people, where, when. Nothing else is accepted."""

    model_config = ConfigDict(extra="forbid")

    zone_id: str = Field(min_length=1, max_length=40)
    time: AwareDatetime
    count: int = Field(ge=0, le=1_000_000)
    source: str = Field(default="counter", pattern="^(counter|operator|demo)$")


class ZoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
    name: str = Field(min_length=1, max_length=120)
    area_m2: float = Field(gt=0, le=10_000_000)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    levels: list[float] = Field(default_factory=lambda: [2.0, 4.0, 5.0], min_length=3, max_length=3)
    rise_per_min: float = Field(default=0.2, gt=0, le=10)

    @field_validator("levels")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if not 0 < value[0] < value[1] < value[2]:
            raise ValueError("levels are the watch, warning and critical thresholds in persons/m², increasing")
        return value
