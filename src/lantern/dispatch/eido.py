"""NENA-STA-021 Emergency Incident Data Object (EIDO) export and import.

Export builds the document from an incident, its calls, units and timeline; locations are
PIDF-LO (RFC 4119/5491) with a GML point and, when known, a civic address. Caller identity is
left out: sharing it is a disclosure of personal data that needs its own purpose.

Import stores what another agency sent: the incident type, priority, calls and location. A
location given as a point (or a civic address our registry knows) creates an open incident; one
that cannot be placed (e.g. only a reference URL we cannot dereference, or an address outside
our registry) goes to the EIDO inbox with an alert, for a dispatcher to place. Callback numbers are
personal data: they are stored encrypted as the caller, through the audited people service.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.alerts.service import AlertIn
from lantern.city import service as city_service
from lantern.dispatch import repository
from lantern.dispatch.codes import IncidentType
from lantern.dispatch.service import CAD_SOURCE, codes, incident_event
from lantern.errors import DomainError, ValidationFailed
from lantern.incidents import service as incident_service
from lantern.kit.geo import h3_cell
from lantern.kit.time import to_local
from lantern.live.broker import publish
from lantern.models import EidoInbox, Incident
from lantern.people import service as people_service
from lantern.people.schemas import PartyCreate
from lantern.resources import service as resource_service
from lantern.security import context
from lantern.security.access import audit, guard
from lantern.security.policy import Principal

EIDO_VERSION = "1.0"
PIDF = "urn:ietf:params:xml:ns:pidf"
GP = "urn:ietf:params:xml:ns:pidf:geopriv10"
GML = "http://www.opengis.net/gml"
CA = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
CALL_PRIORITY = {1: "highest", 2: "high", 3: "normal", 4: "low"}  # the schema's priorityIdentifier values
UNIT_STATUS = {  # our unit statuses -> EIDO primary unit status registry values
    "dispatched": "Dispatched",
    "en_route": "Enroute",
    "on_scene": "OnScene",
    "transporting": "Transporting",
    "available": "Available",
    "out_of_service": "OutOfService",
}


def _agency(session: Session) -> str:
    return str(context.setting(session, "agency_id", None) or "lantern.local")


def _stamp(value: datetime, session: Session) -> str:
    """RFC 3339 with the city's offset (EIDO examples carry local offsets)."""
    return to_local(value, context.setting(session, "city_timezone", "UTC")).isoformat(timespec="milliseconds")


def _prologue(component_id: str, stamp: str, agency: str, agent: str | None = None) -> dict[str, Any]:
    prologue: dict[str, Any] = {
        "$id": component_id,
        "lastUpdateTimeStamp": stamp,
        "updatedByAgencyReference": {"$ref": agency},
    }
    if agent:
        prologue["updatedByAgentReference"] = {"$ref": agent}
    return prologue


def pidf_lo(entity: str, lat: float, lon: float, civic: dict[str, str] | None = None) -> str:
    """A PIDF-LO document with a GML point (and a civic address when given)."""
    presence = ET.Element(f"{{{PIDF}}}presence", {"entity": entity})
    tuple_ = ET.SubElement(presence, f"{{{PIDF}}}tuple", {"id": "location"})
    status = ET.SubElement(tuple_, f"{{{PIDF}}}status")
    geopriv = ET.SubElement(status, f"{{{GP}}}geopriv")
    info = ET.SubElement(geopriv, f"{{{GP}}}location-info")
    point = ET.SubElement(info, f"{{{GML}}}Point", {"srsName": "urn:ogc:def:crs:EPSG::4326"})
    ET.SubElement(point, f"{{{GML}}}pos").text = f"{lat:.7f} {lon:.7f}"
    if civic:
        address = ET.SubElement(info, f"{{{CA}}}civicAddress")
        for key, value in civic.items():
            ET.SubElement(address, f"{{{CA}}}{key}").text = value
    ET.SubElement(geopriv, f"{{{GP}}}method").text = "Manual"
    return ET.tostring(presence, encoding="unicode")


