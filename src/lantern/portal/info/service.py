"""What the public information pages show, from the traffic, anti-fraud and oversight modules' services.

Only what those modules already publish reaches a resident: road events an operator marked for
the public (their public text, never an incident's), the congestion index, and per-typology
fraud counts with the small ones withheld. Nothing here writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lantern.errors import ValidationFailed
from lantern.fraud import service as fraud_service
from lantern.kit.time import to_local, zone
from lantern.oversight.complaints import service as complaint_service
from lantern.oversight.schemas import PublicComplaintIn, PublicTimeline
from lantern.portal.forms import Problem
from lantern.portal.i18n import mark as _
from lantern.security import context
from lantern.security.policy import Principal
from lantern.traffic import congestion
from lantern.traffic import service as traffic_service
from lantern.traffic.charts import IndexChart, index_chart
from lantern.traffic.feeds.cap import KIND_TEXT

# Typologies with reviewed public wording (templates/portal/info_fraud.html); a typology added
# later stays off the public page until someone writes and translates its explanation.
PUBLIC_TYPOLOGIES = ("scam_payment", "cash_out", "mule_pass_through", "structuring")
CHART_WIDTH, CHART_HEIGHT = 640, 160


@dataclass(frozen=True)
class PublicRoadEvent:
    """A road event as the public sees it, with the CAP alert it is published as."""

    public_id: str
    kind: str  # roadwork | closure | accident | incident
    name: str
    description: str
    road_names: list[str]
    direction: str
    lanes_total: int | None
    lanes_closed: list[int]
    start: datetime
    end: datetime | None
    under_way: bool  # started already (CAP urgency Immediate) rather than planned (Future)
    severity: str  # CAP severity: Minor | Moderate
    response: str  # CAP responseType: Monitor | Avoid
    geometry: dict[str, Any]

    @property
    def cap_url(self) -> str:
        return f"/api/traffic/feeds/cap/{self.public_id}.xml"


@dataclass(frozen=True)
class HourIndex:
    hour: datetime  # start of the local hour, aware
    index: float
    level_code: str


@dataclass(frozen=True)
class TrafficInfo:
    latest: datetime | None  # end of the newest data; None when there is no traffic data at all
    now_index: float | None
    now_level_code: str | None
    now_tti: float | None
    districts: list[dict[str, Any]]
    today: list[HourIndex]  # the local day of the newest data, hour by hour
    chart: IndexChart
    events: list[PublicRoadEvent]

    @property
    def alerts(self) -> list[PublicRoadEvent]:
        """The events in force now that the CAP feed tells people to avoid (closures, accidents)."""
        return [e for e in self.events if e.under_way and e.response == "Avoid"]


def _level_code(index: float) -> str:
    for upper, code in ((2, "free"), (4, "basically_free"), (6, "light"), (8, "moderate")):
        if index < upper:
            return code
    return "severe"


def _today(series: list[dict[str, Any]], timezone: str) -> list[dict[str, Any]]:
    """The 15-minute points of the newest data's local day."""
    if not series:
        return []
    day = to_local(datetime.fromisoformat(series[-1]["time"]), timezone).date()
    return [p for p in series if to_local(datetime.fromisoformat(p["time"]), timezone).date() == day]


def _hourly(points: list[dict[str, Any]], timezone: str) -> list[HourIndex]:
    hours: dict[datetime, list[float]] = {}
    for p in points:
        local = to_local(datetime.fromisoformat(p["time"]), timezone)
        hours.setdefault(local.replace(minute=0, second=0, microsecond=0), []).append(p["index"])
    return [
        HourIndex(hour, round(sum(values) / len(values), 1), _level_code(sum(values) / len(values)))
        for hour, values in sorted(hours.items())
    ]


def public_events(session: Session) -> list[PublicRoadEvent]:
    """Published road events in force or planned, those under way first, then by start."""
    now = context.now(session)
    found = []
    for e in traffic_service.public_events(session):
        _label, response, severity = KIND_TEXT.get(e.kind, KIND_TEXT["incident"])
        found.append(
            PublicRoadEvent(
                public_id=e.public_id,
                kind=e.kind if e.kind in KIND_TEXT else "incident",
                name=e.name,
                description=e.description,
                road_names=list(e.road_names),
                direction=e.direction,
                lanes_total=e.lanes_total,
                lanes_closed=list(e.lanes_closed),
                start=e.start_at,
                end=e.end_at,
                under_way=e.start_at <= now,
                severity=severity,
                response=response,
                geometry=e.geometry,
            )
        )
    return sorted(found, key=lambda e: (not e.under_way, e.start))


