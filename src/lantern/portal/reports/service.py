"""Residents' reports: filing (web form and Open311), tracking, subscriptions and staff triage.

Every problem with a report is collected before anything is written, so the form can show
them all next to their fields and Open311 can answer one error list. Internal statuses are
richer than Open311's two: ``received``, ``triaged``, ``in_progress`` and ``referred`` are
*open*; ``resolved``, ``rejected`` and ``duplicate`` are *closed*. Each staff change appends
to the report's timeline and queues one e-mail per subscriber, in the subscriber's language,
in the same transaction (lantern/mail/service.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.city import service as city_service
from lantern.errors import Conflict, DomainError, NotFound, ValidationFailed
from lantern.incidents import service as incident_service
from lantern.kit.geo import h3_cell
from lantern.mail import service as mail_service
from lantern.models import Incident, PortalReport, PortalReportEvent, PortalReportPhoto, PortalSubscription
from lantern.portal.forms import Problem
from lantern.portal.i18n import LANGUAGES, Translator
from lantern.portal.i18n import mark as _
from lantern.portal.reports import catalogue, codes, photos, repository
from lantern.portal.reports.schemas import Filed, ReportIn, RequestQuery
from lantern.security import context
from lantern.security.access import Purpose, audit, guard, personal
from lantern.security.policy import Principal

OPEN = ("received", "triaged", "in_progress", "referred")
CLOSED = repository.CLOSED_STATUSES  # the repository's queries filter on them too
STATUSES = OPEN + CLOSED
STAFF_STATUSES = ("triaged", "in_progress", "referred", "resolved", "rejected")  # duplicate has its own action
MAX_DESCRIPTION = 4000
MAX_ATTRIBUTE = 200
MAX_NOTE = 1000
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
NEAREST_ADDRESS_M = 100.0  # a map point this close to a registered address is filed under it
BBOX_MARGIN_DEG = 0.02  # ~2 km around the city's extent: reports just outside it still reach us


STATUS_LABELS = {
    "received": _("Received, not yet assessed"),
    "triaged": _("Being assessed"),
    "in_progress": _("In progress"),
    "referred": _("Passed to another agency"),
    "resolved": _("Resolved"),
    "rejected": _("Not taken forward"),
    "duplicate": _("Already reported"),
}
EVENT_TEXTS = {
    "filed": _("Report received."),
    "incident": _("Passed to police officers."),
    "task": _("Passed to the team responsible."),
    "incident_closed": _("The officers have dealt with it and closed the incident."),
    "task_resolved": _("The team responsible has dealt with it."),
    "duplicate": _("The same problem was already reported; we follow it up there."),
}


def open_or_closed(status: str) -> str:
    """Open311's status of an internal one."""
    return "closed" if status in CLOSED else "open"


