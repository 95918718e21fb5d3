"""Drone flight management: geozones, 4D flight declarations, live conformance monitoring."""
