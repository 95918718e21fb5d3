"""The web shell: overview, map page and health check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from lantern import __version__
from lantern.city import service as city_service
from lantern.db import check_connection
from lantern.errors import StoreError
from lantern.incidents import service as incident_service
from lantern.security.policy import Principal
from lantern.store import head_revision, revision_of
from lantern.web.auth import public, require, signed_in
from lantern.web.deps import RuntimeDep, SessionDep
from lantern.web.templating import STATIC_DIR, render

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, session: SessionDep, principal: Annotated[Principal, signed_in()]) -> HTMLResponse:
    city = city_service.get(session)
    context: dict[str, object] = {"city": city}
    if principal.can("city:read"):
        context["counts"] = city_service.summary(session)
    if principal.can("incident:read"):
        scope = principal.row_scope()
        context.update(
            incident_count=incident_service.count(session, scope),
            latest=incident_service.latest_time(session, scope),
            categories=incident_service.categories(session, scope)[:10],
        )
    return render(request, "home.html", **context)


@router.get("/map", response_class=HTMLResponse, include_in_schema=False)
def map_page(
    request: Request, session: SessionDep, principal: Annotated[Principal, require("incident:read")]
) -> HTMLResponse:
    city = city_service.get(session)
    scope = principal.row_scope()
    return render(
        request,
        "map.html",
        city=city,
        districts=city_service.list_districts(session) if city else [],
        categories=[c for c, _ in incident_service.categories(session, scope)],
    )


@router.get("/favicon.ico", include_in_schema=False, dependencies=[public()])
def favicon() -> Response:
    return Response((STATIC_DIR / "img" / "favicon.svg").read_bytes(), media_type="image/svg+xml")


@router.get("/healthz", tags=["health"], dependencies=[public()])
def healthz(runtime: RuntimeDep, session: SessionDep) -> JSONResponse:
    """200 when the database answers and the schema is current; 503 otherwise."""
    try:
        connection = session.connection()
        store = check_connection(connection)
        revision, head = revision_of(connection), head_revision(runtime.engine)
    except StoreError as exc:
        return JSONResponse({"status": "unavailable", "database": exc.message}, status_code=503)
    except SQLAlchemyError as exc:
        return JSONResponse({"status": "unavailable", "database": str(exc.orig or exc)}, status_code=503)
    status = "ok" if revision == head else "schema_outdated"
    body = {"status": status, "version": __version__, "database": store["backend"], "revision": revision}
    if revision != head:
        body["message"] = f"schema is at {revision}, this version needs {head}: run `lantern db upgrade`"
    return JSONResponse(body, status_code=200 if status == "ok" else 503)
