"""Tests of the traffic module: indices, map matching, feeds, signal timing."""