class ReportRejected(ValidationFailed):
    """A report with problems; ``problems`` names each field (the form shows them next to it)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            "; ".join(f"field `{p.field}`: {p.english}" for p in problems),
            details=[{"field": p.field, "message": p.english} for p in problems],
        )
        self.problems = problems


# ------------------------------------------------------------------ the catalogue


def services() -> list[catalogue.Service]:
    """Every report type, in catalogue order."""
    return list(catalogue.services().values())


def service_or_raise(code: str) -> catalogue.Service:
    found = catalogue.services().get(code)
    if found is None:
        raise NotFound(f"service_code {code!r} is not a known service; GET /open311/v2/services.json lists them")
    return found


# ------------------------------------------------------------------ filing


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None  # NaN and inf are not places


def _check_attributes(service: catalogue.Service, given: dict[str, str], problems: list[Problem]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for attribute in service.attributes:
        name = f"attribute[{attribute.code}]"
        value = given.get(attribute.code, "").strip()
        if not value:
            if attribute.required:
                problems.append(Problem(name, _("Answer this question")))
            continue
        if attribute.datatype == "singlevaluelist" and value not in {v.key for v in attribute.values}:
            keys = ", ".join(v.key for v in attribute.values)
            problems.append(Problem(name, _("%(value)s is not one of %(keys)s"), {"value": value[:40], "keys": keys}))
        elif attribute.datatype == "number" and _float(value) is None:
            problems.append(Problem(name, _("%(value)s is not a number"), {"value": value[:40]}))
        elif len(value) > MAX_ATTRIBUTE:
            problems.append(Problem(name, _("Use at most %(limit)s characters"), {"limit": MAX_ATTRIBUTE}))
        else:
            kept[attribute.code] = value
    return kept


@dataclass(frozen=True)
class _Place:
    lat: float | None = None
    lon: float | None = None
    address_id: int | None = None
    address_text: str = ""
    district_id: int | None = None


def _locate(session: Session, report_in: ReportIn, needed: bool, problems: list[Problem]) -> _Place:
    lat_text, lon_text, typed = report_in.lat.strip(), report_in.long.strip(), report_in.address_string.strip()
    if len(typed) > 300:
        problems.append(Problem("address_string", _("Use at most %(limit)s characters"), {"limit": 300}))
        return _Place()
    if lat_text or lon_text:
        lat, lon = _float(lat_text), _float(lon_text)
        if lat is None or not -90 <= lat <= 90:
            problems.append(
                Problem("lat", _("%(value)s is not a latitude between -90 and 90"), {"value": lat_text[:30]})
            )
        if lon is None or not -180 <= lon <= 180:
            problems.append(
                Problem("long", _("%(value)s is not a longitude between -180 and 180"), {"value": lon_text[:30]})
            )
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return _Place()
        city = city_service.get(session)
        if city is not None and not (
            city.min_lat - BBOX_MARGIN_DEG <= lat <= city.max_lat + BBOX_MARGIN_DEG
            and city.min_lon - BBOX_MARGIN_DEG <= lon <= city.max_lon + BBOX_MARGIN_DEG
        ):
            problems.append(Problem("lat", _("This place is outside the city; choose a place within it")))
            return _Place()
        address_id, address_text = None, typed
        if city is not None:
            nearest, district = city_service.reverse(session, lat, lon)
            if nearest.distance_m <= NEAREST_ADDRESS_M:
                address_id = nearest.address.id
                address_text = address_text or nearest.address.text
            return _Place(lat, lon, address_id, address_text, district.id if district else None)
        return _Place(lat, lon, None, typed)
    if typed:
        try:
            match = city_service.geocode(session, typed)
        except DomainError as exc:
            candidates = [str(c["text"]) for c in ((exc.details or {}).get("candidates") or [])[:3]]
            if candidates:
                problems.append(
                    Problem(
                        "address_string",
                        _("No registered address matches %(text)s. Did you mean: %(candidates)s?"),
                        {"text": typed[:80], "candidates": "; ".join(candidates)},
                    )
                )
            else:
                problems.append(
                    Problem(
                        "address_string",
                        _("No registered address matches %(text)s; check the street and house number"),
                        {"text": typed[:80]},
                    )
                )
            return _Place()
        a = match.address
        return _Place(a.lat, a.lon, a.id, a.text, a.district_id)
    if needed:
        problems.append(
            Problem("address_string", _("Say where: type an address, or pick the place on the map (lat and long)"))
        )
    return _Place()


def check(session: Session, report_in: ReportIn) -> tuple[catalogue.Service, _Place, dict[str, str], list[Any]]:
    """Every problem of a report at once (raises ReportRejected), or what to store."""
    problems: list[Problem] = []
    service = catalogue.services().get(report_in.service_code.strip())
    if service is None:
        if report_in.service_code.strip():
            problems.append(
                Problem(
                    "service_code",
                    _("%(value)s is not a type of report we know; choose one from the list"),
                    {"value": report_in.service_code.strip()[:40]},
                )
            )
        else:
            problems.append(Problem("service_code", _("Choose what kind of problem it is")))
    description = report_in.description.strip()
    if not description:
        problems.append(Problem("description", _("Describe the problem")))
    elif len(description) > MAX_DESCRIPTION:
        problems.append(
            Problem(
                "description",
                _("The description is %(length)s characters long; at most %(limit)s are allowed"),
                {"length": len(description), "limit": MAX_DESCRIPTION},
            )
        )
    place = _locate(session, report_in, service.location if service else False, problems)
    attributes = _check_attributes(service, report_in.attributes, problems) if service else {}
    if report_in.email.strip():
        try:
            mail_service.check_address(report_in.email)
        except ValidationFailed:
            problems.append(
                Problem("email", _("%(value)s is not an e-mail address"), {"value": report_in.email.strip()[:80]})
            )
    cleaned = []
    if len(report_in.photos) > photos.MAX_PHOTOS:
        problems.append(Problem("media", _("Add at most %(limit)s photos"), {"limit": photos.MAX_PHOTOS}))
    else:
        for name, raw in report_in.photos:
            try:
                cleaned.append(photos.clean(raw, name[:80]))
            except photos.PhotoRefused as exc:
                problems.append(Problem("media", exc.message, dict(exc.params)))
    if problems:
        raise ReportRejected(problems)
    assert service is not None
    return service, place, attributes, cleaned


def _new_code(session: Session) -> str:
    while True:  # 55 random bits: a collision is astronomically rare, but costs only a lookup
        code = codes.new_code()
        if repository.by_code(session, code) is None:
            return code


def create(session: Session, principal: Principal, report_in: ReportIn, *, channel: str = "web") -> Filed:
    """File a report (anonymous, a signed-in resident, or a partner app's token); returns its tracking code."""
    service, place, attributes, cleaned = check(session, report_in)
    now = context.now(session)
    language = report_in.language if report_in.language in LANGUAGES else "zh"
    report = repository.add(
        session,
        PortalReport(
            tracking_code=_new_code(session),
            service_code=service.code,
            description=report_in.description.strip(),
            attributes=attributes,
            lat=place.lat,
            lon=place.lon,
            address_text=place.address_text,
            address_id=place.address_id,
            district_id=place.district_id,
            h3_cell=(
                h3_cell(place.lat, place.lon, int(context.setting(session, "h3_resolution", 9)))
                if place.lat is not None and place.lon is not None
                else ""
            ),
            status="received",
            status_notes="",
            agency_responsible="",  # the catalogue's agency, in the reader's language, until staff name one
            language=language,
            channel=channel,
            submitted_by=principal.name if principal.kind == "token" else "",
            user_id=principal.user_id if principal.kind == "user" else None,
            requested_at=now,
            updated_at=now,
            expected_at=now + timedelta(days=service.expected_days),
        ),
    )
    for photo in cleaned:
        repository.add(
            session,
            PortalReportPhoto(
                report_id=report.id,
                content_type=photo.content_type,
                width=photo.width,
                height=photo.height,
                data=photo.data,
                sha256=photo.sha256,
                created_at=now,
            ),
        )
    _event(session, report, "filed", "", principal.name if principal.kind != "anonymous" else "")
    subscription = subscribe(session, report, report_in.email, language) if report_in.email.strip() else None
    return Filed(report, report.tracking_code, subscription)


def _event(
    session: Session, report: PortalReport, kind: str, note: str, actor: str, data: dict[str, Any] | None = None
) -> PortalReportEvent:
    return repository.add(
        session,
        PortalReportEvent(
            report_id=report.id,
            at=context.now(session),
            kind=kind,
            status=report.status,
            public_note=note,
            actor=actor,
            data=data or {},
        ),
    )


# ------------------------------------------------------------------ reading (public)


def get_or_raise(session: Session, report_id: int) -> PortalReport:
    report = repository.get(session, report_id)
    if report is None:
        raise NotFound(f"service_request_id {report_id}: no such request")
    return report


def by_code_or_raise(session: Session, typed: str) -> PortalReport:
    """The report of a tracking code as typed; says whether the code is mistyped or unknown."""
    code = codes.normalise(typed)
    if code is None:
        raise ValidationFailed(_("This is not a tracking code; check it and type it again"))
    report = repository.by_code(session, code)
    if report is None:
        raise NotFound(_("No report has this tracking code"))
    return report


def now(session: Session) -> datetime:
    """The session's clock (the routes key their feed cache by the minute)."""
    return context.now(session)


def feed_version(session: Session) -> tuple[object, ...]:
    """Changes whenever a report is added or changed (every change moves ``updated_at``)."""
    return repository.version(session)


def search(session: Session, query: RequestQuery, now: datetime | None = None) -> list[PortalReport]:
    """Open311 ``GET /requests``: by ids, else by filters within the last 90 days by default; at most 1000."""
    if query.ids is not None:
        return list(repository.search(session, ids=query.ids, limit=MAX_RESULTS))
    since, until = query.since, query.until
    if since is None and until is None:
        since = (now or context.now(session)) - DEFAULT_WINDOW
    statuses = None
    if query.statuses:
        statuses = [s for s in STATUSES if open_or_closed(s) in query.statuses]
    found = repository.search(
        session, service_codes=query.service_codes, statuses=statuses, since=since, until=until, limit=MAX_RESULTS
    )
    return list(found)


def timeline(session: Session, report: PortalReport) -> list[PortalReportEvent]:
    """The report's timeline, oldest first."""
    return list(repository.events(session, report.id))


def public_note(event: PortalReportEvent) -> str:
    """The message id the resident reads for an event (the staff note when there is one)."""
    return event.public_note or EVENT_TEXTS.get(event.kind, "")


# ------------------------------------------------------------------ subscriptions


def _link(session: Session, path: str) -> str:
    base = str(context.setting(session, "public_url", "") or "http://localhost:8000").rstrip("/")
    return f"{base}{path}"


def subscribe(session: Session, report: PortalReport, email: str, language: str) -> PortalSubscription:
    """Send updates on a report to an address (no double opt-in; every mail has an unsubscribe link)."""
    try:
        address = mail_service.check_address(email)
    except ValidationFailed:
        raise ReportRejected(
            [Problem("email", _("%(value)s is not an e-mail address"), {"value": email.strip()[:80]})]
        ) from None
    language = language if language in LANGUAGES else "zh"
    for existing in repository.subscriptions(session, report.id):
        if existing.email.lower() == address.lower():
            existing.language = language
            return existing
    subscription = repository.add(
        session,
        PortalSubscription(
            report_id=report.id,
            email=address,
            language=language,
            token=secrets.token_urlsafe(32),
            created_at=context.now(session),
        ),
    )
    t = Translator(LANGUAGES[language])
    service = service_or_raise(report.service_code)
    body = "\n\n".join(
        [
            t.gettext(
                "You will receive an e-mail whenever the status of your report “%(service)s” changes.",
                service=service.text("name", language),
            ),
            t.gettext("Tracking code: %(code)s", code=codes.display(report.tracking_code)),
            t.gettext("See its history: %(link)s", link=_track_link(session, report, language)),
            _footer(session, t, subscription),
        ]
    )
    mail_service.queue(
        session,
        address,
        t.gettext("You are subscribed to updates on report %(code)s", code=codes.display(report.tracking_code)),
        body,
        topic=f"portal-report:{report.id}",
        now=context.now(session),
    )
    return subscription


def _track_link(session: Session, report: PortalReport, language: str) -> str:
    return _link(session, f"/portal/track/{report.tracking_code}?lang={language}")


def _footer(session: Session, t: Translator, subscription: PortalSubscription) -> str:
    return t.gettext(
        "You receive this e-mail because you asked for updates on this report. To stop them, open: %(link)s",
        link=_link(session, f"/portal/unsubscribe/{subscription.token}?lang={subscription.language}"),
    )


def unsubscribe(session: Session, token: str) -> PortalReport:
    """Delete a subscription (and with it the address) by its link; returns the report."""
    subscription = repository.subscription_by_token(session, token) if 20 <= len(token) <= 64 else None
    if subscription is None:
        raise NotFound(_("This link has already been used, or it is not complete"))
    report = get_or_raise(session, subscription.report_id)
    repository.delete(session, subscription)
    return report


def subscriber_count(session: Session, report: PortalReport) -> int:
    return len(repository.subscriptions(session, report.id))


def _notify(session: Session, report: PortalReport, event: PortalReportEvent) -> int:
    """Queue one e-mail per subscriber, in the subscriber's language; returns how many."""
    service = service_or_raise(report.service_code)
    queued = 0
    for subscription in repository.subscriptions(session, report.id):
        t = Translator(LANGUAGES.get(subscription.language, LANGUAGES["zh"]))
        parts = [
            t.gettext(
                "Your report “%(service)s” is now: %(status)s.",
                service=service.text("name", subscription.language),
                status=t.gettext(STATUS_LABELS[report.status]),
            )
        ]
        if note := public_note(event):
            parts.append(t.gettext("Message from the police: %(note)s", note=t.gettext(note)))
        parts.append(t.gettext("See its history: %(link)s", link=_track_link(session, report, subscription.language)))
        parts.append(_footer(session, t, subscription))
        mail_service.queue(
            session,
            subscription.email,
            t.gettext("Update on your report %(code)s", code=codes.display(report.tracking_code)),
            "\n\n".join(parts),
            topic=f"portal-report:{report.id}",
            now=context.now(session),
        )
        queued += 1
    return queued


# ------------------------------------------------------------------ staff triage


def queue(
    session: Session, principal: Principal, statuses: Sequence[str] = OPEN, limit: int = 500
) -> list[PortalReport]:
    """Reports waiting for staff, oldest first (they have waited longest)."""
    guard(principal, "portal:triage", "portal_report", "queue")
    found = repository.search(session, statuses=list(statuses), limit=limit)
    return sorted(found, key=lambda r: (r.requested_at, r.id))


def for_staff(session: Session, principal: Principal, report_id: int) -> PortalReport:
    guard(principal, "portal:triage", "portal_report", report_id)
    return get_or_raise(session, report_id)


def photos_of(session: Session, principal: Principal, report_id: int) -> list[PortalReportPhoto]:
    guard(principal, "portal:triage", "portal_report", report_id)
    return list(repository.photos(session, report_id))


def photo_counts(session: Session, report_ids: Sequence[int]) -> dict[int, int]:
    return repository.photo_counts(session, report_ids)


def photo(session: Session, principal: Principal, report_id: int, photo_id: int) -> PortalReportPhoto:
    guard(principal, "portal:triage", "portal_report", report_id)
    found = repository.photo(session, report_id, photo_id)
    if found is None:
        raise NotFound(f"report {report_id} has no photo {photo_id}")
    return found


def _note(note: str, *, required: bool, what: str) -> str:
    note = note.strip()
    if required and len(note) < 3:
        raise ValidationFailed(f"field `note`: say in a public note why the report is {what} (at least 3 characters)")
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"field `note`: {len(note)} characters; a public note has at most {MAX_NOTE}")
    return note


