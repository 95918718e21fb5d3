"""Open311 GeoReport v2 API: services, service definitions, requests, tokens and discovery, in JSON and XML.

Reading is public. Filing (``POST /requests``) needs an ``api_key``: a Lantern machine token
with the scope ``portal:submit`` (docs/decisions/0012-open311.md); residents without an app use
the report form. Every error is the spec's list, ``[{"code": 400, "description": ...}]`` or
``<errors><error>``, each description naming the field.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from lantern.errors import DomainError, NotFound
from lantern.portal.reports import open311
from lantern.portal.reports import service as report_service
from lantern.portal.reports.feedcache import FeedCache
from lantern.portal.reports.schemas import ReportIn, RequestQuery
from lantern.portal.web import language
from lantern.security import service as security_service
from lantern.security.policy import Principal
from lantern.web.auth import PERMISSION_ATTR, client_address, public
from lantern.web.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])
PUBLIC = [public()]
MAX_IDS = 200


class Open311Error(Exception):
    """An answer in the spec's error-list format."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = list(descriptions)


def _reply(fmt: str, body: Any, root: str, item: str | None, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(open311.to_xml(root, item, body), status_code=status, media_type=open311.FORMATS["xml"])
    return Response(open311.to_json(body), status_code=status, media_type=open311.FORMATS["json"])


def _errors(fmt: str, error: Open311Error) -> Response:
    fmt = fmt if fmt in open311.FORMATS else "json"
    return _reply(fmt, open311.errors(error.status, error.descriptions), "errors", "error", error.status)


def _format(fmt: str) -> str:
    if fmt not in open311.FORMATS:
        raise Open311Error(404, f"format: {fmt!r} is not served; use .json or .xml")
    return fmt


def _from_domain(exc: DomainError) -> Open311Error:
    problems = getattr(exc, "problems", None)
    if problems:
        return Open311Error(400, *(f"{p.field}: {p.english}" for p in problems))
    return Open311Error(404 if isinstance(exc, NotFound) else 400, exc.message)


def _zone(settings: Any) -> ZoneInfo:
    return ZoneInfo(settings.city_timezone)


def _request_item(report: Any, lang: str, zone: ZoneInfo) -> dict[str, Any]:
    service = report_service.service_or_raise(report.service_code)
    return open311.request_item(
        report, service, lang, zone, report_service.open_or_closed(report.status), report.status_notes
    )


# ------------------------------------------------------------------ filing needs a key


@dataclass(frozen=True)
class Submission:
    form: FormData
    principal: Principal | None
    refusal: str = ""


async def _form(request: Request) -> AsyncIterator[FormData]:
    form = await request.form(max_files=5, max_fields=100)
    try:
        yield form
    finally:
        await form.close()  # uploaded files are spooled to disk; close them when the request is done


def _submitter(request: Request, session: SessionDep, form: Annotated[FormData, Depends(_form)]) -> Submission:
    """The partner app behind ``api_key`` (or a bearer header); refusals are answered as Open311 errors."""
    key = str(form.get("api_key", "")).strip()
    authorization = request.headers.get("authorization", "")
    if not key and authorization.lower().startswith("bearer "):
        key = authorization[7:].strip()
    if not key:
        return Submission(
            form, None, "api_key: an API key is required to file requests; residents use /portal/reports/new"
        )
    token = security_service.resolve_token(session, key)
    if token is None:
        return Submission(form, None, "api_key: the key is unknown, expired or revoked")
    settings = request.app.state.runtime.settings
    principal = security_service.principal_for_token(
        token, getattr(request.state, "request_id", ""), client_address(request, settings.trust_proxy_headers)
    )
    if not principal.can("portal:submit"):
        return Submission(form, None, "api_key: this key may not file requests (it lacks the scope portal:submit)")
    return Submission(form, principal)


# An API key carries no ambient authority (unlike a cookie), so there is no CSRF check here.
setattr(_submitter, PERMISSION_ATTR, "portal:submit")
SubmissionDep = Annotated[Submission, Depends(_submitter)]


# ------------------------------------------------------------------ endpoints


@router.get("/discovery.{fmt}", dependencies=PUBLIC)
def discovery(request: Request, settings: SettingsDep, fmt: str) -> Response:
    """Where the API is, its formats and how to get a key."""
    try:
        fmt = _format(fmt)
    except Open311Error as exc:
        return _errors(fmt, exc)
    base = (settings.public_url or str(request.base_url)).rstrip("/")
    body = open311.discovery(base, datetime(2026, 11, 29, tzinfo=UTC).astimezone(_zone(settings)), settings.mail_from)
    return _reply(fmt, body, "discovery", None)


@router.get("/services.{fmt}", dependencies=PUBLIC)
def services(request: Request, fmt: str) -> Response:
    """Every type of report that can be filed."""
    try:
        fmt = _format(fmt)
    except Open311Error as exc:
        return _errors(fmt, exc)
    lang = language(request).code
    return _reply(fmt, [open311.service_item(s, lang) for s in report_service.services()], "services", "service")


@router.get("/services/{code}.{fmt}", dependencies=PUBLIC)
def service_definition(request: Request, code: str, fmt: str) -> Response:
    """The questions (attributes) a type of report asks."""
    try:
        fmt = _format(fmt)
        service = report_service.service_or_raise(code)
    except Open311Error as exc:
        return _errors(fmt, exc)
    except DomainError as exc:
        return _errors(fmt, _from_domain(exc))
    return _reply(fmt, open311.service_definition(service, language(request).code), "service_definition", None)


def _one(form: FormData, name: str) -> str:
    value = form.get(name, "")
    if isinstance(value, UploadFile):
        raise Open311Error(400, f"{name}: expected text, got a file")
    return value.strip()


@router.post("/requests.{fmt}")
def create_request(request: Request, session: SessionDep, submission: SubmissionDep, fmt: str) -> Response:
    """File a request (form-encoded): service_code, lat+long or address_string, description, email, attribute[...]."""
    try:
        fmt = _format(fmt)
        if submission.principal is None:
            raise Open311Error(403, submission.refusal)
        form = submission.form
        if any(isinstance(v, UploadFile) for _, v in form.multi_items()) or form.get("media_url"):
            raise Open311Error(
                400, "media_url: photos are not taken through the API; residents add them on the report form"
            )
        if _one(form, "address_id") and not (_one(form, "lat") or _one(form, "address_string")):
            raise Open311Error(400, "address_id: not accepted; send lat and long, or address_string")
        attributes = {
            key[len("attribute[") : -1]: str(value).strip()
            for key, value in form.multi_items()
            if key.startswith("attribute[") and key.endswith("]")
        }
        # first_name, last_name, phone, device_id and account_id are accepted and never stored.
        report_in = ReportIn(
            service_code=_one(form, "service_code"),
            description=_one(form, "description"),
            lat=_one(form, "lat"),
            long=_one(form, "long"),
            address_string=_one(form, "address_string"),
            email=_one(form, "email"),
            attributes=attributes,
            language=language(request).code,
        )
        filed = report_service.create(session, submission.principal, report_in, channel="open311")
    except Open311Error as exc:
        return _errors(fmt, exc)
    except DomainError as exc:
        return _errors(fmt, _from_domain(exc))
    body = [
        {
            "service_request_id": str(filed.report.id),
            "token": filed.code,
            "service_notice": None,
            "account_id": None,
        }
    ]
    return _reply(fmt, body, "service_requests", "request", 201)


def _ints(text: str, name: str) -> list[int]:
    values = [part.strip() for part in text.split(",") if part.strip()]
    if len(values) > MAX_IDS:
        raise Open311Error(400, f"{name}: at most {MAX_IDS} ids at once")
    found = []
    for value in values:
        if not (value.isascii() and value.isdigit()) or len(value) > 12:
            raise Open311Error(400, f"{name}: {value[:30]!r} is not a service request id")
        found.append(int(value))
    return found


def _date(text: str, name: str, zone: ZoneInfo) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        value = value.replace(tzinfo=zone) if value.tzinfo is None else value
        value.astimezone(UTC)  # years 1 and 9999 with an offset fall off the calendar
    except (ValueError, OverflowError):
        raise Open311Error(
            400, f"{name}: {text[:40]!r} is not an ISO 8601 date and time (e.g. 2026-05-01T08:00:00+08:00)"
        ) from None
    return value


def _query(request: Request, zone: ZoneInfo) -> RequestQuery:
    params = request.query_params
    if ids := params.get("service_request_id", "").strip():
        return RequestQuery(ids=_ints(ids, "service_request_id"))
    codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()] or None
    for code in codes or []:
        try:
            report_service.service_or_raise(code)
        except DomainError:
            raise Open311Error(400, f"service_code: {code[:40]!r} is not a known service; see services.json") from None
    statuses = [s.strip() for s in params.get("status", "").split(",") if s.strip()] or None
    for status in statuses or []:
        if status not in ("open", "closed"):
            raise Open311Error(400, f"status: {status[:20]!r} is neither open nor closed")
    since = _date(params["start_date"], "start_date", zone) if params.get("start_date") else None
    until = _date(params["end_date"], "end_date", zone) if params.get("end_date") else None
    if since and until and since > until:
        raise Open311Error(400, "start_date: it is after end_date")
    return RequestQuery(service_codes=codes, statuses=statuses, since=since, until=until)


