"""Open311 GeoReport v2 documents: services, service definitions, requests, errors and discovery.

Element names follow the specification (wiki.open311.org/GeoReport_v2). JSON and XML carry the
same fields; XML lists wrap their items (``<services><service>``, ``<service_requests><request>``,
``<errors><error>``). Times are ISO 8601 with the city's UTC offset, as in the spec's examples.
Nothing here names a reporter: no e-mail, no name, no phone ever enters these documents.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from lantern.models import PortalReport
from lantern.portal.reports.catalogue import Service

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def when(value: datetime | None, zone: ZoneInfo) -> str | None:
    return value.astimezone(zone).isoformat(timespec="seconds") if value is not None else None


def service_item(service: Service, lang: str) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": service.text("name", lang),
        "description": service.text("description", lang),
        "metadata": bool(service.attributes),
        "type": "realtime",  # a request id is given at once
        "keywords": ", ".join(service.keywords),
        "group": service.text("group", lang),
    }


def service_definition(service: Service, lang: str) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "attributes": [
            {
                "variable": True,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": None,
                "order": a.order,
                "description": a.description.get(lang) or a.description["en"],
                "values": [{"key": v.key, "name": v.name.get(lang) or v.name["en"]} for v in a.values],
            }
            for a in service.attributes
        ],
    }


def request_item(
    report: PortalReport, service: Service, lang: str, zone: ZoneInfo, status: str, notes: str
) -> dict[str, Any]:
    """One service request as the public sees it (``notes`` already in the asker's language)."""
    return {
        "service_request_id": str(report.id),
        "status": status,
        "status_notes": notes or None,
        "service_name": service.text("name", lang),
        "service_code": report.service_code,
        # Some report types are about people (a fraud caller's number): their text stays inside.
        "description": report.description if service.public_description else None,
        "agency_responsible": report.agency_responsible or service.text("agency", lang),
        "service_notice": None,
        "requested_datetime": when(report.requested_at, zone),
        "updated_datetime": when(report.updated_at, zone),
        "expected_datetime": when(report.expected_at, zone),
        "address": report.address_text or None,
        "address_id": str(report.address_id) if report.address_id is not None else None,
        "zipcode": None,
        "lat": report.lat,
        "long": report.lon,
        "media_url": None,  # photos are for staff: faces and number plates are not published
    }


def discovery(base_url: str, changeset: datetime, contact: str) -> dict[str, Any]:
    return {
        "changeset": changeset.isoformat(timespec="seconds"),
        "contact": contact,
        "key_service": "Ask the city's web team for an API key (a Lantern machine token with scope portal:submit).",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base_url}/open311/v2",
                "changeset": changeset.isoformat(timespec="seconds"),
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }


def errors(status: int, descriptions: list[str]) -> list[dict[str, Any]]:
    return [{"code": status, "description": text} for text in descriptions]


# ------------------------------------------------------------------ XML


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _append(child, key, inner)
    elif isinstance(value, list):
        singular = {
            "attributes": "attribute",
            "values": "value",
            "endpoints": "endpoint",
            "formats": "format",
        }.get(name, "item")
        for inner in value:
            _append(child, singular, inner)
    else:
        child.text = _text(value)


def to_xml(root: str, item: str | None, body: Any) -> bytes:
    """``body`` as XML: a list becomes ``<root><item>...</item></root>``, a dict ``<root>...</root>``."""
    element = ET.Element(root)
    if isinstance(body, list):
        for entry in body:
            _append(element, item or "item", entry)
    else:
        for key, value in body.items():
            _append(element, key, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def to_json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
