"""Everything ``lantern demo`` builds: schema, demo city, simulated history and accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lantern.city import service as city_service
from lantern.city.osm import build_from_osm, helsinki_extract
from lantern.db import transaction
from lantern.fraud import demo as fraud_demo
from lantern.hazmat import demo as hazmat_demo
from lantern.portal.appointments import service as appointment_service
from lantern.runtime import Runtime
from lantern.security import service as security_service
from lantern.sim import airspace as airspace_demo
from lantern.sim import fleet as fleet_demo
from lantern.sim import service as sim_service
from lantern.sim.accounts import DemoAccount, create_demo_accounts, write_credentials
from lantern.sim.history import HistoryParams
from lantern.store import upgrade
from lantern.traffic import demo as traffic_demo


@dataclass
class DemoPrepared:
    done: list[str]
    accounts: list[DemoAccount]


def prepare_demo(runtime: Runtime, seed: int) -> DemoPrepared:
    """Create the schema, the demo city, its history and accounts when missing."""
    done = []
    before, after = upgrade(runtime.engine)
    if before != after:
        done.append(f"schema created at {after}")
    settings = runtime.settings
    with transaction(runtime.sessions) as session:
        if city_service.get(session) is None:
            build = build_from_osm(helsinki_extract(), settings.city_name)
            summary = city_service.import_city(session, build, h3_resolution=settings.h3_resolution)
            done.append(
                f"demo city built from the Helsinki OSM extract: {summary.districts} districts, "
                f"{summary.road_edges} road segments, {summary.addresses} addresses"
            )
    with transaction(runtime.sessions) as session:
        if not sim_service.has_history(session):
            end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
            params = HistoryParams(seed=seed, end=end, timezone=settings.city_timezone)
            demo = sim_service.build_demo(session, params, settings.h3_resolution)
            done.append(
                f"{demo.stations} stations, {demo.units} units and {demo.incidents} incidents simulated (seed {seed})"
            )
    with transaction(runtime.sessions) as session:
        if not traffic_demo.has_demo(session):
            end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
            traffic = traffic_demo.build_demo(session, end=end, timezone=settings.city_timezone, seed=seed)
            done.append(
                f"traffic: {traffic.trips} probe trips over a simulated day ({traffic.fixes} GPS fixes, "
                f"{traffic.segment_slots} segment speeds) and {traffic.events} road events"
            )
    with transaction(runtime.sessions) as session:
        done.extend(fleet_demo.setup(session))
        done.extend(airspace_demo.setup(session))
        done.extend(hazmat_demo.setup(session))
    with transaction(runtime.sessions) as session:
        if halls := appointment_service.seed_halls(session):
            done.append(f"appointments: {halls} service halls with opening hours")
    with transaction(runtime.sessions) as session:
        done.extend(fraud_demo.setup(session))
    accounts: list[DemoAccount] = []
    with transaction(runtime.sessions) as session:
        if not security_service.list_users(session):
            accounts = create_demo_accounts(session, settings)
            path = write_credentials(accounts, settings.data_dir)
            done.append(f"{len(accounts)} demo accounts created (credentials in {path})")
    return DemoPrepared(done, accounts)
