"""A JT/T 808 terminal of our own: for tests, the demo feed and the gateway benchmark.

It speaks the same codec as the gateway but from the vehicle's side: register, authenticate,
heartbeat, location and batch reports, each awaiting the platform's reply.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from lantern.monitor.jt808 import messages as m
from lantern.monitor.jt808.framing import FrameError, FrameSplitter, Header, decode_frame, encode_frame


class TerminalError(RuntimeError):
    pass


@dataclass
class Reply:
    msg_id: int
    header: Header
    body: m.Body


class SimTerminal:
    """One terminal on one TCP connection; ``request`` sends a message and waits for the reply."""

    def __init__(self, phone: str, version_2019: bool = False, plate: str = "") -> None:
        self.phone = phone
        self.version_2019 = version_2019
        self.plate = plate
        self.serial = 0
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.splitter = FrameSplitter()
        self.pending: list[bytes] = []

    async def connect(self, host: str, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection(host, port)

    async def close(self) -> None:
        if self.writer:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()

    def frame(self, msg_id: int, body: m.Body) -> bytes:
        self.serial = (self.serial + 1) & 0xFFFF
        header = Header(msg_id, 0, 0, self.version_2019, 1 if self.version_2019 else 0, self.phone, self.serial)
        return encode_frame(header, m.encode_body(body, self.version_2019))

    async def send_raw(self, data: bytes) -> None:
        assert self.writer is not None
        self.writer.write(data)
        await self.writer.drain()

    async def receive(self) -> Reply:
        """The next frame from the platform."""
        assert self.reader is not None
        while not self.pending:
            chunk = await self.reader.read(65536)
            if not chunk:
                raise TerminalError("the platform closed the connection")
            self.pending.extend(self.splitter.feed(chunk))
        header, body = decode_frame(self.pending.pop(0))
        return Reply(header.msg_id, header, m.decode_body(header.msg_id, body, header.version_2019))

    async def request(self, msg_id: int, body: m.Body) -> Reply:
        await self.send_raw(self.frame(msg_id, body))
        return await self.receive()

    async def register(self) -> str:
        """Register and return the auth code (TerminalError when the platform refuses)."""
        body = m.Register(44, 100, "LNTRN", "SIM-1", self.phone[-7:], 1, self.plate)
        reply = await self.request(m.REGISTER, body)
        if not isinstance(reply.body, m.RegisterReply) or reply.body.result != m.REG_OK:
            raise TerminalError(f"registration refused: {reply.body}")
        return reply.body.auth_code

    async def authenticate(self, code: str) -> int:
        reply = await self.request(m.AUTHENTICATE, m.Authenticate(code, "860000000000000", "sim-1.0"))
        return _result(reply)

    async def location(self, loc: m.Location) -> int:
        return _result(await self.request(m.LOCATION, loc))

    async def batch(self, items: list[m.Location], blind_area: bool = False) -> int:
        return _result(await self.request(m.BATCH_LOCATION, m.BatchLocation(1 if blind_area else 0, tuple(items))))

    async def heartbeat(self) -> int:
        return _result(await self.request(m.HEARTBEAT, None))


def _result(reply: Reply) -> int:
    if not isinstance(reply.body, m.GeneralReply):
        raise TerminalError(f"expected a general reply, got {reply.msg_id:#06x}")
    return reply.body.result


__all__ = ["FrameError", "Reply", "SimTerminal", "TerminalError"]
