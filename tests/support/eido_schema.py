"""Validation against NENA's official EIDO schema (OpenAPI 3 components + NIEM), offline."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "https://eido.invalid/"


def _repair(node: Any) -> Any:
    """NENA's openapi.yaml line 218 reads `minItems: 1,` (a YAML string "1,"): read it as 1."""
    if isinstance(node, dict):
        return {
            k: (int(v.rstrip(",")) if k in ("minItems", "maxItems") and isinstance(v, str) else _repair(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_repair(v) for v in node]
    return node


@lru_cache(maxsize=2)
def validator(standards: Path) -> Draft202012Validator:
    folder = standards / "eido"
    openapi = _repair(yaml.safe_load((folder / "openapi.yaml").read_text()))
    niem = yaml.safe_load((folder / "NIEMComponents" / "nc.yaml").read_text())
    registry = Registry().with_resources(
        [
            (BASE + "openapi.yaml", Resource.from_contents(openapi, default_specification=DRAFT202012)),
            (BASE + "NIEMComponents/nc.yaml", Resource.from_contents(niem, default_specification=DRAFT202012)),
        ]
    )
    schema = {"$ref": BASE + "openapi.yaml#/components/schemas/EmergencyIncidentDataObjectType"}
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors(standards: Path, document: dict[str, Any]) -> list[str]:
    """Schema violations as 'path: message' lines (empty when valid)."""
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in validator(standards).iter_errors(document)
    ]
