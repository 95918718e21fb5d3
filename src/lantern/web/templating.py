"""Jinja2 templates with the filters every page uses."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from pathlib import Path

from fastapi.templating import Jinja2Templates

from lantern import __version__
from lantern.kit.time import to_local

TEMPLATE_DIR = Path(str(resources.files("lantern") / "templates"))
STATIC_DIR = Path(str(resources.files("lantern") / "static"))


def make_templates(city_timezone: str) -> Jinja2Templates:
    """Templates whose ``localtime`` filter shows UTC values in the city's zone."""
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))

    def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return "" if value is None else to_local(value, city_timezone).strftime(fmt)

    templates.env.filters["localtime"] = localtime
    templates.env.globals["version"] = __version__
    templates.env.globals["city_timezone"] = city_timezone
    return templates
