"""Run the doctest examples in the instruments package."""
import doctest
import importlib

import pytest

MODULES = ["instruments.units", "instruments.testing", "instruments.sim.faults", "instruments.drivers.mettler_mtsics",
           "instruments.drivers.sartorius_sbi", "instruments.drivers.druck_dpi740",
           "instruments.drivers.fluke_thermometer", "instruments.drivers.scpi"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
