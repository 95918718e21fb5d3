"""The runnable examples in the public analytics docstrings stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "lantern.crime.grid",
    "lantern.crime.hotspots",
    "lantern.crime.gistar",
    "lantern.crime.aoristic",
    "lantern.crime.nearrepeat",
    "lantern.crime.linkage",
    "lantern.crime.trends",
    "lantern.crime.forecast.panel",
    "lantern.crime.forecast.metrics",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
