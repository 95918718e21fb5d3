"""Monitoring throughput: (a) the rule engine on one core, (b) the JT/T 808 gateway over TCP.

(a) 100,000 vehicles report every 30 s; each step is one 1,000,000-report micro-batch with state
carried between steps (overspeed, continuous driving, 24 h buckets, night ban, three geofences).
Baseline: the same rules as a per-event Python loop over dict state, run in the same process.
Polars is pinned to one thread so "reports/s" means one core.

(b) 10,000 concurrent terminals on loopback, each registered, authenticated, then sending 0x0200
location reports at a steady rate; the gateway runs in its own process and commits every report
to SQLite (group commit) before replying. Prints sustained frames/s and reply latency
percentiles measured by the terminals, then how fast the track stream moves what was stored
into vehicles' tracks (it must keep up with the gateway's 20,000/s).

    python benchmarks/monitor.py [--vehicles 100000] [--steps 4] [--connections 10000] [--rate 2.5] [--seconds 20]
"""

from __future__ import annotations

import os

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # before polars is imported: one core

import argparse
import asyncio
import math
import multiprocessing
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
import polars as pl
from shapely.geometry import LineString, Point, Polygon

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sqlalchemy import insert

from _common import PG_ENV, fresh_postgres, fresh_sqlite, migrated, percentile, scratch_dir, table
from lantern.config import Settings
from lantern.models import MonitoredVehicle, Terminal
from lantern.monitor import runner
from lantern.monitor.collector import ScheduledCollector
from lantern.monitor.jt808 import messages as m
from lantern.monitor.jt808.terminal import SimTerminal
from lantern.monitor.rules.config import load_classes
from lantern.monitor.rules.engine import Rules, step
from lantern.monitor.rules.state import EngineState
from lantern.monitor.rules.zones import Fence
from lantern.runtime import build_runtime

CENTRE = (60.17, 24.94)
START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
CLASSES = ["hazardous_goods", "coach", "school_bus", "truck"]
GATEWAY_CPU = 0


# --- (a) rule throughput ------------------------------------------------------------------------


def fences() -> list[Fence]:
    lat, lon = CENTRE
    square = Polygon(
        [(lon - 0.02, lat - 0.01), (lon + 0.02, lat - 0.01), (lon + 0.02, lat + 0.01), (lon - 0.02, lat + 0.01)]
    )
    return [
        Fence("centre", "City centre", "polygon", square, alert_on="both"),
        Fence("school", "School", "circle", Point(lon + 0.05, lat + 0.02), size_m=300),
        Fence(
            "tunnel", "Tunnel", "corridor", LineString([(lon - 0.1, lat - 0.03), (lon + 0.1, lat - 0.03)]), size_m=40
        ),
    ]


