"""JT/T 808 message bodies: decode to dataclasses, encode back to the same bytes.

Units at this edge follow the standard (1e-6 degrees, 1/10 km/h, BCD time in GMT+8); they are
converted to degrees, km/h and aware UTC here and nowhere else.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import NamedTuple

from lantern.monitor.jt808.framing import FrameError, Header, bcd_encode, checksum, escape

_LOCATION_FIXED = struct.Struct(">IIIIHHH")  # alarm, status, lat, lon, altitude, speed, direction

GMT8 = timezone(timedelta(hours=8))

REGISTER = 0x0100
REGISTER_REPLY = 0x8100
AUTHENTICATE = 0x0102
HEARTBEAT = 0x0002
LOCATION = 0x0200
BATCH_LOCATION = 0x0704
DEREGISTER = 0x0003
TERMINAL_REPLY = 0x0001
PLATFORM_REPLY = 0x8001

# General reply results (table 4 of the standard)
OK, FAILURE, BAD_MESSAGE, UNSUPPORTED, ALARM_CONFIRMED = 0, 1, 2, 3, 4
# Register reply results
REG_OK, REG_VEHICLE_TAKEN, REG_NO_VEHICLE, REG_TERMINAL_TAKEN, REG_NO_TERMINAL = 0, 1, 2, 3, 4

ALARM_BITS = {
    0: "emergency",
    1: "overspeed",
    2: "fatigue",
    3: "danger_warning",
    4: "gnss_fault",
    5: "antenna_disconnected",
    6: "antenna_short",
    7: "power_undervoltage",
    8: "power_off",
    9: "display_fault",
    10: "tts_fault",
    11: "camera_fault",
    18: "driving_timeout",
    19: "parking_timeout",
    20: "area_in_out",
    21: "route_in_out",
    22: "route_time",
    23: "route_deviation",
    24: "vss_fault",
    25: "fuel_abnormal",
    26: "stolen",
    27: "illegal_ignition",
    28: "illegal_move",
    29: "collision",
    30: "rollover",
    31: "illegal_door",
}
STATUS_BITS = {
    0: "acc_on",
    1: "positioned",
    2: "south",
    3: "west",
    4: "out_of_service",
    5: "coordinates_encrypted",
    10: "oil_cut",
    11: "circuit_cut",
    12: "doors_locked",
    18: "gps",
    19: "beidou",
    20: "glonass",
    21: "galileo",
}


def flags(value: int, names: dict[int, str]) -> dict[str, bool]:
    """Named booleans of a bit field."""
    return {name: bool(value >> bit & 1) for bit, name in names.items()}


def _text(data: bytes) -> str:
    return data.rstrip(b"\x00").decode("gbk", errors="replace")


def _fixed(text: str, width: int) -> bytes:
    raw = text.encode("gbk")
    if len(raw) > width:
        raise ValueError(f"{text!r} is longer than {width} bytes")
    return raw.ljust(width, b"\x00")


@dataclass(frozen=True)
class Register:
    province_id: int
    city_id: int
    maker_id: str
    terminal_model: str
    terminal_id: str
    plate_color: int
    plate: str

    @staticmethod
    def widths(version_2019: bool) -> tuple[int, int, int]:
        return (11, 30, 30) if version_2019 else (5, 20, 7)

    @classmethod
    def decode(cls, body: bytes, version_2019: bool) -> Register:
        maker, model, tid = cls.widths(version_2019)
        need = 4 + maker + model + tid + 1
        if len(body) < need:
            raise FrameError("register body too short", body)
        offset = 4
        parts = []
        for width in (maker, model, tid):
            parts.append(_text(body[offset : offset + width]))
            offset += width
        return cls(
            int.from_bytes(body[0:2], "big"),
            int.from_bytes(body[2:4], "big"),
            parts[0],
            parts[1],
            parts[2],
            body[offset],
            body[offset + 1 :].decode("gbk", errors="replace"),
        )

    def encode(self, version_2019: bool) -> bytes:
        maker, model, tid = self.widths(version_2019)
        return (
            self.province_id.to_bytes(2, "big")
            + self.city_id.to_bytes(2, "big")
            + _fixed(self.maker_id, maker)
            + _fixed(self.terminal_model, model)
            + _fixed(self.terminal_id, tid)
            + bytes([self.plate_color])
            + self.plate.encode("gbk")
        )


@dataclass(frozen=True)
class RegisterReply:
    reply_serial: int
    result: int
    auth_code: str = ""

    @classmethod
    def decode(cls, body: bytes) -> RegisterReply:
        return cls(int.from_bytes(body[0:2], "big"), body[2], body[3:].decode("gbk", errors="replace"))

    def encode(self) -> bytes:
        code = self.auth_code.encode("gbk") if self.result == REG_OK else b""
        return self.reply_serial.to_bytes(2, "big") + bytes([self.result]) + code


@dataclass(frozen=True)
class Authenticate:
    auth_code: str
    imei: str = ""
    software_version: str = ""

    @classmethod
    def decode(cls, body: bytes, version_2019: bool) -> Authenticate:
        if not version_2019:
            return cls(body.decode("gbk", errors="replace"))
        if not body:
            raise FrameError("authenticate body empty", body)
        size = body[0]
        if len(body) < 1 + size + 15 + 20:
            raise FrameError("2019 authenticate body too short", body)
        code = body[1 : 1 + size].decode("gbk", errors="replace")
        return cls(code, _text(body[1 + size : 16 + size]), _text(body[16 + size : 36 + size]))

    def encode(self, version_2019: bool) -> bytes:
        code = self.auth_code.encode("gbk")
        if not version_2019:
            return code
        return bytes([len(code)]) + code + _fixed(self.imei, 15) + _fixed(self.software_version, 20)


@dataclass(frozen=True)
class GeneralReply:
    """0x8001 (platform) and 0x0001 (terminal) share this layout."""

    reply_serial: int
    reply_msg_id: int
    result: int

    @classmethod
    def decode(cls, body: bytes) -> GeneralReply:
        if len(body) < 5:
            raise FrameError("general reply body too short", body)
        return cls(int.from_bytes(body[0:2], "big"), int.from_bytes(body[2:4], "big"), body[4])

    def encode(self) -> bytes:
        return self.reply_serial.to_bytes(2, "big") + self.reply_msg_id.to_bytes(2, "big") + bytes([self.result])


@dataclass(frozen=True)
class Extra:
    """An additional information item; ``raw`` is kept so re-encoding is exact."""

    item_id: int
    raw: bytes

    def value(self) -> float | int | bytes:
        known = {0x01: 10.0, 0x02: 10.0, 0x03: 10.0}  # mileage 1/10 km, fuel 1/10 L, recorder speed 1/10 km/h
        if self.item_id in known:
            return int.from_bytes(self.raw, "big") / known[self.item_id]
        if self.item_id in (0x25, 0x2A, 0x30, 0x31):
            return int.from_bytes(self.raw, "big")
        return self.raw


EXTRA_NAMES = {
    0x01: "mileage_km",
    0x02: "fuel_l",
    0x03: "recorder_speed_kmh",
    0x25: "extended_status",
    0x2A: "io_status",
    0x30: "signal_strength",
    0x31: "gnss_satellites",
}


class Location(NamedTuple):
    """A 0x0200 body (a named tuple: the gateway decodes 20,000 a second)."""

    alarm_flags: int
    status_flags: int
    lat: float  # degrees, signed (hemisphere bits applied)
    lon: float
    altitude_m: int
    speed_kmh: float
    direction_deg: int
    time: datetime  # aware UTC
    extras: tuple[Extra, ...] = ()

    @property
    def alarms(self) -> dict[str, bool]:
        return flags(self.alarm_flags, ALARM_BITS)

    @property
    def status(self) -> dict[str, bool]:
        return flags(self.status_flags, STATUS_BITS)

    def extra_values(self) -> dict[str, object]:
        return {EXTRA_NAMES.get(e.item_id, f"0x{e.item_id:02x}"): e.value() for e in self.extras}

    @classmethod
    def decode(cls, body: bytes) -> Location:
        if len(body) < 28:
            raise FrameError("location body shorter than 28 bytes", body)
        # One struct call for the fixed part: the gateway decodes 20,000 of these a second.
        alarm, status, raw_lat, raw_lon, altitude, speed, direction = _LOCATION_FIXED.unpack_from(body)
        lat = -raw_lat / 1e6 if status & 0b100 else raw_lat / 1e6
        lon = -raw_lon / 1e6 if status & 0b1000 else raw_lon / 1e6
        time = _utc_of_gmt8_bcd(body[22:28])
        extras = []
        offset = 28
        while offset < len(body):
            if offset + 2 > len(body):
                raise FrameError("additional item header cut short", body)
            item, size = body[offset], body[offset + 1]
            if offset + 2 + size > len(body):
                raise FrameError(f"additional item {item:#04x} cut short", body)
            extras.append(Extra(item, bytes(body[offset + 2 : offset + 2 + size])))
            offset += 2 + size
        return cls(alarm, status, lat, lon, altitude, speed / 10, direction, time, tuple(extras))

    def encode(self) -> bytes:
        status = self.status_flags | (0b100 if self.lat < 0 else 0) | (0b1000 if self.lon < 0 else 0)
        local = self.time.astimezone(GMT8)
        out = (
            self.alarm_flags.to_bytes(4, "big")
            + status.to_bytes(4, "big")
            + round(abs(self.lat) * 1e6).to_bytes(4, "big")
            + round(abs(self.lon) * 1e6).to_bytes(4, "big")
            + self.altitude_m.to_bytes(2, "big")
            + round(self.speed_kmh * 10).to_bytes(2, "big")
            + self.direction_deg.to_bytes(2, "big")
            + bcd_encode(local.strftime("%y%m%d%H%M%S"), 6)
        )
        for extra in self.extras:
            out += bytes([extra.item_id, len(extra.raw)]) + extra.raw
        return out


@lru_cache(maxsize=4096)
def _utc_of_gmt8_bcd(raw: bytes) -> datetime:
    """BCD ``YYMMDDhhmmss`` in GMT+8 -> aware UTC. Cached: terminals report on the second, so a
    busy second brings thousands of reports that share a handful of time stamps."""
    digits = raw.hex()
    try:
        # YY is 20YY in the standard (strptime's %y would read 69-99 as the 1900s).
        local = datetime(
            2000 + int(digits[0:2]),
            int(digits[2:4]),
            int(digits[4:6]),
            int(digits[6:8]),
            int(digits[8:10]),
            int(digits[10:12]),
            tzinfo=GMT8,
        )
    except ValueError as exc:
        raise FrameError(f"location time {digits} is not a BCD date", raw) from exc
    return local.astimezone(UTC)


@dataclass(frozen=True)
class BatchLocation:
    kind: int  # 0 normal batch, 1 blind-area re-upload
    items: tuple[Location, ...]

    @classmethod
    def decode(cls, body: bytes) -> BatchLocation:
        if len(body) < 3:
            raise FrameError("batch body too short", body)
        count, kind = int.from_bytes(body[0:2], "big"), body[2]
        offset, items = 3, []
        for _ in range(count):
            size = int.from_bytes(body[offset : offset + 2], "big")
            items.append(Location.decode(body[offset + 2 : offset + 2 + size]))
            offset += 2 + size
        if offset != len(body):
            raise FrameError("batch length does not match its items", body)
        return cls(kind, tuple(items))

    def encode(self) -> bytes:
        out = len(self.items).to_bytes(2, "big") + bytes([self.kind])
        for item in self.items:
            raw = item.encode()
            out += len(raw).to_bytes(2, "big") + raw
        return out


Body = Register | RegisterReply | Authenticate | GeneralReply | Location | BatchLocation | None


def decode_body(msg_id: int, body: bytes, version_2019: bool) -> Body:
    """Decode a body by message id (None for bodiless messages; FrameError for unsupported ones)."""
    if msg_id == LOCATION:
        return Location.decode(body)
    if msg_id == BATCH_LOCATION:
        return BatchLocation.decode(body)
    if msg_id == REGISTER:
        return Register.decode(body, version_2019)
    if msg_id == AUTHENTICATE:
        return Authenticate.decode(body, version_2019)
    if msg_id in (PLATFORM_REPLY, TERMINAL_REPLY):
        return GeneralReply.decode(body)
    if msg_id == REGISTER_REPLY:
        return RegisterReply.decode(body)
    if msg_id in (HEARTBEAT, DEREGISTER):
        return None
    raise FrameError(f"message {msg_id:#06x} is not supported", body)


def encode_body(body: Body, version_2019: bool) -> bytes:
    if body is None:
        return b""
    if isinstance(body, Register | Authenticate):
        return body.encode(version_2019)
    return body.encode()


class Reassembler:
    """Joins sub-packaged messages (header bit 13) per terminal, message and first serial."""

    def __init__(self, max_pending: int = 64) -> None:
        self.pending: dict[tuple[str, int, int], dict[int, bytes]] = {}
        self.max_pending = max_pending

    def add(self, phone: str, msg_id: int, serial: int, total: int, index: int, body: bytes) -> bytes | None:
        """Store one packet; return the whole body when the last one arrives."""
        if not 1 <= index <= total:
            raise FrameError(f"packet {index} of {total} is out of range", body)
        key = (phone, msg_id, serial - index + 1)  # serials of one message run consecutively
        parts = self.pending.setdefault(key, {})
        parts[index] = body
        if len(self.pending) > self.max_pending:  # a terminal that never finishes cannot fill memory
            self.pending.pop(next(iter(self.pending)))
        if len(parts) < total:
            return None
        del self.pending[key]
        return b"".join(parts[i] for i in range(1, total + 1))


_GENERAL_REPLY_TAIL = struct.Struct(">HHHB")  # our serial, their serial, their message id, result


@lru_cache(maxsize=65536)
def _reply_head(phone: str, version_2019: bool, protocol_version: int) -> tuple[bytes, int]:
    """The escaped, constant start of every 0x8001 frame to one terminal, and its checksum."""
    head = Header(PLATFORM_REPLY, 5, 0, version_2019, protocol_version, phone, 0).encode()[:-2]
    return b"\x7e" + escape(head), checksum(head)


def general_reply_frame(to: Header, serial: int, result: int) -> bytes:
    """The complete 0x8001 frame answering ``to``; the same bytes as ``encode_frame`` gives.

    Built from a cached per-terminal head plus seven bytes: this is the reply to nearly every
    frame the gateway receives.
    """
    head, head_sum = _reply_head(to.phone, to.version_2019, to.protocol_version)
    tail = _GENERAL_REPLY_TAIL.pack(serial, to.serial, to.msg_id, result)
    return head + escape(tail + bytes([head_sum ^ checksum(tail)])) + b"\x7e"