def _feed_cache(request: Request) -> FeedCache:
    cache: FeedCache | None = getattr(request.app.state, "open311_feed", None)
    if cache is None:
        cache = request.app.state.open311_feed = FeedCache()
    return cache


@router.get("/requests.{fmt}", dependencies=PUBLIC)
def requests(request: Request, session: SessionDep, settings: SettingsDep, fmt: str) -> Response:
    """Requests newest first: by service_request_id, else by service_code, status, start_date, end_date."""
    zone = _zone(settings)
    try:
        fmt = _format(fmt)
        query = _query(request, zone)
    except Open311Error as exc:
        return _errors(fmt, exc)
    lang = language(request).code
    minute = report_service.now(session).replace(second=0, microsecond=0)
    key = (fmt, lang, str(query), minute, report_service.feed_version(session))
    cache = _feed_cache(request)
    body = cache.get(key)
    if body is None:
        found = report_service.search(session, query, now=minute)
        answer = _reply(fmt, [_request_item(r, lang, zone) for r in found], "service_requests", "request")
        body = bytes(answer.body)
        cache.put(key, body)
    return Response(body, media_type=open311.FORMATS[fmt])


@router.get("/requests/{request_id}.{fmt}", dependencies=PUBLIC)
def one_request(request: Request, session: SessionDep, settings: SettingsDep, request_id: str, fmt: str) -> Response:
    """One request."""
    zone = _zone(settings)
    try:
        fmt = _format(fmt)
        ids = _ints(request_id, "service_request_id")
        if len(ids) != 1:
            raise Open311Error(400, "service_request_id: give one id in the path")
        report = report_service.get_or_raise(session, ids[0])
    except Open311Error as exc:
        return _errors(fmt, exc)
    except DomainError as exc:
        return _errors(fmt, _from_domain(exc))
    return _reply(fmt, [_request_item(report, language(request).code, zone)], "service_requests", "request")


@router.get("/tokens/{token}.{fmt}", dependencies=PUBLIC)
def token(session: SessionDep, token: str, fmt: str) -> Response:
    """The service request id of a token returned by ``POST /requests``."""
    try:
        fmt = _format(fmt)
        report = report_service.by_code_or_raise(session, token)
    except Open311Error as exc:
        return _errors(fmt, exc)
    except DomainError as exc:
        return _errors(fmt, Open311Error(404, f"token: {exc.message}"))
    body = [{"service_request_id": str(report.id), "token": report.tracking_code}]
    return _reply(fmt, body, "service_requests", "request")
