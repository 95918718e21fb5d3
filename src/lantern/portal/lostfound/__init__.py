"""Lost and found: items handed in, residents' reports, matching and hand-over (docs/portal.md)."""
