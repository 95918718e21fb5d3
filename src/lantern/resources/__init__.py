"""Stations and response units."""
