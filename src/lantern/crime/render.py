"""PNG renderings for exports and reports: hotspot maps, Knox heat charts, trend charts.

Figures are built with Matplotlib's object API (no pyplot, no global state, no display) and
saved through the Agg canvas; each function returns PNG bytes.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from lantern.crime.grid import FloatArray
from lantern.crime.nearrepeat import KnoxResult

HOT, WARM, COLD = "#c0392b", "#f0b27a", "#5dade2"


def _figure(figsize: tuple[float, float]) -> tuple[Figure, Any]:
    fig = Figure(figsize=figsize)
    return fig, fig.add_subplot()


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def hotspot_png(layer: dict[str, Any], title: str = "Hot spots") -> bytes:
    """The cells of a hotspot GeoJSON layer (hot red, other incidents orange, cold blue), lon/lat axes."""
    fig, ax = _figure(figsize=(7, 7))
    polys, colours = [], []
    for f in layer["features"]:
        ring = f["geometry"]["coordinates"][0]
        polys.append([(p[0], p[1]) for p in ring])
        p = f["properties"]
        colours.append(HOT if p["hot"] else COLD if p["cold"] else WARM)
    if polys:
        ax.add_collection(PolyCollection(polys, facecolors=colours, edgecolors="white", linewidths=0.3))
        xs = [x for poly in polys for x, _ in poly]
        ys = [y for poly in polys for _, y in poly]
        ax.set_xlim(min(xs), max(xs))
        ax.set_ylim(min(ys), max(ys))
        ax.set_aspect(1 / np.cos(np.radians(np.mean(ys))))
    meta = layer.get("meta", {})
    ax.set_title(f"{title}\n{meta.get('incidents', 0):g} incidents, {meta.get('hot_cells', 0)} hot spots (Gi*, FDR 5%)")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    return _png(fig)


def surface_png(density: FloatArray, title: str, extent_km: tuple[float, float, float, float]) -> bytes:
    """A density surface (incidents per km²) as an image."""
    fig, ax = _figure(figsize=(7, 7))
    image = ax.imshow(density, origin="lower", extent=extent_km, cmap="magma_r")
    fig.colorbar(image, ax=ax, label="incidents per km²", shrink=0.8)
    ax.set_title(title)
    ax.set_xlabel("km east")
    ax.set_ylabel("km north")
    return _png(fig)


def knox_png(result: KnoxResult, title: str = "Near repeat: observed / expected") -> bytes:
    """Heat chart of the Knox ratios with the p-value in each cell, bold where p <= 0.05."""
    ratio = result.ratio
    fig, ax = _figure(figsize=(1.8 + 1.6 * ratio.shape[1], 1.2 + 0.7 * ratio.shape[0]))
    image = ax.imshow(np.log2(np.clip(ratio, 0.25, 4)), cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto")
    for r in range(ratio.shape[0]):
        for c in range(ratio.shape[1]):
            p = result.p_values[r, c]
            ax.text(
                c,
                r,
                f"{ratio[r, c]:.2f}\np={p:.2f}",
                ha="center",
                va="center",
                fontsize=9,
                fontweight="bold" if p <= 0.05 else "normal",
                color="white" if abs(np.log2(np.clip(ratio[r, c], 0.25, 4))) > 1.2 else "black",
            )
    ax.set_xticks(range(ratio.shape[1]), [f"{t} days" for t in result.time_labels])
    ax.set_yticks(range(ratio.shape[0]), [s if s == "Same location" else f"{s} m" for s in result.space_labels])
    fig.colorbar(image, ax=ax, label="log2 observed / expected", shrink=0.8)
    ax.set_title(
        f"{title}\n{result.parameters.get('iterations', 0)} Monte Carlo runs, seed {result.parameters.get('seed')}"
    )
    return _png(fig)


def weekly_png(weeks: list[str], observed: list[float], expected: list[float], upper: list[float], title: str) -> bytes:
    """Weekly counts against the expected line and the upper control limit, alerts marked."""
    fig, ax = _figure(figsize=(8, 3))
    x = np.arange(len(weeks))
    ax.plot(x, expected, color="#34557a", label="expected")
    ax.plot(x, upper, color="#34557a", linestyle="--", label="upper control limit")
    ax.plot(x, observed, color="#333333", marker="o", markersize=3, linewidth=1, label="observed")
    over = [i for i in range(len(weeks)) if observed[i] > upper[i]]
    ax.scatter(over, [observed[i] for i in over], color=HOT, zorder=3, label="alert")
    step = max(1, len(weeks) // 8)
    ax.set_xticks(x[::step], weeks[::step], rotation=30, fontsize=8)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _png(fig)
