"""Validated ingest of incident files through mapping profiles."""
