"""Generic helpers (time, geo, ids, pagination) that import no domain code."""
