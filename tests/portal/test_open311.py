"""Open311 GeoReport v2: every endpoint in JSON and XML, and the spec's error lists for bad input."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest

from lantern.portal.reports import service as report_service
from lantern.portal.reports.schemas import ReportIn
from lantern.security.policy import Principal
from tests.factories.security import bearer, principal_for

BASE = "/open311/v2"
NOISE = {
    "service_code": "noise",
    "address_string": "Annankatu 25",
    "description": "Loud music every night after midnight.",
    "attribute[noise_kind]": "music",
    "email": "resident@example.org",
    "first_name": "Mei",
}


@pytest.fixture
def api_key(session) -> str:
    return bearer(session, ["portal:submit"])["Authorization"].removeprefix("Bearer ")


def xml(response) -> ET.Element:
    assert response.headers["content-type"].startswith("text/xml")
    return ET.fromstring(response.content)  # raises on anything not well-formed


def errors_of(response, fmt: str) -> list[tuple[int, str]]:
    if fmt == "json":
        return [(e["code"], e["description"]) for e in response.json()]
    root = xml(response)
    assert root.tag == "errors"
    return [(int(e.findtext("code")), e.findtext("description")) for e in root.findall("error")]


def post(client, fmt: str, api_key: str, **changes) -> object:
    data = {**NOISE, "api_key": api_key, **changes}
    return client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_points_at_the_v2_endpoint(client, fmt):
    response = client.get(f"{BASE}/discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        endpoint = response.json()["endpoints"][0]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"].endswith("/open311/v2") and "text/xml" in endpoint["formats"]
    else:
        root = xml(response)
        assert root.tag == "discovery"
        assert root.findtext("endpoints/endpoint/specification") == "http://wiki.open311.org/GeoReport_v2"
        assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["application/json", "text/xml"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_list_the_catalogue_in_the_asked_language(client, fmt):
    english = client.get(f"{BASE}/services.{fmt}?lang=en")
    chinese = client.get(f"{BASE}/services.{fmt}", headers={"Accept-Language": "zh-CN"})
    if fmt == "json":
        by_code = {s["service_code"]: s for s in english.json()}
        assert by_code["street_light"]["service_name"] == "Broken street light"
        assert by_code["noise"]["metadata"] is True and by_code["street_light"]["metadata"] is False
        assert {s["service_code"]: s["service_name"] for s in chinese.json()}["fraud_call"] == "疑似诈骗电话"
    else:
        root = xml(english)
        assert root.tag == "services"
        services = {s.findtext("service_code"): s for s in root.findall("service")}
        assert set(services) >= {
            "noise",
            "abandoned_vehicle",
            "street_light",
            "fraud_call",
            "graffiti",
            "website_problem",
        }
        assert services["noise"].findtext("metadata") == "true" and services["noise"].findtext("type") == "realtime"
        assert services["abandoned_vehicle"].findtext("group") == "Roads and traffic"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_definition_lists_the_attributes(client, fmt):
    response = client.get(f"{BASE}/services/noise.{fmt}?lang=en")
    assert response.status_code == 200
    if fmt == "json":
        [attribute] = response.json()["attributes"]
        assert (
            attribute["code"] == "noise_kind" and attribute["datatype"] == "singlevaluelist" and attribute["required"]
        )
        assert {"key": "music", "name": "Music or party"} in attribute["values"]
    else:
        root = xml(response)
        assert root.tag == "service_definition" and root.findtext("service_code") == "noise"
        attribute = root.find("attributes/attribute")
        assert attribute.findtext("code") == "noise_kind" and attribute.findtext("required") == "true"
        assert [v.findtext("key") for v in attribute.findall("values/value")] == [
            "music",
            "construction",
            "machinery",
            "other",
        ]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_definition_is_a_404_error_list(client, fmt):
    response = client.get(f"{BASE}/services/fireworks.{fmt}")
    assert response.status_code == 404
    [(code, description)] = errors_of(response, fmt)
    assert code == 404 and "fireworks" in description and "service_code" in description


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_request_then_read_it_by_id_and_by_token(client, api_key, fmt):
    created = post(client, fmt, api_key)
    assert created.status_code == 201, created.text
    if fmt == "json":
        [answer] = created.json()
        request_id, token = answer["service_request_id"], answer["token"]
    else:
        root = xml(created)
        assert root.tag == "service_requests"
        request_id, token = root.findtext("request/service_request_id"), root.findtext("request/token")
    assert request_id and len(token) == 12

    one = client.get(f"{BASE}/requests/{request_id}.{fmt}?lang=en")
    found = client.get(f"{BASE}/tokens/{token}.{fmt}")
    if fmt == "json":
        [item] = one.json()
        assert item["status"] == "open" and item["service_code"] == "noise" and item["service_name"] == "Noise"
        assert item["lat"] and item["long"] and item["address"] and item["requested_datetime"]
        assert item["agency_responsible"] == "Local police station" and item["expected_datetime"]
        assert found.json() == [{"service_request_id": request_id, "token": token}]
    else:
        item = xml(one).find("request")
        assert item.findtext("status") == "open" and item.findtext("service_code") == "noise"
        assert float(item.findtext("lat")) and float(item.findtext("long"))
        assert xml(found).findtext("request/service_request_id") == request_id
    # Nothing about the reporter is ever published.
    assert "resident@example.org" not in one.text and "Mei" not in one.text


def _file(session, **changes) -> int:
    values = {"service_code": "noise", "description": "Drilling at night.", "address_string": "Annankatu 25"}
    values["attributes"] = {"noise_kind": "construction"}
    values.update(changes)
    return report_service.create(session, Principal.anonymous(), ReportIn(**values)).report.id


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_get_requests_filters_by_ids_service_status_and_dates(client, session, clock, fmt):
    old = _file(session)
    clock.advance(days=100)
    fresh = _file(session)
    light = _file(session, service_code="street_light", attributes={})
    report_service.change_status(session, principal_for("dispatcher"), light, "resolved", "Lamp replaced.")

    def ids(query: str) -> list[str]:
        response = client.get(f"{BASE}/requests.{fmt}?{query}")
        assert response.status_code == 200, response.text
        if fmt == "json":
            return [r["service_request_id"] for r in response.json()]
        return [r.findtext("service_request_id") for r in xml(response).findall("request")]

    recent = ids("")
    assert str(fresh) in recent and str(light) in recent and str(old) not in recent  # last 90 days by default
    assert ids(f"service_request_id={old},{light}") == [str(light), str(old)]
    assert ids("service_code=street_light") == [str(light)]
    assert str(light) not in ids("status=open") and str(fresh) in ids("status=open")
    assert ids("status=closed") == [str(light)]
    start = (clock.now() - timedelta(days=200)).isoformat()
    end = (clock.now() - timedelta(days=50)).isoformat().replace("+00:00", "Z")
    assert str(old) in ids(f"start_date={start.replace('+', '%2B')}&end_date={end}")
    closed = client.get(f"{BASE}/requests/{light}.{fmt}?lang=en")
    assert "Lamp replaced." in closed.text and ("closed" in closed.text)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"service_code": "fireworks"}, "service_code", "not a type of report"),
        ({"address_string": None}, "address_string", "Say where"),
        ({"description": "x" * 4001}, "description", "at most 4000"),
        ({"address_string": None, "lat": "91.5", "long": "24.9"}, "lat", "between -90 and 90"),
        ({"address_string": None, "lat": "60.17", "long": "east"}, "long", "not a longitude"),
        ({"attribute[noise_kind]": "opera"}, "attribute[noise_kind]", "not one of"),
        ({"media_url": "http://example.org/a.jpg"}, "media_url", "photos"),
        ({"email": "nobody"}, "email", "not an e-mail address"),
    ],
)
def test_bad_input_gives_an_error_list_naming_the_field(client, api_key, fmt, changes, field, words):
    response = post(client, fmt, api_key, **changes)
    assert response.status_code == 400
    problems = errors_of(response, fmt)
    assert any(code == 400 and text.startswith(f"{field}:") and words in text for code, text in problems), problems


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_several_problems_come_as_several_errors(client, api_key, fmt):
    response = post(client, fmt, api_key, address_string=None, description="x" * 4001)
    fields = sorted(text.split(":")[0] for _, text in errors_of(response, fmt))
    assert fields == ["address_string", "description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start_date=yesterday", "start_date"),
        ("end_date=2026-13-40", "end_date"),
        ("start_date=2026-05-02T00:00:00Z&end_date=2026-05-01T00:00:00Z", "start_date"),
        ("start_date=0001-01-01T00:00:00%2B05:00", "start_date"),  # falls off the calendar in UTC
        ("status=pending", "status"),
        ("service_code=fireworks", "service_code"),
        ("service_request_id=12,abc", "service_request_id"),
    ],
)
def test_bad_filters_give_an_error_list(client, fmt, query, field):
    response = client.get(f"{BASE}/requests.{fmt}?{query}")
    assert response.status_code == 400
    [(code, description)] = errors_of(response, fmt)
    assert code == 400 and description.startswith(f"{field}:")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_filing_needs_a_key_with_the_submit_scope(client, session, fmt):
    missing = post(client, fmt, "")
    assert missing.status_code == 403 and errors_of(missing, fmt)[0][1].startswith("api_key:")
    wrong = post(client, fmt, "lt_not-a-real-key")
    assert wrong.status_code == 403 and "unknown" in errors_of(wrong, fmt)[0][1]
    other_scope = bearer(session, ["crowd:report"])["Authorization"].removeprefix("Bearer ")
    refused = post(client, fmt, other_scope)
    assert refused.status_code == 403 and "portal:submit" in errors_of(refused, fmt)[0][1]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_request_and_token_are_404_error_lists(client, fmt):
    assert errors_of(client.get(f"{BASE}/requests/99999999.{fmt}"), fmt)[0][0] == 404
    assert errors_of(client.get(f"{BASE}/tokens/0000-0000-0000.{fmt}"), fmt)[0][0] == 404


def test_an_unknown_format_is_refused(client):
    response = client.get(f"{BASE}/services.csv")
    assert response.status_code == 404 and response.json()[0]["description"].startswith("format:")


def test_fraud_report_text_is_not_published(client, api_key):
    created = post(
        client,
        "json",
        api_key,
        service_code="fraud_call",
        address_string=None,
        description="Caller from 138-0000-1234 said he was from my bank.",
        **{"attribute[noise_kind]": None, "attribute[channel]": "phone", "attribute[money_lost]": "no"},
    )
    assert created.status_code == 201, created.text
    request_id = created.json()[0]["service_request_id"]
    shown = client.get(f"{BASE}/requests/{request_id}.json").json()[0]
    assert shown["description"] is None and "138-0000" not in client.get(f"{BASE}/requests.json").text


def test_the_request_list_is_never_stale_after_a_change(client, session, clock):
    """The serialised list is reused between readers, but a new or changed request shows at once."""
    first = _file(session)
    before = client.get(f"{BASE}/requests.json").json()
    assert client.get(f"{BASE}/requests.json").json() == before  # the same answer, from the cache
    assert [r["status"] for r in before if r["service_request_id"] == str(first)] == ["open"]

    clock.advance(seconds=5)
    triage = principal_for("dispatcher")
    report_service.change_status(session, triage, first, "resolved", "The music has stopped; thank you.")
    after = {r["service_request_id"]: r for r in client.get(f"{BASE}/requests.json").json()}
    assert after[str(first)]["status"] == "closed"
    assert after[str(first)]["status_notes"] == "The music has stopped; thank you."

    second = _file(session)
    assert str(second) in {r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json()}
