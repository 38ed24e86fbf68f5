"""Unit normalisation through pint."""
import pytest

from instruments.errors import ConfigurationError
from instruments.units import convert, linear_map, normalise


@pytest.mark.parametrize("value, unit, expected, target", [
    (1500.0, "mg", 1.5, "g"), (2.0, "kg", 2.0, "kg"), (1013.25, "mbar", 101.325, "kPa"),
    (120.0, "mmHg", 120.0, "mmHg"), (98.6, "F", 37.0, "°C"), (273.15, "K", 0.0, "°C"), (1.0, "psi", 6.894757, "kPa"),
])
def test_normalise(value, unit, expected, target):
    result, unit_out = normalise(value, unit)
    assert unit_out == target and result == pytest.approx(expected, abs=1e-6)


def test_mmhg_to_kpa_uses_conventional_factor():
    assert convert(1.0, "mmHg", "kPa") == pytest.approx(0.133322, abs=1e-6)


def test_offset_units_map_linearly():
    a, b = linear_map("F", "°C")
    assert a == pytest.approx(5 / 9) and b == pytest.approx(-160 / 9)


@pytest.mark.parametrize("src, dst", [("furlong", "g"), ("g", "kPa")])
def test_bad_conversions(src, dst):
    with pytest.raises(ConfigurationError, match="unit"):
        convert(1.0, src, dst)