def change_status(
    session: Session,
    principal: Principal,
    report_id: int,
    status: str,
    note: str = "",
    *,
    agency: str = "",
    expected_at: datetime | None = None,
) -> PortalReport:
    """Set a status with a public note; the timeline grows and subscribers are e-mailed."""
    guard(principal, "portal:triage", "portal_report", report_id)
    if status not in STAFF_STATUSES:
        raise ValidationFailed(f"field `status`: {status!r} is not one of {', '.join(STAFF_STATUSES)}")
    note = _note(note, required=status in ("rejected", "referred"), what=STATUS_LABELS[status].lower())
    report = get_or_raise(session, report_id)
    if report.status == status and not note:
        raise Conflict(f"report {report_id} is already {status}; add a public note to tell the resident more")
    report.status = status
    if note:
        report.status_notes = note
    if agency.strip():
        report.agency_responsible = agency.strip()[:200]
    if expected_at is not None:
        report.expected_at = expected_at
    report.updated_at = context.now(session)
    event = _event(session, report, "status", note, principal.name)
    _notify(session, report, event)
    return report


def mark_duplicate(
    session: Session, principal: Principal, report_id: int, original_id: int, note: str = ""
) -> PortalReport:
    """Close a report as the same problem as an earlier one (followed up there)."""
    guard(principal, "portal:triage", "portal_report", report_id)
    note = _note(note, required=False, what="a duplicate")
    report = get_or_raise(session, report_id)
    original = repository.get(session, original_id)
    if original is None:
        raise ValidationFailed(f"field `original`: there is no report {original_id}")
    while original.duplicate_of_id is not None:  # point at the report that is actually followed up
        original = get_or_raise(session, original.duplicate_of_id)
    if original.id == report.id:
        raise ValidationFailed(f"field `original`: report {report_id} cannot be a duplicate of itself")
    report.status, report.duplicate_of_id = "duplicate", original.id
    report.status_notes = note
    report.updated_at = context.now(session)
    event = _event(session, report, "duplicate", note, principal.name, {"of": original.id})
    _notify(session, report, event)
    return report


