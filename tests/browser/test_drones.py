"""An operator files a declaration across a geozone and sees it rejected, with the reason, on the map."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from shapely.geometry import shape

from lantern.db import transaction
from lantern.drones import service as drone_service
from lantern.security.policy import Principal
from tests.browser.conftest import sign_in_as


def test_a_declaration_across_a_geozone_is_rejected_on_the_map(page: Page, live) -> None:
    with transaction(live.runtime.sessions) as session:
        heliport = next(z for z in drone_service.list_geozones(session, Principal.system("test")) if z.id == "heliport")
        centre = shape(heliport.geometry).centroid
    sign_in_as(page, live, "dispatcher")
    page.goto(f"{live.base_url}/drones")
    expect(page.locator("#drone-map")).to_have_attribute("data-ready", "true", timeout=15_000)
    page.evaluate(
        "([lon, lat]) => window.lanternDroneMap.jumpTo({ center: [lon, lat], zoom: 14 })", [centre.x, centre.y]
    )
    x, y = page.evaluate(
        "([lon, lat]) => { const p = window.lanternDroneMap.project([lon, lat]); return [p.x, p.y]; }",
        [centre.x, centre.y],
    )
    area = page.locator("#drone-map")
    for dx, dy in ((-60, -40), (60, -40), (0, 50)):
        area.click(position={"x": x + dx, "y": y + dy})
    expect(page.locator("#point-count")).to_have_text("3")
    page.fill("#operator", "FIN-OP-12345")
    page.fill("#aircraft", "DJI-AIR-3")
    page.fill("#purpose", "roof inspection")
    page.fill("#ceiling_m", "90")
    page.get_by_role("button", name="File declaration").click()
    page.wait_for_url(re.compile(r"/drones\?declaration=FD-\d+"))
    expect(page.locator("#decision")).to_contain_text("rejected")
    expect(page.locator("#decision")).to_contain_text("crosses geozone Hospital heliport")
    expect(page.locator(".maplibregl-popup-content")).to_contain_text(
        "rejected: crosses geozone Hospital heliport", timeout=10_000
    )
