"""The demo city simulator: deterministic from a seed, with ground truth kept for evaluation."""
