"""Hazardous-materials ledger: licensed holders, their reports, reconciliation and the register pages."""
