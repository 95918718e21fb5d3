"""Complaints: intake, assignment, investigation, finding and outcome, with a timeline for the complainant."""
