"""Square analysis grids in projected metres: cell indices, counts and the cells' centres."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Grid:
    """A square grid: origin (lower-left corner) in metres, cell size, columns and rows.

    Examples
    --------
    >>> import numpy as np
    >>> g = Grid.covering(np.array([0.0, 990.0]), np.array([0.0, 240.0]), cell_m=250)
    >>> (g.nx, g.ny)
    (4, 1)
    >>> g.counts(np.array([10.0, 260.0, 270.0]), np.array([5.0, 5.0, 5.0])).tolist()
    [[1.0, 2.0, 0.0, 0.0]]
    """

    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int

    @classmethod
    def covering(cls, x: FloatArray, y: FloatArray, cell_m: float, margin_m: float = 0.0) -> Grid:
        """The smallest grid of ``cell_m`` cells that holds every point (plus a margin)."""
        if cell_m <= 0:
            raise ValueError(f"cell size must be positive metres, got {cell_m}")
        if len(x) == 0:
            raise ValueError("cannot build a grid around no points")
        x0 = float(np.floor((np.min(x) - margin_m) / cell_m) * cell_m)
        y0 = float(np.floor((np.min(y) - margin_m) / cell_m) * cell_m)
        nx = int(np.floor((np.max(x) + margin_m - x0) / cell_m)) + 1
        ny = int(np.floor((np.max(y) + margin_m - y0) / cell_m)) + 1
        return cls(x0, y0, float(cell_m), nx, ny)

    @property
    def size(self) -> int:
        """Number of cells."""
        return self.nx * self.ny

    def index(self, x: FloatArray, y: FloatArray) -> tuple[IntArray, IntArray, npt.NDArray[np.bool_]]:
        """Column, row and an inside-the-grid mask for each point."""
        col = np.floor((np.asarray(x, dtype=np.float64) - self.x0) / self.cell_m).astype(np.int64)
        row = np.floor((np.asarray(y, dtype=np.float64) - self.y0) / self.cell_m).astype(np.int64)
        inside = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        return col, row, inside

    def flat_index(self, x: FloatArray, y: FloatArray) -> IntArray:
        """Row-major cell number of each point, -1 outside the grid."""
        col, row, inside = self.index(x, y)
        return np.where(inside, row * self.nx + col, -1)

    def counts(self, x: FloatArray, y: FloatArray, weight: FloatArray | None = None) -> FloatArray:
        """Counts (or summed weights) per cell as a (ny, nx) array; points outside are dropped."""
        flat = self.flat_index(x, y)
        keep = flat >= 0
        w = None if weight is None else np.asarray(weight, dtype=np.float64)[keep]
        return np.bincount(flat[keep], weights=w, minlength=self.size).astype(np.float64).reshape(self.ny, self.nx)

    def centres(self) -> tuple[FloatArray, FloatArray]:
        """Centre x and y of every cell, each a (ny, nx) array."""
        xs = self.x0 + (np.arange(self.nx) + 0.5) * self.cell_m
        ys = self.y0 + (np.arange(self.ny) + 0.5) * self.cell_m
        cx, cy = np.meshgrid(xs, ys)
        return cx, cy

    def polygon(self, col: int, row: int) -> list[tuple[float, float]]:
        """Corner coordinates (closed ring, counter-clockwise) of one cell, in metres."""
        x, y, s = self.x0 + col * self.cell_m, self.y0 + row * self.cell_m, self.cell_m
        return [(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)]
