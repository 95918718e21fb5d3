"""The report types residents can file, from the packaged ``services.toml`` (Open311 ``/services``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

DATATYPES = ("string", "text", "number", "singlevaluelist")


@dataclass(frozen=True)
class AttributeValue:
    key: str
    name: dict[str, str]


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    required: bool
    description: dict[str, str]
    values: tuple[AttributeValue, ...] = ()
    order: int = 0


@dataclass(frozen=True)
class Service:
    code: str
    group: dict[str, str]
    name: dict[str, str]
    description: dict[str, str]
    keywords: tuple[str, ...]
    location: bool
    public_description: bool
    category: str
    agency: dict[str, str]
    expected_days: int
    attributes: tuple[Attribute, ...] = field(default_factory=tuple)

    def text(self, part: str, lang: str) -> str:
        """A translated part (name, group, description, agency) in ``lang``, English if missing."""
        values: dict[str, str] = getattr(self, part)
        return values.get(lang) or values["en"]


def _attribute(raw: dict[str, Any], order: int, service: str) -> Attribute:
    if raw["datatype"] not in DATATYPES:
        raise ValueError(f"services.toml: {service}.{raw['code']}: datatype {raw['datatype']!r} not in {DATATYPES}")
    values = tuple(AttributeValue(v[0], {"zh": v[1], "en": v[2]}) for v in raw.get("values", []))
    if raw["datatype"] == "singlevaluelist" and not values:
        raise ValueError(f"services.toml: {service}.{raw['code']}: a singlevaluelist needs values")
    return Attribute(raw["code"], raw["datatype"], bool(raw.get("required", False)), raw["description"], values, order)


def parse(text: str) -> dict[str, Service]:
    """Services by code from TOML text; raises ValueError naming the bad entry."""
    services: dict[str, Service] = {}
    for raw in tomllib.loads(text)["service"]:
        code = raw["code"]
        if code in services:
            raise ValueError(f"services.toml: service code {code!r} appears twice")
        services[code] = Service(
            code=code,
            group=raw["group"],
            name=raw["name"],
            description=raw["description"],
            keywords=tuple(raw.get("keywords", [])),
            location=bool(raw["location"]),
            public_description=bool(raw.get("public_description", True)),
            category=raw["category"],
            agency=raw["agency"],
            expected_days=int(raw.get("expected_days", 7)),
            attributes=tuple(_attribute(a, n, code) for n, a in enumerate(raw.get("attributes", []), start=1)),
        )
    return services


@cache
def services() -> dict[str, Service]:
    """The packaged catalogue, in file order."""
    return parse((resources.files("lantern.portal.reports") / "services.toml").read_text(encoding="utf-8"))
