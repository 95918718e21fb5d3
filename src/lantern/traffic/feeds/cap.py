"""CAP 1.2 alerts (OASIS Common Alerting Protocol) for road events, one ``<alert>`` per event.

CAP is strict about two things the schema enforces: element order inside ``<alert>`` and
``<info>`` (a sequence), and date-times with an explicit numeric offset (``+08:00``; a trailing
``Z`` is invalid). Times are written in the sender's local zone, so a Beijing alert reads
``2026-03-02T09:00:00+08:00``.

The area is a circle around a point event and a polygon around a line event (the line
buffered by ``buffer_m`` in a local metric projection), both in CAP's ``lat,lon`` order.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import shapely

from lantern.kit.geo import LocalProjection
from lantern.kit.time import zone
from lantern.traffic.feeds.events import RoadEvent, utc_z

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
# CAP 1.2 section 3.2.1: identifier and sender must not include spaces, commas or < and &.
_FORBIDDEN = re.compile(r"[\s,<&]")

# kind -> (event text, response, severity). Severity follows the CAP definitions: "Moderate" is a
# possible threat to life or property (a crash, a full closure diverting traffic), "Minor" a
# minimal one (a lane closed for works).
KIND_TEXT = {
    "roadwork": ("Road works", "Monitor", "Minor"),
    "closure": ("Road closure", "Avoid", "Moderate"),
    "accident": ("Traffic accident", "Avoid", "Moderate"),
    "incident": ("Traffic incident", "Monitor", "Minor"),
}


@dataclass(frozen=True)
class CapSender:
    """The issuing authority: CAP ``sender`` (no spaces or commas), display name, and local zone."""

    sender: str
    sender_name: str
    timezone: str
    language: str = "en-US"
    web: str | None = None
    contact: str | None = None
    circle_radius_km: float = 0.2
    buffer_m: float = 30.0

    def __post_init__(self) -> None:
        if not self.sender or _FORBIDDEN.search(self.sender):
            raise ValueError(f"CAP sender {self.sender!r} must be non-empty without spaces, commas, < or &")
        zone(self.timezone)


def cap_time(value: datetime, timezone: str) -> str:
    """A CAP date-time: local time, whole seconds, explicit offset (never ``Z``).

    Examples
    --------
    >>> from datetime import datetime, timezone as tz
    >>> cap_time(datetime(2026, 3, 2, 1, 0, 30, 123, tzinfo=tz.utc), "Asia/Shanghai")
    '2026-03-02T09:00:30+08:00'
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value.isoformat()} is naive; CAP times need a zone")
    return value.astimezone(zone(timezone)).isoformat(timespec="seconds")


def _area(event: RoadEvent, sender: CapSender) -> tuple[str, str]:
    """("polygon" | "circle", CAP text) for the event geometry."""
    positions = np.asarray(event.positions())
    lon, lat = positions[:, 0], positions[:, 1]
    if event.geometry["type"] == "Point":
        return "circle", f"{lat[0]:.6f},{lon[0]:.6f} {sender.circle_radius_km:g}"
    projection = LocalProjection(float(lat.mean()), float(lon.mean()))
    x, y = projection.to_xy(lat, lon)
    # quad_segs=2 keeps the ring short (a few dozen vertices) for receivers with small buffers.
    ring = shapely.buffer(shapely.linestrings(np.column_stack([x, y])), sender.buffer_m, quad_segs=2).exterior
    rx, ry = np.asarray(ring.coords).T
    rlat, rlon = projection.to_latlon(rx, ry)
    return "polygon", " ".join(f"{a:.6f},{b:.6f}" for a, b in zip(rlat, rlon, strict=True))


