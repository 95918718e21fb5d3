"""JT/T 808: the official-suite vectors decode to their stated values and re-encode to the same
bytes; hypothesis round trips for escaping, checksum and every message the gateway speaks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantern.monitor.jt808 import framing, messages
from lantern.monitor.jt808.framing import FrameError, FrameSplitter, Header, decode_frame, encode_frame

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def vectors(shared_dir):
    return {
        v["name"]: v for v in json.loads((shared_dir / "standards" / "jt808" / "vectors.json").read_text())["vectors"]
    }


def test_every_vector_decodes_to_its_values_and_reencodes_exactly(vectors):
    for name, vector in vectors.items():
        raw = bytes.fromhex(vector["hex"])
        expect = vector["expect"]
        header, body_bytes = decode_frame(raw)
        assert f"{header.msg_id:#06x}" == expect["msg_id"], name
        assert header.version_2019 == expect["version_2019"], name
        assert header.phone == expect["phone"], name
        assert header.serial == expect["serial"], name
        assert f"{framing.checksum(header.encode(len(body_bytes)) + body_bytes):#04x}" == expect["checksum"].lower(), (
            name
        )
        body = messages.decode_body(header.msg_id, body_bytes, header.version_2019)
        if isinstance(body, messages.Location):
            assert body.alarm_flags == expect["alarm_flags"] and body.status_flags == expect["status_flags"]
            assert body.lat == expect["latitude"] and body.lon == expect["longitude"]
            assert body.altitude_m == expect["altitude_m"] and body.speed_kmh == expect["speed_kmh"]
            assert body.direction_deg == expect["direction_deg"]
            local = datetime.fromisoformat(expect["time_local_gmt8"]).replace(tzinfo=messages.GMT8)
            assert body.time == local.astimezone(UTC) and body.time.tzinfo == UTC
            values = body.extra_values()
            assert values["mileage_km"] == expect["extras"]["0x01_mileage_km"]
            assert values["fuel_l"] == expect["extras"]["0x02_fuel_l"]
        elif isinstance(body, messages.Register):
            assert (
                body.province_id,
                body.city_id,
                body.maker_id,
                body.terminal_model,
                body.terminal_id,
                body.plate_color,
                body.plate,
            ) == (
                expect["province_id"],
                expect["city_id"],
                expect["maker_id"],
                expect["terminal_model"],
                expect["terminal_id"],
                expect["plate_color"],
                expect["plate"],
            )
            if header.version_2019:
                assert header.protocol_version == expect["protocol_version"]
        elif isinstance(body, messages.Authenticate):
            assert body.auth_code == expect["auth_code"]
        elif isinstance(body, messages.GeneralReply):
            assert (body.reply_serial, f"{body.reply_msg_id:#06x}", body.result) == (
                expect["reply_serial"],
                expect["reply_msg_id"],
                expect["result"],
            )
        else:
            assert body is None and len(body_bytes) == expect["body_len"]
        assert encode_frame(header, messages.encode_body(body, header.version_2019)) == raw, name


def test_the_escaped_checksum_vector(vectors):
    raw = bytes.fromhex(vectors["heartbeat_checksum_escaped"]["hex"])
    assert raw[-3:-1] == b"\x7d\x02"
    header, _ = decode_frame(raw)
    assert header.serial == 43


@pytest.mark.parametrize(
    ("mutation", "reason"),
    [
        (lambda b: b[:-2] + bytes([b[-2] ^ 0xFF]) + b[-1:], "checksum"),
        (lambda b: b[:5] + b"\x7d\x05" + b[7:], "escape"),
        (lambda b: b[:3] + b"\x00\x05" + b[5:], ""),
    ],
)
def test_bad_frames_raise_a_frame_error_with_the_bytes(vectors, mutation, reason):
    raw = mutation(bytes.fromhex(vectors["location_report"]["hex"]))
    with pytest.raises(FrameError) as caught:
        decode_frame(raw)
    assert reason in caught.value.reason and caught.value.raw


def test_the_splitter_handles_arbitrary_chunks_garbage_and_floods(vectors):
    stream = b"garbage" + b"".join(bytes.fromhex(v["hex"]) for v in vectors.values()) + b"\x7e" + b"x" * 10_000
    splitter = FrameSplitter()
    frames = []
    for start in range(0, len(stream), 7):
        frames += splitter.feed(stream[start : start + 7])
    assert [f.hex().upper() for f in frames] == [v["hex"] for v in vectors.values()]
    assert splitter.discarded >= 7 + 10_000 and len(splitter.buffer) <= framing.MAX_FRAME


@given(st.binary(max_size=300))
def test_escape_round_trip_and_no_flag_inside(data):
    escaped = framing.escape(data)
    assert b"\x7e" not in escaped
    assert framing.unescape(escaped) == data


def _unescape_byte_by_byte(data: bytes) -> bytes:
    """The standard's rule read literally: 7d 01 -> 7d, 7d 02 -> 7e, any other 7d is an error."""
    out, i = bytearray(), 0
    while i < len(data):
        if data[i] == 0x7D:
            if i + 1 >= len(data) or data[i + 1] not in (1, 2):
                raise FrameError("bad escape sequence", data)
            out.append(0x7C + data[i + 1])
            i += 2
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


