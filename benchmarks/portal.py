"""Requests/s and latency of the public portal under 100 concurrent clients, against the real server.

    python benchmarks/portal.py [--clients 100] [--requests 1000] [--think 1.0] [--reports 3000] [--keep]

1. Builds the demo (``prepare_demo``: city, history, traffic day, fraud) in a fresh SQLite
   database and seeds ``--reports`` Open311 requests through the reports service.
2. Starts ``lantern serve`` (uvicorn, one process, the scheduler off) on a free loopback port in
   its own process, so the load generator does not share the server's interpreter.
3. For each public page (and ``GET /open311/v2/requests.json``): ``--requests`` requests from
   ``--clients`` concurrent httpx clients, each pausing ``--think`` seconds on average between
   requests as a reader does (the target is judged here), and again with no pause at all
   (saturation: throughput, and p95 = clients / throughput). Baselines in the same run: the
   same page from one client, and a static file from the same server at saturation.

The target is p95 <= 100 ms per page on SQLite with 100 clients; the table says where it is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fresh_sqlite, percentile, scratch_dir, table
from lantern.city import service as city_service
from lantern.config import Settings
from lantern.db import transaction
from lantern.demo import prepare_demo
from lantern.portal.reports import service as report_service
from lantern.portal.reports.schemas import ReportIn
from lantern.runtime import build_runtime
from lantern.security.policy import Principal

TARGET_P95_MS = 100.0
PAGES = [
    "/portal",
    "/portal/traffic",
    "/portal/fraud-advice",
    "/portal/accessibility",
    "/portal/complaints/new",
    "/portal/reports/new",
    "/portal/appointments",
    "/portal/lost-found",
    "/open311/v2/requests.json",
]
STATIC = "/static/css/portal.css"
REPORTS = [("noise", {"noise_kind": "music"}), ("abandoned_vehicle", {}), ("street_light", {})]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed_reports(runtime, count: int, rng: random.Random) -> int:
    """Open311 requests filed through the reports service at random points of the demo city."""
    with transaction(runtime.sessions) as session:
        city = city_service.get(session)
        assert city is not None, "the demo has no city"
        # The middle half of the city's box: points near its edge may fall outside the districts.
        dlat, dlon = (city.max_lat - city.min_lat) / 4, (city.max_lon - city.min_lon) / 4
        lat0, lat1, lon0, lon1 = city.min_lat + dlat, city.max_lat - dlat, city.min_lon + dlon, city.max_lon - dlon
    filed = 0
    with transaction(runtime.sessions) as session:
        for n in range(count):
            code, attributes = REPORTS[n % len(REPORTS)]
            report_in = ReportIn(
                service_code=code,
                description=f"Benchmark report {n}: please have a look.",
                lat=f"{rng.uniform(lat0, lat1):.6f}",
                long=f"{rng.uniform(lon0, lon1):.6f}",
                attributes=dict(attributes),
                language="en",
            )
            try:
                report_service.create(session, Principal.anonymous(), report_in)
                filed += 1
            except report_service.ReportRejected as exc:
                if n < len(REPORTS):
                    print(f"  {code}: not seeded ({'; '.join(p.message % p.params for p in exc.problems)})")
    return filed


async def load(base: str, path: str, clients: int, total: int, think_s: float = 0.0) -> tuple[float, list[float], int]:
    """(wall seconds, latencies in ms, errors) for ``total`` GETs of ``path`` from ``clients`` clients.

    With ``think_s`` each client pauses a random time (exponential, that mean) between its
    requests, as people reading a page do; without it every client fires again at once, which
    measures the server's saturation rather than what a resident waits.
    """
    latencies: list[float] = []
    errors = 0
    queue = iter(range(total))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    rng = random.Random(7)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal errors
        if think_s:
            await asyncio.sleep(rng.uniform(0, think_s))  # clients arrive spread out, not in one burst
        for _ in queue:
            if think_s:
                await asyncio.sleep(rng.expovariate(1 / think_s))
            start = time.perf_counter()
            try:
                response = await client.get(path, headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
                if response.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - start) * 1000)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        wall = time.perf_counter() - started
    return wall, latencies, errors


def row(path: str, clients: int | str, wall: float, latencies: list[float], errors: int) -> tuple:
    return (
        path,
        clients,
        len(latencies),
        f"{len(latencies) / wall:,.0f}",
        f"{percentile(latencies, 50):.1f}",
        f"{percentile(latencies, 95):.1f}",
        f"{percentile(latencies, 99):.1f}",
        errors,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--requests", type=int, default=1000, help="per page at full concurrency")
    parser.add_argument("--baseline-requests", type=int, default=100, help="per page from one client")
    parser.add_argument("--reports", type=int, default=3000)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause of a client between requests (s)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()

    folder = scratch_dir()
    url = fresh_sqlite(folder)
    env = {
        **os.environ,
        "LANTERN_DATABASE_URL": url,
        "LANTERN_DATA_DIR": str(folder),
        "LANTERN_SCHEDULER_ENABLED": "false",
        "LANTERN_LOG_LEVEL": "WARNING",
    }
    settings = Settings(database_url=url, data_dir=folder, scheduler_enabled=False)
    runtime = build_runtime(settings)
    started = time.perf_counter()
    prepare_demo(runtime, seed=42)
    print(f"demo built in {time.perf_counter() - started:.1f} s ({url})")
    started = time.perf_counter()
    filed = seed_reports(runtime, args.reports, random.Random(42))
    print(f"{filed:,} Open311 requests filed through the reports service in {time.perf_counter() - started:.1f} s")
    runtime.dispose()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "lantern", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"server did not start: {server.stderr.read().decode() if server.stderr else ''}")
            time.sleep(0.1)
        pages = [p for p in PAGES if httpx.get(base + p, timeout=30).status_code == 200]
        absent = [p for p in PAGES if p not in pages]
        if absent:
            print(f"not measured (not 200 on this build): {', '.join(absent)}")
        rows, verdicts = [], []
        wall, lat, err = asyncio.run(load(base, STATIC, args.clients, args.requests))
        rows.append(row(STATIC + " (baseline, saturated)", args.clients, wall, lat, err))
        static_rps = len(lat) / wall
        for path in pages:
            asyncio.run(load(base, path, 4, 20))  # warm caches (the traffic index is computed once per data change)
            wall1, lat1, err1 = asyncio.run(load(base, path, 1, args.baseline_requests))
            rows.append(row(path, "1", wall1, lat1, err1))
            wall, lat, err = asyncio.run(load(base, path, args.clients, args.requests, think_s=args.think))
            rows.append(row(path, f"{args.clients}, {args.think:g} s think", wall, lat, err))
            wall_s, lat_s, err_s = asyncio.run(load(base, path, args.clients, args.requests))
            rows.append(row(path, f"{args.clients}, saturated", wall_s, lat_s, err_s))
            p95 = percentile(lat, 95)
            verdicts.append(
                (
                    path,
                    f"{p95:.0f}",
                    f"{p95 / percentile(lat1, 95):.1f}x",
                    f"{len(lat_s) / wall_s:,.0f}",
                    f"{(len(lat_s) / wall_s) / static_rps:.2f}",
                    "met" if p95 <= TARGET_P95_MS and not err else "MISSED",
                )
            )
        print()
        print(table(rows, ("path", "clients", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors")))
        print()
        print(
            f"target: p95 <= {TARGET_P95_MS:.0f} ms with {args.clients} concurrent clients (SQLite), each reading "
            f"a page for {args.think:g} s on average between requests"
        )
        print(
            table(
                verdicts,
                ("path", "p95 ms", "vs 1 client", "saturated req/s", "vs static file", "target"),
            )
        )
        missed = [v[0] for v in verdicts if v[-1] == "MISSED"]
        print()
        print(
            f"TARGET MISSED on {len(missed)} of {len(verdicts)}: {', '.join(missed)}"
            if missed
            else "target met on every page"
        )
        print(
            "saturated: the same clients with no pause between requests; p95 there is clients / throughput "
            f"(the static file alone reached {static_rps:,.0f} req/s on this machine)"
        )
    finally:
        server.terminate()
        server.wait(timeout=20)
        if not args.keep:
            for path in sorted(folder.rglob("*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
            folder.rmdir()


if __name__ == "__main__":
    main()
