"""Crowd safety: density from anonymous people counts, levels, rate of rise, time-to-level forecasts."""
