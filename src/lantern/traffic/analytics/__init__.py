"""Pure traffic analytics over Polars frames: readings, free-flow speeds, TTI, the 0-10 index, heat maps."""
