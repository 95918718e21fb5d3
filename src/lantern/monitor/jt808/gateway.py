"""The JT/T 808 gateway: an asyncio TCP server for vehicle terminals (2013 and 2019).

Per connection: split the byte stream into frames, decode, answer. Position reports are
acknowledged (0x8001, result 0) only after they are committed to the engine's input log, so
nothing a terminal was told we have is ever lost; commits are grouped across connections (one
transaction per round, however many terminals are talking). Replies leave in request order.
A bad frame is counted, logged as hex and answered "message error" when its header can be
read; it never stalls the connection. A terminal sending faster than the flood limit is cut off.

Built on ``asyncio.Protocol`` rather than streams: a stream costs a task and several awaits per
frame, which capped a first version at ~6,000 frames/s on one core.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from lantern.monitor.collector import ScheduledCollector
from lantern.monitor.jt808 import messages as m
from lantern.monitor.jt808.framing import (
    FrameError,
    FrameSplitter,
    Header,
    decode_frame,
    encode_frame,
    parse_header,
    unescape,
)

log = logging.getLogger("lantern.monitor.gateway")
MAX_LOGGED_BAD_FRAMES = 5  # per connection: a broken terminal must not fill the log
MAX_BAD_FRAMES = 100  # per connection, then it is cut off
MAX_STRAY_BYTES = 65536

# A position on its way from a terminal to the input log: a plain tuple, because the gateway
# hands 20,000 a second to the writer process and a tuple of numbers pickles at a fraction of a
# dict's cost. ``report_rows`` turns them into the input log's rows on the other side (the
# order of the fields is the one there; the last is the named additional items, or None).
PositionReport = tuple[str, datetime, float, float, float, int, int, bool, int, int, dict[str, Any] | None]


@dataclass(frozen=True)
class Auth:
    vehicle_id: str
    auth_code: str


class GatewayStore:
    """What the gateway needs from the platform.

    ``register(phone, protocol) -> Auth | None`` and ``lookup(phone) -> Auth | None`` are plain
    callables run in a worker thread; ``save(reports)`` is a coroutine function that returns once
    the position reports (see :func:`report_rows`) are committed and raises otherwise; the
    optional ``close()`` coroutine function runs after the last commit when the gateway stops.
    """

    def __init__(
        self,
        register: Callable[[str, str], Auth | None],
        lookup: Callable[[str], Auth | None],
        save: Callable[[list[PositionReport]], Awaitable[None]],
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.register = register
        self.lookup = lookup
        self.save = save
        self.close = close


class Slot:
    """A reply that will be known later (after a commit or a database lookup)."""

    __slots__ = ("data",)

    def __init__(self) -> None:
        self.data: bytes | None = None


class GroupCommitter:
    """Collects position rows from every connection and commits them in one transaction per round."""

    def __init__(self, save: Callable[[list[PositionReport]], Awaitable[None]], max_rows: int = 20_000) -> None:
        self.save = save
        self.max_rows = max_rows
        self.pending: list[tuple[list[PositionReport], Callable[[bool], None]]] = []
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.commits = 0
        self.stopping = False

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Finish what was submitted (a commit is never cut off mid-transaction), then stop."""
        self.stopping = True
        self.wake.set()
        if self.task:
            try:
                await asyncio.wait_for(self.task, 10)
            except (TimeoutError, asyncio.CancelledError):
                log.warning("position committer did not finish within 10 s")

    def submit(self, rows: list[PositionReport], done: Callable[[bool], None]) -> None:
        """Queue rows; ``done(True)`` runs once they are committed, ``done(False)`` if the commit failed."""
        self.pending.append((rows, done))
        self.wake.set()

    async def _run(self) -> None:
        while not (self.stopping and not self.pending):
            await self.wake.wait()
            self.wake.clear()
            while self.pending:
                cut, count = 0, 0
                while cut < len(self.pending) and count < self.max_rows:
                    count += len(self.pending[cut][0])
                    cut += 1
                taken = self.pending[:cut]
                del self.pending[:cut]
                try:
                    await self.save([row for rows, _ in taken for row in rows])
                    ok = True
                except Exception:  # the terminals are told, and will send again
                    log.exception("position commit failed")
                    ok = False
                self.commits += ok
                for _, done in taken:
                    done(ok)


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.capacity, self.tokens, self.stamp = rate, burst, burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class Connection:
    peer: str
    phone: str | None = None  # set once authenticated
    vehicle_id: str | None = None
    serial: int = 0
    bad_frames: int = 0
    reassembler: m.Reassembler = field(default_factory=m.Reassembler)

    def next_serial(self) -> int:
        self.serial = (self.serial + 1) & 0xFFFF
        return self.serial


