"""Settings: the only module that reads the environment.

Values come, highest priority first, from keyword arguments, ``LANTERN_*`` environment
variables, a TOML file (``LANTERN_CONFIG``, else ``./lantern.toml`` when present) and the
defaults below.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from lantern.kit.time import zone

DEV_SECRET = "lantern-development-secret-do-not-use-in-production"  # noqa: S105 - refused in production


def _config_file() -> Path | None:
    explicit = os.environ.get("LANTERN_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise FileNotFoundError(f"LANTERN_CONFIG points to {path}, which is not a file")
        return path
    default = Path("lantern.toml")
    return default if default.is_file() else None


class Settings(BaseSettings):
    """Deployment settings; see docs/configuration.md for every field."""

    model_config = SettingsConfigDict(env_prefix="LANTERN_", extra="forbid")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    shared_dir: Path = Path("../shared")

    city_name: str = "Demo City"
    agency_id: str = "police.demo-city.example"  # how this agency names itself in EIDO exchanges
    city_timezone: str = "Europe/Helsinki"
    h3_resolution: int = Field(default=9, ge=0, le=15)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = ""
    map_tile_url: str = ""
    map_tile_attribution: str = ""

    log_level: str = "INFO"
    log_json: bool = False

    secret_key: SecretStr = SecretStr(DEV_SECRET)

    # Accounts and sessions (docs/security.md)
    session_idle_minutes: int = Field(default=30, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    lockout_attempts: int = Field(default=5, ge=1)
    lockout_window_minutes: int = Field(default=15, ge=1)
    lockout_release_minutes: int = Field(default=30, ge=0)  # 0: only an administrator unlocks
    inactive_account_days: int = Field(default=90, ge=1)
    password_min_length: int = Field(default=8, ge=8)
    password_max_age_days: int | None = None  # no forced periodic change by default (NIST 800-63B)
    mfa_optional_roles: list[str] = Field(default_factory=lambda: ["citizen"])
    trust_proxy_headers: bool = False
    # Field-encryption and pseudonymisation keys; created on first use outside production.
    keyring_path: Path | None = None
    # Retention overrides in days per data class, e.g. {"login_attempts" = 30}
    retention_days: dict[str, int] = Field(default_factory=dict)
    scheduler_enabled: bool = True

    # Command and dispatch
    dispatch_codes_path: Path | None = None  # your own incident_types.toml (docs/dispatch.md)
    # Response-time targets (seconds, call to on scene) per district type, for the KPI page
    response_targets: dict[str, int] = Field(default_factory=lambda: {"urban": 300, "suburban": 600})
    district_types: dict[str, str] = Field(default_factory=dict)  # district code -> "urban" | "suburban"
    demo_live: bool = False  # the simulated live scenario (calls, moving units) inside `lantern serve`

    # Real-time monitoring (docs/monitor.md)
    monitor_classes_path: Path | None = None  # your own vehicle_classes.toml
    monitor_gateway_host: str = "127.0.0.1"
    monitor_gateway_port: int = Field(default=0, ge=0, le=65535)  # JT/T 808 TCP gateway; 0 = off
    monitor_max_connections: int = Field(default=20_000, ge=1)
    monitor_flood_frames_per_s: float = Field(default=200.0, gt=0)  # a terminal sending more is cut off
    monitor_batch_size: int = Field(default=20_000, ge=1)  # positions per engine step
    monitor_clock: str = Field(default="wall", pattern="^(wall|event)$")  # offline rule: wall clock or newest report
    hotlist_min_confidence: float = Field(default=0.5, ge=0, le=1)  # plate candidates below this are ignored

    # Hazardous-materials ledger (docs/hazmat.md)
    hazmat_transfer_grace_hours: float = Field(default=72, ge=0)  # a transfer one side has not reported, after this
    hazmat_expiry_warning_days: int = Field(default=30, ge=0)  # warn of licences running out within this
    hazmat_report_grace_days: int = Field(default=5, ge=0)  # a periodic report this late is missing

    # Outgoing e-mail (docs/portal.md): queued in the database, delivered by the scheduler.
    smtp_host: str = ""  # empty: messages stay queued until a server is set
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    mail_from: str = "noreply@demo-city.example"
    mail_max_attempts: int = Field(default=8, ge=1)  # then the message is marked failed for an operator
    # Staff work addresses are <officer id>@<this domain> (deadline reminders); empty: in-app only
    staff_email_domain: str = ""

    # Public portal (docs/portal.md)
    portal_default_language: Literal["zh", "en"] = "zh"

    @field_validator("city_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value

    @model_validator(mode="after")
    def _derive_and_check(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'lantern.db').as_posix()}"
        if self.keyring_path is None:
            self.keyring_path = self.data_dir / "keys" / "keyring.json"
        if self.env == "production" and self.secret_key.get_secret_value() == DEV_SECRET:
            raise ValueError(
                "LANTERN_SECRET_KEY is the development default; production refuses to start "
                "with it. Set a random value of at least 32 characters."
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        """True when the store is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    @property
    def https(self) -> bool:
        """True when the public URL is served over TLS (cookies get ``Secure``)."""
        return self.public_url.startswith("https://")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read once."""
    return Settings()


def settings_for_tests(**overrides: Any) -> Settings:
    """Build settings without the process cache (tests build their own app)."""
    return Settings(**overrides)
