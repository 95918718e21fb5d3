"""Residents' reports and the Open311 GeoReport v2 API."""
