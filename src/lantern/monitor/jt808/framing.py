"""JT/T 808 framing: 0x7e delimiters, 0x7d escaping, XOR checksum, the header.

A frame on the wire is ``7e <escaped(header + body + checksum)> 7e``; inside, 0x7e travels as
``7d 02`` and 0x7d as ``7d 01``. The checksum is the XOR of header and body.
"""

from __future__ import annotations

from typing import NamedTuple

FLAG = 0x7E
ESCAPE = 0x7D
MAX_FRAME = 4096  # longest legal frame is ~1,050 bytes escaped twice over; beyond this it is garbage


class FrameError(ValueError):
    """A frame that cannot be decoded; carries the reason and the raw bytes as hex for the log."""

    def __init__(self, reason: str, raw: bytes) -> None:
        super().__init__(f"{reason}: {raw.hex()}")
        self.reason = reason
        self.raw = raw


def escape(data: bytes) -> bytes:
    """Escape 0x7d and 0x7e inside a frame."""
    return data.replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02")


def unescape(data: bytes) -> bytes:
    """Undo :func:`escape`; raise FrameError on a 0x7d not followed by 01 or 02.

    Done with ``count`` and ``replace`` (C loops) rather than a Python loop over the bytes: about
    one report in three carries an escape, since any coordinate byte can be 0x7d or 0x7e. Every
    0x7d is the start of a sequence exactly when the 0x7d count equals the count of ``7d01`` and
    ``7d02`` (those can never overlap); ``7d02`` is replaced first because undoing ``7d01`` can
    produce a ``7d`` that a later ``02`` would otherwise pair with.
    """
    escapes = data.count(b"\x7d")
    if not escapes:
        return data
    if escapes != data.count(b"\x7d\x01") + data.count(b"\x7d\x02"):
        raise FrameError("bad escape sequence", data)
    return data.replace(b"\x7d\x02", b"\x7e").replace(b"\x7d\x01", b"\x7d")


def checksum(data: bytes) -> int:
    """XOR of every byte."""
    value = 0
    for byte in data:
        value ^= byte
    return value


def bcd_decode(data: bytes) -> str:
    """Packed BCD to digits."""
    return data.hex()


def bcd_encode(digits: str, length: int) -> bytes:
    """Digits to packed BCD of ``length`` bytes, left-padded with zeros."""
    if not digits.isdigit() or len(digits) > length * 2:
        raise ValueError(f"{digits!r} is not at most {length * 2} decimal digits")
    return bytes.fromhex(digits.rjust(length * 2, "0"))


class Header(NamedTuple):
    """The message header. A named tuple, not a dataclass: one is built for every frame in and
    out, and a frozen dataclass's ``__init__`` costs three times as much."""

    msg_id: int
    body_length: int
    encryption: int
    version_2019: bool
    protocol_version: int  # 2019 only (0 otherwise)
    phone: str
    serial: int
    packet_total: int = 0  # sub-packaged messages only
    packet_index: int = 0

    @property
    def subpackaged(self) -> bool:
        return self.packet_total > 0

    def encode(self, body_length: int | None = None) -> bytes:
        length = self.body_length if body_length is None else body_length
        if length > 0x3FF:
            raise ValueError(f"body of {length} bytes exceeds the 1023-byte limit; split it into packets")
        props = (
            length
            | (self.encryption & 0x7) << 10
            | (0x2000 if self.subpackaged else 0)
            | (0x4000 if self.version_2019 else 0)
        )
        out = self.msg_id.to_bytes(2, "big") + props.to_bytes(2, "big")
        if self.version_2019:
            out += bytes([self.protocol_version]) + bcd_encode(self.phone, 10)
        else:
            out += bcd_encode(self.phone, 6)
        out += self.serial.to_bytes(2, "big")
        if self.subpackaged:
            out += self.packet_total.to_bytes(2, "big") + self.packet_index.to_bytes(2, "big")
        return out


def parse_header(data: bytes) -> tuple[Header, int]:
    """Header and its length in bytes."""
    if len(data) < 12:
        raise FrameError("frame shorter than a header", data)
    msg_id = int.from_bytes(data[0:2], "big")
    props = int.from_bytes(data[2:4], "big")
    version_2019 = bool(props & 0x4000)
    subpackaged = bool(props & 0x2000)
    offset = 4
    protocol_version = 0
    if version_2019:
        if len(data) < 17:
            raise FrameError("frame shorter than a 2019 header", data)
        protocol_version = data[4]
        phone = bcd_decode(data[5:15])
        offset = 15
    else:
        phone = bcd_decode(data[4:10])
        offset = 10
    serial = int.from_bytes(data[offset : offset + 2], "big")
    offset += 2
    total = index = 0
    if subpackaged:
        if len(data) < offset + 4:
            raise FrameError("sub-packet header cut short", data)
        total = int.from_bytes(data[offset : offset + 2], "big")
        index = int.from_bytes(data[offset + 2 : offset + 4], "big")
        offset += 4
    header = Header(
        msg_id, props & 0x3FF, (props >> 10) & 0x7, version_2019, protocol_version, phone, serial, total, index
    )
    return header, offset


def decode_frame(frame: bytes) -> tuple[Header, bytes]:
    """``7e ... 7e`` (or the part between) -> header and body; checks escape, checksum, length."""
    inner = frame[1:-1] if frame[:1] == b"\x7e" and frame[-1:] == b"\x7e" else frame
    data = unescape(inner)
    if len(data) < 13:
        raise FrameError("frame too short", frame)
    payload, received = data[:-1], data[-1]
    if checksum(payload) != received:
        raise FrameError(f"checksum {received:#04x} does not match {checksum(payload):#04x}", frame)
    header, offset = parse_header(payload)
    body = payload[offset:]
    if len(body) != header.body_length:
        raise FrameError(f"body is {len(body)} bytes but the header says {header.body_length}", frame)
    return header, body


def encode_frame(header: Header, body: bytes) -> bytes:
    """Header and body -> a complete escaped frame with checksum and delimiters."""
    payload = header.encode(len(body)) + body
    return b"\x7e" + escape(payload + bytes([checksum(payload)])) + b"\x7e"


class FrameSplitter:
    """Cuts a TCP byte stream into frames; bytes outside frames and oversized frames are dropped.

    ``feed`` returns complete frames (with delimiters) and counts what it threw away, so a
    misbehaving terminal can neither grow memory nor stall the connection.
    """

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.buffer = bytearray()
        self.max_frame = max_frame
        self.discarded = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        # The usual case, one whole frame in one read, skips the buffer.
        if (
            not self.buffer
            and 2 < len(chunk) <= self.max_frame
            and chunk[0] == FLAG
            and chunk[-1] == FLAG
            and chunk.count(b"\x7e") == 2
        ):
            return [bytes(chunk)]
        self.buffer += chunk
        frames = []
        while True:
            start = self.buffer.find(b"\x7e")
            if start < 0:
                self.discarded += len(self.buffer)
                self.buffer.clear()
                break
            if start > 0:
                self.discarded += start
                del self.buffer[:start]
            end = self.buffer.find(b"\x7e", 1)
            if end < 0:
                if len(self.buffer) > self.max_frame:
                    self.discarded += len(self.buffer)
                    self.buffer.clear()
                break
            if end == 1:  # "7e7e": an end flag followed by a start flag; keep the second
                del self.buffer[:1]
                continue
            frame = bytes(self.buffer[: end + 1])
            del self.buffer[: end + 1]
            if len(frame) > self.max_frame:
                self.discarded += len(frame)
                continue
            frames.append(frame)
        return frames
