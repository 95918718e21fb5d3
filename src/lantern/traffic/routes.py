"""Traffic JSON API and public feeds: road events, WZDx 4.2, CAP 1.2, the congestion layer, the index, signals."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import Response

from lantern.security.policy import Principal
from lantern.traffic import congestion
from lantern.traffic import service as traffic_service
from lantern.traffic.feeds.cap import cap_atom_index
from lantern.traffic.schemas import (
    AccidentFromIncident,
    DetectorImportRead,
    ProbesIn,
    ProbesRead,
    RoadEventCreate,
    RoadEventRead,
    RoadEventUpdate,
    WebsterIn,
    WebsterRead,
)
from lantern.web.auth import public, require
from lantern.web.deps import SessionDep
from lantern.web.params import IdPath

router = APIRouter(prefix="/api/traffic", tags=["traffic"])
Reader = Annotated[Principal, require("traffic:read")]
Manager = Annotated[Principal, require("traffic:manage")]
Importer = Annotated[Principal, require("traffic:import")]
PUBLIC = [public()]
# Public feeds change at most once a minute for map apps; a short cache spares the database.
FEED_HEADERS = {"Cache-Control": "public, max-age=30", "Access-Control-Allow-Origin": "*"}
SegmentKey = Annotated[str, PathParam(pattern=r"^(edge|det):[0-9]{1,12}$")]
PublicId = Annotated[str, PathParam(pattern=r"^[0-9a-f-]{36}$")]


@router.get("/events", response_model=list[RoadEventRead])
def list_events(session: SessionDep, principal: Reader, include_ended: bool = False) -> Any:
    """Road events for operators, published or not, newest first."""
    return traffic_service.list_events(session, principal, include_ended=include_ended)


@router.post("/events", response_model=RoadEventRead, status_code=201)
def create_event(session: SessionDep, principal: Manager, event_in: RoadEventCreate) -> Any:
    """Record road works, a closure, an accident or another road incident."""
    return traffic_service.create_event(session, principal, event_in)


@router.patch("/events/{event_id}", response_model=RoadEventRead)
def update_event(session: SessionDep, principal: Manager, event_id: IdPath, event_in: RoadEventUpdate) -> Any:
    return traffic_service.update_event(session, principal, event_id, event_in)


@router.post("/events/{event_id}/end", response_model=RoadEventRead)
def end_event(session: SessionDep, principal: Manager, event_id: IdPath) -> Any:
    """The road is clear: end the event now."""
    return traffic_service.end_event(session, principal, event_id)


@router.post("/incidents/{incident_id}/road-event", response_model=RoadEventRead, status_code=201)
def event_from_incident(
    session: SessionDep, principal: Manager, incident_id: IdPath, event_in: AccidentFromIncident
) -> Any:
    """An accident (or closure) at a dispatch incident's location, linked to it."""
    return traffic_service.event_from_incident(session, principal, incident_id, event_in)


@router.get("/feeds/wzdx.geojson", dependencies=PUBLIC)
def wzdx_feed(session: SessionDep) -> Response:
    """WZDx 4.2 work zone feed: current and planned road works and closures."""
    return _json(traffic_service.wzdx_feed(session), "application/geo+json")


@router.get("/feeds/cap.atom", dependencies=PUBLIC)
def cap_feed(session: SessionDep, request: Request) -> Response:
    """Atom index of the CAP 1.2 alerts, one per current published road event."""
    entries = [
        (
            e["public_id"],
            e["title"],
            e["updated"],
            e["summary"],
            str(request.url_for("cap_alert", public_id=e["public_id"])),
        )
        for e in traffic_service.cap_index(session)
    ]
    sender = traffic_service.cap_sender(session)
    xml = cap_atom_index(
        entries,
        feed_id=str(request.url_for("cap_feed")),
        title=f"{sender.sender_name}: road alerts",
        updated=max((e[2] for e in entries), default=traffic_service.now(session)),
    )
    return Response(xml, media_type="application/atom+xml", headers=FEED_HEADERS)