def traffic_info(session: Session) -> TrafficInfo:
    """The city index now and over today, the districts, and the public road events and alerts."""
    timezone = str(context.setting(session, "city_timezone", "UTC"))
    index = congestion.city_index(session)
    events = public_events(session)
    if index["latest"] is None:
        return TrafficInfo(None, None, None, None, [], [], index_chart([], timezone), events)
    today = _today(index["series"], timezone)
    chart = index_chart(
        [(datetime.fromisoformat(p["time"]), p["index"]) for p in today],
        timezone,
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
    )
    now = index["now"]
    return TrafficInfo(
        latest=datetime.fromisoformat(index["latest"]),
        now_index=now["index"],
        now_level_code=now["level_code"],
        now_tti=now["tti"],
        districts=[d for d in index["districts"] if d["index"] is not None],
        today=_hourly(today, timezone),
        chart=chart,
        events=events,
    )


@dataclass(frozen=True)
class ScamPatterns:
    since: datetime
    until: datetime
    patterns: list[fraud_service.PublicPattern]  # in PUBLIC_TYPOLOGIES order

    @property
    def any_shown(self) -> bool:
        return any(p.count for p in self.patterns)


def scam_patterns(session: Session, days: int = 30) -> ScamPatterns:
    """Flagged payments per typology over the last ``days`` (small counts withheld by the fraud service)."""
    now = context.now(session)
    window = timedelta(days=days)
    by_name = {p.typology: p for p in fraud_service.public_patterns(session, window)}
    return ScamPatterns(now - window, now, [by_name[name] for name in PUBLIC_TYPOLOGIES if name in by_name])


# --- complaints about officers ------------------------------------------------------------
# Stored by the oversight module (its complaint service keeps only a hash of the tracking code
# and nothing about the complainant); these pages only collect the form and show the timeline.

CATEGORIES = ("conduct", "use_of_force", "discrimination", "service", "procedure", "other")
MAX_WHAT = 8000  # the oversight summary holds 10,000; the rest is for when / where / officer number
OFFICER_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,20}$")


@dataclass
class ComplaintForm:
    category: str = ""
    what: str = ""
    when: str = ""  # a datetime-local value in the city's zone, optional
    where: str = ""
    officer: str = ""


class ComplaintRejected(ValidationFailed):
    """The form has problems; each names its field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


def _when(session: Session, text: str, problems: list[Problem]) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        problems.append(Problem("when", _("Enter the date and time like 2026-03-02 14:30, or leave it empty.")))
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(str(context.setting(session, "city_timezone", "UTC"))))
    if moment > context.now(session) + timedelta(minutes=5):
        problems.append(Problem("when", _("The date and time are in the future; enter when it happened.")))
    return moment


def file_complaint(session: Session, principal: Principal, form: ComplaintForm) -> str:
    """File a resident's complaint with the oversight module; returns the tracking code (shown once)."""
    problems: list[Problem] = []
    if form.category not in CATEGORIES:
        problems.append(Problem("category", _("Choose what the complaint is about.")))
    if len(form.what) < 10:
        problems.append(Problem("what", _("Describe what happened in at least 10 characters.")))
    elif len(form.what) > MAX_WHAT:
        problems.append(Problem("what", _("The description is too long; shorten it to 8,000 characters.")))
    moment = _when(session, form.when, problems)
    if len(form.where) > 300:
        problems.append(Problem("where", _("Shorten the place to 300 characters.")))
    if form.officer and not OFFICER_NUMBER.match(form.officer):
        message = _("An officer number has up to 20 letters and digits; leave it empty if you do not know it.")
        problems.append(Problem("officer", message))
    if problems:
        raise ComplaintRejected(problems)
    # The oversight schema has one free-text summary; investigators read these lines first.
    header = [
        f"When: {moment.isoformat(timespec='minutes')}" if moment else "",
        f"Where: {form.where}" if form.where else "",
        f"Officer number given: {form.officer}" if form.officer else "",
    ]
    summary = "\n".join([*(line for line in header if line), *([""] if any(header) else []), form.what])
    complaint_in = PublicComplaintIn.model_validate({"category": form.category, "summary": summary})
    return complaint_service.file_public_complaint(session, complaint_in, principal)


def complaint_timeline(session: Session, tracking_code: str) -> PublicTimeline:
    """What the complainant may see with their code (NotFound when no complaint has it)."""
    return complaint_service.public_timeline(session, tracking_code)
