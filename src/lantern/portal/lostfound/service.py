"""Lost and found: staff register found items, residents report losses, staff confirm matches and hand over.

A resident follows a report with its tracking code and is e-mailed when staff mark a likely
match; items still unclaimed after the legal keeping period are flagged by a daily job.
"""

from __future__ import annotations

import re
import secrets
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from lantern.city import service as city_service
from lantern.errors import Conflict, NotFound, ValidationFailed
from lantern.mail import service as mail_service
from lantern.models.lostfound import FoundItem, LostFoundMatch, LostReport
from lantern.portal.forms import Problem
from lantern.portal.i18n import LANGUAGES, Formats, Translator
from lantern.portal.i18n import mark as _
from lantern.portal.lostfound import matching, repository
from lantern.security import access, context
from lantern.security.policy import Principal

CATEGORIES: dict[str, str] = {
    "bag": _("Bag or wallet"),
    "phone": _("Phone or electronics"),
    "documents": _("ID card or documents"),
    "keys": _("Keys"),
    "jewellery": _("Jewellery or watch"),
    "clothing": _("Clothing"),
    "other": _("Other item"),
}
STATUSES = {
    "open": _("We are looking"),
    "likely_match": _("Likely found: please come and identify it"),
    "returned": _("Returned to you"),
    "closed": _("Closed"),
}
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PERMISSION = "portal:lostfound"
DEFAULT_TIMEZONE = "Europe/Helsinki"

_RULES = tomllib.loads((resources.files("lantern.portal.lostfound") / "rules.toml").read_text("utf-8"))
UNCLAIMED_AFTER = timedelta(days=int(_RULES["unclaimed_after_days"]))
SUGGEST_MIN_SCORE = float(_RULES["suggest_min_score"])


def _code(session: Session, prefix: str) -> str:
    while True:
        code = prefix + "".join(secrets.choice(CODE_ALPHABET) for _i in range(10))
        if not repository.code_taken(session, code):
            return code


def _text(value: str, field: str, limit: int) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValidationFailed(f"field `{field}`: must not be empty")
    if len(value) > limit:
        raise ValidationFailed(f"field `{field}`: {len(value)} characters, at most {limit}")
    return value


def _category(value: str) -> str:
    if value not in CATEGORIES:
        raise ValidationFailed(f"field `category`: {value!r} is not one of {', '.join(CATEGORIES)}")
    return value


def _place(session: Session, district_code: str) -> tuple[str, float | None, float | None]:
    """A district's code and centre (the distance part of matching); unknown codes are refused."""
    if not district_code:
        return "", None, None
    for district in city_service.list_districts(session):
        if district.code == district_code:
            return district.code, district.centroid_lat, district.centroid_lon
    raise ValidationFailed(f"field `district`: {district_code!r} is not a district of the city")


def districts(session: Session) -> list[tuple[str, str]]:
    """(code, name) of the city's districts, for the place pickers."""
    return [(d.code, d.name) for d in city_service.list_districts(session)]


@dataclass(frozen=True)
class FoundCreate:
    category: str
    description: str
    found_at: datetime
    found_place: str
    storage_place: str
    district: str = ""


def register_found(session: Session, principal: Principal, item_in: FoundCreate, now: datetime) -> FoundItem:
    """Staff register an item handed in; it gets a code for its label."""
    access.guard(principal, PERMISSION, "found_item")
    if item_in.found_at > now + timedelta(minutes=5):
        raise ValidationFailed(f"field `found_at`: {item_in.found_at.isoformat()} is in the future")
    district, lat, lon = _place(session, item_in.district)
    item = FoundItem(
        code=_code(session, "F"),
        category=_category(item_in.category),
        description=_text(item_in.description, "description", 2000),
        found_at=item_in.found_at,
        found_place=_text(item_in.found_place, "found_place", 300),
        district_code=district,
        lat=lat,
        lon=lon,
        storage_place=_text(item_in.storage_place, "storage_place", 200),
        status="stored",
        registered_by=principal.name,
        registered_at=now,
        handed_to_name="",
        handed_over_by="",
    )
    repository.add(session, item)
    access.audit(session, principal, "create", "found_item", item.code)
    return item


@dataclass(frozen=True)
class LostCreate:
    category: str
    description: str
    lost_from: datetime
    lost_to: datetime
    lost_place: str
    email: str
    district: str = ""
    lang: str = "zh"


