"""Unit normalisation: exact factors, each checked against pint."""
import subprocess
import sys

import pint
import pytest

from instruments.errors import ConfigurationError
from instruments.units import _TO_BASE, _UNITS, convert, linear_map, normalise


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


def test_every_unit_has_a_factor():
    assert set(_TO_BASE) == set(_UNITS)


@pytest.fixture(scope="module")
def ureg():
    return pint.UnitRegistry()


@pytest.mark.parametrize("src", sorted(_UNITS))
def test_factor_agrees_with_pint(ureg, src):
    """The table's affine map to the normalised unit equals pint's, to 1e-12 relative."""
    pint_src, dst = _UNITS[src]
    pint_dst = _UNITS[dst][0]
    y0 = ureg.Quantity(0.0, pint_src).to(pint_dst).magnitude
    y1 = ureg.Quantity(1.0, pint_src).to(pint_dst).magnitude
    a, b = linear_map(src, dst)
    assert a == pytest.approx(y1 - y0, rel=1e-12) and b == pytest.approx(y0, rel=1e-12, abs=1e-12)


def test_importing_the_library_does_not_import_pint():
    code = ("import sys, instruments, instruments.cli, instruments.units; instruments.units.normalise(1.0, 'mbar');"
            " print('pint' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
