"""The tamper-evident audit log: the only record of who touched personal data."""