def parse_pidf_lo(text: str) -> tuple[tuple[float, float] | None, dict[str, str]]:
    """(lat, lon) from a GML point or circle centre, and the civic address fields, from PIDF-LO."""
    try:
        root = ET.fromstring(text.strip())  # noqa: S314 - ElementTree does not resolve external entities
    except ET.ParseError as exc:
        raise ValidationFailed(f"locationByValue is not well-formed PIDF-LO XML: {exc}") from exc
    point = None
    for element in root.iter():
        if element.tag.endswith("}pos") and element.text:
            numbers = [float(x) for x in element.text.split()[:2]]
            if len(numbers) == 2:
                point = (numbers[0], numbers[1])
                break
    civic: dict[str, str] = {}
    for element in root.iter():
        if element.tag.endswith("}civicAddress"):
            civic = {child.tag.split("}")[-1]: (child.text or "").strip() for child in element}
            break
    return point, civic


def export_incident(session: Session, principal: Principal, incident_id: int) -> dict[str, Any]:
    """The incident as an EIDO document (validates against NENA's schema; see tests)."""
    guard(principal, "eido:export", "incident", incident_id)
    incident = incident_service.get_or_raise(session, principal.row_scope(), incident_id)
    agency = _agency(session)
    now = _stamp(context.now(session), session)
    incident_type: IncidentType | None = codes(session).types.get(incident.type_code or "")
    agent_id = f"{principal.name}@{agency}"
    location_id = f"urn:emergency:uid:locationid:{incident.natural_key}:{agency}"
    civic = None
    if incident.address_id is not None:
        address = city_service.address_or_raise(session, incident.address_id)
        civic = {"HNO": address.housenumber, "RD": address.street, "A3": str(context.setting(session, "city_name", ""))}
    timeline = incident_service.timeline(session, principal.row_scope(), incident_id)
    notes = [
        {
            **_prologue(
                f"urn:emergency:uid:notesid:{incident.natural_key}-{i}:{agency}", _stamp(e.at, session), agency
            ),
            "notesActionComments": f"{e.kind}: {e.text}"[:2000],
        }
        for i, e in enumerate(timeline, start=1)
    ]
    units = {u.id: u for u in resource_service.list_units(session)}
    resources = []
    for assignment in repository.assignments_of(session, incident_id):
        unit = units[assignment.unit_id]
        current = "Available" if assignment.cleared_at else UNIT_STATUS.get(unit.status, "Dispatched")
        resources.append(
            {
                **_prologue(f"urn:emergency:uid:resourceid:{unit.callsign}:{agency}", now, agency),
                "emergencyResourceTypeCommonRegistryText": "Police",
                "emergencyResourceTypeInternalText": unit.kind,
                "emergencyResourceName": unit.callsign,
                "resourceAttributeRegistryText": ["Other"],
                "resourceAttributeInternalText": [unit.kind],
                "primaryUnitStatusRegistryText": current,
                "secondaryUnitStatusRegistryText": [],
                "agentReference": [{"$ref": agent_id}],
                "activeOnIncidentId": incident.natural_key,
            }
        )
    calls = [
        {
            **_prologue(
                f"urn:emergency:uid:callid:{incident.natural_key}-{c.id}:{agency}",
                _stamp(c.received_at, session),
                agency,
            ),
            "standardPrimaryCallType": "emergency",
            "direction": "incoming",
            "callStartTimestamp": _stamp(c.received_at, session),
            "callStateRegistryText": "callAnswered",
            "localCallType": c.type_code,
            "priorityIdentifier": CALL_PRIORITY.get(c.priority, "normal"),
            "locationReference": [{"$ref": location_id}],
            "agencyReference": [{"$ref": agency}],
        }
        for c in repository.calls_of(session, incident_id)
    ]
    document: dict[str, Any] = {
        **_prologue(f"urn:emergency:uid:incidentid:{incident.natural_key}:{agency}", now, agency, agent_id),
        "eidoVersion": EIDO_VERSION,
        "issuingElementIdentification": f"lantern.{agency}",
        "agencyComponent": [
            {
                **_prologue(agency, now, agency),
                "agencyRoleDescriptionRegistryText": ["Dispatch"],
                "agencyType": ["police"],
                "incidentOwningAgencyIndicator": True,
            }
        ],
        "agentComponent": [
            {
                **_prologue(agent_id, now, agency),
                "agentRoleRegistryText": ["Dispatch"],
                "agencyReference": {"$ref": agency},
            }
        ],
        "incidentComponent": {
            **_prologue(f"urn:emergency:uid:incidentinfo:{incident.natural_key}:{agency}", now, agency),
            "incidentTypeCommonRegistryText": incident_type.apco if incident_type else incident.category,
            "incidentTypeInternalCode": incident.type_code or incident.category,
            "incidentTypeInternalText": incident_type.label if incident_type else incident.category,
            "incidentStatusCommonRegistryText": ["Active" if incident.status == "open" else "Closed"],
            "internalIncidentId": incident.natural_key,
            "incidentPriorityInternalText": f"P{incident.priority}" if incident.priority else "",
            "incidentCommonPriorityNumber": incident.priority or 4,
            "locationReference": [{"$ref": location_id}],
            "notesReference": [{"$ref": n["$id"]} for n in notes],
        },
        "callComponent": calls,
        "locationComponent": [
            {
                **_prologue(location_id, now, agency),
                "locationTypeDescriptionRegistryText": "Incident",
                "locationByValue": pidf_lo(f"pres:{incident.natural_key}@{agency}", incident.lat, incident.lon, civic),
            }
        ],
        "notesComponent": notes,
    }
    if resources:
        document["emergencyResourceComponent"] = resources
        document["dispatchComponent"] = [
            {
                **_prologue(f"urn:emergency:uid:dispatchid:{incident.natural_key}:{agency}", now, agency),
                "agencyReference": {"$ref": agency},
                "emergencyResourceReference": [{"$ref": r["$id"]} for r in resources],
            }
        ]
    return document


