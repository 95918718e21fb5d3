"""People linked to incidents: personal data behind purpose-bound, audited access."""
