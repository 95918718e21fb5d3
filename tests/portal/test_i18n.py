"""The portal speaks Chinese and English: complete catalogues, negotiation, formats, the switch."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from lantern.portal import i18n
from lantern.portal.i18n import LANGUAGES, Formats, negotiate

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _extracted_ids() -> dict[str, str]:
    """Every message id in the portal's templates and Python code, with where it was found."""
    ids: dict[str, str] = {}
    method_map = [("src/lantern/portal/**.py", "python"), ("src/lantern/templates/portal/**.html", "jinja2")]
    options = {"src/lantern/templates/portal/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2)}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords=keywords
    ):
        # A plural message (ngettext) is catalogued under its singular form.
        text = message[0] if isinstance(message, tuple) else message
        if text:
            ids.setdefault(text, filename)
    return ids


def test_every_portal_message_has_a_chinese_translation():
    catalogue = i18n.read_catalogue("zh")
    missing = [f"{text!r} ({where})" for text, where in sorted(_extracted_ids().items()) if text not in catalogue]
    assert not missing, "untranslated portal messages:\n" + "\n".join(missing)


def test_catalogue_files_agree_and_keep_placeholders():
    seen: dict[str, tuple[str, str]] = {}
    problems = []
    for path in i18n.catalogue_files("zh"):
        with path.open("rb") as po:
            for message in read_po(po, locale="zh_Hans_CN"):
                if not message.id or not isinstance(message.id, str):
                    continue
                if set(PLACEHOLDER.findall(message.id)) != set(PLACEHOLDER.findall(str(message.string))):
                    problems.append(f"{path.name}: placeholders differ in {message.id!r}")
                earlier = seen.get(message.id)
                if earlier and earlier[1] != message.string:
                    problems.append(f"{message.id!r}: {earlier[0]} and {path.name} translate it differently")
                seen[message.id] = (path.name, str(message.string))
    assert seen, "no Chinese catalogue found"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("asked", "cookie", "header", "expected"),
    [
        ("en", "zh", "zh-CN", "en"),  # an explicit choice wins
        (None, "en", "zh-CN,zh;q=0.9", "en"),  # then the remembered one
        (None, None, "fr-FR, en-GB;q=0.8, zh;q=0.5", "en"),  # then the browser's first known language
        (None, None, "en;q=0.2, zh-TW;q=0.9", "zh"),  # by weight, not by position
        (None, None, "", "zh"),  # then the city's default
        ("xx", "yy", "de", "zh"),  # unknown values are ignored, never an error
    ],
)
def test_language_negotiation(asked, cookie, header, expected):
    assert negotiate(asked, cookie, header, "zh").code == expected


def test_dates_numbers_and_addresses_follow_the_language():
    moment = datetime(2026, 3, 5, 6, 30, tzinfo=UTC)
    zh, en = Formats(LANGUAGES["zh"], "Asia/Shanghai"), Formats(LANGUAGES["en"], "Asia/Shanghai")
    assert zh.date(moment, "long") == "2026年3月5日"
    assert en.date(moment, "long") == "5 March 2026"
    assert zh.time(moment) == "14:30"  # in the city's zone, not UTC
    assert en.number(1234567.5, 1) == "1,234,567.5"
    assert zh.address("人民路", "12", "东城区", "示范市") == "示范市东城区人民路12号"
    assert en.address("Renmin Road", "12", "Dongcheng", "Demo City") == "Renmin Road 12, Dongcheng, Demo City"


def test_home_page_in_each_language(client):
    chinese = client.get("/portal", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese.status_code == 200
    assert '<html lang="zh-CN">' in chinese.text and "反映问题" in chinese.text
    english = client.get("/portal", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text and "Report a problem" in english.text
    assert "反映问题" not in english.text


def test_switching_language_is_remembered(client):
    switched = client.get("/portal/accessibility?lang=en", headers={"Accept-Language": "zh-CN"})
    assert "Accessibility statement" in switched.text
    assert switched.cookies.get(i18n.COOKIE) == "en"
    # The next page, without ?lang=, stays in English although the browser prefers Chinese.
    again = client.get("/portal", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in again.text
    # The switcher links keep the page and swap only the language.
    assert 'href="/portal/accessibility?lang=zh"' in switched.text
