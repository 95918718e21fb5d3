"""Recorded incidents: storage, queries and map layers shared by every module."""
