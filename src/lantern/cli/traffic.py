"""``lantern traffic``: detector import through a profile and the list of profiles (one transaction per command).

Mounted as `lantern traffic` by `lantern.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lantern.cli.common import console, fail, make_runtime
from lantern.db import transaction
from lantern.errors import DomainError
from lantern.security.policy import Principal
from lantern.traffic import service as traffic_service
from lantern.traffic.detectors import builtin_names, load_detector_profile

traffic_app = typer.Typer(help="Traffic: detector import and profiles.", no_args_is_help=True)


@traffic_app.command("import")
def import_detectors(
    readings: Annotated[Path, typer.Argument(help="CSV or Parquet detector readings", exists=True, dir_okay=False)],
    profile: Annotated[str, typer.Option(help=f"built-in profile ({', '.join(builtin_names())}) or a .toml path")],
    locations: Annotated[
        Path | None, typer.Option(help="CSV or Parquet detector locations", exists=True, dir_okay=False)
    ] = None,
) -> None:
    """Import detector readings (and locations) through a profile; re-importing adds nothing."""
    runtime = make_runtime()
    try:
        with transaction(runtime.sessions) as session:
            report = traffic_service.import_detectors(session, Principal.system("cli"), readings, profile, locations)
    except DomainError as exc:
        raise fail(exc) from exc
    finally:
        runtime.dispose()
    console.print(
        f"{readings.name} through {report.profile} (source {report.source}): {report.readings_read} readings read, "
        f"{report.inserted} added, {report.already_present} already present; "
        f"{report.detectors_added} new detectors",
        highlight=False,
        soft_wrap=True,
    )


@traffic_app.command("profiles")
def profiles() -> None:
    """List the built-in detector profiles."""
    for name in builtin_names():
        console.print(f"{name}: {load_detector_profile(name).description}", highlight=False, soft_wrap=True)
