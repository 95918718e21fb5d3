"""Core commands: schema, city model, ingest, demo and serve."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lantern.app import create_app
from lantern.city import service as city_service
from lantern.city.grid import build_grid_city
from lantern.city.osm import build_from_osm
from lantern.cli.common import console, err, fail, make_runtime
from lantern.config import Settings, get_settings
from lantern.db import check_store, transaction
from lantern.demo import prepare_demo
from lantern.errors import DomainError
from lantern.ingest import service as ingest_service
from lantern.ingest.profile import builtin_names, load_profile
from lantern.logs import setup_logging
from lantern.runtime import build_runtime
from lantern.store import current_revision, head_revision, upgrade

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
city_app = typer.Typer(help="The city model: roads, districts, addresses.", no_args_is_help=True)
ingest_app = typer.Typer(help="Validated import of record files.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to this version (safe to run again)."""
    runtime = make_runtime()
    before, after = upgrade(runtime.engine)
    check_store(runtime.engine)
    if before == after:
        console.print(f"schema already at {after}; nothing to do")
    else:
        console.print(f"schema upgraded from {before or 'empty'} to {after}")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database and of this version."""
    runtime = make_runtime()
    found = current_revision(runtime.engine) or "empty"
    console.print(f"database: {found}; this version: {head_revision(runtime.engine)}")


@city_app.command("import")
def city_import(
    osm: Annotated[Path | None, typer.Option(help="OpenStreetMap extract (.osm.pbf)")] = None,
    grid: Annotated[str | None, typer.Option(help="generate a ROWSxCOLS grid city instead, e.g. 224x224")] = None,
    spacing: Annotated[float, typer.Option(help="grid spacing in metres")] = 150.0,
    name: Annotated[str | None, typer.Option(help="city name (default: the configured city name)")] = None,
    districts: Annotated[int, typer.Option(help="districts to derive when the extract has no boundaries")] = 4,
    replace: Annotated[bool, typer.Option(help="replace an existing city")] = False,
) -> None:
    """Build roads, districts and addresses from an OSM extract or as a generated grid."""
    runtime = make_runtime()
    if (osm is None) == (grid is None):
        err.print("error: give exactly one of --osm FILE or --grid ROWSxCOLS")
        raise typer.Exit(code=2)
    city_name = name or runtime.settings.city_name
    try:
        if osm is not None:
            with console.status(f"reading {osm.name} with pyrosm…"):
                build = build_from_osm(osm, city_name, district_count=districts)
        else:
            rows, _, cols = (grid or "").partition("x")
            if not (rows.isdigit() and cols.isdigit()):
                err.print(f"error: --grid {grid!r} is not ROWSxCOLS, e.g. 100x100")
                raise typer.Exit(code=2)
            build = build_grid_city(int(rows), int(cols), spacing_m=spacing, name=city_name)
        with console.status("writing the city model…"), transaction(runtime.sessions) as session:
            summary = city_service.import_city(
                session, build, h3_resolution=runtime.settings.h3_resolution, replace=replace
            )
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(
        f"{summary.name}: {summary.districts} districts, {summary.road_nodes} road nodes, "
        f"{summary.road_edges} directed road segments, {summary.addresses} addresses "
        f"({summary.addresses_outside_districts} outside every district)"
    )


@city_app.command("show")
def city_show() -> None:
    """Print what the city model holds."""
    runtime = make_runtime()
    with transaction(runtime.sessions) as session:
        for key, value in city_service.summary(session).items():
            console.print(f"{key}: {value}")


@ingest_app.command("incidents")
def ingest_incidents(
    file: Annotated[Path, typer.Argument(help="CSV, TSV, JSON, NDJSON or Parquet file (.gz allowed for text)")],
    profile: Annotated[str, typer.Option(help=f"built-in profile ({', '.join(builtin_names())}) or a .toml path")],
    quarantine: Annotated[
        Path | None,
        typer.Option(help="import the good rows and write bad rows with their reasons to this CSV"),
    ] = None,
) -> None:
    """Import incidents through a mapping profile; a file with bad rows is rejected whole."""
    runtime = make_runtime()
    try:
        chosen = load_profile(profile)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as bar:
            tasks: dict[str, int] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            with transaction(runtime.sessions) as session:
                report = ingest_service.ingest_incidents(
                    session,
                    file,
                    chosen,
                    h3_resolution=runtime.settings.h3_resolution,
                    quarantine_to=quarantine,
                    progress=progress,
                )
    except DomainError as exc:
        raise fail(exc) from exc
    for line in report.lines():
        console.print(line, highlight=False)


@ingest_app.command("profiles")
def ingest_profiles() -> None:
    """List the built-in mapping profiles."""
    for name in builtin_names():
        console.print(f"{name}: {load_profile(name).description}")


def demo(
    seed: Annotated[int, typer.Option(help="simulator seed: the same seed gives the same city history")] = 42,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="start the web server afterwards")] = True,
    live: Annotated[
        bool, typer.Option("--live/--still", help="run the live scenario: calls arrive, units move")
    ] = True,
) -> None:
    """Build the demo city (Helsinki extract + simulated history) and serve it."""
    runtime = make_runtime()
    try:
        prepared = prepare_demo(runtime, seed)
    except DomainError as exc:
        raise fail(exc) from exc
    for line in prepared.done:
        console.print(f"✓ {line}")
    settings = runtime.settings
    console.print(f"\nDemo ready: http://{settings.host}:{settings.port}/  (database: {settings.database_url})")
    if prepared.accounts:
        first = prepared.accounts[0]
        console.print("\n[bold]Demo sign-in[/] (every account has the same password):")
        console.print(f"  accounts: {', '.join(a.username for a in prepared.accounts)}")
        console.print(f"  password: {first.password}")
        console.print("  second step: the 6-digit code from `lantern user totp <account>`, or add the")
        console.print(f"  secret from {settings.data_dir / 'demo-credentials.txt'} to an authenticator app")
    else:
        console.print(f"Demo sign-in: see {settings.data_dir / 'demo-credentials.txt'}")
    if serve_after:
        # The live demo drives its trucks over the real JT/T 808 gateway (port 6808 unless configured).
        _serve(
            settings.model_copy(
                update={
                    "demo_live": live,
                    "monitor_gateway_port": settings.monitor_gateway_port or (6808 if live else 0),
                }
            )
        )


def serve(
    host: Annotated[str | None, typer.Option(help="address to bind (default from settings)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default from settings)")] = None,
) -> None:
    """Run the web application."""
    settings = get_settings()
    _serve(settings.model_copy(update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}))


def _serve(settings: Settings) -> None:
    setup_logging(settings.log_level, settings.log_json)
    runtime = build_runtime(settings)
    check_store(runtime.engine)
    logging.getLogger("lantern").info("serving on http://%s:%s", settings.host, settings.port)
    uvicorn.run(create_app(runtime=runtime), host=settings.host, port=settings.port, log_config=None)