REQUIRED_TOP = ("$id", "eidoVersion", "issuingElementIdentification", "agencyComponent")
_TEL = re.compile(r"^tel:(\+?[0-9\-]{3,20})$")


@dataclass(frozen=True)
class ImportResult:
    incident: Incident | None
    inbox_id: int | None
    summary: dict[str, Any]


def import_document(session: Session, principal: Principal, document: dict[str, Any]) -> ImportResult:
    """An open incident from an EIDO, or (when it cannot be placed) an inbox entry and an alert."""
    guard(principal, "eido:import", "eido", str(document.get("$id", "?"))[:80])
    missing = [k for k in REQUIRED_TOP if k not in document]
    if missing:
        raise ValidationFailed(f"not an EIDO document: missing {', '.join(missing)}")
    if document.get("eidoVersion") != EIDO_VERSION:
        raise ValidationFailed(f"eidoVersion {document.get('eidoVersion')!r} is not supported (only {EIDO_VERSION})")
    summary = summarise(document)
    if summary["point"] is None and summary["civic"].get("RD"):
        street = " ".join(v for v in (summary["civic"].get("RD"), summary["civic"].get("STS")) if v)
        try:
            match = city_service.geocode(session, f"{street} {summary['civic'].get('HNO', '')}")
            summary["point"] = (match.address.lat, match.address.lon)
        except DomainError:
            pass  # not in our registry: reported below with the address text
    if summary["point"] is None:
        return _to_inbox(session, principal, document, summary)
    table = codes(session)
    incident_type = table.types.get(str(summary["type_code"]).upper()) or _type_by_apco(
        table.types.values(), summary["type_text"]
    )
    now = context.now(session)
    lat, lon = summary["point"]
    district = city_service.district_index(session).locate_one(lat, lon)
    incident = incident_service.create(
        session,
        Incident(
            source=CAD_SOURCE,
            natural_key=f"pending-{uuid.uuid4().hex}",
            category=incident_type.category if incident_type else "other",
            occurred_from=now,
            occurred_to=now,
            time_precision="second",
            lat=lat,
            lon=lon,
            h3_cell=h3_cell(lat, lon, context.setting(session, "h3_resolution", 9)),
            district_id=district.id if district else None,
            premise="",
            description="",
            attributes={"eido_id": document["$id"]},
            recorded_at=now,
            status="open",
            priority=summary["priority"] or (incident_type.priority if incident_type else 3),
            type_code=incident_type.code if incident_type else None,
            restricted=bool(incident_type and incident_type.restricted),
        ),
    )
    incident.natural_key = f"E{now:%Y%m%d}-{incident.id:05d}"
    incident_service.add_event(
        session,
        incident.id,
        "eido_received",
        principal.name,
        f"transferred from {summary['agency']} ({document['$id']})",
        {"eido_id": document["$id"]},
    )
    for number in summary["callbacks"]:
        people_service.create(
            session, principal, incident.id, PartyCreate(role="caller", name="(from EIDO transfer)", phone=number)
        )
    publish(session, "incident", incident_event(incident))
    return ImportResult(incident, None, _public(summary))


