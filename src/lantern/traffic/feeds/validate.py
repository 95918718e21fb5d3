"""Offline validation of what the feeds emit: WZDx 4.2 (JSON Schema draft-07), CAP 1.2 (XSD), GeoJSON.

The official schemas are not shipped with Lantern; callers pass their location (tests use
``../shared/standards``). The WZDx schemas ``$ref`` each other by ``https://raw.githubusercontent...``
ids and the geojson.org geometry schemas by URL; all are served from a local
:class:`referencing.Registry`, so validation never touches the network. The geojson.org
schemas are replaced by equivalent local stand-ins (type, coordinates and bbox rules of RFC 7946).

jsonschema checks ``date-time`` only with an optional package Lantern does not depend on, so
an RFC 3339 checker is registered here: WZDx dates are all ``date-time``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import xmlschema
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from lantern.traffic.feeds.cap import CAP_NS

GEOJSON_BASE = "https://geojson.org/schema/"
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_CAP_FORBIDDEN = re.compile(r"[\s,<&]")


def _position(min_items: int = 2) -> dict[str, Any]:
    return {"type": "array", "minItems": min_items, "items": {"type": "number"}}


def _geometry(name: str, coordinates: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": f"{GEOJSON_BASE}{name}.json",
        "title": f"GeoJSON {name} (local stand-in)",
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": [name]},
            "coordinates": coordinates,
            "bbox": _position(4),
        },
    }


GEOJSON_GEOMETRIES = {
    "Point": _geometry("Point", _position()),
    "MultiPoint": _geometry("MultiPoint", {"type": "array", "items": _position()}),
    "LineString": _geometry("LineString", {"type": "array", "minItems": 2, "items": _position()}),
}
FEATURE_COLLECTION = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": f"{GEOJSON_BASE}FeatureCollection.json",
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"enum": ["FeatureCollection"]},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"enum": ["Feature"]},
                    "id": {"type": ["string", "number"]},
                    "properties": {"type": ["object", "null"]},
                    "geometry": {
                        "oneOf": [{"type": "null"}, *({"$ref": s["$id"]} for s in GEOJSON_GEOMETRIES.values())]
                    },
                },
            },
        },
    },
}


def is_rfc3339(value: object) -> bool:
    """True for an RFC 3339 date-time (``2026-03-02T01:00:00Z``, ``...+08:00``); non-strings pass (JSON Schema rule)."""
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return False
    return True


def format_checker() -> FormatChecker:
    """jsonschema's format checker plus RFC 3339 ``date-time``."""
    checker = FormatChecker()
    checker.checks("date-time")(is_rfc3339)
    return checker


def _registry(schema_dir: Path | None) -> Registry:
    resources = [
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7))
        for schema in (*GEOJSON_GEOMETRIES.values(), FEATURE_COLLECTION)
    ]
    for path in sorted(schema_dir.glob("*.json")) if schema_dir else []:
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents, default_specification=DRAFT7)))
    return Registry().with_resources(resources)


@cache
def _wzdx_validator(schema_dir: str, schema: str) -> Draft7Validator:
    folder = Path(schema_dir)
    path = folder / f"{schema}.json"
    if not path.is_file():
        raise FileNotFoundError(f"WZDx schema {path} not found; pass the folder holding WorkZoneFeed.json")
    contents = json.loads(path.read_text(encoding="utf-8"))
    return Draft7Validator(contents, registry=_registry(folder), format_checker=format_checker())


def _messages(validator: Draft7Validator, document: Any) -> list[str]:
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    # jsonschema quotes the whole failing instance; a feature's properties run to kilobytes, so cut it.
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {_short(e.message)}" for e in errors]


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def validate_wzdx(feed: Any, schema_dir: str | Path, *, schema: str = "WorkZoneFeed") -> list[str]:
    """Errors of a WZDx document against ``<schema_dir>/<schema>.json`` (empty = valid).

    ``schema`` is "WorkZoneFeed" or "DeviceFeed". Each error names its JSON path.
    """
    return _messages(_wzdx_validator(str(Path(schema_dir).resolve()), schema), feed)


@cache
def _geojson_validator() -> Draft7Validator:
    return Draft7Validator(FEATURE_COLLECTION, registry=_registry(None), format_checker=format_checker())


def validate_geojson(layer: Any) -> list[str]:
    """Errors of a GeoJSON FeatureCollection of Point/MultiPoint/LineString features (empty = valid).

    Examples
    --------
    >>> validate_geojson({"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [1]}}]})[0].split(":")[0]
    'features/0/geometry'

    """
    return _messages(_geojson_validator(), layer)


@cache
def _cap_schema(xsd_path: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(xsd_path)


def validate_cap(xml: str, xsd_path: str | Path) -> list[str]:
    """Errors of a CAP 1.2 alert: the OASIS XSD, plus rules of the spec the XSD cannot express.

    The extra rules: ``identifier`` and ``sender`` without spaces, commas, ``<`` or ``&``
    (section 3.2.1); a polygon closed and of at least four points (section 3.2.4).
    """
    schema = _cap_schema(str(Path(xsd_path).resolve()))
    errors = [f"{e.path or '(root)'}: {e.reason}" for e in schema.iter_errors(xml)]
    if errors:
        return errors
    document = xmlschema.XmlDocument(xml, schema=schema)  # parses with xmlschema's defused settings
    ns = {"cap": CAP_NS}
    for tag in ("identifier", "sender"):
        element = document.root.find(f"cap:{tag}", ns)
        if element is not None and _CAP_FORBIDDEN.search(element.text or ""):
            errors.append(f"/alert/{tag}: {element.text!r} contains a space, comma, < or &")
    for polygon in document.root.iterfind("cap:info/cap:area/cap:polygon", ns):
        pairs = (polygon.text or "").split()
        if len(pairs) < 4 or pairs[0] != pairs[-1]:
            errors.append(f"/alert/info/area/polygon: needs >= 4 points with the first repeated last, got {len(pairs)}")
    return errors