def report_lost(session: Session, report_in: LostCreate, now: datetime) -> LostReport:
    """A resident reports a loss; the tracking code is e-mailed and shown."""
    if report_in.lost_to < report_in.lost_from:
        raise ValidationFailed("field `lost_to`: the end of the time window is before its start")
    if report_in.lost_from > now:
        raise ValidationFailed(f"field `lost_from`: {report_in.lost_from.isoformat()} is in the future")
    district, lat, lon = _place(session, report_in.district)
    report = LostReport(
        tracking_code=_code(session, "L"),
        category=_category(report_in.category),
        description=_text(report_in.description, "description", 2000),
        lost_from=report_in.lost_from,
        lost_to=min(report_in.lost_to, now),
        lost_place=_text(report_in.lost_place, "lost_place", 300),
        district_code=district,
        lat=lat,
        lon=lon,
        email=mail_service.check_address(report_in.email),
        lang=report_in.lang if report_in.lang in LANGUAGES else "zh",
        status="open",
        created_at=now,
    )
    repository.add(session, report)
    t = Translator(LANGUAGES[report.lang])
    mail_service.queue(
        session,
        report.email,
        t.gettext("Your lost-item report %(code)s", code=report.tracking_code),
        t.gettext(
            "We have your report. Follow it with the tracking code %(code)s on the lost-and-found page.",
            code=report.tracking_code,
        )
        + "\n",
        topic=f"lost-report:{report.id}",
        now=now,
    )
    return report


def track(session: Session, code: str) -> LostReport:
    """A report by its tracking code (what the resident sees; no staff data)."""
    report = repository.report_by_code(session, "".join(code.split()).upper()[:16])
    if report is None:
        raise NotFound(f"no lost-item report with tracking code {code!r}; check the code")
    return report


@dataclass(frozen=True)
class Suggestion:
    item: FoundItem
    score: matching.Score
    decision: str  # "" | likely | ruled_out


def _as_lost(report: LostReport) -> matching.Lost:
    return matching.Lost(report.category, report.description, report.lost_from, report.lost_to, report.lat, report.lon)


def suggestions(session: Session, principal: Principal, lost_id: int) -> tuple[LostReport, list[Suggestion]]:
    """Found items that may be this report's, best first, with their score (staff only)."""
    access.guard(principal, PERMISSION, "lost_report", lost_id)
    report = session.get(LostReport, lost_id)
    if report is None:
        raise NotFound(f"no lost-item report {lost_id}")
    lost = _as_lost(report)
    candidates = repository.stored_candidates(
        session, report.category, report.lost_from - matching.EARLY_TOLERANCE, report.lost_to + matching.LATE_LIMIT
    )
    decided = repository.decisions(session, report.id)
    found = []
    for item in candidates:
        result = matching.score(
            lost, matching.Found(item.category, item.description, item.found_at, item.lat, item.lon)
        )
        decision = decided[item.id].decision if item.id in decided else ""
        if result.total >= SUGGEST_MIN_SCORE or decision:
            found.append(Suggestion(item, result, decision))
    found.sort(key=lambda s: -s.score.total)
    access.audit(session, principal, "consult", "lost_report", report.tracking_code)
    return report, found


def mark_likely(session: Session, principal: Principal, lost_id: int, found_id: int, now: datetime) -> LostFoundMatch:
    """Staff judge an item likely the resident's: the report says so and the resident is e-mailed once."""
    report, listed = suggestions(session, principal, lost_id)
    item = session.get(FoundItem, found_id)
    if item is None or item.status != "stored":
        raise NotFound(f"no found item {found_id} in storage")
    if report.status not in ("open", "likely_match"):
        raise Conflict(f"lost-item report {report.tracking_code} is {report.status}")
    score = next((s.score.total for s in listed if s.item.id == found_id), 0.0)
    existing = repository.match(session, report.id, found_id)
    if existing is not None and existing.decision == "likely":
        return existing  # marking twice tells the resident once
    decision = existing or LostFoundMatch(lost_id=report.id, found_id=found_id, score=score, decided_at=now)
    decision.decision = "likely"
    decision.decided_by = principal.name
    decision.decided_at = now
    repository.add(session, decision)
    report.status = "likely_match"
    report.matched_item_id = item.id
    session.flush()
    access.audit(session, principal, "alter", "lost_report", report.tracking_code, details={"found": item.code})
    language = LANGUAGES[report.lang]
    t = Translator(language)
    fmt = Formats(language, str(context.setting(session, "city_timezone", DEFAULT_TIMEZONE)))
    body = t.gettext(
        "An item that may be yours was handed in on %(date)s. Please come to %(place)s with your ID card "
        "and quote the tracking code %(code)s to identify it.",
        date=fmt.date(item.found_at, "long"),
        place=item.storage_place,
        code=report.tracking_code,
    )
    mail_service.queue(
        session,
        report.email,
        t.gettext("We may have found your item (%(code)s)", code=report.tracking_code),
        body + "\n",
        topic=f"lost-report:{report.id}",
        now=now,
    )
    return decision


