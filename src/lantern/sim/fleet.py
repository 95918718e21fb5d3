"""The monitoring demo: hazardous-goods trucks with built-in JT/T 808 terminals, and RFID readers.

``setup`` registers (once) six trucks and their terminals, a restricted old-town zone, a school
circle, readers and two hotlist entries. ``DemoFleet.run`` then drives the trucks along the demo
city's roads, each over its own TCP connection to the real gateway, speaking JT/T 808 like a
vehicle would. Truck HG-02 speeds, HG-03 uploads four hours of stored fixes when it connects (a
blind-area re-upload, 0x0704) and so is over the continuous-driving limit at once, HG-04 drives
into the old town; a fixed RFID reader sees ordinary tags and, now and then, a stolen motorcycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from lantern.city import service as city_service
from lantern.db import transaction
from lantern.dispatch import service as dispatch_service
from lantern.errors import DomainError
from lantern.monitor import hotlist_service
from lantern.monitor import service as monitor_service
from lantern.monitor.jt808 import messages as m
from lantern.monitor.jt808.terminal import SimTerminal
from lantern.monitor.schemas import CandidateIn, GeofenceIn, HotlistEntryIn, ReaderIn, ReadIn, VehicleCreate
from lantern.runtime import Runtime
from lantern.security.policy import Principal

log = logging.getLogger("lantern.sim.fleet")
OPERATOR = Principal.system("sim-fleet")
REPORT_S = 5.0  # a real terminal reports every 10-30 s; faster here so the map moves
BATCH_ITEMS = 25  # 0x0704 items per frame (each ~30 bytes; the body limit is 1,023)
STOLEN_TAG = "E200341201B80C01"
STOLEN_PLATE = "ABC-123"


@dataclass(frozen=True)
class Truck:
    id: str
    plate: str
    phone: str
    cruise_kmh: float
    behaviour: str  # normal | speeding | tired | zone


TRUCKS = (
    Truck("HG-01", "HG-101", "13900000001", 45, "normal"),
    Truck("HG-02", "HG-102", "13900000002", 95, "speeding"),
    Truck("HG-03", "HG-103", "13900000003", 45, "tired"),
    Truck("HG-04", "HG-104", "13900000004", 40, "zone"),
    Truck("HG-05", "HG-105", "13900000005", 50, "normal"),
    Truck("HG-06", "HG-106", "13900000006", 50, "normal"),
)


def _centre(session: Session) -> tuple[float, float]:
    city = city_service.get_or_raise(session)
    return (city.min_lat + city.max_lat) / 2, (city.min_lon + city.max_lon) / 2


def setup(session: Session) -> list[str]:
    """Register the demo fleet, zones, readers and hotlist (idempotent)."""
    if monitor_service.vehicle_exists(session, TRUCKS[0].id):
        return []
    for truck in TRUCKS:
        monitor_service.create_vehicle(
            session,
            OPERATOR,
            VehicleCreate(
                id=truck.id,
                plate=truck.plate,
                vehicle_class="hazardous_goods",
                operator="Demo Chemicals Oy",
                terminal_phone=truck.phone,
            ),
        )
    lat, lon = _centre(session)
    d_lat, d_lon = 0.004, 0.008
    old_town = [
        [lon - d_lon, lat - d_lat],
        [lon + d_lon, lat - d_lat],
        [lon + d_lon, lat + d_lat],
        [lon - d_lon, lat + d_lat],
        [lon - d_lon, lat - d_lat],
    ]
    monitor_service.save_geofence(
        session,
        OPERATOR,
        GeofenceIn(
            id="old-town",
            name="Old town (no hazardous goods)",
            shape="polygon",
            geometry={"type": "Polygon", "coordinates": [old_town]},
            alert_on="enter",
            classes=["hazardous_goods"],
            severity="critical",
        ),
    )
    monitor_service.save_geofence(
        session,
        OPERATOR,
        GeofenceIn(
            id="school-12",
            name="School No. 12",
            shape="circle",
            geometry={"type": "Point", "coordinates": [lon + 0.02, lat + 0.006]},
            size_m=250,
            alert_on="enter",
        ),
    )
    hotlist_service.save_reader(
        session,
        OPERATOR,
        ReaderIn(id="RFID-1", name="Main street RFID gate", kind="tag", lat=lat + 0.006, lon=lon - 0.01),
    )
    hotlist_service.save_reader(
        session,
        OPERATOR,
        ReaderIn(id="CAM-1", name="Harbour road camera", kind="plate", lat=lat - 0.006, lon=lon + 0.012),
    )
    expires = datetime.now(UTC) + timedelta(days=180)
    hotlist_service.add_entry(
        session,
        OPERATOR,
        HotlistEntryIn(
            kind="tag",
            value=STOLEN_TAG,
            case_ref="DEMO-2026-0117",
            description="Stolen motorcycle, red 125 cc",
            expires_at=expires,
        ),
    )
    hotlist_service.add_entry(
        session,
        OPERATOR,
        HotlistEntryIn(
            kind="plate",
            value=STOLEN_PLATE,
            case_ref="DEMO-2026-0121",
            description="Stolen grey estate car",
            expires_at=expires,
        ),
    )
    return [
        f"monitoring: {len(TRUCKS)} hazardous-goods trucks with JT/T 808 terminals, "
        "2 geofences, 2 readers, 2 hotlist entries"
    ]


@dataclass
class Trip:
    points: list[tuple[float, float]]
    times: list[float]

    def at(self, elapsed: float) -> tuple[float, float, bool]:
        if elapsed >= self.times[-1]:
            return (*self.points[-1], True)
        i = int(np.searchsorted(self.times, elapsed, side="right")) - 1
        span = self.times[i + 1] - self.times[i]
        share = 0.0 if span <= 0 else (elapsed - self.times[i]) / span
        (a, b), (c, d) = self.points[i], self.points[i + 1]
        return a + (c - a) * share, b + (d - b) * share, False


class DemoFleet:
    """Drives the demo trucks over the gateway and feeds the reader, until cancelled."""

    def __init__(self, runtime: Runtime, host: str, port: int, seed: int = 7) -> None:
        self.runtime, self.host, self.port = runtime, host, port
        self.rng = random.Random(seed)

    def _plan(self, truck: Truck, start: tuple[float, float] | None) -> Trip:
        with transaction(self.runtime.sessions) as session:
            graph = dispatch_service.routing_graph(session)
            addresses = city_service.list_addresses(session)
            centre = _centre(session)
        origin = start or (lambda a: (a.lat, a.lon))(self.rng.choice(addresses))
        if truck.behaviour == "zone" and self.rng.random() < 0.7:
            goal = centre
        elif truck.behaviour == "speeding":  # long runs, so an episode lasts past the 30 s threshold
            far = max(self.rng.sample(addresses, 12), key=lambda a: (a.lat - origin[0]) ** 2 + (a.lon - origin[1]) ** 2)
            goal = (far.lat, far.lon)
        else:
            target = self.rng.choice(addresses)
            goal = (target.lat, target.lon)
        snaps = graph.snap(np.array([origin[0], goal[0]]), np.array([origin[1], goal[1]]))
        nodes = graph.path_nodes(snaps[0], snaps[1])
        points = [origin] + [(float(graph.lats[n]), float(graph.lons[n])) for n in nodes] + [goal]
        times = [0.0]
        for (a, b), (c, d) in itertools.pairwise(points):
            metres = float(np.hypot((c - a) * 111_320, (d - b) * 111_320 * np.cos(np.radians(a))))
            times.append(times[-1] + metres / (truck.cruise_kmh / 3.6))
        return Trip(points, times)

    async def run(self) -> None:
        tasks = [asyncio.create_task(self._drive(truck)) for truck in TRUCKS]
        tasks.append(asyncio.create_task(self._reader()))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    async def _connect(self, truck: Truck) -> SimTerminal:
        terminal = SimTerminal(truck.phone, plate=truck.plate)
        await terminal.connect(self.host, self.port)
        code = await terminal.register()
        if await terminal.authenticate(code) != m.OK:
            raise RuntimeError(f"{truck.id}: authentication refused")
        return terminal

    async def _drive(self, truck: Truck) -> None:
        while True:
            try:
                terminal = await self._connect(truck)
                try:
                    if truck.behaviour == "tired":
                        await self._backfill(terminal, truck)
                    await self._trips(terminal, truck)
                finally:
                    await terminal.close()
            except (OSError, RuntimeError, m.FrameError) as exc:  # the gateway restarting: try again
                log.info("demo truck %s reconnecting: %s", truck.id, exc)
                await asyncio.sleep(5)

    async def _trips(self, terminal: SimTerminal, truck: Truck) -> None:
        position: tuple[float, float] | None = None
        while True:
            trip = await asyncio.to_thread(self._plan, truck, position)
            started = asyncio.get_running_loop().time()
            arrived = False
            while not arrived:
                lat, lon, arrived = trip.at(asyncio.get_running_loop().time() - started)
                position = (lat, lon)
                if arrived and truck.behaviour == "speeding":
                    break  # straight on to the next run
                speed = 0.0 if arrived else truck.cruise_kmh + self.rng.uniform(-3, 3)
                await terminal.location(_fix(lat, lon, speed, datetime.now(UTC)))
                await asyncio.sleep(REPORT_S)
            if truck.behaviour != "speeding":
                await asyncio.sleep(self.rng.uniform(20, 60))  # unloading

    async def _backfill(self, terminal: SimTerminal, truck: Truck) -> None:
        """Four hours and a quarter of stored fixes, sent as blind-area batches on connecting."""
        with transaction(self.runtime.sessions) as session:
            lat, lon = _centre(session)
        now = datetime.now(UTC).replace(microsecond=0)
        fixes = []
        for i in range(int(4.25 * 3600 / 60), 0, -1):  # one a minute, the newest a minute ago
            t = now - timedelta(minutes=i)
            angle = i / 40
            fixes.append(_fix(lat + 0.02 * np.sin(angle), lon + 0.04 * np.cos(angle), 48.0, t))
        for start in range(0, len(fixes), BATCH_ITEMS):
            await terminal.batch(fixes[start : start + BATCH_ITEMS], blind_area=True)

    async def _reader(self) -> None:
        """The RFID gate sees ordinary tags (dropped at once) and now and then the stolen one."""
        while True:
            await asyncio.sleep(15)
            tags = [f"E2003412{self.rng.getrandbits(32):08X}" for _ in range(self.rng.randint(3, 9))]
            if self.rng.random() < 0.15:
                tags.append(STOLEN_TAG)
            plates = [self._random_plate() for _ in range(5)]
            if self.rng.random() < 0.1:
                plates.append("A8C-I23")  # the stolen car, read with two confusions
            await asyncio.to_thread(self._reads, tags, plates)

    def _random_plate(self) -> str:
        letters = self.rng.choice("BCFHJKLMN") + self.rng.choice("AEIKOU") + self.rng.choice("RST")
        return f"{letters}-{self.rng.randint(100, 999)}"

    def _reads(self, tags: list[str], plates: list[str]) -> None:
        now = datetime.now(UTC)
        with transaction(self.runtime.sessions) as session, contextlib.suppress(DomainError):
            for tag in tags:
                hotlist_service.record_read(session, OPERATOR, ReadIn(reader_id="RFID-1", time=now, tag=tag))
            for plate in plates:
                read = ReadIn(
                    reader_id="CAM-1",
                    time=now,
                    candidates=[CandidateIn(text=plate, confidence=round(self.rng.uniform(0.6, 0.98), 2))],
                )
                hotlist_service.record_read(session, OPERATOR, read)


def _fix(lat: float, lon: float, speed: float, at: datetime) -> m.Location:
    return m.Location(0, 0b11, float(lat), float(lon), 15, round(speed, 1), 0, at.replace(microsecond=0))