def sync_linked(session: Session) -> int:
    """Resolve open reports whose incident was closed or whose task was resolved; returns how many.

    Idempotent (a resolved report is not looked at again); the resident sees the new status and
    subscribers are e-mailed, as for a status set by staff. Staff may still reopen it.
    """
    linked = repository.open_and_linked(session)
    closed = incident_service.closed_among(session, [r.incident_id for r in linked if r.incident_id is not None])
    resolved = alert_service.resolved_among(session, [r.alert_id for r in linked if r.alert_id is not None])
    count = 0
    for report in linked:
        if report.incident_id in closed:
            kind = "incident_closed"
        elif report.alert_id in resolved:
            kind = "task_resolved"
        else:
            continue
        report.status = "resolved"
        report.status_notes = ""
        report.updated_at = context.now(session)
        _notify(session, report, _event(session, report, kind, "", "lantern"))
        count += 1
    return count


def _started(session: Session, report: PortalReport) -> None:
    if report.status in ("received", "triaged"):
        report.status = "in_progress"
    report.updated_at = context.now(session)


def to_incident(session: Session, principal: Principal, report_id: int, note: str = "") -> Incident:
    """Open an incident for officers from a report (it needs a place); the report is then in progress."""
    guard(principal, "portal:triage", "portal_report", report_id)
    guard(principal, "incident:write", "portal_report", report_id)
    note = _note(note, required=False, what="passed on")
    report = get_or_raise(session, report_id)
    if report.incident_id is not None:
        raise Conflict(f"report {report_id} is already incident {report.incident_id}")
    if report.lat is None or report.lon is None:
        raise ValidationFailed(f"report {report_id} has no place; an incident needs one (make it a task instead)")
    if report.status in CLOSED:
        raise Conflict(f"report {report_id} is {report.status}; reopen it (set a status) before passing it on")
    service = service_or_raise(report.service_code)
    now = context.now(session)
    incident = incident_service.create(
        session,
        Incident(
            source="portal",
            natural_key=f"portal-{report.id}",
            category=service.category,
            occurred_from=report.requested_at,
            occurred_to=report.requested_at,
            time_precision="second",
            lat=report.lat,
            lon=report.lon,
            h3_cell=report.h3_cell,
            district_id=report.district_id,
            premise="",
            description=report.description if service.public_description else "",
            attributes={"portal_report": report.id, "service_code": report.service_code},
            recorded_at=now,
            status="open",
            priority=4,  # non-emergency by definition: emergencies are 110 calls
            type_code=None,
            address_id=report.address_id,
        ),
    )
    incident.natural_key = f"P{now:%Y%m%d}-{incident.id:05d}"
    incident_service.add_event(
        session,
        incident.id,
        "portal_report",
        principal.name,
        f"from resident's report {report.id}",
        {"report": report.id},
    )
    report.incident_id = incident.id
    _started(session, report)
    event = _event(session, report, "incident", note, principal.name, {"incident": incident.id})
    _notify(session, report, event)
    return incident