def rule_out(session: Session, principal: Principal, lost_id: int, found_id: int, now: datetime) -> None:
    """Staff judge a suggestion wrong; it stays listed as ruled out and is not suggested as new."""
    report, _listed = suggestions(session, principal, lost_id)
    existing = repository.match(session, report.id, found_id)
    decision = existing or LostFoundMatch(lost_id=report.id, found_id=found_id, score=0.0, decided_at=now)
    decision.decision = "ruled_out"
    decision.decided_by = principal.name
    decision.decided_at = now
    repository.add(session, decision)


def hand_over(
    session: Session, principal: Principal, found_id: int, to_name: str, id_checked: bool, now: datetime
) -> FoundItem:
    """Record who received an item, whether their ID was checked, and who handed it over."""
    access.guard(principal, PERMISSION, "found_item", found_id)
    item = session.get(FoundItem, found_id)
    if item is None:
        raise NotFound(f"no found item {found_id}")
    if item.status != "stored":
        raise Conflict(f"found item {item.code} was already handed over to {item.handed_to_name}")
    item.status = "handed_over"
    item.handed_over_at = now
    item.handed_to_name = _text(to_name, "handed_to_name", 100)
    item.id_checked = id_checked
    item.handed_over_by = principal.name
    for report in repository.reports_matched_to(session, item.id):
        if report.status == "likely_match":
            report.status = "returned"
            report.returned_at = now
    session.flush()
    access.audit(session, principal, "disclose", "found_item", item.code, details={"id_checked": id_checked})
    return item


def flag_unclaimed(session: Session, now: datetime, keep_for: timedelta = UNCLAIMED_AFTER) -> int:
    """Flag items still in storage after the legal keeping period; idempotent."""
    items = repository.unclaimed_unflagged(session, now - keep_for)
    for item in items:
        item.unclaimed_flagged_at = now
    session.flush()
    return len(items)


@dataclass(frozen=True)
class Desk:
    items: Sequence[FoundItem]
    reports: Sequence[LostReport]


def desk(session: Session, principal: Principal) -> Desk:
    """The staff list: items (unclaimed ones flagged) and open lost-item reports."""
    access.guard(principal, PERMISSION, "lost_and_found")
    return Desk(repository.found_items(session), repository.open_reports(session))


# ---------------------------------------------------------------- what the pages need


def is_unclaimed(item: FoundItem, now: datetime) -> bool:
    """Still stored after the legal keeping period (flagged by the job, or due to be at its next run)."""
    return item.status == "stored" and (item.unclaimed_flagged_at is not None or item.found_at < now - UNCLAIMED_AFTER)


@dataclass(frozen=True)
class PublicItem:
    """What residents may see of a found item: never the storage place, the finder or identifying details."""

    category: str
    summary: str
    district: str
    found_at: datetime


_CLAUSE = re.compile(r"[,;:.()\[\]\n，；：。、（）]")
_LONG_NUMBER = re.compile(r"\d{3,}")


def coarse_description(category: str, description: str) -> str:
    """The first few words of a description: enough to recognise a kind of item, not to claim it.

    Whoever claims an item must describe what the list leaves out (contents, marks, serial numbers),
    so the list never shows more than the first clause, cut to 4 words or 20 characters, with long
    numbers removed; documents show nothing (their description usually carries the owner's name).
    """
    if category == "documents":
        return ""
    first = _LONG_NUMBER.sub("…", _CLAUSE.split(description, maxsplit=1)[0]).strip()
    words = first.split()
    if len(words) > 4:
        first = " ".join(words[:4]) + "…"
    if len(first) > 20:
        first = first[:20].rstrip() + "…"
    return first


PUBLIC_LIST_LIMIT = 200


def public_items(
    session: Session,
    category: str = "",
    found_from: date | None = None,
    found_to: date | None = None,
    *,
    zone: ZoneInfo,
) -> list[PublicItem]:
    """Stored items for the residents' list, newest first, filtered by category and local dates found."""
    names = dict(districts(session))
    start = datetime.combine(found_from, time.min, zone).astimezone(UTC) if found_from else None
    end = datetime.combine(found_to + timedelta(days=1), time.min, zone).astimezone(UTC) if found_to else None
    rows = repository.public_items(session, category if category in CATEGORIES else None, start, end, PUBLIC_LIST_LIMIT)
    return [
        PublicItem(
            row.category,
            coarse_description(row.category, row.description),
            names.get(row.district_code, ""),
            row.found_at,
        )
        for row in rows
    ]


