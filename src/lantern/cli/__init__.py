"""The ``lantern`` command line. Commands call services, never HTTP; each is one transaction."""

from __future__ import annotations

from typing import Annotated

import typer

from lantern import __version__
from lantern.cli import core, monitor, security
from lantern.cli import crime as crime_cli
from lantern.cli import traffic as traffic_cli
from lantern.cli.common import console

app = typer.Typer(help="Lantern: public-safety operations and analytics.", no_args_is_help=True)
app.add_typer(core.db_app, name="db")
app.add_typer(core.city_app, name="city")
app.add_typer(core.ingest_app, name="ingest")
app.add_typer(security.user_app, name="user")
app.add_typer(security.token_app, name="token")
app.add_typer(security.audit_app, name="audit")
app.add_typer(security.keys_app, name="keys")
app.add_typer(security.retention_app, name="retention")
app.add_typer(security.backup_app, name="backup")
app.add_typer(monitor.monitor_app, name="monitor")
app.add_typer(traffic_cli.traffic_app, name="traffic")
app.add_typer(crime_cli.crime_app, name="crime")
app.add_typer(crime_cli.report_app, name="report")
app.command()(core.demo)
app.command()(core.serve)


def _version(value: bool) -> None:
    if value:
        console.print(f"lantern {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Lantern command line."""


def main() -> None:
    """Entry point of the ``lantern`` script."""
    app()