# Byte strings rich in 7d, 7e, 01 and 02, where escaping goes wrong if it goes wrong anywhere.
tricky_bytes = st.lists(st.sampled_from([0x7D, 0x7E, 0x01, 0x02, 0x00, 0x7D]), max_size=40).map(bytes)


@given(st.one_of(tricky_bytes, tricky_bytes.map(framing.escape), st.binary(max_size=60)))
def test_unescape_agrees_with_the_byte_by_byte_rule(data):
    try:
        expected = _unescape_byte_by_byte(data)
    except FrameError:
        with pytest.raises(FrameError, match="bad escape"):
            framing.unescape(data)
    else:
        assert framing.unescape(data) == expected


@given(st.lists(st.one_of(tricky_bytes, st.binary(max_size=40)), min_size=1, max_size=6), st.integers(1, 50))
def test_the_splitter_finds_the_same_frames_however_the_stream_is_cut(bodies, cut):
    frames = [b"\x7e" + framing.escape(body) + b"\x7e" for body in bodies if body]
    stream = b"".join(frames)
    whole, pieces = FrameSplitter(), FrameSplitter()
    got = [f for frame in frames for f in whole.feed(frame)]  # one frame per read: the shortcut
    assert got == frames
    got = [f for start in range(0, len(stream), cut) for f in pieces.feed(stream[start : start + cut])]
    assert got == frames


phones = st.text(alphabet="0123456789", min_size=1, max_size=12)
times = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31), timezones=st.just(UTC)).map(
    lambda t: t.replace(microsecond=0)
)
locations = st.builds(
    messages.Location,
    alarm_flags=st.integers(0, 2**32 - 1),
    status_flags=st.integers(0, 2**32 - 1).map(lambda v: v & ~0b1100),
    lat=st.integers(-90_000_000, 90_000_000).map(lambda v: v / 1e6),
    lon=st.integers(-180_000_000, 180_000_000).map(lambda v: v / 1e6),
    altitude_m=st.integers(0, 65535),
    speed_kmh=st.integers(0, 65535).map(lambda v: v / 10),
    direction_deg=st.integers(0, 359),
    time=times,
    extras=st.lists(st.builds(messages.Extra, item_id=st.integers(0, 255), raw=st.binary(max_size=8)), max_size=4).map(
        tuple
    ),
)


def _round_trip(msg_id, body, version_2019=False, phone="13800138000", serial=7):
    header = Header(
        msg_id, 0, 0, version_2019, 1 if version_2019 else 0, phone.rjust(20 if version_2019 else 12, "0"), serial
    )
    frame = encode_frame(header, messages.encode_body(body, version_2019))
    got_header, got_body = decode_frame(frame)
    assert got_header.msg_id == msg_id and got_header.serial == serial
    return messages.decode_body(msg_id, got_body, version_2019), frame