@router.get("/feeds/cap/{public_id}.xml", dependencies=PUBLIC, name="cap_alert")
def cap_alert(session: SessionDep, public_id: PublicId) -> Response:
    """One CAP 1.2 alert."""
    return Response(
        traffic_service.cap_message(session, public_id), media_type="application/cap+xml", headers=FEED_HEADERS
    )


@router.get("/events.geojson", dependencies=PUBLIC)
def events_geojson(session: SessionDep) -> Response:
    """Published current and planned road events as plain GeoJSON."""
    return _json(traffic_service.events_geojson(session), "application/geo+json")


@router.get("/congestion.geojson", dependencies=PUBLIC)
def congestion_geojson(session: SessionDep) -> Response:
    """Congestion of the last hour per road segment and detector: TTI, 0-10 index, level, colour."""
    return _json(congestion.congestion_geojson(session), "application/geo+json")


@router.get("/index", dependencies=PUBLIC)
def city_index(session: SessionDep) -> dict[str, Any]:
    """The city's 0-10 traffic index now (last hour), per district, per 15 minutes, congested hours per day."""
    return congestion.city_index(session)


@router.get("/heatmap", dependencies=PUBLIC)
def heatmap(session: SessionDep) -> dict[str, Any]:
    """Mean city index per local weekday and hour over the last week of data."""
    return congestion.heatmap(session)


@router.get("/reliability", dependencies=PUBLIC)
def reliability(session: SessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[dict[str, Any]]:
    """The road segments and detectors with the highest planning time index (95th-percentile TTI) this week."""
    return congestion.reliability(session, limit=limit)


@router.get("/segments/{key}/history", dependencies=PUBLIC)
def segment_history(session: SessionDep, key: SegmentKey) -> list[dict[str, Any]]:
    """Hourly speed, TTI and index of one road segment (edge:<id>) or detector (det:<id>) over the last week."""
    return congestion.segment_history_of(session, key)


# Staff and machine clients (a bearer token needs no CSRF token); the public has the GET page.
@router.post("/signals/webster", response_model=WebsterRead, dependencies=[require("traffic:read")])
def signal_plan(plan_in: WebsterIn) -> Any:
    """Webster's optimal cycle and green splits, within cycle bounds and minimum greens; flags Y >= 1."""
    return traffic_service.signal_plan(plan_in)


@router.post("/probes", response_model=ProbesRead)
def record_probes(session: SessionDep, principal: Importer, probes_in: ProbesIn) -> Any:
    """Vehicle tracks (fixes in time order, no vehicle id): matched to the roads, kept as speeds per segment."""
    return traffic_service.record_probes(session, principal, probes_in)


@router.post("/detectors/import", response_model=DetectorImportRead)
def import_detectors(
    session: SessionDep,
    principal: Importer,
    readings: Annotated[UploadFile, File(description="CSV or Parquet readings")],
    # A built-in profile name only: a path would let a client point the server at its own files.
    profile: Annotated[str, Form(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")],
    locations: Annotated[UploadFile | None, File(description="CSV or Parquet detector locations")] = None,
) -> Any:
    """Import detector readings (and locations) through a built-in profile; re-importing adds nothing."""
    with tempfile.TemporaryDirectory() as folder:
        readings_path = _save(readings, Path(folder))
        locations_path = _save(locations, Path(folder)) if locations is not None else None
        return traffic_service.import_detectors(session, principal, readings_path, profile, locations_path)


def _save(upload: UploadFile, folder: Path) -> Path:
    # Only the suffix of the client's name is used; the file is ours under a fixed name.
    suffix = ".parquet" if (upload.filename or "").lower().endswith(".parquet") else ".csv"
    path = folder / f"{len(list(folder.iterdir()))}{suffix}"
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out)
    return path


def _json(document: dict[str, Any], media_type: str) -> Response:
    return Response(json.dumps(document, ensure_ascii=False), media_type=media_type, headers=FEED_HEADERS)
