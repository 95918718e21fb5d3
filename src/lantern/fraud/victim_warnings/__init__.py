"""Victim warnings: the urgent tasks a victim-pattern hit raises, what triggered each, and how each ended."""
