"""Early intervention: per-indicator peer comparisons raising flags for human review."""