class LostRejected(ValidationFailed):
    """A lost-item form with problems; the page shows each next to its field."""

    def __init__(self, problems: list[Problem]) -> None:
        english = [(p.field, p.english) for p in problems]
        super().__init__(
            "; ".join(f"field `{f}`: {m}" for f, m in english), details=[{"field": f, "message": m} for f, m in english]
        )
        self.problems = problems


@dataclass(frozen=True)
class LostForm:
    """The resident's form as typed (dates are local calendar dates, ISO format)."""

    category: str = ""
    description: str = ""
    lost_on: str = ""
    lost_until: str = ""
    lost_place: str = ""
    district: str = ""
    email: str = ""
    lang: str = "zh"


LOST_FORM_FIELDS = ("category", "description", "lost_on", "lost_until", "lost_place", "district", "email")


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def report_lost_form(session: Session, form: LostForm, zone: ZoneInfo, now: datetime) -> LostReport:
    """Check a resident's form, naming every problem at once (LostRejected), then report the loss."""
    problems: list[Problem] = []
    today = now.astimezone(zone).date()
    if form.category not in CATEGORIES:
        problems.append(Problem("category", _("Choose what kind of item you lost")))
    description = " ".join(form.description.split())
    if not description:
        problems.append(Problem("description", _("Describe the item: colour, make, marks, what was inside")))
    elif len(description) > 2000:
        problems.append(
            Problem(
                "description",
                _("At most %(limit)s characters, please (now %(count)s)"),
                {"limit": 2000, "count": len(description)},
            )
        )
    start = _day(form.lost_on)
    if start is None:
        problems.append(
            Problem("lost_on", _("Give the day you lost it, e.g. %(example)s"), {"example": today.isoformat()})
        )
    elif start > today:
        problems.append(Problem("lost_on", _("This day is in the future")))
    end = start
    if form.lost_until.strip():
        end = _day(form.lost_until)
        if end is None:
            problems.append(
                Problem(
                    "lost_until", _("Give a day, e.g. %(example)s, or leave it empty"), {"example": today.isoformat()}
                )
            )
        elif start is not None and end < start:
            problems.append(Problem("lost_until", _("This day is before the first day")))
    place = " ".join(form.lost_place.split())
    if not place:
        problems.append(Problem("lost_place", _("Say where you lost it, or where you last had it")))
    elif len(place) > 300:
        problems.append(
            Problem(
                "lost_place",
                _("At most %(limit)s characters, please (now %(count)s)"),
                {"limit": 300, "count": len(place)},
            )
        )
    if form.district and form.district not in dict(districts(session)):
        problems.append(Problem("district", _("Choose a district from the list, or leave it empty")))
    if not form.email.strip():
        problems.append(Problem("email", _("Type your e-mail address: we send the tracking code and any news there")))
    else:
        try:
            mail_service.check_address(form.email)
        except ValidationFailed:
            problems.append(Problem("email", _("This is not an e-mail address; type it like name@example.org")))
    if problems:
        raise LostRejected(problems)
    assert start is not None and end is not None
    lost_from = datetime.combine(start, time.min, zone).astimezone(UTC)
    lost_to = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC) - timedelta(seconds=1)
    report_in = LostCreate(form.category, description, lost_from, lost_to, place, form.email, form.district, form.lang)
    return report_lost(session, report_in, now)


@dataclass(frozen=True)
class ReportSuggestion:
    report: LostReport
    score: matching.Score
    decision: str  # "" | likely | ruled_out


def item_suggestions(session: Session, principal: Principal, found_id: int) -> tuple[FoundItem, list[ReportSuggestion]]:
    """Open lost-item reports that may be this item's owner's, best first, with their score (staff only)."""
    access.guard(principal, PERMISSION, "found_item", found_id)
    item = session.get(FoundItem, found_id)
    if item is None:
        raise NotFound(f"no found item {found_id}")
    found = matching.Found(item.category, item.description, item.found_at, item.lat, item.lon)
    # The same window as suggestions(): found from 12 h before the loss to 30 days after it.
    candidates = repository.open_reports_fitting(
        session, item.category, item.found_at + matching.EARLY_TOLERANCE, item.found_at - matching.LATE_LIMIT
    )
    decided = repository.decisions_for_item(session, item.id)
    listed = []
    for report in candidates:
        result = matching.score(_as_lost(report), found)
        decision = decided[report.id].decision if report.id in decided else ""
        if result.total >= SUGGEST_MIN_SCORE or decision:
            listed.append(ReportSuggestion(report, result, decision))
    listed.sort(key=lambda s: -s.score.total)
    access.audit(session, principal, "consult", "found_item", item.code)
    return item, listed
