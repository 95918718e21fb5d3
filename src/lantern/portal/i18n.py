"""Languages of the public portal: gettext catalogues (Babel) and locale-aware formatting.

A language's catalogue is every ``.po`` file in ``portal/locale/<lang>/LC_MESSAGES/`` (one per
part of the portal, so parts are translated independently), merged and compiled in memory on
first use: there is no binary ``.mo`` file to forget to rebuild. English is the source language:
its "translation" is the message id. ``make messages`` extracts every id into
``locale/messages.pot``; ``tests/portal/test_i18n.py`` fails while any id lacks a Chinese
translation, or two files translate one id differently.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

COOKIE = "lantern_lang"


@dataclass(frozen=True)
class Language:
    code: str  # what the URL and the cookie say: "zh", "en"
    html_lang: str  # BCP 47 for <html lang>: screen readers pick their voice from it
    locale: str  # Babel locale for dates and numbers
    label: str  # the language's name in itself, for the switcher

    @property
    def babel_locale(self) -> Locale:
        return Locale.parse(self.locale)


LANGUAGES: dict[str, Language] = {
    "zh": Language("zh", "zh-CN", "zh_Hans_CN", "中文"),
    "en": Language("en", "en", "en_GB", "English"),
}


def mark(message: str) -> str:
    """Mark a message id for the catalogue (modules import it as ``_``); it is translated where shown."""
    return message


def catalogue_files(code: str) -> list[Path]:
    """The ``.po`` files of a language, in name order."""
    folder = Path(str(resources.files("lantern") / "portal" / "locale" / code / "LC_MESSAGES"))
    return sorted(folder.glob("*.po"))


def read_catalogue(code: str) -> Catalog:
    """Every ``.po`` file of a language merged into one catalogue."""
    merged = Catalog(locale=LANGUAGES[code].locale)
    for path in catalogue_files(code):
        with path.open("rb") as po:
            for message in read_po(po, locale=LANGUAGES[code].locale):
                if message.id and message.string and not message.fuzzy:
                    merged[message.id] = message
    return merged


@cache
def translations(code: str) -> NullTranslations:
    """Compiled translations for a language; English (the source language) translates to itself."""
    if code == "en":
        return NullTranslations()
    catalogue = read_catalogue(code)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)  # fuzzy guesses are not shown to residents
    compiled.seek(0)
    return Translations(fp=compiled)


def _parse_accept_language(header: str) -> list[str]:
    """Language tags from an Accept-Language header, most preferred first."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        if not tag or tag == "*":
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((-quality, position, tag.strip().lower()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(asked: str | None, cookie: str | None, accept_language: str, default: str) -> Language:
    """The language to answer in: an explicit choice, then the remembered one, then the browser's."""
    for choice in (asked, cookie):
        if choice in LANGUAGES:
            return LANGUAGES[choice]
    for tag in _parse_accept_language(accept_language):
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return LANGUAGES[primary]
    return LANGUAGES[default]


class Translator:
    """gettext for one language, with ``%(name)s`` placeholders filled after translation."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self._translations = translations(language.code)

    def gettext(self, message: str, **variables: Any) -> str:
        text = self._translations.gettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, n: int, **variables: Any) -> str:
        text = self._translations.ngettext(singular, plural, n)
        return text % {"num": n, **variables}


class Formats:
    """Dates, numbers and addresses written the way a reader of the language expects."""

    def __init__(self, language: Language, timezone: str) -> None:
        self.locale = language.babel_locale
        self.code = language.code
        self.zone = ZoneInfo(timezone)

    def datetime(self, value: datetime | None, width: str = "medium") -> str:
        if value is None:
            return ""
        return dates.format_datetime(value, width, tzinfo=self.zone, locale=self.locale)

    def date(self, value: date | datetime | None, width: str = "medium") -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(self.zone).date()
        return dates.format_date(value, width, locale=self.locale)

    def time(self, value: datetime | None, width: str = "short") -> str:
        if value is None:
            return ""
        return dates.format_time(value, width, tzinfo=self.zone, locale=self.locale)

    def weekday(self, value: date | datetime) -> str:
        return dates.format_date(value, "EEEE", locale=self.locale)

    def number(self, value: int | float | Decimal, digits: int | None = None) -> str:
        if digits is not None:
            pattern = f"#,##0.{'0' * digits}" if digits else "#,##0"
            return numbers.format_decimal(value, format=pattern, locale=self.locale)
        return numbers.format_decimal(value, locale=self.locale)

    def percent(self, value: float) -> str:
        return numbers.format_percent(value, locale=self.locale)

    def address(self, street: str, number: str = "", district: str = "", city: str = "") -> str:
        """Chinese addresses run from the largest unit to the smallest; English ones the other way."""
        if self.code == "zh":
            return "".join(part for part in (city, district, street, f"{number}号" if number else "") if part)
        first = " ".join(part for part in (street, number) if part)
        return ", ".join(part for part in (first, district, city) if part)
