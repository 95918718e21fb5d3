"""Public information pages as a resident reads them: traffic and alerts, fraud advice, in Chinese and English."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from lantern.kit.time import to_local
from lantern.models import FraudHit, FraudTransaction
from lantern.traffic import service as traffic_service
from lantern.traffic.schemas import GeometryIn, RoadEventCreate
from tests.factories.security import principal_for

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
LINE = GeometryIn(type="LineString", coordinates=[[24.9402, 60.1689], [24.9431, 60.1693], [24.9458, 60.1697]])
POINT = GeometryIn(type="Point", coordinates=[24.9384, 60.1699])


def road_event(session, clock, kind: str, road: str, *, starts_in_h: float = -1, **changes):
    fields = {
        "kind": kind,
        "geometry": LINE if kind == "roadwork" else POINT,
        "start_at": clock.now() + timedelta(hours=starts_in_h),
        "end_at": clock.now() + timedelta(days=2),
        "name": kind.title(),
        "description": "",
        "road_names": [road],
        "lanes_total": 2 if kind == "roadwork" else None,
        "lanes_closed": [2] if kind == "roadwork" else [],
    }
    return traffic_service.create_event(session, principal_for("supervisor"), RoadEventCreate(**{**fields, **changes}))


def detector_readings(session, tmp_path, end: datetime, *, rush_kmh: float) -> None:
    """Two detectors in the centre, 60 km/h for two days and ``rush_kmh`` in the last two hours."""
    times = [end - timedelta(minutes=15 * k) for k in range(2 * 96)]
    rows = [
        {"sensor_id": code, "time": t.isoformat(), "speed_kmh": rush_kmh if end - t < timedelta(hours=2) else 60.0}
        for code in ("d1", "d2")
        for t in times
    ]
    readings, locations = tmp_path / "readings.csv", tmp_path / "locations.csv"
    pl.DataFrame(rows).write_csv(readings)
    pl.DataFrame(
        {
            "sensor_id": ["d1", "d2"],
            "lat": [60.1689, 60.1700],
            "lon": [24.9402, 24.9450],
            "name": ["A", "B"],
            "length_m": [400.0, 600.0],
        }
    ).write_csv(locations)
    traffic_service.import_detectors(session, principal_for("supervisor"), readings, "lantern-detectors", locations)


def test_traffic_page_without_data_or_events_says_so_in_both_languages(client):
    chinese = client.get("/portal/traffic", headers=ZH)
    assert chinese.status_code == 200 and '<html lang="zh-CN">' in chinese.text
    assert "暂未收到交通监测数据" in chinese.text
    assert "目前没有道路施工、封闭或事故，道路正常通行。" in chinese.text
    assert "目前没有生效的公共安全预警。" in chinese.text
    english = client.get("/portal/traffic", headers=EN)
    assert "No traffic measurements have arrived yet" in english.text
    assert "No road works, closures or accidents right now." in english.text
    assert "No public safety alerts are in force right now." in english.text
    assert 'aria-current="page">Traffic and alerts<' in english.text


def test_road_events_are_listed_and_closures_under_way_are_alerts(client, session, clock):
    road_event(session, clock, "roadwork", "Aleksanterinkatu", description="Right lane closed for tram works")
    road_event(session, clock, "closure", "Mannerheimintie")
    road_event(session, clock, "closure", "Bulevardi", starts_in_h=20)  # planned: listed, not yet an alert
    road_event(session, clock, "closure", "Hiddenkatu", published=False)
    english = client.get("/portal/traffic", headers=EN).text
    events = english.split('id="road-events"')[1].split("</table>")[0]
    assert "Road events now or planned: 3" in events
    assert "Aleksanterinkatu" in events and "Right lane closed for tram works" in events and "1 of 2 closed" in events
    assert "Bulevardi" in events and "Planned" in events
    assert "Hiddenkatu" not in english
    alerts = english.split('id="alerts"')[1].split("</section>")[0]
    assert "Road closure: Mannerheimintie" in alerts and "Avoid the area and use another route." in alerts
    assert "Bulevardi" not in alerts and "Aleksanterinkatu" not in alerts  # planned, and works only slow traffic
    assert "/api/traffic/feeds/cap/" in alerts
    # Times are the city's (Helsinki), written the reader's way.
    end = to_local(clock.now() + timedelta(days=2), "Europe/Helsinki")
    assert f"In force until {end.day} {end:%b} {end.year} {end:%H:%M}." in alerts
    chinese = client.get("/portal/traffic", headers=ZH).text
    assert "道路封闭: Mannerheimintie" in chinese and "请避开该区域，绕行其他道路。" in chinese
    assert "2 条车道中封闭 1 条" in chinese and "计划中" in chinese
    assert f"有效期至 {end.year}年{end.month}月{end.day}日 {end:%H:%M}" in chinese


def test_the_city_index_now_and_today_hour_by_hour(client, session, tmp_path):
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    detector_readings(session, tmp_path, end, rush_kmh=30.0)  # half free-flow speed: TTI 2.0, index 7.3
    english = client.get("/portal/traffic", headers=EN).text
    assert '<span class="i-value">7.3</span> / 10' in english
    assert "Moderate congestion" in english
    assert "Journeys take about 100% longer than on empty roads" in english
    today = english.split('id="today-table"')[1].split("</table>")[0]
    local_end = to_local(end, "Europe/Helsinki")
    assert today.count("<tr>") == 1 + local_end.hour + 1  # header + every local hour so far today
    assert f"<td>{local_end:%H}:00</td>" in today
    chinese = client.get("/portal/traffic", headers=ZH).text
    assert '<span class="i-value">7.3</span> / 10' in chinese and "中度拥堵" in chinese
    assert "出行时间比道路畅通时约多 100%" in chinese


# --- fraud advice ----------------------------------------------------------------------------


def _pseudonym(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def flagged_payments(session, typology: str, kind: str, count: int, *, days_ago: float, accounts: int = 1) -> None:
    """``count`` payments flagged by ``typology``, each about ``accounts`` accounts (one hit per account)."""
    now = datetime.now(UTC)
    for n in range(count):
        at = now - timedelta(days=days_ago, minutes=n)
        tx = FraudTransaction(
            partner="bank-a",
            tx_ref=f"{typology}-{days_ago}-{n}",
            time=at,
            from_account=_pseudonym(f"payer-{n}"),
            to_account=_pseudonym(f"payee-{typology}-{n}"),
            amount=5000.0,
            currency="CNY",
            channel="mobile",
            received_at=at,
        )
        session.add(tx)
        session.flush()
        for a in range(accounts):
            session.add(
                FraudHit(
                    transaction_id=tx.id,
                    account=_pseudonym(f"account-{typology}-{n}-{a}"),
                    typology=typology,
                    kind=kind,
                    score=80.0,
                    action="alert",
                    rules=["victim_pattern"],
                    created_at=at,
                )
            )
    session.flush()


def test_fraud_advice_reads_well_when_nothing_was_flagged(client):
    chinese = client.get("/portal/fraud-advice", headers=ZH).text
    assert "冒充公检法的来电" in chinese and "所有刷单返利都是诈骗。" in chinese and "96110" in chinese
    assert "最近 30 天识别出的可疑转账太少，暂不公布具体数字。" in chinese
    english = client.get("/portal/fraud-advice", headers=EN).text
    for heading in (
        "Calls from “police”, “prosecutors” or “courts”",
        "Investment and romance scams",
        "Fake customer service and refunds",
        "Part-time jobs liking posts or “boosting orders”",
        "Loan scams",
    ):
        assert heading in english
    assert "Too few payments were flagged in the last 30 days to publish figures." in english


def test_scam_patterns_show_counts_withhold_small_ones_and_no_personal_data(client, session):
    flagged_payments(session, "scam_payment", "fraud", 7, days_ago=2, accounts=2)  # 7 payments, 14 hits
    flagged_payments(session, "scam_payment", "fraud", 12, days_ago=40)  # the 30 days before
    flagged_payments(session, "cash_out", "fraud", 4, days_ago=3)  # too few to publish
    flagged_payments(session, "structuring", "laundering", 5, days_ago=10)  # exactly the threshold
    flagged_payments(session, "mule_pass_through", "laundering", 9, days_ago=75)  # older than both windows
    english = client.get("/portal/fraud-advice", headers=EN).text
    table = english.split('id="scam-patterns"')[1].split("</table>")[0]
    rows = {row.split("<br>")[0].split(">")[-1].strip(): row for row in table.split('<th scope="row">')[1:]}
    scam = rows["Paying a new payee soon after a call from a known scam number"]
    assert [cell.split("<")[0] for cell in scam.split('<td class="num">')[1:]] == ["7", "12"]
    cash = rows["Money received and taken out in cash at once"]
    assert [cell.split("<")[0] for cell in cash.split('<td class="num">')[1:]] == ["fewer than 5", "none"]
    structuring = rows["Transfers split to stay under reporting limits"]
    assert [cell.split("<")[0] for cell in structuring.split('<td class="num">')[1:]] == ["5", "none"]
    mule = rows["Bank accounts used to pass scam money on"]
    assert [cell.split("<")[0] for cell in mule.split('<td class="num">')[1:]] == ["none", "none"]
    assert "Too few payments" not in english
    # No pseudonym, reference or amount reaches the page.
    for secret in (_pseudonym("account-scam_payment-0-0"), _pseudonym("payer-0"), "scam_payment-2-0", "5,000"):
        assert secret not in english
    chinese = client.get("/portal/fraud-advice", headers=ZH).text
    assert "少于 5 笔" in chinese and "接到已知诈骗号码来电后，向陌生账户转账" in chinese


@pytest.mark.parametrize("path", ["/portal/traffic", "/portal/fraud-advice"])
def test_info_pages_are_public_and_switch_language(client, path):
    page = client.get(f"{path}?lang=en", headers=ZH)
    assert page.status_code == 200 and '<html lang="en">' in page.text
    assert f'href="{path}?lang=zh"' in page.text