def _urgency_certainty(event: RoadEvent, sent: datetime) -> tuple[str, str]:
    if event.end is not None and event.end <= sent:
        return "Past", "Observed"
    if event.start > sent:
        return "Future", "Likely"
    return "Immediate", "Observed"


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def cap_alert(
    event: RoadEvent,
    sender: CapSender,
    *,
    sent: datetime,
    status: Literal["Actual", "Exercise", "System", "Test", "Draft"] = "Actual",
    msg_type: Literal["Alert", "Update", "Cancel"] = "Alert",
    references: str | None = None,
    identifier: str | None = None,
) -> str:
    """One CAP 1.2 ``<alert>`` (XML text) for ``event``, sent at ``sent``.

    The default identifier is ``<event id>.<unix seconds of sent>``: each message about the
    same event needs its own identifier, and an Update lists the earlier one in ``references``
    as ``sender,identifier,sent``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 3, 2, 1, tzinfo=timezone.utc)
    >>> e = RoadEvent(id="ev-1", kind="accident", start=t, description="Two cars, right lane blocked",
    ...               geometry={"type": "Point", "coordinates": [116.3, 39.9]}, road_names=("Ring 3",))
    >>> xml = cap_alert(e, CapSender("traffic@city.example", "City traffic centre", "Asia/Shanghai"), sent=t)
    >>> "<sent>2026-03-02T09:00:00+08:00</sent>" in xml, "<circle>39.900000,116.300000 0.2</circle>" in xml
    (True, True)
    """
    ident = identifier or f"{event.id}.{int(sent.timestamp())}"
    if _FORBIDDEN.search(ident):
        raise ValueError(f"CAP identifier {ident!r} must not contain spaces, commas, < or &; pass identifier=")
    label, response, severity = KIND_TEXT[event.kind]
    urgency, certainty = _urgency_certainty(event, sent)
    where = ", ".join(event.road_names) or "the marked area"
    # Children are appended in the schema's sequence order; CAP validators reject any other order.
    alert = ET.Element(f"{{{CAP_NS}}}alert")
    for tag, text in (
        ("identifier", ident),
        ("sender", sender.sender),
        ("sent", cap_time(sent, sender.timezone)),
        ("status", status),
        ("msgType", msg_type),
        ("scope", "Public"),
    ):
        _sub(alert, tag, text)
    if references:
        _sub(alert, "references", references)
    info = _sub(alert, "info")
    for tag, text in (
        ("language", sender.language),
        ("category", "Transport"),
        ("event", label),
        ("responseType", response),
        ("urgency", urgency),
        ("severity", severity),
        ("certainty", certainty),
    ):
        _sub(info, tag, text)
    _sub(info, "onset", cap_time(event.start, sender.timezone))
    if event.end is not None:
        _sub(info, "expires", cap_time(event.end, sender.timezone))
    _sub(info, "senderName", sender.sender_name)
    _sub(info, "headline", f"{label} on {where}"[:160])
    if event.description:
        _sub(info, "description", event.description)
    _sub(info, "instruction", "Avoid the area and use another route." if response == "Avoid" else "Expect delays.")
    if sender.web:
        _sub(info, "web", sender.web)
    if sender.contact:
        _sub(info, "contact", sender.contact)
    parameters = {"lanesClosed": ",".join(map(str, event.lanes_closed)), **dict(event.attributes)}
    for name, value in parameters.items():
        if value:
            parameter = _sub(info, "parameter")
            _sub(parameter, "valueName", name)
            _sub(parameter, "value", value)
    area = _sub(info, "area")
    _sub(area, "areaDesc", where)
    shape, text = _area(event, sender)
    _sub(area, shape, text)
    text_out: str = ET.tostring(alert, encoding="unicode", xml_declaration=True, default_namespace=CAP_NS)
    return text_out


def cap_alerts(events: Iterable[RoadEvent], sender: CapSender, *, sent: datetime) -> list[str]:
    """One CAP alert per event, all stamped ``sent`` (a batch publication)."""
    return [cap_alert(event, sender, sent=sent) for event in events]


ATOM_NS = "http://www.w3.org/2005/Atom"


def cap_atom_index(
    entries: Iterable[tuple[str, str, datetime, str, str]], *, feed_id: str, title: str, updated: datetime
) -> str:
    """An Atom 1.0 index of CAP alerts, the form CAP aggregators poll (one entry per alert).

    ``entries`` are ``(id, title, updated, summary, alert_url)``; each entry links to its alert
    with ``type="application/cap+xml"``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 3, 2, 1, tzinfo=timezone.utc)
    >>> xml = cap_atom_index([("ev-1", "Road closure on Ring 3", t, "Closed", "https://x/cap/ev-1.xml")],
    ...                      feed_id="https://x/cap.atom", title="Road alerts", updated=t)
    >>> 'type="application/cap+xml"' in xml and "<updated>2026-03-02T01:00:00Z</updated>" in xml
    True
    """
    # Plain names under an explicit xmlns: ElementTree's default_namespace refuses unqualified attributes.
    feed = ET.Element("feed", {"xmlns": ATOM_NS})

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, tag, attrs)
        if text is not None:
            element.text = text
        return element

    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    sub(feed, "updated", utc_z(updated))
    sub(sub(feed, "author"), "name", title)
    sub(feed, "link", rel="self", href=feed_id)
    for entry_id, entry_title, entry_updated, summary, url in entries:
        entry = sub(feed, "entry")
        sub(entry, "id", url)
        sub(entry, "title", entry_title)
        sub(entry, "updated", utc_z(entry_updated))
        sub(entry, "summary", summary or entry_title)
        sub(entry, "link", rel="alternate", type="application/cap+xml", href=url)
        sub(entry, "category", term=entry_id)
    text_out: str = ET.tostring(feed, encoding="unicode", xml_declaration=True)
    return text_out
