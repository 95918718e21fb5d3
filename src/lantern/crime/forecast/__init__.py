"""Forecasting next period's hot cells, and the rolling-origin back-test that keeps it honest."""
