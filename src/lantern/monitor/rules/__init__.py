"""Stream rules: pure functions over columnar micro-batches with explicit per-vehicle state."""