def to_task(session: Session, principal: Principal, report_id: int, note: str = "", severity: str = "info") -> int:
    """Put a report on the one alert and task queue; returns the alert id."""
    guard(principal, "portal:triage", "portal_report", report_id)
    note = _note(note, required=False, what="passed on")
    report = get_or_raise(session, report_id)
    if report.alert_id is not None:
        raise Conflict(f"report {report_id} is already task {report.alert_id}")
    if report.status in CLOSED:
        raise Conflict(f"report {report_id} is {report.status}; reopen it (set a status) before passing it on")
    service = service_or_raise(report.service_code)
    alert, _created = alert_service.raise_alert(
        session,
        alert_service.AlertIn(
            source="portal",
            kind=f"report:{service.code}",
            severity=severity,
            subject_type="portal_report",
            subject_id=str(report.id),
            title=f"Resident's report {report.id}: {service.text('name', 'en')}"
            + (f" at {report.address_text}" if report.address_text else ""),
            dedupe_key=f"portal-report:{report.id}",
            detail=report.description if service.public_description else "(see the report)",
            data={"district_id": report.district_id, "lat": report.lat, "lon": report.lon, "report": report.id},
            due_at=report.expected_at,
        ),
    )
    report.alert_id = alert.id
    _started(session, report)
    event = _event(session, report, "task", note, principal.name, {"alert": alert.id})
    _notify(session, report, event)
    return alert.id


def subscriber_emails(session: Session, principal: Principal, purpose: Purpose | None, report_id: int) -> list[str]:
    """The addresses subscribed to a report: personal data, so a purpose is stated and audited."""
    personal(
        session,
        principal,
        purpose,
        action="consult",
        permission="portal:read_email",
        object_type="portal_report",
        object_id=report_id,
        details={"field": "subscriber_email"},
    )
    return [s.email for s in repository.subscriptions(session, get_or_raise(session, report_id).id)]


def record_view(session: Session, principal: Principal, report_id: int) -> None:
    """Audit that staff opened a report (its description and photos may be about people)."""
    audit(session, principal, "consult", "portal_report", report_id)
