"""Tests of the hazardous-materials ledger: reconciliation, reports, pages."""
