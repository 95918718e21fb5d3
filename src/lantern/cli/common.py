"""Shared pieces of the command line: consoles, runtime, error reporting."""

from __future__ import annotations

import typer
from rich.console import Console

from lantern.config import get_settings
from lantern.errors import DomainError
from lantern.logs import setup_logging
from lantern.runtime import Runtime, build_runtime

console = Console()
err = Console(stderr=True)


def make_runtime() -> Runtime:
    settings = get_settings()
    setup_logging(settings.log_level, settings.log_json)
    return build_runtime(settings)


def fail(exc: DomainError) -> typer.Exit:
    """Print a domain error (and its listed problems) and exit with status 2."""
    err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
    details = exc.details or {}
    for line in details.get("problems", [])[:20] if isinstance(details, dict) else []:
        err.print(f"  {line}", highlight=False)
    return typer.Exit(code=2)
