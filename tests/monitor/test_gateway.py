"""The JT/T 808 gateway over real loopback TCP with our own test terminal and a real database."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import uvloop
from sqlalchemy import func, select

from lantern.db import transaction
from lantern.models import Alert, Position
from lantern.monitor import runner
from lantern.monitor import service as monitor_service
from lantern.monitor.jt808 import messages as m
from lantern.monitor.jt808.framing import Header, encode_frame
from lantern.monitor.jt808.gateway import Gateway
from lantern.monitor.jt808.terminal import SimTerminal, TerminalError
from lantern.monitor.schemas import VehicleCreate
from lantern.monitor.writer import WriterProcess
from lantern.runtime import Runtime
from lantern.security.policy import Principal
from tests.support.server import free_port

PHONE = "13800138000"
PHONE_2019 = "18612345678901234567"
POSITIONED = 0b11  # ACC on, positioned


@pytest.fixture
def runtime(fresh_runtime: Runtime) -> Runtime:
    admin = Principal.system("tests")
    with transaction(fresh_runtime.sessions) as session:
        for vid, phone in (("HG-1", PHONE), ("HG-2", PHONE_2019)):
            monitor_service.create_vehicle(
                session,
                admin,
                VehicleCreate(id=vid, plate=f"P-{vid}", vehicle_class="hazardous_goods", terminal_phone=phone),
            )
    return fresh_runtime


def with_gateway(
    runtime: Runtime,
    scenario: Callable[[Gateway, int], Awaitable[None]],
    *,
    writer_process: bool = False,
    loop: str = "asyncio",
    **options: float,
) -> Gateway:
    async def main() -> Gateway:
        gateway = runner.build_gateway(runtime, writer_process=writer_process)
        for name, value in options.items():
            setattr(gateway, name, value)
        port = await gateway.start("127.0.0.1", 0)
        try:
            await asyncio.wait_for(scenario(gateway, port), 30)
        finally:
            await gateway.stop()
        return gateway

    # In a worker thread: the browser tests' sync Playwright keeps an event loop running on the
    # main thread for the whole session, and asyncio.run refuses to nest inside it.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(uvloop.run if loop == "uvloop" else asyncio.run, main()).result()


def fix(t: datetime, speed: float, lon: float = 24.94) -> m.Location:
    return m.Location(
        0, POSITIONED, 60.17, lon, 12, speed, 90, t.replace(microsecond=0), (m.Extra(0x01, (1234).to_bytes(4, "big")),)
    )


@pytest.mark.parametrize(
    ("phone", "version_2019", "loop", "writer_process"),
    [
        (PHONE, False, "asyncio", False),
        (PHONE_2019, True, "asyncio", False),
        # The configuration `lantern monitor gateway` runs: uvloop, commits in a child process.
        (PHONE, False, "uvloop", True),
    ],
)
def test_a_terminal_registers_authenticates_and_streams_reports(
    runtime: Runtime, phone: str, version_2019: bool, loop: str, writer_process: bool
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=3)  # recent: the terminal is not yet "offline"
    fixes = [fix(start + timedelta(seconds=10 * i), 100.0, 24.94 + 0.0028 * i) for i in range(12)]
    replies: list[int] = []

    async def scenario(gateway: Gateway, port: int) -> None:
        terminal = SimTerminal(phone, version_2019)
        await terminal.connect("127.0.0.1", port)
        code = await terminal.register()
        assert len(code) == 16
        replies.append(await terminal.authenticate(code))
        for item in fixes[:6]:
            replies.append(await terminal.location(item))
        replies.append(await terminal.batch(fixes[6:], blind_area=True))
        replies.append(await terminal.heartbeat())
        reply = await terminal.request(m.DEREGISTER, None)
        assert isinstance(reply.body, m.GeneralReply) and reply.body.reply_msg_id == m.DEREGISTER
        assert reply.body.reply_serial == terminal.serial, "the reply names the serial it answers"
        await terminal.close()

    gateway = with_gateway(runtime, scenario, loop=loop, writer_process=writer_process)
    assert replies == [m.OK] * 9
    assert gateway.stats["positions"] == 12 and gateway.stats["bad_frames"] == 0
    with transaction(runtime.sessions) as session:
        stored = list(session.scalars(select(Position).order_by(Position.time)))
        assert [p.time for p in stored] == [f.time for f in fixes]
        assert stored[0].speed_kmh == 100.0 and stored[0].valid and stored[0].extras == {"mileage_km": 123.4}
        run = monitor_service.process_pending(session)
    assert run.alerts == 1
    with transaction(runtime.sessions) as session:
        assert session.scalars(select(Alert.kind)).all() == ["overspeed"]


def test_unknown_and_unauthenticated_terminals_are_refused(runtime: Runtime) -> None:
    async def scenario(gateway: Gateway, port: int) -> None:
        stranger = SimTerminal("19900000000")
        await stranger.connect("127.0.0.1", port)
        with pytest.raises(TerminalError, match="registration refused"):
            await stranger.register()
        assert await stranger.location(fix(datetime.now(UTC), 50)) == m.FAILURE
        assert await stranger.authenticate("guess") == m.FAILURE
        await stranger.close()

    gateway = with_gateway(runtime, scenario)
    assert gateway.stats["unauthenticated_reports"] == 1 and gateway.stats["auth_failures"] == 1
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Position)) == 0


def test_a_bad_frame_is_answered_and_the_connection_carries_on(runtime: Runtime) -> None:
    results: list[int] = []

    async def scenario(gateway: Gateway, port: int) -> None:
        terminal = SimTerminal(PHONE)
        await terminal.connect("127.0.0.1", port)
        await terminal.authenticate(await terminal.register())
        good = terminal.frame(m.LOCATION, fix(datetime.now(UTC), 40))
        broken = good[:-2] + bytes([good[-2] ^ 0x55]) + good[-1:]  # checksum byte flipped
        if broken[-2] in (0x7E, 0x7D):
            broken = good[:-2] + bytes([good[-2] ^ 0x11]) + good[-1:]
        await terminal.send_raw(b"\x00\x01garbage" + broken)
        reply = await terminal.receive()
        assert isinstance(reply.body, m.GeneralReply)
        results.append(reply.body.result)
        results.append(await terminal.heartbeat())
        results.append(await terminal.location(fix(datetime.now(UTC), 40)))
        await terminal.close()

    gateway = with_gateway(runtime, scenario)
    assert results == [m.BAD_MESSAGE, m.OK, m.OK]
    assert gateway.stats["bad_frames"] == 1


def test_a_sub_packaged_report_is_reassembled(runtime: Runtime) -> None:
    async def scenario(gateway: Gateway, port: int) -> None:
        terminal = SimTerminal(PHONE)
        await terminal.connect("127.0.0.1", port)
        await terminal.authenticate(await terminal.register())
        t0 = datetime.now(UTC) - timedelta(minutes=5)
        body = m.BatchLocation(0, tuple(fix(t0 + timedelta(seconds=i), 30) for i in range(3))).encode()
        parts = [body[:40], body[40:80], body[80:]]
        for index, part in enumerate(parts, start=1):
            terminal.serial += 1
            header = Header(m.BATCH_LOCATION, 0, 0, False, 0, PHONE, terminal.serial, len(parts), index)
            await terminal.send_raw(encode_frame(header, part))
            reply = await terminal.receive()
            assert isinstance(reply.body, m.GeneralReply) and reply.body.result == m.OK
        await terminal.close()

    gateway = with_gateway(runtime, scenario)
    assert gateway.stats["positions"] == 3


def test_a_flooding_client_is_disconnected(runtime: Runtime) -> None:
    async def scenario(gateway: Gateway, port: int) -> None:
        terminal = SimTerminal(PHONE)
        await terminal.connect("127.0.0.1", port)
        await terminal.send_raw(b"".join(terminal.frame(m.HEARTBEAT, None) for _ in range(500)))
        with pytest.raises((TerminalError, ConnectionError)):
            for _ in range(500):
                await terminal.receive()
        await terminal.close()
        # Another terminal is unaffected.
        calm = SimTerminal(PHONE_2019, True)
        await calm.connect("127.0.0.1", port)
        assert await calm.heartbeat() == m.OK
        await calm.close()

    gateway = with_gateway(runtime, scenario, flood_per_s=50.0)
    assert gateway.stats["flood_disconnects"] == 1


def test_reports_are_refused_not_acknowledged_when_the_writer_process_dies(runtime: Runtime) -> None:
    start = datetime.now(UTC) - timedelta(minutes=3)
    replies: list[int] = []

    async def scenario(gateway: Gateway, port: int) -> None:
        terminal = SimTerminal(PHONE)
        await terminal.connect("127.0.0.1", port)
        replies.append(await terminal.authenticate(await terminal.register()))
        replies.append(await terminal.location(fix(start, 40.0)))
        writer = gateway.store.save.__self__  # type: ignore[attr-defined]
        assert isinstance(writer, WriterProcess)
        os.kill(writer.pid, signal.SIGKILL)
        await asyncio.sleep(0.5)
        replies.append(await terminal.location(fix(start + timedelta(seconds=10), 45.0)))
        replies.append(await terminal.heartbeat())  # the connection itself carries on
        await terminal.close()

    gateway = with_gateway(runtime, scenario, writer_process=True)
    # Acknowledged before the kill: stored. After it: "failure", so the terminal keeps the report.
    assert replies == [m.OK, m.OK, m.FAILURE, m.OK]
    assert gateway.stats["positions"] == 1
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Position)) == 1


def test_the_standalone_gateway_command_stores_reports_and_stops_cleanly(runtime: Runtime) -> None:
    """`lantern monitor gateway` as operators run it: uvloop, a writer process, pinned to a CPU,
    its own garbage-collection schedule, SIGTERM to stop."""
    settings = runtime.settings
    port = free_port()
    env = {
        **os.environ,
        "LANTERN_ENV": "test",
        "LANTERN_DATABASE_URL": settings.database_url,
        "LANTERN_DATA_DIR": str(settings.data_dir),
        "LANTERN_KEYRING_PATH": str(settings.keyring_path),
        "LANTERN_SCHEDULER_ENABLED": "false",
    }
    cpu = min(os.sched_getaffinity(0))
    command = [sys.executable, "-m", "lantern", "monitor", "gateway", "--port", str(port), "--cpu", str(cpu)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    start = datetime.now(UTC) - timedelta(minutes=3)
    replies: list[int] = []

    async def talk() -> None:
        terminal = SimTerminal(PHONE)
        for _ in range(100):  # the command needs a moment to import and bind
            try:
                await terminal.connect("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        replies.append(await terminal.authenticate(await terminal.register()))
        for i in range(3):
            replies.append(await terminal.location(fix(start + timedelta(seconds=10 * i), 50.0)))
        pinned.append(os.sched_getaffinity(process.pid))
        await terminal.close()

    pinned: list[set[int]] = []
    try:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, asyncio.wait_for(talk(), 30)).result()
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert replies == [m.OK] * 4
    assert pinned == [{cpu}]
    assert "'positions': 3" in stdout
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Position)) == 3


def test_the_gateway_command_names_a_cpu_it_cannot_have() -> None:
    unavailable = max(os.sched_getaffinity(0)) + 1
    command = [sys.executable, "-m", "lantern", "monitor", "gateway", "--cpu", str(unavailable)]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=60, env={**os.environ, "LANTERN_ENV": "test"}
    )
    assert done.returncode == 2
    assert f"--cpu {unavailable}" in done.stderr and "may only use CPUs" in done.stderr
