"""Unit normalisation with exact conversion factors.

Instruments write units in their own spelling (``g``, ``mbar``, ``C``, ``F``...).
:func:`normalise` maps a value in such a unit onto the project's normalised units
(``g``/``kg`` for mass, ``kPa``/``mmHg`` for pressure, ``°C`` for temperature, SI for
electrical quantities).  Every unit here is an affine map ``y = a·x + b`` of a base unit of its
quantity, with the factor from its definition (international avoirdupois pound 1959, conventional
millimetre of mercury, kelvin and Fahrenheit offsets), so no units library is imported at run time:
pint took ~0.8 s to import for these few constants.  ``tests/instruments/test_units.py`` checks every
factor against pint (test extra), so a typo here cannot pass.
"""
from __future__ import annotations

import functools
import logging

from .errors import ConfigurationError

log = logging.getLogger(__name__)

#: instrument spelling -> (pint unit name, normalised unit it maps to)
_UNITS: dict[str, tuple[str, str]] = {
    "g": ("gram", "g"),
    "kg": ("kilogram", "kg"),
    "mg": ("milligram", "g"),
    "t": ("metric_ton", "kg"),
    "lb": ("pound", "kg"),
    "oz": ("ounce", "g"),
    "ct": ("carat", "g"),
    "kPa": ("kilopascal", "kPa"),
    "Pa": ("pascal", "kPa"),
    "hPa": ("hectopascal", "kPa"),
    "MPa": ("megapascal", "kPa"),
    "mbar": ("millibar", "kPa"),
    "bar": ("bar", "kPa"),
    "psi": ("psi", "kPa"),
    "mmHg": ("millimeter_Hg", "mmHg"),
    "inHg": ("inch_Hg", "kPa"),
    "°C": ("degree_Celsius", "°C"),
    "C": ("degree_Celsius", "°C"),
    "F": ("degree_Fahrenheit", "°C"),
    "K": ("kelvin", "°C"),
    "V": ("volt", "V"),
    "mV": ("millivolt", "V"),
    "A": ("ampere", "A"),
    "mA": ("milliampere", "A"),
    "Ω": ("ohm", "Ω"),
    "O": ("ohm", "Ω"),
    "ohm": ("ohm", "Ω"),
    "Hz": ("hertz", "Hz"),
}

NORMALISED_UNITS = frozenset(dst for _, dst in _UNITS.values())

_LB = 0.45359237  # kg, exact (international pound, 1959)
_G0 = 9.80665  # m/s², standard gravity, exact
_MMHG = 13.5951e3 * _G0 * 1e-3  # Pa: conventional millimetre of mercury (13.5951 g/cm³ mercury, g0), 133.322387415
#: instrument spelling -> (base unit of its quantity, a, b): value in base = a·x + b
_TO_BASE: dict[str, tuple[str, float, float]] = {
    "g": ("g", 1.0, 0.0), "kg": ("g", 1e3, 0.0), "mg": ("g", 1e-3, 0.0), "t": ("g", 1e6, 0.0),
    "lb": ("g", _LB * 1e3, 0.0), "oz": ("g", _LB * 1e3 / 16, 0.0), "ct": ("g", 0.2, 0.0),
    "Pa": ("Pa", 1.0, 0.0), "kPa": ("Pa", 1e3, 0.0), "hPa": ("Pa", 1e2, 0.0), "MPa": ("Pa", 1e6, 0.0),
    "mbar": ("Pa", 1e2, 0.0), "bar": ("Pa", 1e5, 0.0), "psi": ("Pa", _LB * _G0 / 0.0254**2, 0.0),
    "mmHg": ("Pa", _MMHG, 0.0), "inHg": ("Pa", _MMHG * 25.4, 0.0),
    "°C": ("°C", 1.0, 0.0), "C": ("°C", 1.0, 0.0), "F": ("°C", 5 / 9, -160 / 9), "K": ("°C", 1.0, -273.15),
    "V": ("V", 1.0, 0.0), "mV": ("V", 1e-3, 0.0), "A": ("A", 1.0, 0.0), "mA": ("A", 1e-3, 0.0),
    "Ω": ("Ω", 1.0, 0.0), "O": ("Ω", 1.0, 0.0), "ohm": ("Ω", 1.0, 0.0), "Hz": ("Hz", 1.0, 0.0),
}


@functools.lru_cache(maxsize=256)
def linear_map(src: str, dst: str) -> tuple[float, float]:
    """Get ``(a, b)`` such that a value ``x`` in *src* is ``a·x + b`` in *dst*.

    :param src: unit symbol as in the table of this module.
    :param dst: target unit symbol.
    :returns: slope and offset.
    :raises ConfigurationError: unknown unit or incompatible dimensions.
    """
    if src == dst:
        return 1.0, 0.0
    try:
        (base_s, a_s, b_s), (base_d, a_d, b_d) = _TO_BASE[src], _TO_BASE[dst]
    except KeyError as exc:
        raise ConfigurationError(f"unit: unknown unit {exc.args[0]!r}") from None
    if base_s != base_d:
        raise ConfigurationError(f"unit: cannot convert {src!r} to {dst!r} (different quantities)")
    return a_s / a_d, (b_s - b_d) / a_d


def convert(value: float, src: str, dst: str) -> float:
    """Get *value* expressed in *src* converted to *dst*.

    :param value: number.
    :param src: source unit symbol.
    :param dst: target unit symbol.
    :returns: converted number.
    :raises ConfigurationError: unknown or incompatible units.

    >>> round(convert(760.0, "mmHg", "kPa"), 4)
    101.325
    """
    a, b = linear_map(src, dst)
    return a * value + b


def is_known(unit: str) -> bool:
    """Get whether *unit* is a spelling this module understands.

    :param unit: unit symbol.
    :returns: True if known.
    """
    return unit in _UNITS


def normalise(value: float, unit: str) -> tuple[float, str]:
    """Get *value* in *unit* converted to the project's normalised unit for that quantity.

    :param value: number.
    :param unit: instrument unit spelling (must satisfy :func:`is_known`).
    :returns: ``(value, normalised_unit)``.
    :raises ConfigurationError: unknown unit.

    >>> normalise(1013.25, "mbar")
    (101.325, 'kPa')
    """
    try:
        dst = _UNITS[unit][1]
    except KeyError:
        raise ConfigurationError(f"unit: unknown unit {unit!r}") from None
    if dst == unit:
        return value, unit
    a, b = linear_map(unit, dst)
    return round(a * value + b, 12), dst
