"""``lantern monitor``: vehicles, file replay, the engine loop, the JT/T 808 gateway, status."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path
from typing import Annotated

import typer
import uvloop
from pydantic import ValidationError
from rich.progress import Progress

from lantern.cli.common import console, err, fail, make_runtime
from lantern.db import transaction
from lantern.errors import DomainError
from lantern.monitor import runner
from lantern.monitor import service as monitor_service
from lantern.monitor.schemas import PositionIn, VehicleCreate
from lantern.security.policy import Principal

monitor_app = typer.Typer(help="Regulated-vehicle monitoring (JT/T 808), rules and hotlists.", no_args_is_help=True)
OPERATOR = Principal.system("cli:monitor")
REPLAY_CHUNK = 5_000


@monitor_app.command("vehicle-add")
def vehicle_add(
    vehicle_id: Annotated[str, typer.Argument(help="our id for the vehicle")],
    plate: Annotated[str, typer.Option(help="registration plate")],
    vehicle_class: Annotated[str, typer.Option("--class", help="hazardous_goods, coach, school_bus, truck ...")],
    operator: Annotated[str, typer.Option(help="transport company")] = "",
    terminal: Annotated[str | None, typer.Option(help="JT/T 808 terminal phone number")] = None,
) -> None:
    """Register a regulated vehicle (and its terminal)."""
    runtime = make_runtime()
    try:
        with transaction(runtime.sessions) as session:
            monitor_service.create_vehicle(
                session,
                OPERATOR,
                VehicleCreate(
                    id=vehicle_id, plate=plate, vehicle_class=vehicle_class, operator=operator, terminal_phone=terminal
                ),
            )
    except DomainError as exc:
        raise fail(exc) from exc
    except ValidationError as exc:
        err.print(f"[bold red]error:[/] {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}")
        raise typer.Exit(2) from exc
    console.print(f"registered {vehicle_id} ({plate}, {vehicle_class})")


@monitor_app.command()
def replay(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="NDJSON positions, one object per line")],
) -> None:
    """Append positions from a file to the engine's input; each chunk is committed before the next."""
    runtime = make_runtime()
    lines = path.read_text().splitlines()
    done = 0
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("replaying", total=len(lines))
        for start in range(0, len(lines), REPLAY_CHUNK):
            chunk = lines[start : start + REPLAY_CHUNK]
            try:
                positions = [PositionIn.model_validate(json.loads(line)) for line in chunk if line.strip()]
            except (ValueError, ValidationError) as exc:
                bad = start + next(i for i, line in enumerate(chunk, 1) if not _valid(line))
                err.print(f"[bold red]error:[/] line {bad}: {exc}; lines before {start + 1} were committed")
                raise typer.Exit(2) from exc
            try:
                with transaction(runtime.sessions) as session:
                    done += monitor_service.ingest_positions(session, OPERATOR, positions, source="replay")
            except DomainError as exc:
                raise fail(exc) from exc
            progress.update(task, advance=len(chunk))
            print(f"committed {done}", flush=True)  # machine-readable progress for supervisors and tests
    console.print(f"{done} positions queued for the rule engine")


def _valid(line: str) -> bool:
    try:
        PositionIn.model_validate(json.loads(line))
    except (ValueError, ValidationError):
        return False
    return True


@monitor_app.command()
def run(
    follow: Annotated[bool, typer.Option(help="keep running and process new positions as they arrive")] = False,
    batch_size: Annotated[int | None, typer.Option(help="positions per engine step (default from settings)")] = None,
) -> None:
    """Run the rule engine over pending positions (each step commits alerts with its checkpoint)."""
    runtime = make_runtime()
    if batch_size:
        runtime.settings.monitor_batch_size = batch_size

    def report(step: monitor_service.EngineRun) -> None:
        if step.positions:
            print(
                f"processed up to {step.last_position_id}: {step.positions} positions, {step.alerts} alerts", flush=True
            )

    total = runner.drain(runtime, follow=follow, progress=report)
    console.print(f"{total} positions processed")


@monitor_app.command()
def gateway(
    host: Annotated[str | None, typer.Option(help="address to bind")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port (default LANTERN_MONITOR_GATEWAY_PORT or 6808)")] = None,
    writer_process: Annotated[
        bool, typer.Option(help="commit positions in a child process, leaving the event loop its own core")
    ] = True,
    cpu: Annotated[
        int | None,
        typer.Option(
            help="pin the gateway to this CPU and its writer to the others (a core of its own: steadier latency)"
        ),
    ] = None,
) -> None:
    """Run the JT/T 808 gateway on its own (the engine runs in `lantern serve` or `lantern monitor run --follow`).

    Runs on uvloop (docs/benchmarks.md: the event loop's cost per frame is most of the gateway's).
    """
    if cpu is not None and cpu not in os.sched_getaffinity(0):
        err.print(f"[bold red]error:[/] --cpu {cpu}: this process may only use CPUs {sorted(os.sched_getaffinity(0))}")
        raise typer.Exit(2)
    runtime = make_runtime()
    settings = runtime.settings
    bind_host = host or settings.monitor_gateway_host
    bind_port = port if port is not None else (settings.monitor_gateway_port or 6808)

    async def main() -> None:
        gw = runner.build_gateway(runtime, writer_process=writer_process, own_process=True, cpu=cpu)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        bound = await gw.start(bind_host, bind_port)
        console.print(f"JT/T 808 gateway on {bind_host}:{bound}")
        await stop.wait()
        await gw.stop()
        console.print(dict(gw.stats))

    uvloop.run(main())


@monitor_app.command()
def status() -> None:
    """How far the engine has read and what it dropped."""
    runtime = make_runtime()
    with transaction(runtime.sessions) as session:
        console.print(monitor_service.engine_status(session, OPERATOR))
