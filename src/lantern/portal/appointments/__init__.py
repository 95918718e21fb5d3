"""Appointments at service halls and 24-hour self-service points (docs/portal.md, "Appointments")."""
