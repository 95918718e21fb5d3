"""Command and dispatch: call intake, graded response, unit recommendation, status, KPIs, EIDO."""