INBOX_CONTEXT = "eido_inbox.document"


def _public(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary without personal data (callback numbers)."""
    return {k: v for k, v in summary.items() if k != "callbacks"} | {"callbacks": len(summary["callbacks"])}


def _to_inbox(
    session: Session, principal: Principal, document: dict[str, Any], summary: dict[str, Any]
) -> ImportResult:
    ring = context.keyring(session)
    entry = repository.add(
        session,
        EidoInbox(
            received_at=context.now(session),
            received_by=principal.name,
            eido_id=str(document["$id"])[:300],
            sending_agency=str(summary["agency"])[:200],
            summary=_public(summary),
            document_enc=ring.encrypt(json.dumps(document), INBOX_CONTEXT),
        ),
    )
    audit(session, principal, "create", "eido_inbox", entry.id, details={"eido_id": str(document["$id"])[:120]})
    where = summary["civic_text"] or "no coordinates, only a location reference"
    alert_service.raise_alert(
        session,
        AlertIn(
            source="dispatch",
            kind="eido_needs_location",
            severity="warning",
            subject_type="eido_inbox",
            subject_id=str(entry.id),
            title=f"Transfer from {summary['agency']} needs a location ({where})",
            dedupe_key=f"dispatch:eido_inbox:{entry.id}",
        ),
    )
    return ImportResult(None, entry.id, _public(summary))


def _type_by_apco(types: Any, text: str | None) -> IncidentType | None:
    if not text:
        return None
    return next((t for t in types if t.apco.lower() == text.lower()), None)


def summarise(document: dict[str, Any]) -> dict[str, Any]:
    """What an EIDO says, in our terms (pure; used for import and for the review page)."""
    incident = document.get("incidentComponent") or {}
    locations = document.get("locationComponent") or []
    point, civic = None, {}
    for location in locations:
        if "locationByValue" in location:
            found, fields = parse_pidf_lo(location["locationByValue"])
            point = point or found
            civic = civic or fields
    civic_text = " ".join(v for k, v in civic.items() if k in ("HNO", "PRD", "RD", "STS", "A3", "A1", "country") and v)
    callbacks = []
    for callback in document.get("callbackComponent") or []:
        for uri in callback.get("callBackInformationUri", []):
            match = _TEL.match(uri)
            if match:
                callbacks.append(match.group(1))
    agencies = [a.get("$id") for a in document.get("agencyComponent") or []]
    calls = document.get("callComponent") or []
    return {
        "point": point,
        "civic": civic,
        "civic_text": civic_text,
        "type_code": incident.get("incidentTypeInternalCode", ""),
        "type_text": incident.get("incidentTypeCommonRegistryText"),
        "priority": incident.get("incidentCommonPriorityNumber"),
        "agency": agencies[0] if agencies else "",
        "calls": [c.get("callStartTimestamp") for c in calls],
        "callbacks": callbacks[:1],  # one callback number per transfer (the caller's)
    }
