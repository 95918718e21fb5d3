"""Dispatch benchmarks.

(a) Recommendation latency: travel times from 500 units to an incident on a generated grid city
    of 50,176 nodes (224 x 224), with one reversed Dijkstra per incident, against the baseline of
    one shortest-path search per unit (measured on a few incidents in the same run).
(b) Call-intake throughput: 50 concurrent clients posting calls to a running `lantern serve`
    (separate process, SQLite) for a fixed time; calls/s and latency percentiles.

    python benchmarks/dispatch.py [--incidents 200] [--seconds 20] [--skip-intake]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from scipy.sparse.csgraph import dijkstra

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentile, scratch_dir, table
from lantern.city.grid import build_grid_city
from lantern.dispatch.routing import RoutingGraph

UNITS = 500


@dataclass
class Edge:
    source_id: int
    target_id: int
    length_m: float
    speed_kmh: float
    coordinates: str


def recommendation(incidents: int, baseline_incidents: int) -> list[tuple[str, ...]]:
    city = build_grid_city(224, 224, spacing_m=100)
    start = time.perf_counter()
    graph = RoutingGraph(
        [n.id for n in city.nodes],
        np.array([n.lat for n in city.nodes]),
        np.array([n.lon for n in city.nodes]),
        [Edge(e.source_id, e.target_id, e.length_m, e.speed_kmh, json.dumps(e.coordinates)) for e in city.edges],
    )
    build = time.perf_counter() - start
    rng = np.random.default_rng(5)
    lats = np.array([n.lat for n in city.nodes])
    lons = np.array([n.lon for n in city.nodes])
    jitter = 0.0004
    unit_lat = rng.choice(lats, UNITS) + rng.uniform(-jitter, jitter, UNITS)
    unit_lon = rng.choice(lons, UNITS) + rng.uniform(-jitter, jitter, UNITS)
    targets = [
        (float(a) + 0.0002, float(b))
        for a, b in zip(rng.choice(lats, incidents), rng.choice(lons, incidents), strict=True)
    ]
    ours = []
    for lat, lon in targets:
        began = time.perf_counter()
        target = graph.snap(np.array([lat]), np.array([lon]))[0]
        graph.estimate(target, lat, lon, unit_lat, unit_lon)
        ours.append((time.perf_counter() - began) * 1000)
    unit_snaps = graph.snap(unit_lat, unit_lon)
    naive = []
    for lat, lon in targets[:baseline_incidents]:
        began = time.perf_counter()
        target = graph.snap(np.array([lat]), np.array([lon]))[0]
        goal = int(graph.edge_src[target.edge])
        for snap in unit_snaps:  # one shortest-path search per unit
            dijkstra(graph.forward_time, directed=True, indices=int(graph.edge_dst[snap.edge]))[goal]
        naive.append((time.perf_counter() - began) * 1000)
    print(f"graph: {graph.n:,} nodes, {len(city.edges):,} directed edges, built in {build:.2f} s; {UNITS} units")
    return [
        (
            "one reversed search (ours)",
            f"{len(ours)}",
            f"{percentile(ours, 50):.2f}",
            f"{percentile(ours, 95):.2f}",
            "1.0x",
        ),
        (
            "one search per unit (baseline)",
            f"{len(naive)}",
            f"{percentile(naive, 50):.1f}",
            f"{percentile(naive, 95):.1f}",
            f"{percentile(naive, 50) / percentile(ours, 50):.0f}x slower",
        ),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def intake(base: str, token: str, seconds: float, clients: int) -> tuple[int, list[float], int]:
    addresses = ["Annankatu 25", "Bulevardi 10", "Mannerheimintie 22-24", "Kaivokatu 1", "Yrjönkatu 34"]
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:

        async def worker(number: int) -> None:
            nonlocal errors
            count = 0
            while time.monotonic() < stop:
                body = {
                    "type_code": "THEFT",
                    "address": addresses[(number + count) % len(addresses)],
                    "narrative": "load test",
                }
                began = time.perf_counter()
                response = await client.post("/api/dispatch/calls", json=body)
                latencies.append((time.perf_counter() - began) * 1000)
                if response.status_code != 201:
                    errors += 1
                count += 1

        await asyncio.gather(*(worker(n) for n in range(clients)))
    return len(latencies), latencies, errors


def intake_benchmark(seconds: float, clients: int) -> list[tuple[str, ...]]:
    folder = scratch_dir()
    env = {
        **os.environ,
        "LANTERN_DATA_DIR": str(folder),
        "LANTERN_LOG_LEVEL": "WARNING",
        "LANTERN_SCHEDULER_ENABLED": "false",
    }
    lantern = [sys.executable, "-m", "lantern"]
    subprocess.run([*lantern, "demo", "--no-serve"], env=env, check=True, capture_output=True)
    created = subprocess.run(
        [*lantern, "token", "create", "bench", "--scope", "dispatch:intake", "--days", "1"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    token = created.stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen(
        [*lantern, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        count, latencies, errors = asyncio.run(intake(base, token, seconds, clients))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return [
        (
            f"{clients} clients, SQLite",
            f"{count:,}",
            f"{count / seconds:.0f}",
            f"{percentile(latencies, 50):.0f}",
            f"{percentile(latencies, 95):.0f}",
            str(errors),
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--baseline-incidents", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--skip-intake", action="store_true")
    args = parser.parse_args()
    print(
        table(
            recommendation(args.incidents, args.baseline_incidents),
            ("recommendation", "incidents", "p50 ms", "p95 ms", "ratio"),
        )
    )
    print("target: p95 <= 20 ms")
    if not args.skip_intake:
        print()
        print(
            table(
                intake_benchmark(args.seconds, args.clients),
                ("call intake", "calls", "calls/s", "p50 ms", "p95 ms", "errors"),
            )
        )


if __name__ == "__main__":
    main()