@given(locations, st.integers(0, 65535))
def test_location_round_trip(location, serial):
    decoded, frame = _round_trip(messages.LOCATION, location, serial=serial)
    if location.lat == 0:  # -0.0 has no hemisphere: both signs decode to +0.0
        location = location._replace(lat=0.0)
    if location.lon == 0:
        location = location._replace(lon=0.0)
    # the status word as transmitted carries the hemisphere bits (2 south, 3 west)
    hemispheres = (0b100 if location.lat < 0 else 0) | (0b1000 if location.lon < 0 else 0)
    location = location._replace(status_flags=location.status_flags | hemispheres)
    assert decoded == location
    assert encode_frame(*decode_frame(frame)) == frame


@given(st.lists(locations, min_size=1, max_size=5), st.sampled_from([0, 1]))
def test_batch_round_trip(items, kind):
    batch = messages.BatchLocation(kind, tuple(items))
    decoded, _ = _round_trip(messages.BATCH_LOCATION, batch)
    assert decoded.kind == kind and len(decoded.items) == len(items)


plates = st.text(alphabet="京沪粤ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=8)
ascii_text = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", max_size=5)


@given(
    st.booleans(),
    st.integers(0, 65535),
    st.integers(0, 65535),
    ascii_text,
    ascii_text,
    ascii_text,
    st.integers(0, 9),
    plates,
)
def test_register_round_trip(v2019, province, city, maker, model, terminal, colour, plate):
    body = messages.Register(province, city, maker, model, terminal, colour, plate)
    decoded, _ = _round_trip(messages.REGISTER, body, v2019)
    assert decoded == body


@given(st.booleans(), st.text(alphabet="0123456789abcdef", min_size=1, max_size=30))
def test_authenticate_round_trip(v2019, code):
    body = messages.Authenticate(code, "860000000000001" if v2019 else "", "1.0" if v2019 else "")
    decoded, _ = _round_trip(messages.AUTHENTICATE, body, v2019)
    assert decoded == body


@given(
    st.integers(0, 65535),
    st.sampled_from([messages.LOCATION, messages.HEARTBEAT, messages.REGISTER]),
    st.integers(0, 4),
)
def test_general_and_register_replies_round_trip(serial, msg_id, result):
    decoded, _ = _round_trip(messages.PLATFORM_REPLY, messages.GeneralReply(serial, msg_id, result))
    assert decoded == messages.GeneralReply(serial, msg_id, result)
    reply = messages.RegisterReply(serial, result, "AUTH123" if result == 0 else "")
    assert _round_trip(messages.REGISTER_REPLY, reply)[0] == reply


@given(
    phones,
    st.booleans(),
    st.integers(0, 255),
    st.integers(0, 65535),
    st.integers(0, 65535),
    st.integers(0, 65535),
    st.integers(0, 4),
)
def test_the_cached_general_reply_is_the_frame_the_codec_builds(phone, v2019, protocol, ours, theirs, msg_id, result):
    request = Header(msg_id, 0, 0, v2019, protocol if v2019 else 0, phone, theirs)
    reply_header = Header(messages.PLATFORM_REPLY, 0, 0, v2019, request.protocol_version, phone, ours)
    expected = encode_frame(reply_header, messages.GeneralReply(theirs, msg_id, result).encode())
    assert messages.general_reply_frame(request, ours, result) == expected


@given(st.sampled_from([messages.HEARTBEAT, messages.DEREGISTER]))
def test_bodiless_messages_round_trip(msg_id):
    assert _round_trip(msg_id, None)[0] is None


def test_subpackages_are_reassembled():
    reassembler = messages.Reassembler()
    assert reassembler.add("1", 0x0801, 10, 3, 1, b"ab") is None
    assert reassembler.add("1", 0x0801, 12, 3, 3, b"ef") is None
    assert reassembler.add("1", 0x0801, 11, 3, 2, b"cd") == b"abcdef"


def test_a_location_time_converts_from_gmt8_to_utc():
    location = messages.Location(0, 2, 31.2, 121.5, 5, 60.0, 90, datetime(2026, 1, 1, 1, 30, tzinfo=UTC))
    assert location.encode()[22:28].hex() == "260101093000"  # 09:30 in Beijing
    assert messages.Location.decode(location.encode()).time == datetime(2026, 1, 1, 1, 30, tzinfo=UTC)
    assert messages.Location.decode(location.encode()).time - timedelta(0) == location.time
