"""Case records and oversight: legal deadlines, evidence, body-camera completeness, early
intervention (transparent per-indicator flags for human review, never risk scores) and audit review."""
