"""The web shell: dashboard, map page and health check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from lantern import __version__
from lantern.city import service as city_service
from lantern.db import check_connection
from lantern.errors import StoreError
from lantern.incidents import service as incident_service
from lantern.store import head_revision, revision_of
from lantern.web.deps import RuntimeDep, SessionDep

router = APIRouter(tags=["pages"])


def render(request: Request, template: str, **context: Any) -> HTMLResponse:
    """Render a page with the shared layout context."""
    runtime = request.app.state.runtime
    context.setdefault("settings", runtime.settings)
    return request.app.state.templates.TemplateResponse(request, template, context)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, session: SessionDep) -> HTMLResponse:
    city = city_service.get(session)
    return render(
        request,
        "home.html",
        city=city,
        counts=city_service.summary(session),
        incident_count=incident_service.count(session),
        latest=incident_service.latest_time(session),
        categories=incident_service.categories(session)[:10],
    )


@router.get("/map", response_class=HTMLResponse, include_in_schema=False)
def map_page(request: Request, session: SessionDep) -> HTMLResponse:
    city = city_service.get(session)
    return render(
        request,
        "map.html",
        city=city,
        districts=city_service.list_districts(session) if city else [],
        categories=[c for c, _ in incident_service.categories(session)],
    )


@router.get("/healthz", tags=["health"])
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
