"""A generated grid city for large synthetic tests and benchmarks.

Streets run on a square lattice; every ``arterial_every``-th street is an arterial (50 km/h,
else 30 km/h residential), all two-way. Districts are equal rectangular blocks. Addresses are
placed along the east-west streets ("Street 12, 5").
"""

from __future__ import annotations

import numpy as np
from shapely.geometry import box

from lantern.city.build import AddressRow, CityBuild, DistrictRow, EdgeRow, NodeRow
from lantern.kit.geo import LocalProjection

GRID_ATTRIBUTION = "Generated grid city (synthetic)"


def build_grid_city(
    rows: int = 30,
    cols: int = 30,
    spacing_m: float = 150.0,
    centre: tuple[float, float] = (60.17, 24.94),
    districts_per_side: int = 2,
    arterial_every: int = 5,
    addresses_per_block: int = 2,
    name: str = "Grid City",
) -> CityBuild:
    """Build a ``rows`` x ``cols`` lattice city centred on ``centre`` (lat, lon)."""
    if rows < 2 or cols < 2:
        raise ValueError(f"a grid city needs at least 2x2 nodes, got {rows}x{cols}")
    proj = LocalProjection(*centre)
    x0 = -(cols - 1) * spacing_m / 2
    y0 = -(rows - 1) * spacing_m / 2
    xs = np.array([x0 + c * spacing_m for r in range(rows) for c in range(cols)])
    ys = np.array([y0 + r * spacing_m for r in range(rows) for c in range(cols)])
    lats, lons = proj.to_latlon(xs, ys)
    build = CityBuild(name=name, source=f"grid {rows}x{cols} @ {spacing_m:g} m", attribution=GRID_ATTRIBUTION)
    build.nodes = [
        NodeRow(id=i + 1, lat=round(float(lats[i]), 7), lon=round(float(lons[i]), 7)) for i in range(rows * cols)
    ]

    def node_id(r: int, c: int) -> int:
        return r * cols + c + 1

    def add_pair(a: int, b: int, arterial: bool, street: str) -> None:
        na, nb = build.nodes[a - 1], build.nodes[b - 1]
        road_class = "secondary" if arterial else "residential"
        speed = 50.0 if arterial else 30.0
        for s, t in ((na, nb), (nb, na)):
            build.edges.append(
                EdgeRow(
                    source_id=s.id,
                    target_id=t.id,
                    length_m=spacing_m,
                    road_class=road_class,
                    speed_kmh=speed,
                    name=street,
                    coordinates=[(s.lon, s.lat), (t.lon, t.lat)],
                )
            )

    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols:
                add_pair(node_id(r, c), node_id(r, c + 1), r % arterial_every == 0, f"Street {r + 1}")
            if r + 1 < rows:
                add_pair(node_id(r, c), node_id(r + 1, c), c % arterial_every == 0, f"Avenue {c + 1}")
    # Addresses: along each east-west street, numbered westwards-to-eastwards, odd then even side.
    for r in range(rows):
        number = 1
        for c in range(cols - 1):
            for k in range(addresses_per_block):
                frac = (k + 1) / (addresses_per_block + 1)
                x = x0 + (c + frac) * spacing_m
                y = y0 + r * spacing_m + 10.0
                lat, lon = proj.to_latlon(np.array([x]), np.array([y]))
                build.addresses.append(
                    AddressRow(
                        street=f"Street {r + 1}",
                        housenumber=str(number),
                        lat=float(lat[0]),
                        lon=float(lon[0]),
                        source="grid",
                    )
                )
                number += 1
    # Districts: equal blocks, slightly larger than the lattice so edge nodes fall inside.
    width = (cols - 1) * spacing_m + spacing_m
    height = (rows - 1) * spacing_m + spacing_m
    side = max(1, districts_per_side)
    code = 1
    for i in range(side):
        for j in range(side):
            minx = x0 - spacing_m / 2 + j * width / side
            miny = y0 - spacing_m / 2 + i * height / side
            rect = box(minx, miny, minx + width / side, miny + height / side)
            xs_r, ys_r = rect.exterior.coords.xy
            la, lo = proj.to_latlon(np.asarray(xs_r), np.asarray(ys_r))
            ring = [[round(float(b), 7), round(float(a), 7)] for a, b in zip(la, lo, strict=True)]
            build.districts.append(
                DistrictRow(
                    code=f"D{code}",
                    name=f"Block {i + 1}-{j + 1}",
                    geojson={"type": "Polygon", "coordinates": [ring]},
                )
            )
            code += 1
    return build