class Fleet:
    """Vehicles scattered over ~20 km, driving straight lines at steady speeds (some too fast)."""

    def __init__(self, vehicles: int, seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        self.ids = np.array([f"V{i:06d}" for i in range(vehicles)])
        self.lat = CENTRE[0] + rng.uniform(-0.1, 0.1, vehicles)
        self.lon = CENTRE[1] + rng.uniform(-0.2, 0.2, vehicles)
        self.heading = rng.uniform(0, 2 * math.pi, vehicles)
        self.speed = rng.choice([0.0, 30.0, 60.0, 75.0, 95.0], vehicles, p=[0.2, 0.3, 0.3, 0.1, 0.1])
        self.rng = rng
        self.t = START

    def batch(self, fixes_per_vehicle: int, every_s: float = 30.0) -> pl.DataFrame:
        n = len(self.ids)
        frames = []
        for _ in range(fixes_per_vehicle):
            jitter = self.rng.normal(0, 2, n)
            speed = np.clip(self.speed + jitter, 0, None)
            metres = speed / 3.6 * every_s
            self.lat = self.lat + np.cos(self.heading) * metres / 111_195
            self.lon = self.lon + np.sin(self.heading) * metres / (111_195 * math.cos(math.radians(CENTRE[0])))
            frame = pl.DataFrame({"vehicle_id": self.ids, "lat": self.lat, "lon": self.lon, "speed_kmh": speed})
            frames.append(frame.with_columns(time=pl.lit(self.t).cast(pl.Datetime("us", "UTC"))))
            self.t += timedelta(seconds=every_s)
        return pl.concat(frames).select("vehicle_id", "time", "lat", "lon", "speed_kmh", valid=pl.lit(True))


def rules_for(fleet: Fleet, with_fences: bool) -> Rules:
    vehicles = {vid: CLASSES[i % 4] for i, vid in enumerate(fleet.ids)}
    return Rules(load_classes(), vehicles, CENTRE, zone="Europe/Helsinki", fences=fences() if with_fences else [])


def loop_baseline(batch: pl.DataFrame, rules: Rules) -> int:
    """The per-event way: one Python iteration per report over dict state (same rules, simplified)."""
    classes = rules.classes
    kinds = rules.vehicle_classes
    compiled = rules.compiled_fences
    projection = rules.projection
    state: dict[str, dict[str, float]] = {}
    alerts = 0
    for vid, t, lat, lon, speed, _valid in batch.iter_rows():
        vc = classes[kinds[vid]]
        prev = state.get(vid)
        ts = t.timestamp()
        if prev is not None:
            gap = ts - prev["t"]
            if gap <= 0:
                continue
            dx = (lon - prev["lon"]) * 111_195 * math.cos(math.radians(lat))
            dy = (lat - prev["lat"]) * 111_195
            if math.hypot(dx, dy) / gap * 3.6 > vc.teleport_kmh and gap <= vc.max_fix_gap_s:
                continue
            if prev["speed"] >= vc.moving_kmh:
                prev["drive"] += gap
                prev["stop"] = 0.0
            else:
                prev["stop"] += gap
                if prev["stop"] >= vc.rest_min_s:
                    prev["drive"] = 0.0
            if prev["drive"] >= vc.continuous_day_s and not prev["drive_alerted"]:
                prev["drive_alerted"] = 1.0
                alerts += 1
        else:
            prev = state[vid] = {
                "drive": 0.0,
                "stop": 0.0,
                "over_start": -1.0,
                "over_alerted": 0.0,
                "drive_alerted": 0.0,
                "inside": 0.0,
            }
        if speed > vc.speed_limit * vc.overspeed_factor:
            if prev["over_start"] < 0:
                prev["over_start"], prev["over_alerted"] = ts, 0.0
            if ts - prev["over_start"] >= vc.overspeed_min_s and not prev["over_alerted"]:
                prev["over_alerted"] = 1.0
                alerts += 1
        else:
            prev["over_start"] = -1.0
        if compiled:
            x, y = projection.to_xy(np.array([lat]), np.array([lon]))
            inside = 0.0
            for bit, fence in enumerate(compiled):
                if fence.contains(x, y)[0]:
                    inside += 2**bit
            if inside != prev["inside"]:
                alerts += 1
            prev["inside"] = inside
        prev.update(t=ts, lat=lat, lon=lon, speed=speed)
    return alerts


def rule_throughput(vehicles: int, steps: int, baseline_reports: int) -> list[list[str]]:
    rows = []
    for with_fences in (False, True):
        fleet = Fleet(vehicles)
        rules = rules_for(fleet, with_fences)
        # Warm up with one full batch: caches (fence compilation, registry) and a populated state,
        # so the figures are the steady state of a running engine.
        state = step(EngineState(), fleet.batch(10), rules).state
        timings = []
        total = 0
        alerts = 0
        for _ in range(steps):
            batch = fleet.batch(10)
            started = time.perf_counter()
            # As the engine runner steps: the old state is dropped, so the step may update it.
            result = step(state, batch, rules, consume=True)
            timings.append(time.perf_counter() - started)
            state, total, alerts = result.state, total + batch.height, alerts + result.alerts.height
        rate = total / sum(timings)
        base_fleet = Fleet(max(1, baseline_reports // 10))
        base_rules = rules_for(base_fleet, with_fences)
        base_batch = base_fleet.batch(10).sort("time")
        started = time.perf_counter()
        loop_baseline(base_batch, base_rules)
        base_rate = base_batch.height / (time.perf_counter() - started)
        label = "with 3 geofences" if with_fences else "no geofences"
        rows.append(
            [
                label,
                f"{total:,}",
                f"{rate:,.0f}",
                f"{base_rate:,.0f}",
                f"{rate / base_rate:.1f}x",
                f"{alerts:,}",
                f"{max(timings):.2f} s",
            ]
        )
    return rows


# --- (b) gateway --------------------------------------------------------------------------------


def raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def serve_gateway(
    url: str, data_dir: str, tuned: bool, ready: multiprocessing.Queue, stop: multiprocessing.Event
) -> None:
    """The gateway as ``lantern monitor gateway`` runs it (``tuned``) or as first built (asyncio,
    commits in a thread of its own process, the default garbage collector)."""
    raise_fd_limit()

    settings = Settings(
        env="test",
        database_url=url,
        data_dir=Path(data_dir),
        monitor_max_connections=50_000,
        monitor_flood_frames_per_s=1000,
    )
    runtime = build_runtime(settings)

    async def main() -> None:
        gateway = runner.build_gateway(
            runtime, writer_process=tuned, own_process=tuned, cpu=GATEWAY_CPU if tuned else None
        )
        port = await gateway.start("127.0.0.1", 0)
        ready.put(port)
        while not stop.is_set():
            await asyncio.sleep(0.2)
        ready.put(dict(gateway.stats) | {"commits": gateway.committer.commits})
        await gateway.stop()

    run_loop(main(), "uvloop" if tuned else "asyncio")


def run_loop(main: Any, loop_kind: str) -> Any:
    if loop_kind == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)


def seed_terminals(url: str, count: int) -> list[tuple[str, str]]:
    """Vehicles and terminals with known auth codes, inserted in bulk (setup, not measured)."""

    engine = migrated(url)
    now = datetime.now(UTC)
    terminals = [(f"1{i:010d}", f"code{i:08d}") for i in range(count)]
    with engine.begin() as conn:
        conn.execute(
            insert(MonitoredVehicle),
            [
                {
                    "id": f"B{i}",
                    "plate": f"BENCH{i}",
                    "vehicle_class": "truck",
                    "operator": "",
                    "route": None,
                    "route_width_m": 200.0,
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(count)
            ],
        )
        conn.execute(
            insert(Terminal),
            [
                {"phone": phone, "vehicle_id": f"B{i}", "auth_code": code, "protocol": "2013", "active": True}
                for i, (phone, code) in enumerate(terminals)
            ],
        )
    engine.dispose()
    return terminals


class BenchTerminal(asyncio.Protocol):
    """A lean terminal for load: pre-encoded frames, one report in flight, latency per reply.

    Latency runs from the moment a report was *due*, not when it went out: a report that had
    to wait for the previous reply counts its wait (no coordinated omission).
    """

    def __init__(self, auth_frame: bytes, report: bytes, latencies: list[float]) -> None:
        self.auth_frame, self.report, self.latencies = auth_frame, report, latencies
        self.flags = 0
        self.transport: asyncio.Transport | None = None
        self.authenticated = asyncio.get_running_loop().create_future()
        self.in_flight = False
        self.owed_since = 0.0  # a report fell due while one was in flight
        self.due_at = 0.0
        self.running = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing asyncio.Transport.
        self.transport = cast(asyncio.Transport, transport)
        transport.write(self.auth_frame)

    def data_received(self, data: bytes) -> None:
        # Every reply is one whole frame, usually alone in its read: count flags rather than
        # run the splitter (the load generator shares the machine; it should cost little).
        self.flags += data.count(b"\x7e")
        while self.flags >= 2:
            self.flags -= 2
            if not self.authenticated.done():
                self.authenticated.set_result(None)
                continue
            self.latencies.append(time.perf_counter() - self.due_at)
            self.in_flight = False
            if self.owed_since and self.running:
                due, self.owed_since = self.owed_since, 0.0
                self._send(due)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.authenticated.done():
            self.authenticated.set_exception(ConnectionError("closed"))

    def due(self, now: float) -> bool:
        """A report falls due; False when the connection is gone."""
        if self.transport is None:
            return False
        if self.in_flight:
            self.owed_since = self.owed_since or now
        else:
            self._send(now)
        return True

    def _send(self, due: float) -> None:
        assert self.transport is not None
        self.in_flight, self.due_at = True, due
        self.transport.write(self.report)


async def run_terminals(port: int, terminals: list[tuple[str, str]], rate: float, seconds: float) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    warmup: list[float] = []
    errors = 0
    connected: list[BenchTerminal] = []
    semaphore = asyncio.Semaphore(500)  # connect in waves: a 10,000-SYN burst overflows the backlog
    now = datetime.now(UTC).replace(microsecond=0)

    async def open_one(phone: str, code: str) -> None:
        nonlocal errors
        codec = SimTerminal(phone)
        auth = codec.frame(m.AUTHENTICATE, m.Authenticate(code, "860000000000000", "bench"))
        report = codec.frame(m.LOCATION, m.Location(0, 0b11, 60.17, 24.94, 10, 50.0, 90, now))
        async with semaphore:
            try:
                _, proto = await loop.create_connection(lambda: BenchTerminal(auth, report, warmup), "127.0.0.1", port)
                await proto.authenticated
            except OSError:
                errors += 1
                return
        connected.append(proto)

    started = time.perf_counter()
    await asyncio.gather(*(open_one(p, c) for p, c in terminals))
    setup_s = time.perf_counter() - started
    for proto in connected:
        proto.latencies = latencies
    # The load generator must not be what is measured: no collector pauses in it (see
    # lantern/monitor/collector.py for what they cost a process holding 10,000 connections).
    collector = ScheduledCollector()
    collector.begin()
    # One ticker instead of a coroutine per terminal: each terminal gets a random phase within
    # the report interval, and every tick sends the reports that fell due in it.
    interval = 1.0 / rate
    ticks = 200
    rng = np.random.default_rng(1)
    buckets: list[list[BenchTerminal]] = [[] for _ in range(ticks)]
    for proto in connected:
        buckets[int(rng.integers(ticks))].append(proto)
    tick_s = interval / ticks
    measure_start = time.perf_counter()
    k = 0
    while time.perf_counter() - measure_start < seconds:
        tick_time = time.perf_counter()
        for proto in buckets[k % ticks]:
            if not proto.due(tick_time):
                errors += 1
        k += 1
        await asyncio.sleep(max(0.0, measure_start + k * tick_s - time.perf_counter()))
        collector.tick()
    elapsed = time.perf_counter() - measure_start
    answered = len(latencies)
    for proto in connected:
        proto.running = False
    await asyncio.sleep(1.0)  # replies in flight still count toward latency, not throughput
    collector.end()
    for proto in connected:
        if proto.transport is not None:
            proto.transport.close()
    ms = [v * 1000 for v in latencies]
    return {
        "connected": len(connected),
        "setup_s": setup_s,
        "frames": answered,
        "elapsed_s": elapsed,
        "errors": errors,
        "p50": percentile(ms, 50),
        "p99": percentile(ms, 99),
        "max": max(ms) if ms else float("nan"),
    }


def file_tracks_alongside(
    url: str, data_dir: str, every_s: float, done: multiprocessing.Queue, stop: multiprocessing.Event
) -> None:
    """The track job as ``lantern monitor run`` runs it, every ``every_s`` while the gateway is loaded.

    At a lower priority (``nice 10``), as docs/monitor.md advises where the engine shares cores
    with the gateway: it has seconds to spare, the gateway's replies have milliseconds.
    """
    os.nice(10)
    runtime = build_runtime(Settings(env="test", database_url=url, data_dir=Path(data_dir), scheduler_enabled=False))
    moved, longest = 0, 0.0
    while not stop.wait(every_s):
        started = time.perf_counter()
        moved += runner.move_tracks(runtime, budget_s=every_s)
        runner.seal_tracks(runtime, budget_s=every_s)
        longest = max(longest, time.perf_counter() - started)
    runtime.dispose()
    done.put({"moved": moved, "longest_s": longest})


def gateway_throughput(
    connections: int, rate: float, seconds: float, tuned: bool, postgres: bool, tracks_every_s: float | None = None
) -> dict[str, float]:
    raise_fd_limit()
    all_cpus = os.sched_getaffinity(0)
    folder = scratch_dir()
    url = fresh_postgres() if postgres else fresh_sqlite(folder)
    if url is None:
        raise SystemExit(f"--postgres needs {PG_ENV}, the URL of a PostgreSQL server to create a database on")
    terminals = seed_terminals(url, connections)
    spawn = multiprocessing.get_context("spawn")  # a clean interpreter: no inherited event loop or polars pool
    ready = spawn.Queue()
    stop = spawn.Event()
    server = spawn.Process(target=serve_gateway, args=(url, str(folder), tuned, ready, stop))
    server.start()
    # The load generator stands in for terminals on other hosts: keep it off the core the tuned
    # gateway pins itself to (it still shares the machine with the writer process).
    os.sched_setaffinity(0, (os.sched_getaffinity(0) - {GATEWAY_CPU}) or {GATEWAY_CPU})
    filer, filed, stop_filing = None, spawn.Queue(), spawn.Event()
    try:
        port = ready.get(timeout=60)
        if tracks_every_s:
            job = (url, str(folder), tracks_every_s, filed, stop_filing)
            filer = spawn.Process(target=file_tracks_alongside, args=job)
            filer.start()
        figures = run_loop(run_terminals(port, terminals, rate, seconds), "uvloop")
    finally:
        stop.set()
        stop_filing.set()
    stats = ready.get(timeout=60)
    server.join(timeout=30)
    if filer is not None:
        alongside = filed.get(timeout=600)
        filer.join(timeout=30)
        figures["moved_alongside"], figures["longest_track_job_s"] = alongside["moved"], alongside["longest_s"]
    os.sched_setaffinity(0, all_cpus)
    figures["server_positions"] = stats.get("positions", 0)
    figures["commits"] = stats.get("commits", 0)
    figures["tracks_per_s"] = track_move_rate(url, folder)
    return figures


def track_move_rate(url: str, folder: Path) -> float:
    """The track stream over what the gateway stored: it has to keep up with the gateway."""
    runtime = build_runtime(Settings(env="test", database_url=url, data_dir=folder, scheduler_enabled=False))
    started = time.perf_counter()
    moved = runner.move_tracks(runtime, budget_s=600)
    elapsed = time.perf_counter() - started
    runtime.dispose()
    return moved / elapsed if elapsed > 0 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vehicles", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--baseline-reports", type=int, default=200_000)
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=2.5, help="reports per second per terminal")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--skip-gateway", action="store_true")
    parser.add_argument(
        "--gateway", choices=["both", "baseline", "fast"], default="both", help="which gateway configurations to run"
    )
    parser.add_argument("--skip-rules", action="store_true")
    parser.add_argument("--postgres", action="store_true", help=f"gateway commits to PostgreSQL (server in {PG_ENV})")
    parser.add_argument(
        "--tracks-every",
        type=float,
        default=None,
        metavar="S",
        help="run the track job (move and seal) every S seconds in another process during the gateway run",
    )
    args = parser.parse_args()
    if not args.skip_rules:
        print(
            f"(a) rule engine, {args.vehicles:,} vehicles, 1,000,000-report batches, "
            f"polars on {pl.thread_pool_size()} thread"
        )
        rows = rule_throughput(args.vehicles, args.steps, args.baseline_reports)
        print(
            table(
                [tuple(r) for r in rows],
                ("rules", "reports", "reports/s", "per-event loop reports/s", "ratio", "alerts", "slowest step"),
            )
        )
        print("target: >= 1,000,000 reports/s on one core")
    if not args.skip_gateway:
        print(
            f"\n(b) JT/T 808 gateway, {args.connections:,} terminals x {args.rate} reports/s "
            f"({args.connections * args.rate:,.0f} offered) for {args.seconds:.0f} s, "
            f"group commit to {'PostgreSQL' if args.postgres else 'SQLite'}"
        )
        # The baseline is the gateway as first built: the default asyncio loop, commits in a
        # thread of the gateway's own process, the default garbage collector. Both run the same
        # codec, and the same load generator (on uvloop) drives both.
        configs = [False, True] if args.gateway == "both" else [args.gateway == "fast"]
        rows = []
        for tuned in configs:
            g = gateway_throughput(args.connections, args.rate, args.seconds, tuned, args.postgres, args.tracks_every)
            if "moved_alongside" in g:
                print(
                    f"  track job alongside, every {args.tracks_every:.0f} s: "
                    f"{g['moved_alongside']:,} positions moved, longest run {g['longest_track_job_s']:.1f} s"
                )
            rows.append(
                (
                    "uvloop + writer process + scheduled gc + pinned" if tuned else "asyncio + commit thread",
                    f"{g['connected']:,}",
                    f"{g['setup_s']:.1f} s",
                    f"{g['frames'] / g['elapsed_s']:,.0f}",
                    f"{g['p50']:.1f}",
                    f"{g['p99']:.1f}",
                    f"{g['max']:.1f}",
                    f"{g['errors']:.0f}",
                    f"{g['commits']:,.0f}",
                    f"{g['tracks_per_s']:,.0f}",
                )
            )
        header = (
            *("gateway", "connected", "setup", "frames/s", "p50 ms", "p99 ms", "max ms"),
            *("errors", "commits", "tracks/s"),
        )
        print(table(rows, header))
        if len(rows) == 2:
            base, best = (float(r[3].replace(",", "")) for r in rows)
            print(f"ratio (frames/s) against the baseline: {best / base:.2f}x")
        print("target: >= 20,000 frames/s sustained and p99 <= 50 ms")
        print("tracks/s: the track stream moving what the gateway stored into vehicles' tracks (afterwards, alone)")


if __name__ == "__main__":
    main()
