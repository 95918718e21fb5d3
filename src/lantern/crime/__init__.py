"""Crime analysis: place-based hotspots, forecasts, near-repeat, series linkage, trend alerts.

Everything here is about places and times, never about persons: no module scores people.
The analytic modules (``grid``, ``hotspots``, ``gistar``, ``aoristic``, ``nearrepeat``,
``forecast``, ``linkage``, ``trends``) are pure functions over frames and arrays; they take no
database session.
"""