class TerminalProtocol(asyncio.Protocol):
    """One terminal connection: frames in, replies out in request order."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.transport: asyncio.Transport | None = None
        self.conn = Connection("?")
        self.splitter = FrameSplitter()
        self.bucket = TokenBucket(gateway.flood_per_s, gateway.flood_per_s * 2)
        self.outbox: deque[bytes | Slot] = deque()
        self.inbox: deque[bytes] = deque()
        self.waiting = False  # a database lookup is in flight: later frames wait for it
        self.counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing asyncio.Transport.
        self.transport = cast(asyncio.Transport, transport)
        self.conn.peer = str(transport.get_extra_info("peername"))
        gateway = self.gateway
        if gateway.connections >= gateway.max_connections:
            gateway.stats["refused_connections"] += 1
            transport.close()
            return
        self.counted = True
        gateway.connections += 1
        gateway.stats["connections"] += 1

    def connection_lost(self, exc: Exception | None) -> None:
        if self.counted:
            self.gateway.connections -= 1
            self.counted = False
        self.transport = None

    def data_received(self, data: bytes) -> None:
        for frame in self.splitter.feed(data):
            if not self.bucket.take():
                self.gateway.stats["flood_disconnects"] += 1
                log.warning(
                    "terminal %s at %s sent more than %.0f frames/s: disconnected",
                    self.conn.phone or "?",
                    self.conn.peer,
                    self.gateway.flood_per_s,
                )
                self.close()
                return
            self.inbox.append(frame)
        if self.conn.bad_frames > MAX_BAD_FRAMES or self.splitter.discarded > MAX_STRAY_BYTES:
            self.gateway.stats["bad_disconnects"] += 1
            log.warning(
                "connection %s sent %d bad frames and %d stray bytes: disconnected",
                self.conn.peer,
                self.conn.bad_frames,
                self.splitter.discarded,
            )
            self.close()
            return
        self.pump()

    def pump(self) -> None:
        """Handle queued frames until one needs the database."""
        while self.inbox and not self.waiting and self.transport is not None:
            self.gateway.handle(self, self.inbox.popleft())
        self.flush()

    def reply(self, data: bytes | None) -> None:
        if data is not None:
            self.outbox.append(data)

    def later(self) -> Slot:
        slot = Slot()
        self.outbox.append(slot)
        return slot

    def flush(self) -> None:
        """Write every reply at the head of the queue that is known."""
        chunks = []
        while self.outbox:
            head = self.outbox[0]
            if isinstance(head, Slot):
                if head.data is None:
                    break
                chunks.append(head.data)
            else:
                chunks.append(head)
            self.outbox.popleft()
        if chunks and self.transport is not None:
            self.transport.write(b"".join(chunks))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Gateway:
    """The TCP server; ``stats`` counts frames, replies, bad frames, floods and connections."""

    def __init__(
        self,
        store: GatewayStore,
        *,
        max_connections: int = 20_000,
        flood_per_s: float = 200.0,
        collector: ScheduledCollector | None = None,
    ) -> None:
        """``collector``: only when the process is the gateway's alone (see monitor/collector.py)."""
        self.store = store
        self.collector = collector
        self.max_connections = max_connections
        self.flood_per_s = flood_per_s
        self.stats: Counter[str] = Counter()
        self.connections = 0
        self.committer = GroupCommitter(store.save)
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen; returns the bound port (pass 0 for a free one)."""
        self.committer.start()
        loop = asyncio.get_running_loop()
        if self.collector is not None:
            self.collector.begin()
            self._spawn(self._collect())
        self.server = await loop.create_server(lambda: TerminalProtocol(self), host, port, backlog=4096)
        bound = self.server.sockets[0].getsockname()[1]
        log.info("JT/T 808 gateway listening on %s:%s", host, bound)
        return int(bound)

    async def _collect(self) -> None:
        assert self.collector is not None
        while self.server is None or self.server.is_serving():
            self.collector.tick()
            await asyncio.sleep(0.25)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def stop(self) -> None:
        if self.server:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 2)
        if self.tasks:  # registrations in flight hold a database connection: let them finish
            await asyncio.wait(list(self.tasks), timeout=10)
        await self.committer.stop()
        if self.store.close is not None:
            await self.store.close()
        if self.collector is not None:
            self.collector.end()

    # --- replies ---------------------------------------------------------------------------

    def _reply(self, conn: Connection, to: Header, msg_id: int, body: m.Body) -> bytes:
        header = Header(msg_id, 0, 0, to.version_2019, to.protocol_version, to.phone, conn.next_serial())
        self.stats["replies"] += 1
        return encode_frame(header, m.encode_body(body, to.version_2019))

    def _general(self, conn: Connection, to: Header, result: int) -> bytes:
        self.stats["replies"] += 1
        return m.general_reply_frame(to, conn.next_serial(), result)

    def _bad_frame(self, conn: Connection, frame: bytes, error: FrameError) -> bytes | None:
        conn.bad_frames += 1
        self.stats["bad_frames"] += 1
        if conn.bad_frames <= MAX_LOGGED_BAD_FRAMES:
            log.warning("bad JT/T 808 frame from %s: %s; hex %s", conn.peer, error.reason, frame.hex()[:1024])
        # Answer "message error" when the header is readable, so the terminal resends.
        try:
            data = unescape(frame[1:-1])
            header, _ = parse_header(data[:-1])
        except FrameError:
            return None
        return self._general(conn, header, m.BAD_MESSAGE)

    # --- frames ----------------------------------------------------------------------------

    def handle(self, proto: TerminalProtocol, frame: bytes) -> None:
        conn = proto.conn
        self.stats["frames"] += 1
        try:
            header, body = decode_frame(frame)
        except FrameError as error:
            proto.reply(self._bad_frame(conn, frame, error))
            return
        if header.subpackaged:
            try:
                whole = conn.reassembler.add(
                    header.phone, header.msg_id, header.serial, header.packet_total, header.packet_index, body
                )
            except FrameError as error:
                proto.reply(self._bad_frame(conn, frame, error))
                return
            if whole is None:
                proto.reply(self._general(conn, header, m.OK))
                return
            body = whole
        try:
            decoded = m.decode_body(header.msg_id, body, header.version_2019)
        except FrameError as error:
            if header.msg_id in (m.LOCATION, m.BATCH_LOCATION, m.REGISTER, m.AUTHENTICATE, m.TERMINAL_REPLY):
                proto.reply(self._bad_frame(conn, frame, error))
            else:
                self.stats["unsupported"] += 1
                proto.reply(self._general(conn, header, m.UNSUPPORTED))
            return
        msg_id = header.msg_id
        if msg_id in (m.LOCATION, m.BATCH_LOCATION):
            self._positions(proto, header, decoded)
        elif msg_id in (m.HEARTBEAT, m.DEREGISTER):
            proto.reply(self._general(conn, header, m.OK))
        elif msg_id in (m.REGISTER, m.AUTHENTICATE):
            self._lookup(proto, header, decoded)
        elif msg_id != m.TERMINAL_REPLY:  # a reply to one of our commands needs no answer
            self.stats["unsupported"] += 1
            proto.reply(self._general(conn, header, m.UNSUPPORTED))

    def _positions(self, proto: TerminalProtocol, header: Header, body: m.Body) -> None:
        conn = proto.conn
        if conn.vehicle_id is None or conn.phone != header.phone:
            self.stats["unauthenticated_reports"] += 1
            proto.reply(self._general(conn, header, m.FAILURE))
            return
        items = body.items if isinstance(body, m.BatchLocation) else (body,)
        rows = [position_report(conn.vehicle_id, item) for item in items if isinstance(item, m.Location)]
        slot = proto.later()

        def done(ok: bool) -> None:
            if ok:
                self.stats["positions"] += len(rows)
            slot.data = self._general(conn, header, m.OK if ok else m.FAILURE)
            proto.flush()

        self.committer.submit(rows, done)

    def _lookup(self, proto: TerminalProtocol, header: Header, body: m.Body) -> None:
        """Register or authenticate: a database call, so later frames of this terminal wait."""
        slot = proto.later()
        proto.waiting = True

        async def run() -> None:
            conn = proto.conn
            try:
                if header.msg_id == m.REGISTER:
                    auth = await asyncio.to_thread(
                        self.store.register, header.phone, "2019" if header.version_2019 else "2013"
                    )
                    self.stats["registrations"] += 1
                    answer = (
                        m.RegisterReply(header.serial, m.REG_OK, auth.auth_code)
                        if auth
                        else m.RegisterReply(header.serial, m.REG_NO_TERMINAL)
                    )
                    slot.data = self._reply(conn, header, m.REGISTER_REPLY, answer)
                else:
                    assert isinstance(body, m.Authenticate)
                    auth = await asyncio.to_thread(self.store.lookup, header.phone)
                    if auth is None or not auth.auth_code or body.auth_code != auth.auth_code:
                        self.stats["auth_failures"] += 1
                        slot.data = self._general(conn, header, m.FAILURE)
                    else:
                        conn.phone, conn.vehicle_id = header.phone, auth.vehicle_id
                        slot.data = self._general(conn, header, m.OK)
            except Exception:
                log.exception("terminal lookup failed")
                slot.data = self._general(conn, header, m.FAILURE)
            proto.waiting = False
            proto.pump()

        self._spawn(run())


def position_report(vehicle_id: str, loc: m.Location) -> PositionReport:
    """A decoded 0x0200 as a report for the input log."""
    extras = None
    if loc.extras:
        extras = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in loc.extra_values().items()}
    return (
        vehicle_id,
        loc.time,
        loc.lat,
        loc.lon,
        loc.speed_kmh,
        loc.direction_deg % 360,
        loc.altitude_m,
        bool(loc.status_flags & 0b10),  # status bit 1: positioned
        loc.alarm_flags,
        loc.status_flags,
        extras,
    )


def report_rows(reports: list[PositionReport]) -> list[dict[str, Any]]:
    """Rows of the engine's input log for ``monitor.service.record_positions``."""
    return [
        {
            "vehicle_id": vehicle_id,
            "time": time,
            "lat": lat,
            "lon": lon,
            "speed_kmh": speed_kmh,
            "heading": heading,
            "altitude_m": altitude_m,
            "valid": valid,
            "alarm_flags": alarm_flags,
            "status_flags": status_flags,
            "extras": extras or {},
            "source": "jt808",
        }
        for (
            vehicle_id,
            time,
            lat,
            lon,
            speed_kmh,
            heading,
            altitude_m,
            valid,
            alarm_flags,
            status_flags,
            extras,
        ) in reports
    ]
